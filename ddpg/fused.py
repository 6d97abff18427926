"""One session run per environment step: the whole DDPG update as one op.

The tutorial's step makes eight sess.run calls (target actor, target
critic, critic train, actor predict, action gradients, actor train, two
target updates) plus one to act, and each call re-enters the runtime and
re-feeds the batch.  Here the same computation, in the same order, is one
graph, ordered by control dependencies:

  1. y = r + gamma * (1 - terminal) * Q'(s2, mu'(s2));  Adam step on the critic
  2. after 1: Adam step on the actor through the *updated* critic, and the
     critic's soft target update (it reads nothing the actor step writes)
  3. after 2: the actor's soft target update; mu(s_next) with the updated actor

Because variables are resource variables, each read created under a
control dependency happens after the update it waits for.  The class
methods of ActorNetwork and CriticNetwork stay the reference API; a test
checks that this op moves every variable exactly as they do.
"""
import numpy as np

from ddpg.compat import tf
from ddpg.fast_run import make_step
from ddpg.replay_buffer import TransitionLayout
from ddpg.variables import soft_update_ops


class FusedUpdate:
    """Builds the fused op on an actor/critic pair and runs it.

    Feed a (batch, width) array of packed transitions, as
    ReplayBuffer.sample_rows returns them, and the next observation; get
    the updated actor's action for that observation and a few statistics.
    """

    reports_actor_loss = True

    def __init__(self, sess, actor, critic, gamma):
        if not 0.0 <= gamma <= 1.0:
            raise ValueError(f"gamma must be in [0, 1], got {gamma}")
        self.sess = sess
        self.actor = actor
        self.critic = critic
        self.gamma = float(gamma)
        s_dim, a_dim = actor.s_dim, actor.a_dim
        self.layout = TransitionLayout(s_dim, a_dim)
        n_vars_before = len(tf.global_variables())

        with tf.name_scope("fused_update"):
            self.rows = tf.placeholder(tf.float32, [None, self.layout.width], name="transitions")
            self.next_state = tf.placeholder(tf.float32, [None, s_dim], name="next_state")
            s, a, r, t, s2 = self.layout.split(self.rows)

            # The actor's weights do not change in the critic step, so mu(s)
            # may be computed alongside it: this shortens the critical path.
            with tf.name_scope("policy_action"):
                policy_action = actor.forward(s)

            with tf.name_scope("critic_step"):
                target_q = critic.forward_target(s2, actor.forward_target(s2))
                y = tf.stop_gradient(r + self.gamma * (1.0 - t) * target_q)
                self.y = y
                q = critic.forward(s, a)
                critic_loss = tf.reduce_mean(tf.square(y - q))
                critic_grads = tf.gradients(critic_loss, critic.network_params)
                critic_step = critic.optimizer.apply_gradients(
                    zip(critic_grads, critic.network_params))

            with tf.name_scope("actor_step"), tf.control_dependencies([critic_step]):
                q_of_policy = critic.forward(s, policy_action)
                actor_loss = -tf.reduce_mean(q_of_policy)
                actor_grads = tf.gradients(actor_loss, actor.network_params)
                actor_step = actor.optimizer.apply_gradients(
                    zip(actor_grads, actor.network_params))

            # The critic's target only waits for the critic step: the actor
            # step reads neither, so both run side by side, with the same
            # values as the tutorial's "update targets after the actor".
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

