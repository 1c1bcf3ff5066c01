"""Timing figures of the course: lesson run times against the floor, and the full sweep.

Run with ``make benchmark`` (or ``.venv/bin/python benchmarks/run.py``). Prints:

* the machine's core count and the library versions;
* the floor: a notebook that only imports the course's packages, executed the way
  lessons are (papermill, a fresh ``python3`` kernel), median of ``--repeat`` runs
  after one unmeasured warm-up run;
* each lesson's run time (median of ``--repeat`` runs) and its ratio to the floor
  (budget: under 3x);
* the full sweep, 4 attacks x 6 fractions x 5 seeds on the shipped data (budget: under 30 s);
* each detector's F1 against random flips at 0.1, 0.2 and 0.3 of the real data (five
  seeds), next to cleanlab's ``find_label_issues`` on the default pipeline's
  out-of-fold probabilities, with each detector's seconds.

* each robust trainer's fit time (lesson 06) as a multiple of ``MultinomialNB``'s on the same
  count features of the shipped data's training split (median of five fits).
* lesson 07's ensembles: each ``PartitionEnsemble``'s fit time as a multiple of one
  ``MultinomialNB`` fit on the same counts (median of ``--repeat`` fits each, real data).
* lesson 08's label penalties: each trainer's fit time on the shipped data as a multiple
  of its base model's (``MultinomialNB`` on counts, ``LogisticRegression`` on TF-IDF).

* the stream simulation of lesson 09: seconds per stream (a burst stream and its unpoisoned
  twin, every monitor, the rollback), over 20 seeds.


``--only lessons|sweep|detectors|estimators|ensembles|penalties|streams`` runs one part.

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


DETECTOR_FRACTIONS = (0.1, 0.2, 0.3)


def time_detectors(seeds=range(5)):
    """Mean F1 and seconds of every detector against random flips; cleanlab alongside."""
    from course_utils.attacks import random_flip
    from course_utils.data import load_sentiment
    from course_utils.detect import DETECTORS, make_detector
    from course_utils.experiment import split_data
    from course_utils.metrics import detection_scores

    data = load_sentiment()
    table = {}
    for fraction in DETECTOR_FRACTIONS:
        for seed in seeds:
            train_texts, _, train_labels, _ = split_data(data.texts, data.labels, 0.25, seed)
            poisoned = random_flip(train_texts, train_labels, fraction, random_state=seed)
            for name in DETECTORS:
                started = time.perf_counter()
                flagged = make_detector(name, random_state=seed).fit_flag(poisoned.texts, poisoned.labels)
                seconds = time.perf_counter() - started
                f1 = detection_scores(flagged, poisoned.poisoned_indices)["f1"]
                table.setdefault((name, fraction), []).append((f1, seconds))
    return {key: (statistics.mean(f for f, _ in runs), statistics.mean(t for _, t in runs))
            for key, runs in table.items()}


def print_detectors(figures):
    from course_utils.detect import DETECTORS

    results = time_detectors()
    header = "".join(f"{'F1 @' + format(f, '.1f'):>10}" for f in DETECTOR_FRACTIONS)
    print(f"detectors against random flips (real data, 5 seeds; mean F1, mean seconds per fit):")
    print(f"{'detector':<18}{header}{'seconds':>10}")
    for name in DETECTORS:
        f1s = "".join(f"{results[(name, f)][0]:10.3f}" for f in DETECTOR_FRACTIONS)
        seconds = statistics.mean(results[(name, f)][1] for f in DETECTOR_FRACTIONS)
        print(f"{name:<18}{f1s}{seconds:10.2f}")
    for fraction in DETECTOR_FRACTIONS:
        ours, theirs = results[("confident", fraction)][0], results[("cleanlab", fraction)][0]
        forest = results[("isolation-forest", fraction)][0]
        verdict = "ok" if ours >= theirs and ours > forest + 0.2 else "NOT MET"
        print(f"flip rate {fraction:.1f}: confident {ours:.3f} vs cleanlab {theirs:.3f} "
              f"vs isolation forest {forest:.3f}: {verdict}")
    figures["detectors"] = {f"{name}@{fraction}": {"f1": f1, "seconds": seconds}
                            for (name, fraction), (f1, seconds) in results.items()}


def time_estimators(repeat=5):
    """Median fit seconds of MultinomialNB and of every registered trainer on one split's count features."""
    from sklearn.naive_bayes import MultinomialNB

    from course_utils.data import load_sentiment
    from course_utils.defenses import TRAINER, defense_names, make_defense
    from course_utils.experiment import split_data
    from course_utils.models import make_vectorizer

    data = load_sentiment()
    train_texts, _, train_labels, _ = split_data(data.texts, data.labels, 0.25, 0)
    X = make_vectorizer("count-nb").fit_transform(train_texts)

    def median_fit(factory):
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            factory().fit(X, train_labels)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    seconds = {"MultinomialNB": median_fit(MultinomialNB)}
    for name in defense_names(TRAINER):
        seconds[name] = median_fit(lambda name=name: make_defense(name, random_state=0))
    return seconds


def print_estimators(figures):
    seconds = time_estimators()
    base = seconds["MultinomialNB"]
    print("every registered trainer's fit time on the shipped data's training split (count features, median of 5 fits):")
    for name, value in seconds.items():
        print(f"{name:<18}{value:10.4f} s {value / base:8.1f}x MultinomialNB")
    figures["estimators"] = {name: {"seconds": value, "multiple": value / base} for name, value in seconds.items()}


# --- Lesson 07: the partition ensembles' fit time against one Naive Bayes -----------------------------

ENSEMBLE_SETTINGS = (("dpa", 10), ("dpa", 50), ("finite-aggregation", 50))


def ensemble_fit_times(repeat=3, seed=0):
    """Median seconds of one MultinomialNB fit and of each ensemble's fit, on one split's counts."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB

    from course_utils.data import load_sentiment
    from course_utils.defenses import PartitionEnsemble
    from course_utils.experiment import split_data

    data = load_sentiment()
    train_texts, _, train_labels, _ = split_data(data.texts, data.labels, 0.25, seed)
    X = CountVectorizer().fit_transform(train_texts)

    def median_fit(make, **fit_kw):
        runs = []
        for _ in range(repeat):
            started = time.perf_counter()
            make().fit(X, train_labels, **fit_kw)
            runs.append(time.perf_counter() - started)
        return statistics.median(runs)

    times = {"MultinomialNB": median_fit(MultinomialNB)}
    for scheme, k in ENSEMBLE_SETTINGS:
        times[f"{scheme} k={k}"] = median_fit(lambda: PartitionEnsemble(n_partitions=k, scheme=scheme),
                                              partition_keys=train_texts)
    return times


def print_ensemble_fit_times(figures, repeat):
    times = ensemble_fit_times(repeat)
    base = times["MultinomialNB"]
    print(f"partition ensembles, fit on one split's counts (real data, median of {repeat}):")
    print(f"{'model':<26}{'seconds':>10}{'x MultinomialNB':>17}")
    for name, seconds in times.items():
        print(f"{name:<26}{seconds:10.4f}{seconds / base:17.1f}")
    figures["ensembles"] = {name: {"seconds": seconds, "ratio": seconds / base} for name, seconds in times.items()}


# Lesson 08's trainers, each behind the features of the model it goes with (registered name -> model).
PENALTY_MODELS = {"loss-filter": "count-nb", "reweight": "count-nb", "label-smoothing": "count-nb",
                  "robust-loss": "tfidf-logreg"}


def penalty_fit_times(repeat=3):
    """Median seconds of each penalty's fit and of its base model's on the whole shipped data.

    Returns ``{name: (model, penalty seconds, base seconds)}``; the features are
    built once, so only the classifiers' fits are timed, each after one unmeasured fit.
    """
    from course_utils.data import load_sentiment
    from course_utils.defenses import make_defense
    from course_utils.detect import TextFeatures
    from course_utils.models import make_classifier

    data = load_sentiment()
    features = TextFeatures()
    matrices = {model: features.fit_transform(data.texts, "count" if model == "count-nb" else "tfidf")[0]
                for model in set(PENALTY_MODELS.values())}

    def seconds(make, X):
        make().fit(X, data.labels)  # unmeasured: the first fit also pays for imports and caches
        times = []
        for _ in range(repeat):
            started = time.perf_counter()
            make().fit(X, data.labels)
            times.append(time.perf_counter() - started)
        return statistics.median(times)

    base = {model: seconds(lambda: make_classifier(model, random_state=0), X) for model, X in matrices.items()}
    return {name: (model, seconds(lambda: make_defense(name, random_state=0), matrices[model]), base[model])
            for name, model in PENALTY_MODELS.items()}


def print_penalty_fit_times(figures):
    results = penalty_fit_times()
    print("lesson 08's label penalties: fit time on the shipped data (median of 3), as a multiple of the base model:")
    print(f"{'penalty':<18}{'model':<14}{'seconds':>10}{'base s':>10}{'x base':>8}")
    for name, (model, seconds, base) in results.items():
        print(f"{name:<18}{model:<14}{seconds:10.3f}{base:10.3f}{seconds / base:8.1f}")
    figures["penalty_fit_times"] = {name: {"model": model, "seconds": seconds, "base_seconds": base,
                                           "ratio": seconds / base}
                                    for name, (model, seconds, base) in results.items()}


STREAM_SEEDS = range(20)


def print_streams(figures):
    """Seconds per simulated stream of lesson 09 (a burst stream, its twin, every monitor and the rollback)."""
    from course_utils.data import load_sentiment
    from course_utils.monitoring import MONITORS, StreamData, simulate_stream

    dataset = load_sentiment()
    data = StreamData(dataset.texts, dataset.labels)  # a fresh one: no stream of it has been computed yet
    thresholds = {name: 0.0 for name in MONITORS}  # every monitor alarms: the rollback is always computed
    started = time.perf_counter()
    for seed in STREAM_SEEDS:
        simulate_stream(data, "burst", seed=seed, thresholds=thresholds)
    per_stream = (time.perf_counter() - started) / len(STREAM_SEEDS)
    figures["stream_seconds"] = per_stream
    print(f"stream simulation (lesson 09; a burst stream, its twin, {len(MONITORS)} monitors, rollback; "
          f"{len(STREAM_SEEDS)} seeds): {per_stream * 1000:.1f} ms per stream")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="runs per notebook (median reported)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    parser.add_argument("--only", choices=["lessons", "sweep", "detectors", "estimators", "ensembles", "penalties",
                                           "streams"], help="run one part only")
    parser.add_argument("lessons", nargs="*", help="lessons to time (default: notebooks/*.ipynb)")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")

    import sklearn

    lessons = [Path(p) for p in args.lessons] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    print(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, scikit-learn {sklearn.__version__}")
    figures = {"cores": os.cpu_count(), "lessons": {}}
    if args.only in (None, "lessons"):
        with tempfile.TemporaryDirectory() as folder:
            floor_path = floor_notebook(folder)
            # One unmeasured run first: the first kernel of a process reads its files cold,
            # which would inflate the floor and flatter every ratio.
            time_notebook(floor_path, folder, 1)
            floor = time_notebook(floor_path, folder, args.repeat)
            figures["floor_seconds"] = floor
            print(f"floor (a notebook that only imports the course's packages): {floor:.2f} s")
            print(f"{'lesson':<40} {'seconds':>8} {'x floor':>8}  budget {LESSON_BUDGET:.0f}x")
            for lesson in lessons:
                seconds = time_notebook(lesson, folder, args.repeat)
                ratio = seconds / floor
                figures["lessons"][lesson.stem] = {"seconds": seconds, "ratio": ratio}
                verdict = "ok" if ratio < LESSON_BUDGET else "OVER BUDGET"
                print(f"{lesson.stem:<40} {seconds:8.2f} {ratio:8.2f}  {verdict}")
    if args.only in (None, "sweep"):
        sweep_seconds, runs = time_sweep()
        figures["sweep_seconds"] = sweep_seconds
        verdict = "ok" if sweep_seconds < SWEEP_BUDGET else "OVER BUDGET"
        print(f"full sweep (4 attacks x 6 fractions x 5 seeds = {runs} runs, real data): {sweep_seconds:.2f} s"
              f"  budget {SWEEP_BUDGET:.0f} s: {verdict}")
    if args.only in (None, "detectors"):
        print_detectors(figures)
    if args.only in (None, "estimators"):
        print_estimators(figures)
    if args.only in (None, "ensembles"):
        print_ensemble_fit_times(figures, args.repeat)
    if args.only in (None, "penalties"):
        print_penalty_fit_times(figures)
    if args.only in (None, "streams"):
        print_streams(figures)
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
