"""Checks of exercise 07: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import hashlib

import numpy as np

from course_utils.checks import evaluate, questions_for
from course_utils.defenses.augment import diluted_share
from course_utils.defenses.ensembles import dpa_certificate, text_hash

from tests.checks.conftest import solution_tests, table_tests

EXERCISE = "07_training_techniques"


# Q1: the DPA certificate of one row of votes.

def _top_second(votes):
    top = max(range(len(votes)), key=lambda c: (votes[c], -c))
    second = max((c for c in range(len(votes)) if c != top), key=lambda c: (votes[c], -c))
    return top, second


def dpa_radius(votes):
    top, second = _top_second(votes)
    return top, (votes[top] - votes[second] - (1 if second < top else 0)) // 2


def no_tie_rule(votes):  # forgets that a runner-up with a lower index wins a tie
    top, second = _top_second(votes)
    return top, (votes[top] - votes[second]) // 2


def lead_not_halved(votes):  # one row moves one vote, not two
    top, second = _top_second(votes)
    return top, votes[top] - votes[second] - (1 if second < top else 0)


def rounds_up(votes):
    top, second = _top_second(votes)
    return top, -(-(votes[top] - votes[second] - (1 if second < top else 0)) // 2)


def always_minus_one(votes):  # subtracts the tie vote whatever the indices
    top, second = _top_second(votes)
    return top, (votes[top] - votes[second] - 1) // 2


def ties_to_higher_index(votes):  # np.argmax of the reversed row: the last maximum wins
    top = len(votes) - 1 - int(np.argmax(votes[::-1]))
    second = max((c for c in range(len(votes)) if c != top), key=lambda c: (votes[c], c))
    return top, (votes[top] - votes[second] - (1 if second > top else 0)) // 2


def radius_only(votes):
    return dpa_radius(votes)[1]


def float_radius(votes):  # true division
    top, second = _top_second(votes)
    return top, (votes[top] - votes[second] - (1 if second < top else 0)) / 2


# Q2: a row's partition.

def partition_of(text, n_partitions):
    digest = hashlib.sha256(" ".join(text.lower().split()).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_partitions


def not_normalised(text, n_partitions):
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big") % n_partitions


def python_hash(text, n_partitions):
    return hash(" ".join(text.lower().split())) % n_partitions


def no_modulo(text, n_partitions):
    return int.from_bytes(hashlib.sha256(" ".join(text.lower().split()).encode("utf-8")).digest()[:8], "big")


def md5_hash(text, n_partitions):
    return int.from_bytes(hashlib.md5(" ".join(text.lower().split()).encode("utf-8")).digest()[:8], "big") % n_partitions


def little_endian(text, n_partitions):
    digest = hashlib.sha256(" ".join(text.lower().split()).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "little") % n_partitions


# Q3: the poison's share after augmentation.

def poison_share(fraction, factor, trusted_share):
    if trusted_share is None:
        return fraction / (1 + fraction)
    return fraction / (1 + fraction + trusted_share * factor)


def as_percentage(fraction, factor, trusted_share):
    return 100 * poison_share(fraction, factor, trusted_share)


def poison_left_out(fraction, factor, trusted_share):  # the denominator forgets the poisoned rows
    if trusted_share is None:
        return fraction / (1 + fraction)
    return fraction / (1 + trusted_share * factor)


def originals_twice(fraction, factor, trusted_share):  # counts the trusted originals again
    if trusted_share is None:
        return fraction / (1 + fraction)
    return fraction / (1 + fraction + trusted_share * (1 + factor))


def all_diluted(fraction, factor, trusted_share):  # as if every row were augmented and the poison not
    return fraction / (1 + fraction) / (1 + factor)


def fraction_unchanged(fraction, factor, trusted_share):  # the fraction of clean rows, not of the training set
    if trusted_share is None:
        return fraction
    return fraction / (1 + fraction + trusted_share * factor)


# Q4: certified accuracy at one radius.

def certified_accuracy(predicted, radius, truth, r):
    predicted, radius, truth = np.asarray(predicted), np.asarray(radius), np.asarray(truth)
    return float(np.mean((predicted == truth) & (radius >= r)))


def ignores_correctness(predicted, radius, truth, r):
    return float(np.mean(np.asarray(radius) >= r))


def strict_radius(predicted, radius, truth, r):
    predicted, radius, truth = np.asarray(predicted), np.asarray(radius), np.asarray(truth)
    return float(np.mean((predicted == truth) & (radius > r)))


def over_correct_rows(predicted, radius, truth, r):
    predicted, radius, truth = np.asarray(predicted), np.asarray(radius), np.asarray(truth)
    correct = predicted == truth
    return float(np.mean(radius[correct] >= r))


def a_count(predicted, radius, truth, r):
    predicted, radius, truth = np.asarray(predicted), np.asarray(radius), np.asarray(truth)
    return int(np.sum((predicted == truth) & (radius >= r)))


SOLUTIONS = {
    "q07_dpa_certificate": dpa_radius,
    "q07_partition_by_hash": partition_of,
    "q07_dilution": poison_share,
    "q07_certified_accuracy": certified_accuracy,
}

WRONG = {
    "q07_dpa_certificate": [no_tie_rule, lead_not_halved, rounds_up, always_minus_one, ties_to_higher_index,
                            radius_only, float_radius],
    "q07_partition_by_hash": [not_normalised, python_hash, no_modulo, md5_hash, little_endian],
    "q07_dilution": [as_percentage, poison_left_out, originals_twice, all_diluted, fraction_unchanged],
    "q07_certified_accuracy": [ignores_correctness, strict_radius, over_correct_rows, a_count],
}

NUMPY = "np."

HINTS = [
    ("q07_dpa_certificate", no_tie_rule, "lower index, so it wins a tie", NUMPY),
    ("q07_dpa_certificate", lead_not_halved, "shrinks by 2 per row", NUMPY),
    ("q07_dpa_certificate", rounds_up, "round down", NUMPY),
    ("q07_dpa_certificate", always_minus_one, "subtract 1 only when", NUMPY),
    ("q07_dpa_certificate", ties_to_higher_index, "a tie goes to the class with the lower index", NUMPY),
    ("q07_dpa_certificate", radius_only, "(winner, radius)", NUMPY),
    ("q07_dpa_certificate", float_radius, "whole number", NUMPY),
    ("q07_partition_by_hash", not_normalised, "normalise the text first", NUMPY),
    ("q07_partition_by_hash", python_hash, "salted", NUMPY),
    ("q07_partition_by_hash", no_modulo, "modulo", NUMPY),
    ("q07_partition_by_hash", little_endian, "big-endian", NUMPY),
    ("q07_dilution", as_percentage, "not a percentage", NUMPY),
    ("q07_dilution", poison_left_out, "in the denominator", NUMPY),
    ("q07_dilution", originals_twice, "not trusted_share * (1 + factor)", NUMPY),
    ("q07_dilution", all_diluted, "multiplies the poison as well", NUMPY),
    ("q07_dilution", fraction_unchanged, "fraction / (1 + fraction)", NUMPY),
    ("q07_certified_accuracy", ignores_correctness, "prediction is also right", NUMPY),
    ("q07_certified_accuracy", strict_radius, ">=, not >", NUMPY),
    ("q07_certified_accuracy", over_correct_rows, "every test row", NUMPY),
    ("q07_certified_accuracy", a_count, "not their count", NUMPY),
]


# The lesson's own code, as a learner would copy it from notebooks/07_training_techniques.ipynb.

def lesson_dpa_radius(votes):  # the course's vectorised certificate on a table of one row
    top, radius = dpa_certificate(np.array([votes]))
    return top[0], radius[0]  # NumPy integers


def lesson_partition_of(text, n_partitions):  # the lesson: text_hash(text) % k_main
    return text_hash(text) % n_partitions


def numpy_partition_of(text, n_partitions):
    return np.int64(text_hash(text) % n_partitions)


def lesson_poison_share(fraction, factor, trusted_share):
    return diluted_share(fraction, factor, trusted_share)


def lesson_certified_accuracy(predicted, radius, truth, r):  # the grid: np.mean(correct & (radius >= r))
    correct = np.asarray(predicted) == np.asarray(truth)
    return np.mean(correct & (np.asarray(radius) >= r))  # a NumPy float


LESSON_WAYS = {
    "q07_dpa_certificate": [lesson_dpa_radius],
    "q07_partition_by_hash": [lesson_partition_of, numpy_partition_of],
    "q07_dilution": [lesson_poison_share],
    "q07_certified_accuracy": [lesson_certified_accuracy],
}


def test_the_lesson_has_these_questions():
    assert sorted(q.qid for q in questions_for(EXERCISE)) == sorted(SOLUTIONS)
    assert {q.answer_name for q in questions_for(EXERCISE)} == {
        "dpa_radius", "partition_of", "poison_share", "certified_accuracy"}


test_the_solution_passes, test_blanks_are_not_answered_yet = solution_tests(SOLUTIONS)


def test_the_tie_hint_is_given_only_for_the_tie_mistake():
    for answer in WRONG["q07_dpa_certificate"]:
        message = evaluate("q07_dpa_certificate", answer).message
        assert ("wins a tie and needs one vote less" in message) == (answer is no_tie_rule), (answer.__name__, message)


test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)
