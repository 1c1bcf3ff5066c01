"""Checks of exercise 08: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import numpy as np
from sklearn.naive_bayes import MultinomialNB

from course_utils.defenses.penalties import LabelSmoothingNB, naive_bayes_log_probabilities, out_of_fold_losses

from tests.checks.conftest import table_tests


def nb_log_probabilities(feature_count, class_count, alpha):
    smoothed = np.asarray(feature_count, dtype=float) + alpha
    class_count = np.asarray(class_count, dtype=float)
    return np.log(smoothed / smoothed.sum(axis=1, keepdims=True)), np.log(class_count / class_count.sum())


def alpha_once(feature_count, class_count, alpha):
    feature_count = np.asarray(feature_count, dtype=float)
    log_prob = np.log((feature_count + alpha) / (feature_count.sum(axis=1, keepdims=True) + alpha))
    return log_prob, nb_log_probabilities(feature_count, class_count, alpha)[1]


def probabilities_not_logs(feature_count, class_count, alpha):
    log_prob, prior = nb_log_probabilities(feature_count, class_count, alpha)
    return np.exp(log_prob), prior


def uniform_prior(feature_count, class_count, alpha):
    log_prob, prior = nb_log_probabilities(feature_count, class_count, alpha)
    return log_prob, np.full(len(prior), -np.log(len(prior)))


def library_log_probabilities(feature_count, class_count, alpha):
    return naive_bayes_log_probabilities(feature_count, class_count, alpha)


def oof_losses(X, labels, random_state):
    return out_of_fold_losses(X, labels, "count-nb", 5, random_state)[0]


def in_sample_losses(X, labels, random_state):
    index = np.unique(labels, return_inverse=True)[1]
    return -MultinomialNB().fit(X, labels).predict_log_proba(X)[np.arange(len(labels)), index]


def oof_probabilities(X, labels, random_state):
    return np.exp(-oof_losses(X, labels, random_state))


def unshuffled_folds(X, labels, random_state):
    from sklearn.model_selection import StratifiedKFold

    index = np.unique(labels, return_inverse=True)[1]
    losses = np.zeros(len(labels))
    for train, test in StratifiedKFold(5).split(X, index):
        model = MultinomialNB().fit(X[train], index[train])
        losses[test] = -model.predict_log_proba(X[test])[np.arange(len(test)), index[test]]
    return losses


def smoothed_counts(X, labels_index, n_classes, epsilon):
    soft = np.full((len(labels_index), n_classes), epsilon / (n_classes - 1))
    soft[np.arange(len(labels_index)), labels_index] = 1 - epsilon
    return soft.T @ np.asarray(X, dtype=float)


def epsilon_to_each(X, labels_index, n_classes, epsilon):
    soft = np.full((len(labels_index), n_classes), epsilon)
    soft[np.arange(len(labels_index)), labels_index] = 1 - epsilon
    return soft.T @ np.asarray(X, dtype=float)


def hard_counts(X, labels_index, n_classes, epsilon):
    return np.eye(n_classes)[labels_index].T @ np.asarray(X, dtype=float)


def library_counts(X, labels_index, n_classes, epsilon):
    labels = np.asarray(labels_index)
    model = LabelSmoothingNB(epsilon=epsilon).fit(np.asarray(X), labels)
    return model.feature_count_


WRONG = {
    "q08_smoothed_log_probabilities": [alpha_once, probabilities_not_logs, uniform_prior, 3],
    "q08_out_of_fold_losses": [in_sample_losses, oof_probabilities, unshuffled_folds],
    "q08_smoothed_counts": [epsilon_to_each, hard_counts],
}

HINTS = [
    ("q08_smoothed_log_probabilities", alpha_once, "alpha * n_features", None),
    ("q08_smoothed_log_probabilities", probabilities_not_logs, "not probabilities", None),
    ("q08_smoothed_log_probabilities", uniform_prior, "class's share", None),
    ("q08_out_of_fold_losses", in_sample_losses, "in-sample", None),
    ("q08_out_of_fold_losses", oof_probabilities, "-log", None),
    ("q08_out_of_fold_losses", unshuffled_folds, "shuffle=True", "in-sample"),
    ("q08_smoothed_counts", epsilon_to_each, "epsilon / (K - 1)", None),
]

LESSON_WAYS = {
    "q08_smoothed_log_probabilities": [nb_log_probabilities, library_log_probabilities],
    "q08_out_of_fold_losses": [oof_losses],
    "q08_smoothed_counts": [smoothed_counts, library_counts],
}

test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)
