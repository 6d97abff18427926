"""Every setting of a training run, its default and its one line of help: defined once here.

The command line (`--help`), the constants at the top of
`scripts/train_pendulum.py`, the README's table, `train()`'s keyword
defaults and the `config.json` each run writes all come from, or are tested
against, `TrainConfig` below.  This module imports nothing heavy, so bad
settings are refused before TensorFlow loads.
"""
import dataclasses
import math

from ddpg.core.noise import NOISE_TYPES
from ddpg.errors import UserError


def setting(default, help, constant=None, flag=None):
    """A dataclass field carrying its help line, its script constant and its flag."""
    return dataclasses.field(default=default, metadata={
        "help": help, "constant": constant, "flag": flag})


@dataclasses.dataclass
class TrainConfig:
    """One training run.  Defaults are the 2016 tutorial's, except where noted."""

    # -- the task
    env_id: str = setting("Pendulum-v1", "Gymnasium environment id (any Box-action task)",
                          "ENV_NAME", "--env")
    max_episodes: int = setting(
        200, "total training episodes; a resumed run continues up to this many "
        "(the tutorial's 50000 would take hours: 200 swings the pendulum up in ~80 s)",
        "MAX_EPISODES")
    max_episode_len: int = setting(
        1000, "step limit per episode (the environment's own time limit may end it sooner)",
        "MAX_EP_STEPS")
    # -- the algorithm
    actor_lr: float = setting(0.0001, "actor Adam learning rate", "ACTOR_LEARNING_RATE")
    critic_lr: float = setting(0.001, "critic Adam learning rate", "CRITIC_LEARNING_RATE")
    gamma: float = setting(0.99, "discount factor, in [0, 1]", "GAMMA")
    tau: float = setting(0.001, "soft target update rate, in (0, 1]", "TAU")
    buffer_size: int = setting(1000000, "replay buffer capacity (transitions)", "BUFFER_SIZE")
    minibatch_size: int = setting(64, "minibatch size", "MINIBATCH_SIZE")
    noise: str = setting("ou", "exploration noise: " + ", ".join(NOISE_TYPES), "NOISE")
    random_seed: int = setting(1234, "seed for TF, NumPy and the environment", "RANDOM_SEED")
    # -- outputs
    render_env: bool = setting(
        False, "show the environment: a window with a display, else Monitor videos "
        "(the tutorial rendered; most training machines have no screen)", "RENDER_ENV")
    use_gym_monitor: bool = setting(True, "record gym Monitor files in the monitor folder",
                                    "GYM_MONITOR_EN")
    results_dir: str = setting("./results", "root of the run's outputs", "RESULTS_DIR")
    monitor_dir: str = setting("./results/gym_ddpg",
                               "gym Monitor files (default: <results-dir>/gym_ddpg)",
                               "MONITOR_DIR")
    summary_dir: str = setting("./results/tf_ddpg",
                               "TensorBoard event files (default: <results-dir>/tf_ddpg)",
                               "SUMMARY_DIR")
    eval_episodes: int = setting(10, "noise-free evaluation episodes after training (0: none)",
                                 "EVAL_EPISODES")
    checkpoint_every: int = setting(
        10, "checkpoint every N episodes (0: only at the end and on a signal)",
        "CHECKPOINT_EVERY")
    gif: bool = setting(True, "write a GIF of the trained policy")
    plot: bool = setting(True, "write the learning-curve PNG")
    # -- the machine and the results folder
    threads: int = setting(0, "TensorFlow inter-op threads (0: the CPUs this process may use)",
                           "THREADS")
    force: bool = setting(False, "replace an earlier run in the results folder")
    resume: bool = setting(False, "continue the run in the results folder from its latest "
                                  "checkpoint")

    def to_dict(self):
        return dataclasses.asdict(self)


DEFAULTS = TrainConfig()
# Settings that say how to start, not what the run is: never taken from a checkpoint.
RUN_ACTIONS = ("force", "resume")


def fields():
    return dataclasses.fields(TrainConfig)


def flag_of(field):
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def constants():
    """{script constant name: field name} for the settings the script exposes."""
    return {f.metadata["constant"]: f.name for f in fields() if f.metadata.get("constant")}


def settings_table():
    """The README's table of settings, as Markdown, generated from TrainConfig."""
    lines = ["| setting | flag | constant | default | meaning |",
             "| --- | --- | --- | --- | --- |"]
    for f in fields():
        constant = f"`{f.metadata['constant']}`" if f.metadata.get("constant") else ""
        lines.append(f"| `{f.name}` | `{flag_of(f)}` | {constant} | `{f.default}` | "
                     f"{f.metadata['help']} |")
    return "\n".join(lines) + "\n"


def validate(config):
    """Raise UserError naming the first setting that cannot work."""
    _positive_int(config.max_episodes, "--max-episodes")
    _positive_int(config.max_episode_len, "--max-episode-len")
    _positive_int(config.buffer_size, "--buffer-size")
    _positive_int(config.minibatch_size, "--minibatch-size")
    _positive_float(config.actor_lr, "--actor-lr")
    _positive_float(config.critic_lr, "--critic-lr")
    if not (isinstance(config.tau, (int, float)) and 0.0 < config.tau <= 1.0):
        raise UserError(f"--tau must be in (0, 1], got {config.tau}")
    if not (isinstance(config.gamma, (int, float)) and 0.0 <= config.gamma <= 1.0):
        raise UserError(f"--gamma must be in [0, 1], got {config.gamma}")
    if config.minibatch_size > config.buffer_size:
        raise UserError(f"--minibatch-size {config.minibatch_size} is larger than "
                        f"--buffer-size {config.buffer_size}")
    if config.noise not in NOISE_TYPES:
        raise UserError(f"--noise must be one of {', '.join(NOISE_TYPES)}, got {config.noise!r}")
    _non_negative_int(config.eval_episodes, "--eval-episodes", "")
    _non_negative_int(config.checkpoint_every, "--checkpoint-every", " (only at the end)")
    _non_negative_int(config.threads, "--threads", " (all CPUs)")
    if config.force and config.resume:
        raise UserError("--force and --resume contradict each other: choose one")
    if not isinstance(config.random_seed, int) or config.random_seed < 0:
        raise UserError(f"--random-seed must be a non-negative integer, got {config.random_seed}")
    if not str(config.env_id).strip():
        raise UserError("--env must name an environment")


def _positive_int(value, flag):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise UserError(f"{flag} must be a positive integer, got {value}")


def _non_negative_int(value, flag, zero_means):
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UserError(f"{flag} must be 0{zero_means} or more, got {value}")


def _positive_float(value, flag):
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise UserError(f"{flag} must be a positive number, got {value}")


if __name__ == "__main__":  # python -m ddpg.config: the README table
    print(settings_table(), end="")
