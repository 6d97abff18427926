"""Small environments for tests, registered on import (`--env envs:Name-v0`)."""
import gymnasium as gym
import numpy as np
from gymnasium import spaces


class TargetReachEnv(gym.Env):
    """2-D asymmetric actions ([0, 1] and [-3, 5]), 4-D observation.

    The reward is minus the distance of the action from a fixed target
    inside the bounds, so a policy learns it in a few hundred updates:
    trivially learnable, but only if bounds and scaling are right.
    """

    metadata = {"render_modes": []}
    TARGET = np.array([0.8, 4.0], dtype=np.float32)

    def __init__(self, episode_len=20, render_mode=None):
        self.render_mode = render_mode
        self.action_space = spaces.Box(low=np.array([0.0, -3.0], np.float32),
                                       high=np.array([1.0, 5.0], np.float32))
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(4,), dtype=np.float32)
        self.episode_len = episode_len
        self.actions = []

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.t = 0
        return self.np_random.uniform(-1, 1, 4).astype(np.float32), {}

    def step(self, action):
        action = np.asarray(action, dtype=np.float32)
        self.actions.append(action.copy())
        self.t += 1
        reward = -float(np.abs(action - self.TARGET).sum())
        obs = self.np_random.uniform(-1, 1, 4).astype(np.float32)
        return obs, reward, False, self.t >= self.episode_len, {}


class InfiniteBoundsEnv(TargetReachEnv):
    def __init__(self, render_mode=None):
        super().__init__(render_mode=render_mode)
        self.action_space = spaces.Box(-np.inf, np.inf, shape=(1,), dtype=np.float32)


class ImageObservationEnv(TargetReachEnv):
    """Observations of shape (2, 3, 2): must be flattened for the networks."""

    def __init__(self, render_mode=None):
        super().__init__(render_mode=render_mode)
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(2, 3, 2), dtype=np.float32)

    def reset(self, seed=None, options=None):
        obs, info = super().reset(seed=seed)
        return self.np_random.uniform(-1, 1, (2, 3, 2)).astype(np.float32), info

    def step(self, action):
        _, reward, terminated, truncated, info = super().step(action)
        return (self.np_random.uniform(-1, 1, (2, 3, 2)).astype(np.float32), reward, terminated,
                truncated, info)


class ExplodingRewardEnv(gym.Env):
    """Pendulum-like shapes; its reward becomes NaN from episode `bad_episode` on."""

    metadata = {"render_modes": []}

    def __init__(self, bad_episode=2, episode_len=20, render_mode=None):
        self.render_mode = render_mode
        self.action_space = spaces.Box(-1.0, 1.0, shape=(1,), dtype=np.float32)
        self.observation_space = spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32)
        self.bad_episode = bad_episode
        self.episode_len = episode_len
        self.episode = -1

    def reset(self, seed=None, options=None):
        super().reset(seed=seed)
        self.episode += 1
        self.t = 0
        return self.np_random.uniform(-1, 1, 3).astype(np.float32), {}

    def step(self, action):
        self.t += 1
        reward = float("nan") if self.episode >= self.bad_episode else -float(np.sum(action ** 2))
        obs = self.np_random.uniform(-1, 1, 3).astype(np.float32)
        return obs, reward, False, self.t >= self.episode_len, {}


for _name, _cls in [("TargetReach-v0", TargetReachEnv), ("InfiniteBounds-v0", InfiniteBoundsEnv),
                    ("ImageObservation-v0", ImageObservationEnv),
                    ("ExplodingReward-v0", ExplodingRewardEnv)]:
    if _name not in gym.registry:
        gym.register(id=_name, entry_point=_cls)


class NoOpenGLEnv(TargetReachEnv):
    """Claims rgb_array rendering, then fails as MuJoCo does on a machine without OpenGL."""

    metadata = {"render_modes": ["rgb_array"], "render_fps": 30}

    def render(self):
        raise RuntimeError("an OpenGL platform library has not been loaded into this process")


gym.register("NoOpenGL-v0", entry_point=NoOpenGLEnv, max_episode_steps=20)
