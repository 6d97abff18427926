"""The sweep's grid, trial settings and report, without Ray (fast)."""
import json
import os

import numpy as np
import pytest

from ddpg import config as settings
from ddpg.errors import UserError
from ddpg.sweep import grid as sweep_grid
from ddpg.sweep.grid import SweepSpec, parse_grid, parse_seeds, trial_config


def test_seeds_take_ranges_and_lists():
    assert parse_seeds("0-9") == list(range(10))
    assert parse_seeds("3") == [3]
    assert parse_seeds("0-2,7,1") == [0, 1, 2, 7]
    for bad in ("", "a", "3-1", "1-", "-1", "0,,2"):
        with pytest.raises(UserError):
            parse_seeds(bad)


def test_grid_values_are_typed_and_multiply():
    grid = parse_grid(["tau=0.001,0.005", "noise=ou;gaussian", "hidden_sizes=400,300;64,64"])
    assert grid == {"tau": [0.001, 0.005], "noise": ["ou", "gaussian"],
                    "hidden_sizes": [(400, 300), (64, 64)]}
    spec = SweepSpec(name="s", envs=["Pendulum-v1", "MountainCarContinuous-v0"], seeds=[0, 1],
                     grid=grid)
    trials = spec.trials()
    assert len(trials) == 2 * 2 * 2 * 2 * 2
    assert len({t.folder for t in trials}) == len(trials)  # one folder each
    first = trials[0]
    assert first.folder == "runs/Pendulum-v1/tau=0.001_noise=ou_hidden_sizes=400x300/seed-0"
    assert first.trial_id == first.folder[len("runs/"):]


@pytest.mark.parametrize("item, message", [
    ("bogus=1,2", "unknown training setting 'bogus'"),
    ("tau=", "has no values"),
    ("tau=,", "has no values"),
    ("tau=0.1,,0.2", "empty value"),
    ("tau", "KEY=V1,V2"),
    ("tau=abc", "--tau needs a float"),
    ("random_seed=1,2", "use --seeds"),
    ("env_id=Pendulum-v1", "use --env"),
    ("tau=0.1,0.1", "repeats a value"),
])
def test_bad_grids_are_refused(item, message):
    with pytest.raises(UserError, match=message.replace("(", r"\(")):
        parse_grid([item])


def test_a_key_given_twice_is_refused():
    with pytest.raises(UserError, match="twice"):
        parse_grid(["tau=0.1", "tau=0.2"])


def test_trial_settings_are_those_ddpg_train_builds(tmp_path):
    """The same flags give the same TrainConfig in a sweep trial and in ddpg-train."""
    from ddpg.cli.train import build_parser, config_from_args, defaults_from_constants

    spec = SweepSpec(name="s", envs=["Hopper-v5"], seeds=[4], preset="fujimoto2018",
                     grid={"tau": [0.002]}, fixed={"total_steps": 5000, "eval_every": 1000},
                     cpus_per_trial=2)
    trial = spec.trials()[0]
    in_sweep = trial_config(spec, trial, str(tmp_path))
    results = os.path.join(str(tmp_path), trial.folder)
    defaults = defaults_from_constants()
    args = build_parser(defaults, "ddpg-train").parse_args(
        ["--env", "Hopper-v5", "--random-seed", "4", "--preset", "fujimoto2018", "--tau",
         "0.002", "--total-steps", "5000", "--eval-every", "1000", "--threads", "2",
         "--results-dir", results, "--no-gif", "--no-plot"])
    assert in_sweep == config_from_args(args, defaults)
    # The preset's per-task value and the explicit flags both arrive.
    assert in_sweep.start_steps == settings.preset_values("fujimoto2018", "Hopper-v5")[
        "start_steps"]
    assert (in_sweep.tau, in_sweep.total_steps, in_sweep.threads) == (0.002, 5000, 2)


def test_suite_is_the_td3_table(tmp_path):
    from ddpg.cli.sweep import build_parser, spec_from_args

    args = build_parser("ddpg-sweep").parse_args(["--suite", "td3-paper", "--total-steps",
                                                   "5000", "--seeds", "0-1"])
    spec = spec_from_args(args)
    assert spec.envs == ["HalfCheetah-v5", "Hopper-v5", "Walker2d-v5", "Ant-v5", "Reacher-v5",
                         "InvertedPendulum-v5", "InvertedDoublePendulum-v5"]
    assert spec.preset == "fujimoto2018" and spec.fixed["total_steps"] == 5000
    assert len(spec.trials()) == 14
    full = spec_from_args(build_parser("ddpg-sweep").parse_args(["--suite", "td3-paper"]))
    assert full.fixed["total_steps"] == 1000000 and full.seeds == list(range(10))
    cheetah = trial_config(full, full.trials()[0], str(tmp_path))
    assert cheetah.start_steps == 10000 and cheetah.eval_every == 5000  # Fujimoto's values


def test_the_suite_runs_with_td3_or_with_both_presets_on_the_same_seeds(tmp_path):
    from ddpg.cli.sweep import build_parser, spec_from_args

    parse = build_parser("ddpg-sweep").parse_args
    td3 = spec_from_args(parse(["--suite", "td3-paper", "--preset", "td3", "--seeds", "0"]))
    configs = [trial_config(td3, trial, str(tmp_path)) for trial in td3.trials()]
    assert len(configs) == 7 and all(c.preset == "td3" and c.twin_critics for c in configs)
    assert configs[0].start_steps == 10000 and configs[1].start_steps == 1000  # Cheetah, Hopper
    both = spec_from_args(parse(["--suite", "td3-paper", "--seeds", "0-1",
                                 "--grid", "preset=fujimoto2018,td3"]))
    trials = both.trials()
    assert len(trials) == 7 * 2 * 2
    by_preset = {}
    for trial in trials:
        config = trial_config(both, trial, str(tmp_path))
        assert config.preset == trial.variant["preset"]
        assert config.policy_delay == (2 if config.preset == "td3" else 1)
        by_preset.setdefault(config.preset, set()).add((config.env_id, config.random_seed))
    assert by_preset["td3"] == by_preset["fujimoto2018"]  # the same tasks and seeds
    assert len({t.folder for t in trials}) == len(trials)  # each its own folder


def test_spec_survives_sweep_json():
    spec = SweepSpec(name="s", envs=["Pendulum-v1"], seeds=[0, 2], preset="lillicrap2015",
                     grid={"tau": [0.01, 0.02], "hidden_sizes": [(64, 64)]},
                     fixed={"total_steps": 300}, cpus_per_trial=0.5, max_failures=1)
    again = SweepSpec.from_dict(json.loads(json.dumps(spec.to_dict(), sort_keys=True)))
    assert again == spec and list(again.grid) == ["tau", "hidden_sizes"]
    assert [t.folder for t in again.trials()] == [t.folder for t in spec.trials()]


def test_only_some_invalid_trials_are_reported_not_refused(tmp_path):
    spec = SweepSpec(name="s", envs=["Pendulum-v1"], seeds=[0], grid={"tau": [0.1, 2.0]})
    bad = sweep_grid.check_trials(spec, str(tmp_path))
    assert bad == {"Pendulum-v1/tau=2.0/seed-0": "--tau must be in (0, 1], got 2.0"}
    spec.grid = {"tau": [2.0, 3.0]}
    with pytest.raises(UserError, match="--tau must be in"):
        sweep_grid.check_trials(spec, str(tmp_path))


def _fake_trial(storage, trial, means, final, state="finished", seconds=10.0):
    from ddpg import atomic

    folder = os.path.join(storage, trial.folder)
    points = [{"steps": 100 * (i + 1), "episode": i, "mean": m, "std": 0.0, "returns": [m]}
              for i, m in enumerate(means)]
    atomic.write_json(os.path.join(folder, "evaluations.json"),
                      {"env_id": trial.env_id, "evaluations": points})
    if final is not None:
        atomic.write_json(os.path.join(folder, "evaluation.json"), {"mean_return": final})
    atomic.write_json(os.path.join(folder, "sweep_trial.json"),
                      {"status": state, "wall_seconds": seconds, "attempts": [],
                       "error": "--tau must be in (0, 1], got 2.0" if state == "failed"
                       else None})


def test_report_numbers_come_from_the_trial_folders(tmp_path):
    from ddpg.sweep import runner
    from ddpg.sweep.report import _pm, write_report

    storage = str(tmp_path)
    spec = SweepSpec(name="s", envs=["Hopper-v5", "Pendulum-v1"], seeds=[0, 1, 2],
                     fixed={"total_steps": 300})
    runner.save_spec(storage, spec)
    curves = {0: [10.0, 50.0, 40.0], 1: [5.0, 20.0, 30.0], 2: [1.0, 2.0, 3.0]}
    trials = spec.trials()
    for trial in trials[:3]:
        _fake_trial(storage, trial, curves[trial.seed], final=curves[trial.seed][-1] + 1)
    _fake_trial(storage, trials[3], [-100.0], final=None, state="failed")
    with open(write_report(storage), encoding="utf-8") as handle:
        text = handle.read()
    lines = [line for line in text.splitlines() if line.startswith("| Hopper-v5 |")]
    table1, final10, _, best = ([c.strip() for c in line.strip().strip("|").split("|")]
                                for line in lines)
    # Table 1: the across-seed mean is largest at step 300 (73/3, against 72/3 at 200),
    # std across seeds there; each seed's own best averages higher (83/3).
    assert table1[2:5] == [_pm(73 / 3, np.std([40.0, 30.0, 3.0])), "300", "3"]
    assert "2020.46 (v1)" in table1 and "1860.02 (v1)" in table1  # TD3 paper Table 1
    assert "2197.00 ± 971.60 (v3)" in table1  # Tianshou
    assert final10[2:4] == [_pm(np.mean([100 / 3, 55 / 3, 2.0]),
                                np.std([100 / 3, 55 / 3, 2.0])), "3"]
    assert "1731.94 (v1)" in final10 and "1061.77 (v1)" in final10  # TD3 paper Table 2
    best_values, final = [50.0, 30.0, 3.0], [41.0, 31.0, 4.0]
    assert best[2] == _pm(np.mean(best_values), np.std(best_values))
    assert best[3] == _pm(np.mean(final), np.std(final))
    assert best[4] == "3/3" and best[6] == "0:00:10"
    assert "v5 tasks differ" in text
    assert "`Pendulum-v1/preset=tutorial/seed-0`: --tau must be in (0, 1], got 2.0" in text
    png = os.path.join(storage, "curves_Hopper-v5.png")
    with open(png, "rb") as handle:
        assert handle.read(8) == b"\x89PNG\r\n\x1a\n"


def test_step_curves_align_on_shared_steps_or_interpolate():
    from ddpg.outputs.plotting import align_curves

    steps, rows = align_curves([([100, 200, 300], [1, 2, 3]), ([100, 200], [5, 6])])
    assert steps.tolist() == [100, 200] and rows.tolist() == [[1, 2], [5, 6]]
    steps, rows = align_curves([([100, 300], [0, 2]), ([150, 250, 350], [1, 1, 1])])
    assert steps.tolist() == [150.0, 250.0, 300.0]
    assert rows[0].tolist() == [0.5, 1.5, 2.0] and rows[1].tolist() == [1, 1, 1]
    steps, rows = align_curves([([100, 200], [0, 1]), ([300, 400], [1, 1])])
    assert len(steps) == 0  # no step that both runs reached


def test_a_stop_request_reaches_the_trials_and_settles_with_them(tmp_path):
    from ddpg.sweep import stop

    sweep_side, trial_side = stop.StopRequest(tmp_path), stop.StopRequest(tmp_path)
    assert not trial_side.requested()
    sweep_side.request()
    assert trial_side.requested()
    sweep_side.clear()
    assert not trial_side.requested()
    sweep_side.clear()  # clearing twice is harmless
    assert not os.path.exists(tmp_path / stop.STOP_FILE)
    assert stop.trial_has_settled({})
    assert not stop.trial_has_settled({"status": "running", "attempts": [{"pid": 1}]})
    assert stop.trial_has_settled({"status": "running",
                                   "attempts": [{"pid": 1, "outcome": "stopped"}]})
    assert stop.trial_has_settled({"status": "finished", "attempts": [{"pid": 1}]})


def test_a_killed_attempt_ends_at_its_last_evaluation_not_when_the_sweep_resumed():
    """sweep_trial.json's wall time: a sweep stopped for an hour must not add the hour."""
    from ddpg.sweep.trial import attempts_seconds

    killed = {"started": 1000.0, "seen": 1600.0}  # last evaluation at 1600, resumed at 5000
    resumed = {"started": 5000.0, "ended": 5300.0, "outcome": "finished"}
    assert attempts_seconds([killed, resumed]) == pytest.approx(600.0 + 300.0)
    # Written before attempts recorded `seen`: bounded by the next start, as before.
    older = {"started": 1000.0}
    assert attempts_seconds([older, resumed]) == pytest.approx(4000.0 + 300.0)
    assert attempts_seconds([{"started": 1000.0, "ended": 1250.0}]) == pytest.approx(250.0)
