"""ddpg: the classic TF1-style DDPG tutorial as an installable package.

Three layers, one folder each: `ddpg.core` (the algorithm), `ddpg.run`
(running it: settings checks, folders, session, checkpoints, the driver) and
`ddpg.outputs` (Monitor files, evaluation, plots, video); `ddpg.cli` holds
the command-line front ends, `ddpg.api` the Python one (`fit`,
`load_policy`), and `ddpg.config` the one source of settings.

Names are imported on first use, so that the command-line entry points can
check their arguments (and refuse bad ones) before TensorFlow's
several-second import.  Every module that builds graphs imports
`ddpg.compat` first, which puts TensorFlow in graph mode.
"""
import importlib

__version__ = "1.0.0"

_EXPORTS = {
    "ActionScaling": "ddpg.core.networks",
    "ActorNetwork": "ddpg.core.networks",
    "CriticNetwork": "ddpg.core.networks",
    "ReplayBuffer": "ddpg.core.replay_buffer",
    "OrnsteinUhlenbeckActionNoise": "ddpg.core.noise",
    "GaussianActionNoise": "ddpg.core.noise",
    "DecayingActionNoise": "ddpg.core.noise",
    "NoActionNoise": "ddpg.core.noise",
    "make_noise": "ddpg.core.noise",
    "critic_targets": "ddpg.core.update",
    "twin_critic_targets": "ddpg.core.update",
    "smoothed_target_actions": "ddpg.core.update",
    "TargetPolicyNoise": "ddpg.core.noise",
    "Agent": "ddpg.core.agent",
    "build_agent": "ddpg.core.agent",
    "run_loop": "ddpg.core.training",
    "TutorialUpdate": "ddpg.core.update",
    "FusedUpdate": "ddpg.core.update",
    "train": "ddpg.run.tutorial",
    "TrainingState": "ddpg.core.training",
    "build_summaries": "ddpg.outputs.tensorboard",
    "TrainConfig": "ddpg.config",
    "make_session": "ddpg.run.session",
    "make_env": "ddpg.envs",
    "Checkpointer": "ddpg.run.checkpoint",
    "load_actor": "ddpg.run.checkpoint",
    "Monitor": "ddpg.outputs.monitor",
    "load_results": "ddpg.outputs.monitor",
    "evaluate": "ddpg.outputs.evaluation",
    "fit": "ddpg.api",
    "FitResult": "ddpg.api",
    "load_policy": "ddpg.api",
    "Policy": "ddpg.api",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'ddpg' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(list(globals()) + __all__)
