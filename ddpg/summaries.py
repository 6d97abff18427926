"""TensorBoard scalars written once per episode.

The tutorial fed values into tf.Variables behind its summary ops.  Under
TensorFlow 2 those are resource variables, and feeding one does not change
what the summary reads, so every point was written as zero.  Placeholders
take fed values by definition, and keep the tutorial's feed_dict usage.
"""
from ddpg.compat import tf

REWARD_TAG = "Reward"
QMAX_TAG = "Qmax_value"


def build_summaries():
    """(summary_ops, summary_vars): merged op and its [reward, qmax] inputs."""
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

