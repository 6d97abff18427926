"""Running the scripts as a user would, and snapshotting folders."""
import hashlib
import os
import subprocess
import sys

from conftest import REPO_DIR, subprocess_env

SCRIPTS = os.path.join(REPO_DIR, "scripts")


def run_script(name, *args, cwd=None, timeout=300):
    """`python scripts/<name>.py args...`; returns the CompletedProcess."""
    return subprocess.run([sys.executable, os.path.join(SCRIPTS, name + ".py"), *map(str, args)],
                          cwd=cwd, env=subprocess_env(), capture_output=True, text=True,
                          timeout=timeout)


def start_script(name, *args, cwd=None):
    return subprocess.Popen([sys.executable, os.path.join(SCRIPTS, name + ".py"), *map(str, args)],
                            cwd=cwd, env=subprocess_env(), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def snapshot(folder):
    """{relative path: sha256} of every file below `folder` (empty if missing)."""
    result = {}
    for root, _, files in os.walk(folder):
        for name in files:
            path = os.path.join(root, name)
            with open(path, "rb") as handle:
                result[os.path.relpath(path, folder)] = hashlib.sha256(handle.read()).hexdigest()
    return result


def stderr_lines(completed):
    """stderr without TensorFlow's C++ log lines (the package filters its start-up ones)."""
    return [line for line in completed.stderr.splitlines()
            if line.strip() and not line.startswith(("WARNING: All log messages", "I0000", "E0000",
                                                     "W0000"))]
