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

from .._validation import check_number
from ._counts import NaiveBayesModelMixin

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
    if budget == 0 or not X.nnz:
        return X
    # Each stored count's evidence for its row's label; within each row, the `budget` best are deleted
    # (a stable order: among equal scores, the word that comes first in the row goes first).
    row_of = np.repeat(np.arange(X.shape[0]), np.diff(X.indptr))
    scores = evidence[index[row_of], X.indices]
    order = np.lexsort((-scores, row_of))
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order)) - X.indptr[row_of[order]]
    X.data[rank < budget] = 0
    X.eliminate_zeros()
    return X


class AdversarialNB(NaiveBayesModelMixin, ClassifierMixin, BaseEstimator):
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

    def fit(self, X, y):
        """Fit, then ``rounds`` times add worst-case copies and fit again."""
        from scipy import sparse

        budget = check_number(self.budget, "budget", low=0, integer=True)
        rounds = check_number(self.rounds, "rounds", low=0, integer=True)
        alpha = check_number(self.alpha, "alpha", low=0.0, low_open=True)
        X, y = self._validate_counts(X, y)
        model = self._fit_naive_bayes(X, y, alpha)
        blocks, labels = [X], [y]
        for _ in range(rounds):
            blocks.append(worst_case_deletions(model, X, y, budget))
            labels.append(y)
            model = self._fit_naive_bayes(sparse.vstack(blocks, format="csr"), np.concatenate(labels), alpha)
        self.model_ = model
        self.classes_ = model.classes_
        self.n_adversarial_ = X.shape[0] * rounds
        return self
