"""Errors that mean 'the user asked for something that cannot work'.

Entry points print their message as one line and exit non-zero instead of
showing a traceback; anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """Bad input: the message names the problem and the offending value."""

    exit_code = 2


class NonFiniteLossError(UserError):
    """Training diverged: a loss became NaN or infinite."""

    exit_code = 3

    def __init__(self, which, episode, step, value):
        super().__init__(
            f"{which} loss became non-finite ({value}) at episode {episode}, step {step}; "
            "training stopped, the last checkpoint is kept")
        self.which = which
        self.episode = episode
        self.step = step


class ServiceStartError(UserError):
    """A service the command needs (Ray) did not start; nothing was run."""

    exit_code = 1


def first_line(exc):
    """The first line of an exception's message (its type name if empty)."""
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
