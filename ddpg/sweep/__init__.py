"""Many training runs at once on Ray Tune: grids of settings, seeds and tasks.

`grid` expands and checks what to run (no Ray needed), `trial` is one run
inside a Tune worker, `runner` starts or joins Ray and runs Tune, and
`report` turns the trials' folders into report.md and learning curves.
`ddpg-sweep` (ddpg/cli/sweep.py) is the command line over them.  Ray is
imported only by `runner` and `trial`, and only when a sweep starts.
"""
