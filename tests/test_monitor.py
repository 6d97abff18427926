"""The Monitor writes gym's files, with gym's force/resume semantics."""
import json
import os

import gymnasium as gym
import numpy as np
import pytest

from ddpg.outputs.monitor import (
    Monitor,
    MonitorError,
    capped_cubic_video_schedule,
    load_results,
)


def run_episodes(env, lengths, seed=0):
    """Random-policy episodes cut at the given lengths; returns their returns."""
    rng = np.random.default_rng(seed)
    returns = []
    for i, length in enumerate(lengths):
        env.reset(seed=seed + i)
        total = 0.0
        for _ in range(length):
            _, reward, terminated, truncated, _ = env.step(
                rng.uniform(-2, 2, size=1).astype(np.float32))
            total += reward
            if terminated or truncated:
                break
        returns.append(total)
    return returns


def monitored(directory, **kwargs):
    return Monitor(gym.make("Pendulum-v1", max_episode_steps=25), str(directory), **kwargs)


def test_files_follow_gyms_schema_and_hold_the_episodes_run(tmp_path):
    env = monitored(tmp_path)
    returns = run_episodes(env, [25, 10, 25])  # the 10-step one is cut by the caller
    env.close()
    names = sorted(os.listdir(tmp_path))
    stats_files = [n for n in names if n.endswith(".stats.json")]
    manifests = [n for n in names if n.endswith(".manifest.json")]
    assert len(stats_files) == 1 and len(manifests) == 1
    assert stats_files[0].startswith("openaigym.episode_batch.")
    with open(tmp_path / manifests[0]) as handle:
        manifest = json.load(handle)
    assert manifest["stats"] == stats_files[0]
    assert manifest["env_info"]["env_id"] == "Pendulum-v1"
    assert manifest["videos"] == []
    with open(tmp_path / stats_files[0]) as handle:
        stats = json.load(handle)
    assert set(stats) == {"initial_reset_timestamp", "timestamps", "episode_lengths",
                          "episode_rewards", "episode_types"}
    assert stats["episode_lengths"] == [25, 10, 25]
    np.testing.assert_allclose(stats["episode_rewards"], returns, rtol=1e-9)
    assert stats["episode_types"] == ["t", "t", "t"]
    assert stats["initial_reset_timestamp"] <= stats["timestamps"][0] <= stats["timestamps"][2]


def test_stats_are_on_disk_after_each_finished_episode(tmp_path):
    env = monitored(tmp_path)
    run_episodes(env, [25, 25])
    results = load_results(str(tmp_path))  # before close
    assert results["episode_lengths"] == [25, 25]
    env.close()


def test_evaluation_episodes_are_typed_e(tmp_path):
    env = monitored(tmp_path)
    run_episodes(env, [25])
    env.set_mode("evaluation")
    run_episodes(env, [25, 25])
    env.close()
    assert load_results(str(tmp_path))["episode_types"] == ["t", "e", "e"]
    with pytest.raises(ValueError):
        env.set_mode("testing")


def test_existing_run_without_force_is_an_error_and_untouched(tmp_path):
    env = monitored(tmp_path)
    run_episodes(env, [25])
    env.close()
    before = {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)}
    with pytest.raises(MonitorError, match="force"):
        monitored(tmp_path)
    assert {n: (tmp_path / n).read_bytes() for n in os.listdir(tmp_path)} == before


def test_force_clears_earlier_monitor_files_only(tmp_path):
    env = monitored(tmp_path)
    run_episodes(env, [25, 25])
    env.close()
    (tmp_path / "notes.txt").write_text("keep me")
    env = monitored(tmp_path, force=True)
    run_episodes(env, [7])
    env.close()
    results = load_results(str(tmp_path))
    assert results["episode_lengths"] == [7]
    assert len(results["manifests"]) == 1
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_resume_keeps_earlier_episodes_and_continues_numbering(tmp_path):
    env = monitored(tmp_path)
    first = run_episodes(env, [25, 25])
    env.close()
    env = monitored(tmp_path, resume=True)
    assert env.episode_id == 2
    second = run_episodes(env, [25], seed=10)
    env.close()
    results = load_results(str(tmp_path))
    np.testing.assert_allclose(results["episode_rewards"], first + second)
    assert len(results["manifests"]) == 2


def test_truncate_results_drops_episodes_after_a_checkpoint(tmp_path):
    from ddpg.outputs.monitor import truncate_results

    env = monitored(tmp_path)
    returns = run_episodes(env, [25, 25, 25])
    env.close()
    truncate_results(str(tmp_path), 1)
    assert load_results(str(tmp_path))["episode_rewards"] == pytest.approx(returns[:1])


def test_load_results_of_an_empty_folder_is_none(tmp_path):
    assert load_results(str(tmp_path)) is None


def test_capped_cubic_schedule_is_gyms():
    chosen = [i for i in range(3000) if capped_cubic_video_schedule(i)]
    assert chosen[:6] == [0, 1, 8, 27, 64, 125]
    assert 729 in chosen and 1000 in chosen and 2000 in chosen and 1001 not in chosen


def test_rgb_array_episodes_are_recorded_on_schedule(tmp_path):
    env = Monitor(gym.make("Pendulum-v1", max_episode_steps=5, render_mode="rgb_array"),
                  str(tmp_path), video_callable=lambda episode: episode == 1)
    run_episodes(env, [5, 5, 5])
    env.close()
    videos = load_results(str(tmp_path))["videos"]
    assert len(videos) == 1
    video, meta = videos[0]
    assert "video000001" in video and os.path.getsize(video) > 0
    with open(meta) as handle:
        assert json.load(handle)["episode_id"] == 1
