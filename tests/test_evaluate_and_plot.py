"""scripts/evaluate.py and scripts/plot.py on a real (short) run."""
import json

import numpy as np
import pytest
from helpers import run_script, stderr_lines
from PIL import Image

from ddpg.outputs.monitor import load_results

# Subprocess runs and learning runs: the slow tier.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    results = tmp_path_factory.mktemp("evalrun") / "results"
    done = run_script("train_pendulum", "--max-episodes", 4, "--max-episode-len", 30,
                      "--eval-episodes", 3, "--no-gif", "--no-plot", "--results-dir", results)
    assert done.returncode == 0, done.stderr[-2000:]
    return results


def test_evaluate_reproduces_the_training_evaluation(run_dir, tmp_path):
    with open(run_dir / "evaluation.json") as handle:
        at_training = json.load(handle)
    out = tmp_path / "eval.json"
    gif = tmp_path / "policy.gif"
    done = run_script("evaluate", "--results-dir", run_dir, "--episodes", 3, "--out", out,
                      "--gif", gif)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "| Evaluation: mean return" in done.stdout
    with open(out) as handle:
        again = json.load(handle)
    # Same checkpoint, same evaluation seeds, deterministic policy: same returns
    # (except the episode step limit: the run's 30 is kept from its checkpoint).
    np.testing.assert_allclose(again["returns"], at_training["returns"], rtol=1e-6)
    assert again["episode_seeds"] == at_training["episode_seeds"]
    for key in ("mean_return", "std_return", "episodes", "env_steps", "wall_seconds", "env_id",
                "seed"):
        assert key in again
    with Image.open(gif) as image:
        assert image.n_frames == 31 and image.format == "GIF"


def test_evaluate_gif_and_plot_work_on_a_td3_run(tmp_path):
    """TD3's checkpoints hold two critics; evaluation, the GIF and the curve need the actor only."""
    results = tmp_path / "td3"
    done = run_script("train_pendulum", "--preset", "td3", "--env", "Pendulum-v1",
                      "--total-steps", 240, "--start-steps", 50, "--learning-starts", 0,
                      "--minibatch-size", 16, "--hidden-sizes", "32,32", "--eval-every", 120,
                      "--eval-episodes", 2, "--max-episode-len", 60, "--no-gif",
                      "--results-dir", results)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(results / "config.json") as handle:
        config = json.load(handle)
    assert config["twin_critics"] and config["policy_delay"] == 2 and config["preset"] == "td3"
    with open(results / "evaluation.json") as handle:
        at_training = json.load(handle)
    out, gif = tmp_path / "eval.json", tmp_path / "td3.gif"
    done = run_script("evaluate", "--results-dir", results, "--episodes", 2, "--out", out,
                      "--gif", gif)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(out) as handle:
        np.testing.assert_allclose(json.load(handle)["returns"], at_training["returns"],
                                   rtol=1e-6)
    with Image.open(gif) as image:
        assert image.n_frames == 61
    png = tmp_path / "td3.png"
    done = run_script("plot", results, "--out", png)
    assert done.returncode == 0, done.stderr[-2000:]
    with Image.open(png) as image:
        assert image.format == "PNG"
    assert (results / "learning_curve.png").exists()


def test_evaluate_a_given_checkpoint(run_dir, tmp_path):
    out = tmp_path / "eval.json"
    done = run_script("evaluate", "--checkpoint", run_dir / "checkpoints" / "ckpt-000004",
                      "--episodes", 2, "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(out) as handle:
        assert json.load(handle)["episodes"] == 2


@pytest.mark.parametrize("args,words", [
    (["--checkpoint", "/nonexistent/ckpt"], ["checkpoint", "does not exist"]),
    ([], ["--results-dir", "--checkpoint"]),
    (["--episodes", "0", "--results-dir", "."], ["--episodes", "0"]),
])
def test_evaluate_bad_input(args, words):
    done = run_script("evaluate", *args)
    lines = stderr_lines(done)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert len(lines) == 1 and all(w in lines[0] for w in words), lines


def test_video_dir_without_moviepy_says_how_to_get_it(run_dir, tmp_path):
    from ddpg.outputs.video import mp4_available

    done = run_script("evaluate", "--results-dir", run_dir, "--video-dir", tmp_path / "videos",
                      "--out", tmp_path / "e.json")
    if mp4_available():
        assert done.returncode == 0, done.stderr[-2000:]
        assert list((tmp_path / "videos").glob("*.mp4"))
    else:
        lines = stderr_lines(done)
        from ddpg.extras import install_hint

        assert done.returncode == 2 and install_hint("video") in lines[0]


def test_plot_writes_a_png_of_the_monitor_numbers(run_dir, tmp_path):
    from ddpg.outputs.plotting import read_run

    out = tmp_path / "curve.png"
    done = run_script("plot", run_dir, run_dir, "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    with Image.open(out) as image:
        assert image.format == "PNG" and image.size == (800, 500)
    run = read_run(str(run_dir))
    monitor = load_results(str(run_dir / "gym_ddpg"))
    np.testing.assert_array_equal(run["returns"], monitor["episode_rewards"][:4])
    assert run["eval_episodes"] == [4]
    assert run["eval_returns"] == pytest.approx([np.mean(monitor["episode_rewards"][4:])])


def test_plot_aggregate_band_and_bad_folder(run_dir, tmp_path):
    from ddpg.outputs.plotting import bootstrap_band, rolling_mean

    out = tmp_path / "agg.png"
    done = run_script("plot", run_dir, run_dir, "--aggregate", "--out", out)
    assert done.returncode == 0, done.stderr[-2000:]
    assert out.stat().st_size > 1000
    np.testing.assert_allclose(rolling_mean([1, 2, 3, 4], 2), [1, 1.5, 2.5, 3.5])
    mean, low, high = bootstrap_band([[0, 0, 0], [2, 4, 6]])
    np.testing.assert_allclose(mean, [1, 2, 3])
    assert np.all(low <= mean) and np.all(mean <= high) and high[2] == 6 and low[0] == 0
    empty = tmp_path / "empty"
    empty.mkdir()
    done = run_script("plot", empty, "--out", tmp_path / "x.png")
    assert done.returncode == 2 and "no episodes" in stderr_lines(done)[0]
