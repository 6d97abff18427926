#!/usr/bin/env python
"""See `python scripts/tune.py --help`; the logic lives in ddpg/cli/tune.py."""
import os
import sys

# From a checkout without `pip install`; an installed ddpg comes first.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    from ddpg.cli.tune import script_main

    script_main(argv)


if __name__ == "__main__":
    main()
