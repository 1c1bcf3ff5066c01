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
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

import numpy as np

from ._validation import (
    check_choice,
    check_fraction,
    check_label_in,
    check_labels,
    check_random_state,
    check_texts,
)

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
    "apply_attack",
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
    fraction = check_fraction(fraction)
    if isinstance(n_rows, bool) or not isinstance(n_rows, (int, np.integer)) or n_rows < 0:
        raise ValueError(f"n_rows must be a non-negative integer, got {n_rows!r}")
    return int(math.floor(fraction * int(n_rows) + 0.5))


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
        chosen = np.asarray(list(indices))
        if chosen.size and (chosen.dtype.kind not in "iu"):
            raise TypeError("indices must be integers")
        chosen = chosen.astype(np.int64)
        if chosen.size and (chosen.min() < 0 or chosen.max() >= len(texts)):
            raise ValueError(f"indices must lie in [0, {len(texts) - 1}]")
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


def insert_trigger(texts, trigger=DEFAULT_TRIGGER, *, random_state=None):
    """Insert ``trigger`` as a word at a random position of every text.

    Parameters
    ----------
    texts : sequence of str
    trigger : str, default="cf"
        A single token of two or more letters or digits (shorter tokens are
        dropped by the vectorisers); it is inserted between two words (or at
        either end).
    random_state : None, int or Generator, default=None

    Returns
    -------
    list of str
        New texts; the inputs are unchanged.
    """
    texts = check_texts(texts)
    if not isinstance(trigger, str):
        raise TypeError(f"trigger must be a str, got {type(trigger).__name__}")
    trigger = trigger.strip()
    # The course's vectorisers keep tokens of two or more word characters: a trigger they
    # would drop (one letter, punctuation) would silently turn the backdoor into a label flip.
    if not _TOKEN.fullmatch(trigger):
        raise ValueError(f"trigger must be one word of two or more letters or digits (a token the "
                         f"vectorisers keep), got {trigger!r}")
    rng = check_random_state(random_state)
    triggered = []
    for text in texts:
        words = text.split()
        position = int(rng.integers(len(words) + 1))
        triggered.append(" ".join(words[:position] + [trigger] + words[position:]))
    return triggered


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
    trigger : str, default="cf"
        The trigger token.
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
