"""course_utils.experiment: the shared experiment and its sweep."""

import numpy as np
import pandas as pd
import pytest

from course_utils.experiment import default_labels, run_experiment, split_data, summarize, sweep
from course_utils.models import make_model


def test_split_is_stratified_seeded_and_leaves_input_alone(sentiment):
    labels_before = sentiment.labels.copy()
    first = split_data(sentiment.texts, sentiment.labels, 0.25, 3)
    second = split_data(sentiment.texts, sentiment.labels, 0.25, 3)
    other = split_data(sentiment.texts, sentiment.labels, 0.25, 4)
    assert first[0] == second[0] and first[0] != other[0]
    assert len(first[0]) == 2250 and len(first[1]) == 750
    assert (first[3] == "positive").sum() == 375
    assert np.array_equal(sentiment.labels, labels_before)


@pytest.mark.parametrize("kwargs, message", [
    (dict(test_size=1.0), "test_size"), (dict(test_size=0), "test_size"), (dict(random_state=-1), "random_state"),
])
def test_split_errors(sentiment, kwargs, message):
    with pytest.raises(ValueError, match=message):
        split_data(sentiment.texts, sentiment.labels, **kwargs)


def test_split_needs_two_rows_per_class():
    with pytest.raises(ValueError, match="single row"):
        split_data(["a", "b", "c"], ["x", "x", "y"])


def test_make_model_is_the_reference_pipeline():
    steps = [type(step).__name__ for _, step in make_model().steps]
    assert steps == ["CountVectorizer", "MultinomialNB"]
    steps = [type(step).__name__ for _, step in make_model("tfidf-logreg").steps]
    assert steps == ["TfidfVectorizer", "LogisticRegression"]
    with pytest.raises(ValueError, match="model must be one of"):
        make_model("bert")


def test_default_labels():
    labels = ["negative", "positive"]
    assert default_labels(labels, "random-flip") == (None, None)
    assert default_labels(labels, "targeted-flip") == ("positive", "negative")
    assert default_labels(labels, "targeted-flip", source_label="negative") == ("negative", "positive")
    assert default_labels(labels, "backdoor") == (None, "negative")
    assert default_labels(labels, "duplicate-flip", source_label="positive") == ("positive", None)
    with pytest.raises(ValueError, match="is not a label"):
        default_labels(labels, "backdoor", target_label="happy")


def test_run_experiment_reports_every_field(sentiment):
    result = run_experiment(sentiment.texts, sentiment.labels, attack="targeted-flip", fraction=0.2, seed=1)
    for key in ("n_train", "n_test", "n_poisoned", "clean_accuracy", "poisoned_accuracy",
                "clean_attack_success_rate", "attack_success_rate", "seconds"):
        assert key in result
    assert result["n_train"] == 2250 and result["n_test"] == 750 and result["n_poisoned"] == 450
    assert result["attack_success_rate"] > result["clean_attack_success_rate"] + 0.3
    assert result["poisoned_accuracy"] < result["clean_accuracy"]


def test_untargeted_attacks_have_no_success_rate(sentiment):
    result = run_experiment(sentiment.texts, sentiment.labels, attack="random-flip", fraction=0.1)
    assert result["attack_success_rate"] is None and result["clean_attack_success_rate"] is None


def test_sweep_equals_plain_pipeline_runs(sentiment):
    """The sweep's reused features must give exactly what a fresh pipeline gives."""
    attacks = ["none", "random-flip", "targeted-flip", "duplicate-flip", "backdoor"]
    for model in ("count-nb", "tfidf-logreg"):
        results = sweep(sentiment.texts, sentiment.labels, attacks=attacks, fractions=[0.1], seeds=[2], model=model)
        for row in results.to_dict("records"):
            single = run_experiment(sentiment.texts, sentiment.labels, attack=row["attack"], fraction=0.1, seed=2,
                                    model=model)
            for key in ("n_poisoned", "clean_accuracy", "poisoned_accuracy",
                        "clean_attack_success_rate", "attack_success_rate"):
                expected = np.nan if single[key] is None else single[key]  # a frame stores None as NaN
                assert row[key] == pytest.approx(expected, abs=0, rel=0, nan_ok=True), (model, row["attack"], key)


@pytest.mark.parametrize("trigger", ["cf", "movie", "The", "zz"])
def test_sweep_backdoor_fast_path_equals_plain_runs(sentiment, trigger):
    """New trigger words get a column where a refitted vectoriser puts them; known ones add a count."""
    results = sweep(sentiment.texts, sentiment.labels, attacks=["backdoor"], fractions=[0.0, 0.02, 0.05], seeds=[1],
                    trigger=trigger)
    for row in results.to_dict("records"):
        single = run_experiment(sentiment.texts, sentiment.labels, attack="backdoor", fraction=row["fraction"], seed=1,
                                trigger=trigger)
        for key in ("poisoned_accuracy", "attack_success_rate", "clean_attack_success_rate"):
            assert row[key] == single[key], (trigger, row["fraction"], key)


def test_sweep_shape_and_summary(sentiment):
    results = sweep(sentiment.texts, sentiment.labels, attacks=["random-flip", "backdoor"], fractions=[0.0, 0.1],
                    seeds=[0, 1, 2])
    assert len(results) == 2 * 2 * 3
    summary = summarize(results)
    assert len(summary) == 4 and (summary["n_seeds"] == 3).all()
    row = summary[(summary.attack == "random-flip") & (summary.fraction == 0.1)].iloc[0]
    assert row.poisoned_accuracy_low <= row.poisoned_accuracy_mean <= row.poisoned_accuracy_high
    assert np.isnan(row.attack_success_rate_mean)


def test_sweep_and_summary_errors(sentiment):
    with pytest.raises(ValueError, match="attacks must not be empty"):
        sweep(sentiment.texts, sentiment.labels, attacks=[])
    with pytest.raises(ValueError, match="attacks must be one of"):
        sweep(sentiment.texts, sentiment.labels, attacks=["flood"])
    with pytest.raises(ValueError, match=r"fractions must be a number in \[0, 1\]"):
        sweep(sentiment.texts, sentiment.labels, fractions=[2.0])
    with pytest.raises(TypeError, match="results must be a pandas DataFrame"):
        summarize([1, 2])
    with pytest.raises(ValueError, match="no column"):
        summarize(pd.DataFrame({"attack": [], "fraction": []}))
    with pytest.raises(TypeError, match="bounds must be a dict"):
        summarize(pd.DataFrame({"attack": ["a"], "fraction": [0.1], "poisoned_accuracy": [0.5]}),
                  metrics=["poisoned_accuracy"], bounds=(0, 1))


def test_summarize_cuts_each_interval_at_its_metrics_range():
    frame = pd.DataFrame({"attack": ["a"] * 5, "fraction": [0.1] * 5,
                          "poisoned_accuracy": [1.0, 1.0, 0.99, 1.0, 0.99],
                          "accuracy_drop": [-0.01, 0.0, 0.01, -0.02, 0.015], "seconds": [1.0, 1.0, 1.0, 1.0, 9.0]})
    row = summarize(frame, metrics=["poisoned_accuracy", "accuracy_drop", "seconds"]).iloc[0]
    assert row["poisoned_accuracy_high"] == 1.0
    assert row["accuracy_drop_low"] < 0  # a drop may be negative: its range is (-1, 1)
    assert row["seconds_high"] > 1.0 and row["seconds_low"] < 1.0  # seconds have no range: not cut at 1


def test_the_headline_figures_hold_on_the_real_data(sentiment):
    """Means over five seeds: random flips at 0.3 hurt; a 3% backdoor succeeds silently."""
    results = sweep(sentiment.texts, sentiment.labels, attacks=["random-flip", "backdoor"], fractions=[0.0, 0.03, 0.3],
                    seeds=range(5))
    summary = summarize(results, metrics=("poisoned_accuracy", "attack_success_rate", "clean_accuracy"))
    at = summary.set_index(["attack", "fraction"])
    clean = at.loc[("random-flip", 0.0), "poisoned_accuracy_mean"]
    assert at.loc[("random-flip", 0.3), "poisoned_accuracy_high"] < at.loc[("random-flip", 0.0), "poisoned_accuracy_low"]
    assert clean - at.loc[("random-flip", 0.3), "poisoned_accuracy_mean"] > 0.03
    assert at.loc[("backdoor", 0.03), "attack_success_rate_mean"] > 0.8
    assert abs(at.loc[("backdoor", 0.03), "poisoned_accuracy_mean"] - at.loc[("backdoor", 0.03), "clean_accuracy_mean"]) < 0.03


def test_sweep_follows_the_data_not_an_earlier_sweep(sentiment):
    """Prepared splits are reused by content: changed labels or texts give fresh numbers."""
    arguments = dict(attacks=["random-flip", "backdoor"], fractions=[0.0, 0.05], seeds=[3])
    first = sweep(sentiment.texts, sentiment.labels, **arguments)
    again = sweep(list(sentiment.texts), sentiment.labels.copy(), **arguments)
    pd.testing.assert_frame_equal(first, again)

    relabelled = sentiment.labels.copy()
    relabelled[:300] = "negative"  # a different data set with the same texts
    changed = sweep(sentiment.texts, relabelled, **arguments)
    for row in changed.to_dict("records"):
        single = run_experiment(sentiment.texts, relabelled, attack=row["attack"], fraction=row["fraction"], seed=3)
        assert row["clean_accuracy"] == single["clean_accuracy"]
        assert row["poisoned_accuracy"] == single["poisoned_accuracy"]
    assert not changed["clean_accuracy"].equals(first["clean_accuracy"])

    # The caller's objects are never touched, and a result frame changed by the caller
    # does not leak into the next sweep.
    first.loc[:, "poisoned_accuracy"] = -1.0
    pd.testing.assert_frame_equal(sweep(sentiment.texts, sentiment.labels, **arguments), again)
