"""checkpoints/best: the policy at the best periodic evaluation, kept across resume."""
import json
import os

import envs  # noqa: F401  (registers the test environments)
import numpy as np
import pytest

from ddpg.run.checkpoint import BEST, BestPolicy, best_checkpoint, read_best


def point(steps, mean, episode=None):
    """An evaluations.json entry (only the fields BestPolicy and read_best use)."""
    return {"steps": steps, "episode": steps // 10 if episode is None else episode,
            "mean": mean, "std": 0.5, "returns": [mean - 0.5, mean + 0.5]}


@pytest.fixture
def actor(sess):
    from ddpg.compat import tf
    from ddpg.core.networks import ActorNetwork

    network = ActorNetwork(sess, 4, 2, np.array([2.0, 3.0]), 1e-3, 0.1, hidden_sizes=(8, 8))
    sess.run(tf.global_variables_initializer())
    return network


def actor_weights(sess, actor):
    return {v.op.name: value for v, value in zip(actor.network_params,
                                                 sess.run(actor.network_params))}


def saved_weights(path):
    from ddpg.compat import tf

    reader = tf.train.load_checkpoint(os.path.join(path, "model"))
    return {key: reader.get_tensor(key) for key in reader.get_variable_to_shape_map()}


def perturb(sess, actor, seed):
    """Move every actor weight, as a training step would."""
    rng = np.random.default_rng(seed)
    for var in actor.network_params:
        var.load(sess.run(var) + rng.normal(size=var.shape.as_list()).astype(np.float32), sess)


def test_only_a_strictly_better_evaluation_replaces_the_best(tmp_path, sess, actor):
    directory = tmp_path / "checkpoints"
    best = BestPolicy(sess, actor, directory, {"env_id": "envs:TargetReach-v0"})
    kept = {}
    for i, (mean, saves) in enumerate([(-50.0, True), (-30.0, True), (-30.0, False),
                                       (-40.0, False), (float("nan"), False), (-10.0, True),
                                       (-20.0, False)]):
        perturb(sess, actor, seed=i)
        assert best.offer(point(100 * (i + 1), mean)) is saves, (i, mean)
        if saves:
            kept = actor_weights(sess, actor)
    path = best_checkpoint(str(tmp_path))
    assert path == str(directory / BEST)
    # The policy alone, as it was at the best evaluation (step 600), not the last (700).
    weights = saved_weights(path)
    assert set(weights) == set(kept)
    for name, value in kept.items():
        np.testing.assert_array_equal(weights[name], value, err_msg=name)
    summary = read_best(str(tmp_path))
    assert (summary["steps"], summary["episode"], summary["mean"]) == (600, 60, -10.0)
    assert summary["returns"] == [-10.5, -9.5]
    assert not [n for n in os.listdir(directory) if n.endswith(".tmp")]


def test_a_resumed_run_keeps_the_earlier_best_unless_beaten(tmp_path, sess, actor):
    directory = tmp_path / "checkpoints"
    BestPolicy(sess, actor, directory, {}).offer(point(200, -20.0))
    before = saved_weights(directory / BEST)
    perturb(sess, actor, seed=1)
    # Resumed after the evaluations at 100 (-35) and 200 (-20): -25 is not better.
    resumed = BestPolicy(sess, actor, directory, {}, earlier_points=[point(100, -35.0),
                                                                      point(200, -20.0)])
    assert resumed.offer(point(300, -25.0)) is False
    assert read_best(str(tmp_path))["steps"] == 200
    for name, value in before.items():
        np.testing.assert_array_equal(saved_weights(directory / BEST)[name], value)
    assert resumed.offer(point(400, -5.0)) is True
    assert read_best(str(tmp_path))["steps"] == 400


def test_the_best_checkpoint_loads_like_any_checkpoint(tmp_path):
    """load_actor reads best/ (policy only, no target or optimizer) and acts as it did."""
    import ddpg
    from ddpg.compat import tf
    from ddpg.core.networks import ActorNetwork
    from ddpg.envs import make_env
    from ddpg.run.session import make_session

    env = make_env("envs:TargetReach-v0")
    tf.reset_default_graph()
    session = make_session(seed=3)
    source = ActorNetwork(session, 4, 2, env.action_space, 1e-3, 0.1, hidden_sizes=(8, 8),
                          hidden_init="fan_in")
    session.run(tf.global_variables_initializer())
    config = {"env_id": "envs:TargetReach-v0", "hidden_sizes": [8, 8], "hidden_init": "fan_in"}
    BestPolicy(session, source, tmp_path / "checkpoints", config).offer(point(50, -3.0))
    observations = np.random.default_rng(0).uniform(-1, 1, (32, 4)).astype(np.float32)
    expected = source.predict(observations)
    session.close()

    loaded_sess, loaded = ddpg.load_actor(best_checkpoint(str(tmp_path)), env)
    np.testing.assert_array_equal(loaded.predict(observations), expected)
    assert loaded.hidden_sizes == (8, 8)
    loaded_sess.close()


def test_a_crash_between_the_renames_leaves_the_previous_best(tmp_path, sess, actor):
    """If best/ was set aside but the new folder never renamed in, the old one returns."""
    directory = tmp_path / "checkpoints"
    BestPolicy(sess, actor, directory, {}).offer(point(100, -7.0))
    os.replace(directory / BEST, directory / (BEST + ".old.tmp"))
    (directory / f".{BEST}.999.tmp").mkdir()  # a half-built new one
    BestPolicy(sess, actor, directory, {})
    assert read_best(str(tmp_path))["mean"] == -7.0
    assert sorted(os.listdir(directory)) == [BEST]


def test_read_best_without_a_best_checkpoint(tmp_path):
    assert read_best(str(tmp_path)) is None
    (tmp_path / "checkpoints" / BEST).mkdir(parents=True)
    (tmp_path / "checkpoints" / BEST / "state.json").write_text("{not json")
    assert read_best(str(tmp_path)) is None


# -- through whole training runs ----------------------------------------------------------

def run_config(results_dir, **changes):
    from ddpg import config as settings

    base = dict(env_id="envs:TargetReach-v0", total_steps=400, max_episode_len=20,
                minibatch_size=16, buffer_size=5000, hidden_sizes=(16, 16), actor_lr=1e-2,
                eval_every=40, eval_episodes=2, gif=False, plot=False, checkpoint_every=1,
                random_seed=5, results_dir=str(results_dir),
                monitor_dir=str(results_dir / "gym_ddpg"),
                summary_dir=str(results_dir / "tf_ddpg"))
    base.update(changes)
    return settings.resolve("tutorial", base)


def evaluations(results_dir):
    with open(results_dir / "evaluations.json", encoding="utf-8") as handle:
        return json.load(handle)["evaluations"]


@pytest.mark.slow
def test_resumed_run_ends_with_the_best_of_an_uninterrupted_one(tmp_path):
    from ddpg.run.driver import run_training

    quiet = lambda line: None  # noqa: E731
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert run_training(run_config(whole), log=quiet) == 0
    assert run_training(run_config(split, total_steps=200), log=quiet) == 0
    assert read_best(str(split)) is not None  # the first half kept a best of its own
    assert run_training(run_config(split, resume=True), log=quiet) == 0

    points = evaluations(whole)
    means = [p["mean"] for p in points]
    assert len(points) == 10 and len(set(means)) > 1
    # The best is the first evaluation that reached the maximum.
    first_max = points[int(np.argmax(means))]
    best_whole, best_split = read_best(str(whole)), read_best(str(split))
    for key in ("steps", "episode", "mean", "returns"):
        assert best_whole[key] == first_max[key], key
        assert best_split[key] == best_whole[key], key
    weights_whole = saved_weights(best_whole["path"])
    weights_split = saved_weights(best_split["path"])
    assert sorted(weights_whole) == sorted(weights_split)
    assert all(name.startswith("actor/") for name in weights_whole)
    for name, value in weights_whole.items():
        np.testing.assert_array_equal(weights_split[name], value, err_msg=name)


@pytest.mark.slow
def test_evaluate_best_reproduces_the_recorded_evaluation(tmp_path, capsys):
    from ddpg.cli import evaluate as cli
    from ddpg.run.driver import run_training

    run = tmp_path / "run"
    assert run_training(run_config(run, total_steps=200), log=lambda line: None) == 0
    best = read_best(str(run))
    assert cli.main(["--results-dir", str(run), "--best", "--episodes", "2"]) == 0
    with open(run / cli.BEST_FILE, encoding="utf-8") as handle:
        again = json.load(handle)
    # Same weights, same evaluation seeds, a deterministic policy: the same returns.
    np.testing.assert_allclose(again["returns"], best["returns"], rtol=1e-6)
    assert again["checkpoint"] == best["path"]
    assert "Wrote" in capsys.readouterr().out
