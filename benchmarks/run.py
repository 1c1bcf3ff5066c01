"""Timing figures of the course: lesson run times against the floor, and the full sweep.

Run with ``make benchmark`` (or ``.venv/bin/python benchmarks/run.py``). Prints:

* the machine's core count and the library versions;
* the floor: a notebook that only imports the course's packages, executed the way
  lessons are (papermill, a fresh ``python3`` kernel), median of ``--repeat`` runs;
* each lesson's run time (median of ``--repeat`` runs) and its ratio to the floor
  (budget: under 3x);
* the full sweep, 4 attacks x 6 fractions x 5 seeds on the shipped data (budget: under 30 s).

Budgets are reported, not asserted: tests check behaviour, benchmarks check speed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FLOOR_SOURCE = """\
%matplotlib inline
import numpy, pandas, scipy, sklearn, matplotlib.pyplot, ipywidgets
import course_utils.data, course_utils.attacks, course_utils.metrics
import course_utils.experiment, course_utils.plotting, course_utils.notebook
"""
LESSON_BUDGET = 3.0
SWEEP_BUDGET = 30.0


def floor_notebook(folder):
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [nbformat.v4.new_code_cell(FLOOR_SOURCE)]
    path = Path(folder) / "floor.ipynb"
    nbformat.write(notebook, str(path))
    return path


def time_notebook(path, folder, repeat):
    from course_utils.build import run_notebook

    return statistics.median(
        run_notebook(path, Path(folder) / f"run-{i}-{path.name}", cwd=path.parent) for i in range(repeat)
    )


def time_sweep():
    from course_utils.data import load_sentiment
    from course_utils.experiment import sweep

    dataset = load_sentiment()
    started = time.perf_counter()
    results = sweep(dataset.texts, dataset.labels,
                    attacks=("random-flip", "targeted-flip", "duplicate-flip", "backdoor"),
                    fractions=(0.0, 0.05, 0.1, 0.2, 0.3, 0.4), seeds=range(5))
    return time.perf_counter() - started, len(results)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (median reported)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("lessons", nargs="*", help="lessons to time (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    import sklearn

    lessons = [Path(p) for p in args.lessons] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, scikit-learn {sklearn.__version__}")
    figures = {"cores": os.cpu_count(), "lessons": {}}
    with tempfile.TemporaryDirectory() as folder:
        floor = time_notebook(floor_notebook(folder), folder, args.repeat)
        figures["floor_seconds"] = floor
        print(f"floor (a notebook that only imports the course's packages): {floor:.2f} s")
        print(f"{'lesson':<40} {'seconds':>8} {'x floor':>8}  budget {LESSON_BUDGET:.0f}x")
        for lesson in lessons:
            seconds = time_notebook(lesson, folder, args.repeat)
            ratio = seconds / floor
            figures["lessons"][lesson.stem] = {"seconds": seconds, "ratio": ratio}
            verdict = "ok" if ratio < LESSON_BUDGET else "OVER BUDGET"
            print(f"{lesson.stem:<40} {seconds:8.2f} {ratio:8.2f}  {verdict}")
    sweep_seconds, runs = time_sweep()
    figures["sweep_seconds"] = sweep_seconds
    verdict = "ok" if sweep_seconds < SWEEP_BUDGET else "OVER BUDGET"
    print(f"full sweep (4 attacks x 6 fractions x 5 seeds = {runs} runs, real data): {sweep_seconds:.2f} s"
          f"  budget {SWEEP_BUDGET:.0f} s: {verdict}")
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
