"""Lesson 08's grids (course_utils.regularization) give run_experiment's numbers for the same settings.

One seed and one attack (the backdoor, whose success is measured on triggered test rows, the grids'
most intricate path), on the shipped data: fast, and enough to catch a grid that drifts from the
shared experiment.
"""

import math

import pytest

from course_utils.data import load_sentiment
from course_utils.experiment import run_experiment
from course_utils.regularization import alpha_sweep, c_sweep, penalty_grid

ATTACK, FRACTION, SEED, TRIGGER = "backdoor", 0.03, 0, "cf"


@pytest.fixture(scope="module")
def data():
    return load_sentiment()


def _same(a, b):
    return (a is None and (b is None or math.isnan(b))) or a == b


def _experiment(data, fraction, **settings):
    return run_experiment(data.texts, data.labels, attack=ATTACK, fraction=fraction, seed=SEED, trigger=TRIGGER,
                          **settings)


@pytest.mark.parametrize("kind", ["alpha", "C"])
def test_a_sweep_row_is_run_experiment_with_the_same_regularization(data, kind):
    grid = {ATTACK: [0.0, FRACTION]}
    if kind == "alpha":
        rows = alpha_sweep(data.texts, data.labels, alphas=[0.1, 1.0], attacks=[ATTACK], fractions=grid,
                           seeds=[SEED], trigger=TRIGGER)
    else:
        rows = c_sweep(data.texts, data.labels, c_values=[1.0, 10.0], penalties=["l2"], attacks=[ATTACK],
                       fractions=grid, seeds=[SEED], trigger=TRIGGER)
    assert len(rows) == 4
    for row in rows.to_dict("records"):
        model = {"alpha": "count-nb", "C": "tfidf-logreg"}[kind]
        expected = _experiment(data, row["fraction"], model=model, defense_params={kind: row[kind]})
        for column in ("clean_accuracy", "poisoned_accuracy", "clean_attack_success_rate", "attack_success_rate",
                       "n_poisoned"):
            assert _same(expected[column], row[column]), (kind, row[kind], row["fraction"], column)


def test_a_penalty_grid_row_is_run_experiment_with_the_trainer(data):
    # reweight scores the loss filter's rows with the same model and folds: the grid hands it the loss
    # filter's out-of-fold probabilities, and its rows must still be run_experiment's
    defenses = {"loss-filter": ("count-nb", "loss-filter", {"drop_share": 0.05}),
                "reweight": ("count-nb", "reweight", {}),
                "robust-loss": ("tfidf-logreg", "robust-loss", {})}
    rows = penalty_grid(data.texts, data.labels, defenses=defenses, attacks=[ATTACK], fractions={ATTACK: [FRACTION]},
                        seeds=[SEED], trigger=TRIGGER)
    assert list(rows["defense"]) == list(defenses)
    for row in rows.to_dict("records"):
        model, defense, params = defenses[row["defense"]]
        expected = _experiment(data, FRACTION, model=model, defense=defense, defense_params=params)
        for column in ("clean_accuracy", "poisoned_accuracy", "attack_success_rate", "defended_accuracy",
                       "clean_attack_success_rate", "defended_attack_success_rate", "n_poisoned"):
            assert _same(expected[column], row[column]), (row["defense"], column)
        clean = _experiment(data, 0.0, model=model, defense=defense, defense_params=params)
        assert clean["defended_accuracy"] == row["defended_clean_accuracy"], row["defense"]


def test_one_features_cache_for_every_grid_changes_no_row(data):
    from course_utils.detect import TextFeatures
    from course_utils.evaluation import evaluate_detectors

    grid = {"attacks": [ATTACK, "random-flip"], "fractions": {ATTACK: [FRACTION], "random-flip": [0.1]},
            "seeds": [SEED, 1], "trigger": TRIGGER}
    features = TextFeatures()
    for run in (lambda **kw: alpha_sweep(data.texts, data.labels, alphas=[0.3, 1.0], **grid, **kw),
                lambda **kw: c_sweep(data.texts, data.labels, c_values=[1.0], penalties=["l2", "l1"], **grid, **kw),
                lambda **kw: penalty_grid(data.texts, data.labels, defenses={"lf": ("count-nb", "loss-filter", {})},
                                          **grid, **kw).drop(columns="seconds")):
        assert run(features=features).equals(run())
    detectors = {"runs": [(ATTACK, FRACTION, ["trigger"]), ("random-flip", 0.1, ["knn"])],
                 "detectors": {"trigger": "trigger", "knn": "knn"}, "seeds": [SEED, 1], "trigger": TRIGGER,
                 "retrain": {(ATTACK, FRACTION): ["trigger"]}}
    shared = evaluate_detectors(data.texts, data.labels, **detectors, features=features).drop(columns="seconds")
    assert shared.equals(evaluate_detectors(data.texts, data.labels, **detectors).drop(columns="seconds"))
    for bad in ({}, "features"):
        with pytest.raises(TypeError, match="features must be"):
            alpha_sweep(data.texts, data.labels, alphas=[1.0], **grid, features=bad)
        with pytest.raises(TypeError, match="features must be"):
            evaluate_detectors(data.texts, data.labels, **detectors, features=bad)
