"""The trials of one or more sweep folders, merged into groups of comparable seeds.

A report may combine sweeps run at different times or on different machines.
Each trial is identified by its task, its settings group (the resolved
preset plus the grid values it ran with) and its seed, all read from the
files in its folder, so a folder copied elsewhere (benchmarks/) is read the
same way as the sweep folder it came from.  Two refusals keep the merge
honest, each one line and before anything is written:

- the same trial in two folders (which one would count?), unless one folder
  is the other's collected copy (--collect into a folder that is also a
  source) and its evidence files are byte for byte the same;
- a group whose trials are not comparable: different step budgets,
  evaluation intervals, evaluation episodes or other training settings.
"""
import dataclasses
import json
import os
import re

from ddpg import config as training_settings
from ddpg.errors import UserError
from ddpg.sweep.grid import RUNS, SweepSpec
from ddpg.sweep.trial import STATUS_FILE

SPEC_FILE = "sweep.json"  # written by ddpg.sweep.runner.save_spec
MERGED_SPECS = "sweeps.json"  # the specs of every sweep a collected folder holds
CONFIG_FILE = "config.json"
MONITOR_DIR = "gym_ddpg"
# Files whose presence makes a folder under runs/ a trial that started.
TRIAL_FILES = (CONFIG_FILE, STATUS_FILE, "evaluations.json", "evaluation.json")
# The small files of a trial that a report is built from and a reader may check
# (ddpg.sweep.collect copies these, never checkpoints or event files).
TRIAL_EVIDENCE = ("evaluations.json", "evaluation.json", CONFIG_FILE, STATUS_FILE)
MONITOR_EVIDENCE_SUFFIXES = (".stats.json", ".manifest.json")
# Trials in these states ran to their end; a "running" one is paused or still going.
ENDED = ("finished", "failed")
# Settings that say where or how a run ran, not what it learned: never compared.
NOT_COMPARED = {"random_seed", "results_dir", "monitor_dir", "summary_dir", "threads", "force",
                "resume", "gif", "plot", "render_env", "checkpoint_every", "keep_checkpoints",
                "use_gym_monitor",
                "total_steps", "max_episodes", "eval_every", "eval_episodes", "preset", "env_id"}
# The comparisons the issue names, with the words the refusal uses.
NAMED_CHECKS = (("budget", "step budgets"), ("eval_every", "evaluation intervals"),
                ("eval_episodes", "evaluation episodes"))


# TD3's three switches (ddpg/config.py); DDPG is the case with all three off.
def algorithm_of(preset, config=None):
    """'TD3', 'DDPG', or 'DDPG with ...' the switches that are on (no published column fits it).

    Read from the run's resolved settings when there are any, so a grid that
    turns the switches on (--grid twin_critics=true,false) is labelled by what
    ran (ddpg.config.algorithm_name, as the run's own plot is titled);
    without them, from the preset's name.
    """
    if config and any(name in config for name, _, _ in training_settings.TD3_SWITCHES):
        return training_settings.algorithm_name(config)
    return "TD3" if str(preset or "").lower().startswith("td3") else "DDPG"


@dataclasses.dataclass
class FoundTrial:
    """One trial of a sweep folder: planned (no files yet) or started."""

    storage: str  # the sweep (or collected) folder it was found in
    folder: str  # runs/<task>[/<grid values>]/seed-<n>, relative to storage
    env_id: str
    seed: int
    preset: str
    variant: str  # the grid values other than the preset, as the folder names them, or ''

    config: dict = None  # config.json: the run's resolved settings
    started: bool = False

    @property
    def path(self):
        return os.path.join(self.storage, self.folder)

    @property
    def group(self):
        return (self.env_id, self.preset, self.variant)

    @property
    def key(self):
        return self.group + (self.seed,)

    @property
    def status(self):
        if not self.started:  # its planned folder may hold another preset's trial
            return {}
        return _read_json(os.path.join(self.path, STATUS_FILE)) or {}

    @property
    def ended(self):
        return self.status.get("status") in ENDED

    def describe(self):
        settings = self.preset + (f", {self.variant}" if self.variant else "")
        return f"{self.env_id} ({settings}) seed {self.seed}"

    @property
    def collected_folder(self):
        """runs/<task>/preset=<preset>[_<grid values>]/seed-<n>: its folder once collected.

        A sweep's own folders leave out a preset that the whole sweep shares, so
        HalfCheetah seed 0 of a `--preset td3` sweep and of a `--preset
        fujimoto2018` sweep both sit at runs/HalfCheetah-v5/seed-0.  A collected
        folder holds trials of many sweeps, so its folders name everything that
        tells trials apart: one folder per trial, never two trials in one.
        """
        from ddpg.sweep.grid import trial_folder

        head, seed = trial_folder(self.env_id, None, self.seed).rsplit("/", 1)
        settings = f"preset={self.preset}" + (f"_{self.variant}" if self.variant else "")
        return f"{head}/{settings}/{seed}"


def load_specs(storage):
    """Every SweepSpec a folder records: sweep.json, and sweeps.json of a collected folder."""
    specs = []
    single = _read_json(os.path.join(storage, SPEC_FILE))
    if single:
        specs.append(SweepSpec.from_dict(single))
    specs += [SweepSpec.from_dict(d) for d in _read_json(os.path.join(storage, MERGED_SPECS)) or []]
    return specs


def find_trials(storage):
    """{trial key: FoundTrial} of one folder: the specs' planned trials and every started one.

    Keyed by what the trial is, not where it lies: a collected folder's specs
    plan trials of several sweeps at the same folder (one per preset).
    """
    from ddpg.config import DEFAULTS

    found, planned_at = {}, {}
    for spec in load_specs(storage):
        for trial in spec.trials():
            preset = trial.variant.get("preset") or spec.preset or DEFAULTS.preset
            planned = FoundTrial(storage, trial.folder, trial.env_id, trial.seed, preset,
                                 _variant_of(trial.folder, preset))
            found[planned.key] = planned
            planned_at.setdefault(trial.folder, planned)
    started = {}
    for folder in _started_folders(storage):
        config = _read_json(os.path.join(storage, folder, CONFIG_FILE))
        evaluations = _read_json(os.path.join(storage, folder, "evaluations.json")) or {}
        before = planned_at.get(folder)
        parts = folder.split("/")
        env_id = ((config or {}).get("env_id") or evaluations.get("env_id")
                  or (before.env_id if before else parts[1]))
        # A trial that failed before writing config.json: its planned preset, or
        # the one its folder names (a collected copy, a grid over presets).
        preset = ((config or {}).get("preset") or (before.preset if before else None)
                  or _preset_named_in(folder) or DEFAULTS.preset)
        trial = FoundTrial(storage, folder, env_id, int(parts[-1][len("seed-"):]), preset,
                           _variant_of(folder, preset), config, started=True)
        if trial.key in started:
            raise UserError(f"{storage} holds the trial {trial.describe()} twice, in "
                            f"{started[trial.key].folder} and {folder}: remove one")
        found[trial.key] = started[trial.key] = trial
    return found


def evidence_files(trial_dir):
    """Paths, relative to a trial's folder, of its evidence files that exist."""
    found = [name for name in TRIAL_EVIDENCE if os.path.isfile(os.path.join(trial_dir, name))]
    monitor = os.path.join(trial_dir, MONITOR_DIR)
    if os.path.isdir(monitor):
        found += [f"{MONITOR_DIR}/{name}" for name in sorted(os.listdir(monitor))
                  if name.startswith("openaigym.") and name.endswith(MONITOR_EVIDENCE_SUFFIXES)]
    return found


def is_copy_of(copy, trial):
    """True when `copy` holds exactly `trial`'s evidence files: one trial, collected earlier."""
    names = evidence_files(copy.path)
    if names != evidence_files(trial.path):
        return False
    for name in names:
        with open(os.path.join(copy.path, name), "rb") as a, \
                open(os.path.join(trial.path, name), "rb") as b:
            if a.read() != b.read():
                return False
    return True


def merge(storages, copies_in=None):
    """(trials, specs) of several folders merged; UserError on a clash or a mixed group.

    `trials` maps each trial key to its FoundTrial (a started one wins over a
    planned one); `specs` lists every sweep definition found, without repeats.
    `copies_in` names a folder that holds collected copies: a trial found
    there and, unchanged, in a sweep's storage is one trial (the copy counts),
    so a storage can be collected again as its sweep goes on.
    """
    copies_in = os.path.abspath(copies_in) if copies_in else None
    storages = [os.path.abspath(s) for s in storages]
    for index, storage in enumerate(storages):
        if storage in storages[:index]:
            raise UserError(f"--report: {storage} is given twice")
        if not os.path.isdir(storage):
            raise UserError(f"--report: {storage} is not a folder")
    merged, specs = {}, []
    for storage in storages:
        trials = find_trials(storage)
        if not trials:
            raise UserError(f"{storage} holds no sweep (no {SPEC_FILE} and no trials under "
                            f"{RUNS}/)")
        for spec in load_specs(storage):
            if spec.to_dict() not in [s.to_dict() for s in specs]:
                specs.append(spec)
        for trial in trials.values():
            other = merged.get(trial.key)
            if other is not None and other.started and trial.started:
                if _one_collected(other, trial, copies_in):
                    merged[trial.key] = other if other.storage == copies_in else trial
                    continue
                hint = (f" (the copy in {copies_in} differs from its source: remove it to "
                        "collect the source again)"
                        if copies_in in (other.storage, trial.storage)
                        and _same_first_attempt(other, trial) else "")
                raise UserError(f"the trial {trial.describe()} is in both {other.storage} and "
                                f"{trial.storage}; a merged report counts each trial once: "
                                f"leave one of the folders out{hint}")
            if other is None or trial.started:
                merged[trial.key] = trial
    check_comparable(merged.values())
    return merged, specs


def _one_collected(a, b, copies_in):
    """True when one of a, b lies in `copies_in` and holds the other's files unchanged."""
    if copies_in == a.storage:
        return is_copy_of(a, b)
    return copies_in == b.storage and is_copy_of(b, a)


def _same_first_attempt(a, b):
    """True when a and b began as one run: a copy and its source, one of them changed since."""
    first = [(t.status.get("attempts") or [{}])[0].get("started") for t in (a, b)]
    return first[0] is not None and first[0] == first[1]


def check_comparable(trials):
    """UserError naming the folders and the difference when a group mixes settings."""
    groups = {}
    for trial in trials:
        if trial.config:
            groups.setdefault(trial.group, []).append(trial)
    for members in groups.values():
        for name, words in NAMED_CHECKS:
            _refuse_if_mixed(members, words, lambda t, n=name: _setting(t.config, n))
        names = sorted(set().union(*(t.config for t in members)) - NOT_COMPARED)
        for name in names:
            _refuse_if_mixed([t for t in members if name in t.config], f"setting {name}",
                             lambda t, n=name: _canonical(t.config[n]))


def _refuse_if_mixed(members, words, value_of):
    values = {}
    for trial in members:
        values.setdefault(json.dumps(value_of(trial), sort_keys=True), []).append(trial)
    if len(values) < 2:
        return
    first = members[0]
    settings = first.preset + (f", {first.variant}" if first.variant else "")
    parts = []
    for text, holders in values.items():
        folders = ", ".join(dict.fromkeys(t.storage for t in holders))
        parts.append(f"{_show(json.loads(text))} in {folders}")
    raise UserError(f"{first.env_id} ({settings}): the trials differ in {words} "
                    f"({'; '.join(parts)}), so their seeds cannot form one row")


def budget_of(config):
    """('steps', n) or ('episodes', n): what ended the run."""
    if config.get("total_steps"):
        return ["steps", int(config["total_steps"])]
    return ["episodes", config.get("max_episodes")]


def _setting(config, name):
    return budget_of(config) if name == "budget" else config.get(name)


def _canonical(value):
    return list(value) if isinstance(value, tuple) else value


def _show(value):
    if isinstance(value, list) and len(value) == 2 and value[0] in ("steps", "episodes"):
        return f"{value[1]:,} {value[0]}" if isinstance(value[1], int) else f"{value[1]} {value[0]}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _variant_of(folder, preset):
    """The grid values of a trial folder other than its preset.

    They are what lies between runs/<task>/ and seed-<n>.  A grid over presets
    (and a collected folder) names the preset there too; it is left out, so a
    trial has one key whichever folder holds it (preset names have no '_').
    """
    values = "/".join(folder.split("/")[2:-1])
    token = re.escape(f"preset={preset}")
    values = re.sub(rf"^{token}(_|$)|_{token}(?=_|$)", "", values)
    return "_".join(sorted(_grid_pairs(values)))


def _grid_pairs(values):
    """'tau=0.01_critic_lr=0.001' -> ['tau=0.01', 'critic_lr=0.001'].

    The folder joins the grid's name=value pairs with '_' in the order the
    grid was given; sorted, `--grid a --grid b` and `--grid b --grid a` name
    one trial alike.  Setting names hold '_' too, so the pairs are split only
    where a known setting's name follows.
    """
    from ddpg.config import fields

    starts_pair = re.compile("(?:" + "|".join(re.escape(f.name) for f in fields()) + ")=")
    pairs, tokens = [], values.split("_") if values else []
    for index, token in enumerate(tokens):
        # A new pair begins only once the current one has its value: 'target' of
        # target_noise=0.2 has none yet, so 'noise=0.2' is not a pair of its own.
        if pairs and ("=" not in pairs[-1] or not starts_pair.match("_".join(tokens[index:]))):
            pairs[-1] += "_" + token
        else:
            pairs.append(token)
    return pairs


def _preset_named_in(folder):
    values = "/".join(folder.split("/")[2:-1])
    found = re.search(r"(?:^|_)preset=([A-Za-z0-9.+-]+)(?=_|$)", values)
    return found.group(1) if found else None


def _started_folders(storage):
    root = os.path.join(storage, RUNS)
    folders = []
    for current, dirs, files in os.walk(root):
        dirs.sort()
        name = os.path.basename(current)
        if name.startswith("seed-") and name[len("seed-"):].isdigit() and \
                any(f in files for f in TRIAL_FILES):
            folders.append(os.path.relpath(current, storage).replace(os.sep, "/"))
            dirs[:] = []  # a trial's own subfolders (checkpoints, Monitor files) hold no trials
    return folders


def _read_json(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return None
