"""`ddpg.train`: the tutorial's train(), the algorithm's loop plus its TensorBoard summaries.

The loop (ddpg/core/training.py) writes no files; this layer opens the
writer and hooks the per-episode summaries into it, as the driver does for
a full run.
"""
from ddpg.core import training
from ddpg.outputs.tensorboard import EpisodeSummaries, summary_writer


def train(sess, env, actor, critic, actor_noise=None, *, summary_dir=None, writer=None,
          **settings):
    """The tutorial's entry point: train `actor` and `critic` on `env`.

    With `summary_dir` (or an open `writer`), each episode writes the
    tutorial's TensorBoard scalars `Reward` and `Qmax_value` at the episode's
    number, and the return, losses, length and speed at the total
    environment steps (ddpg/outputs/events.py), straight into that folder:
    give each run its own folder to compare runs.  `settings` are
    TrainConfig fields (max_episodes, max_episode_len, minibatch_size,
    buffer_size, gamma, random_seed, total_steps, eval_every, the TD3
    switches, ...) and the keywords of ddpg.core.training.train:
    `replay_buffer`, `fused`, `state`, `initialize`, `log` and the hooks
    `on_start`, `on_eval`, `on_episode_end`, `stop_requested`.  Returns the
    TrainingState.
    """
    if summary_dir is None and writer is None:
        return training.train(sess, env, actor, critic, actor_noise, **settings)
    on_start = settings.pop("on_start", None)
    on_episode_end = settings.pop("on_episode_end", None)
    opened = {}

    def open_summaries(agent):
        # Before the variables are initialised: see EpisodeSummaries.
        opened["summaries"] = EpisodeSummaries(sess, agent.update.reports_actor_loss)
        opened["writer"] = writer if writer is not None else summary_writer(summary_dir,
                                                                             sess.graph)
        if on_start is not None:
            on_start(agent)

    def episode_ended(record, state):
        opened["summaries"].write(opened["writer"], record)
        if on_episode_end is not None:
            on_episode_end(record, state)

    try:
        return training.train(sess, env, actor, critic, actor_noise, on_start=open_summaries,
                              on_episode_end=episode_ended, **settings)
    finally:
        if "writer" in opened:
            if writer is None:
                opened["writer"].close()
            else:
                opened["writer"].flush()
