"""The detector playground (lesson 05): flag a share of rows, remove them, retrain."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._validation import check_choice, check_fraction, check_int
from ..attacks import DEFAULT_TRIGGER, apply_attack, measure_attack_success
from ..data import shared_sentiment
from ..detect import make_detector
from ..experiment import default_labels, defend, split_data
from ..metrics import accuracy, detection_scores
from ..models import make_model
from ._common import explorer, new_figure, slider
from .attacks import PLAYGROUND_ATTACKS

__all__ = ["PLAYGROUND_DETECTORS", "detector_playground", "detector_explorer"]

PLAYGROUND_DETECTORS = ("confident", "cleanlab", "knn", "isolation-forest", "audit", "trigger")


@lru_cache(maxsize=32)
def _detector_case(detector, attack, fraction, seed):
    """One poisoned split with its fitted detector and poisoned model, kept for the next slider move."""
    data = shared_sentiment()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
    source, target = default_labels(data.labels, attack)
    poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source, target_label=target,
                            random_state=seed)
    fitted = make_detector(detector, random_state=seed).fit(poisoned.texts, poisoned.labels)
    poisoned_model = make_model(random_state=seed).fit(poisoned.texts, poisoned.labels)
    return poisoned, fitted, poisoned_model, (test_texts, test_labels, source, target)


def detector_playground(detector="confident", flag_share=0.2, *, attack="random-flip", fraction=0.2, seed=0):
    """Flag the most suspicious rows, remove them, retrain: what is caught, what is lost?

    Parameters
    ----------
    detector : {"confident", "cleanlab", "knn", "isolation-forest", "audit", "trigger"}, default="confident"
    flag_share : float in [0, 0.5], default=0.2
        Share of training rows flagged, most suspicious first.
    attack : str, default="random-flip"
    fraction : float, default=0.2
        The attacker's share of the training set.
    seed : int, default=0

    Returns
    -------
    figure : matplotlib Figure
        The detector's precision-recall curve with the chosen share marked.
    numbers : dict
        ``n_flagged``, ``precision``, ``recall``, ``f1``, ``clean_rows_removed``,
        ``poisoned_accuracy``, ``defended_accuracy`` and, for attacks with a
        target, ``attack_success_rate`` and ``defended_attack_success_rate``.
    """
    check_choice(detector, "detector", PLAYGROUND_DETECTORS)
    check_choice(attack, "attack", PLAYGROUND_ATTACKS)
    flag_share = check_fraction(flag_share, "flag_share")
    if flag_share > 0.5:
        raise ValueError(f"flag_share must be at most 0.5, got {flag_share}")
    fraction = check_fraction(fraction)
    seed = check_int(seed, "seed", minimum=0)
    poisoned, fitted, before, (test_texts, test_labels, source, target) = _detector_case(detector, attack, fraction,
                                                                                         seed)
    if flag_share > 0:
        outcome = defend(fitted, poisoned.texts, poisoned.labels, flag_share=flag_share, random_state=seed,
                         poisoned_indices=poisoned.poisoned_indices, prefit=True)
        after, detection = outcome.model, outcome.detection
    else:  # nothing flagged: the defended model is the poisoned one
        after = before
        detection = {**detection_scores([], poisoned.poisoned_indices), "clean_rows_removed": 0}
    numbers = {key: detection[key] for key in ("n_flagged", "precision", "recall", "f1", "clean_rows_removed")}
    numbers["poisoned_accuracy"] = accuracy(test_labels, before.predict(test_texts))
    numbers["defended_accuracy"] = accuracy(test_labels, after.predict(test_texts))
    if target is not None:
        target_args = {"source_label": source, "target_label": target, "trigger": DEFAULT_TRIGGER,
                       "random_state": seed}
        numbers["attack_success_rate"] = measure_attack_success(before, attack, test_texts, test_labels, **target_args)
        numbers["defended_attack_success_rate"] = measure_attack_success(after, attack, test_texts, test_labels,
                                                                         **target_args)
    figure = _precision_recall_figure(fitted, poisoned, detection, f"{detector} against {attack} at {fraction:.0%}",
                                      detector, flag_share)
    return figure, numbers


def _precision_recall_figure(fitted, poisoned, detection, title, label, flag_share):
    """The precision-recall curve of flagging the top rows of ``fitted``'s ranking, with one point marked."""
    n = len(fitted.suspicion_)
    is_poisoned = np.zeros(n, dtype=bool)
    is_poisoned[poisoned.poisoned_indices] = True
    hits = np.cumsum(is_poisoned[fitted.ranking()])
    figure, ax = new_figure()
    ax.plot(hits / max(1, is_poisoned.sum()), hits / np.arange(1, n + 1), color="#1f77b4", label=label)
    ax.plot([detection["recall"]], [detection["precision"]], marker="o", markersize=11, color="black",
            label=f"flag {flag_share:.0%} of rows")
    ax.axhline(is_poisoned.mean(), color="#555555", linestyle="--", linewidth=1.2, label="chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.set_xlabel("recall (share of poisoned rows flagged)")
    ax.set_ylabel("precision (share of flags that are poison)")
    ax.legend()
    return figure


def detector_explorer():
    """Detector and flag-share controls for :func:`detector_playground`."""
    import ipywidgets as widgets

    return explorer(detector_playground,
                    detector=widgets.Dropdown(options=PLAYGROUND_DETECTORS, value="confident", description="detector"),
                    flag_share=slider("flag this share", 0.2, 0.0, 0.5, 0.05))
