"""Copy the small evidence files of sweeps into a folder kept in git (benchmarks/<name>/).

What a report needs and a reader may want to check, and nothing heavy:
each trial's evaluations.json, evaluation.json, config.json,
sweep_trial.json and the Monitor statistics and manifest JSON, plus the
definitions of the sweeps (sweeps.json).  Each trial gets a folder of its
own that names its preset and its row's label (FoundTrial.collected_folder):
two sweeps of one task and seed under different presets share a folder name
in their own storages, and copied to the same place one would overwrite the
other.  Never checkpoints, event files, videos or train.log: they are large,
and the report is rebuilt from the small files alone.

Only trials that ended (finished or failed) are copied: a paused or running
trial changes as its sweep goes on, and a copy of it would clash with the
finished trial when the storage is collected again.  Collecting the same
storage again after more trials ended copies just those: the copies already
made are recognised as such (ddpg.sweep.merge), not refused as a second run.
"""
import glob
import json
import os
import shutil

from ddpg import atomic
from ddpg.errors import UserError
from ddpg.sweep.grid import RUNS
from ddpg.sweep.merge import MERGED_SPECS, SPEC_FILE, evidence_files, load_specs, merge


def collect(storages, dest):
    """Copy the ended trials of `storages` into `dest`: (files copied, trials left out).

    The trials left out are those that started and have not ended, by name.

    `dest` may be one of `storages` (adding seeds to a collected folder);
    otherwise it must not hold trials yet, so that every trial it ends with
    passed the merge checks.  Those checks run first: a refusal copies nothing.
    """
    dest = os.path.abspath(dest)
    storages = [os.path.abspath(s) for s in storages]
    if dest not in storages and os.path.isdir(os.path.join(dest, RUNS)):
        raise UserError(f"--out {dest} already holds trials; give it as a --report folder too "
                        "to add to them")
    trials, specs = merge(storages, copies_in=dest)
    new = [t for t in trials.values() if t.started and t.storage != dest]
    to_copy = [t for t in new if t.ended]
    left_out = sorted(t.describe() for t in new if not t.ended)
    if not to_copy and not os.path.isdir(os.path.join(dest, RUNS)):
        raise UserError(f"no trial of {', '.join(storages)} has ended yet ({len(left_out)} "
                        "running or paused): nothing to collect")
    _refuse_one_folder_for_two(to_copy, dest)
    for trial in to_copy:
        target = os.path.join(dest, trial.collected_folder)
        if os.path.exists(target):
            raise UserError(f"--out {dest}: {trial.collected_folder} already exists but holds "
                            f"no copy of {trial.describe()}; move it away to collect the trial")
    copied = sum(_copy_trial(trial, os.path.join(dest, trial.collected_folder))
                 for trial in to_copy)
    own = load_specs(dest)[:1] if os.path.exists(os.path.join(dest, SPEC_FILE)) else []
    others = sorted({json.dumps(s.to_dict(), sort_keys=True) for s in specs}
                    - {json.dumps(s.to_dict(), sort_keys=True) for s in own})
    if others:  # a sweep folder collected into keeps its own sweep.json as it is
        atomic.write_json(os.path.join(dest, MERGED_SPECS), [json.loads(t) for t in others])
    return copied, left_out


def _refuse_one_folder_for_two(trials, dest):
    """UserError when two trials would be copied to one folder.

    Labels are unique in a row's task and preset, but a study's label is made
    safe for a folder name ('lr 3e-4' and 'lr_3e-4' give one folder).
    """
    seen = {}
    for trial in trials:
        other = seen.setdefault(trial.collected_folder, trial)
        if other is not trial:
            raise UserError(f"--out {dest}: {other.describe()} and {trial.describe()} would "
                            f"both be collected to {trial.collected_folder}: give them labels "
                            "that differ in their letters, digits or . _ = + -")


def _copy_trial(trial, target):
    """Copy one trial's evidence into a new folder `target`, whole or not at all."""
    parent, base = os.path.split(target)
    for left in glob.glob(os.path.join(glob.escape(parent), f".collecting-{glob.escape(base)}-*")):
        shutil.rmtree(left, ignore_errors=True)  # left by a collect that was killed
    staging = os.path.join(parent, f".collecting-{base}-{os.getpid()}")
    os.makedirs(staging)
    try:
        names = evidence_files(trial.path)
        for name in names:
            copy = os.path.join(staging, name)
            os.makedirs(os.path.dirname(copy), exist_ok=True)
            shutil.copyfile(os.path.join(trial.path, name), copy)
            _fsync(copy)
        for folder in {os.path.dirname(os.path.join(staging, n)) for n in names} | {staging}:
            _fsync(folder)
        os.rename(staging, target)
        _fsync(parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return len(names)


def _fsync(path):
    """Flush a file or folder to disk, so that a renamed folder is never half there."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
