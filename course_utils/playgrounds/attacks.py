"""Playgrounds of the attacks (lessons 02 to 04): plain functions, with thin widget wiring.

* :func:`poison_playground`: attack type and poison fraction against clean
  accuracy, poisoned accuracy and attack success (lesson 02);
* :func:`targeted_budget_playground`: how many poisoned copies it takes to move
  one chosen sentence's prediction (lesson 03);
* :func:`backdoor_playground`: backdoor fraction and trigger token against clean
  accuracy and attack success (lesson 04).
"""

from __future__ import annotations

from functools import lru_cache

from .._validation import check_choice, check_fraction, check_int, check_number, check_sequence
from ..attacks import DEFAULT_TRIGGER
from ..data import load_toy, shared_sentiment
from ..experiment import sweep
from ..models import make_model
from ._common import SEEDS, draw_bars, explorer, new_figure, slider

__all__ = [
    "PLAYGROUND_ATTACKS",
    "poison_playground",
    "targeted_budget_playground",
    "backdoor_playground",
    "poison_explorer",
    "targeted_budget_explorer",
    "backdoor_explorer",
]

PLAYGROUND_ATTACKS = ("random-flip", "targeted-flip", "duplicate-flip", "backdoor")


@lru_cache(maxsize=64)
def _sweep_means(attack, fraction, trigger, seeds):
    data = shared_sentiment()
    results = sweep(data.texts, data.labels, attacks=[attack], fractions=[fraction], seeds=list(seeds),
                    trigger=trigger)
    means = results[["clean_accuracy", "poisoned_accuracy"]].mean()
    success = results["attack_success_rate"].dropna()
    clean_success = results["clean_attack_success_rate"].dropna()
    return (float(means["clean_accuracy"]), float(means["poisoned_accuracy"]),
            float(success.mean()) if len(success) else None,
            float(clean_success.mean()) if len(clean_success) else None, int(results["n_poisoned"].iloc[0]))

#: The largest ``max_copies`` of :func:`targeted_budget_playground` (it trains one model per count).
MAX_COPIES = 100

#: The most seeds an attack playground averages over (each seed runs the experiment).
MAX_SEEDS = 20


def poison_playground(attack="random-flip", fraction=0.2, *, seeds=SEEDS):
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
    seeds = _playground_seeds(seeds)
    return _attack_bars(attack, fraction, DEFAULT_TRIGGER, seeds,
                       {"clean model\naccuracy": "#555555", "poisoned model\naccuracy": "#1f77b4",
                        "attack success\n(clean model)": "#bbbbbb", "attack success\n(poisoned)": "#d62728"},
                       f"{attack} at {fraction:.0%}: mean over {len(seeds)} seeds")


def _playground_seeds(seeds):
    """``seeds`` as a tuple of non-negative ints, one to :data:`MAX_SEEDS` of them (each runs the experiment)."""
    seeds = tuple(check_int(s, "seeds", minimum=0) for s in check_sequence(seeds, "seeds", "non-negative integers"))
    if not 1 <= len(seeds) <= MAX_SEEDS:
        raise ValueError(f"seeds must hold 1 to {MAX_SEEDS} seeds in a playground, got {len(seeds)}")
    return seeds


def _attack_bars(attack, fraction, trigger, seeds, bars, title):
    """Means over seeds of one attack, drawn as four bars named by ``bars`` (name -> colour)."""
    seeds = _playground_seeds(seeds)
    clean, poisoned, success, clean_success, n_poisoned = _sweep_means(attack, fraction, trigger, seeds)
    numbers = {"clean_accuracy": clean, "poisoned_accuracy": poisoned, "attack_success_rate": success,
               "clean_attack_success_rate": clean_success, "n_poisoned": n_poisoned}
    figure, ax = new_figure()
    draw_bars(ax, dict(zip(bars, (clean, poisoned, clean_success, success))), list(bars.values()), title)
    return figure, numbers


def _toy():
    return load_toy()[0]


def _probe_positive(copied_index, copies, probe):
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
    max_copies : int in [1, MAX_COPIES], default=10
        The figure's range (one model is trained per count, so it is bounded by
        :data:`MAX_COPIES`).

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        ``copies``, ``probability_positive``, ``prediction``. The fewest copies that
        flip the prediction is left out on purpose: it is exercise 03's question 3.
    """
    max_copies = check_number(max_copies, "max_copies", low=1, high=MAX_COPIES, integer=True)
    copies = check_int(copies, "copies", minimum=0)
    if copies > max_copies:
        raise ValueError(f"copies must be at most max_copies={max_copies}, got {copies}")
    copied_index = check_int(copied_index, "copied_index", minimum=0)
    if copied_index >= len(_toy()):
        raise ValueError(f"copied_index must be below {len(_toy())}, got {copied_index}")
    if not isinstance(probe, str) or not probe.strip():
        raise ValueError("probe must be a non-empty sentence")
    curve = [_probe_positive(copied_index, k, probe) for k in range(max_copies + 1)]
    probability, prediction = curve[copies]
    figure, ax = new_figure()
    ax.plot(range(max_copies + 1), [p for p, _ in curve], marker="o", color="#d62728", label="P(positive)")
    ax.axhline(0.5, color="#555555", linestyle="--", linewidth=1.2, label="decision boundary")
    ax.plot([copies], [probability], marker="o", markersize=12, color="black", label=f"{copies} copies")
    ax.set_ylim(0, 1)
    ax.set_title(f"Moving one prediction: {probe!r}")
    ax.set_xlabel(f"relabelled copies of toy sentence {copied_index}")
    ax.set_ylabel("P(positive)")
    ax.legend()
    numbers = {"copies": copies, "probability_positive": probability, "prediction": prediction}
    return figure, numbers


def backdoor_playground(fraction=0.03, trigger=DEFAULT_TRIGGER, *, seeds=SEEDS):
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


def poison_explorer():
    """Attack and fraction controls for :func:`poison_playground`."""
    import ipywidgets as widgets

    return explorer(poison_playground,
                    attack=widgets.Dropdown(options=PLAYGROUND_ATTACKS, value="random-flip", description="attack"),
                    fraction=slider("poison fraction", 0.2, 0.0, 0.5, 0.05))


def targeted_budget_explorer():
    """A copies slider for :func:`targeted_budget_playground`."""
    import ipywidgets as widgets

    return explorer(targeted_budget_playground,
                    copies=widgets.IntSlider(value=2, min=0, max=10, step=1, description="poisoned copies",
                                             continuous_update=False, style={"description_width": "initial"}),
                    copied_index=widgets.fixed(1), probe=widgets.fixed("I really love this!"))


def backdoor_explorer():
    """Fraction and trigger controls for :func:`backdoor_playground`."""
    import ipywidgets as widgets

    return explorer(backdoor_playground,
                    fraction=slider("backdoor fraction", 0.03, 0.0, 0.1, 0.005, ".3f"),
                    trigger=widgets.Dropdown(options=["cf", "movie", "the"], value="cf", description="trigger"))
