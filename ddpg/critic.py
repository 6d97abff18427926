"""The action-value function Q(s, a) of DDPG and its slowly tracking target."""
from ddpg.compat import tf, tflearn
from ddpg.layers import layer_initializers
from ddpg.variables import scope_variables, target_update_groups

HIDDEN_UNITS = (400, 300)
LAYER_NAMES = ("fc1", "fc2_state", "fc2_action", "out")


def critic_layers(states, actions, copy_from=None, reuse=False):
    """Q(s, a): 400-ReLU on s; the action joins at the 300-unit layer.

    The second layer is ReLU(h1 W1 + a W2 + b).  The tutorial built it from
    two full layers and dropped one bias, leaving an untrained variable; here
    the state path simply has no bias.  `reuse` and `copy_from` work as in
    actor_layers.
    """
    init = layer_initializers(LAYER_NAMES, copy_from)
    net = tflearn.fully_connected(states, HIDDEN_UNITS[0], activation="relu",
                                  scope="fc1", reuse=reuse, **init["fc1"])
    from_state = tflearn.fully_connected(net, HIDDEN_UNITS[1], bias=False,
                                         scope="fc2_state", reuse=reuse, **init["fc2_state"])
    from_action = tflearn.fully_connected(actions, HIDDEN_UNITS[1],
                                          scope="fc2_action", reuse=reuse, **init["fc2_action"])
    net = tflearn.activation(from_state + from_action, activation="relu")
    return tflearn.fully_connected(net, 1, scope="out", reuse=reuse, **init["out"])


class CriticNetwork:
    """Critic Q(s, a) and target Q'(s, a) with the tutorial's public methods.

    `num_actor_vars` is accepted for compatibility with the 2016 signature,
    which used it to slice the global variable list; variables are found by
    scope here, so it is only recorded.
    """

    def __init__(self, sess, state_dim, action_dim, learning_rate, tau, num_actor_vars=None,
                 scope="critic"):
        self.sess = sess
        self.s_dim = int(state_dim)
        self.a_dim = int(action_dim)
        self.learning_rate = learning_rate
        self.tau = tau
        self.num_actor_vars = num_actor_vars
        self.scope = scope
        self.target_scope = "target_" + scope

        with tf.variable_scope(self.scope):
            self.inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.action = tflearn.input_data(shape=[None, self.a_dim], name="action")
            self.out = critic_layers(self.inputs, self.action)
        self.network_params = scope_variables(self.scope)

        with tf.variable_scope(self.target_scope):
            self.target_inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.target_action = tflearn.input_data(shape=[None, self.a_dim], name="action")
            self.target_out = critic_layers(self.target_inputs, self.target_action,
                                            copy_from=self.network_params)
        self.target_network_params = scope_variables(self.target_scope)

        self.update_target_network_params, self.copy_to_target = target_update_groups(
            self.scope + "_update_target", self.network_params, self.target_network_params,
            self.tau)

        with tf.name_scope(self.scope + "_train"):
            self.predicted_q_value = tf.placeholder(tf.float32, [None, 1], name="y")
            self.loss = tflearn.mean_square(self.predicted_q_value, self.out)
            self.optimizer = tf.train.AdamOptimizer(self.learning_rate)
            self.optimize = self.optimizer.minimize(self.loss, var_list=self.network_params)
            # dQ/da for every sample: the actor's training signal.
            self.action_grads = tf.gradients(self.out, self.action)

    def train(self, inputs, action, predicted_q_value):
        """One Adam step on (y - Q(s, a))^2; returns [Q(s, a), None]."""
        return self.sess.run([self.out, self.optimize], feed_dict={
            self.inputs: inputs, self.action: action,
            self.predicted_q_value: predicted_q_value})

    def predict(self, inputs, action):
        return self.sess.run(self.out, feed_dict={self.inputs: inputs, self.action: action})

    def predict_target(self, inputs, action):
        return self.sess.run(self.target_out, feed_dict={
            self.target_inputs: inputs, self.target_action: action})

    def action_gradients(self, inputs, actions):
        return self.sess.run(self.action_grads, feed_dict={
            self.inputs: inputs, self.action: actions})

    def update_target_network(self):
        self.sess.run(self.update_target_network_params)

    def forward(self, states, actions):
        """The online critic on other tensors, reading its weights afresh."""
        with tf.variable_scope(self.scope, reuse=True):
            return critic_layers(states, actions, reuse=True)

    def forward_target(self, states, actions):
        with tf.variable_scope(self.target_scope, reuse=True):
            return critic_layers(states, actions, reuse=True)
