"""`ddpg-tune` end to end on real Ray and Optuna: search, Ctrl-C, resume, pruning, validation.

One small study on Pendulum does it all, because each start of Ray costs
seconds.  Its space is a single setting whose values score far apart on any
machine: an evaluation episode cut at 5 steps returns at least -82 (5 times
the worst reward, -16.3), one of 200 steps from an untrained policy about
-1,200.  With the TPE sampler's seed 0 the first four draws are 200, 5, 200,
200 (Optuna's seeded random start, the same on every platform), so ASHA
must prune the third candidate at its first rung: its score is below the
median of the two before it.
"""
import json
import os
import signal
import subprocess
import sys

import pytest
from conftest import REPO_DIR
from test_sweep_ray import ray_env, ray_tmp, tail, wait_for  # noqa: F401 (ray_tmp: fixture)

from ddpg.outputs.evaluation import read_evaluations

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]  # see test_sweep_ray
pytest.importorskip("ray", reason="the study tests need Ray: pip install \".[sweep]\" in the "
                    "checkout")
pytest.importorskip("optuna", reason="the study tests need Optuna: pip install \".[sweep]\" "
                    "in the checkout")

TUNE = os.path.join(REPO_DIR, "scripts", "tune.py")
TRAIN = os.path.join(REPO_DIR, "scripts", "train_pendulum.py")
TOTAL = 600


def study_args(storage, space, ray_dir):
    return ["--env", "Pendulum-v1", "--preset", "fujimoto2018", "--space", space,
            "--trials", "4", "--total-steps", str(TOTAL), "--eval-every", "200",
            "--eval-episodes", "1", "--seeds-per-trial", "2", "--validate-seeds", "2",
            "--top", "1", "--reduction-factor", "2", "--sampler-seed", "0",
            "--storage", storage, "--num-cpus", "1", "--ray-temp-dir", ray_dir]


def candidates(storage):
    try:
        with open(os.path.join(storage, "candidates.json")) as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}


def read(path):
    with open(path) as handle:
        return handle.read()


def test_a_study_stops_resumes_prunes_and_validates_on_unseen_seeds(tmp_path, ray_tmp):  # noqa: F811
    space = tmp_path / "space.json"
    space.write_text(json.dumps({"max_episode_len": {"type": "categorical",
                                                     "choices": [5, 200]}}))
    storage = str(tmp_path / "study")
    log = tmp_path / "first.log"
    with open(log, "w") as handle:
        first = subprocess.Popen([sys.executable, TUNE, *study_args(storage, str(space), ray_tmp)],
                                 env=ray_env(), stdout=handle, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: any(r["status"] == "finished" for r in candidates(storage).values()),
                 240, "a first finished candidate", proc=first, poll=0.2)
        first.send_signal(signal.SIGINT)
        assert first.wait(timeout=120) == 130, tail(log)
    finally:
        if first.poll() is None:
            first.kill()
    done_before = {n: r for n, r in candidates(storage).items() if r["status"] == "finished"}
    assert 0 < len(done_before) < 4, tail(log)
    logs_before = {n: read(os.path.join(storage, "runs", "Pendulum-v1", n, "seed-0",
                                        "train.log")) for n in done_before}
    assert "Continue it with:" in read(log) and "--resume --storage" in read(log)

    resumed = subprocess.run([sys.executable, TUNE, "--resume", "--storage", storage,
                              "--num-cpus", "1", "--ray-temp-dir", ray_tmp], env=ray_env(),
                             capture_output=True, text=True, timeout=600, check=False)
    output = resumed.stdout + resumed.stderr
    assert resumed.returncode == 0, tail(output, 60)

    # No finished candidate ran again: its seeds' logs are as they were.
    for name, text in logs_before.items():
        assert read(os.path.join(storage, "runs", "Pendulum-v1", name, "seed-0",
                                 "train.log")) == text
    records = candidates(storage)
    assert len(records) == 4 and all(r["status"] in ("finished", "pruned")
                                     for r in records.values())
    # The pruned candidate stopped early: its seeds never reached the budget.
    pruned = [n for n, r in records.items() if r["status"] == "pruned"]
    assert pruned, records
    for name in pruned:
        assert records[name]["steps"] < TOTAL
        for seed in (0, 1):
            folder = os.path.join(storage, "runs", "Pendulum-v1", name, f"seed-{seed}")
            evaluated = read_evaluations(os.path.join(folder, "evaluations.json"))
            assert evaluated and evaluated[-1]["steps"] < TOTAL
            assert not os.path.exists(os.path.join(folder, "evaluation.json"))
    # The search used seeds 0 and 1 only; the validation 1000 and 1001 only.
    search_seeds = {s for n in records for s in os.listdir(
        os.path.join(storage, "runs", "Pendulum-v1", n)) if s.startswith("seed-")}
    assert search_seeds == {"seed-0", "seed-1"}
    validation_runs = os.path.join(storage, "validation", "runs", "Pendulum-v1")
    validated = {s for v in os.listdir(validation_runs)
                 for s in os.listdir(os.path.join(validation_runs, v)) if s.startswith("seed-")}
    assert validated == {"seed-1000", "seed-1001"}
    assert sorted(os.listdir(validation_runs))[-1] == "preset=fujimoto2018"

    with open(os.path.join(storage, "best.json")) as handle:
        best = json.load(handle)
    assert best["settings"]["max_episode_len"] == 5  # the short episodes score far higher
    assert best["validation"]["seeds_used"] == [1000, 1001]
    assert best["validation"]["beats_base"] is True
    assert best["search"]["candidate"] in records
    assert os.path.exists(os.path.join(storage, "optuna_history.png"))
    assert "Verdict" in read(os.path.join(storage, "study.md"))
    assert os.path.exists(os.path.join(storage, "validation", "report.md"))

    # Its small files collect into a benchmarks-style folder whose report rebuilds.
    from ddpg.cli.tune import main as tune_main
    from ddpg.sweep.report import rebuild_differences

    collected = tmp_path / "collected"
    assert tune_main(["--collect", str(collected), "--storage", storage]) == 0
    assert {"best.json", "study.md", "candidates.json", "validation"} <= set(
        os.listdir(collected))
    assert rebuild_differences(str(collected / "validation")) == []

    # best.json trains again through --config, with its settings.
    again = tmp_path / "again"
    trained = subprocess.run([sys.executable, TRAIN, "--config", os.path.join(storage,
                                                                            "best.json"),
                              "--results-dir", str(again), "--total-steps", "20",
                              "--eval-episodes", "1", "--no-gif", "--no-plot"],
                             env=ray_env(), capture_output=True, text=True, timeout=300,
                             check=False)
    assert trained.returncode == 0, tail(trained.stdout + trained.stderr)
    with open(again / "config.json") as handle:
        config = json.load(handle)
    for name, value in best["settings"].items():
        if name not in ("total_steps", "eval_episodes", "gif", "plot"):
            assert config[name] == value, name
