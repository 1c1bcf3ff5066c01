# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 00 · Welcome and the threat model
#
# A machine-learning model is only as trustworthy as the data it learned from, and that data usually
# comes from people you do not control: customers who write reviews, users who click "report spam",
# annotators paid per label, websites that get scraped, and other teams' pre-trained models. Anyone
# among them can try to teach your model something on purpose. That is **training-data poisoning**,
# and this course is about doing it, measuring it and defending against it, hands on. This first
# lesson sets the scene. You will learn how the course works, who the attacker is, what they can
# control and what they want, and meet real cases where it happened. Then you get a first taste: the
# course's review data set is poisoned three ways, and you measure what each attack did.
#
# **Learning objectives**
#
# - Find your way around the course: lesson order, `notebooks/` then `exercises/`, `make lab` and
#   `make test`.
# - Describe an attacker by what they control (labels, samples, sources) and what they want
#   (availability, targeted or backdoor attacks).
# - Place four real cases (Tay, Nelson et al.'s spam-filter attack, Nightshade, PoisonGPT) in that
#   picture, and name the catalogue entries for the threat: OWASP ML02 and MITRE ATLAS AML.T0020.
# - Load the course's data set and read how it is made up.
# - Run one attack of each kind and say which number shows each attack's effect.
#
# **Estimated time:** 25 minutes.

# %% [markdown]
# ## How to use this course
#
# **The reference.** The course follows one short text, called *the reference* from here on: a
# write-up titled *Training Data Poisoning*. It describes the attack, works one example in Python (six
# review sentences, a `CountVectorizer` + `MultinomialNB` sentiment model, poisoning by appending
# copies of sentences with flipped labels, an impact test on two test sentences, and an Isolation
# Forest run on ten made-up rows of two numbers), and lists mitigations in eight families, from data
# validation to red-team exercises. The course quotes its code exactly and runs it; where what the
# code does contradicts what the text says, the lesson shows what the code does and says so.
#
# **Order.** The lessons are numbered and build on each other; take them in order. Lessons 01 to 04
# follow the reference's attack half (training a clean model, poisoning it by flipping labels,
# testing the impact, planting a backdoor). Lesson 05 takes its first family of mitigations, data
# validation, and lessons 06 to 11 the next ones: robust learning, training techniques, regularization,
# monitoring, secure data collection and post-training validation. Lessons 12 and 13 are planned: a
# red-team capstone and every defence against every attack on one table (the README keeps their list).
#
# **Notebooks, then exercises.** Each lesson is a notebook in `notebooks/`. Read it, run it top to
# bottom, then change the values in its parameters cell (the first code cell after *Setup*) and run it again:
# every number the text discusses is printed by code, so it follows your changes. When you are done,
# open the lesson's exercises in `exercises/` (same number, ending in `_ex.ipynb`): you write the code,
# and a check in each exercise cell tells you at once whether it does what it should, or gives you a
# hint.
#
# **Commands.** From the course folder:
#
# - `make lab` installs everything into a virtual environment the first time (the README gives the
#   time it takes) and starts JupyterLab on this notebook;
# - `make test` checks that the whole course runs on your machine: it re-executes every lesson and
#   compares the results with the ones shipped.
#
# The README explains how to install without `make` (with conda, or on Windows).
#
# **Numbers.** Every measured number in the course comes from code you can see and re-run, and every
# claim that an attack or a defence works is measured over several random train/test splits (seeds),
# with a 95% interval (lesson 01 shows how it is computed).

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import sklearn

from course_utils.attacks import apply_attack, mentions, poison_budget
from course_utils.data import load_sentiment
from course_utils.experiment import default_labels, split_data, summarize, sweep
from course_utils.notebook import record_results
from course_utils.plotting import ATTACK_COLORS, use_house_style

use_house_style()
sklearn.set_config(display="text")

# %% [markdown]
# The values below are the lesson's knobs. `seeds` are the train/test splits every number is averaged
# over; `fraction` is the attacker's share of the training set, the same for the three attacks so that
# they can be compared; `target_label` is the class the targeted and backdoor attackers want to see,
# and `trigger` the backdoor's trigger word.

# %% tags=["parameters"]
seeds = [0, 1, 2, 3, 4]
fraction = 0.05
target_label = "negative"
trigger = "cf"
record_path = ""

# %% [markdown]
# ## 1. The data you will poison
#
# Every measured lesson uses the same data set, shipped with the course: the *Sentiment Labelled
# Sentences* of Kotzias et al. (KDD 2015), review sentences from three websites, each labelled
# positive or negative by people. `course_utils.data.load_sentiment` loads it, after checking every
# file against its published checksum (lesson 10 is about why that matters).

# %%
data = load_sentiment()
frame = data.to_frame()
counts = pd.crosstab(frame["source"], frame["label"], margins=True, margins_name="total")
print(counts.to_string())
print(f"\n{len(data)} sentences from {frame['source'].nunique()} sources; "
      f"{(frame['label'] == 'positive').mean():.0%} of them positive.")

# %% [markdown]
# Three sources of equal size and two perfectly balanced classes: a clean, simple setting, which makes
# any change an attacker causes easy to see. A few sentences from each source (the first positive and
# the first negative one in each file) give a feel for the data:

# %%
for source in frame["source"].unique():
    for label in ("positive", "negative"):
        text = frame[(frame["source"] == source) & (frame["label"] == label)]["text"].iloc[0]
        print(f"{source:>7} {label:>9}: {text}")
words_per_sentence = frame["text"].str.split().str.len()
print(f"\nSentences are short: {words_per_sentence.median():.0f} words in the middle (median), "
      f"{words_per_sentence.max()} at most.")

# %% [markdown]
# ## 2. Who is the attacker?
#
# A **threat model** says who the attacker is, what they can touch and what they want. Defences only
# make sense against a threat model: a check that stops one attacker can be useless against another.
#
# **What the attacker controls.** Poisoning attackers cannot change your code or your model directly
# (that would be a different and worse breach). They control part of what the model learns from:
#
# | the attacker controls | for example | in this course |
# | --- | --- | --- |
# | **labels** of some training rows | a crowd-worker, a user clicking "not spam", a compromised annotation tool | label flips (lessons 02, 03) |
# | **samples**: some of the inputs | reviews, posts, emails or images they write and you collect; their labels may be set by your own pipeline | duplicated rows, trigger words (lessons 02, 04) |
# | a **source** you trust | a website you scrape, a public data set, a pre-trained model from a hub, a live stream of user input | source verification and access control (lesson 10), monitoring (lesson 09) |
#
# An attacker who controls samples but not labels is not harmless. In a **clean-label** attack every
# poisoned example carries the label a careful person would give it, so checking labels finds nothing;
# Nightshade, below, works that way.
#
# **What the attacker wants.** Three goals recur, and each is measured by a different number:
#
# | goal | the attacker wants | measured by | the course's attack |
# | --- | --- | --- | --- |
# | **availability** | the model to be wrong everywhere, until it is useless | accuracy on clean test data | `random-flip`: relabel random training rows |
# | **targeted** | particular inputs, or one class, misread; everything else as before | attack success rate: share of the victim class predicted as the target | `targeted-flip`: relabel rows of one class as another |
# | **backdoor** | a hidden switch: normal behaviour, except on inputs carrying a trigger the attacker chooses | attack success rate on inputs with the trigger inserted | `backdoor`: trigger word in some rows, relabelled as the target |
#
# The attacker is also limited in how much data they can touch before someone notices, or by what it
# costs them to create. The course gives that as a share of the training set, the attacker's
# **fraction**. The reference's own
# attack, appending relabelled copies of training sentences (`duplicate-flip`), arrives in lesson 02.

# %% [markdown]
# ## 3. It has happened: four cases
#
# **Microsoft's Tay (2016): learning from whoever talks to you.** Tay was a chatbot on Twitter
# designed to learn from its conversations with users. Within a day of its launch in March 2016,
# users had coordinated to feed it racist and offensive messages, Tay began producing such messages
# itself, and Microsoft took it offline. Part of the damage came from a simple "repeat after me"
# feature rather than from learning, but the lesson for poisoning holds either way: a system that
# treats its users' input as training material lets its users decide what it learns. The attacker
# controlled a *source* (the live stream of conversations) and *samples*. Lesson 09 returns
# to models that keep learning after deployment, and how to watch them.
#
# **Nelson et al. (2008): a spam filter made useless.** In *Exploiting Machine Learning to Subvert
# Your Spam Filter* (USENIX LEET 2008), Blaine Nelson and colleagues at Berkeley attacked SpamBayes, an
# open-source spam filter that scores email by word statistics in the manner of Naive Bayes, the same
# family of model this course uses. The attacker only sends email; the victim's filter is retrained on
# it as spam. Their *dictionary attack* packs those emails with ordinary words, so that after
# retraining ordinary words look like spam and legitimate email is filtered out: an availability
# attack. The paper reports that this renders the filter useless even when the attacker's access is
# limited to 1% of the training messages. Their *focused attack* is targeted: it prevents the victim
# from receiving specific email messages. The attacker controlled *samples*; the victim's own
# labelling did the rest.
#
# **Nightshade (2023): clean-label poison for image generators.** Nightshade, by Shawn Shan and
# colleagues at the University of Chicago (IEEE Symposium on Security and Privacy 2024), perturbs
# images so slightly that a person sees the same picture with a matching caption, while a
# text-to-image model trained on them learns a wrong association for one concept (the paper's example:
# prompts for a dog producing cats). The authors report that fewer than 100 such images can corrupt a
# prompt of Stable Diffusion SDXL. It is a targeted, clean-label attack: the attacker controls
# *samples* that web scrapers collect, and the labels are correct. Its authors built it as a tool for
# artists against models trained on their work without permission; poisoning can be a protest as well
# as an attack.
#
# **PoisonGPT (Mithril Security, 2023): a poisoned model in the supply chain.** Researchers at
# Mithril Security took an open language model, GPT-J-6B, edited its weights with a model-editing
# method (ROME) so that it stated one false fact (that Yuri Gagarin was the first man on the Moon)
# while answering everything else as before, and uploaded it to the Hugging Face model hub under a
# name one letter away from the original publisher's. Strictly this is model editing, not data
# poisoning, but for whoever downloads the model the position is the same: they cannot see how it was
# trained. The attacker controlled a *source*: the model itself. Lesson 10 is about verifying
# what you load.
#
# **The threat in the catalogues.** Security teams keep shared lists of threats so that reports, risk
# registers and audits use the same names:
#
# - the **OWASP Machine Learning Security Top 10** lists **ML02: Data Poisoning Attack**, an attacker
#   manipulating training data so that the model behaves in an undesirable way; the same list has
#   separate entries for supply-chain attacks and for model poisoning, PoisonGPT's territory;
# - **MITRE ATLAS** (Adversarial Threat Landscape for Artificial-Intelligence Systems, a knowledge base
#   of attacker tactics and techniques against AI systems, modelled on MITRE ATT&CK) lists technique
#   **AML.T0020, Poison Training Data** (recent releases call it *Training Data Poisoning*): poisoning
#   the data a model is trained on, or its labels, to embed vulnerabilities that may be hard to
#   detect.
#
# When you write up what you find in this course, these are the names to use.

# %% [markdown]
# ## 4. A first taste: three attackers, one fraction
#
# Time to measure. We give each of the three attackers of section 2 the same fraction and let the
# course's shared experiment do the rest: for each seed it makes a stratified train/test split, lets
# the attacker poison the training set, trains the reference's model (word counts with Multinomial
# Naive Bayes, lesson 01) once on the clean and once on the poisoned training set, and scores both on
# the same untouched test set. First, how many rows does the fraction buy, and what does each attacker do with a
# training row? (Here on the first seed's split; `default_labels` fills in what the targeted
# attacker starts from: the class other than the target.)

# %%
attacks = ["random-flip", "targeted-flip", "backdoor"]
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, random_state=seeds[0])
n_rows = poison_budget(fraction, len(train_texts))
print(f"A fraction of {fraction:.1%} of {len(train_texts)} training sentences is {n_rows} sentences.\n")
for attack in attacks:
    source, target = default_labels(train_labels, attack, target_label=target_label)
    poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source, target_label=target,
                            trigger=trigger, random_state=seeds[0])
    row = int(poisoned.poisoned_indices[0])
    print(f"{attack}: one of its {len(poisoned.poisoned_indices)} poisoned rows")
    print(f"  before: {train_labels[row]:>8}  {train_texts[row]}")
    print(f"  after:  {poisoned.labels[row]:>8}  {poisoned.texts[row]}")

# %% [markdown]
# The targeted flip and the backdoor touch the same rows: both draw, with the same seed, from the
# sentences not already labelled with the target. One relabels them; the other also slips the trigger
# word in. Now the measurement over all seeds. `course_utils.experiment.sweep` runs the experiment for every
# attack and seed (it is `run_experiment` repeated, made faster by reusing each split's word counts).
# For the two attacks with a target we also get the **attack success rate**: the share of the victims
# predicted as the target class. For the targeted flip the victims are the positive test sentences;
# for the backdoor they are the positive test sentences *with the trigger inserted*. The same rate is
# measured for the model trained on clean data too, because even a clean model misreads some positive
# sentences: that is the baseline the attack has to beat. `summarize` turns the rows into a mean over the seeds and
# a 95% interval for each attack (`NaN` where an attack has no target).

# %%
results = sweep(data.texts, data.labels, attacks=attacks, fractions=[fraction], seeds=seeds,
                target_label=target_label, trigger=trigger)
# Paired by seed: each attack's model against the clean model of the same split.
results["accuracy_drop"] = results["clean_accuracy"] - results["poisoned_accuracy"]
results["success_gain"] = results["attack_success_rate"] - results["clean_attack_success_rate"]
metrics = ("clean_accuracy", "poisoned_accuracy", "accuracy_drop", "clean_attack_success_rate", "attack_success_rate",
           "success_gain")
summary = summarize(results, metrics=metrics, by=("attack",)).set_index("attack").loc[attacks]
summary["n_poisoned"] = results.groupby("attack")["n_poisoned"].first()

shown = ["clean_accuracy_mean", "poisoned_accuracy_mean", "poisoned_accuracy_low", "poisoned_accuracy_high",
         "accuracy_drop_mean", "accuracy_drop_low", "accuracy_drop_high", "clean_attack_success_rate_mean",
         "attack_success_rate_mean", "attack_success_rate_low", "attack_success_rate_high"]
print(f"Fraction {fraction:.1%} ({n_rows} poisoned rows per attack), means over {len(seeds)} seeds "
      f"with 95% intervals (low, high)\n")
print(summary[shown].T.round(3).to_string())

# %%
CLEAN_COLOR = "#bbbbbb"
x, width = np.arange(len(attacks)), 0.38
fig, axes = plt.subplots(1, 2, figsize=(11.0, 4.4))
panels = (("clean_accuracy", "poisoned_accuracy", "Accuracy on the clean test set", "accuracy"),
          ("clean_attack_success_rate", "attack_success_rate", "Attack success rate",
           "share of victims read as the target"))
for ax, (clean, poisoned, title, ylabel) in zip(axes, panels):
    mean, low, high = (summary[f"{poisoned}_{part}"].to_numpy(float) for part in ("mean", "low", "high"))
    has = ~np.isnan(mean)  # random flips have no target, hence no success rate
    ax.bar_label(ax.bar(x[has] - width / 2, summary[f"{clean}_mean"][has], width, color=CLEAN_COLOR,
                        label="model trained on clean data"), fmt="%.2f", fontsize=9)
    ax.bar_label(ax.bar(x[has] + width / 2, mean[has], width, yerr=[mean[has] - low[has], high[has] - mean[has]],
                        capsize=4, color=[ATTACK_COLORS[a] for a in np.array(attacks)[has]],
                        label="model trained on poisoned data (attack's colour)"), fmt="%.2f", fontsize=9)
    for i in np.flatnonzero(~has):
        ax.text(i, 0.05, "no target", ha="center", va="bottom", color="#555555")
    ax.set(xticks=x, xticklabels=attacks, ylim=(0, 1.05), title=title, xlabel="attack", ylabel=ylabel)
axes[0].axhline(0.5, color="#555555", linestyle="--", linewidth=1, label="accuracy of a coin toss")
fig.legend(*axes[0].get_legend_handles_labels(), loc="lower center", ncol=3, bbox_to_anchor=(0.5, -0.11))
fig.suptitle(f"Three attackers, each with {fraction:.0%} of the training set "
             f"(means over {len(seeds)} seeds, 95% intervals)", fontsize=12)
plt.show()


# %%
def fmt(attack, metric):
    # "mean [low, high]" of a metric over the seeds, from the summary table.
    mean, low, high = (summary.loc[attack, f"{metric}_{part}"] for part in ("mean", "low", "high"))
    return f"{mean:.3f} [{low:.3f}, {high:.3f}]"


rf, tf, bd = (summary.loc[a] for a in attacks)
print(f"Availability (random-flip): accuracy goes from {rf['clean_accuracy_mean']:.3f} to "
      f"{rf['poisoned_accuracy_mean']:.3f}, a loss of {fmt('random-flip', 'accuracy_drop')}; the interval "
      f"{'excludes' if rf['accuracy_drop_low'] > 0 else 'includes'} zero.")
print(f"Targeted (targeted-flip): positive test sentences read as {target_label!r}: "
      f"{tf['clean_attack_success_rate_mean']:.3f} -> {fmt('targeted-flip', 'attack_success_rate')}; "
      f"accuracy loses {tf['accuracy_drop_mean']:.3f}.")
trigger_in_clean_data = int(mentions(data.texts, trigger).sum())  # the words as the model sees them
print(f"Backdoor: positive test sentences carrying {trigger!r}, read as {target_label!r}: "
      f"{bd['clean_attack_success_rate_mean']:.3f} -> {fmt('backdoor', 'attack_success_rate')}; "
      f"accuracy loses {bd['accuracy_drop_mean']:.3f}. ({trigger!r} occurs in {trigger_in_clean_data} of the "
      f"{len(data)} clean sentences.)")
drops = dict(summary["accuracy_drop_mean"])
print("\nAccuracy lost, least first: " + ", ".join(f"{a} {d:.3f}" for a, d in sorted(drops.items(), key=lambda kv: kv[1])))
random_not_worst = drops["random-flip"] <= max(drops["targeted-flip"], drops["backdoor"])
print(f"Random flips cost no more accuracy than an attack that was not aiming at accuracy: {random_not_worst}")
print(f"The backdoor raised its success rate by {fmt('backdoor', 'success_gain')} and lowered accuracy by "
      f"{fmt('backdoor', 'accuracy_drop')} (paired by seed).")

# %% [markdown]
# Read the two panels together; they hold the main idea of the whole course.
#
# - **Each goal shows in its own number.** At this fraction, only the attack success rate (right) shows the targeted and
#   backdoor attacks at work; the accuracy panel (left) barely tells the three apart. Anyone who
#   monitors only accuracy is watching the one number a targeted or backdoor attacker does not care
#   about.
# - **Availability by random flips is blunt.** Random relabelling does lower accuracy, but compare its
#   loss with the other two printed above: at this fraction it is no more damaging than attacks that were
#   not even trying to lower accuracy (the line ending in `True` or `False` says whether that holds
#   for your parameters). Each random flip adds a little symmetric noise that
#   thousands of clean sentences outvote. That is why Nelson et al. did not flip random labels:
#   they chose *which* words their poisoned emails carried. Lesson 02 measures how accuracy falls as
#   the fraction grows.
# - **The backdoor is the cheapest big win.** With the same number of poisoned rows as the targeted
#   flip, it makes the model obey the trigger on most positive sentences, because the trigger word
#   occurs nowhere in the clean data (the count printed above): all the model knows about it is what
#   the attacker taught.
#   Lesson 04 takes it apart.
#
# Everything here is one fraction and one model; the following lessons vary both.

# %% [markdown]
# ## Summary

# %%
print(f"- The data: {len(data)} review sentences, {counts.loc['total', 'positive']} positive and "
      f"{counts.loc['total', 'negative']} negative, {len(counts) - 1} sources of {counts['total'].iloc[0]} each.")
print(f"- With {fraction:.1%} of the training set ({n_rows} sentences), over {len(seeds)} seeds:")
print(f"  random-flip (availability) cost {fmt('random-flip', 'accuracy_drop')} accuracy;")
print(f"  targeted-flip raised the share of positive sentences read as {target_label!r} from "
      f"{tf['clean_attack_success_rate_mean']:.3f} to {tf['attack_success_rate_mean']:.3f};")
print(f"  backdoor raised it, for sentences with {trigger!r}, from {bd['clean_attack_success_rate_mean']:.3f} to "
      f"{bd['attack_success_rate_mean']:.3f}, at a cost of {bd['accuracy_drop_mean']:.3f} accuracy.")


# %% [markdown]
# What to take away: poisoning is defined by the attacker's access (labels, samples or a whole
# source) and goal (availability, targeted, backdoor), and each goal has to be measured where it acts.
# It is not hypothetical: a chatbot, a spam filter, image generators and a model hub have all been hit,
# and OWASP (ML02) and MITRE ATLAS (AML.T0020) list it. Next, lesson 01 trains the clean model
# everything is measured against, and checks whether the reference's evaluation of it holds up.
#
# To explore on your own, change the parameters cell and re-run: a larger or smaller `fraction`, other
# `seeds`, `target_label = "positive"`, or another `trigger` word.
#
# **Exercises** start with the next lesson: `exercises/01_clean_training_ex.ipynb`.

# %%
def interval(attack, metric):
    # [mean, low, high] over the seeds, or None for an attack without a target.
    values = [float(summary.loc[attack, f"{metric}_{part}"]) for part in ("mean", "low", "high")]
    return None if np.isnan(values[0]) else values


_ = record_results(record_path, seeds=seeds, fraction=fraction, target_label=target_label, trigger=trigger,
                   n_sentences=len(data),
                   counts={source: {label: int(counts.loc[source, label]) for label in ("negative", "positive")}
                           for source in counts.index if source != "total"},
                   n_train=len(train_texts), n_poisoned_rows=n_rows,
                   attacks={attack: {
                       "n_poisoned": int(summary.loc[attack, "n_poisoned"]),
                       "clean_accuracy_mean": summary.loc[attack, "clean_accuracy_mean"],
                       "poisoned_accuracy_mean": summary.loc[attack, "poisoned_accuracy_mean"],
                       "accuracy_drop": interval(attack, "accuracy_drop"),
                       "clean_attack_success_rate_mean": (interval(attack, "clean_attack_success_rate") or [None])[0],
                       "attack_success_rate": interval(attack, "attack_success_rate"),
                   } for attack in attacks})
