# ---
# jupyter:
#   course:
#     exercise: 11_post_training_validation
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 11 · Post-training validation
#
# These exercises go with `notebooks/11_post_training_validation.ipynb`. You will leave a row out of Naive
# Bayes by subtracting its counts, count the retrains of a bisection, and calibrate an input filter to a
# false-rejection rate.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 20 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Leave one row out of a Naive Bayes model from its counts, without refitting (Q1).
# - Count the retrains adaptive bisection needs to find a poisoned row (Q2).
# - Calibrate an input filter's threshold to a false-rejection rate on clean inputs (Q3).

# %% [markdown]
# ## Setup

# %%
import numpy as np

from course_utils.checks import check


# %% [markdown]
# ## Q1 · Leave one row out, from the counts
#
# Naive Bayes keeps `word_counts`, an array of shape (2, n_words) (row `c`: how often each word occurs in
# class `c`'s training rows), and `class_rows`, the number of training rows of each class. Write
# `remove_row(word_counts, class_rows, row, row_class)`: the two arrays of the model trained without one
# training row whose word counts are `row` and whose class is `row_class` (0 or 1). Return new arrays;
# do not change the ones given.

# %%
def remove_row(word_counts, class_rows, row, row_class):
    """Naive Bayes's counts without one training row."""
    # BEGIN SOLUTION
    words = np.array(word_counts, dtype=float)
    rows = np.array(class_rows, dtype=float)
    words[row_class] -= row
    rows[row_class] -= 1
    return words, rows
    # END SOLUTION


check("q11_loo", remove_row)

# %% [markdown]
# ## Q2 · One poisoned row, found by halving
#
# A shard of 64 rows holds one poisoned row, and it happens to be the last one. Each test is one
# retrain: does a model trained on a group of rows (beside trusted ones) show the backdoor? Bisection
# tests the whole shard first; a positive group is halved and its first half tested; when the first
# half is negative, the positive is in the second, which is not tested. How many retrains does it take
# to find the row? Set `retrains_for_one`.

# %%
retrains_for_one = ...
retrains_for_one = 1 + int(np.log2(64))  # SOLUTION

check("q11_bisect", retrains_for_one)


# %% [markdown]
# ## Q3 · A filter at 1% false rejection
#
# An input filter rejects an input whose score is above a threshold. Write
# `threshold_for(clean_scores, false_rejection)`: the threshold, chosen on clean inputs' scores, that rejects
# as many of them as `false_rejection` allows and no more (so that as few triggered inputs as possible get
# through).

# %%
def threshold_for(clean_scores, false_rejection):
    """The threshold rejecting at most a share false_rejection of the clean scores, and no fewer than needed."""
    # BEGIN SOLUTION
    ordered = np.sort(np.asarray(clean_scores, dtype=float))
    allowed = int(np.floor(false_rejection * len(ordered)))
    return float(ordered[len(ordered) - 1 - allowed])
    # END SOLUTION


check("q11_calibrate", threshold_for)
