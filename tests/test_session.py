"""Thread settings follow the CPUs this process may use; flags override them."""
import os

from ddpg.run.session import available_cpus, session_config


def test_threads_default_to_the_usable_cpus():
    assert available_cpus() == len(os.sched_getaffinity(0))
    config = session_config()
    assert config.inter_op_parallelism_threads == available_cpus()
    assert config.intra_op_parallelism_threads == 1


def test_threads_can_be_overridden():
    config = session_config(threads=3, intra_op_threads=2)
    assert config.inter_op_parallelism_threads == 3
    assert config.intra_op_parallelism_threads == 2


def test_threads_flag_reaches_the_session(monkeypatch, tmp_path):
    """--threads N is passed to make_session by the training run."""
    import ddpg.run.driver as driver

    seen = {}
    real = driver.make_session

    def spy(threads=None, **kwargs):
        seen["threads"] = threads
        return real(threads=threads, **kwargs)

    monkeypatch.setattr(driver, "make_session", spy)
    from ddpg.config import TrainConfig

    config = TrainConfig(max_episodes=1, max_episode_len=5, eval_episodes=0, gif=False,
                         plot=False, threads=3, results_dir=str(tmp_path),
                         monitor_dir=str(tmp_path / "m"), summary_dir=str(tmp_path / "s"))
    assert driver.run_training(config, log=lambda line: None) == 0
    assert seen["threads"] == 3
