"""The update step exactly as the 2016 tutorial ordered it, via the class API.

Kept as the readable reference (and the benchmark's baseline) for what
FusedUpdate does in one run: eight session runs per step, plus one to act.
"""
import numpy as np

from ddpg.replay_buffer import TransitionLayout


def critic_targets(r, t, target_q, gamma):
    """y = r for terminal transitions, r + gamma * Q'(s2, mu'(s2)) otherwise.

    `t` must be Gymnasium's `terminated`: a time-limit truncation is not a
    terminal state, so its target still bootstraps.
    """
    r = np.asarray(r, dtype=np.float32).reshape(-1, 1)
    not_done = 1.0 - np.asarray(t, dtype=np.float32).reshape(-1, 1)
    return r + gamma * not_done * np.asarray(target_q, dtype=np.float32).reshape(-1, 1)


class TutorialUpdate:
    """Same interface as FusedUpdate.run, one class-method call at a time.

    The tutorial never computed the actor's loss; reporting it would cost a
    ninth run, so its slot in the statistics stays 0 (`reports_actor_loss`).
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
        target_q = critic.predict_target(s2, actor.predict_target(s2))
        y = critic_targets(r, t, target_q, self.gamma)
        predicted_q_value, _ = critic.train(s, a, y)
        a_outs = actor.predict(s)
        grads = critic.action_gradients(s, a_outs)
        actor.train(s, grads[0])
        actor.update_target_network()
        critic.update_target_network()
        next_action = actor.predict(np.reshape(next_state, (1, -1)))[0]
        critic_loss = float(np.mean((y - predicted_q_value) ** 2))
        stats = np.array([np.amax(predicted_q_value), critic_loss, 0.0], dtype=np.float32)
        return next_action, stats
