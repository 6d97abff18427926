"""What a local Ray start leaves on this machine, kept private to the user.

Ray keeps its Unix sockets, port files, logs and the address of the cluster
to join in its temp folder, and makes that folder world-writable (mode 777)
every time it starts.  The sweep's default folder has a predictable name in
/tmp, so another local user could create it first, or plant files in it: a
`ray_current_cluster` file there is enough to make `ray.init()` join the
cluster it names instead of starting one.

So the folder the sweep is given (or /tmp/ddpg-ray-<uid>) is a guard: a
real directory owned by this user, mode 700, refused otherwise; Ray's temp
folder is its subfolder `ray/`, which Ray may open up as it likes because
nobody else can get past the guard.  In /tmp (sticky) nobody else can
rename or replace the guard once it is ours.

Ray also writes its authentication token to ~/.ray/auth_token the first
time a local cluster starts (Ray 2.5x and later enable token auth by
default), readable by everyone under the usual umask; when the sweep's
start created that file, it is made readable by its owner only.
"""
import os
import stat

from ddpg.errors import UserError

RAY_SUBFOLDER = "ray"
PRIVATE_FOLDER = 0o700
PRIVATE_FILE = 0o600
FLAG = "--ray-temp-dir"


def default_folder():
    """A short folder per user (Ray's socket paths have a length limit)."""
    return os.path.join("/tmp", f"ddpg-ray-{os.getuid()}")


def ray_temp_dir(folder):
    """Where Ray's session files go inside the private `folder`."""
    return os.path.join(folder, RAY_SUBFOLDER)


def check(folder=None):
    """UserError if `folder` (default: default_folder()) could not be made private.

    Changes nothing, so it can run among the checks before anything is written.
    """
    folder = os.path.abspath(folder or default_folder())
    for path in (folder, ray_temp_dir(folder)):
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            parent = os.path.dirname(path)
            if path == folder and not os.access(parent, os.W_OK | os.X_OK):
                raise UserError(f"cannot create Ray's session folder {folder}: {parent} is not "
                                f"writable; pass {FLAG} with a folder of your own") from None
            return
        _refuse_unless_own_folder(path, info)


def prepare(folder=None):
    """Make `folder` (default: default_folder()) private; return Ray's temp folder in it.

    Created with mode 700 if missing.  An existing folder must be a real
    directory owned by this user; if its mode is looser it is tightened to
    700 rather than refused: only its owner (this user) could have loosened
    it (Ray and earlier versions of this package made it 777), and Ray only
    ever uses the `ray/` subfolder, checked the same way, so whatever someone
    else left in the folder while it was open is never read.
    """
    folder = os.path.abspath(folder or default_folder())
    _make_private(folder)
    inner = ray_temp_dir(folder)
    _make_private(inner)
    return inner


def _make_private(path):
    try:
        os.mkdir(path, PRIVATE_FOLDER)
    except FileExistsError:
        pass
    except OSError as exc:
        raise UserError(f"cannot create Ray's session folder {path}: "
                        f"{exc.strerror or type(exc).__name__}; pass {FLAG} with a folder "
                        "of your own") from None
    _refuse_unless_own_folder(path, os.lstat(path))
    # Through a descriptor that cannot follow a symlink: what is checked is what is changed.
    descriptor = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        info = os.fstat(descriptor)
        _refuse_unless_own_folder(path, info)
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(descriptor, PRIVATE_FOLDER)
        if stat.S_IMODE(os.fstat(descriptor).st_mode) & 0o077:
            raise UserError(f"Ray's session folder {path} cannot be made private (mode 700); "
                            f"pass {FLAG} with a folder of your own")
    finally:
        os.close(descriptor)


def _refuse_unless_own_folder(path, info):
    """UserError for a symlink, a non-folder, or a folder another user owns."""
    advice = f"pass {FLAG} with a folder of your own"
    if stat.S_ISLNK(info.st_mode):
        raise UserError(f"Ray's session folder {path} is a symbolic link, refused (anyone "
                        f"could have made it); {advice}")
    if not stat.S_ISDIR(info.st_mode):
        raise UserError(f"Ray's session folder {path} exists and is not a folder; {advice}")
    if info.st_uid != os.getuid():
        raise UserError(f"Ray's session folder {path} belongs to another user (uid "
                        f"{info.st_uid}), refused; {advice}")


def token_path():
    """Where Ray writes the token it generates for a new local cluster."""
    return os.path.join(os.path.expanduser("~"), ".ray", "auth_token")


def token_exists():
    return os.path.lexists(token_path())


def make_new_token_private(existed_before):
    """chmod 600 ~/.ray/auth_token if Ray created it just now (it writes it 644)."""
    path = token_path()
    if existed_before or not os.path.isfile(path) or os.path.islink(path):
        return
    try:
        descriptor = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError:
        return
    try:
        info = os.fstat(descriptor)
        if info.st_uid == os.getuid() and stat.S_IMODE(info.st_mode) & 0o077:
            os.fchmod(descriptor, PRIVATE_FILE)
    finally:
        os.close(descriptor)
