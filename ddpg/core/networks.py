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
from ddpg.config import DEFAULTS

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


def uniform_init(bound):
    return tflearn.initializations.uniform(minval=-bound, maxval=bound)


def layer_initializers(layer_names, fan_ins=None, copy_from=None):
    """{layer name: keyword arguments for tflearn.fully_connected}.

    The last layer draws weights from U[-3e-3, 3e-3] (the DDPG paper's
    choice).  Hidden layers keep tflearn's default, a truncated normal (the
    tutorial's), unless `fan_ins` {layer: fan-in} is given: then weights and
    biases draw from U[-1/sqrt(f), 1/sqrt(f)], the paper's rule.  With
    `copy_from` (another network's variables), every layer instead starts as
    an exact copy of the variables of the layer of the same name: how targets
    are made.
    """
    if copy_from is not None:
        by_layer = {name: {} for name in layer_names}
        for var in copy_from:
            layer, kind = var.op.name.split("/")[-2:]
            by_layer[layer]["weights_init" if kind == "W" else "bias_init"] = CopyInitializer(var)
        return by_layer
    inits = {}
    for name in layer_names[:-1]:
        if fan_ins:
            bound = 1.0 / np.sqrt(fan_ins[name])
            inits[name] = {"weights_init": uniform_init(bound), "bias_init": uniform_init(bound)}
        else:
            inits[name] = {}
    inits[layer_names[-1]] = {"weights_init": uniform_init(FINAL_LAYER_INIT)}
    return inits


def dense(net, units, name, init, reuse, activation="linear", bias=True):
    return tflearn.fully_connected(net, units, activation=activation, bias=bias, scope=name,
                                   reuse=reuse, **init.get(name, {}))


# -- the actor -------------------------------------------------------------------

def actor_layer_names(hidden_sizes):
    return tuple(f"fc{i + 1}" for i in range(len(hidden_sizes))) + ("out",)


def actor_layers(states, action_dim, scaling, hidden_sizes, init, reuse=False):
    """ReLU layers of `hidden_sizes` (400-300), then tanh(action_dim) scaled to the bounds.

    Call inside the variable scope that should own the weights.  With
    `reuse=True` the existing weights are read again, at the point of the
    graph where this is called.  `init` is what layer_initializers gave.
    """
    net = states
    for i, units in enumerate(hidden_sizes):
        net = dense(net, units, f"fc{i + 1}", init, reuse, activation="relu")
    out = dense(net, action_dim, "out", init, reuse, activation="tanh")
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

    def __init__(self, sess, state_dim, action_dim, action_bound, learning_rate, tau,
                 hidden_sizes=DEFAULTS.hidden_sizes, hidden_init=DEFAULTS.hidden_init):
        self.sess = sess
        self.s_dim = int(state_dim)
        self.a_dim = int(action_dim)
        self.scaling = ActionScaling.from_bound(action_bound, self.a_dim)
        self.action_bound = self.scaling.half_range
        self.learning_rate = learning_rate
        self.tau = tau
        self.hidden_sizes = tuple(hidden_sizes)
        names = actor_layer_names(self.hidden_sizes)
        fan_ins = dict(zip(names, (self.s_dim,) + self.hidden_sizes))
        init = layer_initializers(names, fan_ins if hidden_init == "fan_in" else None)

        with tf.variable_scope(self.scope):
            self.inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.scaled_out = actor_layers(self.inputs, self.a_dim, self.scaling,
                                           self.hidden_sizes, init)
        self.network_params = scope_variables(self.scope)

        with tf.variable_scope(self.target_scope):
            self.target_inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.target_scaled_out = actor_layers(
                self.target_inputs, self.a_dim, self.scaling, self.hidden_sizes,
                layer_initializers(names, copy_from=self.network_params))
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
            return actor_layers(states, self.a_dim, self.scaling, self.hidden_sizes, {},
                                reuse=True)

    def forward_target(self, states):
        with tf.variable_scope(self.target_scope, reuse=True):
            return actor_layers(states, self.a_dim, self.scaling, self.hidden_sizes, {},
                                reuse=True)

    def act(self, state):
        """One action for one observation (flattened), as a 1-D array."""
        return self.predict(np.reshape(state, (1, self.s_dim)))[0]


# -- the critic ------------------------------------------------------------------

def critic_layer_names(hidden_sizes, action_layer):
    names = []
    for i in range(1, len(hidden_sizes) + 1):
        names += [f"fc{i}_state", f"fc{i}_action"] if i == action_layer > 1 else [f"fc{i}"]
    return tuple(names) + ("out",)


def critic_fan_ins(state_dim, action_dim, hidden_sizes, action_layer):
    """{layer: fan-in}; a layer split in state and action paths counts both inputs."""
    fan_ins, previous = {}, state_dim
    for i, units in enumerate(hidden_sizes, start=1):
        if i == action_layer == 1:
            fan_ins["fc1"] = state_dim + action_dim
        elif i == action_layer:
            fan_ins[f"fc{i}_state"] = fan_ins[f"fc{i}_action"] = previous + action_dim
        else:
            fan_ins[f"fc{i}"] = previous
        previous = units
    return fan_ins


def critic_layers(states, actions, hidden_sizes, action_layer, init, reuse=False):
    """Q(s, a): ReLU layers of `hidden_sizes`; the action joins at layer `action_layer`.

    With the action at layer 2 (the tutorial and Lillicrap et al.) that
    layer is ReLU(h1 W1 + a W2 + b).  The tutorial built it from two full
    layers and dropped one bias, leaving an untrained variable; here the
    state path simply has no bias.  With the action at layer 1 (Fujimoto et
    al.), the first layer reads [s, a].  `reuse` and `init` work as in
    actor_layers.
    """
    net = states
    for i, units in enumerate(hidden_sizes, start=1):
        if i == action_layer == 1:
            net = dense(tf.concat([states, actions], axis=1), units, "fc1", init, reuse, "relu")
        elif i == action_layer:
            from_state = dense(net, units, f"fc{i}_state", init, reuse, bias=False)
            from_action = dense(actions, units, f"fc{i}_action", init, reuse)
            net = tflearn.activation(from_state + from_action, activation="relu")
        else:
            net = dense(net, units, f"fc{i}", init, reuse, activation="relu")
    return dense(net, 1, "out", init, reuse)


class CriticNetwork:
    """Critic Q(s, a) and target Q'(s, a) with the tutorial's public methods.

    `num_actor_vars` is accepted for compatibility with the 2016 signature,
    which used it to slice the global variable list; variables are found by
    scope here, so it is only recorded.  `l2` adds l2/2 * the sum of every
    critic variable squared to the loss: weight decay of rate l2, as
    Lillicrap et al. used (1e-2).  `scope` names its variables (and
    "target_" + scope its target's), so twin critics live side by side.
    """

    def __init__(self, sess, state_dim, action_dim, learning_rate, tau, num_actor_vars=None,
                 hidden_sizes=DEFAULTS.hidden_sizes, action_layer=DEFAULTS.critic_action_layer,
                 l2=DEFAULTS.critic_l2, hidden_init=DEFAULTS.hidden_init, scope="critic"):
        # TD3's second critic is the same class under another scope ("critic2").
        self.scope = scope
        self.target_scope = "target_" + scope
        self.sess = sess
        self.s_dim = int(state_dim)
        self.a_dim = int(action_dim)
        self.learning_rate = learning_rate
        self.tau = tau
        self.num_actor_vars = num_actor_vars
        self.hidden_sizes = tuple(hidden_sizes)
        self.action_layer = int(action_layer)
        self.l2 = float(l2)
        names = critic_layer_names(self.hidden_sizes, self.action_layer)
        fan_ins = critic_fan_ins(self.s_dim, self.a_dim, self.hidden_sizes, self.action_layer)
        init = layer_initializers(names, fan_ins if hidden_init == "fan_in" else None)

        with tf.variable_scope(self.scope):
            self.inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.action = tflearn.input_data(shape=[None, self.a_dim], name="action")
            self.out = critic_layers(self.inputs, self.action, self.hidden_sizes,
                                     self.action_layer, init)
        self.network_params = scope_variables(self.scope)

        with tf.variable_scope(self.target_scope):
            self.target_inputs = tflearn.input_data(shape=[None, self.s_dim], name="state")
            self.target_action = tflearn.input_data(shape=[None, self.a_dim], name="action")
            self.target_out = critic_layers(
                self.target_inputs, self.target_action, self.hidden_sizes, self.action_layer,
                layer_initializers(names, copy_from=self.network_params))
        self.target_network_params = scope_variables(self.target_scope)

        with tf.name_scope(self.scope + "_update_target"):
            self.update_target_network_params = tf.group(*soft_update_ops(
                self.network_params, self.target_network_params, self.tau))

        with tf.name_scope(self.scope + "_train"):
            self.predicted_q_value = tf.placeholder(tf.float32, [None, 1], name="y")
            self.loss = tflearn.mean_square(self.predicted_q_value, self.out) \
                + self.weight_decay()
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

    def weight_decay(self):
        """l2/2 * sum of squares of the critic's variables (0 when l2 is 0): fresh reads."""
        if not self.l2:
            return tf.constant(0.0)
        return self.l2 * tf.add_n([tf.nn.l2_loss(v) for v in self.network_params])

    def forward(self, states, actions):
        """The online critic on other tensors, reading its weights afresh."""
        with tf.variable_scope(self.scope, reuse=True):
            return critic_layers(states, actions, self.hidden_sizes, self.action_layer, {},
                                 reuse=True)

    def forward_target(self, states, actions):
        with tf.variable_scope(self.target_scope, reuse=True):
            return critic_layers(states, actions, self.hidden_sizes, self.action_layer, {},
                                 reuse=True)
