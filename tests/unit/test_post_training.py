"""Lesson 11's library: exact leave-one-out influence, shadow shards and bisection, grouped folds, input filters."""

import numpy as np
import pytest

from course_utils.attacks import backdoor, duplicate_flip, insert_trigger
from course_utils.crossval import cross_validate_counts, normalised_text, text_groups
from course_utils.detect import InfluenceDetector, ShadowBisectDetector, TextFeatures
from course_utils.detect.influence import (
    guess_trigger,
    leave_one_out_log_odds,
    leave_one_out_self_log_odds,
    logistic_influence,
    naive_bayes_log_odds,
    triggered_probes,
)
from course_utils.detect.shadows import (
    RetrainedTriggerEffect,
    bisect_group_test,
    group_testing_bound,
    shard_disagreement,
    trigger_effect,
)
from course_utils.experiment import split_data
from course_utils.inputfilters import (
    BigramLanguageModel,
    calibrate_threshold,
    filter_rates,
    insert_triggers,
    multi_token_backdoor,
    onion_scores,
    rap_scores,
    strip_scores,
)
from course_utils.models import make_model


@pytest.fixture(scope="module")
def split(sentiment):
    return split_data(sentiment.texts, sentiment.labels, random_state=0)


def _log_odds(model, texts):
    log_proba = model.predict_log_proba(texts)
    return log_proba[:, 1] - log_proba[:, 0]


@pytest.mark.parametrize("refit_vocabulary", [True, False])
def test_exact_leave_one_out_equals_literal_refits_for_every_row_of_a_300_row_sample(split, refit_vocabulary):
    train, test, y_train, _ = split
    poisoned = backdoor(train[:600], y_train[:600], 0.01, target_label="negative", random_state=0)
    texts, labels = poisoned.texts, poisoned.labels
    model = make_model().fit(texts, labels)
    X, X_eval = model[0].transform(texts), model[0].transform(test[:40])
    change = leave_one_out_log_odds(X, labels, X_eval, refit_vocabulary=refit_vocabulary)
    base = _log_odds(model, test[:40])
    sample = np.random.default_rng(0).choice(len(texts), 300, replace=False)
    worst = 0.0
    for i in sample:
        keep = np.delete(np.arange(len(texts)), i)
        if refit_vocabulary:  # the whole pipeline, vectoriser included
            refit = _log_odds(make_model().fit([texts[j] for j in keep], labels[keep]), test[:40])
        else:  # the classifier on the same columns
            refit = _log_odds(model[-1].__class__().fit(X[keep], labels[keep]), X_eval)
        worst = max(worst, float(np.abs(refit - base - change[i]).max()))
    assert worst < 1e-9
    assert np.abs(naive_bayes_log_odds(X, labels, X_eval) - base).max() < 1e-9


def test_self_influence_is_the_diagonal(split):
    train, _, y_train, _ = split
    model = make_model().fit(train[:300], y_train[:300])
    X = model[0].transform(train[:300])
    full = leave_one_out_log_odds(X, y_train[:300], X)
    assert np.abs(np.diagonal(full) - leave_one_out_self_log_odds(X, y_train[:300])).max() < 1e-9


def test_influence_ranking_recovers_a_one_percent_backdoor_within_its_top_2d_over_five_seeds(sentiment):
    recovered = []
    for seed in range(5):
        train, _, y_train, _ = split_data(sentiment.texts, sentiment.labels, random_state=seed)
        poisoned = backdoor(train, y_train, 0.01, target_label="negative", random_state=seed)
        detector = InfluenceDetector(random_state=seed).fit(poisoned.texts, poisoned.labels)
        d = len(poisoned.poisoned_indices)
        recovered.append(np.isin(poisoned.poisoned_indices, detector.ranking()[:2 * d]).mean())
        assert detector.probe_ == "trigger" and detector.trigger_ == "cf"
    assert min(recovered) >= 0.9, recovered


def test_influence_detector_falls_back_to_self_influence_without_a_trigger(split):
    train, _, y_train, _ = split
    labels = y_train.copy()
    labels[:60] = np.where(labels[:60] == "negative", "positive", "negative")
    detector = InfluenceDetector().fit(train, labels)
    assert detector.probe_ == "self" and detector.trigger_ is None
    top = detector.ranking()[:120]
    assert np.isin(np.arange(60), top).mean() > 0.3  # far above the 120 / 2250 a random ranking gives
    with pytest.raises(ValueError, match="probe='trigger'"):
        InfluenceDetector(probe="trigger").fit(train, y_train)
    with pytest.raises(ValueError, match="probe"):
        InfluenceDetector(probe="other").fit(train, y_train)


def test_logistic_influence_tracks_refits(split):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    train, test, y_train, _ = split
    vectorizer = TfidfVectorizer().fit(train[:400])
    X, X_eval = vectorizer.transform(train[:400]), vectorizer.transform(test[:10])
    estimate, classifier = logistic_influence(X, y_train[:400], X_eval)
    base = classifier.decision_function(X_eval)
    index = (y_train[:400] == "positive").astype(int)
    actual = []
    for i in range(15):
        keep = np.delete(np.arange(400), i)
        refit = LogisticRegression(tol=1e-10, max_iter=10_000).fit(X[keep], index[keep])
        actual.append(refit.decision_function(X_eval) - base)
    assert np.corrcoef(np.ravel(actual), estimate[:15].ravel())[0, 1] > 0.9


def test_bisection_finds_the_positives_with_fewer_tests_than_rows():
    positives = {3, 40, 41, 200}
    found, n_tests = bisect_group_test(np.arange(256), lambda s: bool(positives & set(s.tolist())))
    assert found.tolist() == sorted(positives)
    assert n_tests < 256 and n_tests >= group_testing_bound(256, 4)
    assert bisect_group_test(np.arange(10), lambda s: False)[1] == 1
    assert group_testing_bound(450, 0) == 0.0
    with pytest.raises(TypeError, match="test"):
        bisect_group_test([1, 2], "yes")


def _concentrated_backdoor(train, y_train, seed):
    blocks = np.array_split(np.arange(len(train)), 5)
    block = blocks[2]
    shard = backdoor([train[i] for i in block], y_train[block], 0.05, target_label="negative", random_state=seed)
    texts, labels = list(train), y_train.copy()
    for j, i in enumerate(block):
        texts[i], labels[i] = shard.texts[j], shard.labels[j]
    return texts, labels, block[shard.poisoned_indices], len(block)


def test_shadow_bisect_finds_a_shard_s_poison_with_fewer_retrains_than_rows(split):
    train, _, y_train, _ = split
    texts, labels, poisoned, shard_rows = _concentrated_backdoor(train, y_train, 0)
    detector = ShadowBisectDetector().fit(texts, labels)
    assert detector.suspect_shards_ == [2]
    assert int(np.argmax(detector.shard_disagreement_)) == 2
    assert set(poisoned) <= set(detector.flagged_)
    assert detector.retrains_ < shard_rows


@pytest.mark.parametrize("alpha", [1.0, 0.3])
def test_a_retrain_from_the_counts_gives_the_effect_of_a_refit_bit_for_bit(split, alpha):
    train, _, y_train, _ = split
    texts, labels, _, _ = _concentrated_backdoor(train, y_train, 0)
    clean, triggered = triggered_probes(texts, labels, "cf", "negative", size=50)
    vectorizer = make_model()[0].fit(texts)
    X, P0, P1 = vectorizer.transform(texts), vectorizer.transform(clean), vectorizer.transform(triggered)
    effect = RetrainedTriggerEffect(X, labels, P0, P1, -1.0, alpha)
    rng = np.random.default_rng(0)
    subsets = [np.arange(len(texts)), np.arange(100, 900)] + [rng.choice(len(texts), size) for size in (20, 300, 2000)]
    for rows in subsets:  # with repeated rows among the random draws
        assert effect(rows) == trigger_effect(X[rows], labels[rows], P0, P1, -1.0, alpha)
    with pytest.raises(ValueError, match="two rows"):
        effect(np.flatnonzero(labels == "negative")[:10])
    with pytest.raises(ValueError, match="rows"):
        effect([len(texts)])
    with pytest.raises(TypeError, match="rows"):
        effect(np.array([0.5, 1.5]))
    with pytest.raises(ValueError, match="columns"):
        RetrainedTriggerEffect(X, labels, P0[:, :5], P1, -1.0)


def test_shadow_bisect_without_a_trigger_flags_nothing(split):
    train, _, y_train, _ = split
    detector = ShadowBisectDetector().fit(train, y_train)
    assert detector.trigger_ is None and not len(detector.flagged_) and detector.retrains_ == 0
    with pytest.raises(ValueError, match="n_shards"):
        ShadowBisectDetector(n_shards=2).fit(train, y_train)


def test_shard_disagreement_names_the_odd_shard():
    log_odds = np.array([[1, 1, -1], [1, 1, -1], [-1, -1, 1], [1, 1, -1]], dtype=float)
    assert shard_disagreement(log_odds).tolist() == [0.0, 0.0, 1.0, 0.0]
    with pytest.raises(ValueError):
        shard_disagreement(log_odds[:2])


def test_grouped_folds_keep_copies_together_and_reveal_repeated_duplicate_flips(split):
    train, _, y_train, _ = split
    chosen = np.random.default_rng(0).choice(len(train), 45, replace=False)
    poisoned = duplicate_flip(train, y_train, indices=np.repeat(chosen, 3))
    groups = text_groups(poisoned.texts)
    assert normalised_text("Great  FILM!") == "great film"
    assert text_groups(["Great film!", "great   film"])[0] == text_groups(["Great film!", "great   film"])[1]
    rows = poisoned.poisoned_indices
    ordinary = cross_validate_counts(poisoned.texts, poisoned.labels, grouped=False)
    grouped = cross_validate_counts(poisoned.texts, poisoned.labels, grouped=True)
    for g in np.unique(groups[rows]):
        assert len(np.unique(grouped["fold"][groups == g])) == 1
    hidden = np.mean(ordinary["proba_own"][rows] >= 0.5)
    assert hidden > np.mean(grouped["proba_own"][rows] >= 0.5) + 0.15  # ordinary folds vouch for the copies
    with pytest.raises(TypeError, match="grouped"):
        cross_validate_counts(train, y_train, grouped="yes")


def test_cross_validation_reading_a_token_cache_gives_the_same_numbers(split):
    train, _, y_train, _ = split
    poisoned = duplicate_flip(train, y_train, indices=np.repeat(np.arange(0, 600, 20), 2))
    features = TextFeatures()
    for grouped in (False, True):
        plain = cross_validate_counts(poisoned.texts, poisoned.labels, grouped=grouped, random_state=3)
        cached = cross_validate_counts(poisoned.texts, poisoned.labels, grouped=grouped, random_state=3,
                                       features=features)
        for key in plain:
            assert np.array_equal(plain[key], cached[key]), key
    with pytest.raises(TypeError, match="features"):
        cross_validate_counts(train, y_train, features="cache")


def test_calibrated_threshold_rejects_at_most_the_share_asked():
    scores = np.arange(1000.0)
    threshold = calibrate_threshold(scores, 0.01)
    assert np.mean(scores > threshold) <= 0.01 and np.mean(scores >= threshold) > 0.01
    assert filter_rates(threshold, scores, [2000.0, 0.0]) == {"false_rejection": 0.01, "false_acceptance": 0.5}
    with pytest.raises(ValueError, match="false_rejection"):
        calibrate_threshold(scores, 0.0)
    with pytest.raises(ValueError, match="clean_scores"):
        calibrate_threshold([], 0.01)


def test_the_multi_token_trigger_defeats_the_one_word_filter(split):
    train, test, y_train, y_test = split
    calibration, evaluation = test[:375], test[375:]
    victims = [t for t, y in zip(evaluation, y_test[375:]) if y != "negative"]
    rates = {}
    for name in ("single", "multi"):
        if name == "single":
            poisoned = backdoor(train, y_train, 0.03, target_label="negative", random_state=0)
            triggered = insert_trigger(victims, "cf", random_state=1)
        else:
            poisoned = multi_token_backdoor(train, y_train, 0.03, target_label="negative", random_state=0)
            triggered = [" ".join(["cf", "mn", "bb", t]) for t in victims]
        model = make_model().fit(poisoned.texts, poisoned.labels)
        triggered = [t for t, p in zip(triggered, model.predict(triggered)) if p == "negative"]
        threshold = calibrate_threshold(onion_scores(model, calibration), 0.01)
        rates[name] = filter_rates(threshold, onion_scores(model, evaluation), onion_scores(model, triggered))
    assert rates["multi"]["false_acceptance"] > rates["single"]["false_acceptance"] + 0.3


def test_the_multi_token_backdoor_is_the_backdoor_with_several_triggers(split):
    train, test, y_train, _ = split
    several = multi_token_backdoor(train, y_train, 0.02, target_label="negative", triggers=["cf", "mn"], random_state=4)
    same = backdoor(train, y_train, 0.02, target_label="negative", trigger=["cf", "mn"], random_state=4)
    assert several.texts == same.texts and np.array_equal(several.labels, same.labels)
    assert all({"cf", "mn"} <= set(several.texts[i].split()) for i in several.poisoned_indices)
    one = backdoor(train, y_train, 0.02, target_label="negative", trigger=["cf"], random_state=4)
    assert one.texts == backdoor(train, y_train, 0.02, target_label="negative", random_state=4).texts
    assert insert_triggers(test[:20], ["cf", "mn"], random_state=1) == insert_trigger(test[:20], ["cf", "mn"],
                                                                                        random_state=1)
    with pytest.raises(TypeError, match="trigger"):
        insert_trigger(test[:5], [])
    with pytest.raises(ValueError, match="triggers must be one word"):
        multi_token_backdoor(train, y_train, 0.01, target_label="negative", triggers=["cf", "x"])


def test_every_filter_scores_each_input(split):
    train, test, y_train, _ = split
    model = make_model().fit(train, y_train)
    for scores in (strip_scores(model, test[:5], train[:50], n_perturbations=4),
                   onion_scores(model, test[:5]),
                   onion_scores(None, test[:5], mode="bigram", language_model=BigramLanguageModel().fit(train)),
                   rap_scores(model, test[:5], "negative")):
        assert scores.shape == (5,)
    with pytest.raises(TypeError, match="language_model"):
        onion_scores(model, test[:5], mode="bigram")
    with pytest.raises(TypeError, match="model"):
        strip_scores("model", test[:5], train[:5])
    with pytest.raises(TypeError, match="triggers"):
        multi_token_backdoor(train, y_train, 0.01, target_label="negative", triggers="cf")


def test_filters_building_variants_from_counts_score_as_the_variants_as_text(split, monkeypatch):
    import course_utils.inputfilters as inputfilters

    train, test, y_train, _ = split
    poisoned = backdoor(train, y_train, 0.03, target_label="negative", random_state=0)
    model = make_model().fit(poisoned.texts, poisoned.labels)
    inputs = list(test[:150]) + insert_trigger(list(test[150:250]), "cf", random_state=0)
    inputs += ["Well-made, don't miss it!\tReally  SO good", "!!! ?", "a"]  # punctuation, tabs, one-letter words

    def every_score():
        return [strip_scores(model, inputs, train[:300], n_perturbations=5, random_state=2), onion_scores(model, inputs),
                rap_scores(model, inputs, "negative"), rap_scores(model, inputs, "positive", n_copies=3)]

    assert inputfilters._count_steps(model) is not None
    from_counts = every_score()
    monkeypatch.setattr(inputfilters, "_count_steps", lambda model: None)  # the variants as text
    for fast, slow in zip(from_counts, every_score()):
        assert np.array_equal(fast, slow)
    language_model = BigramLanguageModel().fit(train)
    for text in inputs:
        tokens = language_model.analyze_(text)
        full = language_model.log_likelihood(tokens)
        literal = [language_model.log_likelihood(tokens[:i] + tokens[i + 1:]) - full for i in range(len(tokens))]
        assert language_model._removal_gains(tokens, {}) == literal


def test_probes_and_guess_come_from_the_data(split):
    train, _, y_train, _ = split
    poisoned = backdoor(train, y_train, 0.02, target_label="positive", trigger="qz", random_state=0)
    assert guess_trigger(poisoned.texts, poisoned.labels) == ("qz", "positive")
    assert guess_trigger(poisoned.texts, poisoned.labels, features=TextFeatures()) == ("qz", "positive")
    clean, triggered = triggered_probes(poisoned.texts, poisoned.labels, "qz", "positive", size=30)
    assert len(clean) == len(triggered) == 30 and all("qz" in t.split() for t in triggered)
    from course_utils.detect.influence import _insert

    ours = _insert(clean, "qz", np.random.default_rng(5))
    assert ours == insert_trigger(clean, "qz", random_state=np.random.default_rng(5))
