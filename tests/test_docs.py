"""The docs site builds with `mkdocs build --strict`: a broken link, a missing
page or a docstring the API reference cannot render fails here, not on a reader."""
import os
import subprocess
import sys

import pytest

from conftest import REPO_DIR

pytest.importorskip("mkdocs", reason="the docs extra is not installed: pip install '.[docs]'")
pytest.importorskip("material", reason="the docs extra is not installed: pip install '.[docs]'")
pytest.importorskip("mkdocstrings", reason="the docs extra is not installed: pip install '.[docs]'")


@pytest.mark.slow
def test_site_builds_strictly_with_every_page(tmp_path):
    site = tmp_path / "site"
    env = dict(os.environ, NO_MKDOCS_2_WARNING="1")
    built = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
                           cwd=REPO_DIR, env=env, capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    for page in ("getting-started", "tutorial", "settings", "td3", "sweeps", "tuning",
                 "benchmarks", "performance", "deploying", "differences", "api"):
        assert (site / page / "index.html").is_file(), page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    for name in ("api.fit", "api.load_policy", "api.Policy.predict",
                 "core.networks.ActorNetwork.predict", "core.networks.CriticNetwork.train",
                 "core.replay_buffer.ReplayBuffer.sample_batch",
                 "outputs.tensorboard.build_summaries", "run.tutorial.train"):
        assert f'id="ddpg.{name}"' in api, name
    # The committed reports are pages of the site, curves included.
    report = site / "benchmarks" / "td3-paper" / "report"
    assert (report / "index.html").is_file()
    assert (site / "benchmarks" / "td3-paper" / "curves_Hopper-v5.png").is_file()
    assert (site / "benchmarks" / "how-it-was-made" / "index.html").is_file()
