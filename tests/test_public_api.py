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


def test_every_command_the_readme_names_is_an_installed_console_script():
    """`pip install .` must give each command, and each must lead to its scripts/ twin."""
    import importlib
    import os
    import re
    from importlib.metadata import entry_points

    from conftest import REPO_DIR

    with open(os.path.join(REPO_DIR, "README.md"), encoding="utf-8") as handle:
        # A command where one is typed (a line's start, after a space or a backtick),
        # not a path such as /tmp/ddpg-ray-<uid>.
        named = set(re.findall(r"(?:^|[\s`])(ddpg-[a-z]+)(?=[\s`,.])", handle.read(), re.M))
    assert {"ddpg-train", "ddpg-sweep", "ddpg-tune"} <= named
    installed = {e.name: e for e in entry_points(group="console_scripts")
                 if e.name.startswith("ddpg-")}
    assert named <= set(installed), named - set(installed)
    for name in named:
        module, _, function = installed[name].value.partition(":")
        assert module.startswith("ddpg_scripts.")
        assert callable(getattr(importlib.import_module(module), function))
        script = os.path.join(REPO_DIR, "scripts", module.split(".")[1] + ".py")
        assert os.path.exists(script), script
