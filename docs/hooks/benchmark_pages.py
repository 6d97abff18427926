"""MkDocs hook: publish the committed benchmark reports as pages of the site.

The reports in `benchmarks/` are rebuilt from their trial files by the test
suite, so copying them into `docs/` would make a second copy that can drift.
Instead the build adds them (with their curves) straight from `benchmarks/`.
"""
import glob
import os

from mkdocs.structure.files import File

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PUBLISHED = ("README.md", "*/report.md", "*/*.png",
             "tuning/*/study.md", "tuning/*/*.png",  # ddpg-tune studies, with their
             "tuning/*/validation/report.md", "tuning/*/validation/*.png")  # validations


def on_files(files, config):
    for pattern in PUBLISHED:
        for path in sorted(glob.glob(os.path.join(REPO, "benchmarks", pattern))):
            relative = os.path.relpath(path, REPO).replace(os.sep, "/")
            page = File(relative, REPO, config["site_dir"], config["use_directory_urls"])
            if relative == "benchmarks/README.md":  # not over docs/benchmarks.md's index.html
                page.dest_uri = "benchmarks/how-it-was-made/index.html"
            files.append(page)
    return files
