"""Checks of exercise 02, label-flip poisoning."""

from __future__ import annotations

import numpy as np

from . import Wrong, expect_number, question, show
from ._reference import as_list, match_number, run_learner, sweep_summary, toy

EXERCISE = "02_label_flip_poisoning"
SEEDS = (0, 1, 2, 3, 4)
GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45)


def _pair(result, what):
    # A tuple or a list of two unpacks the same way: `new_texts, new_labels = duplicate_and_flip(...)`.
    if not isinstance(result, (tuple, list)) or len(result) != 2:
        got = type(result).__name__ if not isinstance(result, (tuple, list)) else f"{len(result)} things"
        raise Wrong(f"{what} should return two things, (new_texts, new_labels); it returned {got}.")
    return as_list(result[0], "new_texts"), as_list(result[1], "new_labels")


@question("q02_duplicate_flip", exercise=EXERCISE, answer_name="duplicate_and_flip",
          prompt="duplicate_and_flip(texts, labels, indices, new_label) appends relabelled copies")
def _duplicate_flip(answer):
    clean_data, _ = toy()
    texts, labels = map(list, zip(*clean_data))
    new_texts, new_labels = _pair(run_learner(answer, texts, labels, [0, 4], "negative"), "duplicate_and_flip")
    reference = list(clean_data) + [(texts[0], "negative"), (texts[4], "negative")]
    if len(new_texts) != len(reference):
        raise Wrong(f"With 6 rows and 2 indices the poisoned set should have 8 rows; yours has {len(new_texts)}. "
                    "The attack appends copies; it keeps the originals.")
    if list(zip(new_texts, new_labels)) != reference:
        if new_texts[:6] != texts or new_labels[:6] != labels:
            raise Wrong("The first six rows should stay exactly as they were; append the copies after them.")
        raise Wrong("The appended rows should be copies of the chosen texts, in the order of indices, "
                    "labelled new_label.")
    # Fresh inputs, a repeated index, an array of labels and no indices at all.
    fresh_texts = ["alpha", "beta", "gamma", "delta"]
    fresh_labels = np.array(["x", "y", "x", "y"])
    try:
        result = run_learner(answer, fresh_texts, fresh_labels, [3, 3, 1], "x")
    except (TypeError, ValueError):
        try:
            run_learner(answer, fresh_texts, list(fresh_labels), [3, 3, 1], "x")
        except Exception:
            raise  # it fails on lists too: report the learner's own error
        raise Wrong("Your function works when labels is a list but fails when it is a NumPy array (as split_data "
                    "and load_sentiment give): make a list of it first, list(labels).") from None
    new_texts, new_labels = _pair(result, "duplicate_and_flip")
    if new_texts != fresh_texts + ["delta", "delta", "beta"] or list(new_labels) != ["x", "y", "x", "y", "x", "x", "x"]:
        raise Wrong("With indices [3, 3, 1] the function should append three copies (a repeated index "
                    "is copied twice), each labelled new_label.")
    new_texts, new_labels = _pair(run_learner(answer, fresh_texts, fresh_labels, [], "x"), "duplicate_and_flip")
    if new_texts != fresh_texts or list(new_labels) != list(fresh_labels):
        raise Wrong("With no indices the data should come back unchanged.")
    return "Reproduces the reference's poisoned set and handles repeats and an empty list of indices."


@question("q02_random_flip", exercise=EXERCISE, answer_name="flip_labels",
          prompt="flip_labels(labels, n_flips, seed) flips exactly n_flips random labels of a two-class set")
def _random_flip(answer):
    labels = np.array(["positive", "negative"] * 50)
    seen = []
    for n_flips, seed in ((30, 0), (30, 1), (0, 2), (100, 3), (1, 4)):
        flipped = as_list(run_learner(answer, labels, n_flips, seed), f"flip_labels(labels, {n_flips}, {seed})")
        if len(flipped) != len(labels):
            raise Wrong(f"flip_labels returned {len(flipped)} labels for {len(labels)} rows.")
        if set(map(str, flipped)) - {"positive", "negative"}:
            raise Wrong("A flipped label should be the other class, not a new value.")
        moved = np.asarray(flipped, dtype=str) != labels
        changed = int(np.sum(moved))
        if changed > n_flips:
            raise Wrong(f"flip_labels(labels, {n_flips}, {seed}) changed {changed} labels, more than n_flips: flip "
                        "only the rows you drew.")
        if changed < n_flips:
            if len(set(labels[moved].tolist())) == 1 and n_flips > 1:
                raise Wrong(f"flip_labels(labels, {n_flips}, {seed}) changed only {changed} labels, every one a "
                            f"{show(labels[moved][0])} row: give each drawn row the other class of its own label, "
                            "not one fixed label.")
            raise Wrong(f"flip_labels(labels, {n_flips}, {seed}) changed {changed} labels, fewer than n_flips: draw "
                        "the rows without replacement, so that no row is drawn twice.")
        seen.append(frozenset(np.flatnonzero(moved).tolist()))
    if seen[0] == seen[1]:
        raise Wrong("Seeds 0 and 1 flipped the very same rows: choose the rows at random, seeded by seed.")
    again = as_list(run_learner(answer, labels, 30, 0), "flip_labels(labels, 30, 0)")
    if frozenset(np.flatnonzero(np.asarray(again, dtype=str) != labels).tolist()) != seen[0]:
        raise Wrong("The same seed gave different rows: seed your random generator with seed.")
    return "Exactly n_flips rows, chosen at random, reproducible by seed."


@question("q02_accuracy_drop", exercise=EXERCISE, answer_name="accuracy_drop",
          prompt="mean accuracy lost to random flips at 0.3 on the real data, seeds 0 to 4")
def _accuracy_drop(answer):
    summary = sweep_summary("random-flip", (0.0, 0.3), SEEDS)
    expected = summary.loc[0.3, "clean_accuracy_mean"] - summary.loc[0.3, "poisoned_accuracy_mean"]
    return match_number(
        answer, "accuracy_drop", expected,
        correct=f"Random flips of 30% of the labels cost {expected:.3f} accuracy on average.",
        mistakes=[(-expected, "The sign is reversed: clean accuracy minus poisoned accuracy."),
                  (100 * expected, "Give the drop as a share (0 to 1), not in percentage points.", 1e-4)],
        otherwise="Average the clean and the poisoned accuracy over seeds 0 to 4 (the shared experiment's "
                  "sweep) and subtract.")


@question("q02_cheapest_budget", exercise=EXERCISE, answer_name="cheapest_fraction",
          prompt="the smallest fraction of the grid at which a targeted flip's mean success rate exceeds 0.5")
def _cheapest_budget(answer):
    value = expect_number(answer, "cheapest_fraction")
    summary = sweep_summary("targeted-flip", GRID, SEEDS)
    above = [f for f in GRID if summary.loc[f, "attack_success_rate_mean"] > 0.5]
    expected = min(above)
    if abs(value - expected) < 1e-9:
        rate = summary.loc[expected, "attack_success_rate_mean"]
        return f"At {expected:.0%} of the training set the targeted flip succeeds on {rate:.0%} of the victims."
    if not any(abs(value - f) < 1e-9 for f in GRID):
        if any(abs(value / 100 - f) < 1e-9 for f in GRID):
            raise Wrong("Give the fraction as a share between 0 and 1, as in the grid, not as a percentage.")
        raise Wrong("Answer with one of the fractions of the grid given in the question.")
    if value > expected:
        raise Wrong("A smaller fraction of the grid already succeeds more than half of the time.")
    raise Wrong("At that fraction the mean attack success rate is still 0.5 or less.")
