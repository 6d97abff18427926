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

from ddpg.outputs.curves import shared_steps

FINAL_EVALUATIONS = 10  # TD3 paper Table 2; sfujim/TD3 issue #34
CLEANRL_EPISODES = 100  # openrlbenchmark rlops: metric_last_n_average_window


def _spread(values):
    values = np.asarray(values, dtype=float)
    return float(values.mean()), float(values.std())


def _with_seeds(found, values, seeds):
    """`found` plus per_seed: [{seed, value}] when the seeds of the values are known.

    A mean ± std over three seeds hides whether one seed failed; the values
    beside it show that.
    """
    if seeds is not None:
        found["per_seed"] = [{"seed": int(s), "value": float(v)} for s, v in zip(seeds, values)]
    return found


def _kept_seeds(curves, seeds):
    """The seeds of the curves that hold data (the measures skip empty ones)."""
    if seeds is None:
        return None
    return [seed for seed, (_, means) in zip(seeds, curves) if len(means)]


def table1(curves, seeds=None):
    """TD3 paper Table 1 ("Max Average Return over 10 trials of 1 million time steps").

    `curves`: one (steps, means) pair per seed, a seed's periodic evaluation
    returns.  The across-seed mean at every evaluation step that every seed
    reached, then its largest value; the std is across the seeds at that
    step (the paper's author in sfujim/TD3 issue #34).  On a tie the earliest
    step counts.  Returns {mean, std, step, seeds} or None; with `seeds` (the
    seed of each curve) also per_seed, each seed's return at that step.
    """
    steps, rows = shared_steps(curves)
    if not steps:
        return None
    best = int(np.argmax(rows.mean(axis=0)))
    mean, std = _spread(rows[:, best])
    return _with_seeds({"mean": mean, "std": std, "step": steps[best], "seeds": len(rows)},
                       rows[:, best], _kept_seeds(curves, seeds))


def final_n(curves, n=FINAL_EVALUATIONS, seeds=None):
    """TD3 paper Table 2 ("Average return over the last 10 evaluations over 10 trials").

    Each seed's last `n` periodic evaluations are averaged (all of them when
    it has fewer), then mean ± std over seeds.  Give it finished seeds only:
    the last evaluations of a run still going are not its final ones.
    Returns {mean, std, seeds} or None (with `seeds`, also per_seed).
    """
    per_seed = [float(np.mean(np.asarray(means, dtype=float)[-n:]))
                for _, means in curves if len(means)]
    if not per_seed:
        return None
    mean, std = _spread(per_seed)
    return _with_seeds({"mean": mean, "std": std, "seeds": len(per_seed)}, per_seed,
                       _kept_seeds(curves, seeds))


def per_seed_best(curves, seeds=None):
    """Each seed's own best periodic evaluation, then mean ± std over seeds.

    Not a published measure: it is never below the Table 1 measure (each
    seed may peak at a different step) and usually above it.  Kept so that
    earlier reports stay comparable.  Returns {mean, std, seeds} or None
    (with `seeds`, also per_seed).
    """
    best = [float(np.max(means)) for _, means in curves if len(means)]
    if not best:
        return None
    mean, std = _spread(best)
    return _with_seeds({"mean": mean, "std": std, "seeds": len(best)}, best,
                       _kept_seeds(curves, seeds))


def cleanrl_measure(training_returns, window=CLEANRL_EPISODES, seeds=None):
    """CleanRL's benchmark tables ("average episodic return", 3 seeds).

    CleanRL's docs tables are made by openrlbenchmark's `rlops` (the
    commands in CleanRL's benchmark/*_plot.sh, with --scan-history): for
    each run the mean of the last `metric_last_n_average_window` = 100
    values of `charts/episodic_return` -- the undiscounted returns of
    *training* episodes, exploration noise included -- then mean ± std over
    runs; runs still going are skipped.  Here: the returns of each finished
    seed's Monitor training episodes.  Returns {mean, std, seeds, episodes}
    (episodes: the window) or None (with `seeds`, also per_seed).
    """
    per_seed = [float(np.mean(np.asarray(r, dtype=float)[-window:]))
                for r in training_returns if len(r)]
    if not per_seed:
        return None
    mean, std = _spread(per_seed)
    kept = None if seeds is None else [s for s, r in zip(seeds, training_returns) if len(r)]
    return _with_seeds({"mean": mean, "std": std, "seeds": len(per_seed), "episodes": window},
                       per_seed, kept)


def against_published(ours, mean, std=None):
    """Where our figure lies beside a published one made the same way, as one word.

    'within' when it lies within one of the published std of its mean (the
    TD3 paper gives a std for its TD3 column only); otherwise 'above' or
    'below', or 'equal' for a published figure without a std that ours
    matches exactly (InvertedPendulum's 1,000).  Which way is better is the
    reader's to say (a return is better above).
    """
    if std is not None and abs(ours - mean) <= std:
        return "within"
    if ours == mean:
        return "equal"
    return "above" if ours > mean else "below"
