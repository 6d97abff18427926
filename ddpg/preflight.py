"""Every check that can refuse a run, made before anything is written.

SPEC section 7: settings, environment, folders and the checkpoint to resume
are checked first, so a refused run leaves the results folder as it was.
Nothing here imports TensorFlow: refusals come back in about a second.
"""
import os

from ddpg.checkpoint import latest_checkpoint, read_state
from ddpg.config import validate
from ddpg.envs import make_env, short_name
from ddpg.errors import UserError
from ddpg.run_dir import RunPaths, check_can_start


def run_paths(config):
    return RunPaths(results_dir=config.results_dir, monitor_dir=config.monitor_dir,
                    summary_dir=config.summary_dir, gif_name=short_name(config.env_id) + ".gif")


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
