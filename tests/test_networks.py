"""Actor and critic: shapes, bounds, variables by scope, gradients against NumPy."""
import numpy as np
import pytest

from ddpg.compat import tf


def relu(x):
    return np.maximum(x, 0.0)


def critic_numpy(weights, s, a):
    """Q(s, a) and dQ/da computed by hand from the critic's weights."""
    w1, b1, w2s, w2a, b2, w3, b3 = weights
    h1 = relu(s @ w1 + b1)
    z = h1 @ w2s + a @ w2a + b2
    q = relu(z) @ w3 + b3
    dq_da = ((z > 0) * w3[:, 0]) @ w2a.T
    return q, dq_da


def actor_numpy(weights, s, bound):
    w1, b1, w2, b2, w3, b3 = weights
    h1 = relu(s @ w1 + b1)
    h2 = relu(h1 @ w2 + b2)
    return bound * np.tanh(h2 @ w3 + b3), (h1, h2)


def test_variables_are_found_by_scope_not_by_slicing(nets):
    _, actor, critic = nets
    names = lambda vs: [v.op.name for v in vs]  # noqa: E731
    assert names(actor.network_params) == [
        "actor/fc1/W", "actor/fc1/b", "actor/fc2/W", "actor/fc2/b", "actor/out/W", "actor/out/b"]
    assert all(n.startswith("target_actor/") for n in names(actor.target_network_params))
    assert all(n.startswith("critic/") for n in names(critic.network_params))
    assert all(n.startswith("target_critic/") for n in names(critic.target_network_params))
    assert len(critic.network_params) == 7
    assert actor.get_num_trainable_vars() == 12


def test_layer_sizes_and_final_layer_init(nets):
    sess, actor, critic = nets
    shapes = [tuple(v.shape.as_list()) for v in actor.network_params]
    assert shapes == [(3, 400), (400,), (400, 300), (300,), (300, 1), (1,)]
    shapes = [tuple(v.shape.as_list()) for v in critic.network_params]
    assert shapes == [(3, 400), (400,), (400, 300), (1, 300), (300,), (300, 1), (1,)]
    for final in (actor.network_params[4], critic.network_params[5]):
        w = sess.run(final)
        assert np.all(np.abs(w) <= 3e-3) and np.std(w) > 1e-4


def test_actor_output_matches_numpy_and_stays_in_bounds(nets):
    sess, actor, _ = nets
    s = np.random.default_rng(0).normal(size=(32, 3)).astype(np.float32) * 50
    weights = sess.run(actor.network_params)
    expected, _ = actor_numpy(weights, s, 2.0)
    got = actor.predict(s)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-6)
    assert np.all(np.abs(got) <= 2.0)


def test_asymmetric_bounds_map_tanh_affinely(sess):
    from gymnasium import spaces

    from ddpg.core.networks import ActorNetwork

    box = spaces.Box(low=np.array([0.0, -3.0], np.float32), high=np.array([1.0, 5.0], np.float32))
    actor = ActorNetwork(sess, 4, 2, box, 1e-3, 0.01)
    sess.run(tf.global_variables_initializer())
    out_b = actor.network_params[5]
    # Saturate tanh both ways through the output bias to reach the bounds.
    for sign, expected in ((+1, [1.0, 5.0]), (-1, [0.0, -3.0])):
        sess.run(out_b.assign(sign * np.full(2, 50.0, np.float32)))
        np.testing.assert_allclose(actor.predict(np.zeros((1, 4)))[0], expected, atol=1e-5)
    sess.run(out_b.assign(np.zeros(2, np.float32)))
    sess.run(actor.network_params[4].assign(np.zeros((300, 2), np.float32)))
    np.testing.assert_allclose(actor.predict(np.zeros((1, 4)))[0], [0.5, 1.0], atol=1e-6)


def test_critic_q_and_action_gradients_match_numpy(nets):
    sess, _, critic = nets
    rng = np.random.default_rng(1)
    s = rng.normal(size=(16, 3)).astype(np.float32)
    a = rng.uniform(-2, 2, size=(16, 1)).astype(np.float32)
    # Larger final weights so that dQ/da is far from zero.
    sess.run(critic.network_params[5].assign(rng.normal(size=(300, 1)).astype(np.float32)))
    q_expected, grad_expected = critic_numpy(sess.run(critic.network_params), s, a)
    np.testing.assert_allclose(critic.predict(s, a), q_expected, rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(critic.action_gradients(s, a)[0], grad_expected,
                               rtol=1e-4, atol=1e-5)


def test_actor_gradient_is_the_deterministic_policy_gradient(nets):
    """d/dtheta of mean_i dQ/da_i * mu(s_i), by hand for the output layer."""
    sess, actor, _ = nets
    rng = np.random.default_rng(2)
    s = rng.normal(size=(8, 3)).astype(np.float32)
    dq_da = rng.normal(size=(8, 1)).astype(np.float32)
    grads = sess.run(actor.actor_gradients, feed_dict={actor.inputs: s,
                                                       actor.action_gradient: dq_da})
    weights = sess.run(actor.network_params)
    mu, (_, h2) = actor_numpy(weights, s, 2.0)
    dmu_dpre = 2.0 * (1.0 - (mu / 2.0) ** 2)          # bound * tanh'
    upstream = -(dq_da * dmu_dpre) / len(s)           # minimise -Q, mean over the batch
    np.testing.assert_allclose(grads[5], upstream.sum(axis=0), rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(grads[4], h2.T @ upstream, rtol=1e-3, atol=1e-7)


def test_actor_step_goes_uphill_on_a_fixed_critic(nets):
    """One actor update raises the batch's mean Q(s, mu(s)); the critic is untouched."""
    sess, actor, critic = nets
    rng = np.random.default_rng(3)
    sess.run(critic.network_params[5].assign(rng.normal(size=(300, 1)).astype(np.float32)))
    critic_before = sess.run(critic.network_params)
    s = rng.normal(size=(64, 3)).astype(np.float32)
    q_before = critic.predict(s, actor.predict(s)).mean()
    out_b_before = sess.run(actor.network_params[5])
    grads = critic.action_gradients(s, actor.predict(s))
    actor.train(s, grads[0])
    q_after = critic.predict(s, actor.predict(s)).mean()
    assert q_after > q_before
    # Adam's first step moves each weight by about the learning rate, uphill:
    # the sign of the output-bias change is the sign of mean dQ/da * dmu/db.
    mu = actor.predict(s)
    expected_sign = np.sign(np.mean(grads[0] * 2.0 * (1 - (mu / 2.0) ** 2)))
    change = sess.run(actor.network_params[5]) - out_b_before
    assert np.sign(change[0]) == expected_sign
    assert abs(change[0]) == pytest.approx(1e-3, rel=0.05)
    for before, after in zip(critic_before, sess.run(critic.network_params)):
        np.testing.assert_array_equal(before, after)


def test_critic_train_reduces_the_squared_error_and_returns_q(nets):
    sess, actor, critic = nets
    rng = np.random.default_rng(4)
    s = rng.normal(size=(64, 3)).astype(np.float32)
    a = rng.uniform(-2, 2, size=(64, 1)).astype(np.float32)
    y = rng.normal(size=(64, 1)).astype(np.float32)
    q0 = critic.predict(s, a)
    out, _ = critic.train(s, a, y)
    np.testing.assert_allclose(out, q0, rtol=1e-6)
    for _ in range(20):
        critic.train(s, a, y)
    assert np.mean((critic.predict(s, a) - y) ** 2) < np.mean((q0 - y) ** 2)
