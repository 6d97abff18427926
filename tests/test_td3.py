"""TD3 as DDPG's settings: the twin-critic target, target smoothing, the delay, the fused graph."""
import numpy as np
import pytest

from ddpg.compat import tf
from ddpg.core.networks import ActorNetwork, CriticNetwork
from ddpg.core.update import (
    FusedUpdate,
    TutorialUpdate,
    smoothed_target_actions,
    twin_critic_targets,
)

# A 4-D state and a 2-D action with asymmetric bounds: half ranges 1.5 and 0.25.
LOW, HIGH = np.array([-1.0, 0.0], np.float32), np.array([2.0, 0.5], np.float32)


def test_twin_target_takes_the_smaller_value_and_stops_at_terminals():
    r = np.array([1.0, -2.0, 0.5, 3.0])
    t = np.array([False, False, True, False])
    q1 = np.array([10.0, -1.0, 7.0, 2.0])
    q2 = np.array([[4.0], [3.0], [-9.0], [2.0]])
    y = twin_critic_targets(r, t, q1, q2, gamma=0.9)
    assert y.shape == (4, 1) and y.dtype == np.float32
    # min(10, 4) = 4; min(-1, 3) = -1; terminal: r alone; a tie: 2.
    np.testing.assert_allclose(y[:, 0], [1.0 + 0.9 * 4.0, -2.0 - 0.9 * 1.0, 0.5, 3.0 + 0.9 * 2.0],
                               rtol=1e-6)


def test_smoothing_clips_the_noise_then_the_action_to_the_bounds():
    target = np.array([[0.5, 0.25], [1.9, 0.1], [-0.9, 0.45]], np.float32)
    noise = np.array([[0.2, -0.1], [0.9, -3.0], [-0.7, 0.3]], np.float32)
    out = smoothed_target_actions(target, noise, noise_clip=0.5, low=LOW, high=HIGH)
    # noise clipped to [-0.5, 0.5], times the half ranges (1.5, 0.25), then bounds.
    expected = np.array([
        [0.5 + 0.2 * 1.5, 0.25 - 0.1 * 0.25],       # inside everywhere
        [min(1.9 + 0.5 * 1.5, 2.0), max(0.1 - 0.5 * 0.25, 0.0)],  # clipped noise, then bounds
        [max(-0.9 - 0.5 * 1.5, -1.0), min(0.45 + 0.3 * 0.25, 0.5)],  # both bounds
    ], np.float32)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    assert out.dtype == np.float32
    assert (out >= LOW).all() and (out <= HIGH).all()


def build(sess, twin=True):
    from gymnasium import spaces

    box = spaces.Box(LOW, HIGH, dtype=np.float32)
    actor = ActorNetwork(sess, 4, 2, box, learning_rate=1e-3, tau=0.1, hidden_sizes=(32, 16))
    critics = [CriticNetwork(sess, 4, 2, 1e-3, 0.1, hidden_sizes=(32, 16), action_layer=1,
                             scope=scope) for scope in (("critic", "critic2") if twin else
                                                        ("critic",))]
    return actor, critics


def rows(rng, batch):
    s = rng.normal(size=(batch, 4))
    a = rng.uniform(LOW, HIGH, size=(batch, 2))
    r = rng.normal(size=(batch, 1))
    t = (np.arange(batch) % 5 == 0).astype(np.float64)[:, None]
    s2 = rng.normal(size=(batch, 4))
    return np.hstack([s, a, r, t, s2]).astype(np.float32)


def values(sess):
    variables = tf.global_variables()
    return dict(zip([v.op.name for v in variables], sess.run(variables)))


TD3_RULE = dict(target_noise=0.2, target_noise_clip=0.5, seed=5)


def test_fused_td3_moves_every_variable_as_the_tutorial_order_reference(sess):
    """Six updates with delay 2: the fused graphs against separate runs and NumPy targets."""
    actor, critics = build(sess)
    fused = FusedUpdate(sess, actor, critics, 0.99, batch_size=32, policy_delay=2, **TD3_RULE)
    reference = TutorialUpdate(sess, actor, critics, 0.99, **TD3_RULE)
    sess.run(tf.global_variables_initializer())
    variables = tf.global_variables()
    assert any(v.op.name.startswith("target_critic2/") for v in variables)
    initial = sess.run(variables)
    rng = np.random.default_rng(0)
    batches = [rows(rng, 32) for _ in range(6)]
    next_states = [rng.normal(size=4).astype(np.float32) for _ in range(6)]
    schedule = [(i + 1) % 2 == 0 for i in range(6)]  # the loop's rule: every 2nd update

    def run(update):
        out = [update.run(b, s, step) for b, s, step in zip(batches, next_states, schedule)]
        return [o[0] for o in out], [o[1] for o in out]

    reference_actions, reference_stats = run(reference)
    after_reference = values(sess)
    for var, value in zip(variables, initial):
        var.load(value, sess)
    fused_actions, fused_stats = run(fused)
    after_fused = values(sess)

    before = dict(zip([v.op.name for v in variables], initial))
    for name, expected in after_reference.items():
        np.testing.assert_allclose(after_fused[name], expected, rtol=1e-5, atol=1e-6,
                                   err_msg=name)
        assert not np.array_equal(expected, before[name]), f"{name} never moved"
    np.testing.assert_allclose(fused_actions, reference_actions, rtol=1e-5, atol=1e-6)
    # Max Q and the summed critic losses agree too.
    np.testing.assert_allclose(np.array(fused_stats)[:, :2], np.array(reference_stats)[:, :2],
                               rtol=1e-4)


def test_between_delayed_steps_only_the_critics_move(sess):
    actor, critics = build(sess)
    fused = FusedUpdate(sess, actor, critics, 0.99, policy_delay=3, **TD3_RULE)
    sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(1)
    before = values(sess)
    action, stats = fused.run(rows(rng, 16), np.ones(4, np.float32), policy_step=False)
    after = values(sess)
    for name, value in before.items():
        moved = not np.array_equal(after[name], value)
        in_critic_step = name.startswith(("critic/", "critic2/")) or \
            ("beta" in name and "critic" in name and "target" not in name)
        assert moved == in_critic_step, name
    # The unchanged actor acts; no actor loss on a critic-only step.
    np.testing.assert_allclose(action, actor.predict(np.ones((1, 4), np.float32))[0], rtol=1e-6)
    assert stats[2] == 0.0
    # The delayed step moves the actor and every target.
    fused.run(rows(rng, 16), np.ones(4, np.float32), policy_step=True)
    last = values(sess)
    for name in after:
        if name.startswith(("actor/", "target_actor/", "target_critic/", "target_critic2/")):
            assert not np.array_equal(last[name], after[name]), name


def test_graph_target_is_the_twin_min_of_smoothed_actions(sess):
    actor, critics = build(sess)
    fused = FusedUpdate(sess, actor, critics, 0.9, **TD3_RULE)
    sess.run(tf.global_variables_initializer())
    batch = rows(np.random.default_rng(2), 16)
    s, a, r, t, s2 = fused.layout.split(batch)
    noise = np.random.default_rng(3).normal(scale=0.4, size=(16, 2)).astype(np.float32)
    smoothed = smoothed_target_actions(actor.predict_target(s2), noise, 0.5, LOW, HIGH)
    expected = twin_critic_targets(r, t, critics[0].predict_target(s2, smoothed),
                                   critics[1].predict_target(s2, smoothed), 0.9)
    y = sess.run(fused.y, {fused.rows: batch, fused.target_noise: noise})
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-6)
    # With a clip of 0.5 some noise was cut: the unclipped sum would differ.
    assert (np.abs(noise) > 0.5).any()


def test_the_td3_preset_is_fujimoto2018_with_the_three_switches():
    from ddpg.config import DEFAULTS, resolve

    ddpg, td3 = resolve(preset="fujimoto2018"), resolve(preset="td3")
    switches = {"twin_critics": True, "policy_delay": 2, "target_noise": 0.2,
                "target_noise_clip": 0.5}
    for name, value in switches.items():
        assert getattr(td3, name) == value
        assert getattr(ddpg, name) == getattr(DEFAULTS, name)  # DDPG: switches off
    differing = {k for k, v in td3.to_dict().items() if ddpg.to_dict()[k] != v}
    # The clip's default is already the paper's 0.5; it only matters with noise.
    assert differing == {"preset", "twin_critics", "policy_delay", "target_noise"}
    cheetah = resolve(preset="td3", overrides={"env_id": "HalfCheetah-v5"})
    assert (cheetah.start_steps, cheetah.learning_starts) == (10000, 10000)


@pytest.mark.parametrize("delay", [1, 2, 3])
def test_the_loop_steps_the_actor_on_every_delay_th_update(sess, delay):
    """Counted across episodes: the delay follows the run's update count, not the episode's."""
    import gymnasium as gym

    from ddpg.config import TrainConfig
    from ddpg.core.agent import build_agent
    from ddpg.core.training import run_loop

    config = TrainConfig(max_episodes=3, max_episode_len=15, minibatch_size=8,
                         buffer_size=1000, hidden_sizes=(8, 8), policy_delay=delay,
                         twin_critics=delay > 1, target_noise=0.2 if delay > 1 else 0.0)
    env = gym.make("Pendulum-v1")
    agent = build_agent(config, env, sess)
    calls = []
    original = agent.update.run

    def recording(rows_, next_state, policy_step=True):
        calls.append(policy_step)
        return original(rows_, next_state, policy_step)

    agent.update.run = recording
    sess.run(tf.global_variables_initializer())
    state = run_loop(agent, env, config, hooks=None, log=lambda line: None)
    assert len(calls) == state.total_updates == 45 - 8
    assert calls == [(i + 1) % delay == 0 for i in range(len(calls))]
