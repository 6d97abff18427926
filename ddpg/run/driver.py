"""One training run end to end, as `scripts/train_pendulum.py` performs it.

Around the algorithm's loop (core/training.py) this adds what a run needs:
the checks, the session, Monitor files, TensorBoard, checkpoints and exact
resume, signals, periodic evaluation, then a final evaluation, a GIF and a
learning curve.
"""
import os
import time

from ddpg import atomic
from ddpg.compat import tf
from ddpg.core.agent import build_agent
from ddpg.core.training import LoopHooks, TrainingState, run_loop
from ddpg.envs import make_env
from ddpg.outputs.evaluation import (
    EvaluationLog,
    evaluate,
    evaluation_point,
    format_evaluation,
    write_evaluation,
)
from ddpg.outputs.events import run_events_dir
from ddpg.outputs.monitor import Monitor, truncate_results
from ddpg.outputs.progress import Progress, speed_line
from ddpg.outputs.tensorboard import (
    EpisodeSummaries,
    evaluation_summary,
    mark_session_start,
    summary_writer,
)
from ddpg.run.checkpoint import BestPolicy, Checkpointer, latest_checkpoint, read_best
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
    log(f"TensorFlow version: {tf.version.VERSION}")
    if not gpu_available():
        log("WARNING: no GPU found; training on the CPU")
    if config.force and not config.resume:
        clear_run(paths)
    for folder in paths.folders():
        os.makedirs(folder, exist_ok=True)
    run = TrainingRun(config, paths, env, resume_from, log, on_evaluation)
    try:
        with StopSignals() as stop:
            state, checkpoint = run.train(
                lambda: stop.requested() or bool(stop_requested and stop_requested()))
        if state.interrupted:
            why = f"by signal {stop.received}" if stop.received else "on request"
            log(f"Stopped {why}; checkpoint written to {checkpoint}")
            return stop.exit_code or 130
        run.finish(state, checkpoint)
    finally:
        run.close()
    return 0


class TrainingRun:
    """One run's session, agent, files and hooks; `train()` then `finish()`, then `close()`."""

    def __init__(self, config, paths, env, resume_from, log, on_evaluation=None):
        self.config, self.paths, self.log = config, paths, log
        self.on_evaluation = on_evaluation
        tf.reset_default_graph()
        self.sess = make_session(threads=config.threads or None, seed=config.random_seed)
        self.agent = build_agent(config, env, self.sess)
        self.summaries = EpisodeSummaries(self.sess, self.agent.update.reports_actor_loss)
        self.checkpointer = Checkpointer(self.sess, paths.checkpoint_dir,
                                         keep=config.keep_checkpoints)
        self.state, monitor_episodes = self._start_or_restore(resume_from)
        # Written once the run is sure to start: a refused resume changes nothing.
        atomic.write_json(paths.config_json, config.to_dict())
        if config.use_gym_monitor:
            if resume_from is not None:
                truncate_results(paths.monitor_dir, monitor_episodes)
            # clear_run already removed an earlier run's files under --force.
            env = Monitor(env, paths.monitor_dir, resume=config.resume,
                          video_callable=None if env.render_mode == "rgb_array" else False)
        self.env = env
        self.writer = self._open_writer(resumed=resume_from is not None)
        self.evaluations = EvaluationLog(
            paths.evaluations_json, config.env_id,
            resume_at_steps=self.state.total_steps if resume_from else None)
        self.best = BestPolicy(self.sess, self.agent.actor, paths.checkpoint_dir,
                               config.to_dict(), earlier_points=self.evaluations.points)
        self.eval_env = make_env(config.env_id) \
            if config.eval_every and config.eval_episodes else None
        self.progress = Progress(config.total_steps, config.max_episodes, self.state.total_steps,
                                 self.state.episode, log=log)
        self.started = time.perf_counter()
        self.seconds_before = self.state.seconds

    def _start_or_restore(self, resume_from):
        """(TrainingState, Monitor episodes so far): fresh, or from the checkpoint."""
        self.sess.run(tf.global_variables_initializer())
        if resume_from is None:
            return TrainingState(), 0
        saved = self.checkpointer.restore(resume_from, self.agent.replay_buffer)
        state = TrainingState.from_dict(saved["training"])
        state.interrupted = False  # that run was stopped; this one goes on
        self.agent.set_random_state(saved)
        self.log(f"Resuming from {resume_from} at episode {state.episode}")
        return state, saved.get("monitor_episodes", 0)

    def _open_writer(self, resumed):
        """The run's writer, in its named run folder (or, resumed, where its events are)."""
        directory = run_events_dir(self.paths.summary_dir, self.paths.run_name, resumed)
        writer = summary_writer(directory, self.sess.graph)
        mark_session_start(writer, self.state.total_steps)
        writer.add_summary(self.sess.run(settings_summary(self.config)), self.state.episode)
        return writer

    def wall_seconds(self):
        return self.seconds_before + time.perf_counter() - self.started

    def train(self, stop_requested):
        """Run the loop to the budget or a stop; returns (state, the last checkpoint)."""
        hooks = LoopHooks(on_eval=self.evaluate_now if self.eval_env else None,
                          on_episode_end=self.episode_ended, stop_requested=stop_requested)
        steps_before = self.state.total_steps  # a resumed run's earlier sessions
        self.state = run_loop(self.agent, self.env, self.config, self.state, hooks,
                              log=self.progress.write)
        checkpoint = self.save("interrupted" if self.state.interrupted else "final")
        self.progress.close()
        seconds = time.perf_counter() - self.started
        self.train_seconds = seconds
        if not self.state.interrupted:
            speed = speed_line(self.state.total_steps - steps_before, seconds,
                               self.state.total_steps)
            self.log(f"Training: {speed}; checkpoint {checkpoint}")
        return self.state, checkpoint

    def evaluate_now(self, steps):
        """A periodic noise-free evaluation, to evaluations.json and TensorBoard."""
        config = self.config
        result = evaluate(self.eval_env, self.agent.actor, config.eval_episodes,
                          config.random_seed, config.max_episode_len, env_id=config.env_id)
        point = evaluation_point(result, steps, self.state.episode, self.wall_seconds())
        self.best.offer(point)  # before the log: a crash between them replays this point
        self.evaluations.append(point)
        self.writer.add_summary(evaluation_summary(point["mean"]), steps)
        self.progress.evaluated(point)
        if self.on_evaluation is not None:
            self.on_evaluation(point, latest_checkpoint(self.paths.checkpoint_dir))

    def episode_ended(self, record, state):
        self.summaries.write(self.writer, record)
        if self.config.checkpoint_every and state.episode % self.config.checkpoint_every == 0:
            self.save("periodic")
        self.progress.update(state.total_steps, state.episode)

    def save(self, tag):
        state = self.state
        state.seconds = self.wall_seconds()
        snapshot = dict(self.agent.random_state(), training=state.to_dict(),
                        monitor_episodes=getattr(self.env, "episode_id", 0),
                        config=self.config.to_dict(), tag=tag)
        return self.checkpointer.save(f"ckpt-{state.episode:06d}", self.agent.replay_buffer,
                                      snapshot)

    def finish(self, state, checkpoint):
        finish(self.config, self.paths, self.env, self.agent.actor, self.writer, state,
               checkpoint, self.train_seconds, self.log)

    def close(self):
        self.progress.close()
        self.writer.close()
        self.env.close()
        if self.eval_env is not None:
            self.eval_env.close()
        self.sess.close()


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
        writer.add_summary(evaluation_summary(result["mean_return"]), state.total_steps)
        log(format_evaluation(result))
    if config.gif:
        from ddpg.outputs.video import record_gif

        gif = record_gif(config.env_id, actor, paths.gif, config.random_seed,
                         config.max_episode_len)
        if gif:
            log(f"Policy GIF: {gif}")
    if config.plot:
        from ddpg.outputs.plotting import curve_title, plot_runs

        writer.flush()  # without Monitor files the curve is read from the events
        source = paths.monitor_dir if config.use_gym_monitor else paths.summary_dir
        plot_runs([source], paths.learning_curve, title=curve_title(config),
                  labels=[os.path.basename(os.path.normpath(paths.results_dir))],
                  best_of=read_best)
        log(f"Learning curve: {paths.learning_curve}")
