"""Experience replay as a preallocated ring buffer.

The tutorial used a deque and `random.sample`, which costs O(n) per sampled
item once the deque is large.  Here each transition is one row of a fixed
float32 array, written in place (O(1) add), and a minibatch is one
fancy-index gather of rows: the fused update feeds that block as it is.
"""
import numpy as np

FIELDS = ("s", "a", "r", "t", "s2")


class TransitionLayout:
    """Column layout of one packed transition row: s | a | r | t | s2."""

    def __init__(self, state_dim, action_dim):
        self.state_dim = int(state_dim)
        self.action_dim = int(action_dim)
        self.width = 2 * self.state_dim + self.action_dim + 2

    def columns(self):
        s, a = self.state_dim, self.action_dim
        return {"s": slice(0, s), "a": slice(s, s + a), "r": slice(s + a, s + a + 1),
                "t": slice(s + a + 1, s + a + 2), "s2": slice(s + a + 2, 2 * s + a + 2)}

    def split(self, rows):
        """(s, a, r, t, s2) views of `rows`; r and t keep a trailing axis of 1."""
        cols = self.columns()
        return tuple(rows[:, cols[name]] for name in FIELDS)


class ReplayBuffer:
    """Fixed-capacity FIFO store of (s, a, r, t, s2) transitions.

    Storage is allocated on the first `add`, when the shapes become known,
    so the constructor keeps the tutorial's signature.  Observations of any
    shape are stored flattened and given back in their own shape.
    """

    def __init__(self, buffer_size, random_seed=123):
        if isinstance(buffer_size, bool) or int(buffer_size) != buffer_size or buffer_size <= 0:
            raise ValueError(f"buffer_size must be a positive integer, got {buffer_size!r}")
        self.buffer_size = int(buffer_size)
        self.random_seed = random_seed
        self._rng = np.random.default_rng(random_seed)
        self._rows = None
        self.layout = None
        self._obs_shape = None
        self._act_shape = None
        self._count = 0
        self._next = 0

    def _allocate(self, obs_shape, act_shape):
        self._obs_shape = tuple(obs_shape)
        self._act_shape = tuple(act_shape)
        self.layout = TransitionLayout(int(np.prod(obs_shape)), int(np.prod(act_shape)))
        self._rows = np.zeros((self.buffer_size, self.layout.width), dtype=np.float32)
        self._views = self.layout.split(self._rows)

    def add(self, s, a, r, t, s2):
        """Store one transition, overwriting the oldest once full."""
        if self._rows is None:
            self._allocate(np.shape(s), np.shape(a))
        i = self._next
        v_s, v_a, v_r, v_t, v_s2 = self._views
        v_s[i] = np.ravel(s)
        v_a[i] = np.ravel(a)
        v_r[i] = r
        v_t[i] = 1.0 if t else 0.0
        v_s2[i] = np.ravel(s2)
        self._next = i + 1 if i + 1 < self.buffer_size else 0
        if self._count < self.buffer_size:
            self._count += 1

    def size(self):
        return self._count

    def __len__(self):
        return self._count

    def clear(self):
        """Forget every transition; the storage is kept for reuse."""
        self._count = 0
        self._next = 0

    def sample_indices(self, batch_size):
        """Uniform row indices without replacement (all, shuffled, if fewer stored)."""
        k = min(int(batch_size), self._count)
        return self._rng.choice(self._count, size=k, replace=False)

    def sample_rows(self, batch_size):
        """A (k, width) float32 block of packed rows: the fused update's input."""
        return self._rows[self.sample_indices(batch_size)]

    def sample_batch(self, batch_size):
        """(s, a, r, t, s2) arrays of a uniform sample without replacement.

        r is float32 of shape (k,), t is bool of shape (k,); s, a and s2
        have the shapes they were added with, behind the batch axis.
        """
        if self._rows is None:
            empty = np.zeros((0,), dtype=np.float32)
            return empty, empty, empty, np.zeros((0,), dtype=bool), empty
        rows = self.sample_rows(batch_size)
        s, a, r, t, s2 = self.layout.split(rows)
        k = rows.shape[0]
        return (s.reshape((k,) + self._obs_shape), a.reshape((k,) + self._act_shape),
                r[:, 0].copy(), t[:, 0] > 0.5, s2.reshape((k,) + self._obs_shape))

    # -- persistence, for checkpoints that resume exactly --------------------

    def state_dict(self):
        """Stored rows, cursor, shapes and the sampler's RNG state."""
        state = {"buffer_size": np.int64(self.buffer_size), "count": np.int64(self._count),
                 "next": np.int64(self._next)}
        if self._rows is not None:
            state["rows"] = self._rows[: self._count]
            state["obs_shape"] = np.asarray(self._obs_shape, dtype=np.int64)
            state["act_shape"] = np.asarray(self._act_shape, dtype=np.int64)
        return state

    def rng_state(self):
        return self._rng.bit_generator.state

    def set_rng_state(self, state):
        self._rng.bit_generator.state = state

    def load_state_dict(self, state):
        """Restore what state_dict returned; the capacity must match."""
        capacity = int(state["buffer_size"])
        if capacity != self.buffer_size:
            raise ValueError(f"saved buffer has capacity {capacity}, this one {self.buffer_size}")
        self._rows = None
        if "rows" in state:
            self._allocate(tuple(state["obs_shape"]), tuple(state["act_shape"]))
            self._rows[: len(state["rows"])] = state["rows"]
        self._count = int(state["count"])
        self._next = int(state["next"])
