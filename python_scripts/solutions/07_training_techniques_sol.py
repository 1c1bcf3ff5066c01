# ---
# jupyter:
#   course:
#     exercise: 07_training_techniques
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 07 · Training techniques
#
# These exercises go with `notebooks/07_training_techniques.ipynb`. You will compute the DPA
# certificate from a vote table, choose a row's partition from a hash of its text, do the arithmetic of
# dilution by augmentation, and compute and read a certified-accuracy curve.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 35 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Compute Deep Partition Aggregation's winner and certified radius from a row of votes, ties included (Q1).
# - Pick a training row's partition from SHA-256 of its normalised text, and say why not its row number (Q2).
# - Work out the poison's share after augmenting every row, or only a trusted share of them (Q3).
# - Compute a certified-accuracy curve and read what it promises (Q4).

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import hashlib

import matplotlib.pyplot as plt
import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from course_utils.checks import check
from course_utils.data import load_sentiment
from course_utils.defenses import PartitionEnsemble
from course_utils.experiment import split_data
from course_utils.plotting import use_house_style

use_house_style()


# %% [markdown]
# ## Q1 · The DPA certificate from a vote table
#
# An ensemble of `k` models votes; `votes` is a list with one count per class (class 0, class 1, ...).
# Write `dpa_radius(votes)`, returning `(winner, radius)` as two whole numbers:
#
# - the winner is the class with most votes; a tie goes to the class with the **lower index**;
# - the runner-up is the best of the other classes, by the same rule;
# - each poisoned row (inserted or removed) changes at most one model's vote. The radius is the largest
#   number of poisoned rows that certainly cannot change the winner.
#
# Think it through on `[25, 25]` and `[24, 26]` before you write the rule.

# %%
def dpa_radius(votes):
    """DPA's winner and certified radius for one row of votes."""
    # BEGIN SOLUTION
    top = max(range(len(votes)), key=lambda c: (votes[c], -c))
    second = max((c for c in range(len(votes)) if c != top), key=lambda c: (votes[c], -c))
    return top, (votes[top] - votes[second] - (1 if second < top else 0)) // 2
    # END SOLUTION


for votes in ([30, 20], [25, 25], [24, 26], [10, 10, 30]):
    print(votes, "->", dpa_radius(votes))
check("q07_dpa_certificate", dpa_radius)


# %% [markdown]
# ## Q2 · A partition from the text
#
# Write `partition_of(text, n_partitions)`. Normalise the text (lower-case it, make every run of white
# space one space, strip the ends), take the SHA-256 of it encoded as UTF-8 (`hashlib.sha256`), read the
# first 8 bytes of the digest as a big-endian integer (`int.from_bytes(..., "big")`), and return that
# number modulo `n_partitions`.
#
# Then think about why the course does not use the simpler rules: `hash(text) % n_partitions`, or the
# row number `i % n_partitions`. What happens to every later row's partition when an attacker inserts one
# row near the start of the training set? And to the partition of a copy of a sentence?

# %%
def partition_of(text, n_partitions):
    """The partition of a training row, from SHA-256 of its normalised text."""
    # BEGIN SOLUTION
    normalised = " ".join(text.lower().split())
    digest = hashlib.sha256(normalised.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_partitions
    # END SOLUTION


print([partition_of(t, 50) for t in ["The food was great.", "  the FOOD was   great. "]])
check("q07_partition_by_hash", partition_of)


# %% [markdown]
# ## Q3 · The arithmetic of dilution
#
# A training set has `n` clean rows, and the attacker adds `fraction * n` poisoned ones. Augmentation adds
# `factor` new copies of some rows. Write `poison_share(fraction, factor, trusted_share)`: the poison's share
# of the whole training set after augmentation, where
#
# - `trusted_share=None` means every row is augmented, poison included;
# - a number `t` means only a verified share `t` of the clean rows (`t * n` rows) is augmented.

# %%
def poison_share(fraction, factor, trusted_share):
    """The poison's share of the training set after augmentation."""
    # BEGIN SOLUTION
    if trusted_share is None:
        return fraction / (1 + fraction)  # the poison is copied as often as the rest
    return fraction / (1 + fraction + trusted_share * factor)
    # END SOLUTION


for factor in (0, 2, 10):  # a 3% poison
    print(f"factor {factor:2d}:", poison_share(0.03, factor, None), "(every row),",
          poison_share(0.03, factor, 0.1), "(a trusted 10%)")
check("q07_dilution", poison_share)


# %% [markdown]
# ## Q4 · A certified-accuracy curve
#
# For each test row, an ensemble gives a prediction and a certified radius. Write
# `certified_accuracy(predicted, radius, truth, r)`: the share of **all** test rows that are predicted
# right *and* whose radius is at least `r`. The cell after the check draws the curve of a DPA ensemble
# of 50 partitions on one split of the shipped data.

# %%
def certified_accuracy(predicted, radius, truth, r):
    """The share of test rows predicted right with a certified radius of at least r."""
    # BEGIN SOLUTION
    predicted, radius, truth = np.asarray(predicted), np.asarray(radius), np.asarray(truth)
    return float(np.mean((predicted == truth) & (radius >= r)))
    # END SOLUTION


check("q07_certified_accuracy", certified_accuracy)

# %%
data = load_sentiment()
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, 0)
vectorizer = CountVectorizer().fit(train_texts)
X_train, X_test = vectorizer.transform(train_texts), vectorizer.transform(test_texts)
ensemble = PartitionEnsemble(n_partitions=50).fit(X_train, train_labels, partition_keys=train_texts)
predicted, radius = ensemble.predict(X_test), ensemble.certified_radius(X_test)
radii = [0, 1, 2, 5, 10, 20, 50]
curve = [certified_accuracy(predicted, radius, test_labels, r) for r in radii]

# %%
if any(share is None or share is Ellipsis for share in curve):
    print("Write certified_accuracy in Q4 first: this curve is drawn with it.")
else:
    fig, ax = plt.subplots(figsize=(6.4, 3.6))
    ax.plot(radii, curve, marker="o")
    ax.set_xscale("symlog", linthresh=1)
    ax.set_title("DPA, 50 partitions, one split: certified accuracy against radius")
    ax.set_xlabel("radius r (poisoned training rows)")
    ax.set_ylabel("certified accuracy")
    plt.show()
    for r, share in zip(radii, curve):
        print(f"r = {r:2d}: {share:.1%} of the test rows are right and stay right whatever {r} rows an "
              "attacker changes")

# %% [markdown]
# Read the curve: at `r = 0` it is the clean accuracy. At `r = 5` it says how many test predictions no
# attacker with 5 poisoned rows can change, whatever the rows say. Compare the radius where the curve
# reaches zero with the number of rows the course's attacks use (the lesson's section 4): the
# certificate covers a handful of rows, the attacks use dozens.
#
# ## Done
#
# When every check above says ✅, you can compute a partition ensemble's certificate, partition rows so
# that the certificate holds, do the dilution arithmetic and read what a certified-accuracy curve
# promises. Next comes lesson 08, on regularization and label penalties.
