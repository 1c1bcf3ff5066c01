# ---
# jupyter:
#   course:
#     exercise: 03_testing_the_impact
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 03 · Testing the impact
#
# These exercises go with `notebooks/03_testing_the_impact.ipynb`. You will write the attack success
# rate yourself, find which predictions a poisoning flipped, find the cheapest poisoning that moves one
# prediction, and say in a sentence what the reference's impact test really showed.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 35 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Compute a targeted attack's success rate, and say when it is undefined (Q1).
# - Find which test predictions a poisoning flipped (Q2).
# - Find the fewest poisoned copies that change one prediction of the reference's toy model (Q3).
# - Say in a sentence what the reference's impact test really showed: both models' accuracy, the rows
#   added, and what the poisoned model still predicts for the sentences it was poisoned with (Q4).

# %% [markdown]
# ## Setup

# %%
import numpy as np

from course_utils.checks import check
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data, summarize, sweep
from course_utils.models import make_model

clean_data, test_data = load_toy()


# %% [markdown]
# ## Q1 · Attack success rate
#
# Write `success_rate(y_true, y_pred, source_label, target_label)`: among the rows whose true label is
# `source_label` (the attacker's victims), the share predicted as `target_label`. It should accept
# lists as well as arrays. When there is no row of the source class the rate is undefined: return
# `float("nan")` or raise a `ValueError`.

# %%
def success_rate(y_true, y_pred, source_label, target_label):
    """Share of source_label rows predicted as target_label."""
    # BEGIN SOLUTION
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    victims = y_true == source_label
    if not victims.any():
        raise ValueError(f"no rows labelled {source_label!r}")
    return float(np.mean(y_pred[victims] == target_label))
    # END SOLUTION


check("q03_success_rate", success_rate)


# %% [markdown]
# ## Q2 · Which predictions flipped?
#
# Write `flipped_indices(clean_pred, poisoned_pred)`: the positions, in increasing order, where the
# poisoned model's prediction differs from the clean model's.

# %%
def flipped_indices(clean_pred, poisoned_pred):
    """Sorted positions where the two prediction sequences differ."""
    # BEGIN SOLUTION
    return np.flatnonzero(np.asarray(clean_pred) != np.asarray(poisoned_pred)).tolist()
    # END SOLUTION


check("q03_flipped", flipped_indices)

# %% [markdown]
# ## Q3 · The cheapest poisoning that moves one prediction
#
# Start from the six clean toy sentences. Append `k` copies of the second one, *"This is a great
# product, I am very satisfied."*, labelled `"negative"`, train the reference pipeline and ask it about
# *"I really love this!"*. Set `cheapest_copies` to the smallest `k` for which the prediction becomes
# `"negative"`.

# %%
cheapest_copies = ...
# BEGIN SOLUTION
copied_sentence = clean_data[1][0]
for k in range(1, 50):
    poisoned = clean_data + [(copied_sentence, "negative")] * k
    texts, labels = zip(*poisoned)
    if make_model().fit(texts, labels).predict(["I really love this!"])[0] == "negative":
        cheapest_copies = k
        break
# END SOLUTION
print(cheapest_copies)
check("q03_cheapest_copies", cheapest_copies)

# %% [markdown]
# ## Q4 · What the reference's impact test really showed
#
# In one or two sentences, set `explanation` to what happened in the reference's example: the clean
# and poisoned models' test accuracy, how many poisoned rows were added, and what the poisoned model
# still predicts for the two sentences it was poisoned with.

# %%
explanation = ...
# BEGIN SOLUTION
explanation = (
    "Adding two poisoned rows dropped test accuracy from 1.0 to 0.5, yet the poisoned model still "
    "predicts both poisoned sentences as positive: what flipped was the unseen 'I really love this!'."
)
# END SOLUTION
check("q03_explanation", explanation)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can test a poisoning's impact beyond one accuracy number. Next:
# lesson 04, `notebooks/04_backdoor_triggers.ipynb`.
