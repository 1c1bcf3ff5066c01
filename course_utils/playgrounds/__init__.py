"""Interactive playgrounds: plain functions, with thin widget wiring on top.

Each playground is a plain function, parameters in, ``(figure, numbers)`` out,
unit-tested without a browser; one module per theme:

* :mod:`.attacks`: :func:`poison_playground` (lesson 02),
  :func:`targeted_budget_playground` (lesson 03) and
  :func:`backdoor_playground` (lesson 04);
* :mod:`.detectors`: :func:`detector_playground` (lesson 05);
* :mod:`.robust`: :func:`dp_playground` (lesson 06).
* :mod:`.ensembles`: :func:`partition_playground` (lesson 07).
* :mod:`.regularization`: :func:`regularization_playground` (lesson 08).
* :mod:`.monitoring`: :func:`stream_playground` (lesson 09).
* :mod:`.curation`: :func:`review_playground` (lesson 10).
* :mod:`.influence`: :func:`influence_playground` (lesson 11).

The ``*_explorer`` functions wrap them in ipywidgets controls whose updates run
only when a slider is released (``continuous_update=False``), so dragging never
queues seconds of work. Numbers are printed as ``name: value`` lines by
:func:`format_numbers`, the same text a browser test reads back.
"""

from __future__ import annotations

from ._common import format_numbers
from .attacks import (
    PLAYGROUND_ATTACKS,
    backdoor_explorer,
    backdoor_playground,
    poison_explorer,
    poison_playground,
    targeted_budget_explorer,
    targeted_budget_playground,
)
from .detectors import PLAYGROUND_DETECTORS, detector_explorer, detector_playground
from .robust import dp_explorer, dp_playground
from .ensembles import partition_explorer, partition_playground
from .regularization import regularization_explorer, regularization_playground

__all__ = [
    "PLAYGROUND_ATTACKS",
    "PLAYGROUND_DETECTORS",
    "format_numbers",
    "poison_playground",
    "targeted_budget_playground",
    "backdoor_playground",
    "detector_playground",
    "dp_playground",
    "poison_explorer",
    "targeted_budget_explorer",
    "backdoor_explorer",
    "detector_explorer",
    "dp_explorer",
    "partition_playground",
    "partition_explorer",
    "regularization_playground",
    "regularization_explorer",
]

# Lesson 09's stream playground.
from .monitoring import stream_explorer, stream_playground  # noqa: E402

__all__ += ["stream_playground", "stream_explorer"]

# Lesson 11's influence playground.
from .influence import influence_explorer, influence_playground  # noqa: E402

__all__ += ["influence_playground", "influence_explorer"]

# Lesson 10's curation playground.
from .curation import review_explorer, review_playground  # noqa: E402

__all__ += ["review_playground", "review_explorer"]
