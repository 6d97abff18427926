"""`ddpg-sweep` end to end on real Ray: local sweeps, killed workers, Ctrl-C, a cluster.

Every sweep here runs tiny trials (a few hundred Pendulum steps) in its own
Ray session folder, with a token of its own (nothing is written to ~/.ray),
and every process a test starts is stopped by its own pid.
"""
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest
from conftest import REPO_DIR, subprocess_env

from ddpg.outputs.events import run_event_files

# One worker runs every test that starts Ray (pytest-xdist's --dist loadgroup, setup.cfg):
# two clusters at once on 2 cores would only slow each other.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("ray")]
# Every test here starts real Ray; without the sweep extra they skip.
pytest.importorskip("ray", reason="the sweep tests need Ray: "
                    "pip install \".[sweep]\" in the checkout")

SWEEP = os.path.join(REPO_DIR, "scripts", "sweep.py")
RAY = os.path.join(os.path.dirname(sys.executable), "ray")
# Tiny trials: Pendulum episodes cut at 100 steps, an evaluation every 200.
SMALL = ["--max-episode-len", "100", "--eval-every", "200", "--eval-episodes", "1",
         "--minibatch-size", "16", "--checkpoint-every", "1"]
TINY = ["--total-steps", "400"] + SMALL
TOKEN = secrets.token_hex(16)


# -- helpers -----------------------------------------------------------------------------------

def ray_env(**extra):
    """Child environment: tests/ importable, Ray with this session's token, no usage stats."""
    env = subprocess_env()
    env.pop("RAY_ADDRESS", None)  # a cluster named in the outer shell must not be joined
    env.update(RAY_AUTH_MODE="token", RAY_AUTH_TOKEN=TOKEN, RAY_USAGE_STATS_ENABLED="0",
               PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


@pytest.fixture
def ray_tmp():
    """A short folder for Ray's session files (its Unix socket paths have a length limit)."""
    folder = tempfile.mkdtemp(prefix="dr", dir="/tmp")
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def sweep_command(*args):
    return [sys.executable, SWEEP, *map(str, args)]


def run_sweep(*args, timeout=300):
    return subprocess.run(sweep_command(*args), env=ray_env(), capture_output=True, text=True,
                          timeout=timeout, check=False)


def start_sweep(log, *args):
    with open(log, "w") as handle:
        return subprocess.Popen(sweep_command(*args), env=ray_env(), stdout=handle,
                                stderr=subprocess.STDOUT, text=True)


def tail(path_or_text, lines=40):
    text = str(path_or_text)
    if os.path.exists(text):
        with open(text) as handle:
            text = handle.read()
    return "\n".join(text.splitlines()[-lines:])


def wait_for(predicate, timeout, what, proc=None, poll=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the sweep exited ({proc.returncode}) before {what}")
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def read_json(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def status(folder):
    try:
        return read_json(os.path.join(folder, "sweep_trial.json"))
    except (FileNotFoundError, ValueError):
        return {}


def checkpoint_number(folder):
    """Episode count of the newest checkpoint in a run folder (-1 when there is none)."""
    try:
        with open(os.path.join(folder, "checkpoints", "latest"), encoding="utf-8") as handle:
            return int(handle.read().strip().split("-")[-1])
    except (FileNotFoundError, ValueError):
        return -1


def monitor_rewards(folder):
    """Per-episode training rewards from the run's Monitor files."""
    from ddpg.outputs.monitor import load_results

    results = load_results(os.path.join(folder, "gym_ddpg"))
    return [r for r, kind in zip(results["episode_rewards"], results["episode_types"])
            if kind == "t"]


def evaluations(folder):
    return read_json(os.path.join(folder, "evaluations.json"))["evaluations"]


def table_rows(report_text):
    """{"task settings": cells} of the last Markdown table in report.md (per-seed best,
    final evaluation, seeds finished, budget, wall time)."""
    rows = {}
    for line in report_text.splitlines():
        if line.startswith("| ") and not line.startswith("| task"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows[f"{cells[0]} {cells[1]}"] = cells
    return rows


def descendants(pid):
    """Pids of every process below `pid` (from /proc)."""
    children = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                children.setdefault(int(fields[1]), []).append(int(entry))
            except (OSError, IndexError):
                pass
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def listening_addresses(pids):
    """Local IP addresses the given processes listen on with TCP (from /proc)."""
    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    inodes.add(target[8:-1])
        except OSError:
            pass
    addresses = set()
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        with open(table) as handle:
            for line in handle.readlines()[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    addresses.add(_ip(fields[1].split(":")[0], width))
    return addresses


def _ip(hex_address, width):
    raw = bytes.fromhex(hex_address)
    # /proc prints each 32-bit word in host (little-endian) order.
    words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))
    if width == 8:
        return socket.inet_ntop(socket.AF_INET, words)
    if words[:12] == b"\0" * 10 + b"\xff\xff":
        return socket.inet_ntop(socket.AF_INET, words[12:])
    return socket.inet_ntop(socket.AF_INET6, words)


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# -- tests -------------------------------------------------------------------------------------

def test_local_sweep_of_two_tasks_and_two_seeds(tmp_path, ray_tmp):
    from ddpg.sweep.report import _pm

    storage = tmp_path / "sweep"
    envs = ["Pendulum-v1", "MountainCarContinuous-v0"]
    done = run_sweep("--env", *envs, "--seeds", "0-1", *TINY, "--storage", storage,
                     "--ray-temp-dir", ray_tmp)
    assert done.returncode == 0, tail(done.stdout + done.stderr)
    # Tune's table of trials with the sweep's columns.
    for heading in ("Trial name", "status", "steps", "last eval", "steps/s", "TERMINATED"):
        assert heading in done.stdout, heading
    assert "Sweep: 4 of 4 trials finished" in done.stdout

    runs = storage / "runs"
    found = sorted(str(p.relative_to(runs)) for p in runs.glob("*/seed-*"))
    assert found == sorted(f"{env}/seed-{s}" for env in envs for s in (0, 1))
    report = (storage / "report.md").read_text()
    rows = table_rows(report)
    for env in envs:
        folders = [runs / env / f"seed-{s}" for s in (0, 1)]
        best, final = [], []
        for folder in folders:
            # An ordinary training run's folder: Monitor files, events, checkpoints.
            assert len(monitor_rewards(folder)) == 4  # 400 steps in episodes of 100
            assert run_event_files(str(folder / "tf_ddpg"))  # in the run's own subfolder
            assert checkpoint_number(folder) == 4
            assert [p["steps"] for p in evaluations(folder)] == [200, 400]
            assert read_json(folder / "config.json")["threads"] == 1
            best.append(max(p["mean"] for p in evaluations(folder)))
            final.append(read_json(folder / "evaluation.json")["mean_return"])
        row = rows[f"{env} tutorial"]
        assert row[2] == _pm(float(np.mean(best)), float(np.std(best)))
        assert row[3] == _pm(float(np.mean(final)), float(np.std(final)))
        assert row[4] == "2/2"
        png = storage / f"curves_{env}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert f"](curves_{env}.png)" in report

    # The report on demand, without Ray, from the same folders.
    os.remove(storage / "report.md")
    again = run_sweep("--report", storage)
    assert again.returncode == 0, again.stderr
    assert (storage / "report.md").read_text() == report
    # The sweep is there: starting it again needs --resume or --force.
    refused = run_sweep("--env", "Pendulum-v1", *TINY, "--storage", storage)
    assert refused.returncode == 2
    assert refused.stderr.strip().count("\n") == 0
    assert "already holds a sweep" in refused.stderr


def test_killed_and_interrupted_trials_end_as_if_never_interrupted(tmp_path, ray_tmp):
    """SIGKILL of a trial's worker, then Ctrl-C of the sweep, then --resume.

    Four trials, one seed: two short ones that finish first, and two long
    twins that differ only in how often they checkpoint, which does not
    change training.  The twin whose worker is never killed is the
    reference; Ctrl-C may stop it too, and resuming is exact either way.
    """
    storage = tmp_path / "sweep"
    log = tmp_path / "sweep.log"
    runs = storage / "runs" / "Pendulum-v1"
    short = [runs / f"total_steps=400_checkpoint_every={n}" / "seed-0" for n in (1, 2)]
    victim = runs / "total_steps=5000_checkpoint_every=1" / "seed-0"
    twin = runs / "total_steps=5000_checkpoint_every=2" / "seed-0"
    proc = start_sweep(log, "--env", "Pendulum-v1", "--seeds", "0", "--grid",
                       "total_steps=400,5000", "--grid", "checkpoint_every=1,2", *SMALL[:-2],
                       "--eval-every", "1000", "--storage", storage, "--ray-temp-dir", ray_tmp)
    try:
        wait_for(lambda: checkpoint_number(victim) >= 3, 180, "a checkpoint", proc)
        # Ray started by the sweep listens on the loopback address only.
        addresses = listening_addresses([proc.pid] + descendants(proc.pid))
        assert addresses and addresses <= {"127.0.0.1"}, addresses
        first = status(victim)["attempts"][-1]
        os.kill(first["pid"], signal.SIGKILL)
        retried = wait_for(lambda: len(status(victim).get("attempts", [])) == 2
                           and status(victim)["attempts"][1]["resumed_from"], 120,
                           "the retry", proc)
        resumed_at = int(retried.split("-")[-1])
        wait_for(lambda: checkpoint_number(victim) >= resumed_at + 2, 120,
                 "the retry's checkpoints", proc)
        proc.send_signal(signal.SIGINT)  # Ctrl-C
        assert proc.wait(timeout=120) == 130, tail(log)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)
    assert "--resume --storage" in tail(log, 5)
    assert status(victim)["status"] != "finished", "the interrupt came too late"
    # Ctrl-C made each running trial checkpoint where it was, not at its last periodic checkpoint.
    assert "each running trial checkpoints at the end of its episode" in tail(log, 200)
    from ddpg.run.checkpoint import latest_checkpoint, read_state

    for folder in (victim, twin):
        if status(folder)["status"] != "finished":
            assert status(folder)["attempts"][-1]["outcome"] == "stopped"
            assert read_state(latest_checkpoint(str(folder / "checkpoints")))["tag"] == \
                "interrupted"
    assert not (storage / "STOP").exists()
    before = {str(f): status(f) for f in short + [twin, victim]}
    assert all(before[str(f)]["status"] == "finished" for f in short)

    done = run_sweep("--resume", "--storage", storage, "--ray-temp-dir", ray_tmp)
    assert done.returncode == 0, tail(done.stdout + done.stderr)
    assert "Sweep: 4 of 4 trials finished" in done.stdout
    for folder in short + [twin, victim]:
        attempts = status(folder)["attempts"]
        assert status(folder)["status"] == "finished"
        # Trained from scratch once; every later attempt continued a checkpoint.
        assert [a["resumed_from"] is None for a in attempts].count(True) == 1
    for folder in short + [twin, victim]:
        earlier = before[str(folder)]["attempts"]
        if before[str(folder)]["status"] == "finished":  # left alone
            assert status(folder)["attempts"] == earlier
        else:  # continued from its checkpoint, once
            assert len(status(folder)["attempts"]) == len(earlier) + 1
            assert status(folder)["attempts"][-1]["resumed_from"].startswith("ckpt-")
    attempts = status(victim)["attempts"]
    assert len(attempts) == 3 and attempts[0]["pid"] == first["pid"]
    assert all(a["resumed_from"].startswith("ckpt-") for a in attempts[1:])
    # Each evaluation marks the attempt as working: what bounds a killed one's wall time.
    assert attempts[-1]["started"] <= attempts[-1]["seen"] <= attempts[-1]["ended"]
    rewards = monitor_rewards(victim)
    assert len(rewards) == 50
    assert rewards == monitor_rewards(twin)
    assert [p["steps"] for p in evaluations(victim)] == list(range(1000, 5001, 1000))
    assert [p["mean"] for p in evaluations(victim)] == [p["mean"] for p in evaluations(twin)]
    assert read_json(victim / "evaluation.json")["returns"] == \
        read_json(twin / "evaluation.json")["returns"]
    assert (storage / "report.md").exists()


def test_sweep_on_a_two_process_cluster_with_a_failing_trial(tmp_path, ray_tmp):
    port = free_port()
    head_log = tmp_path / "head.log"
    # The cluster this test makes stays on the loopback address as well.
    env = ray_env(RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0")
    with open(head_log, "w") as handle:
        head = subprocess.Popen(
            [RAY, "start", "--head", "--block", "--port", str(port), "--node-ip-address",
             "127.0.0.1", "--num-cpus", "2", "--include-dashboard", "false", "--temp-dir",
             ray_tmp, "--disable-usage-stats"], env=env, stdout=handle,
            stderr=subprocess.STDOUT, start_new_session=True)
    try:
        def head_answers():
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1):
                    return True
            except OSError:
                return False

        wait_for(head_answers, 90, "the Ray head", head, poll=0.2)
        storage = tmp_path / "sweep"
        done = run_sweep("--env", "Pendulum-v1", "--seeds", "0", "--grid", "tau=0.005,2",
                         *TINY, "--max-failures", "1", "--address", f"127.0.0.1:{port}",
                         "--storage", storage)
        assert head.poll() is None, tail(head_log)
        assert listening_addresses([head.pid] + descendants(head.pid)) <= {"127.0.0.1"}
    finally:
        below = descendants(head.pid)
        head.send_signal(signal.SIGTERM)
        try:
            head.wait(timeout=60)
        finally:
            for pid in below:  # anything of ours the head left behind
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
    out = done.stdout
    # One trial failed for good, with its one-line reason; the other finished.
    assert done.returncode == 1, tail(out + done.stderr)
    assert "Sweep: 1 of 2 trials finished" in out and "1 failed" in out
    assert "failed: Pendulum-v1/tau=2.0/seed-0: --tau must be in (0, 1], got 2.0" in out
    good = storage / "runs" / "Pendulum-v1" / "tau=0.005" / "seed-0"
    assert status(good)["status"] == "finished"
    assert len(monitor_rewards(good)) == 4
    report = (storage / "report.md").read_text()
    assert ("`Pendulum-v1/preset=tutorial_tau=2.0/seed-0`: --tau must be in (0, 1], got 2.0"
            in report)
    assert table_rows(report)["Pendulum-v1 tutorial tau=2.0"][4] == "0/1"
