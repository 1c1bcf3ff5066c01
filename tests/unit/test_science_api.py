"""The one-implementation helpers of the layered package: scalars, shares, models, attack success."""

import math

import matplotlib
import numpy as np
import pandas as pd
import pytest
from sklearn.naive_bayes import MultinomialNB

from course_utils._validation import check_number, rows_for_share, set_known_params
from course_utils.attacks import (
    ATTACKS,
    insert_trigger,
    measure_attack_success,
    mentions,
    poison_budget,
    subpopulation_flip,
    targeted_flip,
)
from course_utils.data import load_sentiment, shared_sentiment
from course_utils.detect import KNNDisagreement, make_detector
from course_utils.experiment import run_experiment, split_data, sweep
from course_utils.metrics import attack_success_rate
from course_utils.models import MODELS, make_classifier, make_model, make_vectorizer
from course_utils.plotting import ATTACK_COLORS, EXTRA_COLORS, attack_colors, plot_sweep

matplotlib.use("Agg")


@pytest.mark.parametrize("value, kwargs, error, message", [
    (True, {}, TypeError, "must be a number"),
    ("3", {}, TypeError, "got str '3'"),
    (math.nan, {}, ValueError, "got nan"),
    (0.0, {"low": 0, "low_open": True}, ValueError, r"in \(0, inf\)"),
    (1.5, {"low": 0, "high": 1}, ValueError, r"in \[0, 1\], got 1.5"),
    (2.5, {"integer": True}, TypeError, "must be an integer"),
    (0, {"low": 1, "integer": True}, ValueError, r"integer in \[1, inf\), got 0"),
])
def test_check_number_names_the_argument_and_the_accepted_values(value, kwargs, error, message):
    with pytest.raises(error, match=message):
        check_number(value, "knob", **kwargs)
    with pytest.raises(error, match="^knob must be"):
        check_number(value, "knob", **kwargs)


def test_check_number_accepts_numpy_scalars_and_returns_plain_types():
    assert check_number(np.float64(0.5), "x", low=0, high=1) == 0.5
    assert type(check_number(np.int64(3), "n", integer=True)) is int
    assert check_number(1, "x", low=0, high=1) == 1.0


def test_one_rounding_rule_for_attack_fractions_and_flag_shares():
    # Halves round up, unlike Python's round (2.5 -> 2).
    assert rows_for_share(0.5, 5) == 3 and round(0.5 * 5) == 2
    assert all(poison_budget(f, n) == rows_for_share(f, n) for f in (0.0, 0.01, 0.1, 0.5, 1.0) for n in (0, 7, 2250))
    detector = KNNDisagreement().fit([f"row {i} text" for i in range(10)], ["a", "b"] * 5)
    assert len(detector.flag(flag_share=0.25)) == rows_for_share(0.25, 10) == 3


def test_set_known_params_refuses_unknown_names():
    with pytest.raises(ValueError, match="unknown parameter 'alfa' for the model; its parameters are: alpha"):
        set_known_params(MultinomialNB(), {"alfa": 1}, "the model")
    assert set_known_params(MultinomialNB(), {"alpha": 0.5}, "the model").alpha == 0.5


def test_models_are_built_from_the_same_parts_as_the_pipelines():
    for name in MODELS:
        pipeline = make_model(name, random_state=0)
        assert type(pipeline[0]) is type(make_vectorizer(name))
        assert type(pipeline[-1]) is type(make_classifier(name, random_state=0))
    replaced = make_model(classifier=MultinomialNB(alpha=0.1))
    assert replaced[-1].alpha == 0.1
    with pytest.raises(TypeError, match="classifier must be a scikit-learn classifier"):
        make_model(classifier="nb")
    with pytest.raises(ValueError, match="model must be one of"):
        make_vectorizer("bert")


@pytest.fixture(scope="module")
def split():
    data = load_sentiment()
    return split_data(data.texts, data.labels, 0.25, 0)


def test_measure_attack_success_is_the_rule_the_experiment_reports(split):
    data = shared_sentiment()
    train_texts, test_texts, train_labels, test_labels = split
    for attack, kwargs in (("backdoor", {"target_label": "negative"}),
                           ("targeted-flip", {"source_label": "positive", "target_label": "negative"})):
        result = run_experiment(data.texts, data.labels, attack=attack, fraction=0.05, seed=0)
        poisoned = ATTACKS[attack](train_texts, train_labels, 0.05, random_state=0, **kwargs)
        model = make_model(random_state=0).fit(poisoned.texts, poisoned.labels)
        assert measure_attack_success(model, attack, test_texts, test_labels, random_state=0,
                                      **kwargs) == result["attack_success_rate"]
    clean = make_model().fit(train_texts, train_labels)
    # The backdoor rule by hand: the trigger in every non-target test row, the share read as the target.
    victims = test_labels != "negative"
    triggered = insert_trigger([t for t, v in zip(test_texts, victims) if v], "cf", random_state=7)
    by_hand = attack_success_rate(test_labels[victims], clean.predict(triggered), "negative")
    assert measure_attack_success(clean.predict, "backdoor", test_texts, test_labels, target_label="negative",
                                  random_state=7) == by_hand
    assert measure_attack_success(clean, "random-flip", test_texts, test_labels) is None
    with pytest.raises(ValueError, match="needs target_label"):
        measure_attack_success(clean, "backdoor", test_texts, test_labels)
    with pytest.raises(TypeError, match="predict method"):
        measure_attack_success(42, "backdoor", test_texts, test_labels, target_label="negative")
    with pytest.raises(ValueError, match="attack must be one of"):
        measure_attack_success(clean, "flood", test_texts, test_labels)


def test_subpopulation_flip_relabels_exactly_the_topic_rows_of_the_source_class(split):
    train_texts, _, train_labels, _ = split
    labels_before = train_labels.copy()
    flip = subpopulation_flip(train_texts, train_labels, "service", source_label="positive", target_label="negative")
    topic = mentions(train_texts, "service")
    expected = np.flatnonzero(topic & (labels_before == "positive"))
    assert np.array_equal(flip.poisoned_indices, expected) and len(expected) > 5
    assert np.all(flip.labels[expected] == "negative")
    untouched = np.setdiff1d(np.arange(len(train_texts)), expected)
    assert np.array_equal(flip.labels[untouched], labels_before[untouched])
    assert np.array_equal(train_labels, labels_before) and flip.texts == list(train_texts)
    # Tokens as the vectoriser reads them: "Service!" counts, "services" does not.
    assert mentions(["Great Service!", "services were slow", "self-service"], "service").tolist() == [True, False, True]
    with pytest.raises(ValueError, match="word must be one token"):
        mentions(train_texts, "good service")
    with pytest.raises(ValueError, match="must differ"):
        subpopulation_flip(train_texts, train_labels, "service", source_label="positive", target_label="positive")


def test_sweep_applies_the_given_source_and_target_to_duplicate_flip_as_run_experiment_does():
    data = shared_sentiment()
    labels = {"source_label": "positive", "target_label": "negative"}
    swept = sweep(data.texts, data.labels, attacks=["duplicate-flip"], fractions=[0.1], seeds=[0], **labels)
    single = run_experiment(data.texts, data.labels, attack="duplicate-flip", fraction=0.1, seed=0, **labels)
    row = swept.iloc[0]
    assert (row["source_label"], row["target_label"]) == ("positive", "negative")
    for key in ("poisoned_accuracy", "attack_success_rate", "clean_attack_success_rate", "n_poisoned"):
        assert row[key] == single[key], key
    assert single["attack_success_rate"] is not None  # a duplicate-flip given both labels is targeted


def test_attack_colors_keep_the_known_ones_and_give_others_distinct_colours():
    colors = attack_colors(["random-flip", "subpopulation", "backdoor", "mine", "subpopulation"])
    assert colors["random-flip"] == ATTACK_COLORS["random-flip"] and colors["backdoor"] == ATTACK_COLORS["backdoor"]
    assert colors["subpopulation"] == EXTRA_COLORS[0] and colors["mine"] == EXTRA_COLORS[1]
    assert not set(EXTRA_COLORS) & set(ATTACK_COLORS.values())
    summary = pd.DataFrame({"attack": ["mine"] * 2 + ["backdoor"] * 2, "fraction": [0.0, 0.1] * 2,
                            "m_mean": [0.8, 0.7, 0.8, 0.8], "m_low": [0.7] * 4, "m_high": [0.9] * 4})
    ax = plot_sweep(summary, "m")
    assert [line.get_color() for line in ax.get_lines()] == [EXTRA_COLORS[0], ATTACK_COLORS["backdoor"]]


def test_targeted_flip_is_unchanged_by_the_shared_rounding():
    labels = np.array(["a"] * 5 + ["b"] * 5)
    flip = targeted_flip([f"t{i}" for i in range(10)], labels, 0.25, source_label="a", target_label="b",
                         random_state=0)
    assert len(flip.poisoned_indices) == 3  # 2.5 rows round up


def test_make_detector_overrides_the_course_settings_by_parameter_name():
    assert make_detector("confident").estimators == ("count-nb", "tfidf-logreg", "knn")
    assert make_detector("confident", estimators=("knn",)).estimators == ("knn",)
    assert make_detector("knn", random_state=4).random_state == 4
    with pytest.raises(ValueError, match="unknown parameter 'k' for the knn detector"):
        make_detector("knn", k=3)
