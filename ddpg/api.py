"""Python front end: `fit` trains as `ddpg-train` does, `load_policy` acts with the result.

A sibling of `ddpg.cli`, at the top of the stack: `fit` resolves its
settings with the very function the command line uses
(`ddpg.cli.train.config_from_args`), then runs the same checks
(`ddpg.run.folder.prepare`) and the same driver (`ddpg.run.driver`), so a
run started from Python and one started from the shell cannot drift apart.
TensorFlow is imported only once a run or a policy is built: refusals of
bad settings stay fast, and `import ddpg` stays cheap.

    import ddpg
    run = ddpg.fit("Pendulum-v1", results_dir="results/pendulum")
    policy = ddpg.load_policy(run.results_dir)  # policy(obs) -> action
"""
from __future__ import annotations

import argparse
import dataclasses
import difflib
import numbers
import os
import re
from typing import Callable, Optional

import numpy as np

from ddpg.errors import UserError

__all__ = ["fit", "FitResult", "load_policy", "Policy"]


# -- fit: one training run, as ddpg-train runs it ---------------------------------

@dataclasses.dataclass(frozen=True)
class FitResult:
    """What a finished (or stopped) `fit` left in its results folder.

    Attributes:
        results_dir: the run's folder, as an absolute path.
        config: the resolved settings, as written to config.json.
        exit_code: what `ddpg-train` would have exited with: 0 when the
            run finished, 130 (143) when Ctrl-C (SIGTERM) stopped it.
        interrupted: True when the run stopped before its budget; it can
            continue with `fit(..., resume=True)`.
        evaluation: evaluation.json (the noise-free evaluation after
            training), or None when none was made (`eval_episodes=0`, or
            an interrupted run).
        evaluations: the periodic evaluations (evaluations.json), oldest
            first; empty unless `eval_every` was set.
        checkpoint: the newest checkpoint folder, or None.
        best_checkpoint: checkpoints/best (the policy at the best periodic
            evaluation), or None.
    """

    results_dir: str
    config: dict
    exit_code: int
    interrupted: bool
    evaluation: Optional[dict] = None
    evaluations: list = dataclasses.field(default_factory=list)
    checkpoint: Optional[str] = None
    best_checkpoint: Optional[str] = None

    @property
    def mean_return(self):
        """The final evaluation's mean return, or None without one."""
        return None if self.evaluation is None else self.evaluation.get("mean_return")


def fit(env_id: str, preset: Optional[str] = None, results_dir: Optional[str] = None,
        log: Optional[Callable[[str], None]] = print, **settings: object) -> FitResult:
    """Train DDPG (or TD3) on `env_id`: exactly the run `ddpg-train` makes.

    Settings resolve as on the command line: TrainConfig's defaults, then
    the preset's values (`tutorial`, `lillicrap2015`, `fujimoto2018` or
    `td3`), then the settings given here, which always win.  Each keyword
    is a field of `ddpg.TrainConfig` and means what its flag means
    (`max_episodes=100` is `--max-episodes 100`, `force=True` is
    `--force`); a setting given as None keeps its default.

    Args:
        env_id: a Gymnasium task with Box actions, e.g. "Pendulum-v1".
        preset: published settings to start from (default "tutorial").
        results_dir: the run's folder (default "./results", as
            ddpg-train); Monitor files, TensorBoard events, checkpoints,
            config.json and evaluation.json go there.
        log: called with each line ddpg-train prints (default `print`);
            None for silence.  On a terminal the episode lines and the
            progress bar are drawn on stdout, as ddpg-train draws them.
        **settings: any other TrainConfig fields.

    Returns:
        The run's folder, settings, evaluations and checkpoints, and
            whether it was interrupted.

    Raises:
        UserError: before anything is written, for an unknown setting, a
            value of the wrong type or range, an unknown task, or a folder
            that already holds a run (give `force=True` to replace it or
            `resume=True` to continue it).
    """
    given = dict(settings, env_id=env_id, preset=preset, results_dir=results_dir)
    given = {name: value for name, value in given.items() if value is not None}
    config, prepared = _prepare(given)
    from ddpg.run.driver import run_training

    exit_code = run_training(config, prepared, log=log if log is not None else _silent)
    return _result(config, exit_code)


def _prepare(given):
    """(TrainConfig, what folder.prepare returned): every refusal, in the API's words."""
    from ddpg.cli.train import config_from_args
    from ddpg.config import DEFAULTS
    from ddpg.run.folder import prepare

    try:
        overrides = {name: _checked_value(name, value) for name, value in given.items()}
        config = config_from_args(argparse.Namespace(**overrides), DEFAULTS.to_dict())
        return config, prepare(config)
    except UserError as exc:
        if type(exc) is not UserError:
            raise
        raise UserError(_in_python_terms(str(exc))) from None


def _fields():
    from ddpg.config import fields

    return {field.name: field for field in fields()}


def _checked_value(name, value):
    """`value` as setting `name` stores it, or UserError naming the setting.

    The command line's parser fixes types before TrainConfig sees a value;
    from Python anything can arrive, and a string where a number belongs
    or a number where a flag belongs would otherwise fail deep in a run
    (or, for a flag, silently count as true).
    """
    fields = _fields()
    field = fields.get(name)
    if field is None:
        close = difflib.get_close_matches(name, fields, n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise UserError(f"unknown setting {name!r}{hint}; the settings are the fields of "
                        f"ddpg.TrainConfig")
    kind = getattr(field.type, "__name__", field.type)
    if kind == "bool":
        if isinstance(value, (bool, np.bool_)):
            return bool(value)
    elif kind == "int":
        if isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_)):
            return int(value)
    elif kind == "float":
        if isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)):
            return float(value)
    elif kind == "tuple":
        if isinstance(value, (str, list, tuple)):
            return value
    elif kind == "str":
        if isinstance(value, str) or (name.endswith("_dir") and isinstance(value, os.PathLike)):
            return os.fspath(value)
    else:
        return value
    raise UserError(f"setting {name} must be {_KIND_WORDS[kind]}, got {value!r}")


_KIND_WORDS = {"bool": "True or False", "int": "an integer", "float": "a number",
               "tuple": "a list of integers, e.g. [400, 300]", "str": "a string"}


def _in_python_terms(message):
    """'--max-episodes must be ...' -> 'max_episodes must be ...'; '--force' -> 'force=True'.

    The checks below fit are shared with the command line and name flags;
    a Python caller wrote keywords.
    """
    from ddpg.config import flag_of

    by_flag = {}
    for field in _fields().values():
        is_switch = getattr(field.type, "__name__", field.type) == "bool"
        by_flag[flag_of(field)] = f"{field.name}=True" if is_switch else field.name
    return re.sub(r"--[a-z][a-z0-9-]*", lambda m: by_flag.get(m.group(0), m.group(0)), message)


def _silent(line):
    pass


def _result(config, exit_code):
    from ddpg.outputs.evaluation import read_evaluations, read_final_evaluation
    from ddpg.run.checkpoint import best_checkpoint, checkpoint_dir, latest_checkpoint
    from ddpg.run.folder import run_paths

    paths = run_paths(config)
    results_dir = os.path.abspath(config.results_dir)
    return FitResult(
        results_dir=results_dir,
        config=config.to_dict(),
        exit_code=int(exit_code),
        interrupted=exit_code != 0,
        # A stopped run's folder may still hold an earlier evaluation.json: not this run's.
        evaluation=read_final_evaluation(paths.evaluation_json) if exit_code == 0 else None,
        evaluations=read_evaluations(paths.evaluations_json),
        checkpoint=latest_checkpoint(checkpoint_dir(results_dir)),
        best_checkpoint=best_checkpoint(results_dir),
    )


# -- load_policy: a trained actor, ready to act ------------------------------------

def load_policy(path: str | os.PathLike, best: bool = False) -> Policy:
    """The trained policy in `path`, ready to act: `policy(obs) -> action`.

    Args:
        path: a run's results folder (its latest checkpoint is loaded) or
            one checkpoint folder (checkpoints/ckpt-NNNNNN, checkpoints/best).
        best: load the run's checkpoints/best instead, the policy at its
            best periodic evaluation (kept by runs trained with `eval_every`).

    Returns:
        The policy, in its own TensorFlow graph and session; close it (or
            use it in a `with` block) when done.

    Raises:
        UserError: when `path` is missing, holds no checkpoint, or holds a
            damaged one, or the task it was trained on cannot be made here.
    """
    from ddpg.envs import dims, make_env
    from ddpg.run.checkpoint import check_actor_fits, read_state, saved_settings

    checkpoint = _find_checkpoint(os.fspath(path), best)
    settings = saved_settings(read_state(checkpoint).get("config"))
    env = make_env(settings["env_id"])
    try:
        check_actor_fits(checkpoint, env)
        observation_space = env.unwrapped.observation_space
        action_space = env.action_space
        observation_dim, action_dim = dims(env)
    finally:
        env.close()
    return Policy(checkpoint, settings, observation_space, action_space, observation_dim,
                  action_dim)


def _find_checkpoint(path, best):
    """The checkpoint folder `path` names: itself, or a results folder's latest or best."""
    from ddpg.run.checkpoint import (
        BEST,
        CHECKPOINTS,
        STATE_FILE,
        best_checkpoint,
        checkpoint_dir,
        latest_checkpoint,
        read_state,
    )

    if not os.path.exists(path):
        raise UserError(f"{path} does not exist")
    if not os.path.isdir(path):
        raise UserError(f"{path} is not a folder: give a run's results folder or a "
                        f"checkpoint folder")
    if os.path.exists(os.path.join(path, STATE_FILE)):
        if best:
            raise UserError(f"best=True needs a run's results folder, but {path} is a "
                            f"checkpoint folder")
        found = path
    elif best:
        found = best_checkpoint(path)
        if found is None:
            raise UserError(f"{path} has no {os.path.join(CHECKPOINTS, BEST)}: only runs "
                            f"trained with eval_every > 0 keep the policy at their best "
                            f"evaluation")
    else:
        found = latest_checkpoint(checkpoint_dir(path))
        if found is None:
            raise UserError(f"{path} holds no checkpoint: it is neither a run's results "
                            f"folder ({os.path.join(CHECKPOINTS, 'latest')}) nor a "
                            f"checkpoint folder ({STATE_FILE})")
    found = os.path.abspath(found)
    read_state(found)  # UserError when missing, corrupt or incomplete
    return found


class Policy:
    """A trained actor in its own graph and session: observations in, actions out.

    Load one with `ddpg.load_policy`.  `predict(obs)` (or `policy(obs)`)
    takes one observation and returns one action of the task's action
    shape, or a batch of n observations and returns n actions; actions
    are the actor's noise-free output, clipped to the action bounds, as
    evaluation and export give them.

    Each policy owns a private, finalised graph: two can be used side by
    side, and neither touches TensorFlow's default graph (where tutorial
    code or a training run builds).  The session holds threads and
    memory until `close()`, or the end of a `with` block.

    Attributes:
        env_id: the task the policy was trained on.
        checkpoint: the checkpoint folder it was loaded from.
        observation_space: the task's observation space (Gymnasium), the
            shape `predict` accepts for one observation.
        action_space: the task's action space; one action has its shape.
        observation_dim: the flat size of an observation.
        action_dim: the flat size of an action.
        low: the action's lower bounds (float32, one per dimension).
        high: the action's upper bounds.
        settings: the run's saved settings (a dict, as in config.json).
        graph: the policy's own TensorFlow graph (finalised).
        session: the Session that runs it.
        actor: the ActorNetwork in it, for uses beyond predict (e.g.
            `ddpg.evaluate(env, policy.actor)`).
    """

    def __init__(self, checkpoint, settings, observation_space, action_space, observation_dim,
                 action_dim):
        self.checkpoint = checkpoint
        self.settings = dict(settings, hidden_sizes=list(settings["hidden_sizes"]))
        self.env_id = settings["env_id"]
        self.observation_space = observation_space
        self.action_space = action_space
        self.observation_dim = int(observation_dim)
        self.action_dim = int(action_dim)
        self._closed = False
        self.graph, self.session, self.actor = _restore_actor(
            checkpoint, settings, observation_dim, action_dim, action_space)
        self.low = self.actor.scaling.low
        self.high = self.actor.scaling.high

    @property
    def closed(self):
        return self._closed

    def predict(self, observation):
        """The action for one observation, or actions for a batch (first axis)."""
        if self._closed:
            raise UserError(f"this policy ({self.checkpoint}) is closed; load it again with "
                            f"ddpg.load_policy")
        obs = np.asarray(observation, dtype=np.float32)
        single = self._is_one(obs.shape)
        if not single and not (obs.ndim >= 1 and self._is_one(obs.shape[1:])):
            raise UserError(
                f"observation of shape {obs.shape} does not fit {self.env_id}, whose "
                f"observations have shape {tuple(self.observation_space.shape)} (or a batch "
                f"of them, shape (n, {', '.join(map(str, self.observation_space.shape))}))")
        batch = obs.reshape(1 if single else obs.shape[0], self.observation_dim)
        actions = self.actor.scaling.clip(self.session.run(
            self.actor.scaled_out, feed_dict={self.actor.inputs: batch}))
        shape = tuple(self.action_space.shape)
        return actions.reshape(shape) if single else actions.reshape((len(batch),) + shape)

    __call__ = predict

    def _is_one(self, shape):
        return tuple(shape) in (tuple(self.observation_space.shape), (self.observation_dim,))

    def close(self):
        """Free the session; predict then refuses.  Closing twice is harmless."""
        if not self._closed:
            self._closed = True
            self.session.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
        return False

    def __repr__(self):
        state = ", closed" if self._closed else ""
        return (f"Policy({self.env_id!r}, checkpoint={self.checkpoint!r}, "
                f"observation_dim={self.observation_dim}, action_dim={self.action_dim}{state})")


def _restore_actor(checkpoint, settings, observation_dim, action_dim, action_space):
    """(graph, session, actor) with the checkpoint's actor weights, in a new graph.

    The actor is restored as `ddpg.load_actor` restores it, but in a graph
    of its own rather than a reset default graph, and without reseeding
    NumPy's and Python's global generators, which belong to the caller.
    """
    from ddpg.compat import tf
    from ddpg.run.checkpoint import restore_actor
    from ddpg.run.session import session_config

    graph = tf.Graph()
    with graph.as_default():
        tf.set_random_seed(settings["random_seed"])
        session = tf.Session(graph=graph, config=session_config())
        try:
            actor = restore_actor(session, checkpoint, settings, observation_dim, action_dim,
                                  action_space)
        except BaseException:
            session.close()
            raise
    graph.finalize()  # nothing else can be built into it by accident
    return graph, session, actor
