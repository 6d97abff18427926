"""Pictures of a policy: one episode as a GIF (Pillow, always there) or MP4 (moviepy)."""
import numpy as np

from ddpg.atomic import atomic_path
from ddpg.core.seeding import evaluation_seeds
from ddpg.errors import first_line
from ddpg.outputs.evaluation import greedy_policy, run_policy_episode

# GIFs of a whole episode get large; 256 pixels a side keep one under a few MB.
GIF_MAX_SIDE = 256


def mp4_available():
    try:
        import moviepy  # noqa: F401
    except ImportError:
        return False
    return True


def write_gif(frames, path, fps=30, max_side=None):
    """Animated GIF of `frames` (H x W x 3 uint8), written atomically."""
    from PIL import Image

    if len(frames) == 0:
        raise ValueError("no frames to write")
    images = [Image.fromarray(np.asarray(frame, dtype=np.uint8)) for frame in frames]
    if max_side:
        scale = max_side / max(images[0].size)
        if scale < 1:
            size = (round(images[0].width * scale), round(images[0].height * scale))
            images = [image.resize(size, Image.LANCZOS) for image in images]
    duration_ms = max(20, int(round(1000.0 / fps)))
    with atomic_path(path) as tmp:
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:],
                       duration=duration_ms, loop=0, optimize=False)
    return path


def write_mp4(frames, path, fps=30):
    """MP4 through moviepy (call only when mp4_available())."""
    try:
        from moviepy import ImageSequenceClip
    except ImportError:  # moviepy 1.x
        from moviepy.editor import ImageSequenceClip
    clip = ImageSequenceClip([np.asarray(f, dtype=np.uint8) for f in frames], fps=fps)
    with atomic_path(path, keep_extension=True) as tmp:
        clip.write_videofile(tmp, codec="libx264", audio=False, logger=None)
    return path


def write_video(frames, path_without_ext, fps=30):
    """MP4 when moviepy is installed, otherwise a GIF; returns the path."""
    if mp4_available():
        return write_mp4(frames, path_without_ext + ".mp4", fps)
    return write_gif(frames, path_without_ext + ".gif", fps)


def record_frames(env_id, actor, random_seed, max_episode_len):
    """Frames of one noise-free episode on the first evaluation seed."""
    from ddpg.envs import make_env

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


def record_gif(env_id, actor, path, random_seed, max_episode_len):
    """Write `path`; returns it, or None when the environment cannot render."""
    try:
        frames, _, fps = record_frames(env_id, actor, random_seed, max_episode_len)
    except Exception as exc:  # no OpenGL (MuJoCo without EGL/OSMesa), no renderer: go on
        print(f"GIF skipped: {env_id} cannot render here ({type(exc).__name__}: "
              f"{first_line(exc)})")
        return None
    if not frames:
        return None
    return write_gif(frames, path, fps=fps, max_side=GIF_MAX_SIDE)
