"""What gym's Monitor wrote, for Gymnasium, which has no Monitor.

Files follow gym 0.x's layout in the monitor folder:
  openaigym.episode_batch.<uid>.stats.json   per-episode statistics
  openaigym.manifest.<uid>.manifest.json     names the stats file and videos
  openaigym.video.<uid>.video000008.mp4      recorded episodes (when rendering)
Both JSON files are rewritten atomically after every episode, so an
interrupted run keeps every finished episode.
"""
import glob
import json
import os
import time

import gymnasium as gym
import numpy as np

from ddpg import atomic
from ddpg.outputs.video import write_video

PREFIX = "openaigym"
MANIFEST_GLOB = PREFIX + ".manifest.*.manifest.json"
EPISODE_TYPES = {"training": "t", "evaluation": "e"}
# Per-episode lists in a stats file, in step with each other.
STATS_KEYS = ("timestamps", "episode_lengths", "episode_rewards", "episode_types")


class MonitorError(RuntimeError):
    """The monitor folder holds an earlier run and neither force nor resume was given."""


def capped_cubic_video_schedule(episode_id):
    """gym's default: episodes 0, 1, 8, 27, ... up to 1000, then every 1000th."""
    if episode_id < 1000:
        return int(round(episode_id ** (1.0 / 3))) ** 3 == episode_id
    return episode_id % 1000 == 0


def monitor_files(directory):
    return atomic.prefixed_files(directory, PREFIX + ".")


def check_monitor_dir(directory, force=False, resume=False):
    """Raise MonitorError when `directory` holds a run we were not told to replace."""
    existing = [p for p in monitor_files(directory) if p.endswith(".manifest.json")]
    if existing and not force and not resume:
        raise MonitorError(
            f"monitor folder {directory} already holds a run ({os.path.basename(existing[0])});"
            " use force=True to clear it or resume=True to continue it")


class Monitor(gym.Wrapper):
    """Records episode lengths, returns, times and types, and optional videos.

    `video_callable(episode_id) -> bool` picks episodes to record when the
    environment renders `rgb_array` frames; the default is gym's capped
    cubic schedule, `False` records none.  With `force=True` earlier monitor
    files in the folder are removed first; with `resume=True` they are kept
    and the episode count continues from them.
    """

    def __init__(self, env, directory, video_callable=None, force=False, resume=False):
        super().__init__(env)
        self.directory = os.fspath(directory)
        check_monitor_dir(self.directory, force=force, resume=resume)
        os.makedirs(self.directory, exist_ok=True)
        if force and not resume:
            for path in monitor_files(self.directory):
                os.remove(path)
        if video_callable is None:
            video_callable = capped_cubic_video_schedule
        elif video_callable is False:
            video_callable = _never
        self.video_callable = video_callable
        self.fps = env.metadata.get("render_fps", 30)

        earlier = load_results(self.directory) if resume else None
        batch = len(glob.glob(os.path.join(self.directory, MANIFEST_GLOB)))
        self.uid = f"{batch}.{os.getpid()}"
        self.stats_path = os.path.join(
            self.directory, f"{PREFIX}.episode_batch.{self.uid}.stats.json")
        self.manifest_path = os.path.join(
            self.directory, f"{PREFIX}.manifest.{self.uid}.manifest.json")

        self.episode_id = len(earlier["episode_rewards"]) if earlier else 0
        self.mode = "training"
        self.initial_reset_timestamp = None
        self.timestamps = []
        self.episode_lengths = []
        self.episode_rewards = []
        self.episode_types = []
        self.videos = []
        self._steps = 0
        self._reward = 0.0
        self._in_episode = False
        self._frames = None
        self.closed = False

    # -- gym's Monitor API ---------------------------------------------------

    def set_mode(self, mode):
        if mode not in EPISODE_TYPES:
            raise ValueError(f"mode must be 'training' or 'evaluation', got {mode!r}")
        self.mode = mode

    def end_episode(self):
        """Close an episode the caller cut short (its own step limit).

        Without this the episode would be recorded at the next reset, after
        a checkpoint taken in between would have missed it.
        """
        if self._in_episode and self._steps > 0:
            self._finish_episode()

    # -- wrapper hooks -------------------------------------------------------

    def reset(self, **kwargs):
        if self._in_episode and self._steps > 0:
            self._finish_episode()
        obs, info = self.env.reset(**kwargs)
        if self.initial_reset_timestamp is None:
            self.initial_reset_timestamp = time.time()
        self._steps = 0
        self._reward = 0.0
        self._in_episode = True
        # The type is fixed when the episode starts: an episode the caller
        # cut short is only closed at the next reset, maybe after set_mode.
        self._episode_type = EPISODE_TYPES[self.mode]
        self._frames = [] if self._recording_wanted() else None
        self._capture_frame()
        return obs, info

    def step(self, action):
        obs, reward, terminated, truncated, info = self.env.step(action)
        self._steps += 1
        self._reward += float(reward)
        self._capture_frame()
        if terminated or truncated:
            self._finish_episode()
        return obs, reward, terminated, truncated, info

    def close(self):
        if self.closed:
            return
        if self._in_episode and self._steps > 0:
            self._finish_episode()
        self.closed = True
        super().close()

    # -- internals -----------------------------------------------------------

    def _recording_wanted(self):
        return self.env.render_mode == "rgb_array" and bool(self.video_callable(self.episode_id))

    def _capture_frame(self):
        if self._frames is not None:
            frame = self.env.render()
            if frame is not None:
                self._frames.append(np.asarray(frame))

    def _finish_episode(self):
        self.timestamps.append(time.time())
        self.episode_lengths.append(self._steps)
        self.episode_rewards.append(self._reward)
        self.episode_types.append(self._episode_type)
        if self._frames:
            base = os.path.join(self.directory,
                                f"{PREFIX}.video.{self.uid}.video{self.episode_id:06d}")
            path = write_video(self._frames, base, fps=self.fps)
            meta = base + ".meta.json"
            kind = "video/mp4" if path.endswith(".mp4") else "image/gif"
            atomic.write_json(meta, {"episode_id": self.episode_id, "content_type": kind})
            self.videos.append([os.path.basename(path), os.path.basename(meta)])
        self._frames = None
        self._in_episode = False
        self._steps = 0
        self._reward = 0.0
        self.episode_id += 1
        self.flush()

    def flush(self):
        """Rewrite the stats and manifest files (atomically)."""
        atomic.write_json(self.stats_path, {
            "initial_reset_timestamp": self.initial_reset_timestamp,
            "timestamps": self.timestamps,
            "episode_lengths": self.episode_lengths,
            "episode_rewards": self.episode_rewards,
            "episode_types": self.episode_types,
        })
        spec = self.env.spec
        atomic.write_json(self.manifest_path, {
            "stats": os.path.basename(self.stats_path),
            "videos": self.videos,
            "env_info": {"env_id": spec.id if spec else None,
                         "gym_version": gym.__version__},
        })


def _never(episode_id):
    return False


def _read_runs(directory):
    """(manifest paths, first env_info, runs) of every Monitor run in `directory`.

    Each run is {"manifest", "stats_path", "stats"}, in manifest order; runs
    whose stats file is missing are left out.
    """
    manifests = sorted(glob.glob(os.path.join(directory, MANIFEST_GLOB)))
    env_info = None
    runs = []
    for manifest_path in manifests:
        with open(manifest_path, encoding="utf-8") as handle:
            manifest = json.load(handle)
        env_info = env_info or manifest.get("env_info")
        stats_path = os.path.join(directory, manifest["stats"])
        if not os.path.exists(stats_path):
            continue
        with open(stats_path, encoding="utf-8") as handle:
            runs.append({"manifest": manifest, "stats_path": stats_path,
                         "stats": json.load(handle)})
    return manifests, env_info, runs


def _started(run):
    return run["stats"].get("initial_reset_timestamp") or 0.0


def load_results(directory):
    """Merge every Monitor run in `directory`, oldest first, as gym did.

    Returns None when the folder holds no manifest.
    """
    manifests, env_info, runs = _read_runs(directory)
    if not manifests:
        return None
    videos = [[os.path.join(directory, v), os.path.join(directory, m)]
              for run in runs for v, m in run["manifest"].get("videos", [])]
    runs.sort(key=_started)
    merged = {key: [] for key in STATS_KEYS}
    for run in runs:
        stats = run["stats"]
        merged["timestamps"] += stats["timestamps"]
        merged["episode_lengths"] += stats["episode_lengths"]
        merged["episode_rewards"] += stats["episode_rewards"]
        merged["episode_types"] += stats.get("episode_types") or \
            ["t"] * len(stats["episode_rewards"])
    initial = [run["stats"].get("initial_reset_timestamp") for run in runs]
    merged.update({
        "manifests": manifests,
        "env_info": env_info,
        "initial_reset_timestamps": initial,
        "initial_reset_timestamp": min((t for t in initial if t is not None), default=None),
        "videos": videos,
    })
    return merged


def truncate_results(directory, keep):
    """Drop episodes after the first `keep` (all runs, oldest first).

    Used on resume: episodes finished after the checkpoint being resumed
    from are replayed, so their earlier records must go.
    """
    _, _, runs = _read_runs(directory)
    remaining = int(keep)
    for run in sorted(runs, key=_started):
        stats = run["stats"]
        n = len(stats["episode_rewards"])
        if n > remaining:
            for key in STATS_KEYS:
                stats[key] = stats.get(key, [])[:remaining]
            atomic.write_json(run["stats_path"], stats)
        remaining = max(0, remaining - n)
