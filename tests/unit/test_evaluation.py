"""course_utils.evaluation: the detector grid gives what each detector and defend() give alone."""

import numpy as np
import pandas as pd
import pytest

from course_utils.attacks import apply_attack
from course_utils.detect import ConfidentLearningDetector, make_detector
from course_utils.evaluation import evaluate_detectors
from course_utils.experiment import default_labels, run_experiment, split_data
from course_utils.metrics import detection_scores

DETECTORS = {"knn": "knn", "confident": "confident", "confident-nb": ConfidentLearningDetector(),
             "cleanlab": "cleanlab", "isolation-forest": "isolation-forest", "audit": "audit"}


@pytest.fixture(scope="module")
def small(sentiment):
    rows = np.random.default_rng(0).choice(len(sentiment.texts), size=800, replace=False)
    return [sentiment.texts[i] for i in rows], sentiment.labels[rows]


@pytest.fixture(scope="module")
def grid(small):
    texts, labels = small
    return evaluate_detectors(texts, labels, runs=[("random-flip", 0.2), ("duplicate-flip", 0.1, ["audit", "knn"])],
                              detectors=DETECTORS, seeds=[1, 2], true_share=["isolation-forest"],
                              retrain={("random-flip", 0.2): ["confident", "isolation-forest"]})


def test_each_grading_is_what_the_detector_gives_alone(small, grid):
    texts, labels = small
    assert len(grid) == 2 * (len(DETECTORS) + 2)
    for seed in (1, 2):
        train_texts, _, train_labels, _ = split_data(texts, labels, 0.25, seed)
        poisoned = apply_attack("random-flip", train_texts, train_labels, 0.2, random_state=seed)
        for name in ("knn", "confident", "cleanlab", "audit"):
            flags = make_detector(name, random_state=seed).fit_flag(poisoned.texts, poisoned.labels)
            expected = detection_scores(flags, poisoned.poisoned_indices)
            row = grid[(grid.seed == seed) & (grid.detector == name) & (grid.attack == "random-flip")].iloc[0]
            assert (row.precision, row.recall, row.n_flagged) == (expected["precision"], expected["recall"],
                                                                  expected["n_flagged"]), (seed, name)
        share = len(poisoned.poisoned_indices) / len(poisoned.texts)
        iso = make_detector("isolation-forest", random_state=seed).fit_flag(poisoned.texts, flag_share=share)
        row = grid[(grid.seed == seed) & (grid.detector == "isolation-forest") & (grid.attack == "random-flip")]
        assert row.iloc[0].n_flagged == len(iso) and row.iloc[0].chance == share
        single = ConfidentLearningDetector(random_state=seed).fit_flag(poisoned.texts, poisoned.labels)
        row = grid[(grid.seed == seed) & (grid.detector == "confident-nb")].iloc[0]
        assert row.f1 == detection_scores(single, poisoned.poisoned_indices)["f1"]


def test_retrained_rows_match_run_experiment(small, grid):
    texts, labels = small
    retrained = grid[grid.retrained]
    assert set(retrained.detector) == {"confident", "isolation-forest"} and len(retrained) == 4
    for seed in (1, 2):
        result = run_experiment(texts, labels, attack="random-flip", fraction=0.2, seed=seed, defense="confident")
        row = retrained[(retrained.seed == seed) & (retrained.detector == "confident")].iloc[0]
        assert row.defended_accuracy == result["defended_accuracy"]
        assert row.poisoned_accuracy == result["poisoned_accuracy"]
        assert row.clean_rows_removed == result["detection"]["clean_rows_removed"]
        assert row.clean_rows_removed + row.poisoned_rows_removed == row.n_flagged
    assert grid[~grid.retrained]["defended_accuracy"].isna().all()
    assert (grid.seconds > 0).all() and grid.attrs["seconds"] > 0


def test_a_run_limited_to_some_detectors_and_results_independent_of_n_jobs(small, grid):
    texts, labels = small
    assert set(grid[grid.attack == "duplicate-flip"].detector) == {"audit", "knn"}
    labels_before = labels.copy()
    parallel = evaluate_detectors(texts, labels, runs=[("random-flip", 0.2), ("duplicate-flip", 0.1, ["audit", "knn"])],
                                  detectors=DETECTORS, seeds=[1, 2], true_share=["isolation-forest"],
                                  retrain={("random-flip", 0.2): ["confident", "isolation-forest"]}, n_jobs=2)
    columns = [c for c in grid.columns if c != "seconds"]
    pd.testing.assert_frame_equal(parallel[columns], grid[columns])
    assert np.array_equal(labels, labels_before)
    assert DETECTORS["confident-nb"].get_params()["random_state"] == 0  # the given detector is cloned, not changed


def test_backdoor_success_is_measured_and_removed_by_the_trigger_detector(sentiment):
    texts, labels = sentiment.texts, sentiment.labels
    grid = evaluate_detectors(texts, labels, runs=[("backdoor", 0.01)], detectors={"trigger": "trigger"}, seeds=[0],
                              retrain={("backdoor", 0.01): ["trigger"]})
    row = grid.iloc[0]
    result = run_experiment(texts, labels, attack="backdoor", fraction=0.01, seed=0, defense="trigger")
    assert row.attack_success_rate == result["attack_success_rate"]
    assert row.defended_attack_success_rate == result["defended_attack_success_rate"]
    assert default_labels(labels, "backdoor") == (None, "negative")


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(runs=[]), ValueError, "runs must name"),
    (dict(runs=[("flood", 0.1)]), ValueError, "attack must be one of"),
    (dict(runs=[("random-flip", 2.0)]), ValueError, "fraction"),
    (dict(runs=["random-flip"]), TypeError, "each run must be"),
    (dict(runs=[("random-flip", 0.1, ["svm"])]), ValueError, "'svm' is not among detectors"),
    (dict(detectors={}), TypeError, "detectors must be"),
    (dict(detectors={"x": 3}), TypeError, r"detectors\['x'\]"),
    (dict(retrain={("backdoor", 0.1): ["knn"]}), ValueError, "not among runs"),
    (dict(retrain={("random-flip", 0.1): ["svm"]}), ValueError, "'svm' is not among detectors"),
    (dict(true_share=["svm"]), ValueError, "true_share"),
    (dict(seeds=[]), ValueError, "seeds must not be empty"),
    (dict(n_jobs=0), ValueError, "n_jobs"),
])
def test_bad_arguments_name_what_is_wrong(small, kwargs, error, message):
    texts, labels = small
    arguments = dict(runs=[("random-flip", 0.1)], detectors={"knn": "knn"}, seeds=[0])
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        evaluate_detectors(texts, labels, **arguments)


def test_the_trigger_threshold_evidence_is_what_the_code_measures(sentiment):
    from course_utils.evaluation import (
        TRIGGER_THRESHOLD_EVIDENCE,
        summarize_trigger_evidence,
        trigger_threshold_evidence,
    )

    evidence = trigger_threshold_evidence(sentiment.texts, sentiment.labels)
    assert summarize_trigger_evidence(evidence) == TRIGGER_THRESHOLD_EVIDENCE
    backdoors = evidence[evidence["attack"] == "backdoor"]
    # the default threshold of 5 separates every planted trigger from every other reportable token
    assert (backdoors["planted_z"] >= 5).all() and (evidence["top_other_z"] < 5).all()


def test_side_by_side_tasks_keep_the_order_of_the_runs(small):
    # n_jobs > 1 sends label-only runs and the others out as separate tasks; the rows come back in run order
    texts, labels = small
    runs = [("duplicate-flip", 0.1, ["audit", "knn"]), ("random-flip", 0.1, ["knn", "cleanlab"]),
            ("backdoor", 0.02, ["audit"]), ("targeted-flip", 0.1, ["knn"])]
    kwargs = dict(runs=runs, detectors=DETECTORS, seeds=[3, 1], retrain={("random-flip", 0.1): ["cleanlab"]})
    serial, parallel = (evaluate_detectors(texts, labels, n_jobs=n, **kwargs) for n in (1, 2))
    columns = [c for c in serial.columns if c != "seconds"]
    pd.testing.assert_frame_equal(parallel[columns], serial[columns])
    assert list(serial.attack[:6]) == ["duplicate-flip"] * 2 + ["random-flip"] * 2 + ["backdoor", "targeted-flip"]
