"""Checks of exercise 05: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import re
from collections import defaultdict

import numpy as np
import pytest

from course_utils.checks import evaluate, questions_for
from course_utils.checks.lesson05 import mystery_backdoor
from course_utils.detect import DataAudit, TriggerDetector
from course_utils.metrics import detection_scores

from tests.checks.conftest import wrong_answer_cases, table_tests

EXERCISE = "05_data_validation_and_sanitization"
WORD = re.compile(r"(?u)\b\w\w+\b")


def _groups(texts, normalise=True):
    groups = defaultdict(list)
    for i, text in enumerate(texts):
        groups[" ".join(WORD.findall(text.lower())) if normalise else text].append(i)
    return groups.values()


def conflicting_rows(texts, labels):
    labels = list(labels)
    return sorted(i for rows in _groups(texts) if len({labels[j] for j in rows}) > 1 for i in rows)


def exact_text_conflicts(texts, labels):  # no normalisation
    labels = list(labels)
    return sorted(i for rows in _groups(texts, False) if len({labels[j] for j in rows}) > 1 for i in rows)


def copies_only(texts, labels):  # flags the later rows of a group, not the original
    labels = list(labels)
    return sorted(i for rows in _groups(texts) if len({labels[j] for j in rows}) > 1 for i in rows[1:])


def all_duplicates(texts, labels):  # ignores the labels
    return sorted(i for rows in _groups(texts) if len(rows) > 1 for i in rows)


def precision_recall_f1(flagged, poisoned):
    flagged, poisoned = {int(i) for i in flagged}, {int(i) for i in poisoned}
    hits = len(flagged & poisoned)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(poisoned) if poisoned else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def swapped(flagged, poisoned):
    p, r, f = precision_recall_f1(flagged, poisoned)
    return r, p, f


def arithmetic_f1(flagged, poisoned):
    p, r, _ = precision_recall_f1(flagged, poisoned)
    return p, r, (p + r) / 2


def no_edge_cases(flagged, poisoned):  # divides by zero when nothing is flagged
    flagged, poisoned = set(flagged), set(poisoned)
    hits = len(flagged & poisoned)
    p, r = hits / len(flagged), hits / len(poisoned)
    return p, r, 2 * p * r / (p + r)


def counts_repeats(flagged, poisoned):  # a row listed twice counts twice
    hits = sum(1 for i in flagged if i in set(poisoned))
    p = hits / len(flagged) if len(flagged) else 0.0
    r = min(1.0, hits / len(poisoned)) if len(poisoned) else 1.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def mask_conflicts(texts, labels):  # a True/False per row where row numbers are asked
    return np.isin(np.arange(len(texts)), conflicting_rows(texts, labels))


def repeated_conflicts(texts, labels):  # every row listed twice
    return conflicting_rows(texts, labels) * 2


def recall_over_flagged(flagged, poisoned):  # divides the hits by the wrong count
    flagged, poisoned = set(flagged), set(poisoned)
    hits = len(flagged & poisoned)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(flagged) if flagged else 1.0
    return precision, recall, (2 * precision * recall / (precision + recall) if precision + recall else 0.0)


def per_class_thresholds(probabilities, given):
    probabilities, given = np.asarray(probabilities), np.asarray(given)
    return np.array([probabilities[given == j, j].mean() for j in range(probabilities.shape[1])])


def column_means(probabilities, given):  # every row, not only the rows labelled j
    return np.asarray(probabilities).mean(axis=0)


def column_max(probabilities, given):
    probabilities, given = np.asarray(probabilities), np.asarray(given)
    return np.array([probabilities[given == j, j].max() for j in range(probabilities.shape[1])])


def own_label_mean(probabilities, given):  # one number, not one per class
    probabilities, given = np.asarray(probabilities), np.asarray(given)
    return float(probabilities[np.arange(len(given)), given].mean())


def _solution_trigger():
    texts, labels = mystery_backdoor()
    return TriggerDetector().fit(texts, labels).token_scores_["token"].iloc[0]


SOLUTIONS = {
    "q05_conflict_audit": conflicting_rows,
    "q05_detection_scores": precision_recall_f1,
    "q05_thresholds": per_class_thresholds,
    "q05_find_trigger": _solution_trigger(),
}

WRONG = {
    "q05_conflict_audit": [exact_text_conflicts, copies_only, all_duplicates, mask_conflicts, repeated_conflicts],
    "q05_detection_scores": [swapped, arithmetic_f1, no_edge_cases, counts_repeats, recall_over_flagged],
    "q05_thresholds": [column_means, column_max, own_label_mean],
    "q05_find_trigger": ["cf", "poor", "the", "zzzz", 3],
}


REPEATS = "listed twice"

HINTS = [
    ("q05_detection_scores", counts_repeats, "count each row once, even when it is listed twice", None),
    ("q05_detection_scores", recall_over_flagged, "not right yet", REPEATS),
    ("q05_detection_scores", swapped, "swapped", REPEATS),
    ("q05_detection_scores", arithmetic_f1, "harmonic mean", REPEATS),
    ("q05_conflict_audit", mask_conflicts, "mask", "rows flagged"),
    ("q05_conflict_audit", repeated_conflicts, "more than once", None),
    ("q05_find_trigger", np.str_("zzzz"), "'zzzz' does not occur", "np.str_"),
]


# The lesson's own code, as a learner would copy it from notebooks/05_data_validation_and_sanitization.ipynb.

def lesson_conflicting_rows(texts, labels):
    return DataAudit().fit(texts, labels).flag()


def lesson_precision_recall_f1(flagged, poisoned):
    scores = detection_scores(flagged, poisoned)
    return scores["precision"], scores["recall"], scores["f1"]


def array_precision_recall_f1(flagged, poisoned):  # three numbers in an array unpack like a tuple
    return np.array(lesson_precision_recall_f1(flagged, poisoned))


def lesson_per_class_thresholds(probabilities, given):
    # The lesson: np.array([probabilities[given == j, j].mean() for j in range(len(classes))])
    classes = np.unique(given)
    return np.array([probabilities[given == j, j].mean() for j in range(len(classes))])


def _lesson_trigger():
    texts, labels = mystery_backdoor()
    detector = TriggerDetector().fit(texts, labels)
    return detector.token_scores_["token"].to_numpy()[0]  # a numpy string


LESSON_WAYS = {
    "q05_conflict_audit": [lesson_conflicting_rows],
    "q05_detection_scores": [lesson_precision_recall_f1, array_precision_recall_f1],
    "q05_thresholds": [lesson_per_class_thresholds],
    "q05_find_trigger": [_lesson_trigger()],
}


def test_count_each_row_once_only_for_the_mistake_that_counts_twice():
    for answer in WRONG["q05_detection_scores"]:
        message = evaluate("q05_detection_scores", answer).message
        assert (REPEATS in message) == (answer is counts_repeats), (answer.__name__, message)


def test_the_lesson_has_these_questions():
    assert sorted(q.qid for q in questions_for(EXERCISE)) == sorted(SOLUTIONS)
    assert {q.answer_name for q in questions_for(EXERCISE)} == {
        "conflicting_rows", "precision_recall_f1", "per_class_thresholds", "trigger_token"}


@pytest.mark.parametrize("qid", sorted(SOLUTIONS))
def test_the_solution_passes(qid):
    result = evaluate(qid, SOLUTIONS[qid])
    assert result.passed, result


@pytest.mark.parametrize("qid, index", wrong_answer_cases(WRONG))
def test_wrong_answers_fail_with_a_hint(qid, index):
    result = evaluate(qid, WRONG[qid][index])
    assert result.status == "fail", (qid, index, result)
    assert result.message and result.points == 0
    assert "kq" not in result.message  # a hint never gives the hidden trigger away


@pytest.mark.parametrize("qid", sorted(SOLUTIONS))
def test_blanks_are_not_answered_yet(qid):
    assert evaluate(qid, ...).status == "blank"

    def body_left_blank(*args, **kwargs):
        ...

    assert evaluate(qid, body_left_blank).status in ("blank", "fail")
    if qid != "q05_find_trigger":
        assert evaluate(qid, body_left_blank).status == "blank"


_, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = table_tests(WRONG, HINTS, LESSON_WAYS)
