"""A trained policy as files other programs load: a TF2 SavedModel, TFLite on request.

The export folder, built under a temporary name beside its destination and
renamed into place when complete:

  export/saved_model.pb, variables/   serving_default: observation -> action
  export/ddpg_policy.json             the task, its spaces, preset, source checkpoint
  export/policy.tflite                with --tflite

ddpg.run.export reads the actor's weights from a checkpoint (through
`load_actor`, the same loader evaluation uses) and hands them here as NumPy
arrays; serving_builder.py, in a child process, writes the model with
neither ddpg nor tflearn imported.
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

from ddpg import atomic
from ddpg.errors import UserError

POLICY_FILE = "ddpg_policy.json"
TFLITE_FILE = "policy.tflite"
DEFAULT_OUT = "export"
SIGNATURE = "serving_default"
BUILDER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "serving_builder.py")
FORMAT_VERSION = 1


class ExportError(UserError):
    """Building the model failed (not bad input): exit 1, with TensorFlow's last line."""

    exit_code = 1


def check_destination(out, force):
    """UserError unless `out` may be written (before anything is loaded or built)."""
    if os.path.lexists(out) and not force:
        raise UserError(f"--out {out} already exists; give --force to replace it")
    if os.path.lexists(out) and not os.path.isdir(out):
        raise UserError(f"--out {out} exists and is not a folder")
    parent = os.path.dirname(os.path.abspath(out))
    probe = parent
    while not os.path.exists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe) or not os.access(probe, os.W_OK):
        raise UserError(f"--out {out}: {probe} is not a writable folder")


def actor_layers(sess, actor):
    """[(W, b), ...] of the actor, input layer first, as float32 NumPy arrays."""
    from ddpg.core.networks import actor_layer_names

    values = dict(zip((v.op.name for v in actor.network_params),
                      sess.run(actor.network_params)))
    layers = []
    for name in actor_layer_names(actor.hidden_sizes):
        weights = values[f"{actor.scope}/{name}/W"]
        bias = values.get(f"{actor.scope}/{name}/b", np.zeros(weights.shape[1], np.float32))
        layers.append((np.asarray(weights, np.float32), np.asarray(bias, np.float32)))
    if len(values) != 2 * len(layers):
        raise ExportError(f"the actor has variables the export does not know: "
                          f"{sorted(values)}")
    return layers


def space_json(space):
    """shape, dtype, low and high of a Box; null stands for an unbounded side."""
    def bounds(values):
        values = np.asarray(values, np.float64)
        return [float(v) if np.isfinite(v) else None for v in values.reshape(-1)]
    return {"shape": list(space.shape), "dtype": str(space.dtype),
            "low": bounds(space.low), "high": bounds(space.high)}


def policy_description(env, env_id, state, checkpoint, tflite):
    """ddpg_policy.json: what a program using the model needs to feed and expect."""
    from ddpg import __version__
    from ddpg.envs import dims

    config = state.get("config", {})
    obs_dim, act_dim = dims(env)
    source = {"path": os.path.abspath(checkpoint), "tag": state.get("tag")}
    if state.get("tag") == "best":
        source.update(steps=state.get("steps"), episode=state.get("episode"),
                      evaluation_mean=state.get("evaluation", {}).get("mean"))
    else:
        training = state.get("training", {})
        source.update(steps=training.get("total_steps"), episode=training.get("episode"))
    return {
        "format_version": FORMAT_VERSION,
        "env_id": env_id,
        "preset": config.get("preset"),
        "observation_space": dict(space_json(env.observation_space), flat_size=obs_dim),
        "action_space": space_json(env.action_space),
        "signature": {"name": SIGNATURE,
                      "inputs": {"observation": {"dtype": "float32", "shape": [None, obs_dim]}},
                      "outputs": {"action": {"dtype": "float32", "shape": [None, act_dim]}},
                      "note": "observations flattened row by row; actions already on "
                              "[low, high]"},
        "source_checkpoint": source,
        "hidden_sizes": list(config.get("hidden_sizes", [])),
        "tflite": TFLITE_FILE if tflite else None,
        "ddpg_version": __version__,
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def write_export(out, layers, spec, description):
    """Build the folder beside `out`, then rename it into place (old copy set aside first)."""
    out = os.path.abspath(out)
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    staging = os.path.join(parent, f".{os.path.basename(out)}.{os.getpid()}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    try:
        with tempfile.TemporaryDirectory(prefix="ddpg-export-") as work:
            weights = os.path.join(work, "weights.npz")
            spec_path = os.path.join(work, "spec.json")
            np.savez(weights, **{f"{kind}{i}": value for i, layer in enumerate(layers)
                                 for kind, value in zip("Wb", layer)})
            with open(spec_path, "w", encoding="utf-8") as handle:
                json.dump(spec, handle)
            run_builder(weights, spec_path, staging)
        atomic.write_json(os.path.join(staging, POLICY_FILE), description)
        aside = os.path.join(parent, f".{os.path.basename(out)}.{os.getpid()}.old.tmp")
        if os.path.lexists(out):
            os.replace(out, aside)
        os.replace(staging, out)
        shutil.rmtree(aside, ignore_errors=True)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def run_builder(weights, spec_path, out_dir):
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, BUILDER, weights, spec_path, out_dir],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        lines = [line for line in done.stderr.strip().splitlines() if line.strip()]
        raise ExportError(f"building the SavedModel failed: "
                          f"{lines[-1] if lines else f'exit code {done.returncode}'}")

