"""TensorBoard event files: two writers in one folder never overwrite each other."""
import os
from unittest import mock

from ddpg.outputs.events import event_files, read_event_scalars


def test_two_writers_in_the_same_second_keep_both_files(sess, tmp_path):
    """FileWriter names files by the second and the host; the suffix keeps them apart.

    time.time is frozen for both writers, so without a unique suffix the
    second would take the first's name and truncate it.
    """
    from ddpg.outputs.tensorboard import scalar_summary, summary_writer

    with mock.patch("time.time", return_value=1_800_000_000.0):
        first = summary_writer(str(tmp_path))
        first.add_summary(scalar_summary({"Reward": -5.0}), 0)
        first.close()
        second = summary_writer(str(tmp_path))
        second.add_summary(scalar_summary({"Reward": -3.0}), 1)
        second.close()
    files = event_files(str(tmp_path))
    assert len(files) == 2, os.listdir(tmp_path)
    assert read_event_scalars(str(tmp_path))["Reward"] == {0: -5.0, 1: -3.0}
