"""Exporting a checkpoint's policy: load its actor, then write the export folder.

The loading is a run's business (ddpg.run.checkpoint); what the folder holds
and how it is built is ddpg.outputs.export's.
"""
from ddpg.envs import make_env
from ddpg.errors import UserError
from ddpg.outputs.export import (
    TFLITE_FILE,
    actor_layers,
    check_destination,
    policy_description,
    write_export,
)
from ddpg.run.checkpoint import load_actor, read_state


def export_policy(checkpoint, out, env_id=None, tflite=False, force=False):
    """Write the export folder `out` from `checkpoint`; returns ddpg_policy.json's dict.

    `env_id` is the task the policy is exported for (default: the one the
    checkpoint was trained on); a checkpoint whose actor does not fit it
    is refused before anything is written.
    """
    check_destination(out, force)
    state = read_state(checkpoint)
    trained_on = state.get("config", {}).get("env_id")
    env_id = env_id or trained_on
    if not env_id:
        raise UserError(f"checkpoint {checkpoint} does not name its task")
    env = make_env(env_id)
    try:
        sess, actor = load_actor(checkpoint, env)  # UserError on a task-shape mismatch
        if trained_on and trained_on != env_id:
            raise UserError(f"checkpoint {checkpoint} was trained on {trained_on}, "
                            f"not on {env_id}")
        try:
            layers = actor_layers(sess, actor)
            scaling = actor.scaling
        finally:
            sess.close()
        description = policy_description(env, env_id, state, checkpoint, tflite)
    finally:
        env.close()
    spec = {"center": scaling.center.tolist(), "half_range": scaling.half_range.tolist(),
            "low": scaling.low.tolist(), "high": scaling.high.tolist(),
            "tflite": TFLITE_FILE if tflite else None}
    write_export(out, layers, spec, description)
    return description
