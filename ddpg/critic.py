"""The action-value function Q(s, a) of DDPG and its slowly tracking target."""
from ddpg.compat import tf, tflearn
from ddpg.variables import CopyInitializer, hard_copy_ops, scope_variables, soft_update_ops

HIDDEN_UNITS = (400, 300)
FINAL_LAYER_INIT = 3e-3


def critic_layers(states, actions, copy_from=None, reuse=False):
    """Q(s, a): 400-ReLU on s; the action joins at the 300-unit layer.

    The second layer is ReLU(h1 W1 + a W2 + b).  The tutorial built it from
    two full layers and dropped one bias, leaving an untrained variable; here
    the state path simply has no bias.
    """
    init = _initializers(copy_from)
    net = tflearn.fully_connected(states, HIDDEN_UNITS[0], activation="relu",
                                  scope="fc1", reuse=reuse, **init["fc1"])
    from_state = tflearn.fully_connected(net, HIDDEN_UNITS[1], bias=False,
                                         scope="fc2_state", reuse=reuse, **init["fc2_state"])
    from_action = tflearn.fully_connected(actions, HIDDEN_UNITS[1],
                                          scope="fc2_action", reuse=reuse, **init["fc2_action"])
    net = tflearn.activation(from_state + from_action, activation="relu")
    final = init["out"] or {
        "weights_init": tflearn.initializations.uniform(
            minval=-FINAL_LAYER_INIT, maxval=FINAL_LAYER_INIT)
    }
    return tflearn.fully_connected(net, 1, scope="out", reuse=reuse, **final)


def _fan_in(n):
    import os
    if os.environ.get("FANIN"):
        import math
        b = 1.0 / math.sqrt(n)
        return {"weights_init": tflearn.initializations.uniform(minval=-b, maxval=b)}
    return {}


def _initializers(copy_from):
    names = ("fc1", "fc2_state", "fc2_action", "out")
    if copy_from is None:
        return {"fc1": _fan_in(3), "fc2_state": _fan_in(400), "fc2_action": _fan_in(1), "out": None}
    by_layer = {name: [] for name in names}
    for var in copy_from:
        layer = var.op.name.split("/")[-2]
        by_layer[layer].append(var)
    init = {}
    for name in names:
        weights = by_layer[name]
        spec = {"weights_init": CopyInitializer(weights[0])}
        if len(weights) > 1:
            spec["bias_init"] = CopyInitializer(weights[1])
        init[name] = spec
    return init


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

        with tf.name_scope(self.scope + "_update_target"):
            self.update_target_network_params = tf.group(*soft_update_ops(
                self.network_params, self.target_network_params, self.tau))
            self.copy_to_target = tf.group(*hard_copy_ops(
                self.network_params, self.target_network_params))

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
