"""Optuna's search, told to propose nothing new once the study's time budget is spent.

`--time-budget` answers "as many candidates as two hours allow": the count
of candidates is what the budget buys, not a number to guess beforehand.
Tune's own `time_budget_s` would stop the running candidates mid-way and
throw their steps away; here the searcher only stops proposing, so every
candidate that started ends as the others do (finished or pruned by ASHA),
and the search overruns its budget by at most one candidate's length.

The clock is the search's own over all its sessions (search_time.json, which
the bookkeeping callback keeps), so a study paused with Ctrl-C and resumed
spends the same budget, not a fresh one.  This module imports Ray: load it
only where Ray is installed.
"""
import time

from ray.tune.search import Searcher
from ray.tune.search.optuna import OptunaSearch

from ddpg.sweep import study as study_module


class BudgetedOptunaSearch(OptunaSearch):
    """OptunaSearch whose `suggest` answers FINISHED once `budget_seconds` of search have run."""

    def __init__(self, *args, storage, budget_seconds, **kwargs):
        super().__init__(*args, **kwargs)
        self.storage, self.budget_seconds = storage, budget_seconds
        self._session = None  # (monotonic start, seconds before it): set at the first suggest

    def spent_seconds(self):
        """Search seconds over every session so far, this one's included."""
        if self._session is None:
            self._session = (time.monotonic(),
                             study_module.read_clock(self.storage, study_module.SEARCH_CLOCK))
        started, before = self._session
        return before + time.monotonic() - started

    def suggest(self, trial_id):
        if self.budget_seconds and self.spent_seconds() >= self.budget_seconds:
            return Searcher.FINISHED
        return super().suggest(trial_id)

    # A monotonic time means nothing in another process: never keep it.
    def save(self, checkpoint_path):
        session, self._session = self._session, None
        try:
            super().save(checkpoint_path)
        finally:
            self._session = session

    def restore(self, checkpoint_path):
        super().restore(checkpoint_path)
        self._session = None

    def __getstate__(self):
        return dict(self.__dict__, _session=None)
