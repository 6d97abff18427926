"""Shared fixtures: a fresh TF graph and session per test, small networks."""
import os
import sys

import gymnasium as gym
import numpy as np
import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO_DIR = os.path.dirname(TESTS_DIR)
# Test-only environments (tests/envs.py) must be importable in subprocesses too.
sys.path.insert(0, TESTS_DIR)


@pytest.fixture
def sess():
    """A new default graph and a seeded Session on it."""
    from ddpg.compat import tf
    from ddpg.run.session import make_session

    tf.reset_default_graph()
    session = make_session(seed=7)
    yield session
    session.close()
    tf.reset_default_graph()


@pytest.fixture
def nets(sess):
    """(sess, actor, critic) for a 3-D state, 1-D action bounded by 2, initialised."""
    from ddpg.compat import tf
    from ddpg.core.networks import ActorNetwork, CriticNetwork

    actor = ActorNetwork(sess, 3, 1, 2.0, learning_rate=1e-3, tau=0.1)
    critic = CriticNetwork(sess, 3, 1, learning_rate=1e-3, tau=0.1,
                           num_actor_vars=actor.get_num_trainable_vars())
    sess.run(tf.global_variables_initializer())
    return sess, actor, critic


def random_rows(rng, batch, state_dim=3, action_dim=1, terminal_every=4):
    """Packed transition rows s | a | r | t | s2 with some terminal flags set."""
    s = rng.normal(size=(batch, state_dim))
    a = rng.uniform(-2, 2, size=(batch, action_dim))
    r = rng.normal(size=(batch, 1))
    t = (np.arange(batch) % terminal_every == 0).astype(np.float64)[:, None]
    s2 = rng.normal(size=(batch, state_dim))
    return np.hstack([s, a, r, t, s2]).astype(np.float32)


def subprocess_env():
    """Environment for child processes: tests/ importable, no screen needed."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([TESTS_DIR, REPO_DIR, env.get("PYTHONPATH", "")])
    env["SDL_VIDEODRIVER"] = "dummy"
    env.pop("DISPLAY", None)
    return env


def build_agent(env, seed=0, actor_lr=1e-4, critic_lr=1e-3, tau=1e-3):
    """(sess, actor, critic) sized for `env`, on a fresh graph and a seeded session."""
    from ddpg.compat import tf
    from ddpg.core.networks import ActorNetwork, CriticNetwork
    from ddpg.envs import dims
    from ddpg.run.session import make_session

    tf.reset_default_graph()
    session = make_session(seed=seed)
    state_dim, action_dim = dims(env)
    actor = ActorNetwork(session, state_dim, action_dim, env.action_space, actor_lr, tau)
    critic = CriticNetwork(session, state_dim, action_dim, critic_lr, tau)
    return session, actor, critic


class RecordActions(gym.Wrapper):
    """Keeps every action the wrapped environment is given, in `.actions`."""

    def __init__(self, env):
        super().__init__(env)
        self.actions = []

    def step(self, action):
        self.actions.append(np.array(action, copy=True))
        return self.env.step(action)



@pytest.fixture
def results(tmp_path):
    """A results folder that holds something but no run (a refusal must leave it so)."""
    folder = tmp_path / "results"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a run")
    return folder


@pytest.fixture
def no_ray(monkeypatch):
    """The command must refuse, or stop, before Ray would start: reaching it fails the test."""
    from ddpg.sweep import runner

    def refuse(*args, **kwargs):
        raise AssertionError("Ray was started")

    monkeypatch.setattr(runner, "start_ray", refuse)
    monkeypatch.setattr(runner, "run", refuse)
