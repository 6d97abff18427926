"""Optuna's optimization-history and parameter-importance plots of a study, as PNGs.

The study Optuna held during the search lives inside Tune's searcher; the
plots are drawn from a study rebuilt from candidates.json instead, so they
can be drawn again after a resume, or from the small files alone.  Pruned
candidates, and those --end-search stopped, enter as pruned (Optuna leaves
them out of both plots): their scores are from fewer steps and would read
as finished ones.
"""
import os

HISTORY_PNG = "optuna_history.png"
IMPORTANCE_PNG = "optuna_importance.png"


def rebuilt_study(records, distributions):
    """An in-memory Optuna study holding one trial per candidate record."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize")
    states = {"finished": optuna.trial.TrialState.COMPLETE,
              "pruned": optuna.trial.TrialState.PRUNED,
              "stopped": optuna.trial.TrialState.PRUNED,  # cut short too, by --end-search
              "failed": optuna.trial.TrialState.FAIL}
    # In the order the search drew them (records without a start time last, by name).
    for name in sorted(records, key=lambda n: (records[n].get("started") is None,
                                               records[n].get("started") or 0, n)):
        record = records[name]
        state = states.get(record["status"])
        params = record.get("params") or {}
        if state is None or not params:
            continue
        used = {k: distributions[k] for k in params if k in distributions}
        study.add_trial(optuna.trial.create_trial(
            params={k: params[k] for k in used}, distributions=used, state=state,
            value=record.get("score") if state == optuna.trial.TrialState.COMPLETE else None,
            intermediate_values={s["steps"]: s["score"] for s in record.get("scores", [])}))
    return study


def write_plots(records, distributions, out_dir, title):
    """Write the two PNGs; returns {png: path or the one-line reason it is missing}."""
    import matplotlib

    matplotlib.use("Agg")
    import warnings

    import matplotlib.pyplot as plt
    import optuna

    # Optuna marks its matplotlib plots experimental; the PNG is all we keep of them.
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

    study = rebuilt_study(records, distributions)
    complete = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    written = {}
    plots = optuna.visualization.matplotlib
    for png, draw, needs in ((HISTORY_PNG, plots.plot_optimization_history, 1),
                             (IMPORTANCE_PNG, plots.plot_param_importances, 2)):
        path = os.path.join(out_dir, png)
        if len(complete) < needs:
            written[png] = f"not drawn: {len(complete)} finished candidate(s), {needs} needed"
            continue
        try:
            axes = draw(study)
        except (ValueError, RuntimeError) as exc:  # e.g. importances of a single value
            written[png] = f"not drawn: {exc}"
            continue
        figure = axes.figure if hasattr(axes, "figure") else plt.gcf()
        figure.suptitle(title, fontsize=10)
        figure.set_size_inches(8, 5)
        figure.tight_layout()
        tmp = path + ".tmp.png"
        figure.savefig(tmp, dpi=100)
        os.replace(tmp, path)
        plt.close(figure)
        written[png] = path
    return written
