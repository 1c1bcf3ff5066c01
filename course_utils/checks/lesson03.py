"""Checks of exercise 03, testing the impact."""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..metrics import attack_success_rate
from ..models import make_model
from . import NotAnswered, Wrong, call_answer, expect_number, fresh_rng, question, show
from ._reference import judge_sentence, mentions, positions, run_learner, toy

EXERCISE = "03_testing_the_impact"
COPIED = "This is a great product, I am very satisfied."
PROBE = "I really love this!"


def _is_nan(value):
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


@question("q03_success_rate", exercise=EXERCISE, answer_name="success_rate",
          prompt="success_rate(y_true, y_pred, source_label, target_label): share of source rows predicted target")
def _success_rate(answer):
    rng = fresh_rng(3)  # a secret seed in the batch grader
    for size in (10, 57):
        y_true = rng.choice(["pos", "neg", "mid"], size=size)
        y_true[:3] = ["pos", "neg", "mid"]
        y_pred = rng.choice(["pos", "neg", "mid"], size=size)
        value = expect_number(run_learner(answer, y_true, y_pred, "pos", "neg"), "success_rate(...)")
        expected = attack_success_rate(y_true, y_pred, "neg", "pos")
        if abs(value - expected) > 1e-9:
            overall = float(np.mean(y_pred == "neg"))
            if abs(value - overall) < 1e-9:
                raise Wrong("You counted every row predicted as the target; count only rows whose true "
                            "label is source_label.")
            if abs(value - attack_success_rate(y_true, y_pred, "pos", "neg")) < 1e-9:
                raise Wrong("source_label and target_label are swapped: you measured the share of target_label "
                            "rows predicted as source_label (course_utils.metrics.attack_success_rate takes "
                            "target_label before source_label).")
            raise Wrong(f"On a fresh test of {size} rows your rate is {value:.3f}; recount: among rows whose "
                        "true label is source_label, the share predicted target_label.")
    as_lists = expect_number(run_learner(answer, ["pos", "pos", "neg"], ["neg", "pos", "neg"], "pos", "neg"),
                             "success_rate on lists")
    if abs(as_lists - 0.5) > 1e-9:
        raise Wrong("Your function should accept plain lists as well as arrays.")
    try:
        with warnings.catch_warnings():  # numpy's "Mean of empty slice", on the way to the nan asked for
            warnings.simplefilter("ignore", RuntimeWarning)
            result, _ = call_answer(answer, ["neg", "neg"], ["neg", "neg"], "pos", "neg")
    except (ValueError, ZeroDivisionError):
        result = math.nan
    if result is not None and not _is_nan(result):
        raise Wrong("With no rows of the source class the rate is undefined: return nan or raise ValueError, "
                    f"not {show(result)}.")
    return "Counts only the attacker's victims, on arrays and lists, and refuses an empty victim set."


@question("q03_flipped", exercise=EXERCISE, answer_name="flipped_indices",
          prompt="flipped_indices(clean_pred, poisoned_pred) lists the rows whose prediction changed")
def _flipped(answer):
    rng = fresh_rng(5)  # a secret seed in the batch grader
    clean = rng.choice(["positive", "negative"], size=40)
    poisoned = clean.copy()
    poisoned[[2, 17, 39]] = np.where(clean[[2, 17, 39]] == "positive", "negative", "positive")
    got = positions(run_learner(answer, clean, poisoned), "flipped_indices(...)", len(clean))
    if got != [2, 17, 39]:
        if sorted(got) == [2, 17, 39]:
            raise Wrong("The right rows, but list them in increasing order.")
        raise Wrong(f"{len(got)} rows reported, expected 3: compare the two prediction arrays row by row.")
    same = positions(run_learner(answer, list(clean), list(clean)), "flipped_indices(same, same)", len(clean))
    if len(same):
        raise Wrong("Two identical prediction lists should give an empty result.")
    return "Finds exactly the changed rows, in order."


@question("q03_cheapest_copies", exercise=EXERCISE, answer_name="cheapest_copies",
          prompt="fewest negative copies of the second toy sentence that turn 'I really love this!' negative")
def _cheapest_copies(answer):
    value = expect_number(answer, "cheapest_copies")
    clean_data, _ = toy()
    expected = None
    for copies in range(0, 50):
        data = list(clean_data) + [(COPIED, "negative")] * copies
        texts, labels = zip(*data)
        if make_model().fit(texts, labels).predict([PROBE])[0] == "negative":
            expected = copies
            break
    if expected is None:  # pragma: no cover - the toy data make this impossible
        raise NotAnswered("the reference computation found no number of copies; report this to the course authors")
    if value == expected:
        return f"{expected} poisoned copies of one sentence are enough to flip an unseen positive sentence."
    if value > expected:
        raise Wrong("Fewer copies already flip the prediction; try every count from 1 upwards.")
    raise Wrong("With that many copies the model still predicts positive.")


@question("q03_explanation", exercise=EXERCISE, answer_name="explanation",
          prompt="a sentence on the reference's impact test, with its accuracies and poisoned rows")
def _explanation(answer):
    return judge_sentence(answer, "explanation", [
        (lambda text: mentions(text, 1.0, 1e-9) or "100%" in text, "the clean model's test accuracy"),
        (lambda text: mentions(text, 0.5, 1e-9), "the poisoned model's test accuracy"),
        (lambda text: mentions(text, 2, 0) or "two" in text.lower(), "how many poisoned rows were added"),
        (lambda text: "positive" in text.lower(), "what the poisoned model still predicts for the poisoned sentences"),
    ], correct="States the key numbers and what really flipped.")
