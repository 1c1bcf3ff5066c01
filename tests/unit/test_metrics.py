"""course_utils.metrics."""

import math

import numpy as np
import pytest
from scipy import stats

from course_utils.metrics import (DIFFERENCE, PROPORTION, accuracy, attack_success_rate, detection_scores,
                                  mean_interval, seed_spread)


def test_accuracy():
    assert accuracy(["a", "b", "a", "b"], ["a", "b", "b", "b"]) == 0.75
    with pytest.raises(ValueError, match="y_pred has 1 entries"):
        accuracy(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="empty"):
        accuracy([], [])


def test_attack_success_rate_targeted_counts_only_source_rows():
    y_true = ["pos", "pos", "pos", "pos", "neg", "neg"]
    y_pred = ["neg", "neg", "pos", "pos", "neg", "neg"]
    assert attack_success_rate(y_true, y_pred, "neg", "pos") == 0.5


def test_attack_success_rate_backdoor_counts_all_non_target_rows():
    y_true = ["pos", "pos", "mid", "neg"]
    y_pred = ["neg", "pos", "neg", "neg"]
    assert attack_success_rate(y_true, y_pred, "neg") == pytest.approx(2 / 3)


def test_attack_success_rate_errors():
    with pytest.raises(ValueError, match="no rows of y_true are labelled 'x'"):
        attack_success_rate(["a", "b"], ["a", "b"], "a", "x")
    with pytest.raises(ValueError, match="must differ"):
        attack_success_rate(["a", "b"], ["a", "b"], "a", "a")
    with pytest.raises(ValueError, match="not labelled 'a'"):
        attack_success_rate(["a", "a"], ["a", "a"], "a")


def test_detection_scores():
    scores = detection_scores([1, 2, 3, 4], [3, 4, 5, 6, 7, 8])
    assert scores["precision"] == 0.5 and scores["recall"] == pytest.approx(2 / 6)
    assert scores["f1"] == pytest.approx(2 * 0.5 * (1 / 3) / (0.5 + 1 / 3))
    assert scores["n_flagged"] == 4
    assert detection_scores([], [1])["f1"] == 0.0
    assert detection_scores([], [])["recall"] == 1.0
    assert detection_scores(np.array([2, 2, 5]), [5])["n_flagged"] == 2
    with pytest.raises(TypeError, match="flagged_indices"):
        detection_scores([0.5], [1])
    with pytest.raises(ValueError, match="poisoned_indices must be non-negative"):
        detection_scores([1], [-1])


def test_mean_interval_matches_student_t():
    values = [0.8, 0.82, 0.79, 0.85, 0.81]
    mean, low, high = mean_interval(values)
    expected = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert mean == pytest.approx(np.mean(values))
    assert (low, high) == pytest.approx(expected)
    assert mean_interval([1.0, 1.0, 1.0]) == (1.0, 1.0, 1.0)
    single = mean_interval([0.5])
    assert single[0] == 0.5 and math.isnan(single[1]) and math.isnan(single[2])


def test_mean_interval_stays_in_the_metrics_range():
    # A t interval around 0.996 reaches past 1; the course's interval is cut at the metric's range.
    values = [1.0, 1.0, 0.99, 1.0, 0.99]
    mean, low, high = mean_interval(values)
    t_low, t_high = stats.t.interval(0.95, 4, loc=np.mean(values), scale=stats.sem(values))
    assert t_high > 1.0 and high == 1.0 and low == pytest.approx(t_low) and low <= mean <= high
    drops = [-0.01, 0.0, 0.01, -0.02, 0.015]
    assert mean_interval(drops, bounds=DIFFERENCE)[1] == pytest.approx(
        stats.t.interval(0.95, 4, loc=np.mean(drops), scale=stats.sem(drops))[0])
    assert mean_interval([-1.0, -0.9], bounds=DIFFERENCE)[1] == -1.0
    assert mean_interval([5.0, 7.0, 9.0], bounds=None)[2] > 9.0
    assert PROPORTION == (0.0, 1.0)


@pytest.mark.parametrize("values, confidence, bounds, error, message", [
    ([], 0.95, PROPORTION, ValueError, "non-empty"), ([1.0, float("nan")], 0.95, PROPORTION, ValueError, "NaN"),
    ([0.5, 0.6], 1.5, PROPORTION, ValueError, "confidence"),
    ([-0.01, 0.02], 0.95, PROPORTION, ValueError, r"outside bounds \(0.0, 1.0\).*DIFFERENCE"),
    ([0.1, 0.2], 0.95, (1, 0), ValueError, "low < high"), ([0.1, 0.2], 0.95, "01", TypeError, "bounds"),
    ("0.5", 0.95, PROPORTION, TypeError, "values"),
])
def test_mean_interval_errors(values, confidence, bounds, error, message):
    with pytest.raises(error, match=message):
        mean_interval(values, confidence, bounds=bounds)


def test_seed_spread_is_the_sample_standard_deviation():
    values = [0.8, 0.82, 0.79, 0.85, 0.81]
    assert seed_spread(values) == pytest.approx(np.std(values, ddof=1))
    inputs = np.array(values)
    seed_spread(inputs)
    assert inputs.tolist() == values
    with pytest.raises(ValueError, match="at least two"):
        seed_spread([0.8])
