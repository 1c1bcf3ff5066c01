"""Shared fixtures: run a lesson with papermill and read back what it recorded."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"

# One BLAS thread per process: the machine has two cores and pytest-xdist uses both.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_name, "1")
# The Agg backend would drop inline figures from executed notebooks.
os.environ.pop("MPLBACKEND", None)


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
