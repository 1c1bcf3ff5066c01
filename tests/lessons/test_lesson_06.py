"""Lesson 06 (robust learning), run with papermill on non-default parameters.

The invariants the lesson teaches: the mechanism written inline draws what DPMultinomialNB draws, and
epsilon = inf is MultinomialNB on the bounded counts; at epsilon 1 the design chosen on validation rows
keeps clearly more accuracy than the naive design (a paired gain whose interval excludes 0); the measured
attack success of k backdoored rows stays within the group-privacy bound (allowing for sampling error)
wherever the bound is below 1, and the bound becomes vacuous after a few rows; every robust trainer is
measured against all four attacks with intervals.
"""

import math

import pytest

pytestmark = pytest.mark.notebook

LESSON = "06_robust_learning"
ATTACKS = {"random-flip", "targeted-flip", "duplicate-flip", "backdoor"}


def _check_group_privacy(record):
    rows = record["group_privacy"]
    assert rows
    for row in rows:
        assert row["bound"] == pytest.approx(min(1.0, math.exp(row["steps"] * row["epsilon"]) * row["clean_asr"]))
        if row["bound"] < 1:
            # the bound holds in expectation over the noise; allow for sampling error with the intervals
            assert row["measured_low"] <= row["bound_high"] + 1e-12, row
    for epsilon, k in record["vacuous_k"].items():
        clean = next(r["clean_asr"] for r in rows if r["epsilon"] == float(epsilon))
        assert math.exp(2 * k * float(epsilon)) * clean >= 1
        assert k == 1 or math.exp(2 * (k - 1) * float(epsilon)) * clean < 1
    assert record["within_bound"] is True


def test_robust_learning_on_other_seeds(run_lesson):
    seeds = [5, 6, 7, 8, 9]
    record = run_lesson(LESSON, seeds=seeds, group_rows=[1, 3, 9], group_epsilons=[0.1, 0.5])
    assert record["seeds"] == seeds
    assert record["inline_agrees"] is True and record["inf_is_multinomial_nb"] is True
    assert record["pull"]["mean"] > 5 * record["pull"]["median"]

    # accuracy at epsilon 1: the chosen design beats the naive one, by a paired gain clear of 0
    gain = record["paired_gain_at_one"]
    assert gain["low"] > 0
    assert record["accuracy"]["best"]["1.0"]["mean"] > record["accuracy"]["naive"]["1.0"]["mean"]
    for design in ("naive", "best"):
        curve = record["accuracy"][design]
        assert {"0.1", "0.3", "1.0", "3.0", "10.0", "inf"} <= set(curve)
        assert curve["0.1"]["mean"] < curve["inf"]["mean"]
        assert all(v["low"] <= v["mean"] <= v["high"] for v in curve.values())
    _check_group_privacy(record)

    # every robust trainer against every attack, with intervals
    trainers = {key.split(" | ")[0] for key in record["robust"]}
    assert len(trainers) == 8
    for name in trainers:
        for attack in ATTACKS:
            value = record["robust"][f"{name} | {attack}"]["poisoned_accuracy"]
            assert value[1] <= value[0] <= value[2]
