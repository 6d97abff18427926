"""Bad input: one line on stderr, a non-zero exit, and nothing in the results folder changed."""
import os

import pytest
from helpers import run_script, snapshot, stderr_lines

# Subprocess runs and learning runs: the slow tier.
pytestmark = pytest.mark.slow

CASES = [
    (["--env", "Pendula-v1"], ["unknown environment id", "Pendula-v1", "Did you mean", "Pendulum"]),
    (["--env", "CartPole-v1"], ["continuous Box action space", "CartPole-v1", "Discrete(2)"]),
    (["--env", "envs:InfiniteBounds-v0"], ["non-finite action bounds", "inf"]),
    (["--max-episodes", "0"], ["--max-episodes", "positive", "0"]),
    (["--max-episodes", "-3"], ["--max-episodes", "-3"]),
    (["--max-episode-len", "0"], ["--max-episode-len", "0"]),
    (["--buffer-size", "-5"], ["--buffer-size", "-5"]),
    (["--minibatch-size", "0"], ["--minibatch-size", "0"]),
    (["--actor-lr", "0"], ["--actor-lr", "positive", "0"]),
    (["--actor-lr", "nan"], ["--actor-lr", "nan"]),
    (["--critic-lr", "-0.001"], ["--critic-lr", "-0.001"]),
    (["--tau", "0"], ["--tau", "(0, 1]", "0"]),
    (["--tau", "1.5"], ["--tau", "1.5"]),
    (["--gamma", "-0.1"], ["--gamma", "[0, 1]", "-0.1"]),
    (["--gamma", "1.01"], ["--gamma", "1.01"]),
    (["--minibatch-size", "128", "--buffer-size", "64"], ["--minibatch-size 128", "larger",
                                                          "--buffer-size 64"]),
    (["--tau", "abc"], ["--tau", "invalid float value", "abc"]),
    (["--noise", "pink"], ["--noise", "pink"]),
    (["--force", "--resume"], ["--force", "--resume"]),
]


def assert_refused(done, words):
    lines = stderr_lines(done)
    assert done.returncode not in (0, None), done.stdout[-1000:]
    assert "Traceback" not in done.stderr
    assert len(lines) == 1, lines
    for word in words:
        assert word in lines[0], (word, lines[0])


@pytest.mark.parametrize("args,words", CASES, ids=[" ".join(c[0]) for c in CASES])
def test_bad_setting_is_refused_and_changes_nothing(results, args, words):
    before = snapshot(results)
    done = run_script("train_pendulum", *args, "--results-dir", results)
    assert_refused(done, words)
    assert snapshot(results) == before


def test_file_where_the_results_folder_should_be(tmp_path):
    blocker = tmp_path / "results"
    blocker.write_text("a file")
    done = run_script("train_pendulum", "--results-dir", blocker)
    assert_refused(done, ["cannot write", "results", "not a folder"])
    assert blocker.read_text() == "a file"


def test_file_where_a_subfolder_should_be(results):
    (results / "tf_ddpg").write_text("a file")
    before = snapshot(results)
    done = run_script("train_pendulum", "--results-dir", results)
    assert_refused(done, ["cannot write", "tf_ddpg", "not a folder"])
    assert snapshot(results) == before


def test_read_only_results_folder(tmp_path):
    # /proc refuses new files even to root, unlike a chmod-ed folder.
    done = run_script("train_pendulum", "--results-dir", "/proc/ddpg-results")
    assert_refused(done, ["cannot write", "/proc/ddpg-results"])
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir()
        locked.chmod(0o500)
        try:
            done = run_script("train_pendulum", "--results-dir", locked / "results")
            assert_refused(done, ["cannot write", "locked"])
            assert os.listdir(locked) == []
        finally:
            locked.chmod(0o700)


def test_resume_without_a_checkpoint(results):
    before = snapshot(results)
    done = run_script("train_pendulum", "--resume", "--results-dir", results)
    assert_refused(done, ["--resume", "no checkpoint", "checkpoints"])
    assert snapshot(results) == before
