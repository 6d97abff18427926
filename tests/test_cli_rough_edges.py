"""A newcomer's first hour: flags other libraries taught them, output that says what it
did, evaluations that never replace the training's own, and checkpoints kept as asked."""
import io
import json
import os
import re
import shutil

import pytest
from helpers import snapshot

from conftest import REPO_DIR
from ddpg import config as settings
from ddpg.errors import UserError
from ddpg.outputs import evaluation as evaluation_output


def format_evaluation_point(point):
    return evaluation_output.format_evaluation_point(point)


def install_hint(extra):
    from ddpg.extras import install_hint

    return install_hint(extra)


# -- --seed, as CleanRL and Stable-Baselines3 spell it -------------------------------------

def train_config(*flags):
    from ddpg.cli.train import build_parser, config_from_args, defaults_from_constants

    defaults = defaults_from_constants()
    return config_from_args(build_parser(defaults, "ddpg-train").parse_args(list(flags)),
                            defaults)


def test_seed_is_another_name_for_random_seed(tmp_path):
    from ddpg.cli.train import build_parser, defaults_from_constants

    assert train_config("--seed", "7").random_seed == 7
    assert train_config("--random-seed", "7").random_seed == 7
    text = build_parser(defaults_from_constants(), "ddpg-train").format_help()
    assert re.search(r"--random-seed RANDOM_SEED, --seed RANDOM_SEED", text), text
    assert "--seed" in settings.settings_table()  # the docs' table lists it too


def test_evaluate_takes_the_seed_by_either_name():
    from ddpg.cli.evaluate import build_parser

    parser = build_parser("ddpg-evaluate")
    assert parser.parse_args(["--random-seed", "3"]).seed == 3
    assert parser.parse_args(["--seed", "3"]).seed == 3


# -- --keep-checkpoints ----------------------------------------------------------------------

def test_keep_checkpoints_is_a_setting_with_help_and_a_check():
    assert settings.DEFAULTS.keep_checkpoints == 3
    assert train_config("--keep-checkpoints", "0").keep_checkpoints == 0
    with pytest.raises(UserError, match="--keep-checkpoints must be 0"):
        settings.validate(train_config("--keep-checkpoints", "-1"))


def test_keep_checkpoints_does_not_split_a_sweeps_comparison():
    from ddpg.sweep.merge import FoundTrial, check_comparable

    def trial(seed, **changes):
        config = dict(settings.DEFAULTS.to_dict(), **changes)
        return FoundTrial(storage="s", folder=f"runs/Pendulum-v1/seed-{seed}",
                          env_id="Pendulum-v1", seed=seed, preset="tutorial", variant="",
                          config=config, started=True)

    check_comparable([trial(0, keep_checkpoints=3), trial(1, keep_checkpoints=0)])
    with pytest.raises(UserError, match="tau"):  # a training setting still does
        check_comparable([trial(0, tau=0.001), trial(1, tau=0.005)])


def fake_run(tmp_path, names, keep):
    """A run folder whose checkpoints/ holds folders `names` and best/, made with `keep`."""
    run = tmp_path / "results"
    for name in list(names) + ["best"]:
        (run / "checkpoints" / name).mkdir(parents=True)
    (run / "config.json").write_text(json.dumps({"keep_checkpoints": keep}))
    return run


def test_a_pruned_checkpoint_is_refused_with_the_ones_that_are_kept(tmp_path):
    from ddpg.run.checkpoint import find_checkpoint

    run = fake_run(tmp_path, ["ckpt-000180", "ckpt-000190", "ckpt-000200"], keep=3)
    with pytest.raises(UserError) as caught:
        find_checkpoint(str(run), str(run / "checkpoints" / "ckpt-000100"))
    message = str(caught.value)
    assert "ckpt-000100 does not exist" in message
    assert "holds ckpt-000180, ckpt-000190, ckpt-000200, best" in message
    assert "keeps only its newest 3 checkpoints" in message and "--keep-checkpoints" in message


# -- what a run is called --------------------------------------------------------------------

@pytest.mark.parametrize("preset, changes, name", [
    ("tutorial", {}, "DDPG"),
    ("fujimoto2018", {}, "DDPG"),
    ("td3", {}, "TD3"),
    ("td3", {"twin_critics": False}, "DDPG with a delayed actor and target smoothing"),
    ("tutorial", {"twin_critics": True}, "DDPG with twin critics"),
])
def test_the_learning_curve_is_titled_by_the_algorithm_that_ran(tmp_path, monkeypatch, preset,
                                                                changes, name):
    from ddpg.outputs import plotting
    from ddpg.run import driver
    from ddpg.run.folder import run_paths

    config = settings.resolve(preset, dict(changes, env_id="Pendulum-v1", eval_episodes=0,
                                           gif=False, plot=True, results_dir=str(tmp_path)))
    titles = []
    monkeypatch.setattr(plotting, "plot_runs", lambda *a, title=None, **k: titles.append(title))

    class Writer:
        def flush(self):
            pass

    driver.finish(config, run_paths(config), None, None, Writer(), None, None, 0.0,
                  lambda line: None)
    assert titles == [f"{name} on Pendulum-v1"]


# -- install hints ---------------------------------------------------------------------------

def test_no_hint_installs_ddpg_by_name_from_pypi():
    """PyPI's `ddpg` is another project: every hint installs from the checkout."""
    by_name = re.compile(r"pip install\s+['\"]?ddpg(\[|\b)")
    offenders = []
    for folder in ("ddpg", "scripts"):
        for root, _, files in os.walk(os.path.join(REPO_DIR, folder)):
            for name in files:
                if name.endswith(".py"):
                    with open(os.path.join(root, name), encoding="utf-8") as handle:
                        if by_name.search(handle.read()):
                            offenders.append(os.path.join(root, name))
    assert offenders == []
    assert install_hint("video").startswith('pip install ".[video]" in the ddpg checkout')


def test_video_without_moviepy_names_the_install_from_the_checkout(tmp_path, monkeypatch,
                                                                   capsys):
    from ddpg.cli import evaluate
    from ddpg.outputs import video

    monkeypatch.setattr(video, "mp4_available", lambda: False)
    code = evaluate.main(["--results-dir", str(tmp_path), "--video-dir", str(tmp_path / "v")])
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1
    assert install_hint("video") in err and "moviepy" in err
    assert "ddpg[" not in err


# -- periodic evaluations, printed as they happen --------------------------------------------

POINT = {"steps": 5000, "episode": 24, "mean": -150.25, "std": 20.5,
         "returns": [-130.0, -170.5]}


def test_a_periodic_evaluation_reads_like_the_final_one_plus_when():
    line = format_evaluation_point(POINT)
    final = evaluation_output.format_evaluation({"mean_return": POINT["mean"], "std_return": POINT["std"],
                               "episodes": 2})
    assert line == final + " | Episode 24 | Steps: 5,000"


def test_a_periodic_evaluation_is_one_log_line_without_a_terminal():
    from ddpg.outputs.progress import Progress

    lines = []
    progress = Progress(10000, 0, 0, 0, log=lines.append, stream=io.StringIO())
    progress.evaluated(POINT)
    assert lines == [format_evaluation_point(POINT)]
    assert "last evaluation -150.2" in progress.line(5000, 5000, 100.0)


def test_a_periodic_evaluation_prints_above_the_progress_bar():
    """On a terminal the bar is cleared, the line printed, and the bar drawn again below."""
    pytest.importorskip("tqdm")
    from ddpg.outputs.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    screen = Terminal()
    progress = Progress(10000, 0, 0, 0, stream=screen)
    progress.update(5000, 24)
    progress.evaluated(POINT)
    progress.close()
    text = screen.getvalue()
    line = format_evaluation_point(POINT)
    before, _, after = text.partition(line)
    assert after, "the evaluation line went elsewhere than the bar's stream"
    assert before.endswith("\r")  # the bar's line was cleared first, from its start
    assert after.startswith("\n") and "5000/10000" in after  # the bar, drawn again below


# -- the speed line after --resume -----------------------------------------------------------

def test_the_speed_counts_this_sessions_steps():
    from ddpg.outputs.progress import speed_line

    assert speed_line(6000, 3.3, 6000) == "6000 steps in 3.3 s (1818 steps/s)"
    assert speed_line(4000, 3.3, 6000) == \
        "4000 steps this session in 3.3 s (1212 steps/s); 6000 in all"


# -- through a real (short) run --------------------------------------------------------------

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(results folder, log lines): 300 steps, an evaluation every 100, every checkpoint kept."""
    from ddpg.run.driver import run_training

    results = tmp_path_factory.mktemp("rough") / "run"
    config = settings.resolve("tutorial", dict(
        total_steps=300, max_episode_len=50, minibatch_size=16, buffer_size=1000,
        hidden_sizes=(16, 16), eval_every=100, eval_episodes=2, gif=False, plot=False,
        checkpoint_every=1, keep_checkpoints=0, random_seed=6, results_dir=str(results),
        monitor_dir=str(results / "gym_ddpg"), summary_dir=str(results / "tf_ddpg")))
    log = []
    assert run_training(config, log=log.append) == 0
    return results, log


@pytest.mark.slow
def test_keep_checkpoints_zero_keeps_every_checkpoint(trained):
    results, _ = trained
    assert sorted(n for n in os.listdir(results / "checkpoints") if n.startswith("ckpt-")) == \
        [f"ckpt-{episode:06d}" for episode in range(1, 7)]


@pytest.mark.slow
def test_each_periodic_evaluation_is_printed(trained):
    results, log = trained
    with open(results / "evaluations.json") as handle:
        points = json.load(handle)["evaluations"]
    assert [p["steps"] for p in points] == [100, 200, 300]
    printed = [line for line in log if line.startswith("| Evaluation:") and "| Steps:" in line]
    assert printed == [format_evaluation_point(p) for p in points]
    assert any(line.startswith("Training: 300 steps in ") for line in log), log


@pytest.mark.slow
def test_a_resumed_run_reports_the_speed_of_this_session(trained, tmp_path):
    from ddpg.run.driver import run_training

    results = tmp_path / "run"
    shutil.copytree(trained[0], results)
    with open(results / "config.json") as handle:
        saved = json.load(handle)
    config = settings.TrainConfig(**dict(saved, total_steps=500, resume=True,
                                         results_dir=str(results),
                                         monitor_dir=str(results / "gym_ddpg"),
                                         summary_dir=str(results / "tf_ddpg")))
    log = []
    assert run_training(config, log=log.append) == 0
    lines = [line for line in log if line.startswith("Training: ")]
    assert len(lines) == 1, log
    found = re.match(r"Training: (\d+) steps this session in ([\d.]+) s \((\d+) steps/s\); "
                     r"(\d+) in all; checkpoint ", lines[0])
    assert found, lines[0]
    steps, seconds, rate, total = int(found[1]), float(found[2]), int(found[3]), int(found[4])
    assert (steps, total) == (200, 500)
    # The rate is this session's steps over its seconds (shown to 0.1 s), not the total's.
    assert steps / (seconds + 0.05) - 1 <= rate <= steps / max(seconds - 0.05, 1e-3) + 1


# -- ddpg-evaluate writes its own file -------------------------------------------------------

def evaluate(*args):
    from ddpg.cli.evaluate import main

    return main([str(a) for a in args])


@pytest.mark.slow
def test_evaluating_any_checkpoint_never_replaces_the_trainings_evaluation(trained, tmp_path,
                                                                           capsys):
    results = tmp_path / "run"
    shutil.copytree(trained[0], results)
    training_file = (results / "evaluation.json").read_bytes()
    older = results / "checkpoints" / "ckpt-000002"

    assert evaluate("--results-dir", results, "--checkpoint", older, "--episodes", 1) == 0
    out = results / "evaluation_ckpt-000002.json"
    assert f"Wrote {out}" in capsys.readouterr().out
    with open(out) as handle:
        written = json.load(handle)
    assert written["checkpoint"] == str(older) and written["episodes"] == 1
    assert evaluate("--results-dir", results, "--episodes", 1) == 0  # the latest
    assert (results / "evaluation_ckpt-000006.json").is_file()
    assert (results / "evaluation.json").read_bytes() == training_file
    capsys.readouterr()

    # Again: refused, unless --force; the training's file only with --force and --out.
    before = snapshot(results)
    for args, words in [((), "evaluation_ckpt-000002.json already exists"),
                        (("--out", results / "evaluation.json"),
                         "final evaluation of training")]:
        assert evaluate("--results-dir", results, "--checkpoint", older, *args) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and words in err and "--force" in err, err
    assert snapshot(results) == before
    assert evaluate("--results-dir", results, "--checkpoint", older, "--episodes", 2,
                    "--force") == 0
    with open(out) as handle:
        assert json.load(handle)["episodes"] == 2
    assert (results / "evaluation.json").read_bytes() == training_file


def test_force_clears_the_earlier_runs_checkpoint_evaluations_and_nothing_else(tmp_path):
    """ddpg-evaluate's evaluation_<checkpoint>.json score the earlier run's checkpoints:
    after --force they would describe a run that is gone, and block a later evaluate."""
    from ddpg.run.folder import RunPaths, clear_run

    paths = RunPaths(results_dir=str(tmp_path), monitor_dir=str(tmp_path / "gym_ddpg"),
                     summary_dir=str(tmp_path / "tf_ddpg"), gif_name="pendulum.gif",
                     run_name="Pendulum-v1_DDPG_seed1234")
    for name in ("evaluation.json", "evaluation_best.json", "evaluation_ckpt-000200.json",
                 "notes.json", "my_evaluation.json"):
        (tmp_path / name).write_text("{}")
    clear_run(paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_evaluation.json", "notes.json"]


def test_a_mujoco_task_without_mujoco_names_this_packages_extra(monkeypatch):
    """Gymnasium's own hint installs gymnasium's extra; ours names the checkout's, one line."""
    import gymnasium as gym

    from ddpg.envs import make_env
    from ddpg.errors import UserError

    def missing(*args, **kwargs):
        raise gym.error.DependencyNotInstalled(
            'MuJoCo is not installed, run `pip install "gymnasium[mujoco]"`')

    monkeypatch.setattr(gym, "make", missing)
    with pytest.raises(UserError) as refused:
        make_env("Hopper-v5")
    message = str(refused.value)
    assert "\n" not in message and "needs a package that is not installed" in message
    assert 'pip install ".[mujoco]" in the ddpg checkout' in message
