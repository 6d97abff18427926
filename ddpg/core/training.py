"""The DDPG training loop and its per-episode TensorBoard summaries.

Per environment step: act with the actor plus exploration noise, store the
transition, and once the buffer is warm do one update (core/update.py).
One step then costs one session run: the fused update also returns the
updated actor's action for the next state.
"""
import dataclasses
import os
import time
import uuid

import numpy as np

from ddpg.compat import tf
from ddpg.config import DEFAULTS
from ddpg.core.noise import make_noise
from ddpg.core.replay_buffer import ReplayBuffer
from ddpg.core.seeding import component_seed, episode_seed, random_action_rng
from ddpg.core.update import FusedUpdate, TutorialUpdate
from ddpg.errors import NonFiniteLossError

REWARD_TAG = "Reward"
QMAX_TAG = "Qmax_value"


@dataclasses.dataclass
class TrainingState:
    """Counters that, with the weights, buffer and RNGs, make a run resumable."""

    episode: int = 0
    total_steps: int = 0
    total_updates: int = 0
    episode_rewards: list = dataclasses.field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0  # training wall time, kept by the driver across resumes

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


@dataclasses.dataclass
class EpisodeRecord:
    """What one finished episode reports to the log, TensorBoard and hooks."""

    episode: int
    reward: float
    steps: int
    updates: int
    qmax: float
    critic_loss: float
    actor_loss: float
    seconds: float


def format_episode(record):
    """The tutorial's one-line episode report."""
    return (f"| Reward: {int(record.reward):d} | Episode {record.episode:d} "
            f"| Qmax: {record.qmax:.4f}")


def seeded_exploration(noise, action_dim, buffer_size, random_seed, sigma=None,
                       theta=DEFAULTS.ou_theta):
    """(noise, replay buffer), each with its own seed derived from the run's.

    Separate streams keep a resumed run exact: restoring one generator's
    state never shifts another's.
    """
    return (make_noise(noise, action_dim, seed=component_seed(random_seed, "noise"),
                       sigma=sigma, theta=theta),
            ReplayBuffer(buffer_size, component_seed(random_seed, "buffer")))


@dataclasses.dataclass
class Budget:
    """When training ends and when learning begins (settings of core/training)."""

    max_episodes: int = DEFAULTS.max_episodes
    total_steps: int = DEFAULTS.total_steps  # > 0: count steps, not episodes
    start_steps: int = DEFAULTS.start_steps  # uniform random actions before the policy acts
    learning_starts: int = DEFAULTS.learning_starts  # fewest stored transitions to learn from

    def done(self, state):
        if self.total_steps:
            return state.total_steps >= self.total_steps
        return state.episode >= self.max_episodes

    def steps_left(self, state):
        return self.total_steps - state.total_steps if self.total_steps else None


def train(sess, env, actor, critic, actor_noise=None, *, max_episodes=DEFAULTS.max_episodes,
          max_episode_len=DEFAULTS.max_episode_len, minibatch_size=DEFAULTS.minibatch_size,
          buffer_size=DEFAULTS.buffer_size, gamma=DEFAULTS.gamma,
          random_seed=DEFAULTS.random_seed, total_steps=DEFAULTS.total_steps,
          start_steps=DEFAULTS.start_steps, learning_starts=DEFAULTS.learning_starts,
          eval_every=DEFAULTS.eval_every, on_eval=None, summary_dir=None, writer=None,
          replay_buffer=None, fused=True, state=None, initialize=True, on_episode_end=None,
          stop_requested=None, log=print):
    """Train `actor` and `critic` on `env` for `max_episodes` episodes (or `total_steps` steps).

    The first `start_steps` actions are uniform over the action bounds, the
    policy unasked.  Learning starts once the buffer holds more than
    `minibatch_size` transitions and at least `learning_starts`; then every
    step does one critic update, one actor update and one soft update of
    both targets.  Terminal flags stored are Gymnasium's `terminated`, so
    time-limit truncations still bootstrap.

    `state` continues an earlier run (its counters are the global ones, and
    the budgets are totals).  `on_eval(steps)` runs every `eval_every`
    environment steps, `on_episode_end(record, state)` after each episode
    (checkpoints hook in there); `stop_requested()` is polled after each
    episode and ends the run early, leaving `state.interrupted` set.  Not
    between steps: a checkpoint holds the networks and the buffer but not
    the environment, so only one taken at an episode's end can continue
    exactly.  Returns the TrainingState.
    """
    state = state or TrainingState()
    budget = Budget(max_episodes, total_steps, start_steps, learning_starts)
    default_noise, default_buffer = seeded_exploration(DEFAULTS.noise, actor.a_dim, buffer_size,
                                                       random_seed)
    actor_noise = actor_noise or default_noise
    replay_buffer = replay_buffer if replay_buffer is not None else default_buffer
    # Updates start once the buffer holds more than a minibatch, so every
    # batch the fused graph sees is full: its shapes can be fixed.
    update = (FusedUpdate(sess, actor, critic, gamma, batch_size=minibatch_size) if fused
              else TutorialUpdate(sess, actor, critic, gamma))

    summary_ops, summary_vars = build_summaries()
    # The writer records the graph before anything runs: serialising it
    # after the initializer ran makes TensorFlow warn about changed ops.
    own_writer = writer is None and summary_dir is not None
    if own_writer:
        writer = summary_writer(summary_dir, sess.graph)
    if initialize:
        sess.run(tf.global_variables_initializer())

    stop_requested = stop_requested or (lambda: False)
    hooks = _StepHooks(eval_every if on_eval else 0, on_eval)

    try:
        while not budget.done(state) and not state.interrupted:
            record = _run_episode(env, actor, actor_noise, replay_buffer, update, state, budget,
                                  max_episode_len, minibatch_size, random_seed, hooks)
            state.episode_rewards.append(record.reward)
            state.episode += 1
            log(format_episode(record))
            if writer is not None:
                _write_episode_summaries(sess, writer, summary_ops, summary_vars, record,
                                         update.reports_actor_loss)
            if on_episode_end is not None:
                on_episode_end(record, state)
            if stop_requested():
                state.interrupted = True
    finally:
        if own_writer:
            writer.close()
        elif writer is not None:
            writer.flush()
    return state


@dataclasses.dataclass
class _StepHooks:
    """What the loop calls between steps (plumbing, not the algorithm)."""

    eval_every: int = 0
    on_eval: object = None

    def after_step(self, steps_so_far):
        if self.eval_every and steps_so_far % self.eval_every == 0:
            self.on_eval(steps_so_far)


def _run_episode(env, actor, noise, buffer, update, state, budget, max_episode_len,
                 minibatch_size, random_seed, hooks):
    """One episode, to its end or the step budget."""
    episode = state.episode
    started = time.perf_counter()
    s_dim = actor.s_dim
    low, high, half_range = actor.scaling.low, actor.scaling.high, actor.scaling.half_range
    obs, _ = env.reset(seed=episode_seed(random_seed, episode))
    s = np.asarray(obs, dtype=np.float32).reshape(s_dim)
    noise.reset(episode)
    uniform = random_action_rng(random_seed, episode)
    learn_from = max(budget.learning_starts, minibatch_size + 1)
    steps_left = budget.steps_left(state)
    limit = max_episode_len if steps_left is None else min(max_episode_len, steps_left)
    ep_reward = 0.0
    qmax_sum = critic_loss_sum = actor_loss_sum = 0.0
    updates = 0
    greedy = None  # mu(s) for the current s, when the last update computed it
    steps = 0
    for steps in range(1, limit + 1):
        if state.total_steps + steps <= budget.start_steps:
            # [DDPG] act, first steps: uniform over the bounds, the policy unasked
            action = uniform.uniform(low, high).astype(np.float32)
        else:
            # [DDPG] act: mu(s) plus exploration noise, scaled per dimension, clipped
            if greedy is None:
                greedy = actor.predict(s.reshape(1, s_dim))[0]
            action = np.clip(greedy + noise() * half_range, low, high).astype(np.float32)
        obs2, reward, terminated, truncated, _ = env.step(action)
        s2 = np.asarray(obs2, dtype=np.float32).reshape(s_dim)
        # [DDPG] store: `terminated` only, so a time-limit cut still bootstraps
        buffer.add(s, action, reward, terminated, s2)
        if buffer.size() >= learn_from:
            # [DDPG] learn: critic, actor and both soft updates on one minibatch
            greedy, stats = update.run(buffer.sample_rows(minibatch_size), s2)
            # -- plumbing: divergence check and episode statistics
            if not np.isfinite(stats).all():
                which = "critic" if not np.isfinite(stats[:2]).all() else "actor"
                value = stats[1] if which == "critic" else stats[2]
                raise NonFiniteLossError(which, episode, steps, value)
            qmax_sum += float(stats[0])
            critic_loss_sum += float(stats[1])
            actor_loss_sum += float(stats[2])
            updates += 1
        else:
            greedy = None
        ep_reward += float(reward)
        s = s2
        hooks.after_step(state.total_steps + steps)
        if terminated or truncated:
            break
    else:
        _end_episode(env)  # cut by max_episode_len or the step budget: record it now
    state.total_steps += steps
    state.total_updates += updates
    per_update = 1.0 / updates if updates else 0.0
    return EpisodeRecord(episode=episode, reward=ep_reward, steps=steps, updates=updates,
                         qmax=qmax_sum * per_update, critic_loss=critic_loss_sum * per_update,
                         actor_loss=actor_loss_sum * per_update,
                         seconds=time.perf_counter() - started)


def _end_episode(env):
    try:
        end_episode = env.get_wrapper_attr("end_episode")
    except AttributeError:
        return
    end_episode()


def _write_episode_summaries(sess, writer, summary_ops, summary_vars, record, with_actor_loss):
    summary = sess.run(summary_ops, feed_dict={summary_vars[0]: record.reward,
                                               summary_vars[1]: record.qmax})
    writer.add_summary(summary, record.episode)
    extra = {"Episode/length": record.steps,
             "Speed/steps_per_second": record.steps / max(record.seconds, 1e-9)}
    if record.updates:
        extra["Loss/critic"] = record.critic_loss
        if with_actor_loss:
            extra["Loss/actor"] = record.actor_loss
    writer.add_summary(scalar_summary(extra), record.episode)
    writer.flush()


# -- TensorBoard -----------------------------------------------------------------

def build_summaries():
    """(summary_ops, summary_vars): merged op and its [reward, qmax] inputs.

    The tutorial fed values into tf.Variables behind its summary ops.  Under
    TensorFlow 2 those are resource variables, and feeding one does not
    change what the summary reads, so every point was written as zero.
    Placeholders take fed values by definition, and keep the tutorial's
    feed_dict usage.
    """
    episode_reward = tf.placeholder(tf.float32, shape=[], name="episode_reward")
    episode_ave_max_q = tf.placeholder(tf.float32, shape=[], name="episode_ave_max_q")
    summaries = [
        tf.summary.scalar(REWARD_TAG, episode_reward),
        tf.summary.scalar(QMAX_TAG, episode_ave_max_q),
    ]
    summary_vars = [episode_reward, episode_ave_max_q]
    summary_ops = tf.summary.merge(summaries)
    return summary_ops, summary_vars


def scalar_summary(values):
    """A Summary proto from {tag: value}, for extra tags needing no graph op."""
    return tf.Summary(value=[tf.Summary.Value(tag=tag, simple_value=float(value))
                             for tag, value in values.items()])


def summary_writer(directory, graph=None):
    """A FileWriter whose file name no other writer can take.

    FileWriter names its file events.out.tfevents.<seconds>.<host>, so two
    writers opened on one folder within the same second (a short run and
    its resume) would share a name, and the second would truncate the
    first's history.  The process id and a random tag make each unique.
    """
    suffix = f".{os.getpid()}.{uuid.uuid4().hex[:8]}"
    return tf.summary.FileWriter(directory, graph, filename_suffix=suffix)
