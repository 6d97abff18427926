"""Reading a run's TensorBoard events back: files, run folders, resumed runs, old results."""
import os
from unittest import mock

from ddpg.outputs.events import event_files, read_event_scalars, run_event_files


def write_points(directory, points):
    """One writer's file in `directory` with {tag: value} summaries at their steps."""
    from ddpg.outputs.tensorboard import scalar_summary, summary_writer

    writer = summary_writer(str(directory))
    for step, values in points:
        writer.add_summary(scalar_summary(values), step)
    writer.close()
    return writer.get_logdir()


def test_two_writers_in_the_same_second_keep_both_files(sess, tmp_path):
    """FileWriter names files by the second and the host; the suffix keeps them apart.

    time.time is frozen for both writers, so without a unique suffix the
    second would take the first's name and truncate it.
    """
    with mock.patch("time.time", return_value=1_800_000_000.0):
        write_points(tmp_path, [(0, {"Reward": -5.0})])
        write_points(tmp_path, [(1, {"Reward": -3.0})])
    files = event_files(str(tmp_path))
    assert len(files) == 2, os.listdir(tmp_path)
    assert read_event_scalars(str(tmp_path))["Reward"] == {0: -5.0, 1: -3.0}


def test_a_resumed_run_replaces_the_points_after_its_checkpoint_in_each_tag(sess, tmp_path):
    """As TensorBoard's data server shows it: within a tag, a point at or before the
    tag's last step drops that tag's points from there on.  The interrupted run wrote
    episodes 0-3 (steps 40-160); the resumed one starts again after episode 1 and
    stops at episode 2, so episode 3 and step 160 must go, on both axes."""
    run = tmp_path / "tf_ddpg" / "Pendulum-v1_DDPG_seed3"
    with mock.patch("time.time", return_value=1_800_000_000.0):  # same second: file order
        write_points(run, [(e, {"Reward": -100.0 - e}) for e in range(4)]
                     + [(40 * (e + 1), {"episode/return_vs_env_steps": -100.0 - e})
                        for e in range(4)])
        os.utime(event_files(str(run))[0], (1, 1))  # written first, whatever its name says
        write_points(run, [(2, {"Reward": -2.5}), (120, {"episode/return_vs_env_steps": -2.5})])
    scalars = read_event_scalars(str(tmp_path))  # from the results folder
    assert scalars["Reward"] == {0: -100.0, 1: -101.0, 2: -2.5}
    assert scalars["episode/return_vs_env_steps"] == {40: -100.0, 80: -101.0, 120: -2.5}


def test_finds_events_in_the_run_folder_and_in_an_older_runs_summary_folder(sess, tmp_path):
    new, old = tmp_path / "new", tmp_path / "old"
    write_points(new / "tf_ddpg" / "Pendulum-v1_DDPG_seed1", [(0, {"Reward": -7.0})])
    # Before run folders: events straight in tf_ddpg, the evaluation under its old name.
    write_points(old / "tf_ddpg", [(0, {"Reward": -9.0}), (200, {"Evaluation/mean_return": -4.0})])
    for where in (new, new / "tf_ddpg", new / "tf_ddpg" / "Pendulum-v1_DDPG_seed1"):
        assert read_event_scalars(str(where)) == {"Reward": {0: -7.0}}, where
    assert read_event_scalars(str(old)) == {"Reward": {0: -9.0},
                                            "evaluation/mean_return": {200: -4.0}}
    assert len(run_event_files(str(new / "tf_ddpg"))) == 1
    assert run_event_files(str(new / "tf_ddpg"), names=["another-run"]) == []


def test_of_several_runs_in_one_summary_folder_the_newest_is_read(sess, tmp_path):
    """A summary folder holding several runs (the notebook's run-... folders) is read as
    the run written last, never as a mixture of runs."""
    first = write_points(tmp_path / "run-1", [(0, {"Reward": -1.0}), (1, {"Reward": -1.5})])
    write_points(tmp_path / "run-2", [(0, {"Reward": -2.0})])
    for path in event_files(first):
        os.utime(path, (1, 1))
    assert read_event_scalars(str(tmp_path)) == {"Reward": {0: -2.0}}
