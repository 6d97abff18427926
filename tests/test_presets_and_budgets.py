"""Presets, step budgets, start steps, learning starts, L2 and the first-layer critic."""
import dataclasses
import json

import envs  # noqa: F401  (registers the test environments)
import numpy as np
import pytest
from conftest import RecordActions, build_agent

from ddpg import config as settings
from ddpg.compat import tf
from ddpg.core.networks import ActorNetwork, CriticNetwork
from ddpg.core.training import train
from ddpg.core.update import FusedUpdate, TutorialUpdate
from ddpg.envs import make_env


def relu(x):
    return np.maximum(x, 0.0)


# -- presets ---------------------------------------------------------------------

def test_presets_fill_settings_and_explicit_values_override():
    fujimoto = settings.resolve("fujimoto2018", {"env_id": "Hopper-v5"})
    assert (fujimoto.actor_lr, fujimoto.critic_lr, fujimoto.tau, fujimoto.minibatch_size) == \
        (1e-3, 1e-3, 5e-3, 100)
    assert fujimoto.critic_action_layer == 1 and fujimoto.critic_l2 == 0.0
    assert (fujimoto.noise, fujimoto.gaussian_sigma) == ("gaussian", 0.1)
    assert (fujimoto.start_steps, fujimoto.eval_every, fujimoto.eval_episodes) == (1000, 5000, 10)
    assert fujimoto.learning_starts == fujimoto.start_steps  # no update before the policy acts
    for env_id in ("HalfCheetah-v5", "Ant-v5"):
        long_start = settings.resolve("fujimoto2018", {"env_id": env_id})
        assert long_start.start_steps == long_start.learning_starts == 10000
    lillicrap = settings.resolve("lillicrap2015")
    assert (lillicrap.critic_l2, lillicrap.ou_sigma, lillicrap.ou_theta) == (1e-2, 0.2, 0.15)
    assert lillicrap.critic_action_layer == 2 and lillicrap.minibatch_size == 64
    assert settings.resolve("tutorial") == settings.DEFAULTS
    overridden = settings.resolve("fujimoto2018", {"tau": 0.01, "env_id": "HalfCheetah-v5",
                                                   "start_steps": 5})
    assert overridden.tau == 0.01 and overridden.start_steps == 5
    assert overridden.minibatch_size == 100 and overridden.preset == "fujimoto2018"


def test_command_line_flags_override_the_preset():
    from ddpg.cli.train import build_parser, config_from_args, defaults_from_constants

    defaults = defaults_from_constants()
    args = build_parser(defaults, "x").parse_args(
        ["--preset", "fujimoto2018", "--env", "Ant-v5", "--minibatch-size", "32",
         "--hidden-sizes", "64,32"])
    config = config_from_args(args, defaults)
    assert config.minibatch_size == 32 and config.hidden_sizes == (64, 32)
    assert config.tau == 5e-3 and config.start_steps == 10000


@pytest.mark.parametrize("change,words", [
    ({"preset": "nope"}, "--preset"), ({"hidden_sizes": ()}, "--hidden-sizes"),
    ({"critic_action_layer": 3}, "--critic-action-layer"), ({"critic_l2": -1.0}, "--critic-l2"),
    ({"total_steps": -5}, "--total-steps"), ({"hidden_init": "he"}, "--hidden-init"),
])
def test_bad_new_settings_are_refused(change, words):
    with pytest.raises(settings.UserError, match=words):
        settings.validate(dataclasses.replace(settings.DEFAULTS, **change))


# -- the networks the papers used --------------------------------------------------

def test_first_layer_critic_matches_numpy(sess):
    critic = CriticNetwork(sess, 3, 2, 1e-3, 0.1, hidden_sizes=(16, 8), action_layer=1)
    sess.run(tf.global_variables_initializer())
    names = [v.op.name for v in critic.network_params]
    assert names == ["critic/fc1/W", "critic/fc1/b", "critic/fc2/W", "critic/fc2/b",
                     "critic/out/W", "critic/out/b"]
    w1, b1, w2, b2, w3, b3 = sess.run(critic.network_params)
    assert w1.shape == (5, 16)  # reads [s, a]
    rng = np.random.default_rng(0)
    s, a = rng.normal(size=(7, 3)), rng.normal(size=(7, 2))
    expected = relu(relu(np.hstack([s, a]) @ w1 + b1) @ w2 + b2) @ w3 + b3
    np.testing.assert_allclose(critic.predict(s, a), expected, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(critic.predict_target(s, a), expected, rtol=1e-4, atol=1e-6)


def test_l2_weight_decay_is_in_the_critic_loss(sess):
    l2 = 5.0  # large, so that the term stands out of float32 rounding
    critic = CriticNetwork(sess, 3, 1, 1e-3, 0.1, hidden_sizes=(8, 4), l2=l2)
    sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(1)
    s, a, y = rng.normal(size=(5, 3)), rng.normal(size=(5, 1)), rng.normal(size=(5, 1))
    q = critic.predict(s, a)
    squares = sum(float(np.sum(v.astype(np.float64) ** 2))
                  for v in sess.run(critic.network_params))
    expected = np.mean((y - q) ** 2) + l2 * 0.5 * squares
    loss = sess.run(critic.loss, {critic.inputs: s, critic.action: a,
                                  critic.predicted_q_value: y})
    assert l2 * 0.5 * squares > 0.01  # the term is not negligible
    assert loss == pytest.approx(expected, rel=1e-5)


def test_fan_in_init_bounds_hidden_layers(sess):
    actor = ActorNetwork(sess, 3, 1, 2.0, 1e-3, 0.1, hidden_sizes=(400, 300),
                         hidden_init="fan_in")
    sess.run(tf.global_variables_initializer())
    w1, b1, w2, _, w3, _ = sess.run(actor.network_params)
    assert np.abs(w1).max() <= 1 / np.sqrt(3) and np.abs(w1).max() > 0.9 / np.sqrt(3)
    assert np.abs(b1).max() <= 1 / np.sqrt(3)
    assert np.abs(w2).max() <= 1 / np.sqrt(400) and np.abs(w3).max() <= 3e-3


@pytest.mark.parametrize("action_layer,l2", [(1, 0.0), (2, 1e-2), (1, 1e-2)])
def test_fused_update_equals_tutorial_order_with_every_option(sess, action_layer, l2):
    from conftest import random_rows

    actor = ActorNetwork(sess, 3, 1, 2.0, 1e-3, 0.1, hidden_sizes=(32, 16))
    critic = CriticNetwork(sess, 3, 1, 1e-3, 0.1, hidden_sizes=(32, 16),
                           action_layer=action_layer, l2=l2)
    fused = FusedUpdate(sess, actor, critic, 0.99)
    tutorial = TutorialUpdate(sess, actor, critic, 0.99)
    sess.run(tf.global_variables_initializer())
    variables = tf.global_variables()
    initial = sess.run(variables)
    rng = np.random.default_rng(2)
    batches = [random_rows(rng, 32) for _ in range(3)]
    for rows in batches:
        tutorial.run(rows, rows[0, :3])
    after_tutorial = sess.run(variables)
    for var, value in zip(variables, initial):
        var.load(value, sess)
    for rows in batches:
        fused.run(rows, rows[0, :3])
    for var, expected, got, before in zip(variables, after_tutorial, sess.run(variables),
                                          initial):
        np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-7, err_msg=var.op.name)
        assert not np.array_equal(expected, before), var.op.name


# -- start steps and learning starts ---------------------------------------------------

class CountingActor:
    """Counts predict calls of a real actor (the policy being queried)."""

    def __init__(self, actor):
        self.actor = actor
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self.actor, name)

    def predict(self, inputs):
        self.calls += 1
        return self.actor.predict(inputs)


def build(env_id, seed=0):
    env = make_env(env_id)
    sess, actor, critic = build_agent(env, seed, actor_lr=1e-3, critic_lr=1e-3, tau=1e-2)
    return sess, env, actor, critic


@pytest.mark.slow
def test_start_steps_are_uniform_within_bounds_and_the_policy_is_not_queried():
    sess, env, actor, critic = build("envs:TargetReach-v0")
    counting, recorder = CountingActor(actor), RecordActions(env)
    state = train(sess, recorder, counting, critic, total_steps=2000, start_steps=2000,
                  learning_starts=10 ** 6, minibatch_size=16, log=lambda line: None)
    actions = np.array(recorder.actions)
    assert state.total_steps == 2000 and len(actions) == 2000
    assert counting.calls == 0 and state.total_updates == 0
    low, high = env.action_space.low, env.action_space.high
    assert np.all(actions >= low) and np.all(actions <= high)
    # Uniform: each tenth of each range holds about a tenth of the actions.
    for dim in range(2):
        counts, _ = np.histogram(actions[:, dim], bins=10, range=(low[dim], high[dim]))
        assert counts.min() > 140 and counts.max() < 260, counts
    sess.close()


@pytest.mark.slow
def test_policy_acts_after_start_steps_and_learning_waits_for_learning_starts():
    sess, env, actor, critic = build("envs:TargetReach-v0")
    counting = CountingActor(actor)
    state = train(sess, env, counting, critic, total_steps=300, start_steps=100,
                  learning_starts=250, minibatch_size=16, log=lambda line: None)
    assert state.total_steps == 300
    assert state.total_updates == 300 - 250 + 1  # the first update when 250 are stored
    assert counting.calls > 0
    sess.close()


@pytest.mark.slow
def test_total_steps_ends_mid_episode_and_counts_from_a_resumed_state():
    sess, env, actor, critic = build("Pendulum-v1")
    state = train(sess, env, actor, critic, total_steps=250, minibatch_size=16,
                  log=lambda line: None)
    assert state.total_steps == 250 and state.episode == 2  # 200 + a cut episode of 50
    state = train(sess, env, actor, critic, total_steps=600, state=state, initialize=False,
                  minibatch_size=16, log=lambda line: None)
    assert state.total_steps == 600 and state.episode == 4
    sess.close()


@pytest.mark.slow
def test_eval_hook_runs_every_n_steps():
    sess, env, actor, critic = build("Pendulum-v1")
    seen = []
    train(sess, env, actor, critic, total_steps=500, eval_every=150, on_eval=seen.append,
          minibatch_size=16, log=lambda line: None)
    assert seen == [150, 300, 450]
    sess.close()


def test_config_json_round_trip_keeps_the_preset(tmp_path):
    config = settings.resolve("fujimoto2018", {"env_id": "Pendulum-v1"})
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config.to_dict()))
    assert settings.TrainConfig(**json.loads(path.read_text())) == config
