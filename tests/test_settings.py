"""One source of settings: TrainConfig, the script's constants, --help, the docs, train()."""
import dataclasses
import inspect
import json
import os
import re
import runpy

import pytest
from conftest import REPO_DIR

from ddpg import config as settings
from ddpg.cli.train import build_parser, config_from_args, defaults_from_constants
from ddpg.errors import UserError

SCRIPT = os.path.join(REPO_DIR, "scripts", "train_pendulum.py")


def script_constants():
    namespace = runpy.run_path(SCRIPT, run_name="not_main")
    return {k: v for k, v in namespace.items() if k.isupper()}


def test_every_setting_has_one_line_of_help():
    for field in settings.fields():
        text = field.metadata.get("help")
        assert text and "\n" not in text, field.name


def test_script_constants_equal_the_config_defaults():
    constants = script_constants()
    mapping = settings.constants()
    assert set(mapping) <= set(constants), set(mapping) - set(constants)
    for constant, name in mapping.items():
        assert constants[constant] == getattr(settings.DEFAULTS, name), constant
    # The tutorial's names, which the script must keep.
    for constant in ("MAX_EPISODES", "MAX_EP_STEPS", "ACTOR_LEARNING_RATE", "CRITIC_LEARNING_RATE",
                     "GAMMA", "TAU", "BUFFER_SIZE", "MINIBATCH_SIZE", "RANDOM_SEED",
                     "RENDER_ENV", "GYM_MONITOR_EN", "ENV_NAME", "MONITOR_DIR", "SUMMARY_DIR"):
        assert constant in mapping, constant


def test_train_takes_the_config_fields_as_keywords_and_refuses_others():
    """train()'s settings are TrainConfig's fields, so their defaults are defined once."""
    from ddpg import train  # the public one: the loop plus its TensorBoard summaries

    parameters = inspect.signature(train).parameters
    assert parameters["settings"].kind is inspect.Parameter.VAR_KEYWORD
    # No setting is repeated as an explicit keyword with a default of its own
    # (the API writes events only where asked, so summary_dir defaults to none).
    assert [name for name in parameters if hasattr(settings.DEFAULTS, name)] == ["summary_dir"]
    assert parameters["summary_dir"].default is None
    with pytest.raises(TypeError, match="minibatch"):
        train(None, None, None, None, minibatchsize=64, minibatch=3)


def test_docs_table_is_the_generated_one():
    with open(os.path.join(REPO_DIR, "docs", "settings.md"), encoding="utf-8") as handle:
        page = handle.read()
    assert settings.settings_table() in page


def test_help_shows_each_fields_help_and_default(capsys):
    parser = build_parser(defaults_from_constants(), "ddpg-train")
    text = parser.format_help()
    squashed = " ".join(text.split())
    for field in settings.fields():
        assert settings.flag_of(field).split("--")[-1] in text, field.name
        assert " ".join(field.metadata["help"].split())[:30] in squashed, field.name


def test_flags_override_defaults_and_paths_follow_results_dir(tmp_path):
    defaults = defaults_from_constants()
    parser = build_parser(defaults, "ddpg-train")
    args = parser.parse_args(["--tau", "0.005", "--results-dir", str(tmp_path), "--no-gif"])
    config = config_from_args(args, defaults)
    assert config.tau == 0.005 and config.gif is False
    assert config.gamma == settings.DEFAULTS.gamma
    assert config.monitor_dir == os.path.join(str(tmp_path), "gym_ddpg")
    assert config.summary_dir == os.path.join(str(tmp_path), "tf_ddpg")
    assert not config.force and not config.resume


def test_an_edited_constant_becomes_the_default():
    defaults = defaults_from_constants({"TAU": 0.01, "NOT_A_SETTING": 1})
    config = config_from_args(build_parser(defaults, "x").parse_args([]), defaults)
    assert config.tau == 0.01


@pytest.mark.parametrize("change,words", [
    ({"tau": 0.0}, "--tau"), ({"gamma": 1.5}, "--gamma"), ({"actor_lr": -1.0}, "--actor-lr"),
    ({"eval_episodes": -1}, "--eval-episodes"), ({"force": True, "resume": True}, "--force"),
])
def test_validate_names_the_setting(change, words):
    with pytest.raises(UserError, match=re.escape(words)):
        settings.validate(dataclasses.replace(settings.DEFAULTS, **change))


def test_config_round_trips_through_json():
    data = json.loads(json.dumps(settings.DEFAULTS.to_dict()))
    assert settings.TrainConfig(**data) == settings.DEFAULTS
