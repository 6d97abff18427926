"""Across tasks: normalized scores, IQM and mean with stratified bootstrap intervals (rliable),
the random-policy baseline that is their 0, per-seed values, marks and the running mark."""
import json
import sys

import numpy as np
import pytest

from ddpg import atomic
from ddpg.sweep import aggregate as across_tasks
from ddpg.sweep.random_baseline import BASELINE_FILE
from ddpg.sweep.report import build_report, write_report
from report_fixtures import save_spec, write_trial

# The TD3 paper's Table 1 TD3 figures (published.json): 1 of the normalized scores.
TD3 = {"Hopper-v5": 3564.07, "Walker2d-v5": 4682.82, "Reacher-v5": -3.6}
RANDOM = {"Hopper-v5": 18.0, "Walker2d-v5": 2.0, "Reacher-v5": -43.0}
# Each seed's evaluation means at steps 100, 200, 300 (its final-10: their mean).
CURVES = {
    "Hopper-v5": {0: [100.0, 1500.0, 2500.0], 1: [300.0, 900.0, 3600.0],
                  2: [50.0, 700.0, 1200.0]},
    "Walker2d-v5": {0: [40.0, 2000.0, 4000.0], 1: [10.0, 600.0, 900.0],
                    2: [500.0, 3100.0, 4700.0]},
    "Reacher-v5": {0: [-30.0, -10.0, -5.0], 1: [-40.0, -12.0, -4.0], 2: [-35.0, -8.0, -6.0]},
}


def write_baseline(folder, means=RANDOM, seed=0, episodes=100):
    atomic.write_json(str(folder / BASELINE_FILE), {
        "format": 1, "seed": seed, "episodes": episodes,
        "tasks": {task: {"mean": mean, "std": 1.0, "episodes": episodes}
                  for task, mean in means.items()}})


def sweep(tmp_path, seeds=(0, 1, 2), tasks=tuple(CURVES), running=None, baseline=True):
    """Crafted finished runs of the tasks (eval_episodes 2, returns mean ± 1)."""
    storage = tmp_path / "sweep"
    save_spec(storage, list(tasks), list(seeds))
    for task in tasks:
        for seed in seeds:
            means = CURVES[task][seed]
            points = [(100 * (i + 1), [m - 1.0, m + 1.0]) for i, m in enumerate(means)]
            if running == (task, seed):  # stopped at step 200 so far
                write_trial(storage, f"runs/{task}/seed-{seed}", task, points[:2],
                            status="running")
            else:
                write_trial(storage, f"runs/{task}/seed-{seed}", task, points,
                            training=[1.0, 2.0], final=means[-1])
    if baseline:
        write_baseline(storage)
    return storage


def by_hand(seeds=(0, 1, 2), tasks=tuple(CURVES)):
    """runs x tasks normalized final-10 scores, computed here with NumPy alone."""
    return np.array([[(np.mean(CURVES[t][s]) - RANDOM[t]) / (TD3[t] - RANDOM[t]) for t in tasks]
                     for s in seeds])


def iqm_by_hand(values):
    """The interquartile mean of a number of values divisible by 4: the middle half's mean."""
    values = np.sort(np.ravel(values))
    quarter = len(values) // 4
    assert quarter * 4 == len(values)
    return float(values[quarter:len(values) - quarter].mean())


@pytest.mark.slow  # rliable's 2,000-resample bootstrap
def test_normalized_scores_iqm_and_mean_match_numpy_by_hand(tmp_path):
    pytest.importorskip("rliable")
    # 4 seeds x 3 tasks = 12 scores, so the IQM is the mean of the middle 6.
    CURVES_4 = {t: {**c, 3: [v * 0.5 for v in c[0]]} for t, c in CURVES.items()}
    storage = tmp_path / "sweep"
    save_spec(storage, list(CURVES), [0, 1, 2, 3])
    for task, seeds in CURVES_4.items():
        for seed, means in seeds.items():
            write_trial(storage, f"runs/{task}/seed-{seed}", task,
                        [(100 * (i + 1), [m - 1.0, m + 1.0]) for i, m in enumerate(means)])
    write_baseline(storage)
    found = build_report([storage])["aggregate"]
    (group,) = found["groups"]
    expected = np.array([[(np.mean(CURVES_4[t][s]) - RANDOM[t]) / (TD3[t] - RANDOM[t])
                          for t in CURVES] for s in range(4)])
    assert group["tasks"] == list(CURVES) and group["runs_per_task"] == 4
    for index, task in enumerate(CURVES):
        np.testing.assert_allclose(group["normalized"][task], expected[:, index])
        assert group["seeds"][task] == [0, 1, 2, 3]
    assert group["iqm"]["estimate"] == pytest.approx(iqm_by_hand(expected))
    assert group["mean"]["estimate"] == pytest.approx(expected.mean())
    # A real interval around each estimate, inside the range of the scores.
    for name in ("iqm", "mean"):
        low, high = group[name]["low"], group[name]["high"]
        assert expected.min() <= low < group[name]["estimate"] < high <= expected.max()
    assert found["score"] == "final10" and found["reference"] == "td3_table1_td3"
    assert found["random_baseline"]["Hopper-v5"]["mean"] == 18.0


@pytest.mark.slow
def test_the_interval_is_rliables_stratified_bootstrap_with_a_fixed_seed(tmp_path):
    """What rliable gives for the same scores after numpy.random.seed(0), whatever the global
    random state was before, and the global state is left as it was."""
    pytest.importorskip("rliable")
    from rliable import library, metrics

    storage = sweep(tmp_path)
    np.random.seed(12345)
    before = np.random.get_state()[1].copy()
    (group,) = build_report([storage])["aggregate"]["groups"]
    assert np.array_equal(np.random.get_state()[1], before)
    scores = by_hand()
    np.random.seed(across_tasks.BOOTSTRAP_SEED)
    _, intervals = library.get_interval_estimates(
        {"x": scores}, lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_mean(s)]),
        reps=across_tasks.REPS, method="percentile", confidence_interval_size=0.95)
    (low_iqm, low_mean), (high_iqm, high_mean) = intervals["x"]
    assert (group["iqm"]["low"], group["iqm"]["high"]) == pytest.approx((low_iqm, high_iqm))
    assert (group["mean"]["low"], group["mean"]["high"]) == pytest.approx((low_mean, high_mean))
    assert low_mean < high_mean
    # The same report again, after other draws from the global state: the same digits.
    np.random.rand(7)
    assert build_report([storage])["aggregate"]["groups"][0]["iqm"] == group["iqm"]


@pytest.mark.slow  # rliable's 2,000-resample bootstrap
def test_one_run_per_task_gives_a_zero_width_interval_and_says_so(tmp_path):
    pytest.importorskip("rliable")
    storage = sweep(tmp_path, seeds=(1,))
    out = tmp_path / "out"
    write_report([storage], out)
    (group,) = json.loads((out / "report.json").read_text())["aggregate"]["groups"]
    scores = by_hand(seeds=(1,))
    assert group["runs_per_task"] == 1 and group["seeds"]["Reacher-v5"] == [1]
    # 3 scores: scipy's trim_mean cuts int(0.25 * 3) = 0 from each end, so the IQM is the mean.
    assert group["iqm"]["estimate"] == pytest.approx(scores.mean())
    for name in ("iqm", "mean"):
        assert group[name]["low"] == group[name]["high"] == pytest.approx(group[name]["estimate"])
    text = (out / "report.md").read_text()
    assert "## Aggregate across tasks" in text
    assert "| fujimoto2018 | 300 steps | 3 | 1 (seed 1) |" in text
    assert "the interval has zero width" in text
    assert (out / "aggregate.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "![aggregate across tasks](aggregate.png)" in text


@pytest.mark.slow  # rliable's 2,000-resample bootstrap
def test_the_iqm_curve_against_steps_is_the_iqm_at_each_shared_step(tmp_path):
    pytest.importorskip("rliable")
    from rliable import metrics

    (group,) = build_report([sweep(tmp_path)])["aggregate"]["groups"]
    curve = group["curve"]
    assert curve["steps"] == [100, 200, 300]
    for index in range(3):
        at_step = np.array([[(CURVES[t][s][index] - RANDOM[t]) / (TD3[t] - RANDOM[t])
                             for t in CURVES] for s in range(3)])
        # 9 scores: trim_mean cuts int(2.25) = 2 from each end, the mean of the middle 5.
        assert curve["iqm"][index] == pytest.approx(np.sort(at_step.ravel())[2:7].mean())
        assert curve["iqm"][index] == pytest.approx(metrics.aggregate_iqm(at_step))
        assert curve["low"][index] <= curve["iqm"][index] <= curve["high"][index]
    values = np.random.default_rng(0).normal(size=(3, 4, 5))
    np.testing.assert_allclose(across_tasks.iqm_per_step(values),
                               [metrics.aggregate_iqm(values[..., j]) for j in range(5)])


@pytest.mark.slow  # rliable's 2,000-resample bootstrap
def test_tasks_give_the_fewest_finished_runs_and_a_running_trial_is_marked(tmp_path):
    pytest.importorskip("rliable")
    storage = sweep(tmp_path, running=("Walker2d-v5", 2))
    out = tmp_path / "out"
    write_report([storage], out, plots=False)
    report = json.loads((out / "report.json").read_text())
    (group,) = report["aggregate"]["groups"]
    assert group["runs_per_task"] == 2 and group["runs_left_out"] == 2
    assert group["seeds"] == {"Hopper-v5": [0, 1], "Walker2d-v5": [0, 1], "Reacher-v5": [0, 1]}
    assert group["iqm"]["estimate"] == pytest.approx(
        float(np.mean(np.sort(by_hand(seeds=(0, 1)).ravel())[1:5])))
    rows = {g["task"]: g for g in report["groups"]}
    assert rows["Walker2d-v5"]["running"] == [{"seed": 2, "steps": 200}]
    assert rows["Hopper-v5"]["running"] == [] and rows["Hopper-v5"]["pending_seeds"] == []
    text = (out / "report.md").read_text()
    marked = [line for line in text.splitlines() if "running: seed 2 at 200 steps of 300" in line]
    # In every per-task table (Table 1, final-10, CleanRL's, per-seed best), Walker2d's row only.
    assert len(marked) == 4 and all(line.startswith("| Walker2d-v5 |") for line in marked)


@pytest.mark.slow  # rliable's 2,000-resample bootstrap
def test_a_task_without_a_baseline_or_a_finished_run_is_left_out_by_name(tmp_path):
    pytest.importorskip("rliable")
    storage = sweep(tmp_path)
    write_baseline(storage, {k: v for k, v in RANDOM.items() if k != "Reacher-v5"})
    (group,) = build_report([storage])["aggregate"]["groups"]
    assert group["tasks"] == ["Hopper-v5", "Walker2d-v5"]
    assert group["tasks_left_out"] == [{"task": "Reacher-v5",
                                        "reason": "no random baseline for Reacher-v5"}]
    assert group["mean"]["estimate"] == pytest.approx(by_hand(tasks=("Hopper-v5",
                                                                     "Walker2d-v5")).mean())


def test_without_a_baseline_or_without_rliable_the_report_says_so_in_one_line(
        tmp_path, monkeypatch):
    storage = sweep(tmp_path, baseline=False)
    found = build_report([storage])["aggregate"]
    assert found["groups"] == [] and BASELINE_FILE in found["note"]
    write_baseline(storage)
    for name in ("rliable", "rliable.library", "rliable.metrics"):
        monkeypatch.setitem(sys.modules, name, None)  # import rliable now fails
    out = tmp_path / "out"
    write_report([storage], out)
    found = json.loads((out / "report.json").read_text())["aggregate"]
    assert found["groups"] == [] and "rliable does not import" in found["note"]
    assert "\n" not in found["note"]
    section = (out / "report.md").read_text().split("## Aggregate across tasks\n\n")[1]
    assert section.split("\n")[0] == found["note"] + "." and section.split("\n")[1] == ""
    assert not (out / "aggregate.png").exists()


@pytest.mark.slow  # rliable's 2,000-resample bootstrap
def test_two_baselines_that_disagree_on_a_task_are_refused(tmp_path, capsys):
    from ddpg.cli import sweep as cli

    storage = sweep(tmp_path)
    other = tmp_path / "other"
    save_spec(other, ["Hopper-v5"], [5], name="other")
    write_trial(other, "runs/Hopper-v5/seed-5", "Hopper-v5", [(100, [1.0, 3.0])])
    write_baseline(other, {"Hopper-v5": 17.0})
    assert cli.main(["--report", str(storage), str(other), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "random baselines" in err[0] and "Hopper-v5" in err[0]
    write_baseline(other, {"Hopper-v5": 18.0})  # the same measurement twice is one
    assert cli.main(["--report", str(storage), str(other), "--out", str(tmp_path / "o")]) == 0


def test_each_measure_lists_its_seeds_values_and_marks_where_ours_lies(tmp_path):
    storage = sweep(tmp_path, baseline=False)
    report = build_report([storage])
    rows = {g["task"]: g for g in report["groups"]}
    hopper = rows["Hopper-v5"]
    # Table 1 step: the across-seed mean is largest at step 300 (2433.3).
    assert hopper["table1"]["step"] == 300
    assert hopper["table1"]["per_seed"] == [{"seed": 0, "value": 2500.0},
                                            {"seed": 1, "value": 3600.0},
                                            {"seed": 2, "value": 1200.0}]
    assert [p["value"] for p in hopper["final10"]["per_seed"]] == \
        pytest.approx([np.mean(CURVES["Hopper-v5"][s]) for s in range(3)])
    assert [p["value"] for p in hopper["per_seed_best"]["per_seed"]] == [2500.0, 3600.0, 1200.0]
    assert [p["seed"] for p in hopper["final_evaluation"]["per_seed"]] == [0, 1, 2]
    assert hopper["cleanrl_measure"]["per_seed"][0] == {"seed": 0, "value": 1.5}
    marks = {p["source"]: p["ours"] for p in hopper["published"]["table1"]}
    # Ours 2433.33: above the paper's DDPG (2020.46) and Our DDPG (1860.02), given without
    # a std; within Tianshou's 2197.0 ± 971.6.
    assert marks == {"td3_table1_ddpg": "above", "td3_table1_our_ddpg": "above",
                     "tianshou_ddpg": "within"}
    assert {p["source"]: p["ours"] for p in rows["Reacher-v5"]["published"]["table1"]} == \
        {"td3_table1_ddpg": "above", "td3_table1_our_ddpg": "below", "tianshou_ddpg": "below"}
    std = np.std([2500.0, 3600.0, 1200.0])
    assert f"| Hopper-v5 | fujimoto2018 | 2433.33 ± {std:.2f} | 300 | 3 | 0: 2500.00; " \
           "1: 3600.00; 2: 1200.00 | 2020.46 (v1) | above | 1860.02 (v1) | above | " \
           "2197.00 ± 971.60 (v3) | within 1 std |" in build_markdown(report)


def test_td3_is_within_one_of_the_papers_std_above_or_below():
    from ddpg.sweep.measures import against_published

    assert against_published(3500.0, 3564.07, 114.74) == "within"
    assert against_published(3449.34, 3564.07, 114.74) == "within"  # just inside 1 std below
    assert against_published(3449.0, 3564.07, 114.74) == "below"
    assert against_published(3700.0, 3564.07, 114.74) == "above"
    assert against_published(1000.0, 1000.0, 0.0) == "within"  # InvertedPendulum
    assert against_published(1000.0, 1000.0, None) == "equal"
    assert against_published(999.0, 1000.0, None) == "below"


def build_markdown(report):
    from ddpg.sweep.report import load_published, render_markdown

    return render_markdown(report, load_published())


def test_the_random_baseline_repeats_for_a_seed_and_changes_with_it(tmp_path, capsys):
    """Measured on Pendulum-v1 (cheap, no MuJoCo), three episodes."""
    from ddpg.cli import sweep as cli
    from ddpg.sweep.random_baseline import measure

    first = measure(["Pendulum-v1"], episodes=3, seed=7)
    again = measure(["Pendulum-v1"], episodes=3, seed=7)
    other = measure(["Pendulum-v1"], episodes=3, seed=8)
    task = first["tasks"]["Pendulum-v1"]
    assert task == again["tasks"]["Pendulum-v1"]
    assert task["returns"] != other["tasks"]["Pendulum-v1"]["returns"]
    assert task["mean"] == pytest.approx(np.mean(task["returns"]))
    assert task["std"] == pytest.approx(np.std(task["returns"]))
    assert task["episodes"] == 3 and task["mean_length"] == 200.0
    assert first["seed"] == 7 and first["versions"]["gymnasium"]
    # The command: the same numbers in the file; never over an existing file unasked.
    out = tmp_path / "bench"
    argv = ["--random-baseline", "--env", "Pendulum-v1", "--out", str(out),
            "--baseline-episodes", "3", "--baseline-seed", "7"]
    assert cli.main(argv) == 0
    written = json.loads((out / BASELINE_FILE).read_text())
    assert written["tasks"]["Pendulum-v1"] == json.loads(json.dumps(task))
    assert "Pendulum-v1: " in capsys.readouterr().out
    before = (out / BASELINE_FILE).read_text()
    assert cli.main(argv[:-1] + ["8"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (out / BASELINE_FILE).read_text() == before
    assert cli.main(argv[:-1] + ["8", "--force"]) == 0
    assert json.loads((out / BASELINE_FILE).read_text())["seed"] == 8


@pytest.mark.slow
def test_performance_profiles_are_rliables_score_distributions_with_a_fixed_seed():
    pytest.importorskip("rliable")
    from rliable import library

    scores = {"a": by_hand(), "b": by_hand()[::-1] * 0.5}
    taus, profiles, intervals = across_tasks.performance_profiles(scores)
    np.random.seed(across_tasks.BOOTSTRAP_SEED)
    expected, expected_intervals = library.create_performance_profile(scores, taus, reps=2000)
    for label in scores:
        np.testing.assert_allclose(profiles[label], expected[label])
        np.testing.assert_allclose(intervals[label], expected_intervals[label])
    # The fraction of all 9 runs x tasks scores above each tau, by hand.
    np.testing.assert_allclose(profiles["a"], [(scores["a"] > t).mean() for t in taus])
    assert taus[0] <= 0.0 and taus[-1] >= 1.5
