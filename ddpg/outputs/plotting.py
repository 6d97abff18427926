"""Learning-curve PNGs from results folders (Monitor files, evaluations.json, events).

A run with periodic evaluations (evaluations.json) is drawn against
environment steps, the axis the papers use: its training returns at the
cumulative step each episode ended, and its evaluations as their mean with
the spread (one std) of their episodes.  Without them, against episodes.

Matplotlib with the headless Agg backend: plots work on servers and in CI.
"""
import os

import numpy as np

from ddpg import atomic
from ddpg.config import algorithm_name
from ddpg.outputs.evaluation import (
    FINAL_FILE,
    PERIODIC_FILE,
    read_evaluations,
    read_final_evaluation,
)
from ddpg.outputs.events import (
    EVALUATION_TAG,
    RETURN_VS_STEPS_TAG,
    REWARD_TAG,
    read_event_scalars,
)
from ddpg.outputs.curves import mean_curve
from ddpg.outputs.monitor import load_results

EVAL_TAG = EVALUATION_TAG
STEP_GRID_POINTS = 200  # where several runs' training curves are compared on the step axis


def curve_title(config):
    """A run's learning-curve title: the algorithm that actually ran, on its task.

    'TD3 on Hopper-v5', 'DDPG on Pendulum-v1', or 'DDPG with twin critics on
    ...' when only some of TD3's switches are on (ddpg.config.algorithm_name).
    """
    return f"{algorithm_name(config)} on {config.env_id}"


def run_folder(directory):
    """The results folder of a run given as itself or as its Monitor/summary subfolder.

    The driver plots from gym_ddpg/ (or tf_ddpg/); evaluations.json lives
    one level up, in the results folder.
    """
    directory = os.path.normpath(directory)
    for folder in (directory, os.path.dirname(directory)):
        if folder and os.path.isfile(os.path.join(folder, PERIODIC_FILE)):
            return folder
    return directory


def read_run(directory, label=None, best_of=None):
    """Per-episode training returns and evaluation points of one results folder.

    Prefers the Monitor files (gym_ddpg/ or the folder itself); falls back
    to the `Reward` scalars of the event files (tf_ddpg/ or the folder).
    Returns {"label", "episodes", "returns", "eval_episodes", "eval_returns",
    "steps", "evaluations"}: `steps` is the cumulative environment step at
    the end of each training episode (from the Monitor files, or the events'
    `episode/return_vs_env_steps`; None for older runs' events), and
    `evaluations` the periodic evaluations of evaluations.json in the run's
    folder (see `run_folder`), each {"steps", "mean", "std"}; `final` its
    evaluation.json (None without one); `best` what `best_of(run folder)`
    says the run's best checkpoint scored (ddpg.run.checkpoint.read_best,
    which the driver and ddpg-plot pass in; None without it).
    """
    label = label or os.path.basename(os.path.normpath(directory)) or directory
    run = {"label": label, "episodes": np.zeros(0), "returns": np.zeros(0),
           "eval_episodes": [], "eval_returns": [], "steps": None,
           "evaluations": [{"steps": p["steps"], "mean": p["mean"], "std": p.get("std") or 0.0}
                           for p in read_evaluations(os.path.join(run_folder(directory),
                                                                  PERIODIC_FILE))],
           "final": read_final_evaluation(os.path.join(run_folder(directory), FINAL_FILE)),
           "best": best_of(run_folder(directory)) if best_of else None}
    for monitor_dir in (os.path.join(directory, "gym_ddpg"), directory):
        results = load_results(monitor_dir) if os.path.isdir(monitor_dir) else None
        if results:
            types = np.array(results["episode_types"])
            rewards = np.array(results["episode_rewards"], dtype=float)
            train_mask = types != "e"
            run["returns"] = rewards[train_mask]
            run["episodes"] = np.arange(len(run["returns"]))
            lengths = np.array(results["episode_lengths"], dtype=float)
            run["steps"] = np.cumsum(lengths[train_mask])
            # An evaluation block is plotted at the training episode it followed.
            positions = np.cumsum(train_mask)[~train_mask]
            eval_rewards = rewards[~train_mask]
            for pos in np.unique(positions):
                run["eval_episodes"].append(int(pos))
                run["eval_returns"].append(float(np.mean(eval_rewards[positions == pos])))
            break
    if len(run["returns"]) and (run["eval_episodes"] or run["evaluations"]):
        return run  # the event files would add nothing: skip importing TensorFlow
    events = read_event_scalars(directory)
    if not len(run["returns"]) and events.get(REWARD_TAG):
        episodes, values = zip(*sorted(events[REWARD_TAG].items()))
        run["episodes"], run["returns"] = np.array(episodes), np.array(values, dtype=float)
        ends = sorted(events.get(RETURN_VS_STEPS_TAG, {}))
        if len(ends) == len(values):  # each episode's last step (not in older runs' events)
            run["steps"] = np.array(ends, dtype=float)
    if not run["eval_episodes"] and events.get(EVAL_TAG):
        for step, value in sorted(events[EVAL_TAG].items()):
            # At the training episode it followed, as from Monitor files (older
            # runs' events lack the episodes' steps: there, at its step).
            at = int(np.searchsorted(run["steps"], step, side="right")) \
                if run["steps"] is not None else int(step)
            run["eval_episodes"].append(at)
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


def plot_runs(directories, out, window=10, aggregate=False, title=None, labels=None,
              x_axis="auto", best_of=None):
    """Write a learning-curve PNG of one or more runs to `out`; returns the runs.

    `x_axis`: "steps", "episodes", or "auto" -- steps when every run has
    periodic evaluations and Monitor episode lengths, else episodes.
    `best_of(run folder)`, when given, marks each run's best checkpoint.
    """
    labels = labels or [None] * len(directories)
    runs = [read_run(d, label, best_of) for d, label in zip(directories, labels)]
    runs_with_data = [r for r in runs if len(r["returns"])]
    if not runs_with_data:
        raise ValueError("no episodes found in " + ", ".join(map(str, directories)))
    if x_axis == "auto":
        x_axis = "steps" if all(r["evaluations"] and r["steps"] is not None
                                for r in runs_with_data) else "episodes"
    if x_axis == "steps" and any(r["steps"] is None for r in runs_with_data):
        raise ValueError("plotting against steps needs each episode's steps (Monitor files "
                         "in gym_ddpg/, or events with episode/return_vs_env_steps), "
                         "which " + ", ".join(r["label"] for r in runs_with_data
                                              if r["steps"] is None) + " lacks")
    fig, ax = new_figure()
    if x_axis == "steps":
        _draw_against_steps(ax, runs_with_data, window, aggregate)
    else:
        _draw_against_episodes(ax, runs_with_data, window, aggregate)
    save_figure(fig, ax, out, "environment steps" if x_axis == "steps" else "episode", "return",
                title or "DDPG learning curve")
    return runs


def _draw_against_episodes(ax, runs, window, aggregate):
    if aggregate and len(runs) > 1:
        length = min(len(r["returns"]) for r in runs)
        curves = [rolling_mean(r["returns"][:length], window) for r in runs]
        mean, low, high = bootstrap_band(curves)
        x = np.arange(length)
        ax.plot(x, mean, label=f"mean of {len(curves)} runs (rolling {window})")
        ax.fill_between(x, low, high, alpha=0.25, label="95% bootstrap CI")
    else:
        for run in runs:
            line, = ax.plot(run["episodes"], run["returns"], alpha=0.3, linewidth=1)
            ax.plot(run["episodes"], rolling_mean(run["returns"], window), color=line.get_color(),
                    label=f"{run['label']} (rolling {window})")
    for run in runs:
        if run["eval_episodes"]:
            ax.scatter(run["eval_episodes"], run["eval_returns"], marker="*", s=120, zorder=3,
                       label=f"{run['label']} evaluation")


def _draw_against_steps(ax, runs, window, aggregate):
    """Training returns at their cumulative steps, evaluations as mean ± their episodes' std."""
    if aggregate and len(runs) > 1:
        low = max(r["steps"][0] for r in runs)
        high = min(r["steps"][-1] for r in runs)
        grid = np.linspace(low, high, STEP_GRID_POINTS) if high > low else np.array([low])
        rows = [np.interp(grid, r["steps"], rolling_mean(r["returns"], window)) for r in runs]
        mean, lower, upper = bootstrap_band(rows)
        line, = ax.plot(grid, mean, label=f"training: mean of {len(rows)} runs "
                                          f"(rolling {window})")
        ax.fill_between(grid, lower, upper, color=line.get_color(), alpha=0.2,
                        label="training: 95% bootstrap CI")
        curves = [([p["steps"] for p in r["evaluations"]], [p["mean"] for p in r["evaluations"]])
                  for r in runs if r["evaluations"]]
        steps, evals = align_curves(curves)
        if len(steps):
            line, = ax.plot(steps, evals.mean(axis=0), marker="o", markersize=3,
                            label=f"evaluation: mean of {len(evals)} runs")
            ax.fill_between(steps, evals.mean(axis=0) - evals.std(axis=0),
                            evals.mean(axis=0) + evals.std(axis=0), color=line.get_color(),
                            alpha=0.2, label="evaluation: ± std across runs")
    else:
        for run in runs:
            line, = ax.plot(run["steps"], run["returns"], alpha=0.25, linewidth=1)
            color = line.get_color()
            ax.plot(run["steps"], rolling_mean(run["returns"], window), color=color,
                    label=f"{run['label']} training (rolling {window})")
            if len(runs) == 1:  # one run: training and evaluation in two colours
                color = "C1"
            if run["evaluations"]:
                steps = np.array([p["steps"] for p in run["evaluations"]], dtype=float)
                mean = np.array([p["mean"] for p in run["evaluations"]], dtype=float)
                std = np.array([p["std"] for p in run["evaluations"]], dtype=float)
                ax.plot(steps, mean, color=color, linestyle="--", marker="o", markersize=3,
                        label=f"{run['label']} evaluation (mean ± std of its episodes)")
                ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.15)
            best = run["best"]
            if best is not None:  # the policy checkpoints/best holds
                ax.plot([best["steps"]], [best["mean"]], marker="D", markersize=9,
                        linestyle="none", markerfacecolor="none", color=color, zorder=3,
                        label=f"{run['label']} best policy (checkpoints/best)")
            final = run["final"] or {}
            if final.get("mean_return") is not None:  # the evaluation after training
                at = final.get("train_steps") or run["steps"][-1]
                ax.errorbar([at], [final["mean_return"]], yerr=[final.get("std_return") or 0.0],
                            marker="*", markersize=12, color=color, capsize=4, zorder=3,
                            label=f"{run['label']} final evaluation (evaluation.json)")


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


def plot_group_curves(groups, out, title=None):
    """PNG of settings groups on one task: each group's across-seed mean with a ±1 std band.

    `groups`: [(label, [(steps, means) per seed], table1_step)]; only steps
    every seed of a group reached are drawn, and a dotted vertical line with
    a marker shows the group's Table 1 step.  Returns {label: (steps, mean, std)}.
    """
    fig, ax = new_figure()
    drawn = {}
    for label, curves, best_step in groups:
        steps, mean, std = mean_curve(curves)
        if not steps:
            continue
        seeds = sum(1 for s, _ in curves if len(s))
        line, = ax.plot(steps, mean, label=f"{label} ({seeds} seed{'s' if seeds != 1 else ''})")
        color = line.get_color()
        ax.fill_between(steps, mean - std, mean + std, color=color, alpha=0.2)
        if best_step in steps:
            at = steps.index(best_step)
            ax.axvline(best_step, color=color, linestyle=":", linewidth=1)
            ax.plot([best_step], [mean[at]], marker="D", color=color,
                    label=f"{label}: Table 1 step {best_step:,}")
        drawn[label] = (steps, mean, std)
    if not drawn:
        import matplotlib.pyplot as plt

        plt.close(fig)
        raise ValueError("no evaluation step that every seed reached")
    save_figure(fig, ax, out, "environment steps", "evaluation return (mean ± std over seeds)",
                title or "DDPG evaluations")
    return drawn
