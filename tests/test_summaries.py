"""TensorBoard events hold Reward and Qmax_value per episode, and the rest per environment step."""
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


def test_train_writes_the_tutorial_scalars_per_episode_and_the_rest_per_env_step(nets, tmp_path):
    """Episodes of 30, 30 and 15 steps (a 75-step budget): the step-indexed points
    sit at the cumulative steps 30, 60 and 75 and hold the same returns as Reward."""
    import ddpg
    from ddpg.outputs import events

    sess, actor, critic = nets
    env = gym.make("Pendulum-v1", max_episode_steps=30)
    records = []
    state = ddpg.train(sess, env, actor, critic, total_steps=75, minibatch_size=16,
                       summary_dir=str(tmp_path), initialize=False, log=lambda line: None,
                       on_episode_end=lambda record, _: records.append(record))
    scalars, graphs = read_scalars(tmp_path)
    assert graphs == 1
    assert [r.steps for r in records] == [30, 30, 15]
    assert [r.total_steps for r in records] == [30, 60, 75]
    assert sorted(scalars["Reward"]) == [0, 1, 2]
    np.testing.assert_allclose([scalars["Reward"][i] for i in range(3)], state.episode_rewards,
                               rtol=1e-6)
    np.testing.assert_allclose([scalars["Qmax_value"][i] for i in range(3)],
                               [r.qmax for r in records], rtol=1e-6)
    by_step = scalars[events.RETURN_VS_STEPS_TAG]
    assert sorted(by_step) == [30, 60, 75]
    np.testing.assert_allclose([by_step[s] for s in (30, 60, 75)], state.episode_rewards,
                               rtol=1e-6)
    assert scalars[events.LENGTH_TAG] == {30: 30.0, 60: 30.0, 75: 15.0}
    for tag in (events.CRITIC_LOSS_TAG, events.ACTOR_LOSS_TAG, events.SPEED_TAG):
        assert sorted(scalars[tag]) == [30, 60, 75], tag
    np.testing.assert_allclose([scalars[events.CRITIC_LOSS_TAG][s] for s in (30, 60, 75)],
                               [r.critic_loss for r in records], rtol=1e-6)
    assert records[0].updates == 30 - 16 and records[1].qmax != 0.0

