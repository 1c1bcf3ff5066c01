"""Label penalties: training that trusts a row's label less when the rest of the data contradicts it.

Lesson 08 measures these against every attack of the course. Each is a
scikit-learn classifier on count (or TF-IDF) features, registered as a *trainer*
of :mod:`course_utils.defenses`, and none of them trusts in-sample losses alone:
a model that has seen a flipped row has already learned part of it, so the
row's own loss understates how much the rest of the data disagrees.

:class:`LossFilterClassifier` (``loss-filter``)
    Out-of-fold losses: every row is scored by a model fitted on the other
    folds; the ``drop_share`` of rows whose label is least likely are dropped,
    and the model is refitted on the rest.
:class:`ReweightedClassifier` (``reweight``)
    The same out-of-fold probabilities, used as ``sample_weight``: each row
    weighs its label's out-of-fold probability (to the power ``power``).
:class:`LabelSmoothingNB` (``label-smoothing``)
    Multinomial Naive Bayes on fractional counts: each row gives ``1 - epsilon``
    of its counts to its label and ``epsilon / (K - 1)`` to every other class.
:class:`GCELogisticRegression` (``robust-loss``)
    Logistic regression with the generalized cross-entropy of Zhang & Sabuncu
    (2018), ``(1 - p_y ** q) / q``, fitted by L-BFGS with its analytic
    gradient. At ``q = 0`` it is the cross-entropy, and then agrees with
    scikit-learn's ``LogisticRegression`` (same ``C``, L2 penalty, intercept
    not penalised).

:func:`out_of_fold_losses` is the out-of-fold scoring the first two share, and
:func:`naive_bayes_log_probabilities` the smoothing arithmetic of Naive Bayes
that :class:`LabelSmoothingNB` and the lesson's alpha sweep share.
"""

from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from .._validation import check_choice, check_number, rows_for_share
from ..detect import out_of_fold_matrix_probabilities
from ..models import MODELS, fit_checked_naive_bayes, make_classifier

__all__ = [
    "out_of_fold_losses",
    "naive_bayes_log_probabilities",
    "LossFilterClassifier",
    "ReweightedClassifier",
    "LabelSmoothingNB",
    "GCELogisticRegression",
]


def _positive_tags(tags, positive):
    tags.input_tags.sparse = True
    tags.input_tags.positive_only = positive
    # Naive Bayes on shifted Gaussian blobs (scikit-learn's training-score check) scores under its
    # 0.83 bar, as MultinomialNB itself does; the course's data are word counts.
    tags.classifier_tags.poor_score = positive
    return tags


def _check_fit_data(estimator, X, y, positive):
    """Validated ``X`` and ``y`` with ``classes_`` and ``n_features_in_`` set; ``y`` as class numbers."""
    X, y = validate_data(estimator, X, y, accept_sparse="csr", dtype=np.float64)
    check_classification_targets(y)
    if positive and (X.min() if X.shape[0] else 0) < 0:
        raise ValueError(f"Negative values in data passed to {type(estimator).__name__}.fit: Naive Bayes needs "
                         f"non-negative features (counts) in X")
    classes, index = np.unique(y, return_inverse=True)
    if len(classes) < 2:
        raise ValueError(f"{type(estimator).__name__} needs at least two classes in y, got 1 class")
    estimator.classes_ = classes
    return X, index


def out_of_fold_losses(X, y, model="count-nb", cv=5, random_state=0):
    """Each row's cross-entropy loss under a model that never saw it, and the probabilities behind it.

    The probabilities are :func:`course_utils.detect.out_of_fold_matrix_probabilities`
    (the same stratified, shuffled folds as the detectors' out-of-fold views),
    on a feature matrix rather than on texts.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_rows, n_features)
    y : array-like of shape (n_rows,)
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        Whose classifier scores the rows (:func:`course_utils.models.make_classifier`).
    cv : int, default=5
        Folds; fewer when the smallest class has fewer rows (at least 2).
    random_state : int, default=0
        Shuffles the folds (and seeds the logistic regression's solver).

    Returns
    -------
    losses : ndarray of shape (n_rows,)
        ``-log p(label)``, out of fold.
    probabilities : ndarray of shape (n_rows, n_classes)
        Columns in the order of ``np.unique(y)``.
    """
    probabilities = out_of_fold_matrix_probabilities(X, y, model, cv, random_state)
    index = np.unique(np.asarray(y), return_inverse=True)[1]
    return _own_losses(probabilities, index), probabilities


def _own_losses(probabilities, index):
    """``-log p(label)`` of every row, from its class probabilities and its class number."""
    own = probabilities[np.arange(len(index)), index]
    return -np.log(np.clip(own, 1e-300, None))


def naive_bayes_log_probabilities(feature_count, class_count, alpha, fit_prior=True):
    """Multinomial Naive Bayes' fitted log probabilities from (possibly fractional) counts.

    Exactly what ``MultinomialNB(alpha=alpha, fit_prior=fit_prior)`` computes from
    its ``feature_count_`` and ``class_count_``: ``log((N_cw + alpha) / (N_c + alpha * V))``
    and the log class shares. With several ``alpha`` the same counts serve every
    one, which is what makes an alpha sweep cheap.

    Parameters
    ----------
    feature_count : ndarray of shape (n_classes, n_features)
    class_count : ndarray of shape (n_classes,)
    alpha : float >= 0
    fit_prior : bool, default=True

    Returns
    -------
    feature_log_prob : ndarray of shape (n_classes, n_features)
    class_log_prior : ndarray of shape (n_classes,)
    """
    alpha = check_number(alpha, "alpha", low=0.0)
    feature_count = np.asarray(feature_count, dtype=float)
    class_count = np.asarray(class_count, dtype=float)
    smoothed = feature_count + alpha
    with np.errstate(divide="ignore"):
        feature_log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
        if fit_prior:
            class_log_prior = np.log(class_count) - np.log(class_count.sum())
        else:
            class_log_prior = np.full(len(class_count), -np.log(len(class_count)))
    return feature_log_prob, class_log_prior


class _OutOfFoldBase(ClassifierMixin, BaseEstimator):
    """Shared parts of the two out-of-fold penalties: checks, scoring, delegation to the refitted model."""

    def _check_params(self):
        check_choice(self.model, "model", MODELS)
        check_number(self.cv, "cv", low=2, integer=True)

    def _fit_scored(self, X, y, oof_probabilities=None):
        """``(X, index, losses)``: the data checked, ``classes_`` set, each row's out-of-fold loss.

        Both penalties start their ``fit`` here, once they have checked their own parameter.
        ``oof_probabilities``, when given, replaces computing the out-of-fold probabilities
        (see the penalties' ``fit``); it is checked and copied, never modified.
        """
        X, index = _check_fit_data(self, X, y, self.model == "count-nb")
        self._check_params()
        if oof_probabilities is None:
            losses, probabilities = out_of_fold_losses(X, index, self.model, self.cv, self.random_state)
        else:
            probabilities = _check_probabilities(oof_probabilities, len(index), len(self.classes_))
            losses = _own_losses(probabilities, index)
        self.oof_losses_, self.oof_probabilities_ = losses, probabilities
        return X, index, losses

    def _refit(self, X, index, sample_weight=None):
        if self.model == "count-nb":
            # MultinomialNB() on the rows fit has already checked, without checking and binarising them again
            # (the same fitted attributes as its fit).
            self.estimator_ = fit_checked_naive_bayes(X, index, 1.0, sample_weight)
        else:
            fit_params = {} if sample_weight is None else {"sample_weight": sample_weight}
            self.estimator_ = make_classifier(self.model, random_state=self.random_state).fit(X, index, **fit_params)
        return self

    def predict_proba(self, X):
        """Class probabilities of the refitted model, columns in the order of ``classes_``."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        probabilities = np.zeros((X.shape[0], len(self.classes_)))
        probabilities[:, self.estimator_.classes_] = self.estimator_.predict_proba(X)
        return probabilities

    def predict(self, X):
        """The most probable class of each row."""
        check_is_fitted(self, "estimator_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        return _positive_tags(super().__sklearn_tags__(), self.model == "count-nb")


class LossFilterClassifier(_OutOfFoldBase):
    """Drop the rows whose label the rest of the data finds least likely, then refit.

    Every row's loss ``-log p(label)`` comes from a model fitted on the other
    folds (:func:`out_of_fold_losses`), so a flipped row is judged by data that
    does not contain it. The ``round(drop_share * n)`` rows with the highest
    loss are dropped (ties broken at random by ``random_state``), except that a
    class always keeps its lowest-loss row, and the model is refitted on the rest.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        Whose classifier scores the rows and is refitted (``MultinomialNB()``
        or ``LogisticRegression(max_iter=1000)``); use ``"tfidf-logreg"``
        behind TF-IDF features.
    drop_share : float in [0, 1), default=0.1
        The share of training rows dropped.
    cv : int >= 2, default=5
        Out-of-fold folds.
    random_state : int, default=0
        Shuffles the folds and breaks ties between equal losses.

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    oof_losses_ : ndarray of shape (n_rows,)
    oof_probabilities_ : ndarray of shape (n_rows, n_classes)
    dropped_ : ndarray of int
        The rows dropped, highest loss first.
    estimator_ : classifier
        The model refitted on the kept rows (classes as numbers into ``classes_``).
    """

    def __init__(self, model="count-nb", drop_share=0.1, cv=5, random_state=0):
        self.model = model
        self.drop_share = drop_share
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, oof_probabilities=None):
        """Score every row out of fold, drop the least likely ``drop_share``, refit on the rest.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_rows, n_features)
        y : array-like of shape (n_rows,)
        oof_probabilities : ndarray of shape (n_rows, n_classes), default=None
            The out-of-fold probabilities this estimator would compute on exactly
            these ``X`` and ``y`` (same ``model``, ``cv`` and ``random_state``), for
            instance another out-of-fold penalty's ``oof_probabilities_`` on the same
            rows; columns in the order of ``np.unique(y)``. Given, they are not
            computed again (the result is the same); they must be finite and in [0, 1].
        """
        share = check_number(self.drop_share, "drop_share", low=0.0, high=1.0, high_open=True)
        X, index, losses = self._fit_scored(X, y, oof_probabilities)
        self.dropped_ = loss_filter_rows(losses, index, rows_for_share(share, len(index), "drop_share"),
                                         self.random_state)
        keep = np.setdiff1d(np.arange(len(index)), self.dropped_)
        return self._refit(X[keep], index[keep])


def _check_probabilities(probabilities, n_rows, n_classes):
    """``oof_probabilities`` as a new float array of shape ``(n_rows, n_classes)``, finite and in [0, 1]."""
    try:
        probabilities = np.array(probabilities, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise TypeError(f"oof_probabilities must be an array of numbers, got {type(probabilities).__name__}") \
            from error
    if probabilities.shape != (n_rows, n_classes):
        raise ValueError(f"oof_probabilities must have shape ({n_rows}, {n_classes}) (rows of X, classes of y), "
                         f"got {probabilities.shape}")
    if not np.all(np.isfinite(probabilities)) or (probabilities.size and
                                                   (probabilities.min() < 0 or probabilities.max() > 1)):
        raise ValueError("oof_probabilities must be finite numbers in [0, 1]")
    return probabilities


def loss_filter_rows(losses, index, n_drop, random_state=0):
    """The ``n_drop`` rows with the highest ``losses``, highest first; each class keeps at least one row.

    Ties are broken by a random order drawn from ``random_state``.
    """
    order_key = np.random.default_rng(random_state).permutation(len(losses))
    order = np.lexsort((order_key, -np.asarray(losses)))  # highest loss first, ties at random
    dropped = order[:n_drop]
    for c in np.unique(index):
        if np.all(np.isin(np.flatnonzero(index == c), dropped)):
            dropped = dropped[dropped != order[::-1][np.flatnonzero(index[order[::-1]] == c)[0]]]
    return dropped


class ReweightedClassifier(_OutOfFoldBase):
    """Refit with each row weighted by how likely the rest of the data finds its label.

    A row's weight is its label's out-of-fold probability (:func:`out_of_fold_losses`)
    raised to ``power``, and the weights are scaled to average 1, so that the
    total weight is the number of rows (Naive Bayes' smoothing keeps its
    strength). The model is refitted on every row with these ``sample_weight``.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        Whose classifier scores the rows and is refitted.
    power : float >= 0, default=1.0
        ``0`` weighs every row 1 (the plain model); larger values push rows
        the rest of the data doubts towards weight 0.
    cv : int >= 2, default=5
    random_state : int, default=0

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    oof_losses_ : ndarray of shape (n_rows,)
    oof_probabilities_ : ndarray of shape (n_rows, n_classes)
    weights_ : ndarray of shape (n_rows,)
        The sample weights of the refit, mean 1.
    estimator_ : classifier
    """

    def __init__(self, model="count-nb", power=1.0, cv=5, random_state=0):
        self.model = model
        self.power = power
        self.cv = cv
        self.random_state = random_state

    def fit(self, X, y, oof_probabilities=None):
        """Score every row out of fold and refit on every row, weighted.

        ``oof_probabilities`` as for :meth:`LossFilterClassifier.fit`: the out-of-fold
        probabilities on exactly these rows, not computed again when given.
        """
        power = check_number(self.power, "power", low=0.0)
        X, index, losses = self._fit_scored(X, y, oof_probabilities)
        self.weights_ = reweighting_weights(losses, power)
        return self._refit(X, index, sample_weight=self.weights_)


def reweighting_weights(losses, power=1.0):
    """Weights ``exp(-power * loss)`` (the label's probability to ``power``), scaled to mean 1."""
    weights = np.exp(-power * np.asarray(losses, dtype=float))
    total = weights.sum()
    return np.ones_like(weights) if not np.isfinite(total) or total <= 0 else weights * (len(weights) / total)


class LabelSmoothingNB(ClassifierMixin, BaseEstimator):
    """Multinomial Naive Bayes on label-smoothed (fractional) counts.

    Each row adds ``1 - epsilon`` of its word counts to its own label's counts
    and ``epsilon / (K - 1)`` to each of the ``K - 1`` other classes; the class
    counts of the prior are smoothed the same way. At ``epsilon = 0`` it is
    ``MultinomialNB(alpha=alpha, fit_prior=fit_prior)`` exactly. A flipped row
    then moves its wrong class's counts by ``1 - epsilon`` instead of 1, at the
    price of blurring every honest row as much.

    Parameters
    ----------
    alpha : float >= 0, default=1.0
        Additive smoothing of the word counts, as ``MultinomialNB``'s.
    epsilon : float in [0, 1), default=0.1
        The share of each row's counts given to the other classes.
    fit_prior : bool, default=True
        Learn the class prior from the (smoothed) class counts; else uniform.

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    feature_count_ : ndarray of shape (n_classes, n_features)
        The fractional word counts per class.
    class_count_ : ndarray of shape (n_classes,)
    feature_log_prob_ : ndarray of shape (n_classes, n_features)
    class_log_prior_ : ndarray of shape (n_classes,)
    """

    def __init__(self, alpha=1.0, epsilon=0.1, fit_prior=True):
        self.alpha = alpha
        self.epsilon = epsilon
        self.fit_prior = fit_prior

    def fit(self, X, y, sample_weight=None):
        """Count words per class with smoothed labels; ``sample_weight`` scales each row's counts."""
        X, index = _check_fit_data(self, X, y, positive=True)
        alpha = check_number(self.alpha, "alpha", low=0.0)
        epsilon = check_number(self.epsilon, "epsilon", low=0.0, high=1.0, high_open=True)
        if not isinstance(self.fit_prior, (bool, np.bool_)):
            raise TypeError(f"fit_prior must be True or False, got {type(self.fit_prior).__name__}")
        soft = smoothed_label_matrix(index, len(self.classes_), epsilon)
        if sample_weight is not None:
            from sklearn.utils.validation import _check_sample_weight

            soft = soft * _check_sample_weight(sample_weight, X)[:, None]
        self.feature_count_ = np.asarray((X.T @ soft).T)
        self.class_count_ = soft.sum(axis=0)
        self.feature_log_prob_, self.class_log_prior_ = naive_bayes_log_probabilities(
            self.feature_count_, self.class_count_, alpha, bool(self.fit_prior))
        return self

    def _joint_log_likelihood(self, X):
        check_is_fitted(self, "feature_log_prob_")
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        return np.asarray(X @ self.feature_log_prob_.T) + self.class_log_prior_

    def predict_log_proba(self, X):
        """Log class probabilities, columns in the order of ``classes_``."""
        from scipy.special import logsumexp

        joint = self._joint_log_likelihood(X)
        return joint - logsumexp(joint, axis=1, keepdims=True)

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        return np.exp(self.predict_log_proba(X))

    def predict(self, X):
        """The most probable class of each row."""
        check_is_fitted(self, "feature_log_prob_")
        return self.classes_[np.argmax(self._joint_log_likelihood(X), axis=1)]

    def __sklearn_tags__(self):
        return _positive_tags(super().__sklearn_tags__(), True)


def smoothed_label_matrix(index, n_classes, epsilon):
    """One row per training row: ``1 - epsilon`` in its class's column, ``epsilon / (K - 1)`` elsewhere."""
    soft = np.full((len(index), n_classes), epsilon / max(n_classes - 1, 1))
    soft[np.arange(len(index)), index] = 1.0 - epsilon
    return soft


def gce_objective(params, X, index, n_classes, q, C, fit_intercept, sample_weight):
    """The penalised generalized cross-entropy and its gradient (what :class:`GCELogisticRegression` minimises).

    ``C * sum_i w_i * L_q(p_i) + ||W||^2 / 2`` with ``L_q(p) = (1 - p ** q) / q``
    (``-log p`` at ``q = 0``), the intercept not penalised. Two classes use one
    weight vector and the logistic function, as ``LogisticRegression`` does;
    more use one vector per class and the softmax.

    Returns
    -------
    value : float
    gradient : ndarray, shaped like ``params``
    """
    n_vectors = 1 if n_classes == 2 else n_classes
    n_features = X.shape[1]
    width = n_features + int(fit_intercept)
    W = params.reshape(n_vectors, width)
    scores = np.asarray(X @ W[:, :n_features].T)
    if fit_intercept:
        scores = scores + W[:, n_features]
    if n_classes == 2:
        scores = np.hstack([np.zeros((len(index), 1)), scores])  # class 1 against class 0
    log_p = scores - _logsumexp_rows(scores)
    own = log_p[np.arange(len(index)), index]
    p = np.exp(log_p)
    if q == 0:
        losses, scale = -own, np.ones_like(own)
    else:
        p_q = np.exp(q * own)
        losses, scale = (1.0 - p_q) / q, p_q
    # dL/dscore_k = -p_y ** q * (1[k == y] - p_k), the cross-entropy's gradient scaled by p_y ** q.
    dscores = p.copy()
    dscores[np.arange(len(index)), index] -= 1.0
    dscores *= (C * sample_weight * scale)[:, None]
    if n_classes == 2:
        dscores = dscores[:, 1:]
    grad = np.zeros_like(W)
    grad[:, :n_features] = np.asarray(X.T @ dscores).T + W[:, :n_features]
    if fit_intercept:
        grad[:, n_features] = dscores.sum(axis=0)
    value = C * float(sample_weight @ losses) + 0.5 * float(np.sum(W[:, :n_features] ** 2))
    return value, grad.ravel()


def _logsumexp_rows(scores):
    """``scipy.special.logsumexp(scores, axis=1, keepdims=True)``, the same bits, without its overhead for two columns.

    For two columns scipy computes ``log1p(exp(low - high)) + high`` (the largest
    term taken out of the sum); the objective calls this on every L-BFGS step.
    """
    if scores.shape[1] != 2 or not np.all(np.isfinite(scores)):
        from scipy.special import logsumexp

        return logsumexp(scores, axis=1, keepdims=True)
    high = np.maximum(scores[:, 0], scores[:, 1])
    low = np.minimum(scores[:, 0], scores[:, 1])
    return (np.log1p(np.exp(low - high)) + high)[:, None]


class GCELogisticRegression(ClassifierMixin, BaseEstimator):
    """Logistic regression trained with the generalized cross-entropy (Zhang & Sabuncu, 2018).

    The loss of a row whose label has probability ``p`` is ``(1 - p ** q) / q``:
    at ``q = 0`` (its limit) the cross-entropy ``-log p``, at ``q = 1`` the mean
    absolute error ``1 - p``. Between, the gradient of a row is the
    cross-entropy's scaled by ``p ** q``, so rows the model finds unlikely (a
    flipped label, once the model has learned from the rest) pull less. The
    objective ``C * sum(sample_weight * loss) + ||coef||^2 / 2`` (intercept not
    penalised) is minimised by ``scipy.optimize.minimize`` (L-BFGS-B) with its
    analytic gradient from zero weights; for ``q > 0`` it is not convex, so the
    start matters. At ``q = 0`` the fit agrees with
    ``LogisticRegression(C=C)`` (``tests/unit/test_penalties.py``).

    Parameters
    ----------
    q : float in [0, 1], default=0.7
        The paper's default; ``0`` is the cross-entropy.
    C : float > 0, default=1.0
        Inverse strength of the L2 penalty, as ``LogisticRegression``'s.
    fit_intercept : bool, default=True
    max_iter : int >= 1, default=1000
    tol : float > 0, default=1e-6
        L-BFGS-B's gradient tolerance (``gtol``); its relative tolerance on
        the objective (``ftol``) is ``tol / 1000``.

    Attributes
    ----------
    classes_ : ndarray
    n_features_in_ : int
    coef_ : ndarray of shape (1, n_features) or (n_classes, n_features)
    intercept_ : ndarray of shape (1,) or (n_classes,)
    n_iter_ : int
    """

    def __init__(self, q=0.7, C=1.0, fit_intercept=True, max_iter=1000, tol=1e-6):
        self.q = q
        self.C = C
        self.fit_intercept = fit_intercept
        self.max_iter = max_iter
        self.tol = tol

    def fit(self, X, y, sample_weight=None):
        """Minimise the penalised generalized cross-entropy; ``sample_weight`` weighs each row's loss."""
        from scipy.optimize import minimize
        from sklearn.utils.validation import _check_sample_weight

        X, index = _check_fit_data(self, X, y, positive=False)
        q = check_number(self.q, "q", low=0.0, high=1.0)
        C = check_number(self.C, "C", low=0.0, low_open=True)
        max_iter = check_number(self.max_iter, "max_iter", low=1, integer=True)
        tol = check_number(self.tol, "tol", low=0.0, low_open=True)
        if not isinstance(self.fit_intercept, (bool, np.bool_)):
            raise TypeError(f"fit_intercept must be True or False, got {type(self.fit_intercept).__name__}")
        weights = _check_sample_weight(sample_weight, X)
        n_classes = len(self.classes_)
        n_vectors = 1 if n_classes == 2 else n_classes
        width = X.shape[1] + int(bool(self.fit_intercept))
        result = minimize(gce_objective, np.zeros(n_vectors * width), jac=True, method="L-BFGS-B",
                          args=(X, index, n_classes, q, C, bool(self.fit_intercept), weights),
                          options={"maxiter": max_iter, "gtol": tol, "ftol": tol * 1e-3})
        W = result.x.reshape(n_vectors, width)
        self.coef_ = W[:, :X.shape[1]].copy()
        self.intercept_ = W[:, X.shape[1]].copy() if self.fit_intercept else np.zeros(n_vectors)
        self.n_iter_ = int(result.nit)
        return self

    def decision_function(self, X):
        """``X @ coef_.T + intercept_`` (one column for two classes)."""
        check_is_fitted(self, "coef_")
        X = validate_data(self, X, accept_sparse="csr", dtype=np.float64, reset=False)
        scores = np.asarray(X @ self.coef_.T) + self.intercept_
        return scores.ravel() if len(self.classes_) == 2 else scores

    def predict_proba(self, X):
        """Class probabilities, columns in the order of ``classes_``."""
        from scipy.special import softmax

        scores = self.decision_function(X)
        if len(self.classes_) == 2:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return softmax(scores, axis=1)

    def predict(self, X):
        """The most probable class of each row."""
        check_is_fitted(self, "coef_")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def __sklearn_tags__(self):
        return _positive_tags(super().__sklearn_tags__(), False)
