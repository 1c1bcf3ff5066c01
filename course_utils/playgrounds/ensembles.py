"""The partition-ensemble playground (lesson 07): how many partitions, what accuracy, what certificate."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._validation import check_choice, check_int
from ..data import shared_sentiment
from ..defenses.ensembles import SCHEMES, PartitionEnsemble
from ..experiment import split_data
from ._common import explorer, new_figure

__all__ = ["MAX_PARTITIONS", "PLAYGROUND_RADII", "partition_playground", "partition_explorer"]

#: The largest number of partitions the playground offers.
MAX_PARTITIONS = 200
#: The radii on the playground's certified-accuracy curve.
PLAYGROUND_RADII = tuple(range(0, 31))


@lru_cache(maxsize=8)
def _split_counts(seed):
    from sklearn.feature_extraction.text import CountVectorizer

    data = shared_sentiment()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
    vectorizer = CountVectorizer().fit(train_texts)
    return train_texts, vectorizer.transform(train_texts), train_labels, vectorizer.transform(test_texts), test_labels


def partition_playground(n_partitions=50, scheme="dpa", *, seed=0):
    """Train a partition ensemble on one split; plot its certified accuracy against the radius.

    Parameters
    ----------
    n_partitions : int in [1, 200], default=50
    scheme : {"dpa", "finite-aggregation"}, default="dpa"
    seed : int, default=0

    Returns
    -------
    figure : matplotlib Figure
    numbers : dict
        ``clean_accuracy``, ``plain_accuracy`` (one Naive Bayes on every row), ``median_radius``,
        ``certified_at_5``, ``certified_at_10``, ``largest_radius``.
    """
    n_partitions = check_int(n_partitions, "n_partitions", minimum=1)
    if n_partitions > MAX_PARTITIONS:
        raise ValueError(f"n_partitions must be an integer in [1, {MAX_PARTITIONS}], got {n_partitions}")
    check_choice(scheme, "scheme", SCHEMES)
    seed = check_int(seed, "seed", minimum=0)
    train_texts, X, y, X_test, y_test = _split_counts(seed)
    ensemble = PartitionEnsemble(n_partitions=n_partitions, scheme=scheme).fit(X, y, partition_keys=train_texts)
    plain = PartitionEnsemble(n_partitions=1).fit(X, y, partition_keys=train_texts)
    radius = ensemble.certified_radius(X_test)
    correct = ensemble.predict(X_test) == y_test
    curve = [float(np.mean(correct & (radius >= r))) for r in PLAYGROUND_RADII]
    figure, ax = new_figure()
    ax.step(PLAYGROUND_RADII, curve, where="post", color="#1f77b4", label=f"{scheme}, k={n_partitions}")
    ax.axhline(float(np.mean(plain.predict(X_test) == y_test)), color="#555555", linestyle="--", linewidth=1.2,
               label="one model, clean accuracy")
    ax.set_ylim(0, 1)
    ax.set_title("Certified accuracy against the radius")
    ax.set_xlabel("radius (poisoned training rows)")
    ax.set_ylabel("certified accuracy")
    ax.legend()
    numbers = {"clean_accuracy": float(correct.mean()),
               "plain_accuracy": float(np.mean(plain.predict(X_test) == y_test)),
               "median_radius": float(np.median(radius)), "certified_at_5": curve[5], "certified_at_10": curve[10],
               "largest_radius": int(radius.max())}
    return figure, numbers


def partition_explorer():
    """Partition-count and scheme controls for :func:`partition_playground`."""
    import ipywidgets as widgets

    return explorer(partition_playground,
                    n_partitions=widgets.IntSlider(value=50, min=1, max=MAX_PARTITIONS, step=1,
                                                   description="n_partitions", continuous_update=False,
                                                   style={"description_width": "initial"}),
                    scheme=widgets.Dropdown(options=SCHEMES, value="dpa", description="scheme"))
