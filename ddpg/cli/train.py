"""`python scripts/train_pendulum.py` / `ddpg-train`: flags over module constants.

The script keeps the tutorial's hyperparameters as module-level constants;
each has a flag of the original code's name.  Flags are parsed with no
defaults so that a resumed run can tell what was given on the command line
(which overrides) from what was not (taken from the checkpoint).
"""
import argparse
import os
import sys

from ddpg.cli import OneLineArgumentParser, guarded, prog_name
from ddpg.noise import NOISE_TYPES

# constant in the script -> (flag, TrainConfig field, type, help)
FLAGS = [
    ("ENV_NAME", "--env", "env_id", str, "Gymnasium environment id (any Box-action task)"),
    ("MAX_EPISODES", "--max-episodes", "max_episodes", int,
     "total training episodes (a resumed run continues up to this many)"),
    ("MAX_EP_STEPS", "--max-episode-len", "max_episode_len", int,
     "step limit per episode (the environment's own time limit may end it sooner)"),
    ("ACTOR_LEARNING_RATE", "--actor-lr", "actor_lr", float, "actor Adam learning rate"),
    ("CRITIC_LEARNING_RATE", "--critic-lr", "critic_lr", float, "critic Adam learning rate"),
    ("GAMMA", "--gamma", "gamma", float, "discount factor, in [0, 1]"),
    ("TAU", "--tau", "tau", float, "soft target update rate, in (0, 1]"),
    ("BUFFER_SIZE", "--buffer-size", "buffer_size", int, "replay buffer capacity (transitions)"),
    ("MINIBATCH_SIZE", "--minibatch-size", "minibatch_size", int, "minibatch size"),
    ("RANDOM_SEED", "--random-seed", "random_seed", int, "seed for TF, NumPy and the environment"),
    ("NOISE", "--noise", "noise", str, "exploration noise: " + ", ".join(NOISE_TYPES)),
    ("EVAL_EPISODES", "--eval-episodes", "eval_episodes", int,
     "noise-free evaluation episodes after training (0: none)"),
    ("CHECKPOINT_EVERY", "--checkpoint-every", "checkpoint_every", int,
     "checkpoint every N episodes (0: only at the end and on a signal)"),
    ("THREADS", "--threads", "threads", int,
     "TensorFlow inter-op threads (0: the CPUs this process may use)"),
]
BOOLEAN_FLAGS = [
    ("RENDER_ENV", "--render-env", "render_env",
     "show the environment (a window with a display, else Monitor videos)"),
    ("GYM_MONITOR_EN", "--use-gym-monitor", "use_gym_monitor",
     "record gym Monitor files in the monitor folder"),
]
PATH_FLAGS = [
    ("RESULTS_DIR", "--results-dir", "results_dir", "root of the run's outputs"),
    ("MONITOR_DIR", "--monitor-dir", "monitor_dir", "gym Monitor files"),
    ("SUMMARY_DIR", "--summary-dir", "summary_dir", "TensorBoard event files"),
]


def build_parser(defaults, prog):
    parser = OneLineArgumentParser(
        prog=prog, description="Train DDPG (TF1 graph mode) on a continuous-control task.")
    for constant, flag, dest, kind, text in FLAGS:
        choices = NOISE_TYPES if dest == "noise" else None
        parser.add_argument(flag, dest=dest, type=kind, choices=choices, default=None,
                            help=f"{text} (default: {defaults[constant]})")
    for constant, flag, dest, text in BOOLEAN_FLAGS:
        parser.add_argument(flag, dest=dest, action=argparse.BooleanOptionalAction, default=None,
                            help=f"{text} (default: {defaults[constant]})")
    for constant, flag, dest, text in PATH_FLAGS:
        shown = defaults[constant] if dest == "results_dir" else \
            f"<results-dir>/{_relative_to_results(defaults, constant)}"
        parser.add_argument(flag, dest=dest, default=None, help=f"{text} (default: {shown})")
    parser.add_argument("--force", action="store_true", default=None,
                        help="replace an earlier run in the results folder")
    parser.add_argument("--resume", action="store_true", default=None,
                        help="continue the run in the results folder from its latest checkpoint")
    parser.add_argument("--no-gif", dest="gif", action="store_false", default=None,
                        help="do not write a GIF of the trained policy")
    parser.add_argument("--no-plot", dest="plot", action="store_false", default=None,
                        help="do not write the learning-curve PNG")
    return parser


def _relative_to_results(defaults, constant):
    return os.path.relpath(defaults[constant], defaults["RESULTS_DIR"])


def config_from_args(args, defaults):
    """TrainConfig from constants, then the checkpoint (on --resume), then flags."""
    from ddpg.checkpoint import latest_checkpoint, read_state
    from ddpg.config import TrainConfig

    given = {k: v for k, v in vars(args).items() if v is not None}
    base = {dest: defaults[constant] for constant, _, dest, *_ in FLAGS + BOOLEAN_FLAGS}
    base["results_dir"] = defaults["RESULTS_DIR"]
    results_dir = given.get("results_dir", base["results_dir"])
    if given.get("resume"):
        checkpoint = latest_checkpoint(os.path.join(results_dir, "checkpoints"))
        if checkpoint is not None:
            saved = read_state(checkpoint).get("config", {})
            base.update({k: v for k, v in saved.items() if k in base})
    base.update(given)
    for constant, _, dest, _ in PATH_FLAGS[1:]:
        if dest not in given:
            base[dest] = os.path.join(base["results_dir"], _relative_to_results(defaults, constant))
    base.pop("resume", None)
    base.pop("force", None)
    return TrainConfig(resume=bool(given.get("resume")), force=bool(given.get("force")),
                       **{k: v for k, v in base.items()
                          if k in TrainConfig.__dataclass_fields__})


def main(argv=None, defaults=None):
    prog = prog_name("ddpg-train")

    @guarded(prog)
    def run(arguments):
        parser = build_parser(defaults, prog)
        args = parser.parse_args(arguments)
        config = config_from_args(args, defaults)
        from ddpg.preflight import prepare

        prepared = prepare(config)  # refusals come before TensorFlow is imported
        from ddpg.run import run_training

        return run_training(config, prepared)

    return run(argv)


def script_main(module_globals, argv=None):
    """Entry for scripts/train_pendulum.py: its upper-case constants are the defaults."""
    defaults = {k: v for k, v in module_globals.items() if k.isupper()}
    sys.exit(main(argv, defaults))
