"""Mapping the actor's tanh output onto an environment's action bounds.

The tutorial multiplied tanh by a symmetric bound and asserted
`high == -low`.  An affine map onto [low, high] covers both cases:
center + half_range * tanh, which is bound * tanh when low == -high.
"""
import numpy as np


class ActionScaling:
    """Per-dimension affine map from [-1, 1] onto [low, high]."""

    def __init__(self, low, high):
        low = np.asarray(low, dtype=np.float64).reshape(-1)
        high = np.asarray(high, dtype=np.float64).reshape(-1)
        if low.shape != high.shape:
            raise ValueError(f"action bounds differ in shape: {low.shape} vs {high.shape}")
        if not (np.all(np.isfinite(low)) and np.all(np.isfinite(high))):
            raise ValueError(
                f"action bounds must be finite, got low={low.tolist()} high={high.tolist()}"
            )
        if np.any(high < low):
            raise ValueError(
                f"action bounds have high < low: low={low.tolist()} high={high.tolist()}"
            )
        self.low = low.astype(np.float32)
        self.high = high.astype(np.float32)
        self.center = ((low + high) / 2.0).astype(np.float32)
        self.half_range = ((high - low) / 2.0).astype(np.float32)

    @classmethod
    def from_bound(cls, action_bound, action_dim):
        """Accept what the tutorial passed (a symmetric bound) or a Box space."""
        if hasattr(action_bound, "low") and hasattr(action_bound, "high"):
            return cls(action_bound.low, action_bound.high)
        bound = np.broadcast_to(np.asarray(action_bound, dtype=np.float64), (action_dim,))
        return cls(-np.abs(bound), np.abs(bound))

    @property
    def dim(self):
        return self.low.shape[0]

    def clip(self, action):
        return np.clip(action, self.low, self.high)

    def __repr__(self):
        return f"ActionScaling(low={self.low.tolist()}, high={self.high.tolist()})"
