"""The defense registry: every defense of the course, by name and kind.

A defense is one of three kinds, and each kind has one interface:

``filter``
    Flags training rows to remove before training: a detector of
    :mod:`course_utils.detect` (``fit(texts, labels)``, ``flag(...)``).
    :func:`course_utils.experiment.defend` removes what it flags and trains the
    model again.
``trainer``
    Replaces the model's classifier: a scikit-learn classifier on the count
    features, put after the model's vectoriser in place of ``MultinomialNB``
    (the robust estimators of :mod:`.robust`, lesson 06). A trainer that certifies its
    predictions also has ``certified_radius(X)``: for every row, how many
    training rows an attacker could add, remove or change without changing the
    prediction.
``monitor``
    Watches a stream of batches (lesson 09): a statistic per batch and a threshold
    calibrated on clean streams, :class:`course_utils.monitoring.StreamMonitor`
    (``fit(clean_values)``, ``predict(values)``); it has no place in a one-shot
    experiment.

Every filter and trainer is registered once here (:func:`register_defense`), and
``experiment --defense NAME --param KEY=VALUE``, the sweeps, the playgrounds and
the defense matrix read the same registry (:data:`DEFENSES`). The filters are
derived from :data:`course_utils.detect.DETECTORS`, and the monitors from
:data:`course_utils.monitoring.MONITORS`, never copied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._validation import check_choice, set_known_params
from ..detect import DETECTORS, make_detector
from ..monitoring import MONITORS, StreamMonitor

__all__ = [
    "FILTER",
    "TRAINER",
    "MONITOR",
    "KINDS",
    "Defense",
    "DEFENSES",
    "register_defense",
    "defense_names",
    "make_defense",
]

FILTER, TRAINER, MONITOR = "filter", "trainer", "monitor"
#: The kinds of defense, each with its own interface (see the module's docstring).
KINDS = (FILTER, TRAINER, MONITOR)


@dataclass(frozen=True)
class Defense:
    """One registered defense.

    Attributes
    ----------
    name : str
        Its name on the command line and in results.
    kind : {"filter", "trainer", "monitor"}
    factory : callable
        ``factory(random_state=..., **params)`` returns a new, unfitted estimator.
    summary : str
        One line saying what it does.
    """

    name: str
    kind: str
    factory: object = field(repr=False)
    summary: str = ""

    def make(self, random_state=0, **params):
        """A new unfitted estimator of this defense; unknown parameter names raise ``ValueError``."""
        return set_known_params(self.factory(random_state=random_state), params, f"the {self.name} defense")


#: Defense name -> :class:`Defense`, in the order they were registered.
DEFENSES: dict = {}


def register_defense(name, kind, factory, summary=""):
    """Register a defense under ``name``; a name can be registered once.

    Parameters
    ----------
    name : str
    kind : {"filter", "trainer", "monitor"}
    factory : callable
        ``factory(random_state=...)`` returns a new unfitted scikit-learn
        estimator (a class whose ``__init__`` takes ``random_state`` will do).
    summary : str, default=""

    Returns
    -------
    Defense
    """
    if not isinstance(name, str) or not name or name == "none":
        raise ValueError(f"name must be a non-empty string other than 'none', got {name!r}")
    check_choice(kind, "kind", KINDS)
    if not callable(factory):
        raise TypeError(f"factory must be callable, got {type(factory).__name__}")
    if name in DEFENSES:
        raise ValueError(f"a defense named {name!r} is already registered")
    DEFENSES[name] = Defense(name, kind, factory, summary)
    return DEFENSES[name]


def defense_names(kinds=(FILTER, TRAINER)):
    """Names of the registered defenses of the given kinds, in registration order."""
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    for kind in kinds:
        check_choice(kind, "kinds", KINDS)
    return tuple(name for name, defense in DEFENSES.items() if defense.kind in kinds)


def make_defense(name, random_state=0, **params):
    """A new unfitted estimator of the registered defense ``name``, with ``params`` set.

    Parameters
    ----------
    name : str
        A key of :data:`DEFENSES`.
    random_state : int, default=0
    **params
        The estimator's parameters, by their scikit-learn names.

    Returns
    -------
    estimator
    """
    check_choice(name, "defense", tuple(DEFENSES))
    return DEFENSES[name].make(random_state=random_state, **params)


def _first_line(text):
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


for _name, _detector in DETECTORS.items():
    register_defense(_name, FILTER, lambda random_state=0, _name=_name: make_detector(_name, random_state),
                     summary=_first_line(_detector.__doc__))


# The trainers of lesson 06 (robust learning); their module imports nothing from this registry.
from .robust import DPMultinomialNB, RobustMultinomialNB, TrimClassifier  # noqa: E402

register_defense("dp-nb", TRAINER, lambda random_state=0: DPMultinomialNB(random_state=random_state),
                 summary="Differentially private Naive Bayes: bounded rows, Laplace noise on the counts")
register_defense("robust-nb", TRAINER, lambda random_state=0: RobustMultinomialNB(random_state=random_state),
                 summary="Naive Bayes with word rates the median over disjoint partitions of the rows")
register_defense("trim", TRAINER, lambda random_state=0: TrimClassifier(random_state=random_state),
                 summary="TRIM: refit on the rows of lowest out-of-fold loss until they stop changing")
# Lesson 07's trainers: a partition ensemble that certifies, augmentation for dilution, adversarial training.
from .adversarial import AdversarialNB  # noqa: E402
from .augment import AugmentedNB  # noqa: E402
from .ensembles import PartitionEnsemble  # noqa: E402

register_defense("partition-ensemble", TRAINER, PartitionEnsemble,
                 summary="Naive Bayes on disjoint partitions chosen by SHA-256 of the text, a vote, and a certificate "
                         "(scheme: dpa or finite-aggregation)")
register_defense("augment", TRAINER, AugmentedNB,
                 summary="Naive Bayes on every row plus word-dropout copies of it (dilution by augmentation)")
register_defense("adversarial", TRAINER, AdversarialNB,
                 summary="Naive Bayes with adversarial training: worst-case word deletions kept with their labels")
# Lesson 08's label penalties: trainers that trust a row's label less when the rest of the data contradicts it.
from . import penalties as _penalties  # noqa: E402  (after the registry they register into)

for _name, _class in (("loss-filter", _penalties.LossFilterClassifier),
                      ("reweight", _penalties.ReweightedClassifier),
                      ("label-smoothing", _penalties.LabelSmoothingNB),
                      ("robust-loss", _penalties.GCELogisticRegression)):
    register_defense(_name, TRAINER,
                     (lambda random_state=0, _class=_class:
                      _class(random_state=random_state) if "random_state" in _class().get_params() else _class()),
                     summary=_first_line(_class.__doc__))
# The monitors of lesson 09, derived from course_utils.monitoring.MONITORS.
for _name, _summary in MONITORS.items():
    register_defense(_name, MONITOR,
                     lambda random_state=0, _name=_name: StreamMonitor(statistic=_name, random_state=random_state),
                     summary=_summary)
