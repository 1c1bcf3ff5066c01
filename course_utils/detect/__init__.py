"""Detectors of poisoned training rows, measured against the known poison.

Each detector is a scikit-learn estimator shaped like
``LocalOutlierFactor(novelty=False)`` (see :class:`BaseDetector`): ``fit(texts,
labels)`` examines one training set and leaves ``suspicion_``, one value per
row, **higher meaning more suspicious**, and ``flagged_``, the rows its own rule
flags; ``flag(flag_share=..., threshold=...)`` and ``fit_flag(...)`` choose rows.

The modules are split by what a detector looks at:

========================  ======================================  ==============================
module                    detectors                               looks at
========================  ======================================  ==============================
:mod:`.audit`             :class:`DataAudit`                      counts, duplicates, sources
:mod:`.outliers`          :class:`IsolationForestDetector`        the text alone, never the label
:mod:`.label_noise`       :class:`KNNDisagreement`,               each label against the rest of
                          :class:`ConfidentLearningDetector`,     the data
                          :class:`CleanlabDetector`
:mod:`.triggers`          :class:`TriggerDetector`                tokens tied to one label
:mod:`.influence`         :class:`InfluenceDetector`              each row's exact influence on a
                                                                  behaviour (lesson 11)
:mod:`.shadows`           :class:`ShadowBisectDetector`           models on disjoint shards, then
                                                                  group testing by retraining
========================  ======================================  ==============================

The detectors that vectorise text accept ``features=``, a :class:`TextFeatures`
cache, in ``fit``: it tokenises each text once and builds exactly the matrices
the course's vectorisers would, so sharing one across the poisoned versions of
a split changes no result, only the time.

:data:`DETECTORS` names each one as the command line does; :func:`make_detector`
builds one with the course's settings. The defense registry
(:mod:`course_utils.defenses`) registers every detector as a *filter*.
"""

from __future__ import annotations

from .._validation import check_choice, set_known_params
from ._base import BaseDetector
from ._features import TextFeatures
from .audit import DataAudit
from .label_noise import (
    PRECOMPUTED,
    CleanlabDetector,
    ConfidentLearningDetector,
    KNNDisagreement,
    neighbour_label_shares,
    out_of_fold_matrix_probabilities,
    out_of_fold_probabilities,
    out_of_fold_views,
)
from .outliers import IsolationForestDetector
from .triggers import TriggerDetector
from .influence import InfluenceDetector
from .shadows import ShadowBisectDetector

__all__ = [
    "BaseDetector",
    "DETECTORS",
    "DETECTOR_SETTINGS",
    "PRECOMPUTED",
    "TextFeatures",
    "out_of_fold_probabilities",
    "out_of_fold_views",
    "out_of_fold_matrix_probabilities",
    "neighbour_label_shares",
    "DataAudit",
    "IsolationForestDetector",
    "KNNDisagreement",
    "ConfidentLearningDetector",
    "CleanlabDetector",
    "TriggerDetector",
    "InfluenceDetector",
    "ShadowBisectDetector",
    "make_detector",
]

#: Detector name (as on the command line) -> detector class.
DETECTORS = {
    "audit": DataAudit,
    "isolation-forest": IsolationForestDetector,
    "knn": KNNDisagreement,
    "confident": ConfidentLearningDetector,
    "cleanlab": CleanlabDetector,
    "trigger": TriggerDetector,
    "influence": InfluenceDetector,
    "shadow-bisect": ShadowBisectDetector,
}

#: The course's settings where they differ from the class's defaults: ``"confident"``
#: averages the three views (``count-nb``, ``tfidf-logreg``, ``knn``), the course's
#: strongest label-aware detector.
DETECTOR_SETTINGS = {
    "confident": {"estimators": ConfidentLearningDetector.ESTIMATORS},
}


def make_detector(name, random_state=0, **params):
    """A detector by its command-line name, with the course's settings.

    Parameters
    ----------
    name : str
        A key of :data:`DETECTORS`.
    random_state : int, default=0
    **params
        Parameters of the detector, by their scikit-learn names; they override
        the course's settings. An unknown name raises ``ValueError``.

    Returns
    -------
    BaseDetector
        Unfitted.
    """
    check_choice(name, "detector", tuple(DETECTORS))
    detector = DETECTORS[name](**DETECTOR_SETTINGS.get(name, {}), random_state=random_state)
    return set_known_params(detector, params, f"the {name} detector")
