"""What every layer of the tests shares: the repository's paths, the lessons on disk, ``run_lesson``.

Test modules import the constants and helpers from here (``from tests.conftest import ROOT``);
the fixtures pytest finds by itself. The lesson list is read from ``notebooks/``, never typed, so a
new lesson is picked up by every test that goes over the lessons.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "solutions").glob("*_sol.ipynb"))
EXERCISES = sorted((ROOT / "exercises").glob("*_ex.ipynb"))

# One BLAS thread per process: the machine has two cores and pytest-xdist uses both.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
# The Agg backend would drop inline figures from executed notebooks.
os.environ.pop("MPLBACKEND", None)


def lesson_number(path):
    """The two-digit number a lesson, solution, exercise or test file starts with, as text: ``"05"``."""
    return Path(path).name[:2]


def notebook_json(path):
    """A committed notebook as the plain JSON on disk (what git stores, before nbformat upgrades it)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def read_notebook(path):
    """A notebook read with nbformat (version 4), for cell attributes and ``nbformat.write``."""
    import nbformat

    return nbformat.read(str(path), as_version=4)


def pytest_collection_modifyitems(items):
    """Let nbval skip stderr: warning texts differ between library versions."""
    for item in items:
        parent = item.parent
        skip = getattr(parent, "skip_compare", None)
        if skip is not None and "stderr" not in skip:
            parent.skip_compare = skip + ("stderr",)


@pytest.fixture
def run_lesson(tmp_path):
    """Return a function that executes a lesson with parameters and returns its record.

    ``run_lesson("02_label_flip_poisoning", seeds=[5, 6, 7])`` runs the lesson
    with papermill into a temporary folder (never over the source), with
    ``record_path`` pointing at a JSON file there, and returns the values the
    lesson recorded with :func:`course_utils.notebook.record_results`.
    """
    from course_utils.build import run_notebook

    def run(stem, timeout=300, **parameters):
        source = NOTEBOOKS / f"{stem}.ipynb"
        assert source.exists(), f"no lesson {source.name}"
        record = tmp_path / f"{stem}.json"
        parameters["record_path"] = str(record)
        run_notebook(source, tmp_path / f"{stem}.ipynb", parameters=parameters, timeout=timeout)
        assert record.exists(), f"{stem} ran but recorded nothing; its last cell must call record_results"
        return json.loads(record.read_text(encoding="utf-8"))

    return run



@pytest.fixture(scope="session")
def sentiment():
    """The shipped data set, loaded once per test process and shared by the tests that only read it.

    Its label and source arrays are read-only, so a function that changed its input in place
    fails where it does so instead of corrupting the data of every later test on the worker.
    """
    from course_utils.data import load_sentiment

    dataset = load_sentiment()
    dataset.labels.setflags(write=False)
    dataset.sources.setflags(write=False)
    return dataset
