"""course_utils.curation and the curation playground: curated training through a real registry."""

import numpy as np
import pytest

from course_utils.curation import (
    CURATION_ATTACKS,
    POISONERS,
    _SeedCounts,
    curation_trial,
    curation_trials,
    poisoning_rows,
    review_rows,
)
from course_utils.experiment import split_data
from course_utils.models import make_model


def test_seed_counts_score_exactly_as_a_fitted_pipeline(sentiment):
    train, test, y_train, y_test = split_data(sentiment.texts, sentiment.labels, random_state=3)
    counts = _SeedCounts(train, test, y_test, "cf", 3)
    subset = np.random.default_rng(0).choice(len(train), 700, replace=False)
    texts, labels = [train[i] for i in subset], y_train[subset]
    got = counts.score(texts, labels, ["targeted-flip", "backdoor"])
    model = make_model().fit(texts, labels)
    predictions = model.predict(test)
    assert got["accuracy"] == np.mean(predictions == y_test)
    victims = [t for t, y in zip(test, y_test) if y != "negative"]
    from course_utils.attacks import insert_trigger

    assert got["backdoor"] == np.mean(model.predict(insert_trigger(victims, "cf", random_state=3)) == "negative")
    assert got["targeted-flip"] == np.mean(predictions[y_test == "positive"] == "negative")


def test_one_trial_equals_its_row_of_the_batch(sentiment):
    batch = curation_trials(sentiment.texts, sentiment.labels, seeds=(1,))
    assert [row["attack"] for row in batch] == list(CURATION_ATTACKS)
    for row in batch:
        alone = curation_trial(sentiment.texts, sentiment.labels, attack=row["attack"], seed=1)
        # the batch's snapshot holds every poisoner's approved rows; everything else is what the attack gets alone
        assert {k: v for k, v in alone.items() if k != "snapshot_rows"} == \
            {k: v for k, v in row.items() if k != "snapshot_rows"}
        assert row["poisoner"] == POISONERS[row["attack"]] and row["log_intact"] is True
        assert row["sent"] == 100 and row["refused_by_quota"] == 50
        assert 0 <= row["poison_admitted"] <= row["sent"] and 0 <= row["honest_rejected"] <= row["honest_rows"]


def test_review_threshold_zero_admits_everything_and_one_almost_nothing(sentiment):
    everything = curation_trial(sentiment.texts, sentiment.labels, seed=0, review_threshold=0.0)
    assert everything["poison_admitted"] == everything["sent"] and everything["honest_rejected"] == 0
    assert everything["reviewed_attack_success"] == pytest.approx(everything["unreviewed_attack_success"])
    strict = curation_trial(sentiment.texts, sentiment.labels, seed=0, review_threshold=1.0)
    assert strict["poison_admitted"] <= 1 and strict["honest_rejected"] >= 0.9 * strict["honest_rows"]


def test_the_database_and_snapshot_stay_where_asked(sentiment, tmp_path):
    curation_trial(sentiment.texts, sentiment.labels, seed=2, folder=tmp_path)
    assert (tmp_path / "seed2" / "registry.db").exists()
    assert (tmp_path / "seed2" / "snapshot" / "manifest.json").exists()


def test_poisoning_rows_and_review_rows():
    texts = [f"good film {i}" for i in range(5)] + [f"bad film {i}" for i in range(5)]
    labels = ["positive"] * 5 + ["negative"] * 5
    before = list(texts)
    flips, flip_labels = poisoning_rows(texts, labels, "targeted-flip", 3, random_state=0)
    assert set(flips) <= set(texts[:5]) and flip_labels == ["negative"] * 3
    clean, clean_labels = poisoning_rows(texts, labels, "clean-label-trigger", 2, random_state=0)
    assert all("cf" in t.split() and t.replace(" cf", "").replace("cf ", "") in texts[5:] for t in clean)
    assert texts == before
    with pytest.raises(ValueError, match="n_rows must be at most the 5 positive rows"):
        poisoning_rows(texts, labels, "backdoor", 6)
    with pytest.raises(ValueError, match="attack"):
        poisoning_rows(texts, labels, "magic", 1)
    verdicts = review_rows(texts, labels, ["good film 9", "bad film 0"], ["positive", "positive"], 0.5)
    assert verdicts.tolist() == [True, False]
    with pytest.raises(ValueError, match="threshold"):
        review_rows(texts, labels, ["x"], ["positive"], 1.5)


@pytest.mark.parametrize("call, message", [
    (lambda d: curation_trial(d.texts, d.labels, attack="random-flip"), "attack"),
    (lambda d: curation_trial(d.texts, d.labels, review_threshold=-0.1), "review_threshold"),
    (lambda d: curation_trial(d.texts, d.labels, honest_rows=5000), "honest_rows"),
    (lambda d: curation_trial(d.texts, d.labels, trusted_share=1.0), "trusted_share"),
    (lambda d: curation_trial(d.texts, d.labels, folder=3), "folder"),
    (lambda d: curation_trials(d.texts, d.labels, seeds=5), "seeds"),
    (lambda d: curation_trials(d.texts, d.labels, seeds=[-1]), "seeds"),
    (lambda d: curation_trials(d.texts, d.labels, attacks="backdoor"), "attacks"),
    (lambda d: curation_trial(d.texts, d.labels, trigger="two words"), "trigger"),
])
def test_bad_arguments(sentiment, call, message):
    with pytest.raises((ValueError, TypeError), match=message):
        call(sentiment)


def test_review_playground_matches_a_direct_trial(sentiment):
    from course_utils.playgrounds.curation import review_playground

    figure, numbers = review_playground(0.7, "backdoor")
    trial = curation_trial(sentiment.texts, sentiment.labels, attack="backdoor", seed=0, review_threshold=0.7)
    assert numbers["poison_admitted"] == trial["poison_admitted"]
    assert numbers["attack_success_reviewed"] == trial["reviewed_attack_success"]
    assert numbers["honest_rejected"] == trial["honest_rejected"]
    assert len(figure.axes[0].patches) == 3
    with pytest.raises(ValueError, match="review_threshold"):
        review_playground(2.0)
    with pytest.raises(ValueError, match="attack"):
        review_playground(0.5, "magic")


def test_review_explorer_updates_only_on_release():
    from course_utils.playgrounds.curation import review_explorer

    interface = review_explorer()
    controls = {c._kwarg: c for c in interface.kwargs_widgets if type(c).__name__ != "fixed"}
    assert sorted(controls) == ["attack", "review_threshold"]
    assert controls["review_threshold"].continuous_update is False


def test_the_reviewer_from_counts_gives_the_pipelines_probabilities(sentiment):
    train, test, y_train, y_test = split_data(sentiment.texts, sentiment.labels, random_state=4)
    counts = _SeedCounts(train, test, y_test, "cf", 4)
    model = counts.fit(train[:900], y_train[:900])
    pipeline = make_model().fit(train[:900], y_train[:900])
    assert list(model.classes_) == list(pipeline.classes_)
    np.testing.assert_allclose(model.predict_proba(train[900:]), pipeline.predict_proba(train[900:]), rtol=0,
                               atol=1e-12)


def test_summarize_trials_and_plot_review(sentiment):
    from course_utils.curation import SUMMARY_ROWS, summarize_trials
    from course_utils.plotting import plot_review

    trials = curation_trials(sentiment.texts, sentiment.labels, seeds=(0, 1))
    table = summarize_trials(trials)
    assert list(table.columns) == list(CURATION_ATTACKS) and list(table.index) == list(SUMMARY_ROWS)
    flips = [t for t in trials if t["attack"] == "targeted-flip"]
    mean = np.mean([t["poison_admitted"] for t in flips])
    assert table.loc["poison rows admitted (of sent)", "targeted-flip"] == f"{mean:.1f} of 100"
    ax = plot_review(trials, 0.5)
    assert len(ax.patches) == 3 * len(CURATION_ATTACKS) and "mean of 2 seeds" in ax.get_title()
    with pytest.raises(ValueError, match="curation_trials"):
        summarize_trials([{"attack": "x"}])
    with pytest.raises(ValueError, match="curation_trials"):
        plot_review([], 0.5)
