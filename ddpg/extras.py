"""How to add one of the optional extras (setup.py's EXTRAS): the one place that says so.

Every hint installs from the checkout, as the README does.  PyPI has an
unrelated project named `ddpg`, so a hint that installs `ddpg[video]` by
name would install a stranger's code.
"""


def install_hint(extra):
    """The command that adds `extra`, and where to run it."""
    return f'pip install ".[{extra}]" in the ddpg checkout (the folder with setup.py)'


def needs_extra(what, module, extra):
    """The one-line refusal when `what` needs `module`, which the `extra` extra brings."""
    return f"{what} needs {module}, from the optional {extra} extra: {install_hint(extra)}"


def require(what, modules, extra):
    """Import each module or raise the one-line UserError naming the extra that brings it."""
    import importlib

    from ddpg.errors import UserError

    for module in modules:
        try:
            importlib.import_module(module)
        except ImportError:
            raise UserError(needs_extra(what, module, extra)) from None
