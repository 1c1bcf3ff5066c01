# ---
# jupyter:
#   course:
#     exercise: 06_robust_learning
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 06 · Robust learning
#
# These exercises go with `notebooks/06_robust_learning.ipynb`. You will write the Laplace mechanism,
# the group-privacy bound on an attack's success, and a trimmed mean.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 25 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Release counts with the Laplace mechanism at the right scale (Q1).
# - Bound what k changed training rows can do to an attack's success under epsilon-DP (Q2).
# - Compute a trimmed mean (Q3).

# %% [markdown]
# ## Setup

# %%
import math

import numpy as np

from course_utils.checks import check


# %% [markdown]
# ## Q1 · The Laplace mechanism
#
# Write `laplace_mechanism(counts, sensitivity, epsilon, random_state)`: return a new array, `counts`
# plus independent Laplace noise of mean 0 and the scale the mechanism needs for the given L1
# sensitivity and epsilon. Draw the noise in one call, `rng.laplace(0, scale, size=np.shape(counts))`,
# with `rng = np.random.default_rng(random_state)`. Do not change `counts`.

# %%
def laplace_mechanism(counts, sensitivity, epsilon, random_state):
    """counts plus Laplace noise of scale sensitivity / epsilon."""
    # BEGIN SOLUTION
    rng = np.random.default_rng(random_state)
    counts = np.asarray(counts, dtype=float)
    return counts + rng.laplace(0, sensitivity / epsilon, size=counts.shape)
    # END SOLUTION


check("q06_laplace", laplace_mechanism)


# %% [markdown]
# ## Q2 · The group-privacy bound
#
# A model trained with epsilon-DP (add or remove one row) sees an attacker *change* k training rows
# (flip their labels, or insert a trigger). Write `asr_bound(clean_rate, epsilon, k)`: the largest attack
# success rate the guarantee allows after the attack, given the rate `clean_rate` on the clean training
# set.

# %%
def asr_bound(clean_rate, epsilon, k):
    """Upper bound on the attack success rate of k changed rows."""
    # BEGIN SOLUTION
    return min(1.0, math.exp(2 * k * epsilon) * clean_rate)
    # END SOLUTION


check("q06_group_bound", asr_bound)


# %% [markdown]
# ## Q3 · A trimmed mean
#
# Write `trimmed_mean(values, proportion)`: sort the values, cut `int(proportion * len(values))` of them
# from each end, and return the mean of the rest.

# %%
def trimmed_mean(values, proportion):
    """The mean after cutting a share of the values from each end."""
    # BEGIN SOLUTION
    ordered = np.sort(np.asarray(values, dtype=float))
    cut = int(proportion * len(ordered))
    return float(ordered[cut:len(ordered) - cut].mean())
    # END SOLUTION


check("q06_trimmed_mean", trimmed_mean)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can release counts privately, say what the guarantee promises
# about poisoned rows, and compute a robust average. Next comes lesson 07 on training techniques:
# partition ensembles with a certificate, augmentation and adversarial training.
