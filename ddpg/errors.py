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


# Lines TensorFlow wraps an op error's cause in: the op, where it was built, the
# Saver's guess at a renamed variable.  None of them says what went wrong.
_TF_WRAPPING = ("Graph execution error", "Detected at node", "Node:", 'File "', "[[",
                "Original stack trace", "Restoring from checkpoint failed", "Original error")


def first_line(exc):
    """The first line of an exception's message that says what went wrong.

    Usually simply the first line (the type name if the message is empty).
    TensorFlow's op errors begin with "Graph execution error:" and the
    op's construction stack; their cause (e.g. DataLoss's "Checksum does
    not match") is the first line after that wrapping.
    """
    message = getattr(exc, "message", None)  # an OpError's text without the Python stack
    text = message if isinstance(message, str) and message.strip() else str(exc)
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(_TF_WRAPPING) \
                and not line.endswith("(most recent call last):"):
            return line
    return type(exc).__name__
