"""Ray's session folder of a local sweep is private (700), ours, and never a squatted one.

Everything here uses folders under tmp_path: the folder of a sweep that may
be running on this machine (/tmp/ddpg-ray-<uid>) is never touched.
"""
import json
import os
import pathlib
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile
import textwrap

import pytest
from conftest import subprocess_env

from ddpg.cli import sweep as cli
from ddpg.errors import UserError
from ddpg.sweep import ray_files, runner

OTHER_UID = 65534  # "nobody"


def mode(path):
    return stat.S_IMODE(os.lstat(path).st_mode)


def foreign_folder(path):
    """A folder owned by another user (needs the right to chown, e.g. root)."""
    path.mkdir()
    try:
        os.chown(path, OTHER_UID, OTHER_UID)
    except PermissionError:
        pytest.skip("creating a folder owned by another user needs root (chown not permitted)")
    return path


@pytest.fixture
def short_folder():
    """A folder with a short path: Ray's Unix socket paths inside have a length limit."""
    folder = tempfile.mkdtemp(prefix="dr", dir="/tmp")
    yield pathlib.Path(folder)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def fake_ray_init(monkeypatch):
    """ray.init replaced by a recorder (no Ray processes); start_ray's settings restored."""
    ray = pytest.importorskip("ray", reason="needs Ray: pip install \".[sweep]\" in the checkout")
    from ray._private import ray_constants

    monkeypatch.setenv(runner.SINGLE_MACHINE_ENV, "0")
    monkeypatch.setattr(ray_constants, "ENABLE_RAY_CLUSTER", ray_constants.ENABLE_RAY_CLUSTER)
    calls = []

    def init(**kwargs):
        calls.append(dict(kwargs, folder_mode_at_start=mode(os.path.dirname(kwargs["_temp_dir"]))))

    monkeypatch.setattr(ray, "init", init)
    return calls


def sweep_refused(capsys, tmp_path, *extra):
    storage = tmp_path / "storage"
    code = cli.main(["--env", "Pendulum-v1", "--total-steps", "10", "--storage", str(storage),
                     *map(str, extra)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1, err
    assert not storage.exists(), "refused after the sweep's folder was written"
    return err[0]


def test_new_folder_is_created_private_and_ray_gets_a_subfolder(tmp_path):
    folder = tmp_path / "new"
    ray_dir = ray_files.prepare(str(folder))
    assert mode(folder) == 0o700
    assert ray_dir == str(folder / "ray") and os.path.isdir(ray_dir)
    assert os.lstat(folder).st_uid == os.lstat(ray_dir).st_uid == os.getuid()


def test_own_folder_left_open_is_tightened_to_700(tmp_path):
    """What Ray and earlier versions of the package left behind: an own folder, mode 777."""
    folder = tmp_path / "old"
    folder.mkdir()
    os.chmod(folder, 0o777)
    (folder / "session_2026-01-01_00-00-00_000000_1").mkdir()  # an old session stays
    ray_files.prepare(str(folder))
    assert mode(folder) == 0o700
    assert (folder / "session_2026-01-01_00-00-00_000000_1").is_dir()


def test_default_folder_is_private_when_ray_starts(tmp_path, monkeypatch, fake_ray_init):
    """start_ray with no --ray-temp-dir: the default folder (moved to tmp_path here)."""
    default = tmp_path / "ddpg-ray-default"
    default.mkdir()
    os.chmod(default, 0o777)
    monkeypatch.setattr(ray_files, "default_folder", lambda: str(default))
    assert runner.start_ray(num_cpus=1) is True
    (call,) = fake_ray_init
    assert call["_temp_dir"] == str(default / "ray")
    assert call["folder_mode_at_start"] == 0o700


def test_symlinked_folder_is_refused_with_one_line(tmp_path, capsys, no_ray):
    target = tmp_path / "target"
    target.mkdir()
    os.chmod(target, 0o755)
    link = tmp_path / "link"
    link.symlink_to(target)
    line = sweep_refused(capsys, tmp_path, "--ray-temp-dir", link)
    assert f"{link} is a symbolic link" in line and "--ray-temp-dir" in line
    with pytest.raises(UserError, match="symbolic link"):
        ray_files.prepare(str(link))
    assert mode(target) == 0o755 and not (target / "ray").exists()


def test_folder_of_another_user_is_refused_with_one_line(tmp_path, capsys, no_ray):
    theirs = foreign_folder(tmp_path / "theirs")
    os.chmod(theirs, 0o777)
    line = sweep_refused(capsys, tmp_path, "--ray-temp-dir", theirs)
    assert f"{theirs} belongs to another user (uid {OTHER_UID})" in line
    assert "--ray-temp-dir" in line
    with pytest.raises(UserError, match="belongs to another user"):
        ray_files.prepare(str(theirs))
    assert mode(theirs) == 0o777 and not (theirs / "ray").exists()


def test_ray_subfolder_planted_by_another_user_is_refused(tmp_path, fake_ray_init):
    """Planted while an earlier version left the folder open: Ray must not use it."""
    folder = tmp_path / "mine"
    folder.mkdir()
    os.chmod(folder, 0o777)
    foreign_folder(folder / "ray")
    with pytest.raises(UserError, match="ray belongs to another user"):
        runner.start_ray(temp_dir=str(folder), num_cpus=1)
    assert fake_ray_init == []


def test_token_that_ray_creates_is_made_private(tmp_path, monkeypatch, fake_ray_init):
    """Ray writes ~/.ray/auth_token with the umask's mode (644) on a new local cluster."""
    import ray

    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def init_writing_a_token(**kwargs):
        os.makedirs(tmp_path / "home" / ".ray")
        with open(tmp_path / "home" / ".ray" / "auth_token", "w") as handle:
            handle.write("0" * 64)
        os.chmod(tmp_path / "home" / ".ray" / "auth_token", 0o644)

    monkeypatch.setattr(ray, "init", init_writing_a_token)
    runner.start_ray(temp_dir=str(tmp_path / "ray-folder"), num_cpus=1)
    assert mode(tmp_path / "home" / ".ray" / "auth_token") == 0o600


@pytest.mark.slow
@pytest.mark.xdist_group("ray")  # see test_sweep_ray
def test_real_ray_start_leaves_the_folder_private(short_folder):
    """Ray chmods its own temp folder to 777 on every start; the folder we guard stays 700."""
    pytest.importorskip("ray", reason="needs Ray: pip install \".[sweep]\" in the checkout")
    folder = short_folder
    os.chmod(folder, 0o777)
    script = textwrap.dedent(f"""
        import glob, json, os, stat
        import ray
        from ddpg.sweep import runner
        runner.start_ray(num_cpus=1, temp_dir={str(folder)!r})
        try:
            print(json.dumps({{
                "folder": stat.S_IMODE(os.stat({str(folder)!r}).st_mode),
                "sessions": glob.glob(os.path.join({str(folder)!r}, "ray", "session_2*"))}}))
        finally:
            ray.shutdown()
    """)
    env = subprocess_env()
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=secrets.token_hex(16),
               RAY_USAGE_STATS_ENABLED="0")
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                          text=True, timeout=240)
    assert done.returncode == 0, done.stderr[-2000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["folder"] == 0o700
    assert len(seen["sessions"]) == 1  # Ray's session files are inside the private folder
