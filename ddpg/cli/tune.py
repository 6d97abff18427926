"""`scripts/tune.py` / `ddpg-tune`: a hyperparameter study that is checked on seeds it never saw.

Three stages in one command, each resumable: the search (Optuna's seeded
TPE through Ray Tune, ASHA pruning on the mean over `--seeds-per-trial`
seeds), the validation (the top candidates and the base preset retrained on
held-out seeds, an ordinary sweep with the package's report), and the
outputs (best.json, study.md, Optuna's plots).  Every refusal comes before
Ray starts or anything is written, as one line with exit code 2.
"""
import os
import shutil
import sys

from ddpg import config as settings
from ddpg.cli import OneLineArgumentParser, guarded, prog_name
from ddpg.extras import require

DEFAULTS = {"trials": 40, "seeds_per_trial": 2, "validate_seeds": "5", "eval_episodes": 5,
            "score_last": 3, "top": 3, "sampler_seed": 0, "reduction_factor": 3,
            "cpus_per_trial": 1, "max_failures": 3}
VALIDATE_FROM = 1000  # held-out seeds start here when only their number is given
# Options that define a new study; --resume takes them from study.json instead.
DEFINING = ("env", "preset", "space", "trials", "total_steps", "eval_every", "eval_episodes",
            "seeds_per_trial", "search_seeds", "validate_seeds", "score_last", "top",
            "baselines", "sampler_seed", "grace_steps", "reduction_factor", "cpus_per_trial",
            "max_failures", "config", "name", "time_budget")


def build_parser(prog):
    from ddpg.sweep.space import BUILT_IN

    parser = OneLineArgumentParser(
        prog=prog, description="Search settings with Optuna (TPE) on Ray Tune, pruning with "
        "ASHA, then retrain the best candidates and the base preset on held-out seeds.")
    what = parser.add_argument_group("what to search")
    what.add_argument("--env", metavar="ID", help="Gymnasium task id")
    what.add_argument("--preset", choices=sorted(settings.PRESETS),
                      help="the base every candidate starts from and is validated against "
                           "(default fujimoto2018)")
    what.add_argument("--config", metavar="FILE",
                      help="settings every candidate starts from, over the preset (a run's "
                           "config.json, a best.json)")
    what.add_argument("--space", metavar="NAME|FILE",
                      help=f"the search space: {' or '.join(sorted(BUILT_IN))} (built in; "
                           "default: td3 for a base with twin critics, else ddpg), or a JSON/"
                           "YAML file; --print-space shows one to start from")
    what.add_argument("--print-space", action="store_true",
                      help="print the space as JSON and exit")
    budget = parser.add_argument_group("the budget and the score")
    budget.add_argument("--trials", type=int, help=f"candidates to try (default "
                                                   f"{DEFAULTS['trials']})")
    budget.add_argument("--time-budget", metavar="DURATION",
                        help="search for this long (e.g. 2h, 90m, 5400s): no candidate starts "
                             "after it, running ones end as usual; --trials stays the most "
                             "there will be")
    budget.add_argument("--total-steps", type=int, help="environment steps per candidate seed")
    budget.add_argument("--eval-every", type=int,
                        help="evaluate (and report to the pruner) every N steps "
                             "(default: a quarter of --total-steps)")
    budget.add_argument("--eval-episodes", type=int,
                        help=f"episodes per evaluation (default {DEFAULTS['eval_episodes']})")
    budget.add_argument("--seeds-per-trial", type=int,
                        help=f"seeds each candidate trains on; the searcher sees their mean "
                             f"(default {DEFAULTS['seeds_per_trial']}: seeds 0 to k-1)")
    budget.add_argument("--search-seeds", metavar="SEEDS",
                        help="the search's seeds instead, e.g. 0-1 or 3,7")
    budget.add_argument("--validate-seeds", metavar="M|SEEDS",
                        help=f"held-out seeds: a count (from {VALIDATE_FROM}) or a list/range "
                             f"such as 100-104 (default {DEFAULTS['validate_seeds']})")
    budget.add_argument("--score-last", type=int,
                        help=f"a seed's score is the mean of its last N evaluations (default "
                             f"{DEFAULTS['score_last']})")
    budget.add_argument("--top", type=int, help=f"candidates validated (default "
                                                f"{DEFAULTS['top']})")
    budget.add_argument("--baselines", nargs="+", metavar="PRESET",
                        choices=sorted(settings.PRESETS),
                        help="further presets validated beside the base")
    budget.add_argument("--sampler-seed", type=int,
                        help=f"seed of Optuna's TPE sampler (default {DEFAULTS['sampler_seed']})")
    budget.add_argument("--grace-steps", type=int,
                        help="ASHA: steps before any candidate may be pruned "
                             "(default --eval-every)")
    budget.add_argument("--reduction-factor", type=int,
                        help=f"ASHA: keep 1 in N at each rung (default "
                             f"{DEFAULTS['reduction_factor']})")
    where = parser.add_argument_group("where and how")
    where.add_argument("--name", help="study name (default: <task>-<preset>)")
    where.add_argument("--storage", metavar="DIR",
                       help="the study's folder (default results/tuning/<name>)")
    where.add_argument("--num-cpus", type=int, help="CPUs Ray may use when it starts here")
    where.add_argument("--address", metavar="ADDR",
                       help="join this Ray cluster (HOST:PORT or auto), as ddpg-sweep does")
    where.add_argument("--cpus-per-trial", type=float,
                       help=f"CPUs per candidate (default {DEFAULTS['cpus_per_trial']})")
    where.add_argument("--max-failures", type=int,
                       help=f"retries of a candidate whose worker dies (default "
                            f"{DEFAULTS['max_failures']})")
    where.add_argument("--ray-temp-dir", metavar="DIR", help="as ddpg-sweep's")
    where.add_argument("--resume", action="store_true",
                       help="continue the study in --storage: no finished candidate runs again")
    where.add_argument("--end-search", action="store_true",
                       help="end the paused study's search in --storage now: no more "
                            "candidates; those it was running are stopped where they are and "
                            "not validated; then --resume validates the finished ones")
    where.add_argument("--force", action="store_true", help="replace the study in --storage")
    where.add_argument("--collect", metavar="OUT",
                       help="copy the ended study's small files (study.json, candidates.json, "
                            "best.json, study.md, plots) and its validation's evidence and "
                            "report into OUT, e.g. benchmarks/tuning/<name>; never checkpoints")
    return parser


def spec_from_args(args):
    """The StudySpec the flags describe; UserError for anything that cannot run."""
    from ddpg.errors import UserError
    from ddpg.sweep import space as spaces
    from ddpg.sweep.grid import check_envs, parse_seeds
    from ddpg.sweep.study import StudySpec

    value = {k: getattr(args, k) if getattr(args, k) is not None else DEFAULTS.get(k)
             for k in DEFAULTS}
    if not args.env:
        raise UserError("--env ID is needed: the task to tune for")
    if value["trials"] < 1:
        raise UserError(f"--trials must be at least 1, got {value['trials']}")
    if not args.total_steps or args.total_steps < 1:
        raise UserError("--total-steps N is needed: the steps each candidate seed trains")
    eval_every = args.eval_every if args.eval_every is not None \
        else max(1, args.total_steps // 4)
    if not 0 < eval_every <= args.total_steps:
        raise UserError(f"--eval-every must be 1 to --total-steps ({args.total_steps}), got "
                        f"{eval_every}: the pruner and the score need evaluations")
    for flag in ("eval_episodes", "seeds_per_trial", "score_last", "top", "cpus_per_trial"):
        if not value[flag] > 0:
            raise UserError(f"--{flag.replace('_', '-')} must be more than 0, got {value[flag]}")
    if value["reduction_factor"] < 2:
        raise UserError(f"--reduction-factor must be 2 or more, got {value['reduction_factor']}")
    if value["max_failures"] < 0:
        raise UserError(f"--max-failures must be 0 or more, got {value['max_failures']}")
    if args.grace_steps is not None and not 0 < args.grace_steps <= args.total_steps:
        raise UserError(f"--grace-steps must be 1 to --total-steps, got {args.grace_steps}")
    time_budget = parse_duration(args.time_budget) if args.time_budget is not None else 0
    search_seeds = parse_seeds(args.search_seeds) if args.search_seeds \
        else list(range(value["seeds_per_trial"]))
    if args.search_seeds and args.seeds_per_trial is not None \
            and len(search_seeds) != args.seeds_per_trial:
        raise UserError(f"--search-seeds gives {len(search_seeds)} seeds but --seeds-per-trial "
                        f"says {args.seeds_per_trial}")
    validate_seeds = parse_validate_seeds(value["validate_seeds"])
    overlap = sorted(set(search_seeds) & set(validate_seeds))
    if overlap:
        raise UserError(f"--validate-seeds must be seeds the search never used; "
                        f"{', '.join(map(str, overlap))} are search seeds")
    fixed = {}
    if args.config:
        from ddpg.config_file import read_settings

        fixed = read_settings(args.config)
    for name in ("env_id", "random_seed", "total_steps", "eval_every", "eval_episodes"):
        fixed.pop(name, None)  # the study's own flags set these
    preset = args.preset or fixed.pop("preset", None) or "fujimoto2018"
    fixed.pop("preset", None)
    spec = StudySpec(name=args.name or f"{args.env}-{preset}", env_id=args.env, preset=preset,
                     trials=value["trials"], total_steps=args.total_steps,
                     eval_every=eval_every, eval_episodes=value["eval_episodes"],
                     search_seeds=search_seeds, validate_seeds=validate_seeds, space={},
                     fixed=fixed, score_last=value["score_last"], top=value["top"],
                     baselines=list(dict.fromkeys(args.baselines or [])),
                     sampler_seed=value["sampler_seed"], grace_steps=args.grace_steps or 0,
                     reduction_factor=value["reduction_factor"],
                     cpus_per_trial=_whole(value["cpus_per_trial"]),
                     max_failures=value["max_failures"], time_budget=time_budget)
    base = spec.base_config()
    settings.validate(base)
    spec.space_name, spec.space = spaces.load(args.space or spaces.default_space_name(base))
    spaces.check(spec.space, base)
    check_envs([spec.env_id])
    return spec


def parse_duration(text):
    """'2h', '90m', '5400s' or '5400' -> seconds; UserError for anything else or for 0."""
    import re

    from ddpg.errors import UserError

    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([hms]?)\s*", str(text))
    seconds = float(match.group(1)) * {"h": 3600, "m": 60, "s": 1, "": 1}[match.group(2)] \
        if match else 0
    if not seconds > 0:
        raise UserError(f"--time-budget must be a positive duration such as 2h, 90m or 5400s, "
                        f"got {text!r}")
    return seconds


def parse_validate_seeds(text):
    """'5' -> 5 seeds from VALIDATE_FROM; '100-104' or '7,9' -> those seeds."""
    from ddpg.errors import UserError
    from ddpg.sweep.grid import parse_seeds

    text = str(text).strip()
    if text.isdigit():
        count = int(text)
        if count < 1:
            raise UserError("--validate-seeds must be at least 1: the winner is chosen on them")
        return list(range(VALIDATE_FROM, VALIDATE_FROM + count))
    return parse_seeds(text)


def _whole(number):
    return int(number) if float(number).is_integer() else number


def default_storage(name):
    from ddpg.sweep.grid import _safe

    return os.path.join("results", "tuning", _safe(name))


def check_storage(storage, resume, force):
    from ddpg.errors import UserError
    from ddpg.run.folder import check_writable
    from ddpg.sweep.study import STUDY_FILE

    check_writable(storage)
    exists = os.path.exists(os.path.join(storage, STUDY_FILE))
    if resume and not exists:
        raise UserError(f"--resume: {storage} holds no study to continue")
    if not resume and exists and not force:
        raise UserError(f"{storage} already holds a study; use --resume to continue it or "
                        "--force to replace it")


def main(argv=None):
    prog = prog_name("ddpg-tune")

    @guarded(prog)
    def run(arguments):
        from ddpg.errors import UserError

        args = build_parser(prog).parse_args(arguments)
        if args.resume and args.force:
            raise UserError("--force and --resume contradict each other: choose one")
        if args.num_cpus is not None and args.num_cpus < 1:
            raise UserError(f"--num-cpus must be at least 1, got {args.num_cpus}")
        if args.print_space:
            return print_space(args)
        if args.collect:
            return collect_study(args.storage, args.collect)
        if args.end_search:
            return end_search(args)
        spec, storage = resumed_study(args) if args.resume else new_study(args)
        require("ddpg-tune", ["ray", "optuna"], "sweep")  # after the flags, as in ddpg-sweep
        from ddpg.sweep import runner

        if args.address:
            runner.check_address(args.address)
        else:
            runner.check_temp_dir(args.ray_temp_dir)
        from ddpg.sweep.study import STUDY_FILE

        if not args.resume:
            if args.force:
                clear_study(storage)
            os.makedirs(storage, exist_ok=True)
            from ddpg import atomic

            atomic.write_json(os.path.join(storage, STUDY_FILE), spec.to_dict())
        return run_study(spec, storage, args)

    return run(argv)


def print_space(args):
    import json

    from ddpg.sweep import space as spaces

    base = settings.resolve(preset=args.preset or "fujimoto2018",
                            overrides={"env_id": args.env} if args.env else None)
    _, space = spaces.load(args.space or spaces.default_space_name(base))
    print(json.dumps(space, indent=2))
    return 0


def new_study(args):
    spec = spec_from_args(args)
    storage = os.path.abspath(args.storage or default_storage(spec.name))
    check_storage(storage, resume=False, force=args.force)
    return spec, storage


def resumed_study(args):
    refuse_defining_flags(args, "--resume", "continues the study as it was defined")
    storage = os.path.abspath(args.storage)
    check_storage(storage, resume=True, force=False)
    return read_spec(storage), storage


def refuse_defining_flags(args, flag, what):
    """--resume and --end-search act on the study in --storage as study.json defines it."""
    from ddpg.errors import UserError

    given = [f"--{n.replace('_', '-')}" for n in DEFINING if getattr(args, n) not in (None, [])]
    if given:
        raise UserError(f"{flag} {what}; drop {', '.join(given)}")
    if not args.storage:
        raise UserError(f"{flag} needs --storage DIR, the study's folder")


def end_search(args):
    """--end-search: mark the paused search ended, its running candidates stopped.

    For a search that would run longer than the user can wait (a slow
    candidate at the end of a time budget, a machine that must be handed
    back): what finished is kept and validated, and the study's files say
    which candidates were cut short and at what step.
    """
    from ddpg import atomic
    from ddpg.errors import UserError
    from ddpg.sweep import search
    from ddpg.sweep.study import CANDIDATES_FILE, STUDY_FILE, search_ended

    refuse_defining_flags(args, "--end-search", "ends the study's search as it stands")
    if args.resume or args.force:
        raise UserError("--end-search only ends the search; validate afterwards with --resume")
    storage = os.path.abspath(args.storage)
    spec = read_spec(storage)
    records = search.read_candidates(storage)
    if search_ended(spec, records, storage):
        print(f"The search in {storage} has already ended; validate it with: "
              f"{prog_name('ddpg-tune')} --resume --storage {storage}")
        return 0
    stopped = [name for name, r in records.items() if r["status"] == "running"]
    for name in stopped:
        records[name]["status"] = "stopped"
    spec.ended_early = True
    atomic.write_json(os.path.join(storage, CANDIDATES_FILE), records)
    atomic.write_json(os.path.join(storage, STUDY_FILE), spec.to_dict())
    finished = sum(r["status"] == "finished" for r in records.values())
    cut = ", ".join(f"{n} at {records[n]['steps']:,} steps" for n in stopped) or "none"
    print(f"Search ended after {len(records)} candidates, {finished} finished; stopped: {cut}. "
          f"Validate the finished ones with: {prog_name('ddpg-tune')} --resume --storage "
          f"{storage}")
    return 0


def read_spec(storage):
    """The StudySpec in storage/study.json; UserError when there is none or it is broken."""
    import json

    from ddpg.errors import UserError
    from ddpg.sweep.study import STUDY_FILE, StudySpec

    path = os.path.join(storage, STUDY_FILE)
    try:
        with open(path, encoding="utf-8") as handle:
            return StudySpec.from_dict(json.load(handle))
    except FileNotFoundError:
        raise UserError(f"{storage} holds no study ({STUDY_FILE})") from None
    except (ValueError, TypeError) as exc:
        raise UserError(f"{path} is not a study: {exc}") from None


def clear_study(storage):
    """--force: remove what an earlier study wrote there (other files stay)."""
    from ddpg.outputs.study_plots import HISTORY_PNG, IMPORTANCE_PNG
    from ddpg.sweep import search, study, validation

    for name in (search.TUNE_DIR, "runs", study.VALIDATION_DIR):
        shutil.rmtree(os.path.join(storage, name), ignore_errors=True)
    for name in (study.STUDY_FILE, study.CANDIDATES_FILE, study.SEARCH_CLOCK,
                 study.VALIDATION_CLOCK, validation.BEST_FILE, validation.SUMMARY_FILE,
                 validation.VALIDATION_FILE,
                 HISTORY_PNG, IMPORTANCE_PNG, "STOP"):
        path = os.path.join(storage, name)
        if os.path.exists(path):
            os.remove(path)


# The study's own small files, copied by --collect (the validation's go through
# ddpg-sweep's collect, which also rebuilds its report from the copies).
STUDY_EVIDENCE = ("study.json", "candidates.json", "search_time.json", "validation_time.json",
                  "best.json", "validation.json", "study.md", "optuna_history.png",
                  "optuna_importance.png")


# What a study's validation needs of its search: a copy of these resumes into validation.
SEARCH_FILES = ("study.json", "candidates.json", "search_time.json")


def collect_study(storage, out):
    """--collect OUT --storage DIR: every check first, then the copies.

    A study whose search has ended collects before its validation has run:
    its small files are all the validation needs, so a search run in one
    place (or session) can be validated in another from a copy of them.
    """
    from ddpg.errors import UserError
    from ddpg.run.folder import check_writable
    from ddpg.sweep import runner, search
    from ddpg.sweep.study import VALIDATION_DIR, search_ended

    if not storage:
        raise UserError("--collect needs --storage DIR, the study's folder")
    storage, out = os.path.abspath(storage), os.path.abspath(out)
    spec = read_spec(storage)
    records = search.read_candidates(storage)
    if not search_ended(spec, records, storage):
        raise UserError(f"{storage} holds no ended search: finish it first with --resume")
    if out == storage:
        raise UserError("--collect OUT must be another folder than the study's")
    check_writable(out)
    validation_dir = os.path.join(storage, VALIDATION_DIR)
    validated = os.path.exists(os.path.join(validation_dir, runner.SPEC_FILE))
    if validated:
        from ddpg.cli.sweep import write_report_only

        write_report_only([validation_dir], os.path.join(out, VALIDATION_DIR), collect=True)
    os.makedirs(out, exist_ok=True)
    for name in STUDY_EVIDENCE:
        source = os.path.join(storage, name)
        if os.path.exists(source):
            shutil.copyfile(source, os.path.join(out, name + ".tmp"))
            os.replace(os.path.join(out, name + ".tmp"), os.path.join(out, name))
    if validated:
        print(f"Collected the study into {out}")
    else:
        # Optuna's two plots need the records only: draw them for the search alone.
        from ddpg.outputs.study_plots import write_plots
        from ddpg.sweep.space import distributions

        write_plots(records, distributions(spec.space), out,
                    f"{spec.name}: {spec.env_id} (search only)")
        print(f"Collected the study's search into {out}; it is not validated yet. To validate "
              f"it anywhere: copy {', '.join(SEARCH_FILES)} into a new folder and run "
              f"{prog_name('ddpg-tune')} --resume --storage FOLDER")
    return 0


def run_study(spec, storage, args):
    """Search, then validate, then write the outputs; each stage skips what is done."""
    from ddpg.errors import UserError
    from ddpg.sweep import runner, search, validation
    from ddpg.sweep.study import (SEARCH_CLOCK, VALIDATION_CLOCK, VALIDATION_DIR, read_clock,
                                  search_ended)

    ray_options = {"address": args.address, "num_cpus": args.num_cpus,
                   "temp_dir": args.ray_temp_dir}
    records = search.read_candidates(storage)
    budget = f" (or {spec.time_budget:,.0f} s of search)" if spec.time_budget else ""
    print(f"Study {spec.name}: {spec.trials} candidates{budget} x {len(spec.search_seeds)} seeds x "
          f"{spec.total_steps:,} steps on {spec.env_id}, base {spec.preset}, space "
          f"{spec.space_name}; storage {storage}", flush=True)
    if not search_ended(spec, records, storage):
        searched = os.path.isdir(os.path.join(storage, search.TUNE_DIR))
        if records and not searched:
            raise UserError(f"{storage} holds candidates but not the search's state "
                            f"({search.TUNE_DIR}/), so the search cannot continue; a copied "
                            "study resumes only once its search has ended")
        records, _ = search.run(spec, storage, resume=searched and bool(args.resume),
                                **ray_options)
        if not search_ended(spec, records, storage):
            ended = [r for r in records.values() if r["status"] != "running"]
            print(f"Search stopped: {len(ended)} of {spec.trials} candidates ended. "
                  f"Continue it with: {prog_name('ddpg-tune')} --resume --storage {storage}")
            return 130
    search_seconds = read_clock(storage, SEARCH_CLOCK)
    chosen = validation.top_candidates(records, spec.top)
    if not chosen:
        print("No candidate finished: nothing to validate (see candidates.json)")
        return 1
    vspec = validation.validation_spec(spec, chosen)
    vstorage = os.path.join(storage, VALIDATION_DIR)
    vresume = os.path.exists(os.path.join(vstorage, runner.SPEC_FILE))
    if not vresume:
        os.makedirs(vstorage, exist_ok=True)
        runner.save_spec(vstorage, vspec)
    print(f"Validation: {', '.join(label for label, _ in vspec.variants)} on held-out seeds "
          f"{', '.join(map(str, spec.validate_seeds))}", flush=True)
    outcome = runner.outcome(vspec, vstorage)
    if outcome["unfinished"]:
        outcome = runner.run(vspec, vstorage, resume=vresume and os.path.isdir(
            os.path.join(vstorage, runner.TUNE_DIR)), **ray_options)
        validation.add_to_clock(storage, outcome["seconds"])
        runner.print_outcome(outcome, vstorage)
        if outcome["unfinished"]:
            print(f"Continue it with: {prog_name('ddpg-tune')} --resume --storage {storage}")
            return 130
    from ddpg.sweep.report import write_report

    write_report([vstorage])
    figures = validation.summarize(spec, vspec, storage, records)
    winner, verdict = validation.decide(spec, figures)
    validation_seconds = read_clock(storage, VALIDATION_CLOCK)
    validation.write_json(os.path.join(storage, validation.VALIDATION_FILE),
                          {"figures": figures, "winner": winner, "verdict": verdict})
    if winner:
        print(f"Best: {validation.write_best(storage, spec, winner, figures, verdict, records)}")
    from ddpg.outputs.study_plots import write_plots
    from ddpg.sweep.space import distributions

    plots = write_plots(records, distributions(spec.space), storage,
                        f"{spec.name}: {spec.env_id}")
    for png, where in plots.items():
        print(f"{png}: {where}")
    drawn = [png for png, where in plots.items() if os.path.isabs(where)]
    summary = validation.summary_markdown(spec, records, figures, winner, verdict,
                                          search_seconds, validation_seconds, drawn)
    from ddpg import atomic

    atomic.write_text(os.path.join(storage, validation.SUMMARY_FILE), summary)
    print(f"Verdict: {verdict['why']}")
    print(f"Summary: {os.path.join(storage, validation.SUMMARY_FILE)}")
    return 0 if winner else 1


def script_main(argv=None):
    sys.exit(main(argv))
