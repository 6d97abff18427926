"""Damaged checkpoint files: one line naming the file and the cause, exit 2, nothing changed.

A checkpoint's weights (model.data-*, model.index), replay buffer
(replay_buffer.npz) and state.json can each be cut short, overwritten or
hand-edited.  ddpg-evaluate, ddpg-export and ddpg-train --resume must say
which file is damaged and why (TensorFlow's DataLoss line, not its
"Graph execution error:" wrapper), and leave the run folder as it was.
"""
import glob
import json
import os
import shutil

import numpy as np
import pytest
from helpers import snapshot

from ddpg import atomic
from ddpg.core.replay_buffer import ReplayBuffer
from ddpg.errors import UserError, first_line
from ddpg.run import checkpoint as ckpt


# -- without TensorFlow: the messages and the buffer and state checks ----------------------

class FakeOpError(Exception):
    """What a TensorFlow op error carries in `.message` when a restore meets a bad checksum."""

    def __init__(self):
        self.message = (
            "Graph execution error:\n\nDetected at node 'save/RestoreV2' defined at (most "
            "recent call last):\n  File \"x.py\", line 3, in <module>\nNode: 'save/RestoreV2'\n"
            "TensorBundle at run/model shard 0 (384 bytes): Checksum does not match: stored 1 "
            "vs. calculated on the restored bytes 2\n\t [[{{node save/RestoreV2}}]]")
        super().__init__(self.message + "\n\nOriginal stack trace for 'save/RestoreV2': ...")


def test_first_line_skips_tensorflows_wrapping_to_the_cause():
    assert first_line(FakeOpError()).startswith("TensorBundle at run/model shard 0")
    assert "Checksum does not match" in first_line(FakeOpError())
    assert first_line(ValueError("plain\nsecond")) == "plain"
    assert first_line(KeyError()) == "KeyError"


def buffer_checkpoint(folder, transitions=30, capacity=100):
    """A checkpoint folder holding only replay_buffer.npz, and the buffer it came from."""
    folder.mkdir(parents=True, exist_ok=True)
    buffer = ReplayBuffer(capacity, random_seed=1)
    rng = np.random.default_rng(0)
    for _ in range(transitions):
        buffer.add(rng.normal(size=3), rng.normal(size=1), 1.0, False, rng.normal(size=3))
    atomic.write_npz(str(folder / ckpt.BUFFER_FILE), buffer.state_dict())
    return str(folder), buffer


def rewrite_buffer(path, change):
    with np.load(os.path.join(path, ckpt.BUFFER_FILE)) as data:
        arrays = {key: data[key] for key in data.files}
    change(arrays)
    with open(os.path.join(path, ckpt.BUFFER_FILE), "wb") as handle:
        np.savez(handle, **arrays)


def truncate(path, keep=0.5):
    os.truncate(path, int(os.path.getsize(path) * keep))


def flip_bytes(path, every=64):
    """Invert one byte in every `every` through the middle of the file."""
    data = bytearray(open(path, "rb").read())
    for i in range(16, len(data) - 16, every):
        data[i] ^= 0xFF
    with open(path, "wb") as handle:
        handle.write(data)


@pytest.mark.parametrize("damage, words", [
    (lambda p: truncate(os.path.join(p, ckpt.BUFFER_FILE)), ["BadZipFile"]),
    (lambda p: flip_bytes(os.path.join(p, ckpt.BUFFER_FILE), every=7), ["BadZipFile"]),
    (lambda p: open(os.path.join(p, ckpt.BUFFER_FILE), "w").write("not a zip"),
     ["not an .npz"]),
    (lambda p: rewrite_buffer(p, lambda a: a.pop("rows")), ["lacks rows"]),
    (lambda p: rewrite_buffer(p, lambda a: a.update(count=np.int64(7))),
     ["rows have shape (30, 9), not (7, 9)"]),
    (lambda p: rewrite_buffer(p, lambda a: a.update(next=np.int64(500))), ["next 500"]),
], ids=["truncated", "bytes-flipped", "not-a-zip", "missing-key", "wrong-count",
        "cursor-outside"])
def test_a_damaged_replay_buffer_is_named_not_a_traceback(tmp_path, damage, words):
    path, _ = buffer_checkpoint(tmp_path / "ckpt-000004")
    damage(path)
    with pytest.raises(UserError) as caught:
        ckpt.load_buffer(path, ReplayBuffer(100), {})
    message = str(caught.value)
    assert f"checkpoint {path} is damaged: its file {ckpt.BUFFER_FILE}" in message
    assert all(w in message for w in words), message
    assert "\n" not in message


def test_a_whole_replay_buffer_loads_as_it_was_saved(tmp_path):
    path, saved = buffer_checkpoint(tmp_path / "ckpt-000004")
    loaded = ReplayBuffer(100)
    ckpt.load_buffer(path, loaded, {"buffer_rng": saved.rng_state()})
    assert loaded.size() == saved.size() == 30
    for mine, theirs in zip(loaded.sample_batch(8), saved.sample_batch(8)):
        np.testing.assert_array_equal(mine, theirs)


def test_a_missing_replay_buffer_says_incomplete(tmp_path):
    folder = tmp_path / "ckpt-000004"
    folder.mkdir()
    with pytest.raises(UserError, match=f"checkpoint {folder} is incomplete: it has no "
                                        "replay_buffer.npz"):
        ckpt.load_buffer(str(folder), ReplayBuffer(100), {})


def resumable_state():
    rng = np.random.default_rng(3).bit_generator.state
    return {"format_version": 1, "config": {},
            "training": {"episode": 4, "total_steps": 200, "total_updates": 150,
                         "episode_rewards": [-1.0, -2.0, -3.0, -4.0], "seconds": 1.5},
            "noise": {"rng": rng, "x_prev": [0.1]}, "buffer_rng": rng}


@pytest.mark.parametrize("change, words", [
    (lambda s: s.pop("training"), "no training counters"),
    (lambda s: s["training"].update(total_steps="200"), "training.total_steps"),
    (lambda s: s["training"].update(episode_rewards=[1, None]), "episode_rewards"),
    (lambda s: s["noise"]["rng"].update(state="x"), "exploration-noise generator"),
    (lambda s: s.update(noise=None), "exploration-noise generator"),
    (lambda s: s.update(buffer_rng={"bit_generator": "seed"}), "'buffer_rng'"),
    (lambda s: s["noise"].update(x_prev=["a"]), "noise.x_prev"),
])
def test_a_state_json_that_cannot_continue_a_run_is_refused(tmp_path, change, words):
    state = resumable_state()
    ckpt.check_resumable("ckpt-000004", state)  # the whole state passes
    change(state)
    with pytest.raises(UserError, match="checkpoint ckpt-000004 is corrupt or incomplete: "
                                        "its file state.json has") as caught:
        ckpt.check_resumable("ckpt-000004", state)
    assert words in str(caught.value)


def test_a_state_json_that_is_not_json_names_the_file(tmp_path):
    folder = tmp_path / "ckpt-000004"
    folder.mkdir()
    (folder / "state.json").write_text('{"format_version": 1, "trai')
    with pytest.raises(UserError, match=r"is corrupt or incomplete: its file state.json cannot "
                                        r"be read \(JSONDecodeError: "):
        ckpt.read_state(str(folder))


# -- through a real (short) run -----------------------------------------------------------

@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A short Pendulum run with six checkpoints written, the newest three kept."""
    from ddpg import config as settings
    from ddpg.run.driver import run_training

    results = tmp_path_factory.mktemp("damaged") / "run"
    config = settings.resolve("tutorial", dict(
        total_steps=300, max_episode_len=50, minibatch_size=16, buffer_size=1000,
        hidden_sizes=(16, 16), eval_episodes=1, gif=False, plot=False, checkpoint_every=1,
        random_seed=5, results_dir=str(results), monitor_dir=str(results / "gym_ddpg"),
        summary_dir=str(results / "tf_ddpg")))
    assert run_training(config, log=lambda line: None) == 0
    assert sorted(os.listdir(results / "checkpoints")) == [
        "ckpt-000004", "ckpt-000005", "ckpt-000006", "latest"]
    return results


def damaged_copy(run_dir, tmp_path, damage):
    """A copy of the run whose latest checkpoint `damage(folder)` has changed."""
    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    damage(copy / "checkpoints" / "ckpt-000006")
    return copy


def one_error_line(capsys, code):
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and ": error: " in lines[0], err
    return lines[0]


def command(name, copy, tmp_path):
    """Each of the three commands that read a checkpoint, on the run `copy`; the exit code."""
    if name == "evaluate":
        from ddpg.cli.evaluate import main

        return main(["--results-dir", str(copy), "--episodes", "1"])
    if name == "export":
        from ddpg.cli.export import main

        return main(["--results-dir", str(copy), "--out", str(tmp_path / "export")])
    from ddpg.cli.train import main

    return main(["--results-dir", str(copy), "--resume", "--total-steps", "400"])


def flip_data(folder):
    for path in glob.glob(str(folder / "model.data-*")):
        flip_bytes(path)


def truncate_data(folder):
    for path in glob.glob(str(folder / "model.data-*")):
        truncate(path)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["evaluate", "export", "resume"])
@pytest.mark.parametrize("damage, words", [
    (flip_data, ["is damaged: its file model.data-00000-of-00001 cannot be read",
                 "DataLossError", "Checksum does not match"]),
    (truncate_data, ["is damaged: its file model.data-00000-of-00001 cannot be read",
                     "OutOfRangeError"]),
    (lambda folder: truncate(str(folder / "model.index")),
     ["is damaged: its file model.index cannot be read"]),
    (lambda folder: [os.remove(p) for p in glob.glob(str(folder / "model.data-*"))],
     ["is incomplete: its file model.data-00000-of-00001 is missing"]),
], ids=["bytes-flipped", "truncated", "index-truncated", "data-missing"])
def test_damaged_weights_are_named_by_every_command(run_dir, tmp_path, capsys, name, damage,
                                                    words):
    copy = damaged_copy(run_dir, tmp_path, damage)
    before = snapshot(copy)
    line = one_error_line(capsys, command(name, copy, tmp_path))
    assert str(copy / "checkpoints" / "ckpt-000006") in line
    assert all(w in line for w in words), line
    assert "Graph execution error" not in line and "actor of the shape" not in line, line
    # The way out: the run's other checkpoints.
    assert "ckpt-000005" in line, line
    assert snapshot(copy) == before
    assert not (tmp_path / "export").exists()


@pytest.mark.slow
@pytest.mark.parametrize("damage, words", [
    (lambda folder: truncate(str(folder / "replay_buffer.npz")),
     "its file replay_buffer.npz cannot be read (BadZipFile"),
    (lambda folder: (folder / "replay_buffer.npz").write_text(""), "not an .npz"),
    (lambda folder: (folder / "state.json").write_text('{"format_version": 1, "trai'),
     "its file state.json cannot be read (JSONDecodeError"),
    (lambda folder: (folder / "state.json").write_text('{"format_version": 1}'),
     "its file state.json has no training counters"),
], ids=["buffer-truncated", "buffer-empty", "state-not-json", "state-without-counters"])
def test_resume_from_a_damaged_buffer_or_state_is_one_line_exit_2(run_dir, tmp_path, capsys,
                                                                  damage, words):
    copy = damaged_copy(run_dir, tmp_path, damage)
    before = snapshot(copy)
    line = one_error_line(capsys, command("resume", copy, tmp_path))
    assert str(copy / "checkpoints" / "ckpt-000006") in line and words in line, line
    # How to resume anyway, from the newest earlier checkpoint.
    assert "write its name, e.g. ckpt-000005, into" in line, line
    assert snapshot(copy) == before


@pytest.mark.slow
def test_resume_from_an_earlier_checkpoint_as_the_message_says(run_dir, tmp_path, capsys):
    """Following the hint continues the run: ckpt-000005's counters, then on to the budget."""
    copy = damaged_copy(run_dir, tmp_path, truncate_data)
    (copy / "checkpoints" / "latest").write_text("ckpt-000005\n")
    from ddpg.cli.train import main

    assert main(["--results-dir", str(copy), "--resume", "--total-steps", "400"]) == 0
    out = capsys.readouterr().out
    assert "Resuming from" in out and "ckpt-000005" in out
    with open(copy / "checkpoints" / "latest") as handle:
        latest = handle.read().strip()
    state = ckpt.read_state(str(copy / "checkpoints" / latest))
    assert state["training"]["total_steps"] == 400
    with open(copy / "config.json") as handle:
        assert json.load(handle)["total_steps"] == 400
