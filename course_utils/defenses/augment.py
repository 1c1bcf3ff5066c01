"""Data augmentation for dilution: more clean-looking rows, so that the poison is a smaller share.

The reference proposes to "generate more training samples from the existing clean data ... to dilute
the effect of any poisoned samples". Two edits make new sentences from old ones:

* **word dropout**: each word is left out with probability ``dropout`` (at least one word stays);
* **word swaps**: ``round(swap * n_words)`` random pairs of neighbouring words change places.

For the course's bag-of-words model a swap changes nothing at all (the counts are the same), and
dropout on a text is, for the counted words, the same as keeping each counted occurrence with
probability ``1 - dropout``: :func:`augment_counts` does it on the count matrix, which is how the
lesson's grids stay fast. No synonym list is shipped: a hand-made list small enough to ship would
touch few of the data's words, and a swap already shows that edits the model cannot see buy nothing.

Dilution arithmetic: augmenting every row ``factor`` times multiplies the poison too, and its share
stays what it was; augmenting only a trusted share ``t`` of ``n`` rows (verified clean) brings a
poison of ``p * n`` rows down to the share ``p / (1 + p + t * factor)`` of the training set.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin

from .._validation import check_indices, check_labels, check_number, check_random_state, check_texts
from ._counts import NaiveBayesModelMixin

__all__ = ["augment_text", "augment_texts", "augment_counts", "diluted_share", "AugmentedNB"]


def _check_edit(dropout, swap):
    dropout = check_number(dropout, "dropout", low=0.0, high=1.0, high_open=True)
    swap = check_number(swap, "swap", low=0.0, high=1.0)
    return dropout, swap


def augment_text(text, dropout=0.1, swap=0.1, random_state=0):
    """One augmented copy of ``text``: word dropout, then swaps of neighbouring words.

    Parameters
    ----------
    text : str
    dropout : float in [0, 1), default=0.1
    swap : float in [0, 1], default=0.1
        The number of neighbour swaps is ``round(swap * n_words)``.
    random_state : int, Generator or None, default=0

    Returns
    -------
    str
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    dropout, swap = _check_edit(dropout, swap)
    rng = check_random_state(random_state)
    words = text.split()
    if not words:
        return text
    kept = [w for w in words if rng.random() >= dropout] or [words[int(rng.integers(len(words)))]]
    for _ in range(int(round(swap * len(kept))) if len(kept) > 1 else 0):
        i = int(rng.integers(len(kept) - 1))
        kept[i], kept[i + 1] = kept[i + 1], kept[i]
    return " ".join(kept)


def augment_texts(texts, labels, factor=1, dropout=0.1, swap=0.1, rows=None, random_state=0):
    """The rows followed by ``factor`` augmented copies of each chosen row, with their labels.

    Parameters
    ----------
    texts, labels
        The training set (not changed).
    factor : int >= 0, default=1
        Copies per chosen row.
    dropout, swap : float
        As for :func:`augment_text`.
    rows : sequence of int, default=None
        The rows to augment (a trusted subset); ``None`` augments every row.
    random_state : int, Generator or None, default=0

    Returns
    -------
    texts : list of str
    labels : ndarray
    """
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    factor = check_number(factor, "factor", low=0, integer=True)
    dropout, swap = _check_edit(dropout, swap)
    rows = np.arange(len(texts)) if rows is None else check_indices(rows, "rows", n_rows=len(texts))
    rng = check_random_state(random_state)
    new = [augment_text(texts[i], dropout, swap, rng) for _ in range(factor) for i in rows]
    return list(texts) + new, np.concatenate([labels, np.tile(labels[rows], factor)])


def augment_counts(X, y, factor=1, dropout=0.1, rows=None, random_state=0):
    """:func:`augment_texts` on a count matrix: each copy keeps each counted word with probability ``1 - dropout``.

    Swaps are left out: they do not change counts.

    Returns
    -------
    X_augmented : sparse matrix (CSR), a new matrix
    y_augmented : ndarray
    """
    from scipy import sparse

    X = sparse.csr_matrix(X, copy=True)
    y = np.asarray(y)
    if y.ndim != 1 or len(y) != X.shape[0]:
        raise ValueError(f"y must hold one label per row of X ({X.shape[0]}), got shape {y.shape}")
    factor = check_number(factor, "factor", low=0, integer=True)
    dropout, _ = _check_edit(dropout, 0.0)
    rows = np.arange(X.shape[0]) if rows is None else check_indices(rows, "rows", n_rows=X.shape[0])
    rng = check_random_state(random_state)
    if X.data.size and (X.data < 0).any():
        raise ValueError("X must hold non-negative counts")
    chosen = X[rows]
    copies = []
    for _ in range(factor):
        copy = chosen.copy()
        copy.data = rng.binomial(np.round(copy.data).astype(np.int64), 1.0 - dropout).astype(X.dtype)
        copies.append(copy)
    X_out = sparse.vstack([X, *copies], format="csr") if copies else X
    return X_out, np.concatenate([y, np.tile(y[rows], factor)])


def diluted_share(fraction, factor, trusted_share=None):
    """The poison's share of the training set after augmentation (see the module's docstring).

    Parameters
    ----------
    fraction : float >= 0
        Poisoned rows as a share of the ``n`` clean rows.
    factor : int >= 0
    trusted_share : float in [0, 1] or None
        ``None``: every row, poison included, is augmented.
    """
    fraction = check_number(fraction, "fraction", low=0.0)
    factor = check_number(factor, "factor", low=0, integer=True)
    if trusted_share is None:
        return fraction / (1 + fraction)
    trusted_share = check_number(trusted_share, "trusted_share", low=0.0, high=1.0)
    return fraction / (1 + fraction + trusted_share * factor)


class AugmentedNB(NaiveBayesModelMixin, ClassifierMixin, BaseEstimator):
    """Multinomial Naive Bayes trained on the rows plus ``factor`` word-dropout copies of them.

    Parameters
    ----------
    factor : int, default=2
        Copies per augmented row.
    dropout : float in [0, 1), default=0.1
    alpha : float, default=1.0
        The Naive Bayes smoothing.
    random_state : int or None, default=None

    Attributes
    ----------
    classes_, n_features_in_
    model_ : MultinomialNB
        Fitted on the augmented counts.
    n_augmented_ : int
        How many rows were added.

    Notes
    -----
    ``fit(X, y, trusted=rows)`` augments only the given (verified) rows; by default every row is
    augmented, poisoned ones included, which is what the command line's ``--defense augment`` does.
    """

    def __init__(self, factor=2, dropout=0.1, alpha=1.0, random_state=None):
        self.factor = factor
        self.dropout = dropout
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X, y, trusted=None):
        """Augment, then fit the Naive Bayes.

        Parameters
        ----------
        X : {array-like, sparse matrix} of non-negative counts
        y : array-like
        trusted : sequence of int, default=None
            The rows to augment; ``None`` augments every row.
        """
        factor = check_number(self.factor, "factor", low=0, integer=True)
        _check_edit(self.dropout, 0.0)
        alpha = check_number(self.alpha, "alpha", low=0.0, low_open=True)
        X, y = self._validate_counts(X, y)
        from scipy import sparse

        # Naive Bayes needs only each class's word-count sums and row counts, and the sum of ``factor``
        # binomial thinnings of a count is one binomial thinning of ``factor`` times it. So the copies of
        # a row enter as one row of summed counts divided by ``factor``, with weight ``factor``: the same
        # sums, in distribution, as ``augment_counts`` gives, at the cost of one copy.
        rows = np.arange(X.shape[0]) if trusted is None else check_indices(trusted, "trusted", n_rows=X.shape[0])
        if factor and len(rows):
            summed, _ = augment_counts(factor * X[rows], y[rows], 1, self.dropout, None, self.random_state)
            X_fit = sparse.vstack([X, summed[len(rows):] / factor], format="csr")
            y_fit = np.concatenate([y, y[rows]])
            weights = np.concatenate([np.ones(X.shape[0]), np.full(len(rows), float(factor))])
        else:
            X_fit, y_fit, weights = X, y, None
        self.model_ = self._fit_naive_bayes(X_fit, y_fit, alpha, sample_weight=weights)
        self.classes_ = self.model_.classes_
        self.n_augmented_ = factor * len(rows) if factor else 0
        return self
