"""The regularization playground (lesson 08): Naive Bayes' smoothing against the poison fraction."""

from __future__ import annotations

from .._validation import check_choice, check_fraction, check_number
from ..data import shared_sentiment
from ..regularization import alpha_sweep
from ._common import SEEDS, draw_bars, explorer, new_figure, slider
from .attacks import PLAYGROUND_ATTACKS, _playground_seeds

__all__ = ["regularization_playground", "regularization_explorer"]


def regularization_playground(alpha=1.0, fraction=0.2, *, attack="random-flip", seeds=SEEDS):
    """Naive Bayes with smoothing ``alpha`` on clean and poisoned training sets: accuracy and attack success.

    Parameters
    ----------
    alpha : float in [0.001, 100], default=1.0
        ``MultinomialNB``'s smoothing (1.0 is the course's default).
    fraction : float in [0, 1], default=0.2
        The attacker's share of the training set.
    attack : str, default="random-flip"
    seeds : sequence of int, default=(0, 1, 2)

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        Means over the seeds: ``clean_accuracy`` (this alpha, no poison),
        ``poisoned_accuracy`` and, for attacks with a target,
        ``clean_attack_success_rate`` and ``attack_success_rate``.
    """
    alpha = check_number(alpha, "alpha", low=0.001, high=100.0)
    fraction = check_fraction(fraction)
    check_choice(attack, "attack", PLAYGROUND_ATTACKS)
    seeds = _playground_seeds(seeds)
    data = shared_sentiment()
    rows = alpha_sweep(data.texts, data.labels, alphas=[alpha], attacks=[attack], fractions={attack: [fraction]},
                       seeds=seeds)
    numbers = {"clean_accuracy": float(rows["clean_accuracy"].mean()),
               "poisoned_accuracy": float(rows["poisoned_accuracy"].mean())}
    if rows["attack_success_rate"].notna().all():
        numbers["clean_attack_success_rate"] = float(rows["clean_attack_success_rate"].mean())
        numbers["attack_success_rate"] = float(rows["attack_success_rate"].mean())
    figure, ax = new_figure()
    bars = {"clean acc.": numbers["clean_accuracy"], "poisoned acc.": numbers["poisoned_accuracy"],
            "clean ASR": numbers.get("clean_attack_success_rate"), "poisoned ASR": numbers.get("attack_success_rate")}
    draw_bars(ax, bars, ["#1f77b4", "#d62728", "#7f7f7f", "#ff7f0e"],
              f"Naive Bayes, alpha={alpha:g}: {attack} at {fraction:.0%} ({len(seeds)} seeds)")
    return figure, numbers


def regularization_explorer():
    """Smoothing and poison-fraction controls for :func:`regularization_playground`."""
    import ipywidgets as widgets

    return explorer(regularization_playground,
                    alpha=widgets.FloatLogSlider(value=1.0, base=10, min=-2, max=1, step=0.25, description="alpha",
                                                 continuous_update=False, style={"description_width": "initial"}),
                    fraction=slider("poison fraction", 0.2, 0.0, 0.4, 0.05),
                    attack=widgets.Dropdown(options=PLAYGROUND_ATTACKS, value="random-flip", description="attack"))
