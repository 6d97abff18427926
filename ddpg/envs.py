"""Making a Gymnasium environment DDPG can act in, or saying why not."""
import os
import warnings

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from ddpg.errors import UserError
from ddpg.extras import install_hint


def make_env(env_id, render_mode=None):
    """gym.make with the problems a user can cause turned into UserError.

    Any Box-action, Box-observation task is accepted; observations with
    more than one axis are flattened, since the networks take vectors.
    """
    if not os.environ.get("DISPLAY"):
        # Without a screen: SDL (classic control) draws off-screen with its
        # dummy driver, and MuJoCo renders through EGL, where it exists,
        # instead of GLFW, which needs a display.  Both are read when the
        # renderer starts, so they are set before the first environment.
        if render_mode == "rgb_array":
            os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
        os.environ.setdefault("MUJOCO_GL", "egl")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kwargs = {"render_mode": render_mode} if render_mode else {}
            env = gym.make(env_id, **kwargs)
    except gym.error.DependencyNotInstalled as exc:
        # Gymnasium's own hint installs gymnasium's extra; this package's extra pins the range.
        extra = "mujoco" if "mujoco" in str(exc).lower() else None
        hint = f"; {install_hint(extra)}" if extra else ""
        raise UserError(f"environment {env_id!r} needs a package that is not installed: "
                        f"{_one_line(exc)}{hint}") from None
    except gym.error.Error as exc:
        raise UserError(f"unknown environment id {env_id!r}: {_one_line(exc)}") from None
    except ImportError as exc:
        raise UserError(f"cannot import the module for environment {env_id!r}: {_one_line(exc)}") \
            from None
    except TypeError as exc:
        if render_mode is not None and "render_mode" in str(exc):
            raise UserError(f"environment {env_id!r} cannot render: {_one_line(exc)}") from None
        raise
    try:
        check_spaces(env, env_id)
    except UserError:
        env.close()
        raise
    if len(env.observation_space.shape) != 1:
        env = gym.wrappers.FlattenObservation(env)
    return env


def check_spaces(env, env_id=None):
    """Raise UserError unless actions and observations are finite-bounded Boxes."""
    name = env_id or (env.spec.id if env.spec else type(env).__name__)
    action_space = env.action_space
    if not isinstance(action_space, spaces.Box):
        raise UserError(
            f"DDPG needs a continuous Box action space, but {name} has {action_space}")
    if not (np.all(np.isfinite(action_space.low)) and np.all(np.isfinite(action_space.high))):
        raise UserError(
            f"{name} has non-finite action bounds low={action_space.low.tolist()} "
            f"high={action_space.high.tolist()}; DDPG's tanh policy needs finite ones")
    if not isinstance(env.observation_space, spaces.Box):
        raise UserError(
            f"DDPG needs a Box observation space, but {name} has {env.observation_space}")


def dims(env):
    """(state_dim, action_dim) as the networks see them."""
    return int(np.prod(env.observation_space.shape)), int(np.prod(env.action_space.shape))


def short_name(env_id):
    """'Pendulum-v1' -> 'pendulum': used to name the GIF of a run."""
    base = env_id.split(":")[-1].split("/")[-1]
    return base.split("-v")[0].lower() or "env"


def _one_line(exc):
    return " ".join(str(exc).split())
