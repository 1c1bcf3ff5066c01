"""Cross-validation consistency, with folds that keep copies of one text together.

The reference's cross-validation "ensures that the model performs consistently across different subsets of the
data". Duplicates make ordinary folds leak: a copy in the training folds vouches for its twin in the held-out
fold. :func:`text_groups` gives every row the hash of its normalised text (the course's tokens, lower-cased,
joined by spaces), so that ``GroupKFold`` puts all copies of a text in one fold; :func:`cross_validate_counts`
gives per-fold scores and out-of-fold probabilities either way.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

from ._validation import check_labels, check_number, check_texts
from .detect import TextFeatures
from .models import make_classifier, make_vectorizer

__all__ = ["normalised_text", "text_groups", "cross_validate_counts"]


def normalised_text(text):
    """``text`` as the course's vectorisers read it: its tokens, lower-cased, joined by single spaces."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return " ".join(make_vectorizer().build_analyzer()(text))


def text_groups(texts):
    """One group per distinct normalised text: the first 8 bytes of its SHA-256, as an int64 per row."""
    texts = check_texts(texts)
    return np.array([_group(t) for t in texts], dtype=np.int64)


@lru_cache(maxsize=1)
def _analyzer():
    return make_vectorizer().build_analyzer()


@lru_cache(maxsize=65536)
def _group(text):
    # Folds are drawn again and again from the same sentences (every seed's split, every poisoned copy of it):
    # hash each sentence once.
    digest = hashlib.sha256(" ".join(_analyzer()(text)).encode("utf-8")).digest()[:8]
    return int.from_bytes(digest, "big", signed=True)


def cross_validate_counts(texts, labels, cv=5, grouped=False, random_state=0, features=None):
    """K-fold cross-validation of the course's Naive Bayes, ordinary or grouped by text.

    The vocabulary is the whole set's (one ``CountVectorizer`` fit), each fold's ``MultinomialNB`` is fitted on
    the other folds' rows.

    Parameters
    ----------
    texts, labels
        The (possibly poisoned) training set; scores are against these labels.
    cv : int >= 2, default=5
    grouped : bool, default=False
        ``False``: ``KFold(shuffle=True)``; ``True``: ``GroupKFold(shuffle=True)`` on :func:`text_groups`.
    random_state : int, default=0
    features : TextFeatures, default=None
        A :class:`~course_utils.detect.TextFeatures` cache to read the tokens from (the counts are
        ``CountVectorizer()``'s either way, exactly); it saves re-tokenising texts seen before.

    Returns
    -------
    dict
        ``fold_accuracy`` (ndarray of shape (cv,)), ``fold`` (each row's fold), ``proba_own`` (each row's
        out-of-fold probability of its own label) and ``predicted`` (its out-of-fold prediction).
    """
    from sklearn.model_selection import GroupKFold, KFold

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    cv = int(check_number(cv, "cv", low=2, integer=True))
    random_state = int(check_number(random_state, "random_state", low=0, integer=True))
    if not isinstance(grouped, (bool, np.bool_)):
        raise TypeError(f"grouped must be True or False, got {type(grouped).__name__}")
    if features is None:
        X = make_vectorizer().fit_transform(texts)
    elif isinstance(features, TextFeatures):
        X, _ = features.fit_transform(texts, "count")
    else:
        raise TypeError(f"features must be a TextFeatures cache or None, got {type(features).__name__}")
    classes, index = np.unique(labels, return_inverse=True)
    if grouped:
        groups = text_groups(texts)
        if len(np.unique(groups)) < cv:
            raise ValueError(f"only {len(np.unique(groups))} distinct texts for cv={cv} grouped folds")
        splits = GroupKFold(n_splits=cv, shuffle=True, random_state=random_state).split(X, index, groups)
    else:
        splits = KFold(n_splits=cv, shuffle=True, random_state=random_state).split(X)
    fold = np.zeros(len(texts), dtype=int)
    proba = np.zeros((len(texts), len(classes)))
    scores = []
    for k, (train, test) in enumerate(splits):
        classifier = make_classifier("count-nb").fit(X[train], index[train])
        proba[np.ix_(test, classifier.classes_)] = classifier.predict_proba(X[test])
        fold[test] = k
        scores.append(float(np.mean(proba[test].argmax(axis=1) == index[test])))
    return {"fold_accuracy": np.array(scores), "fold": fold,
            "proba_own": proba[np.arange(len(texts)), index], "predicted": classes[proba.argmax(axis=1)]}
