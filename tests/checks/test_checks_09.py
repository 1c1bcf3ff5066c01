"""Checks of exercise 09: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import numpy as np

from course_utils.checks import evaluate, questions_for
from course_utils.monitoring import calibrate_threshold, detection_delay, page_hinkley, rollback_checkpoint

from tests.checks.conftest import table_tests

EXERCISE = "09_monitoring_and_incremental_learning"


def page_hinkley_statistic(values, delta):
    x = np.asarray(values, dtype=float)
    running_mean = np.cumsum(x) / np.arange(1, len(x) + 1)
    m = np.cumsum(x - running_mean - delta)
    return m - np.minimum.accumulate(m)


def ph_loop(values, delta):  # written as a loop, the way a stream would update it
    total, low, mean, out = 0.0, 0.0, 0.0, []
    for i, x in enumerate(values):
        mean += (x - mean) / (i + 1)
        total += x - mean - delta
        low = min(low, total) if i else total
        out.append(total - low)
    return out


def ph_no_minimum(values, delta):
    x = np.asarray(values, dtype=float)
    return np.cumsum(x - np.cumsum(x) / np.arange(1, len(x) + 1) - delta)


def ph_overall_mean(values, delta):
    x = np.asarray(values, dtype=float)
    m = np.cumsum(x - x.mean() - delta)
    return m - np.minimum.accumulate(m)


def ph_no_delta(values, delta):
    return page_hinkley_statistic(values, 0.0)


def ph_short(values, delta):
    return page_hinkley_statistic(values, delta)[1:]


def quantile_linear(clean_values, alpha):
    return float(np.quantile(clean_values, 1 - alpha))


def quantile_higher(clean_values, alpha):
    return float(np.quantile(clean_values, 1 - alpha, method="higher"))


def percentile(clean_values, alpha):
    return float(np.percentile(clean_values, 100 * (1 - alpha)))


def alpha_quantile(clean_values, alpha):
    return float(np.quantile(clean_values, alpha))


def percentile_share(clean_values, alpha):  # a share where np.percentile expects a percentage
    return float(np.percentile(clean_values, 1 - alpha))


def maximum(clean_values, alpha):
    return float(np.max(clean_values))


def mean_plus_two_sd(clean_values, alpha):
    return float(np.mean(clean_values) + 2 * np.std(clean_values))


def delay(alarms, attack_start):
    return next((t - attack_start for t in range(attack_start, len(alarms)) if alarms[t]), None)


def delay_numpy(alarms, attack_start):
    hits = np.flatnonzero(np.asarray(alarms)[attack_start:])
    return int(hits[0]) if len(hits) else None


def delay_absolute(alarms, attack_start):
    return next((t for t in range(attack_start, len(alarms)) if alarms[t]), None)


def delay_plus_one(alarms, attack_start):
    found = delay(alarms, attack_start)
    return None if found is None else found + 1


def delay_any_alarm(alarms, attack_start):
    return next((t - attack_start for t in range(len(alarms)) if alarms[t]), None)


def delay_minus_one(alarms, attack_start):
    found = delay(alarms, attack_start)
    return -1 if found is None else found


def pick_checkpoint(alarm_batch, lookback):
    return max(0, alarm_batch - lookback + 1)


def pick_too_early(alarm_batch, lookback):
    return max(0, alarm_batch - lookback)


def pick_alarm(alarm_batch, lookback):
    return alarm_batch


def pick_unclamped(alarm_batch, lookback):
    return alarm_batch - lookback + 1


WRONG = {
    "q09_page_hinkley": [ph_no_minimum, ph_overall_mean, ph_no_delta, ph_short, lambda v, d: [0.0] * len(v)],
    "q09_calibrate": [alpha_quantile, percentile_share, maximum, mean_plus_two_sd, lambda v, a: "high"],
    "q09_delay": [delay_absolute, delay_plus_one, delay_any_alarm, delay_minus_one, lambda a, s: True],
    "q09_checkpoint": [pick_too_early, pick_alarm, pick_unclamped, lambda a, k: a + 1, lambda a, k: 0.5],
}

HINTS = [
    ("q09_page_hinkley", ph_no_minimum, "minus the lowest m", None),
    ("q09_page_hinkley", ph_overall_mean, "running mean", None),
    ("q09_page_hinkley", ph_no_delta, "delta is not subtracted", None),
    ("q09_page_hinkley", ph_short, "one statistic after each value", None),
    ("q09_calibrate", alpha_quantile, "most clean batches would raise an alarm", None),
    ("q09_calibrate", percentile_share, "percentage (99)", None),
    ("q09_calibrate", maximum, "stricter threshold", None),
    ("q09_delay", delay_absolute, "subtract attack_start", None),
    ("q09_delay", delay_plus_one, "one too many", None),
    ("q09_delay", delay_any_alarm, "false alarm, not a detection", None),
    ("q09_delay", delay_minus_one, "return None, not -1", None),
    ("q09_checkpoint", pick_too_early, "one batch earlier than needed", None),
    ("q09_checkpoint", pick_alarm, "already learned the quarantined batches", None),
    ("q09_checkpoint", pick_unclamped, "no checkpoint before 0", None),
]

LESSON_WAYS = {
    "q09_page_hinkley": [page_hinkley_statistic, page_hinkley, ph_loop],
    "q09_calibrate": [quantile_linear, quantile_higher, percentile, calibrate_threshold],
    "q09_delay": [delay, delay_numpy, detection_delay],
    "q09_checkpoint": [pick_checkpoint, rollback_checkpoint],
}

test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)


def test_the_exercise_has_four_questions_and_blanks_are_not_yet_answered():
    assert [q.qid for q in questions_for(EXERCISE)] == ["q09_calibrate", "q09_checkpoint", "q09_delay",
                                                       "q09_page_hinkley"]

    def blank(*args):
        ...

    for qid in ("q09_page_hinkley", "q09_calibrate", "q09_delay", "q09_checkpoint"):
        assert evaluate(qid, ...).status == "blank"
        assert evaluate(qid, blank).status == "blank", qid
