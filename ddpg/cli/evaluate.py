"""`scripts/evaluate.py` / `ddpg-evaluate`: score, film and animate a trained policy.

Each checkpoint's evaluation goes to a file of its own beside the run's
evaluation.json: evaluation_<checkpoint>.json (evaluation_ckpt-000200.json,
evaluation_best.json).  The training's evaluation.json, which the learning
curve draws at the last episode, is never replaced by default, and no file
is replaced without --force, as with ddpg-export's --out.
"""
import os
import sys

from ddpg.cli import OneLineArgumentParser, guarded, prog_name
from ddpg.extras import install_hint

# The file `ddpg-evaluate --best` writes (evaluation_<checkpoint name> for checkpoints/best).
BEST_FILE = "evaluation_best.json"


def default_out(run_dir, checkpoint):
    """<run_dir>/evaluation_<checkpoint folder name>.json."""
    return os.path.join(run_dir, f"evaluation_{os.path.basename(os.path.normpath(checkpoint))}"
                                 ".json")


def run_folder_of(checkpoint):
    """The run a checkpoint belongs to (the folder holding checkpoints/), else the folder
    holding the checkpoint itself."""
    from ddpg.run.checkpoint import CHECKPOINTS

    parent = os.path.dirname(os.path.normpath(checkpoint))
    return os.path.dirname(parent) if os.path.basename(parent) == CHECKPOINTS else parent


def check_destination(path, force, label, instead, run_dir):
    """UserError unless file `path` may be written: it must not exist unless --force.

    `label` names the file in the message (--out, --gif, or the default
    evaluation file), `instead` the other way out than --force.
    """
    from ddpg.errors import UserError
    from ddpg.outputs.evaluation import FINAL_FILE

    if os.path.isdir(path):
        raise UserError(f"{label} {path} is a folder; give a file name")
    if os.path.lexists(path) and not force:
        why = ""
        if os.path.abspath(path) == os.path.abspath(os.path.join(run_dir, FINAL_FILE)):
            why = " (it is the final evaluation of training, which the learning curve draws)"
        raise UserError(f"{label} {path} already exists{why}; give --force to replace it, "
                        f"or {instead}")
    probe = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK):
        raise UserError(f"{label} {path}: {probe} is not a writable folder")


def build_parser(prog):
    from ddpg.config import DEFAULTS

    parser = OneLineArgumentParser(
        prog=prog, description="Evaluate a trained DDPG policy on fixed evaluation seeds.")
    parser.add_argument("--results-dir", help="a training run's folder (its latest checkpoint)")
    parser.add_argument("--checkpoint", help="a checkpoint folder (checkpoints/ckpt-NNNNNN)")
    parser.add_argument("--best", action="store_true",
                        help="the run's best checkpoint (checkpoints/best, kept by runs "
                             "trained with --eval-every)")
    parser.add_argument("--episodes", type=int, default=DEFAULTS.eval_episodes,
                        help=f"evaluation episodes (default {DEFAULTS.eval_episodes})")
    parser.add_argument("--seed", "--random-seed", dest="seed", type=int, default=None,
                        help="seed the evaluation seeds derive from (default: the run's "
                             "--random-seed)")
    parser.add_argument("--out", help="evaluation JSON to write (default <results-dir>/"
                                      "evaluation_<checkpoint>.json, e.g. "
                                      "evaluation_ckpt-000200.json or evaluation_best.json, "
                                      "beside the training's own evaluation.json); it must "
                                      "not exist, unless --force")
    parser.add_argument("--gif", help="write an animated GIF of one episode here; it must not "
                                      "exist, unless --force")
    parser.add_argument("--force", action="store_true",
                        help="replace an existing --out (even the training's evaluation.json) "
                             "or --gif file")
    parser.add_argument("--video-dir",
                        help=f"record MP4s of the episodes here; needs the video extra: "
                             f"{install_hint('video')}")
    return parser


def main(argv=None):
    prog = prog_name("ddpg-evaluate")

    @guarded(prog)
    def run(arguments):
        args = build_parser(prog).parse_args(arguments)
        from ddpg.errors import UserError

        if args.episodes < 1:
            raise UserError(f"--episodes must be at least 1, got {args.episodes}")
        if args.video_dir:
            from ddpg.outputs.video import mp4_available

            if not mp4_available():
                from ddpg.extras import needs_extra

                raise UserError(needs_extra("--video-dir", "moviepy", "video"))
        from ddpg.envs import make_env
        from ddpg.run.checkpoint import find_checkpoint, read_state, saved_settings

        checkpoint = find_checkpoint(args.results_dir, args.checkpoint, best=args.best)
        config = saved_settings(read_state(checkpoint).get("config"))
        run_dir = args.results_dir or run_folder_of(checkpoint)
        out = args.out or default_out(run_dir, checkpoint)
        # Refused before the policy is loaded and run, which can take minutes.
        if args.out:
            check_destination(out, args.force, "--out", "another --out", run_dir)
        else:
            check_destination(out, args.force, "the evaluation file", "--out FILE", run_dir)
        if args.gif:
            check_destination(args.gif, args.force, "--gif", "another --gif", run_dir)
        env_id = config["env_id"]
        seed = config["random_seed"] if args.seed is None else args.seed
        max_len = config["max_episode_len"]
        env = make_env(env_id, render_mode="rgb_array" if args.video_dir else None)
        if args.video_dir:
            import gymnasium as gym

            env = gym.wrappers.RecordVideo(env, args.video_dir, episode_trigger=lambda i: True,
                                           name_prefix="ddpg")
        from ddpg.outputs.evaluation import (
            evaluate,
            format_evaluation,
            write_evaluation,
        )
        from ddpg.run.checkpoint import load_actor

        sess, actor = load_actor(checkpoint, env)
        result = evaluate(env, actor, args.episodes, seed, max_len, env_id=env_id)
        env.close()
        write_evaluation(out, result, checkpoint=checkpoint)
        print(format_evaluation(result))
        print(f"Wrote {out}")
        if args.video_dir:
            print(f"Videos in {args.video_dir}")
        if args.gif:
            from ddpg.outputs.video import record_gif

            if record_gif(env_id, actor, args.gif, seed, max_len):
                print(f"Wrote {args.gif}")
        sess.close()
        return 0

    return run(argv)


def script_main(argv=None):
    sys.exit(main(argv))
