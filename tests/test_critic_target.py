"""The critic's target y: r where terminated, r + gamma Q'(s2, mu'(s2)) otherwise."""
import numpy as np
import pytest
from conftest import random_rows

from ddpg.core.update import FusedUpdate, critic_targets


def test_numpy_targets_by_hand():
    r = np.array([1.0, -2.0, 0.5])
    t = np.array([True, False, False])
    q_next = np.array([[10.0], [3.0], [-4.0]])
    y = critic_targets(r, t, q_next, gamma=0.9)
    np.testing.assert_allclose(y[:, 0], [1.0, -2.0 + 0.9 * 3.0, 0.5 - 0.9 * 4.0], rtol=1e-6)


@pytest.mark.parametrize("gamma", [0.0, 0.99, 1.0])
def test_graph_target_matches_numpy_for_terminal_and_non_terminal(nets, gamma):
    sess, actor, critic = nets
    update = FusedUpdate(sess, actor, critic, gamma)
    rows = random_rows(np.random.default_rng(0), 32)
    s, a, r, t, s2 = update.layout.split(rows)
    assert 0 < t.sum() < len(t)
    q_next = critic.predict_target(s2, actor.predict_target(s2))
    expected = np.where(t > 0.5, r, r + gamma * q_next)
    y = sess.run(update.y, feed_dict={update.rows: rows})
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y[t[:, 0] > 0.5], r[t[:, 0] > 0.5], rtol=1e-6)


def test_truncated_transitions_bootstrap(tmp_path):
    """The train loop stores `terminated`, not `terminated or truncated`."""
    import gymnasium as gym

    from ddpg.compat import tf
    from ddpg.core.networks import ActorNetwork, CriticNetwork
    from ddpg.core.replay_buffer import ReplayBuffer
    from ddpg.core.training import train
    from ddpg.run.session import make_session

    tf.reset_default_graph()
    sess = make_session(seed=1)
    env = gym.make("Pendulum-v1", max_episode_steps=20)  # truncates, never terminates
    actor = ActorNetwork(sess, 3, 1, env.action_space, 1e-4, 1e-3)
    critic = CriticNetwork(sess, 3, 1, 1e-3, 1e-3)
    buffer = ReplayBuffer(1000, random_seed=0)
    state = train(sess, env, actor, critic, max_episodes=3, minibatch_size=16,
                  replay_buffer=buffer, log=lambda line: None)
    assert state.total_steps == 60
    _, _, _, t, _ = buffer.sample_batch(60)
    assert len(t) == 60 and not t.any()
    sess.close()
