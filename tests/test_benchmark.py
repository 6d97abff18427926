"""The benchmark's FLOP count by hand, its process hygiene, and its report's contract
(not its speed)."""
import json
import os
import subprocess
import sys
import textwrap

import pytest
from conftest import REPO_DIR, subprocess_env

sys.path.insert(0, REPO_DIR)
from scripts import benchmark  # noqa: E402
from scripts.flops import dense_flops, large_kernels, update_flops  # noqa: E402

SCRIPTS_DIR = os.path.join(REPO_DIR, "scripts")


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


def test_td3_step_flops_by_hand():
    """Two critics on every step, the actor's half-share, the action read at layer 1."""
    b, s, a, h1, h2 = 100, 3, 1, 400, 300
    mm = lambda m, k, n: 2 * m * k * n  # noqa: E731
    actor = mm(b, s, h1) + mm(b, h1, h2) + mm(b, h2, a)
    critic = mm(b, s + a, h1) + mm(b, h1, h2) + mm(b, h2, 1)
    per_critic = 2 * critic + critic + mm(b, h2, 1) + mm(b, h1, h2)
    dq_da = mm(b, h2, 1) + mm(b, h1, h2) + mm(b, s + a, h1)
    actor_step = actor + critic + dq_da + actor + mm(b, h2, a) + mm(b, h1, h2)
    next_action = mm(1, s, h1) + mm(1, h1, h2) + mm(1, h2, a)
    expected = actor + 2 * per_critic + actor_step / 2 + next_action
    assert update_flops(b, s, a, (h1, h2), action_layer=1, critics=2, policy_delay=2) == expected
    assert benchmark.td3_step_flops() == expected
    assert expected == pytest.approx(279.65e6, rel=1e-4)


def test_the_large_kernels_carry_almost_all_of_the_update_flops():
    """The kernel floor times only the 400x300 kernels; they must be the update's bulk."""
    products = sum(count for name, count in large_kernels().items() if name != "adam")
    assert products == 9 and large_kernels()["adam"] == 2
    share = products * dense_flops(64, 400, 300) / update_flops()
    assert 0.98 < share < 1.0


def test_ordered_floor_by_hand():
    times = {"forward": 10.0, "weight_grad": 3.0, "input_grad": 4.0, "adam": 5.0}
    # two cores: forwards two and two, backward pairs side by side, Adam and the
    # forward through the updated critic alone
    assert benchmark.ordered_path_us(times, 2) == 2 * 10 + 4 + 5 + 10 + 4 + 5
    assert benchmark.ordered_path_us(times, 4) == benchmark.ordered_path_us(times, 2)
    assert benchmark.ordered_path_us(times, 1) == 5 * 10 + 2 * 3 + 2 * 4 + 2 * 5


def _run_python(code):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=subprocess_env(), timeout=120)


@pytest.mark.parametrize("peer", sorted(benchmark.PEERS))
def test_a_peer_worker_cannot_import_tensorflow(peer):
    # In a fresh process, as the worker starts: loading the script must not
    # pull in TensorFlow or ddpg, and after the guard TensorFlow, installed
    # here, must refuse to import.
    done = _run_python(f"""
        import importlib.util, sys
        sys.path.insert(0, {SCRIPTS_DIR!r})
        import benchmark
        assert "tensorflow" not in sys.modules and "ddpg" not in sys.modules, "loaded early"
        assert importlib.util.find_spec("tensorflow") is not None, "tensorflow not installed"
        benchmark.guard_worker({peer!r})
        assert importlib.util.find_spec("tensorflow") is None
        try:
            import tensorflow
        except ImportError:
            print("blocked")
        else:
            print("imported")
        try:
            import ddpg
        except ImportError:
            print("ddpg blocked")
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["blocked", "ddpg", "blocked"]


def test_the_guard_leaves_tensorflow_to_the_ddpg_workers():
    done = _run_python(f"""
        import importlib.util, sys
        sys.path.insert(0, {SCRIPTS_DIR!r})
        import benchmark
        benchmark.guard_worker("fused")
        print(importlib.util.find_spec("tensorflow") is not None,
              sys.modules.get("torch", "absent"))
    """)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split() == ["True", "None"]


def test_the_roofline_worker_runs_without_the_blas_overrides(monkeypatch):
    monkeypatch.setenv("OPENBLAS_CORETYPE", "Haswell")
    monkeypatch.setenv("OPENBLAS_L2_SIZE", "1048576")
    env = benchmark.worker_env("blas")
    assert "OPENBLAS_CORETYPE" not in env and "OPENBLAS_L2_SIZE" not in env
    assert benchmark.worker_env("fused")["OPENBLAS_CORETYPE"] == "Haswell"
    assert os.environ["OPENBLAS_CORETYPE"] == "Haswell"


TF_CHATTER = (
    "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n"
    "I0000 00:00:1795561499.614404    4969 cudart_stub.cc:31] Could not find cuda drivers on "
    "your machine, GPU will not be used.\n"
    "2026-11-24 10:01:02.345678: I tensorflow/core/util/port.cc:153] oneDNN custom operations "
    "are on. You may see slightly different numerical results.\n"
    "To enable the following instructions: AVX512F FMA, in other operations, rebuild "
    "TensorFlow with the appropriate compiler flags.\n"
)


def test_crash_report_names_the_exception_not_the_first_notice():
    stderr = TF_CHATTER + textwrap.dedent("""\
        Traceback (most recent call last):
          File "/x/benchmark.py", line 500, in <module>
            raise ValueError("first")
        ValueError: first

        During handling of the above exception, another exception occurred:

        Traceback (most recent call last):
          File "/x/benchmark.py", line 502, in <module>
            model.learn(steps)
        RuntimeError: replay buffer is empty
        W0000 00:00:1795561500.000001    4969 something.cc:1] shutting down
        """)
    assert benchmark.crash_line(stderr, 1) == "RuntimeError: replay buffer is empty (exit code 1)"


def test_crash_report_of_a_segfault_names_the_signal_and_the_frame():
    stderr = TF_CHATTER + textwrap.dedent("""\
        Fatal Python error: Segmentation fault

        Thread 0x00007f0000000002 (most recent call first):
          File "/usr/lib/python3.11/threading.py", line 320 in wait

        Current thread 0x00007f0000000001 (most recent call first):
          File "<frozen importlib._bootstrap>", line 241 in _call_with_frames_removed
          File "/site/triton/_C/__init__.py", line 7 in <module>
          File "/site/torch/_dynamo/__init__.py", line 3 in <module>

        Extension modules: numpy.core._multiarray_umath, torch._C (total: 2)
        """)
    line = benchmark.crash_line(stderr, -11)
    assert line.startswith("Fatal Python error: Segmentation fault")
    assert 'triton/_C/__init__.py", line 7' in line and "threading" not in line
    assert line.endswith("(killed by SIGSEGV, exit code 139)")


def test_crash_report_without_a_traceback_takes_the_last_real_line():
    stderr = "loading\nerror: cannot open libfoo.so\n" + TF_CHATTER
    assert benchmark.crash_line(stderr, 2) == "error: cannot open libfoo.so (exit code 2)"
    assert benchmark.crash_line(TF_CHATTER, 3).startswith("To enable the following")
    fatal = "F1125 00:15:17.179933   18480 parse_flags_from_env.cc:234] Unknown flag in XLA_FLAGS"
    assert benchmark.crash_line(TF_CHATTER + fatal + "\n" + TF_CHATTER, -6) == \
        fatal + " (killed by SIGABRT, exit code 134)"
    assert benchmark.crash_line("", -9) == "(no error output) (killed by SIGKILL, exit code 137)"


def test_bad_arguments_fail_in_one_line():
    done = subprocess.run([sys.executable, os.path.join(SCRIPTS_DIR, "benchmark.py"),
                           "--steps", "0"], capture_output=True, text=True, env=subprocess_env(),
                          timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "--steps >= 1" in done.stderr


@pytest.mark.slow
def test_benchmark_writes_the_report_keys(tmp_path):
    out = tmp_path / "bench.json"
    done = subprocess.run([sys.executable, os.path.join(SCRIPTS_DIR, "benchmark.py"),
                           "--steps", "200", "--warmup", "100", "--repeats", "1", "--no-peers",
                           "--out", str(out)],
                          env=subprocess_env(), capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    with open(out) as handle:
        report = json.load(handle)
    for key in ("fused_steps_per_s", "tutorial_steps_per_s", "sb3_steps_per_s", "sbx_steps_per_s",
                "fused_updates_per_s", "roofline_updates_per_s", "cpu_count", "date",
                "small_product_gflops", "peak_gflops", "fused_op_vs_small_product",
                "fused_op_vs_peak", "kernel_floor_updates_per_s", "ordered_floor_updates_per_s",
                "kernel_floor_vs_small_product", "ordered_floor_vs_small_product",
                "fused_op_vs_kernel_floor", "versions", "fused_td3_steps_per_s",
                "sb3_td3_steps_per_s", "sbx_td3_steps_per_s", "fused_td3_over_sb3_td3",
                "fused_td3_over_sbx_td3", "td3_settings", "td3_flops_per_step",
                "fused_loop_vs_small_product", "fused_td3_loop_vs_small_product"):
        assert key in report, key
    assert report["fused_td3_steps_per_s"] > 0 and report["fused_td3_over_sbx_td3"] is None
    assert report["frameworks_loaded"]["fused_td3"] == ["tensorflow"]
    assert report["sb3_steps_per_s"] is None and report["fused_over_sb3"] is None
    assert report["sbx_steps_per_s"] is None and report["fused_over_sbx"] is None
    assert "--no-peers" in report["notes"]["sb3"] and "--no-peers" in report["notes"]["sbx"]
    assert report["fused_over_tutorial"] == pytest.approx(
        report["fused_steps_per_s"] / report["tutorial_steps_per_s"])
    flops = update_flops()
    assert report["flops_per_update"] == flops
    assert report["roofline_updates_per_s"] == pytest.approx(
        report["small_product_gflops"] * 1e9 / flops)
    assert report["fused_op_vs_small_product"] == pytest.approx(
        report["fused_updates_per_s"] * flops / (report["small_product_gflops"] * 1e9))
    assert report["fused_op_vs_peak"] == pytest.approx(
        report["fused_updates_per_s"] * flops / (report["peak_gflops"] * 1e9))
    assert report["fused_td3_loop_vs_small_product"] == pytest.approx(
        report["fused_td3_steps_per_s"] * benchmark.td3_step_flops()
        / (report["small_product_gflops"] * 1e9))
    assert report["ordered_floor_updates_per_s"] <= report["kernel_floor_updates_per_s"]
    assert report["kernel_floor_vs_small_product"] == pytest.approx(
        report["kernel_floor_updates_per_s"] * flops / (report["small_product_gflops"] * 1e9))
    assert set(report["kernel_floor_us"]) == {"empty_run", *large_kernels()}
    assert report["frameworks_loaded"]["kernel_floor"] == ["tensorflow"]
    assert report["fused_steps_per_s"] > 0 and report["peak_gflops"] > 0
    assert report["versions"]["tensorflow"] and report["versions"]["numpy"]
    assert report["frameworks_loaded"]["fused"] == ["tensorflow"]
    assert report["frameworks_loaded"]["blas"] == []
    assert "fused/tutorial" in done.stdout and "peak roofline" in done.stdout
    assert "ordered floor" in done.stdout


def test_benchmark_configs_are_the_presets_on_the_benchmarks_task():
    """The loops train what `ddpg-train --preset` would, except task, seed and evaluation."""
    import dataclasses

    from ddpg.config import PRESETS, resolve

    owned = {"env_id", "random_seed", "eval_every", "eval_episodes", "total_steps"}
    for name in PRESETS:
        config = benchmark.benchmark_config(name)
        expected = resolve(preset=name, overrides={"env_id": benchmark.ENV_ID})
        differing = {f.name for f in dataclasses.fields(config)
                     if getattr(config, f.name) != getattr(expected, f.name)}
        assert differing <= owned, (name, differing - owned)
        assert config.env_id == benchmark.ENV_ID and config.eval_every == 0
    # The default loops and the peers' constants describe the same agent.
    tutorial = benchmark.benchmark_config()
    assert (tutorial.actor_lr, tutorial.critic_lr, tutorial.tau, tutorial.gamma) == \
        (benchmark.ACTOR_LR, benchmark.CRITIC_LR, benchmark.TAU, benchmark.GAMMA)
    assert tutorial.minibatch_size == benchmark.BATCH and tutorial.hidden_sizes == benchmark.HIDDEN
    assert (tutorial.noise, tutorial.ou_sigma, tutorial.ou_theta) == \
        ("ou", benchmark.OU_SIGMA, benchmark.OU_THETA)


def test_the_td3_comparison_uses_the_td3_presets_settings():
    """The peers' TD3 constants are the preset's; our loop learns from the first minibatch."""
    config = benchmark.td3_config()
    assert config.twin_critics and config.policy_delay == benchmark.TD3_DELAY
    assert (config.minibatch_size, config.actor_lr, config.critic_lr, config.tau) == \
        (benchmark.TD3_BATCH, benchmark.TD3_LR, benchmark.TD3_LR, benchmark.TD3_TAU)
    assert (config.target_noise, config.target_noise_clip, config.gaussian_sigma) == \
        (benchmark.TD3_TARGET_NOISE, benchmark.TD3_NOISE_CLIP, benchmark.TD3_EXPLORATION_SIGMA)
    assert config.noise == "gaussian" and config.hidden_sizes == benchmark.HIDDEN
    # SB3's and SBX's critics read [s, a] at layer 1; the FLOP count assumes it too.
    assert config.critic_action_layer == benchmark.TD3_ACTION_LAYER == 1
    assert (config.start_steps, config.learning_starts) == (0, 0)
    import gymnasium as gym

    space = gym.make(benchmark.ENV_ID).action_space
    assert ((space.high - space.low) / 2 == benchmark.HALF_RANGE).all()
