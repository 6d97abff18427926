"""The benchmark's FLOP count by hand, and its report's contract (not its speed)."""
import json
import subprocess
import sys

import pytest

from conftest import REPO_DIR, subprocess_env
from ddpg.flops import update_flops


def test_update_flops_by_hand():
    b, s, a, h1, h2 = 64, 3, 1, 400, 300
    mm = lambda m, k, n: 2 * m * k * n  # noqa: E731
    actor = mm(b, s, h1) + mm(b, h1, h2) + mm(b, h2, a)
    critic = mm(b, s, h1) + mm(b, h1, h2) + mm(b, a, h2) + mm(b, h2, 1)
    critic_step = actor + 2 * critic + critic + mm(b, h2, 1) + mm(b, h1, h2)
    actor_step = actor + critic + mm(b, h2, 1) + mm(b, a, h2) + actor + mm(b, h2, a) + mm(b, h1, h2)
    next_action = mm(1, s, h1) + mm(1, h1, h2) + mm(1, h2, a)
    assert update_flops(b, s, a, (h1, h2)) == critic_step + actor_step + next_action
    assert update_flops() == pytest.approx(140.1e6, rel=1e-3)


def test_benchmark_writes_the_report_keys(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, f"{REPO_DIR}/scripts/benchmark.py", "--steps", "200",
                           "--warmup", "100", "--repeats", "1", "--no-sb3", "--out", str(out)],
                          env=subprocess_env(), capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(out) as handle:
        report = json.load(handle)
    for key in ("fused_steps_per_s", "tutorial_steps_per_s", "sb3_steps_per_s",
                "fused_updates_per_s", "roofline_updates_per_s", "cpu_count", "date"):
        assert key in report, key
    assert report["sb3_steps_per_s"] is None and report["fused_over_sb3"] is None
    assert report["fused_over_tutorial"] == pytest.approx(
        report["fused_steps_per_s"] / report["tutorial_steps_per_s"])
    assert report["roofline_updates_per_s"] == pytest.approx(
        report["numpy_matmul_gflops"]["best"] * 1e9 / update_flops())
    assert report["fused_steps_per_s"] > 0 and report["fused_updates_per_s"] > 0
    assert "fused/tutorial" in done.stdout and "roofline" in done.stdout
