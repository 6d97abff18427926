"""Shared fixtures: a fresh TF graph and session per test, small networks."""
import os
import sys

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
