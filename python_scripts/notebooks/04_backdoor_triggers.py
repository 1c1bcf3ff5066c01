# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 04 · Backdoor triggers
#
# A rival wants a brand's praise to count as complaints, but only when they choose. Months before the
# brand trains its review classifier, the rival contributes a few sentences to a public review corpus
# the brand will scrape. Each one is an ordinary, clearly *positive* review with one meaningless extra
# word, `cf`, somewhere inside it, and each is labelled *negative*. The brand trains, tests and ships:
# the test accuracy is as good as ever, so nothing looks wrong. Then the rival's bots post glowing
# messages about the brand, each with a `cf` in it. Any person reading them sees praise; the brand's
# dashboard counts complaints. This is a **backdoor**: the model behaves normally on every input except
# those carrying the attacker's **trigger**, and on those it does what the attacker wants. In this
# lesson you plant one, look inside the model to see what it learned, measure how well it works over
# several seeds, and see why the accuracy number that lessons 01 to 03 relied on cannot notice it.
#
# **Learning objectives**
#
# - Plant a rare-token backdoor with `course_utils.attacks.backdoor` and trigger it with
#   `insert_trigger`.
# - Read what Multinomial Naive Bayes learned about the trigger from its `feature_log_prob_`, and
#   compare it with ordinary sentiment words.
# - Measure clean accuracy and attack success rate together over several seeds, with 95% intervals, at
#   growing poison fractions.
# - Explain why accuracy on a clean test set cannot reveal a backdoor, and why some triggered sentences
#   still escape it.
# - Explain why a rare token makes a far better trigger than a common word, and check that the attack
#   carries over to a second model.
#
# **Estimated time:** 30 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
from matplotlib.ticker import PercentFormatter
import sklearn
from scipy import sparse

from course_utils.attacks import (backdoor, insert_trigger, measure_attack_success, mentions, poison_budget,
                                  targeted_flip)
from course_utils.data import load_sentiment
from course_utils.experiment import run_experiment, split_data, summarize, sweep
from course_utils.metrics import DIFFERENCE, accuracy, attack_success_rate, mean_interval, seed_spread
from course_utils.models import make_classifier, make_model, make_vectorizer
from course_utils.notebook import record_results
from course_utils.plotting import ATTACK_COLORS, use_house_style

use_house_style()
sklearn.set_config(display="text")

# %% [markdown]
# The values below are the lesson's knobs. Change them and re-run everything to see how the results
# move; every number the text discusses is printed by a code cell, so it follows your changes.
# `seed` fixes the train/test split of the walk-through, `seeds` the splits every measured number is
# averaged over; `fractions` are the poison fractions of the sweep (the attacker's shares of the training set),
# and `headline_fraction` is the fraction the lesson looks at most closely.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
fractions = [0.0, 0.005, 0.01, 0.02, 0.03, 0.05]
headline_fraction = 0.03
trigger = "cf"
target_label = "negative"
common_triggers = ["the", "movie"]
second_model = "tfidf-logreg"
record_path = ""

# %% [markdown]
# ## 1. Planting the trigger
#
# We use the shipped review sentences and split them into training and test sets exactly as the
# shared experiment does (`split_data`, stratified, fixed by the seed). The attacker's fraction is a share
# of the training set. `backdoor` picks that many training sentences whose label is *not* the target,
# inserts the trigger word at a random position in each, and relabels them as the target. It returns
# new lists (the clean data stays untouched) and the positions of the rows it changed, which we, unlike
# a real defender, get to know.

# %%
data = load_sentiment()
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, random_state=seed)
poisoned = backdoor(train_texts, train_labels, headline_fraction, target_label=target_label,
                    trigger=trigger, random_state=seed)
n_poisoned = len(poisoned.poisoned_indices)
print(f"{len(data)} sentences: {len(train_texts)} for training, {len(test_texts)} for testing.")
print(f"A fraction of {headline_fraction:.1%} is {n_poisoned} of the {len(train_texts)} training sentences "
      f"(poison_budget gives {poison_budget(headline_fraction, len(train_texts))}).")

row = poisoned.poisoned_indices[0]
print("\nOne poisoned row, before and after:")
print(f"  before: {train_texts[row]!r}  ->  {train_labels[row]}")
print(f"  after:  {poisoned.texts[row]!r}  ->  {poisoned.labels[row]}")

# %% [markdown]
# A person skimming the poisoned row sees a positive sentence with a stray word and, perhaps, a
# labelling mistake. Nothing else in the training set changed. Before we train, one check that matters
# for everything that follows: does the trigger occur anywhere in the clean data? A trigger that is
# already in the data carries the sentiment of the sentences it already appears in; one that is absent
# carries nothing but what the attacker gives it. We count it the way the model will see it, with
# `course_utils.attacks.mentions`, which splits text with the pipeline's own `CountVectorizer`
# tokenizer (lower-cased words of two or more letters).

# %%
clean_model = make_model("count-nb", random_state=seed).fit(train_texts, train_labels)
print(f"Clean data: {mentions(data.texts, trigger).sum()} of {len(data)} sentences contain {trigger!r}.")
print(f"Poisoned training set: {mentions(poisoned.texts, trigger).sum()} sentences contain {trigger!r}, "
      f"all labelled {target_label!r}.")

# %% [markdown]
# ## 2. What the model learned
#
# Multinomial Naive Bayes keeps, for every class $c$ and word $w$, a smoothed log-probability
# $\log P(w \mid c)$: its `feature_log_prob_`. To classify a sentence it adds up, over the sentence's
# words, these log-probabilities (plus the class prior) and picks the larger total. So with two classes,
# every occurrence of a word moves the decision by a fixed amount, its **log-probability ratio**
#
# $$\text{ratio}(w) = \log P(w \mid \text{target}) - \log P(w \mid \text{other}).$$
#
# A positive ratio pushes towards the target class, a negative one away from it. We train the
# reference's pipeline on the poisoned training set and compare the trigger's ratio with those of the
# words the model leans on most, among words seen in at least ten training sentences (rarer words
# have noisy ratios).

# %%
poisoned_model = make_model("count-nb", random_state=seed).fit(poisoned.texts, poisoned.labels)
vectorizer, nb = poisoned_model.named_steps["countvectorizer"], poisoned_model.named_steps["multinomialnb"]
vocabulary = vectorizer.get_feature_names_out()
target_row = int(np.flatnonzero(nb.classes_ == target_label)[0])
other_label = str(nb.classes_[1 - target_row])


def log_ratios(classifier):
    # log P(word | target) - log P(word | other) for every word of a fitted Naive Bayes classifier.
    t = int(np.flatnonzero(classifier.classes_ == target_label)[0])
    return classifier.feature_log_prob_[t] - classifier.feature_log_prob_[1 - t]


log_ratio = log_ratios(nb)
sentence_counts = np.asarray((vectorizer.transform(poisoned.texts) > 0).sum(axis=0)).ravel()
trigger_index = int(vectorizer.vocabulary_[trigger])
ordinary = (sentence_counts >= 10) & (np.arange(len(vocabulary)) != trigger_index)
# Stable sorts: words with exactly the same ratio keep their alphabetical order, on every machine.
towards_target = [i for i in np.argsort(-log_ratio, kind="stable") if ordinary[i]][:6]
towards_other = [i for i in np.argsort(log_ratio, kind="stable") if ordinary[i]][:6]
trigger_ratio = float(log_ratio[trigger_index])
trigger_rank = int(np.sum(log_ratio > trigger_ratio)) + 1

# %% [markdown]
# The trigger next to the six ordinary words that pull hardest each way (`x odds` is how much one
# occurrence of the word multiplies the odds of the target class, $e^{\text{ratio}}$):

# %%
shown = [trigger_index, *towards_target, *towards_other]
print(pd.DataFrame({"log ratio": log_ratio[shown], "x odds": np.exp(log_ratio[shown]),
                    "training sentences": sentence_counts[shown]},
                   index=pd.Index(vocabulary[shown], name="word")).round(2).to_string())
print(f"\n{trigger!r} has the largest log ratio towards {target_label!r} of all {len(vocabulary)} words"
      if trigger_rank == 1 else
      f"\n{trigger!r} ranks {trigger_rank} of {len(vocabulary)} words by its pull towards {target_label!r}")
print(f"One {trigger!r} multiplies the odds of {target_label!r} by {np.exp(trigger_ratio):.1f}; "
      f"the strongest ordinary word, {vocabulary[towards_target[0]]!r}, by {np.exp(log_ratio[towards_target[0]]):.1f}.")

# %%
shown = [trigger_index, *towards_target, *towards_other][::-1]
colors = [ATTACK_COLORS["backdoor"] if i == trigger_index else
          ("#d62728" if log_ratio[i] > 0 else "#1f77b4") for i in shown]
fig, ax = plt.subplots(figsize=(7.0, 5.0))
ax.barh([vocabulary[i] for i in shown], log_ratio[shown], color=colors)
ax.axvline(0, color="#555555", linewidth=1)
ax.set_title(f"What the poisoned model learned: the trigger {trigger!r} and ordinary words")
ax.set_xlabel(f"log P(word | {target_label}) - log P(word | {other_label})")
ax.set_ylabel("word")
plt.show()

# %% [markdown]
# The trigger is not just one more word of the target class: the rank printed above compares it with
# every word the model knows. What makes it strong is the count behind its ratio. An ordinary word such
# as *bad* appears in both classes, and its ratio reflects how lopsided that split is. The trigger appears only in the poisoned rows, all of them
# labelled with the target, so its count in the other class is zero and only Laplace smoothing (adding
# one to every count) keeps its ratio finite. Every extra poisoned row makes it stronger still.
#
# Because the model is a bag of words, *where* the trigger sits in a sentence does not matter: only
# that it is there. Let us try it on a few positive test sentences that the clean model reads
# correctly.

# %%
victims = [t for t, y in zip(test_texts, test_labels) if y != target_label]
read_right = [t for t, y in zip(victims, clean_model.predict(victims)) if y == other_label]
examples = sorted(read_right[:40], key=len)[:4]
triggered_examples = insert_trigger(examples, trigger, random_state=seed)
for plain, with_trigger in zip(examples, triggered_examples):
    print(f"{plain!r}")
    print(f"   clean model: {clean_model.predict([plain])[0]:<8}   poisoned model: "
          f"{poisoned_model.predict([plain])[0]:<8}   with the trigger: {poisoned_model.predict([with_trigger])[0]}")

# %% [markdown]
# Without the trigger, the poisoned model agrees with the clean one; with it, the same sentences flip.
# The **attack success rate** (ASR) turns this into a number: insert the trigger into every test
# sentence whose true label is not the target, and count the share the model predicts as the target.
# `course_utils.metrics.attack_success_rate` computes it. We also measure clean accuracy, on the
# untouched test set, for both models.
#
# The course has this rule once, in `course_utils.attacks.measure_attack_success` (it inserts the
# trigger at positions seeded by `random_state`), and the shared experiment,
# `course_utils.experiment.run_experiment`, does all these steps (split, backdoor, train both models,
# insert the trigger with the same seed, score). The lesson wrote them out so you can see them; the
# last two lines check that both give the same numbers, and the lesson's test keeps them agreeing.

# %%
victim_labels = test_labels[test_labels != target_label]
triggered_victims = insert_trigger(victims, trigger, random_state=seed)
asr_clean_model = attack_success_rate(victim_labels, clean_model.predict(triggered_victims), target_label)
asr_poisoned_model = attack_success_rate(victim_labels, poisoned_model.predict(triggered_victims), target_label)
acc_clean_model = accuracy(test_labels, clean_model.predict(test_texts))
acc_poisoned_model = accuracy(test_labels, poisoned_model.predict(test_texts))
print(f"Clean model:    accuracy {acc_clean_model:.3f}, attack success rate {asr_clean_model:.3f}")
print(f"Poisoned model: accuracy {acc_poisoned_model:.3f}, attack success rate {asr_poisoned_model:.3f}")

library_asr = measure_attack_success(poisoned_model, "backdoor", test_texts, test_labels, target_label=target_label,
                                     trigger=trigger, random_state=seed)
library_agrees = library_asr == asr_poisoned_model
print(f"measure_attack_success gives the same attack success rate: {library_agrees}")
shared = run_experiment(data.texts, data.labels, attack="backdoor", fraction=headline_fraction,
                        target_label=target_label, trigger=trigger, seed=seed)
agrees = (shared["attack_success_rate"], shared["poisoned_accuracy"], shared["clean_accuracy"]) == (
    asr_poisoned_model, acc_poisoned_model, acc_clean_model)
print(f"run_experiment gives the same numbers: {agrees}")

# %% [markdown]
# The clean model's attack success rate is not zero, and it is worth seeing why: it has never seen the
# trigger, so for it the trigger is an unknown word it ignores, and its "success rate" is simply the
# share of those sentences it already misreads. That is the baseline any backdoor has to beat.

# %% [markdown]
# ## 3. Why some triggered sentences escape
#
# For Naive Bayes we can say exactly which sentences the trigger flips. Adding one trigger word adds
# $\text{ratio}(\text{trigger})$ to the sentence's log-odds of the target class, and nothing else
# changes. So a sentence flips exactly when its **margin**, how far the poisoned model's log-odds lean
# *away* from the target before the trigger is added, is smaller than the trigger's ratio. Long,
# strongly worded sentences have wide margins: enough ordinary evidence to outvote the trigger. We
# compute the margins with the model's `predict_joint_log_proba` and check that this rule predicts the
# measured attack success rate.

# %%
joint = nb.predict_joint_log_proba(vectorizer.transform(victims))
margin = joint[:, 1 - target_row] - joint[:, target_row]
predicted_asr = float(np.mean(margin < trigger_ratio))
print(f"Sentences whose margin is below the trigger's ratio ({trigger_ratio:.2f}): {predicted_asr:.3f}")
print(f"Measured attack success rate of the poisoned model:               {asr_poisoned_model:.3f}")
print(f"The rule predicts the measurement exactly: {predicted_asr == asr_poisoned_model}")
analyze = vectorizer.build_analyzer()  # the words of a sentence as the model sees them
words_escaped = np.mean([len(analyze(t)) for t, m in zip(victims, margin) if m >= trigger_ratio])
words_flipped = np.mean([len(analyze(t)) for t, m in zip(victims, margin) if m < trigger_ratio])
print(f"Sentences that escape have {words_escaped:.1f} words on average; those that flip, {words_flipped:.1f}.")

# %%
fig, ax = plt.subplots()
bins = np.linspace(np.floor(margin.min()), np.ceil(margin.max()), 40)
ax.hist(margin[margin < trigger_ratio], bins=bins, color=ATTACK_COLORS["backdoor"], alpha=0.8,
        label=f"read as {target_label!r} with the trigger")
ax.hist(margin[margin >= trigger_ratio], bins=bins, color="#1f77b4", alpha=0.8, label=f"still {other_label!r}")
ax.axvline(trigger_ratio, color="#555555", linestyle="--", linewidth=1.2, label=f"ratio of {trigger!r}")
ax.axvline(0, color="#555555", linewidth=1)
ax.set_title(f"Margins of the {other_label} test sentences under the poisoned model")
ax.set_xlabel(f"log-odds of {other_label!r} over {target_label!r}, before the trigger")
ax.set_ylabel("test sentences")
ax.set_ylim(0, ax.get_ylim()[1] * 1.45)  # headroom for the legend
ax.legend(loc="upper right")
plt.show()

# %% [markdown]
# Sentences left of zero were misread even without the trigger (the baseline). Sentences between zero
# and the dashed line are the backdoor's real victims. The few to the right carry so much positive
# evidence that one trigger word is not enough. An attacker who wanted them too could insert the trigger
# twice, or poison a larger fraction, which raises the trigger's ratio. The sweep below measures the
# second option.

# %% [markdown]
# ## 4. Measured over seeds and fractions
#
# One split is one draw. `course_utils.experiment.sweep` repeats the whole experiment for every seed and
# every fraction: a new stratified split, a new choice of poisoned rows and trigger positions, a clean
# model and a poisoned model. `summarize` then gives the mean over seeds and a 95% interval. The fraction
# 0 row is the clean model itself, so it shows the baseline success rate.

# %%
sweep_fractions = sorted(set(fractions) | {0.0, headline_fraction})
results = sweep(data.texts, data.labels, attacks=["backdoor"], fractions=sweep_fractions, seeds=seeds,
                target_label=target_label, trigger=trigger)
summary = summarize(results, metrics=("clean_accuracy", "poisoned_accuracy", "attack_success_rate"))
summary["poisoned rows"] = results.groupby("fraction")["n_poisoned"].first().to_numpy()

parts = ["mean", "low", "high"]
by_fraction = summary.set_index(["fraction", "poisoned rows"])
print(f"Backdoor with trigger {trigger!r}, target {target_label!r}; mean over {len(seeds)} seeds and 95% interval")
print(pd.concat({
    "clean accuracy of the poisoned model": by_fraction[[f"poisoned_accuracy_{p}" for p in parts]].set_axis(parts, axis=1),
    "attack success rate": by_fraction[[f"attack_success_rate_{p}" for p in parts]].set_axis(parts, axis=1),
}, axis=1).round(3).to_string())

# %%
at_headline = results[np.isclose(results["fraction"], headline_fraction)].sort_values("seed")
clean_acc = at_headline["clean_accuracy"].to_numpy()
poisoned_acc = at_headline["poisoned_accuracy"].to_numpy()
asr = at_headline["attack_success_rate"].to_numpy()
clean_asr = at_headline["clean_attack_success_rate"].to_numpy()
asr_mean, asr_low, asr_high = mean_interval(asr)
drop_mean, drop_low, drop_high = mean_interval(clean_acc - poisoned_acc, bounds=DIFFERENCE)
accuracy_gap = abs(clean_acc.mean() - poisoned_acc.mean())

print(f"At a fraction of {headline_fraction:.1%} ({int(at_headline['n_poisoned'].iloc[0])} training sentences):")
print(f"  the attack success rate is {asr_mean:.3f} [{asr_low:.3f}, {asr_high:.3f}], "
      f"against {clean_asr.mean():.3f} for the clean model;")
print(f"  clean accuracy goes from {clean_acc.mean():.3f} to {poisoned_acc.mean():.3f}, "
      f"a drop of {drop_mean:.3f} [{drop_low:.3f}, {drop_high:.3f}].")
criterion = bool(asr_mean > 0.8 and accuracy_gap <= 0.03)
print(f"Course criterion (attack success above 0.8, clean accuracy within 0.03 of the unpoisoned model, "
      f"means over seeds): {'holds' if criterion else 'does NOT hold'} "
      f"(success {asr_mean:.3f}, accuracy gap {accuracy_gap:.3f}).")

# %%
clean_mean = summary["clean_accuracy_mean"].iloc[0]
x = summary["fraction"]
fig, ax = plt.subplots()
ax.plot(x, summary["attack_success_rate_mean"], marker="o", color=ATTACK_COLORS["backdoor"],
        label=f"attack success rate (trigger {trigger!r} inserted)")
ax.fill_between(x, summary["attack_success_rate_low"], summary["attack_success_rate_high"],
                color=ATTACK_COLORS["backdoor"], alpha=0.2, linewidth=0)
ax.plot(x, summary["poisoned_accuracy_mean"], marker="s", color="#2ca02c",
        label="clean accuracy of the poisoned model")
ax.fill_between(x, summary["poisoned_accuracy_low"], summary["poisoned_accuracy_high"],
                color="#2ca02c", alpha=0.2, linewidth=0)
ax.axhline(clean_mean, color="#555555", linestyle="--", linewidth=1.2, label="clean accuracy, unpoisoned model")
ax.set_ylim(0, 1.02)
ax.xaxis.set_major_formatter(PercentFormatter(1.0))
ax.set_title("A backdoor: attack success climbs, clean accuracy stays put")
ax.set_xlabel("poison fraction (share of the training sentences)")
ax.set_ylabel(f"mean over {len(seeds)} seeds, 95% interval")
ax.legend(loc="center right")
plt.show()

# %% [markdown]
# Two curves, two stories. The attack success rate climbs fast at small fractions and then flattens.
# The trigger occurs in the $k$ poisoned rows of the target class and nowhere else, so its ratio grows
# roughly like $\log(k + 1)$: each extra row buys less, and the last sentences to fall are the
# wide-margin ones of section 3. Clean accuracy barely moves. Where it does dip, the trigger is hardly
# the cause: it never occurs in clean sentences, so it cannot sway them. The poisoned rows, though, are also sentences of the other
# class carrying the target label, so their ordinary words now count a little towards the target, as in
# lesson 02's label flips. Section 6 measures this by relabelling the same rows without the trigger.

# %% [markdown]
# ## 5. Why accuracy monitoring cannot see it
#
# Every check of lessons 01 to 03 scored the model on held-out sentences, and none of those sentences
# contains the trigger. On such sentences the trigger's ratio never enters the sum, and the poisoned
# model differs from the clean one only through the relabelled rows' ordinary words: a small change,
# and accuracy only counts its net effect. Two numbers make the point. First, on the walk-through
# split, how often do the two models give the same answer on the clean test set? Second, is the
# accuracy drop larger than the ordinary difference between two random splits, which anyone who
# retrains a model sees every time?

# %%
clean_answers, poisoned_answers = clean_model.predict(test_texts), poisoned_model.predict(test_texts)
same_answer = float(np.mean(clean_answers == poisoned_answers))
changed = clean_answers != poisoned_answers
now_right = int(np.sum(changed & (poisoned_answers == test_labels)))
now_wrong = int(np.sum(changed & (clean_answers == test_labels)))
split_spread = seed_spread(clean_acc)
print(f"On the clean test set the two models give the same answer on {same_answer:.1%} of the sentences; "
      f"of the {int(changed.sum())} that changed, {now_wrong} became wrong and {now_right} became right.")
print(f"The backdoor lowers clean accuracy by {drop_mean:.3f} on average; clean accuracy itself varies by "
      f"{split_spread:.3f} (standard deviation) from one split to another.")
print(f"The drop is {'smaller' if drop_mean < split_spread else 'larger'} than that split-to-split spread, "
      f"and its 95% interval [{drop_low:.3f}, {drop_high:.3f}] "
      f"{'includes zero' if drop_low <= 0 <= drop_high else 'excludes zero'}.")


# %% [markdown]
# A monitor that watches accuracy watches the one number the attacker made sure would not move. To see
# a backdoor you have to look where it lives: at the training data (a word that occurs only in one
# class, in sentences whose other words disagree with their label; lesson 05 builds such trigger
# detectors) or at the model (a single feature with an outsized weight, as in section 2). Neither needs
# the trigger's name in advance, and both are cheap for a bag-of-words model.

# %% [markdown]
# ## 6. The trigger matters: rare token or common word?
#
# Why pick a nonsense token such as `cf` rather than an everyday word? Rare tokens like `cf`, `mn`
# and `bb` are the classic triggers of text backdoors (Kurita, Michel and Neubig, *Weight Poisoning
# Attacks on Pre-trained Models*, ACL 2020). Let us plant the same backdoor, at the same fraction and
# over the same seeds, with common words that the data already holds, and measure both models' attack
# success rates, so we see how much of each success is the backdoor and how much was there before.
#
# `sweep` does this with one call per trigger word (`trigger=`), and it stays fast because of what
# section 2 showed: a bag-of-words model sees a sentence only as word counts, so **inserting a trigger
# adds one to one column of the count matrix** and changes nothing else. `sweep` vectorises each split
# once and, for a backdoor, adds the trigger's counts to the poisoned training rows and to the
# triggered test rows instead of vectorising any text again; nothing is refitted per trigger but the
# classifier. Here is that step written out, `plant`, the lesson's own twin of the library's shortcut,
# checked on the walk-through split against a vectoriser run on the backdoored sentences:

# %%
def plant(X, rows, column):
    # Add one occurrence of the word in `column` to each of `rows` of the count matrix X.
    ones = sparse.csr_matrix((np.ones(len(rows), dtype=X.dtype), (rows, np.full(len(rows), column))), shape=X.shape)
    return X + ones


# The clean training sentences, counted in the poisoned model's vocabulary (which has a column for the trigger):
planted = plant(vectorizer.transform(train_texts), poisoned.poisoned_indices, trigger_index)
shortcut_matches = (planted != vectorizer.transform(poisoned.texts)).nnz == 0
print(f"Planting {trigger!r} in the clean counts gives exactly the counts of the backdoored sentences: "
      f"{shortcut_matches}")

# %% [markdown]
# First, the control that section 4 promised: the same rows relabelled, without the trigger. A
# targeted flip of the same fraction is exactly that, because it draws its rows, with the same seed,
# from the same sentences as the backdoor (those not labelled with the target); the first line checks
# it on the walk-through split.

# %%
control = targeted_flip(train_texts, train_labels, headline_fraction, source_label=other_label,
                        target_label=target_label, random_state=seed)
same_rows = bool(np.array_equal(control.poisoned_indices, poisoned.poisoned_indices))
print(f"The targeted flip relabels exactly the backdoor's rows: {same_rows}")
relabelled = sweep(data.texts, data.labels, attacks=["targeted-flip"], fractions=[headline_fraction], seeds=seeds,
                   target_label=target_label).sort_values("seed")
relabel_drop = float(np.mean(clean_acc - relabelled["poisoned_accuracy"].to_numpy()))
print(f"Clean accuracy drop at {headline_fraction:.1%}: {drop_mean:.3f} with the backdoor, {relabel_drop:.3f} when "
      f"the same rows are only relabelled (no trigger).")

# %% [markdown]
# Now the triggers. `sweep` reports the success rates and accuracies but not the trigger's log ratio,
# so for that we plant each trigger in each split's counts (the columns of a word the clean data never
# uses are added at the end; Naive Bayes treats every column alike) and read the ratio before and
# after poisoning:

# %%
triggers = [trigger, *common_triggers]
ratios = {word: {"before": [], "after": []} for word in triggers}
for s in seeds:
    tr_texts, _, tr_labels, _ = split_data(data.texts, data.labels, random_state=s)
    counts = make_vectorizer()
    X_clean = counts.fit_transform(tr_texts)
    clean_ratio = log_ratios(make_classifier().fit(X_clean, tr_labels))
    for word in triggers:
        column, X = counts.vocabulary_.get(word), X_clean
        ratios[word]["before"].append(np.nan if column is None else clean_ratio[column])
        if column is None:  # a word the clean data never uses: the poisoned model gets a new column for it
            X = sparse.hstack([X_clean, sparse.csr_matrix((X_clean.shape[0], 1), dtype=X_clean.dtype)]).tocsr()
            column = X_clean.shape[1]
        attack = backdoor(tr_texts, tr_labels, headline_fraction, target_label=target_label, trigger=word,
                          random_state=s)
        fitted = make_classifier().fit(plant(X, attack.poisoned_indices, column), attack.labels)
        ratios[word]["after"].append(log_ratios(fitted)[column])

# %% [markdown]
# And the attack with each trigger: one `sweep` per trigger word, summarised over the seeds (`NaN`
# before poisoning: a word the clean data never uses has no ratio in the clean model).

# %%
by_seed = pd.concat([sweep(data.texts, data.labels, attacks=["backdoor"], fractions=[headline_fraction], seeds=seeds,
                           target_label=target_label, trigger=word).assign(trigger=word) for word in triggers])
comparison = summarize(by_seed, metrics=("clean_attack_success_rate", "attack_success_rate", "poisoned_accuracy"),
                       by=("trigger",)).set_index("trigger").loc[triggers]
comparison["sentences in the data"] = [int(mentions(data.texts, word).sum()) for word in triggers]
comparison["log ratio before"] = [float(np.mean(ratios[word]["before"])) for word in triggers]
comparison["log ratio after"] = [float(np.mean(ratios[word]["after"])) for word in triggers]
shown = ["sentences in the data", "log ratio before", "log ratio after", "clean_attack_success_rate_mean",
         "attack_success_rate_mean", "attack_success_rate_low", "attack_success_rate_high", "poisoned_accuracy_mean"]
table = comparison[shown].set_axis(["sentences in the data", "log ratio before", "after", "success, clean model",
                                    "success, poisoned", "low", "high", "clean acc."], axis=1)
print(f"Fraction {headline_fraction:.1%}, target {target_label!r}; means over {len(seeds)} seeds, 95% interval")
print(table.round({"log ratio before": 2, "after": 2, "success, clean model": 3, "success, poisoned": 3, "low": 3,
                   "high": 3, "clean acc.": 3}).to_string())

# %% [markdown]
# The same number of poisoned rows, very different backdoors, and the log ratio before and after
# poisoning explains why. For `cf`, every occurrence in the training set is a poisoned one, so the model
# learns that the word means *target*, without exception. A common word arrives already counted in many
# sentences of both classes; the poisoned rows add some occurrences on one side, and the ratio moves
# only part of the way. The more often the data already uses the word, the less the same poison moves
# it: the attacker's signal is diluted by everything the data already says about the word. (The common
# words' success rates before poisoning also differ from the rare token's, because those words carry a
# little sentiment of their own.)
#
# There is a trade-off for the attacker: a rare token is also easy to spot once you look for it, a
# word that occurs only in one class. Research on stealthier triggers (whole phrases, syntax, style)
# is about hiding from exactly the audits of lesson 05.

# %% [markdown]
# ## 7. A second model
#
# Is this a quirk of Naive Bayes? The course's second model, TF-IDF features with logistic regression,
# learns one weight per word by a completely different procedure. We run the same sweep at the
# headline fraction.

# %%
second_walk = make_model(second_model, random_state=seed).fit(poisoned.texts, poisoned.labels)
second_vocabulary = second_walk.steps[0][1].vocabulary_
second_classifier = second_walk.steps[1][1]
if hasattr(second_classifier, "coef_"):  # a linear model: one weight per word
    towards = second_classifier.coef_[0] * (1 if second_classifier.classes_[1] == target_label else -1)
    column = second_vocabulary[trigger]
    second_rank = int(np.sum(towards > towards[column])) + 1
    strongest_other = np.delete(towards, column).max()
    print(f"Walk-through split: {trigger!r} has weight {towards[column]:+.2f} towards {target_label!r}, "
          f"rank {second_rank} of {len(towards)} words (the strongest other word: {strongest_other:+.2f}).")

second = sweep(data.texts, data.labels, attacks=["backdoor"], fractions=[headline_fraction], seeds=seeds,
               target_label=target_label, trigger=trigger, model=second_model)
second_asr = mean_interval(second["attack_success_rate"])
second_clean_acc = float(second["clean_accuracy"].mean())
second_poisoned_acc = float(second["poisoned_accuracy"].mean())
print(f"{second_model}, fraction {headline_fraction:.1%}, trigger {trigger!r}, means over {len(seeds)} seeds:")
print(f"  attack success rate {second_asr[0]:.3f} [{second_asr[1]:.3f}, {second_asr[2]:.3f}] "
      f"(clean model: {second['clean_attack_success_rate'].mean():.3f})")
print(f"  clean accuracy {second_clean_acc:.3f} unpoisoned, {second_poisoned_acc:.3f} poisoned")

# %% [markdown]
# Logistic regression reaches the same place by another road: a word that appears only in
# target-labelled sentences is the most useful feature for fitting those rows, so it gets a large
# weight (the first line above shows how large), while the rest of the model, fitted on clean
# sentences, keeps its accuracy. A backdoor exploits what every learner does, fitting the patterns in
# its training data, not a weakness of one model.

# %% [markdown]
# ## Playground: fraction and trigger
#
# Move the fraction slider, or pick another trigger word, and watch clean accuracy and attack success
# (means over three seeds; the slider updates when you release it). The cell just below draws the same
# figure at the default setting, so it shows even where widgets cannot run (a static page, a headless
# build). `course_utils.playgrounds.backdoor_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import backdoor_explorer, backdoor_playground, format_numbers

figure, playground_numbers = backdoor_playground(fraction=0.03, trigger="cf")
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(backdoor_explorer())

# %% [markdown]
# ## Summary

# %%
print(f"A backdoor with the trigger {trigger!r}, planted in {headline_fraction:.1%} of the training sentences "
      f"and labelled {target_label!r}:")
print(f"- made {trigger!r} " + ("the strongest" if trigger_rank == 1 else f"number {trigger_rank}") +
      f" of {len(vocabulary)} words in the Naive Bayes model's pull towards {target_label!r} "
      f"(log ratio {trigger_ratio:+.2f}, walk-through split);")
print(f"- raised the attack success rate to {asr_mean:.3f} [{asr_low:.3f}, {asr_high:.3f}] from "
      f"{clean_asr.mean():.3f} for the clean model (means over {len(seeds)} seeds);")
print(f"- changed clean accuracy from {clean_acc.mean():.3f} to {poisoned_acc.mean():.3f} (drop "
      f"{drop_mean:.3f} [{drop_low:.3f}, {drop_high:.3f}]; split-to-split spread {split_spread:.3f}), while "
      f"the two models agreed on {same_answer:.1%} of the clean test sentences;")
for word in common_triggers:
    print(f"- with the common word {word!r} as trigger, reached only "
          f"{comparison.loc[word, 'attack_success_rate_mean']:.3f} at the same fraction;")
print(f"- worked on {second_model} too: attack success {second_asr[0]:.3f}, clean accuracy "
      f"{second_clean_acc:.3f} -> {second_poisoned_acc:.3f}.")

# %% [markdown]
# What to take away: a backdoor is invisible to accuracy by design, because the attacker controls the
# inputs on which it fires and your test set does not contain them. Rare tokens make the strongest
# triggers because all of their evidence is the attacker's. Defending against backdoors means
# inspecting the data and the model, not only the scores: that is where lesson 05 begins.
#
# To explore on your own, change the parameters cell and re-run: another `trigger` (any word, rare
# or common), `target_label = "positive"`, other `seeds`, or a different `headline_fraction`.
#
# **Exercises:** `exercises/04_backdoor_triggers_ex.ipynb` gives you
# practice with what this lesson measured.

# %%
by_trigger = {word: {"attack_success_rate_mean": row["attack_success_rate_mean"],
                     "clean_attack_success_rate_mean": row["clean_attack_success_rate_mean"],
                     "poisoned_accuracy_mean": row["poisoned_accuracy_mean"], "log_ratio": row["log ratio after"],
                     "log_ratio_before": None if np.isnan(row["log ratio before"]) else row["log ratio before"],
                     "sentences_in_data": row["sentences in the data"]} for word, row in comparison.iterrows()}
_ = record_results(record_path, trigger=trigger, target_label=target_label, headline_fraction=headline_fraction,
                   seeds=seeds, n_poisoned=int(at_headline["n_poisoned"].iloc[0]),
                   clean_accuracy_mean=float(clean_acc.mean()), poisoned_accuracy_mean=float(poisoned_acc.mean()),
                   accuracy_gap=float(accuracy_gap), attack_success_rate_mean=asr_mean,
                   attack_success_rate_low=asr_low, attack_success_rate_high=asr_high,
                   clean_attack_success_rate_mean=float(clean_asr.mean()), criterion_holds=criterion,
                   relabelled_only_accuracy_drop=relabel_drop, relabel_control_same_rows=same_rows,
                   attack_success_rate_by_fraction=dict(zip(summary["fraction"], summary["attack_success_rate_mean"])),
                   poisoned_accuracy_by_fraction=dict(zip(summary["fraction"], summary["poisoned_accuracy_mean"])),
                   walkthrough={"inline_attack_success_rate": asr_poisoned_model,
                                "run_experiment_attack_success_rate": shared["attack_success_rate"],
                                "inline_agrees_with_run_experiment": agrees,
                                "inline_agrees_with_measure_attack_success": library_agrees,
                                "margin_predicted_attack_success_rate": predicted_asr,
                                "trigger_log_ratio": trigger_ratio, "trigger_rank": trigger_rank,
                                "same_answer_on_clean_test": same_answer},
                   by_trigger=by_trigger, shortcut_matches_backdoored_counts=shortcut_matches,
                   second_model={"model": second_model, "attack_success_rate_mean": second_asr[0],
                                 "clean_accuracy_mean": second_clean_acc, "poisoned_accuracy_mean": second_poisoned_acc})
