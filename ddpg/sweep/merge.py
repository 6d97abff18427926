"""The trials of sweep and study folders, merged into groups of comparable seeds.

A report may combine sweeps run at different times or on different machines,
and the candidates of a study, whose folders (runs/<task>/cand-0007/seed-3)
say nothing of their settings.  So a trial is known by what it ran, never
by where it lies or what its folder is called: its task, its preset, the
signature of its settings and its seed (FoundTrial.key).  The signature is
the canonical JSON of the resolved settings its config.json records, less
those that say where or how it ran (NOT_COMPARED), so a folder copied
elsewhere (benchmarks/) is the same trial as the one it came from.  A
planned trial has no config.json yet: it has the settings its sweep
definition resolves to, so the plan and the run it becomes have one key.
A trial that failed before writing config.json has its plan's settings
(the plan at its folder, else the one settings its row has); only a folder
with neither is known by its label.

A folder name is only a label: the name of the row a group's seeds form in
the report.  A study names its candidates (sweep_trial.json's "label"); a
sweep's row is named by its grid values as its folders name them, which is
what the committed reports show, so they rebuild unchanged.  Labels and
settings go one to one, because a reader tells rows apart by their labels:

- two groups of a task and preset under one label would be two rows no one
  could tell apart: refused, naming the setting they differ in;
- one set of settings under several labels (`--grid tau=0.005` of a
  fujimoto2018 sweep and a plain fujimoto2018 sweep, whose preset has
  tau=0.005) is one group, since the seeds ran the same thing, named by the
  shortest of its labels (then the first in sorted order): the fewest words
  that still say what ran.  A seed found under both is one trial twice.
- a setting that says how a run ran (NOT_COMPARED) is left out of the
  settings, except where a sweep of the merge varies it: `--grid
  checkpoint_every=1,2` asks for two rows, not one trial found twice.

A plan whose key no run has, while a started trial has its task, preset,
label and seed, was run: the run keeps the settings of its day if a preset
has changed since, and its plan must not become a second, never-started row.

Two refusals keep the merge honest, each one line and before anything is
written:

- the same trial in two folders (which one would count?), unless one folder
  is the other's collected copy (--collect into a folder that is also a
  source) and its evidence files are byte for byte the same;
- a group whose trials are not comparable: different step budgets,
  evaluation intervals or evaluation episodes (the seeds of a row must have
  been measured alike), or a label over different settings.
"""
import dataclasses
import json
import os
import re

from ddpg import config as training_settings
from ddpg.errors import UserError
from ddpg.sweep.grid import RUNS, SweepSpec, _safe, trial_config, trial_folder
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
# Settings that say where or how a run ran, not what it learned: never in a
# trial's signature.  The budget and the evaluations are not either (a row
# may not mix them, NAMED_CHECKS), nor the task and preset (keys of their own).
NOT_COMPARED = {"random_seed", "results_dir", "monitor_dir", "summary_dir", "threads", "force",
                "resume", "gif", "plot", "render_env", "checkpoint_every", "keep_checkpoints",
                "use_gym_monitor",
                "total_steps", "max_episodes", "eval_every", "eval_episodes", "preset", "env_id"}
# Parts of a trial's key of their own, never of its settings' signature.
KEYED_APART = {"env_id", "preset", "random_seed"}
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
    """One trial of a sweep or study folder: planned (no files yet) or started."""

    storage: str  # the sweep (or collected) folder it was found in
    folder: str  # runs/<task>/.../seed-<n>, relative to storage
    env_id: str
    seed: int
    preset: str
    # The row's label: a study's name for it, else the grid values other than
    # the preset as the folder names them, or ''.  After a merge, its group's.
    variant: str = ""

    config: dict = None  # config.json: the run's resolved settings
    started: bool = False
    settings: dict = None  # without config.json: the resolved settings it was planned with
    # Settings of NOT_COMPARED that a sweep of the merge varies (its grid or
    # variants): a user who varies one means its values to be told apart.
    varied: frozenset = frozenset()

    @property
    def path(self):
        return os.path.join(self.storage, self.folder)

    @property
    def signature(self):
        """What it learned with, as one string; with no settings known, its label's."""
        known = self.config or self.settings
        return settings_signature(known, self.varied) if known \
            else "label " + json.dumps(self.variant)

    @property
    def group(self):
        """Task, preset and settings: the seeds of one group form a row of the report."""
        return (self.env_id, self.preset, self.signature)

    @property
    def key(self):
        return self.group + (self.seed,)

    @property
    def row(self):
        """Task, preset and label: how a reader tells the report's rows apart."""
        return (self.env_id, self.preset, self.variant)

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
        """runs/<task>/preset=<preset>[_<label>]/seed-<n>: its folder once collected.

        A sweep's own folders leave out a preset that the whole sweep shares, so
        HalfCheetah seed 0 of a `--preset td3` sweep and of a `--preset
        fujimoto2018` sweep both sit at runs/HalfCheetah-v5/seed-0.  A collected
        folder holds trials of many sweeps and studies, so its folders name what
        tells rows apart, the preset and the label (a study's own, as it is):
        one folder per trial, never two trials in one, and the label the folder
        gives back is the one it was collected under.
        """
        head, seed = trial_folder(self.env_id, None, self.seed).rsplit("/", 1)
        settings = f"preset={self.preset}" + (f"_{_safe(self.variant)}" if self.variant else "")
        return f"{head}/{settings}/{seed}"


def settings_signature(settings, varied=()):
    """The canonical JSON of what a run learned with: its identity, bar task, preset and seed."""
    return json.dumps(compared_settings(settings, varied), sort_keys=True)


def varied_settings(specs):
    """The settings of NOT_COMPARED that these sweeps' grids or variants vary.

    `--grid checkpoint_every=1,2` asks for two rows of the same training
    settings; without this, their seeds would be one trial found twice.
    """
    names = set()
    for spec in specs:
        names.update(spec.grid)
        for _, values in spec.variants or []:
            names.update(values)
    return frozenset((names & NOT_COMPARED) - KEYED_APART)


def compared_settings(settings, varied=()):
    """{name: value} of the settings that tell what a run learned, from its resolved settings.

    A setting that an older config.json lacks came into the package after the
    run, with the default that keeps what the code did before: the default
    stands in for it.  Numbers compare by value (a settings file's `tau: 1`
    is the 1.0 a flag gives), lists and tuples alike.
    """
    values = training_settings.DEFAULTS.to_dict()
    values.update(settings)
    return {name: _normal(name, value) for name, value in values.items()
            if name not in NOT_COMPARED or name in varied}


def _normal(name, value):
    default = getattr(training_settings.DEFAULTS, name, None)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, bool) or isinstance(default, bool):
        return value
    if isinstance(default, float) and isinstance(value, int):
        return float(value)
    if isinstance(default, int) and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def load_specs(storage):
    """Every SweepSpec a folder records: sweep.json, and sweeps.json of a collected folder."""
    specs = []
    single = _read_json(os.path.join(storage, SPEC_FILE))
    if single:
        specs.append(SweepSpec.from_dict(single))
    specs += [SweepSpec.from_dict(d) for d in _read_json(os.path.join(storage, MERGED_SPECS)) or []]
    return specs


def find_trials(storage):
    """Every trial of one folder: its specs' planned trials, then every started one.

    A started trial without config.json takes the preset and settings of the
    plan at its folder: that plan is what ran there.  (A collected folder's
    specs may plan trials of several presets at one folder, runs/<task>/seed-0;
    its own trials lie elsewhere, preset=<preset>/seed-0, so the first plan
    stands in for an unknown trial that only a hand-made folder holds.)
    """
    plans = _planned_trials(storage)
    planned_at = {}
    for plan in plans:
        planned_at.setdefault(plan.folder, plan)
    trials = plans + [_started_trial(storage, folder, planned_at.get(folder))
                      for folder in _started_folders(storage)]
    varied = varied_settings(load_specs(storage))
    for trial in trials:
        trial.varied = varied
    return trials


def _planned_trials(storage):
    plans = []
    for spec in load_specs(storage):
        for trial in spec.trials():
            settings = _planned_settings(spec, trial, storage)
            preset = ((settings or {}).get("preset") or trial.variant.get("preset")
                      or spec.preset or training_settings.DEFAULTS.preset)
            label = (_without_preset(trial.label, preset) if trial.label
                     else _variant_of(trial.folder, preset))
            plans.append(FoundTrial(storage, trial.folder, trial.env_id, trial.seed, preset,
                                    label, settings=settings))
    return plans


def _planned_settings(spec, trial, storage):
    """The settings `ddpg-sweep` runs the trial with, or None for a grid value they refuse.

    Such a trial fails before writing config.json: its plan and its failed run
    are both known by their label.
    """
    try:
        return trial_config(spec, trial, storage).to_dict()
    except UserError:
        return None


def _started_trial(storage, folder, plan):
    path = os.path.join(storage, folder)
    config = _read_json(os.path.join(path, CONFIG_FILE))
    status = _read_json(os.path.join(path, STATUS_FILE)) or {}
    evaluations = _read_json(os.path.join(path, "evaluations.json")) or {}
    parts = folder.split("/")
    env_id = ((config or {}).get("env_id") or evaluations.get("env_id")
              or (plan.env_id if plan else parts[1]))
    # A trial that failed before writing config.json: its planned preset, or
    # the one its folder names (a collected copy, a grid over presets), or
    # none yet (a study's: its row may tell, _adopt_settings).
    preset = ((config or {}).get("preset") or (plan.preset if plan else None)
              or _preset_named_in(folder))
    label = status.get("label") if isinstance(status.get("label"), str) else None
    label = _without_preset(label, preset) if label else _variant_of(folder, preset)
    return FoundTrial(storage, folder, env_id, int(parts[-1][len("seed-"):]), preset, label,
                      config, started=True,
                      settings=plan.settings if plan and not config else None)


def _adopt_settings(trials):
    """Settings for started trials that have neither config.json nor a plan at their folder.

    Such a trial is the collected copy of one that failed before writing its
    settings (its plan names another folder), or a study's: the row its label
    names says what it was to run, and with which preset if nothing else
    does, when that row has one set of settings.
    """
    known = {}
    for trial in trials:
        if trial.config or trial.settings:
            settings = trial.config or trial.settings
            for row in (trial.row, (trial.env_id, None, trial.variant)):
                known.setdefault(row, {})[(trial.preset, trial.signature)] = settings
    for trial in trials:
        found = known.get(trial.row, {})
        if trial.started and not (trial.config or trial.settings) and len(found) == 1:
            (trial.preset, _), trial.settings = next(iter(found.items()))
        trial.preset = trial.preset or training_settings.DEFAULTS.preset


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
    planned one), each labelled as its group's row; `specs` lists every sweep
    definition found, without repeats.  `copies_in` names a folder that holds
    collected copies: a trial found there and, unchanged, in a sweep's storage
    is one trial (the copy counts), so a storage can be collected again as its
    sweep goes on.
    """
    copies_in = os.path.abspath(copies_in) if copies_in else None
    storages = [os.path.abspath(s) for s in storages]
    for index, storage in enumerate(storages):
        if storage in storages[:index]:
            raise UserError(f"--report: {storage} is given twice")
        if not os.path.isdir(storage):
            raise UserError(f"--report: {storage} is not a folder")
    found, specs = [], []
    for storage in storages:
        trials = find_trials(storage)
        if not trials:
            raise UserError(f"{storage} holds no sweep (no {SPEC_FILE} and no trials under "
                            f"{RUNS}/)")
        for spec in load_specs(storage):
            if spec.to_dict() not in [s.to_dict() for s in specs]:
                specs.append(spec)
        found.append(trials)
    varied = varied_settings(specs)  # of every folder: one trial has one key in all
    for trial in (trial for trials in found for trial in trials):
        trial.varied = varied
    _adopt_settings([trial for trials in found for trial in trials])
    merged = {}
    for trials in found:
        for trial in _one_of_each(trials).values():
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
    _drop_plans_that_ran(merged)
    check_comparable(merged.values())
    _label_groups(merged.values())
    return merged, specs


def _one_of_each(trials):
    """{key: trial} of one folder, a started trial in place of its plan; one run twice refused."""
    keyed, started = {}, {}
    for trial in trials:
        if trial.started:
            if trial.key in started:
                raise UserError(f"{trial.storage} holds the trial {trial.describe()} twice, in "
                                f"{started[trial.key].folder} and {trial.folder}: remove one")
            keyed[trial.key] = started[trial.key] = trial
        else:
            keyed.setdefault(trial.key, trial)
    return keyed


def _drop_plans_that_ran(merged):
    """Leave out each plan that a started trial of its row and seed ran with other settings."""
    ran = {trial.row + (trial.seed,) for trial in merged.values() if trial.started}
    for key, trial in list(merged.items()):
        if not trial.started and trial.row + (trial.seed,) in ran:
            del merged[key]


def _label_groups(trials):
    """Give every trial its group's label: the shortest of those its trials came under."""
    trials = list(trials)
    labels = {}
    for trial in trials:
        labels.setdefault(trial.group, set()).add(trial.variant)
    chosen = {group: min(found, key=lambda label: (len(label), label))
              for group, found in labels.items()}
    for trial, group in [(trial, trial.group) for trial in trials]:
        trial.variant = chosen[group]


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
    """UserError naming the folders and the difference when a row would mix settings.

    A group's seeds share their settings by construction; they must also have
    been measured alike.  A label must name one group: the settings of the
    trials under it are compared (those known by their label alone cannot be).
    """
    trials = list(trials)
    for members in _grouped(trials, lambda t: t.group).values():
        ran = [t for t in members if t.config]
        for name, words in NAMED_CHECKS:
            _refuse_if_mixed(ran, words, lambda t, n=name: _setting(t.config, n))
    for members in _grouped(trials, lambda t: t.row).values():
        known = [t for t in members if t.config or t.settings]
        if len({t.signature for t in known}) > 1:
            _refuse_differing_setting(known)


def _refuse_differing_setting(trials):
    """UserError naming the first setting (by name) in which these trials differ."""
    compared = {id(t): compared_settings(t.config or t.settings, t.varied) for t in trials}
    for name in sorted(set().union(*compared.values())):
        _refuse_if_mixed(trials, f"setting {name}", lambda t, n=name: compared[id(t)].get(n))


def _grouped(trials, key_of):
    groups = {}
    for trial in trials:
        groups.setdefault(key_of(trial), []).append(trial)
    return groups


def _refuse_if_mixed(members, words, value_of):
    values = {}
    for trial in members:
        values.setdefault(json.dumps(value_of(trial), sort_keys=True), []).append(trial)
    if len(values) < 2:
        return
    first = members[0]
    settings = first.preset + (f", {first.variant}" if first.variant else "")
    wheres = {text: ", ".join(dict.fromkeys(t.storage for t in holders))
              for text, holders in values.items()}
    if len(set(wheres.values())) < len(wheres):  # one folder holds both: name the trials'
        wheres = {text: ", ".join(t.path for t in holders) for text, holders in values.items()}
    parts = [f"{_show(json.loads(text))} in {wheres[text]}" for text in values]
    raise UserError(f"{first.env_id} ({settings}): the trials differ in {words} "
                    f"({'; '.join(parts)}), so their seeds cannot form one row")


def budget_of(config):
    """('steps', n) or ('episodes', n): what ended the run."""
    if config.get("total_steps"):
        return ["steps", int(config["total_steps"])]
    return ["episodes", config.get("max_episodes")]


def _setting(config, name):
    return budget_of(config) if name == "budget" else config.get(name)


def _show(value):
    if isinstance(value, list) and len(value) == 2 and value[0] in ("steps", "episodes"):
        return f"{value[1]:,} {value[0]}" if isinstance(value[1], int) else f"{value[1]} {value[0]}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _variant_of(folder, preset):
    """The label a trial's folder gives: its grid values other than its preset.

    They are what lies between runs/<task>/ and seed-<n>.  A grid over presets
    (and a collected folder) names the preset there too; it is left out, so a
    row is labelled alike whichever folder holds it (preset names have no '_').
    """
    values = _without_preset("/".join(folder.split("/")[2:-1]), preset)
    return "_".join(sorted(_grid_pairs(values)))


def _without_preset(label, preset):
    """A label without its preset=<preset> pair: the preset is a column of its own."""
    if not preset:
        return label
    token = re.escape(f"preset={preset}")
    return re.sub(rf"^{token}(_|$)|_{token}(?=_|$)", "", label)


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
