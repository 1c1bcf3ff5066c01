"""Label-noise detectors: rows whose label the rest of the data contradicts.

:class:`KNNDisagreement`
    Share of a row's nearest neighbours (cosine, TF-IDF) that carry another
    label. Sees flipped labels among similar sentences; blind where a sentence
    has no close neighbours.
:class:`ConfidentLearningDetector`
    Out-of-fold class probabilities, per-class confidence thresholds and the
    confident-learning rule (Northcutt et al., 2021), written out to be read.
    Sees rows whose label the rest of the data contradicts; a targeted attack
    large enough to own its class teaches the model to agree with it.
:class:`CleanlabDetector`
    ``cleanlab.filter.find_label_issues`` on the same out-of-fold
    probabilities, the field's reference implementation.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_indices, check_int, check_texts
from ..models import MODELS, fit_checked_naive_bayes, make_classifier
from ._base import BaseDetector, check_data
from ._features import TextFeatures

__all__ = [
    "PRECOMPUTED",
    "out_of_fold_probabilities",
    "out_of_fold_views",
    "out_of_fold_matrix_probabilities",
    "neighbour_label_shares",
    "KNNDisagreement",
    "ConfidentLearningDetector",
    "CleanlabDetector",
]

#: The ``filter_by`` rules of cleanlab's ``find_label_issues`` that :class:`CleanlabDetector` accepts.
FILTER_BY = ("prune_by_noise_rate", "prune_by_class", "both", "confident_learning", "predicted_neq_given",
             "low_normalized_margin", "low_self_confidence")

#: The value of ``estimators`` / ``model`` that says the probabilities are given to ``fit``.
PRECOMPUTED = "precomputed"


def neighbour_label_shares(texts, labels_index, n_classes, n_neighbors, features=None):
    """For every row, the share of its ``n_neighbors`` nearest other rows in each class.

    Parameters
    ----------
    texts : list of str
    labels_index : ndarray of int
        Each row's class as a column number.
    n_classes : int
    n_neighbors : int
        Neighbours by cosine distance in TF-IDF space, the row itself left out.
    features : TextFeatures, default=None
        A cache of tokenised texts (and of neighbour searches) to reuse; the
        result is the same with or without it.

    Returns
    -------
    ndarray of shape (n_rows, n_classes)
    """
    texts = check_texts(texts)
    n_classes = check_int(n_classes, "n_classes", minimum=1)
    labels_index = check_indices(labels_index, "labels_index")
    if len(labels_index) != len(texts):
        raise ValueError(f"labels_index has {len(labels_index)} entries but texts has {len(texts)}; they must match")
    if labels_index.size and labels_index.max() >= n_classes:
        raise ValueError(f"labels_index must hold class numbers in [0, {n_classes - 1}], got {labels_index.max()}")
    n_neighbors = check_int(n_neighbors, "n_neighbors", minimum=1)
    if len(texts) < 2:
        raise ValueError(f"texts must hold at least two rows to have neighbours, got {len(texts)}")
    features = _check_features(features)
    k = min(n_neighbors + 1, len(texts))
    index = features.neighbours(texts, k)
    # Drop each row itself. Exact duplicates tie at distance 0, so remove the row's own
    # index where it appears (its first occurrence), else the first column.
    own = index == np.arange(len(texts))[:, None]
    drop = np.where(own.any(axis=1), own.argmax(axis=1), 0)
    keep = np.ones(index.shape, dtype=bool)
    keep[np.arange(len(texts)), drop] = False
    others = index[keep].reshape(len(texts), k - 1)
    return np.stack([(labels_index[others] == c).mean(axis=1) for c in range(n_classes)], axis=1)


def _check_features(features):
    """``features`` as a :class:`TextFeatures` cache: the one given, or a new one."""
    if features is None:
        return TextFeatures()
    if not isinstance(features, TextFeatures):
        raise TypeError(f"features must be a TextFeatures cache, got {type(features).__name__}")
    return features


class KNNDisagreement(BaseDetector):
    """Share of each row's nearest neighbours that carry another label.

    Parameters
    ----------
    n_neighbors : int, default=15
        Neighbours by cosine distance in TF-IDF space.
    random_state : int, default=0
        Breaks ties in :meth:`flag` (the shares take few distinct values).

    Attributes
    ----------
    classes_ : ndarray
    neighbour_distribution_ : ndarray of shape (n_rows, n_classes)
        The share of each row's neighbours in each class.
    suspicion_ : ndarray
        The share of neighbours disagreeing with the row's label, in [0, 1].
    flagged_ : ndarray of int
        Rows where more than half of the neighbours disagree.
    """

    def __init__(self, n_neighbors=15, random_state=0):
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, texts, labels, features=None):
        """Find each row's neighbours; ``features`` (a :class:`TextFeatures` cache) saves re-tokenising."""
        texts, labels, classes = check_data(texts, labels)
        check_int(self.n_neighbors, "n_neighbors", minimum=1)
        index = np.searchsorted(classes, labels)
        distribution = neighbour_label_shares(texts, index, len(classes), self.n_neighbors, features)
        self.classes_ = classes
        self.neighbour_distribution_ = distribution
        suspicion = 1.0 - distribution[np.arange(len(texts)), index]
        return self._set_flags(suspicion, np.flatnonzero(suspicion > 0.5))


def out_of_fold_probabilities(texts, labels, model="count-nb", cv=5, random_state=0, features=None):
    """Class probabilities of every row from a model that never saw it.

    Exactly ``cross_val_predict(make_model(model, random_state), texts, labels,
    cv=StratifiedKFold(cv, shuffle=True, random_state=random_state),
    method="predict_proba")``, with each text tokenised once: every fold's
    vectoriser is built from the cached tokens (:class:`TextFeatures`), which
    gives the matrices the model's own vectoriser would.

    Parameters
    ----------
    texts, labels
        The (possibly poisoned) training set.
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
    cv : int, default=5
        Stratified folds, shuffled with ``random_state``.
    random_state : int, default=0
    features : TextFeatures, default=None
        A cache of tokenised texts to reuse (for instance across the views and
        the poisoned versions of one split); the result does not depend on it.

    Returns
    -------
    probabilities : ndarray of shape (n_rows, n_classes)
        Columns in the order of ``np.unique(labels)``.
    """
    return out_of_fold_views(texts, labels, (model,), cv, random_state, features)[model]


def out_of_fold_views(texts, labels, models=MODELS, cv=5, random_state=0, features=None):
    """:func:`out_of_fold_probabilities` of several models on the same folds, each fold vectorised once.

    The models' vectorisers tokenise alike (a TF-IDF matrix is the count matrix
    reweighted), so one count matrix per fold serves every model; each result is
    exactly what :func:`out_of_fold_probabilities` gives for that model alone.

    Returns
    -------
    dict of str -> ndarray of shape (n_rows, n_classes)
        Model name -> its out-of-fold probabilities.
    """
    texts, labels, classes = check_data(texts, labels)
    models = [models] if isinstance(models, str) else list(models)
    if not models:
        raise ValueError("models must name at least one of " + ", ".join(MODELS))
    for model in models:
        check_choice(model, "model", MODELS)
    check_int(cv, "cv", minimum=2)
    features = _check_features(features)
    smallest = np.unique(labels, return_counts=True)[1].min()
    if smallest < cv:
        raise ValueError(f"cv={cv} folds need at least {cv} rows of each class; the smallest class has {smallest}")
    index = np.searchsorted(classes, labels)
    probabilities = {model: np.zeros((len(texts), len(classes))) for model in models}
    for train, test in _folds(index, cv, random_state):
        # As each model's pipeline: fit the vectoriser on the fold's training rows, then the classifier.
        counts, vocabulary = features.fit_transform([texts[i] for i in train], "count")
        test_texts = [texts[i] for i in test]
        for model in models:
            if model == "count-nb":
                train_matrix, fitted = counts, vocabulary
            else:
                train_matrix, fitted = vocabulary.tfidf(counts)
            if model == "count-nb":
                # MultinomialNB() on counts built here and labels that are class numbers: fitted through its
                # own counting steps, without checking and binarising them again (the same fitted model).
                classifier = fit_checked_naive_bayes(train_matrix, index[train])
            else:
                classifier = make_classifier(model, random_state=random_state).fit(train_matrix, index[train])
            probabilities[model][test] = classifier.predict_proba(fitted.transform(test_texts))
    return probabilities


def _folds(index, cv, random_state):
    """The out-of-fold views' folds: stratified by ``index`` (class numbers), shuffled by ``random_state``."""
    from sklearn.model_selection import StratifiedKFold

    return StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state).split(np.zeros(len(index)), index)


def out_of_fold_matrix_probabilities(X, labels, model="count-nb", cv=5, random_state=0):
    """:func:`out_of_fold_probabilities` on a feature matrix already built, on the same folds.

    For a classifier that only sees features (a *trainer* of
    :mod:`course_utils.defenses`, behind a fitted vectoriser): each fold fits
    the model's classifier on the other folds' rows of ``X`` (the vocabulary is
    the whole matrix's, not refitted per fold) and predicts its own rows.

    Parameters
    ----------
    X : array-like or sparse matrix of shape (n_rows, n_features)
    labels : array-like of shape (n_rows,)
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        Whose classifier (:func:`course_utils.models.make_classifier`).
    cv : int >= 2, default=5
        Folds; as many as the smallest class has rows when it has fewer (at least 2 are needed).
    random_state : int, default=0

    Returns
    -------
    ndarray of shape (n_rows, n_classes)
        Columns in the order of ``np.unique(labels)``.
    """
    check_choice(model, "model", MODELS)
    check_int(cv, "cv", minimum=2)
    labels = np.asarray(labels)
    if getattr(X, "shape", (len(labels),))[0] != len(labels):
        raise ValueError(f"X has {X.shape[0]} rows but labels has {len(labels)}; they must match")
    classes, index = np.unique(labels, return_inverse=True)
    smallest = np.bincount(index).min() if len(index) else 0
    if len(classes) < 2 or smallest < 2:
        raise ValueError(f"out-of-fold probabilities need at least two classes with two rows each; "
                         f"got {len(classes)} class(es), the smallest with {smallest} row(s)")
    folds = list(_folds(index, min(cv, smallest), random_state))
    if model == "count-nb" and _whole_counts(X):
        return _naive_bayes_out_of_fold(X, index, len(classes), folds)
    probabilities = np.zeros((len(index), len(classes)))
    for train, test in folds:
        classifier = make_classifier(model, random_state=random_state).fit(X[train], index[train])
        probabilities[np.ix_(test, classifier.classes_)] = classifier.predict_proba(X[test])
    return probabilities


def _whole_counts(X):
    """Whether every value of ``X`` is a whole number (word counts), so that sums of its rows are exact."""
    values = X.data if hasattr(X, "data") and hasattr(X, "indptr") else np.asarray(X)
    return np.issubdtype(values.dtype, np.number) and bool(np.all(np.isfinite(values))) \
        and bool(np.all(values == np.round(values)))


def _naive_bayes_out_of_fold(X, index, n_classes, folds):
    """``MultinomialNB()`` refitted on each fold's other rows, without refitting: the same probabilities.

    A multinomial Naive Bayes is its word counts per class. A fold's model is the
    whole matrix's counts minus the fold's own, and with whole-number counts that
    difference is exactly the sum a refit would make; the smoothing, the prior
    and the probabilities are then computed as ``MultinomialNB(alpha=1.0)`` does.
    """
    from scipy.sparse import csr_matrix
    from scipy.special import logsumexp

    # One product gives every (fold, class) count: column f * K + c holds fold f's rows of class c.
    fold_of = np.empty(len(index), dtype=np.int64)
    for f, (_, test) in enumerate(folds):
        fold_of[test] = f
    member = csr_matrix((np.ones(len(index)), (np.arange(len(index)), fold_of * n_classes + index)),
                        shape=(len(index), len(folds) * n_classes))
    X = csr_matrix(X, dtype=np.float64)
    per_fold = np.asarray((X.T @ member).T.todense()).reshape(len(folds), n_classes, X.shape[1])
    rows_per_fold = np.bincount(fold_of * n_classes + index, minlength=len(folds) * n_classes).reshape(
        len(folds), n_classes).astype(np.float64)
    probabilities = np.zeros((len(index), n_classes))
    for f, (_, test) in enumerate(folds):
        feature_count = per_fold.sum(axis=0) - per_fold[f]
        class_count = rows_per_fold.sum(axis=0) - rows_per_fold[f]
        smoothed = feature_count + 1.0
        feature_log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1).reshape(-1, 1))
        with np.errstate(divide="ignore"):
            class_log_prior = np.log(class_count) - np.log(class_count.sum())
        joint = np.asarray(X[test] @ feature_log_prob.T) + class_log_prior
        probabilities[test] = np.exp(joint - np.atleast_2d(logsumexp(joint, axis=1)).T)
    return probabilities


def _probabilities(estimator, setting_name, probabilities, n_rows, n_classes, compute):
    """The class probabilities a detector reads: given to ``fit`` or computed, as its setting says.

    With the setting ``setting_name`` equal to ``"precomputed"``, ``probabilities`` are required and
    validated; otherwise giving them is an error (they would be ignored) and ``compute()`` makes them.
    """
    setting = getattr(estimator, setting_name)
    owner = type(estimator).__name__
    if isinstance(setting, str) and setting == PRECOMPUTED:
        if probabilities is None:
            raise ValueError(f"{owner}({setting_name}={PRECOMPUTED!r}) needs fit(texts, labels, probabilities=...)")
        probabilities = np.array(probabilities, dtype=float)
        if probabilities.shape != (n_rows, n_classes):
            raise ValueError(f"probabilities must have shape ({n_rows}, {n_classes}), got {probabilities.shape}")
        if not np.all(np.isfinite(probabilities)) or probabilities.min() < 0 or probabilities.max() > 1:
            raise ValueError("probabilities must be finite numbers in [0, 1]")
        return probabilities
    if probabilities is not None:
        raise ValueError(f"probabilities were given but {setting_name}={setting!r} computes its own; "
                         f"set {setting_name}={PRECOMPUTED!r} to use them")
    return compute()


class ConfidentLearningDetector(BaseDetector):
    """Confident learning, written out: out-of-fold probabilities and per-class thresholds.

    For every class ``j`` the threshold ``t_j`` is the mean probability of class
    ``j`` over the rows labelled ``j`` (how confident the model usually is about
    its own class). A row labelled ``i`` is flagged when some other class ``j``
    reaches its threshold and, among the classes that do, has the highest
    probability: the rest of the data confidently says ``j``.

    Parameters
    ----------
    estimators : sequence of {"count-nb", "tfidf-logreg", "knn"} or "precomputed", default=("count-nb",)
        Where the class probabilities come from; several are averaged. ``"knn"``
        uses the neighbours' label shares (see :class:`KNNDisagreement`).
        ``"precomputed"``: ``fit`` takes them as ``probabilities=``.
    cv : int, default=5
    n_neighbors : int, default=15
        For ``"knn"``.
    random_state : int, default=0
        Shuffles the folds and breaks ties in :meth:`flag`.

    Attributes
    ----------
    classes_ : ndarray
    probabilities_ : ndarray of shape (n_rows, n_classes)
    thresholds_ : ndarray of shape (n_classes,)
    confident_label_ : ndarray
        The class the rest of the data confidently says, for every row.
    suspicion_ : ndarray
        One minus the probability of the row's own label.
    flagged_ : ndarray of int
        The rows confident learning flags.
    """

    ESTIMATORS = ("count-nb", "tfidf-logreg", "knn")

    def __init__(self, estimators=("count-nb",), cv=5, n_neighbors=15, random_state=0):
        self.estimators = estimators
        self.cv = cv
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, texts, labels, probabilities=None, features=None):
        """Compute out-of-fold probabilities (or take them, with ``estimators="precomputed"``) and thresholds.

        ``features``, a :class:`TextFeatures` cache, saves re-tokenising the texts
        (the views of one fit share one anyway); the result does not depend on it.
        """
        texts, labels, classes = check_data(texts, labels)
        index = np.searchsorted(classes, labels)
        probabilities = _probabilities(
            self, "estimators", probabilities, len(texts), len(classes),
            lambda: self._views(texts, labels, index, len(classes), _check_features(features)))
        thresholds = np.array([probabilities[index == c, c].mean() for c in range(len(classes))])
        above = probabilities >= thresholds
        confident = np.where(above, probabilities, -np.inf).argmax(axis=1)
        self.classes_, self.probabilities_, self.thresholds_ = classes, probabilities, thresholds
        self.confident_label_ = classes[confident]
        suspicion = 1.0 - probabilities[np.arange(len(texts)), index]
        return self._set_flags(suspicion, np.flatnonzero(above.any(axis=1) & (confident != index)))

    def view_names(self):
        """The views whose probabilities are averaged, checked: ``estimators`` as a list."""
        names = [self.estimators] if isinstance(self.estimators, str) else list(self.estimators)
        if not names:
            raise ValueError("estimators must name at least one of " + ", ".join(self.ESTIMATORS))
        for name in names:
            check_choice(name, "estimators", self.ESTIMATORS)
        return names

    def _views(self, texts, labels, index, n_classes, features):
        """The mean of the views' probabilities, every view reading the same tokenised texts."""
        names = self.view_names()
        models = [name for name in names if name != "knn"]
        views = out_of_fold_views(texts, labels, models, self.cv, self.random_state, features) if models else {}
        if "knn" in names:
            check_int(self.n_neighbors, "n_neighbors", minimum=1)
            views["knn"] = neighbour_label_shares(texts, index, n_classes, self.n_neighbors, features)
        return np.mean([views[name] for name in names], axis=0)


class CleanlabDetector(BaseDetector):
    """``cleanlab.filter.find_label_issues`` on out-of-fold probabilities.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg", "precomputed"}, default="count-nb"
        The model whose out-of-fold probabilities cleanlab reads;
        ``"precomputed"``: ``fit`` takes them as ``probabilities=``.
    cv : int, default=5
    random_state : int, default=0
        Shuffles the folds and breaks ties in :meth:`flag`.
    filter_by : str, default="prune_by_noise_rate"
        Passed to cleanlab: one of :data:`FILTER_BY`.

    Attributes
    ----------
    probabilities_ : ndarray of shape (n_rows, n_classes)
    suspicion_ : ndarray
        One minus the probability of the row's own label.
    flagged_ : ndarray of int
        The rows cleanlab reports as label issues.
    """

    def __init__(self, model="count-nb", cv=5, random_state=0, filter_by="prune_by_noise_rate"):
        self.model = model
        self.cv = cv
        self.random_state = random_state
        self.filter_by = filter_by

    def fit(self, texts, labels, probabilities=None, features=None):
        """Compute out-of-fold probabilities (or take them, with ``model="precomputed"``) and run cleanlab.

        ``features``, a :class:`TextFeatures` cache, saves re-tokenising the texts.
        """
        from cleanlab.filter import find_label_issues

        texts, labels, classes = check_data(texts, labels)
        check_choice(self.filter_by, "filter_by", FILTER_BY)
        index = np.searchsorted(classes, labels)
        probabilities = _probabilities(
            self, "model", probabilities, len(texts), len(classes),
            lambda: out_of_fold_probabilities(texts, labels, check_choice(self.model, "model", MODELS + (PRECOMPUTED,)),
                                              self.cv, self.random_state, _check_features(features)))
        self.probabilities_ = probabilities
        # n_jobs=1: cleanlab would otherwise start a process pool per call (slow, and it fails inside
        # worker processes such as joblib's).
        flagged = np.flatnonzero(find_label_issues(index, probabilities, filter_by=self.filter_by, n_jobs=1))
        return self._set_flags(1.0 - probabilities[np.arange(len(texts)), index], flagged)
