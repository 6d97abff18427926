"""report.json, report.md and one curve PNG per task, from one or more sweep folders.

Every number comes from the files the trials wrote (evaluations.json,
evaluation.json, sweep_trial.json, config.json and the Monitor statistics),
so a report can be rebuilt at any time (`ddpg-sweep --report A [B ...]`),
for a sweep still running, and from the small copies kept in benchmarks/.
Nothing in it depends on where those folders are or when it was written,
which is what lets a test rebuild the committed report and find it unchanged.

Four measures per task and settings group, each named as such (see
ddpg.sweep.measures for their definitions and sources); published numbers
sit only beside the measure they were made with, and DDPG rows only beside
DDPG columns (TD3 beside TD3).
"""
import json
import math
import os
import re

import numpy as np

from ddpg import atomic
from ddpg.config import task_name
from ddpg.errors import UserError
from ddpg.sweep import measures
from ddpg.sweep.merge import MONITOR_DIR, algorithm_of, budget_of, merge

REPORT = "report.md"
REPORT_JSON = "report.json"
CURVES_PREFIX = "curves_"
FORMAT = 1
PUBLISHED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "published.json")
# Report measure key -> key of the same measure in published.json.
PUBLISHED_MEASURE = {"table1": "table1", "final10": "final10", "cleanrl_measure": "cleanrl"}
FAMILIES = ("DDPG", "TD3")
MEASURE_TEXT = {
    "table1": "Table 1 measure (TD3 paper Table 1, sfujim/TD3 issue #34): the largest, over "
              "the evaluation steps every seed reached, of the across-seed mean evaluation "
              "return; std across seeds at that step; step is that step",
    "final10": "final-10 measure (TD3 paper Table 2): the mean of each finished seed's last "
               f"{measures.FINAL_EVALUATIONS} evaluations, then mean and std over seeds",
    "per_seed_best": "per-seed best (no published source): the mean and std over seeds of "
                     "each seed's own best evaluation; never below the Table 1 measure",
    "cleanrl_measure": "CleanRL's measure (openrlbenchmark rlops as CleanRL's tables use it): "
                       f"the mean of each finished seed's last {measures.CLEANRL_EPISODES} "
                       "training-episode returns (exploration noise on), then mean and std "
                       "over seeds",
    "final_evaluation": "the evaluation after training (evaluation.json) of the finished seeds",
    "std": "population standard deviation (ddof=0) across seeds",
}


def load_published(path=PUBLISHED):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def build_report(storages, copies_in=None):
    """The report of these folders as a dict (report.json), after every merge check.

    `copies_in`: a folder of collected copies among them (ddpg.sweep.merge.merge).
    """
    return _collect(storages, copies_in)[0]


def _collect(storages, copies_in=None):
    """(report, {group: [(steps, means) of each seed]}) of these folders."""
    trials, specs = merge(storages, copies_in)
    published = load_published()
    groups, failed = {}, []
    for trial in trials.values():
        groups.setdefault(trial.group, []).append(trial)
        status = trial.status
        if status.get("status") == "failed":
            failed.append({"trial": trial.collected_folder.split("/", 1)[1],
                           "error": status.get("error")})
    rows, curves = [], {}
    for group, members in groups.items():
        row, curves[group] = _group_row(members, published)
        rows.append(row)
    if not any(r["per_seed_best"] or r["final_evaluation"] for r in rows):
        raise UserError(f"{', '.join(os.path.abspath(s) for s in storages)}: no trial has an "
                        "evaluation yet: nothing to report")
    rows.sort(key=_row_order)
    return {
        "format": FORMAT,
        "measures": MEASURE_TEXT,
        "sweeps": sorted((_describe_spec(spec) for spec in specs), key=lambda s: s["name"]),
        "groups": rows,
        "failed_trials": sorted(failed, key=lambda f: f["trial"]),
    }, curves


def write_report(storages, out_dir=None, plots=True):
    """Write report.json, report.md and the curves into `out_dir` (default: the only folder).

    Returns the path of report.md.  Every check runs before anything is written.
    """
    storages = [storages] if isinstance(storages, (str, os.PathLike)) else list(storages)
    if out_dir is None:
        if len(storages) != 1:
            raise UserError("a report of several folders needs --out DIR, the folder to "
                            "write it to")
        out_dir = storages[0]
    report, group_curves = _collect(storages)
    out_dir = os.path.abspath(out_dir)
    curves = _plot_curves(report, group_curves, out_dir) if plots else {}
    atomic.write_json(os.path.join(out_dir, REPORT_JSON), report)
    out = os.path.join(out_dir, REPORT)
    atomic.write_text(out, render_markdown(report, load_published(), curves))
    return out


def rebuild_differences(folder):
    """Names of the report files in `folder` that a rebuild from its own trials changes."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="ddpg-report-") as scratch:
        write_report([folder], scratch, plots=False)
        differ = []
        for name in (REPORT_JSON, REPORT):
            with open(os.path.join(scratch, name), encoding="utf-8") as handle:
                fresh = handle.read()
            try:
                with open(os.path.join(folder, name), encoding="utf-8") as handle:
                    kept = handle.read()
            except FileNotFoundError:
                kept = None
            if name == REPORT and kept is not None:  # the rebuild drew no curves
                kept = _without_curves(kept)
                fresh = _without_curves(fresh)
            if kept != fresh:
                differ.append(name)
    return differ


# -- one group -----------------------------------------------------------------------------

def trial_data(trial):
    """What one trial's folder holds, as the measures need it."""
    from ddpg.outputs.evaluation import FINAL_FILE, PERIODIC_FILE, read_evaluations
    from ddpg.outputs.evaluation import read_final_evaluation
    from ddpg.outputs.monitor import load_results

    if not trial.started:  # planned only: its folder may hold another preset's trial
        return {"seed": trial.seed, "status": "not started", "steps": [], "means": [],
                "final": None, "training_returns": [], "wall_seconds": None}
    folder = trial.path
    points = read_evaluations(os.path.join(folder, PERIODIC_FILE))
    status = trial.status
    monitor_dir = os.path.join(folder, MONITOR_DIR)
    monitor = load_results(monitor_dir) if os.path.isdir(monitor_dir) else None
    training = []
    if monitor:
        training = [r for r, kind in zip(monitor["episode_rewards"], monitor["episode_types"])
                    if kind != "e"]
    final = read_final_evaluation(os.path.join(folder, FINAL_FILE)) or {}
    return {
        "seed": trial.seed, "status": status.get("status", "not started"),
        "steps": [p["steps"] for p in points], "means": [p["mean"] for p in points],
        "final": final.get("mean_return"), "training_returns": training,
        "wall_seconds": _training_seconds(points, status),
    }


def _training_seconds(points, status):
    """The run's own clock at its last evaluation, else the attempts' wall time.

    A resume carries the run's clock on from its checkpoint, so the hours a
    paused or killed trial waited for `--resume` do not count; sweep_trial.json's
    attempts bound a killed attempt only as well as their files allow.
    """
    if points and points[-1].get("wall_seconds") is not None:
        return points[-1]["wall_seconds"]
    return status.get("wall_seconds")


def _group_row(members, published):
    members = sorted(members, key=lambda t: t.seed)
    first = members[0]
    data = [trial_data(t) for t in members]
    usable = [d for d in data if d["status"] != "failed"]
    finished = [d for d in usable if d["status"] == "finished"]
    curves = [(d["steps"], d["means"]) for d in usable if d["steps"]]
    finals = [d["final"] for d in finished if d["final"] is not None]
    walls = [d["wall_seconds"] for d in finished if d["wall_seconds"] is not None]
    config = next((t.config for t in members if t.config), {})
    kind, amount = budget_of(config) if config else (None, None)
    algorithm = algorithm_of(first.preset, first.config)
    row = {
        "task": first.env_id, "preset": first.preset, "variant": first.variant,
        "algorithm": algorithm,
        "steps_budget": amount if kind == "steps" else None,
        "episodes_budget": amount if kind == "episodes" else None,
        "eval_every": config.get("eval_every"), "eval_episodes": config.get("eval_episodes"),
        "seeds_planned": len(members),
        "seeds_started": sum(t.started for t in members),
        "seeds_finished": len(finished),
        "seeds_failed": sum(d["status"] == "failed" for d in data),
        "seeds": [t.seed for t in members],
        "table1": measures.table1(curves),
        "final10": measures.final_n([(d["steps"], d["means"]) for d in finished]),
        "per_seed_best": measures.per_seed_best(curves),
        "cleanrl_measure": measures.cleanrl_measure([d["training_returns"] for d in finished]),
        "final_evaluation": _spread(finals),
        "wall_seconds_mean": float(np.mean(walls)) if walls else None,
    }
    row["published"] = {measure: _published_for(first.env_id, algorithm, key, published)
                        for measure, key in PUBLISHED_MEASURE.items()}
    return row, curves


def _spread(values):
    if not values:
        return None
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "seeds": len(values)}


def _published_for(env_id, algorithm, measure, published):
    """Published results of this task made with `measure` by this algorithm family."""
    name = task_name(env_id)
    found = []
    for key, source in published["sources"].items():
        if source["measure"] != measure or source["algorithm"] != algorithm:
            continue
        for result in published["results"]:
            if result["source"] == key and result["task"] == name:
                found.append({"source": key, "column": source["column"], "mean": result["mean"],
                              "std": result["std"], "env_version": result["env_version"],
                              "seeds": source["seeds"]})
    return found


def _row_order(row):
    from ddpg.sweep.grid import SUITES

    suite = SUITES["td3-paper"]["envs"]
    names = [task_name(e) for e in suite]
    name = task_name(row["task"])
    return (FAMILIES.index(row["algorithm"]), row["preset"],
            names.index(name) if name in names else len(names), row["task"], row["variant"])


def _describe_spec(spec):
    return {"name": spec.name, "suite": spec.suite, "preset": spec.preset, "envs": spec.envs,
            "seeds": spec.seeds, "grid": spec.to_dict()["grid"], "fixed": spec.to_dict()["fixed"]}


# -- Markdown ------------------------------------------------------------------------------

def render_markdown(report, published, curves=None):
    """report.md from report.json's content (and the curve files, {task: file name})."""
    groups = report["groups"]
    lines = ["# Benchmark report", "", _describe_sweeps(report), "", (
        "Four measures, each named as such; a published number appears only beside our number "
        "made the same way, and DDPG settings only beside DDPG results (TD3 beside TD3). "
        "± is the population standard deviation (ddof=0) across seeds. Each published cell "
        "gives the environment version it was measured on.")]
    sections = [
        ("table1", "Table 1 measure", MEASURE_TEXT["table1"] + ".",
         ["Table 1 measure", "at step", "seeds"]),
        ("final10", "Final-10 measure", MEASURE_TEXT["final10"] + ".",
         ["final-10 measure", "seeds"]),
        ("cleanrl_measure", "CleanRL's measure", MEASURE_TEXT["cleanrl_measure"] + ".",
         ["CleanRL's measure", "seeds"]),
    ]
    for measure, title, text, heads in sections:
        lines += ["", f"## {title}", "", text]
        for family in FAMILIES:
            rows = [g for g in groups if g["algorithm"] == family]
            if not rows:
                continue
            columns = _columns(published, measure, family)
            lines += ["", f"### {family}" + (" presets" if family == "DDPG" else ""), ""]
            lines += _table(["task", "settings"] + heads + [c[1] for c in columns],
                            [[g["task"], _settings(g)] + _ours(g, measure)
                             + [_published_cell(g, measure, key) for key, _ in columns]
                             for g in rows])
    lines += ["", "## Per-seed best, final evaluation and run time", "",
              MEASURE_TEXT["per_seed_best"] + ". No published column uses this measure. The "
              "final evaluation is " + MEASURE_TEXT["final_evaluation"] + ". Wall time is the mean "
              "over finished seeds of the run's own clock at its last evaluation, which a "
              "resume carries on from the checkpoint.", ""]
    lines += _table(["task", "settings", "per-seed best", "final evaluation", "seeds finished",
                     "budget", "wall time per seed"],
                    [[g["task"], _settings(g), _pm_of(g["per_seed_best"]),
                      _pm_of(g["final_evaluation"]),
                      f"{g['seeds_finished']}/{g['seeds_planned']}", _budget(g),
                      _duration(g["wall_seconds_mean"])] for g in groups])
    lines += ["", "## Published numbers", ""]
    used = {p["source"] for g in groups for found in g["published"].values() for p in found}
    for key, source in published["sources"].items():
        if key in used:
            lines.append(f"- **{source['column']}** ({source['seeds']} seeds, "
                         f"{source['steps']:,} steps, {source['env_version']}): "
                         f"{source['citation']}. Measure: {source['measure_text']}.")
    if not used:
        lines.append("No published result covers these tasks.")
    lines += ["", _version_note(groups)]
    if report["failed_trials"]:
        lines += ["", "## Failed trials", ""]
        lines += [f"- `{f['trial']}`: {f['error']}" for f in report["failed_trials"]]
    if curves:
        lines += ["", "## Learning curves", "", (
            "Across-seed mean evaluation return against environment steps, with a band of one "
            "standard deviation across seeds, at the steps every seed of a row reached; the "
            "dotted line marks each row's Table 1 step."), ""]
        lines += [f"![{task}]({name})" for task, name in curves.items()]
    return "\n".join(lines) + "\n"


def _describe_sweeps(report):
    from ddpg.sweep.grid import format_value

    trials = sum(g["seeds_planned"] for g in report["groups"])
    started = sum(g["seeds_started"] for g in report["groups"])
    finished = sum(g["seeds_finished"] for g in report["groups"])
    text = (f"{trials} trials in {len(report['groups'])} rows (task × settings), {started} "
            f"started, {finished} finished.")
    for spec in report["sweeps"]:
        seeds = spec["seeds"]
        grid_names = [k for k, _ in spec["grid"]]
        preset = "" if "preset" in grid_names else f"preset `{spec['preset'] or 'tutorial'}`, "
        text += (f" Sweep `{spec['name']}`: {preset}"
                 f"{len(spec['envs'])} task(s), seeds {_seeds_text(seeds)}")
        if spec["grid"]:
            text += "; grid " + ", ".join(
                f"{k} in {{{', '.join(map(format_value, v))}}}" for k, v in spec["grid"])
        if spec["fixed"]:
            text += "; " + ", ".join(f"`{k}={format_value(v)}`"
                                     for k, v in sorted(spec["fixed"].items()))
        text += "."
    return text


def _version_note(groups):
    tasks = list(dict.fromkeys(g["task"] for g in groups))
    text = ("Our runs used " + ", ".join(tasks) + "; the published numbers were measured on the "
            "versions given beside each (TD3 paper: gym MuJoCo v1; Tianshou: v3 and v2; "
            "CleanRL: v4).")
    if any(t.endswith("-v5") for t in tasks):
        text += (" Gymnasium's v5 tasks differ from those in details of their models and "
                 "rewards (v5's Hopper, Walker2d and InvertedPendulum, for instance, no longer "
                 "pay the healthy or alive reward on the step that ends an episode), so a "
                 "comparison is a guide, not a like-for-like test.")
    budgets = sorted({g["steps_budget"] for g in groups if g["steps_budget"]})
    if budgets:
        text += (" The published runs took 1,000,000 steps; ours took "
                 + " or ".join(f"{b:,}" for b in budgets) + " steps.")
    return text


def _columns(published, measure, family):
    key = PUBLISHED_MEASURE[measure]
    return [(k, s["column"]) for k, s in published["sources"].items()
            if s["measure"] == key and s["algorithm"] == family]


def _ours(group, measure):
    value = group[measure]
    if measure == "table1":
        if value is None:
            return ["–", "–", "0"]
        return [_pm(value["mean"], value["std"]), f"{value['step']:,}", str(value["seeds"])]
    return [_pm_of(value), str(value["seeds"]) if value else "0"]


def _published_cell(group, measure, source):
    for entry in group["published"][measure]:
        if entry["source"] == source:
            return f"{_pm(entry['mean'], entry['std'])} ({entry['env_version']})"
    return "–"


def _settings(group):
    return group["preset"] + (f" {group['variant']}" if group["variant"] else "")


def _budget(group):
    if group["steps_budget"]:
        return f"{group['steps_budget']:,} steps"
    if group["episodes_budget"]:
        return f"{group['episodes_budget']:,} episodes"
    return "–"


def _table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + " --- |" * len(header)]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


def _without_curves(text):
    return text.split("\n## Learning curves\n")[0]


def _pm_of(value):
    return _pm(value["mean"], value["std"]) if value else "–"


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
        return f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(map(str, seeds))


# -- curves --------------------------------------------------------------------------------

def _plot_curves(report, group_curves, out_dir):
    """One PNG per task: each settings group's mean and band; {task: file name}."""
    from ddpg.outputs.plotting import plot_group_curves

    files = {}
    for task in dict.fromkeys(g["task"] for g in report["groups"]):
        lines = [(_settings(g), group_curves[(g["task"], g["preset"], g["variant"])],
                  g["table1"]["step"])
                 for g in report["groups"] if g["task"] == task and g["table1"]]
        if not lines:
            continue
        name = CURVES_PREFIX + re.sub(r"[^A-Za-z0-9._=-]", "_", task) + ".png"
        plot_group_curves(lines, os.path.join(out_dir, name), title=f"{task}: evaluation return")
        files[task] = name
    return files
