"""Lesson 11 (post-training validation), run with papermill on non-default parameters.

The invariants the lesson teaches: exact leave-one-out for Naive Bayes equals literal refits; ranking by
influence on triggered probes recovers at least 90% of a 1% backdoor's rows within the top 2d on every seed;
bisection finds a shard's poisoned rows with fewer retrains than rows; ordinary folds pass more of a repeated
duplicate-and-flip than grouped folds; every filter's false rejection is measured on held-out clean inputs, and
the adaptive trigger raises the one-word filter's false acceptance.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "11_post_training_validation"


def test_post_training_validation_on_other_seeds(run_lesson):
    seeds = [5, 6, 7]
    record = run_lesson(LESSON, seed=6, seeds=seeds, copies=4, n_refits=6, triggers=["cf", "qz"])
    assert record["seeds"] == seeds and record["copies"] == 4
    assert record["loo_worst"] < 1e-9
    assert len(record["recovered"]) == 3 and min(record["recovered"]) >= 0.9
    assert record["fewer_than_rows"] is True and record["all_found"] is True
    for row in record["bisection"]:
        assert row["retrains"] < row["rows in shard"]
    assert sum(record["hidden"]) / len(record["hidden"]) > 0  # ordinary folds pass more copies
    assert record["correlation"] > 0.9
    rates = {(r["trigger"], r["filter"]): r for r in record["rates"]}
    one = rates[("one token", "ONION-style, prediction")]["false acceptance"]
    many = rates[("2 tokens (adaptive)", "ONION-style, prediction")]["false acceptance"]
    assert many > one
    assert all(0 <= r["false rejection"] <= 0.05 for r in record["rates"])
