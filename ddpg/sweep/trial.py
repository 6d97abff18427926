"""One trial of a sweep: an ordinary training run inside a Ray Tune worker.

The trial calls `run_training`, the function behind `ddpg-train`, with the
settings `ddpg-train` would build, in a results folder that depends only on
the trial's settings.  That folder is what makes faults cheap:

- a trial (re)starting on any node finds the checkpoints its earlier attempt
  left there and continues with `resume=True`, the package's exact resume,
  so a trial whose worker was killed ends with the rewards of one that
  was never interrupted;
- each periodic evaluation is reported to Tune with a small Tune checkpoint
  naming the run's newest checkpoint, which keeps Tune's own restore
  bookkeeping (and `ddpg-sweep --resume`) in step;
- `sweep_trial.json` records every attempt (process id, host, what it
  resumed from) and the outcome, so a trial that failed for good (bad
  settings, a NaN loss) fails again at once instead of retraining, and the
  report can tell finished, failed and unfinished trials apart.
"""
import os
import shutil
import socket
import tempfile
import time

from ddpg import atomic
from ddpg.errors import UserError, first_line
from ddpg.sweep.stop import StopRequest

STATUS_FILE = "sweep_trial.json"
LOG_FILE = "train.log"
POINTER_FILE = "ddpg_checkpoint.json"


class TrialFailed(Exception):
    """A trial that cannot succeed by retrying; the message is its one-line reason."""


def read_status(results_dir):
    """The trial's sweep_trial.json ({} before its first attempt)."""
    import json

    try:
        with open(os.path.join(results_dir, STATUS_FILE), encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return {}


def write_status(results_dir, status):
    atomic.write_json(os.path.join(results_dir, STATUS_FILE), status)


def run_trial(tune_config):
    """Ray Tune function trainable: {"sweep": spec dict, "trial": trial dict, "storage": path}."""
    from ray import tune

    from ddpg.sweep.grid import SweepSpec, Trial, trial_config

    spec = SweepSpec.from_dict(tune_config["sweep"])
    trial = Trial.from_dict(tune_config["trial"])
    storage = tune_config["storage"]
    stop_request = StopRequest(storage)
    if stop_request.requested():  # started while the sweep is stopping: leave it untouched
        wait_to_be_stopped()
    results_dir = os.path.join(storage, trial.folder)
    os.makedirs(results_dir, exist_ok=True)
    status = read_status(results_dir)
    status.setdefault("trial_id", trial.trial_id)
    status.setdefault("attempts", [])
    if trial.label:  # the row's name in the report (ddpg.sweep.merge), even if it fails now
        status["label"] = trial.label
    if status.get("status") == "failed":
        raise TrialFailed(status.get("error") or "failed earlier")
    if status.get("status") == "finished":
        tune.report(final_metrics(results_dir))
        return

    from ddpg.run.checkpoint import checkpoint_dir, latest_checkpoint

    resume_from = latest_checkpoint(checkpoint_dir(results_dir))
    attempt = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
               "resumed_from": os.path.basename(resume_from) if resume_from else None}
    status["attempts"].append(attempt)
    status["status"] = "running"
    write_status(results_dir, status)

    def close_attempt(outcome, error=None):
        attempt["ended"] = time.time()
        attempt["outcome"] = outcome
        status["wall_seconds"] = attempts_seconds(status["attempts"])
        if error is not None:
            status["error"] = error
        write_status(results_dir, status)

    def seen_working():
        # A killed attempt writes no end: its last sign of work bounds it, so
        # the time until a later resume is not counted as the trial's.
        attempt["seen"] = time.time()
        status["wall_seconds"] = attempts_seconds(status["attempts"])
        write_status(results_dir, status)

    log = TrialLog(os.path.join(results_dir, LOG_FILE))
    reporter = _Reporter(tune, results_dir, on_progress=seen_working)
    try:
        config = trial_config(spec, trial, storage)
        # A folder without a checkpoint holds only the start of a killed
        # attempt: start over.  With one, continue exactly from it.
        config.resume = resume_from is not None
        config.force = resume_from is None
        from ddpg.run.folder import prepare

        prepared = prepare(config)
        log(f"Trial {trial.trial_id}, attempt {len(status['attempts'])}, "
            + (f"resuming from {resume_from}" if resume_from else "from scratch"))
        from ddpg.run.driver import run_training

        code = run_training(config, prepared, log=log, on_evaluation=reporter.evaluation,
                            stop_requested=stop_request.requested)
    except UserError as exc:  # bad settings, a NaN loss: retrying cannot help
        line = first_line(exc)
        status["status"] = "failed"
        close_attempt("failed", line)
        log(f"Failed: {line}")
        raise TrialFailed(line) from None
    except SystemExit:  # Tune stopping the trial (Ctrl-C): it continues from a checkpoint
        close_attempt("stopped")
        raise
    except BaseException as exc:  # a bug or a lost resource: Tune may retry
        close_attempt("error", f"{type(exc).__name__}: {first_line(exc)}")
        raise
    finally:
        log.close()
    if code != 0 and stop_request.requested():  # Ctrl-C of the sweep: checkpointed here
        close_attempt("stopped")
        wait_to_be_stopped()
    if code != 0:
        close_attempt("stopped", f"training stopped with exit code {code}")
        raise RuntimeError(f"training stopped with exit code {code}")
    status["status"] = "finished"
    status.pop("error", None)
    close_attempt("finished")
    tune.report(final_metrics(results_dir))


def wait_to_be_stopped():
    """Hold the trial, checkpointed, until Tune ends the experiment and its worker.

    Returning would tell Tune the trial finished, and raising would make it
    retry; a trial stopped by the sweep's Ctrl-C must be neither.
    """
    while True:
        time.sleep(1.0)


def attempts_seconds(attempts):
    """Wall time of all attempts.

    A killed attempt has no end: it ends at its last evaluation (`seen`), or,
    in folders written before attempts recorded one, when the next began.
    """
    total = 0.0
    for attempt, following in zip(attempts, attempts[1:] + [None]):
        end = (attempt.get("ended") or attempt.get("seen")
               or (following or {}).get("started") or attempt["started"])
        total += end - attempt["started"]
    return round(total, 3)


def final_metrics(results_dir):
    """What Tune shows for a finished trial, from the files of its folder."""
    from ddpg.outputs.evaluation import (
        FINAL_FILE,
        PERIODIC_FILE,
        read_evaluations,
        read_final_evaluation,
    )

    points = read_evaluations(os.path.join(results_dir, PERIODIC_FILE))
    metrics = dict(_point_metrics(points[-1]) if points else {}, finished=True)
    if points:
        metrics["best_eval"] = max(p["mean"] for p in points)
    final = read_final_evaluation(os.path.join(results_dir, FINAL_FILE))
    if final is not None:
        metrics["final_eval"] = final.get("mean_return")
        metrics["steps"] = final.get("train_steps", metrics.get("steps"))
    return metrics


def _point_metrics(point):
    return {"steps": point["steps"], "episode": point["episode"], "eval_mean": point["mean"],
            "eval_std": point["std"], "steps_per_s": point.get("steps_per_s"),
            "wall_seconds": point.get("wall_seconds")}


class _Reporter:
    """on_evaluation: each evaluation to Tune, with a Tune checkpoint when there is a new one."""

    def __init__(self, tune, results_dir, on_progress=lambda: None):
        self.tune = tune
        self.results_dir = results_dir
        self.on_progress = on_progress
        self.last_checkpoint = None

    def evaluation(self, point, checkpoint):
        from ddpg.outputs.evaluation import PERIODIC_FILE, read_evaluations

        self.on_progress()
        metrics = _point_metrics(point)
        points = read_evaluations(os.path.join(self.results_dir, PERIODIC_FILE))
        metrics["best_eval"] = max([p["mean"] for p in points] + [point["mean"]])
        if not checkpoint or checkpoint == self.last_checkpoint:
            self.tune.report(metrics)
            return
        # Tune copies what it is given into its own storage: a pointer to
        # the run's checkpoint, not the checkpoint (its replay buffer can
        # be hundreds of megabytes).
        staging = tempfile.mkdtemp(prefix="ddpg-tune-ckpt-")
        try:
            atomic.write_json(os.path.join(staging, POINTER_FILE), {
                "results_dir": self.results_dir,
                "checkpoint": os.path.relpath(checkpoint, self.results_dir),
                "steps": point["steps"]})
            self.tune.report(metrics, checkpoint=self.tune.Checkpoint.from_directory(staging))
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        self.last_checkpoint = checkpoint


class TrialLog:
    """The run's console lines, appended to train.log in its folder."""

    def __init__(self, path):
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed by close())

    def __call__(self, line):
        if not self.handle.closed:
            self.handle.write(f"{line}\n")
            self.handle.flush()

    def close(self):
        self.handle.close()
