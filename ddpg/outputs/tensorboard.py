"""Writing a run's TensorBoard events: the tutorial's two scalars per episode, and more.

`build_summaries` keeps the tutorial's feed_dict interface; `EpisodeSummaries`
writes one finished episode's record (the caller's episode-end hook calls
it).  Which tags, at which steps and in which folder: ddpg/outputs/events.py.
"""
import os
import uuid

from ddpg.compat import tf
from ddpg.outputs.events import (
    ACTOR_LOSS_TAG,
    CRITIC_LOSS_TAG,
    EVALUATION_TAG,
    LENGTH_TAG,
    QMAX_TAG,
    RETURN_VS_STEPS_TAG,
    REWARD_TAG,
    SPEED_TAG,
)


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


def evaluation_summary(mean_return):
    """The evaluation's mean return, to be written at the run's total environment steps."""
    return scalar_summary({EVALUATION_TAG: mean_return})


def summary_writer(directory, graph=None):
    """A FileWriter whose file name no other writer can take.

    FileWriter names its file events.out.tfevents.<seconds>.<host>, so two
    writers opened on one folder within the same second (a short run and
    its resume) would share a name, and the second would truncate the
    first's history.  The process id and a random tag make each unique.
    """
    suffix = f".{os.getpid()}.{uuid.uuid4().hex[:8]}"
    return tf.summary.FileWriter(directory, graph, filename_suffix=suffix)


def mark_session_start(writer, total_steps):
    """Begin the writer's file with a SessionLog START just after `total_steps`.

    `total_steps` is the run's environment steps so far (those of the
    checkpoint a resumed run starts from); nothing this writer writes goes
    at or below it.  TensorBoard's default loader (its data server) needs no
    mark: in each tag, a point at or before the tag's last step replaces the
    points from there on, so a resumed run overwrites what its interrupted
    predecessor wrote after the checkpoint.  The Python loader
    (`--load_fast=false`) instead drops, at every START after a run's first,
    the points of every tag at or after the START's step.  Put just after
    the checkpoint's environment steps, that removes exactly the interrupted
    run's later points on the step-indexed tags, and none of the per-episode
    ones (which the exact resume writes again with the same values).  Put
    at the episode number, as before, it would have wiped nearly every
    step-indexed point.
    """
    writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), total_steps + 1)


class EpisodeSummaries:
    """Per-episode scalars: Reward and Qmax_value (the tutorial's), then the rest.

    `Reward` and `Qmax_value` go at the episode's number; the return again,
    the losses, the episode's length and the speed go at the run's total
    environment steps at the episode's end (`record.total_steps`).

    Build it before the writer and before the variables are initialised:
    its summary ops join the graph, and the writer records the graph
    before anything runs (serialising it after the initializer ran makes
    TensorFlow warn about changed ops).
    """

    def __init__(self, sess, with_actor_loss=True):
        self.sess = sess
        self.with_actor_loss = with_actor_loss
        self.summary_ops, self.summary_vars = build_summaries()

    def write(self, writer, record):
        summary = self.sess.run(self.summary_ops, feed_dict={
            self.summary_vars[0]: record.reward, self.summary_vars[1]: record.qmax})
        writer.add_summary(summary, record.episode)
        extra = {RETURN_VS_STEPS_TAG: record.reward,
                 LENGTH_TAG: record.steps,
                 SPEED_TAG: record.steps / max(record.seconds, 1e-9)}
        if record.updates:
            extra[CRITIC_LOSS_TAG] = record.critic_loss
            if self.with_actor_loss and record.actor_updates:
                extra[ACTOR_LOSS_TAG] = record.actor_loss
        writer.add_summary(scalar_summary(extra), record.total_steps)
        writer.flush()
