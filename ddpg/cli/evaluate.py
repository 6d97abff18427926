"""`scripts/evaluate.py` / `ddpg-evaluate`: score, film and animate a trained policy."""
import os
import sys

from ddpg.cli import OneLineArgumentParser, guarded, prog_name

# --best writes beside the training run's own evaluation.json, not over it.
BEST_FILE = "evaluation_best.json"


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
    parser.add_argument("--seed", type=int, default=None,
                        help="seed the evaluation seeds derive from (default: the run's)")
    parser.add_argument("--out", help="evaluation JSON (default <results-dir>/evaluation.json, "
                                      "with --best <results-dir>/evaluation_best.json)")
    parser.add_argument("--gif", help="write an animated GIF of one episode here")
    parser.add_argument("--video-dir",
                        help="record MP4s of the episodes here (needs: pip install 'ddpg[video]')")
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
                raise UserError("--video-dir needs moviepy, the optional video extra: "
                                "pip install 'ddpg[video]'")
        from ddpg.envs import make_env
        from ddpg.outputs.evaluation import FINAL_FILE
        from ddpg.run.checkpoint import find_checkpoint, read_state, saved_settings

        checkpoint = find_checkpoint(args.results_dir, args.checkpoint, best=args.best)
        config = saved_settings(read_state(checkpoint).get("config"))
        run_dir = args.results_dir or os.path.dirname(os.path.dirname(checkpoint))
        out = args.out or os.path.join(run_dir, BEST_FILE if args.best else FINAL_FILE)
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
