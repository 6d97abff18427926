#!/usr/bin/env python
"""Speed of this package's DDPG against the tutorial's loop and two peer libraries.

Measures, in one run and on the same machine (shared machines are noisy,
so only side-by-side ratios mean anything):

  1. env steps/s of the train loop with the fused update (one run per step)
  2. env steps/s of the tutorial-order loop (class methods, eight runs per step)
  3. updates/s of the fused op alone, on random batches
  4. env steps/s of Stable-Baselines3 DDPG (PyTorch) and SBX DDPG (JAX) with
     the same sizes and settings, each only if installed
  5. two rooflines: the update's matrix-product FLOPs over (a) the rate of
     the 64x400x300 float32 product it is made of and (b) the machine's
     large-sgemm peak, both with NumPy's native BLAS kernel
  6. with --presets, the train loop under each of the package's presets
  7. TD3: the fused train loop under the `td3` preset against SB3's and
     SBX's TD3 with the same settings (twin critics, delay 2, target noise),
     and both train loops' matrix-product work per step as a share of the
     small-product rate: how far a loop is from its roofline

Pendulum-v1, 400-300 networks, batch 64, OU noise (sigma 0.3, theta 0.15,
dt 1e-2), tau 0.001, gamma 0.99, one gradient step per environment step.
Every measurement runs in a fresh process of its own: the frameworks size
thread pools at import, and they must not meet (a peer's process never
imports TensorFlow).  Each is repeated --repeats times, interleaved, and the
best is kept.  Prints a table; writes JSON (default
results/benchmarks/benchmark.json).
"""
import argparse
import contextlib
import datetime
import importlib.util
import json
import math
import os
import platform
import re
import resource
import signal
import subprocess
import sys
import time

try:
    from .flops import large_kernels, update_flops
except ImportError:  # run as a file: its folder is first on sys.path
    from flops import large_kernels, update_flops

SCRIPTS = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(SCRIPTS)
ENV_ID = "Pendulum-v1"
BATCH = 64
HIDDEN = (400, 300)
ACTOR_LR, CRITIC_LR = 1e-4, 1e-3
TAU, GAMMA = 0.001, 0.99
OU_SIGMA, OU_THETA, OU_DT = 0.3, 0.15, 1e-2
# TD3 against the peers' TD3: the `td3` preset's settings on the same task
# (a test keeps them equal).  The peers take noise in the action's own units:
# Pendulum's half range is 2.
TD3_PRESET = "td3"
TD3_BATCH, TD3_LR, TD3_TAU = 100, 1e-3, 5e-3
TD3_EXPLORATION_SIGMA, TD3_TARGET_NOISE, TD3_NOISE_CLIP, TD3_DELAY = 0.1, 0.2, 0.5, 2
TD3_ACTION_LAYER = 1  # the critic reads [s, a] at its first layer, as the peers' critics do
HALF_RANGE = 2.0
PEAK_SIZE = 4096
# Set on some machines so that old OpenBLAS builds pick a safe kernel; they
# slow a current NumPy, so the roofline's own process runs without them.
BLAS_OVERRIDES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
RESULT_MARK = "BENCHMARK-RESULT "

DDPG_WORKERS = ("fused", "tutorial", "fused_op", "kernel_floor", "preset", "fused_td3")
# Without these there is no report; they run once per round, before the peers.
REQUIRED_WORKERS = ("fused", "tutorial", "fused_op", "kernel_floor", "fused_td3", "blas")
UPDATE_WORKERS = ("fused_op", "kernel_floor")  # measured in updates/s, not env steps/s
SB3_MODULES, SBX_MODULES = ("torch", "stable_baselines3"), ("jax", "sbx")
PEERS = {
    # name: (label in the table, modules it needs, its --no- flag, our worker it faces)
    "sb3": ("Stable-Baselines3 DDPG", SB3_MODULES, "sb3", "fused"),
    "sbx": ("SBX DDPG", SBX_MODULES, "sbx", "fused"),
    "sb3_td3": ("Stable-Baselines3 TD3", SB3_MODULES, "sb3", "fused_td3"),
    "sbx_td3": ("SBX TD3", SBX_MODULES, "sbx", "fused_td3"),
}
# Modules a worker must never load.  PyTorch from PyPI and TensorFlow in one
# process crash (a segfault when triton's extension loads), and SB3 reaches
# TensorFlow only through tensorboard, which it uses for logging we do not
# do.  SBX is built on SB3's classes, so its process holds PyTorch too.
BLOCKED = {
    "sb3": ("tensorflow", "tensorboard", "jax", "jaxlib", "ddpg"),
    "sbx": ("tensorflow", "tensorboard", "ddpg"),
    "sb3_td3": ("tensorflow", "tensorboard", "jax", "jaxlib", "ddpg"),
    "sbx_td3": ("tensorflow", "tensorboard", "ddpg"),
    "blas": ("tensorflow", "torch", "jax", "ddpg"),
    **{name: ("torch", "jax") for name in DDPG_WORKERS},
}


def guard_worker(name):
    """Make the imports `name` must not make fail, before anything else loads.

    A None entry in sys.modules makes `import x` raise ImportError and
    find_spec("x") answer None, so optional imports of x are skipped quietly.
    """
    for module in BLOCKED[name]:
        if sys.modules.get(module) is not None:
            raise RuntimeError(f"{module} was loaded before the {name} worker's guard")
        sys.modules[module] = None
    # The scripts folder holds modules (plot, evaluate) whose names other
    # packages may probe for; a worker needs nothing from it any more.
    sys.path[:] = [entry for entry in sys.path if os.path.abspath(entry or ".") != SCRIPTS]


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- workers: each runs in a fresh process and prints one marked JSON line ----

def benchmark_config(preset=None, **overrides):
    """The TrainConfig a benchmark loop trains with: `preset`'s settings on the benchmark's task.

    The tutorial's by default (the constants above).  The task, the seed
    and evaluation are the benchmark's; the rest, which is what a training
    step costs (network shapes, batch, critic L2, noise, learning start,
    the TD3 switches), is the preset's, as `ddpg-train --preset` applies it.
    """
    import ddpg.config

    return ddpg.config.resolve(preset=preset, overrides=dict(
        env_id=ENV_ID, random_seed=0, eval_every=0, eval_episodes=0, total_steps=0, **overrides))


def ddpg_loop(fused, steps, warmup, threads, config):
    """Train-loop env steps/s of the agent `config` describes, built as every run builds it."""
    import dataclasses

    import gymnasium as gym

    from ddpg import build_agent, make_session, run_loop
    from ddpg.compat import tf

    import tensorflow  # already loaded (and in graph mode) through ddpg; for its version

    sess = make_session(threads=threads, seed=0)
    env = gym.make(ENV_ID)
    episode_len = env.spec.max_episode_steps
    agent = build_agent(config, env, sess, fused=fused)
    sess.run(tf.global_variables_initializer())
    quiet = dict(log=lambda line: None)
    state = run_loop(agent, env, dataclasses.replace(
        config, max_episodes=math.ceil(warmup / episode_len)), **quiet)
    first = state.total_steps
    started = time.perf_counter()
    state = run_loop(agent, env, dataclasses.replace(
        config, max_episodes=state.episode + math.ceil(steps / episode_len)), state, **quiet)
    seconds = time.perf_counter() - started
    return {"steps_per_s": (state.total_steps - first) / seconds, "seconds": seconds,
            "steps": state.total_steps - first, "peak_rss_mb": peak_rss_mb(),
            "versions": {"tensorflow": tensorflow.__version__,
                         "tensorflow_build": _tf_build(tensorflow),
                         "tensorflow_device": "gpu" if tensorflow.config.list_physical_devices(
                             "GPU") else "cpu"}}


def _tf_build(tensorflow):
    built = tensorflow.sysconfig.get_build_info()
    return f"CUDA {built['cuda_version']}" if built.get("is_cuda_build") else "CPU"


def fused_op(steps, warmup, threads):
    import gymnasium as gym
    import numpy as np

    from ddpg import build_agent, make_session
    from ddpg.compat import tf

    sess = make_session(threads=threads, seed=0)
    update = build_agent(benchmark_config(), gym.make(ENV_ID), sess).update  # as train() does
    sess.run(tf.global_variables_initializer())
    rng = np.random.default_rng(0)
    batches = [rng.normal(size=(BATCH, update.layout.width)).astype(np.float32)
               for _ in range(16)]
    next_state = np.zeros(3, np.float32)
    for i in range(warmup):
        update.run(batches[i % 16], next_state)
    started = time.perf_counter()
    for i in range(steps):
        update.run(batches[i % 16], next_state)
    seconds = time.perf_counter() - started
    return {"updates_per_s": steps / seconds, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def kernel_floor(steps, warmup, threads):
    """The fastest any schedule of the update's large kernels could run, as TensorFlow runs them.

    Times, one at a time in a session configured as the package's (one
    thread per op), each kernel that touches the 400x300 weights: the
    forward product, the weight gradient, the input gradient and an Adam
    step (scripts/flops.py lists how many of each an update holds), and an
    empty run.  The floor packs their summed time perfectly onto the cores
    and adds one empty run; the ~300 small ops of a real update, and the
    order the tutorial imposes (the actor learns through the updated critic)
    come on top.  A second thread per product could only beat it if it paid
    off, which it does not at this size (README, thread layouts).
    """

    from ddpg import make_session
    from ddpg.compat import tf
    from ddpg.core.update import make_step

    sess = make_session(threads=threads, seed=0)
    h1, h2 = HIDDEN

    def variable(shape):
        return tf.Variable(tf.random.normal(shape, stddev=0.05))

    weight, other_weight, grad = variable([h1, h2]), variable([h1, h2]), variable([h1, h2])
    inputs, upstream = variable([BATCH, h1]), variable([BATCH, h2])
    kernels = {
        "forward": tf.matmul(inputs.read_value(), weight.read_value()).op,
        "weight_grad": tf.matmul(inputs.read_value(), upstream.read_value(), transpose_a=True).op,
        "input_grad": tf.matmul(upstream.read_value(), weight.read_value(), transpose_b=True).op,
        "adam": tf.train.AdamOptimizer(1e-3).apply_gradients([(grad.read_value(), other_weight)]),
        "empty": tf.no_op(),
    }
    sess.run(tf.global_variables_initializer())
    runs = {name: make_step(sess, [], [], [op]) for name, op in kernels.items()}
    calls = max(200, steps // 5)
    seconds = {name: [] for name in kernels}
    for name, run in runs.items():
        for _ in range(max(1, warmup // 5)):
            run()
    for _ in range(5):  # interleaved blocks, best kept: the machine's speed drifts
        for name, run in runs.items():
            started = time.perf_counter()
            for _ in range(calls):
                run()
            seconds[name].append((time.perf_counter() - started) / calls)
    empty = min(seconds.pop("empty"))
    kernel_us = {name: 1e6 * max(0.0, min(times) - empty) for name, times in seconds.items()}
    packed_us = 1e6 * empty + summed_us(kernel_us) / threads
    return {"updates_per_s": 1e6 / packed_us,
            "ordered_updates_per_s": 1e6 / (1e6 * empty + ordered_path_us(kernel_us, threads)),
            "kernel_us": kernel_us, "empty_run_us": 1e6 * empty, "peak_rss_mb": peak_rss_mb()}


def summed_us(kernel_us):
    """Time of all of one update's large kernels, one after another."""
    return sum(count * kernel_us[name] for name, count in large_kernels().items())


def ordered_path_us(kernel_us, threads):
    """The large kernels' critical path when each runs whole, in the tutorial's order.

    With two or more cores: the four forward products of the critic target
    and the critic step run two and two (mu'(s2) must precede Q'(s2, .));
    the critic's two gradient products side by side; its Adam step alone
    (everything after it reads the updated critic); the updated critic on
    (s, mu(s)) alone; the actor's two gradient products side by side; its
    Adam step alone.  On one core, the plain sum.
    """
    if threads < 2:
        return summed_us(kernel_us)
    backward = max(kernel_us["weight_grad"], kernel_us["input_grad"])
    return (2 * kernel_us["forward"] + backward + kernel_us["adam"]
            + kernel_us["forward"] + backward + kernel_us["adam"])


def td3_config():
    """The `td3` preset on the benchmark's task, learning from the first full minibatch.

    The random start steps and the wait for them change what a step costs
    only before the timed part; the peers likewise start after one batch.
    """
    return benchmark_config(TD3_PRESET, start_steps=0, learning_starts=0)


def preset_loop(name, steps, warmup, threads):
    config = benchmark_config(name)
    result = ddpg_loop(True, steps, warmup, threads, config)
    result["settings"] = config.to_dict()
    return result


def _sb3_style_loop(model, steps, warmup):
    model.learn(warmup)  # learning starts after BATCH steps, so this also compiles/warms up
    started = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    seconds = time.perf_counter() - started
    return {"steps_per_s": steps / seconds, "seconds": seconds, "peak_rss_mb": peak_rss_mb()}


def _peer_noise():
    import numpy as np
    from stable_baselines3.common.noise import OrnsteinUhlenbeckActionNoise

    return OrnsteinUhlenbeckActionNoise(np.zeros(1), OU_SIGMA * np.ones(1), theta=OU_THETA,
                                        dt=OU_DT)


def _td3_peer_settings():
    """SB3's and SBX's TD3 keywords for the `td3` preset's settings, in action units."""
    import numpy as np
    from stable_baselines3.common.noise import NormalActionNoise

    return dict(learning_rate=TD3_LR, buffer_size=1000000, learning_starts=TD3_BATCH,
                batch_size=TD3_BATCH, tau=TD3_TAU, gamma=GAMMA, train_freq=1, gradient_steps=1,
                policy_delay=TD3_DELAY, target_policy_noise=TD3_TARGET_NOISE * HALF_RANGE,
                target_noise_clip=TD3_NOISE_CLIP * HALF_RANGE,
                action_noise=NormalActionNoise(np.zeros(1),
                                               TD3_EXPLORATION_SIGMA * HALF_RANGE * np.ones(1)),
                seed=0, policy_kwargs=dict(net_arch=list(HIDDEN)))


def sb3_loop(steps, warmup, threads, algorithm="ddpg"):
    import gymnasium as gym
    import stable_baselines3
    import torch
    from stable_baselines3 import DDPG

    torch.set_num_threads(threads)
    if algorithm == "td3":
        from stable_baselines3 import TD3

        model = TD3("MlpPolicy", gym.make(ENV_ID), device="cpu", **_td3_peer_settings())
    else:
        # SB3 has one learning rate for actor and critic; it does not change the cost.
        model = DDPG("MlpPolicy", gym.make(ENV_ID), learning_rate=CRITIC_LR,
                     buffer_size=1000000, learning_starts=BATCH, batch_size=BATCH, tau=TAU,
                     gamma=GAMMA, train_freq=1, gradient_steps=1, action_noise=_peer_noise(),
                     seed=0, device="cpu", policy_kwargs=dict(net_arch=list(HIDDEN)))
    result = _sb3_style_loop(model, steps, warmup)
    result["threads"] = torch.get_num_threads()
    result["versions"] = {
        "stable_baselines3": stable_baselines3.__version__,
        "torch": torch.__version__,
        "torch_build": f"CUDA {torch.version.cuda}" if torch.version.cuda else "CPU",
        "torch_device": "cpu",
    }
    return result


def sbx_loop(steps, warmup, threads, algorithm="ddpg"):
    cores = _cores()
    if threads < cores:
        # XLA's CPU client takes every core unless told; this is its one-thread switch.
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "") +
                                   " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1").strip()
    import gymnasium as gym
    import jax
    import jaxlib
    import sbx
    from sbx import DDPG

    if algorithm == "td3":
        from sbx import TD3

        model = TD3("MlpPolicy", gym.make(ENV_ID), qf_learning_rate=TD3_LR,
                    **_td3_peer_settings())
    else:
        model = DDPG("MlpPolicy", gym.make(ENV_ID), learning_rate=ACTOR_LR,
                     qf_learning_rate=CRITIC_LR, buffer_size=1000000, learning_starts=BATCH,
                     batch_size=BATCH, tau=TAU, gamma=GAMMA, train_freq=1, gradient_steps=1,
                     action_noise=_peer_noise(), seed=0,
                     policy_kwargs=dict(net_arch=list(HIDDEN)))
    result = _sb3_style_loop(model, steps, warmup)
    result["threads"] = 1 if threads < cores else cores
    result["versions"] = {
        "sbx": sbx.__version__,
        "jax": jax.__version__,
        "jaxlib": getattr(jaxlib, "__version__", None) or _dist_version("jaxlib"),
        "jax_build": _jax_build(),
        "jax_device": jax.default_backend(),
    }
    return result


def _dist_version(name):
    from importlib import metadata

    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _jax_build():
    """jaxlib from PyPI runs on the CPU only; CUDA comes as separate plugin wheels."""
    from importlib import metadata

    plugins = sorted(dist.metadata["Name"] for dist in metadata.distributions()
                     if (dist.metadata["Name"] or "").lower().replace("_", "-")
                     .startswith("jax-cuda"))
    return "CUDA plugin " + ", ".join(plugins) if plugins else "CPU"


def blas_rates(threads):
    """GFLOP/s of float32 products in NumPy: the update's shape and a large one.

    The small product runs on `threads` threads, the large one on every
    core; best of several timed blocks each.  Also names the BLAS kernel
    actually loaded, which environment overrides can change.
    """
    import numpy as np

    try:
        from threadpoolctl import threadpool_info, threadpool_limits
    except ImportError:
        threadpool_info = threadpool_limits = None

    def best_rate(m, k, n, calls, blocks, limit):
        a = np.random.default_rng(0).random((m, k), dtype=np.float32)
        b = np.random.default_rng(1).random((k, n), dtype=np.float32)
        out = np.empty((m, n), np.float32)
        flops = 2.0 * m * k * n
        rates = []
        context = threadpool_limits(limit) if threadpool_limits else contextlib.nullcontext()
        with context:
            for _ in range(max(1, calls // 4)):
                np.matmul(a, b, out=out)
            for _ in range(blocks):
                started = time.perf_counter()
                for _ in range(calls):
                    np.matmul(a, b, out=out)
                rates.append(flops * calls / (time.perf_counter() - started) / 1e9)
            kernel = threadpool_info() if threadpool_info else []
        return max(rates), kernel

    small, kernel = best_rate(BATCH, HIDDEN[0], HIDDEN[1], 2000, 5, threads)
    cores = _cores()
    peak, _ = best_rate(PEAK_SIZE, PEAK_SIZE, PEAK_SIZE, 1, 5, cores)
    blas = [{key: pool.get(key) for key in ("internal_api", "version", "architecture",
                                             "threading_layer", "num_threads")}
            for pool in kernel if pool.get("user_api") == "blas"]
    return {"small_product_gflops": small, "small_product_threads": threads,
            "peak_gflops": peak, "peak_threads": cores, "peak_size": PEAK_SIZE,
            "blas": blas, "numpy": np.__version__, "peak_rss_mb": peak_rss_mb()}


def _cores():
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
        else (os.cpu_count() or 1)


WORKERS = {
    "fused": lambda a: ddpg_loop(True, a.steps, a.warmup, a.threads, benchmark_config()),
    "tutorial": lambda a: ddpg_loop(False, a.steps, a.warmup, a.threads, benchmark_config()),
    "fused_op": lambda a: fused_op(a.steps, a.warmup, a.threads),
    "kernel_floor": lambda a: kernel_floor(a.steps, a.warmup, a.threads),
    "preset": lambda a: preset_loop(a.preset, a.steps, a.warmup, a.threads),
    "fused_td3": lambda a: ddpg_loop(True, a.steps, a.warmup, a.threads, td3_config()),
    "sb3": lambda a: sb3_loop(a.steps, a.warmup, a.threads),
    "sbx": lambda a: sbx_loop(a.steps, a.warmup, a.threads),
    "sb3_td3": lambda a: sb3_loop(a.steps, a.warmup, a.threads, "td3"),
    "sbx_td3": lambda a: sbx_loop(a.steps, a.warmup, a.threads, "td3"),
    "blas": lambda a: blas_rates(a.threads),
}


# -- reading a worker that died ------------------------------------------------

# TensorFlow's and absl's start-up notices ("Could not find cuda drivers",
# cpu_feature_guard, ...) come first and say nothing about why a process died.
_CHATTER = re.compile(
    r"^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] "       # TF's C++ log format
    r"|[IWE]\d{4} [\d:.]+ +\d+ \S+:\d+\] "                 # absl's (F, fatal, is real)
    r"|WARNING: All log messages before absl::InitializeLog"
    r"|To enable the following instructions:"
    r"|oneDNN custom operations are on)")


def describe_exit(returncode):
    """'exit code 1', or the signal that killed the process with the shell's code."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}, exit code {128 - returncode}"
    return f"exit code {returncode}"


def crash_line(stderr, returncode):
    """The one line that says why a worker died, and how it ended.

    A Python traceback's exception line; for a crash in native code, the
    fatal error that faulthandler prints and the innermost real frame of
    the thread that crashed; otherwise the last line that is not
    TensorFlow's start-up chatter.
    """
    lines = [line.rstrip() for line in stderr.splitlines() if line.strip()]
    real = [line for line in lines if not _CHATTER.match(line)]
    fatal = max((i for i, line in enumerate(real) if line.startswith("Fatal Python error:")),
                default=-1)
    trace = max((i for i, line in enumerate(real) if line.startswith("Traceback (most recent")),
                default=-1)
    found = None
    if fatal > trace:
        after = real[fatal + 1:]
        start = next((i for i, line in enumerate(after) if line.startswith("Current thread")), 0)
        frame = next((line.strip() for line in after[start:]
                      if line.lstrip().startswith("File ") and "<frozen " not in line), None)
        found = real[fatal] + (f", at {frame}" if frame else "")
    elif trace >= 0:
        found = next((line for line in real[trace + 1:] if not line[0].isspace()), None)
    if found is None:
        found = (real or lines or ["(no error output)"])[-1]
    return f"{found} ({describe_exit(returncode)})"


# -- the parent: runs workers, prints and writes -------------------------------

def worker_env(name):
    env = dict(os.environ, PYTHONFAULTHANDLER="1")
    if name in DDPG_WORKERS:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [REPO, os.environ.get("PYTHONPATH")]))
    if name == "blas":
        for variable in BLAS_OVERRIDES:
            env.pop(variable, None)
    return env


def run_worker(name, args, preset=None):
    """(result, None) or (None, the worker's last error line)."""
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--steps",
           str(args.steps), "--warmup", str(args.warmup), "--threads", str(args.threads)]
    if preset:
        cmd += ["--preset", preset]
    done = subprocess.run(cmd, capture_output=True, text=True, env=worker_env(name))
    if done.returncode != 0:
        return None, crash_line(done.stderr, done.returncode)
    marked = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if not marked:
        return None, "printed no result (" + describe_exit(done.returncode) + ")"
    return json.loads(marked[-1][len(RESULT_MARK):]), None


def missing_modules(peer):
    return [module for module in PEERS[peer][1] if importlib.util.find_spec(module) is None]


def available_presets():
    """(names, None) if ddpg.config offers presets, else ([], why not)."""
    sys.path.insert(0, REPO)
    try:
        from ddpg.config import PRESETS
    except Exception as error:  # noqa: BLE001 - any failure means: no presets to measure
        return [], f"ddpg.config offers no presets ({type(error).__name__}: {error})"
    return list(PRESETS), None


def _rate(value, unit):
    return f"{value:.0f} {unit}" if value is not None else "-"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="timed env steps (default 5000)")
    parser.add_argument("--warmup", type=int, default=1000, help="untimed steps first (1000)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept")
    parser.add_argument("--threads", type=int, default=0, help="0: the CPUs this process may use")
    parser.add_argument("--out", default=os.path.join("results", "benchmarks", "benchmark.json"))
    parser.add_argument("--no-peers", action="store_true", help="skip both peer libraries")
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument("--no-sbx", action="store_true", help="skip SBX")
    parser.add_argument("--presets", action="store_true",
                        help="also time the train loop under each preset of ddpg.config")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    parser.add_argument("--preset", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < BATCH + 1 or args.repeats < 1 or args.threads < 0:
        parser.error("need --steps >= 1, --warmup > 64, --repeats >= 1, --threads >= 0")
    if not args.threads:
        args.threads = _cores()
    if args.worker:
        guard_worker(args.worker)
        result = WORKERS[args.worker](args)
        result["frameworks_loaded"] = [module for module in ("tensorflow", "torch", "jax")
                                       if sys.modules.get(module) is not None]
        print(RESULT_MARK + json.dumps(result))
        return 0

    notes = {}
    peers = []
    for peer in PEERS:
        missing = missing_modules(peer)
        flag = PEERS[peer][2]
        if args.no_peers or getattr(args, f"no_{flag}"):
            notes[peer] = "skipped (--no-peers)" if args.no_peers else f"skipped (--no-{flag})"
        elif missing:
            notes[peer] = f"skipped: {', '.join(missing)} not installed (pip install \".[bench]\")"
        else:
            peers.append(peer)
    presets = []
    if args.presets:
        presets, why_not = available_presets()
        if why_not:
            notes["presets"] = why_not
    jobs = [(name, None) for name in REQUIRED_WORKERS if name != "blas"]
    jobs += [(peer, None) for peer in peers] + [("preset", name) for name in presets]
    jobs.append(("blas", None))
    cleared = {name: os.environ[name] for name in BLAS_OVERRIDES if name in os.environ}

    print(f"Benchmark: {ENV_ID}, {HIDDEN[0]}-{HIDDEN[1]} networks, batch {BATCH}, "
          f"{args.steps} timed steps after {args.warmup}, {args.threads} threads, "
          f"best of {args.repeats}")
    for peer, note in notes.items():
        print(f"  {peer}: {note}")
    best, failed = {}, {}
    for repeat in range(args.repeats):
        for name, preset in jobs:
            label = f"preset {preset}" if preset else name
            if label in failed:
                continue
            result, error = run_worker(name, args, preset)
            if error:
                print(f"  round {repeat + 1}: {label:20s} failed: {error}", flush=True)
                if name in REQUIRED_WORKERS:
                    print(f"benchmark: the {label} measurement failed: {error}", file=sys.stderr)
                    return 1
                failed[label] = error
                continue
            if name == "blas":
                print(f"  round {repeat + 1}: {label:20s} {result['small_product_gflops']:8.1f} "
                      f"GFLOP/s small product, {result['peak_gflops']:.1f} peak", flush=True)
                kept = best.setdefault(label, dict(result))
                for key in ("small_product_gflops", "peak_gflops"):
                    kept[key] = max(kept[key], result[key])
                continue
            key = "updates_per_s" if name in UPDATE_WORKERS else "steps_per_s"
            print(f"  round {repeat + 1}: {label:20s} {result[key]:8.1f} {key.replace('_', ' ')}",
                  flush=True)
            if label not in best or result[key] > best[label][key]:
                best[label] = result
    for label, error in failed.items():
        notes[label] = f"failed: {error}"

    report = build_report(args, best, notes, cleared, presets)
    print_report(report)
    sys.path.insert(0, REPO)
    from ddpg.atomic import write_json

    write_json(args.out, report)
    print(f"Wrote {args.out}")
    return 0


def td3_step_flops():
    """Matrix-product FLOPs per environment step of the TD3 loop, over a delay cycle."""
    return update_flops(TD3_BATCH, 3, 1, HIDDEN, action_layer=TD3_ACTION_LAYER, critics=2,
                        policy_delay=TD3_DELAY)


def build_report(args, best, notes, cleared, presets):
    flops = update_flops(BATCH, 3, 1, HIDDEN)
    td3_flops = td3_step_flops()
    blas = best["blas"]
    small, peak = blas["small_product_gflops"], blas["peak_gflops"]
    fused = best["fused"]["steps_per_s"]
    tutorial = best["tutorial"]["steps_per_s"]
    fused_updates = best["fused_op"]["updates_per_s"]
    floor = best["kernel_floor"]
    fused_td3 = best["fused_td3"]["steps_per_s"]
    peer_rates = {peer: best[peer]["steps_per_s"] if peer in best else None for peer in PEERS}
    sb3, sbx = peer_rates["sb3"], peer_rates["sbx"]
    roofline = small * 1e9 / flops
    versions = {"python": platform.python_version(), "numpy": blas["numpy"],
                "blas": blas["blas"]}
    for result in best.values():
        versions.update(result.get("versions", {}))
    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_count": args.threads,
        "cores": _cores(),
        "python": platform.python_version(),
        "env_id": ENV_ID, "batch": BATCH, "hidden": list(HIDDEN),
        "steps": args.steps, "warmup": args.warmup, "repeats": args.repeats,
        "fused_steps_per_s": fused,
        "tutorial_steps_per_s": tutorial,
        "sb3_steps_per_s": sb3,
        "sbx_steps_per_s": sbx,
        "fused_updates_per_s": fused_updates,
        "flops_per_update": flops,
        "numpy_matmul_gflops": {"best": small, "threads": blas["small_product_threads"],
                                "blas": blas["blas"], "cleared_env": cleared},
        "small_product_gflops": small,
        "peak_gflops": peak,
        "peak_threads": blas["peak_threads"],
        "peak_size": blas["peak_size"],
        "roofline_updates_per_s": roofline,
        "peak_updates_per_s": peak * 1e9 / flops,
        "fused_over_tutorial": fused / tutorial,
        "fused_over_sb3": fused / sb3 if sb3 else None,
        "fused_over_sbx": fused / sbx if sbx else None,
        "td3_settings": {"preset": TD3_PRESET, "batch": TD3_BATCH, "hidden": list(HIDDEN),
                         "policy_delay": TD3_DELAY, "target_noise": TD3_TARGET_NOISE,
                         "target_noise_clip": TD3_NOISE_CLIP},
        "fused_td3_steps_per_s": fused_td3,
        "sb3_td3_steps_per_s": peer_rates["sb3_td3"],
        "sbx_td3_steps_per_s": peer_rates["sbx_td3"],
        "fused_td3_over_sb3_td3": fused_td3 / peer_rates["sb3_td3"]
        if peer_rates["sb3_td3"] else None,
        "fused_td3_over_sbx_td3": fused_td3 / peer_rates["sbx_td3"]
        if peer_rates["sbx_td3"] else None,
        "td3_flops_per_step": td3_flops,
        # Whole loops (environment and Python included) against the product rate.
        "fused_loop_vs_small_product": fused * flops / (small * 1e9),
        "fused_td3_loop_vs_small_product": fused_td3 * td3_flops / (small * 1e9),
        "fused_op_percent_of_roofline": 100.0 * fused_updates / roofline,
        "fused_op_vs_small_product": fused_updates * flops / (small * 1e9),
        "fused_op_vs_peak": fused_updates * flops / (peak * 1e9),
        "kernel_floor_updates_per_s": floor["updates_per_s"],
        "kernel_floor_vs_small_product": floor["updates_per_s"] * flops / (small * 1e9),
        "ordered_floor_updates_per_s": floor["ordered_updates_per_s"],
        "ordered_floor_vs_small_product": floor["ordered_updates_per_s"] * flops / (small * 1e9),
        "kernel_floor_us": {"empty_run": floor["empty_run_us"], **floor["kernel_us"]},
        "fused_op_vs_kernel_floor": fused_updates / floor["updates_per_s"],
        "presets_steps_per_s": {name: best[f"preset {name}"]["steps_per_s"]
                                if f"preset {name}" in best else None for name in presets},
        "versions": versions,
        "notes": notes,
        "frameworks_loaded": {name: result["frameworks_loaded"] for name, result in best.items()},
        "peak_rss_mb": {name: round(result["peak_rss_mb"], 1) for name, result in best.items()},
        "replay_bytes_per_transition": 4 * (2 * 3 + 1 + 2),
    }


def _kernel(blas):
    return "; ".join(f"{pool['internal_api']} {pool['version']} {pool['architecture']}"
                     for pool in blas) or "kernel unknown (no threadpoolctl)"


def _floor_kernels(report):
    times = report["kernel_floor_us"]
    return ", ".join(f"{name.replace('_', ' ')} {times[name]:.0f} us"
                     for name in ("forward", "weight_grad", "input_grad", "adam", "empty_run"))


def print_report(report):
    fused, flops = report["fused_steps_per_s"], report["flops_per_update"]
    versions = report["versions"]
    rows = [
        ("fused train loop", _rate(fused, "steps/s"), ""),
        ("tutorial-order loop", _rate(report["tutorial_steps_per_s"], "steps/s"),
         f"fused/tutorial = {report['fused_over_tutorial']:.2f}x"),
    ]
    for peer, (label, _modules, _flag, ours) in PEERS.items():
        if ours == "fused_td3" and peer == "sb3_td3":
            rows.append(("fused train loop, TD3", _rate(report["fused_td3_steps_per_s"],
                                                         "steps/s"),
                         f"preset {TD3_PRESET}, batch {TD3_BATCH}, delay {TD3_DELAY}"))
        rate = report[f"{peer}_steps_per_s"]
        ratio = report[f"{ours}_over_{peer}"]
        ours_label = "fused TD3" if ours == "fused_td3" else "fused"
        theirs = peer.split("_")[0].upper() + (" TD3" if ours == "fused_td3" else "")
        rows.append((label, _rate(rate, "steps/s") if rate else "not measured",
                     f"{ours_label}/{theirs} = {ratio:.2f}x" if ratio
                     else report["notes"].get(peer, "")))
    for name, rate in report["presets_steps_per_s"].items():
        rows.append((f"preset {name}", _rate(rate, "steps/s") if rate else "not measured", ""))
    rows += [
        ("fused loop / small prod.", f"{100 * report['fused_loop_vs_small_product']:.0f} %",
         f"{flops / 1e6:.1f} MFLOP of matrix products per step, environment and Python "
         f"included"),
        ("TD3 loop / small prod.", f"{100 * report['fused_td3_loop_vs_small_product']:.0f} %",
         f"{report['td3_flops_per_step'] / 1e6:.1f} MFLOP per step (batch {TD3_BATCH}, two "
         f"critics, one actor step per {TD3_DELAY} steps)"),
    ]
    rows += [
        ("fused op alone", _rate(report["fused_updates_per_s"], "updates/s"),
         f"{flops / 1e6:.1f} MFLOP of matrix products per update"),
        ("small-product roofline", _rate(report["roofline_updates_per_s"], "updates/s"),
         f"{report['small_product_gflops']:.1f} GFLOP/s: {BATCH}x{HIDDEN[0]}x{HIDDEN[1]} sgemm, "
         f"{report['numpy_matmul_gflops']['threads']} threads, "
         f"{_kernel(report['numpy_matmul_gflops']['blas'])}"),
        ("peak roofline", _rate(report["peak_updates_per_s"], "updates/s"),
         f"{report['peak_gflops']:.1f} GFLOP/s: {report['peak_size']}^3 sgemm, "
         f"{report['peak_threads']} threads"),
        ("kernel floor", _rate(report["kernel_floor_updates_per_s"], "updates/s"),
         f"{100 * report['kernel_floor_vs_small_product']:.0f} % of small product: the large "
         f"kernels at TensorFlow's one-thread speed, packed perfectly ({_floor_kernels(report)})"),
        ("ordered floor", _rate(report["ordered_floor_updates_per_s"], "updates/s"),
         f"{100 * report['ordered_floor_vs_small_product']:.0f} % of small product: the same "
         f"kernels whole, in the tutorial's order (critic, then actor through it)"),
        ("fused op / small product", f"{100 * report['fused_op_vs_small_product']:.0f} %", ""),
        ("fused op / kernel floor", f"{100 * report['fused_op_vs_kernel_floor']:.0f} %", ""),
        ("fused op / peak", f"{100 * report['fused_op_vs_peak']:.0f} %", ""),
    ]
    print()
    for row in rows:
        print(f"| {row[0]:24s} | {row[1]:>16s} | {row[2]}")
    stack = [f"Python {versions['python']}", f"NumPy {versions['numpy']}"]
    if "tensorflow" in versions:
        stack.append(f"TensorFlow {versions['tensorflow']} ({versions['tensorflow_build']} build, "
                     f"run on {versions['tensorflow_device']})")
    if "torch" in versions:
        stack.append(f"torch {versions['torch']} ({versions['torch_build']} build, run on "
                     f"{versions['torch_device']}), SB3 {versions['stable_baselines3']}")
    if "jax" in versions:
        stack.append(f"JAX {versions['jax']} / jaxlib {versions['jaxlib']} "
                     f"({versions['jax_build']} build, run on {versions['jax_device']}), "
                     f"SBX {versions['sbx']}")
    print("versions: " + "; ".join(stack))
    if report["numpy_matmul_gflops"]["cleared_env"]:
        cleared = ", ".join(f"{k}={v}" for k, v in
                            report["numpy_matmul_gflops"]["cleared_env"].items())
        print(f"roofline measured without {cleared} (set here; they force an older kernel)")
    for name, note in report["notes"].items():
        if name not in PEERS:
            print(f"{name}: {note}")
    print("frameworks each process loaded: " + "; ".join(
        f"{name}: {', '.join(loaded) or 'none'}"
        for name, loaded in report["frameworks_loaded"].items()))
    print(f"peak RSS (MB): {report['peak_rss_mb']}")


if __name__ == "__main__":
    sys.exit(main())
