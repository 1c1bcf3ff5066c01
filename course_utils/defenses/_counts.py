"""What lesson 07's trainers on word counts share: their tags, the checks of their inputs, and predicting
with a fitted Naive Bayes.

:class:`~course_utils.defenses.augment.AugmentedNB` and
:class:`~course_utils.defenses.adversarial.AdversarialNB` are a ``MultinomialNB`` (``model_``) fitted on
rows they add; :class:`~course_utils.defenses.ensembles.PartitionEnsemble` votes with its own partitions'
Naive Bayes and takes only the tags and the input checks.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from ..models import fit_checked_naive_bayes

__all__ = ["CountsTrainerMixin", "NaiveBayesModelMixin"]


class CountsTrainerMixin:
    """Tags and input checks of a classifier on non-negative word counts (put it before ``ClassifierMixin``)."""

    def _needs_counts(self):
        """Whether the inputs must be non-negative counts (a Naive Bayes inside); subclasses may say no."""
        return True

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.poor_score = True  # as MultinomialNB's own tags say: blobs are not word counts
        tags.input_tags.positive_only = self._needs_counts()
        return tags

    def _validate_counts(self, X, y):
        """``(X, y)`` checked as scikit-learn's estimators check them: X a CSR matrix of floats, y 1-d labels."""
        from scipy import sparse

        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if self._needs_counts() and (X.min() if X.size else 0) < 0:
            raise ValueError(f"Negative values in data passed to {type(self).__name__}: X must hold "
                             "non-negative counts")
        return sparse.csr_matrix(X), y

    def _validate_test(self, X):
        check_is_fitted(self)
        return validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)


class NaiveBayesModelMixin(CountsTrainerMixin):
    """``predict`` and ``predict_proba`` of a trainer whose fitted Naive Bayes is ``model_``.

    ``predict`` checks its input once, here, then computes the joint log-likelihood as
    ``MultinomialNB`` computes it (``X @ feature_log_prob_.T + class_log_prior_``): the predictions
    are ``model_``'s, without ``model_`` checking the same matrix again.
    """

    def _fit_naive_bayes(self, X, y, alpha, sample_weight=None):
        """A ``MultinomialNB(alpha=alpha)`` fitted on ``(X, y)`` already checked by ``_validate_counts``."""
        return fit_checked_naive_bayes(X, y, alpha, sample_weight)

    def _joint_log_likelihood(self, X):
        X = self._validate_test(X)
        return np.asarray(X @ self.model_.feature_log_prob_.T + self.model_.class_log_prior_)

    def predict(self, X):
        """The Naive Bayes' prediction."""
        jll = self._joint_log_likelihood(X)  # first: before fit it raises NotFittedError
        return self.classes_[np.argmax(jll, axis=1)]

    def predict_proba(self, X):
        """The Naive Bayes' class probabilities."""
        X = self._validate_test(X)
        return self.model_.predict_proba(X)
