"""Evaluation curves of several seeds, side by side at the steps they share.

Pure arithmetic on [(steps, returns) per seed]: the report's measures
(ddpg.sweep.measures) and the plots (ddpg.outputs.plotting) both read
curves this way, so a plotted band and a reported Table 1 figure are taken
at the same steps.
"""
import numpy as np


def shared_steps(curves):
    """(steps every seed reached, seeds x steps array of their returns there)."""
    curves = [dict(zip((int(s) for s in steps), map(float, means)))
              for steps, means in curves if len(steps)]
    if not curves:
        return [], np.zeros((0, 0))
    shared = sorted(set.intersection(*(set(c) for c in curves)))
    rows = np.array([[c[step] for step in shared] for c in curves]).reshape(len(curves), -1)
    return shared, rows


def mean_curve(curves):
    """(steps, mean, std) across seeds at the steps every seed reached (for the plots)."""
    steps, rows = shared_steps(curves)
    if not steps:
        return [], np.zeros(0), np.zeros(0)
    return steps, rows.mean(axis=0), rows.std(axis=0)
