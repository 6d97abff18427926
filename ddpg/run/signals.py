"""Turning SIGINT/SIGTERM into a clean stop at the end of the current episode.

The first signal only sets a flag: the train loop finishes its current
episode (the one point a checkpoint can continue exactly from, since the
environment's state is not saved), the run writes a complete checkpoint,
and the process exits with 128 + signal number (130 for Ctrl-C, 143 for
SIGTERM), as shells expect.  A second Ctrl-C interrupts at once.
"""
import signal


class StopSignals:
    """Context manager; `requested()` is the train loop's stop predicate."""

    def __init__(self, signals=(signal.SIGINT, signal.SIGTERM)):
        self.signals = signals
        self.received = None
        self._previous = {}

    def __enter__(self):
        for sig in self.signals:
            try:
                self._previous[sig] = signal.signal(sig, self._handle)
            except ValueError:  # not the main thread: leave signals alone
                pass
        return self

    def __exit__(self, *exc_info):
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()
        return False

    def _handle(self, signum, frame):
        if self.received is not None and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.received = signum

    def requested(self):
        return self.received is not None

    @property
    def exit_code(self):
        return 128 + int(self.received) if self.received is not None else 0
