"""ddpg.fit and ddpg.load_policy: the Python front end runs what ddpg-train runs, and acts with it."""
import json
import os
import re
import shutil
import signal
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
from conftest import subprocess_env

import ddpg
from ddpg.errors import UserError

# A few hundred steps of TD3 with small networks: the preset's values, some overridden.
TINY = dict(total_steps=500, hidden_sizes=[32, 32], minibatch_size=32, start_steps=100,
            learning_starts=100, eval_every=200, eval_episodes=1, gif=False, checkpoint_every=0)
TINY_FLAGS = ["--preset", "td3", "--total-steps", "500", "--hidden-sizes", "32,32",
              "--minibatch-size", "32", "--start-steps", "100", "--learning-starts", "100",
              "--eval-every", "200", "--eval-episodes", "1", "--no-gif",
              "--checkpoint-every", "0"]
FOLDER_SETTINGS = ("results_dir", "monitor_dir", "summary_dir")


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """(FitResult, the lines fit logged) of one tiny TD3 run on Pendulum-v1."""
    folder = tmp_path_factory.mktemp("api") / "run"
    lines = []
    result = ddpg.fit("Pendulum-v1", preset="td3", results_dir=str(folder), log=lines.append,
                      **TINY)
    return result, lines


def read_json(*parts):
    with open(os.path.join(*parts), encoding="utf-8") as handle:
        return json.load(handle)


def file_names(folder):
    """Every file below `folder`, with the run's pid, clock and host taken out of the names."""
    names = set()
    for root, _, files in os.walk(folder):
        for name in files:
            relative = os.path.relpath(os.path.join(root, name), folder)
            relative = re.sub(r"tfevents\..*", "tfevents.*", relative)  # clock, host, random
            names.add(re.sub(r"\d+", "N", relative))
    return names


def observations(count, seed=0):
    space = gym.make("Pendulum-v1").observation_space
    space.seed(seed)
    return np.stack([space.sample() for _ in range(count)]).astype(np.float32)


def numpy_actor(checkpoint, hidden_layers, low, high, obs):
    """The actor's forward pass from the checkpoint's raw weights, without the package's graph."""
    from ddpg.compat import tf

    reader = tf.train.load_checkpoint(os.path.join(checkpoint, "model"))
    net = obs.astype(np.float64)
    for i in range(1, hidden_layers + 1):
        net = np.maximum(net @ reader.get_tensor(f"actor/fc{i}/W")
                         + reader.get_tensor(f"actor/fc{i}/b"), 0.0)
    out = np.tanh(net @ reader.get_tensor("actor/out/W") + reader.get_tensor("actor/out/b"))
    return (low + high) / 2 + (high - low) / 2 * out


def actor_via_load_actor(checkpoint, obs):
    from ddpg.run.checkpoint import load_actor

    env = gym.make("Pendulum-v1")
    sess, actor = load_actor(checkpoint, env)
    try:
        return actor.predict(obs)
    finally:
        sess.close()
        env.close()


# -- fit ---------------------------------------------------------------------------

@pytest.mark.slow
def test_fit_makes_the_run_ddpg_train_makes_and_returns_its_results(trained, tmp_path, capsys):
    from ddpg.cli.train import main as train_main

    result, lines = trained
    cli_dir = tmp_path / "cli"
    assert train_main(["--env", "Pendulum-v1", "--results-dir", str(cli_dir)] + TINY_FLAGS) == 0
    assert file_names(result.results_dir) == file_names(cli_dir)
    assert "checkpoints/best/state.json" in file_names(cli_dir)

    saved = read_json(result.results_dir, "config.json")
    assert result.config == saved
    cli_config = read_json(cli_dir, "config.json")
    for name in FOLDER_SETTINGS:
        saved.pop(name), cli_config.pop(name)
    assert saved == cli_config
    # Defaults, then the preset, then the given settings.
    assert saved["twin_critics"] and saved["policy_delay"] == 2 and saved["tau"] == 5e-3
    assert saved["start_steps"] == 100 and saved["eval_every"] == 200

    evaluation = read_json(result.results_dir, "evaluation.json")
    assert result.evaluation == evaluation
    assert result.mean_return == evaluation["mean_return"]
    # The same seeded run in the same process: the same returns, to the bit.
    assert evaluation["returns"] == read_json(cli_dir, "evaluation.json")["returns"]
    assert result.evaluations == read_json(result.results_dir, "evaluations.json")["evaluations"]
    assert [point["steps"] for point in result.evaluations] == [200, 400]

    checkpoints = os.path.join(result.results_dir, "checkpoints")
    with open(os.path.join(checkpoints, "latest"), encoding="utf-8") as handle:
        assert result.checkpoint == os.path.join(checkpoints, handle.read().strip())
    assert evaluation["checkpoint"] == result.checkpoint
    assert result.best_checkpoint == os.path.join(checkpoints, "best")
    assert result.exit_code == 0 and not result.interrupted
    assert any(line.startswith("| Evaluation: mean return") for line in lines)
    assert any(line.startswith("| Reward:") for line in lines)


@pytest.mark.slow
def test_an_interrupted_fit_says_so_and_resume_true_finishes_it(tmp_path):
    def ctrl_c_after_the_first_episode(line):
        if line.startswith("| Reward:"):
            os.kill(os.getpid(), signal.SIGINT)

    folder = str(tmp_path / "run")
    settings = dict(total_steps=400, hidden_sizes=[16, 16], minibatch_size=16, eval_episodes=1,
                    gif=False, plot=False)
    stopped = ddpg.fit("Pendulum-v1", results_dir=folder, log=ctrl_c_after_the_first_episode,
                       **settings)
    assert stopped.interrupted and stopped.exit_code == 130
    assert stopped.evaluation is None and stopped.checkpoint.endswith("ckpt-000001")
    assert not os.path.exists(os.path.join(folder, "evaluation.json"))
    finished = ddpg.fit("Pendulum-v1", results_dir=folder, log=None, resume=True, **settings)
    assert not finished.interrupted and finished.exit_code == 0
    assert finished.evaluation == read_json(folder, "evaluation.json")
    assert finished.evaluation["train_steps"] == 400 and finished.checkpoint.endswith("000002")


def test_fit_refuses_an_unknown_setting_before_writing_anything(tmp_path):
    folder = tmp_path / "run"
    with pytest.raises(UserError, match=r"unknown setting 'max_episode' \(did you mean "
                                        r"max_episodes\?\)"):
        ddpg.fit("Pendulum-v1", results_dir=str(folder), max_episode=3)
    assert not folder.exists()


@pytest.mark.parametrize("settings, message", [
    ({"tau": 2.0}, r"^tau must be in \(0, 1\], got 2.0$"),
    ({"max_episodes": "10"}, r"^setting max_episodes must be an integer, got '10'$"),
    ({"gif": "no"}, r"^setting gif must be True or False, got 'no'$"),
    ({"hidden_sizes": 64}, r"^setting hidden_sizes must be a list of integers"),
    ({"preset": "td4"}, r"^preset must be one of tutorial, .*got 'td4'$"),
    ({"force": True, "resume": True}, r"^force=True and resume=True contradict each other"),
])
def test_fit_refuses_bad_values_in_one_line_in_python_terms(tmp_path, settings, message):
    folder = tmp_path / "run"
    with pytest.raises(UserError, match=message) as caught:
        ddpg.fit("Pendulum-v1", results_dir=str(folder), **settings)
    assert "\n" not in str(caught.value) and "--" not in str(caught.value)
    assert not folder.exists()


def test_fit_will_not_overwrite_an_earlier_run(tmp_path):
    earlier = tmp_path / "evaluation.json"
    earlier.write_text('{"mean_return": -150.0}')
    with pytest.raises(UserError, match="already holds a run .*use force=True to replace it "
                                        "or resume=True to continue it"):
        ddpg.fit("Pendulum-v1", results_dir=str(tmp_path))
    assert earlier.read_text() == '{"mean_return": -150.0}'


@pytest.mark.slow
def test_importing_the_api_and_refusing_settings_leave_tensorflow_unloaded():
    code = ("import sys, ddpg\n"
            "assert callable(ddpg.fit) and callable(ddpg.load_policy)\n"
            "try:\n"
            "    ddpg.fit('Pendulum-v1', results_dir='unused', tau=-1.0)\n"
            "except ddpg.errors.UserError as exc:\n"
            "    print(exc)\n"
            "print('tensorflow' in sys.modules)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=subprocess_env(), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["tau must be in (0, 1], got -1.0", "False"]


# -- load_policy ---------------------------------------------------------------------

@pytest.mark.slow
def test_policy_predicts_one_action_or_a_batch_within_bounds_as_the_actor_does(trained):
    result, _ = trained
    obs = observations(6) * np.array([1, 1, 10], np.float32)  # fast spins push to the bounds
    with ddpg.load_policy(result.results_dir) as policy:
        assert policy.checkpoint == result.checkpoint and policy.env_id == "Pendulum-v1"
        assert (policy.observation_dim, policy.action_dim) == (3, 1)
        assert policy.low.tolist() == [-2.0] and policy.high.tolist() == [2.0]
        one = policy.predict(obs[0])
        batch = policy(obs)
        assert one.shape == (1,) and batch.shape == (6, 1)
        assert np.all(batch >= -2.0) and np.all(batch <= 2.0)
        # Batch size changes the matrix kernel, so the last bit may differ.
        np.testing.assert_allclose(one, batch[0], rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(policy(obs.tolist()), batch)
        with pytest.raises(UserError, match=r"observation of shape \(6, 4\) does not fit "
                                            r"Pendulum-v1"):
            policy(np.zeros((6, 4)))
    np.testing.assert_allclose(batch, actor_via_load_actor(result.checkpoint, obs), atol=1e-6)
    np.testing.assert_allclose(batch, numpy_actor(result.checkpoint, 2, -2.0, 2.0, obs),
                               rtol=1e-5, atol=1e-5)


@pytest.mark.slow
def test_best_loads_the_policy_at_the_best_evaluation(trained):
    result, _ = trained
    obs = observations(8, seed=1)
    with ddpg.load_policy(result.results_dir, best=True) as best, \
            ddpg.load_policy(result.results_dir) as latest:
        assert best.checkpoint == result.best_checkpoint
        best_actions, latest_actions = best(obs), latest(obs)
    np.testing.assert_allclose(best_actions, actor_via_load_actor(result.best_checkpoint, obs),
                               atol=1e-6)
    # The best evaluation came at step 200 or 400, before the run's last 100 updates.
    assert not np.allclose(best_actions, latest_actions)
    with ddpg.load_policy(result.best_checkpoint) as same:
        np.testing.assert_array_equal(same(obs), best_actions)


@pytest.mark.slow
def test_two_policies_keep_their_own_graphs_and_leave_the_default_graph_alone(trained):
    from ddpg.compat import tf

    result, _ = trained
    obs = observations(4, seed=2)
    with tf.Graph().as_default() as users_graph:
        tf.constant(1.0, name="users_op")
        first = ddpg.load_policy(result.results_dir)
        before = first(obs)
        second = ddpg.load_policy(result.results_dir, best=True)
        assert tf.get_default_graph() is users_graph
        assert [op.name for op in users_graph.get_operations()] == ["users_op"]
    assert first.graph is not second.graph and first.session is not second.session
    np.testing.assert_array_equal(first(obs), before)
    second.close()
    np.testing.assert_array_equal(first(obs), before)
    first.close()


@pytest.mark.slow
def test_leaving_the_with_block_closes_the_session(trained):
    result, _ = trained
    obs = observations(1)[0]
    with ddpg.load_policy(result.results_dir) as policy:
        policy(obs)
        assert not policy.closed
    assert policy.closed
    with pytest.raises(UserError, match="policy .* is closed; load it again"):
        policy.predict(obs)
    with pytest.raises(RuntimeError, match="closed Session"):
        policy.session.run(policy.actor.scaled_out, {policy.actor.inputs: obs[None]})
    policy.close()  # twice is harmless


@pytest.mark.slow
def test_a_damaged_checkpoint_is_refused_in_one_line(trained, tmp_path):
    result, _ = trained
    damaged = tmp_path / "ckpt"
    shutil.copytree(result.checkpoint, damaged)
    data = next(damaged.glob("model.data-*"))
    data.write_bytes(data.read_bytes()[:100])
    with pytest.raises(UserError, match=f"checkpoint {damaged} is damaged"):
        ddpg.load_policy(damaged)


def test_load_policy_names_what_is_wrong_with_the_path(tmp_path):
    with pytest.raises(UserError, match=f"^{tmp_path}/nothing does not exist$"):
        ddpg.load_policy(tmp_path / "nothing")
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    with pytest.raises(UserError, match="is not a folder"):
        ddpg.load_policy(a_file)
    with pytest.raises(UserError, match="holds no checkpoint: it is neither"):
        ddpg.load_policy(tmp_path)
    with pytest.raises(UserError, match="has no checkpoints/best: only runs trained with "
                                        "eval_every"):
        ddpg.load_policy(tmp_path, best=True)
    checkpoint = tmp_path / "ckpt-000001"
    checkpoint.mkdir()
    (checkpoint / "state.json").write_text("{not json")
    with pytest.raises(UserError, match="is corrupt or incomplete"):
        ddpg.load_policy(checkpoint)
    with pytest.raises(UserError, match="best=True needs a run's results folder"):
        ddpg.load_policy(checkpoint, best=True)
    (checkpoint / "state.json").write_text('{"format_version": 1}')
    with pytest.raises(UserError, match="is missing its model files"):
        ddpg.load_policy(checkpoint)
