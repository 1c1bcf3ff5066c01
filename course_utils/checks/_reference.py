"""Reference computations the checks compare learners' answers with (cached per process)."""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from . import NotAnswered, Wrong, call_answer


@lru_cache(maxsize=1)
def sentiment():
    from ..data import load_sentiment

    return load_sentiment()


@lru_cache(maxsize=1)
def toy():
    from ..data import load_toy

    clean_data, test_data = load_toy()
    return tuple(clean_data), tuple(test_data)


@lru_cache(maxsize=8)
def sweep_summary(attack, fractions, seeds, trigger="cf"):
    """Mean of each metric over seeds for one attack at each fraction (the course's sweep)."""
    from ..experiment import summarize, sweep

    data = sentiment()
    results = sweep(data.texts, data.labels, attacks=[attack], fractions=list(fractions), seeds=list(seeds),
                    trigger=trigger)
    summary = summarize(results, metrics=("clean_accuracy", "poisoned_accuracy", "attack_success_rate"))
    return summary.set_index("fraction")


def run_learner(function, *args, **kwargs):
    """Call the learner's function; blank bodies and mutation become clear verdicts."""
    result, mutated = call_answer(function, *args, **kwargs)
    if result is None or result is Ellipsis:
        raise NotAnswered("Your function returns nothing yet: write its body in place of the `...`.")
    if mutated:
        raise Wrong(f"Your function changed its input ({mutated}) in place; build new lists or arrays instead.")
    return result


def as_list(value, what):
    if isinstance(value, (str, bytes)) or not hasattr(value, "__len__"):
        raise Wrong(f"{what} should be a list or array, got {type(value).__name__}")
    return list(value.tolist() if isinstance(value, np.ndarray) else value)


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
