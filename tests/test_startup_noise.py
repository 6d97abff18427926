"""TensorFlow's start-up chatter stays off the screen; the program's own line comes first."""
import os
import re
import subprocess
import sys

import pytest
from conftest import REPO_DIR, subprocess_env

from ddpg import startup_noise

CUDA_STUB = (b"I0000 00:00:1796598973.574142    4241 cudart_stub.cc:31] Could not find cuda "
             b"drivers on your machine, GPU will not be used.\n")
KNOWN_NOISE = re.compile(r"cuInit|oneDNN custom operations|absl|"
                         r"This TensorFlow binary is optimized|cudart_stub")
# absl's "I0000 00:00:1796598973.574142    4241 " prefix: time and thread differ per run.
LOG_PREFIX = re.compile(r"^[IWEF]\d{4} [\d:.]+\s+\d+ ")


def test_filter_drops_known_notices_and_passes_everything_else(capfd):
    with pytest.raises(RuntimeError):
        with startup_noise.filtered_stderr():
            os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called "
                        b"are written to STDERR\n" + CUDA_STUB)
            os.write(2, b"E0000 something that really went wrong\n")
            os.write(2, CUDA_STUB + b"last words without a newline")
            raise RuntimeError("the import failed")
    os.write(2, b"\nstderr is back\n")
    assert capfd.readouterr().err == ("E0000 something that really went wrong\n"
                                      "last words without a newline\nstderr is back\n")


def run_python(args, **env_changes):
    env = subprocess_env()
    env.pop(startup_noise.LEVEL_VARIABLE, None)  # this test process may have set it
    env.update(PYTHONUNBUFFERED="1", **env_changes)
    done = subprocess.run([sys.executable, *args], env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:]
    return [line for line in done.stdout.splitlines() if line.strip()]


@pytest.mark.slow
def test_training_prints_its_own_line_first_and_no_tensorflow_notices(tmp_path):
    lines = run_python([os.path.join(REPO_DIR, "scripts", "train_pendulum.py"),
                        "--max-episodes", "1", "--max-episode-len", "50", "--eval-episodes", "1",
                        "--no-gif", "--no-plot", "--results-dir", str(tmp_path / "results")])
    assert lines[0].startswith("TensorFlow version: "), lines[:8]
    assert not [line for line in lines if KNOWN_NOISE.search(line)], lines


@pytest.mark.slow
def test_tf_cpp_min_log_level_0_brings_every_tensorflow_line_back():
    """Whatever plain TensorFlow prints at level 0, importing ddpg prints too."""
    probe = "import tensorflow as tf; tf.config.list_physical_devices(); print('ready')"
    plain = run_python(["-c", probe], TF_CPP_MIN_LOG_LEVEL="0")
    ours = run_python(["-c", "import ddpg.compat; print('ready')"], TF_CPP_MIN_LOG_LEVEL="0")
    quiet = run_python(["-c", "import ddpg.compat; print('ready')"])
    assert quiet == ["ready"]
    ours = {LOG_PREFIX.sub("", line) for line in ours}
    assert [line for line in plain if LOG_PREFIX.sub("", line) not in ours] == []
