"""Checks of exercise 11: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import numpy as np

from course_utils.checks import evaluate, questions_for
from course_utils.inputfilters import calibrate_threshold

from tests.checks.conftest import table_tests

EXERCISE = "11_post_training_validation"


def remove_row(word_counts, class_rows, row, row_class):
    words, rows = np.array(word_counts, dtype=float), np.array(class_rows, dtype=float)
    words[row_class] -= row
    rows[row_class] -= 1
    return words, rows


def remove_row_everywhere(word_counts, class_rows, row, row_class):
    words, rows = remove_row(word_counts, class_rows, row, row_class)
    return np.asarray(word_counts, dtype=float) - np.asarray(row)[None, :], rows


def remove_row_keep_rows(word_counts, class_rows, row, row_class):
    return remove_row(word_counts, class_rows, row, row_class)[0], np.array(class_rows, dtype=float)


def remove_row_other_class(word_counts, class_rows, row, row_class):
    return remove_row(word_counts, class_rows, row, 1 - row_class)


def threshold_sorted(clean_scores, false_rejection):
    ordered = sorted(clean_scores)
    return float(ordered[len(ordered) - 1 - int(np.floor(false_rejection * len(ordered)))])


def threshold_low_quantile(clean_scores, false_rejection):
    return float(np.quantile(clean_scores, false_rejection))


def threshold_maximum(clean_scores, false_rejection):
    return float(np.max(clean_scores))


def threshold_linear_low(clean_scores, false_rejection):  # rejects a little more than allowed
    return float(np.quantile(clean_scores, 1 - 2 * false_rejection))


WRONG = {
    "q11_loo": [remove_row_everywhere, remove_row_keep_rows, remove_row_other_class, lambda w, c, r, k: (w, c),
                lambda w, c, r, k: "counts"],
    "q11_bisect": [64, 6, 13, 12, 0, "7"],
    "q11_calibrate": [threshold_low_quantile, threshold_maximum, threshold_linear_low, lambda s, r: "high"],
}

HINTS = [
    ("q11_loo", remove_row_everywhere, "from every class", None),
    ("q11_loo", remove_row_keep_rows, "one row fewer", None),
    ("q11_loo", remove_row_other_class, "word counts are not right", None),
    ("q11_bisect", 64, "one retrain per row", None),
    ("q11_bisect", 6, "not the first test", None),
    ("q11_bisect", 13, "both halves", None),
    ("q11_calibrate", threshold_low_quantile, "most clean inputs", None),
    ("q11_calibrate", threshold_maximum, "stricter threshold", None),
    ("q11_calibrate", threshold_linear_low, "more than allowed", None),
]

LESSON_WAYS = {
    "q11_loo": [remove_row],
    "q11_bisect": [7, 7.0],
    "q11_calibrate": [threshold_sorted, calibrate_threshold],
}

test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)


def test_the_exercise_has_three_questions_and_blanks_are_not_yet_answered():
    assert sorted(q.qid for q in questions_for(EXERCISE)) == ["q11_bisect", "q11_calibrate", "q11_loo"]

    def blank(*args):
        ...

    for qid in ("q11_loo", "q11_bisect", "q11_calibrate"):
        assert evaluate(qid, ...).status == "blank"
    for qid in ("q11_loo", "q11_calibrate"):
        assert evaluate(qid, blank).status == "blank", qid
