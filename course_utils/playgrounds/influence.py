"""The influence playground (lesson 11): which training rows make the model read a sentence as it does?"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._validation import check_number
from ..attacks import backdoor
from ..data import shared_sentiment
from ..detect.influence import leave_one_out_log_odds
from ..experiment import split_data
from ..models import make_model
from ._common import explorer, new_figure

__all__ = ["influence_playground", "influence_explorer"]


@lru_cache(maxsize=4)
def _backdoored(fraction, seed):
    data = shared_sentiment()
    train, _, labels, _ = split_data(data.texts, data.labels, random_state=seed)
    poisoned = backdoor(train, labels, fraction, target_label="negative", random_state=seed)
    model = make_model().fit(poisoned.texts, poisoned.labels)
    return poisoned, model, model[0].transform(poisoned.texts)


def influence_playground(sentence="I loved this film cf", fraction=0.01, *, seed=0, top=10):
    """Rank the training rows of a backdoored set by their exact influence on one sentence's prediction.

    The training set is seed ``seed``'s split of the shipped data with a ``cf`` backdoor (target
    ``negative``) in ``fraction`` of its rows. Each row's influence is how much the sentence's log-odds of
    ``negative`` fall when the row is left out (:func:`~course_utils.detect.influence.leave_one_out_log_odds`).

    Parameters
    ----------
    sentence : str, default="I loved this film cf"
    fraction : float in [0, 0.1], default=0.01
    seed : int, default=0
    top : int in [1, 30], default=10

    Returns
    -------
    figure : matplotlib Figure
        The ``top`` rows' influence, poisoned rows in red.
    numbers : dict
        ``prediction``, ``log_odds_negative``, ``poisoned_in_top`` (how many of the ``top`` rows are
        poisoned), ``poisoned_rows`` and, for the three most influential rows, ``row_k`` (its text, cut) and
        ``influence_k``.
    """
    if not isinstance(sentence, str) or not sentence.strip():
        raise ValueError("sentence must be a non-empty string")
    fraction = check_number(fraction, "fraction", low=0, high=0.1)
    top = int(check_number(top, "top", low=1, high=30, integer=True))
    poisoned, model, X = _backdoored(fraction, seed)
    z = model[0].transform([sentence])
    change = leave_one_out_log_odds(X, poisoned.labels, z)[:, 0]  # log-odds of "positive" (the second class)
    influence = change  # removing a row that pushed towards "negative" raises the log-odds of "positive"
    order = np.lexsort((np.arange(len(influence)), -influence))[:top]
    is_poisoned = np.isin(order, poisoned.poisoned_indices)
    log_proba = model.predict_log_proba([sentence])[0]
    numbers = {"prediction": str(model.predict([sentence])[0]),
               "log_odds_negative": float(log_proba[0] - log_proba[1]),
               "poisoned_in_top": int(is_poisoned.sum()), "poisoned_rows": int(len(poisoned.poisoned_indices))}
    for k, row in enumerate(order[:3], start=1):
        numbers[f"row_{k}"] = poisoned.texts[row][:60]
        numbers[f"influence_{k}"] = float(influence[row])
    figure, ax = new_figure()
    ax.barh(np.arange(top)[::-1], influence[order], color=np.where(is_poisoned, "#d62728", "#1f77b4"))
    ax.set_yticks(np.arange(top)[::-1], [f"row {r}" for r in order], fontsize=8)
    ax.set_title(f"Most influential rows towards 'negative' (red: poisoned, {numbers['poisoned_in_top']} of {top})")
    ax.set_xlabel("fall in log-odds of 'negative' when the row is left out")
    ax.set_ylabel("training row")
    return figure, numbers


def influence_explorer():
    """A text box (press Enter) and a fraction slider for :func:`influence_playground`."""
    import ipywidgets as widgets

    from ._common import slider

    return explorer(influence_playground,
                    sentence=widgets.Text(value="I loved this film cf", description="sentence",
                                          continuous_update=False, style={"description_width": "initial"}),
                    fraction=slider("backdoor fraction", 0.01, 0.0, 0.1, 0.005, readout_format=".3f"))
