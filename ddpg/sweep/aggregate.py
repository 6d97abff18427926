"""One figure across tasks per settings group: normalized scores, IQM and mean with intervals.

Returns on different tasks differ by orders of magnitude (Reacher's -4,
HalfCheetah's 10,000), so each run's score is first normalized per task:
0 is a uniform-random policy's mean return on that task (measured by the
package, ddpg.sweep.random_baseline), 1 the TD3 paper's Table 1 TD3 figure.

The score normalized is each finished run's **final-10** (the mean of its
last 10 evaluations, ddpg.sweep.measures.final_n): a per-run figure, as a
bootstrap over runs needs.  The Table 1 measure is not one (it is the max of
an across-seed mean), and each run's own best evaluation is biased upward:
the largest of 200 noisy evaluations is above what the policy earns.  Since
1 is a max-of-mean figure, a run that matches the paper's TD3 at the end of
training still scores a little below 1.

The aggregates are those Agarwal et al. (2021, "Deep RL at the Edge of the
Statistical Precipice") recommend, computed by their `rliable` library: the
interquartile mean (IQM, the mean of the middle half of all runs x tasks
scores) and the mean, each with a 95 % stratified bootstrap confidence
interval (runs resampled within each task).  rliable draws its resamples
from NumPy's global random state, whatever `random_state` it is given
(StratifiedBootstrap.update_indices calls np.random.choice), so each
interval is computed right after np.random.seed(BOOTSTRAP_SEED) and the
global state is put back afterwards: the committed report rebuilds to the
same digits, and a group's interval does not depend on the other groups.

rliable is an optional dependency (the `sweep` extra); without it the
report says so in one line instead of failing.
"""
import numpy as np

SCORE = "final10"
BOOTSTRAP_SEED = 0
REPS = 2000  # rliable's own default for performance profiles; a few seconds per report
CONFIDENCE = 0.95
TRIM = 0.25  # the IQM: scipy.stats.trim_mean(..., 0.25), as rliable.metrics.aggregate_iqm
PROFILE_POINTS = 121


def rliable_missing():
    """None when rliable imports, else the one line a report prints instead of the aggregate."""
    try:
        import rliable.library  # noqa: F401
        import rliable.metrics  # noqa: F401
    except Exception as exc:  # ImportError, or arch/pandas failing inside its import
        reason = " ".join(str(exc).split())[:160]
        from ddpg.extras import install_hint

        return (f"no aggregate across tasks: rliable does not import ({type(exc).__name__}: "
                f"{reason}); the sweep extra brings rliable 1.2.0, arch 7.2 and pandas 2.x: "
                f"{install_hint('sweep')}")
    return None


def normalize(value, zero, one):
    """0 at the random policy's return, 1 at the reference figure."""
    return (np.asarray(value, dtype=float) - zero) / (one - zero)


def select_runs(tasks):
    """The same number of runs from every task: the fewest any task has, lowest seeds first.

    A stratified bootstrap resamples a runs x tasks array, so every task
    gives it the same number of runs; mid-sweep, a task whose later seeds
    have finished keeps its lowest-numbered ones and the rest wait.
    `tasks`: [{"task", "runs": [{"seed", ...}]}], each with at least one run.
    Returns (runs per task, [[runs used] per task]).
    """
    count = min(len(t["runs"]) for t in tasks)
    return count, [sorted(t["runs"], key=lambda r: r["seed"])[:count] for t in tasks]


def aggregate(tasks, reps=REPS, seed=BOOTSTRAP_SEED):
    """IQM and mean of the normalized scores with intervals, and the IQM-versus-steps curve.

    `tasks`: [{"task", "zero", "one", "runs": [{"seed", "score", "steps", "means"}]}]:
    per task the random policy's return, the reference figure, and each
    finished run's score and evaluation curve.  Needs rliable.
    """
    from rliable import metrics

    count, used = select_runs(tasks)
    scores = np.array([[float(normalize(r["score"], t["zero"], t["one"])) for r in runs]
                       for t, runs in zip(tasks, used)]).T  # runs x tasks, as rliable wants
    point, interval = bootstrap(
        scores, lambda s: np.array([metrics.aggregate_iqm(s), metrics.aggregate_mean(s)]),
        reps, seed)
    found = {
        "tasks": [t["task"] for t in tasks],
        "runs_per_task": count,
        "seeds": {t["task"]: [r["seed"] for r in runs] for t, runs in zip(tasks, used)},
        "normalized": {t["task"]: [float(v) for v in scores[:, i]] for i, t in enumerate(tasks)},
        "iqm": _estimate(point[0], interval[:, 0]),
        "mean": _estimate(point[1], interval[:, 1]),
        "curve": curve(tasks, used, reps, seed),
    }
    return found, scores


def curve(tasks, used, reps=REPS, seed=BOOTSTRAP_SEED):
    """IQM of the normalized evaluation returns at each step every run used reached, with a band.

    Per step the same trimmed mean as rliable.metrics.aggregate_iqm, over all
    runs x tasks, for every step at once (one call per resample instead of
    one per step and resample, which took minutes).  None without a shared step.
    """
    from ddpg.outputs.curves import shared_steps

    flat = [(r["steps"], r["means"]) for runs in used for r in runs]
    steps, rows = shared_steps(flat)
    if not steps:
        return None
    count = len(used[0])
    values = np.stack([normalize(rows[i * count:(i + 1) * count], t["zero"], t["one"])
                       for i, t in enumerate(tasks)], axis=1)  # runs x tasks x steps
    point, interval = bootstrap(values, iqm_per_step, reps, seed)
    return {"steps": [int(s) for s in steps], "iqm": [float(v) for v in point],
            "low": [float(v) for v in interval[0]], "high": [float(v) for v in interval[1]]}


def iqm_per_step(scores):
    """rliable.metrics.aggregate_iqm of scores[..., j] for every step j, in one call."""
    import scipy.stats

    return scipy.stats.trim_mean(scores.reshape(-1, scores.shape[-1]), TRIM, axis=0)


def bootstrap(scores, func, reps=REPS, seed=BOOTSTRAP_SEED):
    """(point, [low, high]) of `func` by rliable's stratified bootstrap, seeded; state restored."""
    from rliable import library

    state = np.random.get_state()
    np.random.seed(seed)
    try:
        point, interval = library.get_interval_estimates(
            {"runs": scores}, func, method="percentile", reps=reps,
            confidence_interval_size=CONFIDENCE)
    finally:
        np.random.set_state(state)
    return np.asarray(point["runs"]), np.asarray(interval["runs"])


def performance_profiles(score_dict, reps=REPS, seed=BOOTSTRAP_SEED):
    """(taus, {label: fraction of runs above tau}, {label: [low, high]}) by rliable, seeded."""
    from rliable import library

    top = max([1.5] + [float(np.max(s)) for s in score_dict.values()])
    bottom = min([0.0] + [float(np.min(s)) for s in score_dict.values()])
    taus = np.linspace(bottom, top, PROFILE_POINTS)
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        profiles, cis = library.create_performance_profile(
            score_dict, taus, custom_profile_func=fraction_above, reps=reps)
    finally:
        np.random.set_state(state)
    return taus, profiles, cis


def fraction_above(scores, taus):
    """rliable's score distribution (the fraction of all runs x tasks scores above each tau),
    for every tau in one comparison instead of one np.vectorize call per tau."""
    return (np.asarray(scores).reshape(-1, 1) > np.asarray(taus)).mean(axis=0)


def _estimate(point, bounds):
    return {"estimate": float(point), "low": float(bounds[0]), "high": float(bounds[1])}
