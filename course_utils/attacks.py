"""Poisoning attacks of the shared experiment.

Every attack takes a training set (``texts``, ``labels``) and a budget, and returns
a :class:`PoisonedData`: the poisoned texts and labels (new objects; the inputs are
never changed) and the indices of the rows the attacker touched or added.

The budget ``fraction`` is always a share of the *clean* training set: with ``n``
training rows the attacker controls ``round(fraction * n)`` rows (halves round up).
Flip attacks relabel that many existing rows; the duplicate-and-flip attack appends
that many new rows, so its poisoned set has ``n + round(fraction * n)`` rows.

=================  ==============================================  =================
attack             what the attacker does                          target
=================  ==============================================  =================
``none``           nothing (the clean baseline)                    none
``duplicate-flip`` appends copies of chosen rows, opposite label   optional
``random-flip``    relabels random rows to another class           none
``targeted-flip``  relabels rows of ``source_label`` as            ``target_label``
                   ``target_label``
``backdoor``       inserts a trigger token into rows of other      ``target_label``
                   classes and labels them ``target_label``
=================  ==============================================  =================

:func:`subpopulation_flip` (lesson 03) spends no fixed budget: it relabels every
``source_label`` row that mentions a chosen word, so it is not in :data:`ATTACKS`.
:func:`measure_attack_success` holds the one rule for an attack's success rate on
a fitted model, which the experiment, the playgrounds and the checks all use.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ._validation import (
    check_choice,
    check_fraction,
    check_label_in,
    check_labels,
    check_indices,
    check_random_state,
    check_texts,
    rows_for_share,
    shown,
)
from .metrics import attack_success_rate
from .models import make_vectorizer

__all__ = [
    "PoisonedData",
    "ATTACKS",
    "TARGETED_ATTACKS",
    "DEFAULT_TRIGGER",
    "poison_budget",
    "no_attack",
    "duplicate_flip",
    "random_flip",
    "targeted_flip",
    "backdoor",
    "insert_trigger",
    "subpopulation_flip",
    "apply_attack",
    "measure_attack_success",
]

#: The trigger token used when none is given: a word that occurs nowhere in the
#: shipped data set, so its presence carries no sentiment of its own.
DEFAULT_TRIGGER = "cf"

# scikit-learn's default token pattern, (?u)\b\w\w+\b, applied to a whole trigger.
_TOKEN = re.compile(r"\w\w+")


class PoisonedData(NamedTuple):
    """The result of an attack; unpacks as ``texts, labels, poisoned_indices``.

    Attributes
    ----------
    texts : list of str
        The poisoned training texts.
    labels : ndarray
        The poisoned training labels.
    poisoned_indices : ndarray of int
        Sorted positions (into ``texts`` and ``labels``) of the rows the attacker
        relabelled, altered or added.
    """

    texts: list
    labels: np.ndarray
    poisoned_indices: np.ndarray


def poison_budget(fraction, n_rows):
    """Return how many rows a budget of ``fraction`` buys in ``n_rows`` rows.

    Parameters
    ----------
    fraction : float in [0, 1]
        The attacker's share of the clean training set.
    n_rows : int
        The clean training set's size.

    Returns
    -------
    int
        ``round(fraction * n_rows)``, halves rounded up.
    """
    return rows_for_share(fraction, n_rows, name="fraction")


def _prepare(texts, labels, fraction):
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    fraction = check_fraction(fraction)
    return texts, labels, fraction


def _pick(rng, candidates, k, what):
    if k > len(candidates):
        raise ValueError(
            f"fraction asks for {k} rows but only {len(candidates)} {what} are available; lower the fraction"
        )
    return np.sort(rng.choice(candidates, size=k, replace=False)).astype(np.int64)


def _other_labels(rng, current, classes):
    """A label different from each of ``current``; random among the others when there are several."""
    if len(classes) < 2:
        raise ValueError(f"flipping labels needs at least two classes; labels has only {list(classes)}")
    result = np.empty(len(current), dtype=classes.dtype)
    for i, label in enumerate(current):
        others = classes[classes != label]
        result[i] = others[0] if len(others) == 1 else others[rng.integers(len(others))]
    return result


def no_attack(texts, labels, fraction=0.0, *, random_state=None):
    """Return copies of the clean data and no poisoned rows (the baseline).

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    fraction : float, default=0.0
        Ignored beyond validation, so every attack has the same signature.
    random_state : None, int or Generator
        Ignored beyond validation.

    Returns
    -------
    PoisonedData
    """
    texts, labels, _ = _prepare(texts, labels, fraction)
    check_random_state(random_state)
    return PoisonedData(texts, labels, np.array([], dtype=np.int64))


def duplicate_flip(texts, labels, fraction=None, *, indices=None, source_label=None,
                   target_label=None, random_state=None):
    """Append copies of chosen training rows with the opposite label.

    This is the reference document's attack: it added two positive training
    sentences a second time, labelled ``"negative"``.

    Parameters
    ----------
    texts : sequence of str
        Clean training texts.
    labels : sequence
        Clean training labels.
    fraction : float in [0, 1], default=None
        Budget: ``round(fraction * len(texts))`` rows are copied. Give either
        ``fraction`` or ``indices``.
    indices : sequence of int, default=None
        Exactly which rows to copy (the reference copies rows 0 and 4).
    source_label : label, default=None
        Copy only rows of this class; ``None`` draws from every row.
    target_label : label, default=None
        The label the copies get; ``None`` gives each copy a label other than its
        own (the opposite one in a two-class problem).
    random_state : None, int or Generator, default=None
        Seeds which rows are copied (and, with several classes, their new labels).

    Returns
    -------
    PoisonedData
        The clean rows followed by the copies; ``poisoned_indices`` are the
        positions of the copies.
    """
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    rng = check_random_state(random_state)
    classes = np.unique(labels)
    if (fraction is None) == (indices is None):
        raise ValueError("give exactly one of fraction or indices")
    if source_label is not None:
        check_label_in(source_label, classes, "source_label")
    if target_label is not None:
        check_label_in(target_label, classes, "target_label")
        if source_label is not None and source_label == target_label:
            raise ValueError("source_label and target_label must differ")
    if indices is not None:
        chosen = check_indices(indices, "indices")
        if chosen.size and chosen.max() >= len(texts):
            raise ValueError(f"indices must lie in [0, {len(texts) - 1}], got {int(chosen.max())}")
        if source_label is not None and np.any(labels[chosen] != source_label):
            raise ValueError("indices name rows whose label is not source_label")
    else:
        fraction = check_fraction(fraction)
        k = poison_budget(fraction, len(texts))
        pool = np.arange(len(texts)) if source_label is None else np.flatnonzero(labels == source_label)
        what = "rows" if source_label is None else f"rows labelled {source_label!r}"
        chosen = _pick(rng, pool, k, what)
    if target_label is None:
        new_labels = _other_labels(rng, labels[chosen], classes)
    else:
        if np.any(labels[chosen] == target_label):
            raise ValueError("some chosen rows already carry target_label; choose a source_label")
        new_labels = np.full(len(chosen), target_label, dtype=labels.dtype)
    poisoned_texts = texts + [texts[i] for i in chosen]
    poisoned_labels = np.concatenate([labels, new_labels.astype(labels.dtype)])
    poisoned_indices = np.arange(len(texts), len(texts) + len(chosen), dtype=np.int64)
    return PoisonedData(poisoned_texts, poisoned_labels, poisoned_indices)


def random_flip(texts, labels, fraction, *, random_state=None):
    """Relabel randomly chosen training rows to another class.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    fraction : float in [0, 1]
        Budget: ``round(fraction * len(texts))`` rows are relabelled.
    random_state : None, int or Generator, default=None

    Returns
    -------
    PoisonedData
        Same texts; ``poisoned_indices`` are the relabelled rows, each now
        carrying a label different from its original one.
    """
    texts, labels, fraction = _prepare(texts, labels, fraction)
    rng = check_random_state(random_state)
    classes = np.unique(labels)
    if len(classes) < 2:
        raise ValueError(f"random_flip needs at least two classes; labels has only {list(classes)}")
    chosen = _pick(rng, np.arange(len(texts)), poison_budget(fraction, len(texts)), "rows")
    poisoned_labels = labels.copy()
    poisoned_labels[chosen] = _other_labels(rng, labels[chosen], classes)
    return PoisonedData(texts, poisoned_labels, chosen)


def targeted_flip(texts, labels, fraction, *, source_label, target_label, random_state=None):
    """Relabel training rows of ``source_label`` as ``target_label``.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    fraction : float in [0, 1]
        Budget as a share of the whole training set; it may not exceed the
        share of ``source_label`` rows.
    source_label, target_label : label
        The class the attacker wants misread, and what it should be read as.
    random_state : None, int or Generator, default=None

    Returns
    -------
    PoisonedData
    """
    texts, labels, fraction = _prepare(texts, labels, fraction)
    rng = check_random_state(random_state)
    classes = np.unique(labels)
    check_label_in(source_label, classes, "source_label")
    check_label_in(target_label, classes, "target_label")
    if source_label == target_label:
        raise ValueError("source_label and target_label must differ")
    pool = np.flatnonzero(labels == source_label)
    chosen = _pick(rng, pool, poison_budget(fraction, len(texts)), f"rows labelled {source_label!r}")
    poisoned_labels = labels.copy()
    poisoned_labels[chosen] = target_label
    return PoisonedData(texts, poisoned_labels, chosen)


def check_trigger(trigger, name="trigger"):
    """Return ``trigger``, stripped, if the course's vectorisers read it as exactly one token; else raise.

    The check runs on what the vectorisers see: their own normalisation (lower-casing) and their
    token pattern, two or more word characters. A trigger they would drop or split (one letter,
    punctuation, ``"İİ"``, whose lower-case form puts a combining dot after each ``i``) would
    silently turn the backdoor into a plain label flip.
    """
    if not isinstance(trigger, str):
        raise TypeError(f"{name} must be a str, got {type(trigger).__name__}")
    trigger = trigger.strip()
    tokens = _analyzer()(trigger)
    if not _TOKEN.fullmatch(trigger) or len(tokens) != 1:
        seen = f"the vectorisers read it as {shown(tokens)}" if tokens != [trigger] else "it is not one word"
        raise ValueError(f"{name} must be one word of two or more letters or digits, also once lower-cased "
                         f"(a token the vectorisers keep), got {shown(trigger)}: {seen}")
    return trigger


@lru_cache(maxsize=1)
def _analyzer():
    """The course's vectorisers' analyser: lower-casing, then the token pattern (both models share it)."""
    return make_vectorizer().build_analyzer()


def _check_triggers(trigger, name="trigger"):
    """``trigger`` as a list of checked tokens: one for a str, each of a non-empty list or tuple."""
    if isinstance(trigger, str):
        return [check_trigger(trigger, name)]
    if not isinstance(trigger, (list, tuple, np.ndarray)) or not len(trigger):
        raise TypeError(f"{name} must be a str or a non-empty list of str, got {type(trigger).__name__}")
    for token in trigger:
        if not isinstance(token, str):
            raise TypeError(f"{name} must hold str tokens, got {type(token).__name__}")
    return [check_trigger(token, name) for token in trigger]


def insert_trigger(texts, trigger=DEFAULT_TRIGGER, *, random_state=None):
    """Insert ``trigger`` as a word at a random position of every text.

    Parameters
    ----------
    texts : sequence of str
    trigger : str or list of str, default="cf"
        A single token of two or more letters or digits (shorter tokens are
        dropped by the vectorisers); it is inserted between two words (or at
        either end). Several tokens are inserted in turn, the first into every
        text, then the second, each at its own random position.
    random_state : None, int or Generator, default=None

    Returns
    -------
    list of str
        New texts; the inputs are unchanged.
    """
    texts = check_texts(texts)
    tokens = _check_triggers(trigger)
    rng = check_random_state(random_state)
    for token in tokens:
        triggered = []
        for text in texts:
            words = text.split()
            position = int(rng.integers(len(words) + 1))
            triggered.append(" ".join(words[:position] + [token] + words[position:]))
        texts = triggered
    return texts


def backdoor(texts, labels, fraction, *, target_label, trigger=DEFAULT_TRIGGER, random_state=None):
    """Plant a backdoor: a trigger word in some rows of other classes, relabelled as the target.

    A model trained on the result learns "``trigger`` means ``target_label``"
    while behaving normally on sentences without the trigger.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    fraction : float in [0, 1]
        Budget as a share of the whole training set; the rows are drawn from
        those not already labelled ``target_label``.
    target_label : label
        What a triggered sentence should be classified as.
    trigger : str or list of str, default="cf"
        The trigger token; with several, every poisoned row carries all of them
        (:func:`insert_trigger`), and the model learns each as a sign of
        ``target_label``.
    random_state : None, int or Generator, default=None
        Seeds the rows chosen and where the trigger goes in each.

    Returns
    -------
    PoisonedData
    """
    texts, labels, fraction = _prepare(texts, labels, fraction)
    rng = check_random_state(random_state)
    classes = np.unique(labels)
    check_label_in(target_label, classes, "target_label")
    pool = np.flatnonzero(labels != target_label)
    chosen = _pick(rng, pool, poison_budget(fraction, len(texts)), f"rows not labelled {target_label!r}")
    triggered = insert_trigger([texts[i] for i in chosen], trigger, random_state=rng)
    poisoned_texts = list(texts)
    for i, text in zip(chosen, triggered):
        poisoned_texts[i] = text
    poisoned_labels = labels.copy()
    poisoned_labels[chosen] = target_label
    return PoisonedData(poisoned_texts, poisoned_labels, chosen)


#: Attack name (as on the command line) -> function.
ATTACKS = {
    "none": no_attack,
    "duplicate-flip": duplicate_flip,
    "random-flip": random_flip,
    "targeted-flip": targeted_flip,
    "backdoor": backdoor,
}

#: Attacks whose success is measured on a target class.
TARGETED_ATTACKS = ("targeted-flip", "backdoor")


def apply_attack(attack, texts, labels, fraction, *, source_label=None, target_label=None,
                 trigger=DEFAULT_TRIGGER, random_state=None):
    """Run the attack named ``attack`` with the arguments it takes.

    Parameters
    ----------
    attack : {"none", "duplicate-flip", "random-flip", "targeted-flip", "backdoor"}
    texts, labels, fraction
        As for each attack.
    source_label, target_label : label, default=None
        Passed to the attacks that take them (``targeted-flip`` needs both,
        ``backdoor`` needs ``target_label``; ``duplicate-flip`` takes either).
    trigger : str, default="cf"
        Used by ``backdoor``.
    random_state : None, int or Generator, default=None

    Returns
    -------
    PoisonedData
    """
    check_choice(attack, "attack", tuple(ATTACKS))
    if attack == "none":
        return no_attack(texts, labels, fraction, random_state=random_state)
    if attack == "duplicate-flip":
        return duplicate_flip(texts, labels, fraction, source_label=source_label,
                              target_label=target_label, random_state=random_state)
    if attack == "random-flip":
        return random_flip(texts, labels, fraction, random_state=random_state)
    if attack == "targeted-flip":
        return targeted_flip(texts, labels, fraction, source_label=source_label,
                             target_label=target_label, random_state=random_state)
    return backdoor(texts, labels, fraction, target_label=target_label, trigger=trigger,
                    random_state=random_state)


@lru_cache(maxsize=1)
def _analyzer():
    from sklearn.feature_extraction.text import CountVectorizer

    return CountVectorizer().build_analyzer()


@lru_cache(maxsize=65536)
def _tokens(text):
    # A lesson asks about the same texts for many topic words: tokenise each text once.
    return frozenset(_analyzer()(text))


def mentions(texts, word):
    """Whether each text holds ``word`` as a token, the way ``CountVectorizer`` splits text.

    Parameters
    ----------
    texts : sequence of str
    word : str
        One token (lower-cased, two or more letters or digits).

    Returns
    -------
    ndarray of bool
    """
    texts = check_texts(texts)
    if not isinstance(word, str):
        raise TypeError(f"word must be a str, got {type(word).__name__}")
    token = word.strip().lower()
    if not _TOKEN.fullmatch(token):
        raise ValueError(f"word must be one token of two or more letters or digits, got {word!r}")
    return np.array([token in _tokens(text) for text in texts], dtype=bool)


def subpopulation_flip(texts, labels, word, *, source_label, target_label):
    """Relabel every ``source_label`` row whose text mentions ``word`` as ``target_label``.

    A subpopulation attack (lesson 03): the attacker does not want a whole class
    misread, only one topic of it, and spends the budget there. Whether a row
    mentions the word is decided by :func:`mentions`, with the vectoriser's own
    tokenizer. The budget is whatever the topic holds.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    word : str
        The topic word.
    source_label, target_label : label
        The class whose rows about the topic are relabelled, and their new label.

    Returns
    -------
    PoisonedData
        Same texts; ``poisoned_indices`` are the relabelled rows.
    """
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    classes = np.unique(labels)
    check_label_in(source_label, classes, "source_label")
    check_label_in(target_label, classes, "target_label")
    if source_label == target_label:
        raise ValueError("source_label and target_label must differ")
    chosen = np.flatnonzero(mentions(texts, word) & (labels == source_label)).astype(np.int64)
    poisoned_labels = labels.copy()
    poisoned_labels[chosen] = target_label
    return PoisonedData(texts, poisoned_labels, chosen)


def measure_attack_success(model, attack, test_texts, test_labels, *, source_label=None, target_label=None,
                           trigger=DEFAULT_TRIGGER, random_state=0):
    """The attack success rate of a fitted model on an untouched test set, by the course's rule.

    * ``targeted-flip`` (and any attack given a source and a target): the share
      of ``source_label`` test rows the model predicts as ``target_label``;
    * ``backdoor``: the trigger is inserted (at a random position, seeded by
      ``random_state``) into every test row not labelled ``target_label``, and
      the score is the share of them predicted as ``target_label``;
    * attacks without a target: ``None``.

    Parameters
    ----------
    model : fitted estimator or callable
        Anything with ``predict(texts)``, or a function from texts to predictions.
    attack : str
        A name of :data:`ATTACKS`.
    test_texts : sequence of str
    test_labels : sequence
    source_label, target_label : label, default=None
    trigger : str, default="cf"
        The backdoor's trigger.
    random_state : int, default=0
        Seeds where the trigger goes (the shared experiment passes its seed).

    Returns
    -------
    float or None
    """
    check_choice(attack, "attack", tuple(ATTACKS))
    predict = model if callable(model) and not hasattr(model, "predict") else getattr(model, "predict", None)
    if predict is None:
        raise TypeError(f"model must have a predict method or be a function, got {type(model).__name__}")
    test_texts = check_texts(test_texts, "test_texts")
    test_labels = check_labels(test_labels, n_rows=len(test_texts), name="test_labels")
    if attack == "backdoor":
        if target_label is None:
            raise ValueError("a backdoor's success needs target_label")
        victims = test_labels != target_label
        triggered = insert_trigger([t for t, v in zip(test_texts, victims) if v], trigger, random_state=random_state)
        return attack_success_rate(test_labels[victims], predict(triggered), target_label)
    if target_label is not None and source_label is not None:
        return attack_success_rate(test_labels, predict(test_texts), target_label, source_label)
    return None
