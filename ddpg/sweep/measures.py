"""The four benchmark measures, each computed exactly as the source that uses it defines it.

A published number is only comparable with ours when both come from the same
recipe, so every function here names its source.  All of them take plain
per-seed data and return plain dicts (None when there is nothing to measure),
so the report, its tests and anyone else can compute them by hand.

Standard deviation: population (NumPy's default, ddof=0) across seeds,
everywhere.  The TD3 paper says only that its ± is "a single standard
deviation over trials" (Table 1 caption); Tianshou, whose MuJoCo benchmark
states it uses the TD3 paper's method (sfujim/TD3 issue #34), computes it
with `ndarray.std()` (ddof=0) in examples/mujoco/tools.py, and CleanRL's
tables come from openrlbenchmark's `rlops`, also `ndarray.std()`.  With 10
seeds the sample std (ddof=1) would be sqrt(10/9), about 5%, larger.
"""
import numpy as np

FINAL_EVALUATIONS = 10  # TD3 paper Table 2; sfujim/TD3 issue #34
CLEANRL_EPISODES = 100  # openrlbenchmark rlops: metric_last_n_average_window


def _spread(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std())


def table1(curves):
    """TD3 paper Table 1 ("Max Average Return over 10 trials of 1 million time steps").

    `curves`: one (steps, means) pair per seed, a seed's periodic evaluation
    returns.  The across-seed mean at every evaluation step that every seed
    reached, then its largest value; the std is across the seeds at that
    step (the paper's author in sfujim/TD3 issue #34).  On a tie the earliest
    step counts.  Returns {mean, std, step, seeds} or None.
    """
    steps, rows = shared_steps(curves)
    if not steps:
        return None
    best = int(np.argmax(rows.mean(axis=0)))
    mean, std = _spread(rows[:, best])
    return {"mean": mean, "std": std, "step": steps[best], "seeds": len(rows)}


def final_n(curves, n=FINAL_EVALUATIONS):
    """TD3 paper Table 2 ("Average return over the last 10 evaluations over 10 trials").

    Each seed's last `n` periodic evaluations are averaged (all of them when
    it has fewer), then mean ± std over seeds.  Give it finished seeds only:
    the last evaluations of a run still going are not its final ones.
    Returns {mean, std, seeds} or None.
    """
    per_seed = [float(np.mean(np.asarray(means, dtype=float)[-n:]))
                for _, means in curves if len(means)]
    if not per_seed:
        return None
    mean, std = _spread(per_seed)
    return {"mean": mean, "std": std, "seeds": len(per_seed)}


def per_seed_best(curves):
    """Each seed's own best periodic evaluation, then mean ± std over seeds.

    Not a published measure: it is never below the Table 1 measure (each
    seed may peak at a different step) and usually above it.  Kept so that
    earlier reports stay comparable.  Returns {mean, std, seeds} or None.
    """
    best = [float(np.max(means)) for _, means in curves if len(means)]
    if not best:
        return None
    mean, std = _spread(best)
    return {"mean": mean, "std": std, "seeds": len(best)}


def cleanrl_measure(training_returns, window=CLEANRL_EPISODES):
    """CleanRL's benchmark tables ("average episodic return", 3 seeds).

    CleanRL's docs tables are made by openrlbenchmark's `rlops` (the
    commands in CleanRL's benchmark/*_plot.sh, with --scan-history): for
    each run the mean of the last `metric_last_n_average_window` = 100
    values of `charts/episodic_return` -- the undiscounted returns of
    *training* episodes, exploration noise included -- then mean ± std over
    runs; runs still going are skipped.  Here: the returns of each finished
    seed's Monitor training episodes.  Returns {mean, std, seeds, episodes}
    (episodes: the window) or None.
    """
    per_seed = [float(np.mean(np.asarray(r, dtype=float)[-window:]))
                for r in training_returns if len(r)]
    if not per_seed:
        return None
    mean, std = _spread(per_seed)
    return {"mean": mean, "std": std, "seeds": len(per_seed), "episodes": window}


def shared_steps(curves):
    """(steps every seed reached, seeds x steps array of their returns there)."""
    curves = [dict(zip((int(s) for s in steps), map(float, means)))
              for steps, means in curves if len(steps)]
    if not curves:
        return [], np.zeros((0, 0))
    shared = sorted(set.intersection(*(set(c) for c in curves)))
    rows = np.array([[c[step] for step in shared] for c in curves]).reshape(len(curves), -1)
    return shared, rows


def mean_curve(curves):
    """(steps, mean, std) across seeds at the steps every seed reached (for the plots)."""
    steps, rows = shared_steps(curves)
    if not steps:
        return [], np.zeros(0), np.zeros(0)
    return steps, rows.mean(axis=0), rows.std(axis=0)
