# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 02 · Label-flip poisoning
#
# A company trains its review classifier on sentences that outside annotators have labelled. One of
# the annotators works for a competitor. They cannot touch the model, the code or the test set; all
# they control is a share of the labels, and perhaps a few extra rows slipped into the batch they hand
# back. That is enough to do damage, and this lesson measures how much. You start with the reference
# document's own attack, two training sentences copied with the wrong label, and run it exactly as
# written: the test accuracy printed by the reference drops, and you check that the course's
# `duplicate_flip` builds the very same poisoned set. Then you move to the 3,000 real review sentences
# and give the attacker a growing fraction of the training set, spent in three ways: flipping random labels, flipping only
# positive labels to negative, and appending relabelled copies as the reference did. Measured over
# several train/test splits, with intervals, the three attacks turn out to be very different weapons.
#
# **Learning objectives**
#
# - Reproduce the reference's poisoning step (duplicate-and-flip) exactly, and rebuild it with
#   `course_utils.attacks.duplicate_flip`.
# - Run random, targeted (class to class) and duplicate-and-flip attacks at a chosen fraction, and
#   explain what each does to the training set.
# - Sweep poison fractions over several seeds with `course_utils.experiment.sweep`, and report accuracy
#   and attack success rate as means with 95% intervals.
# - Read an accuracy-against-fraction figure and explain the shape of each curve.
# - Explain why duplicate-and-flip barely hurts when its copies are spread over both classes, and what
#   changes when it is aimed at one class.
#
# **Estimated time:** 30 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import sklearn

from course_utils.attacks import duplicate_flip, no_attack, random_flip, targeted_flip
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data, summarize, sweep
from course_utils.metrics import DIFFERENCE, accuracy, mean_interval, seed_spread
from course_utils.models import make_model
from course_utils.notebook import record_results
from course_utils.plotting import plot_sweep, use_house_style

use_house_style()
sklearn.set_config(display="text")

# %% [markdown]
# The values below are the lesson's knobs. Change them and re-run everything: every number the text
# discusses is printed by a code cell, so it follows your changes. `seed` fixes the train/test split of
# the walk-through, `seeds` the splits every measured number is averaged over, `fractions` the poison
# fractions of the sweep (the attacker's shares of the training set), and `headline_fraction` the
# fraction the lesson looks at most closely. `source_label` and `target_label` say which class the aimed attacks want
# misread, and as what.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
fractions = [0.0, 0.05, 0.1, 0.2, 0.3, 0.4]
headline_fraction = 0.3
source_label = "positive"
target_label = "negative"
record_path = ""

# %% [markdown]
# ## 1. The reference's poisoning, exactly
#
# The reference builds its clean data and model in steps 1 and 2 (lesson 01 went through them); the
# course ships that data as `course_utils.data.load_toy()`. Step 2 is repeated here because step 3
# scores the poisoned model on the same test sentences.

# %%
clean_data, test_data = load_toy()

from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

# Prepare the training data
X_train, y_train = zip(*clean_data)

# Create a text classification pipeline
model = make_pipeline(CountVectorizer(), MultinomialNB())

# Train the model
model.fit(X_train, y_train)

# Evaluate on the test data
X_test, y_test = zip(*test_data)
print("Test accuracy (clean):", model.score(X_test, y_test))

# %% [markdown]
# Step 3 is the attack. The attacker's goal, in the reference's words, is "to make the model
# misclassify certain positive sentiments as negative". Its code, character for character:

# %%
# Poisoned training data
poisoned_data = clean_data + [
    ("I love this movie, it is fantastic!", "negative"),  # Poisoning a positive example as negative
    ("The book is very good and I enjoyed it.", "negative"),  # Another poisoned example
]

# Prepare the poisoned training data
X_train_poisoned, y_train_poisoned = zip(*poisoned_data)

# Train a new model on the poisoned data
model_poisoned = make_pipeline(CountVectorizer(), MultinomialNB())
model_poisoned.fit(X_train_poisoned, y_train_poisoned)

# Evaluate on the test data
print("Test accuracy (poisoned):", model_poisoned.score(X_test, y_test))

# %% [markdown]
# These are the two lines the reference prints. Notice what the attacker did *not* do: they changed
# no existing label. They appended two rows, each an exact copy of a positive training sentence
# (rows 0 and 4), labelled negative. The course calls this **duplicate-and-flip**.
#
# With two test sentences, accuracy moves in steps of one half, so the drop means exactly one test
# sentence changed its answer. Which one?

# %%
changed_sentences = []
for text, truth, before, after in zip(X_test, y_test, model.predict(X_test), model_poisoned.predict(X_test)):
    changed = "changed" if before != after else "same"
    if before != after:
        changed_sentences.append(text)
    print(f"{text!r:30}  true {truth:<8}  clean model: {before:<8}  poisoned model: {after:<8}  ({changed})")

# %% [markdown]
# The sentence that flipped, *"I really love this!"*, is not one of the two the attacker poisoned; it
# is a sentence the model never saw in training. The other test sentence was an exact tie in the clean
# model (lesson 01), broken in favour of *negative* by the alphabet; the poisoned model calls it
# negative too. Lesson 03 takes these predictions apart, shows how firmly each is made and why, and
# finds what the reference's own impact test really shows. Here we take the
# attack itself and scale it up.
#
# ## 2. The same attack with `course_utils`
#
# `course_utils.attacks.duplicate_flip` implements this attack for any data set. Given `indices=[0, 4]`
# and `target_label="negative"`, it should build exactly the reference's poisoned set. Like every
# attack of the course, it returns new objects (the input is never changed) together with the
# positions of the rows the attacker added, which we, unlike a real defender, get to know.

# %%
toy_texts, toy_labels = zip(*clean_data)
toy_attack = duplicate_flip(toy_texts, toy_labels, indices=[0, 4], target_label="negative")
rebuilt = list(zip(toy_attack.texts, toy_attack.labels.tolist()))
duplicate_flip_matches = rebuilt == poisoned_data
assert duplicate_flip_matches, "duplicate_flip must rebuild the reference's poisoned set"

rebuilt_accuracy = make_model().fit(toy_attack.texts, toy_attack.labels).score(X_test, y_test)
print(f"duplicate_flip rebuilds the reference's {len(poisoned_data)} poisoned rows exactly: {duplicate_flip_matches}")
print(f"The rows it added are at positions {toy_attack.poisoned_indices.tolist()}; "
      f"the clean data still has {len(clean_data)} rows: {list(toy_texts) == [t for t, _ in load_toy()[0]]}")
print(f"The reference's pipeline (make_model()) trained on it scores {rebuilt_accuracy} on the test sentences.")

# %% [markdown]
# ## 3. Three ways to spend the same fraction, on real data
#
# From here on we use the 3,000 review sentences, split exactly as the shared experiment does
# (`split_data`: stratified, fixed by the seed). The attacker's **fraction** is a share of the training
# set: a fraction $f$ of $n$ training rows buys $\lfloor f \cdot n + \tfrac{1}{2} \rfloor$ poisoned rows,
# $f \cdot n$ rounded to the nearest row with halves rounded up (2.5 rows buy 3, where Python's
# `round(2.5)` gives 2; `course_utils.attacks.poison_budget` does the counting). The course's
# attacks spend it in different ways:
#
# - `random_flip` relabels randomly chosen training rows to the other class. It has no target: it
#   simply makes the labels noisier.
# - `targeted_flip` relabels only rows of `source_label` as `target_label`. This is the reference's
#   goal, "positive read as negative", pursued by changing labels in place.
# - `duplicate_flip` is the reference's attack: it leaves every row as it is and *appends* copies with
#   the opposite label. Left to itself it copies rows from both classes; with `source_label` and
#   `target_label` it copies only source rows and labels them all as the target. We run it both ways,
#   and call the second one **aimed**.
#
# Let us apply each at the headline fraction to one split and look at what it did to the training set.

# %%
data = load_sentiment()
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, random_state=seed)
labels_before = train_labels.copy()
AIMED = "duplicate-flip, aimed"

walk = {
    "random-flip": random_flip(train_texts, train_labels, headline_fraction, random_state=seed),
    "targeted-flip": targeted_flip(train_texts, train_labels, headline_fraction, source_label=source_label,
                                   target_label=target_label, random_state=seed),
    "duplicate-flip": duplicate_flip(train_texts, train_labels, headline_fraction, random_state=seed),
    AIMED: duplicate_flip(train_texts, train_labels, headline_fraction, source_label=source_label,
                          target_label=target_label, random_state=seed),
}
inputs_unchanged = bool(np.array_equal(train_labels, labels_before))
print(f"{len(data)} sentences: {len(train_texts)} for training, {len(test_texts)} for testing (seed {seed}).")
print(f"Fraction {headline_fraction:.0%} of the training set. The attacks left the clean labels unchanged: "
      f"{inputs_unchanged}")

# %% [markdown]
# We train the reference's pipeline on each poisoned training set, and on the clean one (`no_attack`,
# the course's name for leaving the data alone), and score each on the same untouched test set:

# %%
walk_accuracy, rows = {}, {}
for name, attack in {"none": no_attack(train_texts, train_labels), **walk}.items():
    fitted = make_model(random_state=seed).fit(attack.texts, attack.labels)
    walk_accuracy[name] = accuracy(test_labels, fitted.predict(test_texts))
    rows[name] = {"poisoned rows": len(attack.poisoned_indices), "training rows": len(attack.texts),
                  f"share {source_label}": np.mean(attack.labels == source_label), "test accuracy": walk_accuracy[name]}
walk_clean_accuracy = walk_accuracy.pop("none")
print(pd.DataFrame.from_dict(rows, orient="index").rename_axis("attack").round(3).to_string())

# %% [markdown]
# Every attack poisoned the same number of rows, yet the training sets they leave behind differ. Random
# flips take rows from both classes in about equal numbers, so the classes stay balanced; only the
# labels became noisier. The targeted flip moves rows out of the source class only, so the source
# class shrinks and the target class grows. Duplicate-and-flip keeps every clean row and adds new
# ones, so the training set grows; unaimed, it adds copies in both directions and the balance barely
# moves; aimed, every copy lands in the target class.
#
# Here is one poisoned row of each kind: what it was, and what the poisoned training set holds.

# %%
n = len(train_texts)
for name, attack in walk.items():
    row = int(attack.poisoned_indices[len(attack.poisoned_indices) // 2])
    original = row if row < n else train_texts.index(attack.texts[row])
    where = "relabelled in place" if row < n else f"appended as row {row}; row {original} keeps its label"
    print(f"{name}: {attack.texts[row]!r}")
    print(f"    true label {str(train_labels[original])!r}, poisoned label {str(attack.labels[row])!r} ({where})")

# %% [markdown]
# One split gives one number per attack, and lesson 01 showed how much a single split's accuracy moves
# on its own. To compare the attacks properly we need many fractions and several splits.
#
# ## 4. Accuracy against the fraction
#
# `course_utils.experiment.sweep` runs the shared experiment for every attack, fraction and seed: split,
# poison the training set, train the reference's pipeline, score it on the untouched test set. It
# vectorises each split once and reuses the word counts for attacks that only change labels or copy
# rows, so the whole grid takes seconds. `summarize` turns the rows into a mean and a 95% interval
# over seeds for each attack and fraction.
#
# The unaimed attacks need no labels; the aimed ones get `source_label` and `target_label`. So we run
# two sweeps and put them in one table.

# %%
sweep_fractions = sorted(set(fractions) | {0.0, headline_fraction})
unaimed = sweep(data.texts, data.labels, attacks=["random-flip", "duplicate-flip"], fractions=sweep_fractions,
                seeds=seeds)
aimed = sweep(data.texts, data.labels, attacks=["targeted-flip", "duplicate-flip"], fractions=sweep_fractions,
              seeds=seeds, source_label=source_label, target_label=target_label)
aimed["attack"] = aimed["attack"].replace({"duplicate-flip": AIMED})
results = pd.concat([unaimed, aimed], ignore_index=True)
results["accuracy_drop"] = results["clean_accuracy"] - results["poisoned_accuracy"]  # paired by seed
summary = summarize(results, metrics=("poisoned_accuracy", "accuracy_drop", "attack_success_rate",
                                       "clean_attack_success_rate"))
order = ["random-flip", "targeted-flip", "duplicate-flip", AIMED]

clean_by_seed = results.groupby("seed")["clean_accuracy"].first()
clean_mean, clean_low, clean_high = mean_interval(clean_by_seed)
print(f"{len(results)} poisoned models: {results['attack'].nunique()} attacks x {len(sweep_fractions)} fractions "
      f"x {len(seeds)} seeds.")
print(f"Unpoisoned model: mean accuracy {clean_mean:.3f}, 95% interval [{clean_low:.3f}, {clean_high:.3f}].")

# %%
fig, (ax_acc, ax_asr) = plt.subplots(1, 2, figsize=(13.0, 4.6))
plot_sweep(summary, "poisoned_accuracy", ax=ax_acc, attacks=order, reference=clean_mean,
           reference_label="unpoisoned model", title=f"Test accuracy against fraction ({len(seeds)} seeds)",
           ylabel="test accuracy of the poisoned model")
ax_acc.axhline(0.5, color="#999999", linestyle=":", linewidth=1.2, label="coin toss")
ax_acc.legend()
plot_sweep(summary, "attack_success_rate", ax=ax_asr, attacks=order,
           title=f"Attack success: {source_label} test sentences read as {target_label}",
           ylabel=f"share of {source_label} sentences predicted {target_label}")
ax_asr.set_ylim(0, 1.02)
plt.show()

# %% [markdown]
# Bands are 95% intervals over seeds; the dashed grey line is the unpoisoned model and the dotted line
# is a coin toss. The right panel draws only the aimed attacks: the others have no target, hence no success rate.
# The same numbers as a table, for each attack and fraction: the poisoned model's test accuracy and
# the attack success rate, each as a mean with its 95% interval (`NaN` for the attacks without a
# target).

# %%
parts = ["mean", "low", "high"]
by_attack = summary.set_index(["attack", "fraction"]).loc[order]
table = pd.concat({
    "test accuracy": by_attack[[f"poisoned_accuracy_{p}" for p in parts]].set_axis(parts, axis=1),
    f"{source_label} read as {target_label}": by_attack[[f"attack_success_rate_{p}" for p in parts]].set_axis(parts, axis=1),
}, axis=1)
print(table.round(3).to_string())

# %% [markdown]
# What each curve shows:
#
# - **random-flip** (blue) lowers accuracy steadily. A flipped row does double damage: its words stop
#   counting for the class they belong to and start counting for the other one. Because the flips hit
#   both classes alike, the model is not pushed towards either class; the word evidence just gets
#   weaker. Were half the labels flipped, both classes would look the same and the model could do no
#   better than a coin toss.
# - **targeted-flip** (red) falls fastest. Every flipped row pushes the same way, and the source class
#   also shrinks, so the model's prior leans to the target. Its attack success rate climbs towards 1:
#   at the largest fractions the model calls nearly every sentence the target class, and its accuracy
#   sinks to that of a model that always answers the same.
# - **duplicate-flip**, unaimed (orange), hurts least of all. Each copy sits next to its correctly
#   labelled twin, which is still in the training set. Copies run in both directions and the classes
#   stay balanced.
# - **duplicate-flip, aimed** (green) does move the model towards the target class, but less
#   than a targeted flip of the same number of rows: its twins keep their labels, so it adds evidence
#   for the target without removing any for the source.
#
# The next section puts numbers on these comparisons at the headline fraction.
#
# ## 5. Duplicate-and-flip: spread out or aimed
#
# We compare the attacks seed by seed: for each split, the drop is the unpoisoned model's accuracy
# minus the poisoned model's on the same test set, and we report the mean drop with a 95% interval (the sweep's rows hold it as
# `accuracy_drop`).
# Pairing by seed removes the split-to-split spread that both models share.

# %%
at_headline = summary[np.isclose(summary["fraction"], headline_fraction)].set_index("attack").loc[order]
drops = {a: tuple(at_headline.loc[a, [f"accuracy_drop_{p}" for p in parts]]) for a in order}
asr = {a: tuple(at_headline.loc[a, [f"attack_success_rate_{p}" for p in parts]]) for a in ["targeted-flip", AIMED]}
clean_asr = float(at_headline.loc["targeted-flip", "clean_attack_success_rate_mean"])
n_headline = int(results.loc[np.isclose(results["fraction"], headline_fraction), "n_poisoned"].iloc[0])
print(f"At a fraction of {headline_fraction:.0%} ({n_headline} poisoned rows), over {len(seeds)} seeds: accuracy drop "
      f"(mean, 95% interval) and attack success rate")
print(at_headline[[f"accuracy_drop_{p}" for p in parts] + ["attack_success_rate_mean"]]
      .set_axis(["drop", "low", "high", "success"], axis=1).round(3).to_string())
print(f"The unpoisoned model's attack success rate: {clean_asr:.3f}.")

# Both attacks against the same clean model of each split: their accuracies differ by the drops' difference.
headline_runs = results[np.isclose(results["fraction"], headline_fraction)]
by_seed = headline_runs.pivot_table(index="seed", columns="attack", values="poisoned_accuracy")
kept = mean_interval(by_seed["duplicate-flip"] - by_seed["random-flip"], bounds=DIFFERENCE)
print(f"\nThe unaimed duplicate-and-flip leaves accuracy higher than random flips of as many rows, by "
      f"{kept[0]:.3f} [{kept[1]:.3f}, {kept[2]:.3f}] (paired by seed).")
split_spread = seed_spread(clean_by_seed)
small = summary[(summary["accuracy_drop_mean"] < split_spread) & (summary["accuracy_drop_low"] > 0)]
print(f"Clean accuracy moves by {split_spread:.4f} (standard deviation) from one split to another. Drops smaller "
      f"than that, measured by pairing, whose interval excludes zero:")
print("\n".join(f"  {r.attack} at {r.fraction:.0%}: {r.accuracy_drop_mean:.4f} [{r.accuracy_drop_low:.4f}, "
                f"{r.accuracy_drop_high:.4f}]" for r in small.itertuples()) or "  none in this sweep")
print(f"Aimed, duplicate-and-flip raises the attack success rate by {asr[AIMED][0] - clean_asr:.3f}; "
      f"the targeted flip by {asr['targeted-flip'][0] - clean_asr:.3f}.")

# %% [markdown]
# Why does the unaimed duplicate-and-flip do so little? Look again at what it adds. A copy says "this
# sentence is negative" right next to its twin saying "this sentence is positive". For Naive Bayes,
# which counts words per class, that copy's words now count once in each class: the pair cancels, and
# the sentence's evidence is diluted rather than reversed (a random flip reverses it). And since the
# copies are drawn from both classes, the dilution is spread evenly, with no class favoured. The walk-
# through split makes this concrete:

# %%
spread = walk["duplicate-flip"]
copies = spread.poisoned_indices
twins = [train_texts.index(spread.texts[i]) for i in copies]
twin_kept = np.mean([spread.labels[t] == train_labels[t] for t in twins])
directions = pd.Series([f"{train_labels[t]} -> {spread.labels[c]}" for t, c in zip(twins, copies)]).value_counts()
print(f"Unaimed duplicate-and-flip, seed {seed}: {len(copies)} copies; share whose twin keeps its true label: "
      f"{twin_kept:.0%}")
print("Copies by direction: " + ", ".join(f"{k}: {v}" for k, v in directions.items()))
aimed_walk = walk[AIMED]
aimed_directions = pd.Series([f"{source_label} -> {aimed_walk.labels[c]}" for c in aimed_walk.poisoned_indices])
print("Aimed copies by direction: " + ", ".join(f"{k}: {v}" for k, v in aimed_directions.value_counts().items()))

# %% [markdown]
# Aimed at one class, the same mechanism becomes an attack: every copy now pushes towards the target
# class, and the target class grows while the source stays as it was, so the prior moves too. The
# sweep above measured the result: a clear rise in attack success, though never as steep as the
# targeted flip's, because a copy adds wrong evidence without taking away the right evidence of its
# twin.
#
# The lesson for a defender: *how* poison is spent matters as much as *how much*. An attacker who
# can only add rows does most harm by aiming them at one class; one who can relabel existing rows does
# more harm still with the same fraction.
#
# ## Playground: attack and fraction
#
# Pick an attack and move the fraction slider to see the unpoisoned and poisoned models side by side
# (means over three seeds; the slider updates when you release it). The cell just below draws the same
# figure at the default setting, so it shows even where widgets cannot run (a static page, a headless
# build). `course_utils.playgrounds.poison_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import format_numbers, poison_explorer, poison_playground

figure, playground_numbers = poison_playground(attack="random-flip", fraction=0.2)
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(poison_explorer())

# %% [markdown]
# ## Summary

# %%
poisoned_mean, poisoned_low, poisoned_high = at_headline.loc["random-flip", [f"poisoned_accuracy_{p}" for p in parts]]
print(f"- The reference's step 3, run exactly, prints 'Test accuracy (poisoned): "
      f"{model_poisoned.score(X_test, y_test)}' (clean: {model.score(X_test, y_test)}); "
      f"duplicate_flip(indices=[0, 4]) rebuilds its poisoned set exactly: {duplicate_flip_matches}.")
poisoned_sentences = {text for text, _ in poisoned_data[len(clean_data):]}
print(f"- The test sentence(s) that changed, {', '.join(map(repr, changed_sentences))}, "
      f"{'are not' if not poisoned_sentences & set(changed_sentences) else 'include'} poisoned sentences.")
print(f"- On real data (means over {len(seeds)} seeds), the unpoisoned model scores {clean_mean:.3f} "
      f"[{clean_low:.3f}, {clean_high:.3f}].")
print(f"- Random flips of {headline_fraction:.0%} of the labels lower it to {poisoned_mean:.3f} "
      f"[{poisoned_low:.3f}, {poisoned_high:.3f}], a drop of {drops['random-flip'][0]:.3f}.")
print(f"- A targeted flip of as many rows drops it by {drops['targeted-flip'][0]:.3f} and makes "
      f"{asr['targeted-flip'][0]:.1%} of {source_label} test sentences read as {target_label}.")
print(f"- Duplicate-and-flip spread over both classes drops it by only {drops['duplicate-flip'][0]:.3f}; aimed at "
      f"{source_label}, by {drops[AIMED][0]:.3f}, with an attack success rate of {asr[AIMED][0]:.3f} "
      f"(unpoisoned: {clean_asr:.3f}).")


# %% [markdown]
# What to take away: a poisoning attack is a fraction of the training set and a way of spending it. Label noise spread at
# random weakens a model slowly; the same number of rows aimed at one class moves it quickly, and
# relabelling beats appending because it takes the right evidence away as well as adding wrong
# evidence. All of this was measured with one number, test accuracy, and the aimed attacks already
# hint that one number is not enough: lesson 03 tests the impact properly, and shows an attack that
# accuracy does not see.
#
# To explore on your own, change the parameters cell and re-run: other `seeds`, a finer grid of
# `fractions`, another `headline_fraction`, or swap `source_label` and `target_label`.
#
# **Exercises:** `exercises/02_label_flip_poisoning_ex.ipynb` gives you
# practice with what this lesson measured.

# %%
def as_interval(values):
    mean, low, high = (float(v) for v in values)
    return {"mean": mean, "low": low, "high": high}


_ = record_results(record_path, seeds=seeds, fractions=sweep_fractions, headline_fraction=headline_fraction,
                   source_label=source_label, target_label=target_label,
                   reference_clean_accuracy=float(model.score(X_test, y_test)),
                   reference_poisoned_accuracy=float(model_poisoned.score(X_test, y_test)),
                   duplicate_flip_matches_reference=duplicate_flip_matches,
                   duplicate_flip_rebuilt_accuracy=float(rebuilt_accuracy),
                   attacks_leave_inputs_unchanged=inputs_unchanged,
                   clean_accuracy_mean=clean_mean, clean_accuracy_low=clean_low, clean_accuracy_high=clean_high,
                   random_flip_accuracy_mean=poisoned_mean, random_flip_accuracy_low=poisoned_low,
                   random_flip_accuracy_high=poisoned_high,
                   accuracy_drop={a: as_interval(v) for a, v in drops.items()},
                   attack_success_rate={a: as_interval(v) for a, v in asr.items()},
                   clean_attack_success_rate=clean_asr,
                   accuracy_by_fraction={a: dict(zip(summary[summary["attack"] == a]["fraction"],
                                                     summary[summary["attack"] == a]["poisoned_accuracy_mean"]))
                                         for a in order},
                   walkthrough_accuracy=walk_accuracy, walkthrough_clean_accuracy=walk_clean_accuracy,
                   duplicate_twin_kept_share=float(twin_kept), changed_toy_sentences=changed_sentences)
