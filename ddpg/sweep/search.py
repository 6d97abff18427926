"""The search of a study on Ray Tune: Optuna's seeded TPE proposes, ASHA prunes.

Nothing here searches or prunes by itself: Tune's `OptunaSearch` (with a
seeded `TPESampler`) draws each candidate from the space, and Tune's
`ASHAScheduler` stops the candidates whose mean score over seeds trails at a
rung.  What this module adds is the bookkeeping a user reads: candidates.json
(every candidate's settings, scores at each evaluation step, and whether it
finished, was pruned or failed), a progress line, and the stop on Ctrl-C
that checkpoints every running seed first (ddpg.sweep.stop).

Tune keeps the searcher's state with the experiment in <storage>/tune, so
`ddpg-tune --resume` continues the same study: finished candidates are not
run again and running ones continue from their seeds' checkpoints.
"""
import glob
import os
import time

from ddpg import atomic
from ddpg.sweep import study as study_module

TUNE_DIR = "tune"
METRIC = "score"  # ddpg.sweep.study: the mean over seeds of each seed's recent evaluations


def trial_name(trial):
    """cand-00007: the candidate's number in the study, which names its folder."""
    return study_module.CANDIDATE_PREFIX + trial.trial_id.rsplit("_", 1)[-1]


def read_candidates(storage):
    """candidates.json, each record with `started`: when its first attempt began.

    JSON keeps the records by name; the start times give back the order the
    search drew them in, which the optimization-history plot needs.
    """
    import json

    try:
        with open(os.path.join(storage, study_module.CANDIDATES_FILE), encoding="utf-8") as f:
            records = json.load(f)
    except (FileNotFoundError, ValueError):
        return {}
    for name, record in records.items():
        if record.get("started") is None:
            home = glob.glob(os.path.join(storage, "runs", "*", name))
            attempts = study_module.read_status(home[0]).get("attempts") if home else None
            record["started"] = attempts[0]["started"] if attempts else None
    return records


def run(spec, storage, resume=False, address=None, num_cpus=None, temp_dir=None, log=print,
        progress_every=30.0):
    """Run (or continue) the search; returns the candidates' records and the seconds it took."""
    from ddpg.sweep.runner import start_ray
    from ddpg.sweep.stop import StopRequest
    from ddpg.sweep.stop import make_callback as make_stop_callback

    started = time.perf_counter()
    stop_request = StopRequest(storage)
    stop_request.clear()
    os.environ.setdefault("TUNE_WARN_EXCESSIVE_EXPERIMENT_CHECKPOINT_SYNC_THRESHOLD_S", "0")
    started_here = start_ray(address, num_cpus, temp_dir)
    import ray
    from ray import tune

    try:
        trainable = tune.with_resources(
            tune.with_parameters(study_module.run_candidate, study=spec.to_dict(),
                                 storage=storage),
            {"cpu": spec.cpus_per_trial})
        callbacks = [make_stop_callback(storage, lambda config: _status_of(storage, spec,
                                                                          config)),
                     Bookkeeper(storage, spec, log, progress_every)]
        tune_dir = os.path.join(storage, TUNE_DIR)
        if resume:
            # The callbacks and the searcher come back with the experiment's state.
            tuner = tune.Tuner.restore(tune_dir, trainable, resume_unfinished=True,
                                       resume_errored=False)
        else:
            tuner = tune.Tuner(trainable, tune_config=_tune_config(spec, storage),
                               run_config=tune.RunConfig(
                                   name=TUNE_DIR, storage_path=storage, verbose=0,
                                   failure_config=tune.FailureConfig(
                                       max_failures=spec.max_failures),
                                   checkpoint_config=tune.CheckpointConfig(num_to_keep=1),
                                   callbacks=callbacks))
        tuner.fit()
    finally:
        stop_request.clear()
        if started_here:
            ray.shutdown()
    return read_candidates(storage), time.perf_counter() - started


def _tune_config(spec, storage):
    import optuna
    from ray import tune
    from ray.tune.schedulers import ASHAScheduler
    from ddpg.sweep.budgeted_search import BudgetedOptunaSearch
    from ddpg.sweep.space import Sampler

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    base = spec.base_config()
    # The metric goes to the searcher and the scheduler themselves: an OptunaSearch
    # given its own space ignores TuneConfig's.
    searcher = BudgetedOptunaSearch(
        space=Sampler(spec.space, base.to_dict()), metric=METRIC, mode="max",
        sampler=optuna.samplers.TPESampler(seed=spec.sampler_seed), storage=storage,
        budget_seconds=spec.time_budget)
    scheduler = ASHAScheduler(time_attr="steps", metric=METRIC, mode="max", max_t=spec.total_steps,
                              grace_period=spec.grace_steps or spec.eval_every,
                              reduction_factor=spec.reduction_factor)
    return tune.TuneConfig(search_alg=searcher, scheduler=scheduler, num_samples=spec.trials,
                           trial_name_creator=trial_name,
                           trial_dirname_creator=trial_name, reuse_actors=True)


def _status_of(storage, spec, params):
    """The sweep_trial.json of the candidate Tune runs with these params."""
    pattern = os.path.join(storage, "runs", "*", study_module.CANDIDATE_PREFIX + "*",
                           study_module.STATUS_FILE)
    for path in glob.glob(pattern):
        status = study_module.read_status(os.path.dirname(path))
        if status.get("params") == params:
            return status
    return {}


def new_record():
    """A candidate's entry in candidates.json before its first result."""
    return {"status": "running", "steps": 0, "scores": [], "settings": None, "params": None}


def Bookkeeper(storage, spec, log=print, progress_every=30.0):
    """A Tune callback writing candidates.json and a progress line (built here: Ray is heavy)."""
    from ray import tune

    class _Bookkeeper(tune.Callback):
        def __init__(self):
            self.storage, self.spec, self.log = storage, spec, log
            self.records = read_candidates(storage)
            self.started = time.monotonic()
            # A resumed study's earlier sessions.
            self.elapsed_before = study_module.read_clock(storage, study_module.SEARCH_CLOCK)
            self.last_line = 0.0

        def __getstate__(self):
            return {}

        def __setstate__(self, state):
            self.__init__()

        def _record(self, trial):
            from ddpg.sweep.space import settings_of

            name = trial_name(trial)
            if name not in self.records:
                self.records[name] = dict(new_record(), started=time.time())
            record = self.records[name]
            if record["params"] is None and trial.config:
                params = {k: v for k, v in trial.config.items()}
                record["params"] = params
                record["settings"] = study_module.jsonable(settings_of(params, self.spec.space))
            return record

        def on_trial_result(self, iteration, trials, trial, result, **info):
            record = self._record(trial)
            record["steps"] = int(result["steps"])
            record["scores"] = [s for s in record["scores"] if s["steps"] != result["steps"]]
            record["scores"].append({"steps": int(result["steps"]), "score": result["score"],
                                     "seed_scores": result.get("seed_scores")})
            record["score"] = result["score"]
            self._save()
            self._progress(trials)

        def on_trial_complete(self, iteration, trials, trial, **info):
            record = self._record(trial)
            record["status"] = "finished" if record["steps"] >= self.spec.total_steps \
                else "pruned"
            self._save()
            self._progress(trials, force=True)

        def on_trial_error(self, iteration, trials, trial, **info):
            record = self._record(trial)
            record["status"] = "failed"
            home = os.path.join(self.storage, os.path.dirname(study_module.candidate_folder(
                self.spec.env_id, trial_name(trial), 0)))
            record["error"] = study_module.read_status(home).get("error") or "the worker failed"
            record.pop("score", None)
            self._save()
            self.log(f"Candidate {trial_name(trial)} failed: {record['error']}")
            self._progress(trials, force=True)

        def on_experiment_end(self, trials, **info):
            self._save()  # the clock at the end: a budget-bounded search's ends past its budget

        def on_step_begin(self, iteration, trials, **info):
            self._progress(trials)

        def _save(self):
            data = dict(self.records)
            atomic.write_json(os.path.join(self.storage, study_module.CANDIDATES_FILE), data)
            study_module.write_clock(self.storage, study_module.SEARCH_CLOCK, self.elapsed())

        def elapsed(self):
            return self.elapsed_before + time.monotonic() - self.started

        def _progress(self, trials, force=False):
            now = time.monotonic()
            if not force and now - self.last_line < progress_every:
                return
            self.last_line = now
            running = [t for t in trials if t.status == "RUNNING"
                       and self.records.get(trial_name(t), {}).get("status", "running")
                       == "running"]  # a candidate ending now is still RUNNING to Tune
            self.log(progress_line(self.records, self.spec, self.elapsed(),
                                   running=len(running)))

    return _Bookkeeper()


def progress_line(records, spec, elapsed, running=0):
    """'Study: 12/40 done (7 pruned, 1 failed), 2 running | best -158.2 (cand-00004) | ...'."""
    ended = [r for r in records.values() if r["status"] in study_module.ENDED]
    pruned = sum(r["status"] == "pruned" for r in ended)
    failed = sum(r["status"] == "failed" for r in ended)
    finished = {n: r for n, r in records.items() if r["status"] == "finished"}
    best = max(finished, key=lambda n: finished[n]["score"]) if finished else None
    best_text = f"best {finished[best]['score']:.1f} ({best})" if best else "best: none yet"
    steps_done = sum(r["steps"] for r in records.values()) * len(spec.search_seeds)
    left = spec.trials - len(ended)
    # Time per ended candidate so far (with the concurrency it ran at) times those left;
    # a time budget ends the search sooner when that is shorter.
    eta = elapsed / len(ended) * left if ended else None
    if spec.time_budget:
        budget_left = spec.time_budget - elapsed
        eta = budget_left if eta is None else min(eta, budget_left)
    if spec.time_budget and elapsed >= spec.time_budget:
        eta_text = "budget spent: no new candidates"
    else:
        eta_text = f"ETA {_clock(eta)}" if eta is not None else "ETA --"
    budget = f" of {_clock(spec.time_budget)} budget" if spec.time_budget else ""
    return (f"Study: {len(ended)}/{spec.trials} done ({pruned} pruned, {failed} failed), "
            f"{running} running | {best_text} | {_clock(elapsed)}{budget} elapsed, {eta_text} "
            f"| {steps_done:,} env steps")


def _clock(seconds):
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
