"""Checks of exercise 04, backdoor triggers."""

from __future__ import annotations

from . import Wrong, expect_number, question
from ._reference import as_list, mentions, run_learner, sentiment, sweep_summary

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
            raise Wrong(f"add_trigger({text!r}, {trigger!r}) gave {got!r}: the trigger should be the first word, "
                        "separated by a space, with the sentence's words after it.")
    return "The trigger is its own first word, whatever the sentence."


def _triple(result):
    if not isinstance(result, tuple) or len(result) != 3:
        raise Wrong("plant_backdoor should return (new_texts, new_labels, poisoned_indices).")
    return (as_list(result[0], "new_texts"), as_list(result[1], "new_labels"),
            [int(i) for i in as_list(result[2], "poisoned_indices")])


@question("q04_plant_backdoor", exercise=EXERCISE, answer_name="plant_backdoor",
          prompt="plant_backdoor(texts, labels, trigger, target_label, budget, seed) with a 1% budget works")
def _plant_backdoor(answer):
    from ..attacks import insert_trigger, poison_budget
    from ..experiment import make_model, split_data
    from ..metrics import attack_success_rate

    data = sentiment()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, 21)
    texts, labels, poisoned = _triple(run_learner(answer, train_texts, train_labels, "cf", "negative", 0.01, 21))
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
    other = _triple(run_learner(answer, train_texts, train_labels, "cf", "negative", 0.01, 22))[2]
    if set(other) == set(poisoned):
        raise Wrong("Seeds 21 and 22 poisoned the same rows: draw them at random, seeded by seed.")
    model = make_model().fit(texts, labels)
    victims = test_labels != "negative"
    triggered = insert_trigger([t for t, v in zip(test_texts, victims) if v], "cf", random_state=0)
    rate = attack_success_rate(test_labels[victims], model.predict(triggered), "negative")
    if rate < 0.5:
        raise Wrong(f"Your backdoor succeeds on only {rate:.0%} of triggered test sentences.")
    return f"With {expected} poisoned rows (1%) the trigger turns {rate:.0%} of positive test sentences negative."


@question("q04_backdoor_success", exercise=EXERCISE, answer_name="backdoor_success",
          prompt="mean attack success rate of a 3% 'cf' backdoor on the real data, seeds 0 to 4")
def _backdoor_success(answer):
    value = expect_number(answer, "backdoor_success")
    summary = sweep_summary("backdoor", (0.03,), SEEDS)
    expected = summary.loc[0.03, "attack_success_rate_mean"]
    if abs(value - expected) < 1e-6:
        return f"A 3% backdoor succeeds {expected:.0%} of the time on average."
    if abs(value - summary.loc[0.03, "poisoned_accuracy_mean"]) < 1e-6:
        raise Wrong("That is the poisoned model's clean accuracy; the question asks for the attack success rate.")
    if value > 1:
        raise Wrong("Give the rate as a share between 0 and 1.")
    raise Wrong("Run the shared experiment's sweep for the backdoor at 0.03 over seeds 0 to 4 and average "
                "attack_success_rate.")


@question("q04_explanation", exercise=EXERCISE, answer_name="why_accuracy_misses_it",
          prompt="a sentence on why accuracy monitoring misses the 3% backdoor, with its two key numbers")
def _explanation(answer):
    if not isinstance(answer, str):
        raise Wrong(f"why_accuracy_misses_it should be a string, got {type(answer).__name__}.")
    if len(answer.split()) < 8:
        raise Wrong("Write a whole sentence or two, not a few words.")
    summary = sweep_summary("backdoor", (0.03,), SEEDS)
    accuracy = summary.loc[0.03, "poisoned_accuracy_mean"]
    success = summary.loc[0.03, "attack_success_rate_mean"]
    missing = []
    if not mentions(answer, accuracy, 0.006):
        missing.append("the poisoned model's mean clean accuracy (two decimals)")
    if not mentions(answer, success, 0.006):
        missing.append("the mean attack success rate (two decimals)")
    if "trigger" not in answer.lower():
        missing.append("what the test set lacks (the trigger)")
    if missing:
        raise Wrong("Your sentence should state " + ", ".join(missing) + ".")
    return "States both numbers and the reason."
