"""The curation playground (lesson 10): how strict should a curator's review be?"""

from __future__ import annotations

from .._validation import check_choice, check_number
from ..curation import CURATION_ATTACKS, curation_trial
from ..data import shared_sentiment
from ._common import draw_bars, explorer, new_figure, slider

__all__ = ["review_playground", "review_explorer"]


def review_playground(review_threshold=0.5, attack="targeted-flip", *, seed=0):
    """One curated training run (:func:`~course_utils.curation.curation_trial`) on seed ``seed``'s split.

    Parameters
    ----------
    review_threshold : float in [0, 1], default=0.5
        The curator approves a row when a model trained on the trusted base gives its label at least
        this probability; 0 approves everything.
    attack : one of :data:`~course_utils.curation.CURATION_ATTACKS`, default="targeted-flip"
        What the poisoning contributor sends.
    seed : int, default=0

    Returns
    -------
    figure : matplotlib Figure
        Attack success with no poison, after review and with no review.
    numbers : dict
        ``poison_admitted`` (of ``poison_sent``), ``honest_rejected`` (of ``honest_rows``), each model's
        ``attack_success`` and the reviewed model's ``accuracy``.
    """
    review_threshold = check_number(review_threshold, "review_threshold", low=0, high=1)
    check_choice(attack, "attack", CURATION_ATTACKS)
    data = shared_sentiment()
    trial = curation_trial(data.texts, data.labels, attack=attack, seed=seed, review_threshold=review_threshold)
    numbers = {"poison_sent": trial["sent"], "poison_admitted": trial["poison_admitted"],
               "honest_rows": trial["honest_rows"], "honest_rejected": trial["honest_rejected"],
               "attack_success_no_poison": trial["no_poison_attack_success"],
               "attack_success_reviewed": trial["reviewed_attack_success"],
               "attack_success_unreviewed": trial["unreviewed_attack_success"],
               "accuracy_reviewed": trial["reviewed_accuracy"]}
    figure, ax = new_figure()
    draw_bars(ax, {"no poison": numbers["attack_success_no_poison"], "reviewed": numbers["attack_success_reviewed"],
                   "unreviewed": numbers["attack_success_unreviewed"]}, ["#2ca02c", "#1f77b4", "#d62728"],
              f"{attack}: {trial['poison_admitted']} of {trial['sent']} poisoned rows admitted, "
              f"{trial['honest_rejected']} honest rejected", ylabel="attack success rate")
    ax.set_xlabel("training data")
    return figure, numbers


def review_explorer():
    """A threshold slider and an attack menu for :func:`review_playground`."""
    import ipywidgets as widgets

    return explorer(review_playground,
                    review_threshold=slider("review threshold", 0.5, 0.0, 0.99, 0.01),
                    attack=widgets.Dropdown(options=list(CURATION_ATTACKS), value="targeted-flip",
                                            description="poisoner sends", style={"description_width": "initial"}))
