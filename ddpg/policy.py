"""Loading a trained actor back from a checkpoint, to act or be evaluated."""
import os

from ddpg.checkpoint import MODEL_PREFIX, latest_checkpoint, read_state
from ddpg.errors import UserError, first_line


def find_checkpoint(results_dir=None, checkpoint=None):
    """The checkpoint folder to load: the given one, or the run's latest."""
    if checkpoint:
        path = os.path.abspath(checkpoint)
        read_state(path)  # UserError when missing or corrupt
        return path
    if not results_dir:
        raise UserError("give --results-dir DIR or --checkpoint PATH")
    path = latest_checkpoint(os.path.join(results_dir, "checkpoints"))
    if path is None:
        raise UserError(f"no checkpoint in {os.path.join(results_dir, 'checkpoints')}")
    read_state(path)
    return path


def load_actor(checkpoint, env):
    """(sess, actor) with the checkpoint's actor weights, in a fresh graph."""
    from ddpg.actor import ActorNetwork
    from ddpg.compat import tf
    from ddpg.envs import dims
    from ddpg.session import make_session

    config = read_state(checkpoint).get("config", {})
    tf.reset_default_graph()
    sess = make_session(seed=config.get("random_seed", 0))
    state_dim, action_dim = dims(env)
    actor = ActorNetwork(sess, state_dim, action_dim, env.action_space,
                         config.get("actor_lr", 1e-4), config.get("tau", 1e-3))
    variables = actor.network_params + actor.target_network_params
    saver = tf.train.Saver(var_list=variables)
    try:
        saver.restore(sess, os.path.join(checkpoint, MODEL_PREFIX))
    except (tf.errors.OpError, ValueError) as exc:
        raise UserError(f"checkpoint {checkpoint} does not hold an actor for "
                        f"{config.get('env_id', 'this environment')}: {first_line(exc)}") from None
    return sess, actor
