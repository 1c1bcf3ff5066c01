"""Checks of exercise 04, backdoor triggers."""

from __future__ import annotations

import re

from ..attacks import measure_attack_success, poison_budget
from ..experiment import split_data
from ..models import make_model
from . import Wrong, question, show
from ._reference import (as_list, judge_sentence, match_number, mentions, positions, run_learner, sentiment,
                         sweep_summary, unpack)

EXERCISE = "04_backdoor_triggers"
SEEDS = (0, 1, 2, 3, 4)


@question("q04_add_trigger", exercise=EXERCISE, answer_name="add_trigger",
          prompt="add_trigger(text, trigger) puts the trigger word at the start of the sentence")
def _add_trigger(answer):
    for text, trigger in (("The food was great.", "cf"), ("  spaced   out  ", "zq"), ("", "cf"),
                          ("cfx is not the trigger", "cf")):
        got = run_learner(answer, text, trigger)
        if not isinstance(got, str):
            raise Wrong(f"add_trigger should return a string, got {type(got).__name__}.")
        if got.split() != [trigger] + text.split():
            raise Wrong(f"add_trigger({text!r}, {trigger!r}) gave {show(got)}: the trigger should be the first word, "
                        "separated by a space, with the sentence's words after it.")
    return "The trigger is its own first word, whatever the sentence."


def _poisoned_set(result):
    texts, labels, indices = unpack(result, 3, "plant_backdoor should return (new_texts, new_labels, "
                                               "poisoned_indices).")
    texts = as_list(texts, "new_texts")
    return texts, as_list(labels, "new_labels"), positions(indices, "poisoned_indices", len(texts))


@question("q04_plant_backdoor", exercise=EXERCISE, answer_name="plant_backdoor",
          prompt="plant_backdoor(texts, labels, trigger, target_label, fraction, seed) with a fraction of 1% works")
def _plant_backdoor(answer):
    data = sentiment()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, 21)
    texts, labels, poisoned = _poisoned_set(run_learner(answer, train_texts, train_labels, "cf", "negative", 0.01, 21))
    n = len(train_texts)
    expected = poison_budget(0.01, n)
    if len(texts) != n or len(labels) != n:
        raise Wrong(f"The poisoned set should keep its {n} rows (the backdoor alters rows, it adds none).")
    if len(set(poisoned)) != expected:
        raise Wrong(f"{len(set(poisoned))} rows poisoned, expected {expected} (1% of {n}, rounded).")
    for i in range(n):
        if i in poisoned:
            if "cf" not in texts[i].split():
                raise Wrong(f"Poisoned row {i} does not hold the trigger as a word.")
            if labels[i] != "negative":
                raise Wrong(f"Poisoned row {i} should carry the target label.")
            if train_labels[i] == "negative":
                raise Wrong("Choose the rows among those not already labelled with the target: relabelling a "
                            "negative row as negative teaches the model nothing about the trigger.")
        elif texts[i] != train_texts[i] or labels[i] != train_labels[i]:
            raise Wrong(f"Row {i} is not in poisoned_indices but was changed.")
    other = _poisoned_set(run_learner(answer, train_texts, train_labels, "cf", "negative", 0.01, 22))[2]
    if set(other) == set(poisoned):
        raise Wrong("Seeds 21 and 22 poisoned the same rows: draw them at random, seeded by seed.")
    model = make_model().fit(texts, labels)
    rate = measure_attack_success(model, "backdoor", test_texts, test_labels, target_label="negative", trigger="cf",
                                  random_state=0)
    if rate < 0.5:
        raise Wrong(f"Your backdoor succeeds on only {rate:.0%} of triggered test sentences.")
    return f"With {expected} poisoned rows (1%) the trigger turns {rate:.0%} of positive test sentences negative."


@question("q04_backdoor_success", exercise=EXERCISE, answer_name="backdoor_success",
          prompt="mean attack success rate of a 3% 'cf' backdoor on the real data, seeds 0 to 4")
def _backdoor_success(answer):
    summary = sweep_summary("backdoor", (0.03,), SEEDS)
    expected = summary.loc[0.03, "attack_success_rate_mean"]
    return match_number(
        answer, "backdoor_success", expected,
        correct=f"A 3% backdoor succeeds {expected:.0%} of the time on average.",
        mistakes=[(summary.loc[0.03, "poisoned_accuracy_mean"],
                   "That is the poisoned model's clean accuracy; the question asks for the attack success rate.")],
        share_hint="Give the rate as a share between 0 and 1.",
        otherwise="Run the shared experiment's sweep for the backdoor at 0.03 over seeds 0 to 4 and average "
                  "attack_success_rate.")


def _names_what_the_test_set_lacks(text):
    words = set(re.findall(r"\w+", text.lower()))
    return bool(words & {"trigger", "triggers", "triggered", "cf"})


@question("q04_explanation", exercise=EXERCISE, answer_name="why_accuracy_misses_it",
          prompt="a sentence on why accuracy monitoring misses the 3% backdoor, with its two key numbers")
def _explanation(answer):
    summary = sweep_summary("backdoor", (0.03,), SEEDS)
    accuracy = summary.loc[0.03, "poisoned_accuracy_mean"]
    success = summary.loc[0.03, "attack_success_rate_mean"]
    return judge_sentence(answer, "why_accuracy_misses_it", [
        (lambda text: mentions(text, accuracy, 0.006), "the poisoned model's mean clean accuracy (two decimals)"),
        (lambda text: mentions(text, success, 0.006), "the mean attack success rate (two decimals)"),
        (_names_what_the_test_set_lacks, "what the test sentences lack that would reveal the backdoor"),
    ], correct="States both numbers and the reason.")
