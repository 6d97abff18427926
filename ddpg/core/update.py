"""One DDPG update, twice: in the tutorial's order, and fused into one graph run.

The algorithm of one update, on a minibatch (s, a, r, t, s2):

  1. critic target   y = r + gamma * (1 - t) * Q'(s2, mu'(s2))
  2. critic step     Adam on mean (y - Q(s, a))^2
  3. actor step      Adam along grad_theta mu(s) * dQ/da at a = mu(s), batch mean
  4. soft updates    theta' <- tau * theta + (1 - tau) * theta', both networks

`TutorialUpdate` performs these with the networks' class methods, one
session run each, as the 2016 code did: the readable reference.
`FusedUpdate` builds the same computation as one graph, ordered by control
dependencies, and runs it once per environment step; a test checks that
both move every variable identically.
"""
import numpy as np
from tensorflow.core.protobuf.config_pb2 import CallableOptions

from ddpg.compat import tf
from ddpg.core.networks import soft_update_ops
from ddpg.core.replay_buffer import TransitionLayout


def critic_targets(r, t, target_q, gamma):
    """y = r for terminal transitions, r + gamma * Q'(s2, mu'(s2)) otherwise.

    `t` must be Gymnasium's `terminated`: a time-limit truncation is not a
    terminal state, so its target still bootstraps.
    """
    r = np.asarray(r, dtype=np.float32).reshape(-1, 1)
    not_done = 1.0 - np.asarray(t, dtype=np.float32).reshape(-1, 1)
    return r + gamma * not_done * np.asarray(target_q, dtype=np.float32).reshape(-1, 1)


class TutorialUpdate:
    """The update exactly as the tutorial ordered it: eight session runs, plus one to act.

    Same interface as FusedUpdate.run.  The tutorial never computed the
    actor's loss; reporting it would cost a ninth run, so its slot in the
    statistics stays 0 (`reports_actor_loss`).
    """

    reports_actor_loss = False

    def __init__(self, sess, actor, critic, gamma):
        self.actor = actor
        self.critic = critic
        self.gamma = float(gamma)
        self.layout = TransitionLayout(actor.s_dim, actor.a_dim)

    def run(self, rows, next_state):
        actor, critic = self.actor, self.critic
        s, a, r, t, s2 = self.layout.split(rows)
        # [DDPG 1] critic target from the target networks
        target_q = critic.predict_target(s2, actor.predict_target(s2))
        y = critic_targets(r, t, target_q, self.gamma)
        # [DDPG 2] critic step
        predicted_q_value, _ = critic.train(s, a, y)
        # [DDPG 3] actor step along dQ/da at a = mu(s)
        a_outs = actor.predict(s)
        grads = critic.action_gradients(s, a_outs)
        actor.train(s, grads[0])
        # [DDPG 4] soft target updates
        actor.update_target_network()
        critic.update_target_network()
        next_action = actor.predict(np.reshape(next_state, (1, -1)))[0]
        critic_loss = float(np.mean((y - predicted_q_value) ** 2))
        stats = np.array([np.amax(predicted_q_value), critic_loss, 0.0], dtype=np.float32)
        return next_action, stats


class FusedUpdate:
    """The whole update as one graph run per environment step.

    The tutorial's eight session runs each re-enter the runtime and re-feed
    the batch.  Here the same computation, in the same order, is one graph:

      a. [1, 2] y from the targets; Adam step on the critic
      b. after a: [3] Adam step on the actor through the *updated* critic, and
         [4] the critic's soft update (it reads nothing the actor step writes)
      c. after b: [4] the actor's soft update; mu(s_next) with the updated actor

    Variables are resource variables, so each read created under a control
    dependency happens after the update it waits for.  Feed a (batch, width)
    array of packed transitions, as ReplayBuffer.sample_rows returns them,
    and the next observation; get the updated actor's action for that
    observation and [max Q, critic loss, actor loss].

    `batch_size` fixes the minibatch's size in the graph (the training loop
    always feeds full minibatches).  With every shape known, Grappler folds
    the shape arithmetic that tf.gradients adds for broadcasting and means
    (Shape, BroadcastGradientArgs, Prod, Cast, ...): 34 ops fewer per run
    of the 400-300 update, about 5-10 % more updates per second.  Without
    it, any batch size may be fed.
    """

    reports_actor_loss = True

    def __init__(self, sess, actor, critic, gamma, batch_size=None):
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.actor = actor
        self.gamma = float(gamma)
        s_dim = actor.s_dim
        self.layout = TransitionLayout(s_dim, actor.a_dim)
        n_vars_before = len(tf.global_variables())

        with tf.name_scope("fused_update"):
            self.rows = tf.placeholder(tf.float32, [batch_size, self.layout.width],
                                       name="transitions")
            self.next_state = tf.placeholder(tf.float32, [1 if batch_size else None, s_dim],
                                             name="next_state")
            s, a, r, t, s2 = self.layout.split(self.rows)

            # The actor's weights do not change in the critic step, so mu(s)
            # may be computed alongside it: this shortens the critical path.
            with tf.name_scope("policy_action"):
                policy_action = actor.forward(s)

            with tf.name_scope("critic_step"):
                # [DDPG 1] critic target
                target_q = critic.forward_target(s2, actor.forward_target(s2))
                self.y = y = tf.stop_gradient(r + self.gamma * (1.0 - t) * target_q)
                # [DDPG 2] critic step
                q = critic.forward(s, a)
                critic_loss = tf.reduce_mean(tf.square(y - q)) + critic.weight_decay()
                critic_grads = tf.gradients(critic_loss, critic.network_params)
                critic_step = critic.optimizer.apply_gradients(
                    zip(critic_grads, critic.network_params))

            with tf.name_scope("actor_step"), tf.control_dependencies([critic_step]):
                # [DDPG 3] actor step: minimising -Q(s, mu(s)) follows dQ/da * dmu/dtheta
                q_of_policy = critic.forward(s, policy_action)
                actor_loss = -tf.reduce_mean(q_of_policy)
                actor_grads = tf.gradients(actor_loss, actor.network_params)
                actor_step = actor.optimizer.apply_gradients(
                    zip(actor_grads, actor.network_params))

            # [DDPG 4] soft updates.  The critic's target only waits for the
            # critic step: the actor step reads neither, so both run side by
            # side, with the same values as "update targets after the actor".
            with tf.name_scope("critic_target"), tf.control_dependencies([critic_step]):
                target_updates = soft_update_ops(critic.network_params,
                                                 critic.target_network_params, critic.tau)
            with tf.name_scope("actor_target_and_act"), tf.control_dependencies([actor_step]):
                target_updates += soft_update_ops(actor.network_params,
                                                  actor.target_network_params, actor.tau)
                next_action = actor.forward(self.next_state)

            self.train_op = tf.group(critic_step, actor_step, *target_updates)
            # One fetch for everything numeric keeps per-run overhead down.
            stats = tf.stack([tf.reduce_max(q), critic_loss, actor_loss])
            self.outputs = tf.concat([tf.reshape(next_action, [-1]), stats], axis=0)

        if len(tf.global_variables()) != n_vars_before:
            raise RuntimeError("the fused update must reuse the networks' Adam slots")
        self._step = make_step(sess, [self.rows, self.next_state], [self.outputs],
                               [self.train_op])

    def run(self, rows, next_state):
        """One full DDPG update; returns (next_action (a_dim,), stats (3,))."""
        out, = self._step(rows, np.reshape(next_state, (1, -1)).astype(np.float32, copy=False))
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
