"""Target networks: exact copies at init, and the soft update against NumPy."""
import numpy as np


def pairs(actor, critic):
    return list(zip(actor.network_params + critic.network_params,
                    actor.target_network_params + critic.target_network_params))


def test_targets_equal_their_networks_right_after_initialisation(nets):
    sess, actor, critic = nets
    for online, target in pairs(actor, critic):
        a, b = sess.run([online, target])
        np.testing.assert_array_equal(a, b)
        assert np.any(a != 0) or online.op.name.endswith("/b")
    s = np.random.default_rng(0).normal(size=(5, 3))
    np.testing.assert_array_equal(actor.predict(s), actor.predict_target(s))


def perturb(sess, variables, rng, scale=0.1):
    for var in variables:
        shape = var.shape.as_list()
        sess.run(var.assign(rng.normal(scale=scale, size=shape).astype(np.float32)))


def test_one_update_is_tau_theta_plus_one_minus_tau_theta_prime(nets):
    sess, actor, critic = nets
    rng = np.random.default_rng(1)
    perturb(sess, actor.target_network_params + critic.target_network_params, rng)
    before = [(sess.run(o), sess.run(t)) for o, t in pairs(actor, critic)]
    actor.update_target_network()
    critic.update_target_network()
    tau = 0.1
    for (theta, theta_prime), (_, target) in zip(before, pairs(actor, critic)):
        expected = tau * theta + (1 - tau) * theta_prime
        np.testing.assert_allclose(sess.run(target), expected, rtol=1e-5, atol=1e-7)


def test_k_updates_with_frozen_weights_match_the_closed_form(nets):
    """theta'_k = theta + (1 - tau)^k (theta'_0 - theta) when theta is frozen."""
    sess, actor, critic = nets
    rng = np.random.default_rng(2)
    perturb(sess, actor.network_params + critic.network_params, rng, scale=0.5)
    start = [(sess.run(o), sess.run(t)) for o, t in pairs(actor, critic)]
    k, tau = 25, 0.1
    for _ in range(k):
        actor.update_target_network()
        critic.update_target_network()
    for (theta, theta_prime0), (online, target) in zip(start, pairs(actor, critic)):
        expected = theta + (1 - tau) ** k * (theta_prime0 - theta)
        np.testing.assert_allclose(sess.run(target), expected, rtol=1e-4, atol=1e-6)
        np.testing.assert_array_equal(sess.run(online), theta)


def test_targets_do_not_move_when_only_the_networks_train(nets):
    sess, actor, critic = nets
    targets = [sess.run(t) for _, t in pairs(actor, critic)]
    s = np.ones((4, 3), np.float32)
    critic.train(s, np.ones((4, 1)), np.ones((4, 1)))
    actor.train(s, np.ones((4, 1)))
    for value, (_, target) in zip(targets, pairs(actor, critic)):
        np.testing.assert_array_equal(sess.run(target), value)
    assert not np.array_equal(sess.run(actor.network_params[0]), targets[0])
