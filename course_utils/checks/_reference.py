"""Reference computations the checks compare learners' answers with (cached per process)."""

from __future__ import annotations

import operator
import re
from functools import lru_cache

import numpy as np

from ..data import load_toy, shared_sentiment
from ..experiment import summarize, sweep
from . import NotAnswered, Wrong, call_answer, expect_number


def sentiment():
    """The shipped data set, shared read-only with the rest of the package."""
    return shared_sentiment()


def toy():
    """The reference's toy data as tuples: ``(clean_data, test_data)``."""
    clean_data, test_data = load_toy()
    return tuple(clean_data), tuple(test_data)


@lru_cache(maxsize=8)
def sweep_summary(attack, fractions, seeds, trigger="cf"):
    """Mean of each metric over seeds for one attack at each fraction (the course's sweep)."""
    data = sentiment()
    results = sweep(data.texts, data.labels, attacks=[attack], fractions=list(fractions), seeds=list(seeds),
                    trigger=trigger)
    summary = summarize(results, metrics=("clean_accuracy", "poisoned_accuracy", "attack_success_rate"))
    return summary.set_index("fraction")


def run_learner(function, *args, **kwargs):
    """Call the learner's function; blank bodies and mutation become clear verdicts."""
    result = run_learner_may_return_none(function, *args, **kwargs)
    if result is None:
        raise NotAnswered("Your function returns nothing yet: write its body in place of the `...`.")
    return result


def run_learner_may_return_none(function, *args, **kwargs):
    """:func:`run_learner` for a question where ``None`` is a right answer: only ``...`` means not answered yet."""
    result, mutated = call_answer(function, *args, **kwargs)
    if result is Ellipsis:
        raise NotAnswered("Your function returns nothing yet: write its body in place of the `...`.")
    if mutated:
        raise Wrong(f"Your function changed its input ({mutated}) in place; build new lists or arrays instead.")
    return result


def as_list(value, what):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise Wrong(f"{what} should be a list or array, got {type(value).__name__}")
    return list(value.tolist() if isinstance(value, np.ndarray) else value)


def positions(result, what, n_rows):
    """Row positions the learner returned, as ints; a True/False mask or ``np.where``'s tuple gets its own hint.

    Parameters
    ----------
    result : object
        What the learner's function returned.
    what : str
        How the hint names it, for example ``"flipped_indices(...)"``.
    n_rows : int
        The number of rows the positions refer to (the length a mask would have).
    """
    if isinstance(result, tuple) and len(result) == 1 and isinstance(result[0], np.ndarray):
        raise Wrong(f"{what} returned np.where's tuple, one array of positions per dimension: return the array "
                    "itself (its element [0]), not the tuple.")
    values = as_list(result, what)
    if n_rows and len(values) == n_rows and all(isinstance(v, (bool, np.bool_)) for v in values):
        raise Wrong(f"{what} returned a True/False mask, one value per row ({n_rows} values): return the "
                    "positions (indices) of the rows, not the mask.")
    try:
        return [_whole(v) for v in values]
    except (TypeError, ValueError):
        raise Wrong(f"{what} should hold row positions, whole numbers such as 0, 1, 2.") from None


def _whole(value):
    """An int for any integer type, or a float that is a whole number (``2.0``); not for a bool or a string."""
    if isinstance(value, (bool, np.bool_, str, bytes)):
        raise TypeError(type(value).__name__)
    try:
        return operator.index(value)
    except TypeError:
        number = float(value)
        if not number.is_integer():
            raise ValueError(number) from None
        return int(number)


_NUMBER = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)(\s*%)?")


def numbers_in(text):
    """Every number written in ``text``, with percentages turned into fractions as well."""
    found = []
    for match in _NUMBER.finditer(text):
        value = float(match.group(1))
        found.append(value / 100 if match.group(2) else value)
        if not match.group(2) and value > 1:
            found.append(value / 100)
    return found


def mentions(text, value, tolerance):
    return any(abs(number - value) <= tolerance for number in numbers_in(text))


def unpack(result, size, message):
    """The ``size`` parts of a tuple or list the learner returned; ``Wrong(message)`` for anything else."""
    if not isinstance(result, (tuple, list)) or len(result) != size:
        raise Wrong(message)
    return list(result)


def match_number(answer, name, expected, *, correct, mistakes=(), otherwise, tolerance=1e-6, share_hint=None):
    """Judge a number the learner gives: right, a known mistake, or not yet.

    Parameters
    ----------
    answer : object
        The learner's answer; it must be a finite number.
    name : str
        The answer's name, for the hint when it is not a number.
    expected : float
        The right value.
    correct : str
        The confirmation returned when ``answer`` is within ``tolerance`` of it.
    mistakes : sequence of (float, str) or (float, str, float)
        Values a plausible mistake gives, each with its hint (and its own
        tolerance, where the mistake scales the value), tried in order.
    otherwise : str
        The hint for any other value.
    tolerance : float, default=1e-6
    share_hint : str, default=None
        The answer is a share or a probability: a value outside [0, 1] gets
        this hint before ``otherwise``.

    The expected value rounded to one to six decimals is answered as rounded, not as wrong.

    Returns
    -------
    str
        ``correct``.
    """
    value = expect_number(answer, name)
    if abs(value - expected) <= tolerance:
        return correct
    for wrong_value, hint, *own_tolerance in mistakes:
        if abs(value - wrong_value) <= (own_tolerance[0] if own_tolerance else tolerance):
            raise Wrong(hint)
    if any(value == round(expected, digits) for digits in range(1, 7)):
        raise Wrong(f"{name} looks rounded: set it to the value your code computes, not a rounded copy of it.")
    if share_hint is not None and not 0 <= value <= 1:
        raise Wrong(share_hint)
    raise Wrong(otherwise)


def judge_sentence(answer, name, requirements, correct):
    """Judge a written answer: a sentence or two that states each required fact.

    Parameters
    ----------
    answer : object
        The learner's answer; it must be a string of at least eight words.
    name : str
        The answer's name, for the hint when it is not a string.
    requirements : sequence of (callable, str)
        ``(holds, what)`` pairs: ``holds(text)`` is true when the sentence
        states the fact, ``what`` names the fact in the hint when it does not.
    correct : str
        The confirmation returned when every fact is stated.
    """
    if not isinstance(answer, str):
        raise Wrong(f"{name} should be a string (a sentence), got {type(answer).__name__}.")
    text = answer.strip()
    if len(text.split()) < 8:
        raise Wrong("Write a whole sentence or two, not a few words.")
    missing = [what for holds, what in requirements if not holds(text)]
    if missing:
        raise Wrong("Your sentence should state " + ", ".join(missing) + ".")
    return correct
