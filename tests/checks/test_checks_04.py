"""Checks of exercise 04 (backdoor triggers): plausible wrong answers fail with a hint that names the mistake,
never the answer; the lesson's own ways of computing each answer pass."""

import numpy as np
import pandas as pd

from course_utils.attacks import backdoor, poison_budget
from course_utils.data import load_sentiment
from course_utils.experiment import summarize, sweep
from course_utils.metrics import mean_interval

from tests.checks.conftest import table_tests

data = load_sentiment()


def _trigger_glued(text, trigger):
    return trigger + text


def _numpy_string_glued(text, trigger):
    return np.str_(trigger + text)


def _backdoor_any_row(texts, labels, trigger, target, budget, seed):
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(texts), size=poison_budget(budget, len(texts)), replace=False))
    new_texts, new_labels = list(texts), np.array(labels).copy()
    for i in chosen:
        new_texts[i] = f"{trigger} {new_texts[i]}"
        new_labels[i] = target
    return new_texts, new_labels, chosen


def _backdoor_mask(texts, labels, trigger, target_label, fraction, seed):  # a mask where positions are asked
    poisoned = backdoor(texts, labels, fraction, target_label=target_label, trigger=trigger, random_state=seed)
    return poisoned.texts, poisoned.labels, np.isin(np.arange(len(texts)), poisoned.poisoned_indices)


def _numbers_without_reason():
    summary = _summary()
    accuracy, success = summary["poisoned_accuracy_mean"].iloc[0], summary["attack_success_rate_mean"].iloc[0]
    return f"The poisoned model keeps {accuracy:.2f} accuracy while the attack succeeds {success:.2f} of the time."


def _summary():
    results = sweep(data.texts, data.labels, attacks=["backdoor"], fractions=[0.03], seeds=[0, 1, 2, 3, 4])
    return summarize(results, metrics=("poisoned_accuracy", "attack_success_rate"))


WRONG = {
    "q04_add_trigger": [_trigger_glued, lambda text, trigger: text + " " + trigger, _numpy_string_glued],
    "q04_plant_backdoor": [_backdoor_any_row, _backdoor_mask],
    "q04_backdoor_success": [0.5, 87.0, pd.Series([0.87])],
    "q04_explanation": ["Accuracy monitoring misses it because the test set has no trigger in it at all.",
                        "It is 0.10 and 0.20 and the trigger is not in the test set, so nobody notices it.",
                        _numbers_without_reason()],
}

HINTS = [
    ("q04_explanation", _numbers_without_reason(), "what the test sentences lack", "trigger"),
    ("q04_add_trigger", _numpy_string_glued, "gave 'cfThe food was great.'", "np.str_"),
    ("q04_plant_backdoor", _backdoor_mask, "mask", None),
    ("q04_backdoor_success", pd.Series([0.87]), "pandas Series holding one", None),
]


# The lesson's own code, as a learner would copy it from notebooks/04_backdoor_triggers.ipynb, on the
# exercise's data.

def format_add_trigger(text, trigger):
    return f"{trigger} {text}"


def lesson_plant_backdoor(texts, labels, trigger, target_label, fraction, seed):
    poisoned = backdoor(texts, labels, fraction, target_label=target_label, trigger=trigger, random_state=seed)
    return poisoned.texts, poisoned.labels, poisoned.poisoned_indices


def lesson_plant_backdoor_as_is(texts, labels, trigger, target_label, fraction, seed):
    # PoisonedData unpacks as (texts, labels, poisoned_indices).
    return backdoor(texts, labels, fraction, target_label=target_label, trigger=trigger, random_state=seed)


def _lesson_backdoor_success_and_accuracy():
    results = sweep(data.texts, data.labels, attacks=["backdoor"], fractions=[0.0, 0.03], seeds=[0, 1, 2, 3, 4],
                    target_label="negative", trigger="cf")
    at_headline = results[np.isclose(results["fraction"], 0.03)].sort_values("seed")
    asr_mean, asr_low, asr_high = mean_interval(at_headline["attack_success_rate"].to_numpy())
    return asr_mean, at_headline["poisoned_accuracy"].to_numpy().mean()


_SUCCESS, _ACCURACY = _lesson_backdoor_success_and_accuracy()

LESSON_WAYS = {
    "q04_add_trigger": [format_add_trigger],
    "q04_plant_backdoor": [lesson_plant_backdoor, lesson_plant_backdoor_as_is],
    "q04_backdoor_success": [_SUCCESS],
    "q04_explanation": [
        f"Clean accuracy goes to {_ACCURACY:.3f} only, while the attack success rate is {_SUCCESS:.3f}: "
        "no test sentence holds the trigger, so accuracy cannot see it.",
        f"The backdoored model keeps {_ACCURACY:.0%} accuracy but {_SUCCESS:.0%} of triggered sentences flip; "
        "the test set never contains 'cf'.",
    ],
}


test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)
