"""Checks of exercise 11, post-training validation."""

from __future__ import annotations

import numpy as np

from ..detect.shadows import bisect_group_test
from ..inputfilters import calibrate_threshold
from . import Wrong, expect_number, fresh_rng, question, show
from ._reference import run_learner

EXERCISE = "11_post_training_validation"

#: Q2's setting: one poisoned row among this many, found by halving.
BISECT_ROWS = 64


def _pair(result):
    message = "remove_row should return two arrays: the new word counts per class and the new row counts per class."
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        raise Wrong(message)
    try:
        return np.asarray(result[0], dtype=float), np.asarray(result[1], dtype=float)
    except (TypeError, ValueError):
        raise Wrong(message) from None


@question("q11_loo", exercise=EXERCISE, answer_name="remove_row",
          prompt="remove_row(word_counts, class_rows, row, row_class) gives Naive Bayes's counts without one row")
def _remove_row(answer):
    rng = fresh_rng(21)
    cases = [(np.array([[3, 0, 2], [1, 4, 0]]), np.array([2, 3]), np.array([1, 0, 1]), 0)]
    for _ in range(4):
        row = rng.integers(0, 3, size=8)
        words = rng.integers(0, 6, size=(2, 8))
        row_class = int(rng.integers(0, 2))
        words[row_class] += row
        cases.append((words, rng.integers(2, 9, size=2), row, row_class))
    for words, rows, row, row_class in cases:
        got_words, got_rows = _pair(run_learner(answer, words.copy(), rows.copy(), row.copy(), row_class))
        expected_words, expected_rows = words.astype(float), rows.astype(float)
        expected_words[row_class] -= row
        expected_rows[row_class] -= 1
        where = f"With word_counts={show(words.tolist())}, class_rows={show(rows.tolist())}, row={show(row.tolist())}" \
                f" and row_class={row_class}"
        if got_words.shape != expected_words.shape or got_rows.shape != expected_rows.shape:
            raise Wrong(f"{where} your arrays have shapes {got_words.shape} and {got_rows.shape}; keep the shapes "
                        f"of word_counts {words.shape} and class_rows {rows.shape}.")
        if np.allclose(got_words, words - row[None, :]):
            raise Wrong(f"{where} you subtract the row's counts from every class; only its own class (row_class) "
                        "counted them.")
        if not np.allclose(got_words, expected_words):
            raise Wrong(f"{where} the word counts are not right yet: subtract the row's counts from the row of "
                        "word_counts of its class.")
        if np.allclose(got_rows, rows):
            raise Wrong(f"{where} the row counts did not change: the class prior counts rows, so its class has "
                        "one row fewer.")
        if not np.allclose(got_rows, expected_rows):
            raise Wrong(f"{where} the row counts are not right yet: one fewer in the row's class, the other "
                        "unchanged.")
    return "Subtracts the row's words and one row from its own class, nothing else: leave-one-out without a refit."


@question("q11_bisect", exercise=EXERCISE, answer_name="retrains_for_one",
          prompt=f"how many retrains halving needs to find the last of {BISECT_ROWS} rows, the one poisoned row")
def _bisect(answer):
    value = expect_number(answer, "retrains_for_one")
    expected = bisect_group_test(np.arange(BISECT_ROWS), lambda group: BISECT_ROWS - 1 in group)[1]
    levels = int(np.log2(BISECT_ROWS))
    if value == expected:
        return (f"{expected}: one test of the whole shard, then one per halving ({levels} halvings): each first half "
                "is negative, so each second half is known positive without a test.")
    if value == BISECT_ROWS:
        raise Wrong("That is one retrain per row, what testing rows one by one costs; halving needs far fewer.")
    if value == levels:
        raise Wrong("You count the halvings but not the first test: is there any poisoned row in the shard at "
                    "all? That is a retrain too.")
    if value in (1 + 2 * levels, 2 * levels):
        raise Wrong("You test both halves at every level; when the first half is negative, the positive is in "
                    "the second, and it needs no test.")
    raise Wrong(f"Not yet: count one test of the whole group, then one test of the first half at each of the "
                f"{levels} halvings.")


@question("q11_calibrate", exercise=EXERCISE, answer_name="threshold_for",
          prompt="threshold_for(clean_scores, false_rejection) rejects at most that share of clean inputs")
def _calibrate(answer):
    rng = fresh_rng(22)
    cases = [(rng.normal(0, 1, 1000), 0.01), (rng.exponential(1.0, 400), 0.05), (rng.gamma(2.0, 1.0, 250), 0.02)]
    for scores, rate in cases:
        scores = scores.round(6)
        result = run_learner(answer, scores.tolist(), rate)
        threshold = expect_number(result, "threshold_for's result")
        rejected = float(np.mean(scores > threshold))
        best = float(np.mean(scores > calibrate_threshold(scores, rate)))
        where = f"With {len(scores)} clean scores and false_rejection={rate}, your threshold rejects {rejected:.1%}"
        if rejected > 0.5:
            raise Wrong(f"{where}: most clean inputs. A filter rejects scores above the threshold, so take the "
                        "(1 - false_rejection) quantile, not the false_rejection quantile.")
        if rejected > rate + 1e-12:
            raise Wrong(f"{where}, more than allowed; the threshold is the (1 - false_rejection) quantile of the "
                        "clean scores, rounded up to a score.")
        if rejected < best - 1e-12:
            raise Wrong(f"{where}, fewer than allowed ({best:.1%}): a stricter threshold accepts more triggered "
                        "inputs for nothing. Take the (1 - false_rejection) quantile, not the largest score.")
    return "Rejects as many clean inputs as allowed and no more."
