"""Adversarial training for the course's model, and what it means against poisoning.

Adversarial training (Goodfellow et al., 2015; Madry et al., 2018) is a defense against *evasion*: an
attacker who changes a test input, at prediction time, within a budget. The model is trained on
worst-case perturbed copies of its training rows, kept with their true labels, so that small edits
no longer move its predictions. For a bag-of-words Naive Bayes, the worst edit of ``budget`` words
against the current model deletes the words of a row that speak most for its label (the largest
``log P(word | label) - max over other classes log P(word | other)``).

Poisoning is another threat: the attacker changes the *training* rows. Adversarial training trusts
the training labels, the very thing label flips corrupt, and makes worst-case copies of the poisoned
rows too. :class:`AdversarialNB` is built so the lesson can measure it against every attack.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.naive_bayes import MultinomialNB
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, column_or_1d, validate_data

from .._validation import check_number

__all__ = ["worst_case_deletions", "AdversarialNB"]


def worst_case_deletions(model, X, y, budget=2):
    """Each row of ``X`` with its ``budget`` most label-revealing words deleted, against ``model``.

    Parameters
    ----------
    model : fitted MultinomialNB (or anything with ``feature_log_prob_`` and ``classes_``)
    X : sparse matrix of counts
    y : array of labels, one of ``model.classes_`` each
    budget : int >= 0, default=2
        How many distinct words each copy loses (every occurrence of each).

    Returns
    -------
    sparse matrix (CSR)
        A new matrix; ``X`` is not changed.
    """
    from scipy import sparse

    budget = check_number(budget, "budget", low=0, integer=True)
    X = sparse.csr_matrix(X, copy=True)
    log_prob = np.asarray(model.feature_log_prob_)
    if log_prob.shape[0] < 2:
        return X
    index = np.searchsorted(model.classes_, np.asarray(y))
    best_other = np.stack([np.delete(log_prob, c, axis=0).max(axis=0) for c in range(len(log_prob))])
    evidence = log_prob - best_other  # (class, word): how much the word speaks for the class
    for i in range(X.shape[0]):
        start, end = X.indptr[i], X.indptr[i + 1]
        if end - start == 0 or budget == 0:
            continue
        scores = evidence[index[i], X.indices[start:end]]
        order = np.argsort(-scores, kind="stable")[:budget]
        X.data[start + order] = 0
    X.eliminate_zeros()
    return X


class AdversarialNB(ClassifierMixin, BaseEstimator):
    """Multinomial Naive Bayes with adversarial training against word deletions.

    Each round fits the model, makes each training row's worst-case copy with ``budget`` words
    deleted (:func:`worst_case_deletions`), keeps it with the row's label, and fits again on the rows
    and every copy so far.

    Parameters
    ----------
    budget : int, default=2
        Words deleted per copy.
    rounds : int, default=1
    alpha : float, default=1.0
    random_state : int or None, default=None
        Unused (the procedure is deterministic); kept for the course's registry.

    Attributes
    ----------
    classes_, n_features_in_
    model_ : MultinomialNB
    n_adversarial_ : int
        Copies added.
    """

    def __init__(self, budget=2, rounds=1, alpha=1.0, random_state=None):
        self.budget = budget
        self.rounds = rounds
        self.alpha = alpha
        self.random_state = random_state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.classifier_tags.poor_score = True  # as MultinomialNB's own tags say: blobs are not word counts
        tags.input_tags.positive_only = True
        return tags

    def fit(self, X, y):
        """Fit, then ``rounds`` times add worst-case copies and fit again."""
        from scipy import sparse

        budget = check_number(self.budget, "budget", low=0, integer=True)
        rounds = check_number(self.rounds, "rounds", low=0, integer=True)
        alpha = check_number(self.alpha, "alpha", low=0.0, low_open=True)
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if (X.min() if X.size else 0) < 0:
            raise ValueError(f"Negative values in data passed to {type(self).__name__}: X must hold "
                             "non-negative counts")
        X = sparse.csr_matrix(X)
        model = MultinomialNB(alpha=alpha).fit(X, y)
        blocks, labels = [X], [y]
        for _ in range(rounds):
            blocks.append(worst_case_deletions(model, X, y, budget))
            labels.append(y)
            model = MultinomialNB(alpha=alpha).fit(sparse.vstack(blocks, format="csr"), np.concatenate(labels))
        self.model_ = model
        self.classes_ = model.classes_
        self.n_adversarial_ = X.shape[0] * rounds
        return self

    def predict(self, X):
        """The Naive Bayes' prediction."""
        check_is_fitted(self)
        return self.model_.predict(validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False))

    def predict_proba(self, X):
        """The Naive Bayes' class probabilities."""
        check_is_fitted(self)
        return self.model_.predict_proba(validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False))
