"""The README is a front page: it fits on a page, its links lead somewhere, and
every command it shows parses, and the cheap ones run as written."""
import os
import re
import shlex

import pytest

from conftest import REPO_DIR

README = os.path.join(REPO_DIR, "README.md")
COMMANDS = {  # what a README command names -> its parser's module
    "ddpg-train": "train", "scripts/train_pendulum.py": "train",
    "ddpg-evaluate": "evaluate", "scripts/evaluate.py": "evaluate",
    "ddpg-plot": "plot", "scripts/plot.py": "plot",
    "ddpg-export": "export", "scripts/export.py": "export",
    "ddpg-sweep": "sweep", "scripts/sweep.py": "sweep",
    "ddpg-tune": "tune", "scripts/tune.py": "tune",
}
OTHER_PROGRAMS = {"pip", "tensorboard", "mkdocs", "jupyter"}


def readme_text():
    with open(README, encoding="utf-8") as handle:
        return handle.read()


def readme_commands():
    """Each shell command of the README's bash blocks, continuations joined, comments cut."""
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", readme_text(), flags=re.S):
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line, comments=True)
            while words:  # `a && b` is two commands
                cut = words.index("&&") if "&&" in words else len(words)
                commands.append(words[:cut])
                words = words[cut + 1:]
    return [words for words in commands if words]


def program_and_args(words):
    if words[0] == "python" and len(words) > 1 and words[1] != "-m":
        return words[1], words[2:]
    if words[:2] == ["python", "-m"]:
        return words[2], words[3:]
    return words[0], words[1:]


def test_readme_fits_on_a_page():
    lines = readme_text().splitlines()
    assert len(lines) <= 300, f"README.md has {len(lines)} lines; move detail to docs/"


def test_readme_links_lead_to_files_that_exist():
    links = re.findall(r"\]\(([^)#]+)(?:#[^)]*)?\)", readme_text())
    local = [link for link in links if "://" not in link]
    assert local, "the README links into docs/"
    missing = [link for link in local if not os.path.exists(os.path.join(REPO_DIR, link))]
    assert not missing


def test_every_readme_command_names_a_known_program_and_its_flags_parse():
    from ddpg.cli import evaluate, export, plot, sweep, train, tune

    parsers = {
        "train": train.build_parser(train.defaults_from_constants(), "ddpg-train"),
        "evaluate": evaluate.build_parser("ddpg-evaluate"),
        "plot": plot.build_parser("ddpg-plot"),
        "export": export.build_parser("ddpg-export"),
        "sweep": sweep.build_parser("ddpg-sweep"),
        "tune": tune.build_parser("ddpg-tune"),
    }
    checked = 0
    for words in readme_commands():
        program, args = program_and_args(words)
        if program in OTHER_PROGRAMS or program == "pytest":
            continue
        assert program in COMMANDS, f"README runs an unknown program: {' '.join(words)}"
        parsers[COMMANDS[program]].parse_args(args)  # exits (fails the test) on a bad flag
        checked += 1
    assert checked >= 8


@pytest.mark.slow
def test_readme_commands_run_as_written_after_a_small_default_run(tmp_path, monkeypatch):
    """The default run, shortened to 5-step episodes by one added flag; then the
    README's evaluate, plot and resume commands exactly as printed there, from
    the same folder (in this process: each is its command's main())."""
    from ddpg.cli import evaluate, plot, train

    mains = {"train": lambda args: train.main(args, train.defaults_from_constants()),
             "evaluate": evaluate.main, "plot": plot.main}
    monkeypatch.chdir(tmp_path)
    assert mains["train"](["--max-episode-len", "5", "--no-gif"]) == 0
    ran = 0
    for words in readme_commands():
        program, args = program_and_args(words)
        kind = COMMANDS.get(program)
        if kind == "plot":
            args = [a for a in args if a != "results/td3"]  # the TD3 run is not made here
        elif not (kind == "evaluate" or kind == "train" and "--resume" in args):
            continue  # fresh trainings, exports and sweeps cost minutes; parsed above
        assert mains[kind](args) == 0, words
        ran += 1
    assert ran >= 4
    assert (tmp_path / "curves.png").stat().st_size > 0
    assert (tmp_path / "results" / "checkpoints" / "ckpt-000300").is_dir()
    assert (tmp_path / "results" / "evaluation_ckpt-000190.json").is_file()
    assert (tmp_path / "results" / "evaluation.json").is_file()
