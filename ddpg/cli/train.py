"""`python scripts/train_pendulum.py` / `ddpg-train`: flags over the script's constants.

Every flag, its help and its default come from `ddpg.config.TrainConfig`.
The script keeps the tutorial's hyperparameters as module-level constants,
which are the defaults here.  Flags are parsed with no defaults so that a
resumed run can tell what was given on the command line (which overrides)
from what was not (taken from the checkpoint), and a --config file can sit
between the preset and the flags.
"""
import argparse
import os
import sys

from ddpg import config as settings
from ddpg.cli import OneLineArgumentParser, guarded, prog_name

# Folders that follow --results-dir unless given themselves.
RESULTS_SUBFOLDERS = ("monitor_dir", "summary_dir")


def build_parser(defaults, prog):
    """argparse from TrainConfig's fields; `defaults` maps field names to shown defaults."""
    parser = OneLineArgumentParser(
        prog=prog, description="Train DDPG (TF1 graph mode) on a continuous-control task.")
    add_config_flag(parser)
    for field in settings.fields():
        flag, default, text = settings.flag_of(field), defaults[field.name], field.metadata["help"]
        if field.type in (bool, "bool"):
            if field.name in settings.RUN_ACTIONS:
                parser.add_argument(flag, dest=field.name, action="store_true", default=None,
                                    help=text)
            elif field.metadata.get("constant") or not field.default:  # --x and --no-x
                parser.add_argument(flag, dest=field.name, default=None,
                                    action=argparse.BooleanOptionalAction,
                                    help=f"{text} (default: {default})")
            else:  # on by default, with a --no- flag to turn it off
                parser.add_argument("--no-" + flag[2:], dest=field.name, action="store_false",
                                    default=None, help=f"do not {text[0].lower()}{text[1:]}")
            continue
        kind = {"int": int, "float": float, "str": str, "tuple": settings.parse_sizes}.get(
            getattr(field.type, "__name__", field.type), str)
        shown = f"<results-dir>/{_relative_to_results(defaults, field.name)}" \
            if field.name in RESULTS_SUBFOLDERS else default
        if isinstance(default, tuple):
            shown = ",".join(map(str, default))
        parser.add_argument(*settings.flags_of(field), dest=field.name, type=kind, default=None,
                            choices=settings.CHOICES.get(field.name),
                            help=f"{text} (default: {shown})")
    return parser


def add_config_flag(parser):
    """--config FILE, first in --help: it is the layer the other flags override."""
    parser.add_argument(
        "--config", metavar="FILE", default=None,
        help="settings from a JSON file (YAML if named .yaml/.yml): any run's config.json, a "
             "tuned best.json, or a mapping such as {\"preset\": \"td3\", \"tau\": 0.01}; "
             "they override the preset's, and flags override them; the file's folders and "
             "force/resume are ignored (the run goes to --results-dir); not with --resume")


def defaults_from_constants(module_globals=None):
    """{field: default}: TrainConfig's, replaced by the script's constants where it has them."""
    defaults = settings.DEFAULTS.to_dict()
    for constant, name in settings.constants().items():
        if module_globals and constant in module_globals:
            defaults[name] = module_globals[constant]
    return defaults


def _relative_to_results(defaults, name):
    return os.path.relpath(defaults[name], defaults["results_dir"])


def config_from_args(args, defaults):
    """TrainConfig from layers, each overriding the one before: the defaults, the preset (or,
    on --resume, the checkpoint), the --config file, the flags given."""
    from ddpg.errors import UserError
    from ddpg.run.checkpoint import checkpoint_dir, latest_checkpoint, read_state, resume_hint

    given = {k: v for k, v in vars(args).items() if v is not None}
    from_file = settings_file(given.pop("config", None), given.get("resume"))
    base = dict(defaults)
    results_dir = given.get("results_dir", base["results_dir"])
    saved = None
    if given.get("resume"):
        checkpoint = latest_checkpoint(checkpoint_dir(results_dir))
        if checkpoint is not None:
            try:
                saved = read_state(checkpoint).get("config", {})
            except UserError as exc:
                raise UserError(f"{exc}{resume_hint(checkpoint)}") from None
            base.update({k: v for k, v in saved.items()
                         if k in base and k not in settings.RUN_ACTIONS})
    if saved is None or "preset" in given:
        base["preset"] = given.get("preset", from_file.get("preset", base["preset"]))
        env_id = given.get("env_id", from_file.get("env_id", base["env_id"]))
        base.update(settings.preset_values(base["preset"], env_id))
    base.update(from_file)
    base.update(given)
    for name in RESULTS_SUBFOLDERS:
        if name not in given:
            base[name] = os.path.join(base["results_dir"], _relative_to_results(defaults, name))
    for name in settings.RUN_ACTIONS:
        base[name] = bool(given.get(name))
    return settings.TrainConfig(**base)


def settings_file(path, resume):
    """The --config file's settings ({} without one); refused with --resume."""
    if path is None:
        return {}
    if resume:
        from ddpg.errors import UserError

        raise UserError("--config and --resume do not go together: a resumed run takes its "
                        "settings from its checkpoint (flags may still override them)")
    from ddpg.config_file import read_settings

    return read_settings(path)


def main(argv=None, defaults=None):
    prog = prog_name("ddpg-train")
    defaults = defaults or defaults_from_constants()

    @guarded(prog)
    def run(arguments):
        parser = build_parser(defaults, prog)
        args = parser.parse_args(arguments)
        config = config_from_args(args, defaults)
        from ddpg.run.folder import prepare

        prepared = prepare(config)  # refusals come before TensorFlow is imported
        from ddpg.run.driver import run_training

        return run_training(config, prepared)

    return run(argv)


def script_main(module_globals, argv=None):
    """Entry for scripts/train_pendulum.py: its upper-case constants are the defaults."""
    sys.exit(main(argv, defaults_from_constants(module_globals)))
