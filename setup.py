"""Packaging for ddpg: the library, its console commands and tested ranges."""
from setuptools import setup

with open("README.md", encoding="utf-8") as handle:
    long_description = handle.read()

INSTALL_REQUIRES = [
    "tensorflow>=2.16,<2.22",
    "tflearn==0.5.0",
    "gymnasium[classic-control]>=1.0,<1.5",
    "tensorboard>=2.16,<2.22",
    "numpy>=1.26,<3",
    "pillow>=10,<14",
    "matplotlib>=3.8,<3.12",
    "tqdm>=4.60,<5",
]

# Optional features; `test` pulls what the tests of every feature need, so CI
# exercises them all (the bench peers are left out: PyTorch alone is gigabytes).
MUJOCO = ["gymnasium[mujoco]>=1.0,<1.5"]
# The sweep report's aggregate across tasks: rliable 1.2.0 (the last release) imports arch,
# and fails at import with arch 8 or pandas 3; this range imports and computes (SPEC 11).
REPORT = ["rliable==1.2.0", "arch>=7.2,<8", "pandas>=2.2,<3"]
# ddpg-tune's searcher: Optuna through Ray Tune's OptunaSearch (tested: optuna 5.1.0).
SWEEP = ["ray[tune]>=2.41,<3", "optuna>=4,<6"] + REPORT  # tune.report/RunConfig: Ray 2.41+
NOTEBOOK = ["notebook>=7,<8", "ipykernel>=6,<8", "nbclient>=0.10,<0.12", "nbformat>=5.9,<6"]
DOCS = ["mkdocs>=1.6,<2", "mkdocs-material>=9.5,<10", "mkdocstrings>=1.0,<2",
        "mkdocstrings-python>=2.0,<3"]  # tested: 1.6.1, 9.8.2, 1.0.8, 2.0.11
EXTRAS = {
    "mujoco": MUJOCO,
    "sweep": SWEEP,
    "notebook": NOTEBOOK,
    "docs": DOCS,
    "video": ["moviepy>=1.0.3,<3"],
    "bench": ["stable-baselines3>=2.0,<3", "sbx-rl>=0.20,<1", "threadpoolctl>=3,<4"],
    # pytest-xdist: the suite runs on every core (setup.cfg); 3.6.1+ runs tests in the
    # workers' main thread, where the SIGINT tests need their handler.
    "test": ["pytest>=7,<10", "pytest-xdist>=3.6.1,<4", "threadpoolctl>=3,<4"] + MUJOCO + SWEEP
            + ["ipykernel>=6,<8", "nbclient>=0.10,<0.12", "nbformat>=5.9,<6"] + DOCS,
}

setup(
    name="ddpg",
    version="1.0.0",
    description="Deep Deterministic Policy Gradients, the classic TF1 tutorial as a tested package",
    long_description=long_description,
    long_description_content_type="text/markdown",
    python_requires=">=3.9",
    packages=["ddpg", "ddpg.core", "ddpg.run", "ddpg.outputs", "ddpg.cli", "ddpg.sweep",
              "ddpg_scripts"],
    package_data={"ddpg.sweep": ["published.json"]},
    package_dir={"ddpg_scripts": "scripts"},
    install_requires=INSTALL_REQUIRES,
    extras_require=EXTRAS,
    entry_points={
        "console_scripts": [
            "ddpg-train=ddpg_scripts.train_pendulum:main",
            "ddpg-evaluate=ddpg_scripts.evaluate:main",
            "ddpg-plot=ddpg_scripts.plot:main",
            "ddpg-sweep=ddpg_scripts.sweep:main",
            "ddpg-export=ddpg_scripts.export:main",
            "ddpg-tune=ddpg_scripts.tune:main",
        ]
    },
    classifiers=[
        "Programming Language :: Python :: 3",
        "Topic :: Scientific/Engineering :: Artificial Intelligence",
    ],
)
