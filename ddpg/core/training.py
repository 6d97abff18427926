"""The training loop of DDPG and TD3: act, store, learn, once per environment step.

Per environment step: act with the actor plus exploration noise, store the
transition, and once the buffer is warm do one update (core/update.py).
One step then costs one session run: the fused update also returns the
actor's action for the next state.

`run_loop(agent, env, config)` is the loop; `train(sess, env, actor,
critic, ...)` runs it for networks the caller built.  What a run leaves
(TensorBoard, Monitor files, checkpoints) hooks in from the layers above,
through LoopHooks and `train`'s hooks: the algorithm writes no files.
`ddpg.train`, the tutorial's entry point with its TensorBoard summaries, is
ddpg/run/tutorial.py.
"""
import dataclasses
import time

import numpy as np

from ddpg.compat import tf
from ddpg.config import DEFAULTS, TrainConfig
from ddpg.core.seeding import episode_seed, random_action_rng
from ddpg.errors import NonFiniteLossError


@dataclasses.dataclass
class TrainingState:
    """Counters that, with the weights, buffer and RNGs, make a run resumable."""

    episode: int = 0
    total_steps: int = 0
    total_updates: int = 0
    episode_rewards: list = dataclasses.field(default_factory=list)
    interrupted: bool = False
    seconds: float = 0.0  # training wall time, kept by the driver across resumes

    def to_dict(self):
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data):
        fields = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in fields})


@dataclasses.dataclass
class EpisodeRecord:
    """What one finished episode reports to the log, TensorBoard and hooks."""

    episode: int
    reward: float
    steps: int
    updates: int
    qmax: float
    critic_loss: float
    actor_loss: float
    seconds: float
    actor_updates: int = 0  # under TD3, every policy_delay-th update
    total_steps: int = 0  # the run's environment steps at this episode's end


def format_episode(record):
    """The tutorial's one-line episode report."""
    return (f"| Reward: {int(record.reward):d} | Episode {record.episode:d} "
            f"| Qmax: {record.qmax:.4f}")


@dataclasses.dataclass
class LoopHooks:
    """What the caller runs between steps and episodes (plumbing, not the algorithm).

    `on_eval(steps)` every `eval_every` environment steps;
    `on_episode_end(record, state)` after each episode (summaries and
    checkpoints hook in there); `stop_requested()` after each episode, which
    ends the run early with `state.interrupted` set.  Not between steps: a
    checkpoint holds the networks and the buffer but not the environment, so
    only one taken at an episode's end can continue exactly.
    """

    on_eval: object = None
    on_episode_end: object = None
    stop_requested: object = None


def done(config, state):
    """Whether the budget (episodes, or steps when total_steps > 0) is spent."""
    if config.total_steps:
        return state.total_steps >= config.total_steps
    return state.episode >= config.max_episodes


def run_loop(agent, env, config, state=None, hooks=None, log=print):
    """Train `agent` on `env` until `config`'s budget is spent; returns the TrainingState.

    The first `start_steps` actions are uniform over the action bounds, the
    policy unasked.  Learning starts once the buffer holds more than
    `minibatch_size` transitions and at least `learning_starts`; then every
    step does one update (core/update.py).  Terminal flags stored are
    Gymnasium's `terminated`, so time-limit truncations still bootstrap.
    `state` continues an earlier run: its counters are the global ones, and
    the budgets are totals.  The variables must be initialised (or restored).
    """
    state = state or TrainingState()
    hooks = hooks or LoopHooks()
    eval_every = config.eval_every if hooks.on_eval else 0
    while not done(config, state) and not state.interrupted:
        record = _run_episode(agent, env, config, state, hooks.on_eval, eval_every)
        state.episode_rewards.append(record.reward)
        state.episode += 1
        log(format_episode(record))
        if hooks.on_episode_end is not None:
            hooks.on_episode_end(record, state)
        if hooks.stop_requested is not None and hooks.stop_requested():
            state.interrupted = True
    return state


def _run_episode(agent, env, config, state, on_eval, eval_every):
    """One episode, to its end or the step budget."""
    actor, noise, buffer, update = agent.actor, agent.noise, agent.replay_buffer, agent.update
    episode = state.episode
    started = time.perf_counter()
    s_dim = actor.s_dim
    low, high, half_range = actor.scaling.low, actor.scaling.high, actor.scaling.half_range
    obs, _ = env.reset(seed=episode_seed(config.random_seed, episode))
    s = np.asarray(obs, dtype=np.float32).reshape(s_dim)
    noise.reset(episode)
    uniform = random_action_rng(config.random_seed, episode)
    learn_from = max(config.learning_starts, config.minibatch_size + 1)
    limit = config.max_episode_len
    if config.total_steps:
        limit = min(limit, config.total_steps - state.total_steps)
    ep_reward = 0.0
    qmax_sum = critic_loss_sum = actor_loss_sum = 0.0
    updates = actor_updates = 0
    greedy = None  # mu(s) for the current s, when the last update computed it
    steps = 0
    for steps in range(1, limit + 1):
        if state.total_steps + steps <= config.start_steps:
            # [act] first steps: uniform over the bounds, the policy unasked
            action = uniform.uniform(low, high).astype(np.float32)
        else:
            # [act] mu(s) plus exploration noise, scaled per dimension, clipped
            if greedy is None:
                greedy = actor.predict(s.reshape(1, s_dim))[0]
            action = np.clip(greedy + noise() * half_range, low, high).astype(np.float32)
        obs2, reward, terminated, truncated, _ = env.step(action)
        s2 = np.asarray(obs2, dtype=np.float32).reshape(s_dim)
        # [store] `terminated` only, so a time-limit cut still bootstraps
        buffer.add(s, action, reward, terminated, s2)
        if buffer.size() >= learn_from:
            # [learn] critic(s) on every update; actor and targets on every
            # policy_delay-th (all of them under DDPG)
            policy_step = (state.total_updates + updates + 1) % config.policy_delay == 0
            greedy, stats = update.run(buffer.sample_rows(config.minibatch_size), s2,
                                       policy_step)
            # -- plumbing: divergence check and episode statistics
            if not np.isfinite(stats).all():
                which = "critic" if not np.isfinite(stats[:2]).all() else "actor"
                value = stats[1] if which == "critic" else stats[2]
                raise NonFiniteLossError(which, episode, steps, value)
            qmax_sum += float(stats[0])
            critic_loss_sum += float(stats[1])
            updates += 1
            if policy_step:
                actor_loss_sum += float(stats[2])
                actor_updates += 1
        else:
            greedy = None
        ep_reward += float(reward)
        s = s2
        if eval_every and (state.total_steps + steps) % eval_every == 0:
            on_eval(state.total_steps + steps)
        if terminated or truncated:
            break
    else:
        _end_episode(env)  # cut by max_episode_len or the step budget: record it now
    state.total_steps += steps
    state.total_updates += updates
    per_update = 1.0 / updates if updates else 0.0
    per_actor_update = 1.0 / actor_updates if actor_updates else 0.0
    return EpisodeRecord(episode=episode, reward=ep_reward, steps=steps, updates=updates,
                         qmax=qmax_sum * per_update, critic_loss=critic_loss_sum * per_update,
                         actor_loss=actor_loss_sum * per_actor_update,
                         seconds=time.perf_counter() - started, actor_updates=actor_updates,
                         total_steps=state.total_steps)


def train(sess, env, actor, critic, actor_noise=None, *, replay_buffer=None, fused=True,
          state=None, initialize=True, on_start=None, on_eval=None, on_episode_end=None,
          stop_requested=None, log=print, **settings):
    """Train `actor` and `critic` on `env`; returns the TrainingState.

    `settings` are TrainConfig fields (max_episodes, max_episode_len,
    minibatch_size, buffer_size, gamma, random_seed, total_steps,
    start_steps, learning_starts, eval_every, the TD3 switches, ...); the
    rest keep their defaults.  `critic` may be a pair for twin critics.
    Noise and buffer default to the ones the settings describe, seeded
    from `random_seed`.  `on_start(agent)` runs once the agent's update ops
    are built and before the variables are initialised (ops that must join
    the graph first, such as summaries, and a writer recording the graph
    hook in there); the other hooks are LoopHooks'.  `ddpg.train` is this
    plus TensorBoard summaries (ddpg/run/tutorial.py).
    """
    from ddpg.core.agent import agent_around

    unknown = set(settings) - {f.name for f in dataclasses.fields(TrainConfig)}
    if unknown:
        raise TypeError(f"train() got unknown setting(s): {', '.join(sorted(unknown))}")
    if "summary_dir" in settings:  # a TrainConfig field, but this loop writes no events
        raise TypeError("ddpg.core.training.train() writes no TensorBoard events; "
                        "ddpg.train(..., summary_dir=...) does")
    config = dataclasses.replace(DEFAULTS, **settings)
    agent = agent_around(sess, actor, critic, config, actor_noise, replay_buffer, fused)
    if on_start is not None:
        on_start(agent)
    if initialize:
        sess.run(tf.global_variables_initializer())
    return run_loop(agent, env, config, state,
                    LoopHooks(on_eval, on_episode_end, stop_requested), log)


def _end_episode(env):
    try:
        end_episode = env.get_wrapper_attr("end_episode")
    except AttributeError:
        return
    end_episode()
