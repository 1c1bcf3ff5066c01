"""The stream playground (lesson 09): a coordinated burst against a rate limit, the alarm and the damage."""

from __future__ import annotations

import numpy as np

from .._validation import check_int
from ..monitoring import calibrate_monitors, shared_stream_data, simulate_stream
from ._common import explorer, new_figure

__all__ = ["PLAYGROUND_CALIBRATION_SEEDS", "stream_playground", "stream_explorer"]

#: The clean streams the playground's thresholds are calibrated on (lesson 09's defaults).
PLAYGROUND_CALIBRATION_SEEDS = tuple(range(1000, 1040))


def stream_playground(burst_rows=40, rate_limit=0, *, seed=0, alpha=0.01, lookback=4):
    """One seeded stream with a coordinated burst: when does an alarm come, and what has it cost by then?

    Parameters
    ----------
    burst_rows : int in [0, 200], default=40
        Rows the attacker's eight accounts send in each of the burst's three batches.
    rate_limit : int in [0, 50], default=0
        Rows a contributor may send per batch (the rest are dropped); 0 means no limit.
    seed : int, default=0
        The stream's seed.
    alpha : float, default=0.01
        The per-batch false-alarm rate every monitor is calibrated to (on the clean streams of
        :data:`PLAYGROUND_CALIBRATION_SEEDS`).
    lookback : int, default=4
        Batches an alarm quarantines, the alarm batch included.

    Returns
    -------
    figure : matplotlib Figure
        Canary accuracy and attack success of the stream and of its unpoisoned twin, the burst and the first alarm.
    numbers : dict
        ``rows_passed`` (poisoned rows that got through the limit), ``first_alarm_batch`` and ``delay``
        (any monitor; ``None`` without an alarm), ``canary_accuracy_at_alarm``,
        ``attack_success_at_alarm``, ``canary_accuracy_after_rollback``,
        ``attack_success_after_rollback`` and ``final_attack_success`` (no response at all).
    """
    burst_rows = check_int(burst_rows, "burst_rows", minimum=0)
    rate_limit = check_int(rate_limit, "rate_limit", minimum=0)
    if burst_rows > 200:
        raise ValueError(f"burst_rows must be an integer in [0, 200], got {burst_rows}")
    if rate_limit > 50:
        raise ValueError(f"rate_limit must be an integer in [0, 50], got {rate_limit}")
    data = shared_stream_data()
    monitors = calibrate_monitors(data, PLAYGROUND_CALIBRATION_SEEDS, alpha)
    thresholds = {name: m.threshold_ for name, m in monitors.items()}
    result = simulate_stream(data, "burst", seed=seed, thresholds=thresholds, lookback=lookback,
                             burst_rows=burst_rows, rate_limit=rate_limit or None)
    stream, entry = result["stream"], result["monitors"]["any"]
    numbers = {"rows_passed": int(sum(p.sum() for p in stream.poisoned)),
               "first_alarm_batch": entry["first_alarm_batch"], "delay": entry["delay"]}
    for key in ("canary_accuracy_at_alarm", "attack_success_at_alarm", "canary_accuracy_after_rollback",
                "attack_success_after_rollback"):
        numbers[key] = entry.get(key)
    numbers["final_attack_success"] = float(result["attacked"]["attack_success"][-1])
    figure = _timeline(result, entry, f"burst of {burst_rows} rows a batch, "
                       + (f"rate limit {rate_limit}" if rate_limit else "no rate limit"))
    return figure, numbers


def _timeline(result, entry, title):
    figure, ax = new_figure()
    x = np.arange(len(result["attacked"]["canary_accuracy"]))  # checkpoint k: before batch k
    ax.plot(x, result["clean"]["canary_accuracy"], color="#7f7f7f", linestyle="--", label="canary accuracy, twin")
    ax.plot(x, result["attacked"]["canary_accuracy"], color="#1f77b4", label="canary accuracy")
    ax.plot(x, result["attacked"]["attack_success"], color="#d62728", label="attack success")
    batches = result["stream"].attack_batches
    if batches:
        ax.axvspan(batches[0], batches[-1] + 1, color="#d62728", alpha=0.08, label="burst")
    if entry["first_alarm_batch"] is not None:
        ax.axvline(entry["first_alarm_batch"] + 1, color="black", linewidth=1.2, label="first alarm")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.set_xlabel("checkpoint (batches learned)")
    ax.set_ylabel("share")
    ax.legend(fontsize=8, loc="lower left")
    return figure


def stream_explorer():
    """Burst-size and rate-limit sliders for :func:`stream_playground`."""
    import ipywidgets as widgets

    def int_slider(description, value, maximum, step):
        return widgets.IntSlider(value=value, min=0, max=maximum, step=step, description=description,
                                 continuous_update=False, style={"description_width": "initial"})

    return explorer(stream_playground, burst_rows=int_slider("burst rows per batch", 40, 200, 5),
                    rate_limit=int_slider("rate limit (0: none)", 0, 20, 1))
