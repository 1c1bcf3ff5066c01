"""Checks of exercise 05, data validation and sanitization."""

from __future__ import annotations

import math

import numpy as np

from ..attacks import backdoor
from ..data import load_toy
from ..detect import PRECOMPUTED, ConfidentLearningDetector, DataAudit
from ..experiment import split_data
from ..metrics import detection_scores
from . import Wrong, fresh_rng, question, show
from ._reference import positions, run_learner, sentiment, unpack

EXERCISE = "05_data_validation_and_sanitization"


@question("q05_conflict_audit", exercise=EXERCISE, answer_name="conflicting_rows",
          prompt="conflicting_rows(texts, labels) lists the rows of near duplicates that disagree on their label")
def _conflict_audit(answer):
    clean_data, _ = load_toy()
    toy_texts = [t for t, _ in clean_data] + [clean_data[0][0], clean_data[4][0]]
    toy_labels = [label for _, label in clean_data] + ["negative", "negative"]
    cases = [
        ("the reference's poisoned toy set", toy_texts, toy_labels),
        ("a set with case and punctuation variants",
         ["Great food!", "great food", "GREAT   food...", "Slow service.", "slow service", "Fine.", "fine",
          "I loved it", "a"],
         ["pos", "neg", "pos", "neg", "neg", "pos", "pos", "pos", "neg"]),
        ("a set without conflicts", ["one two", "three four", "one two", "five six"], ["a", "b", "a", "b"]),
        ("a set whose one-letter words differ", ["a good day", "I good day", "good day x"], ["p", "n", "p"]),
    ]
    for name, texts, labels in cases:
        got = sorted(positions(run_learner(answer, texts, labels), "conflicting_rows(...)", len(texts)))
        expected = DataAudit().fit(texts, labels).flag().tolist()
        if got != expected:
            if sorted(set(got)) == expected:
                raise Wrong(f"On {name}: the right rows, but some are listed more than once; list each row once.")
            if set(expected) and set(got) and set(got) < set(expected):
                hint = ("some rows of a conflicting group are missing: flag every row of the group, the "
                        "originals as well as the copies")
            elif set(got) > set(expected):
                hint = "it flags rows whose copies all carry the same label; only groups with two or more labels count"
            else:
                hint = ("normalise each text before comparing: lower-case it and keep only its words of two "
                        "or more letters or digits, joined by single spaces")
            raise Wrong(f"On {name}: {len(got)} rows flagged, expected {len(expected)}; {hint}.")
    return "Finds every row of every group of near duplicates with conflicting labels, as DataAudit does."


def _three_scores(result):
    message = "precision_recall_f1 should return three numbers: (precision, recall, f1)."
    if isinstance(result, np.ndarray) and result.shape == (3,):  # unpacks like a tuple of three
        result = result.tolist()
    values = []
    for value in unpack(result, 3, message):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise Wrong(message)
        values.append(float(value))
    return values


def _scores(flagged, poisoned):
    reference = detection_scores(flagged, poisoned)
    return [reference["precision"], reference["recall"], reference["f1"]]


@question("q05_detection_scores", exercise=EXERCISE, answer_name="precision_recall_f1",
          prompt="precision_recall_f1(flagged, poisoned) grades flagged rows against the poisoned ones")
def _detection_scores(answer):
    rng = fresh_rng(5)  # a secret seed in the batch grader
    cases = [([1, 2, 3, 4], [3, 4, 5]), ([], [0, 1]), ([7, 8], []), ([9], [1, 2]), (np.array([4, 2, 2, 9]), [2, 9])]
    for _ in range(3):
        flagged = rng.choice(200, size=int(rng.integers(1, 60)), replace=False)
        poisoned = rng.choice(200, size=int(rng.integers(1, 60)), replace=False)
        cases.append((flagged.tolist(), poisoned.tolist()))
    for flagged, poisoned in cases:
        got = _three_scores(run_learner(answer, flagged, poisoned))
        expected = _scores(flagged, poisoned)
        where = f"With flagged={show(flagged)} and poisoned={show(poisoned)}"
        if any(math.isnan(v) for v in got):
            raise Wrong(f"{where} you return NaN: when nothing is flagged precision is 0, when nothing was poisoned "
                        "recall is 1, and F1 is 0 when both precision and recall are 0.")
        if np.allclose(got, expected, atol=1e-9):
            continue
        if np.allclose(got, [expected[1], expected[0], expected[2]], atol=1e-9):
            raise Wrong("Precision and recall are swapped: precision divides by the flagged rows, recall by "
                        "the poisoned rows.")
        if np.allclose(got[:2], expected[:2], atol=1e-9):
            raise Wrong("Precision and recall are right but F1 is not: F1 is their harmonic mean.")
        once = (list(dict.fromkeys(int(i) for i in flagged)), list(dict.fromkeys(int(i) for i in poisoned)))
        if (len(once[0]), len(once[1])) != (len(flagged), len(poisoned)):
            again = _three_scores(run_learner(answer, *once))
            if np.allclose(again, expected, atol=1e-9):
                raise Wrong(f"{where} your scores count the repeated row twice: count each row once, even when "
                            "it is listed twice.")
        raise Wrong(f"{where} the scores are not right yet: precision is the share of flagged rows that were "
                    "poisoned, recall the share of poisoned rows that were flagged.")
    return "Right on random sets and on the edge cases (nothing flagged, nothing poisoned, repeats)."


@question("q05_thresholds", exercise=EXERCISE, answer_name="per_class_thresholds",
          prompt="per_class_thresholds(probabilities, given) computes confident learning's per-class thresholds")
def _thresholds(answer):
    rng = fresh_rng(11)  # a secret seed in the batch grader
    for n_rows, n_classes in ((40, 2), (60, 3), (25, 4), (12, 2)):
        probabilities = rng.dirichlet(np.ones(n_classes) * 0.7, size=n_rows)
        given = np.concatenate([np.arange(n_classes), rng.integers(0, n_classes, n_rows - n_classes)])
        rng.shuffle(given)
        got = run_learner(answer, probabilities, given)
        try:
            got = np.asarray(got, dtype=float).ravel()
        except (TypeError, ValueError):
            raise Wrong("per_class_thresholds should return one number per class (a list or an array).") from None
        detector = ConfidentLearningDetector(estimators=PRECOMPUTED).fit([f"row {i}" for i in range(n_rows)], given,
                                                                         probabilities=probabilities)
        expected = detector.thresholds_
        if got.shape != expected.shape:
            raise Wrong(f"With {n_classes} classes you returned {got.size} numbers; give one threshold per class.")
        if not np.allclose(got, expected, atol=1e-9):
            column_means = probabilities.mean(axis=0)
            if np.allclose(got, column_means, atol=1e-9):
                raise Wrong("You averaged each class's column over every row; average it only over the rows whose "
                            "given label is that class.")
            raise Wrong(f"For a {n_rows} x {n_classes} matrix your thresholds differ from confident learning's: "
                        "t_j is the mean probability of class j over the rows labelled j.")
    return "Matches ConfidentLearningDetector's thresholds_ on random probability matrices."


_MYSTERY_TRIGGER = "".join(["k", "q"])  # not written out, so that reading the exercise does not give it away


def mystery_backdoor():
    """The backdoored training set of the exercise: ``(texts, labels)``, its trigger undisclosed.

    The shared experiment's split with seed 4, with a 1% backdoor towards ``"negative"``.
    """
    data = sentiment()
    train_texts, _, train_labels, _ = split_data(data.texts, data.labels, 0.25, 4)
    poisoned = backdoor(train_texts, train_labels, 0.01, target_label="negative", trigger=_MYSTERY_TRIGGER,
                        random_state=4)
    return poisoned.texts, poisoned.labels


@question("q05_find_trigger", exercise=EXERCISE, answer_name="trigger_token",
          prompt="the trigger token planted in mystery_backdoor()'s training set")
def _find_trigger(answer):
    if not isinstance(answer, str):
        raise Wrong(f"trigger_token should be one word, as a string; got {type(answer).__name__}.")
    token = answer.strip().lower()
    if token == _MYSTERY_TRIGGER:
        return "That is the planted trigger: every row holding it is labelled negative against its own words."
    if token == "cf":
        raise Wrong("'cf' is the lesson's trigger; this set hides another one. Look at this set's token table.")
    texts, _ = mystery_backdoor()
    if not any(token in text.lower().split() for text in texts):
        raise Wrong(f"{show(answer)} does not occur in the set as a word.")
    raise Wrong(f"{show(answer)} occurs in the set but is not the trigger: a sentiment word's rows agree with "
                "their label; look for a token whose rows carry one label that the rest of their words contradict.")
