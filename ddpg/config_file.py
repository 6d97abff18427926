"""Settings from a file: any run's config.json, a tuned best.json, or a hand-written subset.

`ddpg-train --config`, `ddpg-sweep --config` and the tuner read the same
files, so they refuse the same mistakes in the same words; and, like
`ddpg.config`, nothing heavy is imported here, so a bad file is refused
before TensorFlow loads.  Files are JSON, or YAML when named *.yaml/*.yml
(PyYAML is not a dependency of the package, so it is imported only then).

Only names and types are checked here; ranges are `ddpg.config.validate`'s
job once the file's values have met the command line's, as for any flag.
"""
import difflib
import json
import os

from ddpg import config as settings
from ddpg.errors import UserError

YAML_SUFFIXES = (".yaml", ".yml")
# A best.json keeps the winner's settings under this key; its other keys
# ("search", "validation", "study", ...) describe how they were found.
SETTINGS_KEY = "settings"
# Where a run writes and how it starts belong to the command that starts it:
# every config.json records them, and a run copied from one must not write
# over (or resume) the run it was copied from.
NOT_FROM_FILE = ("results_dir", "monitor_dir", "summary_dir") + settings.RUN_ACTIONS
_KIND_WORDS = {"bool": "true or false", "int": "an integer", "float": "a number",
               "str": "a string", "tuple": "a list of integers, e.g. [400, 300]"}


def read_settings(path, flag="--config"):
    """{setting: value} the file at `path` gives, checked by name and type.

    The keys of NOT_FROM_FILE are dropped (they are accepted, since every
    config.json has them).  Every refusal is a one-line UserError that
    starts with `flag` and the path, so the user sees which input is bad.
    """
    where = f"{flag} {path}"
    values = _settings_mapping(_load(os.fspath(path), where), where)
    _check_names(values, where)
    yaml_file = _is_yaml(path)
    return {name: _typed(name, value, where, yaml_file) for name, value in values.items()
            if name not in NOT_FROM_FILE}


def _is_yaml(path):
    return os.fspath(path).lower().endswith(YAML_SUFFIXES)


def _load(path, where):
    text = _read_text(path, where)
    return _parse_yaml(text, where) if _is_yaml(path) else _parse_json(text, where)


def _read_text(path, where):
    if os.path.isdir(path):
        raise UserError(f"{where} is a folder, not a file (a run's settings are in its "
                        "config.json)")
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except FileNotFoundError:
        raise UserError(f"{where}: no such file") from None
    except UnicodeDecodeError:
        raise UserError(f"{where}: not a text file (not UTF-8)") from None
    except OSError as exc:
        raise UserError(f"{where}: cannot be read ({exc.strerror or exc})") from None


def _parse_json(text, where):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UserError(f"{where}: not valid JSON: {exc.msg} at line {exc.lineno}, "
                        f"column {exc.colno}") from None


def _parse_yaml(text, where):
    try:
        import yaml
    except ImportError:
        raise UserError(f"{where}: reading YAML needs PyYAML (pip install pyyaml), "
                        "or give the settings as JSON") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise UserError(f"{where}: not valid YAML: {problem}{at}") from None


def _settings_mapping(data, where):
    """The flat mapping of settings: the file itself, or a best.json's "settings"."""
    if isinstance(data, dict) and SETTINGS_KEY in data:
        data, where = data[SETTINGS_KEY], f'{where}: "{SETTINGS_KEY}"'
    if not isinstance(data, dict):
        raise UserError(f'{where} must be a mapping of settings such as {{"preset": "td3", '
                        f'"tau": 0.01}} (or a best.json with one under "{SETTINGS_KEY}"), '
                        f"got {_kind(data)}")
    return data


def _check_names(values, where):
    known = [field.name for field in settings.fields()]
    unknown = [str(name) for name in values if name not in known]
    if not unknown:
        return
    named = []
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        named.append(f"{name} (did you mean {close[0]}?)" if close else name)
    raise UserError(f"{where}: unknown setting{'s' if len(unknown) > 1 else ''} "
                    f"{', '.join(named)}; settings are named as in a run's config.json "
                    "(--help lists them as flags)")


def _typed(name, value, where, yaml_file=False):
    """`value` as setting `name` holds it, or UserError: what JSON or YAML cannot enforce."""
    field = next(f for f in settings.fields() if f.name == name)
    kind = getattr(field.type, "__name__", field.type)
    checked = _as_kind(kind, value)
    if checked is None:
        hint = ""
        if yaml_file and kind in ("int", "float") and _is_number_text(value):
            hint = " (YAML reads 1e-3 as text: write 1.0e-3 or 0.001)"
        raise UserError(f"{where}: {name} must be {_KIND_WORDS[kind]}, got "
                        f"{_shown(value)}{hint}")
    choices = settings.CHOICES.get(name)
    if choices and checked not in choices:
        raise UserError(f"{where}: {name} must be one of {', '.join(choices)}, got "
                        f"{_shown(value)}")
    return checked


def _as_kind(kind, value):
    """`value` converted to `kind` (an int is a fine float), or None when it is not one."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if kind == "bool":
        return value if isinstance(value, bool) else None
    if kind == "int":
        return value if number and isinstance(value, int) else None
    if kind == "float":
        return float(value) if number else None
    if kind == "str":
        return value if isinstance(value, str) else None
    if kind == "tuple":
        if isinstance(value, (list, tuple)) and all(
                isinstance(n, int) and not isinstance(n, bool) for n in value):
            return tuple(value)
        return None
    return value


def _is_number_text(value):
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return isinstance(value, str)


def _kind(data):
    if data is None:
        return "nothing (null)"
    return {list: "a list", str: "a string", bool: "true or false", int: "a number",
            float: "a number"}.get(type(data), type(data).__name__)


def _shown(value):
    try:
        return json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
