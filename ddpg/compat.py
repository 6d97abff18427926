"""Make the 2016 stack import on today's TensorFlow, Pillow and tflearn.

tflearn 0.5.0 (the last release) reaches for two names that newer libraries
removed.  Restoring exactly those two aliases, before tflearn is imported,
is enough for the layers this package uses.  Everything else about graph
mode is set here too, so that every module sees the same TensorFlow.  Its
start-up notices are kept off the screen here as well (ddpg.startup_noise),
so that a program's own first line is the first one a user sees.
"""
import contextlib
import io
import warnings

from ddpg import startup_noise

# TensorFlow's C++ start-up chatter (CUDA probing, oneDNN notes) buries the
# program's own first line; TF_CPP_MIN_LOG_LEVEL=0 brings all of it back.
startup_noise.set_default_level()
_quiet = startup_noise.filtered_stderr() if startup_noise.wanted() else contextlib.nullcontext()

with _quiet:
    import tensorflow as _tf  # noqa: E402
    # Every device platform is probed here, under the filter, rather than at
    # the first Session: without a GPU that probe logs "failed call to
    # cuInit".  A GPU that is present is found and used as before.
    _tf.config.list_physical_devices()

from PIL import Image as _Image  # noqa: E402
from tensorflow.python.util import nest as _nest  # noqa: E402

# Removed in TensorFlow 2.13; `is_nested` is the same predicate renamed.
if not hasattr(_nest, "is_sequence"):
    _nest.is_sequence = _nest.is_nested

# Removed in Pillow 10; ANTIALIAS was always an alias of LANCZOS.
if not hasattr(_Image, "ANTIALIAS"):
    _Image.ANTIALIAS = _Image.LANCZOS

# Deprecation notices from tf.compat.v1 internals are not actionable here.
_tf.get_logger().setLevel("ERROR")

with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
    # tflearn prints "Scipy not supported!" at import; it needs no scipy here.
    warnings.simplefilter("ignore")
    import tflearn  # noqa: E402,F401

tf = _tf.compat.v1

# tflearn's import already turns off v2 behaviour (eager, v2 control flow);
# doing it here too makes the package independent of import order.
tf.disable_v2_behavior()
# ...but resource variables are wanted back: each use of one is a fresh
# read op, so a read placed under a control dependency really happens after
# the update it depends on.  The fused training step relies on that.
tf.enable_resource_variables()

__all__ = ["tf", "tflearn"]
