"""Lesson 02 (label-flip poisoning), run with papermill on non-default parameters.

The invariants the lesson teaches: the reference's duplicate-and-flip step, run exactly, prints
"Test accuracy (poisoned): 0.5" and course_utils.attacks.duplicate_flip rebuilds its poisoned set;
on the real data, random flips of 30% of the labels lower mean accuracy clearly below the
unpoisoned model's; a targeted flip does more harm than random flips of as many rows; and
duplicate-and-flip spread over both classes barely hurts, while aimed at one class it raises the
attack success rate.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "02_label_flip_poisoning"
SEEDS = [5, 6, 7, 8, 9]


def _check_reference(record):
    assert record["reference_clean_accuracy"] == 1.0
    assert record["reference_poisoned_accuracy"] == 0.5
    assert record["duplicate_flip_matches_reference"] is True
    assert record["duplicate_flip_rebuilt_accuracy"] == 0.5
    assert record["changed_toy_sentences"] == ["I really love this!"]
    assert record["attacks_leave_inputs_unchanged"] is True


def test_random_flips_at_30_percent_lower_accuracy_on_other_seeds(run_lesson):
    record = run_lesson(LESSON, seed=3, seeds=SEEDS, fractions=[0.0, 0.1, 0.3], headline_fraction=0.3)
    assert record["seeds"] == SEEDS and record["headline_fraction"] == 0.3
    assert record["fractions"] == [0.0, 0.1, 0.3]
    _check_reference(record)

    # the invariant: random flips at 30% lower mean accuracy measurably below the unpoisoned model
    drop = record["accuracy_drop"]["random-flip"]
    assert drop["mean"] > 0.07
    assert drop["low"] > 0.03  # the paired 95% interval excludes no effect
    assert record["random_flip_accuracy_high"] < record["clean_accuracy_low"]
    assert record["random_flip_accuracy_mean"] == pytest.approx(record["clean_accuracy_mean"] - drop["mean"], abs=1e-9)
    assert record["clean_accuracy_mean"] > 0.78

    # accuracy falls with the fraction
    random_curve = {float(k): v for k, v in record["accuracy_by_fraction"]["random-flip"].items()}
    assert random_curve[0.0] == pytest.approx(record["clean_accuracy_mean"], abs=1e-12)
    assert random_curve[0.0] > random_curve[0.1] > random_curve[0.3]

    # a targeted flip of as many rows hurts more, and succeeds on its target
    assert record["accuracy_drop"]["targeted-flip"]["mean"] > drop["mean"]
    assert record["attack_success_rate"]["targeted-flip"]["mean"] > 0.8
    assert record["clean_attack_success_rate"] < 0.3

    # duplicate-and-flip spread over both classes barely hurts: far less than random flips
    spread = record["accuracy_drop"]["duplicate-flip"]["mean"]
    assert spread < 0.06 and spread < drop["mean"] / 2
    assert record["duplicate_twin_kept_share"] == 1.0
    # aimed at one class it hurts more and raises attack success, but less than a targeted flip
    aimed = "duplicate-flip, aimed"
    assert record["accuracy_drop"][aimed]["mean"] > spread
    assert record["attack_success_rate"][aimed]["low"] > record["clean_attack_success_rate"] + 0.15
    assert record["attack_success_rate"][aimed]["mean"] < record["attack_success_rate"]["targeted-flip"]["mean"]


def test_other_fraction_grid_and_swapped_target(run_lesson):
    """A headline fraction missing from the grid is added; the aimed attacks work the other way round too."""
    record = run_lesson(LESSON, seeds=SEEDS, fractions=[0.05, 0.3], headline_fraction=0.2,
                        source_label="negative", target_label="positive")
    assert record["fractions"] == [0.0, 0.05, 0.2, 0.3]
    assert record["source_label"] == "negative" and record["target_label"] == "positive"
    _check_reference(record)
    assert record["accuracy_drop"]["random-flip"]["mean"] > 0.03
    for attack in ("targeted-flip", "duplicate-flip, aimed"):
        assert record["attack_success_rate"][attack]["mean"] > record["clean_attack_success_rate"] + 0.15
