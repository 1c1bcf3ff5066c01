"""Checks of exercise 03 (testing the impact): plausible wrong answers fail."""

import numpy as np
import pytest

from tests.checks.conftest import assert_rejected, wrong_answer_cases


def _all_target_rate(y_true, y_pred, source, target):
    return float(np.mean(np.asarray(y_pred) == target))


def _unsorted_flipped(clean, poisoned):
    return sorted(np.flatnonzero(np.asarray(clean) != np.asarray(poisoned)).tolist(), reverse=True)


WRONG = {
    "q03_success_rate": [_all_target_rate, lambda *a: 0.5],
    "q03_flipped": [_unsorted_flipped, lambda a, b: []],
    "q03_cheapest_copies": [1, 2, 10],
    "q03_explanation": ["The model got worse.", "Accuracy fell from 1.0 to 0.5 after the poisoning of the data set."],
}


@pytest.mark.parametrize("qid, index", wrong_answer_cases(WRONG))
def test_checks_reject_wrong_answers(qid, index):
    assert_rejected(qid, WRONG[qid][index])
