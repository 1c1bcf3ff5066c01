"""Helpers for lessons run by papermill: record the values a lesson teaches.

A lesson's ``parameters`` cell holds ``record_path = ""``. At the end, the lesson
calls :func:`record_results` with the numbers its invariant is about; when
``record_path`` is set (by a test, through papermill), they are written there as
JSON, so the test reads values rather than parsing printed text.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

__all__ = ["record_results"]


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def record_results(record_path, **values):
    """Write ``values`` as JSON to ``record_path``; do nothing when it is empty.

    Parameters
    ----------
    record_path : str
        Where to write; ``""`` (the default in every lesson) writes nothing.
    **values
        JSON-serialisable values (NumPy scalars and arrays are converted).

    Returns
    -------
    dict
        The values as written.
    """
    if not isinstance(record_path, (str, Path)):
        raise TypeError(f"record_path must be a str, got {type(record_path).__name__}")
    plain = _plain(values)
    if str(record_path):
        Path(record_path).write_text(json.dumps(plain, indent=2, sort_keys=True), encoding="utf-8")
    return plain
