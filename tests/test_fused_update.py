"""The fused op moves every variable exactly as the tutorial's sequence of calls."""
import numpy as np
import pytest
from conftest import random_rows

from ddpg.compat import tf
from ddpg.core.update import FusedUpdate, TutorialUpdate


def all_values(sess):
    variables = tf.global_variables()
    return {v.op.name: value for v, value in zip(variables, sess.run(variables))}


@pytest.mark.parametrize("batch_size", [None, 64])
def test_three_fused_steps_equal_three_tutorial_steps(nets, batch_size):
    """Both graphs: any batch size (None), and the fixed one the training loop builds."""
    sess, actor, critic = nets
    gamma = 0.99
    fused = FusedUpdate(sess, actor, critic, gamma, batch_size=batch_size)
    tutorial = TutorialUpdate(sess, actor, critic, gamma)
    variables = tf.global_variables()
    names = {v.op.name for v in variables}
    # Adam slots and step counters are part of the comparison.
    assert any("Adam" in n for n in names) and any("beta1_power" in n for n in names)
    initial = sess.run(variables)
    rng = np.random.default_rng(0)
    batches = [random_rows(rng, 64) for _ in range(3)]
    next_states = [rng.normal(size=3).astype(np.float32) for _ in range(3)]

    tutorial_actions = [tutorial.run(b, s)[0] for b, s in zip(batches, next_states)]
    after_tutorial = all_values(sess)
    for var, value in zip(variables, initial):
        var.load(value, sess)
    fused_actions = [fused.run(b, s)[0] for b, s in zip(batches, next_states)]
    after_fused = all_values(sess)

    moved = 0
    for name, expected in after_tutorial.items():
        np.testing.assert_allclose(after_fused[name], expected, rtol=1e-5, atol=1e-7,
                                   err_msg=name)
        moved += not np.array_equal(expected, dict(zip([v.op.name for v in variables],
                                                       initial))[name])
    assert moved == len(variables)  # every variable, Adam slots included, changed
    np.testing.assert_allclose(fused_actions, tutorial_actions, rtol=1e-5, atol=1e-7)


def test_fused_statistics_report_q_max_and_losses(nets):
    sess, actor, critic = nets
    fused = FusedUpdate(sess, actor, critic, 0.9)
    rows = random_rows(np.random.default_rng(1), 64)
    s, a, r, t, s2 = fused.layout.split(rows)
    q = critic.predict(s, a)
    y = np.where(t > 0.5, r, r + 0.9 * critic.predict_target(s2, actor.predict_target(s2)))
    action, stats = fused.run(rows, s2[0])
    assert action.shape == (1,)
    np.testing.assert_allclose(stats[0], q.max(), rtol=1e-5)
    np.testing.assert_allclose(stats[1], np.mean((y - q) ** 2), rtol=1e-4)
    np.testing.assert_allclose(action, actor.predict(s2[:1])[0], rtol=1e-5)


def test_a_fixed_batch_graph_has_its_shapes_folded(nets):
    """Fixing the batch lets Grappler drop the gradients' shape arithmetic.

    Counted on the graph TensorFlow actually runs (a traced run): the
    fixed-batch update must execute fewer ops than the any-batch one.
    """
    sess, actor, critic = nets
    rows = random_rows(np.random.default_rng(2), 64)
    next_state = np.zeros((1, 3), np.float32)

    def executed_ops(update):
        metadata = tf.RunMetadata()
        sess.run([update.outputs, update.train_op],
                 {update.rows: rows, update.next_state: next_state},
                 options=tf.RunOptions(trace_level=tf.RunOptions.SOFTWARE_TRACE),
                 run_metadata=metadata)
        return sum(len(device.node_stats) for device in metadata.step_stats.dev_stats)

    fixed = executed_ops(FusedUpdate(sess, actor, critic, 0.99, batch_size=64))
    anysize = executed_ops(FusedUpdate(sess, actor, critic, 0.99))
    assert fixed < anysize - 10
