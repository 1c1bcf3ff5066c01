"""Metrics of the shared experiment.

* :func:`accuracy`: share of test rows predicted correctly (the "clean accuracy"
  when the test set is the untouched one).
* :func:`attack_success_rate`: share of the attacker's victims predicted as the
  attacker's target.
* :func:`detection_scores`: precision, recall and F1 of a detector's flagged rows
  against the rows that really were poisoned.
* :func:`mean_interval`: mean over seeds with the course's one interval: a Student-t
  interval cut to the metric's range (``[0, 1]`` for a proportion, ``[-1, 1]`` for a difference
  of two proportions).
* :func:`seed_spread`: how much a metric moves from one split to another, the course's one
  measure of it: the standard deviation over seeds.
"""

from __future__ import annotations

import math

import numpy as np

from ._validation import check_indices, check_labels, check_number, check_sequence

__all__ = ["accuracy", "attack_success_rate", "detection_scores", "mean_interval", "seed_spread",
           "PROPORTION", "DIFFERENCE"]

#: The range of a proportion (accuracy, attack success rate, precision, recall, F1).
PROPORTION = (0.0, 1.0)
#: The range of a difference of two proportions (an accuracy drop, a gain).
DIFFERENCE = (-1.0, 1.0)


def accuracy(y_true, y_pred):
    """Share of rows where ``y_pred`` equals ``y_true``.

    Parameters
    ----------
    y_true, y_pred : sequence
        True and predicted labels, of equal length (at least one).

    Returns
    -------
    float
    """
    y_true = check_labels(y_true, name="y_true")
    y_pred = check_labels(y_pred, n_rows=len(y_true), name="y_pred")
    if len(y_true) == 0:
        raise ValueError("y_true is empty; accuracy needs at least one row")
    return float(np.mean(y_true == y_pred))


def attack_success_rate(y_true, y_pred, target_label, source_label=None):
    """Share of the attacker's victims that the model predicts as ``target_label``.

    The victims are the rows whose true label is ``source_label`` (a targeted flip:
    make class A read as class B), or, when ``source_label`` is ``None``, every
    row whose true label is not ``target_label`` (a backdoor: any triggered
    sentence should read as the target).

    Parameters
    ----------
    y_true : sequence
        True labels of the test rows (before any trigger was inserted).
    y_pred : sequence
        The model's predictions for the same rows (with the trigger, for a backdoor).
    target_label : label
        The class the attacker wants predicted.
    source_label : label, default=None
        The class the attacker wants misread; ``None`` means every other class.

    Returns
    -------
    float
        In [0, 1].

    Raises
    ------
    ValueError
        When there are no victim rows, or ``source_label`` equals ``target_label``.
    """
    y_true = check_labels(y_true, name="y_true")
    y_pred = check_labels(y_pred, n_rows=len(y_true), name="y_pred")
    if source_label is not None and source_label == target_label:
        raise ValueError("source_label and target_label must differ")
    victims = (y_true == source_label) if source_label is not None else (y_true != target_label)
    if not np.any(victims):
        who = f"labelled {source_label!r}" if source_label is not None else f"not labelled {target_label!r}"
        raise ValueError(f"no rows of y_true are {who}; the attack success rate is undefined")
    return float(np.mean(y_pred[victims] == target_label))


def detection_scores(flagged_indices, poisoned_indices):
    """Precision, recall and F1 of flagged rows against the truly poisoned rows.

    Parameters
    ----------
    flagged_indices : sequence of int
        Rows a detector flagged.
    poisoned_indices : sequence of int
        Rows the attacker poisoned.

    Returns
    -------
    dict
        ``precision`` (share of flagged rows that are poisoned; 0 when nothing is
        flagged), ``recall`` (share of poisoned rows flagged; 1 when nothing was
        poisoned), ``f1`` and ``n_flagged``.
    """
    flagged = _index_set(flagged_indices, "flagged_indices")
    poisoned = _index_set(poisoned_indices, "poisoned_indices")
    hits = len(flagged & poisoned)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(poisoned) if poisoned else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "n_flagged": len(flagged)}


def _index_set(indices, name):
    return set(check_indices(indices, name).tolist())


def _check_values(values):
    values = check_sequence(values, "values", "numbers, one per seed")
    if not values:
        raise ValueError("values must be a non-empty one-dimensional sequence of numbers")
    for i, value in enumerate(values):
        if isinstance(value, (float, np.floating)) and math.isnan(value):
            raise ValueError(f"values holds NaN (values[{i}]); give one measured number per seed")
        check_number(value, f"values[{i}]")
    return np.array(values, dtype=float)


def mean_interval(values, confidence=0.95, *, bounds=PROPORTION):
    """Mean of ``values`` over seeds and the course's confidence interval around it.

    The interval is Student's t interval of the mean, cut to ``bounds``, the range the metric
    can take. Cutting never drops the true mean (it lies in that range), so the interval keeps the
    t interval's coverage, and it never reports an accuracy of 1.001. With the five to eight seeds
    the lessons use, the interval is wide; it is meant to be.

    Parameters
    ----------
    values : sequence of float
        One value per seed; NaN values are an error.
    confidence : float in (0, 1), default=0.95
    bounds : (float, float) or None, default=PROPORTION
        The metric's range: :data:`PROPORTION` ``(0, 1)`` for accuracies, attack success rates
        and F1 scores, :data:`DIFFERENCE` ``(-1, 1)`` for a drop or a gain between two of them,
        ``None`` for a quantity with no range (seconds). A value outside ``bounds`` is an error.

    Returns
    -------
    (mean, low, high) : tuple of float
        With a single value the interval is undefined: ``low`` and ``high`` are NaN.
    """
    from scipy import stats

    array = _check_values(values)
    confidence = check_number(confidence, "confidence", low=0.0, high=1.0, low_open=True, high_open=True)
    low_bound, high_bound = -math.inf, math.inf
    if bounds is not None:
        try:
            if isinstance(bounds, (str, bytes)):
                raise TypeError
            low_bound, high_bound = (float(b) for b in bounds)
        except (TypeError, ValueError):
            raise TypeError(f"bounds must be a pair of numbers such as (0, 1), or None; got {bounds!r}") from None
        if not low_bound < high_bound:
            raise ValueError(f"bounds must be (low, high) with low < high, got {bounds!r}")
        outside = array[(array < low_bound) | (array > high_bound)]
        if outside.size:
            raise ValueError(f"values holds {float(outside[0])!r}, outside bounds {tuple(bounds)!r}; "
                             "a difference of two proportions takes bounds=DIFFERENCE (-1, 1)")
    mean = float(array.mean())
    if array.size == 1:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + confidence / 2, array.size - 1) * array.std(ddof=1) / math.sqrt(array.size))
    return mean, max(mean - half, low_bound), min(mean + half, high_bound)


def seed_spread(values):
    """How much a metric moves from one split to another: its standard deviation over seeds.

    The course's one measure of split-to-split spread (``ddof=1``, the sample standard deviation).

    Parameters
    ----------
    values : sequence of float
        One value per seed, at least two.

    Returns
    -------
    float
    """
    array = _check_values(values)
    if array.size < 2:
        raise ValueError(f"values must hold at least two seeds to have a spread, got {array.size}")
    return float(array.std(ddof=1))
