"""Outlier detectors: they look at the text alone, never at the label.

:class:`IsolationForestDetector` is the reference's Isolation Forest, on the
rows' TF-IDF features. A flipped label on an ordinary sentence is invisible to
it, so it stays near chance against label flips (lesson 05 measures this).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_int, check_labels, check_number, check_texts
from ._base import BaseDetector
from ._features import TextFeatures

__all__ = ["IsolationForestDetector"]


class IsolationForestDetector(BaseDetector):
    """The reference's Isolation Forest, applied to the rows' TF-IDF features.

    Parameters
    ----------
    contamination : float in (0, 0.5], default=0.1
        Share of rows its own rule flags (the reference assumed 10%).
    n_estimators : int, default=100
    random_state : int, default=0
        Seeded, unlike the reference's example, so results repeat.

    Attributes
    ----------
    forest_ : sklearn.ensemble.IsolationForest
    suspicion_ : ndarray
        The negated ``score_samples`` of the forest: higher is more isolated.
    flagged_ : ndarray of int
        The rows the forest predicts as outliers (``contamination`` of them).
    """

    def __init__(self, contamination=0.1, n_estimators=100, random_state=0):
        self.contamination = contamination
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, texts, labels=None, features=None):
        """Fit on the texts; ``labels`` are checked and ignored (the forest never sees them).

        ``features``, a :class:`~course_utils.detect.TextFeatures` cache, saves re-tokenising the texts;
        the result does not depend on it.
        """
        from sklearn.ensemble import IsolationForest

        texts = check_texts(texts)
        if labels is not None:
            check_labels(labels, n_rows=len(texts))
        if len(texts) < 2:
            raise ValueError("texts must hold at least two rows")
        check_number(self.contamination, "contamination", low=0, high=0.5, low_open=True)
        check_int(self.n_estimators, "n_estimators", minimum=1)
        forest = IsolationForest(contamination=self.contamination, n_estimators=self.n_estimators,
                                 random_state=self.random_state)
        if features is None:
            features = TextFeatures()
        elif not isinstance(features, TextFeatures):
            raise TypeError(f"features must be a TextFeatures cache, got {type(features).__name__}")
        matrix, _ = features.fit_transform(texts, "tfidf")
        forest.fit(matrix)
        self.forest_ = forest
        scores = forest.score_samples(matrix)
        # forest.predict(matrix) == -1 exactly: predict is decision_function < 0, and
        # decision_function is score_samples - offset_ (scored once, not twice).
        return self._set_flags(-scores, np.flatnonzero(scores - forest.offset_ < 0))
