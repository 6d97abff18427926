"""The one shared tf.compat.v1.Session, with thread counts and determinism."""
import os
import random

import numpy as np

from ddpg.compat import tf


def available_cpus():
    """CPUs this process may run on (cgroup/affinity aware, unlike os.cpu_count)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def make_session(threads=None, seed=None):
    """A Session sized to this process's CPUs, seeded and deterministic.

    Thread counts are fixed explicitly because TensorFlow's default pools
    size themselves from the host's CPU count, which over-subscribes a
    container limited to fewer cores, and because deterministic reductions
    are only repeatable for a fixed thread count.  For 400-300 networks at
    batch 64 the best split measured on 2 cores was one thread per op and
    one op per core (inter-op = CPUs, intra-op = 1): a 64x400x300 product
    is too small for Eigen to gain from splitting it, while the update has
    independent branches (target path, online critic, policy) to overlap.
    """
    import tensorflow

    tensorflow.config.experimental.enable_op_determinism()
    if seed is not None:
        seed_everything(seed)
    return tf.Session(config=session_config(threads))


def session_config(threads=None, intra_op_threads=1):
    """ConfigProto with inter-op = `threads` (default: usable CPUs), intra-op as given."""
    threads = int(threads or available_cpus())
    return tf.ConfigProto(intra_op_parallelism_threads=int(intra_op_threads or threads),
                          inter_op_parallelism_threads=threads, allow_soft_placement=True)


def seed_everything(seed):
    """Graph-level TF seed plus Python's and NumPy's legacy global generators."""
    tf.set_random_seed(seed)
    random.seed(seed)
    np.random.seed(seed % (2 ** 32))


def gpu_available():
    import tensorflow

    return bool(tensorflow.config.list_physical_devices("GPU"))
