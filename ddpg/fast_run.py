"""A low-overhead way to run the same fetches with the same feeds every step.

sess.run re-parses its fetch and feed structures on every call, about half
a millisecond of Python per step here, which is a quarter of a training
step.  TensorFlow's C++ Session::MakeCallable prunes the graph once and
runs it by handle; Keras' TF1 backend used it through the session's
`_make_callable_from_options`.  Where that hook is missing we fall back to
plain sess.run, which is slower but identical in effect.
"""
from tensorflow.core.protobuf.config_pb2 import CallableOptions


def make_step(sess, feeds, fetches, targets=()):
    """Callable(*feed_values) -> list of fetched arrays, one per fetch."""
    make = getattr(sess, "_make_callable_from_options", None)
    if make is not None:
        options = CallableOptions()
        options.feed.extend(t.name for t in feeds)
        options.fetch.extend(t.name for t in fetches)
        options.target.extend(op.name for op in targets)
        try:
            return make(options)
        except Exception:  # pragma: no cover - depends on the TF build
            pass
    run_fetches = list(fetches) + list(targets)
    n = len(fetches)

    def generic_step(*values):
        return sess.run(run_fetches, feed_dict=dict(zip(feeds, values)))[:n]

    return generic_step
