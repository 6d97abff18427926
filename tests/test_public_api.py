"""The names the README promises: each resolves from `ddpg`, and the settings-first API runs."""
import gymnasium as gym
import numpy as np

import ddpg


def test_every_exported_name_resolves():
    for name in ddpg.__all__:
        assert getattr(ddpg, name) is not None, name
    for name in ("build_agent", "run_loop", "twin_critic_targets", "smoothed_target_actions",
                 "train", "build_summaries", "TrainConfig"):
        assert name in ddpg.__all__, name


def test_build_agent_and_run_loop_train_twin_critics_from_settings():
    """The README's settings-first example, with a small budget: TD3's switches reach the graph."""
    from ddpg.compat import tf
    from ddpg.config import resolve

    tf.reset_default_graph()
    config = resolve(preset="td3", overrides={
        "env_id": "Pendulum-v1", "max_episodes": 2, "max_episode_len": 60,
        "hidden_sizes": (16, 16), "start_steps": 20, "learning_starts": 0,
        "minibatch_size": 16})
    env = gym.make("Pendulum-v1")
    sess = ddpg.make_session(seed=config.random_seed)
    agent = ddpg.build_agent(config, env, sess)
    assert [c.scope for c in agent.critics] == ["critic", "critic2"]
    assert agent.update.smoothing is not None and agent.update.smoothing.sigma == 0.2
    sess.run(tf.global_variables_initializer())
    before = sess.run(agent.actor.target_network_params)
    state = ddpg.run_loop(agent, env, config, log=lambda line: None)
    assert state.episode == 2 and state.total_steps == 120
    assert state.total_updates == 120 - 16
    after = sess.run(agent.actor.target_network_params)
    assert any(not np.array_equal(a, b) for a, b in zip(before, after))
    sess.close()
