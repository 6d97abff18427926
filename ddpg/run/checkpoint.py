"""Checkpoints that continue a run exactly: weights, buffer, RNGs, counters.

Each checkpoint is a folder, built under a temporary name and renamed into
place once every file in it is complete:

  checkpoints/ckpt-000040/model.index, model.data-*   all TF variables
                                                      (networks, targets, Adam)
  checkpoints/ckpt-000040/replay_buffer.npz           stored transitions
  checkpoints/ckpt-000040/state.json                  counters, RNG states, config
  checkpoints/latest                                  names the newest folder
  checkpoints/best/model.*, state.json                the policy at the best periodic
                                                      evaluation (no buffer, no critic)

`latest` is rewritten atomically after the folder exists, so a crash at
any moment leaves the previous checkpoint as the one that loads.
"""
import json
import os
import re
import shutil
import time
import zipfile

import numpy as np

from ddpg import atomic
from ddpg.errors import UserError, first_line

CHECKPOINTS = "checkpoints"
LATEST = "latest"
BEST = "best"
STATE_FILE = "state.json"
BUFFER_FILE = "replay_buffer.npz"
MODEL_PREFIX = "model"
FORMAT_VERSION = 1


class Checkpointer:
    """Writes and reads checkpoints of one run under `directory`."""

    def __init__(self, sess, directory, keep=3):
        from ddpg.compat import (
            tf,  # here, so reading checkpoint files needs no TensorFlow
        )

        self._errors = (tf.errors.OpError, ValueError)
        self.sess = sess
        self.directory = os.fspath(directory)
        self.keep = int(keep)
        self.saver = tf.train.Saver(max_to_keep=None, save_relative_paths=True)
        self._remove_stale_staging()

    def _remove_stale_staging(self):
        """Staging folders of a process killed mid-save are never complete."""
        if os.path.isdir(self.directory):
            for name in os.listdir(self.directory):
                if name.startswith(".ckpt-") and name.endswith(".tmp"):
                    shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)

    def save(self, name, replay_buffer, state):
        """Write checkpoint `name` (e.g. 'ckpt-000040'); returns its folder."""
        final = os.path.join(self.directory, name)

        def write_files(staging):
            self.saver.save(self.sess, os.path.join(staging, MODEL_PREFIX),
                            write_meta_graph=False, write_state=False)
            atomic.write_npz(os.path.join(staging, BUFFER_FILE), replay_buffer.state_dict())
            atomic.write_json(os.path.join(staging, STATE_FILE), dict(
                state, format_version=FORMAT_VERSION, saved_at=time.time(),
                buffer_rng=replay_buffer.rng_state()))

        write_folder(final, write_files, _replace)
        atomic.write_text(os.path.join(self.directory, LATEST), name + "\n")
        self._prune(keep_name=name)
        return final

    def restore(self, path, replay_buffer=None):
        """Load weights (and the buffer) to continue a run; returns the saved state dict.

        Every file is checked as it is read, and any damage is refused with
        the file's name before the run writes anything: the caller has
        changed nothing in the folder yet.
        """
        state = read_state(path)
        try:
            check_resumable(path, state)
            try:
                self.saver.restore(self.sess, os.path.join(path, MODEL_PREFIX))
            except self._errors as exc:
                raise model_error(path, exc, f"checkpoint {path} cannot be loaded") from None
            if replay_buffer is not None:
                load_buffer(path, replay_buffer, state)
        except UserError as exc:
            raise UserError(f"{exc}{resume_hint(path)}") from None
        return state

    def _prune(self, keep_name):
        names = sorted(n for n in os.listdir(self.directory)
                       if n.startswith("ckpt-") and os.path.isdir(os.path.join(self.directory, n)))
        for name in names[:-self.keep] if self.keep > 0 else []:
            if name != keep_name:
                shutil.rmtree(os.path.join(self.directory, name), ignore_errors=True)


class BestPolicy:
    """checkpoints/best: the actor's weights at the best periodic evaluation so far.

    `offer(point)` after each evaluation saves the policy when its mean
    return beats every earlier one of this run.  A resumed run passes the
    evaluations it keeps (those up to its checkpoint): the best among them
    is the score to beat, so the evaluations it takes again, with the same
    weights, decide exactly as the uninterrupted run decided, and it ends
    with the same best/.  The folder is built beside best/ and swapped in;
    a crash at any moment leaves the previous best or the new one.
    """

    def __init__(self, sess, actor, directory, config, earlier_points=()):
        from ddpg.compat import tf

        self.sess = sess
        self.directory = os.fspath(directory)
        self.config = dict(config)
        self.saver = tf.train.Saver(var_list=actor.network_params, save_relative_paths=True)
        means = [p["mean"] for p in earlier_points if _finite(p.get("mean"))]
        self.best_mean = max(means) if means else None
        _recover_best(self.directory)

    def offer(self, point):
        """Save the policy if `point` (an evaluations.json entry) is a new best; True if so."""
        mean = point.get("mean")
        if not _finite(mean) or (self.best_mean is not None and mean <= self.best_mean):
            return False

        def write_files(staging):
            self.saver.save(self.sess, os.path.join(staging, MODEL_PREFIX),
                            write_meta_graph=False, write_state=False)
            atomic.write_json(os.path.join(staging, STATE_FILE), {
                "format_version": FORMAT_VERSION, "saved_at": time.time(), "tag": BEST,
                "config": self.config, "steps": int(point["steps"]),
                "episode": int(point["episode"]), "evaluation": point})

        write_folder(os.path.join(self.directory, BEST), write_files, _swap_in)
        self.best_mean = mean
        return True


def _finite(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool) \
        and np.isfinite(value)


def write_folder(final, write_files, swap):
    """Build folder `final`: `write_files(staging)` fills a temporary folder beside it,
    then `swap(staging, final)` puts it in place, so a reader never sees half a folder."""
    parent, name = os.path.split(final)
    os.makedirs(parent, exist_ok=True)
    staging = os.path.join(parent, f".{name}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    try:
        write_files(staging)
        _fsync_dir(staging)
        swap(staging, final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace(staging, final):
    """A checkpoint folder of the same name is only ever rewritten whole: drop it, rename."""
    if os.path.exists(final):
        shutil.rmtree(final)
    os.replace(staging, final)


def _swap_in(staging, final):
    """Replace folder `final` with `staging`; the old one is set aside until the new is in.

    Between the two renames `final` is briefly missing; _recover_best puts
    the set-aside copy back if a crash lands exactly there.
    """
    aside = final + ".old.tmp"
    shutil.rmtree(aside, ignore_errors=True)
    if os.path.exists(final):
        os.replace(final, aside)
    os.replace(staging, final)
    shutil.rmtree(aside, ignore_errors=True)


def _recover_best(directory):
    final = os.path.join(directory, BEST)
    aside = final + ".old.tmp"
    if os.path.isdir(aside):
        if os.path.exists(final):
            shutil.rmtree(aside, ignore_errors=True)
        else:
            os.replace(aside, final)
    for name in os.listdir(directory) if os.path.isdir(directory) else []:
        if name.startswith(f".{BEST}.") and name.endswith(".tmp"):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def best_checkpoint(results_dir):
    """checkpoints/best of a run, or None when no evaluation has saved one."""
    path = os.path.join(checkpoint_dir(results_dir), BEST)
    return path if os.path.isfile(os.path.join(path, STATE_FILE)) else None


def read_best(results_dir):
    """What the best checkpoint scored: {steps, episode, mean, std, returns, path}, or None.

    Reads only JSON (no TensorFlow), for plots and reports that mark the
    best point on a learning curve.
    """
    path = best_checkpoint(results_dir)
    if path is None:
        return None
    try:
        with open(os.path.join(path, STATE_FILE), encoding="utf-8") as handle:
            state = json.load(handle)
        evaluation = state["evaluation"]
        return dict(evaluation, steps=int(state["steps"]), episode=int(state["episode"]),
                    path=path)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def checkpoint_dir(results_dir):
    """Where a run in `results_dir` keeps its checkpoints."""
    return os.path.join(results_dir, CHECKPOINTS)


def latest_checkpoint(directory):
    """Folder of the newest complete checkpoint, or None when there is none."""
    pointer = os.path.join(directory, LATEST)
    if not os.path.isfile(pointer):
        return None
    with open(pointer, encoding="utf-8") as handle:
        name = handle.read().strip()
    path = os.path.join(directory, name)
    return path if name else None


def read_state(path):
    """state.json of a checkpoint, checked enough to fail with a clear message."""
    if not os.path.isdir(path):
        raise UserError(f"checkpoint {path} does not exist{_what_is_there(path)}")
    state_path = os.path.join(path, STATE_FILE)
    try:
        with open(state_path, encoding="utf-8") as handle:
            state = json.load(handle)
    except FileNotFoundError:
        raise UserError(f"checkpoint {path} is corrupt or incomplete: it has no "
                        f"{STATE_FILE}") from None
    except (OSError, ValueError) as exc:
        raise UserError(f"checkpoint {path} is corrupt or incomplete: its file {STATE_FILE} "
                        f"cannot be read ({_cause(exc)})") from None
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        raise UserError(f"checkpoint {path} has an unknown format (its {STATE_FILE} says "
                        f"format_version "
                        f"{state.get('format_version') if isinstance(state, dict) else None!r}, "
                        f"this ddpg reads {FORMAT_VERSION})")
    if not os.path.exists(os.path.join(path, MODEL_PREFIX + ".index")):
        raise UserError(f"checkpoint {path} is missing its model files")
    return state


def _cause(exc):
    """'Type: the line that says what went wrong', for a damaged file's message."""
    return f"{type(exc).__name__}: {first_line(exc)}"


def _damaged(path, name, cause, problem="cannot be read"):
    return UserError(f"checkpoint {path} is damaged: its file {name} {problem} ({cause})")


def check_resumable(path, state):
    """UserError unless state.json holds what continuing a run needs, in usable form.

    A hand-edited or foreign state.json would otherwise fail deep in the
    driver with a KeyError or a NumPy error about bit generators.
    """
    def broken(what):
        return UserError(f"checkpoint {path} is corrupt or incomplete: its file {STATE_FILE} "
                         f"has {what}")

    training = state.get("training")
    if not isinstance(training, dict):
        raise broken("no training counters ('training')")
    for key in ("episode", "total_steps", "total_updates"):
        value = training.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise broken(f"a bad training.{key}: {value!r}")
    rewards = training.get("episode_rewards", [])
    if not isinstance(rewards, list) or not all(_is_number(r) for r in rewards):
        raise broken("bad training.episode_rewards")
    if not _is_number(training.get("seconds", 0.0)):
        raise broken(f"a bad training.seconds: {training.get('seconds')!r}")
    noise = state.get("noise")
    if not isinstance(noise, dict) or not _usable_rng_state(noise.get("rng")):
        raise broken("no usable exploration-noise generator state ('noise')")
    if "x_prev" in noise:
        try:
            np.asarray(noise["x_prev"], dtype=np.float64)
        except (TypeError, ValueError):
            raise broken(f"a bad noise.x_prev: {noise['x_prev']!r}") from None
    for key, value in (("target_noise", (state.get("target_noise") or {}).get("rng")),
                       ("buffer_rng", state.get("buffer_rng"))):
        if key in state and not _usable_rng_state(value):
            raise broken(f"an unusable random generator state ('{key}')")


def _is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _usable_rng_state(state):
    """Whether NumPy accepts `state` as a bit generator's state (as the resume will set it)."""
    try:
        kind = getattr(np.random, state["bit_generator"])
        if not (isinstance(kind, type) and issubclass(kind, np.random.BitGenerator)):
            return False
        kind().state = state
    except (TypeError, ValueError, KeyError, AttributeError, OverflowError):
        return False
    return True


def load_buffer(path, replay_buffer, state):
    """Fill `replay_buffer` from the checkpoint's replay_buffer.npz, checked first."""
    buffer_path = os.path.join(path, BUFFER_FILE)
    if not os.path.isfile(buffer_path):
        raise UserError(f"checkpoint {path} is incomplete: it has no {BUFFER_FILE}")
    try:
        with open(buffer_path, "rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
    except OSError as exc:
        raise _damaged(path, BUFFER_FILE, _cause(exc)) from None
    if not is_zip:  # np.load would try the other formats it reads
        raise _damaged(path, BUFFER_FILE, "it is not an .npz (zip) archive")
    try:
        with np.load(buffer_path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
        raise _damaged(path, BUFFER_FILE, _cause(exc)) from None
    problem = _buffer_problem(arrays)
    if problem:
        raise _damaged(path, BUFFER_FILE, problem, "does not hold a whole replay buffer")
    try:
        replay_buffer.load_state_dict(arrays)
    except ValueError as exc:  # another capacity: a setting, not damage
        raise UserError(f"checkpoint {path}: its replay buffer does not fit this run: "
                        f"{first_line(exc)}") from None
    if "buffer_rng" in state:
        replay_buffer.set_rng_state(state["buffer_rng"])


def _buffer_problem(arrays):
    """What is inconsistent in a replay_buffer.npz's arrays, or None.

    A zip can be whole and still hold the wrong thing: a member missing,
    a count that does not match the rows, rows narrower than a transition.
    """
    required = ["buffer_size", "count", "next"]
    if int(np.size(arrays.get("count", 0))) == 1 and int(arrays.get("count", 0)) > 0:
        required += ["rows", "obs_shape", "act_shape"]
    missing = [key for key in required if key not in arrays]
    if missing:
        return f"it lacks {', '.join(missing)}"
    try:
        capacity, count, cursor = (int(arrays[key]) for key in ("buffer_size", "count", "next"))
    except (TypeError, ValueError):
        return "its buffer_size, count and next are not single integers"
    if not (0 <= count <= capacity and 0 <= cursor < max(capacity, 1)):
        return f"count {count} and next {cursor} do not fit its capacity {capacity}"
    if "rows" in arrays:
        rows = arrays["rows"]
        obs = int(np.prod(arrays["obs_shape"]))
        act = int(np.prod(arrays["act_shape"]))
        width = 2 * obs + act + 2  # s, a, r, t, s2
        if rows.ndim != 2 or rows.shape != (count, width):
            return (f"its rows have shape {tuple(rows.shape)}, not ({count}, {width}) for "
                    f"{count} transitions of observations of size {obs} and actions of "
                    f"size {act}")
    return None


def model_error(checkpoint, exc, otherwise):
    """The UserError for TensorFlow failing to read a checkpoint's weights.

    Damage (a checksum that does not match, a file cut short or missing) is
    named as such, with the file and TensorFlow's cause; any other failure
    is `otherwise` (what did not fit) followed by the cause.
    """
    from ddpg.compat import tf

    cause = first_line(exc)
    if isinstance(exc, tf.errors.NotFoundError) and "No such file" in cause:
        name = _model_file(checkpoint, cause)
        return UserError(f"checkpoint {checkpoint} is incomplete: its file {name} is missing"
                         f"{_other_checkpoints(checkpoint)}")
    if not isinstance(exc, (tf.errors.DataLossError, tf.errors.OutOfRangeError)):
        return UserError(f"{otherwise}: {cause}")
    # "TensorBundle at <prefix> shard 0 (384 bytes): Checksum does not match: ..."
    short = re.sub(r"^TensorBundle at \S+ shard \d+ \(\d+ bytes\): ", "", cause)
    name = _model_file(checkpoint, cause) if _index_readable(checkpoint) \
        else MODEL_PREFIX + ".index"
    return UserError(f"checkpoint {checkpoint} is damaged: its file {name} cannot be read "
                     f"({type(exc).__name__}: {short}){_other_checkpoints(checkpoint)}")


def _index_readable(checkpoint):
    """Whether TensorFlow can read model.index (a restore's error does not say which file)."""
    from ddpg.compat import tf

    try:
        tf.train.load_checkpoint(os.path.join(checkpoint, MODEL_PREFIX))
    except (tf.errors.OpError, ValueError):
        return False
    return True


def _model_file(checkpoint, cause):
    """Which of the checkpoint's model files TensorFlow's message is about."""
    named = re.search(re.escape(MODEL_PREFIX) + r"\.(index|data-\d+-of-\d+)", cause)
    if named:
        return named.group(0)
    data = sorted(n for n in os.listdir(checkpoint) if n.startswith(MODEL_PREFIX + ".data-"))
    shard = re.search(r"shard (\d+)", cause)
    if shard:
        data = [n for n in data if n.startswith(f"{MODEL_PREFIX}.data-{int(shard.group(1)):05d}")]
    return data[0] if len(data) == 1 else MODEL_PREFIX + ".data-*"


def _checkpoint_names(directory):
    try:
        return sorted(n for n in os.listdir(directory)
                      if n.startswith("ckpt-") and os.path.isdir(os.path.join(directory, n)))
    except OSError:
        return []


def _other_checkpoints(checkpoint):
    """'; other checkpoints here: ...' naming the sibling checkpoints, or ''."""
    directory, name = os.path.split(os.path.normpath(checkpoint))
    others = [n for n in _checkpoint_names(directory) if n != name]
    return f"; other checkpoints of this run: {', '.join(others)}" if others else ""


def resume_hint(checkpoint):
    """How to resume from an earlier checkpoint when the latest is damaged."""
    directory, name = os.path.split(os.path.normpath(checkpoint))
    earlier = [n for n in _checkpoint_names(directory) if n < name]
    if not earlier:
        return ""
    return (f" (to resume from an earlier one, write its name, e.g. {earlier[-1]}, into "
            f"{os.path.join(directory, LATEST)})")


def _what_is_there(path):
    """For a checkpoint that does not exist: the ones its folder holds, and why older ones
    are gone (a run keeps only its newest --keep-checkpoints)."""
    directory = os.path.dirname(os.path.normpath(path))
    names = _checkpoint_names(directory)
    if not names:
        return ""
    keep = _kept_by(os.path.dirname(directory))
    if os.path.isdir(os.path.join(directory, BEST)):
        names.append(BEST)
    rule = (f"a run keeps only its newest {keep} checkpoints and deletes older ones "
            f"(--keep-checkpoints N keeps N, 0 every one)" if keep
            else "this run kept every checkpoint")
    return f"; {directory} holds {', '.join(names)}: {rule}"


def _kept_by(results_dir):
    """The --keep-checkpoints of the run in `results_dir` (its config.json), else the default."""
    from ddpg.config import DEFAULTS

    try:
        with open(os.path.join(results_dir, "config.json"), encoding="utf-8") as handle:
            keep = json.load(handle).get("keep_checkpoints", DEFAULTS.keep_checkpoints)
    except (OSError, ValueError, AttributeError):
        keep = DEFAULTS.keep_checkpoints
    return keep if isinstance(keep, int) and not isinstance(keep, bool) else \
        DEFAULTS.keep_checkpoints


def _fsync_dir(path):
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# -- loading a trained actor back, to act or be evaluated --------------------------

def find_checkpoint(results_dir=None, checkpoint=None, best=False):
    """The checkpoint folder to load: the given one, the run's best, or its latest."""
    if checkpoint and best:
        raise UserError("give --checkpoint PATH or --best, not both")
    if checkpoint:
        path = os.path.abspath(checkpoint)
        read_state(path)  # UserError when missing or corrupt
        return path
    if not results_dir:
        raise UserError("give --results-dir DIR" + (" with --best" if best else
                                                     " or --checkpoint PATH"))
    if not os.path.isdir(results_dir):
        raise UserError(f"--results-dir {results_dir} is not a folder")
    if best:
        path = best_checkpoint(results_dir)
        if path is None:
            raise UserError(_why_no_best(results_dir))
    else:
        path = latest_checkpoint(checkpoint_dir(results_dir))
        if path is None:
            raise UserError(f"no checkpoint in {checkpoint_dir(results_dir)}")
    read_state(path)
    return path


def read_run_env_id(results_dir):
    """The task a run folder's config.json names, or None (no folder or no config)."""
    if not results_dir:
        return None
    try:
        with open(os.path.join(results_dir, "config.json"), encoding="utf-8") as handle:
            return json.load(handle).get("env_id")
    except (OSError, ValueError, AttributeError):
        return None


def _why_no_best(results_dir):
    from ddpg.outputs.evaluation import PERIODIC_FILE, read_evaluations

    try:
        evaluated = read_evaluations(os.path.join(results_dir, PERIODIC_FILE))
    except (OSError, ValueError):
        evaluated = []
    if not evaluated:
        return (f"--best: the run in {results_dir} made no periodic evaluations, so it has "
                f"no best checkpoint (train with --eval-every N)")
    return (f"--best: the run in {results_dir} has no {os.path.join(CHECKPOINTS, BEST)} "
            f"(its evaluations were made before best checkpoints were kept)")


def saved_settings(config):
    """A checkpoint's run settings as a dict, missing ones taken from the defaults.

    Checkpoints store the run's whole resolved config; older or hand-made
    ones may lack a key, and then the default is what that run used.
    """
    from ddpg.config import DEFAULTS

    settings = DEFAULTS.to_dict()
    settings.update({key: value for key, value in (config or {}).items() if key in settings})
    settings["hidden_sizes"] = tuple(settings["hidden_sizes"])
    return settings


def saved_shapes(checkpoint):
    """{variable name: shape} of every variable in a checkpoint folder."""
    from ddpg.compat import tf

    try:
        shapes = tf.train.load_checkpoint(
            os.path.join(checkpoint, MODEL_PREFIX)).get_variable_to_shape_map()
    except (tf.errors.OpError, ValueError) as exc:
        # read_state found model.index; TensorFlow cannot parse it (a bad checksum or magic).
        raise UserError(f"checkpoint {checkpoint} is damaged: its file {MODEL_PREFIX}.index "
                        f"cannot be read ({_cause(exc)}){_other_checkpoints(checkpoint)}") \
            from None
    return {name: tuple(shape) for name, shape in shapes.items()}


def check_actor_fits(checkpoint, env):
    """UserError unless the saved actor's input and output sizes are the task's.

    A checkpoint copied from another run, or a task whose spaces changed,
    would otherwise fail deep inside TensorFlow's restore with a shape error.
    """
    from ddpg.envs import dims

    shapes = saved_shapes(checkpoint)
    first, last = shapes.get("actor/fc1/W"), shapes.get("actor/out/W")
    if first is None or last is None:
        raise UserError(f"checkpoint {checkpoint} holds no actor network")
    state_dim, action_dim = dims(env)
    saved = (first[0], last[-1])
    if saved != (state_dim, action_dim):
        name = env.spec.id if env.spec else type(env.unwrapped).__name__
        raise UserError(f"checkpoint {checkpoint} holds an actor for observations of size "
                        f"{saved[0]} and actions of size {saved[1]}, but {name} has "
                        f"{state_dim} and {action_dim}")


def load_actor(checkpoint, env):
    """(sess, actor): the checkpoint's actor, built as its run built it, in a fresh graph.

    Any checkpoint folder works: a periodic one (ckpt-NNNNNN) or
    `checkpoints/best`, which holds the policy alone.  The network's shape
    and initialisation come from the run's saved settings, so a run made
    with --hidden-sizes or a preset loads without repeating them.
    """
    from ddpg.compat import tf
    from ddpg.envs import dims
    from ddpg.run.session import make_session

    settings = saved_settings(read_state(checkpoint).get("config"))
    check_actor_fits(checkpoint, env)
    tf.reset_default_graph()
    sess = make_session(seed=settings["random_seed"])
    state_dim, action_dim = dims(env)
    try:
        actor = restore_actor(sess, checkpoint, settings, state_dim, action_dim, env.action_space)
    except BaseException:
        sess.close()
        raise
    return sess, actor


def restore_actor(sess, checkpoint, settings, state_dim, action_dim, action_space):
    """The checkpoint's actor, built from its run's `settings` into `sess`'s graph.

    Builds in whatever graph is the default (load_actor resets the global
    one; ddpg.load_policy gives each policy a graph of its own).  The policy
    itself must be in the checkpoint; its target copy only in full
    checkpoints (best/ keeps the policy alone), and what is not restored
    keeps its initial value.
    """
    from ddpg.compat import tf
    from ddpg.config import TrainConfig
    from ddpg.core.agent import build_actor

    actor = build_actor(TrainConfig(**settings), sess, state_dim, action_dim, action_space)
    saved = saved_shapes(checkpoint)
    variables = actor.network_params + [v for v in actor.target_network_params
                                        if v.op.name in saved]
    sess.run(tf.global_variables_initializer())
    try:
        tf.train.Saver(var_list=variables).restore(sess, os.path.join(checkpoint, MODEL_PREFIX))
    except (tf.errors.OpError, ValueError) as exc:
        raise model_error(checkpoint, exc, f"checkpoint {checkpoint} does not hold an actor "
                          f"of the shape {settings['env_id']} and hidden sizes "
                          f"{list(settings['hidden_sizes'])} need") from None
    return actor
