"""The agent, built once from the settings: actor, critic(s), their update, noise, replay.

Every caller that trains or acts (the driver, the benchmark, the evaluation
loader, the notebook, a sweep's trial) gets its networks here, so a setting
means the same thing everywhere and a new one (TD3's second critic, say)
is wired in one place.
"""
import dataclasses

from ddpg.config import DEFAULTS
from ddpg.core.networks import ActorNetwork, CriticNetwork
from ddpg.core.noise import make_noise
from ddpg.core.replay_buffer import ReplayBuffer
from ddpg.core.seeding import component_seed
from ddpg.core.update import FusedUpdate, TutorialUpdate, as_critics
from ddpg.envs import dims

# Variable scopes of the critics: the first keeps DDPG's name, so checkpoints
# of DDPG runs and the tutorial's code still find it.
CRITIC_SCOPES = ("critic", "critic2")


@dataclasses.dataclass
class Agent:
    """What one run trains: the networks, how they update, how they explore, what they replay."""

    sess: object
    actor: ActorNetwork
    critics: tuple  # one CriticNetwork (DDPG) or two (TD3)
    update: object  # FusedUpdate or TutorialUpdate
    noise: object  # exploration noise (core/noise.py)
    replay_buffer: ReplayBuffer

    @property
    def critic(self):
        """The first critic: the one the actor learns from."""
        return self.critics[0]

    def random_state(self):
        """The generators a checkpoint must hold for an exact resume (not the buffer's)."""
        state = {"noise": self.noise.get_state()}
        if self.update.smoothing is not None:
            state["target_noise"] = self.update.smoothing.get_state()
        return state

    def set_random_state(self, state):
        self.noise.set_state(state["noise"])
        if self.update.smoothing is not None and "target_noise" in state:
            self.update.smoothing.set_state(state["target_noise"])


def build_actor(config, sess, state_dim, action_dim, action_space):
    """The actor and its target, as `config` shapes them."""
    return ActorNetwork(sess, state_dim, action_dim, action_space, config.actor_lr, config.tau,
                        hidden_sizes=config.hidden_sizes, hidden_init=config.hidden_init)


def build_critics(config, sess, state_dim, action_dim, actor):
    """One critic, or two under `twin_critics`, each with its target."""
    count = 2 if config.twin_critics else 1
    return tuple(
        CriticNetwork(sess, state_dim, action_dim, config.critic_lr, config.tau,
                      actor.get_num_trainable_vars(), hidden_sizes=config.hidden_sizes,
                      action_layer=config.critic_action_layer, l2=config.critic_l2,
                      hidden_init=config.hidden_init, scope=scope)
        for scope in CRITIC_SCOPES[:count])


def exploration_noise(config, action_dim):
    """The exploration noise `config` names, seeded from the run's seed."""
    sigma = config.gaussian_sigma if config.noise == "gaussian" else config.ou_sigma
    return make_noise(config.noise, action_dim, seed=component_seed(config.random_seed, "noise"),
                      sigma=sigma, theta=config.ou_theta)


def replay_buffer(config):
    return ReplayBuffer(config.buffer_size, component_seed(config.random_seed, "buffer"))


def make_update(config, sess, actor, critics, fused=True):
    """The update rule of `config` (DDPG, or TD3 with its switches on), fused or in tutorial order.

    Separate generators for exploration, replay and target smoothing keep a
    resumed run exact: restoring one generator's state never shifts another's.
    """
    rule = dict(target_noise=config.target_noise, target_noise_clip=config.target_noise_clip,
                seed=component_seed(config.random_seed, "target_noise"))
    if not fused:
        return TutorialUpdate(sess, actor, critics, config.gamma, **rule)
    # Updates start once the buffer holds more than a minibatch, so every
    # batch the fused graph sees is full: its shapes can be fixed.
    return FusedUpdate(sess, actor, critics, config.gamma, batch_size=config.minibatch_size,
                       policy_delay=config.policy_delay, **rule)


def build_agent(config, env, sess, fused=True):
    """The whole agent for `env` from a TrainConfig, in `sess`'s graph (not yet initialised)."""
    state_dim, action_dim = dims(env)
    actor = build_actor(config, sess, state_dim, action_dim, env.action_space)
    critics = build_critics(config, sess, state_dim, action_dim, actor)
    return Agent(sess, actor, critics, make_update(config, sess, actor, critics, fused),
                 exploration_noise(config, action_dim), replay_buffer(config))


def agent_around(sess, actor, critic, config=DEFAULTS, noise=None, buffer=None, fused=True):
    """An Agent from networks the caller built itself, as the tutorial's `train()` receives them."""
    critics = as_critics(critic)
    return Agent(sess, actor, critics, make_update(config, sess, actor, critics, fused),
                 noise if noise is not None else exploration_noise(config, actor.a_dim),
                 buffer if buffer is not None else replay_buffer(config))
