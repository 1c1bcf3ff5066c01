"""Checks of exercise 07, training techniques."""

from __future__ import annotations

import hashlib
import math

import numpy as np

from ..defenses.augment import diluted_share
from ..defenses.ensembles import dpa_certificate, text_hash
from . import Wrong, expect_number, fresh_rng, question, show
from ._reference import run_learner, unpack

EXERCISE = "07_training_techniques"


def _dpa(votes):
    """The course's DPA winner and radius for one row of votes, as plain ints."""
    top, radius = dpa_certificate(np.array([votes]))
    return int(top[0]), int(radius[0])


def _vote_tables(rng):
    """Rows of votes with ties of every kind, then random ones (two and three classes)."""
    rows = [[30, 20], [20, 30], [25, 25], [26, 24], [24, 26], [10, 10, 30], [15, 20, 15], [0, 5], [5, 0],
            [1, 1], [7, 7, 7], [12, 3, 12], [3, 12, 12]]
    for _ in range(20):
        n_classes = int(rng.integers(2, 4))
        rows.append(rng.integers(0, 30, size=n_classes).tolist())
    return rows


def _winner_radius(result, votes):
    message = (f"dpa_radius should return two whole numbers, (winner, radius); for {show(votes)} it returned "
               f"{show(result)}.")
    winner, radius = unpack(result, 2, message)
    values = []
    for value in (winner, radius):
        number = expect_number(value, "winner and radius")
        if not float(number).is_integer():
            raise Wrong(f"For {show(votes)} the radius is {number:g}: it counts rows, a whole number (round down).")
        values.append(int(number))
    return tuple(values)


def _radius_rules():
    """Plausible mistakes in the radius, each as (rule(lead, runner_up_lower), hint)."""
    return [
        (lambda lead, lower: lead // 2,
         "the runner-up has the lower index, so it wins a tie and needs one vote less; subtract 1 before halving"),
        (lambda lead, lower: lead - lower,
         "one poisoned row changes one model's vote, taking one from the winner and giving it to the runner-up, "
         "so the lead shrinks by 2 per row; halve it"),
        (lambda lead, lower: -(-(lead - lower) // 2),
         "round down; at the radius itself the attacker must still fall short"),
        (lambda lead, lower: (lead - 1) // 2,
         "subtract 1 only when the runner-up has the lower index (it would win a tie); otherwise the winner "
         "wins ties"),
    ]


@question("q07_dpa_certificate", exercise=EXERCISE, answer_name="dpa_radius",
          prompt="dpa_radius(votes) gives DPA's winner and certified radius for one row of votes, ties included")
def _dpa_certificate(answer):
    rng = fresh_rng(7)  # a secret seed in the batch grader
    tables = _vote_tables(rng)
    answers = [_winner_radius(run_learner(answer, list(votes)), votes) for votes in tables]
    wrong = [(votes, got) for votes, got in zip(tables, answers) if got != _dpa(votes)]
    if not wrong:
        return "Matches the course's dpa_certificate on vote tables with ties of every kind."
    for votes, got in wrong:
        top = _dpa(votes)[0]
        if got[0] != top:
            raise Wrong(f"For the votes {show(votes)} the winner is class {top}, not {got[0]}: most votes wins, "
                        "and a tie goes to the class with the lower index.")

    def lead(votes):
        top = _dpa(votes)[0]
        second = max((c for c in range(len(votes)) if c != top), key=lambda c: (votes[c], -c))
        return votes[top] - votes[second], int(second < top)

    votes, got = wrong[0]
    where = f"For the votes {show(votes)} the radius is {_dpa(votes)[1]}, not {got[1]}"
    for rule, hint in _radius_rules():  # the mistake that explains every answer
        if all(got[1] == rule(*lead(v)) for v, got in zip(tables, answers)):
            raise Wrong(f"{where}: {hint}.")
    raise Wrong(f"{where}: it is (n_top - n_second - [second index < top index]) // 2.")


_TEXTS = ["The food was great.", "  the FOOD was   great. ", "the food was great.", "The service was slow.",
          "Terrible.\tNever again", "terrible. never again", "café au lait, très bien", "A", "x y z"]


@question("q07_partition_by_hash", exercise=EXERCISE, answer_name="partition_of",
          prompt="partition_of(text, n_partitions) picks a row's partition from SHA-256 of its normalised text")
def _partition_by_hash(answer):
    rng = fresh_rng(3)  # a secret seed in the batch grader
    for n_partitions in (50, 7, int(rng.integers(2, 200))):
        for text in _TEXTS:
            got = run_learner(answer, text, n_partitions)
            number = expect_number(got, "partition_of(...)")
            expected = text_hash(text) % n_partitions
            if number == expected:
                continue
            where = f"For {show(text)} with {n_partitions} partitions you gave {show(got)}, expected {expected}"
            if not 0 <= number < n_partitions:
                raise Wrong(f"{where}: a partition is a number from 0 to n_partitions - 1 (take the hash modulo "
                            "n_partitions).")
            raw = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
            if number == raw % n_partitions and text != " ".join(text.lower().split()):
                raise Wrong(f"{where}: normalise the text first (lower case, runs of white space made one "
                            "space, the ends stripped), so that every copy of a sentence lands with its original.")
            if number == hash(" ".join(text.lower().split())) % n_partitions or number == hash(text) % n_partitions:
                raise Wrong(f"{where}: Python's hash() of a string is salted and changes from one process to the "
                            "next; use hashlib.sha256.")
            raise Wrong(f"{where}: take SHA-256 of the normalised text encoded as UTF-8, read its first 8 bytes "
                        "as a big-endian integer, then take it modulo n_partitions.")
    return ("Every copy of a sentence lands in its original's partition, in every process; a row number would "
            "move whenever a row is inserted before it.")


@question("q07_dilution", exercise=EXERCISE, answer_name="poison_share",
          prompt="poison_share(fraction, factor, trusted_share) is the poison's share of the augmented training set")
def _dilution(answer):
    rng = fresh_rng(13)  # a secret seed in the batch grader
    cases = [(0.03, 10, None), (0.03, 10, 0.1), (0.1, 0, 0.1), (0.1, 2, None), (0.05, 4, 1.0), (0.0, 3, 0.2)]
    cases += [(float(rng.uniform(0.01, 0.4)), int(rng.integers(1, 20)), float(rng.uniform(0.05, 0.5)))
              for _ in range(4)]
    for fraction, factor, trusted in cases:
        got = expect_number(run_learner(answer, fraction, factor, trusted), "poison_share(...)")
        expected = diluted_share(fraction, factor, trusted)
        if abs(got - expected) <= 1e-9:
            continue
        where = (f"poison_share({fraction:.3g}, {factor}, {show(trusted)}) is {expected:.4f}, not "
                 f"{got:.4g}")
        if abs(got - 100 * expected) <= 1e-7:
            raise Wrong(f"{where}: give a share between 0 and 1, not a percentage.")
        if trusted is None:
            if abs(got - fraction) <= 1e-9:
                raise Wrong(f"{where}: fraction is a share of the clean rows; of the training set (clean rows and "
                            "poison) the poison is fraction / (1 + fraction).")
            raise Wrong(f"{where}: augmenting every row multiplies the poison as well, so its share does not "
                        "move with the factor.")
        if abs(got - fraction / (1 + trusted * factor)) <= 1e-9:
            raise Wrong(f"{where}: the poisoned rows are part of the training set too; count them in the "
                        "denominator.")
        if abs(got - fraction / (1 + fraction + trusted * (1 + factor))) <= 1e-9:
            raise Wrong(f"{where}: the trusted rows are already among the clean rows; augmentation adds "
                        "trusted_share * factor new rows, not trusted_share * (1 + factor).")
        if abs(got - fraction / (1 + fraction) / (1 + factor)) <= 1e-9:
            raise Wrong(f"{where}: only the trusted share is augmented, not every clean row.")
        raise Wrong(f"{where}: with n clean rows there are fraction * n poisoned rows and trusted_share * factor "
                    "* n new copies; divide the poison by the whole.")
    return "The poison's share after augmenting everything, and after augmenting only a trusted share."


def _curve_inputs(rng, n_rows):
    truth = rng.integers(0, 2, size=n_rows)
    predicted = np.where(rng.random(n_rows) < 0.75, truth, 1 - truth)
    radius = rng.integers(0, 25, size=n_rows)
    return predicted.tolist(), radius.tolist(), truth.tolist()


def _curve_mistakes():
    """Plausible mistakes, each as (share(correct, radius, r), hint)."""
    return [
        (lambda correct, radius, r: float(np.mean(radius >= r)),
         "a row counts only when its prediction is also right; a certified wrong answer is no use"),
        (lambda correct, radius, r: float(np.mean(correct & (radius > r))),
         "a radius of r means r poisoned rows cannot change the prediction, so a row with radius equal to r "
         "counts (>=, not >)"),
        (lambda correct, radius, r: float(np.mean(radius[correct] >= r)) if correct.any() else math.nan,
         "divide by every test row, not only the correct ones, so that at r=0 the curve starts at the clean "
         "accuracy"),
        (lambda correct, radius, r: float(np.sum(correct & (radius >= r))),
         "give the share of the test rows, not their count"),
    ]


@question("q07_certified_accuracy", exercise=EXERCISE, answer_name="certified_accuracy",
          prompt="certified_accuracy(predicted, radius, truth, r) is one point of a certified-accuracy curve")
def _certified_accuracy(answer):
    rng = fresh_rng(21)  # a secret seed in the batch grader
    cases = []
    for n_rows in (40, 200, 7):
        predicted, radius, truth = _curve_inputs(rng, n_rows)
        for r in (0, 1, 5, 10, 24, 30):
            got = expect_number(run_learner(answer, predicted, radius, truth, r), "certified_accuracy(...)")
            correct, radius_array = np.asarray(predicted) == np.asarray(truth), np.asarray(radius)
            cases.append((n_rows, r, correct, radius_array, got))
    wrong = [case for case in cases if abs(case[4] - float(np.mean(case[2] & (case[3] >= case[1])))) > 1e-9]
    if not wrong:
        return "Right at every radius: the curve starts at the clean accuracy and only falls."
    n_rows, r, correct, radius, got = wrong[0]
    where = (f"At r={r} on {n_rows} rows the certified accuracy is {float(np.mean(correct & (radius >= r))):.4f}, "
             f"not {got:.4g}")
    for share, hint in _curve_mistakes():  # the mistake that explains every answer
        if all(abs(g - share(c, rad, rr)) <= 1e-9 for _, rr, c, rad, g in cases):
            raise Wrong(f"{where}: {hint}.")
    raise Wrong(f"{where}: it is the share of test rows predicted right with a radius of at least r.")
