"""Monitoring a model that keeps learning: the stream, its monitors, checkpoints and rollback (lesson 09).

A model deployed on a stream of user input learns from every batch, as Tay learned from the people
who talked to it. This module holds the pieces lesson 09 measures:

* :class:`OnlineNaiveBayes`, the course's multinomial Naive Bayes kept as count arrays and updated
  batch by batch (``partial_fit`` adds each class's feature counts; it equals scikit-learn's
  ``MultinomialNB.partial_fit``), on features from :func:`make_stream_vectorizer`, a stateless
  hashing vectoriser with the course's tokeniser;
* :class:`StreamData` (the data set vectorised once) and :func:`make_stream`: a seeded stream of
  batches, each row with a contributor id, a trusted canary set held out of it, an optional rate
  limit per contributor, and one of the attacks of :data:`STREAM_ATTACKS` (a coordinated burst, a
  slow drip, a backdoor);
* the monitors of :data:`MONITORS`: on the canary set (accuracy, per-class recall, the predicted
  share of the target class, a Kolmogorov-Smirnov statistic on predicted probabilities, a
  Page-Hinkley detector on the canary error) and on each incoming batch (its label balance, the
  drift of its tokens against the warm-up data, as a population stability index);
  :class:`StreamMonitor` calibrates a threshold to a per-batch false-alarm rate on clean streams;
* :class:`CheckpointStore`: a checkpoint per batch on disk (``.npz`` count arrays, no pickle) with
  its SHA-256, verified before anything is loaded;
* :func:`simulate_stream`, :func:`calibrate_monitors` and :func:`run_streams`: many seeded streams,
  computed from cumulative count arrays (one sparse product per stream), with the first alarm of
  every monitor, the damage at the alarm and after a rollback that replays the quarantined batches
  without their poisoned rows.

Batches are numbered from 0; checkpoint ``k`` is the model *before* batch ``k`` (checkpoint 0 is
the warm-up model, checkpoint ``k + 1`` the model after batch ``k``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils.validation import check_is_fitted

from ._validation import (
    check_choice,
    check_int,
    check_label_in,
    check_labels,
    check_number,
    check_texts,
    read_regular_file,
    shown,
)
from .attacks import DEFAULT_TRIGGER, check_trigger
from .data import shared_sentiment

__all__ = [
    "N_FEATURES",
    "STREAM_ATTACKS",
    "MONITORS",
    "CANARY_MONITORS",
    "BATCH_MONITORS",
    "DEFAULT_PHRASE",
    "STREAM_DEFAULTS",
    "CheckpointError",
    "make_stream_vectorizer",
    "OnlineNaiveBayes",
    "CheckpointStore",
    "StreamData",
    "Stream",
    "make_stream",
    "ks_statistic",
    "page_hinkley",
    "population_stability_index",
    "label_balance_z",
    "calibrate_threshold",
    "StreamMonitor",
    "monitor_statistics",
    "simulate_stream",
    "calibrate_monitors",
    "run_streams",
    "rollback_checkpoint",
    "detection_delay",
    "summarize_streams",
    "drip_sweep",
    "drip_catch",
    "shared_stream_data",
]

#: Hashed feature buckets of the stream's vectoriser.
N_FEATURES = 2**12
#: The attacks a stream can carry.
STREAM_ATTACKS = ("none", "burst", "drip", "backdoor")
#: Monitors that read the trusted canary set after each update.
CANARY_MONITORS = ("canary-accuracy", "class-recall", "predicted-share", "ks-proba", "page-hinkley")
#: Monitors that read each incoming batch.
BATCH_MONITORS = ("label-balance", "token-drift")
#: Every monitor, by name, with what its statistic measures (higher means more alarming).
MONITORS = {
    "canary-accuracy": "canary accuracy lost against the mean of the previous `window` checkpoints",
    "class-recall": "the largest per-class recall lost on the canary set against the previous `window` checkpoints",
    "predicted-share": "change in the canary share predicted as the target class against the previous checkpoints",
    "ks-proba": "Kolmogorov-Smirnov statistic between the canary's P(target) now and `window` checkpoints ago",
    "page-hinkley": "Page-Hinkley statistic for an increase of the canary error",
    "label-balance": "z score of the batch's share of the target label against the warm-up data's share",
    "token-drift": "population stability index of the batch's token counts against the warm-up data",
}
#: The phrase the burst and the drip carry: words the clean data rarely or never uses.
DEFAULT_PHRASE = "ask tay"
#: The stream's shape and the attacks' sizes, chosen before any result is seen.
STREAM_DEFAULTS = {
    "batch_size": 50, "n_batches": 32, "warmup_size": 600, "canary_size": 300, "attack_test_size": 300,
    "attack_start": 12, "burst_rows": 40, "burst_batches": 3, "burst_accounts": 8, "drip_rows": 2,
    "backdoor_rows": 4, "backdoor_accounts": 2, "n_contributors": 2000, "rate_limit": None,
}
_TOKEN = re.compile(r"(?u)\b\w\w+\b")


class CheckpointError(ValueError):
    """A checkpoint that is missing, unrecorded or fails its SHA-256 check; nothing was loaded."""


def make_stream_vectorizer(n_features=N_FEATURES):
    """The stream's vectoriser: stateless hashing of word counts, with the course's tokeniser.

    ``HashingVectorizer(alternate_sign=False, norm=None)`` gives non-negative counts, as
    ``CountVectorizer`` does, without a vocabulary to fit: every sentence can be vectorised once,
    before the stream starts. Distinct words may share a bucket (a hashing collision).
    """
    n_features = check_int(n_features, "n_features", minimum=2)
    return HashingVectorizer(n_features=n_features, alternate_sign=False, norm=None)


def _check_counts_matrix(X, name="X"):
    if sp.issparse(X):
        X = X.tocsr()
        data = X.data
    else:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"{name} must be a two-dimensional matrix of counts, got shape {X.shape}")
        data = X
    if data.size and (not np.all(np.isfinite(data)) or data.min() < 0):
        raise ValueError(f"{name} must hold finite non-negative counts")
    return X


class OnlineNaiveBayes(ClassifierMixin, BaseEstimator):
    """Multinomial Naive Bayes learned batch by batch, kept as count arrays.

    ``partial_fit`` adds each class's row count and feature counts to ``class_count_`` and
    ``feature_count_``, exactly what scikit-learn's ``MultinomialNB.partial_fit`` does; the
    probabilities follow from the counts with additive smoothing ``alpha`` and the empirical
    class prior. The counts are the whole state, so a checkpoint is two arrays.

    Parameters
    ----------
    alpha : float, default=1.0
        Additive (Laplace) smoothing, as in ``MultinomialNB``.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
    class_count_ : ndarray of shape (n_classes,)
    feature_count_ : ndarray of shape (n_classes, n_features)
    n_features_in_ : int
    """

    def __init__(self, alpha=1.0):
        self.alpha = alpha

    def partial_fit(self, X, y, classes=None):
        """Add a batch's counts; ``classes`` is required on the first call. Returns ``self``."""
        check_number(self.alpha, "alpha", low=0.0, low_open=True)
        X = _check_counts_matrix(X)
        y = check_labels(y, X.shape[0], "y")
        if not hasattr(self, "classes_"):
            if classes is None:
                raise ValueError("classes must be given on the first call to partial_fit")
            self.classes_ = np.unique(np.asarray(classes))
            self.class_count_ = np.zeros(len(self.classes_))
            self.feature_count_ = np.zeros((len(self.classes_), X.shape[1]))
            self.n_features_in_ = X.shape[1]
        elif X.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {X.shape[1]} features, the model has {self.n_features_in_}")
        codes = np.searchsorted(self.classes_, y)
        if np.any(codes >= len(self.classes_)) or np.any(self.classes_[np.minimum(codes, len(self.classes_) - 1)] != y):
            raise ValueError(f"y holds labels outside classes {shown(self.classes_.tolist())}")
        onehot = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))),
                               shape=(len(self.classes_), len(codes)))
        self.class_count_ = self.class_count_ + np.bincount(codes, minlength=len(self.classes_))
        added = onehot @ X
        self.feature_count_ = self.feature_count_ + (added.toarray() if sp.issparse(added) else np.asarray(added))
        return self

    def fit(self, X, y):
        """Start again from no counts and learn ``X, y`` in one batch."""
        for name in ("classes_", "class_count_", "feature_count_", "n_features_in_"):
            self.__dict__.pop(name, None)
        return self.partial_fit(X, y, classes=np.unique(check_labels(y, name="y")))

    def _log_parameters(self):
        check_is_fitted(self, "feature_count_")
        return _log_parameters(self.class_count_, self.feature_count_, float(self.alpha))

    def predict_joint_log_proba(self, X):
        """Unnormalised log posterior of every class, shape (n_rows, n_classes)."""
        log_prior, log_theta = self._log_parameters()
        X = _check_counts_matrix(X)
        return np.asarray(X @ log_theta.T) + log_prior

    def predict_proba(self, X):
        joint = self.predict_joint_log_proba(X)
        joint = joint - joint.max(axis=1, keepdims=True)
        probabilities = np.exp(joint)
        return probabilities / probabilities.sum(axis=1, keepdims=True)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_joint_log_proba(X), axis=1)]

    def counts(self):
        """The model's state, copied: ``{"classes", "class_count", "feature_count", "alpha"}``."""
        check_is_fitted(self, "feature_count_")
        return {"classes": self.classes_.copy(), "class_count": self.class_count_.copy(),
                "feature_count": self.feature_count_.copy(), "alpha": np.array(float(self.alpha))}

    @classmethod
    def from_counts(cls, counts):
        """A fitted model with the given state (what :meth:`counts` returned)."""
        model = cls(alpha=float(counts["alpha"]))
        model.classes_ = np.asarray(counts["classes"]).copy()
        model.class_count_ = np.asarray(counts["class_count"], dtype=float).copy()
        model.feature_count_ = np.asarray(counts["feature_count"], dtype=float).copy()
        model.n_features_in_ = model.feature_count_.shape[1]
        return model


def _log_parameters(class_count, feature_count, alpha):
    """Log prior and log feature probabilities from counts; works on stacked arrays (..., n_classes, F)."""
    smoothed = feature_count + alpha
    log_theta = np.log(smoothed) - np.log(smoothed.sum(axis=-1, keepdims=True))
    log_prior = np.log(class_count) - np.log(class_count.sum(axis=-1, keepdims=True))
    return log_prior, log_theta


def _sha256_bytes(content):
    return hashlib.sha256(content).hexdigest()


class CheckpointStore:
    """Checkpoints of an :class:`OnlineNaiveBayes` on disk, each with its SHA-256.

    ``save`` writes the model's count arrays as ``checkpoint_NNN.npz`` (NumPy arrays only: loading
    one runs no code, unlike a pickle) and records the file's SHA-256 in memory and in
    ``manifest.json``. ``load`` reads the file once, checks those bytes against the recorded hash
    and only then parses them; a missing, unrecorded or altered checkpoint raises
    :class:`CheckpointError` and nothing is loaded. The hashes in memory are the ones trusted: an
    attacker who can rewrite the folder can rewrite the manifest too.

    Parameters
    ----------
    directory : str or Path
        An existing folder; the store writes only files named ``checkpoint_*.npz`` and ``manifest.json``.
    """

    def __init__(self, directory):
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(f"directory must be an existing folder, got {shown(str(directory))}")
        self.hashes = {}

    def path(self, step):
        """The file of checkpoint ``step``."""
        return self.directory / f"checkpoint_{check_int(step, 'step', minimum=0):03d}.npz"

    def save(self, step, model):
        """Write checkpoint ``step`` of ``model``; returns its SHA-256 (hex)."""
        step = check_int(step, "step", minimum=0)
        if not isinstance(model, OnlineNaiveBayes):
            raise TypeError(f"model must be an OnlineNaiveBayes, got {type(model).__name__}")
        import io

        buffer = io.BytesIO()
        np.savez(buffer, **model.counts())
        content = buffer.getvalue()
        self.path(step).write_bytes(content)
        self.hashes[step] = _sha256_bytes(content)
        (self.directory / "manifest.json").write_text(json.dumps(
            {self.path(k).name: v for k, v in sorted(self.hashes.items())}, indent=1), encoding="utf-8")
        return self.hashes[step]

    def load(self, step):
        """The model of checkpoint ``step``, after its SHA-256 matches the recorded one."""
        import io

        step = check_int(step, "step", minimum=0)
        path = self.path(step)
        if step not in self.hashes:
            raise CheckpointError(f"checkpoint {step} was never recorded; nothing was loaded")
        try:
            content = read_regular_file(path, "checkpoint", 2**30)
        except OSError as error:
            raise CheckpointError(f"checkpoint {step} ({path.name}) cannot be read ({error.strerror or error}); "
                                  f"nothing was loaded") from None
        found = _sha256_bytes(content)
        if found != self.hashes[step]:
            raise CheckpointError(f"checkpoint {step} ({path.name}) fails its SHA-256 check: recorded "
                                  f"{self.hashes[step][:16]}..., found {found[:16]}...; nothing was loaded")
        with np.load(io.BytesIO(content), allow_pickle=False) as arrays:
            return OnlineNaiveBayes.from_counts({key: arrays[key] for key in arrays.files})


# --- the stream ---------------------------------------------------------------------------------------------


class StreamData:
    """A labelled data set vectorised once for many streams.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence of labels
    target_label : label, default=None
        The class the attacker wants predicted; ``None`` takes the first label in sorted order
        (``"negative"`` for the shipped data, as in the course's shared experiment).
    source_label : label, default=None
        The class whose sentences the burst and the drip relabel; ``None`` takes the first other label.
    phrase : str, default=DEFAULT_PHRASE
        Words the burst and the drip add to each of their sentences.
    trigger : str, default=DEFAULT_TRIGGER
        The backdoor's token.
    n_features : int, default=N_FEATURES

    Notes
    -----
    Adding words to a sentence adds their counts to its row (the vectoriser counts single words),
    so a sentence with the phrase is its row plus :attr:`phrase_row`: nothing is vectorised twice.
    """

    def __init__(self, texts, labels, *, target_label=None, source_label=None, phrase=DEFAULT_PHRASE,
                 trigger=DEFAULT_TRIGGER, n_features=N_FEATURES):
        texts = check_texts(texts)
        labels = check_labels(labels, len(texts))
        self.classes = np.unique(labels)
        if len(self.classes) < 2:
            raise ValueError("labels must hold at least two classes")
        known = self.classes.tolist()
        target_label = known[0] if target_label is None else check_label_in(target_label, known, "target_label")
        if source_label is None:
            source_label = next(c for c in known if c != target_label)
        check_label_in(source_label, known, "source_label")
        if source_label == target_label:
            raise ValueError("source_label and target_label must differ")
        if not isinstance(phrase, str) or not _TOKEN.findall(phrase):
            raise ValueError(f"phrase must be text with at least one word of two or more letters or digits, "
                             f"got {shown(phrase)}")
        self.trigger = check_trigger(trigger)
        self.phrase, self.target_label, self.source_label = phrase, target_label, source_label
        self.texts, self.labels = list(texts), labels.copy()
        self.codes = np.searchsorted(self.classes, labels)
        self.target_code = int(np.searchsorted(self.classes, target_label))
        self.source_code = int(np.searchsorted(self.classes, source_label))
        vectorizer = make_stream_vectorizer(n_features)
        self.X = vectorizer.transform(self.texts).tocsr()
        self.phrase_row = vectorizer.transform([phrase]).toarray()[0]
        self.trigger_row = vectorizer.transform([self.trigger]).toarray()[0]

    def __len__(self):
        return len(self.texts)


@dataclass
class Stream:
    """One seeded stream: the warm-up set, the canary set, the batches and what each row is.

    ``rows[t]`` are row indices into :attr:`StreamData.X`, ``labels[t]`` their class codes,
    ``contributors[t]`` their contributor ids and ``poisoned[t]`` which rows the attacker sent;
    ``inserted[t]`` says which poisoned rows carry the phrase (``"phrase"``), the trigger
    (``"trigger"``) or nothing added (``""``).
    """

    data: StreamData = field(repr=False)
    seed: int
    attack: str
    warmup: np.ndarray
    canary: np.ndarray
    attack_test: np.ndarray
    rows: list
    labels: list
    contributors: list
    poisoned: list
    inserted: list
    attack_start: int | None
    attack_batches: tuple
    dropped: int

    @property
    def n_batches(self):
        return len(self.rows)

    def batch_matrix(self, t, *, keep_poison=True):
        """The counts of batch ``t`` (sparse, one row per sentence) and their class codes."""
        keep = np.ones(len(self.rows[t]), dtype=bool) if keep_poison else ~self.poisoned[t]
        X = self.data.X[self.rows[t][keep]].toarray()
        added = np.array([self.data.phrase_row if k == "phrase" else self.data.trigger_row if k == "trigger"
                          else np.zeros_like(self.data.phrase_row) for k in self.inserted[t][keep]])
        if len(added):
            X = X + added
        return sp.csr_matrix(X), self.labels[t][keep]

    @property
    def attack_insert(self):
        """What the attack adds to a sentence: the trigger's counts for the backdoor, else the phrase's."""
        return self.data.trigger_row if self.attack == "backdoor" else self.data.phrase_row

    def attack_rows(self):
        """The attack test rows (source-class sentences held out of the stream) with what the attack adds
        inserted: the attacker's goal, measured as the share of them predicted as the target."""
        return sp.csr_matrix(self.data.X[self.attack_test].toarray() + self.attack_insert)


def _stratified_take(rng, codes, candidates, size):
    """``size`` rows of ``candidates``, drawn so that each class keeps its share (rounded)."""
    chosen = []
    classes = np.unique(codes[candidates])
    remaining = size
    for i, c in enumerate(classes):
        pool = candidates[codes[candidates] == c]
        k = remaining if i == len(classes) - 1 else int(round(size * len(pool) / len(candidates)))
        k = min(k, len(pool))
        chosen.append(rng.choice(pool, size=k, replace=False))
        remaining -= k
    return np.sort(np.concatenate(chosen))


def _check_stream_params(data, params):
    unknown = sorted(set(params) - set(STREAM_DEFAULTS))
    if unknown:
        raise ValueError(f"unknown stream parameter {shown(unknown[0])}; the parameters are: "
                         f"{', '.join(STREAM_DEFAULTS)}")
    p = {**STREAM_DEFAULTS, **params}
    for name in ("batch_size", "n_batches", "warmup_size", "canary_size", "attack_test_size", "burst_batches",
                 "burst_accounts", "backdoor_accounts", "n_contributors"):
        p[name] = check_int(p[name], name, minimum=1)
    for name in ("attack_start", "burst_rows", "drip_rows", "backdoor_rows"):
        p[name] = check_int(p[name], name, minimum=0)
    if p["rate_limit"] is not None:
        p["rate_limit"] = check_int(p["rate_limit"], "rate_limit", minimum=1)
    if p["attack_start"] >= p["n_batches"]:
        raise ValueError(f"attack_start must be below n_batches ({p['n_batches']}), got {p['attack_start']}")
    needed = p["warmup_size"] + p["canary_size"] + p["attack_test_size"] + p["batch_size"] * p["n_batches"]
    if needed > len(data):
        raise ValueError(f"the stream needs {needed} rows (warm-up, canary, attack test and batch_size x n_batches), "
                         f"the data has {len(data)}; lower n_batches or batch_size")
    return p


def make_stream(data, attack="none", *, seed=0, **params):
    """A seeded stream of batches with a canary set held out and, optionally, an attack.

    The clean rows depend on ``seed`` only, never on the attack, so streams that differ only in
    their attack share every clean row (the attacked stream's unpoisoned twin).

    Parameters
    ----------
    data : StreamData
    attack : {"none", "burst", "drip", "backdoor"}, default="none"
        ``burst``: ``burst_rows`` rows per batch for ``burst_batches`` batches from ``burst_accounts``
        accounts, source-class sentences with the phrase added, labelled the target;
        ``drip``: ``drip_rows`` such rows per batch from one account, from ``attack_start`` to the end;
        ``backdoor``: ``backdoor_rows`` non-target sentences per batch with the trigger added,
        labelled the target, from ``backdoor_accounts`` accounts, from ``attack_start`` to the end.
    seed : int, default=0
        Draws the warm-up, canary and attack test sets, the order of the batches and the attacker's sentences.
    **params
        The keys of :data:`STREAM_DEFAULTS`. ``rate_limit`` (``None``: none) keeps at most that many
        rows per contributor per batch and drops the rest, clean or not.

    Returns
    -------
    Stream
    """
    if not isinstance(data, StreamData):
        raise TypeError(f"data must be a StreamData, got {type(data).__name__}")
    check_choice(attack, "attack", STREAM_ATTACKS)
    seed = check_number(seed, "seed", low=0, high=2**32 - 1, integer=True)
    p = _check_stream_params(data, params)
    canary, attack_test, warmup, pool, sources, non_target = _split(
        data, seed, p["canary_size"], p["attack_test_size"], p["warmup_size"])
    rng = np.random.default_rng([seed, 10])
    attack_rng = np.random.default_rng([seed, 9, STREAM_ATTACKS.index(attack)])
    T, B = p["n_batches"], p["batch_size"]
    attack_batches = ()
    if attack == "burst":
        attack_batches = tuple(range(p["attack_start"], min(T, p["attack_start"] + p["burst_batches"])))
    elif attack in ("drip", "backdoor"):
        attack_batches = tuple(range(p["attack_start"], T))
    rows, labels, contributors, poisoned, inserted = [], [], [], [], []
    dropped = 0
    for t in range(T):
        clean = pool[t * B:(t + 1) * B]
        ids = rng.integers(0, p["n_contributors"], size=len(clean))
        n_poison, accounts, kind, candidates = 0, 1, "", sources
        if t in attack_batches:
            if attack == "burst":
                n_poison, accounts, kind = p["burst_rows"], p["burst_accounts"], "phrase"
            elif attack == "drip":
                n_poison, kind = p["drip_rows"], "phrase"
            else:
                n_poison, accounts, kind, candidates = p["backdoor_rows"], p["backdoor_accounts"], "trigger", non_target
        bad = attack_rng.choice(candidates, size=n_poison, replace=True)
        bad_ids = p["n_contributors"] + np.arange(n_poison) % accounts  # the attacker's own accounts
        r = np.concatenate([clean, bad])
        c = np.concatenate([ids, bad_ids])
        y = np.concatenate([data.codes[clean], np.full(n_poison, data.target_code)])
        is_bad = np.concatenate([np.zeros(len(clean), bool), np.ones(n_poison, bool)])
        what = np.array([""] * len(clean) + [kind] * n_poison, dtype=object)
        if p["rate_limit"] is not None:
            keep = _rate_limited(c, p["rate_limit"])
            dropped += int((~keep).sum())
            r, c, y, is_bad, what = r[keep], c[keep], y[keep], is_bad[keep], what[keep]
        rows.append(r)
        contributors.append(c)
        labels.append(y)
        poisoned.append(is_bad)
        inserted.append(what)
    return Stream(data, seed, attack, warmup, canary, attack_test, rows, labels, contributors, poisoned, inserted,
                  p["attack_start"] if attack != "none" else None, attack_batches, dropped)


@lru_cache(maxsize=256)
def _split(data, seed, canary_size, attack_test_size, warmup_size):
    """The canary, attack test and warm-up sets of a seed, the order of the rest, and the attacker's pools
    (computed once per data set, seed and sizes; the arrays are read-only)."""
    rng = np.random.default_rng([seed, 9])
    everything = np.arange(len(data))
    canary = _stratified_take(rng, data.codes, everything, canary_size)
    rest = np.setdiff1d(everything, canary)
    test_pool = rest[data.codes[rest] == data.source_code]
    attack_test = np.sort(rng.choice(test_pool, size=min(attack_test_size, len(test_pool)), replace=False))
    rest = rng.permutation(np.setdiff1d(rest, attack_test))
    warmup, pool = np.sort(rest[:warmup_size]), rest[warmup_size:]
    # the attacker's sentences come from rows outside the canary and attack test sets (copies of real reviews)
    own = np.setdiff1d(everything, np.concatenate([canary, attack_test]))
    parts = (canary, attack_test, warmup, pool, own[data.codes[own] == data.source_code],
             own[data.codes[own] != data.target_code])
    for part in parts:
        part.setflags(write=False)
    return parts


def _rate_limited(contributors, limit):
    """Which rows pass a limit of ``limit`` rows per contributor (each contributor's first rows pass)."""
    order = np.argsort(contributors, kind="stable")
    sorted_ids = contributors[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sorted_ids)) + 1]
    rank = np.arange(len(sorted_ids)) - np.repeat(starts, np.diff(np.r_[starts, len(sorted_ids)]))
    keep = np.empty(len(contributors), dtype=bool)
    keep[order] = rank < limit
    return keep


# --- the monitors' statistics -------------------------------------------------------------------------------


def _as_vector(values, name):
    try:
        array = np.asarray(values, dtype=float)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be a sequence of numbers") from None
    if array.ndim != 1 or not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must be a one-dimensional sequence of finite numbers")
    return array


def ks_statistic(a, b):
    """The two-sample Kolmogorov-Smirnov statistic: the largest gap between the two empirical CDFs.

    Equal to ``scipy.stats.ks_2samp(a, b).statistic``, computed without its p-value (the canary's
    two samples are the same rows under two models, not independent samples, so the p-value would
    not hold; the threshold is calibrated on clean streams instead).
    """
    a, b = np.sort(_as_vector(a, "a")), np.sort(_as_vector(b, "b"))
    if not len(a) or not len(b):
        raise ValueError("a and b must each hold at least one value")
    points = np.concatenate([a, b])
    gap = np.searchsorted(a, points, side="right") / len(a) - np.searchsorted(b, points, side="right") / len(b)
    return float(np.max(np.abs(gap)))


def page_hinkley(values, delta=0.005):
    """The Page-Hinkley statistic for an increase of the mean, after each value.

    ``m_t = sum_{i<=t} (x_i - mean(x_0..x_i) - delta)`` and ``PH_t = m_t - min_{i<=t} m_i``: it
    grows when the values rise above their running mean by more than ``delta`` and stays near 0
    otherwise. An alarm is ``PH_t > threshold``.

    Parameters
    ----------
    values : sequence of float
    delta : float >= 0, default=0.005
        The increase tolerated as noise.

    Returns
    -------
    ndarray of shape (len(values),)
    """
    x = _as_vector(values, "values")
    delta = check_number(delta, "delta", low=0.0)
    running_mean = np.cumsum(x) / np.arange(1, len(x) + 1)
    m = np.cumsum(x - running_mean - delta)
    return m - np.minimum.accumulate(m)


def population_stability_index(counts, reference, smoothing=0.5):
    """PSI of the distribution ``counts`` against ``reference``: ``sum (p - q) ln(p / q)``.

    Both are count vectors over the same bins, smoothed by ``smoothing`` in every bin before they are
    normalised (a bin empty on one side would otherwise be infinite). Works on a matrix of
    ``counts``, one distribution per row.
    """
    counts = np.asarray(counts, dtype=float)
    reference = _as_vector(reference, "reference")
    smoothing = check_number(smoothing, "smoothing", low=0.0, low_open=True)
    if counts.shape[-1] != len(reference):
        raise ValueError(f"counts has {counts.shape[-1]} bins, reference has {len(reference)}")
    if np.any(counts < 0) or np.any(reference < 0):
        raise ValueError("counts and reference must be non-negative")
    p = (counts + smoothing) / (counts + smoothing).sum(axis=-1, keepdims=True)
    q = (reference + smoothing) / (reference + smoothing).sum()
    return np.sum((p - q) * np.log(p / q), axis=-1)


def label_balance_z(n_target, n_rows, reference_share):
    """How many standard errors a batch's share of the target label sits from ``reference_share`` (absolute)."""
    n_target, n_rows = np.asarray(n_target, dtype=float), np.asarray(n_rows, dtype=float)
    share = check_number(reference_share, "reference_share", low=0.0, high=1.0, low_open=True, high_open=True)
    if np.any(n_rows <= 0) or np.any(n_target < 0) or np.any(n_target > n_rows):
        raise ValueError("n_rows must be positive and n_target between 0 and n_rows")
    return np.abs(n_target / n_rows - share) / np.sqrt(share * (1 - share) / n_rows)


def calibrate_threshold(clean_values, alpha):
    """The threshold that clean values exceed at a rate of at most ``alpha``.

    An alarm is ``value > threshold``. The threshold is the smallest calibration value that at most
    ``floor(alpha * n)`` of the ``n`` calibration values exceed: the empirical ``1 - alpha``
    quantile, taken as an observed value, so that at most a share ``alpha`` of the calibration values
    raise an alarm (ties can make it fewer).
    """
    values = _as_vector(clean_values, "clean_values")
    alpha = check_number(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    if not len(values):
        raise ValueError("clean_values must hold at least one value")
    allowed = int(np.floor(alpha * len(values) + 1e-9))
    return float(np.sort(values)[len(values) - 1 - allowed])


class StreamMonitor(BaseEstimator):
    """One monitor: a statistic per batch and a threshold calibrated on clean streams.

    ``fit(clean_values)`` sets ``threshold_`` to :func:`calibrate_threshold` of the statistic's values
    on clean streams, so that a share ``alpha`` of clean batches at most raises an alarm there;
    ``predict(values)`` gives the alarms (``value > threshold_``).

    Parameters
    ----------
    statistic : str, default="canary-accuracy"
        A key of :data:`MONITORS`.
    alpha : float in (0, 1), default=0.01
        The per-batch false-alarm rate the threshold is calibrated to.
    random_state : None or int, default=None
        Unused (calibration is deterministic); kept for the defense registry's interface.
    """

    def __init__(self, statistic="canary-accuracy", alpha=0.01, random_state=None):
        self.statistic = statistic
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, clean_values, y=None):
        check_choice(self.statistic, "statistic", tuple(MONITORS))
        self.threshold_ = calibrate_threshold(clean_values, self.alpha)
        self.n_calibration_values_ = len(np.asarray(clean_values))
        return self

    def predict(self, values):
        check_is_fitted(self, "threshold_")
        return _as_vector(values, "values") > self.threshold_


# --- many streams, from cumulative counts --------------------------------------------------------------------

_WINDOW, _DELTA, _SMOOTHING = 4, 0.005, 0.5


def _increments(stream):
    """Per batch and class, the feature counts and row counts the batch adds, (T, C, F) and (T, C): for its
    clean rows and for its poisoned rows apart."""
    data, T, C = stream.data, stream.n_batches, len(stream.data.classes)
    lengths = np.array([len(r) for r in stream.rows])
    batch = np.repeat(np.arange(T), lengths)
    codes, rows = np.concatenate(stream.labels), np.concatenate(stream.rows)
    bad, kinds = np.concatenate(stream.poisoned), np.concatenate(stream.inserted)
    A = sp.csr_matrix((np.ones(len(rows)), (batch * C + codes + bad * T * C, rows)), shape=(2 * T * C, len(data)))
    features = (A @ data.X).toarray().reshape(2, T, C, -1)
    n_rows = np.asarray(A.sum(axis=1)).reshape(2, T, C)
    for kind, added in (("phrase", data.phrase_row), ("trigger", data.trigger_row)):
        hit = bad & (kinds == kind)
        if hit.any():
            counts = np.zeros((T, C))
            np.add.at(counts, (batch[hit], codes[hit]), 1)
            features[1] += counts[..., None] * added
    return features[0], n_rows[0], features[1], n_rows[1]


def _columns(stream):
    """The feature columns the canary and attack rows use: the only ones whose probabilities a score needs."""
    if "_columns" not in stream.__dict__:
        data = stream.data
        used = [data.X[stream.canary].indices, data.X[stream.attack_test].indices,
                np.flatnonzero(stream.attack_insert)]
        stream.__dict__["_columns"] = np.unique(np.concatenate(used))
    return stream.__dict__["_columns"]


def _ks_rows(a, b):
    """:func:`ks_statistic` of every row of ``a`` against the same row of ``b`` (equal row lengths)."""
    n = a.shape[1]
    values = np.concatenate([a, b], axis=1)
    order = np.argsort(values, axis=1, kind="stable")
    steps = np.where(order < n, 1.0, -1.0)
    walk = np.cumsum(steps, axis=1)
    ordered = np.take_along_axis(values, order, axis=1)
    ends = np.concatenate([ordered[:, 1:] != ordered[:, :-1], np.ones((len(a), 1), bool)], axis=1)
    return np.max(np.abs(walk) * ends, axis=1) / n


def _psi_rows(counts, reference, smoothing):
    """:func:`population_stability_index` of every row, computed on the bins used by a row or the reference
    (every other bin adds the same term, counted once)."""
    n_bins = counts.shape[1]
    used = (counts.sum(axis=0) > 0) | (reference > 0)
    batch_total = counts.sum(axis=1) + smoothing * n_bins
    reference_total = reference.sum() + smoothing * n_bins
    p = (counts[:, used] + smoothing) / batch_total[:, None]
    q = (reference[used] + smoothing) / reference_total
    rest = (n_bins - used.sum()) * (smoothing / batch_total - smoothing / reference_total) * np.log(
        reference_total / batch_total)
    return np.sum((p - q) * np.log(p / q), axis=1) + rest


def _models_on(stream, class_count, feature_count, totals, alpha=1.0):
    """Canary and attack numbers of stacked models: class counts (K, C), feature counts (K, C, n_cols) on
    the columns of :func:`_columns` and each class's total feature count (K, C)."""
    data = stream.data
    n_features = data.X.shape[1]
    if "_eval" not in stream.__dict__:
        cols = _columns(stream)
        y = data.codes[stream.canary]
        stream.__dict__["_eval"] = (data.X[stream.canary][:, cols], data.X[stream.attack_test][:, cols],
                                    stream.attack_insert[cols], y, [y == c for c in np.unique(y)])
    canary_X, attack_X, insert, y, masks = stream.__dict__["_eval"]
    log_theta = np.log(feature_count + alpha) - np.log(totals + alpha * n_features)[..., None]
    log_prior = np.log(class_count) - np.log(class_count.sum(axis=-1, keepdims=True))
    K, C, F = log_theta.shape
    flat = log_theta.reshape(K * C, F).T  # (n_cols, K * C)

    def joint(X, added=None):
        scores = np.asarray(X @ flat)
        if added is not None:
            scores = scores + added @ flat
        return scores.reshape(X.shape[0], K, C).transpose(1, 0, 2) + log_prior[:, None, :]

    canary = joint(canary_X)
    pred = np.argmax(canary, axis=2)
    canary = canary - canary.max(axis=2, keepdims=True)
    probabilities = np.exp(canary)
    proba = probabilities[:, :, data.target_code] / probabilities.sum(axis=2)
    accuracy = (pred == y).mean(axis=1)
    recalls = np.stack([(pred[:, mask] == y[mask][0]).mean(axis=1) for mask in masks], axis=1)
    share = (pred == data.target_code).mean(axis=1)
    attack_pred = np.argmax(joint(attack_X, insert), axis=2)
    success = (attack_pred == data.target_code).mean(axis=1)
    return accuracy, recalls, share, proba, success


@dataclass
class _Trajectory:
    canary_accuracy: np.ndarray  # (T + 1,): checkpoint 0, then after each batch
    attack_success: np.ndarray  # (T + 1,)
    statistics: dict  # monitor -> (T,)


def _previous_mean(values, window):
    """For t = 1..T, the mean of values[max(0, t - window) .. t - 1] (values holds T + 1 entries)."""
    csum = np.r_[0.0, np.cumsum(values, axis=0)] if values.ndim == 1 else np.vstack(
        [np.zeros(values.shape[1]), np.cumsum(values, axis=0)])
    t = np.arange(1, len(values))
    low = np.maximum(0, t - window)
    sums = csum[t] - csum[low]
    return sums / (t - low).reshape(-1, *([1] * (values.ndim - 1)))


def _trajectory(stream, features, n_rows, warm_features, warm_rows, alpha=1.0):
    data = stream.data
    cols = _columns(stream)
    class_count = np.vstack([warm_rows, warm_rows + np.cumsum(n_rows, axis=0)])
    feature_count = np.concatenate([warm_features[None, :, cols],
                                    warm_features[None, :, cols] + np.cumsum(features[:, :, cols], axis=0)])
    totals = np.vstack([warm_features.sum(axis=1), warm_features.sum(axis=1) + np.cumsum(features.sum(axis=2), axis=0)])
    accuracy, recalls, share, proba, success = _models_on(stream, class_count, feature_count, totals, alpha)
    stats = {
        "canary-accuracy": _previous_mean(accuracy, _WINDOW) - accuracy[1:],
        "class-recall": np.max(_previous_mean(recalls, _WINDOW) - recalls[1:], axis=1),
        "predicted-share": np.abs(share[1:] - _previous_mean(share, _WINDOW)),
        "ks-proba": _ks_rows(proba[1:], proba[np.maximum(0, np.arange(1, len(proba)) - _WINDOW)]),
        "page-hinkley": page_hinkley(1 - accuracy, _DELTA)[1:],
    }
    reference_share = warm_rows[data.target_code] / warm_rows.sum()
    stats["label-balance"] = label_balance_z(n_rows[:, data.target_code], n_rows.sum(axis=1), reference_share)
    stats["token-drift"] = _psi_rows(features.sum(axis=1), warm_features.sum(axis=0), _SMOOTHING)
    return _Trajectory(accuracy, success, stats), class_count, feature_count, totals


def monitor_statistics(stream):
    """Every monitor's statistic after each batch of ``stream``, as the stream is learned in full.

    Returns
    -------
    dict
        ``statistics`` (monitor -> array of shape (n_batches,)), ``canary_accuracy`` and
        ``attack_success`` (arrays of shape (n_batches + 1,), checkpoint 0 first).
    """
    if not isinstance(stream, Stream):
        raise TypeError(f"stream must be a Stream, got {type(stream).__name__}")
    data = stream.data
    warm_features, warm_rows = _warmup_counts(stream)
    clean_features, clean_rows, poison_features, poison_rows = _increments(stream)
    trajectory, *_ = _trajectory(stream, clean_features + poison_features, clean_rows + poison_rows,
                                   warm_features, warm_rows)
    return {"statistics": trajectory.statistics, "canary_accuracy": trajectory.canary_accuracy,
            "attack_success": trajectory.attack_success, "classes": data.classes.tolist()}


def _warmup_counts(stream):
    data = stream.data
    C = len(data.classes)
    codes = data.codes[stream.warmup]
    onehot = sp.csr_matrix((np.ones(len(codes)), (codes, np.arange(len(codes)))), shape=(C, len(codes)))
    return (onehot @ data.X[stream.warmup]).toarray(), np.bincount(codes, minlength=C).astype(float)


def rollback_checkpoint(alarm_batch, lookback):
    """The checkpoint to roll back to after an alarm at ``alarm_batch``: the one before the ``lookback``
    batches that end with the alarm batch (quarantined), never before checkpoint 0."""
    alarm_batch = check_int(alarm_batch, "alarm_batch", minimum=0)
    lookback = check_int(lookback, "lookback", minimum=1)
    return max(0, alarm_batch - lookback + 1)


def detection_delay(alarms, attack_start):
    """Batches from the attack's first batch to the first alarm at or after it; ``None`` without one."""
    alarms = np.asarray(alarms, dtype=bool)
    attack_start = check_int(attack_start, "attack_start", minimum=0)
    hits = np.flatnonzero(alarms[attack_start:])
    return int(hits[0]) if len(hits) else None


_CLEAN_KEYS = ("batch_size", "n_batches", "warmup_size", "canary_size", "attack_test_size", "n_contributors",
               "rate_limit")
_TWINS = {}


def _clean_twin(data, seed, kind, shape, stream, features, n_rows, warm_features, warm_rows):
    """The unpoisoned twin's trajectory, computed once per (data, seed, kind, shape) and kept (256 at most)."""
    key = (id(data), seed, kind, shape)
    if key not in _TWINS or _TWINS[key][0] is not data:
        if len(_TWINS) >= 256:
            _TWINS.pop(next(iter(_TWINS)))
        _TWINS[key] = (data, _trajectory(stream, features, n_rows, warm_features, warm_rows))
    return _TWINS[key][1]


def simulate_stream(data, attack="none", *, seed=0, thresholds=None, lookback=4, **params):
    """Run one seeded stream and its unpoisoned twin; with ``thresholds``, every monitor's alarm and rollback.

    Parameters
    ----------
    data : StreamData
    attack : {"none", "burst", "drip", "backdoor"}, default="none"
    seed : int, default=0
    thresholds : dict, default=None
        Monitor name -> calibrated threshold (:func:`calibrate_monitors`).
    lookback : int, default=4
        How many batches an alarm quarantines, the alarm batch included.
    **params
        The keys of :data:`STREAM_DEFAULTS`.

    Returns
    -------
    dict
        ``stream`` (the :class:`Stream`), ``attacked`` and ``clean`` (each ``statistics``,
        ``canary_accuracy``, ``attack_success``) and, with thresholds, ``monitors``: per monitor
        and for ``"any"``, ``first_alarm_batch``, ``delay``, ``false_alarms`` (alarms before the
        attack; all alarms on a clean stream), the canary accuracy and attack success at the alarm
        and after the rollback, the twin's canary accuracy at the alarm and the rollback checkpoint.
    """
    stream = make_stream(data, attack, seed=seed, **params)
    p = _check_stream_params(data, params)  # the stream's parameters with their defaults
    lookback = check_int(lookback, "lookback", minimum=1)
    warm_features, warm_rows = _warmup_counts(stream)
    clean_features, clean_rows, poison_features, poison_rows = _increments(stream)
    # the unpoisoned twin depends on the seed, the stream's shape and what the attack inserts, never on the
    # attack's size: streams that share those share it (the drip at several rates, the clean streams)
    shape = tuple(sorted((k, v) for k, v in p.items() if k in _CLEAN_KEYS))
    kind = "trigger" if attack == "backdoor" else "phrase"
    clean, clean_cc, clean_fc, clean_totals = _clean_twin(data, stream.seed, kind, shape, stream, clean_features,
                                                          clean_rows, warm_features, warm_rows)
    if attack == "none":
        attacked = clean
    else:
        attacked, *_ = _trajectory(stream, clean_features + poison_features, clean_rows + poison_rows,
                                     warm_features, warm_rows)
    result = {"stream": stream, "attacked": _plain_trajectory(attacked), "clean": _plain_trajectory(clean)}
    if thresholds is None:
        return result
    unknown = sorted(set(thresholds) - set(MONITORS))
    if unknown:
        raise ValueError(f"thresholds names an unknown monitor {shown(unknown[0])}; the monitors are: "
                         f"{', '.join(MONITORS)}")
    alarms = {name: attacked.statistics[name] > float(threshold) for name, threshold in thresholds.items()}
    alarms["any"] = np.any(list(alarms.values()), axis=0)
    cols = _columns(stream)
    cum_poison_f = np.concatenate([np.zeros_like(warm_features[:, cols])[None],
                                   np.cumsum(poison_features[:, :, cols], axis=0)])
    cum_poison_t = np.vstack([np.zeros_like(warm_rows), np.cumsum(poison_features.sum(axis=2), axis=0)])
    cum_poison_r = np.vstack([np.zeros_like(warm_rows), np.cumsum(poison_rows, axis=0)])
    start = stream.attack_start if attack != "none" else stream.n_batches
    monitors, rolled = {}, {}
    twin_alarms = {name: clean.statistics[name] > float(threshold) for name, threshold in thresholds.items()}
    twin_alarms["any"] = np.any(list(twin_alarms.values()), axis=0)
    drip_rows = p["drip_rows"] if attack == "drip" else None
    for name, alarm in alarms.items():
        first = None if attack == "none" else detection_delay(alarm, start)
        twin_first = None if attack == "none" else detection_delay(twin_alarms[name], start)
        entry = {"first_alarm_batch": None if first is None else start + first, "delay": first,
                 "false_alarms": int(alarm[:start].sum()), "clean_batches": int(start),
                 "attack_start_batch": stream.attack_start, "drip_rows": drip_rows,
                 "twin_first_alarm_batch": None if twin_first is None else start + twin_first,
                 "final_attack_success": float(attacked.attack_success[-1]),
                 "final_clean_attack_success": float(clean.attack_success[-1]),
                 "final_canary_accuracy": float(attacked.canary_accuracy[-1]),
                 "final_clean_canary_accuracy": float(clean.canary_accuracy[-1])}
        if first is not None:
            a = start + first
            back = rollback_checkpoint(a, lookback)
            # roll back to checkpoint `back`, replay the quarantined batches back..a without their poisoned rows
            if a not in rolled:  # monitors alarming at the same batch share one rollback
                cc = (clean_cc[a + 1] + cum_poison_r[back])[None]
                fc = (clean_fc[a + 1] + cum_poison_f[back])[None]
                totals = (clean_totals[a + 1] + cum_poison_t[back])[None]
                rolled[a] = _models_on(stream, cc, fc, totals)
            accuracy, _, _, _, success = rolled[a]
            entry.update(rollback_checkpoint=back, canary_accuracy_at_alarm=float(attacked.canary_accuracy[a + 1]),
                         attack_success_at_alarm=float(attacked.attack_success[a + 1]),
                         canary_accuracy_after_rollback=float(accuracy[0]),
                         attack_success_after_rollback=float(success[0]),
                         clean_canary_accuracy=float(clean.canary_accuracy[a + 1]),
                         clean_attack_success=float(clean.attack_success[a + 1]))
        monitors[name] = entry
    result["monitors"] = monitors
    return result


def _plain_trajectory(trajectory):
    """Copies, so that a caller changing them changes nothing kept."""
    return {"statistics": {k: v.copy() for k, v in trajectory.statistics.items()},
            "canary_accuracy": trajectory.canary_accuracy.copy(), "attack_success": trajectory.attack_success.copy()}


def _check_seeds(seeds):
    if isinstance(seeds, (str, bytes)) or not hasattr(seeds, "__iter__"):
        raise TypeError(f"seeds must be a sequence of integers, got {type(seeds).__name__}")
    seeds = [check_number(s, "seeds", low=0, high=2**32 - 1, integer=True) for s in seeds]
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    if len(set(seeds)) != len(seeds):
        raise ValueError("seeds must not repeat a seed")
    return seeds


def calibrate_monitors(data, seeds, alpha=0.01, **params):
    """Fit every monitor of :data:`MONITORS` on clean streams with the given seeds.

    Returns
    -------
    dict
        Monitor name -> fitted :class:`StreamMonitor` (``threshold_`` calibrated to ``alpha``).
    """
    seeds = _check_seeds(seeds)
    alpha = check_number(alpha, "alpha", low=0.0, high=1.0, low_open=True, high_open=True)
    if not isinstance(data, StreamData):
        raise TypeError(f"data must be a StreamData, got {type(data).__name__}")
    _check_stream_params(data, params)
    values = _calibration_values(data, tuple(seeds), tuple(sorted(params.items())))
    return {name: StreamMonitor(name, alpha).fit(values[name]) for name in MONITORS}


@lru_cache(maxsize=8)
def _calibration_values(data, seeds, params):
    """Every monitor's statistic on the clean streams of ``seeds``, computed once per data set, seeds and shape."""
    values = {name: [] for name in MONITORS}
    for seed in seeds:
        statistics = simulate_stream(data, "none", seed=seed, **dict(params))["clean"]["statistics"]
        for name in MONITORS:
            values[name].append(statistics[name])
    return {name: np.concatenate(v) for name, v in values.items()}


@lru_cache(maxsize=1)
def shared_stream_data():
    """The shipped review sentences as a :class:`StreamData` with the defaults, built once per process
    (for the lesson, the playground and the checks; read-only)."""
    data = shared_sentiment()
    return StreamData(data.texts, data.labels)


def run_streams(data, attack, seeds, monitors, *, lookback=4, **params):
    """:func:`simulate_stream` on every seed; one row per seed and monitor (and ``"any"``).

    Parameters
    ----------
    data : StreamData
    attack : {"none", "burst", "drip", "backdoor"}
    seeds : sequence of int
        Keep them disjoint from the calibration seeds.
    monitors : dict
        Monitor name -> fitted :class:`StreamMonitor`, or -> threshold.

    Returns
    -------
    list of dict
        Each row: ``attack``, ``seed``, ``monitor`` and the entries of ``simulate_stream``'s ``monitors``.
    """
    seeds = _check_seeds(seeds)
    if not isinstance(monitors, dict) or not monitors:
        raise TypeError("monitors must be a non-empty dict of monitor name -> fitted StreamMonitor or threshold")
    thresholds = {name: getattr(m, "threshold_", m) for name, m in monitors.items()}
    rows = []
    for seed in seeds:
        result = simulate_stream(data, attack, seed=seed, thresholds=thresholds, lookback=lookback, **params)
        for name, entry in result["monitors"].items():
            rows.append({"attack": attack, "seed": seed, "monitor": name, **entry})
    return rows


def summarize_streams(rows):
    """One row per attack and monitor from :func:`run_streams` rows: how often, how fast, at what cost.

    Returns
    -------
    list of dict
        ``attack``, ``monitor``, ``streams``, ``caught`` (streams with an alarm at or after the
        attack's start), ``mean_delay`` (batches, over the caught streams), ``max_delay``,
        ``false_alarms_per_100`` (alarms per 100 clean batches: before the attack, or the whole of a
        clean stream), ``accuracy_lost_at_alarm`` and ``accuracy_lost_after_rollback`` (the
        unpoisoned twin's canary accuracy minus the model's, mean over caught streams, and
        ``max_accuracy_lost_after_rollback``), ``attack_success_at_alarm``,
        ``attack_success_after_rollback`` and ``clean_attack_success`` (the twin's, at the same batch).
        Numbers over caught streams are ``None`` when none was caught.
    """
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a list of the dicts run_streams returns")
    groups = {}
    for row in rows:
        groups.setdefault((row["attack"], row["monitor"]), []).append(row)
    summary = []
    for (attack, monitor), group in groups.items():
        caught = [r for r in group if r["delay"] is not None]
        clean_batches = sum(r["clean_batches"] for r in group)

        def mean(values):
            return float(np.mean(values)) if caught else None

        summary.append({
            "attack": attack, "monitor": monitor, "streams": len(group), "caught": len(caught),
            "mean_delay": mean([r["delay"] for r in caught]),
            "max_delay": max((r["delay"] for r in caught), default=None),
            "false_alarms_per_100": (100 * sum(r["false_alarms"] for r in group) / clean_batches
                                     if clean_batches else None),
            "accuracy_lost_at_alarm": mean([r["clean_canary_accuracy"] - r["canary_accuracy_at_alarm"]
                                            for r in caught]),
            "accuracy_lost_after_rollback": mean([r["clean_canary_accuracy"] - r["canary_accuracy_after_rollback"]
                                                  for r in caught]),
            "max_accuracy_lost_after_rollback": max((r["clean_canary_accuracy"] - r["canary_accuracy_after_rollback"]
                                                     for r in caught), default=None),
            "attack_success_at_alarm": mean([r["attack_success_at_alarm"] for r in caught]),
            "attack_success_after_rollback": mean([r["attack_success_after_rollback"] for r in caught]),
            "clean_attack_success": mean([r["clean_attack_success"] for r in caught]),
        })
    return summary


def drip_sweep(data, rates, seeds, monitors, *, horizon=8, monitor="any", lookback=4, **params):
    """The slow drip at several rates: how often ``monitor`` raises an alarm within ``horizon`` batches.

    Parameters
    ----------
    data : StreamData
    rates : sequence of int
        Drip rows per batch, each from the attacker's one account.
    seeds : sequence of int
    monitors : dict
        Monitor name -> fitted :class:`StreamMonitor` or threshold.
    horizon : int, default=8
        An alarm counts when it comes at most ``horizon - 1`` batches after the drip's first batch.
    monitor : str, default="any"
        A key of ``monitors``, or ``"any"``.

    Returns
    -------
    list of dict
        Per rate: ``rate``, ``streams``, ``caught`` (attacked streams with an alarm in the horizon),
        ``twin_alarms`` (their unpoisoned twins with an alarm in the same batches: false alarms),
        ``catch_rate``, ``twin_alarm_rate``, ``final_attack_success`` and
        ``final_clean_attack_success`` (means at the stream's end, the attack never stopped).
    """
    horizon = check_int(horizon, "horizon", minimum=1)
    if isinstance(rates, (str, bytes)) or not hasattr(rates, "__iter__"):
        raise TypeError(f"rates must be a sequence of integers, got {type(rates).__name__}")
    rates = [check_int(r, "rates", minimum=1) for r in rates]
    if not rates:
        raise ValueError("rates must hold at least one rate")
    if monitor != "any" and monitor not in monitors:
        raise ValueError(f"monitor must be 'any' or one of {', '.join(map(repr, monitors))}; got {shown(monitor)}")
    return [drip_catch(run_streams(data, "drip", seeds, monitors, lookback=lookback, drip_rows=rate, **params),
                       horizon=horizon, monitor=monitor) for rate in rates]


def drip_catch(rows, *, horizon=8, monitor="any"):
    """How often one drip rate was caught, from the :func:`run_streams` rows of drip streams (see :func:`drip_sweep`).

    Returns
    -------
    dict
        ``rate``, ``streams``, ``caught``, ``twin_alarms``, ``catch_rate``, ``twin_alarm_rate``,
        ``final_attack_success`` and ``final_clean_attack_success``.
    """
    horizon = check_int(horizon, "horizon", minimum=1)
    if not isinstance(rows, (list, tuple)) or not all(isinstance(r, dict) for r in rows):
        raise TypeError("rows must be a list of the dicts run_streams returns")
    rows = [r for r in rows if r["monitor"] == monitor]
    rates = {r.get("drip_rows") for r in rows}
    if not rows or any(r["attack"] != "drip" for r in rows) or len(rates) != 1:
        raise ValueError(f"rows must hold drip streams at one rate, with monitor {shown(monitor)}")

    def within(batch, row):
        return batch is not None and batch - row["attack_start_batch"] < horizon

    caught = sum(within(r["first_alarm_batch"], r) for r in rows)
    twins = sum(within(r["twin_first_alarm_batch"], r) for r in rows)
    return {"rate": rates.pop(), "streams": len(rows), "caught": caught, "twin_alarms": twins,
            "catch_rate": caught / len(rows), "twin_alarm_rate": twins / len(rows),
            "final_attack_success": float(np.mean([r["final_attack_success"] for r in rows])),
            "final_clean_attack_success": float(np.mean([r["final_clean_attack_success"] for r in rows]))}
