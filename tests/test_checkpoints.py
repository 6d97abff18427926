"""Checkpoints: exact resume, signals, and nothing half-written after a crash."""
import glob
import json
import os
import signal
import time

import numpy as np
import pytest
from helpers import run_script, start_script, stderr_lines

from ddpg.config import TrainConfig
from ddpg.outputs.monitor import load_results

# Subprocess runs and learning runs: the slow tier.
pytestmark = pytest.mark.slow


def config(results_dir, **changes):
    base = dict(max_episodes=4, max_episode_len=40, minibatch_size=16, buffer_size=5000,
                eval_episodes=0, gif=False, plot=False, checkpoint_every=1, random_seed=3,
                results_dir=str(results_dir), monitor_dir=str(results_dir / "gym_ddpg"),
                summary_dir=str(results_dir / "tf_ddpg"))
    base.update(changes)
    return TrainConfig(**base)


def final_weights(results_dir):
    from ddpg.compat import tf

    with open(results_dir / "checkpoints" / "latest") as handle:
        name = handle.read().strip()
    reader = tf.train.load_checkpoint(str(results_dir / "checkpoints" / name / "model"))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()}


# TD3's three switches, on the small test run: twin critics, a delayed actor,
# and target smoothing noise, whose generator the checkpoint must also hold.
TD3 = dict(twin_critics=True, policy_delay=2, target_noise=0.2, target_noise_clip=0.5)


@pytest.mark.parametrize("algorithm, episodes", [({}, 4), (TD3, 6)], ids=["ddpg", "td3"])
def test_stopping_and_resuming_equals_one_uninterrupted_run(tmp_path, algorithm, episodes):
    """Half the episodes, a resume, the other half: the rewards of one run, bit for bit."""
    from ddpg.run.driver import run_training

    quiet = lambda line: None  # noqa: E731
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert run_training(config(whole, max_episodes=episodes, **algorithm), log=quiet) == 0
    assert run_training(config(split, max_episodes=episodes // 2, **algorithm), log=quiet) == 0
    assert run_training(config(split, max_episodes=episodes, resume=True, **algorithm),
                        log=quiet) == 0

    rewards_whole = load_results(str(whole / "gym_ddpg"))["episode_rewards"]
    rewards_split = load_results(str(split / "gym_ddpg"))["episode_rewards"]
    assert len(rewards_whole) == episodes
    assert rewards_split == rewards_whole  # identical, not merely close
    weights_whole, weights_split = final_weights(whole), final_weights(split)
    assert set(weights_whole) == set(weights_split)
    assert any("Adam" in key for key in weights_whole)
    assert any(key.startswith("critic2/") for key in weights_whole) == bool(algorithm)
    for key, value in weights_whole.items():
        np.testing.assert_array_equal(weights_split[key], value, err_msg=key)

    from ddpg.outputs.events import read_event_scalars

    rewards_events = read_event_scalars(str(split))["Reward"]
    assert sorted(rewards_events) == list(range(episodes))  # keyed by the global episode
    np.testing.assert_allclose([rewards_events[i] for i in range(episodes)], rewards_whole,
                               rtol=1e-5)


def test_resume_after_a_crash_replays_from_the_checkpoint(tmp_path):
    """Episodes finished after the last checkpoint are replayed, not duplicated."""
    from ddpg.run.driver import run_training

    quiet = lambda line: None  # noqa: E731
    whole, crashed = tmp_path / "whole", tmp_path / "crashed"
    assert run_training(config(whole), log=quiet) == 0
    assert run_training(config(crashed, max_episodes=3, checkpoint_every=2), log=quiet) == 0
    # Pretend the run died after episode 3 but before its final checkpoint.
    checkpoints = crashed / "checkpoints"
    for name in os.listdir(checkpoints):
        if name.startswith("ckpt-000003"):
            import shutil

            shutil.rmtree(checkpoints / name)
    (checkpoints / "latest").write_text("ckpt-000002\n")
    assert run_training(config(crashed, resume=True), log=quiet) == 0
    assert load_results(str(crashed / "gym_ddpg"))["episode_rewards"] == \
        load_results(str(whole / "gym_ddpg"))["episode_rewards"]


def wait_for_episodes(results_dir, count, process, timeout=120):
    deadline = time.time() + timeout
    while time.time() < deadline:
        assert process.poll() is None, process.communicate()
        stats = load_results(str(results_dir / "gym_ddpg"))
        if stats and len(stats["episode_rewards"]) >= count:
            return
        time.sleep(0.2)
    raise AssertionError("training did not reach the episode in time")


def assert_everything_loads(results_dir):
    """Every JSON and npz the run left behind parses; returns how many."""
    checked = 0
    for path in glob.glob(str(results_dir / "**" / "*.json"), recursive=True):
        with open(path) as handle:
            json.load(handle)
        checked += 1
    for path in glob.glob(str(results_dir / "**" / "*.npz"), recursive=True):
        with np.load(path) as data:
            for key in data.files:
                data[key]
        checked += 1
    return checked


def start_long_run(results, episode_len, checkpoint_every):
    """A training subprocess that would run for minutes unless stopped."""
    return start_script("train_pendulum", "--max-episodes", 200, "--max-episode-len",
                        episode_len, "--checkpoint-every", checkpoint_every, "--eval-episodes", 0,
                        "--no-gif", "--no-plot", "--results-dir", results)


def test_sigterm_mid_episode_checkpoints_then_resume_continues(tmp_path):
    """The signal lands inside an episode; the run finishes that episode, so the
    resumed run equals one never stopped (same machine)."""
    results = tmp_path / "results"
    process = start_long_run(results, episode_len=150, checkpoint_every=2)
    wait_for_episodes(results, 2, process)
    time.sleep(0.15)  # somewhere inside the next episode
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 143, err[-2000:]
    assert "Stopped by signal" in out
    assert assert_everything_loads(results) >= 3
    from ddpg.run.checkpoint import latest_checkpoint, read_state

    latest = latest_checkpoint(str(results / "checkpoints"))
    state = read_state(latest)
    done_episodes = state["training"]["episode"]
    assert done_episodes >= 2
    assert final_weights(results)  # the TF checkpoint itself reads

    resumed = run_script("train_pendulum", "--resume", "--max-episodes", done_episodes + 1,
                         "--results-dir", results, "--no-gif", "--no-plot")
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"at episode {done_episodes}" in resumed.stdout
    assert f"Episode {done_episodes} |" in resumed.stdout
    monitor = load_results(str(results / "gym_ddpg"))
    assert monitor["episode_types"].count("t") == done_episodes + 1
    assert read_state(latest_checkpoint(str(results / "checkpoints")))["training"]["episode"] == \
        done_episodes + 1

    whole = tmp_path / "whole"
    never_stopped = run_script("train_pendulum", "--max-episodes", done_episodes + 1,
                               "--max-episode-len", 150, "--checkpoint-every", 2,
                               "--eval-episodes", 0, "--no-gif", "--no-plot",
                               "--results-dir", whole)
    assert never_stopped.returncode == 0, never_stopped.stderr[-2000:]
    assert load_results(str(whole / "gym_ddpg"))["episode_rewards"] == monitor["episode_rewards"]


def test_sigkill_leaves_only_complete_files(tmp_path):
    results = tmp_path / "results"
    process = start_long_run(results, episode_len=100, checkpoint_every=1)
    wait_for_episodes(results, 3, process)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert assert_everything_loads(results) >= 4
    resumed = run_script("train_pendulum", "--resume", "--max-episodes", 4, "--results-dir",
                         results, "--no-gif", "--no-plot", "--eval-episodes", 1)
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert not [n for n in os.listdir(results / "checkpoints") if n.endswith(".tmp")]


def test_corrupt_checkpoint_on_resume_is_refused_and_kept(tmp_path):
    from helpers import snapshot

    results = tmp_path / "results"
    first = run_script("train_pendulum", "--max-episodes", 1, "--max-episode-len", 20,
                       "--eval-episodes", 0, "--no-gif", "--no-plot", "--results-dir", results)
    assert first.returncode == 0, first.stderr[-2000:]
    ckpt = results / "checkpoints" / "ckpt-000001"
    whole_state = (ckpt / "state.json").read_text()
    (ckpt / "state.json").write_text('{"format_version": 1, "trai')
    before = snapshot(results)
    done = run_script("train_pendulum", "--resume", "--results-dir", results)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = stderr_lines(done)
    assert len(lines) == 1 and "corrupt" in lines[0] and "ckpt-000001" in lines[0]
    assert "state.json" in lines[0]
    assert snapshot(results) == before

    # A damaged weights file is only found by TensorFlow: still one line, nothing changed.
    (ckpt / "state.json").write_text(whole_state)
    for data in glob.glob(str(ckpt / "model.data-*")):
        with open(data, "r+b") as handle:
            handle.truncate(10)
    before = snapshot(results)
    done = run_script("train_pendulum", "--resume", "--results-dir", results, "--max-episodes", 2)
    lines = stderr_lines(done)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr[-2000:]
    assert len(lines) == 1 and "is damaged: its file model.data-" in lines[0], lines
    assert snapshot(results) == before


@pytest.mark.parametrize("signum,code", [(signal.SIGINT, 130)])
def test_ctrl_c_exits_130_after_writing_a_checkpoint(tmp_path, signum, code):
    results = tmp_path / "results"
    process = start_long_run(results, episode_len=50, checkpoint_every=100)
    wait_for_episodes(results, 1, process)
    process.send_signal(signum)
    out, err = process.communicate(timeout=60)
    assert process.returncode == code, err[-2000:]
    from ddpg.run.checkpoint import latest_checkpoint, read_state

    assert read_state(latest_checkpoint(str(results / "checkpoints")))["tag"] == "interrupted"
