# ---
# jupyter:
#   course:
#     exercise: 08_regularization_and_label_penalties
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 08 · Regularization and label penalties
#
# These exercises go with `notebooks/08_regularization_and_label_penalties.ipynb`. You will write Naive
# Bayes' smoothing yourself, compute out-of-fold losses, and count words with smoothed labels.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 30 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Compute Naive Bayes' smoothed log probabilities from word counts for any `alpha` (Q1).
# - Compute each row's loss under a model that never saw it (Q2).
# - Count words per class with label smoothing (Q3).

# %% [markdown]
# ## Setup

# %%
import numpy as np
from sklearn.model_selection import StratifiedKFold
from sklearn.naive_bayes import MultinomialNB

from course_utils.checks import check


# %% [markdown]
# ## Q1 · Smoothing is Naive Bayes' regularizer
#
# Write `nb_log_probabilities(feature_count, class_count, alpha)`. `feature_count` has one row per class and
# one column per word (how often each word occurs in that class's rows), `class_count` how many rows each
# class has. Return `(feature_log_prob, class_log_prior)`: `log((count + alpha) / (class total + alpha * V))`
# with `V` the number of words, and the log of each class's share of the rows.

# %%
def nb_log_probabilities(feature_count, class_count, alpha):
    """(feature_log_prob, class_log_prior) of MultinomialNB(alpha=alpha) from its counts."""
    # BEGIN SOLUTION
    feature_count = np.asarray(feature_count, dtype=float)
    class_count = np.asarray(class_count, dtype=float)
    smoothed = feature_count + alpha
    log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
    return log_prob, np.log(class_count) - np.log(class_count.sum())
    # END SOLUTION


check("q08_smoothed_log_probabilities", nb_log_probabilities)


# %% [markdown]
# ## Q2 · Out-of-fold losses
#
# Write `oof_losses(X, labels, random_state)`: for each fold of
# `StratifiedKFold(n_splits=5, shuffle=True, random_state=random_state)`, fit `MultinomialNB()` on the other
# folds and score the fold's own rows; return every row's `-log p(its label)`, in the rows' order.

# %%
def oof_losses(X, labels, random_state):
    """Each row's -log probability of its label, from a model fitted without it."""
    # BEGIN SOLUTION
    labels = np.asarray(labels)
    classes, index = np.unique(labels, return_inverse=True)
    losses = np.zeros(len(labels))
    folds = StratifiedKFold(n_splits=5, shuffle=True, random_state=random_state)
    for train, test in folds.split(X, index):
        model = MultinomialNB().fit(X[train], index[train])
        losses[test] = -model.predict_log_proba(X[test])[np.arange(len(test)), index[test]]
    return losses
    # END SOLUTION


check("q08_out_of_fold_losses", oof_losses)


# %% [markdown]
# ## Q3 · Label smoothing as fractional counts
#
# Write `smoothed_counts(X, labels_index, n_classes, epsilon)`. `labels_index` holds each row's class as a
# number in `0 .. n_classes - 1`. Each row adds `1 - epsilon` of its counts to its own class and
# `epsilon / (n_classes - 1)` to every other class; return the counts, shape `(n_classes, n_features)`.

# %%
def smoothed_counts(X, labels_index, n_classes, epsilon):
    """Word counts per class with label-smoothed rows."""
    # BEGIN SOLUTION
    soft = np.full((len(labels_index), n_classes), epsilon / (n_classes - 1))
    soft[np.arange(len(labels_index)), labels_index] = 1 - epsilon
    return soft.T @ np.asarray(X, dtype=float)
    # END SOLUTION


check("q08_smoothed_counts", smoothed_counts)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can set Naive Bayes' regularization by hand, judge a label by data
# that never saw it, and smooth labels. Next comes lesson 09, on monitoring
# and incremental learning.
