"""The return of a uniform-random policy on each task: the 0 of the report's normalized scores.

An aggregate across tasks needs every task on one scale: 0 is what acting
at random earns on that task, 1 the TD3 paper's Table 1 TD3 figure
(ddpg.sweep.aggregate).  Atari's human-normalized scores anchor 0 the same
way.  The paper publishes no random-policy returns for its tasks, and
Gymnasium's v5 tasks differ from its v1 ones, so the package measures them
itself, on the very tasks its runs used, and keeps the measurement with
the runs (benchmarks/<name>/random_baseline.json).

Reproducible: the same seed, episode count and versions give the same
numbers.  Each task is measured on its own, from the seed alone (its action
space seeded with it, its episodes reset with the evaluation seeds the
package's own evaluation derives from it), so a task's figures do not
depend on which other tasks are measured with it or in which order.
"""
import os

import numpy as np

from ddpg import atomic
from ddpg.errors import UserError

BASELINE_FILE = "random_baseline.json"
FORMAT = 1
DEFAULT_EPISODES = 100
DEFAULT_SEED = 0
MAX_EPISODE_LEN = 1000  # the td3-paper runs' max_episode_len; a task's own time limit still ends it
POLICY_TEXT = ("uniform random: each action drawn by the task's action space (Box.sample, "
               "uniform within the bounds), seeded once per task with the seed; episodes "
               "reset with the package's evaluation seeds derived from the seed "
               "(ddpg.core.seeding.evaluation_seeds), as a trained policy's evaluation is; each "
               "episode ends at termination, at the task's time limit or after "
               "max_episode_len steps")


def measure_task(env_id, episodes=DEFAULT_EPISODES, seed=DEFAULT_SEED,
                 max_episode_len=MAX_EPISODE_LEN):
    """{mean, std, min, max, episodes, mean_length, max_episode_steps, returns} of one task."""
    from ddpg.core.seeding import evaluation_seeds
    from ddpg.envs import make_env
    from ddpg.outputs.evaluation import run_policy_episode

    env = make_env(env_id)
    try:
        env.action_space.seed(int(seed))
        returns, lengths = [], []
        for episode_seed in evaluation_seeds(seed, episodes):
            total, steps = run_policy_episode(env, lambda obs: env.action_space.sample(),
                                              episode_seed, max_episode_len)
            returns.append(total)
            lengths.append(steps)
        limit = env.spec.max_episode_steps if env.spec else None
    finally:
        env.close()
    values = np.asarray(returns, dtype=float)
    return {"mean": float(values.mean()), "std": float(values.std()),
            "min": float(values.min()), "max": float(values.max()), "episodes": len(returns),
            "mean_length": float(np.mean(lengths)), "max_episode_steps": limit,
            "returns": [float(r) for r in returns]}


def measure(env_ids, episodes=DEFAULT_EPISODES, seed=DEFAULT_SEED,
            max_episode_len=MAX_EPISODE_LEN, progress=None):
    """random_baseline.json's content for these tasks, after checking every input first."""
    from ddpg.sweep.grid import check_envs

    check_inputs(episodes, seed)
    env_ids = list(dict.fromkeys(env_ids))
    check_envs(env_ids)
    tasks = {}
    for env_id in env_ids:
        tasks[env_id] = measure_task(env_id, episodes, seed, max_episode_len)
        if progress:
            progress(env_id, tasks[env_id])
    return {"format": FORMAT, "policy": POLICY_TEXT, "seed": int(seed), "episodes": int(episodes),
            "max_episode_len": int(max_episode_len), "std": "population (ddof=0) over episodes",
            "versions": versions(), "tasks": tasks}


def check_inputs(episodes, seed):
    if episodes is None or episodes < 1:
        raise UserError(f"--baseline-episodes must be at least 1, got {episodes}")
    if seed is None or seed < 0:
        raise UserError(f"--baseline-seed must be 0 or more, got {seed}")


def versions():
    """The versions that decide the numbers: the tasks' code and the random draws."""
    import gymnasium

    found = {"gymnasium": gymnasium.__version__, "numpy": np.__version__}
    try:
        import mujoco
    except ImportError:
        pass
    else:
        found["mujoco"] = mujoco.__version__
    return found


def write(folder, baseline, force=False):
    """Write random_baseline.json into `folder` atomically; never over another one unasked."""
    path = os.path.join(folder, BASELINE_FILE)
    if os.path.exists(path) and not force:
        raise UserError(f"{path} already exists; --force replaces it")
    os.makedirs(folder, exist_ok=True)
    atomic.write_json(path, baseline)
    return path


def read(folders):
    """{task: its figures, plus the file's seed and episodes} from the folders' baselines.

    Several report sources may each hold one; a task measured in two of them
    with different numbers is refused, since one report cannot use both.
    """
    import json

    found, where = {}, {}
    for folder in folders:
        path = os.path.join(folder, BASELINE_FILE)
        try:
            with open(path, encoding="utf-8") as handle:
                baseline = json.load(handle)
        except FileNotFoundError:
            continue
        except ValueError as exc:
            raise UserError(f"{path} is not valid JSON ({exc})") from None
        for env_id, figures in (baseline.get("tasks") or {}).items():
            entry = {"mean": figures["mean"], "std": figures["std"],
                     "episodes": figures["episodes"], "seed": baseline.get("seed")}
            if env_id in found and found[env_id] != entry:
                raise UserError(f"the random baselines in {where[env_id]} and {path} differ "
                                f"on {env_id}; leave one out")
            found[env_id], where[env_id] = entry, path
    return found
