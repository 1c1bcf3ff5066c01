"""Argument checks shared by the public functions of :mod:`course_utils`.

Every public function validates what it is given and raises ``TypeError`` or
``ValueError`` with a message that names the argument and what it accepts, so a
learner's mistake reads as a sentence, not a traceback from deep inside NumPy.
"""

from __future__ import annotations

import argparse
import math
import numbers
import os
import stat
import sys
from collections.abc import Iterable, Mapping, MappingView, Set

import numpy as np

#: Containers whose order is arbitrary: refused for ordered data (rows that must line up).
_UNORDERED = (Set, Mapping, MappingView)


#: The largest seed: NumPy's and scikit-learn's seeds are 32-bit (``seed``, ``seeds``, ``random_state``).
MAX_SEED = 2**32 - 1


def shown(value, limit=80):
    """``repr(value)``, cut to ``limit`` characters, for a message (a learner's 100,000-character label
    stays a readable line)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_sequence(values, name, what="values"):
    """Return ``values``, ordered data, as a new list; the one check every sequence argument goes through.

    A list, tuple, range, NumPy array, pandas Series or any other ordered iterable is accepted.
    ``None``, a single string, a scalar and a container whose order is arbitrary (a ``set``, a
    ``dict`` or one of its views) raise ``TypeError`` naming ``name`` and what it accepts: a set of
    texts would pair the texts with their labels in an arbitrary order.

    Parameters
    ----------
    values : object
    name : str
        The argument's name, as the caller's signature spells it.
    what : str, default="values"
        What the sequence holds, for the message (``"strings"``, ``"labels"``, ``"integers"``).
    """
    accepted = f"{name} must be a sequence of {what} in a fixed order (a list, tuple or array)"
    if values is None:
        raise TypeError(f"{accepted}, got None")
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{accepted}, not a single {type(values).__name__}")
    if isinstance(values, _UNORDERED):
        raise TypeError(f"{accepted}, not a {type(values).__name__}, whose order is arbitrary")
    ndim = getattr(values, "ndim", None)
    if isinstance(ndim, int) and ndim != 1:  # a NumPy array, a pandas DataFrame: one value per row, or nothing
        if ndim == 0:
            raise TypeError(f"{accepted}, got a 0-d {type(values).__name__}")
        raise ValueError(f"{name} must be one-dimensional, one entry per row, got a {type(values).__name__} of shape "
                         f"{getattr(values, 'shape', '?')}")
    if not isinstance(values, Iterable):
        raise TypeError(f"{accepted}, got {type(values).__name__} {shown(values)}")
    return list(values)


def check_texts(texts, name="texts"):
    """Return ``texts`` as a list of ``str``; raise on anything else."""
    texts = [v.item() if isinstance(v, np.str_) else v for v in check_sequence(texts, name, "strings")]
    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"{name}[{i}] must be a str, got {type(text).__name__}")
    return texts


def _counted_by(name):
    """The argument whose length a check of ``name`` compares against, as the public functions name it.

    ``labels`` go with ``texts``, ``test_labels`` with ``test_texts`` (any ``*labels`` with its
    ``*texts``), ``y_pred`` with ``y_true``; anything else (``sources``) with ``texts``.
    """
    if name == "y_pred":
        return "y_true"
    if name.endswith("labels"):
        return name[: -len("labels")] + "texts"
    return "texts"


def check_labels(labels, n_rows=None, name="labels", n_rows_of=None):
    """Return ``labels`` as a new 1-D NumPy array of label values.

    Parameters
    ----------
    labels : sequence
        Ordered (not a set), all ``str`` or all ``int`` (NumPy's too); ``None``, floats,
        bools and a mix of kinds raise ``TypeError`` naming the first offending entry.
    n_rows : int, default=None
        The length ``labels`` must have.
    name : str, default="labels"
        The argument's name, as the caller's signature spells it.
    n_rows_of : str, default=None
        The argument ``n_rows`` is the length of, named when the lengths differ; by
        default the one that goes with ``name`` (``texts`` for ``labels``,
        ``test_texts`` for ``test_labels``, ``y_true`` for ``y_pred``).
    """
    values = check_sequence(labels, name, "labels")
    _check_label_values(values, name)
    array = np.empty(len(values), dtype=object)
    array[:] = values
    if n_rows is not None and len(array) != n_rows:
        other = n_rows_of or _counted_by(name)
        raise ValueError(f"{name} has {len(array)} entries but {other} has {n_rows}; they must match")
    # Keep a plain dtype (str or int) where the labels allow it, so that
    # comparisons and scikit-learn behave as with ordinary label arrays.
    if len(array):
        array = array.astype(str) if _label_kind(values[0]) == "str" else array.astype(np.int64)
    return array


def _plain(value):
    """A NumPy scalar as the Python value it holds (``np.True_`` reads as ``True`` in a message)."""
    return value.item() if isinstance(value, np.generic) else value


def _label_kind(value):
    """``"str"``, ``"int"`` or what else ``value`` is, for :func:`check_labels`."""
    if isinstance(value, (str, np.str_)):
        return "str"
    if isinstance(value, (bool, np.bool_)):
        return "bool"
    if isinstance(value, (numbers.Integral, np.integer)):
        return "int"
    if isinstance(value, (numbers.Real, np.floating)):
        return "float"
    return type(value).__name__


def _check_label_values(values, name):
    """Raise unless every label is a str, or every label an int (one kind for the whole sequence)."""
    # Fast path: one pass over the types; the loop below runs only to name an offending entry.
    if isinstance(values, np.ndarray) and values.dtype.kind in "Uiu":
        return
    types = set(map(type, values))
    if all(issubclass(t, (str, np.str_)) for t in types) or all(
            issubclass(t, (numbers.Integral, np.integer)) and not issubclass(t, (bool, np.bool_)) for t in types):
        return
    accepted = ("source names (all str) or numbers (all int)" if name == "sources"
                else "class names (all str) or class numbers (all int)")
    first = {}
    for i, value in enumerate(values):
        kind = _label_kind(value)
        if isinstance(value, (list, tuple, np.ndarray)):
            raise ValueError(f"{name} must be one-dimensional, one label per row; {name}[{i}] is a "
                             f"{type(value).__name__}")
        if kind not in ("str", "int"):
            hint = " (convert them with .astype(int) or .astype(str))" if kind in ("float", "bool") else ""
            raise TypeError(f"{name} must hold {accepted}; {name}[{i}] is {kind} {shown(_plain(value))}{hint}")
        first.setdefault(kind, i)
        if len(first) > 1:
            a, b = sorted(first, key=first.get)
            raise TypeError(f"{name} must hold {accepted}, not both: {name}[{first[a]}] is {a} "
                            f"{shown(_plain(values[first[a]]))} and {name}[{first[b]}] is {b} "
                            f"{shown(_plain(values[first[b]]))}")


def check_indices(indices, name="indices", n_rows=None):
    """Return ``indices`` as a new 1-D int64 array of row numbers, each in ``[0, n_rows)`` when ``n_rows`` is given."""
    values = check_sequence(indices, name, "row numbers (integers)")
    for i, value in enumerate(values):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral, np.integer)):
            raise TypeError(f"{name} must hold row numbers (integers); {name}[{i}] is "
                            f"{type(value).__name__} {shown(_plain(value))}")
        if value < 0:
            raise ValueError(f"{name} must be non-negative integers (row numbers); {name}[{i}] is {value!r}")
        if n_rows is not None and value >= n_rows:
            raise ValueError(f"{name} must hold row numbers in [0, {n_rows - 1}]; {name}[{i}] is {value!r}")
    return np.array([int(v) for v in values], dtype=np.int64)


def check_number(value, name, *, low=None, high=None, low_open=False, high_open=False, integer=False):
    """Return ``value`` as a float (or an int with ``integer=True``) inside the given interval.

    The one helper every scalar parameter of the course goes through: a bool, a
    string, NaN or a value outside the interval raises an error that names the
    parameter and the values it accepts.

    Parameters
    ----------
    value : object
    name : str
        The parameter's name, as the caller wrote it.
    low, high : float, default=None
        The interval's ends; ``None`` leaves that side open to infinity.
    low_open, high_open : bool, default=False
        Whether the end itself is excluded.
    integer : bool, default=False
        Accept only integers.

    Returns
    -------
    float or int
    """
    kind = numbers.Integral if integer else numbers.Real
    what = "an integer" if integer else "a number"
    if low is not None or high is not None:
        left = "-inf" if low is None else (f"{int(low)}" if integer else f"{low:g}")
        right = "inf" if high is None else (f"{int(high)}" if integer else f"{high:g}")
        opening = "(" if low_open or low is None else "["
        closing = ")" if high_open or high is None else "]"
        interval = f"{opening}{left}, {right}{closing}"
        what = f"{what} in {interval}"
    numpy_kind = np.integer if integer else (np.integer, np.floating)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (kind, numpy_kind)):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__} {shown(value)}")
    if not integer and math.isnan(float(value)):
        raise ValueError(f"{name} must be {what}, got nan")
    too_low = low is not None and (value <= low if low_open else value < low)
    too_high = high is not None and (value >= high if high_open else value > high)
    if too_low or too_high:
        raise ValueError(f"{name} must be {what}, got {shown(_plain(value))}")
    return int(value) if integer else float(value)


def check_fraction(fraction, name="fraction"):
    """Return ``fraction`` as a float in [0, 1]."""
    return check_number(fraction, name, low=0.0, high=1.0)


def rows_for_share(share, n_rows, name="share"):
    """How many of ``n_rows`` rows a share buys: ``round(share * n_rows)``, halves rounded up.

    The one rounding rule of the course, for the attacker's ``fraction`` and for
    the share of rows a detector may flag alike (Python's own ``round`` sends
    halves to the even neighbour, which would make 2.5 rows 2 and 3.5 rows 4).
    ``name`` is the share's name in the caller's signature (``"fraction"``,
    ``"flag_share"``), for the error message.
    """
    share = check_fraction(share, name)
    n_rows = check_number(n_rows, "n_rows", low=0, integer=True)
    return int(math.floor(share * n_rows + 0.5))


def check_label_in(label, classes, name):
    """Raise unless ``label`` is one of ``classes``."""
    known = [c.item() if hasattr(c, "item") else c for c in classes]
    if label not in known:
        raise ValueError(f"{name}={shown(label)} is not a label of the data; the labels are "
                         f"{shown(sorted(map(str, known)), 200)}")
    return label


def check_int(value, name, minimum=None):
    """Return ``value`` as an int, at least ``minimum`` when given."""
    return check_number(value, name, low=minimum, integer=True)


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
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}; got {shown(value)}")
    return value


def set_known_params(estimator, params, what):
    """``estimator.set_params(**params)``, refusing names the estimator does not have.

    ``what`` names the estimator in the message, for example ``"the knn defense"``.
    Values are not checked here: the estimator checks them in ``fit``.
    """
    known = estimator.get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ValueError(f"unknown parameter {shown(unknown[0])} for {what}; its parameters are: "
                         f"{', '.join(sorted(known))}")
    return estimator.set_params(**params)


def shown_path(path):
    """``path`` as text any output stream can print: bytes that are not UTF-8 (a file name read
    from a Linux file system) become ``\\xNN`` escapes instead of lone surrogates."""
    try:
        return str(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    except UnicodeEncodeError:  # a surrogate no file system gave: escape it as it is
        return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


_FILE_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
               (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"), (stat.S_ISDIR, "a folder"))


def read_regular_file(path, what, max_bytes):
    """The bytes of the regular file ``path``, at most ``max_bytes`` of them; the one way the course reads a
    file it is given.

    The file's kind is checked with ``stat`` before it is opened and again on the open descriptor, and it is
    opened without blocking, so a FIFO, a device (``/dev/zero``), a socket or a folder is refused at once
    instead of hanging or reading without end; at most ``max_bytes + 1`` bytes are read, so a file that
    grows or misreports its size (``/proc``) is refused too. Every refusal is an ``OSError`` subclass
    (``FileNotFoundError`` when there is no such file, else :class:`UnreadableFileError`) whose message is
    one line naming the file as ``what`` (``"data file"``, ``"notebook"``).
    """
    shown = f"'{shown_path(path)}'"
    limit = f"{max_bytes:,} bytes" + (f" ({max_bytes // 2**20} MiB)" if max_bytes and not max_bytes % 2**20 else "")

    def refuse(info):
        for test, kind in _FILE_KINDS:
            if test(info.st_mode):
                raise UnreadableFileError(f"{what} {shown} is {kind}, not a regular file")
        if not stat.S_ISREG(info.st_mode):
            raise UnreadableFileError(f"{what} {shown} is not a regular file")
        if info.st_size > max_bytes:
            raise UnreadableFileError(f"{what} {shown} holds {info.st_size:,} bytes, more than the limit of {limit}")

    try:
        refuse(os.stat(path))
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
        with os.fdopen(descriptor, "rb") as handle:
            refuse(os.fstat(handle.fileno()))
            content = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise FileNotFoundError(f"{what} {shown} does not exist") from None
    except UnreadableFileError:
        raise
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise UnreadableFileError(f"{what} {shown} cannot be read: {reason}") from None
    if len(content) > max_bytes:
        raise UnreadableFileError(f"{what} {shown} holds more than the limit of {limit}")
    return content


class UnreadableFileError(OSError):
    """A file the course was given is not a regular file, too large or cannot be read; the message is one line."""


def write_line(text, stream):
    """Write ``text`` and a newline to ``stream``, escaping what its encoding cannot show (never raises
    ``UnicodeEncodeError``, whatever ``PYTHONIOENCODING`` says)."""
    encoding = getattr(stream, "encoding", None) or "utf-8"
    text = str(text).encode(encoding, "backslashreplace").decode(encoding, "replace")
    stream.write(text + "\n")
    stream.flush()


class OneLineArgumentParser(argparse.ArgumentParser):
    """An ``ArgumentParser`` whose errors are one line on stderr and exit status 2 (every command of the course)."""

    def error(self, message):
        write_line(f"{self.prog}: error: {message.splitlines()[0] if message else 'bad arguments'}", sys.stderr)
        self.exit(2)


def positive_seconds(value):
    """An argparse type: a whole number of seconds, at least 1 (``--timeout``, ``--cell-timeout``)."""
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, at least 1, got {shown(value)}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of seconds, at least 1, got {number}")
    return number
