"""`ddpg-sweep` refuses bad input with one line and exit code 2, before Ray starts (fast)."""
import os
import socket

import pytest

from ddpg.cli import sweep as cli
from ddpg.sweep import runner
from ddpg.sweep.grid import SweepSpec


REAL_RUN, REAL_START_RAY = runner.run, runner.start_ray


pytestmark = pytest.mark.usefixtures("no_ray")  # conftest: reaching Ray fails the test


def refused(capsys, *argv):
    code = cli.main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], err
    return lines[0]


def test_unknown_env_id(capsys, tmp_path):
    line = refused(capsys, "--env", "Pendulum-v1", "NoSuchTask-v0", "--storage", tmp_path / "s")
    assert "NoSuchTask-v0" in line
    assert not (tmp_path / "s").exists()


def test_unknown_grid_key(capsys, tmp_path):
    assert "unknown training setting 'learning_rate'" in refused(
        capsys, "--env", "Pendulum-v1", "--grid", "learning_rate=0.1,0.2",
        "--storage", tmp_path / "s")


def test_empty_grid(capsys, tmp_path):
    assert "no values" in refused(capsys, "--env", "Pendulum-v1", "--grid", "tau=",
                                  "--storage", tmp_path / "s")


def test_no_task(capsys, tmp_path):
    assert "no task" in refused(capsys, "--seeds", "0-3", "--storage", tmp_path / "s")


def test_unreachable_address(capsys, tmp_path):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    line = refused(capsys, "--env", "Pendulum-v1", "--address", f"127.0.0.1:{port}",
                   "--storage", tmp_path / "s")
    assert f"127.0.0.1:{port}" in line and "no Ray cluster" in line
    assert not (tmp_path / "s").exists()


def test_bad_address_syntax(capsys, tmp_path):
    assert "HOST:PORT" in refused(capsys, "--env", "Pendulum-v1", "--address", "nowhere",
                                  "--storage", tmp_path / "s")


def test_existing_sweep_needs_resume_or_force(capsys, tmp_path):
    storage = tmp_path / "s"
    runner.save_spec(str(storage), SweepSpec(name="old", envs=["Pendulum-v1"], seeds=[0]))
    before = (storage / "sweep.json").read_text()
    line = refused(capsys, "--env", "Pendulum-v1", "--storage", storage)
    assert "--resume" in line and "--force" in line
    assert (storage / "sweep.json").read_text() == before


def test_resume_needs_a_sweep_and_no_new_definition(capsys, tmp_path):
    assert "holds no sweep" in refused(capsys, "--resume", "--storage", tmp_path / "none")
    storage = tmp_path / "s"
    runner.save_spec(str(storage), SweepSpec(name="old", envs=["Pendulum-v1"], seeds=[0]))
    assert "drop --env" in refused(capsys, "--resume", "--env", "Pendulum-v1",
                                   "--storage", storage)
    assert "contradict" in refused(capsys, "--resume", "--force", "--storage", storage)


def test_every_trial_invalid_is_bad_input(capsys, tmp_path):
    assert "--tau must be in (0, 1]" in refused(capsys, "--env", "Pendulum-v1", "--tau", "3",
                                                "--storage", tmp_path / "s")


def test_storage_must_be_a_folder_path(capsys, tmp_path):
    assert "must be a folder" in refused(capsys, "--env", "Pendulum-v1", "--storage",
                                         "s3://bucket/sweeps")


def test_force_replaces_only_the_sweeps_files(monkeypatch, capsys, tmp_path):
    storage = tmp_path / "s"
    runner.save_spec(str(storage), SweepSpec(name="old", envs=["Pendulum-v1"], seeds=[0]))
    (storage / "runs" / "Pendulum-v1" / "seed-0").mkdir(parents=True)
    (storage / "report.md").write_text("old")
    (storage / "notes.txt").write_text("mine")
    seen = {}

    def fake_run(spec, path, **kwargs):
        seen["files"] = sorted(os.listdir(path))
        seen["spec"] = spec
        return {"finished": [], "failed": {}, "unfinished": ["x"], "seconds": 0.0}

    monkeypatch.setattr(runner, "run", fake_run)
    code = cli.main(["--env", "MountainCarContinuous-v0", "--storage", str(storage), "--force"])
    assert code == 130  # the fake run left a trial unfinished
    assert seen["files"] == ["notes.txt", "sweep.json"]
    assert seen["spec"].envs == ["MountainCarContinuous-v0"]
    assert "--resume --storage" in capsys.readouterr().out


def test_ray_that_cannot_start_is_one_line_and_exit_1(monkeypatch, capsys, tmp_path):
    """Ray's own start-up failures (here its GCS time-out) are not a traceback."""
    ray = pytest.importorskip("ray", reason="needs Ray: pip install \".[sweep]\" in the checkout")

    def time_out(*args, **kwargs):
        raise TimeoutError("Timed out after 60 seconds waiting for the GCS to start.\nmore")

    stopped = []
    monkeypatch.setattr(runner, "run", REAL_RUN)
    monkeypatch.setattr(runner, "start_ray", REAL_START_RAY)
    monkeypatch.setattr(ray, "init", time_out)
    monkeypatch.setattr(ray, "shutdown", lambda: stopped.append(True))
    code = cli.main(["--env", "Pendulum-v1", "--total-steps", "10", "--storage",
                     str(tmp_path / "s"), "--ray-temp-dir", str(tmp_path / "ray")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert "starting Ray here failed: Timed out after 60 seconds" in err[0]
    assert err[0].endswith("no trial ran") and stopped == [True]


def test_report_needs_a_sweep_and_num_cpus_a_positive_count(capsys, tmp_path):
    assert "holds no sweep" in refused(capsys, "--report", tmp_path)
    assert "--num-cpus must be at least 1" in refused(capsys, "--env", "Pendulum-v1",
                                                      "--num-cpus", "0",
                                                      "--storage", tmp_path / "sweep")
