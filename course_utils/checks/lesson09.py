"""Checks of exercise 09, monitoring and incremental learning."""

from __future__ import annotations

import math

import numpy as np

from ..monitoring import detection_delay, page_hinkley, rollback_checkpoint
from . import Wrong, fresh_rng, question, show
from ._reference import run_learner, run_learner_may_return_none

EXERCISE = "09_monitoring_and_incremental_learning"


def _numbers(result, what, n):
    message = f"{what} should return {n} numbers, one per value (a list or an array)."
    if isinstance(result, (str, bytes)) or not hasattr(result, "__len__"):
        raise Wrong(message)
    try:
        array = np.asarray(result, dtype=float).ravel()
    except (TypeError, ValueError):
        raise Wrong(message) from None
    if array.size != n:
        raise Wrong(f"{what} returned {array.size} numbers for {n} values; give one statistic after each value.")
    return array


@question("q09_page_hinkley", exercise=EXERCISE, answer_name="page_hinkley_statistic",
          prompt="page_hinkley_statistic(values, delta) gives the Page-Hinkley statistic after each value")
def _page_hinkley(answer):
    rng = fresh_rng(9)  # a secret seed in the batch grader
    cases = [([0.2, 0.2, 0.2, 0.2], 0.0), ([0.3, 0.25, 0.2, 0.4, 0.45, 0.5], 0.01), ([0.1], 0.005)]
    for _ in range(3):
        values = np.r_[rng.normal(0.25, 0.02, 12), rng.normal(0.32, 0.02, int(rng.integers(3, 10)))]
        cases.append((values.round(4).tolist(), float(rng.choice([0.0, 0.005, 0.01]))))
    for values, delta in cases:
        got = _numbers(run_learner(answer, list(values), delta), "page_hinkley_statistic(values, delta)",
                       len(values))
        expected = page_hinkley(values, delta)
        if np.allclose(got, expected, atol=1e-9):
            continue
        x = np.asarray(values)
        running_mean = np.cumsum(x) / np.arange(1, len(x) + 1)
        m = np.cumsum(x - running_mean - delta)
        where = f"With values={show(values)} and delta={delta}"
        if np.allclose(got, m, atol=1e-9):
            raise Wrong(f"{where} you return the cumulative sum m_t itself; the statistic is m_t minus the "
                        "lowest m seen so far (np.minimum.accumulate).")
        overall = np.cumsum(x - x.mean() - delta)
        if np.allclose(got, overall - np.minimum.accumulate(overall), atol=1e-9):
            raise Wrong(f"{where} you subtract the mean of all the values, which a stream does not know yet; "
                        "subtract the running mean of the values so far.")
        for other in (0.0, -delta):
            m_other = np.cumsum(x - running_mean - other)
            if delta and np.allclose(got, m_other - np.minimum.accumulate(m_other), atol=1e-9):
                raise Wrong(f"{where} delta is not subtracted from each step: m_t adds x_i - mean_i - delta.")
        raise Wrong(f"{where} the statistic is not right yet: m_t = sum of (x_i - running mean_i - delta) and "
                    "PH_t = m_t - min(m_0..m_t).")
    return "Matches course_utils.monitoring.page_hinkley on flat, rising and random streams."


@question("q09_calibrate", exercise=EXERCISE, answer_name="calibrate",
          prompt="calibrate(clean_values, alpha) gives a threshold clean values exceed at a rate of at most alpha")
def _calibrate(answer):
    rng = fresh_rng(10)
    cases = [(rng.exponential(1.0, 500), 0.05), (rng.normal(0, 1, 1000), 0.01), (rng.gamma(2.0, 1.0, 300), 0.1)]
    for values, alpha in cases:
        values = values.round(6)
        result = run_learner(answer, values.tolist(), alpha)
        if isinstance(result, (bool, np.bool_)) or not isinstance(result, (int, float, np.integer, np.floating)):
            raise Wrong("calibrate should return one number, the threshold (an alarm is a value above it).")
        threshold = float(result)
        if math.isnan(threshold):
            raise Wrong("calibrate returned NaN; return the threshold as a number.")
        n, allowed = len(values), int(np.floor(alpha * len(values) + 1e-9))
        over = int((values > threshold).sum())
        where = f"With {n} clean values and alpha={alpha}, {over} of them ({over / n:.1%}) exceed your threshold"
        if over > n / 2:
            raise Wrong(f"{where}: most clean batches would raise an alarm. Did you take the alpha quantile, or "
                        "give np.percentile a share (0.99) where it expects a percentage (99)? The threshold is "
                        "the (1 - alpha) quantile.")
        if over > allowed:
            raise Wrong(f"{where}, more than alpha allows ({allowed}); the threshold is the (1 - alpha) quantile "
                        "of the clean values.")
        if over < allowed - 1:
            raise Wrong(f"{where}, fewer than alpha allows ({allowed}): a stricter threshold than asked for, "
                        "which misses attacks to avoid false alarms you had agreed to pay for. Take the "
                        "(1 - alpha) quantile, not the largest value or a hand-picked margin.")
    return "At most a share alpha of the clean values exceed it, and no fewer than needed."


@question("q09_delay", exercise=EXERCISE, answer_name="delay",
          prompt="delay(alarms, attack_start) counts the batches from the attack's start to its first alarm")
def _delay(answer):
    rng = fresh_rng(11)
    cases = [([False, True, False, False, True, True], 3), ([False] * 5, 1), ([True, False, False], 0),
             ([True, False, False, False], 2), ([False, False, True], 2)]
    for _ in range(4):
        alarms = (rng.random(int(rng.integers(8, 30))) < 0.15).tolist()
        cases.append((alarms, int(rng.integers(0, len(alarms)))))
    for index, (alarms, start) in enumerate(cases):
        # None is a right answer, but not to the first case: there, it is a body not written yet
        got = (run_learner if index == 0 else run_learner_may_return_none)(answer, list(alarms), start)
        expected = detection_delay(alarms, start)
        where = f"With alarms={show([int(a) for a in alarms])} and attack_start={start}"
        if isinstance(got, (bool, np.bool_)) or (got is not None and not isinstance(got, (int, np.integer))):
            raise Wrong(f"{where} you return {show(got)}: return the delay as an int, or None when no alarm comes.")
        if expected is None and got is not None:
            raise Wrong(f"{where} there is no alarm at or after the start: return None, not {got!r} (a delay of "
                        "0 would mean caught at once).")
        if got == expected and (got is None) == (expected is None):
            continue
        if expected is not None and got == expected + start:
            raise Wrong(f"{where} you return the alarm's batch ({got}); the delay counts from the attack's start: "
                        "subtract attack_start.")
        if expected is not None and got == expected + 1:
            raise Wrong(f"{where} your delay is one too many: an alarm in the attack's first batch has delay 0.")
        first = next((i for i, a in enumerate(alarms) if a), None)
        if first is not None and first < start and got == first - start:
            raise Wrong(f"{where} you took an alarm from before the attack started: that is a false alarm, not a "
                        "detection; look only at alarms at or after attack_start.")
        raise Wrong(f"{where} you return {show(got)}, expected {show(expected)}: the batches from attack_start "
                    "to the first alarm at or after it, None when there is none.")
    return "Right on every case, with None when no alarm comes."


@question("q09_checkpoint", exercise=EXERCISE, answer_name="pick_checkpoint",
          prompt="pick_checkpoint(alarm_batch, lookback) picks the checkpoint to roll back to")
def _checkpoint(answer):
    rng = fresh_rng(12)
    cases = [(12, 4), (15, 4), (3, 4), (0, 1), (7, 1), (2, 6)]
    cases += [(int(rng.integers(0, 40)), int(rng.integers(1, 8))) for _ in range(4)]
    for alarm, lookback in cases:
        got = run_learner(answer, alarm, lookback)
        if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer)):
            raise Wrong("pick_checkpoint should return a checkpoint number, an int.")
        expected = rollback_checkpoint(alarm, lookback)
        where = f"With an alarm at batch {alarm} and lookback={lookback}"
        if got == expected:
            continue
        if got < 0:
            raise Wrong(f"{where} you return {got}: there is no checkpoint before 0 (the warm-up model); never "
                        "go below it.")
        if got == alarm - lookback:
            raise Wrong(f"{where} you return {got}, one batch earlier than needed: the quarantine holds the "
                        f"lookback batches that end with the alarm batch ({alarm - lookback + 1} to {alarm}), and "
                        "checkpoint k is the model before batch k.")
        if got in (alarm, alarm + 1):
            raise Wrong(f"{where} you return {got}: that model has already learned the quarantined batches "
                        "(checkpoint k is the model before batch k); go back lookback batches.")
        raise Wrong(f"{where} you return {got}, expected {expected}: the checkpoint before the first quarantined "
                    "batch, alarm_batch - lookback + 1, and never below 0.")
    return "Picks the checkpoint before the quarantined batches, and never one before the warm-up model."
