"""Robust trainers on count features: differentially private and robust-statistics Naive Bayes, and TRIM.

Each is a scikit-learn classifier that goes after the model's vectoriser in place
of ``MultinomialNB`` (a *trainer* of :mod:`course_utils.defenses`):

:class:`DPMultinomialNB`
    Naive Bayes whose counts are released through the Laplace mechanism, after
    each row's contribution is bounded: epsilon-differentially private with
    respect to adding or removing one training row, *given a vocabulary fixed
    without looking at the training rows* (hashed words, a public word list).
:class:`RobustMultinomialNB`
    Naive Bayes whose per-class word rates are the median (or a trimmed mean) of
    the rates measured on disjoint partitions of the training rows.
:class:`TrimClassifier`
    TRIM (Jagielski et al., 2018): refit on the ``n - k`` rows of lowest loss
    until that set stops changing, with in-sample or out-of-fold losses.

The privacy accounting of :class:`DPMultinomialNB`, in one place:

* **Neighbouring training sets** differ by one added or removed row.
* **Contribution bounding.** A row counts each word at most once (binary
  presence) and at most ``max_words`` distinct words; which words a longer row
  keeps is decided by a random order of the columns drawn from
  ``random_state``, never by the other rows. So one row changes the
  class-word count matrix by at most ``max_words`` in L1 norm (all in its own
  class's row) and the class counts by exactly 1.
* **The split of epsilon.** The class counts get ``class_share * epsilon``, the
  class-word counts the rest; by sequential composition the two releases
  together are ``epsilon``-DP (with delta = 0).
* **The Laplace mechanism.** Each count gets independent Laplace noise of scale
  sensitivity / (its part of epsilon): ``max_words / ((1 - class_share) *
  epsilon)`` for the class-word counts, ``1 / (class_share * epsilon)`` for the
  class counts. This is the scale of OpenDP's ``make_laplace`` for the same
  sensitivity (``d_in``) and epsilon (``scale = d_in / epsilon``).
* **Post-processing** costs no privacy: negative noisy counts are clipped at
  0, every word count is smoothed by ``alpha``, and a class count is kept at
  least 1, before the logarithms Naive Bayes uses.
* **Group privacy.** Training sets that differ in ``d`` add-or-remove steps give
  output distributions within a factor ``exp(d * epsilon)`` of each other; an
  attacker who adds ``k`` rows moves ``d = k`` steps, one who changes ``k`` rows
  (a label flip, a backdoored sentence) ``d = 2k``. See :func:`group_privacy_bound`.
"""

from __future__ import annotations

import math
import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, check_non_negative, validate_data

from .._validation import check_choice, check_number, check_random_state, rows_for_share
from ..models import MODELS, make_classifier

__all__ = [
    "bound_contributions",
    "count_sensitivity",
    "laplace_scale",
    "group_privacy_bound",
    "release_counts",
    "DPMultinomialNB",
    "RobustMultinomialNB",
    "TrimClassifier",
]

STATISTICS = ("median", "trimmed-mean", "mean")
LOSSES = ("out-of-fold", "in-sample")


def _as_csr(X):
    from scipy import sparse

    return sparse.csr_matrix(X, dtype=np.float64) if not sparse.issparse(X) else X.tocsr().astype(np.float64)


def bound_contributions(X, max_words, random_state=None):
    """Bound each row's contribution: binary presence of at most ``max_words`` distinct columns.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_rows, n_features), non-negative
        Counts (a vectoriser's output).
    max_words : int >= 1
        The most distinct columns a row may keep.
    random_state : None, int or numpy Generator, default=None
        Draws one random order of the columns; a row with more than
        ``max_words`` columns keeps those that come first in it. The choice for
        a row depends on that row and ``random_state`` only.

    Returns
    -------
    scipy.sparse.csr_matrix
        A new 0/1 matrix of the same shape; ``X`` is not changed.
    """
    max_words = check_number(max_words, "max_words", low=1, integer=True)
    rng = check_random_state(random_state)
    B = _as_csr(X).copy()
    B.sum_duplicates()
    B.eliminate_zeros()
    B.data[:] = 1.0
    order = rng.permutation(B.shape[1])
    rows = np.repeat(np.arange(B.shape[0], dtype=np.int64), np.diff(B.indptr))
    # One int64 key per entry, row first and then the column's place in ``order``: the keys are
    # distinct (a row holds a column once), so one argsort gives lexsort's order, in a third of its time.
    sorted_entries = np.argsort(rows * B.shape[1] + order[B.indices])
    rank = np.empty(len(rows), dtype=np.int64)
    rank[sorted_entries] = np.arange(len(rows)) - B.indptr[rows[sorted_entries]]
    B.data[rank >= max_words] = 0.0
    B.eliminate_zeros()
    return B


def count_sensitivity(max_words):
    """L1 sensitivity of the (class-word counts, class counts) under add/remove-one-row: ``(max_words, 1)``."""
    return check_number(max_words, "max_words", low=1, integer=True), 1


def laplace_scale(sensitivity, epsilon):
    """The Laplace mechanism's scale, ``sensitivity / epsilon`` (OpenDP's ``make_laplace``: ``d_in / epsilon``)."""
    sensitivity = check_number(sensitivity, "sensitivity", low=0.0)
    epsilon = check_number(epsilon, "epsilon", low=0.0, low_open=True)
    return 0.0 if math.isinf(epsilon) else sensitivity / epsilon


def group_privacy_bound(clean_rate, epsilon, steps):
    """Upper bound on a probability after ``steps`` add-or-remove changes: ``min(1, exp(steps * epsilon) * rate)``.

    Parameters
    ----------
    clean_rate : float or array in [0, 1]
        The probability (for example the attack success rate, in expectation over
        the mechanism's noise) on the clean training set.
    epsilon : float > 0
    steps : int or array of int >= 0
        Add-or-remove steps between the clean and the poisoned training set: ``k``
        for ``k`` added rows, ``2k`` for ``k`` changed rows.

    Returns
    -------
    float or ndarray
    """
    epsilon = check_number(epsilon, "epsilon", low=0.0, low_open=True)
    rate = np.asarray(clean_rate, dtype=float)
    steps = np.asarray(steps)
    if np.any((rate < 0) | (rate > 1)) or np.any(np.isnan(rate)):
        raise ValueError("clean_rate must lie in [0, 1]")
    if not np.issubdtype(steps.dtype, np.integer) or np.any(steps < 0):
        raise ValueError("steps must be non-negative integers")
    with np.errstate(over="ignore", invalid="ignore"):
        bound = np.where(rate == 0, 0.0, np.minimum(1.0, np.exp(steps * epsilon) * rate))
    return float(bound) if bound.ndim == 0 else bound


def release_counts(feature_count, class_count, rng, noise_scale, alpha):
    """The Laplace mechanism on bounded counts, then post-processing: what :class:`DPMultinomialNB` fits.

    Parameters
    ----------
    feature_count : ndarray of shape (n_classes, n_features)
        Class-word counts of the bounded rows.
    class_count : ndarray of shape (n_classes,)
    rng : numpy Generator
        Draws the word counts' noise, then the class counts'.
    noise_scale : dict
        ``{"feature_count": b_words, "class_count": b_classes}``; 0 adds no noise.
    alpha : float > 0

    Returns
    -------
    noisy feature counts, noisy class counts, feature_log_prob, class_log_prior
    """
    feature_count, class_count = np.asarray(feature_count, dtype=float), np.asarray(class_count, dtype=float)
    if noise_scale["feature_count"] > 0 or noise_scale["class_count"] > 0:
        feature_count = feature_count + rng.laplace(0.0, noise_scale["feature_count"], feature_count.shape)
        class_count = class_count + rng.laplace(0.0, noise_scale["class_count"], class_count.shape)
    # Post-processing (no privacy spent): clip, smooth, normalise.
    smoothed = np.maximum(feature_count, 0.0) + alpha
    log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
    kept = np.maximum(class_count, 1.0)
    return feature_count, class_count, log_prob, np.log(kept) - np.log(kept.sum())


class _CountClassifier(ClassifierMixin, BaseEstimator):
    """A Naive Bayes-shaped classifier on non-negative counts: ``feature_log_prob_`` and ``class_log_prior_``."""

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = True
        tags.classifier_tags.poor_score = True  # as MultinomialNB's: the checks' data are not counts
        return tags

    def _check_training_data(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse="csr", dtype=np.float64)
        check_non_negative(X, f"{type(self).__name__} (input X)")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        return X, encoded

    def _joint_log_likelihood(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        check_non_negative(X, f"{type(self).__name__} (input X)")
        return np.asarray(X @ self.feature_log_prob_.T) + self.class_log_prior_

    def predict(self, X):
        """The most probable class of each row."""
        joint = self._joint_log_likelihood(X)
        return self.classes_[np.argmax(joint, axis=1)]

    def predict_log_proba(self, X):
        """Log-probability of each class, for each row."""
        from scipy.special import logsumexp

        joint = self._joint_log_likelihood(X)
        return joint - logsumexp(joint, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Probability of each class, for each row."""
        return np.exp(self.predict_log_proba(X))


def _one_hot(encoded, n_classes):
    from scipy import sparse

    n = len(encoded)
    return sparse.csr_matrix((np.ones(n), (encoded, np.arange(n))), shape=(n_classes, n))


class DPMultinomialNB(_CountClassifier):
    """Epsilon-differentially private multinomial Naive Bayes on count features.

    One row's contribution is bounded (binary presence of at most ``max_words``
    distinct words), the class-word counts and the class counts get Laplace
    noise of scale sensitivity / epsilon-part, and the noisy counts are clipped
    and smoothed (post-processing, which costs no privacy); see the module's
    docstring for the accounting. The guarantee covers what is fitted from the
    rows given a vocabulary (the columns of ``X``) fixed without looking at
    them: after a vectoriser *fitted on the training texts*, the vocabulary
    itself reveals which words occur there and is not covered.

    Parameters
    ----------
    epsilon : float > 0 or inf, default=1.0
        The privacy budget. ``float("inf")`` adds no noise: the model is then
        exactly ``MultinomialNB(alpha=alpha)`` fitted on the bounded counts.
    max_words : int >= 1, default=20
        The most distinct words one row contributes (the L1 sensitivity of the
        class-word counts).
    alpha : float > 0, default=1.0
        Additive smoothing of the clipped noisy word counts.
    class_share : float in (0, 1), default=0.1
        The share of epsilon spent on the class counts; the rest goes to the
        class-word counts.
    random_state : None or int, default=None
        Seeds the noise and the choice of words kept from long rows.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    bounded_feature_count_ : ndarray of shape (n_classes, n_features)
        The class-word counts of the bounded rows, before noise. (Private:
        kept for teaching and tests, not part of what the mechanism releases.)
    feature_count_ : ndarray of shape (n_classes, n_features)
        The noisy class-word counts (what the mechanism releases).
    class_count_ : ndarray of shape (n_classes,)
        The noisy class counts.
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
    class_log_prior_ : ndarray of shape (n_classes,)
    sensitivity_ : dict
        ``{"feature_count": max_words, "class_count": 1}`` (L1).
    epsilon_split_ : dict
        The part of epsilon each release spends.
    noise_scale_ : dict
        The Laplace scale of each release (0 when epsilon is infinite).
    n_features_in_ : int
    """

    def __init__(self, epsilon=1.0, max_words=20, alpha=1.0, class_share=0.1, random_state=None):
        self.epsilon = epsilon
        self.max_words = max_words
        self.alpha = alpha
        self.class_share = class_share
        self.random_state = random_state

    def fit(self, X, y):
        """Bound, count, add noise, post-process.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_rows, n_features), non-negative counts
        y : array-like of shape (n_rows,)

        Returns
        -------
        self
        """
        epsilon = check_number(self.epsilon, "epsilon", low=0.0, low_open=True)
        max_words, class_sensitivity = count_sensitivity(self.max_words)
        alpha = check_number(self.alpha, "alpha", low=0.0, low_open=True)
        class_share = check_number(self.class_share, "class_share", low=0.0, high=1.0, low_open=True,
                                   high_open=True)
        rng = check_random_state(self.random_state)
        X, encoded = self._check_training_data(X, y)
        bounded = bound_contributions(X, max_words, random_state=rng)
        members = _one_hot(encoded, len(self.classes_))
        self.bounded_feature_count_ = np.asarray((members @ bounded).todense())
        class_count = np.asarray(members.sum(axis=1)).ravel()
        self.sensitivity_ = {"feature_count": max_words, "class_count": class_sensitivity}
        self.epsilon_split_ = {"feature_count": (1 - class_share) * epsilon, "class_count": class_share * epsilon}
        self.noise_scale_ = {key: laplace_scale(self.sensitivity_[key], part)
                             for key, part in self.epsilon_split_.items()}
        released = release_counts(self.bounded_feature_count_, class_count, rng, self.noise_scale_, alpha)
        self.feature_count_, self.class_count_, self.feature_log_prob_, self.class_log_prior_ = released
        return self


def _trimmed_mean(values, proportion):
    from scipy.stats import trim_mean

    return trim_mean(values, proportion, axis=0)


class RobustMultinomialNB(_CountClassifier):
    """Multinomial Naive Bayes whose word rates are a robust statistic over disjoint partitions.

    Each class's training rows are shuffled and split into ``n_partitions``
    disjoint parts (fewer when the class has fewer rows); each part gives
    smoothed word rates ``(count + alpha) / (total + alpha * n_features)``, and
    the class's rates are their median (or trimmed mean) across the parts,
    normalised to sum to one. The class priors are the plain class shares.

    Parameters
    ----------
    n_partitions : int >= 1, default=5
    statistic : {"median", "trimmed-mean", "mean"}, default="median"
        ``"mean"`` is the plain average of the parts, for comparison.
    trim : float in [0, 0.5), default=0.2
        With ``"trimmed-mean"``: the share of parts cut from each end.
    alpha : float > 0, default=1.0
    random_state : None or int, default=None
        Seeds the partitioning.

    Attributes
    ----------
    classes_, feature_log_prob_, class_log_prior_, n_features_in_
    partition_rates_ : list of ndarray
        Per class, the rates of each part, shape (n_parts, n_features).
    """

    def __init__(self, n_partitions=5, statistic="median", trim=0.2, alpha=1.0, random_state=None):
        self.n_partitions = n_partitions
        self.statistic = statistic
        self.trim = trim
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X, y):
        """Split each class into parts, measure each part's rates, aggregate robustly.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_rows, n_features), non-negative counts
        y : array-like of shape (n_rows,)

        Returns
        -------
        self
        """
        n_partitions = check_number(self.n_partitions, "n_partitions", low=1, integer=True)
        check_choice(self.statistic, "statistic", STATISTICS)
        trim = check_number(self.trim, "trim", low=0.0, high=0.5, high_open=True)
        alpha = check_number(self.alpha, "alpha", low=0.0, low_open=True)
        rng = check_random_state(self.random_state)
        X, encoded = self._check_training_data(X, y)
        X = _as_csr(X)
        rates, log_prob = [], []
        for c in range(len(self.classes_)):
            rows = rng.permutation(np.flatnonzero(encoded == c))
            parts = np.array_split(rows, min(n_partitions, len(rows)))
            counts = np.vstack([np.asarray(X[part].sum(axis=0)).ravel() for part in parts])
            part_rates = (counts + alpha) / (counts.sum(axis=1, keepdims=True) + alpha * X.shape[1])
            if self.statistic == "median":
                aggregate = np.median(part_rates, axis=0)
            elif self.statistic == "trimmed-mean":
                aggregate = _trimmed_mean(part_rates, trim)
            else:
                aggregate = part_rates.mean(axis=0)
            rates.append(part_rates)
            log_prob.append(np.log(aggregate) - np.log(aggregate.sum()))
        self.partition_rates_ = rates
        self.feature_log_prob_ = np.vstack(log_prob)
        class_count = np.bincount(encoded, minlength=len(self.classes_)).astype(float)
        self.class_log_prior_ = np.log(class_count) - np.log(class_count.sum())
        return self


def _log_loss_rows(model, X, encoded, classes):
    """Each row's log loss, ``-log p(own label)``, under ``model`` (a class it never saw: probability 1e-12)."""
    probabilities = np.full((X.shape[0], len(classes)), 1e-12)
    known = np.searchsorted(classes, model.classes_)
    probabilities[:, known] = np.maximum(model.predict_proba(X), 1e-12)
    return -np.log(probabilities[np.arange(X.shape[0]), encoded])


def _plain_multinomial_nb(estimator):
    from sklearn.naive_bayes import MultinomialNB

    return (type(estimator) is MultinomialNB and estimator.fit_prior and estimator.class_prior is None
            and estimator.force_alpha and np.ndim(estimator.alpha) == 0 and estimator.alpha > 0)


def _folds(kept, fold_of, cv):
    """The kept rows by their fold (each row's fold is drawn once, so the folds do not change between rounds)."""
    return [fold for fold in (kept[fold_of[kept] == f] for f in range(cv)) if len(fold)]


def _nb_out_of_fold_losses(alpha, X, encoded, n_classes, kept, fold_of, cv):
    """Out-of-fold log losses of MultinomialNB by count arithmetic: a fold's model counts all kept rows but the fold's.

    The same folds and the same numbers as fitting ``MultinomialNB(alpha=alpha)`` on each fold's complement,
    without refitting.
    """
    from scipy.special import logsumexp

    members = _one_hot(encoded, n_classes)

    def counts(rows):
        mask = np.zeros(X.shape[0])
        mask[rows] = 1.0
        part = members.multiply(mask).tocsr()
        summed = part @ X
        summed = summed.toarray() if hasattr(summed, "toarray") else np.asarray(summed)
        return summed, np.asarray(part.sum(axis=1)).ravel()

    def losses_of(feature_count, class_count, rows):
        smoothed = feature_count + alpha
        log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        with np.errstate(divide="ignore"):
            prior = np.log(class_count) - np.log(class_count.sum())
        joint = np.asarray(X[rows] @ log_prob.T) + prior
        log_proba = joint - logsumexp(joint, axis=1, keepdims=True)
        return -np.maximum(log_proba[np.arange(len(rows)), encoded[rows]], np.log(1e-12))

    kept_features, kept_classes = counts(kept)
    losses = losses_of(kept_features, kept_classes, np.arange(X.shape[0]))  # right for the rows left out
    for fold in _folds(kept, fold_of, cv):
        fold_features, fold_classes = counts(fold)
        if len(fold) < len(kept):
            losses[fold] = losses_of(kept_features - fold_features, kept_classes - fold_classes, fold)
    return losses


class TrimClassifier(ClassifierMixin, BaseEstimator):
    """TRIM (Jagielski et al., 2018): train on the ``n - k`` rows of lowest loss, until they stop changing.

    It starts from the model fitted on every row, then repeats: compute every
    row's loss, keep the ``n - k`` lowest (``k = round(trim_fraction * n)``),
    refit on them; it stops when the kept set does not change (or after
    ``max_iter`` rounds). A poisoned row that the model has learned has a low
    *in-sample* loss, so the in-sample version can keep exactly the rows it
    should drop. With ``losses="out-of-fold"`` every row's loss comes from a
    model that did not train on it: the kept rows are split into ``cv`` folds,
    each scored by a model fitted on the other folds, and the dropped rows by
    the model fitted on all kept rows.

    Parameters
    ----------
    estimator : {"count-nb", "tfidf-logreg"} or classifier, default="count-nb"
        The model refitted: by the course's name (``MultinomialNB()``,
        ``LogisticRegression(max_iter=1000)``) or a scikit-learn classifier
        with ``predict_proba`` (cloned).
    trim_fraction : float in [0, 0.5), default=0.1
        The share ``k / n`` of rows left out.
    losses : {"out-of-fold", "in-sample"}, default="out-of-fold"
    cv : int >= 2, default=5
    max_iter : int >= 1, default=10
    random_state : None or int, default=None
        Seeds the folds and the logistic regression's solver.

    Attributes
    ----------
    estimator_ : classifier
        Fitted on the kept rows.
    kept_, trimmed_ : ndarray of int
        The rows kept and left out, sorted.
    losses_ : ndarray of shape (n_rows,)
        Every row's loss (of the chosen kind) in the last round.
    suspicion_ : ndarray of shape (n_rows,)
        The same, read as a detector's suspicion (higher: more suspicious).
    n_iter_ : int
    converged_ : bool
    classes_, n_features_in_
    """

    def __init__(self, estimator="count-nb", trim_fraction=0.1, losses="out-of-fold", cv=5, max_iter=10,
                 random_state=None):
        self.estimator = estimator
        self.trim_fraction = trim_fraction
        self.losses = losses
        self.cv = cv
        self.max_iter = max_iter
        self.random_state = random_state

    def _base(self):
        if isinstance(self.estimator, str):
            check_choice(self.estimator, "estimator", MODELS)
            seed = self.random_state if isinstance(self.random_state, numbers.Integral) else None
            return make_classifier(self.estimator, random_state=seed)
        if not (hasattr(self.estimator, "fit") and hasattr(self.estimator, "predict_proba")):
            raise TypeError(f"estimator must be one of {', '.join(MODELS)} or a classifier with predict_proba, "
                            f"got {type(self.estimator).__name__}")
        return clone(self.estimator)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.input_tags.positive_only = self.estimator == "count-nb"
        tags.classifier_tags.poor_score = self.estimator == "count-nb"  # as MultinomialNB's
        return tags

    def _fit_rows(self, base, X, encoded, rows):
        return clone(base).fit(X[rows], self.classes_[encoded[rows]])

    def _row_losses(self, base, model, X, encoded, kept, fold_of, cv):
        if self.losses == "in-sample" or len(kept) < 2:
            return _log_loss_rows(model, X, encoded, self.classes_)
        if _plain_multinomial_nb(base):
            return _nb_out_of_fold_losses(base.alpha, X, encoded, len(self.classes_), kept, fold_of, cv)
        losses = _log_loss_rows(model, X, encoded, self.classes_)  # right for the rows left out
        for fold in _folds(kept, fold_of, cv):
            rest = np.setdiff1d(kept, fold)
            if len(rest):
                fold_model = self._fit_rows(base, X, encoded, rest)
                losses[fold] = _log_loss_rows(fold_model, X[fold], encoded[fold], self.classes_)
        return losses

    def fit(self, X, y):
        """Alternate between fitting on the kept rows and keeping the rows of lowest loss.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_rows, n_features)
        y : array-like of shape (n_rows,)

        Returns
        -------
        self
        """
        trim_fraction = check_number(self.trim_fraction, "trim_fraction", low=0.0, high=0.5, high_open=True)
        check_choice(self.losses, "losses", LOSSES)
        cv = check_number(self.cv, "cv", low=2, integer=True)
        max_iter = check_number(self.max_iter, "max_iter", low=1, integer=True)
        rng = check_random_state(self.random_state)
        base = self._base()
        X, y = validate_data(self, X, y, accept_sparse="csr")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) < 2:
            raise ValueError(f"y must hold at least two classes; got {len(self.classes_)} class")
        n = X.shape[0]
        n_keep = n - rows_for_share(trim_fraction, n, "trim_fraction")
        kept = np.arange(n)
        model = self._fit_rows(base, X, encoded, kept)
        fold_of = rng.permutation(n) % cv
        self.converged_ = False
        for self.n_iter_ in range(1, max_iter + 1):
            losses = self._row_losses(base, model, X, encoded, kept, fold_of, cv)
            chosen = np.sort(np.argsort(losses, kind="stable")[:n_keep])
            chosen = self._keep_every_class(chosen, losses, encoded)
            if np.array_equal(chosen, kept):
                self.converged_ = True
                break
            kept = chosen
            model = self._fit_rows(base, X, encoded, kept)
        self.estimator_, self.kept_ = model, kept
        self.trimmed_ = np.setdiff1d(np.arange(n), kept)
        self.losses_ = losses
        self.suspicion_ = losses
        return self

    def _keep_every_class(self, chosen, losses, encoded):
        """Swap in a class's lowest-loss row where trimming would drop the whole class."""
        chosen = list(chosen)
        for c in np.setdiff1d(np.arange(len(self.classes_)), encoded[chosen]):
            rows = np.flatnonzero(encoded == c)
            worst = max(chosen, key=lambda i: losses[i])
            chosen[chosen.index(worst)] = rows[np.argmin(losses[rows])]
        return np.sort(np.asarray(chosen, dtype=np.int64))

    def _aligned(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", reset=False)
        probabilities = np.zeros((X.shape[0], len(self.classes_)))
        probabilities[:, np.searchsorted(self.classes_, self.estimator_.classes_)] = self.estimator_.predict_proba(X)
        return probabilities

    def predict_proba(self, X):
        """Probability of each class, from the model fitted on the kept rows."""
        return self._aligned(X)

    def predict(self, X):
        """The most probable class of each row."""
        probabilities = self._aligned(X)
        return self.classes_[np.argmax(probabilities, axis=1)]
