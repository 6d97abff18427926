#!/usr/bin/env python
"""See `python scripts/plot.py --help`; the logic lives in ddpg/cli/plot.py."""
import os
import sys


def main(argv=None):
    try:
        from ddpg.cli.plot import script_main
    except ImportError:  # run from a checkout without `pip install`
        sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
        from ddpg.cli.plot import script_main
    script_main(argv)


if __name__ == "__main__":
    main()
