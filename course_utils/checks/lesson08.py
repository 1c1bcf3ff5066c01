"""Checks of exercise 08, regularization and label penalties."""

from __future__ import annotations

import numpy as np

from ..defenses.penalties import naive_bayes_log_probabilities, out_of_fold_losses, smoothed_label_matrix
from . import Wrong, fresh_rng, question
from ._reference import run_learner, unpack

EXERCISE = "08_regularization_and_label_penalties"


def _array(value, shape, what):
    try:
        array = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise Wrong(f"{what} should be an array of numbers of shape {shape}.") from None
    if array.shape != shape:
        raise Wrong(f"{what} has shape {array.shape}; expected {shape}.")
    return array


def _counts(rng, n_classes=2):
    feature_count = rng.integers(0, 8, size=(n_classes, 12)).astype(float)
    feature_count[:, 0] = 0  # a word never seen in training
    return feature_count, rng.integers(5, 40, size=n_classes).astype(float)


@question("q08_smoothed_log_probabilities", exercise=EXERCISE, answer_name="nb_log_probabilities",
          prompt="nb_log_probabilities(feature_count, class_count, alpha) returns Naive Bayes' fitted log "
                 "probabilities")
def _smoothed(answer):
    rng = fresh_rng(8)
    for alpha in (1.0, 0.1, 3.0):
        for n_classes in (2, 3):
            feature_count, class_count = _counts(rng, n_classes)
            got = unpack(run_learner(answer, feature_count, class_count, alpha), 2,
                         "nb_log_probabilities should return two arrays: (feature_log_prob, class_log_prior).")
            log_prob = _array(got[0], feature_count.shape, "feature_log_prob")
            prior = _array(got[1], class_count.shape, "class_log_prior")
            expected, expected_prior = naive_bayes_log_probabilities(feature_count, class_count, alpha)
            if np.allclose(log_prob, np.exp(expected), atol=1e-9):
                raise Wrong("Return log probabilities (np.log), not probabilities.")
            if not np.allclose(log_prob, expected, atol=1e-9):
                plain = np.log((feature_count + alpha) / (feature_count.sum(axis=1, keepdims=True) + alpha))
                if np.allclose(log_prob, plain, atol=1e-9):
                    raise Wrong("The denominator adds alpha once; it must add alpha for every word of the "
                                "vocabulary: total + alpha * n_features.")
                unsmoothed = np.log(np.where(feature_count > 0, feature_count, np.nan)
                                    / feature_count.sum(axis=1, keepdims=True))
                if np.allclose(np.nan_to_num(log_prob, nan=0, neginf=0), np.nan_to_num(unsmoothed, nan=0), atol=1e-9):
                    raise Wrong("alpha is missing: add it to every count (and alpha * n_features to each total).")
                raise Wrong(f"With alpha={alpha:g}, feature_log_prob is not right yet: "
                            "log((count + alpha) / (class total + alpha * n_features)), one row per class.")
            if not np.allclose(prior, expected_prior, atol=1e-9):
                raise Wrong("class_log_prior should be the log of each class's share of the rows: "
                            "log(class_count / class_count.sum()).")
    return "Matches MultinomialNB's feature_log_prob_ and class_log_prior_ for every alpha tried."


def _count_data(rng, n_rows=60, n_features=15):
    index = np.arange(n_rows) % 2
    X = rng.poisson(0.5, size=(n_rows, n_features)).astype(float)
    X[np.arange(n_rows), index] += 2
    return X, np.where(index == 0, "negative", "positive")


@question("q08_out_of_fold_losses", exercise=EXERCISE, answer_name="oof_losses",
          prompt="oof_losses(X, labels, random_state) returns each row's out-of-fold Naive Bayes loss")
def _oof(answer):
    rng = fresh_rng(18)
    for seed in (0, int(rng.integers(1, 1000))):
        X, labels = _count_data(rng)
        got = _array(run_learner(answer, X, labels, seed), (len(labels),), "oof_losses(...)")
        expected, _ = out_of_fold_losses(X, labels, "count-nb", cv=5, random_state=seed)
        if np.allclose(got, expected, atol=1e-8):
            continue
        from sklearn.naive_bayes import MultinomialNB

        index = np.unique(labels, return_inverse=True)[1]
        in_sample = -MultinomialNB().fit(X, labels).predict_log_proba(X)[np.arange(len(labels)), index]
        if np.allclose(got, in_sample, atol=1e-8):
            raise Wrong("These are in-sample losses: the model saw each row. Fit on the other folds "
                        "(StratifiedKFold(5, shuffle=True, random_state=...)) and score the held-out fold.")
        if np.allclose(got, np.exp(-expected), atol=1e-8):
            raise Wrong("These are the probabilities of each row's label; the loss is -log of them.")
        raise Wrong("Not right yet: use StratifiedKFold(n_splits=5, shuffle=True, random_state=random_state), "
                    "fit MultinomialNB() on each fold's other rows and take -log p(label) of its own rows.")
    return "Matches the out-of-fold losses of course_utils.defenses.penalties.out_of_fold_losses."


@question("q08_smoothed_counts", exercise=EXERCISE, answer_name="smoothed_counts",
          prompt="smoothed_counts(X, labels_index, n_classes, epsilon) counts words per class with smoothed labels")
def _smoothed_counts(answer):
    rng = fresh_rng(28)
    for n_classes, epsilon in ((2, 0.1), (3, 0.2), (2, 0.0)):
        X = rng.integers(0, 4, size=(30, 8)).astype(float)
        index = np.arange(30) % n_classes
        got = _array(run_learner(answer, X, index, n_classes, epsilon), (n_classes, 8), "smoothed_counts(...)")
        expected = smoothed_label_matrix(index, n_classes, epsilon).T @ X
        if np.allclose(got, expected):
            continue
        wrong_share = np.full((30, n_classes), epsilon)
        wrong_share[np.arange(30), index] = 1 - epsilon
        if np.allclose(got, wrong_share.T @ X):
            raise Wrong("Each other class gets epsilon / (K - 1) of a row, not epsilon: a row's shares must "
                        "add up to 1.")
        if np.allclose(got, expected.T if expected.shape[::-1] == got.shape else got + 1):
            raise Wrong("One row per class: the result has shape (n_classes, n_features).")
        raise Wrong(f"With {n_classes} classes and epsilon={epsilon:g}, not right yet: each row adds 1 - epsilon "
                    "of its counts to its own class and epsilon / (K - 1) to every other class.")
    return "Matches LabelSmoothingNB's fractional counts for two and three classes."
