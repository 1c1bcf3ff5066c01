"""Backdoor input filters at prediction time, re-created for the course's model, and an adaptive trigger.

Each filter scores an input; **higher means more suspicious**. A filter is calibrated on clean inputs to a
false-rejection rate (:func:`calibrate_threshold`) and then measured by its false-acceptance rate on triggered
inputs (:func:`filter_rates`).

* :func:`strip_scores`, after STRIP (Gao et al., 2019): superimpose the input on random clean sentences and
  measure the entropy of the predictions; a trigger keeps them on the target, so a low entropy is suspicious.
* :func:`onion_scores`, after ONION (Qi et al., 2021): remove each word in turn; ``mode="prediction"`` scores
  the largest fall in the predicted class's probability, ``mode="bigram"`` the largest rise in the sentence's
  likelihood under a smoothed bigram model of clean text (:class:`BigramLanguageModel`).
* :func:`rap_scores`, after RAP (Yang et al., 2021): insert a perturbation word that pushes against the target
  and measure how little the target's probability falls; a triggered input is robust to it.

:func:`multi_token_backdoor` is the adaptive attack: several trigger tokens in each poisoned row, so that
removing one word leaves the others to carry the backdoor.
"""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

from ._validation import check_label_in, check_number, check_random_state, check_texts
from .attacks import backdoor, check_trigger, insert_trigger

__all__ = [
    "strip_scores",
    "onion_scores",
    "rap_scores",
    "BigramLanguageModel",
    "calibrate_threshold",
    "filter_rates",
    "multi_token_backdoor",
    "insert_triggers",
]


def _check_model(model):
    if not (hasattr(model, "predict_proba") and hasattr(model, "classes_")):
        raise TypeError(f"model must be a fitted classifier with predict_proba and classes_ (a fitted pipeline), "
                        f"got {type(model).__name__}")
    return model


def _count_steps(model):
    """``(vectorizer, classifier)`` when ``model`` is a pipeline of a default ``CountVectorizer()`` and a classifier.

    Its tokens never cross whitespace, so the counts of texts joined by a space are the sum of their counts, and
    removing a whitespace-separated word subtracts that word's counts: the filters then build the matrix of
    every variant of an input from the counts of its parts, without tokenising each variant, and the classifier
    sees exactly the matrix ``vectorizer.transform(variants)`` would give. ``None`` for any other model (which
    gets the variants as text).
    """
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import Pipeline

    if not isinstance(model, Pipeline) or len(model.steps) != 2:
        return None
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    if type(vectorizer) is not CountVectorizer or vectorizer.get_params() != CountVectorizer().get_params():
        return None
    return vectorizer, classifier


def _rows(matrix, rows):
    """``matrix[rows]``, rows repeated as asked, in CSR with sorted indices (as ``transform`` gives)."""
    picked = matrix[np.asarray(rows, dtype=np.int64)]
    picked.sort_indices()
    return picked


def strip_scores(model, texts, clean_texts, n_perturbations=20, random_state=0):
    """STRIP for text: the negated entropy of the predictions on superimposed copies of each input.

    Each input is joined with ``n_perturbations`` sentences drawn from ``clean_texts``; a clean input's
    predictions then follow the sentence added, a triggered one's stay on the target.

    Parameters
    ----------
    model : fitted pipeline
    texts : sequence of str
        The inputs to score.
    clean_texts : sequence of str
        Held-out clean sentences to superimpose.
    n_perturbations : int >= 2, default=20
    random_state : int, default=0

    Returns
    -------
    ndarray of shape (n_texts,)
        Minus the mean entropy (nats): higher is more suspicious.
    """
    model = _check_model(model)
    texts, clean_texts = check_texts(texts), check_texts(clean_texts, "clean_texts")
    n = int(check_number(n_perturbations, "n_perturbations", low=2, integer=True))
    rng = check_random_state(random_state)
    picks = rng.integers(len(clean_texts), size=(len(texts), n))
    steps = _count_steps(model)
    if steps is None:
        p = model.predict_proba([f"{text} {clean_texts[j]}" for text, row in zip(texts, picks) for j in row])
    else:  # the counts of "text clean" are those of text plus those of clean
        vectorizer, classifier = steps
        used, which = np.unique(picks.ravel(), return_inverse=True)
        inputs = vectorizer.transform(texts)
        sentences = vectorizer.transform([clean_texts[j] for j in used])
        p = classifier.predict_proba(_rows(inputs, np.repeat(np.arange(len(texts)), n)) + _rows(sentences, which))
    p = np.clip(p, 1e-12, 1.0)
    entropy = -(p * np.log(p)).sum(axis=1).reshape(len(texts), n).mean(axis=1)
    return -entropy


class BigramLanguageModel:
    """A bigram model of clean text with add-``k`` smoothing, on the course's tokens.

    Parameters
    ----------
    k : float > 0, default=0.1

    ``fit(texts)`` counts; ``log_likelihood(tokens)`` is the mean log-probability per token (with sentence
    start and end), unseen words sharing one unknown-word slot.
    """

    def __init__(self, k=0.1):
        self.k = k

    def fit(self, texts):
        from sklearn.feature_extraction.text import CountVectorizer

        texts = check_texts(texts)
        check_number(self.k, "k", low=0, low_open=True)
        self.analyze_ = CountVectorizer().build_analyzer()
        self.unigrams_, self.bigrams_ = Counter(), Counter()
        for text in texts:
            tokens = ["<s>", *self.analyze_(text), "</s>"]
            self.unigrams_.update(tokens[:-1])
            self.bigrams_.update(zip(tokens[:-1], tokens[1:]))
        self.known_ = frozenset(self.unigrams_) | {"</s>"}
        self.vocabulary_size_ = len(self.known_) + 1  # and one unknown word
        return self

    def log_likelihood(self, tokens):
        """Mean log-probability per token of ``tokens`` (a list of the course's tokens)."""
        tokens = ["<s>", *(t if t in self.known_ else "<unk>" for t in tokens), "</s>"]
        return sum(map(self._term, tokens[:-1], tokens[1:])) / (len(tokens) - 1)

    def _term(self, a, b, cache=None):
        """``log P(b | a)``, smoothed; ``cache`` (a dict) keeps the values already computed."""
        if cache is not None and (a, b) in cache:
            return cache[a, b]
        k, size = self.k, self.k * self.vocabulary_size_
        value = math.log((self.bigrams_.get((a, b), 0) + k) / (self.unigrams_.get(a, 0) + size))
        if cache is not None:
            cache[a, b] = value
        return value

    def _removal_gains(self, tokens, cache):
        """``log_likelihood(tokens without token i) - log_likelihood(tokens)`` for each ``i``, the same numbers.

        The bigrams of a sentence without token ``i`` are its own, with the two around ``i`` replaced by the one
        that joins its neighbours: each variant's log-probabilities are taken from the sentence's and summed in
        the same order as :meth:`log_likelihood` sums them.
        """
        padded = ["<s>", *(t if t in self.known_ else "<unk>" for t in tokens), "</s>"]
        terms = [self._term(a, b, cache) for a, b in zip(padded[:-1], padded[1:])]
        full = sum(terms) / len(terms)
        return [sum(terms[:i] + [self._term(padded[i], padded[i + 2], cache)] + terms[i + 2:]) / (len(terms) - 1)
                - full for i in range(len(tokens))]


def onion_scores(model, texts, mode="prediction", language_model=None):
    """ONION-style word removal: the most any single word's removal changes the input.

    Parameters
    ----------
    model : fitted pipeline
        Used with ``mode="prediction"``.
    texts : sequence of str
    mode : {"prediction", "bigram"}, default="prediction"
        ``"prediction"``: the largest fall in the probability of the class predicted for the whole input when
        one word is removed. ``"bigram"``: the largest rise in mean log-likelihood per token under
        ``language_model`` when one word is removed (an out-of-place word is an outlier of clean text).
    language_model : BigramLanguageModel, default=None
        Fitted on clean text; required with ``mode="bigram"``.

    Returns
    -------
    ndarray of shape (n_texts,)
    """
    texts = check_texts(texts)
    if mode not in ("prediction", "bigram"):
        raise ValueError(f"mode must be 'prediction' or 'bigram', got {mode!r}")
    if mode == "bigram":
        if not isinstance(language_model, BigramLanguageModel) or not hasattr(language_model, "unigrams_"):
            raise TypeError("mode='bigram' needs language_model, a fitted BigramLanguageModel")
        terms = {}  # each bigram's log-probability, computed once for all the texts
        scores = []
        for text in texts:
            gains = language_model._removal_gains(language_model.analyze_(text), terms)
            scores.append(max(gains, default=0.0))
        return np.asarray(scores)
    model = _check_model(model)
    steps = _count_steps(model)
    split = [text.split() for text in texts]
    owner = np.repeat(np.arange(len(texts)), [len(words) for words in split])
    if steps is None:
        predicted = model.predict_proba(texts)
    else:
        vectorizer, classifier = steps
        inputs = vectorizer.transform(texts)
        predicted = classifier.predict_proba(inputs)
    chosen = predicted.argmax(axis=1)
    scores = np.zeros(len(texts))
    if len(owner):
        if steps is None:
            variants = [" ".join(words[:j] + words[j + 1:]) for words in split for j in range(len(words))]
            p = model.predict_proba(variants)
        else:  # each variant's counts: its input's minus the removed word's
            distinct, which = np.unique(np.array([w for words in split for w in words], dtype=object),
                                        return_inverse=True)
            removed = vectorizer.transform(list(distinct))
            variants = _rows(inputs, owner) - _rows(removed, which)
            variants.eliminate_zeros()
            p = classifier.predict_proba(variants)
        p = p[np.arange(len(owner)), chosen[owner]]
        fall = predicted[owner, chosen[owner]] - p
        np.maximum.at(scores, owner, fall)
    return scores


def rap_scores(model, texts, target_label, n_copies=1):
    """RAP-style probing: how little the target's probability falls when a word that opposes it is inserted.

    The perturbation word is the one whose log-rate most favours another class over ``target_label`` in the
    fitted Naive Bayes (``model[-1].feature_log_prob_``), inserted ``n_copies`` times. Inputs not predicted as
    the target are harmless and score ``-inf`` (never rejected).

    Returns
    -------
    ndarray of shape (n_texts,)
        Minus the fall in the target's probability: higher (a smaller fall) is more suspicious.
    """
    model = _check_model(model)
    texts = check_texts(texts)
    n_copies = int(check_number(n_copies, "n_copies", low=1, integer=True))
    classifier = model[-1] if hasattr(model, "steps") else model
    if not hasattr(classifier, "feature_log_prob_"):
        raise TypeError("rap_scores needs a fitted Naive Bayes pipeline (its classifier's feature_log_prob_)")
    classes = list(model.classes_)
    check_label_in(target_label, classes, "target_label")
    t = classes.index(target_label)
    log_prob = classifier.feature_log_prob_
    others = np.delete(log_prob, t, axis=0).max(axis=0)
    word = model[0].get_feature_names_out()[int(np.argmax(others - log_prob[t]))]
    steps = _count_steps(model)
    suffix = " ".join([word] * n_copies)
    if steps is None:
        before = model.predict_proba(texts)[:, t]
        after = model.predict_proba([f"{text} {suffix}" for text in texts])[:, t]
        predicted = model.predict(texts)
    else:  # the counts of "text word" are those of text plus the word's
        vectorizer, classifier = steps
        inputs = vectorizer.transform(texts)
        added = vectorizer.transform([suffix])
        before = classifier.predict_proba(inputs)[:, t]
        after = classifier.predict_proba(inputs + _rows(added, np.zeros(len(texts), dtype=np.int64)))[:, t]
        predicted = classifier.predict(inputs)
    scores = -(before - after)
    scores[predicted != target_label] = -np.inf
    return scores


def calibrate_threshold(clean_scores, false_rejection=0.01):
    """The smallest threshold that rejects at most ``false_rejection`` of the clean scores (reject ``score > t``).

    Parameters
    ----------
    clean_scores : array-like of float
        A filter's scores on clean inputs (calibration inputs, not the ones it is measured on).
    false_rejection : float in (0, 1), default=0.01

    Returns
    -------
    float
    """
    scores = np.sort(np.asarray(clean_scores, dtype=float))
    if scores.ndim != 1 or not len(scores) or np.isnan(scores).any():
        raise ValueError("clean_scores must be a non-empty 1-D sequence of numbers (no NaN)")
    false_rejection = check_number(false_rejection, "false_rejection", low=0, high=1, low_open=True, high_open=True)
    allowed = int(math.floor(false_rejection * len(scores)))  # at most this many clean scores above the threshold
    return float(scores[len(scores) - 1 - allowed])


def filter_rates(threshold, clean_scores, triggered_scores):
    """False rejection on clean inputs and false acceptance on triggered inputs at ``threshold``.

    Returns
    -------
    dict
        ``false_rejection`` (share of clean scores above the threshold) and ``false_acceptance`` (share of
        triggered scores at or below it).
    """
    threshold = check_number(threshold, "threshold")
    clean, triggered = np.asarray(clean_scores, dtype=float), np.asarray(triggered_scores, dtype=float)
    if not len(clean) or not len(triggered):
        raise ValueError("clean_scores and triggered_scores must be non-empty")
    return {"false_rejection": float(np.mean(clean > threshold)),
            "false_acceptance": float(np.mean(triggered <= threshold))}


def insert_triggers(texts, triggers, random_state=None):
    """Insert every token of ``triggers`` into every text, each at a random position.

    :func:`course_utils.attacks.insert_trigger` with several tokens.

    Returns
    -------
    list of str
    """
    return insert_trigger(texts, _check_tokens(triggers), random_state=random_state)


def multi_token_backdoor(texts, labels, fraction, *, target_label, triggers=("cf", "mn", "bb"), random_state=None):
    """The adaptive backdoor: every poisoned row carries all of ``triggers``, each at a random position.

    :func:`course_utils.attacks.backdoor` with several tokens: the model learns each of them as a sign of
    ``target_label``, so that removing any one word from a triggered input leaves the others.

    Returns
    -------
    PoisonedData
    """
    return backdoor(texts, labels, fraction, target_label=target_label, trigger=_check_tokens(triggers),
                    random_state=random_state)


def _check_tokens(triggers):
    """``triggers`` as a list of checked tokens, the argument named in any error."""
    if isinstance(triggers, str) or not isinstance(triggers, (list, tuple, np.ndarray)) or not len(triggers):
        raise TypeError("triggers must be a non-empty sequence of tokens, not one string")
    return [check_trigger(token, "triggers") for token in triggers]
