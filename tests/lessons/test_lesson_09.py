"""Lesson 09 (monitoring and incremental learning), run with papermill on non-default parameters.

The invariants the lesson teaches: the online Naive Bayes is scikit-learn's MultinomialNB.partial_fit, and the
lesson's inline Page-Hinkley and batch-by-batch statistics agree with course_utils; thresholds calibrated on
clean streams keep every monitor's false-alarm rate on other clean streams at or below the calibrated rate
within its interval; a coordinated burst is caught by at least one monitor in every stream, and rolling back
to the checkpoint before the quarantined batches and replaying them without their poisoned rows brings the
canary accuracy back to within 0.02 of the unpoisoned stream's; a corrupted checkpoint is refused; the drip's
catch rate is reported against its twins' false alarms, whatever it is.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "09_monitoring_and_incremental_learning"


def test_monitoring_on_other_streams_and_rates(run_lesson):
    seeds = list(range(40, 61))
    record = run_lesson(LESSON, seed=45, seeds=seeds, calibration_seeds=list(range(2000, 2040)), alpha=0.02,
                        lookback=5, drip_rates=[2, 8, 32], drip_horizon=6, rate_limit=8)
    assert record["seeds"] == seeds and record["alpha"] == 0.02 and record["lookback"] == 5

    # the course's code agrees with what the lesson writes out
    assert record["same_as_sklearn"] is True
    assert record["inline_agrees"] is True and record["same_statistics"] is True

    # calibrated false-alarm rates hold on other clean streams, monitor by monitor
    assert record["false_alarms_within"] is True
    for name, values in record["false_alarm_check"].items():
        if name != "any":
            assert values["low"] <= 0.02, name

    # the burst: caught everywhere, rolled back to the unpoisoned stream's accuracy
    assert record["burst_caught_all"] is True and record["burst_caught"] == len(seeds)
    assert record["rollback_gap"] <= 0.02
    assert record["walkthrough"]["rollback_checkpoint"] == max(0, record["walkthrough"]["alarm_batch"] - 5 + 1)
    assert abs(record["walkthrough"]["accuracy_rolled_back"] - record["walkthrough"]["twin_accuracy"]) <= 0.02
    assert record["refused_corrupted"] is True

    # the drip, reported at every rate tried, beside its twins
    assert [row["rate"] for row in record["drip_sweep"]] == [2, 8, 32]
    for row in record["drip_sweep"]:
        assert row["streams"] == len(seeds) and 0 <= row["twin_alarm_rate"] <= 1
    assert record["drip_caught_from"] in (None, 2, 8, 32)
    assert record["slow"]["drip"]["final_attack_success"] > record["slow"]["drip"]["final_twin_attack_success"]
