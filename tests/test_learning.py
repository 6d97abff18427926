"""Learning on Pendulum-v1 for real, and seeded runs that repeat exactly."""
import gymnasium as gym
import numpy as np
import pytest

from ddpg.compat import tf
from ddpg.core.networks import ActorNetwork, CriticNetwork
from ddpg.core.training import train
from ddpg.outputs.evaluation import evaluate
from ddpg.run.session import make_session

# Subprocess runs and learning runs: the slow tier.
pytestmark = pytest.mark.slow


def pendulum_run(seed, episodes, fused=True):
    tf.reset_default_graph()
    sess = make_session(seed=seed)
    env = gym.make("Pendulum-v1")
    actor = ActorNetwork(sess, 3, 1, env.action_space, 1e-4, 1e-3)
    critic = CriticNetwork(sess, 3, 1, 1e-3, 1e-3)
    state = train(sess, env, actor, critic, max_episodes=episodes, random_seed=seed,
                  fused=fused, log=lambda line: None)
    return sess, actor, state


def test_seventy_episodes_learn_far_beyond_a_flipped_gradient():
    """A correct actor gradient takes Pendulum far from where a flipped one ends.

    Thresholds come from a spread, not one lucky seed: another CPU picks other
    oneDNN kernels, the rounding differs and so does the whole trajectory.
    Metrics, tutorial hyperparameters, 70 episodes (about 14,000 steps):
      E = greedy mean return over 10 evaluation episodes (random_seed = run seed);
      I = mean training return of episodes 61-70 minus that of episodes 1-10.
    Measured, seeds 0-4, TF_ENABLE_ONEDNN_OPTS=1 | =0:
      E  -604 -239 -150 -184 -203 | -804 -351 -161 -363 -200   (worst -804)
      I   933  919 1059 1203  928 |  871  935 1075  854  935   (worst  854)
    Actor gradient sign flipped (negative actor learning rate; seeds 0 and 1):
      E -1770 -1720, I -112 -270.  Uniform random actions score E -1161 to
      -1360 on the same evaluation episodes (-1360 for seed 1), untrained actors
      -1090 to -1361.
    Each threshold is half-way between the worst seed and the best flipped run:
      E > (-804 - 1720) / 2 = -1262, so -1260;  I > (854 - 112) / 2 = 371, so 370.
    """
    sess, actor, state = pendulum_run(seed=1, episodes=70)
    result = evaluate(gym.make("Pendulum-v1"), actor, episodes=10, random_seed=1,
                      max_episode_len=200)
    assert result["mean_return"] > -1260, result["returns"]
    rewards = state.episode_rewards
    assert np.mean(rewards[-10:]) > np.mean(rewards[:10]) + 370, rewards
    sess.close()


def test_td3_learns_pendulum_where_a_flipped_gradient_does_not():
    """TD3 (the td3 preset on Pendulum-v1, 40 episodes = 8,000 steps, 1,000 of them random).

    Metrics as above: E = greedy mean return over 10 evaluation episodes,
    I = mean training return of episodes 31-40 minus that of episodes 1-10.
    Measured, seeds 0-4, TF_ENABLE_ONEDNN_OPTS=1 | =0:
      E  -171 -481 -140 -171 -193 | -172 -185 -142 -171 -195   (worst -481)
      I  1198 1211  995 1191  942 | 1080  979 1120 1176  946   (worst  942)
    Actor gradient sign flipped (negative actor learning rate; seeds 0 and 1):
      E -1831 -1827, I -196 -399.
    Each threshold is half-way between the worst seed and the best flipped run:
      E > (-481 - 1827) / 2 = -1154, so -1150;  I > (942 - 196) / 2 = 373, so 370.
    """
    from ddpg.config import resolve
    from ddpg.core.agent import build_agent
    from ddpg.core.training import run_loop

    tf.reset_default_graph()
    sess = make_session(seed=0)
    config = resolve(preset="td3", overrides=dict(env_id="Pendulum-v1", max_episodes=40,
                                                  random_seed=0, eval_every=0))
    assert config.twin_critics and config.policy_delay == 2 and config.target_noise == 0.2
    env = gym.make("Pendulum-v1")
    agent = build_agent(config, env, sess)
    sess.run(tf.global_variables_initializer())
    state = run_loop(agent, env, config, log=lambda line: None)
    result = evaluate(gym.make("Pendulum-v1"), agent.actor, episodes=10, random_seed=0,
                      max_episode_len=200)
    assert result["mean_return"] > -1150, result["returns"]
    rewards = state.episode_rewards
    assert np.mean(rewards[-10:]) > np.mean(rewards[:10]) + 370, rewards
    sess.close()


def weights(sess):
    variables = tf.global_variables()
    return dict(zip([v.op.name for v in variables], sess.run(variables)))


def test_same_seed_same_rewards_and_weights():
    sess_a, _, state_a = pendulum_run(seed=11, episodes=4)
    weights_a = weights(sess_a)
    sess_a.close()
    sess_b, _, state_b = pendulum_run(seed=11, episodes=4)
    weights_b = weights(sess_b)
    sess_b.close()
    sess_c, _, state_c = pendulum_run(seed=12, episodes=4)
    sess_c.close()
    assert state_a.episode_rewards == state_b.episode_rewards
    assert state_a.total_updates > 500
    for name, value in weights_a.items():
        np.testing.assert_array_equal(weights_b[name], value, err_msg=name)
    assert state_c.episode_rewards != state_a.episode_rewards


def test_fused_and_tutorial_loops_give_the_same_episodes():
    sess, _, fused = pendulum_run(seed=5, episodes=2, fused=True)
    sess.close()
    sess, _, tutorial = pendulum_run(seed=5, episodes=2, fused=False)
    sess.close()
    np.testing.assert_allclose(fused.episode_rewards, tutorial.episode_rewards, rtol=1e-4)
