"""After the search: the top candidates and the base retrained on seeds the search never saw.

A search score is the best of many noisy draws, so it flatters its winner.
The validation asks the question a user cares about: do these settings beat
the preset on new seeds?  It is an ordinary sweep (<storage>/validation,
ddpg.sweep.runner) whose variants are the top candidates and the presets,
so its report is the package's report, with the Table 1 and final-10
measures per seed.  The winner is the candidate with the best mean
validation score (the search's score, on the held-out seeds), which need
not be the search's best; best.json records its settings and both scores.
"""
import math
import os

from ddpg import atomic
from ddpg.sweep import study as study_module

BEST_FILE = "best.json"
SUMMARY_FILE = "study.md"
VALIDATION_FILE = "validation.json"
# Never copied into best.json: where a run writes, how it starts, its seed (not a
# setting to tune) and what the study switched off in its runs (GIF, plot).
NOT_IN_BEST = ("results_dir", "monitor_dir", "summary_dir", "force", "resume", "threads",
               "random_seed", "gif", "plot", "render_env", "use_gym_monitor")


def add_to_clock(storage, seconds):
    """Add one session's validation wall time to the study's clock."""
    clock = study_module.VALIDATION_CLOCK
    study_module.write_clock(storage, clock, study_module.read_clock(storage, clock) + seconds)


def top_candidates(records, top):
    """[(label, record)] of the best finished candidates by search score, best first."""
    finished = [(n, r) for n, r in records.items()
                if r["status"] == "finished" and r.get("score") is not None
                and math.isfinite(r["score"])]
    finished.sort(key=lambda item: (-item[1]["score"], item[0]))
    return finished[:top]


def validation_spec(spec, chosen):
    """The SweepSpec of the validation: chosen candidates and presets x held-out seeds."""
    from ddpg.sweep.grid import SweepSpec

    # A candidate that drew exactly the base's settings is the base: its seeds would be
    # the base's trials twice over, which the report rightly refuses to count.
    base = spec.base_config().to_dict()
    variants = [[label, dict(record["settings"], preset=spec.preset)]
                for label, record in chosen
                if _resolved(spec, record["settings"]) != base]
    for preset in [spec.preset] + [p for p in spec.baselines if p != spec.preset]:
        variants.append([f"preset={preset}", {"preset": preset}])
    fixed = {k: v for k, v in spec.base_overrides().items() if k != "env_id"}
    return SweepSpec(name=f"{spec.name}-validation", envs=[spec.env_id],
                     seeds=list(spec.validate_seeds), preset=spec.preset, fixed=fixed,
                     cpus_per_trial=spec.cpus_per_trial, max_failures=spec.max_failures,
                     variants=variants)


def _resolved(spec, chosen):
    from ddpg import config as settings

    return settings.resolve(preset=spec.preset,
                            overrides=dict(spec.base_overrides(), **chosen)).to_dict()


def summarize(spec, vspec, storage, records):
    """{label: validation figures} from the validation trials' evaluations."""
    from ddpg.outputs.evaluation import PERIODIC_FILE, read_evaluations

    vstorage = os.path.join(storage, study_module.VALIDATION_DIR)
    found = {}
    for label, _ in vspec.variants:
        per_seed, at_steps = [], {}
        for trial in [t for t in vspec.trials() if t.folder.split("/")[2] == _safe(label)]:
            path = os.path.join(vstorage, trial.folder, PERIODIC_FILE)
            points = read_evaluations(path) if os.path.exists(path) else []
            if not points or points[-1]["steps"] < spec.total_steps:
                continue
            per_seed.append({"seed": trial.seed,
                             "score": study_module.seed_score(points, spec.total_steps,
                                                              spec.score_last)})
            for p in points:
                at_steps.setdefault(p["steps"], []).append(p["mean"])
        scores = [s["score"] for s in per_seed]
        found[label] = {
            "kind": "preset" if label.startswith("preset=") else "candidate",
            "search_score": (records.get(label) or {}).get("score"),
            "seeds": len(scores),
            "mean": _mean(scores), "std": _std(scores), "per_seed": per_seed,
            "at_steps": {str(s): {"mean": _mean(v), "std": _std(v), "seeds": len(v)}
                         for s, v in sorted(at_steps.items()) if len(v) == len(scores)},
        }
    return found


def decide(spec, figures):
    """(winner label, verdict dict): the best candidate in validation against the base."""
    candidates = {k: v for k, v in figures.items() if v["kind"] == "candidate"
                  and v["mean"] is not None}
    base = figures.get(f"preset={spec.preset}") or {}
    if not candidates:
        return None, {"beats_base": None, "why": "no candidate finished its validation"}
    winner = max(candidates, key=lambda k: (candidates[k]["mean"], k))
    ours, theirs = candidates[winner], base.get("mean")
    if theirs is None:
        return winner, {"beats_base": None, "why": "the base preset has no validation score"}
    margin = ours["mean"] - theirs
    # The standard error of the difference of two means over independent seeds.
    spread = math.sqrt(ours["std"] ** 2 / max(1, ours["seeds"])
                       + base["std"] ** 2 / max(1, base["seeds"]))
    return winner, {"beats_base": margin > 0, "margin": margin, "margin_se": spread,
                    "clearly": margin > 2 * spread,
                    "why": f"{winner} {ours['mean']:.1f} against {spec.preset} {theirs:.1f} "
                           f"on {ours['seeds']} held-out seeds: "
                           f"{'ahead' if margin > 0 else 'behind'} by {abs(margin):.1f} "
                           f"(standard error of the difference {spread:.1f})"}


def write_best(storage, spec, winner, figures, verdict, records):
    """best.json: the winner's full settings, its search score and its validation figures."""
    config = study_module.candidate_config(
        spec, dict(records[winner]["settings"]), spec.validate_seeds[0], "unused")
    values = {k: v for k, v in config.to_dict().items() if k not in NOT_IN_BEST}
    search_rank = [n for n, _ in top_candidates(records, len(records))].index(winner) + 1
    best = {
        "settings": values,
        "search": {"candidate": winner, "score": records[winner]["score"],
                   "rank": search_rank, "seeds": spec.search_seeds,
                   "score_is": f"mean over seeds of the mean of the last {spec.score_last} "
                               f"evaluations at {spec.total_steps:,} steps"},
        "validation": dict(figures[winner], seeds_used=spec.validate_seeds,
                           base=figures.get(f"preset={spec.preset}"), **verdict),
        "study": {"name": spec.name, "env_id": spec.env_id, "base_preset": spec.preset,
                  "space": spec.space_name, "trials": spec.trials, "candidates": len(records),
                  "time_budget_seconds": spec.time_budget or None},
    }
    path = os.path.join(storage, BEST_FILE)
    atomic.write_json(path, best)
    return path


def summary_markdown(spec, records, figures, winner, verdict, search_seconds, validation_seconds,
                     plots=()):
    """study.md: the search in figures, the validation table and the verdict."""
    ended = [r for r in records.values() if r["status"] != "running"]
    pruned = sum(r["status"] == "pruned" for r in ended)
    failed = sum(r["status"] == "failed" for r in ended)
    stopped = sum(r["status"] == "stopped" for r in ended)
    seeds = len(spec.search_seeds)
    steps_run = sum(r["steps"] for r in records.values()) * seeds
    unpruned = len(records) * spec.total_steps * seeds
    lines = [f"# Study {spec.name}: {spec.env_id}, base `{spec.preset}`, space `{spec.space_name}`",
             "",
             f"- Search: {len(records)} candidates, {seeds} seeds each "
             f"({', '.join(map(str, spec.search_seeds))}), {spec.total_steps:,} steps, "
             f"evaluations every {spec.eval_every:,} steps of {spec.eval_episodes} episodes; "
             f"Optuna TPE (seed {spec.sampler_seed}) with Tune's ASHA "
             f"(grace {spec.grace_steps or spec.eval_every:,} steps, reduction factor "
             f"{spec.reduction_factor}). " + _drawn_until(spec, records),
             f"- Score: per seed, the mean of its last {spec.score_last} evaluations; per "
             "candidate, the mean over its seeds.",
             f"- Candidates finished {len(ended) - pruned - failed - stopped}, pruned {pruned}, "
             f"failed {failed}" + (f", stopped by --end-search {stopped}." if stopped else "."),
             f"- Environment steps run: {steps_run:,}, against {unpruned:,} without pruning "
             f"({steps_run / unpruned:.0%})." if unpruned else "- No steps run.",
             f"- Wall time: search {search_seconds:,.0f} s, validation "
             f"{validation_seconds:,.0f} s (Ctrl-C pauses not counted).", "",
             f"## Validation on held-out seeds {', '.join(map(str, spec.validate_seeds))}", ""]
    steps = sorted({int(s) for f in figures.values() for s in f["at_steps"]})
    head = ["settings", "search score", "validation score (mean ± std)", "per seed"] + \
        [f"at {s:,}" for s in steps]
    lines += ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    for label, f in figures.items():
        shown = f"**{label}** (winner)" if label == winner else label
        search = f"{f['search_score']:.1f}" if f["search_score"] is not None else "–"
        score = f"{f['mean']:.1f} ± {f['std']:.1f}" if f["mean"] is not None else "–"
        per_seed = ", ".join(f"{p['score']:.1f}" for p in f["per_seed"])
        cells = [shown, search, score, per_seed]
        for s in steps:
            at = f["at_steps"].get(str(s))
            cells.append(f"{at['mean']:.1f} ± {at['std']:.1f}" if at else "–")
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "Scores are the search's: the mean of each seed's last "
              f"{spec.score_last} evaluations; ± is the std over seeds (ddof=0).", ""]
    if verdict.get("beats_base") is None:
        lines.append(f"**Verdict:** {verdict['why']}.")
    else:
        word = "beats" if verdict["beats_base"] else "does not beat"
        lines.append(f"**Verdict:** the winner {word} `{spec.preset}` on seeds it never saw: "
                     f"{verdict['why']}.")
    report = f"{study_module.VALIDATION_DIR}/report.md"
    lines += ["", f"The validation runs' own report, with the Table 1 and final-10 measures per "
              f"seed and their curves: [{report}]({report}).", ""]
    for png in plots:  # Optuna's figures, as ddpg.outputs.study_plots drew them
        lines += [f"![{png[:-4].replace('_', ' ')}]({png})", ""]
    return "\n".join(lines)


def _drawn_until(spec, records):
    """What ended the drawing of candidates: the count asked for, the time budget, or the user."""
    if spec.ended_early:
        return f"Ended with --end-search after {len(records)} candidates (of up to " \
               f"{spec.trials} asked for); those running then were stopped where they were " \
               "and are not validated."
    if not spec.time_budget:
        return f"{spec.trials} candidates asked for."
    if len(records) >= spec.trials:
        return f"All {spec.trials} candidates asked for were drawn within the time budget " \
               f"of {spec.time_budget:,.0f} s."
    return f"Drawn until the time budget of {spec.time_budget:,.0f} s of search was spent " \
           f"(up to {spec.trials} asked for); candidates running then ran to their end."


def _safe(label):
    from ddpg.sweep.grid import _safe as safe

    return safe(label)


def _mean(values):
    return sum(values) / len(values) if values else None


def _std(values):
    if not values:
        return None
    mean = _mean(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / len(values))


def write_json(path, data):
    atomic.write_json(path, data)
