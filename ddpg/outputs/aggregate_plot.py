"""The report's aggregate figure: performance profiles and IQM against steps, side by side.

Both panels are drawn by rliable's own plot functions (plot_utils), so they
read like the figures of the paper that introduced them; the data comes in
already computed (ddpg.sweep.aggregate), which keeps this module free of
any statistics.  Matplotlib's headless Agg backend, as every plot here.
"""
from ddpg import atomic


def plot_aggregate(profiles, curves, out, runs_per_task=None):
    """Write the two-panel PNG `out`.

    `profiles`: (taus, {label: fraction of runs above tau}, {label: [low, high]});
    `curves`: {label: {"steps", "iqm", "low", "high"}} (labels without a curve
    are left out of the right panel); `runs_per_task`: {label: n}, shown in
    the legends, since one run per task gives bands of zero width.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from rliable import plot_utils

    runs_per_task = runs_per_task or {}

    def named(label):
        count = runs_per_task.get(label)
        return label if count is None else f"{label} ({count} run{'s' if count != 1 else ''}/task)"

    taus, profile, cis = profiles
    labels = list(profile)
    colors = {named(label): f"C{i}" for i, label in enumerate(labels)}
    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5), dpi=100)
    plot_utils.plot_performance_profiles(
        {named(k): v for k, v in profile.items()}, taus,
        performance_profile_cis={named(k): v for k, v in cis.items()}, colors=colors, ax=left,
        xlabel=r"normalized score $\tau$ (0 random policy, 1 TD3 paper's TD3)",
        ylabel=r"fraction of runs with score $> \tau$", labelsize="medium",
        ticklabelsize="medium")
    left.axvline(1.0, color="grey", linestyle=":", linewidth=1)
    left.set_title("performance profiles (final-10, 95% CI)", fontsize="medium")
    left.legend(fontsize="small", loc="best")
    drawn = [label for label in labels if curves.get(label)]
    if drawn:
        for label in drawn:
            found = curves[label]
            millions = [s / 1e6 for s in found["steps"]]
            plot_utils.plot_sample_efficiency_curve(
                millions, {named(label): found["iqm"]},
                {named(label): [found["low"], found["high"]]}, algorithms=[named(label)],
                colors=colors, ax=right, marker=None, linewidth=1.5,
                xlabel="environment steps (millions)",
                ylabel="IQM of normalized evaluation return", labelsize="medium",
                ticklabelsize="medium")
        right.axhline(1.0, color="grey", linestyle=":", linewidth=1)
        right.legend(fontsize="small", loc="best")
    right.set_title("IQM against steps (95% CI)", fontsize="medium")
    fig.tight_layout()
    with atomic.atomic_path(out) as tmp:
        fig.savefig(tmp, format="png")
    plt.close(fig)
