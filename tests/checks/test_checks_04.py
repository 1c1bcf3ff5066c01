"""Checks of exercise 04 (backdoor triggers): plausible wrong answers fail."""

import numpy as np
import pytest

from tests.checks.conftest import assert_rejected, wrong_answer_cases


def _trigger_glued(text, trigger):
    return trigger + text


def _backdoor_any_row(texts, labels, trigger, target, budget, seed):
    from course_utils.attacks import poison_budget

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(texts), size=poison_budget(budget, len(texts)), replace=False))
    new_texts, new_labels = list(texts), np.array(labels).copy()
    for i in chosen:
        new_texts[i] = f"{trigger} {new_texts[i]}"
        new_labels[i] = target
    return new_texts, new_labels, chosen


WRONG = {
    "q04_add_trigger": [_trigger_glued, lambda text, trigger: text + " " + trigger],
    "q04_plant_backdoor": [_backdoor_any_row],
    "q04_backdoor_success": [0.5, 87.0],
    "q04_explanation": ["Accuracy monitoring misses it because the test set has no trigger in it at all.",
                        "It is 0.10 and 0.20 and the trigger is not in the test set, so nobody notices it."],
}


@pytest.mark.parametrize("qid, index", wrong_answer_cases(WRONG))
def test_checks_reject_wrong_answers(qid, index):
    assert_rejected(qid, WRONG[qid][index])
