"""Runnable entry points; installed as the `ddpg_scripts` package for console commands."""
