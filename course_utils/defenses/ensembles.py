"""Partition ensembles with certificates: Deep Partition Aggregation and Finite Aggregation.

The training rows are split into disjoint partitions by a hash of their text, one model is trained
per partition, and the ensemble predicts by a plain vote. A poisoned row (inserted or removed) lands
in one partition, so it changes at most one vote: if the winning class leads by enough votes, no
attacker with fewer rows can change the prediction. That number is the row's *certified radius*.

Deep Partition Aggregation (DPA)
    Levine & Feizi, "Deep Partition Aggregation: Provable Defense against General Poisoning
    Attacks", ICLR 2021; code: github.com/alevine0/DPA (``certify.py``). ``k`` partitions; the radius
    is ``floor((n_top - n_second - [second class index < top class index]) / 2)``, ties going to the
    class with the lower index, exactly as in the reference code.
Finite Aggregation (FA)
    Wang, Levine & Feizi, "Improved Certified Defenses against Data Poisoning with (Deterministic)
    Finite Aggregation", ICML 2022; code: github.com/wangwenxiao/FiniteAggregation
    (``FiniteAggregation_data_norm_hash.py``, ``FiniteAggregation_cerfity.py``). A row's hash picks
    one of ``k * d`` buckets and the row goes into the ``d`` subsets ``(h + s) mod kd`` for ``d``
    fixed shifts ``s``; ``k * d`` models vote. A poisoned row changes the ``d`` models of its bucket,
    and the certificate sums, greedily, the largest margins the attacker can take away per bucket.
    With ``d = 1`` it is DPA's certificate.

Partitions use SHA-256 of the normalised text (lower case, runs of white space made one space),
never Python's ``hash``, which changes from one process to the next; every copy of a sentence lands
in its original's partition. The models on count features see only the words of their own
partition (a word absent from a partition is ignored by its model, as a vectoriser fitted on that
partition alone would ignore it), so a poisoned row really changes one partition's model and no
other: with one vocabulary shared by all, a new word would change every model's smoothing.
"""

from __future__ import annotations

import hashlib
import numbers
import random
from functools import lru_cache

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.utils.validation import check_is_fitted

from .._validation import check_choice, check_number, check_sequence
from ._counts import CountsTrainerMixin

__all__ = [
    "SCHEMES",
    "normalise_text",
    "text_hash",
    "fa_shifts",
    "dpa_certificate",
    "fa_certificate",
    "PartitionEnsemble",
    "run_off_election",
    "nonce_text",
    "insertion_attack",
]

#: The aggregation schemes of :class:`PartitionEnsemble`.
SCHEMES = ("dpa", "finite-aggregation")
#: The spread ``d`` that Finite Aggregation uses when none is given (the authors' guideline example, d=3).
DEFAULT_SPREAD = 3


def normalise_text(text):
    """``text`` lower-cased with each run of white space made one space and the ends stripped."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return " ".join(text.lower().split())


@lru_cache(maxsize=1 << 16)
def text_hash(text):
    """A 64-bit integer from SHA-256 of the normalised ``text``, the same in every process."""
    digest = hashlib.sha256(normalise_text(text).encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big")


def _row_hashes(X):
    """A hash of each row's contents (its non-zero columns and values): the key when no text is given."""
    from scipy import sparse

    X = sparse.csr_matrix(X)
    hashes = np.empty(X.shape[0], dtype=np.uint64)
    for i in range(X.shape[0]):
        start, end = X.indptr[i], X.indptr[i + 1]
        order = np.argsort(X.indices[start:end], kind="stable")
        payload = (X.indices[start:end][order].astype("<i8").tobytes()
                   + X.data[start:end][order].astype("<f8").tobytes())
        hashes[i] = int.from_bytes(hashlib.sha256(payload).digest()[:8], "big")
    return hashes


def fa_shifts(n_partitions, spread, random_state=0):
    """Finite Aggregation's ``spread`` distinct shifts in ``range(n_partitions * spread)``.

    As in the reference code (``random.sample(range(k * d), d)`` with a fixed seed): a fixed function
    of ``random_state`` (``None`` means 0), so the same ensemble is built in every process. With
    ``spread=1`` the one shift only renames the partitions.
    """
    n_partitions = check_number(n_partitions, "n_partitions", low=1, integer=True)
    spread = check_number(spread, "spread", low=1, integer=True)
    seed = 0 if random_state is None else check_number(random_state, "random_state", low=0, integer=True)
    return np.array(random.Random(seed).sample(range(n_partitions * spread), spread), dtype=int)


def _check_votes(votes):
    votes = np.asarray(votes)
    if votes.ndim != 2 or votes.shape[1] < 2:
        raise ValueError(f"votes must be a table of shape (n_rows, n_classes) with at least two classes, "
                         f"got shape {votes.shape}")
    if not np.issubdtype(votes.dtype, np.integer) or (votes < 0).any():
        raise ValueError("votes must hold non-negative integer counts")
    return votes.astype(np.int64)


def dpa_certificate(votes):
    """DPA's prediction and certified radius for each row of a vote table.

    Parameters
    ----------
    votes : array of shape (n_rows, n_classes)
        How many base models vote for each class.

    Returns
    -------
    prediction : ndarray of int
        The class index with most votes, the lowest index on a tie.
    radius : ndarray of int
        ``floor((n_top - n_second - [second index < top index]) / 2)``: no insertion or removal of
        ``radius`` training rows or fewer changes the prediction.
    """
    votes = _check_votes(votes)
    rows = np.arange(len(votes))
    top = votes.argmax(axis=1)  # the first maximum: ties go to the lower index
    others = votes.copy()
    others[rows, top] = -1
    second = others.argmax(axis=1)  # among tied runners-up, the lowest index (as a stable sort gives)
    gap = votes[rows, top] - votes[rows, second] - (second < top)
    return top, gap // 2


def fa_certificate(base_predictions, n_classes, shifts):
    """Finite Aggregation's prediction and certified radius for each row.

    Parameters
    ----------
    base_predictions : array of int, shape (n_rows, n_subsets)
        The class index each of the ``k * d`` base models predicts, subset ``j`` in column ``j``.
    n_classes : int
    shifts : array of int, shape (d,)
        The shifts of :func:`fa_shifts`: a row of bucket ``h`` trains the subsets ``(h + s) mod kd``.

    Returns
    -------
    prediction, radius : ndarray of int
        As the reference's ``FiniteAggregation_cerfity.py`` computes them: for each other class ``c``,
        the margin ``n_top - n_c - [c < top]`` is spent greedily on the buckets whose ``d`` models the
        attacker gains most from (each model: 2 if it votes for the top class, 0 if for ``c``, else 1);
        the radius is how many buckets the margin pays for, at least over ``c``.
    """
    predictions = np.asarray(base_predictions)
    if predictions.ndim != 2 or not np.issubdtype(predictions.dtype, np.integer):
        raise ValueError("base_predictions must be an integer table of shape (n_rows, n_subsets)")
    n_classes = check_number(n_classes, "n_classes", low=2, integer=True)
    if predictions.size and (predictions.min() < 0 or predictions.max() >= n_classes):
        raise ValueError(f"base_predictions must hold class indices in [0, {n_classes - 1}]")
    shifts = np.asarray(shifts, dtype=int)
    n_subsets = predictions.shape[1]
    if shifts.ndim != 1 or not len(shifts) or len(set(shifts.tolist())) != len(shifts) \
            or shifts.min() < 0 or shifts.max() >= n_subsets:
        raise ValueError(f"shifts must be distinct integers in [0, {n_subsets - 1}]")
    votes = np.stack([(predictions == c).sum(axis=1) for c in range(n_classes)], axis=1)
    top = votes.argmax(axis=1)
    rows = np.arange(len(votes))
    radius = np.full(len(votes), n_subsets, dtype=np.int64)
    for c in range(n_classes):
        rival = top != c
        diff = votes[rows, top] - votes[:, c] - (c < top)
        gain = 1 + (predictions == top[:, None]).astype(np.int64) - (predictions == c)
        deltas = sum(np.roll(gain, -s, axis=1) for s in shifts)  # bucket h: the models (h + s) mod kd
        spent = np.cumsum(-np.sort(-deltas, axis=1), axis=1)
        radius = np.where(rival, np.minimum(radius, (spent <= diff[:, None]).sum(axis=1)), radius)
    return top, radius


def run_off_election(scores):
    """Run-Off Election's prediction (Rezaei, Banihashem, Chegini & Feizi, ICML 2023).

    Round one counts each base model's vote (its highest score) and keeps the two classes with most
    votes (ties to the lower index); round two asks every model which of the two it scores higher.

    Parameters
    ----------
    scores : array of shape (n_rows, n_models, n_classes)

    Returns
    -------
    ndarray of int
        The class index each row is given.
    """
    scores = np.asarray(scores, dtype=float)
    if scores.ndim != 3 or scores.shape[2] < 2:
        raise ValueError(f"scores must have shape (n_rows, n_models, n_classes >= 2), got {scores.shape}")
    n_classes = scores.shape[2]
    votes = np.stack([(scores.argmax(axis=2) == c).sum(axis=1) for c in range(n_classes)], axis=1)
    first, _ = dpa_certificate(votes)
    others = votes.astype(float)
    others[np.arange(len(votes)), first] = -np.inf
    second = others.argmax(axis=1)
    rows = np.arange(len(votes))
    a, b = np.minimum(first, second), np.maximum(first, second)
    prefers_a = scores[rows, :, a] >= scores[rows, :, b]  # a model's tie goes to the lower index
    wins_a = prefers_a.sum(axis=1) >= (~prefers_a).sum(axis=1)
    return np.where(wins_a, a, b)


def nonce_text(text, bucket, n_buckets, limit=10**6):
    """``text`` followed by one-character tokens so that its hash falls in ``bucket`` (mod ``n_buckets``).

    The course's vectoriser keeps only words of two or more characters, so the added tokens change
    the row's hash, hence its partition, and none of its counts: how an attacker places a row.
    """
    bucket = check_number(bucket, "bucket", low=0, integer=True)
    n_buckets = check_number(n_buckets, "n_buckets", low=1, integer=True)
    if bucket >= n_buckets:
        raise ValueError(f"bucket must be in [0, {n_buckets - 1}], got {bucket}")
    for i in range(limit):
        candidate = f"{text} {' '.join(str(i))}"
        if text_hash(candidate) % n_buckets == bucket:
            return candidate
    raise ValueError(f"no nonce below {limit} puts the text in bucket {bucket}")  # pragma: no cover


class PartitionEnsemble(CountsTrainerMixin, ClassifierMixin, BaseEstimator):
    """An ensemble of models trained on disjoint partitions of the training rows, with a certificate.

    Parameters
    ----------
    n_partitions : int, default=50
        ``k``: how many partitions (DPA) or the inverse sensitivity (Finite Aggregation).
    scheme : {"dpa", "finite-aggregation"}, default="dpa"
    spread : int or None, default=None
        Finite Aggregation's ``d``: each row trains ``d`` of the ``k * d`` models. ``None`` means 1
        for DPA (the only value it takes) and 3 for Finite Aggregation.
    base_estimator : classifier or None, default=None
        The model of each partition; ``None`` is ``MultinomialNB(alpha=alpha)``, trained for all
        partitions at once from class-by-word count sums (the fast path). Another classifier is
        cloned once per partition.
    alpha : float, default=1.0
        The smoothing of the fast path's Naive Bayes (as ``MultinomialNB``'s).
    random_state : int or None, default=None
        Fixes Finite Aggregation's shifts (``None`` means 0). The partitions themselves are not
        random: they come from the rows' hashes.

    Attributes
    ----------
    classes_ : ndarray
    n_subsets_ : int
        How many base models vote: ``k`` for DPA, ``k * d`` for Finite Aggregation.
    shifts_ : ndarray of int
    buckets_ : ndarray of int
        Each training row's bucket (its hash mod ``n_subsets_``).
    subset_sizes_ : ndarray of int
        How many training rows each base model saw.
    n_features_in_ : int

    Notes
    -----
    ``fit(X, y, partition_keys=texts)`` partitions by the texts (what the course's pipelines do,
    see :func:`course_utils.experiment.defend`); without keys, a row's key is its counts, which is
    stable only while the vocabulary is.
    """

    def __init__(self, n_partitions=50, scheme="dpa", spread=None, base_estimator=None, alpha=1.0,
                 random_state=None):
        self.n_partitions = n_partitions
        self.scheme = scheme
        self.spread = spread
        self.base_estimator = base_estimator
        self.alpha = alpha
        self.random_state = random_state

    def _needs_counts(self):
        return self.base_estimator is None  # the fast path's Naive Bayes; another model takes what it takes

    def _spread(self):
        check_choice(self.scheme, "scheme", SCHEMES)
        if self.spread is None:
            return 1 if self.scheme == "dpa" else DEFAULT_SPREAD
        spread = check_number(self.spread, "spread", low=1, integer=True)
        if self.scheme == "dpa" and spread != 1:
            raise ValueError(f"spread must be 1 (or None) with scheme='dpa'; spread={spread} is Finite "
                             "Aggregation's parameter (scheme='finite-aggregation')")
        return spread

    def fit(self, X, y, partition_keys=None):
        """Partition the rows, then train one model per subset.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Non-negative counts for the default Naive Bayes.
        y : array-like of shape (n_samples,)
        partition_keys : sequence of str, default=None
            The texts of the rows: their normalised SHA-256 picks the partitions.

        Returns
        -------
        self
        """

        k = check_number(self.n_partitions, "n_partitions", low=1, integer=True)
        d = self._spread()
        alpha = check_number(self.alpha, "alpha", low=0.0, low_open=True)
        if self.random_state is not None and not isinstance(self.random_state, numbers.Integral):
            raise TypeError(f"random_state must be None or an int, got {type(self.random_state).__name__}")
        X, y = self._validate_counts(X, y)
        if partition_keys is None:
            hashes = _row_hashes(X)
        else:
            keys = check_sequence(partition_keys, "partition_keys", "strings")
            if len(keys) != X.shape[0]:
                raise ValueError(f"partition_keys has {len(keys)} entries but X has {X.shape[0]} rows")
            hashes = np.array([text_hash(key) for key in keys], dtype=np.uint64)
        self.classes_, y_index = np.unique(y, return_inverse=True)
        self.n_subsets_ = k * d
        self.shifts_ = fa_shifts(k, d, self.random_state) if d > 1 else np.zeros(1, dtype=int)
        self.buckets_ = (hashes % np.uint64(self.n_subsets_)).astype(int)
        members = (self.buckets_[:, None] + self.shifts_[None, :]) % self.n_subsets_  # (n, d)
        self.subset_sizes_ = np.bincount(members.ravel(), minlength=self.n_subsets_)
        if self.base_estimator is None:
            self._fit_naive_bayes(X, y_index, members, alpha)
        else:
            self._fit_clones(X, y_index, members)
        return self

    def _fit_naive_bayes(self, X, y_index, members, alpha):
        from scipy import sparse

        n_classes, n_rows = len(self.classes_), X.shape[0]
        columns = (members * n_classes + y_index[:, None]).ravel()  # (subset, class) of each membership
        rows = np.repeat(np.arange(n_rows), members.shape[1])
        # G.T, built as CSR: row (subset, class) lists its training rows in ascending order.
        GT = sparse.csr_matrix((np.ones(len(rows)), (columns, rows)), shape=(self.n_subsets_ * n_classes, n_rows))
        counts = (GT @ X).tocsr()  # (subset * class, word): the class-by-word count sums (no stored zeros)
        counts.sum_duplicates()
        class_rows = np.diff(GT.indptr).astype(float).reshape(self.n_subsets_, n_classes)
        # Each subset's own vocabulary: the words with a count in any of its classes.
        owner = sparse.csr_matrix((np.ones(self.n_subsets_ * n_classes),
                                   (np.repeat(np.arange(self.n_subsets_), n_classes),
                                    np.arange(self.n_subsets_ * n_classes))))
        present = (owner @ counts).tocsr()
        present.sort_indices()
        vocabulary = np.diff(present.indptr)
        # Every (subset, class) row gets a weight at each word of its subset's vocabulary: alpha there,
        # plus the row's count where it has one (a count is never negative, so no sum is zero and the
        # pattern is the vocabulary's).
        pattern = present[np.repeat(np.arange(self.n_subsets_), n_classes)]
        pattern.data = np.full(pattern.nnz, alpha)
        smoothed = (pattern + counts).tocsr()
        smoothed.sort_indices()
        totals = np.asarray(counts.sum(axis=1)).ravel() + alpha * np.repeat(vocabulary, n_classes)
        row_of = np.repeat(np.arange(smoothed.shape[0]), np.diff(smoothed.indptr))
        weights = np.log(smoothed.data) - np.log(np.maximum(totals, alpha))[row_of]
        self.feature_log_prob_ = sparse.csr_matrix((weights, smoothed.indices, smoothed.indptr), shape=counts.shape)
        self._weights_by_word = self.feature_log_prob_.T.tocsr()  # what every vote multiplies by
        with np.errstate(divide="ignore"):
            total = class_rows.sum(axis=1, keepdims=True)
            self.class_log_prior_ = np.log(class_rows) - np.log(np.maximum(total, 1))
        self.counts_, self.class_rows_ = counts, class_rows
        self.estimators_ = None

    def _fit_clones(self, X, y_index, members):
        self.estimators_ = []
        for j in range(self.n_subsets_):
            rows = np.flatnonzero((members == j).any(axis=1))
            labels = y_index[rows]
            if len(np.unique(labels)) < 2:  # an empty subset votes for the first class
                self.estimators_.append((None, int(labels[0]) if len(labels) else 0))
                continue
            part = X[rows]
            cols = np.flatnonzero(np.asarray(abs(part).sum(axis=0)).ravel() > 0)
            model = clone(self.base_estimator).fit(part[:, cols], labels)
            self.estimators_.append((model, cols))

    def base_predictions(self, X):
        """The class index each base model predicts for each row, shape ``(n_rows, n_subsets_)``."""
        from scipy import sparse

        X = sparse.csr_matrix(self._validate_test(X))
        if self.estimators_ is None:
            n_classes = len(self.classes_)
            # The weights by word as CSR (what the product would convert them to), the product's sum for
            # each row added in the row's order of words; then one class at a time, not argmax over a short axis.
            scores = (X @ self._weights_by_word).toarray()  # feature_log_prob_.T as CSR, made by fit
            joint = scores.reshape(X.shape[0], self.n_subsets_, n_classes)
            # The first class with the highest score, as argmax(axis=2) gives it, one class at a time.
            best = joint[:, :, 0] + self.class_log_prior_[None, :, 0]
            out = np.zeros(best.shape, dtype=np.intp)
            for c in range(1, n_classes):
                score = joint[:, :, c] + self.class_log_prior_[None, :, c]
                higher = score > best
                out[higher], best = c, np.where(higher, score, best)
            return out
        out = np.empty((X.shape[0], self.n_subsets_), dtype=int)
        for j, (model, cols) in enumerate(self.estimators_):
            out[:, j] = cols if model is None else model.predict(X[:, cols])
        return out

    def votes(self, X):
        """How many base models vote for each class, shape ``(n_rows, n_classes)``."""
        predictions = self.base_predictions(X)
        return np.stack([(predictions == c).sum(axis=1) for c in range(len(self.classes_))], axis=1)

    def _certify(self, X):
        predictions = self.base_predictions(X)
        n_classes = max(len(self.classes_), 2)
        if self.scheme == "dpa":
            votes = np.stack([(predictions == c).sum(axis=1) for c in range(n_classes)], axis=1)
            return dpa_certificate(votes)
        return fa_certificate(predictions, n_classes, self.shifts_)

    def predict(self, X):
        """The class with most votes, ties going to the class that sorts first."""
        prediction, _ = self._certify(X)
        return self.classes_[prediction]

    def predict_proba(self, X):
        """Each class's share of the base models' votes."""
        votes = self.votes(X)
        return votes / self.n_subsets_

    def certified_radius(self, X):
        """For each row, how many training rows (insertions or removals) cannot change its prediction.

        A relabelled row keeps its text, hence its partition, so it counts once; a row whose text
        changes counts twice (it leaves one partition and enters another).
        """
        return self._certify(X)[1]


def _dense_rows(matrix, start, stop):
    """Rows ``start:stop`` of a CSR matrix as a dense array (scipy's slicing costs more for two rows)."""
    out = np.zeros((stop - start, matrix.shape[1]))
    for i in range(start, stop):
        begin, end = matrix.indptr[i], matrix.indptr[i + 1]
        out[i - start, matrix.indices[begin:end]] = matrix.data[begin:end]
    return out


def _subset_vote(counts, class_rows, x, alpha):
    """The class index one Naive Bayes subset predicts for the dense count row ``x``."""
    present = counts.sum(axis=0) > 0
    totals = counts.sum(axis=1) + alpha * present.sum()
    log_prob = np.log(counts[:, present] + alpha) - np.log(np.maximum(totals, alpha))[:, None]  # its words only
    with np.errstate(divide="ignore"):
        prior = np.log(class_rows) - np.log(max(class_rows.sum(), 1))
    return int(np.argmax(log_prob @ x[present] + prior))


def insertion_attack(ensemble, x, n_rows, repeat=100):
    """Try to change the ensemble's prediction of one row by inserting ``n_rows`` training rows.

    The attack that tests whether a certificate is tight. Each inserted row is the words of ``x``
    repeated ``repeat`` times, labelled as a rival class, with a nonce (one-character tokens the
    vectoriser drops, see :func:`nonce_text`) that puts it in the bucket where it takes most of the
    margin: the partitions voting for the winner first (DPA); for Finite Aggregation, greedily, the
    bucket whose models not yet reached give most (buckets share models, so the largest single
    gains may overlap). Every rival class is tried. The affected subsets are retrained exactly
    (per-subset Naive Bayes on their new counts), the others are unchanged by construction.

    Parameters
    ----------
    ensemble : fitted PartitionEnsemble with ``base_estimator=None``
    x : sparse or dense row of counts, shape (1, n_features)
    n_rows : int >= 0
    repeat : int >= 1, default=100

    Returns
    -------
    dict
        ``changed`` (bool), ``prediction`` (the new class index), ``target`` (the rival tried last
        or the one that won) and ``buckets`` (where the rows went).
    """
    from scipy import sparse

    check_is_fitted(ensemble)
    if getattr(ensemble, "counts_", None) is None:
        raise ValueError("insertion_attack needs a PartitionEnsemble fitted with base_estimator=None (Naive Bayes)")
    n_rows = check_number(n_rows, "n_rows", low=0, integer=True)
    repeat = check_number(repeat, "repeat", low=1, integer=True)
    row = sparse.csr_matrix(x, dtype=np.float64)
    if row.shape != (1, ensemble.n_features_in_):
        raise ValueError(f"x must be one row of {ensemble.n_features_in_} counts, got shape {row.shape}")
    dense = row.toarray().ravel()
    predictions = ensemble.base_predictions(row)[0]
    n_classes = max(len(ensemble.classes_), 2)
    top = int(np.bincount(predictions, minlength=n_classes).argmax())  # both schemes: ties to the lower index
    alpha = float(ensemble.alpha)
    result = {"changed": False, "prediction": top, "target": None, "buckets": []}
    for c in range(len(ensemble.classes_)):
        if c == top:
            continue
        gain = 1 + (predictions == top).astype(int) - (predictions == c)
        buckets = []
        for _ in range(min(n_rows, ensemble.n_subsets_)):  # greedy: the bucket whose models not yet reached give most
            deltas = sum(np.roll(gain, -s) for s in ensemble.shifts_)
            deltas[buckets] = -1
            buckets.append(int(np.argmax(deltas)))
            gain[(buckets[-1] + ensemble.shifts_) % ensemble.n_subsets_] = 0
        buckets = np.array(buckets, dtype=int)
        hits = np.bincount(((buckets[:, None] + ensemble.shifts_[None]) % ensemble.n_subsets_).ravel(),
                           minlength=ensemble.n_subsets_)
        new = predictions.copy()
        n_cls = len(ensemble.classes_)
        for j in np.flatnonzero(hits):
            counts = _dense_rows(ensemble.counts_, j * n_cls, (j + 1) * n_cls)
            class_rows = ensemble.class_rows_[j].astype(float).copy()
            counts[c] += hits[j] * repeat * dense
            class_rows[c] += hits[j]
            new[j] = _subset_vote(counts, class_rows, dense, alpha)
        votes = np.bincount(new, minlength=n_classes)[None]
        prediction = int((dpa_certificate(votes) if ensemble.scheme == "dpa"
                          else fa_certificate(new[None], n_classes, ensemble.shifts_))[0][0])
        result = {"changed": prediction != top, "prediction": prediction, "target": c, "buckets": buckets.tolist()}
        if result["changed"]:
            break
    return result
