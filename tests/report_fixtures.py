"""Crafted sweep folders for the report tests: the files a trial writes, written by hand."""
import os

from ddpg import atomic
from ddpg.config import resolve
from ddpg.sweep import runner
from ddpg.sweep.grid import SweepSpec


def write_trial(storage, folder, env_id, evaluations, status="finished", preset="fujimoto2018",
                training=None, final=None, config=None, seconds=100.0, error=None,
                steps_per_s=100.0, monitor_id="0.1", started=1.0, label=None):
    """One trial folder: evaluations.json as ddpg.outputs.evaluation writes it, and the rest.

    `evaluations`: [(steps, [returns of the evaluation episodes])]; `training`:
    returns of the Monitor training episodes (each 10 steps long); `seconds`: the
    attempts' wall time in sweep_trial.json; `steps_per_s`: the run's own clock;
    `monitor_id`: the '<attempt>.<pid>' the Monitor files are named by; `started`:
    when its first attempt began, which tells a changed copy from another run;
    `label`: a study's name for the trial's row, kept in sweep_trial.json.
    """
    path = os.path.join(str(storage), folder)
    points = []
    for index, (steps, returns) in enumerate(evaluations):
        mean = sum(returns) / len(returns)
        std = (sum((r - mean) ** 2 for r in returns) / len(returns)) ** 0.5
        points.append({"steps": steps, "episode": index, "mean": mean, "std": std,
                       "returns": list(returns), "wall_seconds": steps / steps_per_s,
                       "steps_per_s": steps_per_s})
    atomic.write_json(os.path.join(path, "evaluations.json"),
                      {"env_id": env_id, "evaluations": points})
    # Every resolved setting, as a run writes them: a trial is known by its settings.
    overrides = {"env_id": env_id, "total_steps": 300, "eval_every": 100, "eval_episodes": 2,
                 "random_seed": 0, "results_dir": path, "threads": 1}
    overrides.update(config or {})
    settings = resolve(preset=preset, overrides=overrides).to_dict()
    atomic.write_json(os.path.join(path, "config.json"), settings)
    atomic.write_json(os.path.join(path, "sweep_trial.json"),
                      {"status": status, "wall_seconds": seconds,
                       "attempts": [{"started": started}],
                       "trial_id": folder[len("runs/"):], **({"error": error} if error else {}),
                       **({"label": label} if label else {})})
    if final is not None:
        atomic.write_json(os.path.join(path, "evaluation.json"), {"mean_return": final})
    if training is not None:
        monitor = os.path.join(path, "gym_ddpg")
        kinds = ["t"] * len(training) + (["e"] if final is not None else [])
        rewards = list(training) + ([final] if final is not None else [])
        stats = f"openaigym.episode_batch.{monitor_id}.stats.json"
        atomic.write_json(os.path.join(monitor, stats), {
            "initial_reset_timestamp": 1.0, "timestamps": [1.0] * len(rewards),
            "episode_lengths": [10] * len(rewards), "episode_rewards": rewards,
            "episode_types": kinds})
        atomic.write_json(os.path.join(monitor, f"openaigym.manifest.{monitor_id}.manifest.json"), {
            "stats": stats, "videos": [],
            "env_info": {"env_id": env_id, "gym_version": "test"}})
    return path


def save_spec(storage, envs, seeds, preset="fujimoto2018", name="s", grid=None):
    spec = SweepSpec(name=name, envs=envs, seeds=seeds, preset=preset, grid=grid or {},
                     fixed={"total_steps": 300})
    runner.save_spec(str(storage), spec)
    return spec
