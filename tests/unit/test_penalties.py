"""Lesson 08's label penalties (course_utils.defenses.penalties): contract, limits and arithmetic."""

import numpy as np
import pytest
from scipy.optimize import check_grad
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.utils.estimator_checks import parametrize_with_checks

from course_utils.defenses.penalties import (
    GCELogisticRegression,
    LabelSmoothingNB,
    LossFilterClassifier,
    ReweightedClassifier,
    gce_objective,
    naive_bayes_log_probabilities,
    out_of_fold_losses,
)


@parametrize_with_checks([LossFilterClassifier(), LossFilterClassifier(model="tfidf-logreg"), ReweightedClassifier(),
                          ReweightedClassifier(model="tfidf-logreg"), LabelSmoothingNB(), GCELogisticRegression(),
                          GCELogisticRegression(q=0.0)])
def test_scikit_learn_estimator_checks(estimator, check):
    check(estimator)


@pytest.fixture(scope="module")
def counts():
    """A small count matrix with two and with three classes."""
    rng = np.random.default_rng(0)
    X = rng.poisson(0.4, size=(160, 30)).astype(float)
    y3 = rng.integers(0, 3, size=160)
    X[np.arange(160), y3] += 2  # each class has words it prefers
    return csr_matrix(X), np.where(y3 == 0, "negative", "positive"), np.array(["a", "b", "c"])[y3]


@pytest.mark.parametrize("three", [False, True])
def test_gce_at_q_zero_agrees_with_logistic_regression(counts, three):
    X, y2, y3 = counts
    y = y3 if three else y2
    for C in (0.1, 1.0, 10.0):
        ours = GCELogisticRegression(q=0.0, C=C, tol=1e-10).fit(X, y)
        theirs = LogisticRegression(C=C, tol=1e-10, max_iter=10000).fit(X, y)
        np.testing.assert_allclose(ours.coef_, theirs.coef_, atol=1e-4)
        np.testing.assert_allclose(ours.intercept_, theirs.intercept_, atol=1e-4)
        np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), atol=1e-5)
        assert np.array_equal(ours.predict(X), theirs.predict(X))
    # and q -> 0 approaches it continuously
    near = GCELogisticRegression(q=1e-6, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(near.coef_, GCELogisticRegression(q=0.0, tol=1e-10).fit(X, y).coef_, atol=1e-4)


@pytest.mark.parametrize("n_classes, q, fit_intercept", [(2, 0.0, True), (2, 0.7, True), (3, 0.7, True),
                                                         (3, 0.3, False), (2, 1.0, False)])
def test_gce_gradient_is_the_objectives(counts, n_classes, q, fit_intercept):
    X, y2, y3 = counts
    index = np.unique(y2 if n_classes == 2 else y3, return_inverse=True)[1]
    weights = np.random.default_rng(1).uniform(0.5, 2.0, len(index))
    size = (1 if n_classes == 2 else n_classes) * (X.shape[1] + int(fit_intercept))
    point = np.random.default_rng(2).normal(0, 0.3, size)
    args = (X, index, n_classes, q, 2.0, fit_intercept, weights)
    error = check_grad(lambda w: gce_objective(w, *args)[0], lambda w: gce_objective(w, *args)[1], point)
    assert error < 1e-4 * max(1.0, np.linalg.norm(gce_objective(point, *args)[1]))


def test_label_smoothing_at_zero_is_multinomial_nb_and_the_log_probabilities_are_its(counts):
    X, y2, y3 = counts
    for y in (y2, y3):
        for alpha in (0.01, 0.5, 1.0, 3.0):
            ours = LabelSmoothingNB(alpha=alpha, epsilon=0.0).fit(X, y)
            theirs = MultinomialNB(alpha=alpha).fit(X, y)
            np.testing.assert_allclose(ours.feature_log_prob_, theirs.feature_log_prob_, rtol=1e-12)
            np.testing.assert_allclose(ours.class_log_prior_, theirs.class_log_prior_, rtol=1e-12)
            np.testing.assert_allclose(ours.predict_proba(X), theirs.predict_proba(X), rtol=1e-9)
            log_prob, prior = naive_bayes_log_probabilities(theirs.feature_count_, theirs.class_count_, alpha)
            np.testing.assert_allclose(log_prob, theirs.feature_log_prob_, rtol=1e-12)
            np.testing.assert_allclose(prior, theirs.class_log_prior_, rtol=1e-12)


def test_label_smoothing_moves_each_rows_counts_by_epsilon(counts):
    X, y2, _ = counts
    model = LabelSmoothingNB(epsilon=0.2).fit(X, y2)
    plain = MultinomialNB().fit(X, y2)
    swapped = plain.feature_count_[::-1]
    np.testing.assert_allclose(model.feature_count_, 0.8 * plain.feature_count_ + 0.2 * swapped)
    np.testing.assert_allclose(model.class_count_.sum(), len(y2))


def test_loss_filter_drops_the_highest_out_of_fold_losses_and_refits(counts):
    X, y2, _ = counts
    X_before, y_before = X.copy(), y2.copy()
    model = LossFilterClassifier(drop_share=0.25, random_state=3).fit(X, y2)
    losses, probabilities = out_of_fold_losses(X, y2, "count-nb", 5, 3)
    assert len(model.dropped_) == 40
    assert np.array_equal(model.oof_losses_, losses)
    assert losses[model.dropped_].min() >= np.delete(losses, model.dropped_).max()
    keep = np.setdiff1d(np.arange(len(y2)), model.dropped_)
    refit = MultinomialNB().fit(X[keep], y2[keep])
    np.testing.assert_allclose(model.predict_proba(X), refit.predict_proba(X))
    assert (X != X_before).nnz == 0 and np.array_equal(y2, y_before)
    assert np.allclose(probabilities.sum(axis=1), 1)


def test_out_of_fold_losses_never_read_a_rows_own_label(counts):
    X, y2, _ = counts
    losses, probabilities = out_of_fold_losses(X, y2, "count-nb", 5, 0)
    flipped = y2.copy()
    # Flip one row of each class (so the stratified folds stay the same): its probabilities stay the same.
    rows = [np.flatnonzero(y2 == "negative")[0], np.flatnonzero(y2 == "positive")[0]]
    flipped[rows] = flipped[rows[::-1]]
    _, again = out_of_fold_losses(X, flipped, "count-nb", 5, 0)
    assert np.allclose(again[rows], probabilities[rows], atol=0.2)  # only the other rows' labels changed


@pytest.mark.parametrize("labels", [1, 2])
def test_naive_bayes_out_of_fold_by_subtraction_is_refitting_bit_for_bit(counts, labels):
    """Whole-number counts: each fold's model is the total minus the fold, exactly MultinomialNB refitted."""
    from course_utils.detect import label_noise

    X, y = counts[0], counts[labels]
    index = np.unique(y, return_inverse=True)[1]
    refitted = np.zeros((len(y), len(np.unique(y))))
    for train, test in label_noise._folds(index, 5, 3):
        refitted[test] = MultinomialNB().fit(X[train], index[train]).predict_proba(X[test])
    assert np.array_equal(label_noise.out_of_fold_matrix_probabilities(X, y, "count-nb", 5, 3), refitted)
    fractional = X * 0.5  # not whole numbers: each fold is refitted, and agrees as closely as floats allow
    refitted = np.zeros_like(refitted)
    for train, test in label_noise._folds(index, 5, 3):
        refitted[test] = MultinomialNB().fit(fractional[train], index[train]).predict_proba(fractional[test])
    np.testing.assert_allclose(label_noise.out_of_fold_matrix_probabilities(fractional, y, "count-nb", 5, 3),
                               refitted, rtol=1e-12)


def test_two_column_logsumexp_is_scipys_bit_for_bit():
    from scipy.special import logsumexp

    from course_utils.defenses.penalties import _logsumexp_rows

    rng = np.random.default_rng(0)
    for scale in (1e-3, 1.0, 40.0, 900.0):
        scores = np.column_stack([np.zeros(2000), rng.normal(size=2000) * scale])
        scores[:3, 1] = [0.0, -0.0, 5e-324]
        assert np.array_equal(_logsumexp_rows(scores), logsumexp(scores, axis=1, keepdims=True))
        scores = rng.normal(size=(500, 2)) * scale
        assert np.array_equal(_logsumexp_rows(scores), logsumexp(scores, axis=1, keepdims=True))


def test_reweighting_at_power_zero_is_the_plain_model(counts):
    X, y2, _ = counts
    model = ReweightedClassifier(power=0.0).fit(X, y2)
    assert np.allclose(model.weights_, 1)
    np.testing.assert_allclose(model.predict_proba(X), MultinomialNB().fit(X, y2).predict_proba(X))
    weighted = ReweightedClassifier(power=2.0).fit(X, y2)
    assert np.isclose(weighted.weights_.mean(), 1) and weighted.weights_.std() > 0
    order = np.argsort(weighted.oof_losses_)
    assert np.all(np.diff(weighted.weights_[order]) <= 1e-12)  # higher loss, lower weight


@pytest.mark.parametrize("estimator, message", [
    (LossFilterClassifier(drop_share=1.0), "drop_share must be a number in"),
    (LossFilterClassifier(model="svm"), "model must be one of"),
    (LossFilterClassifier(cv=1), "cv must be an integer in"),
    (ReweightedClassifier(power=-1), "power must be a number in"),
    (LabelSmoothingNB(epsilon=1.0), "epsilon must be a number in"),
    (LabelSmoothingNB(alpha=-0.1), "alpha must be a number in"),
    (GCELogisticRegression(q=1.5), "q must be a number in"),
    (GCELogisticRegression(C=0), "C must be a number in"),
])
def test_bad_parameters_are_refused_by_name(counts, estimator, message):
    X, y2, _ = counts
    with pytest.raises((ValueError, TypeError), match=message):
        estimator.fit(X, y2)
    with pytest.raises(TypeError, match="C must be a number"):
        GCELogisticRegression(C="big").fit(X, y2)


@pytest.mark.parametrize("model", ["count-nb", "tfidf-logreg"])
def test_out_of_fold_probabilities_given_to_fit_are_the_ones_it_computes(counts, model):
    X, y, _ = counts
    computed = LossFilterClassifier(model=model, random_state=3).fit(X, y)
    for estimator in (LossFilterClassifier(model=model, random_state=3), ReweightedClassifier(model=model,
                                                                                              random_state=3)):
        alone = estimator.fit(X, y)
        given = type(estimator)(model=model, random_state=3).fit(X, y, oof_probabilities=computed.oof_probabilities_)
        assert np.array_equal(given.oof_losses_, alone.oof_losses_)
        assert np.array_equal(given.predict_proba(X), alone.predict_proba(X))
        assert given.oof_probabilities_ is not computed.oof_probabilities_  # copied, never shared or modified


@pytest.mark.parametrize("probabilities, error, message", [
    (np.full((5, 2), 0.5), ValueError, "shape"),
    (np.full((160, 3), 1 / 3), ValueError, "shape"),
    (np.full((160, 2), 1.5), ValueError, "in \\[0, 1\\]"),
    (np.full((160, 2), np.nan), ValueError, "finite"),
    ([["a", "b"]] * 160, TypeError, "array of numbers"),
])
def test_bad_out_of_fold_probabilities_are_refused_by_name(counts, probabilities, error, message):
    X, y, _ = counts
    for estimator in (LossFilterClassifier(), ReweightedClassifier()):
        with pytest.raises(error, match="oof_probabilities") as raised:
            estimator.fit(X, y, oof_probabilities=probabilities)
        assert raised.match(message)
