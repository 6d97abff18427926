"""What a sweep runs: the grid of tasks x settings x seeds, and its checks.

Nothing here imports Ray or TensorFlow, so a bad grid is refused in well
under a second, before any cluster starts.  A sweep is a `SweepSpec`
(saved as sweep.json in its storage folder, so `--resume` needs nothing
else) that expands into `Trial`s; each trial is one ordinary training run
with its own results folder at a path that depends only on its settings,
which is what lets a restarted trial find its own checkpoints.
"""
import dataclasses
import itertools
import os
import re

from ddpg import config as settings
from ddpg.errors import UserError, first_line

# The TD3 paper's Table 1 tasks (Fujimoto et al. 2018), as Gymnasium's v5 versions.
SUITES = {
    "td3-paper": {
        "envs": ["HalfCheetah-v5", "Hopper-v5", "Walker2d-v5", "Ant-v5", "Reacher-v5",
                 "InvertedPendulum-v5", "InvertedDoublePendulum-v5"],
        "preset": "fujimoto2018",
        "total_steps": 1000000,
        "seeds": "0-9",
    },
}
# Settings a sweep sets itself, each from its own flag.
NOT_IN_GRID = {
    "env_id": "--env", "random_seed": "--seeds", "threads": "--cpus-per-trial",
    "results_dir": "--storage", "monitor_dir": "--storage", "summary_dir": "--storage",
    "force": "--force", "resume": "--resume", "render_env": None,
}
# A sweep's trials write no GIF and no per-run PNG: the report draws the curves.
TRIAL_FIXED = {"gif": False, "plot": False, "render_env": False, "use_gym_monitor": True}
RUNS = "runs"


@dataclasses.dataclass
class Trial:
    """One training run of a sweep."""

    env_id: str
    seed: int
    variant: dict  # grid settings of this trial, {name: value}
    folder: str  # relative to the sweep's storage folder
    # The report's name for the trial's row when its folder names no settings
    # (a study's candidate, runs/<env>/cand-0007/seed-3); sweep_trial.json keeps it.
    label: str = None

    @property
    def trial_id(self):
        return self.folder[len(RUNS) + 1:] if self.folder.startswith(RUNS + "/") else self.folder

    @property
    def group(self):
        """Task and grid variant: the seeds of one group form a row of the report."""
        if self.label:
            return f"{self.env_id} {self.label}"
        return task_label(self.env_id, self.variant)

    def to_dict(self):
        data = {"env_id": self.env_id, "seed": self.seed, "variant": _jsonable(self.variant),
                "folder": self.folder}
        if self.label:  # absent otherwise: a resumed sweep's trials keep the dicts they had
            data["label"] = self.label
        return data

    @classmethod
    def from_dict(cls, data):
        return cls(data["env_id"], int(data["seed"]), dict(data.get("variant") or {}),
                   data["folder"], data.get("label") or None)


@dataclasses.dataclass
class SweepSpec:
    """Everything that defines a sweep; sweep.json holds it."""

    name: str
    envs: list
    seeds: list
    preset: str = None
    grid: dict = dataclasses.field(default_factory=dict)  # {name: [values]}
    fixed: dict = dataclasses.field(default_factory=dict)  # settings for every trial
    suite: str = None
    cpus_per_trial: float = 1
    max_failures: int = 3
    # Named settings sets instead of a grid: [[label, {name: value}], ...].  A
    # study's candidates differ in many settings at once, which no product of
    # values describes and no folder name could spell; the label names the folder.
    variants: list = dataclasses.field(default_factory=list)

    def trials(self):
        """Every trial: tasks x grid combinations (or variants) x seeds, in that order."""
        if self.variants:
            return [Trial(env_id, seed, dict(values), labelled_folder(env_id, label, seed), label)
                    for env_id in self.envs for label, values in self.variants
                    for seed in self.seeds]
        names = list(self.grid)
        combos = [dict(zip(names, values))
                  for values in itertools.product(*(self.grid[n] for n in names))] or [{}]
        return [Trial(env_id, seed, combo, trial_folder(env_id, combo, seed))
                for env_id in self.envs for combo in combos for seed in self.seeds]

    def to_dict(self):
        data = dataclasses.asdict(self)
        # Pairs, not a mapping: JSON writers sort keys, and the grid's order
        # names the trials' folders.
        data["grid"] = [[k, [_jsonable(v) for v in vs]] for k, vs in self.grid.items()]
        data["fixed"] = {k: _jsonable(v) for k, v in self.fixed.items()}
        data["variants"] = [[label, {k: _jsonable(v) for k, v in values.items()}]
                            for label, values in self.variants]
        if not data["variants"]:
            del data["variants"]  # sweep.json files of grid sweeps stay as they were
        return data

    @classmethod
    def from_dict(cls, data):
        known = {f.name for f in dataclasses.fields(cls)}
        spec = cls(**{k: v for k, v in data.items() if k in known})
        pairs = spec.grid.items() if isinstance(spec.grid, dict) else spec.grid
        spec.grid = {k: [_from_json(k, v) for v in vs] for k, vs in pairs}
        spec.fixed = {k: _from_json(k, v) for k, v in spec.fixed.items()}
        spec.variants = [[label, {k: _from_json(k, v) for k, v in values.items()}]
                         for label, values in spec.variants or []]
        return spec


def trial_config(spec, trial, storage, threads=None):
    """The TrainConfig of one trial: the same settings `ddpg-train` would build.

    Defaults, then the preset (with its per-task values), then the sweep's
    flags, then the trial's grid values; the folders are the trial's own.
    """
    results_dir = os.path.join(storage, trial.folder)
    overrides = dict(spec.fixed)
    overrides.update(trial.variant)
    overrides.update(TRIAL_FIXED)
    overrides.update(env_id=trial.env_id, random_seed=trial.seed, results_dir=results_dir,
                     monitor_dir=os.path.join(results_dir, "gym_ddpg"),
                     summary_dir=os.path.join(results_dir, "tf_ddpg"),
                     threads=int(threads if threads is not None else max(1, spec.cpus_per_trial)),
                     force=False, resume=False)
    return settings.resolve(preset=spec.preset, overrides=overrides)


def parse_seeds(text):
    """'0-9', '3', '0,2,5' or '0-2,7' -> a sorted list of distinct seeds."""
    seeds = set()
    for part in str(text).split(","):
        part = part.strip()
        match = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not match:
            raise UserError(f"--seeds takes numbers and ranges such as 0-9 or 0,3,5; got {text!r}")
        low = int(match.group(1))
        high = int(match.group(2)) if match.group(2) is not None else low
        if high < low:
            raise UserError(f"--seeds range {part} is empty (its end is below its start)")
        seeds.update(range(low, high + 1))
    return sorted(seeds)


def parse_grid(items):
    """['tau=0.001,0.005', ...] -> {'tau': [0.001, 0.005]}.

    Values are split on ';' when there is one, else on ','; settings whose
    value is itself a list (hidden_sizes=400,300) are split on ';' only.
    """
    grid = {}
    for item in items or []:
        name, sep, text = str(item).partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name:
            raise UserError(f"--grid takes KEY=V1,V2 (e.g. tau=0.001,0.005); got {item!r}")
        check_setting_name(name, "--grid")
        if name in grid:
            raise UserError(f"--grid gives {name} twice; put all its values in one --grid")
        is_list = isinstance(getattr(settings.DEFAULTS, name), tuple)
        separator = ";" if (";" in text or is_list) else ","
        parts = [part.strip() for part in text.split(separator)]
        if not any(parts):
            raise UserError(f"--grid {name}= has no values: the grid would be empty")
        if not all(parts):
            raise UserError(f"--grid {name}={text} has an empty value")
        values = [settings.parse_value(name, part) for part in parts]
        if len(set(map(repr, values))) != len(values):
            raise UserError(f"--grid {name}={text} repeats a value")
        grid[name] = values
    return grid


def check_setting_name(name, flag):
    known = {f.name for f in settings.fields()}
    if name not in known:
        raise UserError(f"{flag}: unknown training setting {name!r}; settings are: "
                        + ", ".join(sorted(known - set(NOT_IN_GRID))))
    if name in NOT_IN_GRID:
        instead = NOT_IN_GRID[name]
        raise UserError(f"{flag}: {name} is set by the sweep itself"
                        + (f"; use {instead}" if instead else ""))


def check_envs(env_ids):
    """UserError for an id Gymnasium does not know or DDPG cannot act in."""
    from ddpg.envs import make_env

    if not env_ids:
        raise UserError("no task to run: give --env ID [ID ...] or --suite NAME")
    for env_id in dict.fromkeys(env_ids):
        env = make_env(env_id)
        env.close()


def check_trials(spec, storage):
    """Resolve every trial's settings; returns {trial_id: error line} for invalid ones.

    A setting that no trial can use is bad input (UserError).  When only
    some grid values are invalid, those trials will fail with that line and
    the others run: the caller says so before starting.
    """
    bad = {}
    trials = spec.trials()
    if not trials:
        raise UserError("the sweep has no trials: the grid is empty")
    for trial in trials:
        try:
            settings.validate(trial_config(spec, trial, storage))
        except UserError as exc:
            bad[trial.trial_id] = first_line(exc)
    if len(bad) == len(trials):
        raise UserError(next(iter(bad.values())))
    return bad


def task_label(env_id, variant):
    if not variant:
        return env_id
    return env_id + " " + " ".join(f"{k}={format_value(v)}" for k, v in variant.items())


def trial_folder(env_id, variant, seed):
    """runs/<env>[/<grid values>]/seed-<n>: the same settings, the same folder."""
    parts = [RUNS, _safe(env_id)]
    if variant:
        parts.append(_safe("_".join(f"{k}={format_value(v)}" for k, v in variant.items())))
    parts.append(f"seed-{seed}")
    return "/".join(parts)


def labelled_folder(env_id, label, seed):
    """runs/<env>/<label>/seed-<n>: a variant's folder, named by its label alone."""
    return "/".join([RUNS, _safe(env_id), _safe(label), f"seed-{seed}"])


def format_value(value):
    if isinstance(value, (list, tuple)):
        return "x".join(map(str, value))
    return str(value)


def _safe(text):
    return re.sub(r"[^A-Za-z0-9._=+-]", "_", str(text))


def _jsonable(value):
    return list(value) if isinstance(value, tuple) else value


def _from_json(name, value):
    if isinstance(value, list) and isinstance(getattr(settings.DEFAULTS, name, None), tuple):
        return tuple(value)
    return value
