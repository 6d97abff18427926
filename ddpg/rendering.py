"""Recording one deterministic episode of a policy as an animated GIF."""
from ddpg.envs import make_env
from ddpg.errors import UserError
from ddpg.evaluation import greedy_policy, run_policy_episode
from ddpg.seeding import evaluation_seeds
from ddpg.video import write_gif


def record_frames(env_id, actor, random_seed, max_episode_len):
    """Frames of one noise-free episode on the first evaluation seed."""
    env = make_env(env_id, render_mode="rgb_array")
    frames = []
    try:
        total, steps = run_policy_episode(env, greedy_policy(actor),
                                          evaluation_seeds(random_seed, 1)[0],
                                          max_episode_len, on_frame=frames.append)
    finally:
        env.close()
    fps = env.metadata.get("render_fps", 30)
    return [f for f in frames if f is not None], total, fps


def record_gif(env_id, actor, path, random_seed, max_episode_len, max_side=256):
    """Write `path`; returns it, or None when the environment cannot render."""
    try:
        frames, _, fps = record_frames(env_id, actor, random_seed, max_episode_len)
    except (UserError, ImportError, RuntimeError) as exc:
        print(f"GIF skipped: {exc}")
        return None
    if not frames:
        return None
    return write_gif(frames, path, fps=fps, max_side=max_side)
