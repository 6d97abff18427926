"""ddpg-tune without Ray: spaces and their refusals, the score, the choice of a winner.

The search itself (Ray Tune, Optuna, ASHA) runs in tests/test_tune_study.py;
here every check that refuses a study before Ray starts, and the arithmetic
the study's files are made of, checked against values worked out by hand.
"""
import json
import math
import os

import pytest

from ddpg import config as settings
from ddpg.cli.tune import main as tune_main
from ddpg.cli.tune import parse_duration, parse_validate_seeds
from ddpg.errors import UserError
from ddpg.sweep import space as spaces
from ddpg.sweep import validation
from ddpg.sweep.search import progress_line
from ddpg.sweep.study import SEARCH_CLOCK, StudySpec, search_ended, seed_score, write_clock

DDPG_BASE = settings.resolve(preset="fujimoto2018", overrides={"env_id": "Pendulum-v1"})
TD3_BASE = settings.resolve(preset="td3", overrides={"env_id": "Pendulum-v1"})


def refusal(space, base=DDPG_BASE):
    with pytest.raises(UserError) as caught:
        spaces.check(space, base)
    message = str(caught.value)
    assert "\n" not in message
    return message


# -- spaces ------------------------------------------------------------------------------------

def test_built_in_spaces_pass_their_own_checks_and_td3_adds_its_two_settings():
    spaces.check(spaces.BUILT_IN["ddpg"], DDPG_BASE)
    spaces.check(spaces.BUILT_IN["td3"], TD3_BASE)
    assert set(spaces.BUILT_IN["td3"]) - set(spaces.BUILT_IN["ddpg"]) == {
        "policy_delay", "target_noise"}
    assert spaces.default_space_name(TD3_BASE) == "td3"
    assert spaces.default_space_name(DDPG_BASE) == "ddpg"


@pytest.mark.parametrize("space, words", [
    ({"no_such_setting": {"type": "float", "low": 0.1, "high": 0.2}}, "not a training setting"),
    ({"total_steps": {"type": "int", "low": 1, "high": 2}}, "set by the study itself"),
    ({"tau": {"type": "float", "low": 0.01, "high": 0.01}}, "is empty"),
    ({"tau": {"type": "float", "low": 0.02, "high": 0.01}}, "is empty"),
    ({"tau": {"type": "float", "low": 0.0, "high": 0.01, "log": True}}, "log range needs low"),
    ({"tau": {"type": "float", "low": 0.1, "high": 2.0}}, "--tau must be in (0, 1]"),
    ({"tau": {"type": "float", "lo": 0.1, "high": 0.2}}, "unknown key(s) lo"),
    ({"minibatch_size": {"type": "categorical", "choices": []}}, "non-empty list"),
    ({"minibatch_size": {"type": "categorical", "choices": [64, 64]}}, "repeat a value"),
    ({"minibatch_size": {"type": "float", "low": 32, "high": 64}}, "whole numbers"),
    ({"noise": {"type": "categorical", "choices": ["gaussian", "pink"]}}, "--noise must be"),
    ({"hidden_sizes": {"type": "categorical", "choices": ["400,300"]}}, "not a tuple value"),
    ({"gaussian_sigma": {"type": "float", "low": 0.1, "high": 0.5, "when": {"noise": "ou"}},
      "noise": {"type": "categorical", "choices": ["ou", "gaussian"]}}, "draws later"),
    ({}, "empty"),
])
def test_a_space_that_cannot_be_searched_is_refused_in_one_line(space, words):
    assert words in refusal(space)


def test_td3_settings_under_a_ddpg_base_say_what_to_do_instead():
    message = refusal({"policy_delay": {"type": "categorical", "choices": [1, 2]}})
    assert "policy_delay" in message and "fujimoto2018" in message
    assert "--preset td3" in message and "drop policy_delay" in message
    spaces.check({"policy_delay": {"type": "categorical", "choices": [1, 2]}}, TD3_BASE)


def test_a_space_file_in_yaml_loads_and_a_broken_one_is_named(tmp_path):
    good = tmp_path / "space.yaml"
    good.write_text("tau:\n  type: float\n  low: 0.001\n  high: 0.01\n  log: true\n")
    name, space = spaces.load(str(good))
    assert name == str(good) and space["tau"]["high"] == 0.01
    bad = tmp_path / "space.json"
    bad.write_text('{"tau": ')
    with pytest.raises(UserError, match="not valid JSON"):
        spaces.load(str(bad))
    listed = tmp_path / "list.json"
    listed.write_text("[1, 2]")
    with pytest.raises(UserError, match="must map setting names"):
        spaces.load(str(listed))


def test_sampler_draws_within_ranges_only_the_noise_in_use_and_copies_also():
    optuna = pytest.importorskip("optuna", reason="needs the sweep extra's Optuna")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    space = spaces.BUILT_IN["ddpg"]
    sampler = spaces.Sampler(space, DDPG_BASE.to_dict())
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=3))
    for _ in range(12):
        trial = study.ask()
        sampler(trial)
        chosen = spaces.settings_of(trial.params, space)
        assert 1 - 0.03 <= chosen["gamma"] <= 1 - 1e-4
        assert 1e-3 <= chosen["tau"] <= 0.08
        assert chosen["hidden_sizes"] in ((64, 64), (256, 256), (400, 300))
        other = "ou_sigma" if chosen["noise"] == "gaussian" else "gaussian_sigma"
        assert other not in chosen  # a scale is drawn for the noise in use only
        assert chosen["start_steps"] == chosen["learning_starts"]
        settings.validate(settings.resolve(preset="fujimoto2018", overrides=dict(
            chosen, env_id="Pendulum-v1")))


def test_settings_of_turns_params_back_into_settings():
    space = {"gamma": {"type": "float", "low": 1e-4, "high": 0.03, "log": True,
                       "sample": "one_minus"},
             "hidden_sizes": {"type": "categorical", "choices": [[64, 64], [400, 300]]}}
    chosen = spaces.settings_of({"one_minus_gamma": 0.01, "hidden_sizes": "400,300"}, space)
    assert chosen == {"gamma": pytest.approx(0.99), "hidden_sizes": (400, 300)}


# -- the score and the verdict -----------------------------------------------------------------

def points(*pairs):
    return [{"steps": s, "mean": m} for s, m in pairs]


def test_seed_score_is_the_mean_of_the_last_evaluations_up_to_the_step():
    curve = points((100, -900.0), (200, -400.0), (300, -200.0), (400, -100.0))
    assert seed_score(curve, 400, 3) == pytest.approx((-400 - 200 - 100) / 3)
    assert seed_score(curve, 300, 3) == pytest.approx((-900 - 400 - 200) / 3)
    assert seed_score(curve, 150, 3) == -900.0
    assert seed_score(curve, 50, 3) is None


def study_spec(**changes):
    values = dict(name="s", env_id="Pendulum-v1", preset="fujimoto2018", trials=4,
                  total_steps=400, eval_every=100, eval_episodes=1, search_seeds=[0, 1],
                  validate_seeds=[1000, 1001], space=spaces.BUILT_IN["ddpg"])
    values.update(changes)
    return StudySpec(**values)


def test_rungs_end_at_the_budget_even_when_it_is_no_multiple():
    assert study_spec().rungs() == [100, 200, 300, 400]
    assert study_spec(total_steps=250).rungs() == [100, 200, 250]


def test_top_candidates_are_the_finished_ones_by_search_score():
    records = {"cand-a": {"status": "finished", "score": -300.0},
               "cand-b": {"status": "pruned", "score": -100.0},
               "cand-c": {"status": "finished", "score": -200.0},
               "cand-d": {"status": "failed"},
               "cand-e": {"status": "finished", "score": float("nan")}}
    assert [n for n, _ in validation.top_candidates(records, 3)] == ["cand-c", "cand-a"]


def test_the_winner_is_the_best_in_validation_and_the_verdict_compares_it_with_the_base():
    figures = {"cand-a": {"kind": "candidate", "mean": -160.0, "std": 3.0, "seeds": 4},
               "cand-b": {"kind": "candidate", "mean": -150.0, "std": 4.0, "seeds": 4},
               "preset=fujimoto2018": {"kind": "preset", "mean": -170.0, "std": 6.0,
                                       "seeds": 4}}
    winner, verdict = validation.decide(study_spec(), figures)
    assert winner == "cand-b"
    assert verdict["beats_base"] is True
    assert verdict["margin"] == pytest.approx(20.0)
    assert verdict["margin_se"] == pytest.approx(math.sqrt(16 / 4 + 36 / 4))
    figures["preset=fujimoto2018"]["mean"] = -140.0
    assert validation.decide(study_spec(), figures)[1]["beats_base"] is False


def test_progress_line_counts_done_pruned_and_failed_and_names_the_best():
    records = {"cand-a": {"status": "finished", "score": -150.0, "steps": 400},
               "cand-b": {"status": "pruned", "score": -900.0, "steps": 100},
               "cand-c": {"status": "running", "steps": 200}}
    line = progress_line(records, study_spec(), elapsed=120.0, running=1)
    assert line.startswith("Study: 2/4 done (1 pruned, 0 failed), 1 running")
    assert "best -150.0 (cand-a)" in line
    assert "0:02:00 elapsed, ETA 0:02:00" in line  # 60 s per ended candidate, 2 left
    assert f"{(400 + 100 + 200) * 2:,} env steps" in line


def test_with_a_time_budget_the_eta_is_the_budget_left_and_then_says_it_is_spent():
    records = {"cand-a": {"status": "finished", "score": -150.0, "steps": 400}}
    spec = study_spec(trials=40, time_budget=600.0)
    # 39 left at 100 s each would be 3,900 s; the budget has 500 s left.
    line = progress_line(records, spec, elapsed=100.0, running=2)
    assert "0:01:40 of 0:10:00 budget elapsed, ETA 0:08:20" in line
    line = progress_line(records, spec, elapsed=601.0, running=2)
    assert "budget spent: no new candidates" in line and "ETA" not in line


def test_time_budget_takes_hours_minutes_or_seconds_and_refuses_the_rest():
    assert parse_duration("2h") == 7200 and parse_duration("90m") == 5400
    assert parse_duration("5400s") == parse_duration("5400") == 5400
    assert parse_duration("1.5h") == 5400
    for text in ("0", "-5m", "2 days", "h", ""):
        with pytest.raises(UserError, match="--time-budget must be a positive duration"):
            parse_duration(text)


def test_the_search_ends_at_its_count_or_when_its_budget_is_spent_with_none_running(tmp_path):
    storage = str(tmp_path)
    done = {"status": "finished", "steps": 400, "score": -1.0}
    two_ended = {"a": done, "b": dict(done, status="pruned")}
    assert not search_ended(study_spec(trials=4), two_ended, storage)
    assert search_ended(study_spec(trials=2), two_ended, storage)
    budgeted = study_spec(trials=40, time_budget=60.0)
    write_clock(storage, SEARCH_CLOCK, 59.0)
    assert not search_ended(budgeted, two_ended, storage)
    write_clock(storage, SEARCH_CLOCK, 61.0)
    assert search_ended(budgeted, two_ended, storage)
    # A candidate paused mid-way by Ctrl-C still has to finish, budget or not.
    paused = dict(two_ended, c={"status": "running", "steps": 100, "scores": []})
    assert not search_ended(budgeted, paused, storage)
    assert not search_ended(study_spec(trials=3), paused, storage)


def test_the_budgeted_searcher_proposes_until_the_search_clock_passes_the_budget(tmp_path):
    pytest.importorskip("ray", reason="needs the sweep extra's Ray")
    pytest.importorskip("optuna", reason="needs the sweep extra's Optuna")
    import pickle

    import optuna
    from ray.tune.search import Searcher

    from ddpg.sweep.budgeted_search import BudgetedOptunaSearch
    from ddpg.sweep.space import Sampler

    space = {"tau": {"type": "float", "low": 0.001, "high": 0.1, "log": True}}
    storage = str(tmp_path)
    write_clock(storage, SEARCH_CLOCK, 50.0)  # earlier sessions ran 50 s
    searcher = BudgetedOptunaSearch(space=Sampler(space, DDPG_BASE.to_dict()), metric="score",
                                    mode="max", sampler=optuna.samplers.TPESampler(seed=0),
                                    storage=storage, budget_seconds=3600.0)
    first = searcher.suggest("t1")
    assert 0.001 <= first["tau"] <= 0.1
    assert 50.0 <= searcher.spent_seconds() < 60.0
    searcher.budget_seconds = 50.0  # spent: nothing new
    assert searcher.suggest("t2") == Searcher.FINISHED
    # A saved or pickled searcher keeps no clock of this process: it reads the
    # search clock afresh where it is restored.
    checkpoint = tmp_path / "searcher"
    checkpoint.mkdir()
    searcher.save(str(checkpoint / "state.pkl"))
    assert searcher._session is not None
    write_clock(storage, SEARCH_CLOCK, 10.0)
    searcher.restore(str(checkpoint / "state.pkl"))
    assert searcher.suggest("t3") != Searcher.FINISHED
    assert pickle.loads(pickle.dumps(searcher))._session is None


def test_validate_seeds_are_a_count_from_1000_or_a_list():
    assert parse_validate_seeds("3") == [1000, 1001, 1002]
    assert parse_validate_seeds("7-9") == [7, 8, 9]
    assert parse_validate_seeds("4,6") == [4, 6]


# -- the command's refusals --------------------------------------------------------------------

BASE_ARGS = ["--env", "Pendulum-v1", "--total-steps", "400", "--trials", "2"]


@pytest.mark.parametrize("extra, words", [
    (["--trials", "0"], "--trials must be at least 1"),
    (["--time-budget", "soon"], "--time-budget must be a positive duration"),
    (["--search-seeds", "0-1", "--validate-seeds", "1-3"], "1 are search seeds"),
    (["--preset", "nope"], "invalid choice"),
    (["--space", "SPACE_TD3"], "--preset td3"),
    (["--eval-every", "800"], "--eval-every must be 1 to --total-steps"),
    (["--resume"], "drop --env"),
    (["--seeds-per-trial", "3", "--search-seeds", "0-1"], "gives 2 seeds"),
])
def test_bad_input_is_one_line_exit_2_and_writes_nothing(tmp_path, capsys, extra, words):
    td3_space = tmp_path / "td3.json"
    td3_space.write_text(json.dumps({"target_noise": {"type": "float", "low": 0.1,
                                                      "high": 0.3}}))
    storage = tmp_path / "study"
    args = BASE_ARGS + [str(td3_space) if a == "SPACE_TD3" else a for a in extra]
    with pytest.raises(SystemExit) if "invalid choice" in words else _no_raise():
        code = tune_main(args + ["--storage", str(storage)])
        assert code == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1
    assert not os.path.exists(storage)


class _no_raise:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("program, module", [("tune", "optuna"), ("tune", "ray"),
                                             ("sweep", "ray")])
def test_without_the_sweep_extra_the_command_names_it_in_one_line(tmp_path, capsys, monkeypatch,
                                                                   program, module):
    import sys

    from ddpg.cli import sweep as sweep_cli

    monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    storage = tmp_path / "out"
    if program == "tune":
        code = tune_main(BASE_ARGS + ["--storage", str(storage)])
    else:
        code = sweep_cli.main(["--env", "Pendulum-v1", "--storage", str(storage)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert f"needs {module}" in err and '".[sweep]"' in err
    assert not os.path.exists(storage)


def test_the_plots_study_holds_candidates_in_the_order_drawn_with_their_states():
    pytest.importorskip("optuna", reason="needs the sweep extra's Optuna")
    from ddpg.outputs.study_plots import rebuilt_study

    space = {"tau": {"type": "float", "low": 0.001, "high": 0.1, "log": True}}
    records = {"cand-aa": {"status": "finished", "score": -150.0, "started": 30.0,
                           "params": {"tau": 0.01}, "scores": [{"steps": 100, "score": -150.0}]},
               "cand-bb": {"status": "pruned", "score": -900.0, "started": 10.0,
                           "params": {"tau": 0.05}, "scores": [{"steps": 50, "score": -900.0}]},
               "cand-cc": {"status": "finished", "score": -200.0, "started": 20.0,
                           "params": {"tau": 0.002}, "scores": []}}
    study = rebuilt_study(records, spaces.distributions(space))
    assert [t.params["tau"] for t in study.trials] == [0.05, 0.002, 0.01]
    assert [t.state.name for t in study.trials] == ["PRUNED", "COMPLETE", "COMPLETE"]
    assert study.best_value == -150.0
    assert study.trials[0].intermediate_values == {50: -900.0}


def spaces_have_optuna():
    import importlib.util

    return importlib.util.find_spec("optuna") is not None


def searched_study(folder, running=False, **changes):
    """A study folder as a search leaves it: study.json, candidates.json, search_time.json."""
    spec = study_spec(trials=3, space={"tau": {"type": "float", "low": 0.001, "high": 0.1}},
                      **changes)
    records = {f"cand-{i}": {"status": "finished", "steps": 400, "score": -200.0 - i,
                             "scores": [], "settings": {"tau": 0.01 * (i + 1)},
                             "params": {"tau": 0.01 * (i + 1)}, "started": 1000.0 + i}
               for i in range(3)}
    if running:
        records["cand-2"]["status"] = "running"
    os.makedirs(folder, exist_ok=True)
    for name, data in (("study.json", spec.to_dict()), ("candidates.json", records),
                       ("search_time.json", {"seconds": 90.0})):
        with open(os.path.join(folder, name), "w") as handle:
            json.dump(data, handle)
    return spec


@pytest.mark.parametrize("running, words", [(None, "holds no study (study.json)"),
                                            (True, "holds no ended search")])
def test_collect_refuses_a_folder_without_an_ended_search(tmp_path, capsys, running, words):
    storage = tmp_path / "study"
    if running is not None:
        searched_study(storage, running=running)
    code = tune_main(["--collect", str(tmp_path / "out"), "--storage", str(storage)])
    err = capsys.readouterr().err.strip()
    assert code == 2 and words in err and len(err.splitlines()) == 1
    assert not os.path.exists(tmp_path / "out")


def test_an_ended_search_collects_before_validation_and_its_copy_validates_without_searching(
        tmp_path, capsys, monkeypatch):
    import argparse

    from ddpg.cli import tune as tune_cli
    from ddpg.sweep import runner, search

    storage = tmp_path / "study"
    spec = searched_study(storage)
    out = tmp_path / "collected"
    assert tune_main(["--collect", str(out), "--storage", str(storage)]) == 0
    listed = set(os.listdir(out))
    search_files = {"candidates.json", "search_time.json", "study.json"}
    assert search_files <= listed and not listed & {"validation", "best.json", "study.md"}
    if spaces_have_optuna():  # Optuna's plots need the records only
        assert "optuna_history.png" in listed
    assert "not validated yet" in capsys.readouterr().out

    # The copy validates: no search runs, and the top candidates by search score go on.
    def no_search(*args, **kwargs):
        raise AssertionError("the ended search ran again")

    validated = []
    monkeypatch.setattr(search, "run", no_search)
    monkeypatch.setattr(runner, "outcome", lambda vspec, vstorage: {"unfinished": ["all"]})

    def validation_run(vspec, vstorage, **kwargs):
        validated.append(vspec)
        return {"unfinished": ["stopped"], "seconds": 5.0}

    monkeypatch.setattr(runner, "run", validation_run)
    monkeypatch.setattr(runner, "print_outcome", lambda *args: None)
    args = argparse.Namespace(address=None, num_cpus=1, ray_temp_dir=None, resume=True)
    assert tune_cli.run_study(spec, str(out), args) == 130  # stopped: our fake validation
    labels = [label for label, _ in validated[0].variants]
    assert labels == ["cand-0", "cand-1", "cand-2", "preset=fujimoto2018"]
    assert validated[0].seeds == [1000, 1001]

    # A copy taken while a candidate was still running cannot continue its search.
    paused = tmp_path / "paused"
    spec = searched_study(paused, running=True)
    with pytest.raises(UserError, match="holds candidates but not the search's state"):
        tune_cli.run_study(spec, str(paused), args)


def test_end_search_stops_the_running_candidates_and_the_study_then_collects(tmp_path, capsys):
    storage = tmp_path / "study"
    searched_study(storage, running=True)  # cand-2 running: the search had not ended
    refusal = tune_main(["--end-search", "--storage", str(storage), "--trials", "9"])
    err = capsys.readouterr().err.strip()
    assert refusal == 2 and "drop --trials" in err and len(err.splitlines()) == 1
    assert tune_main(["--end-search", "--storage", str(storage)]) == 0
    out = capsys.readouterr().out
    assert "3 candidates, 2 finished; stopped: cand-2 at 400 steps" in out
    records = json.loads((storage / "candidates.json").read_text())
    assert [records[n]["status"] for n in sorted(records)] == ["finished", "finished",
                                                                "stopped"]
    spec = StudySpec.from_dict(json.loads((storage / "study.json").read_text()))
    assert spec.ended_early and search_ended(spec, records, str(storage))
    assert validation.top_candidates(records, 3) == [("cand-0", records["cand-0"]),
                                                      ("cand-1", records["cand-1"])]
    summary = validation.summary_markdown(spec, records, {}, None, {"why": "x"}, 1.0, 0.0)
    assert "failed 0, stopped by --end-search 1." in summary
    assert "Ended with --end-search after 3 candidates" in summary
    assert tune_main(["--collect", str(tmp_path / "out"), "--storage", str(storage)]) == 0
    assert tune_main(["--end-search", "--storage", str(storage)]) == 0
    assert "has already ended" in capsys.readouterr().out


def test_a_failed_candidate_is_recorded_with_its_reason_and_the_study_goes_on(tmp_path):
    pytest.importorskip("ray", reason="needs the sweep extra's Ray")
    from ddpg.sweep.search import Bookkeeper, read_candidates
    from ddpg.sweep.study import STATUS_FILE, candidate_folder

    class FakeTrial:  # what the callback reads of a Tune trial
        def __init__(self, number, status="RUNNING"):
            self.trial_id, self.status = f"abc_{number:05d}", status
            self.config = {"tau": 0.01}

    spec = study_spec(space={"tau": {"type": "float", "low": 0.001, "high": 0.1}})
    lines = []
    keeper = Bookkeeper(str(tmp_path), spec, log=lines.append, progress_every=0)
    home = tmp_path / os.path.dirname(candidate_folder(spec.env_id, "cand-00001", 0))
    home.mkdir(parents=True)
    (home / STATUS_FILE).write_text(json.dumps({"error": "loss became NaN at step 300"}))
    failed, running = FakeTrial(1), FakeTrial(2)
    keeper.on_trial_result(0, [failed, running], failed, {"steps": 100, "score": -500.0})
    keeper.on_trial_error(0, [failed, running], failed)
    record = read_candidates(str(tmp_path))["cand-00001"]
    assert record["status"] == "failed" and record["error"] == "loss became NaN at step 300"
    assert "score" not in record and record["settings"] == {"tau": 0.01}
    assert any("cand-00001 failed: loss became NaN" in line for line in lines)
    assert lines[-1].startswith("Study: 1/4 done (0 pruned, 1 failed), 1 running")


def test_an_address_where_no_cluster_answers_is_refused_before_anything_is_written(tmp_path,
                                                                                   capsys):
    pytest.importorskip("ray", reason="needs the sweep extra's Ray")
    pytest.importorskip("optuna", reason="needs the sweep extra's Optuna")
    storage = tmp_path / "study"
    code = tune_main(BASE_ARGS + ["--storage", str(storage), "--address", "127.0.0.1:9"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and "no Ray cluster answers at 127.0.0.1:9" in err
    assert len(err.splitlines()) == 1 and not os.path.exists(storage)
