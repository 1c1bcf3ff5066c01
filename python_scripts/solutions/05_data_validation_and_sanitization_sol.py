# ---
# jupyter:
#   course:
#     exercise: 05_data_validation_and_sanitization
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 05 · Data validation and sanitization
#
# These exercises go with `notebooks/05_data_validation_and_sanitization.ipynb`. You will write the
# conflict audit and the grading of a detector yourself, compute confident learning's thresholds, and
# find a hidden backdoor trigger.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 40 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Write the conflict audit: find near-duplicate rows whose labels disagree (Q1).
# - Grade a detector's flagged rows against the known poison with precision, recall and F1 (Q2).
# - Compute confident learning's per-class thresholds from out-of-fold probabilities (Q3).
# - Find an unknown backdoor trigger in a poisoned training set with the lesson's tools (Q4).

# %% [markdown]
# ## Setup

# %%
import re
from collections import defaultdict

import numpy as np

from course_utils.checks import check
from course_utils.checks.lesson05 import mystery_backdoor
from course_utils.detect import TriggerDetector


# %% [markdown]
# ## Q1 · The conflict audit
#
# Write `conflicting_rows(texts, labels)`. Normalise every text: lower-case it and keep only its words
# of two or more letters or digits (the regular expression `\b\w\w+\b`, as the vectorisers use),
# joined by single spaces. Rows whose normalised texts are equal form a group; return the sorted row
# numbers of **every** row of every group that holds more than one distinct label. It must not change
# its inputs.

# %%
def conflicting_rows(texts, labels):
    """Sorted rows of every group of near duplicates whose labels disagree."""
    # BEGIN SOLUTION
    word = re.compile(r"(?u)\b\w\w+\b")
    groups = defaultdict(list)
    for i, text in enumerate(texts):
        groups[" ".join(word.findall(text.lower()))].append(i)
    labels = list(labels)
    return sorted(i for rows in groups.values() if len({labels[j] for j in rows}) > 1 for i in rows)
    # END SOLUTION


check("q05_conflict_audit", conflicting_rows)


# %% [markdown]
# ## Q2 · Grading a detector
#
# Write `precision_recall_f1(flagged, poisoned)`: it returns `(precision, recall, f1)` of the flagged
# rows against the poisoned rows, each row counted once. Precision is the share of flagged rows that are
# poisoned (0 when nothing is flagged), recall the share of poisoned rows flagged (1 when nothing was
# poisoned), F1 their harmonic mean (0 when both are 0).

# %%
def precision_recall_f1(flagged, poisoned):
    """(precision, recall, f1) of flagged rows against poisoned rows."""
    # BEGIN SOLUTION
    flagged, poisoned = {int(i) for i in flagged}, {int(i) for i in poisoned}
    hits = len(flagged & poisoned)
    precision = hits / len(flagged) if flagged else 0.0
    recall = hits / len(poisoned) if poisoned else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1
    # END SOLUTION


check("q05_detection_scores", precision_recall_f1)


# %% [markdown]
# ## Q3 · Confident learning's thresholds
#
# Write `per_class_thresholds(probabilities, given)`. `probabilities` is an array of shape
# `(n_rows, n_classes)` of out-of-fold class probabilities; `given` holds each row's given label as a
# column number (0 to `n_classes - 1`, every class present). Return one threshold per class: `t_j` is the
# mean probability of class `j` over the rows whose given label is `j`.

# %%
def per_class_thresholds(probabilities, given):
    """Confident learning's per-class thresholds."""
    # BEGIN SOLUTION
    probabilities, given = np.asarray(probabilities), np.asarray(given)
    return np.array([probabilities[given == j, j].mean() for j in range(probabilities.shape[1])])
    # END SOLUTION


check("q05_thresholds", per_class_thresholds)

# %% [markdown]
# ## Q4 · A hidden trigger
#
# `mystery_backdoor()` returns `(texts, labels)`: a training set of the real data into which someone
# planted a 1% backdoor with a trigger token you are not told. Find the trigger (the lesson's tools
# will help) and set `trigger_token` to it, as a string.

# %%
texts, labels = mystery_backdoor()
trigger_token = ...
# BEGIN SOLUTION
detector = TriggerDetector().fit(texts, labels)
print(detector.token_scores_.head(5))
trigger_token = detector.token_scores_["token"].iloc[0]
# END SOLUTION
check("q05_find_trigger", trigger_token)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can audit a data set, grade a detector against known poison, and
# read a trigger detector's table. Next comes lesson 06 on robust learning: differential
# privacy and robust statistics.
