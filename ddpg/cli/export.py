"""`scripts/export.py` / `ddpg-export`: a trained policy as a TensorFlow SavedModel (and TFLite)."""
import os
import sys

from ddpg.cli import OneLineArgumentParser, guarded, prog_name


def build_parser(prog):
    from ddpg.outputs.export import DEFAULT_OUT, POLICY_FILE, TFLITE_FILE

    parser = OneLineArgumentParser(
        prog=prog, description="Export a trained DDPG policy as a TensorFlow SavedModel "
        "(signature serving_default: observation -> action, on the task's bounds) that loads "
        f"without this package; {POLICY_FILE} beside it describes the task.")
    parser.add_argument("--results-dir", help="a training run's folder (its latest checkpoint)")
    parser.add_argument("--checkpoint", help="a checkpoint folder (checkpoints/ckpt-NNNNNN)")
    parser.add_argument("--best", action="store_true",
                        help="the run's best checkpoint (checkpoints/best; needs a run "
                             "trained with --eval-every)")
    parser.add_argument("--out", help=f"export folder to write (default <results-dir>/"
                                      f"{DEFAULT_OUT}); it must not exist, unless --force")
    parser.add_argument("--tflite", action="store_true",
                        help=f"also write a TFLite flatbuffer, {TFLITE_FILE}, in the folder")
    parser.add_argument("--force", action="store_true", help="replace an existing --out folder")
    return parser


def main(argv=None):
    prog = prog_name("ddpg-export")

    @guarded(prog)
    def run(arguments):
        args = build_parser(prog).parse_args(arguments)
        # Neither module imports TensorFlow: bad input is refused in well under a second.
        from ddpg.outputs.export import DEFAULT_OUT, check_destination
        from ddpg.run.export import export_policy
        from ddpg.run.checkpoint import find_checkpoint, read_run_env_id

        checkpoint = find_checkpoint(args.results_dir, args.checkpoint, best=args.best)
        run_dir = args.results_dir or os.path.dirname(os.path.dirname(checkpoint))
        out = args.out or os.path.join(run_dir, DEFAULT_OUT)
        check_destination(out, args.force)
        description = export_policy(checkpoint, out, env_id=read_run_env_id(args.results_dir),
                                    tflite=args.tflite, force=args.force)
        print(f"Exported the policy of {checkpoint} ({description['env_id']}) to {out}")
        signature = description["signature"]
        print(f"  SavedModel: signature {signature['name']}, observation float32 "
              f"{signature['inputs']['observation']['shape']} -> action float32 "
              f"{signature['outputs']['action']['shape']}")
        if description["tflite"]:
            print(f"  TFLite: {os.path.join(out, description['tflite'])}")
        return 0

    return run(argv)


def script_main(argv=None):
    sys.exit(main(argv))
