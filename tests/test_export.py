"""ddpg-export: a SavedModel and a TFLite model that act as the checkpoint's actor does,
loaded where neither ddpg nor tflearn can be imported; bad input refused."""
import json
import os
import shutil
import subprocess
import sys

import envs  # noqa: F401  (registers the test environments)
import numpy as np
import pytest
from conftest import subprocess_env
from helpers import snapshot

from ddpg.cli import export as cli

# Each preset is trained and exported once; a new algorithm's preset is one more entry.
PRESETS = ["tutorial", "td3"]
# Two action dimensions with asymmetric bounds ([0, 1] and [-3, 5]), four observations.
TASK = "envs:TargetReach-v0"
OBS_DIM, ACT_DIM = 4, 2

# Runs in a fresh interpreter: ddpg and tflearn cannot be imported there at all.
CONSUMER = r"""
import sys

class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in ("ddpg", "tflearn"):
            raise ImportError(f"{name} is blocked in this test")
        return None

sys.meta_path.insert(0, Blocked())
for name in ("ddpg", "tflearn"):
    try:
        __import__(name)
    except ImportError:
        pass
    else:
        raise SystemExit(f"{name} was importable")

import numpy as np
import tensorflow as tf

export, observations, out = sys.argv[1:4]
obs = np.load(observations)
model = tf.saved_model.load(export)
saved = model.signatures["serving_default"](observation=tf.constant(obs))["action"].numpy()
results = {"savedmodel": saved}
tflite = export + "/policy.tflite"
if tf.io.gfile.exists(tflite):
    runner = tf.lite.Interpreter(model_path=tflite).get_signature_runner("serving_default")
    results["tflite"] = runner(observation=obs)["action"]
assert "ddpg" not in sys.modules and "tflearn" not in sys.modules
np.savez(out, **results)
"""


def consume(export, observations, tmp_path):
    """{'savedmodel': actions[, 'tflite': actions]} computed without ddpg or tflearn."""
    np.save(tmp_path / "obs.npy", observations)
    out = tmp_path / "actions.npz"
    done = subprocess.run([sys.executable, "-c", CONSUMER, str(export), str(tmp_path / "obs.npy"),
                           str(out)], cwd=tmp_path, env=subprocess_env(), capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out) as data:
        return {key: data[key] for key in data.files}


def observations(count=256, seed=0):
    """Random observations, far wider than the task's [-1, 1]: a policy 200 steps old
    barely depends on its input, and only large inputs spread its actions over tanh's
    curved part, where a wrong weight or bias would show."""
    return np.random.default_rng(seed).uniform(-100, 100, (count, OBS_DIM)).astype(np.float32)


def actor_actions(checkpoint, obs):
    import ddpg
    from ddpg.envs import make_env

    env = make_env(TASK)
    sess, actor = ddpg.load_actor(checkpoint, env)
    try:
        return actor.predict(obs), actor.scaling
    finally:
        sess.close()
        env.close()


def export(*args):
    return cli.main([str(a) for a in args])


def refused(capsys, *args):
    code = export(*args)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2, err
    assert len(lines) == 1 and ": error: " in lines[0], err
    return lines[0]


@pytest.fixture(scope="module", params=PRESETS)
def trained(request, tmp_path_factory):
    """A short run of `preset` on the asymmetric task, with periodic evaluations."""
    from ddpg import config as settings
    from ddpg.run.driver import run_training

    results = tmp_path_factory.mktemp(request.param) / "run"
    config = settings.resolve(request.param, dict(
        env_id=TASK, total_steps=200, max_episode_len=20, minibatch_size=16, buffer_size=1000,
        hidden_sizes=(16, 16), actor_lr=1e-3, start_steps=0, learning_starts=0, eval_every=50,
        eval_episodes=1, gif=False, plot=False, checkpoint_every=5, random_seed=2,
        results_dir=str(results), monitor_dir=str(results / "gym_ddpg"),
        summary_dir=str(results / "tf_ddpg")))
    assert run_training(config, log=lambda line: None) == 0
    return results, request.param


@pytest.mark.slow
def test_exports_act_as_the_checkpoint_without_ddpg_or_tflearn(trained, tmp_path, capsys):
    run, preset = trained
    out = tmp_path / "policy"
    assert export("--results-dir", run, "--best", "--out", out, "--tflite") == 0
    assert str(out) in capsys.readouterr().out
    best = os.path.join(run, "checkpoints", "best")
    obs = observations()
    expected, scaling = actor_actions(best, obs)
    # The check is only as strong as the actions are varied: they must not sit at one point.
    assert np.all(expected.std(axis=0) > 0.02 * scaling.half_range), expected.std(axis=0)

    actions = consume(out, obs, tmp_path)
    assert actions["savedmodel"].shape == (256, ACT_DIM)
    assert actions["savedmodel"].dtype == np.float32
    np.testing.assert_allclose(actions["savedmodel"], expected, rtol=0, atol=1e-5)
    np.testing.assert_allclose(actions["tflite"], expected, rtol=0, atol=1e-4)
    assert np.all(actions["savedmodel"] >= scaling.low) and \
        np.all(actions["savedmodel"] <= scaling.high)

    with open(out / "ddpg_policy.json", encoding="utf-8") as handle:
        policy = json.load(handle)
    assert policy["env_id"] == TASK and policy["preset"] == preset
    assert policy["action_space"]["low"] == [0.0, -3.0]
    assert policy["action_space"]["high"] == [1.0, 5.0]
    assert policy["observation_space"]["shape"] == [OBS_DIM]
    assert policy["source_checkpoint"]["path"] == best
    with open(os.path.join(best, "state.json"), encoding="utf-8") as handle:
        assert policy["source_checkpoint"]["steps"] == json.load(handle)["steps"]
    assert not [name for name in os.listdir(tmp_path) if name.endswith(".tmp")]
    assert_saved_model_cli_shows_the_signature(out)


def assert_saved_model_cli_shows_the_signature(out):
    tool = os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    done = subprocess.run([tool, "show", "--dir", str(out), "--tag_set", "serve",
                           "--signature_def", "serving_default"], capture_output=True,
                          text=True, env=subprocess_env(), timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "inputs['observation']" in done.stdout and "outputs['action']" in done.stdout
    assert f"shape: (-1, {OBS_DIM})" in done.stdout and f"shape: (-1, {ACT_DIM})" in done.stdout
    assert done.stdout.count("DT_FLOAT") == 2


@pytest.mark.slow
def test_force_replaces_an_existing_export_with_the_latest_checkpoint(trained, tmp_path):
    out = tmp_path / "policy"
    assert export("--results-dir", trained[0], "--best", "--out", out) == 0
    (out / "stale.txt").write_text("from before")
    assert export("--results-dir", trained[0], "--out", out, "--force") == 0
    assert not (out / "stale.txt").exists() and not (out / "policy.tflite").exists()
    with open(out / "ddpg_policy.json", encoding="utf-8") as handle:
        source = json.load(handle)["source_checkpoint"]
    with open(os.path.join(trained[0], "checkpoints", "latest"), encoding="utf-8") as handle:
        assert source["path"] == os.path.join(trained[0], "checkpoints", handle.read().strip())
    assert source["tag"] == "final" and source["steps"] == 200


# -- bad input: one line, exit 2, nothing written ------------------------------------------

def test_no_checkpoint(tmp_path, capsys):
    (tmp_path / "run" / "checkpoints").mkdir(parents=True)
    line = refused(capsys, "--results-dir", tmp_path / "run", "--out", tmp_path / "out")
    assert "no checkpoint in" in line
    refused(capsys, "--checkpoint", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert sorted(os.listdir(tmp_path)) == ["run"]


def test_neither_a_run_nor_a_checkpoint(tmp_path, capsys):
    assert "--results-dir" in refused(capsys, "--out", tmp_path / "out")
    assert "not both" in refused(capsys, "--results-dir", tmp_path, "--checkpoint", tmp_path,
                                 "--best")
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_best_in_a_run_without_periodic_evaluations(trained, tmp_path, capsys):
    run = tmp_path / "run"
    shutil.copytree(trained[0], run)
    # What a run trained without --eval-every leaves: no evaluations, no best.
    os.remove(run / "evaluations.json")
    shutil.rmtree(run / "checkpoints" / "best")
    before = snapshot(tmp_path)
    line = refused(capsys, "--results-dir", run, "--best")
    assert "no periodic evaluations" in line and "--eval-every" in line
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_existing_out_without_force(trained, tmp_path, capsys):
    out = tmp_path / "policy"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    before = snapshot(tmp_path)
    line = refused(capsys, "--results-dir", trained[0], "--out", out)
    assert str(out) in line and "--force" in line
    assert snapshot(tmp_path) == before


@pytest.mark.slow
def test_checkpoint_of_another_task_shape(trained, tmp_path, capsys):
    """A Pendulum run (3 observations, 1 action) given TargetReach's checkpoint."""
    from ddpg.errors import UserError
    from ddpg.run.checkpoint import latest_checkpoint

    pendulum = tmp_path / "pendulum"
    pendulum.mkdir()
    (pendulum / "config.json").write_text(json.dumps({"env_id": "Pendulum-v1"}))
    checkpoint = latest_checkpoint(os.path.join(trained[0], "checkpoints"))
    before = snapshot(tmp_path)
    line = refused(capsys, "--results-dir", pendulum, "--checkpoint", checkpoint)
    assert "observations of size 4 and actions of size 2" in line
    assert "Pendulum-v1 has 3 and 1" in line
    assert snapshot(tmp_path) == before

    import ddpg
    from ddpg.envs import make_env

    with pytest.raises(UserError, match="Pendulum-v1 has 3 and 1"):
        ddpg.load_actor(checkpoint, make_env("Pendulum-v1"))


@pytest.mark.slow
def test_the_script_refuses_in_one_line_without_a_traceback(tmp_path):
    from helpers import run_script, stderr_lines

    done = run_script("export", "--results-dir", tmp_path, "--best")
    assert done.returncode == 2 and "Traceback" not in done.stderr
    lines = stderr_lines(done)
    assert len(lines) == 1 and "no periodic evaluations" in lines[0], lines
    assert os.listdir(tmp_path) == []
    shown = run_script("export", "--help")
    assert shown.returncode == 0
    for flag in ("--results-dir", "--checkpoint", "--best", "--out", "--tflite", "--force"):
        assert flag in shown.stdout, flag


@pytest.mark.slow
def test_a_failed_build_is_one_line_exit_1_and_leaves_nothing(trained, tmp_path, capsys,
                                                              monkeypatch):
    from ddpg.outputs import export as exporter

    broken = tmp_path / "broken_builder.py"
    broken.write_text("import sys\nsys.exit('ValueError: the converter gave up')\n")
    monkeypatch.setattr(exporter, "BUILDER", str(broken))
    out = tmp_path / "out" / "policy"
    code = export("--results-dir", trained[0], "--out", out)
    err = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert code == 1 and len(err) == 1 and "the converter gave up" in err[0], err
    assert os.listdir(tmp_path / "out") == []  # no export, no staging folder
