"""Every setting of a training run, its default and its one line of help: defined once here.

The command line (`--help`), the constants at the top of
`scripts/train_pendulum.py`, the README's table, `train()`'s keyword
defaults and the `config.json` each run writes all come from, or are tested
against, `TrainConfig` below.  This module imports nothing heavy, so bad
settings are refused before TensorFlow loads.
"""
import dataclasses
import math

from ddpg.errors import UserError

NOISE_TYPES = ("ou", "gaussian", "decay", "none")

HIDDEN_INITS = ("tflearn", "fan_in")


def setting(default, help, constant=None, flag=None, aliases=()):
    """A dataclass field carrying its help line, its script constant and its flag(s).

    `aliases` are further flags for the same setting, names other libraries
    taught users to type (CleanRL's and Stable-Baselines3's --seed).
    """
    return dataclasses.field(default=default, metadata={
        "help": help, "constant": constant, "flag": flag, "aliases": tuple(aliases)})


@dataclasses.dataclass
class TrainConfig:
    """One training run.  Defaults are the 2016 tutorial's, except where noted."""

    # -- the task and the budget
    env_id: str = setting("Pendulum-v1", "Gymnasium environment id (any Box-action task)",
                          "ENV_NAME", "--env")
    preset: str = setting("tutorial", "published settings to start from: tutorial, "
                          "lillicrap2015, fujimoto2018 or td3; explicit flags override them")
    max_episodes: int = setting(
        200, "total training episodes; a resumed run continues up to this many "
        "(the tutorial's 50000 would take hours: 200 swings the pendulum up in ~80 s)",
        "MAX_EPISODES")
    total_steps: int = setting(
        0, "total environment steps instead of episodes (0: use --max-episodes); "
        "a resumed run continues up to this many")
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
    ou_sigma: float = setting(0.3, "Ornstein-Uhlenbeck sigma, in units of the half action range")
    ou_theta: float = setting(0.15, "Ornstein-Uhlenbeck mean reversion theta")
    gaussian_sigma: float = setting(0.1, "Gaussian noise sigma, in units of the half action range")
    start_steps: int = setting(0, "uniform random actions for the first N steps, before the "
                                  "policy acts")
    learning_starts: int = setting(0, "no updates before N transitions are stored "
                                      "(0: the tutorial's rule, once more than a minibatch)")
    hidden_sizes: tuple = setting((400, 300), "hidden layer sizes of both networks, "
                                              "e.g. 400,300")
    critic_action_layer: int = setting(
        2, "hidden layer where the critic receives the action: 2 (tutorial, Lillicrap et al.) "
        "or 1 (Fujimoto et al.)")
    critic_l2: float = setting(0.0, "critic L2 weight decay: adds l2/2 * sum of its squared "
                                    "weights to the critic loss")
    hidden_init: str = setting(
        "tflearn", "hidden-layer init: tflearn (truncated normal, the tutorial's) "
        "or fan_in (U[+-1/sqrt(fan-in)], the paper's)")
    # -- TD3 (Fujimoto et al. 2018): DDPG is the case with all three switches off
    twin_critics: bool = setting(
        False, "TD3: two critics; both regress to a target from the smaller of the two "
               "target critics' values")
    policy_delay: int = setting(
        1, "TD3: the actor step and every soft target update happen on every Nth critic "
           "update only (1: every update, DDPG)")
    target_noise: float = setting(
        0.0, "TD3: sigma of the Gaussian noise added to the target action, in units of the "
             "half action range (0: none, DDPG)")
    target_noise_clip: float = setting(
        0.5, "TD3: the target noise is clipped to +-this, in units of the half action range")
    random_seed: int = setting(1234, "seed for TF, NumPy and the environment", "RANDOM_SEED",
                               aliases=("--seed",))
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
    eval_episodes: int = setting(10, "noise-free evaluation episodes, after training and at "
                                     "each --eval-every (0: none)", "EVAL_EPISODES")
    eval_every: int = setting(0, "evaluate every N environment steps during training, to "
                                 "evaluations.json and TensorBoard (0: only at the end)")
    checkpoint_every: int = setting(
        10, "checkpoint every N episodes (0: only at the end and on a signal)",
        "CHECKPOINT_EVERY")
    keep_checkpoints: int = setting(
        3, "keep only the newest N checkpoints, deleting older ones as new ones are written "
           "(0: keep every one)")
    gif: bool = setting(True, "write a GIF of the trained policy")
    plot: bool = setting(True, "write the learning-curve PNG")
    # -- the machine and the results folder
    threads: int = setting(0, "TensorFlow inter-op threads (0: the CPUs this process may use)",
                           "THREADS")
    force: bool = setting(False, "replace an earlier run in the results folder")
    resume: bool = setting(False, "continue the run in the results folder from its latest "
                                  "checkpoint")

    def __post_init__(self):
        # JSON and the command line give lists or "400,300"; keep one form.
        if isinstance(self.hidden_sizes, str):
            self.hidden_sizes = parse_sizes(self.hidden_sizes)
        self.hidden_sizes = tuple(self.hidden_sizes)

    def to_dict(self):
        data = dataclasses.asdict(self)
        data["hidden_sizes"] = list(self.hidden_sizes)
        return data


def parse_sizes(text):
    try:
        sizes = tuple(int(part) for part in str(text).split(",") if part.strip())
    except ValueError:
        raise UserError(f"--hidden-sizes must be comma-separated integers, got {text!r}") from None
    return sizes


DEFAULTS = TrainConfig()
# Settings that say how to start, not what the run is: never taken from a checkpoint.
RUN_ACTIONS = ("force", "resume")

# Published settings.  Sources (section and table) are cited in the README.
PRESETS = {
    # The 2016 tutorial: the defaults above.
    "tutorial": {},
    # Lillicrap et al. 2015, section 7 (low-dimensional tasks).
    "lillicrap2015": {
        "actor_lr": 1e-4, "critic_lr": 1e-3, "critic_l2": 1e-2, "tau": 1e-3,
        "minibatch_size": 64, "gamma": 0.99, "buffer_size": 1000000,
        "noise": "ou", "ou_theta": 0.15, "ou_sigma": 0.2,
        "hidden_sizes": (400, 300), "critic_action_layer": 2, "hidden_init": "fan_in",
    },
    # Fujimoto et al. 2018, section 6.1: the re-tuned "Our DDPG".  Updates wait for
    # the random start steps to end, as the authors' later code does: updating
    # an actor against a critic fitted to random actions alone pinned HalfCheetah's
    # actions at their bounds (seed 0 scored -600 throughout 40k steps), and did the
    # same to Walker2d (2 of 2 seeds) and Hopper (1 of 2) after 1,000 start steps.
    "fujimoto2018": {
        "actor_lr": 1e-3, "critic_lr": 1e-3, "critic_l2": 0.0, "tau": 5e-3,
        "minibatch_size": 100, "gamma": 0.99, "buffer_size": 1000000,
        "noise": "gaussian", "gaussian_sigma": 0.1,
        "hidden_sizes": (400, 300), "critic_action_layer": 1, "hidden_init": "fan_in",
        "start_steps": 1000, "learning_starts": 1000, "eval_every": 5000, "eval_episodes": 10,
    },
}
# Fujimoto et al. 2018, Algorithm 1 with the settings of section 6.1 and the
# supplementary material: "Our DDPG" plus twin critics, target-policy
# smoothing (noise 0.2 clipped at 0.5) and an actor and targets updated on
# every second critic update.  Updates wait for the random start steps as in
# fujimoto2018 (and the authors' published code).
PRESETS["td3"] = dict(PRESETS["fujimoto2018"], twin_critics=True, policy_delay=2,
                      target_noise=0.2, target_noise_clip=0.5)
# Task-specific values inside a preset, by the task's name without its version.
_LONG_START = {
    "HalfCheetah": {"start_steps": 10000, "learning_starts": 10000},
    "Ant": {"start_steps": 10000, "learning_starts": 10000},
}
PRESET_TASK_SETTINGS = {"fujimoto2018": _LONG_START, "td3": _LONG_START}
# Settings that take one of a few names: the flags' choices and a settings file's check.
CHOICES = {"noise": NOISE_TYPES, "preset": tuple(PRESETS), "hidden_init": HIDDEN_INITS}


def task_name(env_id):
    """'HalfCheetah-v5' -> 'HalfCheetah' (and 'gymnasium_robotics:X-v1' -> 'X')."""
    return str(env_id).split(":")[-1].split("/")[-1].split("-v")[0]


def preset_values(preset, env_id):
    """{field: value} that `preset` sets for `env_id`; UserError for an unknown preset."""
    if preset not in PRESETS:
        raise UserError(f"--preset must be one of {', '.join(PRESETS)}, got {preset!r}")
    values = dict(PRESETS[preset])
    values.update(PRESET_TASK_SETTINGS.get(preset, {}).get(task_name(env_id), {}))
    return values


def resolve(preset=None, overrides=None, defaults=None):
    """TrainConfig from defaults, then the preset's values, then explicit overrides.

    `overrides` are the settings a user gave explicitly (flags, a sweep's
    grid); they always win.  The preset is taken from `overrides`, then
    `preset`, then the defaults.
    """
    values = dict(defaults or DEFAULTS.to_dict())
    overrides = dict(overrides or {})
    values["preset"] = overrides.get("preset") or preset or values["preset"]
    env_id = overrides.get("env_id", values["env_id"])
    values.update(preset_values(values["preset"], env_id))
    values.update(overrides)
    unknown = set(values) - {f.name for f in fields()}
    if unknown:
        raise UserError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    return TrainConfig(**values)


def parse_value(name, text):
    """A command-line string as the type of setting `name` (for --grid and the like)."""
    field = {f.name: f for f in fields()}.get(name)
    if field is None:
        raise UserError(f"unknown setting {name!r}; settings are: "
                        + ", ".join(f.name for f in fields()))
    kind = field.type if isinstance(field.type, type) else type(field.default)
    try:
        if kind is bool:
            lowered = str(text).strip().lower()
            if lowered not in ("true", "false", "1", "0", "yes", "no", "on", "off"):
                raise ValueError(text)
            return lowered in ("true", "1", "yes", "on")
        if kind is tuple:
            return parse_sizes(text)
        return kind(text)
    except ValueError:
        raise UserError(f"{flag_of(field)} needs a {kind.__name__}, got {text!r}") from None


def fields():
    return dataclasses.fields(TrainConfig)


def flag_of(field):
    return field.metadata.get("flag") or "--" + field.name.replace("_", "-")


def flags_of(field):
    """Every flag of a setting: its own first, then its aliases."""
    return (flag_of(field),) + tuple(field.metadata.get("aliases") or ())


# TD3's three switches and what each is called; DDPG is the case with all three off.
TD3_SWITCHES = (("twin_critics", "twin critics", lambda v: bool(v)),
                ("policy_delay", "a delayed actor", lambda v: int(v) > 1),
                ("target_noise", "target smoothing", lambda v: float(v) > 0))


def algorithm_name(values):
    """'TD3', 'DDPG', or 'DDPG with ...' naming the TD3 switches that are on.

    `values` is a run's settings (a TrainConfig or its dict).  Named by what
    ran, not by the preset: a td3 preset with a switch turned off is not the
    paper's TD3, and a run with only some switches on is DDPG plus those.
    """
    if isinstance(values, TrainConfig):
        values = values.to_dict()
    on = [label for name, label, test in TD3_SWITCHES
          if test(values.get(name, getattr(DEFAULTS, name)))]
    if len(on) == len(TD3_SWITCHES):
        return "TD3"
    if not on:
        return "DDPG"
    return "DDPG with " + " and ".join(on)


def constants():
    """{script constant name: field name} for the settings the script exposes."""
    return {f.metadata["constant"]: f.name for f in fields() if f.metadata.get("constant")}


def settings_table():
    """The README's table of settings, as Markdown, generated from TrainConfig."""
    lines = ["| setting | flag | constant | default | meaning |",
             "| --- | --- | --- | --- | --- |"]
    for f in fields():
        constant = f"`{f.metadata['constant']}`" if f.metadata.get("constant") else ""
        flags = ", ".join(f"`{flag}`" for flag in flags_of(f))
        lines.append(f"| `{f.name}` | {flags} | {constant} | `{f.default}` | "
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
    _non_negative_int(config.keep_checkpoints, "--keep-checkpoints", " (keep every one)")
    _non_negative_int(config.threads, "--threads", " (all CPUs)")
    if config.force and config.resume:
        raise UserError("--force and --resume contradict each other: choose one")
    if not isinstance(config.random_seed, int) or config.random_seed < 0:
        raise UserError(f"--random-seed must be a non-negative integer, got {config.random_seed}")
    if not str(config.env_id).strip():
        raise UserError("--env must name an environment")
    preset_values(config.preset, config.env_id)
    for name in ("total_steps", "eval_every", "start_steps", "learning_starts"):
        _non_negative_int(getattr(config, name), flag_of(_field(name)), "")
    if not config.hidden_sizes or any(isinstance(n, bool) or not isinstance(n, int) or n <= 0
                                      for n in config.hidden_sizes):
        raise UserError(f"--hidden-sizes must be positive integers, got "
                        f"{','.join(map(str, config.hidden_sizes)) or 'nothing'}")
    if config.critic_action_layer not in range(1, len(config.hidden_sizes) + 1):
        raise UserError(f"--critic-action-layer must be a hidden layer, 1 to "
                        f"{len(config.hidden_sizes)}, got {config.critic_action_layer}")
    _positive_int(config.policy_delay, "--policy-delay")
    for name in ("critic_l2", "ou_sigma", "ou_theta", "gaussian_sigma", "target_noise",
                 "target_noise_clip"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) \
                or not math.isfinite(value) or value < 0:
            raise UserError(f"{flag_of(_field(name))} must be 0 or more, got {value}")
    if config.hidden_init not in HIDDEN_INITS:
        raise UserError(f"--hidden-init must be one of {', '.join(HIDDEN_INITS)}, "
                        f"got {config.hidden_init!r}")


def _field(name):
    return next(f for f in fields() if f.name == name)


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
