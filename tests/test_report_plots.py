"""Learning curves against environment steps, for one run and for a report's groups."""
import json

import numpy as np
import pytest

from ddpg.outputs import plotting
from report_fixtures import write_trial

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def axes_used(monkeypatch):
    """The x-axis label of every figure written."""
    labels = []
    original = plotting.save_figure

    def spy(fig, ax, out, xlabel, ylabel, title):
        labels.append(xlabel)
        return original(fig, ax, out, xlabel, ylabel, title)

    monkeypatch.setattr(plotting, "save_figure", spy)
    return labels


def test_a_run_with_periodic_evaluations_is_drawn_against_steps(tmp_path, axes_used):
    run_dir = write_trial(tmp_path, "runs/Hopper-v5/seed-0", "Hopper-v5",
                          [(10, [1.0, 3.0]), (30, [4.0, 8.0])], training=[1.0, 2.0, 3.0, 4.0],
                          final=6.0)
    # As the driver calls it: the Monitor folder, evaluations.json one level up.
    out = tmp_path / "learning_curve.png"
    (run,) = plotting.plot_runs([f"{run_dir}/gym_ddpg"], str(out), labels=["seed-0"])
    assert out.read_bytes()[:8] == PNG and axes_used == ["environment steps"]
    np.testing.assert_array_equal(run["steps"], [10, 20, 30, 40])  # episodes of 10 steps
    np.testing.assert_array_equal(run["returns"], [1.0, 2.0, 3.0, 4.0])
    assert run["evaluations"] == [{"steps": 10, "mean": 2.0, "std": 1.0},
                                  {"steps": 30, "mean": 6.0, "std": 2.0}]
    assert run["eval_episodes"] == [4] and run["eval_returns"] == [6.0]
    assert run["final"]["mean_return"] == 6.0  # evaluation.json, drawn at the last step
    # Several runs, averaged; and the episode axis on request.
    plotting.plot_runs([run_dir, run_dir], str(tmp_path / "two.png"), aggregate=True)
    plotting.plot_runs([run_dir], str(tmp_path / "ep.png"), x_axis="episodes")
    assert axes_used[1:] == ["environment steps", "episode"]


def test_a_run_without_periodic_evaluations_keeps_the_episode_axis(tmp_path, axes_used):
    run_dir = write_trial(tmp_path, "r", "Pendulum-v1", [], training=[1.0, 2.0], final=3.0)
    (tmp_path / "r" / "evaluations.json").unlink()
    (run,) = plotting.plot_runs([run_dir], str(tmp_path / "c.png"))
    assert run["evaluations"] == [] and axes_used == ["episode"]


def test_plot_cli_takes_the_x_axis(tmp_path, capsys):
    from ddpg.cli import plot as cli

    run_dir = write_trial(tmp_path, "r", "Hopper-v5", [(10, [1.0, 1.0])], training=[1.0, 2.0])
    assert cli.main([run_dir, "--out", str(tmp_path / "p.png"), "--x-axis", "steps"]) == 0
    assert "1 periodic evaluations" in capsys.readouterr().out
    with pytest.raises(SystemExit) as bad:
        cli.main([run_dir, "--out", str(tmp_path / "p.png"), "--x-axis", "minutes"])
    assert bad.value.code == 2 and "invalid choice" in capsys.readouterr().err


def test_group_curves_draw_the_mean_and_std_at_shared_steps(tmp_path):
    seeds = [([100, 200, 300], [1.0, 4.0, 9.0]), ([100, 200], [3.0, 2.0])]
    out = tmp_path / "curves.png"
    drawn = plotting.plot_group_curves([("fujimoto2018", seeds, 200)], str(out))
    steps, mean, std = drawn["fujimoto2018"]
    assert steps == [100, 200]
    np.testing.assert_allclose(mean, [2.0, 3.0])
    np.testing.assert_allclose(std, [1.0, 1.0])
    assert out.read_bytes()[:8] == PNG
    with pytest.raises(ValueError, match="every seed reached"):
        plotting.plot_group_curves([("x", [([1], [1.0]), ([2], [2.0])], 1)],
                                   str(tmp_path / "none.png"))


@pytest.mark.slow
def test_training_with_periodic_evaluations_plots_them_against_steps(tmp_path):
    """The driver's learning_curve.png, with no change to the driver."""
    from helpers import run_script

    results = tmp_path / "results"
    done = run_script("train_pendulum", "--total-steps", 400, "--eval-every", 200,
                      "--eval-episodes", 2, "--max-episode-len", 100, "--no-gif",
                      "--results-dir", results)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (results / "learning_curve.png").read_bytes()[:8] == PNG
    run = plotting.read_run(str(results / "gym_ddpg"))
    with open(results / "evaluations.json", encoding="utf-8") as handle:
        points = json.load(handle)["evaluations"]
    assert [p["steps"] for p in run["evaluations"]] == [p["steps"] for p in points] == [200, 400]
    assert run["steps"][-1] == 400


def test_the_best_policy_is_marked_on_a_runs_curve(tmp_path, monkeypatch):
    """checkpoints/best's step and score, as ddpg-plot and learning_curve.png draw them."""
    run_dir = write_trial(tmp_path, "r", "Hopper-v5", [(10, [1.0, 3.0]), (30, [4.0, 8.0])],
                          training=[1.0, 2.0, 3.0, 4.0])
    best = tmp_path / "r" / "checkpoints" / "best"
    best.mkdir(parents=True)
    (best / "state.json").write_text(json.dumps({
        "format_version": 1, "steps": 30, "episode": 3,
        "evaluation": {"steps": 30, "mean": 6.0, "std": 2.0, "returns": [4.0, 8.0]}}))
    legends = []
    original = plotting.save_figure

    def spy(fig, ax, out, xlabel, ylabel, title):
        legends.append(dict(zip(ax.get_legend_handles_labels()[1],
                                ax.get_legend_handles_labels()[0])))
        return original(fig, ax, out, xlabel, ylabel, title)

    monkeypatch.setattr(plotting, "save_figure", spy)
    from ddpg.run.checkpoint import read_best

    (run,) = plotting.plot_runs([run_dir], str(tmp_path / "c.png"), labels=["r"],
                                best_of=read_best)
    assert (run["best"]["steps"], run["best"]["mean"]) == (30, 6.0)
    marker = legends[0]["r best policy (checkpoints/best)"]
    assert list(marker.get_xdata()) == [30] and list(marker.get_ydata()) == [6.0]
