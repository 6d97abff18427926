"""TensorBoard events hold Reward and Qmax_value with the values written."""
import glob

import gymnasium as gym
import numpy as np

from ddpg.compat import tf


def read_scalars(directory):
    scalars = {}
    graphs = 0
    for path in glob.glob(f"{directory}/events.out.tfevents*"):
        for event in tf.train.summary_iterator(path):
            graphs += bool(event.graph_def)
            for value in event.summary.value:
                scalars.setdefault(value.tag, {})[event.step] = value.simple_value
    return scalars, graphs


def test_build_summaries_writes_the_fed_values_not_zeros(sess, tmp_path):
    from ddpg.outputs.tensorboard import build_summaries

    summary_ops, summary_vars = build_summaries()
    writer = tf.summary.FileWriter(str(tmp_path), sess.graph)
    for episode, (reward, qmax) in enumerate([(-1234.5, 1.25), (-321.0, 7.5)]):
        summary = sess.run(summary_ops, feed_dict={summary_vars[0]: reward,
                                                   summary_vars[1]: qmax})
        writer.add_summary(summary, episode)
    writer.close()
    scalars, graphs = read_scalars(tmp_path)
    assert scalars["Reward"] == {0: -1234.5, 1: -321.0}
    assert scalars["Qmax_value"] == {0: 1.25, 1: 7.5}
    assert graphs == 1


def test_train_writes_one_point_per_episode_with_the_episode_values(nets, tmp_path):
    from ddpg.core.training import train

    sess, actor, critic = nets
    env = gym.make("Pendulum-v1", max_episode_steps=30)
    records = []
    state = train(sess, env, actor, critic, max_episodes=3, minibatch_size=16,
                  summary_dir=str(tmp_path), initialize=False, log=lambda line: None,
                  on_episode_end=lambda record, _: records.append(record))
    scalars, graphs = read_scalars(tmp_path)
    assert graphs == 1
    assert sorted(scalars["Reward"]) == [0, 1, 2]
    np.testing.assert_allclose([scalars["Reward"][i] for i in range(3)], state.episode_rewards,
                               rtol=1e-6)
    np.testing.assert_allclose([scalars["Qmax_value"][i] for i in range(3)],
                               [r.qmax for r in records], rtol=1e-6)
    assert records[0].updates == 30 - 16 and records[1].updates == 30
    assert records[1].qmax != 0.0
    for tag in ("Loss/critic", "Loss/actor", "Episode/length", "Speed/steps_per_second"):
        assert tag in scalars, tag
    assert scalars["Episode/length"][2] == 30
