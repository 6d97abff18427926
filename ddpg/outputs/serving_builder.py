"""Builds the exported policy: a TF2 SavedModel (and TFLite) from plain NumPy weights.

Run as a script in a child process by ddpg/outputs/export.py, never
imported by the package: the package puts TensorFlow in TF1 graph mode for
the whole process (ddpg/compat.py), while a SavedModel that loads with
plain `tf.saved_model.load` and converts to TFLite is made most simply in
eager mode.  So this file imports only NumPy and TensorFlow: the model it
writes cannot depend on ddpg or tflearn, because they were never loaded.

    python serving_builder.py WEIGHTS.npz SPEC.json OUT_DIR

WEIGHTS.npz holds W0, b0, W1, b1, ... (the actor's layers in order: ReLU
hidden layers, then the tanh output layer); SPEC.json holds `center`,
`half_range`, `low`, `high` (per action dimension) and `tflite` (a file
name inside OUT_DIR, or null).
"""
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


class Policy(tf.Module):
    """mu(s) = clip(center + half_range * tanh(relu(... relu(s W0 + b0) ...) Wn + bn))."""

    def __init__(self, layers, center, half_range, low, high):
        super().__init__(name="ddpg_policy")
        self.weights = [tf.Variable(w, trainable=False, name=f"W{i}")
                        for i, (w, _) in enumerate(layers)]
        self.biases = [tf.Variable(b, trainable=False, name=f"b{i}")
                       for i, (_, b) in enumerate(layers)]
        self.center = tf.constant(center, tf.float32)
        self.half_range = tf.constant(half_range, tf.float32)
        self.low = tf.constant(low, tf.float32)
        self.high = tf.constant(high, tf.float32)
        obs_dim = int(layers[0][0].shape[0])
        spec = tf.TensorSpec([None, obs_dim], tf.float32, name="observation")
        self.serve = tf.function(self._serve, input_signature=[spec])

    def _serve(self, observation):
        net = observation
        for w, b in zip(self.weights[:-1], self.biases[:-1]):
            net = tf.nn.relu(tf.nn.bias_add(tf.matmul(net, w), b))
        out = tf.tanh(tf.nn.bias_add(tf.matmul(net, self.weights[-1]), self.biases[-1]))
        action = tf.clip_by_value(self.center + self.half_range * out, self.low, self.high)
        return {"action": tf.identity(action, name="action")}


def build(weights_path, spec_path, out_dir):
    with open(spec_path, encoding="utf-8") as handle:
        spec = json.load(handle)
    with np.load(weights_path) as data:
        count = len([key for key in data.files if key.startswith("W")])
        layers = [(data[f"W{i}"].astype(np.float32), data[f"b{i}"].astype(np.float32))
                  for i in range(count)]
    policy = Policy(layers, spec["center"], spec["half_range"], spec["low"], spec["high"])
    tf.saved_model.save(policy, out_dir, signatures={"serving_default": policy.serve})
    if spec.get("tflite"):
        converter = tf.lite.TFLiteConverter.from_saved_model(out_dir)
        with open(os.path.join(out_dir, spec["tflite"]), "wb") as handle:
            handle.write(converter.convert())


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    build(*sys.argv[1:])
