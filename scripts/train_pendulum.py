#!/usr/bin/env python
"""Train DDPG on Pendulum-v1: the classic tutorial's main job.

Every upper-case constant below is a default that a flag of the same
meaning, or a settings file given with --config, overrides (`--help` lists
them).  GAMMA, TAU, the learning rates and the minibatch are the 2016
tutorial's; MAX_EPISODES is chosen so that the run finishes in a few
minutes on two CPU cores with a pendulum that swings up and balances (see
the README for what differs from 2016 and why).
"""
import os
import sys

# From a checkout without `pip install`; an installed ddpg comes first.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

ENV_NAME = "Pendulum-v1"
MAX_EPISODES = 200
MAX_EP_STEPS = 1000
ACTOR_LEARNING_RATE = 0.0001
CRITIC_LEARNING_RATE = 0.001
GAMMA = 0.99
TAU = 0.001
BUFFER_SIZE = 1000000
MINIBATCH_SIZE = 64
RANDOM_SEED = 1234
NOISE = "ou"
RENDER_ENV = False
GYM_MONITOR_EN = True
RESULTS_DIR = "./results"
MONITOR_DIR = "./results/gym_ddpg"
SUMMARY_DIR = "./results/tf_ddpg"
EVAL_EPISODES = 10
CHECKPOINT_EVERY = 10
THREADS = 0


def main(argv=None):
    from ddpg.cli.train import script_main

    script_main(globals(), argv)


if __name__ == "__main__":
    main()
