"""Lesson 04 (backdoor triggers), run with papermill on non-default parameters.

The invariant the lesson teaches: a rare-token backdoor in a few percent of the
training sentences makes triggered sentences read as the target class (attack
success rate high, far above the clean model's), while clean accuracy, measured
on a test set without the trigger, stays within a small margin of the
unpoisoned model's. A common word already in the data makes a far weaker
trigger. The lesson's inline computations must agree with course_utils.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "04_backdoor_triggers"


def _check_inline_agrees(record):
    walk = record["walkthrough"]
    # the lesson's own steps give what course_utils.experiment.run_experiment gives
    assert walk["inline_agrees_with_run_experiment"] is True
    assert walk["inline_attack_success_rate"] == pytest.approx(walk["run_experiment_attack_success_rate"], abs=1e-12)
    # ... and what course_utils.attacks.measure_attack_success gives
    assert walk["inline_agrees_with_measure_attack_success"] is True
    # the Naive Bayes margin rule predicts the measured success rate exactly
    assert walk["margin_predicted_attack_success_rate"] == pytest.approx(walk["inline_attack_success_rate"], abs=1e-12)
    # the count-matrix shortcut of section 6 (the twin of sweep's) gives the counts of the backdoored sentences
    assert record["shortcut_matches_backdoored_counts"] is True
    # the relabel-only control of section 6 relabels exactly the backdoor's rows
    assert record["relabel_control_same_rows"] is True


def test_rare_trigger_backdoor_on_other_seeds_trigger_and_fraction(run_lesson):
    seeds = [5, 6, 7, 8, 9]
    record = run_lesson(LESSON, seed=3, seeds=seeds, trigger="zq", headline_fraction=0.05,
                        fractions=[0.0, 0.01, 0.05], common_triggers=["the"])
    assert record["trigger"] == "zq" and record["seeds"] == seeds
    assert record["headline_fraction"] == 0.05
    assert record["by_trigger"]["zq"]["sentences_in_data"] == 0  # a token the clean data never uses

    # the backdoor works: high success, far above the clean model's baseline
    assert record["attack_success_rate_mean"] > 0.8
    assert record["attack_success_rate_low"] > 0.75
    assert record["attack_success_rate_mean"] - record["clean_attack_success_rate_mean"] > 0.5
    # ... and clean accuracy cannot see it
    assert abs(record["clean_accuracy_mean"] - record["poisoned_accuracy_mean"]) <= 0.03
    assert record["accuracy_gap"] <= 0.03
    assert record["criterion_holds"] is True
    assert record["walkthrough"]["same_answer_on_clean_test"] > 0.9

    # the trigger becomes the model's strongest word towards the target
    assert record["walkthrough"]["trigger_rank"] == 1
    assert record["walkthrough"]["trigger_log_ratio"] > 2.0

    # success grows with the fraction; at fraction 0 it is the clean model's baseline
    by_fraction = {float(k): v for k, v in record["attack_success_rate_by_fraction"].items()}
    assert sorted(by_fraction) == [0.0, 0.01, 0.05]
    assert by_fraction[0.0] == pytest.approx(record["clean_attack_success_rate_mean"], abs=1e-12)
    assert by_fraction[0.0] < by_fraction[0.01] < by_fraction[0.05]

    # a common word is a far weaker trigger at the same fraction
    common = record["by_trigger"]["the"]
    assert common["sentences_in_data"] > 1000
    assert common["attack_success_rate_mean"] < record["attack_success_rate_mean"] - 0.3
    assert common["log_ratio"] < record["by_trigger"]["zq"]["log_ratio"] / 4

    # the second model is backdoored too, at no visible cost
    second = record["second_model"]
    assert second["model"] == "tfidf-logreg"
    assert second["attack_success_rate_mean"] > 0.8
    assert abs(second["clean_accuracy_mean"] - second["poisoned_accuracy_mean"]) <= 0.03

    _check_inline_agrees(record)


def test_course_criterion_holds_for_a_positive_target(run_lesson):
    """The course's criterion at a 3% fraction, on other seeds, with the attacker targeting 'positive'."""
    record = run_lesson(LESSON, seeds=[5, 6, 7, 8, 9], target_label="positive", fractions=[0.0, 0.03],
                        common_triggers=["movie"])
    assert record["target_label"] == "positive" and record["headline_fraction"] == 0.03
    assert record["attack_success_rate_mean"] > 0.8
    assert record["accuracy_gap"] <= 0.03
    assert record["criterion_holds"] is True
    assert record["by_trigger"]["movie"]["attack_success_rate_mean"] < record["attack_success_rate_mean"] - 0.3
    _check_inline_agrees(record)
