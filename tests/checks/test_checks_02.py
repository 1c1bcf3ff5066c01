"""Checks of exercise 02 (label-flip poisoning): plausible wrong answers fail with a hint that names the mistake,
not the answer; the lesson's own ways of computing each answer pass."""

import numpy as np

from course_utils.attacks import duplicate_flip, random_flip
from course_utils.checks import check
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import summarize, sweep

from tests.checks.conftest import table_tests

data = load_sentiment()
clean_data, test_data = load_toy()


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


def _one_label_flip(labels, n_flips, seed):  # gives every drawn row "negative", whatever it was
    rng = np.random.default_rng(seed)
    flipped = np.array(labels, dtype=str)
    flipped[rng.choice(len(flipped), size=n_flips, replace=False)] = "negative"
    return flipped


def _lists_only_duplicate(texts, labels, indices, new_label):  # labels + [...] broadcasts on an array
    return texts + [texts[i] for i in indices], labels + [new_label] * len(indices)


WRONG = {
    "q02_duplicate_flip": [_mutating_duplicate, lambda t, l, i, n: (list(t), list(l)),
                           lambda t, l, i, n: (list(t) + [t[j] for j in i], list(l) + [n] * len(i), "extra"),
                           _lists_only_duplicate],
    "q02_random_flip": [_first_rows_flip, _with_replacement_flip, _one_label_flip],
    "q02_accuracy_drop": [0.1, -0.1275, 12.75],
    "q02_cheapest_budget": [0.1, 0.2, 0.12, 15],
}

HINTS = [
    ("q02_random_flip", _one_label_flip, "not one fixed label", "without replacement"),
    ("q02_random_flip", _with_replacement_flip, "without replacement", None),
    ("q02_duplicate_flip", WRONG["q02_duplicate_flip"][2], "two things", None),
    ("q02_duplicate_flip", _lists_only_duplicate, "NumPy array", "broadcast"),
    ("q02_cheapest_budget", 0.12, "one of the fractions of the grid", None),
    ("q02_cheapest_budget", 15, "not as a percentage", None),
]


# The lesson's own code, as a learner would copy it from notebooks/02_label_flip_poisoning.ipynb, on the
# exercise's data.

def lesson_duplicate_and_flip(texts, labels, indices, new_label):
    attack = duplicate_flip(texts, labels, indices=indices, target_label=new_label)
    return attack.texts, attack.labels


def lesson_style_duplicate_and_flip(texts, labels, indices, new_label):
    # The lesson's poisoned_data = clean_data + [(text, "negative"), ...], then zip(*poisoned_data).
    poisoned_data = list(zip(texts, labels)) + [(texts[i], new_label) for i in indices]
    new_texts, new_labels = zip(*poisoned_data) if poisoned_data else ((), ())
    return list(new_texts), list(new_labels)


def list_pair_duplicate_and_flip(texts, labels, indices, new_label):  # a list of two unpacks like the tuple
    return [list(texts) + [texts[i] for i in indices], list(labels) + [new_label] * len(indices)]


def lesson_flip_labels(labels, n_flips, seed):
    # The lesson's random_flip, given n_flips as a fraction of the rows.
    texts = [f"row {i}" for i in range(len(labels))]
    return random_flip(texts, labels, n_flips / len(labels), random_state=seed).labels


def permutation_flip_labels(labels, n_flips, seed):
    rng = np.random.default_rng(seed)
    flipped = list(labels)
    for i in rng.permutation(len(flipped))[:n_flips]:
        flipped[i] = "negative" if flipped[i] == "positive" else "positive"
    return flipped


def _lesson_accuracy_drop():
    results = sweep(data.texts, data.labels, attacks=["random-flip"], fractions=[0.0, 0.3], seeds=[0, 1, 2, 3, 4])
    results["accuracy_drop"] = results["clean_accuracy"] - results["poisoned_accuracy"]  # paired by seed
    summary = summarize(results, metrics=("poisoned_accuracy", "accuracy_drop"))
    return summary[np.isclose(summary["fraction"], 0.3)]["accuracy_drop_mean"].iloc[0]


def _lesson_cheapest_fraction():
    fractions = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
    results = sweep(data.texts, data.labels, attacks=["targeted-flip"], fractions=fractions, seeds=[0, 1, 2, 3, 4],
                    source_label="positive", target_label="negative")
    summary = summarize(results, metrics=("attack_success_rate",))
    return summary[summary["attack_success_rate_mean"] > 0.5]["fraction"].min()


LESSON_WAYS = {
    "q02_duplicate_flip": [lesson_duplicate_and_flip, lesson_style_duplicate_and_flip, list_pair_duplicate_and_flip],
    "q02_random_flip": [lesson_flip_labels, permutation_flip_labels],
    "q02_accuracy_drop": [_lesson_accuracy_drop()],
    "q02_cheapest_budget": [_lesson_cheapest_fraction(), float(np.arange(0.05, 0.5, 0.05)[2])],
}


test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)


def test_a_wrong_answer_gets_a_hint_not_the_answer(capsys):
    check("q02_random_flip", _first_rows_flip)
    out = capsys.readouterr().out
    assert "same rows" in out
