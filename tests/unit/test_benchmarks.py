"""benchmarks/run.py: it runs, and prints and records the course's timing figures.

Speed itself is never asserted here: the script reports budgets, tests check behaviour.
"""

import json
import os
import subprocess
import sys

import pytest

from course_utils.defenses import TRAINER, defense_names
from tests.conftest import ROOT

SCRIPT = ROOT / "benchmarks" / "run.py"


def _run(*arguments):
    return subprocess.run([sys.executable, str(SCRIPT), *arguments], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"}, timeout=600)


def test_sweep_figure_is_printed_and_recorded(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = _run("--only", "sweep", "--json", str(figures_path))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(f"machine: {os.cpu_count()} cores")
    assert any("4 attacks x 6 fractions x 5 seeds = 120 runs" in line and "budget 30 s" in line for line in lines)
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert figures["cores"] == os.cpu_count()
    assert figures["sweep_seconds"] > 0
    assert figures["lessons"] == {}


def test_estimator_fit_times_are_printed_and_recorded(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = _run("--only", "estimators", "--json", str(figures_path))
    assert result.returncode == 0, result.stderr
    assert any("x MultinomialNB" in line and line.startswith("dp-nb") for line in result.stdout.splitlines())
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert set(figures["estimators"]) == {"MultinomialNB", *defense_names(TRAINER)}
    assert figures["estimators"]["MultinomialNB"]["multiple"] == 1.0


def test_penalty_fit_times_are_printed_and_recorded(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = _run("--only", "penalties", "--json", str(figures_path))
    assert result.returncode == 0, result.stderr
    names = ("loss-filter", "reweight", "label-smoothing", "robust-loss")
    rows = {line.split()[0]: line.split() for line in result.stdout.splitlines() if line.split()[:1] and
            line.split()[0] in names}
    assert set(rows) == set(names)
    assert rows["robust-loss"][1] == "tfidf-logreg" and rows["loss-filter"][1] == "count-nb"
    figures = json.loads(figures_path.read_text(encoding="utf-8"))["penalty_fit_times"]
    assert set(figures) == set(names)
    for name, entry in figures.items():
        assert entry["seconds"] > 0 and entry["base_seconds"] > 0
        assert entry["ratio"] == pytest.approx(entry["seconds"] / entry["base_seconds"])


@pytest.mark.parametrize("arguments", [["--repeat", "0"], ["--only", "everything"]])
def test_bad_arguments_are_refused(arguments):
    result = _run(*arguments)
    assert result.returncode == 2
    assert "error" in result.stderr


def test_ensemble_fit_times_are_printed_and_recorded(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = _run("--only", "ensembles", "--repeat", "1", "--json", str(figures_path))
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("partition ensembles, fit") for line in result.stdout.splitlines())
    ensembles = json.loads(figures_path.read_text(encoding="utf-8"))["ensembles"]
    assert ensembles["MultinomialNB"]["ratio"] == 1.0
    assert {"dpa k=50", "finite-aggregation k=50"} <= set(ensembles)
    assert all(entry["seconds"] > 0 for entry in ensembles.values())


def test_stream_figure_is_printed_and_recorded(tmp_path):
    figures_path = tmp_path / "figures.json"
    result = _run("--only", "streams", "--json", str(figures_path))
    assert result.returncode == 0, result.stderr
    assert any(line.startswith("stream simulation (lesson 09") and "ms per stream" in line
               for line in result.stdout.splitlines())
    figures = json.loads(figures_path.read_text(encoding="utf-8"))
    assert figures["stream_seconds"] > 0 and figures["lessons"] == {}
