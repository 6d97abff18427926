#!/usr/bin/env python
"""Speed of this package's DDPG against the tutorial's loop and Stable-Baselines3.

Measures, in one run and on the same machine (shared machines are noisy,
so only side-by-side ratios mean anything):

  1. env steps/s of the train loop with the fused update (one run per step)
  2. env steps/s of the tutorial-order loop (class methods, eight runs per step)
  3. updates/s of the fused op alone, on random batches
  4. env steps/s of Stable-Baselines3 DDPG with the same sizes (if installed)
  5. the roofline: matmul FLOPs per update over NumPy's float32 GFLOP/s

Pendulum-v1, 400-300 networks, batch 64, one update per environment step.
Each measurement runs in its own process (TensorFlow and PyTorch each size
thread pools at import); each is repeated --repeats times, interleaved, and
the best is kept.  Prints a table; writes JSON (default
results/benchmarks/benchmark.json).
"""
import argparse
import datetime
import json
import math
import os
import platform
import resource
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ENV_ID = "Pendulum-v1"
BATCH = 64
HIDDEN = (400, 300)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# -- workers: each runs in a fresh process and prints one JSON line ----------

def ddpg_loop(fused, steps, warmup, threads):
    import gymnasium as gym

    from ddpg.actor import ActorNetwork
    from ddpg.critic import CriticNetwork
    from ddpg.session import make_session
    from ddpg.training import train

    sess = make_session(threads=threads, seed=0)
    env = gym.make(ENV_ID)
    episode_len = env.spec.max_episode_steps
    actor = ActorNetwork(sess, 3, 1, env.action_space, 1e-4, 1e-3)
    critic = CriticNetwork(sess, 3, 1, 1e-3, 1e-3)
    settings = dict(minibatch_size=BATCH, fused=fused, log=lambda line: None, random_seed=0)
    state = train(sess, env, actor, critic, max_episodes=math.ceil(warmup / episode_len),
                  **settings)
    first = state.total_steps
    started = time.perf_counter()
    state = train(sess, env, actor, critic, state=state, initialize=False,
                  max_episodes=state.episode + math.ceil(steps / episode_len), **settings)
    seconds = time.perf_counter() - started
    return {"steps_per_s": (state.total_steps - first) / seconds, "seconds": seconds,
            "steps": state.total_steps - first, "peak_rss_mb": peak_rss_mb()}


def fused_op(steps, warmup, threads):
    import numpy as np

    from ddpg.actor import ActorNetwork
    from ddpg.compat import tf
    from ddpg.critic import CriticNetwork
    from ddpg.fused import FusedUpdate
    from ddpg.session import make_session

    sess = make_session(threads=threads, seed=0)
    actor = ActorNetwork(sess, 3, 1, 2.0, 1e-4, 1e-3)
    critic = CriticNetwork(sess, 3, 1, 1e-3, 1e-3)
    update = FusedUpdate(sess, actor, critic, 0.99)
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


def sb3_loop(steps, warmup, threads):
    import gymnasium as gym
    import numpy as np
    import torch
    from stable_baselines3 import DDPG
    from stable_baselines3.common.noise import OrnsteinUhlenbeckActionNoise

    torch.set_num_threads(threads)
    env = gym.make(ENV_ID)
    noise = OrnsteinUhlenbeckActionNoise(np.zeros(1), 0.3 * np.ones(1), theta=0.15, dt=1e-2)
    # SB3 has one learning rate for actor and critic; it does not change the cost.
    model = DDPG("MlpPolicy", env, learning_rate=1e-3, buffer_size=1000000,
                 learning_starts=warmup, batch_size=BATCH, tau=0.001, gamma=0.99, train_freq=1,
                 gradient_steps=1, action_noise=noise, seed=0, device="cpu",
                 policy_kwargs=dict(net_arch=list(HIDDEN)))
    model.learn(warmup)
    started = time.perf_counter()
    model.learn(steps, reset_num_timesteps=False)
    seconds = time.perf_counter() - started
    return {"steps_per_s": steps / seconds, "seconds": seconds, "threads": threads,
            "peak_rss_mb": peak_rss_mb(), "version": __import__("stable_baselines3").__version__}


WORKERS = {
    "fused": lambda a: ddpg_loop(True, a.steps, a.warmup, a.threads),
    "tutorial": lambda a: ddpg_loop(False, a.steps, a.warmup, a.threads),
    "fused_op": lambda a: fused_op(a.steps, a.warmup, a.threads),
    "sb3": lambda a: sb3_loop(a.steps, a.warmup, a.threads),
}


# -- the parent: runs workers, measures NumPy, prints and writes -------------

def run_worker(name, steps, warmup, threads):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", name, "--steps", str(steps),
           "--warmup", str(warmup), "--threads", str(threads)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([REPO, os.environ.get("PYTHONPATH", "")]))
    done = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["(no output)"]
        raise RuntimeError(f"{name} benchmark failed: {tail[0]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def sb3_installed():
    import importlib.util

    return importlib.util.find_spec("stable_baselines3") is not None


def numpy_matmul_gflops(repeats=2000):
    """Best float32 GFLOP/s of a 64x400 by 400x300 product (all threads, then one)."""
    import numpy as np

    a = np.random.default_rng(0).random((BATCH, HIDDEN[0]), dtype=np.float32)
    b = np.random.default_rng(1).random(HIDDEN, dtype=np.float32)
    flops = 2 * BATCH * HIDDEN[0] * HIDDEN[1]

    def best_rate():
        for _ in range(200):
            a @ b
        rates = []
        for _ in range(5):
            started = time.perf_counter()
            for _ in range(repeats // 5):
                a @ b
            rates.append(flops * (repeats // 5) / (time.perf_counter() - started) / 1e9)
        return max(rates)

    results = {"default_threads": best_rate()}
    try:
        from threadpoolctl import threadpool_info, threadpool_limits

        with threadpool_limits(1):
            results["one_thread"] = best_rate()
        results["blas"] = [f"{i.get('internal_api')} {i.get('version')} {i.get('architecture')}"
                           for i in threadpool_info()]
    except ImportError:
        pass
    results["best"] = max(v for v in results.values() if isinstance(v, float))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5000, help="timed env steps (default 5000)")
    parser.add_argument("--warmup", type=int, default=1000, help="untimed steps first (1000)")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved repeats, best kept")
    parser.add_argument("--threads", type=int, default=0, help="0: the CPUs this process may use")
    parser.add_argument("--out", default=os.path.join("results", "benchmarks", "benchmark.json"))
    parser.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3")
    parser.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.steps < 1 or args.warmup < BATCH + 1 or args.repeats < 1 or args.threads < 0:
        parser.error("need --steps >= 1, --warmup > 64, --repeats >= 1, --threads >= 0")
    if not args.threads:
        args.threads = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") \
            else (os.cpu_count() or 1)
    if args.worker:
        print(json.dumps(WORKERS[args.worker](args)))
        return 0

    sys.path.insert(0, REPO)
    from ddpg.flops import update_flops

    names = ["fused", "tutorial", "fused_op"]
    with_sb3 = sb3_installed() and not args.no_sb3
    if with_sb3:
        names.append("sb3")
    print(f"Benchmark: {ENV_ID}, {HIDDEN[0]}-{HIDDEN[1]} networks, batch {BATCH}, "
          f"{args.steps} timed steps after {args.warmup}, {args.threads} threads, "
          f"best of {args.repeats}" + ("" if with_sb3 else "; Stable-Baselines3 not installed"))
    best = {}
    for repeat in range(args.repeats):
        for name in names:
            result = run_worker(name, args.steps, args.warmup, args.threads)
            key = "updates_per_s" if name == "fused_op" else "steps_per_s"
            print(f"  round {repeat + 1}: {name:9s} {result[key]:8.1f} {key.replace('_', ' ')}",
                  flush=True)
            if name not in best or result[key] > best[name][key]:
                best[name] = result
    gflops = numpy_matmul_gflops()
    flops = update_flops(BATCH, 3, 1, HIDDEN)
    roofline = gflops["best"] * 1e9 / flops

    fused = best["fused"]["steps_per_s"]
    tutorial = best["tutorial"]["steps_per_s"]
    fused_updates = best["fused_op"]["updates_per_s"]
    sb3 = best["sb3"]["steps_per_s"] if with_sb3 else None
    report = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": f"{platform.machine()} {platform.processor() or ''}".strip(),
        "cpu_count": args.threads,
        "python": platform.python_version(),
        "env_id": ENV_ID, "batch": BATCH, "hidden": list(HIDDEN),
        "steps": args.steps, "warmup": args.warmup, "repeats": args.repeats,
        "fused_steps_per_s": fused,
        "tutorial_steps_per_s": tutorial,
        "sb3_steps_per_s": sb3,
        "fused_updates_per_s": fused_updates,
        "flops_per_update": flops,
        "numpy_matmul_gflops": gflops,
        "roofline_updates_per_s": roofline,
        "fused_over_tutorial": fused / tutorial,
        "fused_over_sb3": fused / sb3 if sb3 else None,
        "fused_op_percent_of_roofline": 100.0 * fused_updates / roofline,
        "peak_rss_mb": {name: round(result["peak_rss_mb"], 1) for name, result in best.items()},
        "replay_bytes_per_transition": 4 * (2 * 3 + 1 + 2),
    }
    rows = [
        ("fused train loop", f"{fused:.0f} steps/s", ""),
        ("tutorial-order loop", f"{tutorial:.0f} steps/s",
         f"fused/tutorial = {fused / tutorial:.2f}x"),
        ("Stable-Baselines3 DDPG", f"{sb3:.0f} steps/s" if sb3 else "not installed",
         f"fused/SB3 = {fused / sb3:.2f}x" if sb3 else ""),
        ("fused op alone", f"{fused_updates:.0f} updates/s", ""),
        ("roofline", f"{roofline:.0f} updates/s",
         f"{flops / 1e6:.1f} MFLOP/update at NumPy's {gflops['best']:.1f} GFLOP/s"),
        ("fused op / roofline", f"{report['fused_op_percent_of_roofline']:.0f} %", ""),
    ]
    if "one_thread" in gflops:
        one_core = gflops["one_thread"] * 1e9 / flops
        report["fused_op_percent_of_one_thread_roofline"] = 100.0 * fused_updates / one_core
        rows.append(("fused op / 1-thread roofline",
                     f"{report['fused_op_percent_of_one_thread_roofline']:.0f} %",
                     f"NumPy on one thread: {gflops['one_thread']:.1f} GFLOP/s"))
    print()
    for row in rows:
        print(f"| {row[0]:24s} | {row[1]:>18s} | {row[2]}")
    print(f"peak RSS (MB): {report['peak_rss_mb']}")
    from ddpg.atomic import write_json

    write_json(args.out, report)
    print(f"Wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
