"""The actor mu(s) and the critic Q(s, a) of DDPG, each with a slowly tracking target.

Both networks are built from tflearn layers, as in the 2016 tutorial, and
keep its public methods (`train`, `predict`, `predict_target`,
`update_target_network`, ...).  Each also offers `forward` and
`forward_target`: the same layers applied to another tensor, reading the
weights afresh, which is what lets the fused update (core/update.py) chain
the critic step and the actor step inside one graph run.
"""
import numpy as np

from ddpg.compat import tf, tflearn

HIDDEN_UNITS = (400, 300)
# The DDPG paper's final-layer range: near-zero initial actions and Q values.
FINAL_LAYER_INIT = 3e-3


# -- action bounds -------------------------------------------------------------

class ActionScaling:
    """Per-dimension affine map from tanh's [-1, 1] onto [low, high].

    The tutorial multiplied tanh by a symmetric bound and asserted
    `high == -low`; center + half_range * tanh is that same map when
    low == -high, and also covers asymmetric bounds.
    """

    def __init__(self, low, high):
        low = np.asarray(low, dtype=np.float64).reshape(-1)
        high = np.asarray(high, dtype=np.float64).reshape(-1)
        if low.shape != high.shape:
            raise ValueError(f"action bounds differ in shape: {low.shape} vs {high.shape}")
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(
                f"action bounds must be finite, got low={low.tolist()} high={high.tolist()}")
        if np.any(high < low):
            raise ValueError(
                f"action bounds have high < low: low={low.tolist()} high={high.tolist()}")
        self.low = low.astype(np.float32)
        self.high = high.astype(np.float32)
        self.center = ((low + high) / 2.0).astype(np.float32)
        self.half_range = ((high - low) / 2.0).astype(np.float32)

    @classmethod
    def from_bound(cls, action_bound, action_dim):
        """Accept what the tutorial passed (a symmetric bound) or a Box space."""
        if hasattr(action_bound, "low") and hasattr(action_bound, "high"):
            return cls(action_bound.low, action_bound.high)
        bound = np.broadcast_to(np.asarray(action_bound, dtype=np.float64), (action_dim,))
        return cls(-np.abs(bound), np.abs(bound))

    def clip(self, action):
        return np.clip(action, self.low, self.high)

    def __repr__(self):
        return f"ActionScaling(low={self.low.tolist()}, high={self.high.tolist()})"


# -- variables: found by scope, targets born as copies, soft updates ----------

def scope_variables(scope_name):
    """Trainable variables created under `scope_name/`, in creation order.

    The tutorial sliced tf.trainable_variables() by position, which breaks
    as soon as anything else creates a variable.  The trailing slash
    matters: get_collection matches a regex prefix, so "actor" alone would
    also match "actor_target".
    """
    return tf.get_collection(tf.GraphKeys.TRAINABLE_VARIABLES,
                             scope=scope_name.rstrip("/") + "/")


class CopyInitializer:
    """Initializer whose value is another variable's initial value.

    Given to a target network's layers so that one run of
    global_variables_initializer() leaves targets exactly equal to their
    networks (the tutorial's soft update after init did not).
    """

    def __init__(self, source):
        self.source = source

    def __call__(self, shape=None, dtype=None, partition_info=None):
        return self.source.initial_value


def soft_update_ops(source_vars, target_vars, tau):
    """theta' <- tau * theta + (1 - tau) * theta', one update op per pair.

    Computed as theta' <- theta' - tau * (theta' - theta), the same value,
    so that TensorFlow's in-place gradient-descent kernel applies it: one
    pass over the target instead of two multiplies, an add and a copy
    (measured: about 6% more fused updates per second).  The reads are
    created here, so under a control dependency they see updated values.
    """
    if len(source_vars) != len(target_vars):
        raise ValueError(f"{len(source_vars)} source but {len(target_vars)} target variables")
    for source, target in zip(source_vars, target_vars):
        if source.shape != target.shape:
            raise ValueError(f"shape mismatch: {source.name} {source.shape} "
                             f"vs {target.name} {target.shape}")
    tau = tf.constant(tau, dtype=tf.float32, name="tau")
    return [
        tf.raw_ops.ResourceApplyGradientDescent(
            var=target.handle, alpha=tau, delta=target.read_value() - source.read_value())
        for source, target in zip(source_vars, target_vars)
    ]


def layer_initializers(layer_names, copy_from=None):
    """{layer name: keyword arguments for tflearn.fully_connected}.

    Hidden layers keep tflearn's default initialisation (the tutorial's);
    the last layer draws from U[-3e-3, 3e-3].  With `copy_from` (another
    network's variables), every layer instead starts as an exact copy of
    the variables in the layer of the same name: how targets are made.
    """
    if copy_from is None:
        inits = {name: {} for name in layer_names}
        inits[layer_names[-1]] = {"weights_init": tflearn.initializations.uniform(
            minval=-FINAL_LAYER_INIT, maxval=FINAL_LAYER_INIT)}
        return inits
    by_layer = {name: {} for name in layer_names}
    for var in copy_from:
        layer, kind = var.op.name.split("/")[-2:]
        by_layer[layer]["weights_init" if kind == "W" else "bias_init"] = CopyInitializer(var)
    return by_layer


# -- the actor -------------------------------------------------------------------

ACTOR_LAYERS = ("fc1", "fc2", "out")


def actor_layers(states, action_dim, scaling, copy_from=None, reuse=False):
    """Build 400-ReLU -> 300-ReLU -> tanh(action_dim) on `states`, scaled to the bounds.

    Call inside the variable scope that should own the weights.  With
    `reuse=True` the existing weights are read again, at the point of the
    graph where this is called.  `copy_from` (another actor's variables)
    makes a target network whose initial weights equal those.
    """
    init = layer_initializers(ACTOR_LAYERS, copy_from)
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

    scope = "actor"
    target_scope = "target_actor"

    def __init__(self, sess, state_dim, action_dim, action_bound, learning_rate, tau):
        self.sess = sess
        self.s_dim = int(state_dim)
        self.a_dim = int(action_dim)
        self.scaling = ActionScaling.from_bound(action_bound, self.a_dim)
        self.action_bound = self.scaling.half_range
        self.learning_rate = learning_rate
        self.tau = tau

        with tf.variable_scope(self.scope):
            self.inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.scaled_out = actor_layers(self.inputs, self.a_dim, self.scaling)
        self.network_params = scope_variables(self.scope)

        with tf.variable_scope(self.target_scope):
            self.target_inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.target_scaled_out = actor_layers(
                self.target_inputs, self.a_dim, self.scaling, copy_from=self.network_params)
        self.target_network_params = scope_variables(self.target_scope)

        with tf.name_scope(self.scope + "_update_target"):
            self.update_target_network_params = tf.group(*soft_update_ops(
                self.network_params, self.target_network_params, self.tau))

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


# -- the critic ------------------------------------------------------------------

CRITIC_LAYERS = ("fc1", "fc2_state", "fc2_action", "out")


def critic_layers(states, actions, copy_from=None, reuse=False):
    """Q(s, a): 400-ReLU on s; the action joins at the 300-unit layer.

    The second layer is ReLU(h1 W1 + a W2 + b).  The tutorial built it from
    two full layers and dropped one bias, leaving an untrained variable; here
    the state path simply has no bias.  `reuse` and `copy_from` work as in
    actor_layers.
    """
    init = layer_initializers(CRITIC_LAYERS, copy_from)
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

    scope = "critic"
    target_scope = "target_critic"

    def __init__(self, sess, state_dim, action_dim, learning_rate, tau, num_actor_vars=None):
        self.sess = sess
        self.s_dim = int(state_dim)
        self.a_dim = int(action_dim)
        self.learning_rate = learning_rate
        self.tau = tau
        self.num_actor_vars = num_actor_vars

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
