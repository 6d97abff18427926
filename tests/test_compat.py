"""The compatibility module: tflearn 0.5.0 imports and builds layers on today's stack."""
import numpy as np


def test_removed_names_are_restored_before_tflearn_imports():
    from PIL import Image
    from tensorflow.python.util import nest

    import ddpg.compat  # noqa: F401

    assert nest.is_sequence([1, 2]) and not nest.is_sequence(3)
    assert Image.ANTIALIAS == Image.LANCZOS


def test_graph_mode_with_resource_variables():
    from ddpg.compat import tf

    assert not tf.executing_eagerly()
    assert tf.resource_variables_enabled()


def test_fully_connected_layer_evaluates_to_its_weights(sess):
    from ddpg.compat import tf, tflearn

    inputs = tflearn.input_data(shape=[None, 3])
    uniform = tflearn.initializations.uniform(minval=-0.5, maxval=0.5)
    layer = tflearn.fully_connected(inputs, 4, activation="relu", weights_init=uniform,
                                    bias_init=tflearn.initializations.uniform(minval=0.1,
                                                                             maxval=0.2))
    sess.run(tf.global_variables_initializer())
    x = np.array([[1.0, -2.0, 0.5], [0.0, 0.3, -1.0]], dtype=np.float32)
    out, w, b = sess.run([layer, layer.W, layer.b], feed_dict={inputs: x})
    assert np.all(np.abs(w) <= 0.5) and np.all((b >= 0.1) & (b <= 0.2))
    np.testing.assert_allclose(out, np.maximum(x @ w + b, 0.0), rtol=1e-6)
