"""`ddpg-sweep --report A B ... --out DIR [--collect]`: merged reports and evidence (fast)."""
import json
import os

import numpy as np
import pytest

from ddpg import atomic
from ddpg.cli import sweep as cli
from ddpg.sweep.report import REPORT, REPORT_JSON, rebuild_differences
from report_fixtures import save_spec, write_trial

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCHMARKS = os.path.join(REPO_DIR, "benchmarks")


def run(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def refused(capsys, *argv):
    code, _, err = run(capsys, *argv)
    assert code == 2 and len(err) == 1 and "error:" in err[0], err
    return err[0]


def two_sweeps(tmp_path, seeds_b=(1,), config_b=None):
    """Sweep A ran Hopper seed 0; sweep B ran Hopper with the given seeds."""
    a, b = tmp_path / "a", tmp_path / "b"
    save_spec(a, ["Hopper-v5"], [0], name="first")
    write_trial(a, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0]), (200, [5.0, 7.0])],
                training=[1.0, 2.0], final=6.0)
    save_spec(b, ["Hopper-v5"], list(seeds_b), name="second")
    for seed in seeds_b:
        write_trial(b, f"runs/Hopper-v5/seed-{seed}", "Hopper-v5",
                    [(100, [3.0, 3.0]), (200, [2.0, 2.0])], training=[4.0], final=2.0,
                    config=config_b)
    return a, b


def test_two_sweeps_merge_into_one_row_per_task_and_settings(capsys, tmp_path):
    a, b = two_sweeps(tmp_path)
    out = tmp_path / "merged"
    code, printed, _ = run(capsys, "--report", a, b, "--out", out)
    assert code == 0 and "Report:" in printed
    report = json.loads((out / REPORT_JSON).read_text())
    (row,) = report["groups"]
    assert row["seeds"] == [0, 1] and row["seeds_finished"] == 2
    # Across-seed means: 3 at step 100, 4 at step 200.
    assert row["table1"] == {"mean": 4.0, "std": 2.0, "step": 200, "seeds": 2,
                             "per_seed": [{"seed": 0, "value": 6.0}, {"seed": 1, "value": 2.0}]}
    assert [s["name"] for s in report["sweeps"]] == ["first", "second"]
    assert not (a / REPORT).exists() and not (b / REPORT).exists()
    # One folder alone still writes into it.
    assert run(capsys, "--report", a)[0] == 0
    assert json.loads((a / REPORT_JSON).read_text())["groups"][0]["seeds"] == [0]


def test_the_same_trial_in_two_folders_is_refused_naming_both(capsys, tmp_path):
    a, b = two_sweeps(tmp_path, seeds_b=(0,))
    out = tmp_path / "merged"
    line = refused(capsys, "--report", a, b, "--out", out)
    assert "Hopper-v5 (fujimoto2018) seed 0" in line and str(a) in line and str(b) in line
    assert not out.exists()


@pytest.mark.parametrize("config, words", [
    ({"total_steps": 600}, "step budgets"),
    ({"eval_every": 50}, "evaluation intervals"),
    ({"eval_episodes": 5}, "evaluation episodes"),
    ({"tau": 0.01}, "setting tau"),
])
def test_a_group_of_trials_that_are_not_comparable_is_refused(capsys, tmp_path, config, words):
    a, b = two_sweeps(tmp_path, config_b=config)
    out = tmp_path / "merged"
    line = refused(capsys, "--report", a, b, "--out", out, "--collect")
    assert f"differ in {words}" in line and str(a) in line and str(b) in line
    assert not out.exists()


def test_report_flags_that_need_each_other(capsys, tmp_path):
    a, b = two_sweeps(tmp_path)
    assert "needs --out" in refused(capsys, "--report", a, b)
    assert "--collect needs --out" in refused(capsys, "--report", a, "--collect")
    assert "only goes with --report" in refused(capsys, "--env", "Pendulum-v1", "--out", a)
    assert "given twice" in refused(capsys, "--report", a, a, "--out", tmp_path / "o")
    assert "is not a folder" in refused(capsys, "--report", tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    assert "holds no sweep" in refused(capsys, "--report", tmp_path / "empty")


def test_collect_copies_only_the_small_files_and_the_copy_rebuilds_the_same_report(
        capsys, tmp_path):
    a, b = two_sweeps(tmp_path)
    trial = a / "runs" / "Hopper-v5" / "seed-0"
    for heavy in ("checkpoints/ckpt-1.index", "tf_ddpg/events.out.tfevents.1.host", "train.log",
                  "gym_ddpg/openaigym.video.0.1.video000000.mp4"):
        os.makedirs(os.path.dirname(trial / heavy), exist_ok=True)
        (trial / heavy).write_text("x")
    out = tmp_path / "benchmarks" / "hopper"
    code, printed, err = run(capsys, "--report", a, b, "--out", out, "--collect")
    assert code == 0, err
    copied = sorted(os.path.relpath(os.path.join(d, f), out / "runs")
                    for d, _, files in os.walk(out / "runs") for f in files)
    monitor = ["gym_ddpg/openaigym.episode_batch.0.1.stats.json",
               "gym_ddpg/openaigym.manifest.0.1.manifest.json"]
    expected = sorted(f"Hopper-v5/preset=fujimoto2018/seed-{s}/{name}" for s in (0, 1) for name in
                      ["config.json", "evaluation.json", "evaluations.json", "sweep_trial.json"]
                      + monitor)
    assert copied == expected
    assert f"Collected {len(expected)} files" in printed
    assert rebuild_differences(str(out)) == []
    # The merged report is the one the sources give.
    run(capsys, "--report", a, b, "--out", tmp_path / "direct")
    assert (tmp_path / "direct" / REPORT_JSON).read_text() == (out / REPORT_JSON).read_text()
    assert (tmp_path / "direct" / REPORT).read_text() == (out / REPORT).read_text()
    # A changed evidence file makes the committed report stale.
    evaluations = out / "runs" / "Hopper-v5" / "preset=fujimoto2018" / "seed-1" / "evaluations.json"
    data = json.loads(evaluations.read_text())
    data["evaluations"][-1]["mean"] += 1.0
    evaluations.write_text(json.dumps(data))
    assert rebuild_differences(str(out)) == [REPORT_JSON, REPORT]


def test_seeds_are_added_to_a_collected_folder(capsys, tmp_path):
    a, b = two_sweeps(tmp_path)
    out = tmp_path / "bench"
    assert run(capsys, "--report", a, "--out", out, "--collect")[0] == 0
    # Collecting into a folder that holds trials needs that folder as a source too.
    assert "already holds trials" in refused(capsys, "--report", b, "--out", out, "--collect")
    assert run(capsys, "--report", out, b, "--out", out, "--collect")[0] == 0
    report = json.loads((out / REPORT_JSON).read_text())
    assert report["groups"][0]["seeds"] == [0, 1]
    assert {s["name"] for s in json.loads((out / "sweeps.json").read_text())} == \
        {"first", "second"}
    assert rebuild_differences(str(out)) == []


def test_a_storage_is_collected_again_as_its_sweep_goes_on(capsys, tmp_path):
    """Only ended trials are copied; collecting again copies the newly ended ones."""
    storage = tmp_path / "sweep"
    save_spec(storage, ["Hopper-v5", "Walker2d-v5"], [0])
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0])],
                training=[1.0], final=2.0)
    walker = [(100, [4.0, 6.0]), (200, [8.0, 8.0])]
    write_trial(storage, "runs/Walker2d-v5/seed-0", "Walker2d-v5", walker[:1], status="running")
    out = tmp_path / "bench"
    code, printed, err = run(capsys, "--report", storage, "--out", out, "--collect")
    assert code == 0, err
    assert "Not collected, not ended yet" in printed and "Walker2d-v5 (fujimoto2018) seed 0" \
        in printed
    assert sorted(os.listdir(out / "runs")) == ["Hopper-v5"]
    rows = {g["task"]: g for g in json.loads((out / REPORT_JSON).read_text())["groups"]}
    assert rows["Hopper-v5"]["seeds_finished"] == 1 and rows["Hopper-v5"]["table1"]["mean"] == 2.0
    assert rebuild_differences(str(out)) == []
    # The running trial is not copied: here its row says it is not there yet.
    assert rows["Walker2d-v5"]["pending_seeds"] == [0] and rows["Walker2d-v5"]["running"] == []
    assert "fujimoto2018 **(not started or not collected: seed 0)**" in (out / REPORT).read_text()
    # The sweep goes on; the same storage is collected again, its Hopper copy recognised.
    write_trial(storage, "runs/Walker2d-v5/seed-0", "Walker2d-v5", walker, final=8.0)
    hopper_copy = out / "runs" / "Hopper-v5" / "preset=fujimoto2018" / "seed-0" / "evaluations.json"
    before = hopper_copy.stat().st_mtime_ns
    code, printed, err = run(capsys, "--report", out, storage, "--out", out, "--collect")
    assert code == 0, err
    assert "Collected 4 files" in printed and "Not collected" not in printed
    assert hopper_copy.stat().st_mtime_ns == before
    rows = {g["task"]: g for g in json.loads((out / REPORT_JSON).read_text())["groups"]}
    # Walker's across-seed mean is 5 at step 100 and 8 at step 200.
    assert rows["Walker2d-v5"]["table1"] == {"mean": 8.0, "std": 0.0, "step": 200, "seeds": 1,
                                             "per_seed": [{"seed": 0, "value": 8.0}]}
    assert rebuild_differences(str(out)) == []
    # A copy that no longer matches its source is a second version of the trial: refused.
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [9.0, 9.0])],
                training=[1.0], final=9.0)
    line = refused(capsys, "--report", out, storage, "--out", out, "--collect")
    assert "Hopper-v5 (fujimoto2018) seed 0" in line and "differs from its source" in line
    assert json.loads(hopper_copy.read_text())["evaluations"][0]["mean"] == 2.0
    # Another run of the same trial is no changed copy: refused without that hint.
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [9.0, 9.0])],
                training=[1.0], final=9.0, started=2.0)
    line = refused(capsys, "--report", out, storage, "--out", out, "--collect")
    assert "in both" in line and "differs from its source" not in line
    # The copies are recognised only by a collect into their folder, never by a plain merge.
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0])],
                training=[1.0], final=2.0)
    assert "in both" in refused(capsys, "--report", out, storage, "--out", tmp_path / "other")


def two_presets(tmp_path):
    """The same task and seed under two presets, each sweep's trial at runs/Hopper-v5/seed-0."""
    ddpg, td3 = tmp_path / "ddpg", tmp_path / "td3"
    save_spec(ddpg, ["Hopper-v5"], [0], name="ddpg")
    write_trial(ddpg, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0])],
                training=[1.0, 2.0], final=2.0, monitor_id="0.11")
    save_spec(td3, ["Hopper-v5"], [0], preset="td3", name="td3")
    write_trial(td3, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [5.0, 7.0])], preset="td3",
                training=[8.0], final=6.0, monitor_id="0.22")
    return ddpg, td3


def files_under(folder):
    return {os.path.relpath(os.path.join(d, f), folder): open(os.path.join(d, f), "rb").read()
            for d, _, names in os.walk(folder) for f in names}


@pytest.mark.parametrize("at_once", [False, True])
def test_two_presets_of_one_task_and_seed_are_collected_side_by_side(capsys, tmp_path, at_once):
    """Regression: a td3 copy once landed on the fujimoto2018 copy of the same task and seed,
    overwriting its files and mixing the two runs' Monitor files into one folder."""
    ddpg, td3 = two_presets(tmp_path)
    out = tmp_path / "bench"
    if at_once:
        assert run(capsys, "--report", ddpg, td3, "--out", out, "--collect")[0] == 0
    else:
        assert run(capsys, "--report", ddpg, "--out", out, "--collect")[0] == 0
        # What a collect killed mid-copy leaves is cleared, never kept beside the copy.
        left = out / "runs" / "Hopper-v5" / "preset=td3" / ".collecting-seed-0-424242"
        left.mkdir(parents=True)
        (left / "evaluations.json").write_text("{")
        assert run(capsys, "--report", out, td3, "--out", out, "--collect")[0] == 0
        assert os.listdir(left.parent) == ["seed-0"]
    for source, preset in ((ddpg, "fujimoto2018"), (td3, "td3")):
        copy = out / "runs" / "Hopper-v5" / f"preset={preset}" / "seed-0"
        kept = files_under(copy)
        assert kept == {k: v for k, v in files_under(source / "runs/Hopper-v5/seed-0").items()
                        if k in kept} and len(kept) == 6
    assert sorted(os.listdir(out / "runs" / "Hopper-v5")) == ["preset=fujimoto2018", "preset=td3"]
    rows = {g["preset"]: g for g in json.loads((out / REPORT_JSON).read_text())["groups"]}
    assert rows["fujimoto2018"]["table1"]["mean"] == 2.0 and rows["td3"]["table1"]["mean"] == 6.0
    assert rows["td3"]["algorithm"] == "TD3" and rows["td3"]["cleanrl_measure"]["mean"] == 8.0
    assert rows["fujimoto2018"]["cleanrl_measure"]["mean"] == 1.5
    assert [r["seeds_planned"] for r in rows.values()] == [1, 1]
    assert rebuild_differences(str(out)) == []
    # Collecting both again finds both copies and copies nothing.
    code, printed, err = run(capsys, "--report", out, ddpg, td3, "--out", out, "--collect")
    assert code == 0 and "Collected 0 files" in printed, err


def test_a_grid_over_presets_and_a_preset_sweep_hold_the_same_trial(capsys, tmp_path):
    """runs/Hopper-v5/preset=td3/seed-0 of a grid is the trial runs/Hopper-v5/seed-0 of a
    --preset td3 sweep: same task, settings and seed, so a merge counts it once."""
    grid, (_, td3) = tmp_path / "grid", two_presets(tmp_path)
    save_spec(grid, ["Hopper-v5"], [0], preset=None, grid={"preset": ["td3"]}, name="grid")
    write_trial(grid, "runs/Hopper-v5/preset=td3/seed-0", "Hopper-v5", [(100, [5.0, 7.0])],
                preset="td3", final=6.0)
    run(capsys, "--report", grid)
    (row,) = json.loads((grid / REPORT_JSON).read_text())["groups"]
    assert (row["preset"], row["variant"], row["seeds_planned"]) == ("td3", "", 1)
    assert "| Hopper-v5 | td3 | 6.00 ± 0.00 |" in (grid / REPORT).read_text()
    line = refused(capsys, "--report", grid, td3, "--out", tmp_path / "merged")
    assert "Hopper-v5 (td3) seed 0" in line and str(grid) in line and str(td3) in line
    # One folder holding the trial twice is refused too.
    write_trial(td3, "runs/Hopper-v5/preset=td3/seed-0", "Hopper-v5", [(100, [5.0, 7.0])],
                preset="td3", final=6.0)
    line = refused(capsys, "--report", td3)
    assert "twice" in line and "runs/Hopper-v5/seed-0" in line


def test_collect_never_writes_into_a_folder_it_did_not_make(capsys, tmp_path):
    ddpg, td3 = two_presets(tmp_path)
    out = tmp_path / "bench"
    assert run(capsys, "--report", ddpg, "--out", out, "--collect")[0] == 0
    stray = out / "runs" / "Hopper-v5" / "preset=td3" / "seed-0" / "notes.txt"
    stray.parent.mkdir(parents=True)
    stray.write_text("mine")
    line = refused(capsys, "--report", out, td3, "--out", out, "--collect")
    assert "preset=td3/seed-0 already exists" in line
    assert os.listdir(stray.parent) == ["notes.txt"]


def test_a_trial_that_failed_before_its_settings_were_written_is_collected_once(
        capsys, tmp_path):
    """A trial refused by its settings leaves only sweep_trial.json; its copy keeps its key."""
    storage = tmp_path / "sweep"
    save_spec(storage, ["Hopper-v5", "Walker2d-v5"], [0], preset="td3")
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0])],
                preset="td3", final=2.0)
    atomic.write_json(str(storage / "runs/Walker2d-v5/seed-0/sweep_trial.json"),
                      {"status": "failed", "error": "--tau must be in (0, 1], got 2.0",
                       "attempts": [{"started": 1.0}], "trial_id": "Walker2d-v5/seed-0"})
    out = tmp_path / "bench"
    assert run(capsys, "--report", storage, "--out", out, "--collect")[0] == 0
    assert os.listdir(out / "runs" / "Walker2d-v5" / "preset=td3" / "seed-0") == \
        ["sweep_trial.json"]
    report = json.loads((out / REPORT_JSON).read_text())
    assert sorted((g["task"], g["preset"], g["variant"]) for g in report["groups"]) == \
        [("Hopper-v5", "td3", ""), ("Walker2d-v5", "td3", "")]
    assert report["failed_trials"] == [{"trial": "Walker2d-v5/preset=td3/seed-0",
                                        "error": "--tau must be in (0, 1], got 2.0"}]
    code, printed, err = run(capsys, "--report", out, storage, "--out", out, "--collect")
    assert code == 0 and "Collected 0 files" in printed, err


def test_a_planned_trial_reads_nothing_from_another_presets_folder(capsys, tmp_path):
    """A td3 sweep's plan, collected into a fujimoto2018 sweep's own storage, names the
    folder runs/Hopper-v5/seed-0 that holds the fujimoto2018 trial: no td3 figure from it."""
    ddpg, td3 = two_presets(tmp_path)
    write_trial(td3, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [5.0, 7.0])], preset="td3",
                status="running")
    code, printed, err = run(capsys, "--report", ddpg, td3, "--out", ddpg, "--collect")
    assert code == 0 and "Hopper-v5 (td3) seed 0" in printed, err
    rows = {g["preset"]: g for g in json.loads((ddpg / REPORT_JSON).read_text())["groups"]}
    assert rows["fujimoto2018"]["table1"]["mean"] == 2.0
    assert rows["td3"]["table1"] is None and rows["td3"]["seeds_started"] == 0
    assert rows["td3"]["seeds_finished"] == 0 and rows["td3"]["final_evaluation"] is None


def test_collect_refuses_when_no_trial_has_ended(capsys, tmp_path):
    storage = tmp_path / "sweep"
    save_spec(storage, ["Hopper-v5"], [0])
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0])],
                status="running")
    line = refused(capsys, "--report", storage, "--out", tmp_path / "bench", "--collect")
    assert "has ended yet" in line and "1 running or paused" in line
    assert not (tmp_path / "bench").exists()


@pytest.mark.slow  # six 2,000-resample bootstraps: about 10 s
def test_committed_benchmark_reports_rebuild_unchanged(tmp_path):
    """Every benchmarks/<name>/report.json must be what its committed trial files give.

    Fails (never skips) on a stale committed report.  Before the first results
    are committed, the same check runs on a crafted collected folder.
    """
    folders = sorted(os.path.join(d) for d, _, files in os.walk(BENCHMARKS)
                     if REPORT_JSON in files) if os.path.isdir(BENCHMARKS) else []
    if not folders:
        storage = tmp_path / "sweep"
        save_spec(storage, ["InvertedPendulum-v5"], [0, 1])
        for seed in (0, 1):
            write_trial(storage, f"runs/InvertedPendulum-v5/seed-{seed}", "InvertedPendulum-v5",
                        [(100, [float(seed), 2.0]), (200, [9.0, 10.0 + seed])],
                        training=list(np.linspace(0, 1, 30)), final=9.5)
        folders = [str(tmp_path / "bench")]
        assert cli.main(["--report", str(storage), "--out", folders[0], "--collect"]) == 0
    for folder in folders:
        with open(os.path.join(folder, REPORT_JSON), encoding="utf-8") as handle:
            if json.load(handle).get("aggregate", {}).get("groups"):
                # Its aggregate across tasks needs rliable (the sweep and test extras).
                pytest.importorskip("rliable")
        assert rebuild_differences(folder) == [], f"{folder}: the committed report is stale"


# -- a trial is known by the settings its config.json records; its folder name is a label ---

def rows_of(report):
    return {(g["task"], g["preset"], g["variant"]): g["seeds"] for g in report["groups"]}


def test_grid_values_holding_underscores_and_commas_group_by_their_settings(capsys, tmp_path):
    """hidden_init=fan_in holds '_' and hidden_sizes=400,300 a ',' (its folder says 400x300).
    The grid's (fan_in, 400,300) is fujimoto2018's own settings: its seed and a plain
    fujimoto2018 sweep's seed form one row, named by the shorter label."""
    from ddpg.sweep.grid import parse_grid

    grid, plain = tmp_path / "grid", tmp_path / "plain"
    spec = save_spec(grid, ["Hopper-v5"], [0], name="grid", grid=parse_grid(
        ["hidden_init=fan_in,tflearn", "hidden_sizes=400,300;64,64"]))
    for index, trial in enumerate(spec.trials()):
        write_trial(grid, trial.folder, "Hopper-v5", [(100, [index, index])], final=index,
                    config=trial.variant)
    save_spec(plain, ["Hopper-v5"], [1], name="plain")
    write_trial(plain, "runs/Hopper-v5/seed-1", "Hopper-v5", [(100, [4.0, 4.0])], final=4.0)
    out = tmp_path / "bench"
    code, _, err = run(capsys, "--report", grid, plain, "--out", out, "--collect")
    assert code == 0, err
    report = json.loads((out / REPORT_JSON).read_text())
    assert rows_of(report) == {
        ("Hopper-v5", "fujimoto2018", ""): [0, 1],
        ("Hopper-v5", "fujimoto2018", "hidden_init=fan_in_hidden_sizes=64x64"): [0],
        ("Hopper-v5", "fujimoto2018", "hidden_init=tflearn_hidden_sizes=400x300"): [0],
        ("Hopper-v5", "fujimoto2018", "hidden_init=tflearn_hidden_sizes=64x64"): [0]}
    row = next(g for g in report["groups"] if g["variant"] == "")
    assert row["table1"]["per_seed"] == [{"seed": 0, "value": 0.0}, {"seed": 1, "value": 4.0}]
    assert sorted(os.listdir(out / "runs" / "Hopper-v5")) == [
        "preset=fujimoto2018", "preset=fujimoto2018_hidden_init=fan_in_hidden_sizes=64x64",
        "preset=fujimoto2018_hidden_init=tflearn_hidden_sizes=400x300",
        "preset=fujimoto2018_hidden_init=tflearn_hidden_sizes=64x64"]
    assert sorted(os.listdir(out / "runs" / "Hopper-v5" / "preset=fujimoto2018")) == \
        ["seed-0", "seed-1"]
    assert rebuild_differences(str(out)) == []
    # The same settings and seed under two labels is one trial, found twice.
    write_trial(plain, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [4.0, 4.0])], final=4.0)
    line = refused(capsys, "--report", grid, plain, "--out", tmp_path / "again")
    assert "Hopper-v5 (fujimoto2018" in line and "seed 0 is in both" in line


def study(tmp_path, name, candidates):
    """A study's folder: {'cand-0001/seed-0': (settings, label or None)}, no sweep.json."""
    storage = tmp_path / name
    for index, (where, (settings, label)) in enumerate(candidates.items()):
        write_trial(storage, f"runs/Hopper-v5/{where}", "Hopper-v5",
                    [(100, [index, index]), (200, [index + 1.0, index + 1.0])], final=index,
                    config=settings, label=label, preset="td3", monitor_id=f"0.{index}")
    return storage


def test_a_study_groups_its_trials_by_settings_whatever_their_folders_are_called(
        capsys, tmp_path):
    small, big = {"hidden_sizes": [64, 64]}, {"hidden_sizes": [256, 256], "tau": 0.01}
    apart = study(tmp_path, "apart", {"cand-0001/seed-0": (small, None),
                                      "cand-0002/seed-0": (big, None)})
    assert run(capsys, "--report", apart)[0] == 0
    assert rows_of(json.loads((apart / REPORT_JSON).read_text())) == {
        ("Hopper-v5", "td3", "cand-0001"): [0], ("Hopper-v5", "td3", "cand-0002"): [0]}
    # The same settings in two candidates' folders: seeds 0 and 1 of one row.
    alike = study(tmp_path, "alike", {"cand-0001/seed-0": (small, None),
                                      "cand-0002/seed-1": (small, None)})
    assert run(capsys, "--report", alike)[0] == 0
    report = json.loads((alike / REPORT_JSON).read_text())
    assert rows_of(report) == {("Hopper-v5", "td3", "cand-0001"): [0, 1]}
    assert report["groups"][0]["table1"]["mean"] == 1.5
    assert "| Hopper-v5 | td3 cand-0001 | 1.50 ± 0.50 |" in (alike / REPORT).read_text()


def test_a_study_labels_its_rows_and_its_copies_keep_them(capsys, tmp_path):
    """sweep_trial.json's label names the row; a trial that failed before writing its settings
    joins the row its label names."""
    small = {"hidden_sizes": [64, 64]}
    storage = study(tmp_path, "study", {"cand-0001/seed-0": (small, "small net"),
                                        "cand-0001/seed-1": (small, "small net"),
                                        "cand-0002/seed-0": ({}, "preset=td3")})
    atomic.write_json(str(storage / "runs/Hopper-v5/cand-0001/seed-2/sweep_trial.json"),
                      {"status": "failed", "error": "a loss became NaN", "label": "small net",
                       "attempts": [{"started": 1.0}]})
    out = tmp_path / "bench"
    code, _, err = run(capsys, "--report", storage, "--out", out, "--collect")
    assert code == 0, err
    report = json.loads((out / REPORT_JSON).read_text())
    # 'preset=td3' names the preset alone, which is a column of its own.
    assert rows_of(report) == {("Hopper-v5", "td3", "small net"): [0, 1, 2],
                               ("Hopper-v5", "td3", ""): [0]}
    assert {g["variant"]: g["seeds_failed"] for g in report["groups"]} == {"small net": 1, "": 0}
    assert sorted(os.listdir(out / "runs" / "Hopper-v5")) == ["preset=td3",
                                                              "preset=td3_small_net"]
    assert sorted(os.listdir(out / "runs" / "Hopper-v5" / "preset=td3_small_net")) == \
        ["seed-0", "seed-1", "seed-2"]
    assert report["failed_trials"] == [{"trial": "Hopper-v5/preset=td3_small_net/seed-2",
                                        "error": "a loss became NaN"}]
    assert rebuild_differences(str(out)) == []
    code, printed, err = run(capsys, "--report", out, storage, "--out", out, "--collect")
    assert code == 0 and "Collected 0 files" in printed, err


def test_one_label_over_two_sets_of_settings_is_refused_naming_the_trials(capsys, tmp_path):
    storage = study(tmp_path, "study", {"a/seed-0": ({"tau": 0.01}, "wide"),
                                        "b/seed-1": ({"tau": 0.02}, "wide")})
    line = refused(capsys, "--report", storage)
    assert "Hopper-v5 (td3, wide): the trials differ in setting tau" in line
    assert str(storage / "runs/Hopper-v5/a/seed-0") in line
    assert str(storage / "runs/Hopper-v5/b/seed-1") in line


def test_two_labels_that_give_one_folder_are_not_collected(capsys, tmp_path):
    storage = study(tmp_path, "study", {"a/seed-0": ({"tau": 0.01}, "lr 3e-4"),
                                        "b/seed-0": ({"tau": 0.02}, "lr_3e-4")})
    assert run(capsys, "--report", storage)[0] == 0  # two rows, told apart by their labels
    line = refused(capsys, "--report", storage, "--out", tmp_path / "bench", "--collect")
    assert "preset=td3_lr_3e-4/seed-0" in line and "both be collected" in line
    assert not (tmp_path / "bench").exists()


def test_a_run_whose_plan_has_changed_since_is_its_plans_run(capsys, tmp_path):
    """A preset changed after the run: its config.json keeps the settings of its day, and its
    plan (sweep.json, resolved today) is the same trial, not a second row never started."""
    storage = tmp_path / "sweep"
    save_spec(storage, ["Hopper-v5"], [0])
    write_trial(storage, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 3.0])], final=2.0,
                config={"tau": 0.01})
    assert run(capsys, "--report", storage)[0] == 0
    (row,) = json.loads((storage / REPORT_JSON).read_text())["groups"]
    assert (row["variant"], row["seeds"], row["pending_seeds"]) == ("", [0], [])
    # A seed not run yet will run with today's settings: not one row with the seed that did.
    save_spec(storage, ["Hopper-v5"], [0, 1])
    assert "differ in setting tau" in refused(capsys, "--report", storage)


def test_a_trial_dict_without_a_label_is_read_and_written_as_before():
    from ddpg.sweep.grid import Trial

    old = {"env_id": "Hopper-v5", "seed": 3, "variant": {"tau": 0.01},
           "folder": "runs/Hopper-v5/tau=0.01/seed-3"}
    trial = Trial.from_dict(old)
    assert trial.label is None and trial.to_dict() == old
    labelled = Trial("Hopper-v5", 3, {}, "runs/Hopper-v5/cand-0007/seed-3", label="cand-0007")
    assert Trial.from_dict(labelled.to_dict()) == labelled
    assert labelled.group == "Hopper-v5 cand-0007"


def test_a_sweep_of_labelled_settings_sets_plans_and_reports_rows_by_their_labels(
        capsys, tmp_path):
    """A validation-like sweep: variants named by labels that hold ',' and '_'; the plan of
    a seed not run yet sits in the row of the seeds that ran the same settings."""
    from ddpg.sweep import runner
    from ddpg.sweep.grid import SweepSpec

    storage = tmp_path / "sweep"
    spec = SweepSpec(name="v", envs=["Hopper-v5"], seeds=[0, 1], fixed={"total_steps": 300},
                     variants=[["big_net, slow tau", {"preset": "td3", "tau": 0.001,
                                                      "hidden_sizes": (256, 256)}],
                               ["preset=td3", {"preset": "td3"}]])
    runner.save_spec(str(storage), spec)
    trials = {(t.label, t.seed): t for t in spec.trials()}
    assert trials[("big_net, slow tau", 0)].folder == "runs/Hopper-v5/big_net__slow_tau/seed-0"
    for label, seed in [("big_net, slow tau", 0), ("preset=td3", 0), ("preset=td3", 1)]:
        trial = trials[(label, seed)]
        write_trial(storage, trial.folder, "Hopper-v5", [(100, [seed, seed])], final=seed,
                    preset="td3", config=dict(trial.variant), label=trial.label)
    assert run(capsys, "--report", storage)[0] == 0
    report = json.loads((storage / REPORT_JSON).read_text())
    assert rows_of(report) == {("Hopper-v5", "td3", "big_net, slow tau"): [0, 1],
                               ("Hopper-v5", "td3", ""): [0, 1]}
    assert {g["variant"]: g["pending_seeds"] for g in report["groups"]} == \
        {"big_net, slow tau": [1], "": []}


def test_a_grid_over_a_setting_left_out_of_the_comparison_still_gives_a_row_per_value(
        capsys, tmp_path):
    """checkpoint_every says how a run ran, not what it learned; gridded, its values are rows
    (two trials of the same seed), and a fixed one still merges with other sweeps' rows."""
    from ddpg.sweep.grid import parse_grid

    storage = tmp_path / "grid"
    spec = save_spec(storage, ["Hopper-v5"], [0], grid=parse_grid(["checkpoint_every=1,2"]))
    for index, trial in enumerate(spec.trials()):
        write_trial(storage, trial.folder, "Hopper-v5", [(100, [index, index])], final=index,
                    config=trial.variant)
    assert run(capsys, "--report", storage)[0] == 0
    assert rows_of(json.loads((storage / REPORT_JSON).read_text())) == {
        ("Hopper-v5", "fujimoto2018", "checkpoint_every=1"): [0],
        ("Hopper-v5", "fujimoto2018", "checkpoint_every=2"): [0]}
    # Fixed (not gridded) in one sweep and default in another: one row of two seeds.
    one, other = tmp_path / "one", tmp_path / "other"
    save_spec(one, ["Hopper-v5"], [0])
    write_trial(one, "runs/Hopper-v5/seed-0", "Hopper-v5", [(100, [1.0, 1.0])], final=1.0,
                config={"checkpoint_every": 100})
    save_spec(other, ["Hopper-v5"], [1])
    write_trial(other, "runs/Hopper-v5/seed-1", "Hopper-v5", [(100, [3.0, 3.0])], final=3.0)
    assert run(capsys, "--report", one, other, "--out", tmp_path / "both")[0] == 0
    assert rows_of(json.loads((tmp_path / "both" / REPORT_JSON).read_text())) == {
        ("Hopper-v5", "fujimoto2018", ""): [0, 1]}
