"""Writing a run's TensorBoard events: the tutorial's two scalars per episode, and more.

`build_summaries` keeps the tutorial's feed_dict interface; `EpisodeSummaries`
writes one finished episode's record (the loop's `on_episode_end` calls it).
"""
import os
import uuid

from ddpg.compat import tf

REWARD_TAG = "Reward"
QMAX_TAG = "Qmax_value"


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


class EpisodeSummaries:
    """Per-episode scalars: Reward and Qmax_value (the tutorial's), losses, length, speed.

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
        extra = {"Episode/length": record.steps,
                 "Speed/steps_per_second": record.steps / max(record.seconds, 1e-9)}
        if record.updates:
            extra["Loss/critic"] = record.critic_loss
            if self.with_actor_loss and record.actor_updates:
                extra["Loss/actor"] = record.actor_loss
        writer.add_summary(scalar_summary(extra), record.episode)
        writer.flush()
