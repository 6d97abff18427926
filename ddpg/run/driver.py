"""One training run end to end, as `scripts/train_pendulum.py` performs it.

Around the algorithm's `train()` this adds what a run needs: the checks,
the session, Monitor files, TensorBoard, checkpoints and exact resume,
signals, then evaluation, a GIF and a learning curve.
"""
import os
import time

from ddpg import atomic
from ddpg.compat import tf
from ddpg.core.networks import ActorNetwork, CriticNetwork
from ddpg.core.training import (
    TrainingState,
    scalar_summary,
    seeded_exploration,
    summary_writer,
    train,
)
from ddpg.envs import dims, make_env
from ddpg.outputs.evaluation import (
    EvaluationLog,
    evaluate,
    evaluation_point,
    format_evaluation,
    write_evaluation,
)
from ddpg.outputs.monitor import Monitor, truncate_results
from ddpg.outputs.progress import Progress
from ddpg.run.checkpoint import Checkpointer, latest_checkpoint
from ddpg.run.folder import clear_run, prepare
from ddpg.run.session import gpu_available, make_session
from ddpg.run.signals import StopSignals


def run_training(config, prepared=None, log=print, on_evaluation=None, stop_requested=None):
    """Train, checkpoint, evaluate and write the run's files; returns an exit code.

    `prepared` is what folder.prepare(config) returned, when the caller
    already ran the checks (the CLI does, before importing TensorFlow).
    `on_evaluation(point, checkpoint)` is called after each periodic
    evaluation with its evaluations.json entry and the newest checkpoint
    folder (a sweep reports both to Ray Tune).  `stop_requested()`, polled
    after each episode like the signal flag, stops the run the same way: a
    checkpoint at that episode's end and exit code 130.
    """
    paths, env, resume_from = prepared or prepare(config)
    log(f"TensorFlow version: {tf.VERSION if hasattr(tf, 'VERSION') else tf.version.VERSION}")
    if not gpu_available():
        log("WARNING: no GPU found; training on the CPU")
    if config.force and not config.resume:
        clear_run(paths)
    for folder in paths.folders():
        os.makedirs(folder, exist_ok=True)

    tf.reset_default_graph()
    sess = make_session(threads=config.threads or None, seed=config.random_seed)
    state_dim, action_dim = dims(env)
    actor = ActorNetwork(sess, state_dim, action_dim, env.action_space, config.actor_lr,
                         config.tau, hidden_sizes=config.hidden_sizes,
                         hidden_init=config.hidden_init)
    critic = CriticNetwork(sess, state_dim, action_dim, config.critic_lr, config.tau,
                           actor.get_num_trainable_vars(), hidden_sizes=config.hidden_sizes,
                           action_layer=config.critic_action_layer, l2=config.critic_l2,
                           hidden_init=config.hidden_init)
    noise, replay_buffer = seeded_exploration(
        config.noise, action_dim, config.buffer_size, config.random_seed,
        sigma=config.gaussian_sigma if config.noise == "gaussian" else config.ou_sigma,
        theta=config.ou_theta)
    checkpointer = Checkpointer(sess, paths.checkpoint_dir)

    state = TrainingState()
    monitor_episodes = 0
    sess.run(tf.global_variables_initializer())
    if resume_from is not None:
        saved = checkpointer.restore(resume_from, replay_buffer)
        state = TrainingState.from_dict(saved["training"])
        state.interrupted = False  # that run was stopped; this one goes on
        noise.set_state(saved["noise"])
        monitor_episodes = saved.get("monitor_episodes", 0)
        log(f"Resuming from {resume_from} at episode {state.episode}")
    # Written once the run is sure to start: a refused resume changes nothing.
    atomic.write_json(paths.config_json, config.to_dict())

    if config.use_gym_monitor:
        if resume_from is not None:
            truncate_results(paths.monitor_dir, monitor_episodes)
        # clear_run already removed an earlier run's files under --force.
        env = Monitor(env, paths.monitor_dir, resume=config.resume,
                      video_callable=None if env.render_mode == "rgb_array" else False)

    writer = summary_writer(paths.summary_dir, sess.graph)
    if resume_from is not None:
        # TensorBoard drops points at or after this step from earlier files.
        writer.add_session_log(tf.SessionLog(status=tf.SessionLog.START), state.episode)
    writer.add_summary(sess.run(settings_summary(config)), state.episode)

    evaluations = EvaluationLog(paths.evaluations_json, config.env_id,
                                resume_at_steps=state.total_steps if resume_from else None)
    eval_env = make_env(config.env_id) if config.eval_every and config.eval_episodes else None
    progress = Progress(config.total_steps, config.max_episodes, state.total_steps,
                        state.episode, log=log)
    started = time.perf_counter()
    seconds_before = state.seconds

    def wall_seconds():
        return seconds_before + time.perf_counter() - started

    def on_eval(steps):
        result = evaluate(eval_env, actor, config.eval_episodes, config.random_seed,
                          config.max_episode_len, env_id=config.env_id)
        point = evaluation_point(result, steps, state.episode, wall_seconds())
        evaluations.append(point)
        writer.add_summary(scalar_summary({"Evaluation/mean_return": point["mean"]}), steps)
        progress.evaluated(point["mean"])
        if on_evaluation is not None:
            on_evaluation(point, latest_checkpoint(paths.checkpoint_dir))

    def save(tag):
        state.seconds = wall_seconds()
        snapshot = {
            "training": state.to_dict(),
            "noise": noise.get_state(),
            "monitor_episodes": _monitor_count(env),
            "config": config.to_dict(),
            "tag": tag,
        }
        return checkpointer.save(f"ckpt-{state.episode:06d}", replay_buffer, snapshot)

    def on_episode_end(record, current):
        if config.checkpoint_every and current.episode % config.checkpoint_every == 0:
            save("periodic")
        progress.update(current.total_steps, current.episode)

    try:
        with StopSignals() as stop:
            def should_stop():
                return stop.requested() or bool(stop_requested and stop_requested())

            state = train(sess, env, actor, critic, noise, max_episodes=config.max_episodes,
                          total_steps=config.total_steps, max_episode_len=config.max_episode_len,
                          minibatch_size=config.minibatch_size, gamma=config.gamma,
                          random_seed=config.random_seed, start_steps=config.start_steps,
                          learning_starts=config.learning_starts, eval_every=config.eval_every,
                          on_eval=on_eval if eval_env else None, writer=writer,
                          replay_buffer=replay_buffer, state=state, initialize=False,
                          on_episode_end=on_episode_end, stop_requested=should_stop,
                          log=progress.write)
            path = save("interrupted" if state.interrupted else "final")
        progress.close()
        train_seconds = time.perf_counter() - started
        if state.interrupted:
            why = f"by signal {stop.received}" if stop.received else "on request"
            log(f"Stopped {why}; checkpoint written to {path}")
            return stop.exit_code or 130
        log(f"Training: {state.total_steps} steps in {train_seconds:.1f} s "
            f"({state.total_steps / max(train_seconds, 1e-9):.0f} steps/s); checkpoint {path}")
        finish(config, paths, env, actor, writer, state, path, train_seconds, log)
    finally:
        progress.close()
        writer.close()
        env.close()
        if eval_env is not None:
            eval_env.close()
        sess.close()
    return 0


def settings_summary(config):
    """A TensorBoard text op showing the run's settings as a Markdown table."""
    rows = ["| setting | value |", "| --- | --- |"]
    rows += [f"| {key} | {value} |" for key, value in sorted(config.to_dict().items())]
    return tf.summary.text("settings", tf.constant("\n".join(rows)))


def finish(config, paths, env, actor, writer, state, checkpoint, train_seconds, log):
    """Evaluation, evaluation.json, GIF and learning curve after training."""
    if config.eval_episodes > 0:
        if hasattr(env, "set_mode"):
            env.set_mode("evaluation")
        result = evaluate(env, actor, config.eval_episodes, config.random_seed,
                          config.max_episode_len, env_id=config.env_id)
        write_evaluation(paths.evaluation_json, result, checkpoint=os.path.abspath(checkpoint),
                         train_episodes=state.episode, train_steps=state.total_steps,
                         train_seconds=train_seconds)
        writer.add_summary(scalar_summary({"Evaluation/mean_return": result["mean_return"]}),
                           state.total_steps)
        log(format_evaluation(result))
    if config.gif:
        from ddpg.outputs.video import record_gif

        gif = record_gif(config.env_id, actor, paths.gif, config.random_seed,
                         config.max_episode_len)
        if gif:
            log(f"Policy GIF: {gif}")
    if config.plot:
        from ddpg.outputs.plotting import plot_runs

        writer.flush()  # without Monitor files the curve is read from the events
        source = paths.monitor_dir if config.use_gym_monitor else paths.summary_dir
        plot_runs([source], paths.learning_curve, title=f"DDPG on {config.env_id}",
                  labels=[os.path.basename(os.path.normpath(paths.results_dir))])
        log(f"Learning curve: {paths.learning_curve}")


def _monitor_count(env):
    return getattr(env, "episode_id", 0)

