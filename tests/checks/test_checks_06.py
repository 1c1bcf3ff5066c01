"""Checks of exercise 06: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import math

import numpy as np
from scipy import stats

from course_utils.checks import questions_for
from course_utils.defenses.robust import group_privacy_bound, laplace_scale

from tests.checks.conftest import solution_tests, table_tests

EXERCISE = "06_robust_learning"


def laplace_mechanism(counts, sensitivity, epsilon, random_state):
    rng = np.random.default_rng(random_state)
    counts = np.asarray(counts, dtype=float)
    return counts + rng.laplace(0, sensitivity / epsilon, size=counts.shape)


def upside_down(counts, sensitivity, epsilon, random_state):
    rng = np.random.default_rng(random_state)
    return np.asarray(counts) + rng.laplace(0, epsilon / sensitivity, size=np.shape(counts))


def no_noise(counts, sensitivity, epsilon, random_state):
    return np.asarray(counts, dtype=float)


def scale_one(counts, sensitivity, epsilon, random_state):
    rng = np.random.default_rng(random_state)
    return np.asarray(counts) + rng.laplace(0, 1.0, size=np.shape(counts))


def in_place(counts, sensitivity, epsilon, random_state):
    counts += np.random.default_rng(random_state).laplace(0, sensitivity / epsilon, size=counts.shape).astype(int)
    return counts


def asr_bound(clean_rate, epsilon, k):
    return min(1.0, math.exp(2 * k * epsilon) * clean_rate)


def one_step_a_row(clean_rate, epsilon, k):
    return min(1.0, math.exp(k * epsilon) * clean_rate)


def not_cut(clean_rate, epsilon, k):
    return math.exp(2 * k * epsilon) * clean_rate


def trimmed_mean(values, proportion):
    ordered = np.sort(values)
    cut = int(proportion * len(ordered))
    return float(ordered[cut:len(ordered) - cut].mean())


def plain_mean(values, proportion):
    return float(np.mean(values))


def low_end_only(values, proportion):
    ordered = np.sort(values)
    return float(ordered[int(proportion * len(ordered)):].mean())


def unsorted_cut(values, proportion):
    cut = int(proportion * len(values))
    return float(np.mean(values[cut:len(values) - cut]))


SOLUTIONS = {"q06_laplace": laplace_mechanism, "q06_group_bound": asr_bound, "q06_trimmed_mean": trimmed_mean}

WRONG = {
    "q06_laplace": [upside_down, no_noise, scale_one, in_place],
    "q06_group_bound": [one_step_a_row, not_cut, 0.5],
    "q06_trimmed_mean": [plain_mean, low_end_only, unsorted_cut],
}

HINTS = [
    ("q06_laplace", upside_down, "upside down", None),
    ("q06_laplace", no_noise, "without noise", None),
    ("q06_laplace", in_place, "changed its input", None),
    ("q06_group_bound", one_step_a_row, "exp(2 k epsilon)", None),
    ("q06_group_bound", not_cut, "cut the bound at 1", None),
    ("q06_trimmed_mean", plain_mean, "plain mean", None),
    ("q06_trimmed_mean", low_end_only, "only the low end", None),
]


# The lesson's own ways, as a learner would copy them from notebooks/06_robust_learning.ipynb.

def lesson_laplace(counts, sensitivity, epsilon, random_state):
    rng = np.random.default_rng(random_state)
    return counts + rng.laplace(0, laplace_scale(sensitivity, epsilon), np.shape(counts))


def lesson_bound(clean_rate, epsilon, k):
    return group_privacy_bound(clean_rate, epsilon, 2 * k)


def lesson_trimmed_mean(values, proportion):
    return stats.trim_mean(values, proportion)


LESSON_WAYS = {"q06_laplace": [lesson_laplace], "q06_group_bound": [lesson_bound],
               "q06_trimmed_mean": [lesson_trimmed_mean]}


def test_the_lesson_has_these_questions():
    assert sorted(q.qid for q in questions_for(EXERCISE)) == sorted(SOLUTIONS)
    assert {q.answer_name for q in questions_for(EXERCISE)} == {"laplace_mechanism", "asr_bound", "trimmed_mean"}


test_the_solution_passes, test_blanks_are_not_answered_yet = solution_tests(SOLUTIONS)


test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = table_tests(
    WRONG, HINTS, LESSON_WAYS)
