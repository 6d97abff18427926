"""The folders and files of one run, and the checks made before writing any.

A results folder holds one run: Monitor files, TensorBoard events,
checkpoints, evaluation.json, a GIF and a learning curve.  Starting a new
run there needs --force (which removes only those files) or --resume.
"""
import dataclasses
import os
import shutil
import tempfile

from ddpg.errors import UserError
from ddpg.monitor import monitor_files

EVENTS_PREFIX = "events.out.tfevents"


@dataclasses.dataclass
class RunPaths:
    results_dir: str
    monitor_dir: str
    summary_dir: str
    gif_name: str = "policy.gif"

    @property
    def checkpoint_dir(self):
        return os.path.join(self.results_dir, "checkpoints")

    @property
    def evaluation_json(self):
        return os.path.join(self.results_dir, "evaluation.json")

    @property
    def gif(self):
        return os.path.join(self.results_dir, self.gif_name)

    @property
    def learning_curve(self):
        return os.path.join(self.results_dir, "learning_curve.png")

    def folders(self):
        return [self.results_dir, self.monitor_dir, self.summary_dir, self.checkpoint_dir]


def event_files(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, n) for n in os.listdir(directory)
                  if n.startswith(EVENTS_PREFIX))


def existing_run_files(paths):
    """Files of an earlier run in these folders (empty when there is none)."""
    found = monitor_files(paths.monitor_dir) + event_files(paths.summary_dir)
    if os.path.isdir(paths.checkpoint_dir) and os.listdir(paths.checkpoint_dir):
        found.append(paths.checkpoint_dir)
    for path in (paths.evaluation_json,):
        if os.path.exists(path):
            found.append(path)
    return found


def check_can_start(paths, force, resume):
    """UserError unless the folders may receive this run."""
    for folder in paths.folders():
        check_writable(folder)
    if resume or force:
        return
    found = existing_run_files(paths)
    if found:
        raise UserError(
            f"results folder {paths.results_dir} already holds a run ({found[0]}); "
            "use --force to replace it or --resume to continue it")


def check_writable(folder):
    """UserError unless `folder` exists as a writable folder or can be created.

    Probes by creating (and removing) a temporary file in the folder or its
    nearest existing parent, which is the only test that also holds for
    read-only mounts and for root.
    """
    folder = os.path.abspath(folder)
    probe_dir = folder
    while not os.path.exists(probe_dir):
        parent = os.path.dirname(probe_dir)
        if parent == probe_dir:
            break
        probe_dir = parent
    if not os.path.isdir(probe_dir):
        raise UserError(f"cannot write to results folder {folder}: "
                        f"{probe_dir} exists and is not a folder")
    try:
        handle, probe = tempfile.mkstemp(prefix=".ddpg-write-test-", dir=probe_dir)
    except OSError as exc:
        raise UserError(f"cannot write to results folder {folder}: {exc.strerror}") from None
    os.close(handle)
    os.remove(probe)


def clear_run(paths):
    """Remove what an earlier run wrote (for --force); other files stay."""
    for path in monitor_files(paths.monitor_dir) + event_files(paths.summary_dir):
        os.remove(path)
    shutil.rmtree(paths.checkpoint_dir, ignore_errors=True)
    for path in (paths.evaluation_json, paths.gif, paths.learning_curve):
        if os.path.exists(path):
            os.remove(path)
