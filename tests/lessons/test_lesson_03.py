"""Lesson 03 (testing the impact), run with papermill on non-default parameters.

The invariants the lesson teaches: the reference's impact test, run exactly, prints the
predictions it prints, and contradicts its own prose: the two poisoned sentences stay positive
while the unseen "I really love this!" flips to negative (the prior moved; the words did not);
a class-wide targeted flip shows in per-class recall and attack success rate, and the lesson's
inline loop agrees with course_utils.experiment.sweep; and a subpopulation attack keeps overall
test accuracy within a small margin while its attack success rate on the chosen topic is high and
far above the clean model's, where a class-wide flip of as many rows achieves little.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "03_testing_the_impact"
SEEDS = [5, 6, 7, 8, 9]


def _check_reference(record):
    assert record["reference_clean_predictions"] == ["positive", "negative", "positive", "positive"]
    assert record["reference_poisoned_predictions"] == ["negative", "negative", "positive", "positive"]
    assert record["reference_poisoned_stay_positive"] is True
    assert record["reference_flipped"] == ["I really love this!"]
    p_poisoned = record["reference_poisoned_p_positive"]
    assert p_poisoned[0] < 0.5 and p_poisoned[2] > 0.5 and p_poisoned[3] > 0.5
    # every sentence moved towards negative, but only the short unseen one crossed the line
    assert all(after < before for before, after in zip(record["reference_clean_p_positive"], p_poisoned))
    assert record["reference_prior_after"] < 0


def _check_hidden(record, word):
    sub = record["subpopulation"]
    assert record["subpopulation_word"] == word
    assert sub["fraction_mean"] < 0.04  # a few dozen training rows
    assert sub["test_victims_mean"] >= 8
    # high success on the topic, far above the clean model's
    assert sub["topic_ASR_poisoned"]["mean"] > 0.8
    assert sub["topic_ASR_poisoned"]["mean"] - sub["topic_ASR_clean_model"]["mean"] > 0.5
    # ... while overall accuracy stays within a small margin
    assert sub["accuracy_gap"] <= 0.03
    assert sub["accuracy_drop"]["mean"] == pytest.approx(sub["accuracy_gap"], abs=1e-9)
    assert abs(sub["outside_topic_accuracy_clean"] - sub["outside_topic_accuracy_poisoned"]) <= 0.01
    assert record["hidden_attack_criterion"] is True
    # the lesson's success rate on the topic is measure_attack_success on the topic's test sentences
    assert record["topic_asr_agrees_with_measure_attack_success"] is True
    # the class-level success rate barely moves, and a class-wide flip of as many rows does little on the topic
    assert sub["class_level_ASR_poisoned"]["mean"] < 0.35
    assert sub["class_wide_flip_topic_ASR"]["mean"] < sub["topic_ASR_poisoned"]["mean"] - 0.4
    assert abs(sub["class_wide_flip_accuracy"]["mean"] - sub["clean_accuracy"]["mean"]) <= 0.03
    # the topic word becomes one of the model's strongest words towards the target
    assert sub["word_rank_towards_negative"] <= 3
    assert sub["word_weight_after"] < sub["word_weight_before"] - 2


def test_impact_tests_on_other_seeds_fraction_and_topic(run_lesson):
    record = run_lesson(LESSON, seed=2, seeds=SEEDS, fraction=0.2, candidate_words=["food", "service", "phone"],
                        subpopulation_word="food")
    assert record["seeds"] == SEEDS and record["fraction"] == 0.2
    _check_reference(record)

    flip = record["targeted_flip"]
    assert record["inline_agrees_with_sweep"] is True
    assert flip["poisoned_accuracy"] < flip["clean_accuracy"] - 0.1
    assert flip["attack_success_rate"] > flip["clean_attack_success_rate"] + 0.3
    # with two classes the attack success rate is one minus the source class's recall
    assert flip["attack_success_rate"] == pytest.approx(1 - flip["recall positive"], abs=1e-9)
    assert flip["recall negative"] > flip["recall positive"]
    assert flip["precision negative"] < flip["precision positive"]

    assert set(record["by_candidate"]) == {"food", "service", "phone"}
    _check_hidden(record, "food")


def test_the_default_topic_on_other_seeds(run_lesson):
    record = run_lesson(LESSON, seeds=SEEDS, candidate_words=["service"])
    _check_reference(record)
    assert record["inline_agrees_with_sweep"] is True
    _check_hidden(record, "service")
