"""report.md and one learning-curve PNG per task, from a sweep's trial folders.

Every number comes from the files the trials wrote (evaluations.json,
evaluation.json, sweep_trial.json), so a report can be rebuilt at any time
(`ddpg-sweep --report PATH`), also for a sweep still running or stopped.
Beside the sweep's numbers it prints published ones from published.json,
each with its source and the environment version it was measured on.
"""
import json
import math
import os
import re

import numpy as np

from ddpg import atomic
from ddpg.config import task_name
from ddpg.errors import UserError
from ddpg.sweep import trial as trial_module

REPORT = "report.md"
PUBLISHED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "published.json")


def load_published(path=PUBLISHED):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def trial_results(storage, trial):
    """What one trial's folder holds: evaluation curve, best, final, status."""
    folder = os.path.join(storage, trial.folder)
    from ddpg.outputs.evaluation import (
        FINAL_FILE,
        PERIODIC_FILE,
        read_evaluations,
        read_final_evaluation,
    )

    points = read_evaluations(os.path.join(folder, PERIODIC_FILE))
    status = trial_module.read_status(folder)
    final = (read_final_evaluation(os.path.join(folder, FINAL_FILE)) or {}).get("mean_return")
    return {
        "trial_id": trial.trial_id, "seed": trial.seed,
        "steps": [p["steps"] for p in points], "means": [p["mean"] for p in points],
        "best": max((p["mean"] for p in points), default=None),
        "final": final if status.get("status") == "finished" else None,
        "status": status.get("status", "not started"), "error": status.get("error"),
        "wall_seconds": status.get("wall_seconds"),
    }


def collect(storage, spec):
    """{group: [trial results]} in the sweep's order (tasks, then grid variants)."""
    groups = {}
    for trial in spec.trials():
        groups.setdefault(trial.group, []).append(dict(trial_results(storage, trial),
                                                       env_id=trial.env_id))
    return groups


def summarize(results):
    """The report row of one group: mean and std over seeds (numpy's std, ddof 0)."""
    best = [r["best"] for r in results if r["best"] is not None]
    final = [r["final"] for r in results if r["final"] is not None]
    walls = [r["wall_seconds"] for r in results
             if r["status"] == "finished" and r["wall_seconds"] is not None]
    return {
        "best_mean": float(np.mean(best)) if best else None,
        "best_std": float(np.std(best)) if best else None, "best_n": len(best),
        "final_mean": float(np.mean(final)) if final else None,
        "final_std": float(np.std(final)) if final else None,
        "finished": sum(r["status"] == "finished" for r in results), "seeds": len(results),
        "wall_mean": float(np.mean(walls)) if walls else None,
    }


def published_for(env_id, published):
    """{source key: result} of published numbers for this task (any version)."""
    name = task_name(env_id)
    return {r["source"]: r for r in published["results"] if r["task"] == name}


def write_report(storage, spec, out=None, plots=True):
    """Write report.md (and the PNGs) into the sweep folder; returns the report's path."""
    published = load_published()
    sources = published["sources"]
    groups = collect(storage, spec)
    if not any(r["steps"] or r["final"] is not None for rs in groups.values() for r in rs):
        raise UserError(f"the sweep in {storage} has no evaluations yet: nothing to report")
    out = out or os.path.join(storage, REPORT)
    lines = [f"# Sweep report: {spec.name}", "", _describe(spec, len(groups)), "", (
        "**Best evaluation** is, for each seed, the highest mean return of the periodic "
        "noise-free evaluations (evaluations.json), then the mean ± standard deviation over "
        "seeds: the measure of the TD3 paper's Table 1 (\"max average return\"). **Final** is "
        "the evaluation after training (evaluation.json), over the finished seeds. Wall time "
        "is per seed, all attempts included."), ""]
    header = ["task", "best evaluation", "final evaluation", "seeds finished",
              "wall time per seed"] + [sources[key]["column"] for key in sources]
    lines.append("| " + " | ".join(header) + " |")
    lines.append("|" + " --- |" * len(header))
    curves, compared = [], []
    for group, results in groups.items():
        row = summarize(results)
        env_id = results[0]["env_id"]
        known = published_for(env_id, published)
        if known:
            compared.append(env_id)
        cells = [group, _pm(row["best_mean"], row["best_std"]),
                 _pm(row["final_mean"], row["final_std"]),
                 f"{row['finished']}/{row['seeds']}", _duration(row["wall_mean"])]
        for key in sources:
            entry = known.get(key)
            cells.append(f"{_pm(entry['mean'], entry['std'])} ({entry['env_version']})"
                         if entry else "–")
        lines.append("| " + " | ".join(cells) + " |")
        png = _plot(storage, group, results, out) if plots else None
        if png:
            curves.append((group, png))
    lines += ["", "## Published numbers", ""]
    lines += [f"- **{source['column']}**: {source['citation']}. Measure: {source['measure']}. "
              f"Environments: {source['env_version']}." for source in sources.values()]
    if compared:
        budget = spec.fixed.get("total_steps")
        text = (f"This sweep ran {', '.join(dict.fromkeys(compared))}; the published numbers "
                "were measured on the versions given beside each (TD3 paper: gym MuJoCo v1; "
                "CleanRL: Gymnasium v4).")
        if any(env_id.endswith("-v5") for env_id in compared):
            text += (" The v5 tasks run here are newer than both and differ from them in "
                     "details of their models and rewards (for instance, v5's Hopper, Walker2d "
                     "and InvertedPendulum no longer pay the healthy or alive reward on the "
                     "step that ends an episode), so the comparison is a guide, not a "
                     "like-for-like test.")
        text += " The published runs took 1,000,000 steps" + (
            f"; this sweep's took {budget:,}." if budget else ".")
        lines += ["", text]
    failed = [(r["trial_id"], r["error"]) for rs in groups.values() for r in rs
              if r["status"] == "failed"]
    if failed:
        lines += ["", "## Failed trials", ""]
        lines += [f"- `{trial_id}`: {error}" for trial_id, error in failed]
    if curves:
        lines += ["", "## Learning curves", "", (
            "Mean evaluation return against environment steps, with a 95% bootstrap "
            "confidence band over seeds (grey: each seed)."), ""]
        lines += [f"![{group}]({os.path.relpath(png, os.path.dirname(out))})"
                  for group, png in curves]
    atomic.write_text(out, "\n".join(lines) + "\n")
    return out


def _describe(spec, groups):
    from ddpg.sweep.grid import format_value

    budget = spec.fixed.get("total_steps")
    text = (f"{len(spec.trials())} trials: {len(spec.envs)} task(s) x "
            f"{groups // max(len(spec.envs), 1)} setting(s) x {len(spec.seeds)} seed(s) "
            f"({_seeds_text(spec.seeds)}); preset `{spec.preset or 'tutorial'}`")
    if budget:
        text += f"; {budget:,} environment steps per trial"
    if spec.grid:
        text += "; grid " + ", ".join(
            f"{k} in {{{', '.join(map(format_value, v))}}}" for k, v in spec.grid.items())
    text += "."
    others = {k: v for k, v in spec.fixed.items() if k != "total_steps"}
    if others:
        text += " Settings of every trial: " + ", ".join(
            f"`{k}={format_value(v)}`" for k, v in sorted(others.items())) + "."
    return text


def _plot(storage, group, results, out):
    from ddpg.outputs.plotting import plot_step_curves

    curves = [(r["steps"], r["means"]) for r in results if r["steps"]]
    if not curves:
        return None
    png = os.path.join(os.path.dirname(out), "curves_" + re.sub(r"[^A-Za-z0-9._=-]", "_", group)
                       + ".png")
    try:
        plot_step_curves(curves, png, title=f"DDPG on {group}: {len(curves)} seed(s)")
    except ValueError:  # the seeds share no step yet
        return None
    return png


def _pm(mean, std):
    """'mean ± std' with two decimals, or three significant digits for values below 1."""
    if mean is None:
        return "–"
    if std is None:
        return _number(mean)
    small = abs(mean) < 1 and abs(std) < 1
    return f"{_number(mean, small)} ± {_number(std, small)}"


def _number(value, small=None):
    if value is None or not math.isfinite(value):
        return str(value)
    if small is None:
        small = abs(value) < 1
    return f"{value:.3g}" if small and value != 0 else f"{value:.2f}"


def _duration(seconds):
    if seconds is None:
        return "–"
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _seeds_text(seeds):
    seeds = sorted(seeds)
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"seeds {seeds[0]}-{seeds[-1]}"
    return "seed" + ("s " if len(seeds) != 1 else " ") + ", ".join(map(str, seeds))
