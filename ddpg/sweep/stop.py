"""Ctrl-C of a sweep: every running trial checkpoints where it is, then Tune stops.

Tune's own Ctrl-C handling stops the trials' workers at once, so each trial
would continue from its last periodic checkpoint and redo the episodes
after it.  Instead the first Ctrl-C writes a stop request into the storage
folder; each trial polls it (as `ddpg-train` polls its signal flag),
finishes its current episode, writes a checkpoint and waits.  When every
running trial has done so, or after a grace period, Tune's handler runs and
ends the experiment as usual.  A second Ctrl-C hands over to Tune at once.

The request is a file, not a Ray message, because the storage folder is
the one thing every node of a cluster already shares with the driver.
"""
import os
import signal
import threading
import time

from ddpg import atomic

STOP_FILE = "STOP"


class StopRequest:
    """The file `<storage>/STOP`, written by the sweep and read by its trials."""

    def __init__(self, storage):
        self.path = os.path.join(storage, STOP_FILE)

    def request(self):
        atomic.write_text(self.path, "stop: checkpoint and wait\n")

    def clear(self):
        try:
            os.remove(self.path)
        except FileNotFoundError:
            pass

    def requested(self):
        return os.path.exists(self.path)  # once per episode: a stat is nothing beside it


def trial_has_settled(status):
    """True once a trial's sweep_trial.json shows no attempt still training."""
    attempts = status.get("attempts") or []
    return status.get("status") != "running" or not attempts or "outcome" in attempts[-1]


def make_callback(storage, read_status, grace_seconds=60.0, log=print):
    """A Tune callback that turns the first Ctrl-C into a checkpointed stop.

    `read_status(trial_config)` gives a Tune trial's sweep_trial.json.  Built
    by a function so that importing this module does not import Ray.
    """
    from ray import tune

    class CheckpointThenStop(tune.Callback):
        def __init__(self):
            self.storage = storage
            self._reset()

        def _reset(self):
            self.tune_handler = None
            self.requested_at = None
            self.handed_over = False

        def __getstate__(self):  # Tune pickles its callbacks with the experiment
            return {"storage": self.storage}

        def __setstate__(self, state):
            self.storage = state["storage"]
            self._reset()

        def setup(self, **info):
            self._reset()
            if threading.current_thread() is not threading.main_thread():
                return
            handler = signal.getsignal(signal.SIGINT)
            if callable(handler):  # Tune's own handler; without it, leave Ctrl-C alone
                self.tune_handler = handler
                signal.signal(signal.SIGINT, self._on_ctrl_c)

        def _on_ctrl_c(self, signum, frame):
            if self.requested_at is not None:
                self._hand_over()
                return
            self.requested_at = time.monotonic()
            StopRequest(self.storage).request()
            log(f"Stopping: each running trial checkpoints at the end of its episode (at most "
                f"{grace_seconds:.0f} s); Ctrl-C again to stop at once")

        def _hand_over(self):
            if not self.handed_over:
                self.handed_over = True
                self.tune_handler(signal.SIGINT, None)

        def on_step_begin(self, iteration, trials, **info):
            if self.requested_at is None or self.handed_over:
                return
            running = [t for t in trials if t.status == "RUNNING"]
            waited = time.monotonic() - self.requested_at
            if waited >= grace_seconds or all(
                    trial_has_settled(read_status(t.config)) for t in running):
                self._hand_over()

    return CheckpointThenStop()
