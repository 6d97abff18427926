"""Exploration noise added to the deterministic policy's action.

Noise is produced in the actor's normalised units ([-1, 1] per dimension);
the train loop multiplies it by each dimension's half range, so one sigma
means the same thing on every task.  Each process owns its generator so a
seeded run is repeatable and a checkpoint can save and restore it.
"""
import numpy as np

from ddpg.config import DEFAULTS, NOISE_TYPES

# The tutorial's OU time step: the process, not a setting of a run.
OU_DT = 1e-2
OU_SIGMA, OU_THETA, GAUSSIAN_SIGMA = DEFAULTS.ou_sigma, DEFAULTS.ou_theta, DEFAULTS.gaussian_sigma


class ActionNoise:
    """Base: a callable giving one noise vector per step, reset per episode."""

    def __init__(self, action_dim, seed=None):
        self.action_dim = int(action_dim)
        self._rng = np.random.default_rng(seed)

    def __call__(self):
        raise NotImplementedError

    def reset(self, episode=None):
        """Called at the start of every episode with its index."""

    def get_state(self):
        return {"rng": self._rng.bit_generator.state}

    def set_state(self, state):
        self._rng.bit_generator.state = state["rng"]


class OrnsteinUhlenbeckActionNoise(ActionNoise):
    """Temporally correlated noise, the DDPG paper's choice for inertial tasks.

    dx = theta (mu - x) dt + sigma sqrt(dt) N(0, 1), restarted at x0 (or mu)
    each episode.
    """

    def __init__(self, mu, sigma=OU_SIGMA, theta=OU_THETA, dt=OU_DT, x0=None, seed=None):
        mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
        super().__init__(mu.shape[0], seed)
        self.mu = mu
        self.sigma = sigma
        self.theta = theta
        self.dt = dt
        self.x0 = x0
        self.reset()

    def __call__(self):
        x = (self.x_prev + self.theta * (self.mu - self.x_prev) * self.dt
             + self.sigma * np.sqrt(self.dt) * self._rng.normal(size=self.mu.shape))
        self.x_prev = x
        return x

    def reset(self, episode=None):
        self.x_prev = np.array(self.x0, dtype=np.float64) if self.x0 is not None \
            else np.zeros_like(self.mu)

    def get_state(self):
        return dict(super().get_state(), x_prev=self.x_prev.tolist())

    def set_state(self, state):
        super().set_state(state)
        self.x_prev = np.asarray(state["x_prev"], dtype=np.float64)

    def __repr__(self):
        return f"OrnsteinUhlenbeckActionNoise(mu={self.mu}, sigma={self.sigma}, theta={self.theta})"


class GaussianActionNoise(ActionNoise):
    """Independent N(mu, sigma^2) per step; what TD3 and many baselines use."""

    def __init__(self, mu, sigma=GAUSSIAN_SIGMA, seed=None):
        mu = np.atleast_1d(np.asarray(mu, dtype=np.float64))
        super().__init__(mu.shape[0], seed)
        self.mu = mu
        self.sigma = sigma

    def __call__(self):
        return self.mu + self.sigma * self._rng.normal(size=self.mu.shape)

    def __repr__(self):
        return f"GaussianActionNoise(mu={self.mu}, sigma={self.sigma})"


class DecayingActionNoise(ActionNoise):
    """The first 2016 tutorial's term: a constant 1 / (1 + episode) per step.

    It is a deterministic bias, not random noise; kept for faithfulness.
    """

    def __init__(self, action_dim, seed=None):
        super().__init__(action_dim, seed)
        self.episode = 0

    def __call__(self):
        return np.full(self.action_dim, 1.0 / (1.0 + self.episode))

    def reset(self, episode=None):
        if episode is not None:
            self.episode = int(episode)

    def get_state(self):
        return dict(super().get_state(), episode=self.episode)

    def set_state(self, state):
        super().set_state(state)
        self.episode = int(state["episode"])


class NoActionNoise(ActionNoise):
    """Zero noise: a purely greedy policy (useful for evaluation and tests)."""

    def __call__(self):
        return np.zeros(self.action_dim)


class TargetPolicyNoise(ActionNoise):
    """TD3's target-policy smoothing noise: sigma * N(0, 1) per sample and action dimension.

    Drawn in NumPy from its own seeded generator and fed to the update, so
    that a checkpoint can save and restore it (exact resume) and the
    tutorial-order reference and the fused graph see the same numbers.  In
    half-range units; the update clips it and scales it to the bounds.
    """

    def __init__(self, action_dim, sigma, seed=None):
        super().__init__(action_dim, seed)
        self.sigma = float(sigma)

    def sample(self, batch_size):
        return (self.sigma * self._rng.standard_normal((int(batch_size), self.action_dim))
                ).astype(np.float32)

    def __repr__(self):
        return f"TargetPolicyNoise(sigma={self.sigma})"


def make_noise(kind, action_dim, seed=None, sigma=None, theta=OU_THETA):
    """Build one of NOISE_TYPES; `sigma` defaults to the kind's usual value."""
    zeros = np.zeros(action_dim)
    if kind == "ou":
        return OrnsteinUhlenbeckActionNoise(zeros, sigma=OU_SIGMA if sigma is None else sigma,
                                            theta=theta, seed=seed)
    if kind == "gaussian":
        return GaussianActionNoise(zeros, sigma=GAUSSIAN_SIGMA if sigma is None else sigma,
                                   seed=seed)
    if kind == "decay":
        return DecayingActionNoise(action_dim, seed=seed)
    if kind == "none":
        return NoActionNoise(action_dim, seed=seed)
    raise ValueError(f"unknown noise {kind!r}; choose one of {', '.join(NOISE_TYPES)}")
