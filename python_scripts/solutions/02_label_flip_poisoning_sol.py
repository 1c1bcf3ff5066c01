# ---
# jupyter:
#   course:
#     exercise: 02_label_flip_poisoning
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 02 · Label-flip poisoning
#
# These exercises go with `notebooks/02_label_flip_poisoning.ipynb`. You will write the reference's
# duplicate-and-flip attack and a random flip yourself, then measure what a fraction of the training set buys.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 35 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Write the reference's duplicate-and-flip attack: relabelled copies appended, inputs unchanged
#   (Q1).
# - Flip exactly `n` labels at random, reproducibly from a seed (Q2).
# - Measure what 30% of flipped labels cost in accuracy with the shared experiment's `sweep` and
#   `summarize` (Q3).
# - Find the smallest fraction at which a targeted flip succeeds on average over seeds (Q4).

# %% [markdown]
# ## Setup

# %%
import numpy as np

from course_utils.checks import check
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data, summarize, sweep
from course_utils.models import make_model

clean_data, test_data = load_toy()
reviews = load_sentiment()


# %% [markdown]
# ## Q1 · Duplicate and flip
#
# Write `duplicate_and_flip(texts, labels, indices, new_label)`. It returns `(new_texts, new_labels)`:
# the original rows, unchanged, followed by one copy of `texts[i]` for each `i` in `indices` (in that
# order, a repeated index copied again), each copy labelled `new_label`. `labels` may be a list or a
# NumPy array (the real data's labels are an array); the function must not change what it is given.
# With `indices=[0, 4]` and `new_label="negative"` it rebuilds the reference's poisoned set.

# %%
def duplicate_and_flip(texts, labels, indices, new_label):
    """Append relabelled copies of the rows at indices; return (new_texts, new_labels)."""
    # BEGIN SOLUTION
    new_texts = list(texts) + [texts[i] for i in indices]
    new_labels = list(labels) + [new_label] * len(indices)
    return new_texts, new_labels
    # END SOLUTION


check("q02_duplicate_flip", duplicate_and_flip)


# %% [markdown]
# ## Q2 · Random flips
#
# Write `flip_labels(labels, n_flips, seed)` for a two-class problem (`"positive"`/`"negative"`): it
# returns a new array of labels in which exactly `n_flips` rows, drawn at random without replacement
# with `np.random.default_rng(seed)`, carry the other class.

# %%
def flip_labels(labels, n_flips, seed):
    """A copy of labels with n_flips random rows given the other class."""
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    flipped = np.array(labels, dtype=str)
    rows = rng.choice(len(flipped), size=n_flips, replace=False)
    flipped[rows] = np.where(flipped[rows] == "positive", "negative", "positive")
    return flipped
    # END SOLUTION


check("q02_random_flip", flip_labels)

# %% [markdown]
# ## Q3 · What 30% of flipped labels cost
#
# With the shared experiment's `sweep` (attack `"random-flip"`, fraction `0.3`, seeds 0 to 4) and
# `summarize`, set `accuracy_drop` to the mean clean accuracy minus the mean poisoned accuracy, as a
# share (for example 0.05 for five points).

# %%
accuracy_drop = ...
# BEGIN SOLUTION
flips = sweep(reviews.texts, reviews.labels, attacks=["random-flip"], fractions=[0.3], seeds=range(5))
flip_summary = summarize(flips, metrics=("clean_accuracy", "poisoned_accuracy"))
accuracy_drop = flip_summary["clean_accuracy_mean"][0] - flip_summary["poisoned_accuracy_mean"][0]
# END SOLUTION
print(accuracy_drop)
check("q02_accuracy_drop", accuracy_drop)

# %% [markdown]
# ## Q4 · The cheapest targeted flip
#
# A targeted flip relabels positive training sentences as negative. Over the grid of fractions below and
# seeds 0 to 4, find the **smallest** fraction at which its mean attack success rate (the share of
# positive test sentences predicted negative) is above 0.5, and set `cheapest_fraction` to it.

# %%
fractions = [0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45]
cheapest_fraction = ...
# BEGIN SOLUTION
targeted = sweep(reviews.texts, reviews.labels, attacks=["targeted-flip"], fractions=fractions, seeds=range(5))
targeted_summary = summarize(targeted)
above_half = targeted_summary[targeted_summary["attack_success_rate_mean"] > 0.5]
cheapest_fraction = float(above_half["fraction"].min())
# END SOLUTION
print(cheapest_fraction)
check("q02_cheapest_budget", cheapest_fraction)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can poison a fraction of a training set and measure what it buys.
# Next: lesson 03, `notebooks/03_testing_the_impact.ipynb`.
