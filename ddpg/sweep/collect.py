"""Copy the small evidence files of sweeps into a folder kept in git (benchmarks/<name>/).

What a report needs and a reader may want to check, and nothing heavy:
each trial's evaluations.json, evaluation.json, config.json,
sweep_trial.json and the Monitor statistics and manifest JSON, at the same
runs/... paths, plus the definitions of the sweeps (sweeps.json).  Never
checkpoints, event files, videos or train.log: they are large, and the
report is rebuilt from the small files alone.
"""
import json
import os
import shutil

from ddpg import atomic
from ddpg.errors import UserError
from ddpg.sweep.grid import RUNS
from ddpg.sweep.merge import (
    CONFIG_FILE,
    MERGED_SPECS,
    MONITOR_DIR,
    SPEC_FILE,
    load_specs,
    merge,
)
from ddpg.sweep.trial import STATUS_FILE

TRIAL_EVIDENCE = ("evaluations.json", "evaluation.json", CONFIG_FILE, STATUS_FILE)
MONITOR_EVIDENCE_SUFFIXES = (".stats.json", ".manifest.json")


def evidence_files(trial_dir):
    """Paths, relative to a trial's folder, of the files worth keeping."""
    found = [name for name in TRIAL_EVIDENCE if os.path.isfile(os.path.join(trial_dir, name))]
    monitor = os.path.join(trial_dir, MONITOR_DIR)
    if os.path.isdir(monitor):
        found += [f"{MONITOR_DIR}/{name}" for name in sorted(os.listdir(monitor))
                  if name.startswith("openaigym.") and name.endswith(MONITOR_EVIDENCE_SUFFIXES)]
    return found


def collect(storages, dest):
    """Copy the trials of `storages` into `dest`; returns the number of files copied.

    `dest` may be one of `storages` (adding seeds to a collected folder);
    otherwise it must not hold trials yet, so that every trial it ends with
    passed the merge checks.  Those checks run first: a refusal copies nothing.
    """
    dest = os.path.abspath(dest)
    storages = [os.path.abspath(s) for s in storages]
    if dest not in storages and os.path.isdir(os.path.join(dest, RUNS)):
        raise UserError(f"--out {dest} already holds trials; give it as a --report folder too "
                        "to add to them")
    trials, specs = merge(storages)
    copied = 0
    for trial in trials.values():
        if not trial.started or trial.storage == dest:
            continue
        for name in evidence_files(trial.path):
            target = os.path.join(dest, trial.folder, name)
            os.makedirs(os.path.dirname(target), exist_ok=True)
            with atomic.atomic_path(target) as tmp:
                shutil.copyfile(os.path.join(trial.path, name), tmp)
            copied += 1
    own = load_specs(dest)[:1] if os.path.exists(os.path.join(dest, SPEC_FILE)) else []
    others = sorted({json.dumps(s.to_dict(), sort_keys=True) for s in specs}
                    - {json.dumps(s.to_dict(), sort_keys=True) for s in own})
    if others:  # a sweep folder collected into keeps its own sweep.json as it is
        atomic.write_json(os.path.join(dest, MERGED_SPECS), [json.loads(t) for t in others])
    return copied
