"""Interactive playgrounds: plain functions, with thin widget wiring on top.

Each playground is a plain function, parameters in, ``(figure, numbers)`` out,
unit-tested without a browser:

* :func:`poison_playground`: attack type and poison fraction against clean
  accuracy, poisoned accuracy and attack success (lesson 02);
* :func:`targeted_budget_playground`: how many poisoned copies it takes to move
  one chosen sentence's prediction (lesson 03);
* :func:`backdoor_playground`: backdoor budget and trigger token against clean
  accuracy and attack success (lesson 04);
* :func:`detector_playground`: detector and flagging budget against precision,
  recall and the accuracy after removing the flagged rows (lesson 05).

The ``*_explorer`` functions wrap them in ipywidgets controls whose updates run
only when a slider is released (``continuous_update=False``), so dragging never
queues seconds of work. Numbers are printed as ``name: value`` lines by
:func:`format_numbers`, the same text a browser test reads back.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from ._validation import check_choice, check_fraction, check_int
from .attacks import DEFAULT_TRIGGER

__all__ = [
    "format_numbers",
    "poison_playground",
    "targeted_budget_playground",
    "backdoor_playground",
    "detector_playground",
    "poison_explorer",
    "targeted_budget_explorer",
    "backdoor_explorer",
    "detector_explorer",
]

PLAYGROUND_ATTACKS = ("random-flip", "targeted-flip", "duplicate-flip", "backdoor")
PLAYGROUND_DETECTORS = ("confident", "cleanlab", "knn", "isolation-forest", "audit", "trigger")
_SEEDS = (0, 1, 2)


@lru_cache(maxsize=1)
def _reviews():
    from .data import load_sentiment

    return load_sentiment()


def format_numbers(numbers):
    """``name: value`` lines, floats with four decimals, ``None`` as ``-``."""
    if not isinstance(numbers, dict):
        raise TypeError(f"numbers must be a dict, got {type(numbers).__name__}")
    lines = []
    for name, value in numbers.items():
        if isinstance(value, (float, np.floating)):
            value = f"{float(value):.4f}"
        elif value is None:
            value = "-"
        lines.append(f"{name}: {value}")
    return "\n".join(lines)


def _figure():
    import matplotlib.pyplot as plt

    from .plotting import use_house_style

    use_house_style()
    return plt.subplots(figsize=(6.4, 3.6))


def _bars(ax, values, colors, title, ylabel="share"):
    names = list(values)
    heights = [np.nan if values[n] is None else values[n] for n in names]
    bars = ax.bar(names, heights, color=colors)
    for bar, height in zip(bars, heights):
        if np.isfinite(height):
            ax.annotate(f"{height:.3f}", (bar.get_x() + bar.get_width() / 2, height), ha="center", va="bottom",
                        fontsize=10, xytext=(0, 2), textcoords="offset points")
    ax.set_ylim(0, 1.08)
    ax.set_title(title)
    ax.set_ylabel(ylabel)
    ax.set_xlabel("model and metric")


@lru_cache(maxsize=64)
def _sweep_means(attack, fraction, trigger, seeds):
    from .experiment import sweep

    data = _reviews()
    results = sweep(data.texts, data.labels, attacks=[attack], fractions=[fraction], seeds=list(seeds),
                    trigger=trigger)
    means = results[["clean_accuracy", "poisoned_accuracy"]].mean()
    success = results["attack_success_rate"].dropna()
    clean_success = results["clean_attack_success_rate"].dropna()
    return (float(means["clean_accuracy"]), float(means["poisoned_accuracy"]),
            float(success.mean()) if len(success) else None,
            float(clean_success.mean()) if len(clean_success) else None, int(results["n_poisoned"].iloc[0]))


def poison_playground(attack="random-flip", fraction=0.2, *, seeds=_SEEDS):
    """Poison the shipped data and compare the clean and the poisoned model.

    Parameters
    ----------
    attack : {"random-flip", "targeted-flip", "duplicate-flip", "backdoor"}, default="random-flip"
    fraction : float in [0, 0.5], default=0.2
        The attacker's budget.
    seeds : sequence of int, default=(0, 1, 2)
        Means are over these seeds' splits.

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        ``clean_accuracy``, ``poisoned_accuracy``, ``attack_success_rate``
        (``None`` for attacks without a target), ``clean_attack_success_rate``,
        ``n_poisoned``.
    """
    check_choice(attack, "attack", PLAYGROUND_ATTACKS)
    fraction = check_fraction(fraction)
    if fraction > 0.5:
        raise ValueError(f"fraction must be at most 0.5 in the playground, got {fraction}")
    seeds = tuple(seeds)
    return _attack_bars(attack, fraction, DEFAULT_TRIGGER, seeds,
                        {"clean model\naccuracy": "#555555", "poisoned model\naccuracy": "#1f77b4",
                         "attack success\n(clean model)": "#bbbbbb", "attack success\n(poisoned)": "#d62728"},
                        f"{attack} at {fraction:.0%}: mean over {len(seeds)} seeds")


def _attack_bars(attack, fraction, trigger, seeds, bars, title):
    """Means over seeds of one attack, drawn as four bars named by ``bars`` (name -> colour)."""
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in seeds)
    clean, poisoned, success, clean_success, n_poisoned = _sweep_means(attack, fraction, trigger, seeds)
    numbers = {"clean_accuracy": clean, "poisoned_accuracy": poisoned, "attack_success_rate": success,
               "clean_attack_success_rate": clean_success, "n_poisoned": n_poisoned}
    figure, ax = _figure()
    _bars(ax, dict(zip(bars, (clean, poisoned, clean_success, success))), list(bars.values()), title)
    return figure, numbers


@lru_cache(maxsize=1)
def _toy():
    from .data import load_toy

    clean_data, _ = load_toy()
    return tuple(clean_data)


def _probe_positive(copied_index, copies, probe):
    from .experiment import make_model

    clean_data = _toy()
    text, label = clean_data[copied_index]
    flipped = "negative" if label == "positive" else "positive"
    texts, labels = zip(*(list(clean_data) + [(text, flipped)] * copies))
    model = make_model().fit(texts, labels)
    probability = model.predict_proba([probe])[0][list(model.classes_).index("positive")]
    return float(probability), str(model.predict([probe])[0])


def targeted_budget_playground(copies=2, copied_index=1, probe="I really love this!", max_copies=10):
    """How many relabelled copies of one toy sentence move a chosen sentence's prediction?

    Parameters
    ----------
    copies : int in [0, max_copies], default=2
        Copies of the toy training sentence ``copied_index`` appended with the
        opposite label.
    copied_index : int in [0, 5], default=1
    probe : str, default="I really love this!"
        The sentence whose prediction the attacker wants to move.
    max_copies : int, default=10
        The figure's range.

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        ``copies``, ``probability_positive``, ``prediction``,
        ``cheapest_copies`` (the fewest copies that flip the prediction within
        ``max_copies``, or ``None``).
    """
    max_copies = check_int(max_copies, "max_copies", minimum=1)
    copies = check_int(copies, "copies", minimum=0)
    if copies > max_copies:
        raise ValueError(f"copies must be at most max_copies={max_copies}, got {copies}")
    copied_index = check_int(copied_index, "copied_index", minimum=0)
    if copied_index >= len(_toy()):
        raise ValueError(f"copied_index must be below {len(_toy())}, got {copied_index}")
    if not isinstance(probe, str) or not probe.strip():
        raise ValueError("probe must be a non-empty sentence")
    curve = [_probe_positive(copied_index, k, probe) for k in range(max_copies + 1)]
    first_label = curve[0][1]
    cheapest = next((k for k, (_, label) in enumerate(curve) if label != first_label), None)
    probability, prediction = curve[copies]
    figure, ax = _figure()
    ax.plot(range(max_copies + 1), [p for p, _ in curve], marker="o", color="#d62728", label="P(positive)")
    ax.axhline(0.5, color="#555555", linestyle="--", linewidth=1.2, label="decision boundary")
    ax.plot([copies], [probability], marker="o", markersize=12, color="black", label=f"{copies} copies")
    ax.set_ylim(0, 1)
    ax.set_title(f"Moving one prediction: {probe!r}")
    ax.set_xlabel(f"relabelled copies of toy sentence {copied_index}")
    ax.set_ylabel("P(positive)")
    ax.legend()
    numbers = {"copies": copies, "probability_positive": probability, "prediction": prediction,
               "cheapest_copies": cheapest}
    return figure, numbers


def backdoor_playground(fraction=0.03, trigger=DEFAULT_TRIGGER, *, seeds=_SEEDS):
    """Plant a backdoor with a budget and a trigger; compare clean accuracy and attack success.

    Parameters
    ----------
    fraction : float in [0, 0.2], default=0.03
    trigger : str, default="cf"
        One word; a word already common in the data makes a weaker trigger.
    seeds : sequence of int, default=(0, 1, 2)

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        ``clean_accuracy``, ``poisoned_accuracy``, ``attack_success_rate``,
        ``clean_attack_success_rate``, ``n_poisoned``.
    """
    fraction = check_fraction(fraction)
    if fraction > 0.2:
        raise ValueError(f"fraction must be at most 0.2 in the backdoor playground, got {fraction}")
    if not isinstance(trigger, str) or not trigger.strip() or len(trigger.split()) != 1:
        raise ValueError(f"trigger must be one word, got {trigger!r}")
    return _attack_bars("backdoor", fraction, trigger.strip(), seeds,
                        {"clean model\naccuracy": "#555555", "backdoored\naccuracy": "#9467bd",
                         "trigger success\n(clean model)": "#bbbbbb", "trigger success\n(backdoored)": "#d62728"},
                        f"Backdoor {trigger.strip()!r} in {fraction:.1%} of training rows")


@lru_cache(maxsize=32)
def _detector_case(detector, attack, fraction, seed):
    from .attacks import apply_attack
    from .detect import make_detector
    from .experiment import default_labels, split_data

    data = _reviews()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
    source, target = default_labels(data.labels, attack)
    poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source, target_label=target,
                            random_state=seed)
    scores = make_detector(detector, random_state=seed).fit(poisoned.texts, poisoned.labels).score_samples()
    return poisoned, scores, (test_texts, test_labels, source, target)


def detector_playground(detector="confident", budget=0.2, *, attack="random-flip", fraction=0.2, seed=0):
    """Flag the most suspicious rows, remove them, retrain: what is caught, what is lost?

    Parameters
    ----------
    detector : {"confident", "cleanlab", "knn", "isolation-forest", "audit", "trigger"}, default="confident"
    budget : float in [0, 0.5], default=0.2
        Share of training rows flagged, most suspicious first (the threshold).
    attack : str, default="random-flip"
    fraction : float, default=0.2
    seed : int, default=0

    Returns
    -------
    figure : matplotlib Figure
        The detector's precision-recall curve with the chosen budget marked.
    numbers : dict
        ``n_flagged``, ``precision``, ``recall``, ``f1``, ``clean_rows_removed``,
        ``poisoned_accuracy``, ``defended_accuracy``.
    """
    from .experiment import _success, make_model
    from .metrics import accuracy, detection_scores

    check_choice(detector, "detector", PLAYGROUND_DETECTORS)
    check_choice(attack, "attack", PLAYGROUND_ATTACKS)
    budget = check_fraction(budget, "budget")
    if budget > 0.5:
        raise ValueError(f"budget must be at most 0.5, got {budget}")
    fraction = check_fraction(fraction)
    seed = check_int(seed, "seed", minimum=0)
    poisoned, scores, (test_texts, test_labels, source, target) = _detector_case(detector, attack, fraction, seed)
    n = len(scores)
    order = np.argsort(-scores, kind="stable")
    k = int(np.floor(budget * n + 0.5))
    flagged = np.sort(order[:k])
    detection = detection_scores(flagged, poisoned.poisoned_indices)
    keep = np.setdiff1d(np.arange(n), flagged)
    before = make_model().fit(poisoned.texts, poisoned.labels)
    after = make_model().fit([poisoned.texts[i] for i in keep], poisoned.labels[keep])
    numbers = {
        "n_flagged": int(k),
        "precision": detection["precision"],
        "recall": detection["recall"],
        "f1": detection["f1"],
        "clean_rows_removed": int(len(np.setdiff1d(flagged, poisoned.poisoned_indices))),
        "poisoned_accuracy": accuracy(test_labels, before.predict(test_texts)),
        "defended_accuracy": accuracy(test_labels, after.predict(test_texts)),
    }
    if target is not None:
        args = (test_texts, test_labels, source, target, DEFAULT_TRIGGER, seed)
        numbers["attack_success_rate"] = _success(attack, before.predict, *args)
        numbers["defended_attack_success_rate"] = _success(attack, after.predict, *args)
    is_poisoned = np.zeros(n, dtype=bool)
    is_poisoned[poisoned.poisoned_indices] = True
    hits = np.cumsum(is_poisoned[order])
    flagged_counts = np.arange(1, n + 1)
    figure, ax = _figure()
    ax.plot(hits / max(1, is_poisoned.sum()), hits / flagged_counts, color="#1f77b4", label=detector)
    ax.plot([detection["recall"]], [detection["precision"]], marker="o", markersize=11, color="black",
            label=f"flag {budget:.0%} of rows")
    ax.axhline(is_poisoned.mean(), color="#555555", linestyle="--", linewidth=1.2, label="chance")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_title(f"{detector} against {attack} at {fraction:.0%}")
    ax.set_xlabel("recall (share of poisoned rows flagged)")
    ax.set_ylabel("precision (share of flags that are poison)")
    ax.legend()
    return figure, numbers


# Widget wiring ---------------------------------------------------------------------------

def _explorer(function, **controls):
    """An ``interactive`` that shows the playground's figure and its numbers as text."""
    import ipywidgets as widgets
    import matplotlib.pyplot as plt
    from IPython.display import display

    def render(**values):
        figure, numbers = function(**values)
        display(figure)
        plt.close(figure)
        print(format_numbers(numbers))

    interface = widgets.interactive(render, **controls)
    interface.layout = widgets.Layout(border="1px solid #ddd", padding="6px")
    return interface


def _slider(description, value, minimum, maximum, step, readout_format=".2f"):
    import ipywidgets as widgets

    return widgets.FloatSlider(value=value, min=minimum, max=maximum, step=step, description=description,
                               continuous_update=False, readout_format=readout_format,
                               style={"description_width": "initial"})


def poison_explorer():
    """Attack and fraction controls for :func:`poison_playground`."""
    import ipywidgets as widgets

    return _explorer(poison_playground,
                     attack=widgets.Dropdown(options=PLAYGROUND_ATTACKS, value="random-flip", description="attack"),
                     fraction=_slider("poison fraction", 0.2, 0.0, 0.5, 0.05))


def targeted_budget_explorer():
    """A copies slider for :func:`targeted_budget_playground`."""
    import ipywidgets as widgets

    return _explorer(targeted_budget_playground,
                     copies=widgets.IntSlider(value=2, min=0, max=10, step=1, description="poisoned copies",
                                              continuous_update=False, style={"description_width": "initial"}),
                     copied_index=widgets.fixed(1), probe=widgets.fixed("I really love this!"))


def backdoor_explorer():
    """Budget and trigger controls for :func:`backdoor_playground`."""
    import ipywidgets as widgets

    return _explorer(backdoor_playground,
                     fraction=_slider("backdoor budget", 0.03, 0.0, 0.1, 0.005, ".3f"),
                     trigger=widgets.Dropdown(options=["cf", "movie", "the"], value="cf", description="trigger"))


def detector_explorer():
    """Detector and budget controls for :func:`detector_playground`."""
    import ipywidgets as widgets

    return _explorer(detector_playground,
                     detector=widgets.Dropdown(options=PLAYGROUND_DETECTORS, value="confident",
                                               description="detector"),
                     budget=_slider("flag this share", 0.2, 0.0, 0.5, 0.05))
