"""Run settings and their validation (SPEC section 7: bad input)."""
import dataclasses
import math

from ddpg.errors import UserError
from ddpg.noise import NOISE_TYPES


@dataclasses.dataclass
class TrainConfig:
    """Everything a training run is configured by; names follow the CLI flags."""

    env_id: str = "Pendulum-v1"
    max_episodes: int = 200
    max_episode_len: int = 1000
    actor_lr: float = 0.0001
    critic_lr: float = 0.001
    gamma: float = 0.99
    tau: float = 0.001
    buffer_size: int = 1000000
    minibatch_size: int = 64
    random_seed: int = 1234
    noise: str = "ou"
    render_env: bool = False
    use_gym_monitor: bool = True
    results_dir: str = "./results"
    monitor_dir: str = "./results/gym_ddpg"
    summary_dir: str = "./results/tf_ddpg"
    eval_episodes: int = 10
    force: bool = False
    resume: bool = False
    checkpoint_every: int = 10
    threads: int = 0  # 0: the CPUs this process may use
    gif: bool = True
    plot: bool = True

    def to_dict(self):
        return dataclasses.asdict(self)


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
    if not isinstance(config.eval_episodes, int) or config.eval_episodes < 0:
        raise UserError(f"--eval-episodes must be 0 or more, got {config.eval_episodes}")
    if not isinstance(config.checkpoint_every, int) or config.checkpoint_every < 0:
        raise UserError(f"--checkpoint-every must be 0 (only at the end) or more, "
                        f"got {config.checkpoint_every}")
    if not isinstance(config.threads, int) or config.threads < 0:
        raise UserError(f"--threads must be 0 (all CPUs) or more, got {config.threads}")
    if config.force and config.resume:
        raise UserError("--force and --resume contradict each other: choose one")
    if not isinstance(config.random_seed, int) or config.random_seed < 0:
        raise UserError(f"--random-seed must be a non-negative integer, got {config.random_seed}")
    if not str(config.env_id).strip():
        raise UserError("--env must name an environment")


def _positive_int(value, flag):
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise UserError(f"{flag} must be a positive integer, got {value}")


def _positive_float(value, flag):
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or value <= 0:
        raise UserError(f"{flag} must be a positive number, got {value}")
