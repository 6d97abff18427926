"""`--config FILE`: settings from a run's config.json, a tuned best.json or a hand-written file.

Layers, each over the last: defaults, the preset, the file, the flags.  A
bad file is one line and exit code 2 with nothing written.  The training
runs (a run reproduced from its config.json) are in the slow tier.
"""
import dataclasses
import json
import os
import sys

import pytest
from helpers import snapshot

from ddpg import config as settings
from ddpg.cli import sweep as sweep_cli
from ddpg.cli import train as train_cli
from ddpg.config_file import NOT_FROM_FILE, read_settings
from ddpg.errors import UserError
from ddpg.sweep.grid import NOT_IN_GRID, TRIAL_FIXED, trial_config

# A run unlike the defaults in every kind of setting: floats, ints, a list, flags, a preset.
CUSTOM = dict(settings.DEFAULTS.to_dict(), preset="td3", tau=0.01, actor_lr=3e-4,
              hidden_sizes=[64, 32], minibatch_size=32, twin_critics=True, policy_delay=3,
              noise="gaussian", eval_every=300, random_seed=7, gif=False, total_steps=900,
              results_dir="/somewhere/else", monitor_dir="/somewhere/else/gym_ddpg",
              summary_dir="/somewhere/else/tf_ddpg", force=True)


def write(path, data):
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return path


def train_config(*argv):
    """The TrainConfig `ddpg-train argv` would run, without running it."""
    defaults = train_cli.defaults_from_constants()
    args = train_cli.build_parser(defaults, "ddpg-train").parse_args([str(a) for a in argv])
    return train_cli.config_from_args(args, defaults)


def without_folders(config):
    data = config.to_dict() if hasattr(config, "to_dict") else dict(config)
    for name in NOT_FROM_FILE:
        data.pop(name)
    return data


# -- what a file gives -------------------------------------------------------------

def test_a_runs_config_json_gives_its_settings_and_the_run_goes_to_results_dir(tmp_path):
    path = write(tmp_path / "config.json", CUSTOM)
    config = train_config("--config", path, "--results-dir", tmp_path / "copy")
    assert without_folders(config) == without_folders(CUSTOM)
    assert config.results_dir == str(tmp_path / "copy")
    assert config.monitor_dir == os.path.join(str(tmp_path / "copy"), "gym_ddpg")
    assert config.summary_dir == os.path.join(str(tmp_path / "copy"), "tf_ddpg")
    assert not config.force and not config.resume
    settings.validate(config)


def test_without_results_dir_the_run_goes_to_the_default_not_the_files_folder(tmp_path):
    config = train_config("--config", write(tmp_path / "config.json", CUSTOM))
    assert config.results_dir == settings.DEFAULTS.results_dir
    assert config.monitor_dir == os.path.join(settings.DEFAULTS.results_dir, "gym_ddpg")


def test_the_files_values_override_its_preset_and_flags_override_the_file(tmp_path):
    path = write(tmp_path / "mine.json", {"preset": "td3", "tau": 0.01, "max_episodes": 7})
    config = train_config("--config", path)
    assert config.preset == "td3" and config.twin_critics and config.policy_delay == 2
    assert config.tau == 0.01 and config.max_episodes == 7
    assert config.actor_lr == settings.PRESETS["td3"]["actor_lr"]

    other_preset = train_config("--config", path, "--preset", "fujimoto2018")
    assert other_preset.tau == 0.01 and not other_preset.twin_critics  # the file over any preset
    flagged = train_config("--config", path, "--tau", "0.02", "--no-twin-critics",
                           "--preset", "fujimoto2018")
    assert flagged.tau == 0.02 and not flagged.twin_critics
    assert flagged.preset == "fujimoto2018" and flagged.policy_delay == 1
    assert flagged.max_episodes == 7  # the file still fills what no flag gives


def test_the_preset_takes_its_per_task_values_for_the_files_task(tmp_path):
    path = write(tmp_path / "cheetah.json", {"preset": "td3", "env_id": "HalfCheetah-v5"})
    assert train_config("--config", path).start_steps == 10000
    assert train_config("--config", path, "--env", "Hopper-v5").start_steps == 1000


def test_a_best_json_gives_its_settings_and_its_other_keys_are_ignored(tmp_path):
    best = {"settings": {"preset": "fujimoto2018", "tau": 0.02, "hidden_sizes": [256, 256]},
            "search": {"trials": 40, "tau": [0.001, 0.05]}, "validation": {"seeds": [10, 11]},
            "study": "pendulum"}
    config = train_config("--config", write(tmp_path / "best.json", best))
    assert config.tau == 0.02 and config.hidden_sizes == (256, 256)
    assert config.preset == "fujimoto2018" and config.noise == "gaussian"


def test_an_int_is_a_fine_float_and_values_keep_their_types(tmp_path):
    values = read_settings(write(tmp_path / "c.json", {"tau": 1, "hidden_sizes": [8]}))
    assert values == {"tau": 1.0, "hidden_sizes": (8,)}
    assert type(values["tau"]) is float


def test_folders_and_run_actions_in_the_file_are_dropped(tmp_path):
    values = read_settings(write(tmp_path / "c.json", CUSTOM))
    assert not set(NOT_FROM_FILE) & set(values)
    assert values["tau"] == 0.01 and values["random_seed"] == 7


def test_yaml_files_are_read(tmp_path):
    pytest.importorskip("yaml")
    path = write(tmp_path / "c.yaml", "preset: td3\ntau: 0.01\nhidden_sizes: [64, 64]\n"
                                      "twin_critics: false\n")
    config = train_config("--config", path)
    assert config.tau == 0.01 and config.hidden_sizes == (64, 64)
    assert config.preset == "td3" and not config.twin_critics


def test_yaml_without_pyyaml_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "yaml", None)  # `import yaml` now fails
    with pytest.raises(UserError, match=r"pip install pyyaml"):
        read_settings(write(tmp_path / "c.yml", "tau: 0.01\n"))


# -- bad files: one line, exit 2, nothing written ----------------------------------

BAD_FILES = [
    ("missing.json", None, ["missing.json", "no such file"]),
    ("broken.json", '{\n  "tau": 0.01,\n  "gamma": \n}', ["broken.json", "not valid JSON",
                                                       "line 4"]),
    ("broken.yaml", "tau: 0.01\ngamma: [0.9\n", ["broken.yaml", "not valid YAML", "line 3"]),
    ("list.json", [1, 2], ["list.json", "must be a mapping", "got a list"]),
    ("empty.yaml", "", ["empty.yaml", "must be a mapping", "got nothing"]),
    ("best.json", {"settings": [1]}, ['"settings" must be a mapping', "got a list"]),
    ("typo.json", {"taau": 0.01, "colour": "red"},
     ["unknown settings taau (did you mean tau?), colour", "--help"]),
    ("best.json", {"settings": {"learning_rate": 0.1}}, ["unknown setting learning_rate"]),
    ("word.json", {"tau": "fast"}, ["tau must be a number", '"fast"']),
    ("sizes.json", {"hidden_sizes": [400, "300"]}, ["hidden_sizes must be a list of integers"]),
    ("sizes-text.json", {"hidden_sizes": "400,300"}, ["hidden_sizes must be a list"]),
    ("bool-int.json", {"max_episodes": True}, ["max_episodes must be an integer", "true"]),
    ("float-int.json", {"buffer_size": 1e6}, ["buffer_size must be an integer", "1000000.0"]),
    ("int-bool.json", {"gif": 1}, ["gif must be true or false", "got 1"]),
    ("null.json", {"env_id": None}, ["env_id must be a string", "null"]),
    ("preset.json", {"preset": "td4"}, ["preset must be one of", "td3", '"td4"']),
    ("noise.yaml", "noise: pink\n", ["noise must be one of", "pink"]),
    ("exp.yaml", "tau: 1e-3\n", ["tau must be a number", "write 1.0e-3"]),
    ("range.json", {"tau": 2.0}, ["--tau must be in (0, 1]", "2.0"]),
    ("batch.json", {"minibatch_size": 128, "buffer_size": 64}, ["--minibatch-size 128"]),
]


def refused(capsys, main, *argv):
    """The one error line of `main(argv)`, after checking it exited 2."""
    code = main([str(a) for a in argv])
    err = capsys.readouterr().err
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "error:" in lines[0], err
    return lines[0]


@pytest.mark.parametrize("name,content,words", BAD_FILES,
                         ids=[f"{n}:{w[0]}" for n, _, w in BAD_FILES])
def test_a_bad_file_is_one_line_and_exit_2_and_writes_nothing(tmp_path, results, capsys,
                                                              name, content, words):
    if name.endswith((".yaml", ".yml")):
        pytest.importorskip("yaml")
    path = tmp_path / name if content is None else write(tmp_path / name, content)
    before = snapshot(results)
    line = refused(capsys, train_cli.main, "--config", path, "--results-dir", results)
    for word in words:
        assert word in line, (word, line)
    assert snapshot(results) == before


def test_a_folder_is_not_a_file(tmp_path, capsys):
    line = refused(capsys, train_cli.main, "--config", tmp_path, "--results-dir",
                   tmp_path / "r")
    assert "is a folder" in line and "config.json" in line
    assert not (tmp_path / "r").exists()


def test_config_with_resume_is_refused(tmp_path, results, capsys):
    path = write(tmp_path / "c.json", {"tau": 0.01})
    before = snapshot(results)
    line = refused(capsys, train_cli.main, "--config", path, "--resume", "--results-dir", results)
    assert "--config and --resume" in line and "checkpoint" in line
    assert snapshot(results) == before


def test_a_bad_file_is_refused_even_when_a_flag_gives_the_same_setting(tmp_path, capsys):
    path = write(tmp_path / "c.json", {"tau": "fast"})
    assert "tau must be a number" in refused(capsys, train_cli.main, "--config", path,
                                             "--tau", "0.01", "--results-dir", tmp_path / "r")


# -- ddpg-sweep --config -----------------------------------------------------------

def sweep_spec(*argv):
    args = sweep_cli.build_parser("ddpg-sweep").parse_args([str(a) for a in argv])
    return sweep_cli.spec_from_args(args)


def test_sweep_config_fixes_the_files_settings_for_every_trial(tmp_path):
    path = write(tmp_path / "config.json", dict(CUSTOM, env_id="Pendulum-v1"))
    spec = sweep_spec("--config", path, "--seeds", "0-1")
    assert spec.envs == ["Pendulum-v1"] and spec.seeds == [0, 1] and spec.preset == "td3"
    owned = set(NOT_IN_GRID) | set(TRIAL_FIXED) | {"preset"}
    assert spec.fixed == {k: v for k, v in read_settings(path).items() if k not in owned}
    assert spec.fixed["tau"] == 0.01 and spec.fixed["hidden_sizes"] == (64, 32)
    # A trial runs the file's settings; the sweep sets the seed, threads and folders.
    trial = spec.trials()[1]
    config = trial_config(spec, trial, str(tmp_path / "sweep"))
    expected = dict(without_folders(CUSTOM), random_seed=1, threads=1, **TRIAL_FIXED)
    assert without_folders(config) == expected
    assert config.results_dir == os.path.join(str(tmp_path / "sweep"), trial.folder)


def test_sweep_flags_grid_and_preset_override_the_file(tmp_path):
    path = write(tmp_path / "c.json", {"preset": "td3", "tau": 0.01, "env_id": "Pendulum-v1",
                                       "eval_every": 300})
    spec = sweep_spec("--config", path, "--env", "MountainCarContinuous-v0", "--tau", "0.02",
                      "--preset", "fujimoto2018", "--grid", "eval_every=100,200")
    assert spec.envs == ["MountainCarContinuous-v0"]
    assert spec.preset == "fujimoto2018" and spec.fixed["tau"] == 0.02
    trials = spec.trials()
    assert [trial_config(spec, t, str(tmp_path)).eval_every for t in trials] == [100, 200]


def test_sweep_config_with_a_suite_runs_the_suites_tasks_and_budget(tmp_path):
    path = write(tmp_path / "best.json", {"settings": {"preset": "td3", "env_id": "Hopper-v5",
                                                       "total_steps": 50000, "tau": 0.01}})
    spec = sweep_spec("--config", path, "--suite", "td3-paper", "--seeds", "0")
    assert len(spec.envs) == 7 and spec.preset == "td3"
    assert spec.fixed["total_steps"] == 1000000 and spec.fixed["tau"] == 0.01
    scaled = sweep_spec("--config", path, "--suite", "td3-paper", "--total-steps", "2000")
    assert scaled.fixed["total_steps"] == 2000


def test_sweep_config_goes_through_new_sweep_without_writing(tmp_path, no_ray):
    path = write(tmp_path / "c.json", {"preset": "td3", "env_id": "Pendulum-v1"})
    args = sweep_cli.build_parser("ddpg-sweep").parse_args(
        ["--config", str(path), "--storage", str(tmp_path / "s")])
    spec, storage = sweep_cli.new_sweep(args)
    assert spec.name == "Pendulum-v1" and spec.preset == "td3"
    assert storage == str(tmp_path / "s") and not os.path.exists(storage)


def test_sweep_refuses_a_bad_file_and_config_with_resume(tmp_path, capsys, no_ray):
    path = write(tmp_path / "c.json", {"tau": 0.01, "env_id": "Pendulum-v1", "taau": 1})
    line = refused(capsys, sweep_cli.main, "--config", path, "--storage", tmp_path / "s")
    assert "unknown setting taau" in line
    line = refused(capsys, sweep_cli.main, "--config", tmp_path / "none.json",
                   "--storage", tmp_path / "s")
    assert "none.json: no such file" in line
    assert not (tmp_path / "s").exists()
    line = refused(capsys, sweep_cli.main, "--resume", "--config", path,
                   "--storage", tmp_path / "s")
    assert "drop --config" in line


def test_sweep_config_without_a_task_is_refused(tmp_path, capsys, no_ray):
    path = write(tmp_path / "c.json", {"tau": 0.01})
    assert "no task" in refused(capsys, sweep_cli.main, "--config", path,
                                "--storage", tmp_path / "s")


# -- training: a run reproduced from its config.json (slow tier) ------------------

TINY = ["--env", "Pendulum-v1", "--total-steps", "600", "--eval-episodes", "1", "--no-gif",
        "--no-plot", "--checkpoint-every", "0", "--tau", "0.01", "--hidden-sizes", "64,32",
        "--minibatch-size", "32", "--random-seed", "3"]


def read_json(folder, name):
    with open(os.path.join(folder, name), encoding="utf-8") as handle:
        return json.load(handle)


def training_rewards(folder):
    from ddpg.outputs.monitor import load_results

    monitor = load_results(os.path.join(folder, "gym_ddpg"))
    return [r for r, kind in zip(monitor["episode_rewards"], monitor["episode_types"])
            if kind == "t"]


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("first") / "run"
    assert train_cli.main(TINY + ["--results-dir", str(folder)]) == 0
    return folder


@pytest.mark.slow
def test_a_run_trained_from_its_config_json_is_the_same_run(first_run, tmp_path):
    again = tmp_path / "again"
    assert train_cli.main(["--config", str(first_run / "config.json"),
                           "--results-dir", str(again)]) == 0
    assert without_folders(read_json(again, "config.json")) == \
        without_folders(read_json(first_run, "config.json"))
    assert read_json(again, "config.json")["results_dir"] == str(again)
    assert read_json(again, "evaluation.json")["returns"] == \
        read_json(first_run, "evaluation.json")["returns"]
    rewards = training_rewards(again)
    assert len(rewards) == 3 and rewards == training_rewards(first_run)
    assert (first_run / "config.json").is_file()  # the source run is left as it was


@pytest.mark.slow
def test_a_best_json_trains_with_flags_over_it(first_run, tmp_path):
    best = {"settings": read_json(first_run, "config.json"), "search": {"trials": 2},
            "validation": {"seeds": [10]}}
    path = write(tmp_path / "best.json", best)
    folder = tmp_path / "tuned"
    assert train_cli.main(["--config", str(path), "--eval-episodes", "2",
                           "--results-dir", str(folder)]) == 0
    config = read_json(folder, "config.json")
    assert config["eval_episodes"] == 2
    assert len(read_json(folder, "evaluation.json")["returns"]) == 2
    assert dict(without_folders(config), eval_episodes=1) == \
        without_folders(read_json(first_run, "config.json"))
    assert training_rewards(folder) == training_rewards(first_run)


def test_custom_settings_are_valid_as_written():
    """The fast tests' CUSTOM run must be one that could run, or they prove little."""
    config = settings.TrainConfig(**dict(CUSTOM, force=False))
    settings.validate(dataclasses.replace(config, results_dir="x"))
