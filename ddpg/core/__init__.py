"""The algorithm, as the tutorial taught it: networks, replay buffer, noise, the update, the loop.

Nothing here touches the disk or the command line; `ddpg.run` does that.
"""
