"""Detectors of poisoned training rows, measured against the known poison.

Every detector follows the same scikit-learn-like contract:

* ``fit(texts, labels)`` examines a training set and returns ``self``;
* ``score_samples()`` returns one *suspicion* score per fitted row: **higher
  means more suspicious** (the opposite sign of scikit-learn's outlier
  detectors, whose ``score_samples`` is higher for normal points);
* ``flag(budget=None, threshold=None)`` returns the sorted indices of the
  flagged rows: the ``round(budget * n)`` most suspicious rows when a budget is
  given, the rows scoring at least ``threshold`` when a threshold is given, or the
  detector's own rule otherwise.

What each one can and cannot see
--------------------------------
:class:`DataAudit`
    Counts and duplicates: label balance, exact and near duplicates, duplicates
    with *conflicting labels*, per-source statistics, outliers in length and
    vocabulary. It sees the reference's duplicate-and-flip attack (each copy
    conflicts with its original) but not a flipped label on a unique sentence.
:class:`IsolationForestDetector`
    The reference's Isolation Forest, on the rows' TF-IDF features. It looks at
    the text alone, never at the label, so a flipped label on an ordinary
    sentence is invisible to it: it stays near chance against label flips.
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
    ``cleanlab.filter.find_label_issues`` on the same out-of-fold probabilities,
    the field's reference implementation.
:class:`TriggerDetector`
    Backdoor triggers: tokens whose rows almost all carry one label although
    the rest of their words say otherwise. Sees a planted trigger; cannot see
    label flips without a shared token.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict

import numpy as np

from ._validation import check_choice, check_int, check_labels, check_texts

__all__ = [
    "DETECTORS",
    "out_of_fold_probabilities",
    "DataAudit",
    "IsolationForestDetector",
    "KNNDisagreement",
    "ConfidentLearningDetector",
    "CleanlabDetector",
    "TriggerDetector",
    "make_detector",
]


def _check_data(texts, labels, need_classes=2):
    texts = check_texts(texts)
    if labels is None:
        raise ValueError("labels are required: this detector compares each row's label with the data")
    labels = check_labels(labels, n_rows=len(texts))
    classes = np.unique(labels)
    if len(classes) < need_classes:
        raise ValueError(f"labels must hold at least {need_classes} classes to detect poisoning; "
                         f"got {list(map(str, classes))}")
    return texts, labels, classes


class _Detector:
    """Shared parts: the fitted scores, ``score_samples`` and ``flag``."""

    scores_ = None

    def _check_fitted(self):
        if self.scores_ is None:
            raise ValueError(f"this {type(self).__name__} is not fitted yet; call fit(texts, labels) first")

    def score_samples(self):
        """Suspicion of every fitted row (higher = more suspicious), as a new array."""
        self._check_fitted()
        return self.scores_.copy()

    def _default_flags(self):
        raise NotImplementedError

    def flag(self, budget=None, threshold=None):
        """Indices of flagged rows, sorted.

        Parameters
        ----------
        budget : float in (0, 1], default=None
            Flag the ``round(budget * n)`` most suspicious rows.
        threshold : float, default=None
            Flag every row whose suspicion is at least ``threshold``.

        Returns
        -------
        ndarray of int
        """
        self._check_fitted()
        if budget is not None and threshold is not None:
            raise ValueError("give budget or threshold, not both")
        if budget is not None:
            if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= 1:
                raise ValueError(f"budget must be a share of the rows in (0, 1], got {budget!r}")
            k = int(math.floor(budget * len(self.scores_) + 0.5))
            order = np.argsort(-self.scores_, kind="stable")
            return np.sort(order[:k]).astype(np.int64)
        if threshold is not None:
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or math.isnan(threshold):
                raise ValueError(f"threshold must be a number, got {threshold!r}")
            return np.flatnonzero(self.scores_ >= threshold).astype(np.int64)
        return np.sort(np.asarray(self._default_flags(), dtype=np.int64))

    def fit_flag(self, texts, labels=None, budget=None, threshold=None):
        """``fit`` then ``flag``."""
        return self.fit(texts, labels).flag(budget=budget, threshold=threshold)


def _tfidf(texts):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer().fit_transform(texts)


_WORD = re.compile(r"(?u)\b\w\w+\b")


def _normalise(text):
    return " ".join(_WORD.findall(text.lower()))


class DataAudit(_Detector):
    """Audit a labelled data set: balance, duplicates, conflicts, sources, outliers.

    Parameters
    ----------
    outlier_z : float, default=3.5
        A row is a length or vocabulary outlier when its robust z-score (median
        and median absolute deviation) exceeds this.

    Attributes
    ----------
    report_ : dict
        ``n_rows``, ``label_counts``, ``exact_duplicate_groups``,
        ``near_duplicate_groups``, ``conflict_groups`` (groups of near-duplicate
        rows with more than one label), ``length_outliers``, ``vocabulary_outliers``
        and, when sources were given, ``per_source``.
    scores_ : ndarray
        2 for rows in a conflicting group, 1 for other near duplicates and
        outliers, 0 otherwise.
    """

    def __init__(self, outlier_z=3.5):
        self.outlier_z = outlier_z

    def fit(self, texts, labels, sources=None):
        """Audit ``texts`` with their ``labels`` (and optional ``sources``)."""
        texts, labels, _ = _check_data(texts, labels, need_classes=1)
        if isinstance(self.outlier_z, bool) or not isinstance(self.outlier_z, (int, float)) or self.outlier_z <= 0:
            raise ValueError(f"outlier_z must be a positive number, got {self.outlier_z!r}")
        exact, near = defaultdict(list), defaultdict(list)
        for i, text in enumerate(texts):
            exact[text].append(i)
            near[_normalise(text)].append(i)
        exact_groups = [g for g in exact.values() if len(g) > 1]
        near_groups = [g for g in near.values() if len(g) > 1]
        conflicts = [g for g in near_groups if len(set(labels[g].tolist())) > 1]
        lengths = np.array([len(_WORD.findall(t)) for t in texts], dtype=float)
        document_frequency = Counter(w for t in texts for w in set(_WORD.findall(t.lower())))
        rare_share = np.array([
            np.mean([document_frequency[w] == 1 for w in words]) if words else 0.0
            for words in (_WORD.findall(t.lower()) for t in texts)
        ])
        length_outliers = np.flatnonzero(_robust_z(lengths) > self.outlier_z)
        vocabulary_outliers = np.flatnonzero(_robust_z(rare_share) > self.outlier_z)
        scores = np.zeros(len(texts))
        for group in near_groups:
            scores[group] = 1.0
        scores[length_outliers] = np.maximum(scores[length_outliers], 1.0)
        scores[vocabulary_outliers] = np.maximum(scores[vocabulary_outliers], 1.0)
        for group in conflicts:
            scores[group] = 2.0
        values, counts = np.unique(labels, return_counts=True)
        report = {
            "n_rows": len(texts),
            "label_counts": {str(v): int(c) for v, c in zip(values, counts)},
            "exact_duplicate_groups": exact_groups,
            "near_duplicate_groups": near_groups,
            "conflict_groups": conflicts,
            "length_outliers": length_outliers.tolist(),
            "vocabulary_outliers": vocabulary_outliers.tolist(),
        }
        if sources is not None:
            sources = check_labels(sources, n_rows=len(texts), name="sources")
            report["per_source"] = {
                str(source): {
                    "rows": int(np.sum(sources == source)),
                    "label_counts": {str(v): int(np.sum((sources == source) & (labels == v))) for v in values},
                    "mean_words": float(lengths[sources == source].mean()),
                    "rows_in_conflicts": int(sum(sources[i] == source for g in conflicts for i in g)),
                }
                for source in np.unique(sources)
            }
        self.report_, self.scores_ = report, scores
        return self

    def _default_flags(self):
        """Every row of a conflicting duplicate group (the duplicate-and-flip attack's footprint)."""
        return sorted(i for group in self.report_["conflict_groups"] for i in group)

    def summary(self):
        """The report's counts as short lines of text."""
        self._check_fitted()
        r = self.report_
        lines = [f"rows: {r['n_rows']}", f"labels: {r['label_counts']}",
                 f"exact duplicate groups: {len(r['exact_duplicate_groups'])}",
                 f"near duplicate groups: {len(r['near_duplicate_groups'])}",
                 f"groups with conflicting labels: {len(r['conflict_groups'])} "
                 f"({sum(len(g) for g in r['conflict_groups'])} rows)",
                 f"length outliers: {len(r['length_outliers'])}",
                 f"vocabulary outliers: {len(r['vocabulary_outliers'])}"]
        for source, stats in r.get("per_source", {}).items():
            lines.append(f"source {source}: {stats['rows']} rows, labels {stats['label_counts']}, "
                         f"{stats['mean_words']:.1f} words on average, {stats['rows_in_conflicts']} rows in conflicts")
        return lines


def _robust_z(values):
    median = np.median(values)
    mad = np.median(np.abs(values - median)) * 1.4826
    if mad == 0:
        spread = values.std()
        if spread == 0:
            return np.zeros_like(values)
        return np.abs(values - values.mean()) / spread
    return np.abs(values - median) / mad


class IsolationForestDetector(_Detector):
    """The reference's Isolation Forest, applied to the rows' TF-IDF features.

    Parameters
    ----------
    contamination : float in (0, 0.5], default=0.1
        Share of rows its own rule flags (the reference assumed 10%).
    n_estimators : int, default=100
    random_state : int, default=0
        Seeded, unlike the reference's example, so results repeat.
    """

    def __init__(self, contamination=0.1, n_estimators=100, random_state=0):
        self.contamination = contamination
        self.n_estimators = n_estimators
        self.random_state = random_state

    def fit(self, texts, labels=None):
        """Fit on the texts; ``labels`` are accepted and ignored (the forest never sees them)."""
        from sklearn.ensemble import IsolationForest

        texts = check_texts(texts)
        if labels is not None:
            check_labels(labels, n_rows=len(texts))
        if len(texts) < 2:
            raise ValueError("texts must hold at least two rows")
        if isinstance(self.contamination, bool) or not isinstance(self.contamination, (int, float)) \
                or not 0 < self.contamination <= 0.5:
            raise ValueError(f"contamination must be in (0, 0.5], got {self.contamination!r}")
        check_int(self.n_estimators, "n_estimators", minimum=1)
        forest = IsolationForest(contamination=self.contamination, n_estimators=self.n_estimators,
                                 random_state=self.random_state)
        features = _tfidf(texts)
        forest.fit(features)
        self.forest_ = forest
        self.scores_ = -forest.score_samples(features)
        self._flags = np.flatnonzero(forest.predict(features) == -1)
        return self

    def _default_flags(self):
        return self._flags


def _knn_label_distribution(texts, labels_index, n_classes, n_neighbors):
    from sklearn.neighbors import NearestNeighbors

    features = _tfidf(texts)
    k = min(n_neighbors + 1, len(texts))
    neighbours = NearestNeighbors(n_neighbors=k, metric="cosine").fit(features)
    _, index = neighbours.kneighbors(features)
    # Drop each row itself. Exact duplicates tie at distance 0, so remove the row's own
    # index where it appears, else the first column.
    others = np.array([np.delete(row, np.flatnonzero(row == i)[:1] if i in row else [0])[: k - 1]
                       for i, row in enumerate(index)])
    return np.stack([(labels_index[others] == c).mean(axis=1) for c in range(n_classes)], axis=1)


class KNNDisagreement(_Detector):
    """Share of each row's nearest neighbours that carry another label.

    Parameters
    ----------
    n_neighbors : int, default=15
        Neighbours by cosine distance in TF-IDF space.

    Attributes
    ----------
    scores_ : ndarray
        The share of neighbours disagreeing with the row's label, in [0, 1].
    """

    def __init__(self, n_neighbors=15):
        self.n_neighbors = n_neighbors

    def fit(self, texts, labels):
        texts, labels, classes = _check_data(texts, labels)
        check_int(self.n_neighbors, "n_neighbors", minimum=1)
        index = np.searchsorted(classes, labels)
        distribution = _knn_label_distribution(texts, index, len(classes), self.n_neighbors)
        self.classes_ = classes
        self.neighbour_distribution_ = distribution
        self.scores_ = 1.0 - distribution[np.arange(len(texts)), index]
        return self

    def _default_flags(self):
        """Rows where more than half of the neighbours disagree."""
        return np.flatnonzero(self.scores_ > 0.5)


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

    from .experiment import MODELS, make_model

    texts, labels, classes = _check_data(texts, labels)
    check_choice(model, "model", MODELS)
    check_int(cv, "cv", minimum=2)
    smallest = np.unique(labels, return_counts=True)[1].min()
    if smallest < cv:
        raise ValueError(f"cv={cv} folds need at least {cv} rows of each class; the smallest class has {smallest}")
    folds = StratifiedKFold(n_splits=cv, shuffle=True, random_state=random_state)
    index = np.searchsorted(classes, labels)
    return cross_val_predict(make_model(model, random_state=random_state), texts, index, cv=folds,
                             method="predict_proba")


class ConfidentLearningDetector(_Detector):
    """Confident learning, written out: out-of-fold probabilities and per-class thresholds.

    For every class ``j`` the threshold ``t_j`` is the mean probability of class
    ``j`` over the rows labelled ``j`` (how confident the model usually is about
    its own class). A row labelled ``i`` is flagged when some other class ``j``
    reaches its threshold and, among the classes that do, has the highest
    probability: the rest of the data confidently says ``j``.

    Parameters
    ----------
    estimators : sequence of {"count-nb", "tfidf-logreg", "knn"}, default=("count-nb",)
        Where the class probabilities come from; several are averaged. ``"knn"``
        uses the neighbours' label shares (see :class:`KNNDisagreement`).
    cv : int, default=5
    n_neighbors : int, default=15
        For ``"knn"``.
    random_state : int, default=0

    Attributes
    ----------
    probabilities_ : ndarray of shape (n_rows, n_classes)
    thresholds_ : ndarray of shape (n_classes,)
    scores_ : ndarray
        One minus the probability of the row's own label.
    """

    ESTIMATORS = ("count-nb", "tfidf-logreg", "knn")

    def __init__(self, estimators=("count-nb",), cv=5, n_neighbors=15, random_state=0):
        self.estimators = estimators
        self.cv = cv
        self.n_neighbors = n_neighbors
        self.random_state = random_state

    def fit(self, texts, labels, probabilities=None):
        """Compute probabilities (or take given out-of-fold ``probabilities``) and thresholds."""
        texts, labels, classes = _check_data(texts, labels)
        index = np.searchsorted(classes, labels)
        if probabilities is None:
            estimators = list(self.estimators) if not isinstance(self.estimators, str) else [self.estimators]
            if not estimators:
                raise ValueError("estimators must name at least one of " + ", ".join(self.ESTIMATORS))
            parts = []
            for name in estimators:
                check_choice(name, "estimators", self.ESTIMATORS)
                if name == "knn":
                    check_int(self.n_neighbors, "n_neighbors", minimum=1)
                    parts.append(_knn_label_distribution(texts, index, len(classes), self.n_neighbors))
                else:
                    parts.append(out_of_fold_probabilities(texts, labels, name, self.cv, self.random_state))
            probabilities = np.mean(parts, axis=0)
        else:
            probabilities = np.asarray(probabilities, dtype=float)
            if probabilities.shape != (len(texts), len(classes)):
                raise ValueError(f"probabilities must have shape ({len(texts)}, {len(classes)}), "
                                 f"got {probabilities.shape}")
        thresholds = np.array([probabilities[index == c, c].mean() for c in range(len(classes))])
        above = probabilities >= thresholds
        confident = np.where(above, probabilities, -np.inf).argmax(axis=1)
        self.classes_, self.probabilities_, self.thresholds_ = classes, probabilities, thresholds
        self.confident_label_ = classes[confident]
        self._flags = np.flatnonzero(above.any(axis=1) & (confident != index))
        self.scores_ = 1.0 - probabilities[np.arange(len(texts)), index]
        return self

    def _default_flags(self):
        return self._flags


class CleanlabDetector(_Detector):
    """``cleanlab.filter.find_label_issues`` on out-of-fold probabilities.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
    cv : int, default=5
    random_state : int, default=0
    filter_by : str, default="prune_by_noise_rate"
        Passed to cleanlab.
    """

    def __init__(self, model="count-nb", cv=5, random_state=0, filter_by="prune_by_noise_rate"):
        self.model = model
        self.cv = cv
        self.random_state = random_state
        self.filter_by = filter_by

    def fit(self, texts, labels, probabilities=None):
        from cleanlab.filter import find_label_issues

        texts, labels, classes = _check_data(texts, labels)
        index = np.searchsorted(classes, labels)
        if probabilities is None:
            probabilities = out_of_fold_probabilities(texts, labels, self.model, self.cv, self.random_state)
        probabilities = np.asarray(probabilities, dtype=float)
        self.probabilities_ = probabilities
        # n_jobs=1: cleanlab would otherwise start a process pool per call (slow, and it fails inside
        # worker processes such as joblib's).
        self._flags = np.flatnonzero(find_label_issues(index, probabilities, filter_by=self.filter_by, n_jobs=1))
        self.scores_ = 1.0 - probabilities[np.arange(len(texts)), index]
        return self

    def _default_flags(self):
        return self._flags


class TriggerDetector(_Detector):
    """Find backdoor triggers: tokens tied to one label although the rest of their rows disagree.

    For every token in at least ``min_count`` rows, the detector takes the label
    most of those rows carry (``purity`` is its share) and asks, for each row with
    that label: how likely is *another* label given the row's other words? That
    probability comes from a Naive Bayes model that has not seen any row holding
    the token, so a planted trigger cannot vouch for its own rows. Its mean over
    the rows is the token's ``contradiction``.

    An ordinary sentiment word ("great") is pure but barely contradicted: the rest
    of the sentence agrees with it. A planted trigger sits in ordinary sentences
    of the other class, relabelled, so its rows are pure *and* contradicted. The
    ``z`` score says how far a token's contradiction lies above that of a typical
    token's rows, in standard errors (so a handful of rows cannot score high by
    chance). A token is reported when ``purity >= min_purity`` and
    ``z >= z_threshold``.

    Parameters
    ----------
    min_count : int, default=5
        Tokens in fewer rows are not examined.
    min_purity : float in (0.5, 1], default=0.95
        A trigger's rows all carry the target label (unless the word also
        occurs naturally).
    z_threshold : float, default=5.0
        Measured on the shipped data (60 backdoored splits, budgets 1-5%, both
        targets): planted triggers scored at least 5.5, the highest ordinary
        word 4.7; on clean and randomly flipped splits no token reached it.
    screen_purity : float, default=0.8
        Only tokens at least this pure are scored (faster; they also set the
        baseline the ``z`` score is measured from).

    Attributes
    ----------
    token_scores_ : pandas.DataFrame
        ``token``, ``rows``, ``label``, ``purity``, ``contradiction``, ``z``,
        most suspicious first.
    triggers_ : list of str
        Reported tokens.
    scores_ : ndarray
        Per row: the highest ``z`` of a sufficiently pure token it holds whose
        label it carries (0 when none, never negative).
    """

    def __init__(self, min_count=5, min_purity=0.95, z_threshold=5.0, screen_purity=0.8):
        self.min_count = min_count
        self.min_purity = min_purity
        self.z_threshold = z_threshold
        self.screen_purity = screen_purity

    def fit(self, texts, labels):
        import pandas as pd
        from sklearn.feature_extraction.text import CountVectorizer

        texts, labels, classes = _check_data(texts, labels)
        check_int(self.min_count, "min_count", minimum=1)
        for name in ("min_purity", "screen_purity"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0.5 < value <= 1:
                raise ValueError(f"{name} must be in (0.5, 1], got {value!r}")
        if isinstance(self.z_threshold, bool) or not isinstance(self.z_threshold, (int, float)):
            raise ValueError(f"z_threshold must be a number, got {self.z_threshold!r}")
        index = np.searchsorted(classes, labels)
        one_hot = np.eye(len(classes))[index]
        vectorizer = CountVectorizer()
        counts = vectorizer.fit_transform(texts).tocsr()
        words = vectorizer.get_feature_names_out()
        class_words = np.asarray((counts.T @ one_hot).T)  # word counts per class
        class_rows = one_hot.sum(axis=0)
        presence = counts.tocsc()
        presence.data[:] = 1
        rows_per_token = np.diff(presence.indptr)
        candidates = []
        for token in np.flatnonzero(rows_per_token >= self.min_count):
            rows = presence.indices[presence.indptr[token]:presence.indptr[token + 1]]
            shares = np.bincount(index[rows], minlength=len(classes)) / len(rows)
            dominant = int(shares.argmax())
            if shares[dominant] < self.screen_purity:
                continue
            carriers = rows[index[rows] == dominant]
            # A Naive Bayes model without the token's rows (alpha = 1), applied to the carriers'
            # other words: what do they say when the token cannot speak for itself?
            held_words = class_words - np.asarray((counts[rows].T @ one_hot[rows]).T)
            held_rows = np.maximum(class_rows - one_hot[rows].sum(axis=0), 1)
            log_word = np.log(held_words + 1) - np.log((held_words + 1).sum(axis=1, keepdims=True))
            others = counts[carriers].tolil()
            others[:, token] = 0
            joint = others.tocsr() @ log_word.T + np.log(held_rows / held_rows.sum())
            joint = np.asarray(joint) - np.asarray(joint).max(axis=1, keepdims=True)
            probability = np.exp(joint) / np.exp(joint).sum(axis=1, keepdims=True)
            candidates.append((token, len(rows), dominant, float(shares[dominant]), carriers,
                               1.0 - probability[:, dominant]))
        pooled = np.concatenate([c[5] for c in candidates]) if candidates else np.zeros(1)
        centre, spread = float(pooled.mean()), float(pooled.std()) or 1.0
        records, row_scores = [], np.zeros(len(texts))
        for token, n_rows, dominant, purity, carriers, contradiction in candidates:
            z = (contradiction.mean() - centre) / (spread / math.sqrt(len(contradiction)))
            records.append((str(words[token]), n_rows, str(classes[dominant]), purity,
                            float(contradiction.mean()), float(z)))
            if purity >= self.min_purity:
                row_scores[carriers] = np.maximum(row_scores[carriers], z)
        table = pd.DataFrame(records, columns=["token", "rows", "label", "purity", "contradiction", "z"])
        # Tokens pure enough to be triggers first, then by z.
        table["_eligible"] = table["purity"] >= self.min_purity
        table = table.sort_values(["_eligible", "z", "rows", "token"], ascending=[False, False, False, True],
                                  ignore_index=True).drop(columns="_eligible")
        reported = (table["purity"] >= self.min_purity) & (table["z"] >= self.z_threshold)
        self.token_scores_ = table
        self.triggers_ = table.loc[reported, "token"].tolist()
        self.scores_ = row_scores
        self._flags = np.flatnonzero(row_scores >= self.z_threshold)
        return self

    def _default_flags(self):
        """Rows holding a reported trigger and carrying its dominant label."""
        return self._flags


#: Defense name (as on the command line) -> detector class.
DETECTORS = {
    "audit": DataAudit,
    "isolation-forest": IsolationForestDetector,
    "knn": KNNDisagreement,
    "confident": ConfidentLearningDetector,
    "cleanlab": CleanlabDetector,
    "trigger": TriggerDetector,
}


def make_detector(name, random_state=0):
    """A detector by its command-line name, with the course's default settings.

    ``"confident"`` averages the three views (``count-nb``, ``tfidf-logreg``,
    ``knn``), the course's strongest label-aware detector.
    """
    check_choice(name, "defense", tuple(DETECTORS))
    if name == "confident":
        return ConfidentLearningDetector(estimators=ConfidentLearningDetector.ESTIMATORS, random_state=random_state)
    if name in ("isolation-forest", "cleanlab"):
        return DETECTORS[name](random_state=random_state)
    return DETECTORS[name]()
