"""A run's TensorBoard events: their tags, the folder they go in, and reading them back.

Tags.  TensorBoard sorts its cards by tag name, comparing characters by code
point, and groups them by the part before the first '/' (both the Time
Series dashboard and the older Scalars one).  Capital letters come before
lower-case ones, so the tutorial's two capitalised tags, `Qmax_value` and
`Reward`, are the first cards a user sees as long as every other tag is
lower-case.  Those two are per episode (x: the episode number), as in the
tutorial; every lower-case tag is written at the run's total environment
steps, the x-axis of the papers, Stable-Baselines3 and CleanRL.

Folders.  The package writes a run's events into a subfolder of the
summary folder named after the run (`run_name`), so that
`tensorboard --logdir results/tf_ddpg` lists it under that name rather than
as `.`, and a parent folder holding several results folders lists each.
Results folders written before this layout hold their event files directly
in the summary folder; every reader here looks in both places.

Nothing here imports TensorFlow until events are actually read.
"""
import os
import re

from ddpg.atomic import prefixed_files
from ddpg.config import algorithm_name

EVENTS_PREFIX = "events.out.tfevents"

# The tutorial's scalars, one point per episode at the episode's number.
REWARD_TAG = "Reward"
QMAX_TAG = "Qmax_value"
# The rest, at the total environment steps when the point was measured.
RETURN_VS_STEPS_TAG = "episode/return_vs_env_steps"
EVALUATION_TAG = "evaluation/mean_return"
CRITIC_LOSS_TAG = "loss/critic"
ACTOR_LOSS_TAG = "loss/actor"
LENGTH_TAG = "time/episode_length"
SPEED_TAG = "time/steps_per_second"
# Earlier names of tags that kept their meaning and their x-axis: read as today's.
RENAMED_TAGS = {"Evaluation/mean_return": EVALUATION_TAG}


def event_files(directory):
    """Event files directly in `directory`."""
    return prefixed_files(directory, EVENTS_PREFIX)


def run_event_files(summary_dir, names=None):
    """Event files of the summary folder: directly in it (older runs) and in its run subfolders.

    `names` limits the subfolders to those runs (None: every subfolder), so
    that a summary folder shared with other runs keeps theirs.
    """
    found = event_files(summary_dir)
    if os.path.isdir(summary_dir):
        subfolders = sorted(os.listdir(summary_dir)) if names is None else sorted(set(names))
        for name in subfolders:
            if name:
                found += event_files(os.path.join(summary_dir, name))
    return found


def run_name(config):
    """The TensorBoard run name of a training run: task, algorithm and seed.

    For example `Pendulum-v1_DDPG_seed1234` or `Hopper-v5_TD3_seed0`; the
    algorithm is named by what ran (ddpg.config.algorithm_name).  `config`
    is a TrainConfig or its dict (config.json).  Characters that are not
    safe in a folder name become '-'.
    """
    values = config.to_dict() if hasattr(config, "to_dict") else config
    name = f"{values['env_id']}_{algorithm_name(values)}_seed{values['random_seed']}"
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name)


def run_events_dir(summary_dir, name, resume=False):
    """The folder a run writes its events to: `summary_dir/name`.

    Except that a resumed run whose earlier part wrote its events directly
    into the summary folder (before run folders) goes on there, so that
    TensorBoard shows it as one run.
    """
    named = os.path.join(summary_dir, name)
    if resume and not event_files(named) and event_files(summary_dir):
        return summary_dir
    return named


def read_event_scalars(directory):
    """{tag: {step: value}}: what TensorBoard plots for the run in `directory`.

    `directory` is a results folder, its summary folder (tf_ddpg/), or a
    run's own events folder.  When it holds several runs, the one written
    last is read.  Files are read in the order they were written, and, as
    TensorBoard does, a point at a step at or before a tag's last one drops
    that tag's points from that step on: a resumed run replaces what the
    interrupted one wrote after its checkpoint.  Tags are today's names
    (RENAMED_TAGS).
    """
    files = run_event_files(os.path.join(directory, "tf_ddpg")) or run_event_files(directory)
    if not files:
        return {}
    newest_folder = os.path.dirname(max(files, key=_written_order))
    files = sorted((f for f in files if os.path.dirname(f) == newest_folder), key=_written_order)
    scalars, last_step = {}, {}
    for path in files:
        for tag, step, value in _scalar_points(path):
            tag = RENAMED_TAGS.get(tag, tag)
            points = scalars.setdefault(tag, {})
            if step <= last_step.get(tag, step - 1):
                for later in [s for s in points if s >= step]:
                    del points[later]
            points[step] = value
            last_step[tag] = step
    return scalars


def _scalar_points(path):
    """(tag, step, value) of the simple scalars in one event file, up to any damage."""
    from ddpg.compat import tf

    try:
        for event in tf.train.summary_iterator(path):
            for value in event.summary.value:
                if value.HasField("simple_value"):
                    yield value.tag, event.step, value.simple_value
    except Exception:  # a truncated last record after a crash
        return


def _written_order(path):
    """Sort key putting event files in the order they were written.

    FileWriter starts each name with the creation time in whole seconds;
    within one second (a short run and its resume), the file that stopped
    changing first was written first.
    """
    stamp = os.path.basename(path)[len(EVENTS_PREFIX) + 1:].split(".", 1)[0]
    return (int(stamp) if stamp.isdigit() else 0, os.path.getmtime(path), path)
