"""Learning-curve PNGs from results folders (Monitor files and/or events).

Matplotlib with the headless Agg backend: plots work on servers and in CI.
"""
import os

import numpy as np

from ddpg import atomic
from ddpg.outputs.events import read_event_scalars
from ddpg.outputs.monitor import load_results

EVAL_TAG = "Evaluation/mean_return"


def read_run(directory, label=None):
    """Per-episode training returns and evaluation points of one results folder.

    Prefers the Monitor files (gym_ddpg/ or the folder itself); falls back
    to the `Reward` scalars of the event files (tf_ddpg/ or the folder).
    Returns {"label", "episodes", "returns", "eval_episodes", "eval_returns"}.
    """
    label = label or os.path.basename(os.path.normpath(directory)) or directory
    run = {"label": label, "episodes": np.zeros(0), "returns": np.zeros(0),
           "eval_episodes": [], "eval_returns": []}
    for monitor_dir in (os.path.join(directory, "gym_ddpg"), directory):
        results = load_results(monitor_dir) if os.path.isdir(monitor_dir) else None
        if results:
            types = np.array(results["episode_types"])
            rewards = np.array(results["episode_rewards"], dtype=float)
            train_mask = types != "e"
            run["returns"] = rewards[train_mask]
            run["episodes"] = np.arange(len(run["returns"]))
            # An evaluation block is plotted at the training episode it followed.
            positions = np.cumsum(train_mask)[~train_mask]
            eval_rewards = rewards[~train_mask]
            for pos in np.unique(positions):
                run["eval_episodes"].append(int(pos))
                run["eval_returns"].append(float(np.mean(eval_rewards[positions == pos])))
            break
    if len(run["returns"]) and run["eval_episodes"]:
        return run
    events = read_event_scalars(directory)
    if not len(run["returns"]) and events.get("Reward"):
        steps, values = zip(*sorted(events["Reward"].items()))
        run["episodes"], run["returns"] = np.array(steps), np.array(values, dtype=float)
    if not run["eval_episodes"] and events.get(EVAL_TAG):
        for step, value in sorted(events[EVAL_TAG].items()):
            run["eval_episodes"].append(int(step))
            run["eval_returns"].append(float(value))
    return run


def rolling_mean(values, window):
    """Mean of the last `window` values at each point (shorter at the start)."""
    values = np.asarray(values, dtype=float)
    if len(values) == 0:
        return values
    cumsum = np.cumsum(np.insert(values, 0, 0.0))
    idx = np.arange(1, len(values) + 1)
    start = np.maximum(0, idx - window)
    return (cumsum[idx] - cumsum[start]) / (idx - start)


def bootstrap_band(curves, confidence=0.95, resamples=1000, seed=0):
    """Mean over runs and its bootstrap confidence band, per episode."""
    curves = np.asarray(curves, dtype=float)
    rng = np.random.default_rng(seed)
    n = curves.shape[0]
    picks = rng.integers(0, n, size=(resamples, n))
    means = curves[picks].mean(axis=1)
    alpha = (1.0 - confidence) / 2.0
    low, high = np.quantile(means, alpha, axis=0), np.quantile(means, 1 - alpha, axis=0)
    return curves.mean(axis=0), low, high


def plot_runs(directories, out, window=10, aggregate=False, title=None, labels=None):
    """Write a learning-curve PNG of one or more runs to `out`; returns the runs."""
    labels = labels or [None] * len(directories)
    runs = [read_run(d, label) for d, label in zip(directories, labels)]
    runs_with_data = [r for r in runs if len(r["returns"])]
    if not runs_with_data:
        raise ValueError("no episodes found in " + ", ".join(map(str, directories)))
    fig, ax = new_figure()
    if aggregate and len(runs_with_data) > 1:
        length = min(len(r["returns"]) for r in runs_with_data)
        curves = [rolling_mean(r["returns"][:length], window) for r in runs_with_data]
        mean, low, high = bootstrap_band(curves)
        x = np.arange(length)
        ax.plot(x, mean, label=f"mean of {len(curves)} runs (rolling {window})")
        ax.fill_between(x, low, high, alpha=0.25, label="95% bootstrap CI")
    else:
        for run in runs_with_data:
            line, = ax.plot(run["episodes"], run["returns"], alpha=0.3, linewidth=1)
            ax.plot(run["episodes"], rolling_mean(run["returns"], window), color=line.get_color(),
                    label=f"{run['label']} (rolling {window})")
    for run in runs_with_data:
        if run["eval_episodes"]:
            ax.scatter(run["eval_episodes"], run["eval_returns"], marker="*", s=120, zorder=3,
                       label=f"{run['label']} evaluation")
    save_figure(fig, ax, out, "episode", "return", title or "DDPG learning curve")
    return runs


def new_figure():
    """(fig, ax) on the headless Agg backend, the size every plot here uses."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 5), dpi=100)


def save_figure(fig, ax, out, xlabel, ylabel, title):
    """Label, legend and write `fig` to the PNG `out` atomically, then free it."""
    import matplotlib.pyplot as plt

    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize="small")
    fig.tight_layout()
    with atomic.atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)


def align_curves(curves):
    """[(steps, values), ...] of several runs -> (steps, runs x steps array).

    Runs evaluated every N steps share their steps; the common ones are
    used as they are.  Otherwise each run is interpolated onto all their
    steps within the range every run covers.
    """
    curves = [(np.asarray(s, dtype=float), np.asarray(v, dtype=float)) for s, v in curves
              if len(s)]
    if not curves:
        return np.zeros(0), np.zeros((0, 0))
    common = sorted(set.intersection(*(set(s.tolist()) for s, _ in curves)))
    if common:
        rows = [[dict(zip(s.tolist(), v.tolist()))[x] for x in common] for s, v in curves]
        return np.array(common), np.array(rows)
    low = max(s.min() for s, _ in curves)
    high = min(s.max() for s, _ in curves)
    grid = np.unique(np.concatenate([s for s, _ in curves]))
    grid = grid[(grid >= low) & (grid <= high)]
    return grid, np.array([np.interp(grid, s, v) for s, v in curves])


def plot_step_curves(curves, out, title=None, xlabel="environment steps",
                     ylabel="evaluation return (mean of episodes)"):
    """PNG of runs' evaluation returns against steps: each run, their mean, a 95% bootstrap band.

    Returns (steps, mean, low, high) of the plotted band.
    """
    steps, rows = align_curves(curves)
    if not len(steps):
        raise ValueError("no evaluation points to plot")
    mean, low, high = bootstrap_band(rows)
    fig, ax = new_figure()
    for s, v in curves:
        ax.plot(s, v, color="grey", alpha=0.3, linewidth=1)
    ax.plot(steps, mean, marker="o" if len(steps) < 30 else None,
            label=f"mean of {len(rows)} run{'s' if len(rows) != 1 else ''}")
    if len(rows) > 1:
        ax.fill_between(steps, low, high, alpha=0.25, label="95% bootstrap CI over runs")
    save_figure(fig, ax, out, xlabel, ylabel, title or "DDPG evaluations")
    return steps, mean, low, high
