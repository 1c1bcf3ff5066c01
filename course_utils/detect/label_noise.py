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
from ..models import MODELS, make_model
from ._base import BaseDetector, check_data, tfidf_features

__all__ = [
    "PRECOMPUTED",
    "out_of_fold_probabilities",
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


def neighbour_label_shares(texts, labels_index, n_classes, n_neighbors):
    """For every row, the share of its ``n_neighbors`` nearest other rows in each class.

    Parameters
    ----------
    texts : list of str
    labels_index : ndarray of int
        Each row's class as a column number.
    n_classes : int
    n_neighbors : int
        Neighbours by cosine distance in TF-IDF space, the row itself left out.

    Returns
    -------
    ndarray of shape (n_rows, n_classes)
    """
    from sklearn.neighbors import NearestNeighbors

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
    features = tfidf_features(texts)
    k = min(n_neighbors + 1, len(texts))
    neighbours = NearestNeighbors(n_neighbors=k, metric="cosine").fit(features)
    _, index = neighbours.kneighbors(features)
    # Drop each row itself. Exact duplicates tie at distance 0, so remove the row's own
    # index where it appears, else the first column.
    others = np.array([np.delete(row, np.flatnonzero(row == i)[:1] if i in row else [0])[: k - 1]
                       for i, row in enumerate(index)])
    return np.stack([(labels_index[others] == c).mean(axis=1) for c in range(n_classes)], axis=1)


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

    def fit(self, texts, labels):
        texts, labels, classes = check_data(texts, labels)
        check_int(self.n_neighbors, "n_neighbors", minimum=1)
        index = np.searchsorted(classes, labels)
        distribution = neighbour_label_shares(texts, index, len(classes), self.n_neighbors)
        self.classes_ = classes
        self.neighbour_distribution_ = distribution
        suspicion = 1.0 - distribution[np.arange(len(texts)), index]
        return self._set_flags(suspicion, np.flatnonzero(suspicion > 0.5))


def out_of_fold_probabilities(texts, labels, model="count-nb", cv=5, random_state=0):
    """Class probabilities of every row from a model that never saw it.

    Parameters
    ----------
    texts, labels
        The (possibly poisoned) training set.
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
    cv : int, default=5
        Stratified folds, shuffled with ``random_state``.
    random_state : int, default=0

    Returns
    -------
    probabilities : ndarray of shape (n_rows, n_classes)
        Columns in the order of ``np.unique(labels)``.
    """
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    texts, labels, classes = check_data(texts, labels)
    check_choice(model, "model", MODELS)
    check_int(cv, "cv", minimum=2)
    smallest = np.unique(labels, return_counts=True)[1].min()
    if smallest < cv:
        raise ValueError(f"cv={cv} folds need at least {cv} rows of each class; the smallest class has {smallest}")
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    index = np.searchsorted(classes, labels)
    return cross_val_predict(make_model(model, random_state=random_state), texts, index, cv=folds,
                             method="predict_proba")


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

    def fit(self, texts, labels, probabilities=None):
        """Compute out-of-fold probabilities (or take them, with ``estimators="precomputed"``) and thresholds."""
        texts, labels, classes = check_data(texts, labels)
        index = np.searchsorted(classes, labels)
        probabilities = _probabilities(
            self, "estimators", probabilities, len(texts), len(classes),
            lambda: np.mean([self._view(name, texts, labels, index, len(classes)) for name in self.view_names()],
                            axis=0))
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

    def _view(self, name, texts, labels, index, n_classes):
        if name == "knn":
            check_int(self.n_neighbors, "n_neighbors", minimum=1)
            return neighbour_label_shares(texts, index, n_classes, self.n_neighbors)
        return out_of_fold_probabilities(texts, labels, name, self.cv, self.random_state)


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

    def fit(self, texts, labels, probabilities=None):
        from cleanlab.filter import find_label_issues

        texts, labels, classes = check_data(texts, labels)
        check_choice(self.filter_by, "filter_by", FILTER_BY)
        index = np.searchsorted(classes, labels)
        probabilities = _probabilities(
            self, "model", probabilities, len(texts), len(classes),
            lambda: out_of_fold_probabilities(texts, labels, check_choice(self.model, "model", MODELS + (PRECOMPUTED,)),
                                              self.cv, self.random_state))
        self.probabilities_ = probabilities
        # n_jobs=1: cleanlab would otherwise start a process pool per call (slow, and it fails inside
        # worker processes such as joblib's).
        flagged = np.flatnonzero(find_label_issues(index, probabilities, filter_by=self.filter_by, n_jobs=1))
        return self._set_flags(1.0 - probabilities[np.arange(len(texts)), index], flagged)
