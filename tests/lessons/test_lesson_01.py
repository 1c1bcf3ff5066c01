"""Lesson 01 (clean training), run with another seed, other seeds and another test size.

The lesson's invariants: the reference's toy evaluation prints accuracy 1.0, but its second
test sentence is an exact tie broken by sorted class order (rename the labels and the score
halves); on the real data the same pipeline is far above chance, its errors add up in the
confusion matrix, it leans on sentiment words, and the lesson's inline code agrees with
course_utils.experiment.run_experiment on every seed.
"""

import math

import pytest

SEED = 3
SEEDS = [3, 4, 5, 6, 7, 8]
TEST_SIZE = 0.3


@pytest.mark.notebook
def test_clean_training_invariants(run_lesson):
    record = run_lesson("01_clean_training", seed=SEED, seeds=SEEDS, test_size=TEST_SIZE, n_words=12)
    assert record["seed"] == SEED and record["seeds"] == SEEDS and record["test_size"] == TEST_SIZE

    # The reference's steps 1 and 2, exactly: same data as load_toy, accuracy 1.0.
    assert record["toy_matches_load_toy"] is True
    assert record["toy_test_accuracy"] == 1.0

    # ... resting on an exact tie, broken by the first class in sorted order.
    p_negative, p_positive = record["tie_probabilities"]
    assert record["toy_classes"] == ["negative", "positive"]
    assert p_negative == p_positive
    assert math.isclose(p_negative, 0.5, abs_tol=1e-12)
    assert record["tie_is_exact"] is True and record["tie_exact_fractions_equal"] is True
    assert record["tie_log_difference"] == 0.0
    assert record["tie_prediction"] == "negative" == record["toy_classes"][0]
    # The first sentence is decided, not tied.
    assert record["toy_probabilities"][0][1] > 0.6
    # Renaming the labels (positive sorts first) flips the tie and halves the score.
    assert record["renamed_classes"] == ["happy", "unhappy"]
    assert record["renamed_tie_prediction"] == "happy"
    assert record["renamed_accuracy"] == 0.5
    # Two test sentences cannot rule out a coin toss.
    low, high = record["toy_interval"]
    assert low < 0.5 and high == 1.0

    # Real data: the split has the requested size, the model is far above chance.
    assert record["n_train"] + record["n_test"] == 3000
    assert record["n_test"] == round(3000 * TEST_SIZE)
    assert record["majority_share"] == 0.5
    assert record["real_accuracy"] > 0.75
    matrix = record["confusion_matrix"]
    assert record["confusion_labels"] == ["negative", "positive"]
    assert sum(map(sum, matrix)) == record["n_test"]
    assert math.isclose((matrix[0][0] + matrix[1][1]) / record["n_test"], record["real_accuracy"])
    for label, scores in record["per_class"].items():
        assert scores["precision"] > 0.7 and scores["recall"] > 0.7, (label, scores)

    # The words the model leans on are sentiment words, with the right sign.
    assert len(record["top_positive_words"]) == len(record["top_negative_words"]) == 12
    assert all(d > 0 for d in record["top_positive_differences"])
    assert all(d < 0 for d in record["top_negative_differences"])
    assert {"great", "excellent", "wonderful", "nice", "loved", "awesome", "perfect"} & set(record["top_positive_words"])
    assert {"bad", "worst", "waste", "poor", "horrible", "terrible"} & set(record["top_negative_words"])

    # Spread over seeds, and agreement with the shared experiment on every seed.
    by_seed = record["accuracy_by_seed"]
    assert list(by_seed) == [str(s) for s in SEEDS]
    assert by_seed[str(SEED)] == record["real_accuracy"]
    assert record["run_experiment_accuracy_by_seed"] == by_seed
    assert record["run_experiment_agrees"] is True
    assert record["accuracy_low"] < record["accuracy_mean"] < record["accuracy_high"]
    assert record["accuracy_low"] > 0.75
    assert min(by_seed.values()) <= record["accuracy_mean"] <= max(by_seed.values())
