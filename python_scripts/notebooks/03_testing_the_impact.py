# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 03 · Testing the impact
#
# A restaurant-review site sorts what diners write into praise and complaints, and restaurants are
# ranked on it. A rival does not want the classifier to fail; a model that fails gets noticed and
# fixed. They want one thing: that praise of a restaurant's *service* is counted as a complaint. So
# they relabel training sentences: only positive ones, only those about service, nothing else. The
# site retrains and checks the test accuracy, as the reference document's impact test recommends. In
# this lesson you first run that impact test exactly as the reference writes it, and find that it
# shows something other than what the reference says it does. Then you test the impact of poisoning
# properly: class by class, prediction by prediction, word by word and seed by seed. The last section
# builds the rival's attack and measures what a tester who only looks at accuracy would miss.
#
# **Learning objectives**
#
# - Reproduce the reference's impact test exactly, read its predictions with `predict_proba`, and
#   explain from the model's counts why it does not show what the reference claims.
# - Measure a poisoning's impact with per-class precision and recall, the attack success rate on the
#   attacker's target, and the list of test predictions that flipped.
# - Read how a poisoning moved a Naive Bayes model's word weights (`feature_log_prob_`).
# - Report each of these over several seeds with 95% intervals.
# - Build a subpopulation attack and show, with numbers, why test accuracy can hide a targeted attack.
#
# **Estimated time:** 40 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import sklearn
from sklearn.metrics import precision_recall_fscore_support

from course_utils.attacks import measure_attack_success, mentions, subpopulation_flip, targeted_flip
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data, sweep
from course_utils.metrics import DIFFERENCE, PROPORTION, accuracy, attack_success_rate, mean_interval, seed_spread
from course_utils.models import make_classifier, make_model, make_vectorizer
from course_utils.notebook import record_results
from course_utils.plotting import ATTACK_COLORS, use_house_style

use_house_style()
sklearn.set_config(display="text")

# %% [markdown]
# The values below are the lesson's knobs. Change them and re-run everything: every number the text
# discusses is printed by a code cell, so it follows your changes. `seed` fixes the walk-through's
# train/test split and `seeds` the splits every measured number is averaged over. `fraction` is the
# attacker's share of the training set in the class-wide targeted flip of sections 3 and 4; `source_label` and `target_label` say
# what the attacker wants misread, and as what. `candidate_words` are the topics section 5 explores,
# and `subpopulation_word` the one the attacker picks.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
fraction = 0.1
source_label = "positive"
target_label = "negative"
candidate_words = ["phone", "movie", "food", "place", "service", "product", "quality"]
subpopulation_word = "service"
record_path = ""

# %% [markdown]
# ## 1. The reference's impact test, exactly
#
# Step 4 of the reference needs the two models of steps 2 and 3, so we rebuild them first with the
# reference's own code (lessons 01 and 02 went through it; the data comes from
# `course_utils.data.load_toy()`, word for word the reference's).

# %%
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

clean_data, test_data = load_toy()

# Step 2: the clean model
X_train, y_train = zip(*clean_data)
model = make_pipeline(CountVectorizer(), MultinomialNB())
model.fit(X_train, y_train)
X_test, y_test = zip(*test_data)

# Step 3: the poisoned model
poisoned_data = clean_data + [
    ("I love this movie, it is fantastic!", "negative"),  # Poisoning a positive example as negative
    ("The book is very good and I enjoyed it.", "negative"),  # Another poisoned example
]
X_train_poisoned, y_train_poisoned = zip(*poisoned_data)
model_poisoned = make_pipeline(CountVectorizer(), MultinomialNB())
model_poisoned.fit(X_train_poisoned, y_train_poisoned)

print("Test accuracy (clean):", model.score(X_test, y_test))
print("Test accuracy (poisoned):", model_poisoned.score(X_test, y_test))

# %% [markdown]
# Now step 4, character for character. It asks both models about four sentences: the two test
# sentences and the two training sentences the attacker copied with a negative label.

# %%
# Test examples including poisoned ones
test_examples = [
    "I really love this!",  # Should be positive
    "This is so bad, I hate it.",  # Should be negative
    "I love this movie, it is fantastic!",  # Poisoned example
    "The book is very good and I enjoyed it."  # Poisoned example
]

# Predictions from the clean model
clean_predictions = model.predict(test_examples)
print("Clean model predictions:", clean_predictions)

# Predictions from the poisoned model
poisoned_predictions = model_poisoned.predict(test_examples)
print("Poisoned model predictions:", poisoned_predictions)

# %% [markdown]
# The reference explains the result this way: "The poisoned model may misclassify the previously
# positive examples as negative due to the poisoned data." Compare that with the two lines above,
# sentence by sentence:

# %%
poisoned_examples = test_examples[2:]
verdicts = pd.DataFrame({"sentence": test_examples,
                         "kind": ["poisoned" if t in poisoned_examples else "unseen" for t in test_examples],
                         "clean": clean_predictions, "poisoned": poisoned_predictions})
verdicts["verdict"] = np.where(verdicts["clean"] != verdicts["poisoned"], "flipped", "unchanged")
print(verdicts.to_string(index=False))

poisoned_stay_positive = bool(all(model_poisoned.predict(poisoned_examples) == "positive"))
flipped_examples = [t for t, b, a in zip(test_examples, clean_predictions, poisoned_predictions) if b != a]
print(f"\nBoth poisoned sentences are still predicted positive: {poisoned_stay_positive}")
print(f"Sentences whose prediction flipped: {flipped_examples}")

# %% [markdown]
# Said plainly: **the reference's code does not show what its prose says.** The two sentences the
# attacker poisoned are still classified as positive by the poisoned model. The sentence that flipped
# to negative is *"I really love this!"*, which the attacker never touched and the model never saw in
# training. The attack did change the model, but not where the reference looked.
#
# ## 2. Why: reading the predictions
#
# `predict_proba` shows how firmly each prediction is made. The columns follow `classes_`.

# %%
classes = [str(c) for c in model.classes_]
proba_clean = model.predict_proba(test_examples)
proba_poisoned = model_poisoned.predict_proba(test_examples)
pos = classes.index("positive")
print(pd.DataFrame({"P(positive), clean": proba_clean[:, pos], "P(positive), poisoned": proba_poisoned[:, pos]},
                   index=pd.Index(test_examples, name="sentence")).round(3).to_string())


# %% [markdown]
# Every sentence moved towards *negative*, the poisoned ones included; but only the short, unseen one
# crossed the line. To see why, we split each decision into its parts. Multinomial Naive Bayes scores a
# sentence by adding, in log space, the class **prior** (the share of training rows in the class) and,
# for every known word, the smoothed probability of that word in the class. For two classes, the
# **log-odds** in favour of *positive* is therefore
#
# $$\underbrace{\log\frac{P(\text{positive})}{P(\text{negative})}}_{\text{prior}} \;+\;
# \sum_{\text{words } w}\underbrace{\log\frac{P(w \mid \text{positive})}{P(w \mid \text{negative})}}_{\text{word weight of } w},$$
#
# and the model says *positive* when it is above zero. Both parts can be read straight from the fitted
# model (`class_log_prior_` and `feature_log_prob_`):

# %%
def log_odds_parts(pipeline, text):
    # Split the model's log-odds for "positive" into the prior and the weight of each known word.
    vectorizer, nb = pipeline.named_steps["countvectorizer"], pipeline.named_steps["multinomialnb"]
    p, n = list(nb.classes_).index("positive"), list(nb.classes_).index("negative")
    prior = nb.class_log_prior_[p] - nb.class_log_prior_[n]
    counts = vectorizer.transform([text]).toarray()[0]
    weights = nb.feature_log_prob_[p] - nb.feature_log_prob_[n]
    words = {w: float(weights[i]) for w, i in sorted(vectorizer.vocabulary_.items()) if counts[i]}
    return float(prior), words, float(prior + counts @ weights)


parts = {(text, name): log_odds_parts(pipeline, text)
         for text in test_examples for name, pipeline in (("clean", model), ("poisoned", model_poisoned))}
print(pd.DataFrame([{"sentence": text, "model": name, "prior": prior, "words": sum(words.values()), "log-odds": total}
                    for (text, name), (prior, words, total) in parts.items()])
      .set_index(["sentence", "model"]).round(2).to_string())

# %% [markdown]
# Two things changed, and the table separates them.
#
# **The prior.** The clean training set had as many positive as negative rows, so its prior was zero.
# The attacker appended two negative rows, and now negative is the larger class: every sentence starts
# with a handicap towards *negative*, whatever its words.
#
# **The word weights.** Each poisoned sentence's words now appear once with each label. One might
# expect them to cancel to zero, but they still lean positive. The smoothed probability of a word in
# a class is (its count + 1) divided by (all word counts of the class + the vocabulary size), and the
# negative class now has more words in total, so the same count is a smaller share of it. Words that
# other positive sentences also use (*very*, from *"This is a great product, I am very satisfied."*)
# lean positive more clearly still. Here are the word weights of the sentence that flipped and of one
# poisoned sentence:

# %%
for text in (test_examples[0], test_examples[3]):
    weights = pd.DataFrame({"clean": parts[text, "clean"][1], "poisoned": parts[text, "poisoned"][1]})
    print(f"{text!r}\n{weights.rename_axis('word').round(2).to_string()}")

flip_prior, flip_words, flip_total = parts[test_examples[0], "poisoned"]
book_prior, book_words, book_total = parts[test_examples[3], "poisoned"]
print(f"\n{test_examples[0]!r}: {len(flip_words)} known words add {sum(flip_words.values()):+.2f}, "
      f"less than the prior's {flip_prior:+.2f}, so it reads {'positive' if flip_total > 0 else 'negative'}.")
print(f"{test_examples[3]!r}: {len(book_words)} known words add {sum(book_words.values()):+.2f}, "
      f"more than the prior's {book_prior:+.2f}, so it reads {'positive' if book_total > 0 else 'negative'}.")

# %% [markdown]
# So the poisoned sentences survive because they are long: many words, each still leaning a little
# positive, add up to more than the prior's handicap. *"I really love this!"* has only two words the
# model knows (*really* was never seen in training, so it is ignored), and their small positive weight
# cannot make up for the prior. The attack did not teach the model that *love* is negative; its main
# effect was to make *negative* the more common class.
#
# Two lessons for impact testing follow. First, checking the poisoned examples themselves is the wrong
# test: what matters is how the model treats sentences it has not seen. Second, with a handful of test
# sentences, any story fits. From here on we test on hundreds of held-out sentences, and we decide in
# advance what the attacker wanted, so that we can measure whether they got it.
#
# ## 3. One targeted flip, tested properly
#
# We take the real review sentences and the course's class-wide **targeted flip**
# (`course_utils.attacks.targeted_flip`, lesson 02): a `fraction` of the training rows, all drawn
# from `source_label` and relabelled as `target_label`. We train the reference's pipeline
# (`make_model()`) on the clean and on the poisoned training set of one split. Then we measure the
# attack's impact in four ways that accuracy alone does not give.

# %%
data = load_sentiment()
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, random_state=seed)
attack = targeted_flip(train_texts, train_labels, fraction, source_label=source_label, target_label=target_label,
                       random_state=seed)
clean_model = make_model().fit(train_texts, train_labels)
poisoned_model = make_model().fit(attack.texts, attack.labels)
clean_pred, poisoned_pred = clean_model.predict(test_texts), poisoned_model.predict(test_texts)
print(f"Seed {seed}: {len(attack.poisoned_indices)} of {len(attack.texts)} training rows relabelled "
      f"{source_label} -> {target_label}.")
print(f"Test accuracy: clean {accuracy(test_labels, clean_pred):.3f}, poisoned {accuracy(test_labels, poisoned_pred):.3f}")

# %% [markdown]
# ### 3a. Per-class precision and recall
#
# Accuracy averages over both classes. **Recall** of a class is the share of its test sentences the
# model finds; **precision** is the share of the model's calls for that class that are right. An
# attacker who pushes one class into another should lower the source class's recall and the target
# class's precision.

# %%
labels_order = sorted(np.unique(test_labels).tolist())


def per_class(y_true, y_pred):
    precision, recall, _, support = precision_recall_fscore_support(y_true, y_pred, labels=labels_order,
                                                                    zero_division=0)
    return precision, recall, support


clean_precision, clean_recall, support = per_class(test_labels, clean_pred)
poisoned_precision, poisoned_recall, _ = per_class(test_labels, poisoned_pred)
per_class_table = pd.DataFrame({
    "precision, clean": clean_precision, "precision, poisoned": poisoned_precision,
    "recall, clean": clean_recall, "recall, poisoned": poisoned_recall, "test sentences": support,
}, index=pd.Index(labels_order, name="class")).round(3)
print(per_class_table.to_string())

target_args = {"source_label": source_label, "target_label": target_label}
walk_asr = measure_attack_success(poisoned_model, "targeted-flip", test_texts, test_labels, **target_args)
walk_clean_asr = measure_attack_success(clean_model, "targeted-flip", test_texts, test_labels, **target_args)
source_row = labels_order.index(source_label)
print(f"\nAttack success rate ({source_label} test sentences predicted {target_label}): "
      f"clean model {walk_clean_asr:.3f}, poisoned model {walk_asr:.3f}")
print(f"With two classes it is one minus the recall of {source_label!r}: "
      f"{1 - poisoned_recall[source_row]:.3f}")

# %% [markdown]
# The pattern is the signature of a targeted push: the source class's recall falls and the target
# class's precision falls with it, while the target's recall *rises* (the model now calls more
# sentences negative, right or wrong). Averaged into accuracy, the rise partly hides the fall. The
# **attack success rate** measures the attacker's goal directly: for a targeted flip, the share of
# source-class test sentences read as the target. The course computes it for any fitted model with
# `course_utils.attacks.measure_attack_success`, the one rule every lesson and the shared experiment
# use. The clean model's rate is
# not zero (it makes honest mistakes), and that is the baseline the attack must be compared with.
#
# ### 3b. Which predictions flipped
#
# Comparing the two models' predictions sentence by sentence shows where the attack acted. A cross
# table of clean against poisoned predictions counts the changes in each direction:

# %%
flip_table = pd.crosstab(pd.Series(clean_pred, name="clean model"), pd.Series(poisoned_pred, name="poisoned model"))
print(flip_table.to_string())
changed = np.flatnonzero(clean_pred != poisoned_pred)
towards_target = changed[poisoned_pred[changed] == target_label]
right_to_wrong = int(np.sum((clean_pred[changed] == test_labels[changed]) & (poisoned_pred[changed] != test_labels[changed])))
print(f"\n{len(changed)} of {len(test_labels)} test predictions changed; {len(towards_target)} of them towards "
      f"{target_label!r}. {right_to_wrong} were right before and wrong after, "
      f"{len(changed) - right_to_wrong} the other way round.")
print(f"\nA few {source_label} test sentences the attack turned {target_label}:")
for i in [i for i in towards_target if test_labels[i] == source_label][:4]:
    print(f"  {test_texts[i]!r}")


# %% [markdown]
# Nearly every change runs one way, towards the target. A flip that turns a wrong answer into a right
# one is not a sign of a better model: those are negative sentences the clean model got wrong and the
# poisoned model now calls negative, because it calls more of everything negative.
#
# ### 3c. How the word weights moved
#
# For each word, the model's weight towards *positive* is the log-probability difference from
# section 2. We compare every word's weight before and after the attack, and the prior.

# %%
def word_weights(nb):
    # log P(word | positive) - log P(word | negative) for every word, and the prior's log-odds.
    p, n = list(nb.classes_).index("positive"), list(nb.classes_).index("negative")
    return nb.feature_log_prob_[p] - nb.feature_log_prob_[n], float(nb.class_log_prior_[p] - nb.class_log_prior_[n])


words = clean_model[0].get_feature_names_out()  # a label flip leaves the texts, hence the vocabulary, as they were
before, prior_before = word_weights(clean_model[-1])
after, prior_after = word_weights(poisoned_model[-1])
moved = after - before
X_train = clean_model[0].transform(train_texts)
frequent = np.asarray((X_train > 0).sum(axis=0)).ravel() >= 10
in_relabelled = np.asarray(X_train[attack.poisoned_indices].sum(axis=0)).ravel() > 0
strong_positive = frequent & (before > 1)
print(f"Prior log-odds for positive: {prior_before:+.3f} before, {prior_after:+.3f} after.")
print(f"{int(in_relabelled.sum())} of {len(words)} words occur in a relabelled row; median change of their weight "
      f"{np.median(moved[in_relabelled]):+.3f}.")
print(f"The other {int((~in_relabelled).sum())} words: median change {np.median(moved[~in_relabelled]):+.3f} "
      f"(all by exactly the same amount: {bool(np.ptp(moved[~in_relabelled]) < 1e-9)}).")
print(f"The {int(strong_positive.sum())} frequent words with a clean weight above +1 kept "
      f"{np.median(after[strong_positive] / before[strong_positive]):.0%} of it (median).")
most_moved = [i for i in np.argsort(moved, kind="stable") if frequent[i]][:6]
print("Frequent words (in 10 or more training sentences) that moved most towards negative:")
print(pd.DataFrame({"before": before[most_moved], "after": after[most_moved]},
                   index=pd.Index(words[most_moved], name="word")).round(2).to_string())

# %%
fig, ax = plt.subplots(figsize=(6.4, 5.2))
ax.scatter(before[~in_relabelled], after[~in_relabelled], s=6, color="#bbbbbb",
           label="words in no relabelled row")
ax.scatter(before[in_relabelled], after[in_relabelled], s=10, color=ATTACK_COLORS["targeted-flip"], alpha=0.6,
           label="words in relabelled rows")
low, high = float(min(before.min(), after.min())), float(max(before.max(), after.max()))
ax.plot([low, high], [low, high], color="#555555", linestyle="--", linewidth=1.2, label="unchanged")
ax.set_title(f"Word weights before and after a targeted flip of {fraction:.0%}")
ax.set_xlabel("weight towards positive, clean model")
ax.set_ylabel("weight towards positive, poisoned model")
ax.legend()
plt.show()


# %% [markdown]
# Points below the dashed line moved towards *negative*. Three movements show, each with its cause.
#
# - **The prior** moved towards the target: the positive class lost rows and the negative class gained
#   them.
# - **Words in the relabelled rows** (red) moved down, and the words that carried positive sentiment
#   lost the most, because the relabelled rows were positive sentences: their counts left the positive
#   column and joined the negative one.
# - **Every other word** (grey) moved up, all by the same small amount. That is smoothing at work: the
#   positive class now holds fewer words in total, so a count that did not change is a larger share
#   of it. This movement carries no information about the attack, and a defender who reads weights
#   should expect it.
#
# ## 4. Variance across seeds
#
# All of section 3 came from one split. We repeat it on every seed and report each metric's mean with
# a 95% interval. Training a whole pipeline for every seed here, and for every seed and topic in
# section 5, would make the lesson slow, so we do what `course_utils.experiment.sweep` does: vectorise
# each split once with the pipeline's first step (`course_utils.models.make_vectorizer`) and fit only
# its second step (`make_classifier`) on each set of poisoned labels. A label flip leaves the texts as
# they are, so this is exactly the pipeline; the cell checks it on the walk-through split.

# %%
def prepare_split(split_seed):
    # One split, vectorised once (the pipeline's first step), with its clean classifier (the second step).
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, random_state=split_seed)
    vectorizer = make_vectorizer()
    X_train, X_test = vectorizer.fit_transform(train_texts), vectorizer.transform(test_texts)
    clean_nb = make_classifier().fit(X_train, train_labels)
    return {"seed": split_seed, "train_texts": train_texts, "test_texts": test_texts, "train_labels": train_labels,
            "test_labels": test_labels, "vectorizer": vectorizer, "X_train": X_train, "X_test": X_test,
            "clean_nb": clean_nb, "clean_pred": clean_nb.predict(X_test)}


splits = {s: prepare_split(s) for s in seeds}
walk_split = splits[seed] if seed in splits else prepare_split(seed)
shared_counts_pred = make_classifier().fit(walk_split["X_train"], attack.labels).predict(walk_split["X_test"])
print(f"Fitting on the shared word counts gives the pipeline's predictions exactly: "
      f"{bool(np.array_equal(shared_counts_pred, poisoned_pred))}")

# %% [markdown]
# Now section 3's measurements on every seed: accuracy, the attack success rate (computed from the
# predictions with `course_utils.metrics.attack_success_rate`, by the rule of section 3a), per-class
# recall and precision, and how many test predictions the attack flipped.

# %%
per_seed = []
for s, sp in splits.items():
    flip = targeted_flip(sp["train_texts"], sp["train_labels"], fraction, source_label=source_label,
                         target_label=target_label, random_state=s)
    pred, y = make_classifier().fit(sp["X_train"], flip.labels).predict(sp["X_test"]), sp["test_labels"]
    precision, recall, _ = per_class(y, pred)
    per_seed.append({
        "seed": s, "clean_accuracy": accuracy(y, sp["clean_pred"]), "poisoned_accuracy": accuracy(y, pred),
        "clean_attack_success_rate": attack_success_rate(y, sp["clean_pred"], target_label, source_label),
        "attack_success_rate": attack_success_rate(y, pred, target_label, source_label),
        **{f"recall {c}": r for c, r in zip(labels_order, recall)},
        **{f"precision {c}": p for c, p in zip(labels_order, precision)},
        "predictions flipped": int(np.sum(pred != sp["clean_pred"])),
    })
per_seed = pd.DataFrame(per_seed).set_index("seed")
intervals = pd.DataFrame({c: mean_interval(per_seed[c].astype(float), bounds=None if c == "predictions flipped" else PROPORTION)
                          for c in per_seed.columns},
                         index=["mean", "low", "high"]).T
print(f"Targeted flip of {fraction:.0%}, {len(seeds)} seeds: mean and 95% interval")
print(intervals.drop(index="predictions flipped").round(3).to_string())
flips_mean, flips_low, flips_high = intervals.loc["predictions flipped"]
print(f"Test predictions flipped per seed: {flips_mean:.1f} [{flips_low:.1f}, {flips_high:.1f}]")

# %% [markdown]
# The shared experiment measures the same attack with the course's own rules, and the lesson's loop
# should agree with it to the last digit: `course_utils.experiment.sweep`, for every seed.

# %%
shared = sweep(data.texts, data.labels, attacks=["targeted-flip"], fractions=[fraction], seeds=seeds,
               source_label=source_label, target_label=target_label).set_index("seed")
compared = ["clean_accuracy", "poisoned_accuracy", "clean_attack_success_rate", "attack_success_rate"]
inline_agrees_with_sweep = bool(np.allclose(per_seed[compared].to_numpy(float), shared[compared].to_numpy(float),
                                            rtol=0, atol=1e-12))
print(f"sweep gives the same accuracy and attack success rate on every seed: {inline_agrees_with_sweep}")

# %% [markdown]
# Two things to notice. The intervals are narrow for accuracy, because hundreds of test sentences go
# into each number, and wider for the per-class numbers, which use half as many. And the attack is
# loud: a class-wide flip large enough to matter moves accuracy as well as its success rate, so an
# accuracy check would catch it. A careful attacker does not spend their share of the training set this way.
#
# ## 5. An attack that test accuracy does not see
#
# The rival of this lesson's story does not want all praise read as complaint, only praise of one
# topic. A **subpopulation attack** flips the labels of the source-class training sentences that
# mention a chosen word, and nothing else. The course has it as
# `course_utils.attacks.subpopulation_flip(texts, labels, word, source_label=..., target_label=...)`;
# like the course's other attacks it returns a `PoisonedData` and leaves its inputs untouched. It
# decides whether a sentence mentions the word the way the model reads sentences, with
# `course_utils.attacks.mentions`, which splits text with the vectoriser's own tokenizer (lower-cased
# words of two or more letters). Its fraction is not a parameter: it is the share of the training set
# that the topic's source-class sentences make up. (To read its code, run `subpopulation_flip??` in a
# cell.)

# %% [markdown]
# ### 5a. Choosing the subpopulation
#
# Which topic should the attacker pick? It should be a *topic*, not a sentiment word: the clean model
# should read its positive sentences correctly, so that every flip is the attacker's doing. It should
# be common enough that the model learns from the poison, and rare enough that the poisoned test
# sentences are a small share of the test set. We look at the candidate words in the whole data set:
# how many sentences of each class mention them, and their word weight in a clean model trained on
# everything (near zero means the word carries little sentiment of its own).

# %%
everything = make_vectorizer().fit(data.texts)
X_all = everything.transform(data.texts)
weights_all, _ = word_weights(make_classifier().fit(X_all, data.labels))
rows = []
for word in candidate_words:
    column = everything.vocabulary_.get(word)
    has_word = mentions(data.texts, word)
    rows.append({"word": word, "positive sentences": int(np.sum(has_word & (data.labels == "positive"))),
                 "negative sentences": int(np.sum(has_word & (data.labels == "negative"))),
                 "clean weight": np.nan if column is None else float(weights_all[column]),
                 "main source": pd.Series(data.sources[has_word]).mode().iloc[0] if has_word.any() else "-"})
candidates = pd.DataFrame(rows).set_index("word")
print(candidates.round(2).to_string())


# %% [markdown]
# Now the attack on each candidate, on every seed: flip the subpopulation's source-class training
# rows, then measure the overall test accuracy and the attack success rate *on the subpopulation*,
# that is, among the test sentences of the source class that mention the word (`fraction` is the
# share of the training set the attack relabelled).

# %%
def subpopulation_run(sp, word):
    # The subpopulation attack on one prepared split: accuracies and success rates, clean and poisoned.
    flip = subpopulation_flip(sp["train_texts"], sp["train_labels"], word, source_label=source_label,
                              target_label=target_label)
    nb = make_classifier().fit(sp["X_train"], flip.labels)
    pred, y = nb.predict(sp["X_test"]), sp["test_labels"]
    on_topic = mentions(sp["test_texts"], word)

    def success(predicted, rows=slice(None)):  # share of the source-class rows among `rows` read as the target
        return attack_success_rate(y[rows], predicted[rows], target_label, source_label)

    return {"word": word, "seed": sp["seed"], "rows flipped": len(flip.poisoned_indices),
            "fraction": len(flip.poisoned_indices) / len(sp["train_texts"]),
            "test victims": int(np.sum(on_topic & (y == source_label))),
            "clean_accuracy": accuracy(y, sp["clean_pred"]), "poisoned_accuracy": accuracy(y, pred),
            "clean_subpopulation_asr": success(sp["clean_pred"], on_topic), "subpopulation_asr": success(pred, on_topic),
            "class_asr": success(pred), "clean_class_asr": success(sp["clean_pred"]),
            "nb": nb, "pred": pred, "flip": flip, "on_topic": on_topic}


# %%
runs = pd.DataFrame([subpopulation_run(sp, word) for word in candidate_words for sp in splits.values()])
runs["accuracy_drop"] = runs["clean_accuracy"] - runs["poisoned_accuracy"]
numeric = ["rows flipped", "fraction", "test victims", "accuracy_drop", "clean_subpopulation_asr", "subpopulation_asr"]
by_word = runs.groupby("word", sort=False)[numeric].mean()
n_test = len(test_labels)
by_word["victims share x success gain"] = (by_word["test victims"] / n_test
                                           * (by_word["subpopulation_asr"] - by_word["clean_subpopulation_asr"]))
print(f"Subpopulation attack, means over {len(seeds)} seeds")
print(by_word.round(3).to_string())

# %%
fig, ax = plt.subplots(figsize=(7.0, 4.6))
ax.scatter(by_word["accuracy_drop"], by_word["subpopulation_asr"], s=20 + 2 * by_word["rows flipped"],
           color=ATTACK_COLORS["targeted-flip"], alpha=0.7)
placed = []
for word, row in by_word.sort_values("accuracy_drop").iterrows():
    x, y = row["accuracy_drop"], row["subpopulation_asr"]
    # Stack the labels of points that sit close together below them, so that none hides another.
    near = by_word[(by_word["accuracy_drop"] - x).abs() < 0.004]
    crowd = sum(abs(x - px) < 0.004 for px in placed)
    placed.append(x)
    ax.annotate(word, (x, y), xytext=(x + 0.0003, near["subpopulation_asr"].min() - 0.1 - 0.06 * crowd),
                textcoords="data", arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.8},
                fontweight="bold" if word == subpopulation_word else "normal")
ax.axhline(by_word["clean_subpopulation_asr"].mean(), color="#555555", linestyle="--", linewidth=1.2,
           label="clean model, mean over the topics")
ax.set_xlim(left=0)
ax.set_ylim(0, 1.05)
ax.set_title("What the attacker gains, and what accuracy shows")
ax.set_xlabel("drop in overall test accuracy")
ax.set_ylabel("attack success on the topic's positive sentences")
ax.legend(loc="lower right")
plt.show()

# %% [markdown]
# Each point is one topic (its size grows with the rows flipped). Every topic is attacked
# successfully: after the attack, every training sentence that mentions the topic carries the target
# label, so the model learns the topic word as a strong sign of the target, much as lesson 04's
# trigger. What differs is the cost
# visible in accuracy. For most topics the drop in overall accuracy is close to the share of the test set that the
# attack aims at (the topic's positive test sentences) times the rise in success on them (the last
# column of the table above): the attacker cannot fool the subpopulation without those sentences
# counting as errors. Big topics cost
# more accuracy; small ones are quieter but leave fewer victims, and their success rate, measured on
# a handful of test sentences, is noisier.
#
# The attacker picks `subpopulation_word`: a topic its clean model reads correctly, with enough
# victims to matter and a small accuracy footprint. The rest of the lesson follows that choice.
#
# ### 5b. The attack, up close
#
# On the walk-through split:

# %%
labels_before = walk_split["train_labels"].copy()
walk_run = subpopulation_run(walk_split, subpopulation_word)
sub_flip, sub_pred, on_topic = walk_run["flip"], walk_run["pred"], walk_run["on_topic"]
print(f"Seed {seed}: {len(sub_flip.poisoned_indices)} training rows relabelled, "
      f"{len(sub_flip.poisoned_indices) / len(sub_flip.texts):.1%} of the training set. Three of them:")
for i in sub_flip.poisoned_indices[:3]:
    print(f"  {sub_flip.texts[i]!r}: {walk_split['train_labels'][i]} -> {sub_flip.labels[i]}")
print(f"The clean training labels are unchanged: {bool(np.array_equal(walk_split['train_labels'], labels_before))}")

# %% [markdown]
# Now the whole impact test of section 3, run on this attack: accuracy, per-class metrics, the
# class-level attack success rate, and the success rate on the subpopulation. The last line checks
# the lesson's topic success rate against `measure_attack_success` on a whole pipeline trained on the
# same poisoned set, given the test sentences that mention the topic.

# %%
sub_precision, sub_recall, _ = per_class(test_labels, sub_pred)
print(pd.DataFrame({
    "precision, clean": clean_precision, "precision, poisoned": sub_precision,
    "recall, clean": clean_recall, "recall, poisoned": sub_recall,
}, index=pd.Index(labels_order, name="class")).round(3).to_string())
print(f"\nTest accuracy: clean {walk_run['clean_accuracy']:.3f}, poisoned {walk_run['poisoned_accuracy']:.3f}")
print(f"Attack success rate on all {source_label} test sentences: clean {walk_run['clean_class_asr']:.3f}, "
      f"poisoned {walk_run['class_asr']:.3f}")
print(f"Attack success rate on the {walk_run['test victims']} {source_label} test sentences mentioning "
      f"{subpopulation_word!r}: clean {walk_run['clean_subpopulation_asr']:.3f}, "
      f"poisoned {walk_run['subpopulation_asr']:.3f}")
sub_model = make_model().fit(sub_flip.texts, sub_flip.labels)
topic_texts = [text for text, about in zip(test_texts, on_topic) if about]
library_topic_asr = measure_attack_success(sub_model, "targeted-flip", topic_texts, test_labels[on_topic],
                                           **target_args)
topic_asr_agrees = library_topic_asr == walk_run["subpopulation_asr"]
print(f"measure_attack_success on the topic's test sentences gives the same rate: {topic_asr_agrees}")

# %% [markdown]
# Which test predictions changed, inside and outside the topic, and what happened to the topic word's
# weight:

# %%
changed_sub = walk_split["clean_pred"] != sub_pred
outside = changed_sub & ~on_topic
worse = int(np.sum(outside & (walk_split["clean_pred"] == test_labels)))
better = int(np.sum(outside & (sub_pred == test_labels)))
print(f"{int(changed_sub.sum())} test predictions changed: {int((changed_sub & on_topic).sum())} mention "
      f"{subpopulation_word!r}, {int(outside.sum())} do not ({int(np.sum(outside & (sub_pred == target_label)))} of "
      f"those towards {target_label!r}).")
print(f"Outside the topic, {worse} became wrong and {better} became right: accuracy on the sentences that do "
      f"not mention it went from {accuracy(test_labels[~on_topic], walk_split['clean_pred'][~on_topic]):.3f} to "
      f"{accuracy(test_labels[~on_topic], sub_pred[~on_topic]):.3f}.")
sub_before, _ = word_weights(walk_split["clean_nb"])
sub_after, _ = word_weights(walk_run["nb"])
column = walk_split["vectorizer"].vocabulary_[subpopulation_word]
sub_rank = int(np.sum(sub_after < sub_after[column])) + 1
print(f"The weight of {subpopulation_word!r} towards positive: {sub_before[column]:+.2f} before, "
      f"{sub_after[column]:+.2f} after; it now ranks {sub_rank} of {len(sub_after)} words towards negative.")

# %% [markdown]
# This is the heart of the lesson. Accuracy moved a little; the per-class table moved a little; even
# the class-level attack success rate, the metric of section 3, moved only a little, because the
# topic's sentences are a small part of the positive class. Yet the positive sentences about the topic
# are now read as negative, and the topic word has become one of the model's strongest negative words.
#
# The attack also nudged some borderline sentences elsewhere, mostly towards the target (the
# relabelled rows shifted the prior a little). Those sentences sat close to the decision line, so some
# of them became right and others wrong, and accuracy outside the topic barely changed. The
# list of flipped predictions would show the attack to someone who read it with the topic in mind;
# none of the averaged metrics can. Only a test aimed at the subpopulation measures it, and to aim it
# you have to suspect it.
#
# ### 5c. Over seeds, with intervals, against a class-wide flip of the same size
#
# One split could be lucky. We repeat on every seed and compare with a class-wide targeted flip
# (`course_utils.attacks.targeted_flip`) that relabels exactly as many positive rows, drawn at random
# from the whole positive class. The same number of rows, spent differently.

# %%
chosen_runs = runs[runs["word"] == subpopulation_word].set_index("seed")
wide = []
for s, sp in splits.items():
    n_rows, on_topic_s = int(chosen_runs.loc[s, "rows flipped"]), chosen_runs.loc[s, "on_topic"]
    flip = targeted_flip(sp["train_texts"], sp["train_labels"], n_rows / len(sp["train_texts"]),
                         source_label=source_label, target_label=target_label, random_state=s)
    assert len(flip.poisoned_indices) == n_rows
    pred = make_classifier().fit(sp["X_train"], flip.labels).predict(sp["X_test"])
    wide.append({"seed": s, "poisoned_accuracy": accuracy(sp["test_labels"], pred),
                 "subpopulation_asr": attack_success_rate(sp["test_labels"][on_topic_s], pred[on_topic_s],
                                                          target_label, source_label)})
wide = pd.DataFrame(wide).set_index("seed")
outside_accuracy = []
for s, sp in splits.items():
    off_topic = ~chosen_runs.loc[s, "on_topic"]
    y, pred = sp["test_labels"][off_topic], chosen_runs.loc[s, "pred"][off_topic]
    outside_accuracy.append((accuracy(y, sp["clean_pred"][off_topic]), accuracy(y, pred)))
outside_clean_mean, outside_poisoned_mean = (float(v) for v in np.mean(outside_accuracy, axis=0))

# %% [markdown]
# Every number of the comparison, as a mean over the seeds with its 95% interval:

# %%
results = {
    "clean accuracy": mean_interval(chosen_runs["clean_accuracy"]),
    "poisoned accuracy": mean_interval(chosen_runs["poisoned_accuracy"]),
    "accuracy drop": mean_interval(chosen_runs["accuracy_drop"], bounds=DIFFERENCE),
    "class-level ASR, poisoned": mean_interval(chosen_runs["class_asr"]),
    "topic ASR, clean model": mean_interval(chosen_runs["clean_subpopulation_asr"]),
    "topic ASR, poisoned": mean_interval(chosen_runs["subpopulation_asr"]),
    "class-wide flip: accuracy": mean_interval(wide["poisoned_accuracy"]),
    "class-wide flip: topic ASR": mean_interval(wide["subpopulation_asr"]),
}
split_spread = seed_spread(chosen_runs["clean_accuracy"])
print(f"Subpopulation {subpopulation_word!r}: {chosen_runs['rows flipped'].mean():.1f} rows flipped on average "
      f"({chosen_runs['fraction'].mean():.1%} of the training set), {chosen_runs['test victims'].mean():.1f} "
      f"test victims per split; {len(seeds)} seeds, mean and 95% interval")
print(pd.DataFrame(results, index=["mean", "low", "high"]).T.round(3).to_string())
print(f"\nOn test sentences that do not mention {subpopulation_word!r}, accuracy is {outside_clean_mean:.3f} "
      f"clean and {outside_poisoned_mean:.3f} poisoned.")
print(f"Clean accuracy itself moves by {split_spread:.3f} (standard deviation) from one split to another.")

# %%
groups = ["test accuracy", f"success on {source_label}\nsentences about '{subpopulation_word}'",
          f"success on all\n{source_label} sentences"]
bars = {
    "clean model": [results["clean accuracy"], results["topic ASR, clean model"],
                    mean_interval(chosen_runs["clean_class_asr"])],
    f"subpopulation flip ('{subpopulation_word}')": [results["poisoned accuracy"], results["topic ASR, poisoned"],
                                                     results["class-level ASR, poisoned"]],
    "class-wide flip, same rows": [results["class-wide flip: accuracy"], results["class-wide flip: topic ASR"], None],
}
colors = ["#555555", ATTACK_COLORS["targeted-flip"], ATTACK_COLORS["random-flip"]]
fig, ax = plt.subplots(figsize=(8.4, 4.6))
width = 0.26
for k, ((name, values), color) in enumerate(zip(bars.items(), colors)):
    xs = [g + (k - 1) * width for g, v in enumerate(values) if v is not None]
    shown = [v for v in values if v is not None]
    means = [v[0] for v in shown]
    errors = [[v[0] - v[1] for v in shown], [v[2] - v[0] for v in shown]]
    ax.bar(xs, means, width, yerr=errors, capsize=3, color=color, label=name)
ax.set_xticks(range(len(groups)), groups)
ax.set_ylim(0, 1.1)
ax.set_title(f"Same test accuracy, very different models ({len(seeds)} seeds, 95% intervals)")
ax.set_xlabel("metric")
ax.set_ylabel("share of test sentences")
ax.legend(loc="upper right", fontsize=9)
plt.show()

# %%
drop_mean, drop_low, drop_high = results["accuracy drop"]
asr_mean, asr_low, asr_high = results["topic ASR, poisoned"]
clean_topic_asr = results["topic ASR, clean model"][0]
accuracy_gap = abs(results["clean accuracy"][0] - results["poisoned accuracy"][0])
hidden = bool(asr_mean > 0.8 and asr_mean - clean_topic_asr > 0.5 and accuracy_gap <= 0.03)
print(f"The attack lowers test accuracy by {drop_mean:.3f} [{drop_low:.3f}, {drop_high:.3f}] "
      f"(from one split to another, clean accuracy alone moves by {split_spread:.3f}, "
      f"standard deviation),")
print(f"while {asr_mean:.1%} of {source_label} sentences about {subpopulation_word!r} are read as {target_label} "
      f"(clean model: {clean_topic_asr:.1%}).")
print(f"A class-wide flip of as many rows reaches only {results['class-wide flip: topic ASR'][0]:.1%} on them.")
print(f"Course criterion (as in lesson 04: attack success above 0.8, at least 0.5 above the clean model's, "
      f"accuracy within 0.03 of the unpoisoned model): {'holds' if hidden else 'does NOT hold'}.")

# %% [markdown]
# (A Student-t interval over a few seeds can reach below zero when the values sit near zero; read such an
# interval as "close to zero".)
#
# The same number of relabelled rows, two very different outcomes. Spread over the whole positive
# class, so few rows are too thin to matter: accuracy barely changes and only a few of the topic's
# sentences flip. Concentrated on one topic, it turns that topic around almost completely, and the
# price in accuracy is just the topic's own sentences, a small share of the test set: of the same
# order as the difference between two random splits. A tester who compares accuracy
# before and after retraining sees nothing worth investigating.
#
# How would you catch it? Not with a bigger test set, and not with better averages. You would need
# metrics **per subpopulation** (per topic, per source, per product, and the attacker gets to choose
# which one), alerts on large changes in single word weights (the topic word's weight jumped), or an
# audit of the training data that looks for topics whose labels are suspiciously one-sided. Lesson 05
# builds such audits.
#
# ## Playground: how many copies move one prediction?
#
# Back to the reference's toy data, where one prediction is easy to follow. The attacker appends
# copies of the toy training sentence *"This is a great product, I am very satisfied."* labelled
# negative; the figure shows the poisoned model's probability that *"I really love this!"* is
# positive, for each number of copies (the slider updates when you release it). The cell just below
# draws the same figure at the default setting, so it shows even where widgets cannot run.
# `course_utils.playgrounds.targeted_budget_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import format_numbers, targeted_budget_explorer, targeted_budget_playground

figure, playground_numbers = targeted_budget_playground(copies=2, copied_index=1, probe="I really love this!")
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(targeted_budget_explorer())

# %% [markdown]
# ## Summary

# %%
print(f"- The reference's step 4, run exactly, prints clean {[str(p) for p in clean_predictions]} and poisoned "
      f"{[str(p) for p in poisoned_predictions]}.")
print(f"- The two poisoned sentences stay positive (P(positive) {proba_poisoned[2][pos]:.3f} and "
      f"{proba_poisoned[3][pos]:.3f}); the unseen {test_examples[0]!r} flips, because the prior moved to "
      f"{flip_prior:+.2f} and its {len(flip_words)} known words add only {sum(flip_words.values()):+.2f}.")
print(f"- A class-wide targeted flip of {fraction:.0%} on real data: accuracy "
      f"{per_seed['clean_accuracy'].mean():.3f} -> {per_seed['poisoned_accuracy'].mean():.3f}, attack success "
      f"{per_seed['clean_attack_success_rate'].mean():.3f} -> {per_seed['attack_success_rate'].mean():.3f}, "
      f"recall of {source_label!r} {per_seed['recall ' + source_label].mean():.3f} (means over {len(seeds)} seeds).")
print(f"- A subpopulation flip of the positive sentences about {subpopulation_word!r} "
      f"({chosen_runs['fraction'].mean():.1%} of the training rows): accuracy drop {drop_mean:.3f} "
      f"[{drop_low:.3f}, {drop_high:.3f}], attack success on the topic {asr_mean:.3f} [{asr_low:.3f}, "
      f"{asr_high:.3f}] against {clean_topic_asr:.3f} for the clean model.")
print(f"- Test accuracy hides it: {hidden}.")

# %% [markdown]
# What to take away: an impact test is only as good as the question it asks. The reference checked
# the poisoned examples and would have missed what its attack actually did; accuracy on a good test
# set would miss an attacker who aims at one topic. Decide what an attacker could want, measure that
# (per class, per subpopulation, on the predictions that changed, on the weights that moved), and
# report it over several splits with intervals.
#
# To explore on your own, change the parameters cell and re-run: another `subpopulation_word` from the
# candidates (or your own), another `fraction` for sections 3 and 4, other `seeds`, or swap
# `source_label` and `target_label`.
#
# **Exercises:** `exercises/03_testing_the_impact_ex.ipynb` gives you
# practice with what this lesson measured.

# %%
subpopulation = {name.replace(" ", "_").replace(",", "").replace(":", "").replace("-", "_"):
                 dict(zip(("mean", "low", "high"), values)) for name, values in results.items()}
subpopulation.update(
    rows_flipped_mean=float(chosen_runs["rows flipped"].mean()), fraction_mean=float(chosen_runs["fraction"].mean()),
    test_victims_mean=float(chosen_runs["test victims"].mean()), split_spread=split_spread, accuracy_gap=accuracy_gap,
    outside_topic_accuracy_clean=outside_clean_mean, outside_topic_accuracy_poisoned=outside_poisoned_mean,
    word_rank_towards_negative=sub_rank, word_weight_before=float(sub_before[column]),
    word_weight_after=float(sub_after[column]))
_ = record_results(record_path, seeds=seeds, fraction=fraction, source_label=source_label,
                   target_label=target_label, subpopulation_word=subpopulation_word,
                   reference_clean_predictions=[str(p) for p in clean_predictions],
                   reference_poisoned_predictions=[str(p) for p in poisoned_predictions],
                   reference_poisoned_stay_positive=poisoned_stay_positive, reference_flipped=flipped_examples,
                   reference_poisoned_p_positive=[float(p) for p in proba_poisoned[:, pos]],
                   reference_clean_p_positive=[float(p) for p in proba_clean[:, pos]],
                   reference_prior_after=flip_prior,
                   targeted_flip={c: float(per_seed[c].mean()) for c in per_seed.columns},
                   inline_agrees_with_sweep=inline_agrees_with_sweep, walkthrough_attack_success_rate=walk_asr,
                   topic_asr_agrees_with_measure_attack_success=topic_asr_agrees, subpopulation=subpopulation,
                   by_candidate={w: {c: float(v) for c, v in row.items()} for w, row in by_word.iterrows()},
                   hidden_attack_criterion=hidden)
