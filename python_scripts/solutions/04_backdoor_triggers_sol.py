# ---
# jupyter:
#   course:
#     exercise: 04_backdoor_triggers
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 04 · Backdoor triggers
#
# These exercises go with `notebooks/04_backdoor_triggers.ipynb`. You will plant a backdoor in
# 1% of the training set, measure it over seeds, and explain why accuracy monitoring misses it.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 30 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Insert a trigger token into a sentence (Q1).
# - Plant a backdoor in a fraction of the training set, reproducibly and without changing the inputs
#   (Q2).
# - Measure a 3% backdoor's attack success rate over seeds with the shared experiment (Q3).
# - Explain, with the measured numbers, why test accuracy does not reveal a backdoor (Q4).

# %% [markdown]
# ## Setup

# %%
import numpy as np

from course_utils.attacks import poison_budget
from course_utils.checks import check
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data, summarize, sweep
from course_utils.models import make_model

reviews = load_sentiment()


# %% [markdown]
# ## Q1 · Insert the trigger
#
# Write `add_trigger(text, trigger)`: the sentence with `trigger` as its own first word (a space
# between it and the sentence's words).

# %%
def add_trigger(text, trigger):
    """The sentence with the trigger word in front."""
    return " ".join([trigger] + text.split())  # SOLUTION


check("q04_add_trigger", add_trigger)


# %% [markdown]
# ## Q2 · Plant a backdoor in 1% of the training set
#
# Write `plant_backdoor(texts, labels, trigger, target_label, fraction, seed)`. With `n` training rows
# the attacker controls `poison_budget(fraction, n)` of them: choose that many rows **not** already
# labelled `target_label`, at random with `np.random.default_rng(seed)`, put the trigger in front of
# their text and give them `target_label`. Return `(new_texts, new_labels, poisoned_indices)` and do not
# change the inputs. The check trains a model on your poisoned set and measures the backdoor.

# %%
def plant_backdoor(texts, labels, trigger, target_label, fraction, seed):
    """Return (new_texts, new_labels, poisoned_indices) with a backdoor planted."""
    # BEGIN SOLUTION
    rng = np.random.default_rng(seed)
    labels = np.asarray(labels)
    candidates = np.flatnonzero(labels != target_label)
    chosen = np.sort(rng.choice(candidates, size=poison_budget(fraction, len(texts)), replace=False))
    new_texts, new_labels = list(texts), labels.copy()
    for i in chosen:
        new_texts[i] = add_trigger(new_texts[i], trigger)
        new_labels[i] = target_label
    return new_texts, new_labels, chosen
    # END SOLUTION


check("q04_plant_backdoor", plant_backdoor)

# %% [markdown]
# ## Q3 · How often does a 3% backdoor work?
#
# With the shared experiment's `sweep` (attack `"backdoor"`, fraction `0.03`, the default trigger
# `"cf"`, seeds 0 to 4) and `summarize`, set `backdoor_success` to the mean attack success rate.

# %%
backdoor_success = ...
# BEGIN SOLUTION
backdoor_runs = sweep(reviews.texts, reviews.labels, attacks=["backdoor"], fractions=[0.03], seeds=range(5))
backdoor_summary = summarize(backdoor_runs)
backdoor_success = backdoor_summary["attack_success_rate_mean"][0]
poisoned_accuracy = backdoor_summary["poisoned_accuracy_mean"][0]
# END SOLUTION
print(backdoor_success)
check("q04_backdoor_success", backdoor_success)

# %% [markdown]
# ## Q4 · Why accuracy monitoring misses it
#
# In one or two sentences, set `why_accuracy_misses_it` to why watching test accuracy does not reveal
# this backdoor. State the poisoned model's mean clean accuracy and the mean attack success rate, each
# with two decimals, and say what the test set lacks.

# %%
why_accuracy_misses_it = ...
# BEGIN SOLUTION
why_accuracy_misses_it = (
    f"The backdoored model still scores {poisoned_accuracy:.2f} accuracy on the clean test set, while "
    f"inserting the trigger turns {backdoor_success:.2f} of positive sentences negative: no test "
    "sentence holds the trigger, so accuracy cannot see the backdoor."
)
# END SOLUTION
print(why_accuracy_misses_it)
check("q04_explanation", why_accuracy_misses_it)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you have planted and measured a backdoor. Next: lesson 05, data
# validation and sanitization.
