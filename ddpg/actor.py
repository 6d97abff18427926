"""The deterministic policy mu(s) of DDPG and its slowly tracking target."""
import numpy as np

from ddpg.action_scaling import ActionScaling
from ddpg.compat import tf, tflearn
from ddpg.layers import layer_initializers
from ddpg.variables import scope_variables, target_update_groups

HIDDEN_UNITS = (400, 300)
LAYER_NAMES = ("fc1", "fc2", "out")


def actor_layers(states, action_dim, scaling, copy_from=None, reuse=False):
    """Build 400-ReLU -> 300-ReLU -> tanh(action_dim) on `states`.

    Call inside the variable scope that should own the weights.  With
    `reuse=True` the existing weights are read again, at the point of the
    graph where this is called: the fused update uses that to read weights
    after they change.  `copy_from` (another actor's variables) makes a
    target network whose initial weights equal those.
    """
    init = layer_initializers(LAYER_NAMES, copy_from)
    net = tflearn.fully_connected(states, HIDDEN_UNITS[0], activation="relu",
                                  scope="fc1", reuse=reuse, **init["fc1"])
    net = tflearn.fully_connected(net, HIDDEN_UNITS[1], activation="relu",
                                  scope="fc2", reuse=reuse, **init["fc2"])
    out = tflearn.fully_connected(net, action_dim, activation="tanh",
                                  scope="out", reuse=reuse, **init["out"])
    return scaling.center + scaling.half_range * out


class ActorNetwork:
    """Actor mu(s) and target mu'(s) with the tutorial's public methods.

    Trained from action gradients dQ/da handed over by the critic: the
    deterministic policy gradient is grad_theta mu(s) * dQ/da, averaged over
    the batch.  `action_bound` may be a number or per-dimension array
    (symmetric bounds, as in the tutorial) or a Box space (any bounds).
    """

    def __init__(self, sess, state_dim, action_dim, action_bound, learning_rate, tau,
                 batch_size=None, scope="actor"):
        self.sess = sess
        self.s_dim = int(state_dim)
        self.a_dim = int(action_dim)
        self.scaling = ActionScaling.from_bound(action_bound, self.a_dim)
        self.action_bound = self.scaling.half_range
        self.learning_rate = learning_rate
        self.tau = tau
        # Kept for signature compatibility with the 2016 code; the mean over
        # the batch uses the fed batch's size instead.
        self.batch_size = batch_size
        self.scope = scope
        self.target_scope = "target_" + scope

        with tf.variable_scope(self.scope):
            self.inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.scaled_out = actor_layers(self.inputs, self.a_dim, self.scaling)
        self.network_params = scope_variables(self.scope)

        with tf.variable_scope(self.target_scope):
            self.target_inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.target_scaled_out = actor_layers(
                self.target_inputs, self.a_dim, self.scaling, copy_from=self.network_params)
        self.target_network_params = scope_variables(self.target_scope)

        self.update_target_network_params, self.copy_to_target = target_update_groups(
            self.scope + "_update_target", self.network_params, self.target_network_params,
            self.tau)

        with tf.name_scope(self.scope + "_train"):
            # dQ/da from the critic, one row per sample.
            self.action_gradient = tf.placeholder(tf.float32, [None, self.a_dim], name="dq_da")
            batch = tf.cast(tf.shape(self.inputs)[0], tf.float32)
            # Gradient ascent on Q: minimise -Q, so feed -dQ/da as grad_ys.
            unnormalized = tf.gradients(self.scaled_out, self.network_params,
                                        -self.action_gradient)
            self.actor_gradients = [g / batch for g in unnormalized]
            self.optimizer = tf.train.AdamOptimizer(self.learning_rate)
            self.optimize = self.optimizer.apply_gradients(
                zip(self.actor_gradients, self.network_params))

        self.num_trainable_vars = len(self.network_params) + len(self.target_network_params)

    def train(self, inputs, a_gradient):
        self.sess.run(self.optimize, feed_dict={
            self.inputs: inputs, self.action_gradient: a_gradient})

    def predict(self, inputs):
        return self.sess.run(self.scaled_out, feed_dict={self.inputs: inputs})

    def predict_target(self, inputs):
        return self.sess.run(self.target_scaled_out, feed_dict={self.target_inputs: inputs})

    def update_target_network(self):
        self.sess.run(self.update_target_network_params)

    def get_num_trainable_vars(self):
        return self.num_trainable_vars

    def forward(self, states):
        """The online network applied to another tensor (fresh weight reads)."""
        with tf.variable_scope(self.scope, reuse=True):
            return actor_layers(states, self.a_dim, self.scaling, reuse=True)

    def forward_target(self, states):
        with tf.variable_scope(self.target_scope, reuse=True):
            return actor_layers(states, self.a_dim, self.scaling, reuse=True)

    def act(self, state):
        """One action for one observation (flattened), as a 1-D array."""
        return self.predict(np.reshape(state, (1, self.s_dim)))[0]
