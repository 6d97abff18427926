#!/usr/bin/env python
"""See `python scripts/export.py --help`; the logic lives in ddpg/cli/export.py."""
import os
import sys

# From a checkout without `pip install`; an installed ddpg comes first.
sys.path.append(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def main(argv=None):
    from ddpg.cli.export import script_main

    script_main(argv)


if __name__ == "__main__":
    main()
