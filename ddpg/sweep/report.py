"""report.json, report.md and one curve PNG per task, from one or more sweep folders.

Every number comes from the files the trials wrote (evaluations.json,
evaluation.json, sweep_trial.json, config.json and the Monitor statistics),
so a report can be rebuilt at any time (`ddpg-sweep --report A [B ...]`),
for a sweep still running, and from the small copies kept in benchmarks/.
Nothing in it depends on where those folders are or when it was written,
which is what lets a test rebuild the committed report and find it unchanged.

Four measures per task and settings group, each named as such (see
ddpg.sweep.measures for their definitions and sources), every one with the
per-seed values it was made from; published numbers sit only beside the
measure they were made with, and DDPG rows only beside DDPG columns (TD3
beside TD3), each with a one-word mark of where ours lies.  Across tasks,
per settings group: the IQM and mean of normalized scores with stratified
bootstrap intervals (ddpg.sweep.aggregate).  A row that holds a trial still
running says so, with the step it reached: its curve is not a full run's.
"""
import json
import math
import os
import re

import numpy as np

from ddpg import atomic
from ddpg.config import task_name
from ddpg.errors import UserError
from ddpg.sweep import aggregate as across_tasks
from ddpg.sweep import measures, random_baseline
from ddpg.sweep.merge import MONITOR_DIR, algorithm_of, budget_of, merge

REPORT = "report.md"
REPORT_JSON = "report.json"
CURVES_PREFIX = "curves_"
AGGREGATE_FIGURE = "aggregate.png"
REFERENCE_SOURCE = "td3_table1_td3"  # 1 of the normalized scores: the TD3 paper's Table 1 TD3
MARK_TEXT = {"within": "within 1 std", "above": "above", "below": "below", "equal": "equal"}
MARK_HEAD = "ours is"  # the column after each published one
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
    "per_seed": "beside each measure: the value of each seed it was made from, [{seed, value}]",
    "ours": "beside each published number: where our figure of the same measure lies, "
            "'within' one of its std of its mean, else 'above' or 'below' ('equal' when it "
            "matches a figure given without a std)",
    "running": "trials of the row not ended yet, each with the last evaluation step it "
               "reached: a row with one is not a full run's figure",
    "aggregate": "per settings group and budget, across tasks: each finished run's final-10 "
                 "measure normalized per task (0 = a uniform-random policy's mean return on "
                 "the task, random_baseline.json; 1 = the TD3 paper's Table 1 TD3 figure), "
                 "then its IQM and mean with 95% stratified bootstrap confidence intervals "
                 "(rliable), and the IQM of the normalized evaluation returns against steps",
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
    rows, curves, runs = [], {}, {}
    for members in groups.values():
        row, curve, run = _group_row(members, published)
        # Keyed as the row names itself: a merge gives each group a label of its own.
        curves[_row_key(row)], runs[_row_key(row)] = curve, run
        rows.append(row)
    if not any(r["per_seed_best"] or r["final_evaluation"] for r in rows):
        raise UserError(f"{', '.join(os.path.abspath(s) for s in storages)}: no trial has an "
                        "evaluation yet: nothing to report")
    rows.sort(key=_row_order)
    baselines = random_baseline.read(storages)
    return {
        "format": FORMAT,
        "measures": MEASURE_TEXT,
        "sweeps": sorted((_describe_spec(spec) for spec in specs), key=lambda s: s["name"]),
        "groups": rows,
        "failed_trials": sorted(failed, key=lambda f: f["trial"]),
        "aggregate": _aggregate(rows, runs, baselines, published),
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
    figure = AGGREGATE_FIGURE if plots and _plot_aggregate(report, out_dir) else None
    atomic.write_json(os.path.join(out_dir, REPORT_JSON), report)
    out = os.path.join(out_dir, REPORT)
    atomic.write_text(out, render_markdown(report, load_published(), curves, figure))
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
    seeds_of = {"curves": [d["seed"] for d in usable if d["steps"]],
                "finished": [d["seed"] for d in finished]}
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
        "table1": measures.table1(curves, seeds=seeds_of["curves"]),
        "final10": measures.final_n([(d["steps"], d["means"]) for d in finished],
                                    seeds=seeds_of["finished"]),
        "per_seed_best": measures.per_seed_best(curves, seeds=seeds_of["curves"]),
        "cleanrl_measure": measures.cleanrl_measure([d["training_returns"] for d in finished],
                                                    seeds=seeds_of["finished"]),
        "final_evaluation": _spread(finals, [d["seed"] for d in finished
                                             if d["final"] is not None]),
        "wall_seconds_mean": float(np.mean(walls)) if walls else None,
        "running": [{"seed": d["seed"], "steps": d["steps"][-1] if d["steps"] else None}
                    for d in data if d["status"] == "running"],
        "pending_seeds": [d["seed"] for d in data if d["status"] == "not started"],
    }
    row["published"] = {measure: _published_for(first.env_id, algorithm, key, published)
                        for measure, key in PUBLISHED_MEASURE.items()}
    for measure, found in row["published"].items():
        for entry in found if row[measure] else []:
            entry["ours"] = measures.against_published(row[measure]["mean"], entry["mean"],
                                                       entry["std"])
    runs = [{"seed": d["seed"], "steps": d["steps"], "means": d["means"]}
            for d in finished if d["steps"]]
    return row, curves, runs


def _aggregate(rows, runs, baselines, published):
    """report.json's "aggregate": one entry per settings group and budget, or a note why none.

    Every row of the group whose task has a random-policy baseline, a TD3
    paper Table 1 TD3 figure and a finished run counts; the others are named
    with the reason they were left out.
    """
    text = {"score": across_tasks.SCORE,
            "bootstrap": {"method": "percentile", "stratified": "runs resampled within each "
                          "task (rliable StratifiedBootstrap, task_bootstrap=False)",
                          "reps": across_tasks.REPS, "seed": across_tasks.BOOTSTRAP_SEED,
                          "seeded": "numpy.random.seed before each interval (rliable draws "
                                    "from NumPy's global random state)",
                          "confidence": across_tasks.CONFIDENCE}}
    if not baselines:
        return dict(text, groups=[], note=(
            f"no aggregate across tasks: none of the report's folders holds "
            f"{random_baseline.BASELINE_FILE}, the random-policy returns that are 0 of the "
            "normalized scores (ddpg-sweep --random-baseline --env ... --out FOLDER)"))
    missing = across_tasks.rliable_missing()
    if missing:
        return dict(text, groups=[], note=missing)
    reference = {r["task"]: r["mean"] for r in published["results"]
                 if r["source"] == REFERENCE_SOURCE}
    sets = {}
    for row in rows:
        key = (row["preset"], row["variant"], row["steps_budget"], row["episodes_budget"])
        sets.setdefault(key, []).append(row)
    presets = [k[:2] for k in sets]
    groups, used = [], {}
    for (preset, variant, steps, episodes), members in sets.items():
        tasks, left_out = [], []
        for row in members:
            group = _row_key(row)
            scores = {p["seed"]: p["value"] for p in (row["final10"] or {}).get("per_seed", [])}
            reason = None
            if row["task"] not in baselines:
                reason = f"no random baseline for {row['task']}"
            elif task_name(row["task"]) not in reference:
                reason = "no TD3 paper Table 1 TD3 figure for this task"
            elif not scores:
                reason = "no finished run"
            if reason:
                left_out.append({"task": row["task"], "reason": reason})
                continue
            tasks.append({"task": row["task"], "zero": baselines[row["task"]]["mean"],
                          "one": reference[task_name(row["task"])],
                          "runs": [dict(r, score=scores[r["seed"]]) for r in runs[group]
                                   if r["seed"] in scores]})
        entry = {"preset": preset, "variant": variant, "algorithm": members[0]["algorithm"],
                 "steps_budget": steps, "episodes_budget": episodes,
                 "label": _settings({"preset": preset, "variant": variant})
                 + (f", {_budget(members[0])}" if presets.count((preset, variant)) > 1 else ""),
                 "tasks_left_out": left_out}
        if tasks:
            found, _ = across_tasks.aggregate(tasks)
            entry.update(found)
            entry["runs_left_out"] = sum(len(t["runs"]) for t in tasks) - \
                found["runs_per_task"] * len(tasks)
            for name in found["tasks"]:
                used[name] = baselines[name]
        groups.append(entry)
    return dict(text, groups=groups, random_baseline=used, reference=REFERENCE_SOURCE,
                note=None)


def _spread(values, seeds):
    if not values:
        return None
    return {"mean": float(np.mean(values)), "std": float(np.std(values)), "seeds": len(values),
            "per_seed": [{"seed": s, "value": float(v)} for s, v in zip(seeds, values)]}


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


def _row_key(row):
    return (row["task"], row["preset"], row["variant"])


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

def render_markdown(report, published, curves=None, aggregate_figure=None):
    """report.md from report.json's content (and the figures' files: {task: name}, and one)."""
    groups = report["groups"]
    lines = ["# Benchmark report", "", _describe_sweeps(report), "", (
        "Four measures, each named as such; a published number appears only beside our number "
        "made the same way, and DDPG settings only beside DDPG results (TD3 beside TD3). "
        "± is the population standard deviation (ddof=0) across seeds. Each published cell "
        "gives the environment version it was measured on; the column after it, where ours "
        "lies: within one of its std of its mean, above or below it (a published figure "
        "without a std gets above or below). \"per seed\" lists each seed's own value "
        "(seed: value). A row marked running holds a trial that has not ended: its figures "
        "stop at the step named.")]
    sections = [
        ("table1", "Table 1 measure", MEASURE_TEXT["table1"] + "; per seed: each seed's "
         "return at that step.", ["Table 1 measure", "at step", "seeds", "per seed"]),
        ("final10", "Final-10 measure", MEASURE_TEXT["final10"] + ".",
         ["final-10 measure", "seeds", "per seed"]),
        ("cleanrl_measure", "CleanRL's measure", MEASURE_TEXT["cleanrl_measure"] + ".",
         ["CleanRL's measure", "seeds", "per seed"]),
    ]
    for measure, title, text, heads in sections:
        lines += ["", f"## {title}", "", text]
        for family in FAMILIES:
            rows = [g for g in groups if g["algorithm"] == family]
            if not rows:
                continue
            columns = _columns(published, measure, family)
            lines += ["", f"### {family}" + (" presets" if family == "DDPG" else ""), ""]
            lines += _table(["task", "settings"] + heads
                            + [head for _, column in columns for head in (column, MARK_HEAD)],
                            [[g["task"], _row_label(g)] + _ours(g, measure)
                             + [cell for key, _ in columns
                                for cell in _published_cells(g, measure, key)]
                             for g in rows])
    lines += _aggregate_lines(report["aggregate"], aggregate_figure)
    lines += ["", "## Per-seed best, final evaluation and run time", "",
              MEASURE_TEXT["per_seed_best"] + ". No published column uses this measure. The "
              "final evaluation is " + MEASURE_TEXT["final_evaluation"] + ". Wall time is the mean "
              "over finished seeds of the run's own clock at its last evaluation, which a "
              "resume carries on from the checkpoint.", ""]
    lines += _table(["task", "settings", "per-seed best", "final evaluation", "seeds finished",
                     "budget", "wall time per seed", "per seed: best / final evaluation"],
                    [[g["task"], _row_label(g), _pm_of(g["per_seed_best"]),
                      _pm_of(g["final_evaluation"]),
                      f"{g['seeds_finished']}/{g['seeds_planned']}", _budget(g),
                      _duration(g["wall_seconds_mean"]), _best_and_final(g)] for g in groups])
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
            return ["–", "–", "0", "–"]
        return [_pm(value["mean"], value["std"]), f"{value['step']:,}", str(value["seeds"]),
                _per_seed(value)]
    return [_pm_of(value), str(value["seeds"]) if value else "0", _per_seed(value)]


def _per_seed(value):
    """'0: 3405.12; 1: 3301.00': each seed's value, or – without them."""
    if not value or not value.get("per_seed"):
        return "–"
    return "; ".join(f"{p['seed']}: {_number(p['value'])}" for p in value["per_seed"])


def _best_and_final(group):
    final = {p["seed"]: p["value"] for p in (group["final_evaluation"] or {}).get("per_seed", [])}
    best = (group["per_seed_best"] or {}).get("per_seed", [])
    if not best and not final:
        return "–"
    seeds = list(dict.fromkeys([p["seed"] for p in best] + list(final)))
    best = {p["seed"]: p["value"] for p in best}
    return "; ".join(f"{seed}: {_number(best[seed]) if seed in best else '–'} / "
                     f"{_number(final[seed]) if seed in final else '–'}" for seed in seeds)


def _published_cells(group, measure, source):
    """The published figure, and where ours lies beside it (within 1 std, above, below)."""
    for entry in group["published"][measure]:
        if entry["source"] == source:
            return [f"{_pm(entry['mean'], entry['std'])} ({entry['env_version']})",
                    MARK_TEXT.get(entry.get("ours"), "–")]
    return ["–", "–"]


def _settings(group):
    return group["preset"] + (f" {group['variant']}" if group["variant"] else "")


def _row_label(group):
    """The settings, and what of the row has not ended: a partial figure must say so."""
    marks = []
    for trial in group.get("running", []):
        reached = ("no evaluation yet" if trial["steps"] is None
                   else f"at {trial['steps']:,} steps" + (f" of {group['steps_budget']:,}"
                                                         if group["steps_budget"] else ""))
        marks.append(f"running: seed {trial['seed']} {reached}")
    pending = group.get("pending_seeds", [])
    if pending:
        marks.append(f"not started or not collected: seed{'s' if len(pending) > 1 else ''} "
                     + ", ".join(map(str, pending)))
    return _settings(group) + "".join(f" **({mark})**" for mark in marks)


def _aggregate_lines(found, figure=None):
    """The section of report.md across tasks, from report.json's "aggregate"."""
    lines = ["", "## Aggregate across tasks", ""]
    if found.get("note"):
        return lines + [found["note"] + "."]
    boot = found["bootstrap"]
    lines.append(
        f"Each finished run's final-10 measure (the mean of its last "
        f"{measures.FINAL_EVALUATIONS} evaluations: a per-run score, unlike the Table 1 "
        "measure, and not biased upward as each run's own best evaluation is), normalized per "
        "task: 0 is a uniform-random policy's mean return on the task, measured by the package "
        f"({random_baseline.BASELINE_FILE}), 1 the TD3 paper's Table 1 TD3 figure (a max of "
        "an across-seed mean, so a run matching the paper's TD3 at the end of training scores "
        "a little below 1). The IQM (interquartile mean: the mean of the middle half of all "
        "runs × tasks scores, rliable.metrics.aggregate_iqm) and the mean "
        "(rliable.metrics.aggregate_mean), each with a "
        f"{boot['confidence']:.0%} stratified bootstrap confidence interval "
        f"(rliable.library.get_interval_estimates: {boot['method']}, {boot['reps']:,} "
        f"resamples of the runs within each task, numpy.random.seed({boot['seed']}) before "
        "each). Every task gives the same number of runs, the fewest any task has finished "
        "(lowest seeds first). With one run per task every resample holds the same runs: the "
        "interval has zero width and says nothing about the spread over seeds.")
    rows = []
    for group in found["groups"]:
        if "iqm" not in group:
            rows.append([group["label"], _budget(group), "0", "–", "–", "–"])
            continue
        seeds = sorted({s for v in group["seeds"].values() for s in v})
        rows.append([group["label"], _budget(group), str(len(group["tasks"])),
                     f"{group['runs_per_task']} (seed{'s' if len(seeds) > 1 else ''} "
                     f"{', '.join(map(str, seeds))})",
                     _interval(group["iqm"]), _interval(group["mean"])])
    lines += [""] + _table(["settings", "budget", "tasks", "runs per task",
                            f"IQM [{boot['confidence']:.0%} CI]",
                            f"mean [{boot['confidence']:.0%} CI]"], rows)
    for group in found["groups"]:
        for left in group["tasks_left_out"]:
            lines.append(f"\n{group['label']}: {left['task']} left out ({left['reason']}).")
        if group.get("runs_left_out"):
            lines.append(f"\n{group['label']}: {group['runs_left_out']} finished run(s) wait "
                         f"for the other tasks to reach {group['runs_per_task'] + 1} runs.")
    tasks = list(dict.fromkeys(t for g in found["groups"] for t in g.get("tasks", [])))
    if tasks:
        groups = [g for g in found["groups"] if "iqm" in g]
        reference = {r["task"]: r["mean"] for r in load_published()["results"]
                     if r["source"] == found["reference"]}
        lines += ["", "Normalized scores per task (seed: score); the random policy's return is "
                  "the mean ± std of its episodes.", ""]
        lines += _table(
            ["task", "random policy (0)", "TD3 paper's TD3 (1)"] + [g["label"] for g in groups],
            [[task, _random_cell(found["random_baseline"][task]),
              _number(reference[task_name(task)])]
             + ["; ".join(f"{seed}: {value:.3f}" for seed, value in
                          zip(g["seeds"][task], g["normalized"][task]))
                if task in g.get("normalized", {}) else "–" for g in groups]
             for task in tasks])
    if figure:
        lines += ["", f"![aggregate across tasks]({figure})"]
    return lines


def _interval(estimate):
    return f"{estimate['estimate']:.3f} [{estimate['low']:.3f}, {estimate['high']:.3f}]"


def _random_cell(baseline):
    return (f"{_pm(baseline['mean'], baseline['std'])} ({baseline['episodes']} episodes, "
            f"seed {baseline['seed']})")


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
    """report.md without what only a report with plots holds (the figures)."""
    text = text.replace(f"\n\n![aggregate across tasks]({AGGREGATE_FIGURE})", "")
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
        lines = [(_settings(g), group_curves[_row_key(g)],
                  g["table1"]["step"])
                 for g in report["groups"] if g["task"] == task and g["table1"]]
        if not lines:
            continue
        name = CURVES_PREFIX + re.sub(r"[^A-Za-z0-9._=-]", "_", task) + ".png"
        plot_group_curves(lines, os.path.join(out_dir, name), title=f"{task}: evaluation return")
        files[task] = name
    return files


def _plot_aggregate(report, out_dir):
    """aggregate.png: performance profiles and IQM against steps of every aggregate; drawn?"""
    groups = [g for g in report["aggregate"]["groups"] if "iqm" in g]
    if not groups:
        return False
    from ddpg.outputs.aggregate_plot import plot_aggregate

    scores = {g["label"]: np.array([g["normalized"][t] for t in g["tasks"]]).T for g in groups}
    plot_aggregate(across_tasks.performance_profiles(scores),
                   {g["label"]: g["curve"] for g in groups},
                   os.path.join(out_dir, AGGREGATE_FIGURE),
                   runs_per_task={g["label"]: g["runs_per_task"] for g in groups})
    return True
