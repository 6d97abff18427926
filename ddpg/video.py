"""Turning rendered frames into GIF (Pillow, always there) or MP4 (moviepy)."""
import numpy as np

from ddpg.atomic import atomic_path


class VideoUnavailable(RuntimeError):
    """MP4 needs the optional `video` extra (moviepy)."""


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
    """MP4 through moviepy; raises VideoUnavailable when it is not installed."""
    try:
        from moviepy import ImageSequenceClip
    except ImportError:
        try:
            from moviepy.editor import ImageSequenceClip
        except ImportError as exc:
            raise VideoUnavailable(
                "MP4 video needs moviepy: pip install 'ddpg[video]'") from exc
    clip = ImageSequenceClip([np.asarray(f, dtype=np.uint8) for f in frames], fps=fps)
    with atomic_path(path, keep_extension=True) as tmp:
        clip.write_videofile(tmp, codec="libx264", audio=False, logger=None)
    return path


def write_video(frames, path_without_ext, fps=30):
    """MP4 when moviepy is installed, otherwise a GIF; returns the path."""
    if mp4_available():
        return write_mp4(frames, path_without_ext + ".mp4", fps)
    return write_gif(frames, path_without_ext + ".gif", fps)
