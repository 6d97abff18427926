"""scripts/train_pendulum.py end to end, as a subprocess, and its outputs."""
import json
import os
import re

import numpy as np
import pytest
from helpers import run_script, snapshot, stderr_lines

from ddpg.outputs.monitor import load_results

# Subprocess runs and learning runs: the slow tier.
pytestmark = pytest.mark.slow

EPISODES = 3


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """One short training run shared by the tests of its outputs."""
    results = tmp_path_factory.mktemp("run") / "results"
    done = run_script("train_pendulum", "--max-episodes", EPISODES, "--max-episode-len", 60,
                      "--eval-episodes", 2, "--results-dir", results, "--random-seed", 5)
    return results, done


def test_script_runs_and_prints_the_classic_lines(trained_run):
    _, done = trained_run
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    assert re.search(r"^TensorFlow version: \d+\.\d+", out, re.M)
    assert "no GPU found" in out
    episode_lines = re.findall(r"^\| Reward: -?\d+ \| Episode (\d+) \| Qmax: -?\d+\.\d{4}$", out,
                               re.M)
    assert episode_lines == [str(i) for i in range(EPISODES)]
    assert re.search(r"^\| Evaluation: mean return -?\d+\.\d \u00b1 \d+\.\d over 2 episodes$",
                     out, re.M)


def test_evaluation_json(trained_run):
    results, _ = trained_run
    with open(results / "evaluation.json") as handle:
        evaluation = json.load(handle)
    for key in ("mean_return", "std_return", "episodes", "env_steps", "wall_seconds", "env_id",
                "seed"):
        assert key in evaluation, key
    assert evaluation["episodes"] == 2 and evaluation["env_id"] == "Pendulum-v1"
    assert evaluation["seed"] == 5
    assert evaluation["env_steps"] == 120  # two episodes of --max-episode-len 60
    assert evaluation["mean_return"] == pytest.approx(np.mean(evaluation["returns"]))
    assert evaluation["std_return"] == pytest.approx(np.std(evaluation["returns"]))
    assert all(seed % 2 == 1 for seed in evaluation["episode_seeds"])  # never a training seed


def test_monitor_files_hold_training_and_evaluation_episodes(trained_run):
    results, _ = trained_run
    monitor = load_results(str(results / "gym_ddpg"))
    assert monitor["episode_types"] == ["t"] * EPISODES + ["e", "e"]
    assert monitor["episode_lengths"] == [60] * (EPISODES + 2)
    with open(results / "evaluation.json") as handle:
        evaluation = json.load(handle)
    np.testing.assert_allclose(monitor["episode_rewards"][EPISODES:], evaluation["returns"])


def test_events_checkpoint_gif_and_curve_are_written(trained_run):
    from ddpg.outputs.events import read_event_scalars

    results, done = trained_run
    scalars = read_event_scalars(str(results))
    monitor = load_results(str(results / "gym_ddpg"))
    rewards = [scalars["Reward"][i] for i in range(EPISODES)]
    np.testing.assert_allclose(rewards, monitor["episode_rewards"][:EPISODES], rtol=1e-5)
    assert set(scalars["Qmax_value"]) == set(range(EPISODES))
    assert "evaluation/mean_return" in scalars
    with open(results / "checkpoints" / "latest") as handle:
        assert handle.read().strip() == f"ckpt-{EPISODES:06d}"
    from PIL import Image

    with Image.open(results / "pendulum.gif") as gif:
        assert gif.n_frames == 61 and max(gif.size) <= 256
    with Image.open(results / "learning_curve.png") as png:
        assert png.format == "PNG" and png.size[0] > 300
    assert f"{results / 'pendulum.gif'}" in done.stdout


def test_help_lists_every_flag_with_its_default():
    done = run_script("train_pendulum", "--help")
    assert done.returncode == 0
    for flag, default in [("--env", "Pendulum-v1"), ("--max-episodes", None),
                          ("--max-episode-len", "1000"), ("--actor-lr", "0.0001"),
                          ("--critic-lr", "0.001"), ("--gamma", "0.99"), ("--tau", "0.001"),
                          ("--buffer-size", None), ("--minibatch-size", "64"),
                          ("--random-seed", None), ("--noise", "ou"), ("--render-env", "False"),
                          ("--use-gym-monitor", "True"), ("--no-use-gym-monitor", None),
                          ("--monitor-dir", "gym_ddpg"), ("--summary-dir", "tf_ddpg"),
                          ("--results-dir", "./results"), ("--eval-episodes", "10"),
                          ("--force", None), ("--resume", None), ("--checkpoint-every", "10"),
                          ("--threads", None)]:
        options = done.stdout.split("options:")[1]
        assert flag in options, flag
        if default:
            # The option's own entry: a help text that mentions the flag may wrap onto a
            # line of its own too ("  --results-dir); ...").
            start = re.search(r"\n  " + re.escape(flag) + r"[ ,\n]", options).start()
            block = options[start:][:400]
            assert default in block, (flag, default)


def test_existing_run_is_refused_then_force_replaces_it(tmp_path):
    results = tmp_path / "results"
    first = run_script("train_pendulum", "--max-episodes", 1, "--max-episode-len", 20,
                       "--eval-episodes", 0, "--no-gif", "--no-plot", "--results-dir", results)
    assert first.returncode == 0, first.stderr[-2000:]
    before = snapshot(results)
    again = run_script("train_pendulum", "--max-episodes", 1, "--results-dir", results)
    assert snapshot(results) == before
    assert again.returncode == 2
    assert stderr_lines(again) == [stderr_lines(again)[0]]
    assert "already holds a run" in again.stderr and "--force" in again.stderr
    forced = run_script("train_pendulum", "--max-episodes", 2, "--max-episode-len", 20,
                        "--eval-episodes", 0, "--no-gif", "--no-plot", "--results-dir", results,
                        "--force")
    assert forced.returncode == 0, forced.stderr[-2000:]
    monitor = load_results(str(results / "gym_ddpg"))
    assert monitor["episode_lengths"] == [20, 20] and len(monitor["manifests"]) == 1
    from ddpg.outputs.events import run_event_files

    assert len(run_event_files(str(results / "tf_ddpg"))) == 1


def test_render_without_a_display_records_monitor_videos(tmp_path):
    results = tmp_path / "results"
    done = run_script("train_pendulum", "--render-env", "--max-episodes", 3, "--max-episode-len",
                      10, "--eval-episodes", 0, "--no-gif", "--no-plot", "--results-dir", results)
    assert done.returncode == 0, done.stderr[-2000:]
    videos = load_results(str(results / "gym_ddpg"))["videos"]
    # gym's capped cubic schedule: episodes 0 and 1 of 0, 1, 2.
    episodes = [os.path.basename(v).rsplit(".video", 1)[1][:6] for v, _ in videos]
    assert episodes == ["000000", "000001"]
    for video, meta in videos:
        assert os.path.getsize(video) > 1000
        with open(meta) as handle:
            assert json.load(handle)["content_type"] in ("video/mp4", "image/gif")
