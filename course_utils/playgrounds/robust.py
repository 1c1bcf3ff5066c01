"""The robust-learning playground (lesson 06): epsilon and max_words against accuracy and attack success."""

from __future__ import annotations

from .._validation import check_number
from ..robustness import dp_grid
from ._common import SEEDS, draw_bars, explorer, new_figure, slider

__all__ = ["DP_PLAYGROUND_DESIGN", "dp_playground", "dp_explorer"]

#: The hashed vocabulary and smoothing the playground keeps fixed while epsilon and max_words move.
DP_PLAYGROUND_DESIGN = {"vocabulary": "hashed", "n_buckets": 2 ** 12, "alpha": 30.0}


def dp_playground(epsilon=1.0, max_words=5, *, backdoor_fraction=0.03, seeds=SEEDS):
    """Accuracy and backdoor success of the DP Naive Bayes at one epsilon and max_words, mean over seeds.

    Parameters
    ----------
    epsilon : float > 0, default=1.0
    max_words : int >= 1, default=5
    backdoor_fraction : float in [0, 1], default=0.03
    seeds : sequence of int, default=(0, 1, 2)

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        ``clean_accuracy``, ``backdoored_accuracy`` and ``attack_success_rate``
        (means over the seeds), with ``epsilon`` and ``max_words``.
    """
    epsilon = check_number(epsilon, "epsilon", low=0.0, low_open=True)
    max_words = check_number(max_words, "max_words", low=1, integer=True)
    design = {**DP_PLAYGROUND_DESIGN, "max_words": max_words}
    grid = dp_grid({"dp": design}, [epsilon], seeds=seeds, attacks=[("none", 0.0), ("backdoor", backdoor_fraction)])
    clean = grid[grid["attack"] == "none"]
    backdoored = grid[grid["attack"] == "backdoor"]
    numbers = {"epsilon": epsilon, "max_words": max_words,
               "clean_accuracy": float(clean["accuracy"].mean()),
               "backdoored_accuracy": float(backdoored["accuracy"].mean()),
               "attack_success_rate": float(backdoored["attack_success_rate"].mean())}
    figure, ax = new_figure()
    draw_bars(ax, {"accuracy (clean rows)": numbers["clean_accuracy"],
                   "accuracy (backdoored rows)": numbers["backdoored_accuracy"],
                   "backdoor success": numbers["attack_success_rate"]},
              ["#1f77b4", "#aec7e8", "#d62728"],
              f"DP Naive Bayes, epsilon {epsilon:g}, at most {max_words} words a row", ylabel="mean over seeds")
    return figure, numbers


def dp_explorer():
    """Epsilon and max_words controls for :func:`dp_playground`."""
    import ipywidgets as widgets

    return explorer(dp_playground, epsilon=slider("epsilon", 1.0, 0.1, 10.0, 0.1, readout_format=".1f"),
                    max_words=widgets.IntSlider(value=5, min=1, max=20, step=1, description="max words a row",
                                                continuous_update=False, style={"description_width": "initial"}))
