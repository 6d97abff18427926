"""What a user sees on `tensorboard --logdir results/tf_ddpg`: the tutorial's cards first,
one run with a name, and every reader still finding the events (fresh, resumed, forced, old)."""
import ast
import functools
import json
import os
import shutil

import numpy as np
import pytest

from ddpg.config import TrainConfig
from ddpg.outputs import events

REPO_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# -- TensorBoard's card order ----------------------------------------------------------------
# A port of TensorBoard 2.21's tag comparison and grouping (webfiles.zip, index.js).  The Time
# Series dashboard sorts cards with compareTagNames and groups them by the text before the
# first '/', in the order the groups first appear; the Scalars dashboard does the same with a
# comparator that also treats '_' as a break.  Digits compare as numbers; a break character
# sorts before any other; other characters compare by code point.  Both dashboards open only
# the first two groups on first load (the rest stay collapsed): those must be the tutorial's.

def _is_digit(c):
    return "0" <= c <= "9"


def _number_end(text, i):
    state = "natural"
    while i < len(text):
        c = text[i]
        if state == "natural" and c == ".":
            state = "real"
        elif state in ("natural", "real") and c in "eE":
            state = "exponent_sign"
        elif state == "exponent_sign" and (_is_digit(c) or c in "+-"):
            state = "exponent"
        elif not _is_digit(c):
            break
        i += 1
    return i


def _number(text):
    try:
        return float(text)
    except ValueError:
        return float("nan")


def compare_tag_names(a, b, breaks="/"):
    i = j = 0
    while True:
        if i == len(a):
            return 0 if j == len(b) else -1
        if j == len(b):
            return 1
        if _is_digit(a[i]) and _is_digit(b[j]):
            si, sj = i, j
            i, j = _number_end(a, i + 1), _number_end(b, j + 1)
            x, y = _number(a[si:i]), _number(b[sj:j])
            if x < y:
                return -1
            if x > y:
                return 1
            continue
        a_break = a[i] in breaks or _is_digit(a[i])
        b_break = b[j] in breaks or _is_digit(b[j])
        if a_break != b_break:
            return -1 if a_break else 1
        if not a_break and a[i] != b[j]:
            return -1 if a[i] < b[j] else 1
        i, j = i + 1, j + 1


def card_groups(tags, breaks="/"):
    """[(group, [tags])] in the order TensorBoard lays them out."""
    groups = {}
    for tag in sorted(tags, key=functools.cmp_to_key(
            lambda a, b: compare_tag_names(a, b, breaks))):
        groups.setdefault(tag.split("/", 1)[0], []).append(tag)
    return list(groups.items())


DASHBOARDS = {"time series": "/", "scalars": "/_"}
WRITTEN_TAGS = [events.REWARD_TAG, events.QMAX_TAG, events.RETURN_VS_STEPS_TAG,
                events.EVALUATION_TAG, events.CRITIC_LOSS_TAG, events.ACTOR_LOSS_TAG,
                events.LENGTH_TAG, events.SPEED_TAG]


def assert_tutorial_cards_first(tags):
    for dashboard, breaks in DASHBOARDS.items():
        groups = card_groups(tags, breaks)
        assert groups[:2] == [("Qmax_value", ["Qmax_value"]), ("Reward", ["Reward"])], \
            (dashboard, groups)


def test_the_tutorial_cards_come_first_and_the_return_vs_steps_right_after():
    # The port, checked on the earlier tags against what TensorBoard showed for them
    # (notes/tensorboard-before.png): Episode/length first, Reward fifth.
    earlier = ["Reward", "Qmax_value", "Episode/length", "Speed/steps_per_second", "Loss/critic",
               "Loss/actor", "Evaluation/mean_return"]
    for breaks in DASHBOARDS.values():
        assert [group for group, _ in card_groups(earlier, breaks)] == \
            ["Episode", "Evaluation", "Loss", "Qmax_value", "Reward", "Speed"]
    assert compare_tag_names("a10", "a9") == 1 and compare_tag_names("a_b", "aa", "/_") == -1

    assert_tutorial_cards_first(WRITTEN_TAGS)
    for breaks in DASHBOARDS.values():
        assert card_groups(WRITTEN_TAGS, breaks)[2] == ("episode", [events.RETURN_VS_STEPS_TAG])
    assert events.REWARD_TAG == "Reward" and events.QMAX_TAG == "Qmax_value"


# -- the run's name and folder ---------------------------------------------------------------

def test_run_names_say_task_algorithm_and_seed():
    assert events.run_name(TrainConfig()) == "Pendulum-v1_DDPG_seed1234"
    td3 = TrainConfig(env_id="Hopper-v5", twin_critics=True, policy_delay=2, target_noise=0.2,
                      random_seed=0)
    assert events.run_name(td3) == "Hopper-v5_TD3_seed0"
    partly = dict(TrainConfig(env_id="ns/Task:v1", twin_critics=True).to_dict())
    assert events.run_name(partly) == "ns-Task-v1_DDPG-with-twin-critics_seed1234"


def fake_events(folder, count=1):
    os.makedirs(folder, exist_ok=True)
    for i in range(count):
        with open(os.path.join(folder, f"{events.EVENTS_PREFIX}.{1700000000 + i}.host"), "w"):
            pass


def paths_for(results, **changes):
    from ddpg.run.folder import run_paths

    return run_paths(TrainConfig(results_dir=str(results), monitor_dir=str(results / "gym_ddpg"),
                                 summary_dir=str(results / "tf_ddpg"), **changes))


def test_force_clears_this_results_folders_runs_and_no_one_elses(tmp_path):
    """Its run folder, the one its config.json names (another seed), and events left
    directly in tf_ddpg by an older version; not a run of another results folder that
    shares the summary folder."""
    from ddpg.run.folder import clear_run, existing_run_files

    results = tmp_path / "results"
    summary = results / "tf_ddpg"
    paths = paths_for(results, random_seed=5)
    assert paths.run_name == "Pendulum-v1_DDPG_seed5"
    results.mkdir()
    (results / "config.json").write_text(json.dumps(TrainConfig(random_seed=4).to_dict()))
    fake_events(summary / "Pendulum-v1_DDPG_seed4", 2)
    fake_events(summary / "Pendulum-v1_DDPG_seed5")
    fake_events(summary)
    fake_events(summary / "someone-elses-run")
    (summary / "Pendulum-v1_DDPG_seed5" / "notes.txt").write_text("mine")
    assert len(existing_run_files(paths)) == 4
    clear_run(paths)
    assert sorted(os.listdir(summary)) == ["Pendulum-v1_DDPG_seed5", "someone-elses-run"]
    assert os.listdir(summary / "Pendulum-v1_DDPG_seed5") == ["notes.txt"]
    assert len(events.event_files(str(summary / "someone-elses-run"))) == 1


def test_an_earlier_run_in_its_run_folder_is_refused_without_force(tmp_path):
    from ddpg.errors import UserError
    from ddpg.run.folder import check_can_start

    results = tmp_path / "results"
    paths = paths_for(results)
    fake_events(os.path.join(paths.summary_dir, paths.run_name))
    with pytest.raises(UserError, match="already holds a run"):
        check_can_start(paths, force=False, resume=False)


def test_a_resumed_run_goes_on_where_its_events_are(tmp_path):
    summary = str(tmp_path / "tf_ddpg")
    named = os.path.join(summary, "Pendulum-v1_DDPG_seed1")
    assert events.run_events_dir(summary, "Pendulum-v1_DDPG_seed1") == named
    fake_events(summary)  # an older version's run, straight in tf_ddpg
    assert events.run_events_dir(summary, "Pendulum-v1_DDPG_seed1", resume=True) == summary
    assert events.run_events_dir(summary, "Pendulum-v1_DDPG_seed1", resume=False) == named
    fake_events(named)
    assert events.run_events_dir(summary, "Pendulum-v1_DDPG_seed1", resume=True) == named


# -- the layers ------------------------------------------------------------------------------

def test_the_algorithm_imports_nothing_from_the_layers_above_it():
    """ddpg/core may import ddpg.config, ddpg.compat, ddpg.errors and itself, never
    outputs, run, sweep, cli or api (not even inside a function)."""
    above = ("ddpg.outputs", "ddpg.run", "ddpg.sweep", "ddpg.cli", "ddpg.api")
    offenders = []
    core = os.path.join(REPO_DIR, "ddpg", "core")
    for name in sorted(os.listdir(core)):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(core, name), encoding="utf-8") as handle:
            tree = ast.parse(handle.read())
        for node in ast.walk(tree):
            modules = [alias.name for alias in node.names] if isinstance(node, ast.Import) \
                else [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{name}: {m}" for m in modules if m.startswith(above)]
    assert not offenders


# -- plotting from the events when Monitor is off --------------------------------------------

def test_a_curve_without_monitor_files_gets_its_steps_and_evaluations_from_the_events(
        sess, tmp_path):
    """Episodes ending at steps 200, 400, 600, an evaluation at step 400: the evaluation
    belongs after the second episode, and the run can be drawn against steps."""
    from ddpg.outputs.plotting import read_run
    from ddpg.outputs.tensorboard import scalar_summary, summary_writer

    writer = summary_writer(str(tmp_path / "tf_ddpg" / "run"))
    for episode, reward in enumerate([-900.0, -500.0, -200.0]):
        writer.add_summary(scalar_summary({events.REWARD_TAG: reward}), episode)
        writer.add_summary(scalar_summary({events.RETURN_VS_STEPS_TAG: reward}),
                           200 * (episode + 1))
    writer.add_summary(scalar_summary({events.EVALUATION_TAG: -300.0}), 400)
    writer.close()
    run = read_run(str(tmp_path / "tf_ddpg"))
    np.testing.assert_array_equal(run["returns"], [-900.0, -500.0, -200.0])
    np.testing.assert_array_equal(run["steps"], [200, 400, 600])
    assert run["eval_episodes"] == [2] and run["eval_returns"] == [-300.0]


# -- a real run: fresh, crashed and resumed, forced; and an older results folder -------------

def run_config(results, **changes):
    base = dict(max_episodes=3, max_episode_len=40, minibatch_size=16, buffer_size=5000,
                eval_episodes=1, eval_every=40, gif=False, plot=False, checkpoint_every=2,
                random_seed=3, results_dir=str(results), monitor_dir=str(results / "gym_ddpg"),
                summary_dir=str(results / "tf_ddpg"))
    base.update(changes)
    return TrainConfig(**base)


def pretend_it_died_after_episode_3(results):
    """The run's final checkpoint never happened: the latest is the one after episode 2."""
    checkpoints = results / "checkpoints"
    for name in os.listdir(checkpoints):
        if name.startswith("ckpt-000003"):
            shutil.rmtree(checkpoints / name)
    (checkpoints / "latest").write_text("ckpt-000002\n")


def python_loader_steps(run_dir, tag):
    """The steps TensorBoard's Python loader (--load_fast=false) shows for `tag`."""
    from tensorboard.backend.event_processing import plugin_event_accumulator

    accumulator = plugin_event_accumulator.EventAccumulator(str(run_dir))
    accumulator.Reload()
    return [event.step for event in accumulator.Tensors(tag)]


@pytest.mark.slow
def test_a_crashed_run_resumed_stays_one_named_run_with_each_point_once(tmp_path):
    from ddpg.outputs.monitor import load_results
    from ddpg.run.driver import run_training

    quiet = lambda line: None  # noqa: E731
    results = tmp_path / "results"
    assert run_training(run_config(results), log=quiet) == 0
    pretend_it_died_after_episode_3(results)
    assert run_training(run_config(results, max_episodes=4, resume=True), log=quiet) == 0

    summary = results / "tf_ddpg"
    assert os.listdir(summary) == ["Pendulum-v1_DDPG_seed3"]
    run_dir = summary / "Pendulum-v1_DDPG_seed3"
    assert len(events.event_files(str(run_dir))) == 2  # the first part and the resumed part
    scalars = events.read_event_scalars(str(results))
    assert_tutorial_cards_first(list(scalars))
    monitor = load_results(str(results / "gym_ddpg"))
    rewards = [r for r, kind in zip(monitor["episode_rewards"], monitor["episode_types"])
               if kind == "t"]
    assert len(rewards) == 4
    assert sorted(scalars["Reward"]) == [0, 1, 2, 3]
    np.testing.assert_allclose([scalars["Reward"][e] for e in range(4)], rewards, rtol=1e-5)
    by_step = scalars[events.RETURN_VS_STEPS_TAG]
    assert sorted(by_step) == [40, 80, 120, 160]
    np.testing.assert_allclose([by_step[s] for s in (40, 80, 120, 160)], rewards, rtol=1e-5)
    assert sorted(scalars[events.EVALUATION_TAG]) == [40, 80, 120, 160]
    # TensorBoard's Python loader: the interrupted part's points after the checkpoint
    # (step 80) are dropped, the ones before it kept: each step once.  (At the last
    # step the periodic and the final evaluation both stand, resumed or not.)
    assert python_loader_steps(run_dir, events.RETURN_VS_STEPS_TAG) == [40, 80, 120, 160]
    assert python_loader_steps(run_dir, events.EVALUATION_TAG) == [40, 80, 120, 160, 160]

    # --force with another seed replaces the run: the seed-3 folder goes with its files.
    assert run_training(run_config(results, max_episodes=1, random_seed=4, eval_every=0,
                                   force=True), log=quiet) == 0
    assert os.listdir(summary) == ["Pendulum-v1_DDPG_seed4"]
    assert sorted(events.read_event_scalars(str(results))["Reward"]) == [0]


@pytest.mark.slow
def test_an_older_results_folder_resumes_in_place_as_one_run(tmp_path):
    """Events straight in tf_ddpg (before run folders): the resumed part joins them there."""
    from ddpg.run.driver import run_training

    quiet = lambda line: None  # noqa: E731
    results = tmp_path / "results"
    assert run_training(run_config(results, eval_every=0, eval_episodes=0), log=quiet) == 0
    summary = results / "tf_ddpg"
    run_dir = summary / "Pendulum-v1_DDPG_seed3"
    for path in events.event_files(str(run_dir)):
        shutil.move(path, summary)
    os.rmdir(run_dir)
    pretend_it_died_after_episode_3(results)
    assert run_training(run_config(results, max_episodes=4, eval_every=0, eval_episodes=0,
                                   resume=True), log=quiet) == 0
    assert len(events.event_files(str(summary))) == 2 and not os.path.isdir(run_dir)
    assert sorted(events.read_event_scalars(str(results))["Reward"]) == [0, 1, 2, 3]
