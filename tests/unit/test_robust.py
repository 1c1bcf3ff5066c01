"""The robust trainers of lesson 06: the DP mechanism's promises, the robust statistics, TRIM, the grids."""

import math
import re

import numpy as np
import pytest
from scipy import sparse, stats
from sklearn.naive_bayes import MultinomialNB

from course_utils.defenses.robust import (
    DPMultinomialNB,
    RobustMultinomialNB,
    TrimClassifier,
    bound_contributions,
    count_sensitivity,
    group_privacy_bound,
    laplace_scale,
)
from course_utils.robustness import (
    NAIVE_DESIGN,
    choose_dp_design,
    dp_grid,
    fold_buckets,
    hashed_split,
    hashed_vectorizer,
    poisoned_features,
)


def _counts(rng, n_rows=60, n_features=30):
    X = rng.poisson(0.8, size=(n_rows, n_features))
    y = rng.integers(0, 2, n_rows)
    y[:2] = [0, 1]
    return X, y


def test_bounding_keeps_at_most_max_words_present_words_and_changes_nothing():
    rng = np.random.default_rng(0)
    X, _ = _counts(rng)
    before = X.copy()
    B = bound_contributions(X, 4, random_state=1).toarray()
    assert np.array_equal(X, before)
    assert set(np.unique(B)) <= {0.0, 1.0}
    assert np.all(B.sum(axis=1) == np.minimum(4, (X > 0).sum(axis=1)))
    assert np.all((B > 0) <= (X > 0))


def test_neighbour_search_never_exceeds_the_stated_sensitivity():
    # Neighbouring training sets: one row added or removed. The rows tried are as long and as one-sided as
    # possible (every word present, many times), as well as random ones, at every position.
    rng = np.random.default_rng(3)
    max_words = 5
    word_sensitivity, class_sensitivity = count_sensitivity(max_words)
    X, y = _counts(rng, 40, 25)
    extremes = [np.full(25, 50), np.eye(25)[0] * 1000, rng.poisson(3, 25)]
    for random_state in range(5):
        model = DPMultinomialNB(epsilon=math.inf, max_words=max_words, random_state=random_state).fit(X, y)
        for row in extremes:
            for label in (0, 1):
                for position in (0, 17, len(X)):
                    added = DPMultinomialNB(epsilon=math.inf, max_words=max_words, random_state=random_state).fit(
                        np.insert(X, position, row, axis=0), np.insert(y, position, label))
                    change = np.abs(added.bounded_feature_count_ - model.bounded_feature_count_).sum()
                    assert change <= word_sensitivity
                    assert np.abs(added.class_count_ - model.class_count_).sum() == class_sensitivity
        for removed in range(len(X)):
            smaller = DPMultinomialNB(epsilon=math.inf, max_words=max_words, random_state=random_state).fit(
                np.delete(X, removed, axis=0), np.delete(y, removed))
            assert np.abs(smaller.bounded_feature_count_ - model.bounded_feature_count_).sum() <= word_sensitivity


def test_the_noise_is_laplace_with_scale_sensitivity_over_epsilon():
    X = np.array([[3, 0, 1, 2], [0, 1, 1, 0], [1, 1, 0, 4], [2, 0, 0, 1]])
    y = np.array([0, 0, 1, 1])
    epsilon, max_words, class_share = 0.7, 3, 0.1
    word_noise, class_noise = [], []
    for random_state in range(800):
        model = DPMultinomialNB(epsilon=epsilon, max_words=max_words, class_share=class_share,
                                random_state=random_state).fit(X, y)
        word_noise.append((model.feature_count_ - model.bounded_feature_count_).ravel())
        class_noise.append(model.class_count_ - np.bincount(y))
    word_scale = max_words / ((1 - class_share) * epsilon)
    class_scale = 1 / (class_share * epsilon)
    assert model.noise_scale_ == {"feature_count": pytest.approx(word_scale), "class_count": pytest.approx(class_scale)}
    assert stats.kstest(np.concatenate(word_noise), "laplace", args=(0, word_scale)).pvalue > 0.01
    assert stats.kstest(np.concatenate(class_noise), "laplace", args=(0, class_scale)).pvalue > 0.01
    # the wrong scale is told apart
    assert stats.kstest(np.concatenate(word_noise), "laplace", args=(0, word_scale * 1.3)).pvalue < 1e-6


def test_laplace_scale_agrees_with_opendp_on_paper():
    # opendp.measurements.make_laplace(input_domain, input_metric, scale) is epsilon-DP with
    # epsilon = d_in / scale for sensitivity d_in; so for the same sensitivity and epsilon, scale = d_in / epsilon.
    for d_in, epsilon in ((1, 1.0), (20, 0.9), (3, 0.1)):
        assert laplace_scale(d_in, epsilon) == pytest.approx(d_in / epsilon)
    assert laplace_scale(5, math.inf) == 0.0


def test_epsilon_inf_is_exactly_multinomial_nb_on_the_bounded_counts():
    split = hashed_split(0)
    X, X_test = split.features["fitted"]
    for max_words in (3, 20):
        dp = DPMultinomialNB(epsilon=math.inf, max_words=max_words, random_state=2).fit(X, split.train_labels)
        plain = MultinomialNB().fit(bound_contributions(X, max_words, random_state=np.random.default_rng(2)),
                                    split.train_labels)
        assert np.array_equal(dp.predict(X_test), plain.predict(X_test))
        np.testing.assert_allclose(dp.predict_proba(X_test), plain.predict_proba(X_test), rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(dp.feature_log_prob_, plain.feature_log_prob_)


@pytest.mark.parametrize("params, message", [
    ({"epsilon": 0}, "epsilon must be a number in (0, inf)"), ({"epsilon": -1.0}, "epsilon"),
    ({"max_words": 0}, "max_words must be an integer in [1, inf)"), ({"alpha": 0}, "alpha"),
    ({"class_share": 1.0}, "class_share"), ({"epsilon": "big"}, "epsilon"),
])
def test_dp_parameters_are_checked_in_fit(params, message):
    X, y = _counts(np.random.default_rng(0))
    with pytest.raises((ValueError, TypeError), match=re.escape(message)):
        DPMultinomialNB(**params).fit(X, y)


def test_group_privacy_bound():
    assert group_privacy_bound(0.2, 0.5, 2) == pytest.approx(min(1, math.exp(1.0) * 0.2))
    assert group_privacy_bound(0.5, 1.0, 3) == 1.0
    assert group_privacy_bound(0.0, 1.0, 50) == 0.0
    assert np.allclose(group_privacy_bound(0.1, 0.1, np.array([0, 2, 100])), [0.1, 0.1 * math.exp(0.2), 1.0])
    with pytest.raises(ValueError, match="clean_rate"):
        group_privacy_bound(1.5, 1.0, 1)
    with pytest.raises(ValueError, match="steps"):
        group_privacy_bound(0.5, 1.0, -1)


def test_robust_nb_mean_of_one_partition_is_multinomial_nb():
    X, y = _counts(np.random.default_rng(5))
    one = RobustMultinomialNB(n_partitions=1, statistic="median").fit(X, y)
    np.testing.assert_allclose(one.feature_log_prob_, MultinomialNB().fit(X, y).feature_log_prob_)
    for statistic in ("median", "trimmed-mean", "mean"):
        model = RobustMultinomialNB(n_partitions=4, statistic=statistic, random_state=0).fit(X, y)
        assert len(model.partition_rates_) == 2 and model.partition_rates_[0].shape == (4, X.shape[1])
    with pytest.raises(ValueError, match="statistic must be one of"):
        RobustMultinomialNB(statistic="mode").fit(X, y)


def test_robust_nb_median_ignores_one_poisoned_partition():
    # Five partitions; one of them full of a word that the others never use: the median does not move.
    X = np.zeros((10, 3))
    X[:, 0] = 2
    X[0, 2] = 500  # one row, one partition
    y = np.zeros(10, dtype=int)
    y[5:] = 1
    median = RobustMultinomialNB(n_partitions=5, random_state=0).fit(X, y)
    mean = RobustMultinomialNB(n_partitions=5, statistic="mean", random_state=0).fit(X, y)
    # each clean partition (one row holding word 0 twice) gives rates (3/5, 1/5, 1/5): the median keeps them
    assert np.exp(median.feature_log_prob_[0]) == pytest.approx([0.6, 0.2, 0.2])
    assert np.exp(mean.feature_log_prob_[0, 2]) > 0.3


def test_trim_out_of_fold_count_arithmetic_equals_refitting(monkeypatch):
    import course_utils.defenses.robust as robust

    split = hashed_split(1)
    part = poisoned_features(split, "random-flip", 0.3, "fitted")
    fast = TrimClassifier(trim_fraction=0.2, max_iter=4, random_state=0).fit(part["X"], part["y"])
    monkeypatch.setattr(robust, "_plain_multinomial_nb", lambda estimator: False)
    slow = TrimClassifier(trim_fraction=0.2, max_iter=4, random_state=0).fit(part["X"], part["y"])
    assert np.array_equal(fast.kept_, slow.kept_)
    np.testing.assert_allclose(fast.losses_, slow.losses_, rtol=1e-9)


def test_trim_keeps_n_minus_k_rows_and_in_sample_losses_are_lower():
    split = hashed_split(0)
    part = poisoned_features(split, "random-flip", 0.2, "fitted")
    n = part["X"].shape[0]
    inside = TrimClassifier(trim_fraction=0.1, losses="in-sample", random_state=0).fit(part["X"], part["y"])
    outside = TrimClassifier(trim_fraction=0.1, losses="out-of-fold", random_state=0).fit(part["X"], part["y"])
    for model in (inside, outside):
        assert len(model.kept_) == n - round(0.1 * n) and len(model.trimmed_) == round(0.1 * n)
        assert 1 <= model.n_iter_ <= 10
    assert np.median(inside.losses_[inside.kept_]) < np.median(outside.losses_[outside.kept_])
    with pytest.raises(ValueError, match="losses must be one of"):
        TrimClassifier(losses="both").fit(part["X"], part["y"])
    with pytest.raises(ValueError, match="trim_fraction"):
        TrimClassifier(trim_fraction=0.6).fit(part["X"], part["y"])


def test_hashing_folds_exactly():
    split = hashed_split(0)
    X = split.features["hashed"][0]
    direct = hashed_vectorizer(2 ** 10).transform(split.train_texts)
    assert abs(fold_buckets(X, 2 ** 10) - direct).sum() == 0
    with pytest.raises(ValueError, match="power of two"):
        fold_buckets(X, 1000)


def test_poisoned_features_equal_vectorising_the_poisoned_texts():
    from course_utils.attacks import apply_attack
    from course_utils.experiment import default_labels

    split = hashed_split(2)
    for attack, fraction in (("backdoor", 0.03), ("duplicate-flip", 0.1), ("random-flip", 0.2)):
        part = poisoned_features(split, attack, fraction)
        source, target = default_labels(split.train_labels, attack)
        poisoned = apply_attack(attack, split.train_texts, split.train_labels, fraction, source_label=source,
                                target_label=target, random_state=split.seed)
        assert abs(part["X"] - hashed_vectorizer().transform(poisoned.texts)).sum() == 0
        assert np.array_equal(part["y"], poisoned.labels)


def test_the_grid_releases_what_dp_multinomial_nb_releases():
    design = {"vocabulary": "hashed", "n_buckets": 2 ** 12, "max_words": 3, "alpha": 30.0}
    grid = dp_grid({"d": design, "naive": NAIVE_DESIGN}, [1.0, math.inf], seeds=[3], noise_draws=2,
                   attacks=[("backdoor", 0.03)])
    split = hashed_split(3)
    part = poisoned_features(split, "backdoor", 0.03)
    X, X_test = fold_buckets(part["X"], 2 ** 12), fold_buckets(part["X_test"], 2 ** 12)
    X_attack = fold_buckets(part["X_attack"], 2 ** 12)
    for draw in (0, 1):
        for epsilon in (1.0, math.inf):
            model = DPMultinomialNB(epsilon=epsilon, max_words=3, alpha=30.0, random_state=draw).fit(X, part["y"])
            row = grid[(grid["design"] == "d") & (grid["draw"] == draw) & (grid["epsilon"] == epsilon)].iloc[0]
            assert row["accuracy"] == np.mean(model.predict(X_test) == split.test_labels)
            assert row["attack_success_rate"] == np.mean(model.predict(X_attack) == part["target"])
            assert row["steps"] == 2 * row["n_poisoned"]


def test_choose_dp_design_refuses_a_fitted_vocabulary():
    with pytest.raises(ValueError, match="only hashed"):
        choose_dp_design({"naive": NAIVE_DESIGN})
    with pytest.raises(ValueError, match="max_words"):
        dp_grid({"bad": {**NAIVE_DESIGN, "max_words": 0}}, [1.0])


def test_trainers_work_in_the_shared_experiment():
    from course_utils.data import load_sentiment
    from course_utils.experiment import run_experiment

    data = load_sentiment()
    for name, params in (("dp-nb", {"epsilon": 2.0}), ("robust-nb", {"statistic": "trimmed-mean"}),
                         ("trim", {"estimator": "tfidf-logreg", "max_iter": 2})):
        model = "tfidf-logreg" if params.get("estimator") == "tfidf-logreg" else "count-nb"
        result = run_experiment(data.texts, data.labels, attack="backdoor", fraction=0.03, defense=name,
                                defense_params=params, model=model)
        assert result["defense_kind"] == "trainer" and result["detection"] is None
        assert 0.4 < result["defended_accuracy"] <= 1 and 0 <= result["defended_attack_success_rate"] <= 1


def test_a_sparse_and_a_dense_input_give_the_same_model():
    X, y = _counts(np.random.default_rng(9))
    a = DPMultinomialNB(epsilon=1.0, max_words=4, random_state=0).fit(X, y)
    b = DPMultinomialNB(epsilon=1.0, max_words=4, random_state=0).fit(sparse.csr_matrix(X), y)
    np.testing.assert_array_equal(a.feature_count_, b.feature_count_)


def test_bounding_keeps_the_columns_that_come_first_in_one_random_order():
    # The rule, row by row in plain Python: draw each column's place in one random order; a row keeps
    # the max_words present columns whose places come first.
    rng = np.random.default_rng(4)
    X, _ = _counts(rng, n_rows=40, n_features=25)
    position = np.random.default_rng(7).permutation(X.shape[1])  # position[c]: column c's place
    B = bound_contributions(sparse.csr_matrix(X), 3, random_state=7).toarray()
    for row, bounded in zip(X, B):
        present = np.flatnonzero(row)
        kept = present[np.argsort(position[present])][:3]
        assert set(np.flatnonzero(bounded)) == set(kept)


def test_the_tfidf_features_equal_tfidf_vectorizer_on_the_poisoned_texts():
    from sklearn.feature_extraction.text import TfidfVectorizer

    from course_utils.attacks import apply_attack, insert_trigger
    from course_utils.experiment import default_labels
    from course_utils.robustness import _tfidf_features

    split = hashed_split(1)
    for attack, fraction in (("backdoor", 0.03), ("duplicate-flip", 0.1), ("targeted-flip", 0.1)):
        part = _tfidf_features(split, attack, fraction, "cf")
        source, target = default_labels(split.train_labels, attack)
        poisoned = apply_attack(attack, split.train_texts, split.train_labels, fraction, source_label=source,
                                target_label=target, trigger="cf", random_state=split.seed)
        vectorizer = TfidfVectorizer()
        expected = vectorizer.fit_transform(poisoned.texts)
        assert np.array_equal(part["X"].toarray(), expected.toarray())
        assert np.array_equal(part["X_test"].toarray(), vectorizer.transform(split.test_texts).toarray())
        assert np.array_equal(part["y"], poisoned.labels)
        if attack == "backdoor":
            victims = [t for t, label in zip(split.test_texts, split.test_labels) if label != target]
            triggered = vectorizer.transform(insert_trigger(victims, "cf", random_state=split.seed))
            assert np.array_equal(part["X_attack"].toarray(), triggered.toarray())


def test_worker_processes_change_no_number():
    from sklearn.linear_model import LogisticRegression

    from course_utils.robustness import robust_grid

    designs = {"d": {"vocabulary": "hashed", "n_buckets": 2 ** 10, "max_words": 3, "alpha": 30.0},
               "naive": NAIVE_DESIGN}
    attacks = [("none", 0.0), ("backdoor", 0.03)]
    serial = dp_grid(designs, [1.0, math.inf], seeds=[0, 1], attacks=attacks, n_jobs=1)
    assert serial.equals(dp_grid(designs, [1.0, math.inf], seeds=[0, 1], attacks=attacks, n_jobs=2))
    candidates = {"a": designs["d"], "b": {**designs["d"], "alpha": 1.0}}
    assert choose_dp_design(candidates, seeds=[0, 1], n_jobs=1).equals(
        choose_dp_design(candidates, seeds=[0, 1], n_jobs=2))
    trainers = {"nb": ("count-nb", MultinomialNB()), "logreg": ("tfidf-logreg", LogisticRegression(max_iter=1000))}
    timing = ["seconds", "clean_seconds"]
    one = robust_grid(trainers, {"targeted-flip": 0.1}, seeds=[0], n_jobs=1).drop(columns=timing)
    two = robust_grid(trainers, {"targeted-flip": 0.1}, seeds=[0], n_jobs=2).drop(columns=timing)
    assert one.equals(two)
    assert list(one["trainer"]) == ["nb", "logreg"]


@pytest.mark.parametrize("call", [
    lambda: dp_grid({"naive": NAIVE_DESIGN}, [1.0], n_jobs=0),
    lambda: choose_dp_design({"a": {"vocabulary": "hashed", "n_buckets": 1024, "max_words": 3, "alpha": 1.0}},
                             n_jobs=0),
    lambda: dp_grid({"naive": NAIVE_DESIGN}, [1.0], n_jobs=1.5),
])
def test_n_jobs_is_checked(call):
    with pytest.raises((ValueError, TypeError), match="n_jobs"):
        call()


def test_dp_fit_seconds_times_every_design():
    from course_utils.robustness import dp_fit_seconds

    designs = {"naive": NAIVE_DESIGN, "d": {"vocabulary": "hashed", "n_buckets": 2 ** 10, "max_words": 3, "alpha": 1.0}}
    seconds = dp_fit_seconds(designs, seeds=[0])
    assert list(seconds) == ["naive", "d"] and all(isinstance(v, float) and v > 0 for v in seconds.values())
    with pytest.raises(ValueError, match="epsilon"):
        dp_fit_seconds(designs, 0.0)
    with pytest.raises(ValueError, match="max_words"):
        dp_fit_seconds({"bad": {**NAIVE_DESIGN, "max_words": 0}})
