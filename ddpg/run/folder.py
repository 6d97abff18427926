"""The folders and files of one run, and every check made before writing any.

A results folder holds one run: Monitor files, TensorBoard events,
checkpoints, evaluation.json, a GIF and a learning curve.  Starting a new
run there needs --force (which removes only those files) or --resume.
Settings, the environment, the folders and the checkpoint to resume are all
checked in `prepare`, before anything is written, so a refused run leaves
the folder as it was.  Nothing here imports TensorFlow: refusals come back
in well under a second.
"""
import dataclasses
import glob
import json
import os
import shutil
import tempfile

from ddpg.config import validate
from ddpg.envs import make_env, short_name
from ddpg.errors import UserError
from ddpg.outputs.evaluation import FINAL_FILE, PERIODIC_FILE
from ddpg.outputs.events import run_event_files, run_name
from ddpg.outputs.monitor import monitor_files
from ddpg.run.checkpoint import checkpoint_dir, latest_checkpoint, read_state


@dataclasses.dataclass
class RunPaths:
    results_dir: str
    monitor_dir: str
    summary_dir: str
    gif_name: str = "policy.gif"
    run_name: str = None  # its TensorBoard run: the events go in summary_dir/run_name

    @property
    def checkpoint_dir(self):
        return checkpoint_dir(self.results_dir)

    @property
    def config_json(self):
        return os.path.join(self.results_dir, "config.json")

    @property
    def evaluations_json(self):
        return os.path.join(self.results_dir, PERIODIC_FILE)

    @property
    def evaluation_json(self):
        return os.path.join(self.results_dir, FINAL_FILE)

    @property
    def gif(self):
        return os.path.join(self.results_dir, self.gif_name)

    @property
    def learning_curve(self):
        return os.path.join(self.results_dir, "learning_curve.png")

    def folders(self):
        return [self.results_dir, self.monitor_dir, self.summary_dir, self.checkpoint_dir]


def earlier_event_files(paths):
    """Event files an earlier run of this results folder wrote.

    Those of this run's name, of the run config.json records (a different
    seed, say), and any directly in the summary folder (the layout before
    run folders); other runs sharing the summary folder keep theirs.
    """
    names = {paths.run_name}
    try:
        with open(paths.config_json, encoding="utf-8") as handle:
            names.add(run_name(json.load(handle)))
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # no earlier run, or one this package did not write
    return run_event_files(paths.summary_dir, names)


def existing_run_files(paths):
    """Files of an earlier run in these folders (empty when there is none)."""
    found = monitor_files(paths.monitor_dir) + earlier_event_files(paths)
    if os.path.isdir(paths.checkpoint_dir) and os.listdir(paths.checkpoint_dir):
        found.append(paths.checkpoint_dir)
    for path in (paths.evaluation_json, paths.evaluations_json):
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
    events = earlier_event_files(paths)
    for path in monitor_files(paths.monitor_dir) + events:
        os.remove(path)
    for folder in {os.path.dirname(path) for path in events}:
        if os.path.normpath(folder) != os.path.normpath(paths.summary_dir) \
                and not os.listdir(folder):
            os.rmdir(folder)  # a run's events folder, now empty
    shutil.rmtree(paths.checkpoint_dir, ignore_errors=True)
    # ddpg-evaluate's files (evaluation_<checkpoint>.json) score the earlier run's checkpoints.
    evaluations_of_checkpoints = glob.glob(os.path.join(glob.escape(paths.results_dir),
                                                        "evaluation_*.json"))
    for path in [paths.evaluation_json, paths.evaluations_json, paths.config_json, paths.gif,
                 paths.learning_curve] + evaluations_of_checkpoints:
        if os.path.exists(path):
            os.remove(path)


def run_paths(config):
    return RunPaths(results_dir=config.results_dir, monitor_dir=config.monitor_dir,
                    summary_dir=config.summary_dir, gif_name=short_name(config.env_id) + ".gif",
                    run_name=run_name(config))


def prepare(config):
    """Every refusal happens here; returns (paths, env, resume_from or None)."""
    validate(config)
    paths = run_paths(config)
    render_mode = render_mode_for(config)
    env = make_env(config.env_id, render_mode=render_mode)
    try:
        check_can_start(paths, force=config.force, resume=config.resume)
        resume_from = None
        if config.resume:
            resume_from = latest_checkpoint(paths.checkpoint_dir)
            if resume_from is None:
                raise UserError(f"--resume: no checkpoint in {paths.checkpoint_dir}")
            saved = read_state(resume_from)
            check_compatible(saved.get("config", {}), config)
    except BaseException:
        env.close()
        raise
    return paths, env, resume_from


def render_mode_for(config):
    """A live window when there is a display, else frames for Monitor videos."""
    if not config.render_env:
        return None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return "human"
    return "rgb_array" if config.use_gym_monitor else None


def check_compatible(saved, config):
    """A resumed run must have the shapes and sizes its checkpoint was made with."""
    for key in ("env_id", "buffer_size"):
        if key in saved and saved[key] != getattr(config, key):
            raise UserError(f"--resume: the checkpoint was made with {key}={saved[key]!r}, "
                            f"this run asks for {getattr(config, key)!r}")
