"""What a study searches: the ranges of the settings it samples, checked before anything runs.

A space maps setting names (those of `ddpg.config.TrainConfig`) to how a
value is drawn, in a JSON or YAML file of this shape:

    {"tau":            {"type": "float", "low": 0.001, "high": 0.08, "log": true},
     "gamma":          {"type": "float", "low": 0.0001, "high": 0.03, "log": true,
                        "sample": "one_minus"},
     "minibatch_size": {"type": "categorical", "choices": [64, 128, 256]},
     "gaussian_sigma": {"type": "float", "low": 0.0, "high": 1.0,
                        "when": {"noise": "gaussian"}},
     "learning_starts": {"type": "categorical", "choices": [0, 1000],
                         "also": ["start_steps"]}}

`sample: one_minus` draws 1 - value (RL Zoo's way with the discount: its
interesting range is near 1, where a log scale on 1 - gamma spreads the
draws evenly).  `when` draws the setting only when earlier settings (or the
base's) have those values, so a noise scale is drawn for the noise in use.
`also` gives the drawn value to further settings (the random start steps
and the first update wait for the same thing).

The built-in spaces follow RL Zoo's TD3/DDPG ranges (rl_zoo3/hyperparams_opt.py)
over the settings this package has.  Nothing here imports Optuna or Ray:
a bad space is refused in well under a second.
"""
import math

from ddpg import config as settings
from ddpg.errors import UserError

TYPES = ("float", "int", "categorical")
ENTRY_KEYS = {"type", "low", "high", "log", "choices", "sample", "when", "also"}
# Settings that say where, how long or how a run is watched: the study sets them.
NOT_TUNABLE = {"env_id", "preset", "max_episodes", "total_steps", "random_seed", "render_env",
               "use_gym_monitor", "results_dir", "monitor_dir", "summary_dir", "eval_episodes",
               "eval_every", "checkpoint_every", "keep_checkpoints", "gif", "plot", "threads",
               "force", "resume"}
# Settings that only act with TD3's twin critics on (ddpg.config.TD3_SWITCHES).
TD3_ONLY = ("policy_delay", "target_noise", "target_noise_clip")

_COMMON = {
    "gamma": {"type": "float", "low": 1e-4, "high": 0.03, "log": True, "sample": "one_minus"},
    "actor_lr": {"type": "float", "low": 1e-5, "high": 2e-3, "log": True},
    "critic_lr": {"type": "float", "low": 1e-5, "high": 2e-3, "log": True},
    "tau": {"type": "float", "low": 1e-3, "high": 0.08, "log": True},
    "minibatch_size": {"type": "categorical", "choices": [32, 64, 128, 256, 512]},
    # RL Zoo's small, medium and big networks.
    "hidden_sizes": {"type": "categorical", "choices": [[64, 64], [256, 256], [400, 300]]},
    "noise": {"type": "categorical", "choices": ["gaussian", "ou"]},
    "gaussian_sigma": {"type": "float", "low": 0.0, "high": 1.0, "when": {"noise": "gaussian"}},
    "ou_sigma": {"type": "float", "low": 0.0, "high": 1.0, "when": {"noise": "ou"}},
    "learning_starts": {"type": "categorical", "choices": [0, 1000, 10000],
                        "also": ["start_steps"]},
}
BUILT_IN = {
    "ddpg": dict(_COMMON),
    "td3": dict(_COMMON,
                policy_delay={"type": "categorical", "choices": [1, 2, 3]},
                target_noise={"type": "float", "low": 0.05, "high": 0.5}),
}


def default_space_name(base):
    """'td3' when the base runs twin critics, else 'ddpg'."""
    return "td3" if base.twin_critics else "ddpg"


def load(name_or_path):
    """(name, space dict) of a built-in space's name or a JSON/YAML file's path."""
    if name_or_path in BUILT_IN:
        return name_or_path, {k: dict(v) for k, v in BUILT_IN[name_or_path].items()}
    from ddpg import config_file

    where = f"--space {name_or_path}"
    space = config_file._load(str(name_or_path), where)
    if not isinstance(space, dict):
        raise UserError(f"{where} must map setting names to ranges, e.g. "
                        '{"tau": {"type": "float", "low": 0.001, "high": 0.08, "log": true}}')
    return name_or_path, space


def check(space, base):
    """UserError with one line for the first entry that cannot be searched.

    `base` is the TrainConfig every candidate starts from: each range's ends
    (and each choice) must make a run that `ddpg.config.validate` accepts,
    so that no candidate fails on settings the space allowed.
    """
    if not isinstance(space, dict) or not space:
        raise UserError("--space: the space is empty: name at least one setting to search")
    known = {f.name for f in settings.fields()}
    seen = []
    for name, entry in space.items():
        where = f"--space: {name}"
        if name not in known:
            raise UserError(f"{where} is not a training setting; settings are listed by "
                            "ddpg-train --help")
        if name in NOT_TUNABLE:
            raise UserError(f"{where} is set by the study itself (its own flag), not searched")
        if not isinstance(entry, dict):
            raise UserError(f"{where} must be a mapping such as "
                            '{"type": "float", "low": 0.001, "high": 0.01}')
        unknown = sorted(set(entry) - ENTRY_KEYS)
        if unknown:
            raise UserError(f"{where} has unknown key(s) {', '.join(unknown)}; keys are "
                            + ", ".join(sorted(ENTRY_KEYS)))
        _check_kind(name, entry, where)
        _check_when(name, entry, seen, space, where)
        for other in entry.get("also") or []:
            if other not in known or other in NOT_TUNABLE or other == name:
                raise UserError(f"{where}: also names {other!r}, which cannot take its value")
            if type(getattr(settings.DEFAULTS, other)) is not type(getattr(settings.DEFAULTS,
                                                                           name)):
                raise UserError(f"{where}: also names {other}, a setting of another type")
        for value in extremes(entry):
            _check_runs(name, entry, value, base, where)
        seen.append(name)
    _check_algorithm(space, base)


def extremes(entry):
    """The values a range can reach at its ends, or every choice (as the setting takes them)."""
    if entry["type"] == "categorical":
        return [_setting_value(entry, c) for c in entry["choices"]]
    return [_setting_value(entry, entry["low"]), _setting_value(entry, entry["high"])]


def _setting_value(entry, drawn):
    if entry.get("sample") == "one_minus":
        return 1.0 - drawn
    if isinstance(drawn, list):
        return tuple(drawn)
    return drawn


def _check_kind(name, entry, where):
    default = getattr(settings.DEFAULTS, name)
    kind = entry.get("type")
    if kind not in TYPES:
        raise UserError(f"{where}: type must be one of {', '.join(TYPES)}, got {kind!r}")
    if kind == "categorical":
        choices = entry.get("choices")
        if not isinstance(choices, list) or not choices:
            raise UserError(f"{where}: choices must be a non-empty list")
        if len({repr(c) for c in choices}) != len(choices):
            raise UserError(f"{where}: choices repeat a value")
        for choice in choices:
            if not _fits(default, choice):
                raise UserError(f"{where}: choice {choice!r} is not a "
                                f"{type(default).__name__} value")
        for key in ("low", "high", "log", "sample"):
            if key in entry:
                raise UserError(f"{where}: {key} does not go with type categorical")
        return
    if isinstance(default, bool) or not isinstance(default, (int, float)):
        raise UserError(f"{where} is a {type(default).__name__} setting: search it with "
                        f"type categorical and a list of choices")
    if kind == "int" and not isinstance(default, int):
        raise UserError(f"{where} takes decimals: use type float")
    if kind == "float" and isinstance(default, int):
        raise UserError(f"{where} takes whole numbers: use type int or categorical")
    if "choices" in entry:
        raise UserError(f"{where}: choices go with type categorical only")
    low, high = entry.get("low"), entry.get("high")
    for label, value in (("low", low), ("high", high)):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or (kind == "int" and not isinstance(value,
                                                                                         int)):
            wanted = "an integer" if kind == "int" else "a number"
            raise UserError(f"{where}: {label} must be {wanted}, got {value!r}")
    if not low < high:
        raise UserError(f"{where}: the range {low} to {high} is empty (low must be below high)")
    if not isinstance(entry.get("log", False), bool):
        raise UserError(f"{where}: log must be true or false")
    if entry.get("log") and low <= 0:
        raise UserError(f"{where}: a log range needs low above 0, got {low}")
    sample = entry.get("sample")
    if sample is not None and (sample != "one_minus" or kind != "float"):
        raise UserError(f"{where}: sample may only be one_minus, on a float range")


def _fits(default, value):
    if isinstance(default, bool):
        return isinstance(value, bool)
    if isinstance(default, tuple):
        return isinstance(value, list) and value and all(
            isinstance(n, int) and not isinstance(n, bool) for n in value)
    if isinstance(default, float):
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    return isinstance(value, type(default)) and not isinstance(value, bool)


def _check_when(name, entry, seen, space, where):
    when = entry.get("when")
    if when is None:
        return
    if not isinstance(when, dict) or not when:
        raise UserError(f"{where}: when must map settings to values, e.g. "
                        '{"noise": "gaussian"}')
    for other in when:
        if other in space and other not in seen:
            raise UserError(f"{where}: when names {other}, which the space draws later: "
                            "list it first")
        if other not in {f.name for f in settings.fields()}:
            raise UserError(f"{where}: when names {other!r}, not a training setting")


def _check_runs(name, entry, value, base, where):
    values = base.to_dict()
    values[name] = value
    for other in entry.get("also") or []:
        values[other] = value
    try:
        settings.validate(settings.TrainConfig(**values))
    except UserError as exc:
        raise UserError(f"{where}: the value {_show(value)} cannot run ({exc})") from None


def _check_algorithm(space, base):
    if base.twin_critics or "twin_critics" in space:
        return
    named = [n for n in TD3_ONLY if n in space]
    if named:
        raise UserError(
            f"--space: {', '.join(named)} only act with twin critics, and the base preset "
            f"{base.preset} runs DDPG without them: use --preset td3 (a TD3 base), or "
            f"drop {', '.join(named)} from the space")


def _show(value):
    return ",".join(map(str, value)) if isinstance(value, tuple) else repr(value)


def param_name(name, entry):
    """The name Optuna knows a draw by (1 - gamma is not gamma)."""
    return f"one_minus_{name}" if entry.get("sample") == "one_minus" else name


class Sampler:
    """Optuna's define-by-run space: draws each entry whose `when` holds.

    A class, not a closure: Ray Tune pickles the searcher, with its space,
    into the study's state, and `--resume` unpickles it.
    """

    def __init__(self, space, base_values):
        self.space = space
        self.base_values = dict(base_values)

    def __call__(self, trial):
        drawn = {}
        for name, entry in self.space.items():
            if not self._applies(entry, drawn):
                continue
            key = param_name(name, entry)
            if entry["type"] == "categorical":
                value = trial.suggest_categorical(key, [_as_param(c) for c in entry["choices"]])
            elif entry["type"] == "int":
                value = trial.suggest_int(key, entry["low"], entry["high"],
                                          log=bool(entry.get("log")))
            else:
                value = trial.suggest_float(key, entry["low"], entry["high"],
                                            log=bool(entry.get("log")))
            drawn[name] = to_setting(name, entry, value)

    def _applies(self, entry, drawn):
        return all(_same(drawn.get(k, self.base_values.get(k)), v)
                   for k, v in (entry.get("when") or {}).items())


def _same(a, b):
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return list(a) == list(b)
    return a == b


def _as_param(choice):
    """Optuna's categorical choices are scalars: a list of sizes becomes '400,300'."""
    return ",".join(map(str, choice)) if isinstance(choice, list) else choice


def to_setting(name, entry, value):
    if entry.get("sample") == "one_minus":
        return 1.0 - value
    if isinstance(getattr(settings.DEFAULTS, name), tuple) and isinstance(value, str):
        return settings.parse_sizes(value)
    return value


def settings_of(params, space):
    """{setting: value} of a candidate from Optuna's params (with `also` copies)."""
    chosen = {}
    for name, entry in space.items():
        key = param_name(name, entry)
        if key in params:
            chosen[name] = to_setting(name, entry, params[key])
            for other in entry.get("also") or []:
                chosen[other] = chosen[name]
    return chosen


def distributions(space):
    """{param: Optuna distribution}: to rebuild a study's trials for its plots."""
    import optuna

    found = {}
    for name, entry in space.items():
        key = param_name(name, entry)
        if entry["type"] == "categorical":
            found[key] = optuna.distributions.CategoricalDistribution(
                [_as_param(c) for c in entry["choices"]])
        elif entry["type"] == "int":
            found[key] = optuna.distributions.IntDistribution(
                entry["low"], entry["high"], log=bool(entry.get("log")))
        else:
            found[key] = optuna.distributions.FloatDistribution(
                entry["low"], entry["high"], log=bool(entry.get("log")))
    return found
