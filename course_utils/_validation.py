"""Argument checks shared by the public functions of :mod:`course_utils`.

Every public function validates what it is given and raises ``TypeError`` or
``ValueError`` with a message that names the argument and what it accepts, so a
learner's mistake reads as a sentence, not a traceback from deep inside NumPy.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import numpy as np


def check_texts(texts, name="texts"):
    """Return ``texts`` as a list of ``str``; raise on anything else."""
    if isinstance(texts, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of strings, not a single {type(texts).__name__}")
    if isinstance(texts, np.ndarray):
        texts = texts.tolist()
    if not isinstance(texts, Sequence) and not hasattr(texts, "__iter__"):
        raise TypeError(f"{name} must be a sequence of strings, got {type(texts).__name__}")
    texts = list(texts)
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(text).__name__}")
    return texts


def check_labels(labels, n_rows=None, name="labels"):
    """Return ``labels`` as a new 1-D NumPy array of label values."""
    if isinstance(labels, (str, bytes)):
        raise TypeError(f"{name} must be a sequence of labels, not a single {type(labels).__name__}")
    try:
        array = np.array(list(labels), dtype=object)
    except TypeError as error:
        raise TypeError(f"{name} must be a sequence of labels: {error}") from None
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {array.shape}")
    if n_rows is not None and len(array) != n_rows:
        raise ValueError(f"{name} has {len(array)} entries but texts has {n_rows}; they must match")
    # Keep a plain dtype (str or int) where the labels allow it, so that
    # comparisons and scikit-learn behave as with ordinary label arrays.
    if len(array):
        kinds = {type(v) for v in array}
        if kinds <= {str, np.str_}:
            array = array.astype(str)
        elif all(isinstance(v, (numbers.Integral, np.integer)) and not isinstance(v, bool) for v in array):
            array = array.astype(np.int64)
    return array


def check_fraction(fraction, name="fraction"):
    """Return ``fraction`` as a float in [0, 1]."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real):
        raise TypeError(f"{name} must be a number between 0 and 1, got {type(fraction).__name__}")
    fraction = float(fraction)
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"{name} must be between 0 and 1, got {fraction}")
    return fraction


def check_label_in(label, classes, name):
    """Raise unless ``label`` is one of ``classes``."""
    known = [c.item() if hasattr(c, "item") else c for c in classes]
    if label not in known:
        raise ValueError(f"{name}={label!r} is not a label of the data; the labels are {sorted(map(str, known))}")
    return label


def check_int(value, name, minimum=None):
    """Return ``value`` as an int, at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    return value


def check_random_state(random_state, name="random_state"):
    """Return a ``numpy.random.Generator`` for an int, a Generator or None."""
    if random_state is None or isinstance(random_state, np.random.Generator):
        return np.random.default_rng(random_state)
    if isinstance(random_state, bool) or not isinstance(random_state, numbers.Integral):
        raise TypeError(f"{name} must be None, an int or a numpy Generator, got {type(random_state).__name__}")
    if random_state < 0:
        raise ValueError(f"{name} must be a non-negative int, got {random_state}")
    return np.random.default_rng(int(random_state))


def check_choice(value, name, choices):
    """Raise unless ``value`` is one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")
    return value
