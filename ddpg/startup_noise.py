"""TensorFlow's start-up chatter, kept off the user's screen.

Importing TensorFlow 2.21 and probing its devices writes lines to stderr
that tell a user nothing actionable: absl's "All log messages before
absl::InitializeLog() ..." notice, "Could not find cuda drivers" (twice: two
libraries carry the same CUDA stub), and, on a machine without a GPU,
"failed call to cuInit ... (303)".  The first ones come from C++ static
initialisers that run while the shared libraries load, through absl's
logging before TensorFlow has configured it, so TF_CPP_MIN_LOG_LEVEL cannot
reach them.  They are removed at the file-descriptor level instead: stderr
goes through a filter for the duration of the import, and every line that
is not one of the known notices is passed on unchanged.

The filter is a child process, not a thread: the import holds the GIL and
might end in abort() (a CPU without the instructions the wheel needs); a
separate process still forwards whatever was written before the crash.

TF_CPP_MIN_LOG_LEVEL=0 or 1 turns the whole thing off: the user then sees
exactly what TensorFlow prints.  The package's default (set with setdefault,
so the user's value wins) is 2.
"""
import contextlib
import os
import re
import subprocess
import sys

LEVEL_VARIABLE = "TF_CPP_MIN_LOG_LEVEL"
DEFAULT_LEVEL = "2"
# Known notices, one per alternative; anything else on stderr is kept.
NOISE = re.compile(
    r"All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|cudart_stub\.cc.*Could not find cuda drivers"
    r"|failed call to cuInit"
    r"|oneDNN custom operations are on"
    r"|This TensorFlow binary is optimized to use available CPU instructions"
    r"|To enable the following instructions: .* rebuild TensorFlow")
# What the filter process runs: stdin to stdout, line by line, minus NOISE.
_FILTER = (
    "import re, sys\n"
    "noise = re.compile(sys.argv[1].encode())\n"
    "out = sys.stdout.buffer\n"
    "for line in sys.stdin.buffer:\n"
    "    if not noise.search(line):\n"
    "        out.write(line)\n"
    "        out.flush()\n")
_FILTER_EXIT_SECONDS = 5


def set_default_level():
    """TensorFlow's C++ log level 2 (warnings and errors hidden) unless the user chose one."""
    os.environ.setdefault(LEVEL_VARIABLE, DEFAULT_LEVEL)


def wanted():
    """True unless the user asked for TensorFlow's informational log (level 0 or 1)."""
    try:
        return int(os.environ.get(LEVEL_VARIABLE, DEFAULT_LEVEL)) >= 2
    except ValueError:  # TensorFlow reads an unparsable level as 0
        return False


@contextlib.contextmanager
def filtered_stderr(noise=NOISE):
    """Drop lines matching `noise` from what this process (C++ included) writes to fd 2.

    A no-op where file descriptors cannot be juggled this way (not POSIX, no
    stderr, no interpreter to run the filter with).
    """
    if os.name != "posix" or not sys.executable:
        yield
        return
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield
        return
    child = None
    try:
        read_end, write_end = os.pipe()
        try:
            # Own session: a Ctrl-C at the terminal interrupts the import, not the filter.
            child = subprocess.Popen([sys.executable, "-I", "-S", "-c", _FILTER, noise.pattern],
                                     stdin=read_end, stdout=saved, stderr=saved,
                                     start_new_session=True)
        except OSError:
            os.close(write_end)
        finally:
            os.close(read_end)
    except OSError:
        pass
    if child is None:
        os.close(saved)
        yield
        return
    os.dup2(write_end, 2)
    os.close(write_end)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError, AttributeError):
            sys.stderr.flush()
        os.dup2(saved, 2)  # the pipe's last writer is gone: the filter drains it and exits
        os.close(saved)
        try:
            child.wait(timeout=_FILTER_EXIT_SECONDS)
        except subprocess.TimeoutExpired:
            # A process started inside the block still holds the pipe; the filter
            # keeps forwarding its stderr until it ends.
            pass
