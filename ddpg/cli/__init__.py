"""Command-line plumbing shared by the scripts: one-line errors, exit codes."""
import argparse
import functools
import os
import sys


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse, but a bad flag is one line on stderr (no usage block), exit 2."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def guarded(prog):
    """Decorator: UserError becomes `prog: error: message` and its exit code."""
    def wrap(main):
        @functools.wraps(main)
        def run(argv=None):
            from ddpg.errors import UserError

            try:
                return main(argv)
            except UserError as exc:
                sys.stderr.write(f"{prog}: error: {exc}\n")
                return exc.exit_code
            except KeyboardInterrupt:
                sys.stderr.write(f"{prog}: interrupted\n")
                return 130
        return run
    return wrap


def prog_name(default):
    """The name the user typed (script or console command)."""
    name = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else default
    return name if name and name != "-c" else default
