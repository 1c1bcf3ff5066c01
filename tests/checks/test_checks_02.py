"""Checks of exercise 02 (label-flip poisoning): plausible wrong answers fail, with a hint, not the answer."""

import numpy as np
import pytest

from course_utils.checks import check

from tests.checks.conftest import assert_rejected, wrong_answer_cases


def _mutating_duplicate(texts, labels, indices, new_label):
    texts.extend(texts[i] for i in indices)
    labels.extend([new_label] * len(indices))
    return texts, labels


def _first_rows_flip(labels, n_flips, seed):
    flipped = np.array(labels, dtype=str)
    flipped[:n_flips] = np.where(flipped[:n_flips] == "positive", "negative", "positive")
    return flipped


def _with_replacement_flip(labels, n_flips, seed):
    rng = np.random.default_rng(seed)
    flipped = np.array(labels, dtype=str)
    rows = rng.integers(0, len(flipped), size=n_flips)
    flipped[rows] = np.where(flipped[rows] == "positive", "negative", "positive")
    return flipped


WRONG = {
    "q02_duplicate_flip": [_mutating_duplicate, lambda t, l, i, n: (list(t), list(l)),
                           lambda t, l, i, n: [list(t) + [t[j] for j in i], list(l) + [n] * len(i)]],
    "q02_random_flip": [_first_rows_flip, _with_replacement_flip],
    "q02_accuracy_drop": [0.1, -0.1275, 12.75],
    "q02_cheapest_budget": [0.1, 0.2, 0.12],
}


@pytest.mark.parametrize("qid, index", wrong_answer_cases(WRONG))
def test_checks_reject_wrong_answers(qid, index):
    assert_rejected(qid, WRONG[qid][index])


def test_a_wrong_answer_gets_a_hint_not_the_answer(capsys):
    check("q02_random_flip", _first_rows_flip)
    out = capsys.readouterr().out
    assert "same rows" in out
