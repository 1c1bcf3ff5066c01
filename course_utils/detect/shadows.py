"""Shadow models on disjoint shards, and group testing by adaptive bisection with retraining.

The reference asks to "train shadow models on different parts of the data and compare their performance to
detect inconsistencies caused by poisoned data". :func:`shard_predictions` trains the course's Naive Bayes on
each of several disjoint shards and predicts a probe set; :func:`shard_disagreement` says how often each shard
disagrees with the majority of the others. The shard that holds the poison disagrees.

:func:`bisect_group_test` then finds the poisoned rows inside a suspect shard by *group testing*: a test is one
retrain (does a model trained on these rows, beside trusted ones, show the behaviour?); a positive group is cut
in two and each half tested, and when the first half is negative the second must be positive and is not tested.
For ``d`` positives among ``n`` rows, any adaptive scheme needs about ``d * log2(n / d)`` tests
(:func:`group_testing_bound`). A retrain needs no refit: :class:`RetrainedTriggerEffect` adds up the rows'
counts. :class:`ShadowBisectDetector` puts the two together as a filter.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_number
from ._base import BaseDetector
from .influence import (
    _binary_index,
    _check_counts,
    _check_fit,
    _probe_counts,
    guess_trigger,
    naive_bayes_log_odds,
    naive_bayes_weights,
)

__all__ = [
    "shard_predictions",
    "shard_disagreement",
    "trigger_effect",
    "RetrainedTriggerEffect",
    "bisect_group_test",
    "group_testing_bound",
    "ShadowBisectDetector",
]


def _check_shards(shards, n_rows):
    shards = np.asarray(shards)
    if shards.shape != (n_rows,):
        raise ValueError(f"shards must give one shard per row ({n_rows}), got shape {shards.shape}")
    names = np.unique(shards)
    if len(names) < 2:
        raise ValueError("shards must name at least two shards to compare")
    return shards, names


def shard_predictions(X, labels, shards, X_probe, alpha=1.0):
    """Train ``MultinomialNB(alpha)`` on each shard's rows alone and predict the probe set.

    Parameters
    ----------
    X : sparse matrix of shape (n_rows, n_words)
        Word counts.
    labels : array-like of shape (n_rows,)
        Two classes; every shard needs two rows of each.
    shards : array-like of shape (n_rows,)
        The shard of each row.
    X_probe : sparse matrix of shape (n_probe, n_words)
    alpha : float > 0, default=1.0

    Returns
    -------
    names : ndarray
        The shards, sorted.
    log_odds : ndarray of shape (n_shards, n_probe)
        Each shard model's log-odds of the second class on each probe.
    """
    labels = np.asarray(labels)
    shards, names = _check_shards(shards, X.shape[0])
    return names, np.vstack([naive_bayes_log_odds(X[shards == s], labels[shards == s], X_probe, alpha)
                             for s in names])


def shard_disagreement(log_odds):
    """Per shard: the share of probes where its prediction differs from the majority of the other shards.

    Parameters
    ----------
    log_odds : array-like of shape (n_shards, n_probe)
        As :func:`shard_predictions` returns them (a tie among the others counts as the second class).

    Returns
    -------
    ndarray of shape (n_shards,)
    """
    votes = np.asarray(log_odds, dtype=float) > 0
    if votes.ndim != 2 or votes.shape[0] < 3:
        raise ValueError("log_odds must be a 2-D array with at least three shards (a majority of the others)")
    others = (votes.sum(axis=0)[None, :] - votes) * 2 >= votes.shape[0] - 1
    return (votes != others).mean(axis=1)


def trigger_effect(X, labels, X_clean, X_triggered, target_sign, alpha=1.0):
    """How far a Naive Bayes trained on ``X`` moves probes toward the target when the trigger is inserted.

    The mean over probes of ``target_sign * (log_odds(triggered) - log_odds(clean))``, in nats.
    """
    weights, _ = naive_bayes_weights(X, labels, alpha)  # one fit; the prior cancels in the difference
    return float(target_sign * np.mean(np.asarray((X_triggered - X_clean) @ weights)))


class RetrainedTriggerEffect:
    """:func:`trigger_effect` of a Naive Bayes retrained on any subset of the rows, from the rows' counts.

    A ``MultinomialNB`` trained on rows ``S`` is fixed by each class's word counts over ``S``, and those are
    sums of the rows' own counts: one ``bincount`` adds the rows' stored counts into their class's slots, and
    the formula of :func:`~course_utils.detect.influence.naive_bayes_weights` turns them into the model (only
    for the words the trigger changes, the only weights the effect reads). So ``effect(rows)`` is one retrain,
    without slicing the matrix or refitting, and equals ``trigger_effect(X[rows], labels[rows], X_clean,
    X_triggered, target_sign, alpha)`` (exactly, for integer counts, whose sums are exact in any order; a test
    keeps the two agreeing). The arguments are checked once, here, not on every retrain.

    Parameters
    ----------
    X : sparse matrix of shape (n_rows, n_words)
        Word counts of every row a retrain may use.
    labels : array-like of shape (n_rows,)
        Two classes.
    X_clean, X_triggered : sparse matrices of shape (n_probe, n_words)
        The probes without and with the trigger.
    target_sign : float
        ``1.0`` when the target is the second class, ``-1.0`` when the first.
    alpha : float > 0, default=1.0
    """

    def __init__(self, X, labels, X_clean, X_triggered, target_sign, alpha=1.0):
        X = _check_counts(X, "X")
        _, index = _binary_index(labels, X.shape[0])
        for name, probes in (("X_clean", X_clean), ("X_triggered", X_triggered)):
            if _check_counts(probes, name).shape[1] != X.shape[1]:
                raise ValueError(f"{name} has {probes.shape[1]} columns and X {X.shape[1]}; they must match")
        if X_clean.shape != X_triggered.shape:
            raise ValueError(f"X_clean {X_clean.shape} and X_triggered {X_triggered.shape} must have one shape")
        self.target_sign = check_number(target_sign, "target_sign")
        self.alpha = check_number(alpha, "alpha", low=0, low_open=True)
        self._n_rows, self._n_words = X.shape
        self._index = index
        self._indptr, self._data = X.indptr.astype(np.int64), X.data
        # Each stored count's slot in the (2, n_words) table of class word counts: its row's class, its word.
        self._slot = np.repeat(index, np.diff(self._indptr)) * self._n_words + X.indices
        self._difference = X_triggered - X_clean  # as trigger_effect computes it
        # The effect reads the weights of the words the trigger changes only; the others may stay zero.
        self._words = np.unique(self._difference.indices)

    def __call__(self, rows):
        """The trigger effect of a model trained on ``rows`` (row numbers, repeats counted as repeats)."""
        rows = np.asarray(rows)
        if rows.ndim != 1 or not (np.issubdtype(rows.dtype, np.integer) or not len(rows)):
            raise TypeError("rows must be a 1-D sequence of row numbers")
        rows = rows.astype(np.int64)
        if len(rows) and (rows.min() < -self._n_rows or rows.max() >= self._n_rows):
            raise ValueError(f"rows must lie in [-{self._n_rows}, {self._n_rows}), the rows of X")
        rows = rows % self._n_rows
        if np.bincount(self._index[rows], minlength=2).min() < 2:
            raise ValueError("each class of labels needs at least two rows among rows, so that one can be left out")
        # Every stored count of the rows, summed into its class's slot (integer counts add up exactly).
        starts, lengths = self._indptr[rows], self._indptr[rows + 1] - self._indptr[rows]
        ends = np.cumsum(lengths)
        entries = np.arange(ends[-1]) + np.repeat(starts - ends + lengths, lengths)
        words = np.bincount(self._slot[entries], weights=self._data[entries], minlength=2 * self._n_words)
        words = words.reshape(2, self._n_words)
        # naive_bayes_weights' formula, on the columns the effect reads: the same bits.
        smoothed = words[:, self._words] + self.alpha
        log_theta = np.log(smoothed) - np.log((words + self.alpha).sum(axis=1, keepdims=True))
        weights = np.zeros(self._n_words)
        weights[self._words] = log_theta[1] - log_theta[0]
        return float(self.target_sign * np.mean(np.asarray(self._difference @ weights)))


def group_testing_bound(n, d):
    """``d * log2(n / d)``: about how many tests any adaptive group test needs for ``d`` positives among ``n``."""
    n = int(check_number(n, "n", low=1, integer=True))
    d = int(check_number(d, "d", low=0, high=n, integer=True))
    return 0.0 if d == 0 else d * math.log2(n / d)


def bisect_group_test(rows, test):
    """Find the positive rows by adaptive bisection; every call of ``test`` is one retrain.

    A group that tests positive is cut in two halves; the first half is tested, and the second is tested only
    when the first was positive (a positive group whose first half is negative has its positives in the second).

    Parameters
    ----------
    rows : sequence of int
    test : callable
        ``test(subset) -> bool``: whether ``subset`` (an array of rows) holds a positive.

    Returns
    -------
    found : ndarray of int
        The rows found positive, sorted.
    n_tests : int
        How many times ``test`` was called.
    """
    if not callable(test):
        raise TypeError(f"test must be callable, got {type(test).__name__}")
    rows = np.asarray(rows, dtype=np.int64)
    calls = [0]

    def run(subset):
        calls[0] += 1
        return bool(test(subset))

    def search(subset, known_positive):
        if not len(subset) or (not known_positive and not run(subset)):
            return []
        if len(subset) == 1:
            return [int(subset[0])]
        half = len(subset) // 2
        left, right = subset[:half], subset[half:]
        left_positive = run(left)
        found = search(left, True) if left_positive else []
        return found + search(right, known_positive=not left_positive)

    found = search(rows, False)
    return np.array(sorted(found), dtype=np.int64), calls[0]


class ShadowBisectDetector(BaseDetector):
    """Shadow models on disjoint shards, then group testing of the suspect shards by bisection with retraining.

    The behaviour watched is a suspected backdoor's: the trigger is the defender's guess from the data
    (:func:`~course_utils.detect.influence.guess_trigger`), the probes are rows of other labels with it
    inserted. The training rows are cut, in their order, into ``n_shards`` contiguous shards (as data arrives:
    one contributor's or one day's rows together); a Naive Bayes is trained on each, and its
    :func:`trigger_effect` measured. The shard of smallest effect is the reference ``B``; a shard whose
    effect exceeds ``B``'s by more than ``tolerance`` is suspect and searched by :func:`bisect_group_test`,
    a group ``S`` testing positive when the model trained on ``B`` and ``S`` has an effect more than
    ``tolerance`` above ``B``'s alone. Poison inside ``B`` itself is not found. Without a guessed trigger
    nothing is flagged.

    Parameters
    ----------
    n_shards : int >= 3, default=5
    tolerance : float > 0, default=log(2) / 2
        Half of what one row holding the trigger once adds to a model that has never seen it: for Naive Bayes,
        the trigger's count in the target class goes from 0 to 1, its smoothed rate doubles, ``log 2``.
    n_probes : int, default=200
    alpha : float > 0, default=1.0
    random_state : int, default=0

    Attributes
    ----------
    trigger_, target_label_ : str or None
    shard_effects_ : ndarray of shape (n_shards,)
    shard_disagreement_ : ndarray of shape (n_shards,)
        Each shard model's disagreement with the others on the triggered probes.
    suspect_shards_ : list of int
    retrains_ : int
        Models trained: one per shard, one for the reference, one per test.
    """

    def __init__(self, n_shards=5, tolerance=math.log(2) / 2, n_probes=200, alpha=1.0, random_state=0):
        self.n_shards = n_shards
        self.tolerance = tolerance
        self.n_probes = n_probes
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, texts, labels):
        """Shard, compare, bisect."""
        n_shards = int(check_number(self.n_shards, "n_shards", low=3, integer=True))
        tolerance = check_number(self.tolerance, "tolerance", low=0, low_open=True)
        texts, labels, classes = _check_fit(self, texts, labels, "shadow-bisect")
        if len(texts) < 4 * n_shards:
            raise ValueError(f"{len(texts)} rows are too few for n_shards={n_shards} (at least 4 rows a shard)")
        self.trigger_, self.target_label_ = guess_trigger(texts, labels, random_state=self.random_state)
        self.shard_effects_ = np.zeros(n_shards)
        self.shard_disagreement_ = np.zeros(n_shards)
        self.suspect_shards_, self.retrains_ = [], 0
        if self.trigger_ is None:
            return self._set_flags(np.zeros(len(texts)), [])
        X, P0, P1, sign = _probe_counts(texts, labels, classes, self.trigger_, self.target_label_, self.n_probes,
                                        self.random_state)
        blocks = np.array_split(np.arange(len(texts)), n_shards)
        shards = np.concatenate([np.full(len(b), k) for k, b in enumerate(blocks)])
        _, shard_log_odds = shard_predictions(X, labels, shards, P1, self.alpha)
        self.shard_disagreement_ = shard_disagreement(shard_log_odds)
        effect = RetrainedTriggerEffect(X, labels, P0, P1, sign, self.alpha)  # each call one retrain, from counts
        effects = np.array([effect(b) for b in blocks])
        self.shard_effects_ = effects
        reference = blocks[int(effects.argmin())]
        base = effect(reference)
        self.retrains_ = n_shards + 1

        def test(subset):
            return effect(np.concatenate([reference, subset])) - base > tolerance

        found = []
        for k in np.flatnonzero(effects - effects.min() > tolerance):
            rows, n_tests = bisect_group_test(blocks[k], test)
            found.append(rows)
            self.retrains_ += n_tests
            self.suspect_shards_.append(int(k))
        flagged = np.concatenate(found) if found else np.zeros(0, dtype=np.int64)
        # Flagged rows first, then the rows of the shards with the largest effect (for flag_share).
        suspicion = effects[shards] / (1.0 + np.abs(effects).max())
        suspicion[flagged] += 1.0
        return self._set_flags(suspicion, flagged)
