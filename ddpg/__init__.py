"""ddpg: the classic TF1-style DDPG tutorial as an installable package.

Names are imported on first use, so that the command-line entry points can
check their arguments (and refuse bad ones) before TensorFlow's
several-second import.  Every module that builds graphs imports
`ddpg.compat` first, which puts TensorFlow in graph mode.
"""
import importlib

__version__ = "1.0.0"

_EXPORTS = {
    "ActionScaling": "ddpg.action_scaling",
    "ActorNetwork": "ddpg.actor",
    "CriticNetwork": "ddpg.critic",
    "FusedUpdate": "ddpg.fused",
    "Monitor": "ddpg.monitor",
    "load_results": "ddpg.monitor",
    "OrnsteinUhlenbeckActionNoise": "ddpg.noise",
    "GaussianActionNoise": "ddpg.noise",
    "DecayingActionNoise": "ddpg.noise",
    "NoActionNoise": "ddpg.noise",
    "make_noise": "ddpg.noise",
    "ReplayBuffer": "ddpg.replay_buffer",
    "build_summaries": "ddpg.summaries",
    "train": "ddpg.training",
    "TrainingState": "ddpg.training",
    "TutorialUpdate": "ddpg.tutorial_step",
    "critic_targets": "ddpg.tutorial_step",
    "evaluate": "ddpg.evaluation",
    "make_session": "ddpg.session",
    "make_env": "ddpg.envs",
    "Checkpointer": "ddpg.checkpoint",
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
