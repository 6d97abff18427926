"""One update of DDPG or TD3, twice: in the tutorial's order, and fused into one graph run.

DDPG is TD3 with its three switches off (one critic, no target smoothing,
delay 1).  One update, on a minibatch (s, a, r, t, s2):

  1. critic target  a2 = mu'(s2), smoothed under TD3:
                      a2 = clip(a2 + clip(eps, -c, c) * half_range, low, high), eps ~ N(0, sigma^2)
                    y  = r + gamma * (1 - t) * min_i Q_i'(s2, a2)      (one critic: Q')
  2. critic step    Adam on mean (y - Q_i(s, a))^2, for each critic
  3. actor step     every `policy_delay`-th update only: Adam along
                    grad_theta mu(s) * dQ_1/da at a = mu(s), batch mean
  4. soft updates   on those same updates: theta' <- tau * theta + (1 - tau) * theta',
                    for the actor and every critic

`TutorialUpdate` performs these with the networks' class methods, one
session run each, as the 2016 code did: the readable reference.
`FusedUpdate` builds the same computation as one graph (`update_graph`
below holds the math; the class holds the plumbing) and runs it once per
environment step; tests check that both move every variable identically.
"""
import numpy as np
from tensorflow.core.protobuf.config_pb2 import CallableOptions

from ddpg.compat import tf
from ddpg.config import DEFAULTS
from ddpg.core.networks import soft_update_ops
from ddpg.core.noise import TargetPolicyNoise
from ddpg.core.replay_buffer import TransitionLayout


def critic_targets(r, t, target_q, gamma):
    """y = r for terminal transitions, r + gamma * Q'(s2, mu'(s2)) otherwise.

    `t` must be Gymnasium's `terminated`: a time-limit truncation is not a
    terminal state, so its target still bootstraps.
    """
    r = np.asarray(r, dtype=np.float32).reshape(-1, 1)
    not_done = 1.0 - np.asarray(t, dtype=np.float32).reshape(-1, 1)
    return r + gamma * not_done * np.asarray(target_q, dtype=np.float32).reshape(-1, 1)


def twin_critic_targets(r, t, target_q1, target_q2, gamma):
    """TD3's clipped double-Q target: r + gamma * (1 - t) * min(Q1', Q2'), as (n, 1) float32.

    Taking the smaller of two independently trained estimates counters the
    overestimation that a single critic's maximising actor builds up.
    """
    smaller = np.minimum(np.asarray(target_q1, dtype=np.float32).reshape(-1, 1),
                         np.asarray(target_q2, dtype=np.float32).reshape(-1, 1))
    return critic_targets(r, t, smaller, gamma)


def smoothed_target_actions(target_actions, noise, noise_clip, low, high):
    """TD3's target-policy smoothing: clip(mu'(s2) + clip(noise, -c, c) * half_range, low, high).

    `noise` is already sigma-scaled, in half-range units (TargetPolicyNoise);
    clipping it keeps the smoothed action near the target policy's, and the
    outer clip keeps it a valid action.
    """
    low = np.asarray(low, dtype=np.float64)
    high = np.asarray(high, dtype=np.float64)
    half_range = ((high - low) / 2.0).astype(np.float32)  # as ActionScaling computes it
    low, high = low.astype(np.float32), high.astype(np.float32)
    clipped = np.clip(np.asarray(noise, dtype=np.float32), -noise_clip, noise_clip)
    return np.clip(np.asarray(target_actions, dtype=np.float32) + clipped * half_range,
                   low, high).astype(np.float32)


def as_critics(critic):
    """One CriticNetwork (DDPG) or a pair (TD3's twin critics), as a tuple."""
    critics = tuple(critic) if isinstance(critic, (list, tuple)) else (critic,)
    if len(critics) not in (1, 2):
        raise ValueError(f"one critic or two (twin critics), got {len(critics)}")
    return critics


class _UpdateRule:
    """What the two update classes share: the rule's settings and its noise."""

    def __init__(self, actor, critic, gamma, target_noise, target_noise_clip, seed):
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.actor = actor
        self.critics = as_critics(critic)
        self.gamma = float(gamma)
        self.noise_clip = float(target_noise_clip)
        # None under DDPG: no smoothing op is built and no number drawn.
        self.smoothing = TargetPolicyNoise(actor.a_dim, target_noise, seed) \
            if target_noise > 0 else None
        self.layout = TransitionLayout(actor.s_dim, actor.a_dim)


class TutorialUpdate(_UpdateRule):
    """The update as the tutorial ordered it: eight session runs (DDPG), plus one to act.

    Same interface as FusedUpdate.run.  The tutorial never computed the
    actor's loss; reporting it would cost another run, so its slot in the
    statistics stays 0 (`reports_actor_loss`).  Under TD3 the same calls
    are made per critic, and the targets are computed in NumPy.
    """

    reports_actor_loss = False

    def __init__(self, sess, actor, critic, gamma, *, target_noise=DEFAULTS.target_noise,
                 target_noise_clip=DEFAULTS.target_noise_clip, seed=None):
        super().__init__(actor, critic, gamma, target_noise, target_noise_clip, seed)

    def run(self, rows, next_state, policy_step=True):
        actor, critics = self.actor, self.critics
        s, a, r, t, s2 = self.layout.split(rows)
        # [1] critic target from the target networks (TD3: smoothed action, smaller Q')
        target_actions = actor.predict_target(s2)
        if self.smoothing is not None:
            target_actions = smoothed_target_actions(
                target_actions, self.smoothing.sample(len(s2)), self.noise_clip,
                actor.scaling.low, actor.scaling.high)
        target_qs = [critic.predict_target(s2, target_actions) for critic in critics]
        y = critic_targets(r, t, target_qs[0], self.gamma) if len(critics) == 1 \
            else twin_critic_targets(r, t, target_qs[0], target_qs[1], self.gamma)
        # [2] critic step, each critic towards the same y
        predicted = [critic.train(s, a, y)[0] for critic in critics]
        if policy_step:
            # [3] actor step along dQ_1/da at a = mu(s)
            a_outs = actor.predict(s)
            grads = critics[0].action_gradients(s, a_outs)
            actor.train(s, grads[0])
            # [4] soft target updates
            actor.update_target_network()
            for critic in critics:
                critic.update_target_network()
        next_action = actor.predict(np.reshape(next_state, (1, -1)))[0]
        critic_loss = sum(float(np.mean((y - q) ** 2)) for q in predicted)
        stats = np.array([np.amax(predicted[0]), critic_loss, 0.0], dtype=np.float32)
        return next_action, stats


def update_graph(actor, critics, gamma, rows_split, next_state, target_noise, noise_clip,
                 policy_step):
    """The fused update's graph, top to bottom; returns (train ops, next action, stats, y).

    Resource variables make each read created under a control dependency
    happen after the update it waits for, so the order below is the order
    the values flow in.  `target_noise` is a fed tensor (None: no
    smoothing); `policy_step` False builds the critic-only graph of TD3's
    in-between updates.
    """
    s, a, r, t, s2 = rows_split
    critic = critics[0]
    # mu(s) does not depend on the critic step: computed alongside it, it
    # shortens the critical path.
    with tf.name_scope("policy_action"):
        policy_action = actor.forward(s) if policy_step else None

    with tf.name_scope("critic_step"):
        # [1] critic target
        target_action = actor.forward_target(s2)
        if target_noise is not None:  # [TD3] target-policy smoothing
            noise = tf.clip_by_value(target_noise, -noise_clip, noise_clip)
            target_action = tf.clip_by_value(target_action + noise * actor.scaling.half_range,
                                             actor.scaling.low, actor.scaling.high)
        target_q = critic.forward_target(s2, target_action)
        for other in critics[1:]:  # [TD3] clipped double Q
            target_q = tf.minimum(target_q, other.forward_target(s2, target_action))
        y = tf.stop_gradient(r + gamma * (1.0 - t) * target_q)
        # [2] critic step: each critic regresses to the same y
        critic_steps, critic_loss, q = [], 0.0, None
        for each in critics:
            q_each = each.forward(s, a)
            loss = tf.reduce_mean(tf.square(y - q_each)) + each.weight_decay()
            grads = tf.gradients(loss, each.network_params)
            critic_steps.append(each.optimizer.apply_gradients(zip(grads, each.network_params)))
            critic_loss = loss if q is None else critic_loss + loss
            q = q_each if q is None else q

    if not policy_step:  # [TD3] in between: the actor is unchanged, it acts as it is
        with tf.name_scope("act"):
            next_action = actor.forward(next_state)
        return critic_steps, next_action, tf.stack([tf.reduce_max(q), critic_loss, 0.0]), y

    with tf.name_scope("actor_step"), tf.control_dependencies(critic_steps[:1]):
        # [3] actor step: minimising -Q_1(s, mu(s)) follows dQ_1/da * dmu/dtheta
        actor_loss = -tf.reduce_mean(critic.forward(s, policy_action))
        actor_grads = tf.gradients(actor_loss, actor.network_params)
        actor_step = actor.optimizer.apply_gradients(zip(actor_grads, actor.network_params))

    # [4] soft updates.  A critic's target only waits for that critic's
    # step: the actor step reads no target, so both run side by side, with
    # the same values as "update targets after the actor".
    target_updates = []
    for each, each_step in zip(critics, critic_steps):
        with tf.name_scope("critic_target"), tf.control_dependencies([each_step]):
            target_updates += soft_update_ops(each.network_params, each.target_network_params,
                                              each.tau)
    with tf.name_scope("actor_target_and_act"), tf.control_dependencies([actor_step]):
        target_updates += soft_update_ops(actor.network_params, actor.target_network_params,
                                          actor.tau)
        next_action = actor.forward(next_state)
    stats = tf.stack([tf.reduce_max(q), critic_loss, actor_loss])
    return critic_steps + [actor_step] + target_updates, next_action, stats, y


class FusedUpdate(_UpdateRule):
    """The whole update as one graph run per environment step.

    The tutorial's eight session runs each re-enter the runtime and re-feed
    the batch.  Here the same computation, in the same order, is one graph
    (`update_graph`): the critic step; then the actor step through the
    *updated* critic beside the critics' soft updates; then the actor's soft
    update and mu(s_next) with the updated actor.  Under TD3 a second,
    critic-only graph serves the updates in between, and also returns
    mu(s_next) from the unchanged actor: still one run per step.

    Feed a (batch, width) array of packed transitions, as
    ReplayBuffer.sample_rows returns them, and the next observation; get
    the actor's action for that observation and [max Q, critic loss, actor
    loss] (twin critics: the first's max Q, the two losses summed).

    `batch_size` fixes the minibatch's size in the graph (the training loop
    always feeds full minibatches).  With every shape known, Grappler folds
    the shape arithmetic that tf.gradients adds for broadcasting and means
    (Shape, BroadcastGradientArgs, Prod, Cast, ...): 34 ops fewer per run
    of the 400-300 update, about 5-10 % more updates per second.  Without
    it, any batch size may be fed.
    """

    reports_actor_loss = True

    def __init__(self, sess, actor, critic, gamma, batch_size=None, *,
                 policy_delay=DEFAULTS.policy_delay, target_noise=DEFAULTS.target_noise,
                 target_noise_clip=DEFAULTS.target_noise_clip, seed=None):
        super().__init__(actor, critic, gamma, target_noise, target_noise_clip, seed)
        n_vars_before = len(tf.global_variables())

        with tf.name_scope("fused_update"):
            self.rows = tf.placeholder(tf.float32, [batch_size, self.layout.width],
                                       name="transitions")
            self.next_state = tf.placeholder(tf.float32, [1 if batch_size else None, actor.s_dim],
                                             name="next_state")
            self.target_noise = None if self.smoothing is None else tf.placeholder(
                tf.float32, [batch_size, actor.a_dim], name="target_noise")
            rows_split = self.layout.split(self.rows)
            feeds = [self.rows, self.next_state] + \
                ([self.target_noise] if self.target_noise is not None else [])

            def build(policy_step):
                train_ops, next_action, stats, y = update_graph(
                    actor, self.critics, self.gamma, rows_split, self.next_state,
                    self.target_noise, self.noise_clip, policy_step)
                # One fetch for everything numeric keeps per-run overhead down.
                outputs = tf.concat([tf.reshape(next_action, [-1]), stats], axis=0)
                return tf.group(*train_ops), outputs, y

            self.train_op, self.outputs, self.y = build(policy_step=True)
            if policy_delay > 1:
                with tf.name_scope("critic_only"):
                    self.critic_train_op, self.critic_outputs, _ = build(policy_step=False)

        if len(tf.global_variables()) != n_vars_before:
            raise RuntimeError("the fused update must reuse the networks' Adam slots")
        self._steps = {True: make_step(sess, feeds, [self.outputs], [self.train_op])}
        if policy_delay > 1:
            self._steps[False] = make_step(sess, feeds, [self.critic_outputs],
                                           [self.critic_train_op])

    def run(self, rows, next_state, policy_step=True):
        """One update (with the actor step unless `policy_step` is False).

        Returns (next_action (a_dim,), stats (3,)).
        """
        values = [rows, np.reshape(next_state, (1, -1)).astype(np.float32, copy=False)]
        if self.smoothing is not None:
            values.append(self.smoothing.sample(len(rows)))
        out, = self._steps[policy_step](*values)
        a_dim = self.actor.a_dim
        return out[:a_dim], out[a_dim:]


def make_step(sess, feeds, fetches, targets=()):
    """Callable(*feed_values) -> list of fetched arrays: the same run, cheaply, every step.

    sess.run re-parses its fetch and feed structures on every call, about
    half a millisecond of Python per step here, a quarter of a training
    step.  TensorFlow's C++ Session::MakeCallable prunes the graph once and
    runs it by handle; Keras' TF1 backend used it through the session's
    `_make_callable_from_options`.  Where that hook is missing, plain
    sess.run does the same work, more slowly.
    """
    make = getattr(sess, "_make_callable_from_options", None)
    if make is not None:
        options = CallableOptions()
        options.feed.extend(t.name for t in feeds)
        options.fetch.extend(t.name for t in fetches)
        options.target.extend(op.name for op in targets)
        try:
            return make(options)
        except Exception:  # pragma: no cover - depends on the TF build
            pass
    run_fetches = list(fetches) + list(targets)
    n = len(fetches)

    def generic_step(*values):
        return sess.run(run_fetches, feed_dict=dict(zip(feeds, values)))[:n]

    return generic_step
