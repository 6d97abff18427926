"""A hyperparameter study: what it searches, and one candidate's training on k seeds.

A candidate is one set of drawn settings.  It trains on every search seed in
lockstep: each seed runs (an ordinary `run_training`, in its own results
folder, exactly as a sweep trial does) until its next periodic evaluation,
checkpoints at that episode's end and stops; when every seed has that
evaluation, the candidate reports their mean score to Ray Tune; then each
seed resumes from its checkpoint (the package's exact resume) to the next.
So the scheduler prunes on the mean over seeds at every evaluation step,
never on one seed's luck, and a killed worker costs at most one chunk.

The score of a seed at step t is the mean of its last `score_last`
evaluations up to t, not its single best one: a best-of rewards a lucky
evaluation, which is the very noise that makes tuned settings fail to
reproduce (rl-baselines3-zoo #86).  It also matches what the validation and
the report's final-10 measure judge, the level a run ends at; an area under
the curve would reward early learning that the final policy need not keep.
"""
import dataclasses
import math
import os
import shutil
import tempfile
import time

from ddpg import atomic
from ddpg import config as settings
from ddpg.errors import UserError, first_line

STUDY_FILE = "study.json"
CANDIDATES_FILE = "candidates.json"
STATUS_FILE = "sweep_trial.json"  # the same file a sweep trial keeps: the stop callback reads it
CANDIDATE_PREFIX = "cand-"
# A candidate's status in candidates.json: running, then finished (the whole budget),
# pruned (by ASHA), failed, or stopped (running when --end-search ended the search).
ENDED = ("finished", "pruned", "failed", "stopped")
VALIDATION_DIR = "validation"
# Each stage's wall time over all its sessions (Ctrl-C pauses not counted).
SEARCH_CLOCK = "search_time.json"
VALIDATION_CLOCK = "validation_time.json"


@dataclasses.dataclass
class StudySpec:
    """Everything that defines a study; study.json holds it, so --resume needs nothing else."""

    name: str
    env_id: str
    preset: str
    trials: int
    total_steps: int
    eval_every: int
    eval_episodes: int
    search_seeds: list
    validate_seeds: list
    space: dict
    space_name: str = "ddpg"
    fixed: dict = dataclasses.field(default_factory=dict)  # --config and training flags
    score_last: int = 3
    top: int = 3
    baselines: list = dataclasses.field(default_factory=list)  # presets validated beside
    sampler_seed: int = 0
    grace_steps: int = 0
    reduction_factor: int = 3
    cpus_per_trial: float = 1
    max_failures: int = 3
    time_budget: float = 0  # seconds of search after which no new candidate starts (0: none)
    ended_early: bool = False  # set by --end-search: the search draws no more candidates

    def base_overrides(self):
        """What every run of the study sets beside its drawn settings."""
        values = dict(self.fixed)
        values.update(env_id=self.env_id, total_steps=self.total_steps,
                      eval_every=self.eval_every, eval_episodes=self.eval_episodes,
                      gif=False, plot=False, render_env=False, use_gym_monitor=True)
        return values

    def base_config(self):
        """The TrainConfig a candidate starts from (the base preset with the fixed settings)."""
        return settings.resolve(preset=self.preset, overrides=self.base_overrides())

    def rungs(self):
        """The evaluation steps a candidate reports at."""
        steps = list(range(self.eval_every, self.total_steps + 1, self.eval_every))
        if not steps or steps[-1] != self.total_steps:
            steps.append(self.total_steps)
        return steps

    def to_dict(self):
        data = dataclasses.asdict(self)
        data["fixed"] = {k: list(v) if isinstance(v, tuple) else v for k, v in self.fixed.items()}
        return data

    @classmethod
    def from_dict(cls, data):
        known = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def read_clock(storage, name):
    """Seconds a stage has run so far (0.0 before its first session ends)."""
    import json

    try:
        with open(os.path.join(storage, name), encoding="utf-8") as handle:
            return float(json.load(handle)["seconds"])
    except (FileNotFoundError, ValueError, KeyError):
        return 0.0


def write_clock(storage, name, seconds):
    atomic.write_json(os.path.join(storage, name), {"seconds": seconds})


def search_ended(spec, records, storage):
    """Whether the search has nothing left to run.

    It has when every candidate it drew has ended and either all `trials`
    were drawn, the time budget is spent, or the user ended it (--end-search,
    which also stops the running ones).  A candidate still `running` in the
    records was paused by Ctrl-C and continues on --resume.
    """
    if any(r["status"] == "running" for r in records.values()):
        return False
    if len(records) >= spec.trials or spec.ended_early:
        return True
    return bool(spec.time_budget) and read_clock(storage, SEARCH_CLOCK) >= spec.time_budget


def seed_score(points, upto, last):
    """Mean of the last `last` evaluation means at or before step `upto` (None: none yet)."""
    means = [p["mean"] for p in points if p["steps"] <= upto]
    if not means:
        return None
    return sum(means[-last:]) / len(means[-last:])


def candidate_folder(env_id, label, seed):
    from ddpg.sweep.grid import labelled_folder

    return labelled_folder(env_id, label, seed)


def candidate_config(spec, chosen, seed, results_dir, threads=1):
    """One seed's TrainConfig: base preset, fixed settings, the drawn settings, its folder."""
    overrides = spec.base_overrides()
    overrides.update(chosen)
    overrides.update(random_seed=seed, results_dir=results_dir,
                     monitor_dir=os.path.join(results_dir, "gym_ddpg"),
                     summary_dir=os.path.join(results_dir, "tf_ddpg"),
                     threads=int(threads), force=False, resume=False)
    return settings.resolve(preset=spec.preset, overrides=overrides)


class CandidateFailed(Exception):
    """A candidate that cannot succeed by retrying (bad settings, a NaN loss)."""


def read_status(folder):
    from ddpg.sweep.trial import read_status as read

    return read(folder)


def run_candidate(tune_config, study=None, storage=None):
    """Ray Tune function trainable: the drawn params of one candidate, on every search seed."""
    from ray import tune

    from ddpg.sweep.space import settings_of
    from ddpg.sweep.stop import StopRequest
    from ddpg.sweep.trial import wait_to_be_stopped

    spec = StudySpec.from_dict(study)
    label = CANDIDATE_PREFIX + tune.get_context().get_trial_name().split("-")[-1]
    chosen = settings_of(tune_config, spec.space)
    home = os.path.join(storage, os.path.dirname(candidate_folder(spec.env_id, label, 0)))
    os.makedirs(home, exist_ok=True)
    status = read_status(home)
    if status.get("status") == "failed":
        raise CandidateFailed(status.get("error") or "failed earlier")
    status.update(label=label, settings=jsonable(chosen), params=tune_config)
    status.setdefault("attempts", [])
    status["attempts"].append({"pid": os.getpid(), "started": time.time()})
    status["status"] = "running"
    _write_status(home, status)
    stop_request = StopRequest(storage)
    threads = max(1, int(spec.cpus_per_trial))
    reported = _restored_rung(tune)
    try:
        for rung in spec.rungs():
            scores = []
            for seed in spec.search_seeds:
                folder = os.path.join(storage, candidate_folder(spec.env_id, label, seed))
                config = candidate_config(spec, chosen, seed, folder, threads)
                points = train_until(config, rung, stop_request)
                if points is None:  # the study is stopping: checkpointed, wait for Tune
                    _close(home, status, "stopped")
                    wait_to_be_stopped()
                scores.append(seed_score(points, rung, spec.score_last))
            if rung <= reported:
                continue  # reported before a restart: the scheduler has it
            _report(tune, rung, scores, spec)
    except UserError as exc:
        line = first_line(exc)
        status["error"] = line
        _close(home, status, "failed")
        raise CandidateFailed(line) from None
    except CandidateFailed as exc:
        status["error"] = str(exc)
        _close(home, status, "failed")
        raise
    _close(home, status, "finished")


def train_until(config, rung, stop_request):
    """Train one seed to its evaluation at `rung` (or its budget); its evaluations, or None.

    None means the study is stopping (Ctrl-C): the run has checkpointed.
    """
    from ddpg.outputs.evaluation import PERIODIC_FILE, read_evaluations
    from ddpg.run.checkpoint import checkpoint_dir, latest_checkpoint

    evaluations = os.path.join(config.results_dir, PERIODIC_FILE)
    points = read_evaluations(evaluations) if os.path.exists(evaluations) else []
    if _reached(points, rung) or os.path.exists(os.path.join(config.results_dir,
                                                             "evaluation.json")):
        return points
    resume_from = latest_checkpoint(checkpoint_dir(config.results_dir))
    config.resume = resume_from is not None
    config.force = resume_from is None
    from ddpg.run.folder import prepare

    prepared = prepare(config)
    reached = {"done": False}

    def on_evaluation(point, checkpoint):
        if point["mean"] is None or not math.isfinite(point["mean"]):
            raise CandidateFailed(f"seed {config.random_seed}: evaluation at step "
                                  f"{point['steps']} returned {point['mean']}")
        reached["done"] = reached["done"] or point["steps"] >= rung

    from ddpg.run.driver import run_training

    os.makedirs(config.results_dir, exist_ok=True)
    from ddpg.sweep.trial import LOG_FILE, TrialLog

    log = TrialLog(os.path.join(config.results_dir, LOG_FILE))
    try:
        code = run_training(config, prepared, log=log, on_evaluation=on_evaluation,
                            stop_requested=lambda: reached["done"] or stop_request.requested())
    finally:
        log.close()
    points = read_evaluations(evaluations)
    if _reached(points, rung):
        return points
    if code != 0 and stop_request.requested():
        return None
    raise CandidateFailed(f"seed {config.random_seed} stopped at step "
                          f"{points[-1]['steps'] if points else 0} without its evaluation at "
                          f"{rung} (exit code {code})")


def _reached(points, rung):
    return bool(points) and points[-1]["steps"] >= rung


def _report(tune, rung, scores, spec):
    """One result to Tune: the mean over seeds, with a checkpoint naming the rung."""
    mean = sum(scores) / len(scores)
    metrics = {"steps": rung, "score": mean, "seed_scores": list(scores),
               "seeds": len(scores), "done": rung >= spec.total_steps}
    staging = tempfile.mkdtemp(prefix="ddpg-study-")
    try:
        atomic.write_json(os.path.join(staging, "rung.json"), {"steps": rung})
        tune.report(metrics, checkpoint=tune.Checkpoint.from_directory(staging))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _restored_rung(tune):
    """The last step this candidate reported before a restart (0 on a first start)."""
    import json

    checkpoint = tune.get_checkpoint()
    if checkpoint is None:
        return 0
    with checkpoint.as_directory() as folder:
        try:
            with open(os.path.join(folder, "rung.json"), encoding="utf-8") as handle:
                return int(json.load(handle)["steps"])
        except (OSError, ValueError, KeyError):
            return 0


def _close(home, status, outcome):
    status["status"] = "running" if outcome == "stopped" else outcome
    status["attempts"][-1].update(ended=time.time(), outcome=outcome)
    _write_status(home, status)


def _write_status(home, status):
    atomic.write_json(os.path.join(home, STATUS_FILE), status)


def jsonable(values):
    """Settings as JSON holds them (hidden sizes as a list)."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in values.items()}
