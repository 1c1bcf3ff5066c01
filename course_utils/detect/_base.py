"""What every detector shares: the estimator contract, the data checks and ``flag``."""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from .._validation import (
    check_labels,
    check_number,
    check_random_state,
    check_texts,
    rows_for_share,
)


def check_data(texts, labels, need_classes=2):
    """Validated ``(texts, labels, classes)`` of a training set a detector examines."""
    texts = check_texts(texts)
    if labels is None:
        raise ValueError("labels are required: this detector compares each row's label with the data")
    labels = check_labels(labels, n_rows=len(texts))
    classes = np.unique(labels)
    if len(classes) < need_classes:
        raise ValueError(f"labels must hold at least {need_classes} classes to detect poisoning; "
                         f"got {list(map(str, classes))}")
    return texts, labels, classes


class BaseDetector(BaseEstimator):
    """A detector of poisoned training rows, shaped like ``LocalOutlierFactor(novelty=False)``.

    ``fit(texts, labels)`` examines one training set and sets, among others:

    suspicion_ : ndarray of shape (n_rows,)
        How suspicious each fitted row is. **Higher means more suspicious**
        (scikit-learn's ``score_samples`` points the other way, which is why the
        course's detectors do not use that name).
    flagged_ : ndarray of int
        The rows the detector's own rule flags, sorted.

    :meth:`flag` chooses rows from ``suspicion_`` by a share or a threshold
    instead, and :meth:`fit_flag` does ``fit`` then ``flag``. Parameters are
    stored as given in ``__init__`` and checked in ``fit``; no fitted attribute
    exists before ``fit``; the inputs are never changed.

    Every detector takes ``random_state``: it seeds the detector's own
    randomness, where it has any, and breaks ties in :meth:`flag` (rows of equal
    suspicion are taken in a random order, not in row order, since attacks that
    append rows would otherwise decide who is flagged first).
    """

    def _set_flags(self, suspicion, flagged):
        self.suspicion_ = np.asarray(suspicion, dtype=float)
        self.flagged_ = np.sort(np.asarray(flagged, dtype=np.int64))
        return self

    def flag(self, flag_share=None, threshold=None):
        """Indices of the flagged training rows, sorted.

        Parameters
        ----------
        flag_share : float in (0, 1], default=None
            Flag the ``round(flag_share * n)`` most suspicious rows (halves round
            up; ties in a random order seeded by ``random_state``).
        threshold : float, default=None
            Flag every row whose suspicion is at least ``threshold``.

        With neither, the detector's own rule decides (``flagged_``).

        Returns
        -------
        ndarray of int
        """
        check_is_fitted(self, "suspicion_")
        if flag_share is not None and threshold is not None:
            raise ValueError("give flag_share or threshold, not both")
        if flag_share is not None:
            check_number(flag_share, "flag_share", low=0, high=1, low_open=True)
            k = rows_for_share(flag_share, len(self.suspicion_))
            return np.sort(self.ranking()[:k]).astype(np.int64)
        if threshold is not None:
            threshold = check_number(threshold, "threshold")
            return np.flatnonzero(self.suspicion_ >= threshold).astype(np.int64)
        return self.flagged_.copy()

    def ranking(self):
        """Every fitted row, most suspicious first; ties in a random order seeded by ``random_state``."""
        check_is_fitted(self, "suspicion_")
        tie_breaker = check_random_state(getattr(self, "random_state", 0)).permutation(len(self.suspicion_))
        return np.lexsort((tie_breaker, -self.suspicion_)).astype(np.int64)

    def fit_flag(self, texts, labels=None, *, flag_share=None, threshold=None, **fit_params):
        """``fit`` then ``flag``; returns the flagged row indices."""
        return self.fit(texts, labels, **fit_params).flag(flag_share=flag_share, threshold=threshold)

