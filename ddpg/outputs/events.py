"""Reading back the TensorBoard event files a run wrote."""
import os

from ddpg.atomic import prefixed_files

EVENTS_PREFIX = "events.out.tfevents"


def event_files(directory):
    return prefixed_files(directory, EVENTS_PREFIX)


def read_event_scalars(directory):
    """{tag: {step: value}} from the event files of `directory` or tf_ddpg/ in it.

    Later files win for a repeated step, which is what TensorBoard shows
    after a resumed run.
    """
    from ddpg.compat import tf

    scalars = {}
    for folder in (os.path.join(directory, "tf_ddpg"), directory):
        for path in event_files(folder):
            try:
                for event in tf.train.summary_iterator(path):
                    for value in event.summary.value:
                        if value.HasField("simple_value"):
                            scalars.setdefault(value.tag, {})[event.step] = value.simple_value
            except Exception:  # a truncated last record after a crash
                continue
        if scalars:
            break
    return scalars
