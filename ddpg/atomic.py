"""Files of a run: written so that a crash leaves the old file or the new one.

Every file the package writes goes to a temporary name in the same folder,
is flushed to disk, then renamed over the destination; rename is atomic on
POSIX file systems, so readers never see half a JSON or half an npz.
"""
import json
import os
import tempfile
from contextlib import contextmanager


@contextmanager
def atomic_path(path, keep_extension=False):
    """Yield a temporary path beside `path`; rename onto it on success.

    The temporary name ends in .tmp, so a crash leaves nothing that looks
    like a finished file; `keep_extension` adds the real extension after it
    for writers that choose the format by extension (ffmpeg).
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    base = os.path.basename(path)
    suffix = ".tmp" + (os.path.splitext(base)[1] if keep_extension else "")
    fd, tmp = tempfile.mkstemp(prefix=f".{base}.", suffix=suffix, dir=directory)
    os.close(fd)
    # mkstemp creates 0600; give the file the mode a plain open() would.
    os.chmod(tmp, 0o666 & ~_umask())
    try:
        yield tmp
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def prefixed_files(directory, prefix):
    """Sorted paths of the files in `directory` whose names start with `prefix`."""
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, name) for name in os.listdir(directory)
                  if name.startswith(prefix))


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_text(path, text):
    with atomic_path(path) as tmp:
        with open(tmp, "w", encoding="utf-8") as handle:
            handle.write(text)


def write_json(path, data):
    write_text(path, json.dumps(data, indent=2, sort_keys=True) + "\n")


def write_npz(path, arrays):
    """np.savez to a temporary file, then rename (np.savez appends .npz)."""
    import numpy as np

    with atomic_path(path) as tmp:
        with open(tmp, "wb") as handle:
            np.savez(handle, **arrays)

