"""`scripts/sweep.py` / `ddpg-sweep`: many training runs as Ray Tune trials, and their report.

Every check that can refuse the sweep (unknown tasks or settings, an empty
grid, an occupied storage folder, an address where no cluster answers)
runs before Ray starts, and ends with one line and exit code 2.
"""
import os
import shutil
import sys

from ddpg import config as settings
from ddpg.cli import OneLineArgumentParser, guarded, prog_name
from ddpg.extras import require

DEFAULT_CPUS_PER_TRIAL = 1
DEFAULT_MAX_FAILURES = 3
DEFAULT_SEEDS = "0"
# Options that define a new sweep; --resume takes them from sweep.json instead.
DEFINING = ("env", "suite", "seeds", "preset", "config", "grid", "name", "cpus_per_trial",
            "max_failures")


def _training_fields():
    from ddpg.sweep.grid import NOT_IN_GRID, TRIAL_FIXED

    return [f for f in settings.fields()
            if f.name not in NOT_IN_GRID and f.name not in TRIAL_FIXED and f.name != "preset"]


def build_parser(prog):
    from ddpg.sweep.grid import SUITES

    parser = OneLineArgumentParser(
        prog=prog, description="Run DDPG training runs as Ray Tune trials (one machine by "
        "default, a Ray cluster with --address), then write report.md and learning curves.")
    grid = parser.add_argument_group("what to run")
    grid.add_argument("--env", nargs="+", metavar="ID", help="Gymnasium task id(s)")
    grid.add_argument("--suite", choices=sorted(SUITES),
                      help="a named benchmark: td3-paper is the 7 MuJoCo tasks of the TD3 "
                           "paper's Table 1 with the fujimoto2018 preset, 1,000,000 steps "
                           "each, seeds 0-9 (--total-steps and --seeds scale it down)")
    grid.add_argument("--seeds", help=f"random seeds, e.g. 0-9 or 0,3,5 (default "
                                      f"{DEFAULT_SEEDS}; a suite's own otherwise)")
    grid.add_argument("--preset", choices=sorted(settings.PRESETS),
                      help="published settings every trial starts from (default: tutorial)")
    grid.add_argument("--config", metavar="FILE",
                      help="training settings for every trial from a JSON file (YAML if named "
                           ".yaml/.yml): a run's config.json, a tuned best.json or a mapping of "
                           "settings; its preset is the sweep's unless --preset is given, and "
                           "the training flags and --grid override its values; its task is run "
                           "when neither --env nor --suite is given; seeds, threads, folders, "
                           "GIF, plot and rendering come from the sweep, not the file; a "
                           "suite's budget overrides the file's")
    grid.add_argument("--grid", action="append", metavar="KEY=V1,V2",
                      help="a training setting and its values; several --grid give the "
                           "product (list values: hidden_sizes=400,300;256,256)")
    run = parser.add_argument_group("where and how")
    run.add_argument("--name", help="sweep name (default: the suite or the task ids)")
    run.add_argument("--storage", metavar="PATH",
                     help="folder for the trials' results and Tune's state (default "
                          "results/sweeps/<name>); on a cluster, a path every node reaches")
    run.add_argument("--address", metavar="ADDR",
                     help="join this Ray cluster (HOST:PORT, or auto for the one `ray start` "
                          "made on this machine) instead of starting Ray here")
    run.add_argument("--cpus-per-trial", type=float,
                     help=f"CPUs (and TensorFlow threads) per trial (default "
                          f"{DEFAULT_CPUS_PER_TRIAL})")
    run.add_argument("--max-failures", type=int,
                     help=f"retries of a trial whose worker dies, each from its last "
                          f"checkpoint (default {DEFAULT_MAX_FAILURES})")
    run.add_argument("--num-cpus", type=int,
                     help="CPUs Ray may use when it starts here (default: all)")
    run.add_argument("--ray-temp-dir", metavar="DIR",
                     help="a folder of your own for Ray's session files when it starts here "
                          "(default /tmp/ddpg-ray-<uid>); made private (mode 700), Ray's "
                          "files go in DIR/ray; keep it short: Ray's sockets live there")
    action = parser.add_argument_group("existing sweeps")
    action.add_argument("--resume", action="store_true",
                        help="continue the sweep in --storage; finished trials are left alone")
    action.add_argument("--force", action="store_true",
                        help="replace the sweep in the storage folder")
    action.add_argument("--report", metavar="PATH", nargs="+",
                        help="only (re)write the report (report.md, report.json, curves) of "
                             "the sweep in PATH; several folders are merged into one report "
                             "(by task, settings and seed), written to --out")
    action.add_argument("--out", metavar="DIR",
                        help="with --report: the folder the report goes to (default: the one "
                             "--report folder)")
    action.add_argument("--collect", action="store_true",
                        help="with --report and --out: also copy each ended trial's small "
                             "evidence files (evaluations, Monitor statistics, config.json, "
                             "sweep_trial.json; never checkpoints or event files) into --out, "
                             "e.g. benchmarks/<name>; run it again as the sweep goes on: "
                             "copies made before are recognised, not refused")
    action.add_argument("--random-baseline", action="store_true",
                        help="instead of a sweep, measure a uniform-random policy's return on "
                             "each --env/--suite task and write random_baseline.json into "
                             "--out (the 0 of the report's normalized scores)")
    action.add_argument("--baseline-episodes", type=int, metavar="N",
                        help="with --random-baseline: episodes per task (default 100)")
    action.add_argument("--baseline-seed", type=int, metavar="N",
                        help="with --random-baseline: the seed of the actions and the "
                             "episodes' resets (default 0)")
    training = parser.add_argument_group(
        "training settings for every trial (as ddpg-train's flags; --grid varies them)")
    for field in _training_fields():
        default = field.default
        shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
        training.add_argument(settings.flag_of(field), dest="set_" + field.name, metavar="V",
                              help=f"{field.metadata['help']} (default: {shown}, or the "
                                   "preset's)")
    return parser


def spec_from_args(args):
    """The SweepSpec the flags describe; UserError for anything that cannot run."""
    from ddpg.errors import UserError
    from ddpg.sweep.grid import SUITES, SweepSpec, parse_grid, parse_seeds

    # Every trial's settings, each layer over the last: the --config file, a suite's budget,
    # the training flags (then, per trial, the grid's values).
    from_file = file_settings(args.config)
    fixed = {name: value for name, value in from_file.items()
             if name in {field.name for field in _training_fields()}}
    flags = training_flags(args)
    preset = args.preset or from_file.get("preset")
    if args.suite:
        if args.env:
            raise UserError("give --suite or --env, not both")
        suite = SUITES[args.suite]
        envs = list(suite["envs"])
        preset = preset or suite["preset"]
        fixed["total_steps"] = suite["total_steps"]
        seeds = parse_seeds(args.seeds or suite["seeds"])
    else:
        file_task = [from_file["env_id"]] if "env_id" in from_file else []
        envs = list(dict.fromkeys(args.env or file_task))
        seeds = parse_seeds(args.seeds or DEFAULT_SEEDS)
    fixed.update(flags)
    if not envs:
        raise UserError("no task to run: give --env ID [ID ...] or --suite NAME")
    cpus = DEFAULT_CPUS_PER_TRIAL if args.cpus_per_trial is None else args.cpus_per_trial
    if not cpus > 0:
        raise UserError(f"--cpus-per-trial must be more than 0, got {args.cpus_per_trial}")
    failures = DEFAULT_MAX_FAILURES if args.max_failures is None else args.max_failures
    if failures < 0:
        raise UserError(f"--max-failures must be 0 or more, got {failures}")
    name = args.name or args.suite or "+".join(envs)
    return SweepSpec(name=name, envs=envs, seeds=seeds, preset=preset,
                     grid=parse_grid(args.grid), fixed=fixed, suite=args.suite,
                     cpus_per_trial=int(cpus) if float(cpus).is_integer() else cpus,
                     max_failures=failures)


def training_flags(args):
    """{setting: value} of the training flags given, each parsed as ddpg-train would."""
    return {field.name: settings.parse_value(field.name, getattr(args, "set_" + field.name))
            for field in _training_fields() if getattr(args, "set_" + field.name) is not None}


def file_settings(path):
    """The --config file's settings, {} without one.

    All of them: its task and preset may define the sweep's, though the
    trials take only the settings a sweep does not set itself.
    """
    if path is None:
        return {}
    from ddpg.config_file import read_settings

    return read_settings(path)


def default_storage(name):
    from ddpg.sweep.grid import _safe

    return os.path.join("results", "sweeps", _safe(name))


def storage_path(text):
    """The absolute folder of --storage; URIs are refused (trials write there directly)."""
    from ddpg.errors import UserError

    if "://" in str(text):
        raise UserError(f"--storage must be a folder (on a cluster, one every node mounts), "
                        f"got {text!r}: trials write their results folders there directly")
    return os.path.abspath(text)


def check_storage(storage, resume, force):
    """UserError unless the storage folder may receive this sweep."""
    from ddpg.errors import UserError
    from ddpg.run.folder import check_writable
    from ddpg.sweep.runner import SPEC_FILE, TUNE_DIR

    check_writable(storage)
    exists = os.path.exists(os.path.join(storage, SPEC_FILE))
    if resume:
        if not exists:
            raise UserError(f"--resume: {storage} holds no sweep to continue")
        if not os.path.isdir(os.path.join(storage, TUNE_DIR)):
            raise UserError(f"--resume: the sweep in {storage} has no Tune state "
                            f"({TUNE_DIR}/); start it again with --force")
    elif exists and not force:
        raise UserError(f"{storage} already holds a sweep; use --resume to continue it or "
                        "--force to replace it")


def clear_sweep(storage):
    """--force: remove what an earlier sweep wrote there (other files stay)."""
    from ddpg.sweep.grid import RUNS
    from ddpg.sweep.report import REPORT, REPORT_JSON
    from ddpg.sweep.runner import SPEC_FILE, TUNE_DIR

    for name in (TUNE_DIR, RUNS):
        shutil.rmtree(os.path.join(storage, name), ignore_errors=True)
    for name in os.listdir(storage) if os.path.isdir(storage) else []:
        if name in (SPEC_FILE, REPORT, REPORT_JSON) or \
                (name.startswith("curves_") and name.endswith(".png")):
            os.remove(os.path.join(storage, name))


def main(argv=None):
    prog = prog_name("ddpg-sweep")

    @guarded(prog)
    def run(arguments):
        from ddpg.errors import UserError

        args = build_parser(prog).parse_args(arguments)
        if args.report:
            return write_report_only(args.report, args.out, args.collect)
        if args.random_baseline:
            return write_random_baseline(args)
        if args.baseline_episodes is not None or args.baseline_seed is not None:
            raise UserError("--baseline-episodes and --baseline-seed only go with "
                            "--random-baseline")
        if args.out or args.collect:
            raise UserError(f"{'--out' if args.out else '--collect'} only goes with --report")
        if args.resume and args.force:
            raise UserError("--force and --resume contradict each other: choose one")
        if args.num_cpus is not None and args.num_cpus < 1:
            raise UserError(f"--num-cpus must be at least 1, got {args.num_cpus}")
        from ddpg.sweep import runner

        spec, storage = resumed_sweep(args) if args.resume else new_sweep(args)
        require("ddpg-sweep", ["ray"], "sweep")  # after the flags: a bad one is named first
        if args.address:
            runner.check_address(args.address)
        else:
            runner.check_temp_dir(args.ray_temp_dir)
        if not args.resume:  # every check passed: now the folder changes
            if args.force:
                clear_sweep(storage)
            os.makedirs(storage, exist_ok=True)
            runner.save_spec(storage, spec)
        where = f"the Ray cluster at {args.address}" if args.address else "Ray on this machine"
        print(f"Sweep {spec.name}: {len(spec.trials())} trials on {where}; "
              f"{spec.cpus_per_trial} CPU(s) per trial; storage {storage}")
        result = runner.run(spec, storage, resume=args.resume, address=args.address,
                            num_cpus=args.num_cpus, temp_dir=args.ray_temp_dir)
        runner.print_outcome(result, storage)
        if result["unfinished"]:
            return 130
        try:
            from ddpg.sweep.report import write_report

            print(f"Report: {write_report([storage])}")
        except UserError as exc:
            print(f"No report: {exc}")
        return 1 if result["failed"] else 0

    return run(argv)


def new_sweep(args):
    """(spec, storage) of a sweep defined by the flags, after every check."""
    from ddpg.sweep.grid import check_envs, check_trials

    spec = spec_from_args(args)
    check_envs(spec.envs)
    storage = storage_path(args.storage or default_storage(spec.name))
    check_storage(storage, resume=False, force=args.force)
    doomed = check_trials(spec, storage)
    if doomed:
        print(f"warning: {len(doomed)} of {len(spec.trials())} trials have settings that "
              "cannot work; they will fail and the others run:")
        for trial_id, line in doomed.items():
            print(f"  {trial_id}: {line}")
    return spec, storage


def resumed_sweep(args):
    """(spec, storage) of the sweep --resume continues, as sweep.json defines it."""
    from ddpg.errors import UserError
    from ddpg.sweep.runner import load_spec

    given = [f"--{name.replace('_', '-')}" for name in DEFINING
             if getattr(args, name) not in (None, [])]
    given += [settings.flag_of(f) for f in _training_fields()
              if getattr(args, "set_" + f.name) is not None]
    if given:
        raise UserError(f"--resume continues the sweep as it was defined; drop "
                        f"{', '.join(given)}")
    if not args.storage:
        raise UserError("--resume needs --storage PATH, the sweep's folder")
    storage = storage_path(args.storage)
    check_storage(storage, resume=True, force=False)
    return load_spec(storage), storage


def write_report_only(paths, out=None, collect=False):
    """--report A [B ...] [--out DIR [--collect]]: every check first, then the files."""
    from ddpg.errors import UserError
    from ddpg.sweep.report import write_report

    storages = [os.path.abspath(p) for p in paths]
    if collect and not out:
        raise UserError("--collect needs --out DIR, the folder to copy the evidence into")
    if out is None and len(storages) > 1:
        raise UserError("a report of several folders needs --out DIR, the folder to write it "
                        "to")
    out = os.path.abspath(out) if out else storages[0]
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out {out} is a file, not a folder")
    from ddpg.run.folder import check_writable

    check_writable(out)
    if collect:
        from ddpg.sweep.collect import collect as collect_evidence
        from ddpg.sweep.report import build_report

        # Refuses clashes, mixed groups, no evaluations: copies nothing.
        build_report(storages, copies_in=out)
        copied, left_out = collect_evidence(storages, out)
        print(f"Collected {copied} files into {out}")
        if left_out:
            print(f"Not collected, not ended yet (collect again when they end): "
                  f"{'; '.join(left_out)}")
        storages = [out]  # the report is the one a rebuild from the copies gives
    report = write_report(storages, out)
    print(f"Report: {report}")
    return 0


def write_random_baseline(args):
    """--random-baseline (--env ... | --suite ...) --out DIR: every check, then the file."""
    from ddpg.errors import UserError
    from ddpg.sweep import random_baseline
    from ddpg.sweep.grid import SUITES

    given = [f"--{n.replace('_', '-')}"
             for n in ("seeds", "preset", "config", "grid", "resume", "collect")
             if getattr(args, n) not in (None, [], False)]
    if given:
        raise UserError(f"--random-baseline measures a random policy: {', '.join(given)} does "
                        "not apply (its seed is --baseline-seed)")
    if args.suite and args.env:
        raise UserError("give --suite or --env, not both")
    envs = list(SUITES[args.suite]["envs"]) if args.suite else list(args.env or [])
    if not args.out:
        raise UserError("--random-baseline needs --out DIR, the folder of the report it is for")
    episodes = random_baseline.DEFAULT_EPISODES if args.baseline_episodes is None \
        else args.baseline_episodes
    seed = random_baseline.DEFAULT_SEED if args.baseline_seed is None else args.baseline_seed
    random_baseline.check_inputs(episodes, seed)
    out = os.path.abspath(args.out)
    from ddpg.run.folder import check_writable

    check_writable(out)
    path = os.path.join(out, random_baseline.BASELINE_FILE)
    if os.path.exists(path) and not args.force:
        raise UserError(f"{path} already exists; --force replaces it")

    def progress(env_id, found):
        print(f"{env_id}: {found['mean']:.2f} ± {found['std']:.2f} over {found['episodes']} "
              f"episodes (mean length {found['mean_length']:.1f} steps)", flush=True)

    baseline = random_baseline.measure(envs, episodes, seed, progress=progress)
    print(f"Random baseline: {random_baseline.write(out, baseline, force=args.force)}")
    return 0


def script_main(argv=None):
    sys.exit(main(argv))
