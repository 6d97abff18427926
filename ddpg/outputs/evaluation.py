"""Deterministic evaluation of a trained policy on fixed, held-out seeds."""
import json
import math
import time

import numpy as np

from ddpg import atomic
from ddpg.core.seeding import evaluation_seeds

# A run folder's evaluations: the final one, and the periodic ones (--eval-every).
FINAL_FILE = "evaluation.json"
PERIODIC_FILE = "evaluations.json"


def run_policy_episode(env, policy, seed, max_episode_len, on_frame=None):
    """Return and length of one episode of `policy(obs) -> action`."""
    obs, _ = env.reset(seed=seed)
    if on_frame is not None:
        on_frame(env.render())
    total = 0.0
    steps = 0
    for steps in range(1, max_episode_len + 1):
        obs, reward, terminated, truncated, _ = env.step(policy(obs))
        total += float(reward)
        if on_frame is not None:
            on_frame(env.render())
        if terminated or truncated:
            break
    return total, steps


def greedy_policy(actor):
    """The actor's action without noise, clipped to the bounds."""
    def policy(obs):
        return actor.scaling.clip(actor.act(np.asarray(obs, dtype=np.float32).reshape(-1)))
    return policy


def evaluate(env, actor, episodes=10, random_seed=1234, max_episode_len=1000, env_id=None):
    """Mean and std of `episodes` noise-free returns on evaluation seeds.

    Evaluation seeds are odd and training seeds even, so a policy is never
    scored on an episode it trained on.
    """
    seeds = evaluation_seeds(random_seed, episodes)
    policy = greedy_policy(actor)
    started = time.perf_counter()
    returns, lengths = [], []
    for seed in seeds:
        total, steps = run_policy_episode(env, policy, seed, max_episode_len)
        returns.append(total)
        lengths.append(steps)
    wall = time.perf_counter() - started
    mean = float(np.mean(returns)) if returns else math.nan
    std = float(np.std(returns)) if returns else math.nan
    return {
        "env_id": env_id or (env.spec.id if env.spec else None),
        "seed": int(random_seed),
        "episodes": len(returns),
        "mean_return": mean,
        "std_return": std,
        "returns": [float(r) for r in returns],
        "episode_lengths": lengths,
        "episode_seeds": seeds,
        "env_steps": int(sum(lengths)),
        "wall_seconds": wall,
    }


def format_evaluation(result):
    """The final evaluation's line, in the form of the tutorial's per-episode line."""
    return (f"| Evaluation: mean return {result['mean_return']:.1f} "
            f"\u00b1 {result['std_return']:.1f} over {result['episodes']} episodes")


def format_evaluation_point(point):
    """A periodic evaluation's line: the final one's, plus when it was taken.

    `| Evaluation: mean return -150.3 ± 20.1 over 10 episodes | Episode 24 | Steps: 5,000`,
    so one grep for "| Evaluation:" finds every evaluation of a log.
    """
    return (format_evaluation({"mean_return": point["mean"], "std_return": point["std"],
                               "episodes": len(point.get("returns") or ())})
            + f" | Episode {point['episode']:d} | Steps: {point['steps']:,}")


def write_evaluation(path, result, **extra):
    """evaluation.json, atomically; `extra` adds keys such as the checkpoint."""
    atomic.write_json(path, dict(result, **extra))


class EvaluationLog:
    """evaluations.json: every periodic evaluation of a run, kept across resume.

    Rewritten atomically after each point.  On resume, points taken after
    the checkpoint being resumed from are dropped: the resumed run takes
    them again, with the same weights, so the file ends as an uninterrupted
    run's would.
    """

    def __init__(self, path, env_id, resume_at_steps=None):
        self.path = path
        self.env_id = env_id
        self.points = []
        if resume_at_steps is not None:
            self.points = [p for p in read_evaluations(path) if p["steps"] <= resume_at_steps]

    def append(self, point):
        self.points.append(point)
        atomic.write_json(self.path, {"env_id": self.env_id, "evaluations": self.points})


def read_evaluations(path):
    """The points of an evaluations.json ([] when there is none)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle).get("evaluations", [])
    except FileNotFoundError:
        return []


def read_final_evaluation(path):
    """The evaluation.json at `path` as a dict, or None when it is missing or unreadable."""
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except (FileNotFoundError, ValueError):
        return None


def evaluation_point(result, steps, episode, wall_seconds):
    """One line of evaluations.json from an `evaluate` result."""
    return {"steps": int(steps), "episode": int(episode), "mean": result["mean_return"],
            "std": result["std_return"], "returns": result["returns"],
            "wall_seconds": round(float(wall_seconds), 3),
            "steps_per_s": round(steps / wall_seconds, 1) if wall_seconds > 0 else None}
