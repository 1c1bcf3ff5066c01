"""The house plot style and the figures lessons share.

Every figure in the course uses :func:`use_house_style` (set once in a lesson's
Setup cell) and has a title and labelled axes.
"""

from __future__ import annotations

import numpy as np

__all__ = ["HOUSE_STYLE", "ATTACK_COLORS", "EXTRA_COLORS", "attack_colors", "use_house_style", "plot_sweep",
           "plot_review"]

#: Matplotlib settings of the course's figures.
HOUSE_STYLE = {
    "figure.figsize": (7.0, 4.2),
    "figure.dpi": 80,
    "axes.titlesize": 13,
    "axes.titleweight": "bold",
    "axes.labelsize": 11,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 10,
    "lines.linewidth": 2.0,
    "lines.markersize": 5,
    "savefig.bbox": "tight",
}

#: One colour per attack, the same in every lesson.
ATTACK_COLORS = {
    "none": "#555555",
    "random-flip": "#1f77b4",
    "targeted-flip": "#d62728",
    "duplicate-flip": "#ff7f0e",
    "backdoor": "#9467bd",
}


#: Colours for attacks outside :data:`ATTACK_COLORS` (a lesson's own attack), none of them already taken.
EXTRA_COLORS = ("#2ca02c", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f")


def attack_colors(attacks):
    """A colour for each attack name: the course's own for the attacks it knows, distinct others for the rest.

    Parameters
    ----------
    attacks : sequence of str

    Returns
    -------
    dict
        Attack name -> colour; unknown names take :data:`EXTRA_COLORS` in order
        (cycling when there are more than six).
    """
    colors, extra = {}, 0
    for attack in dict.fromkeys(attacks):
        if attack in ATTACK_COLORS:
            colors[attack] = ATTACK_COLORS[attack]
        else:
            colors[attack] = EXTRA_COLORS[extra % len(EXTRA_COLORS)]
            extra += 1
    return colors


def use_house_style():
    """Apply the course's plot style to matplotlib (call once per notebook)."""
    import matplotlib as mpl

    mpl.rcParams.update(HOUSE_STYLE)


def plot_sweep(summary, metric="poisoned_accuracy", *, ax=None, title=None, ylabel=None, attacks=None,
               reference=None, reference_label=None):
    """Plot a metric against poison fraction, one line per attack, with its interval.

    Parameters
    ----------
    summary : pandas.DataFrame
        The output of :func:`course_utils.experiment.summarize`, with columns
        ``attack``, ``fraction``, ``<metric>_mean``, ``<metric>_low`` and
        ``<metric>_high``.
    metric : str, default="poisoned_accuracy"
    ax : matplotlib Axes, default=None
        Where to draw; a new figure when ``None``.
    title, ylabel : str, default=None
        Defaults name the metric.
    attacks : sequence of str, default=None
        Which attacks to draw (default: all in ``summary`` with values).
    reference : float, default=None
        Draws a horizontal dashed line (for example the clean accuracy).
    reference_label : str, default=None

    Returns
    -------
    matplotlib Axes
    """
    import matplotlib.pyplot as plt

    columns = [f"{metric}_mean", f"{metric}_low", f"{metric}_high"]
    missing = [c for c in ["attack", "fraction", *columns] if c not in summary.columns]
    if missing:
        raise ValueError(f"summary has no column(s) {missing}; summarize the sweep with metrics=({metric!r},)")
    if ax is None:
        _, ax = plt.subplots()
    names = list(attacks) if attacks is not None else list(dict.fromkeys(summary["attack"]))
    colors = attack_colors(names)
    for attack in names:
        rows = summary[(summary["attack"] == attack)].sort_values("fraction")
        rows = rows[np.isfinite(rows[columns[0]].astype(float))]
        if rows.empty:
            continue
        color = colors[attack]
        ax.plot(rows["fraction"], rows[columns[0]], marker="o", color=color, label=attack)
        ax.fill_between(rows["fraction"], rows[columns[1]].astype(float), rows[columns[2]].astype(float),
                        color=color, alpha=0.2, linewidth=0)
    if reference is not None:
        ax.axhline(reference, color="#555555", linestyle="--", linewidth=1.2, label=reference_label)
    pretty = metric.replace("_", " ")
    ax.set_title(title or f"{pretty.capitalize()} against poison fraction")
    ax.set_xlabel("poison fraction (share of the training set)")
    ax.set_ylabel(ylabel or pretty)
    ax.legend()
    return ax


def plot_review(trials, review_threshold, *, ax=None):
    """Bars of the mean attack success with no poison, after review and unreviewed, per attack (lesson 10).

    ``trials`` is :func:`course_utils.curation.curation_trials`' results (a list of dicts or its DataFrame).
    Returns the axes."""
    import matplotlib.pyplot as plt
    import pandas as pd

    frame = pd.DataFrame(trials)
    columns = [("no_poison_attack_success", "no poison"), ("reviewed_attack_success", "reviewed"),
               ("unreviewed_attack_success", "unreviewed")]
    if frame.empty or not {"attack", "seed", *(c for c, _ in columns)} <= set(frame.columns):
        raise ValueError("trials must be curation_trials' results")
    means = frame.groupby("attack", sort=False)[[c for c, _ in columns]].mean()
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.6))
    width = 0.27
    for k, (column, name) in enumerate(columns):
        ax.bar(np.arange(len(means)) + (k - 1) * width, means[column], width, label=name)
    ax.set_xticks(np.arange(len(means)), means.index)
    ax.set_ylabel("attack success rate")
    ax.set_ylim(0, 1)
    ax.set_title(f"What a curator's review stops (threshold {review_threshold}, "
                 f"mean of {frame.seed.nunique()} seeds)")
    ax.legend(loc="upper left")
    return ax
