"""`scripts/plot.py` / `ddpg-plot`: learning curves of one or more runs as a PNG."""
import sys

from ddpg.cli import OneLineArgumentParser, guarded, prog_name


def build_parser(prog):
    parser = OneLineArgumentParser(
        prog=prog, description="Plot the training returns and evaluations of DDPG runs.")
    parser.add_argument("dirs", nargs="+", metavar="DIR",
                        help="results folders (Monitor files and/or TensorBoard events)")
    parser.add_argument("--out", required=True, help="PNG file to write")
    parser.add_argument("--aggregate", action="store_true",
                        help="plot the runs' mean with a 95%% bootstrap confidence band")
    parser.add_argument("--window", type=int, default=10, help="rolling-mean window (default 10)")
    parser.add_argument("--title", default=None, help="figure title")
    parser.add_argument("--x-axis", choices=("auto", "steps", "episodes"), default="auto",
                        help="steps: training returns at their cumulative environment step "
                             "beside the periodic evaluations (evaluations.json) with their "
                             "spread; episodes: returns per episode; auto (default): steps "
                             "when every run has periodic evaluations")
    return parser


def main(argv=None):
    prog = prog_name("ddpg-plot")

    @guarded(prog)
    def run(arguments):
        import os

        from ddpg.errors import UserError

        args = build_parser(prog).parse_args(arguments)
        if args.window < 1:
            raise UserError(f"--window must be at least 1, got {args.window}")
        for directory in args.dirs:
            if not os.path.isdir(directory):
                raise UserError(f"{directory} is not a folder")
        from ddpg.outputs.plotting import plot_runs
        from ddpg.run.checkpoint import read_best

        try:
            runs = plot_runs(args.dirs, args.out, window=args.window, aggregate=args.aggregate,
                             title=args.title, x_axis=args.x_axis, best_of=read_best)
        except ValueError as exc:
            raise UserError(str(exc)) from None
        for run in runs:
            print(f"{run['label']}: {len(run['returns'])} episodes, "
                  f"{len(run['evaluations'])} periodic evaluations, "
                  f"{len(run['eval_episodes'])} final evaluation points")
        print(f"Wrote {args.out}")
        return 0

    return run(argv)


def script_main(argv=None):
    sys.exit(main(argv))
