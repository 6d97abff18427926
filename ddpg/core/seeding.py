"""Per-episode environment seeds derived from one run seed.

Every training episode is reset with its own seed, so a run resumed at
episode k sees exactly the episodes an uninterrupted run would have seen.
Training seeds are even and evaluation seeds odd: the two sets never meet.
"""
import numpy as np

_TRAIN_STREAM = 0
_EVAL_STREAM = 1
_RANDOM_ACTION_STREAM = 2


def _derive(base_seed, stream, index):
    state = np.random.SeedSequence([int(base_seed) % (2 ** 63), stream, int(index)])
    return int(state.generate_state(1, dtype=np.uint32)[0])


def episode_seed(base_seed, episode):
    """Reset seed of training episode `episode` (even)."""
    return _derive(base_seed, _TRAIN_STREAM, episode) & ~1


def evaluation_seeds(base_seed, count):
    """Reset seeds of `count` evaluation episodes (odd)."""
    return [_derive(base_seed, _EVAL_STREAM, i) | 1 for i in range(int(count))]


def random_action_rng(base_seed, episode):
    """Generator of the uniform start-up actions of training episode `episode`.

    One per episode, derived from the run seed, so a run resumed at an
    episode boundary draws what an uninterrupted run would have drawn.
    """
    return np.random.default_rng(np.random.SeedSequence(
        [int(base_seed) % (2 ** 63), _RANDOM_ACTION_STREAM, int(episode)]))


def component_seed(base_seed, name):
    """A stable seed for one random component (noise, buffer sampling)."""
    code = sum((i + 1) * ord(c) for i, c in enumerate(name))
    return _derive(base_seed, 2 + code, 0)
