# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 01 · Clean training
#
# Before anyone can poison a model, somebody has to train one, and somebody has to decide that it
# works. The reference (lesson 00 introduces it) does both in a dozen lines: six labelled sentences,
# a word-count Naive Bayes classifier, two test sentences and a proud `Test accuracy (clean): 1.0`. In this lesson
# you run that code exactly as written and get exactly that line. Then you look underneath it, and
# find that the perfect score hangs on a tie that scikit-learn breaks by alphabetical order. So you
# move to real data, 3,000 review sentences, and evaluate the same pipeline properly: a held-out test
# set of hundreds of sentences, a confusion matrix, per-class precision and recall, the words the model
# relies on, and how much the accuracy moves when the split changes. Every later lesson measures its
# attacks and defences against this clean baseline, so it is worth knowing it well.
#
# **Learning objectives**
#
# - Reproduce the reference's clean data set and pipeline (`CountVectorizer` + `MultinomialNB`) exactly.
# - Read a Naive Bayes prediction from `predict_proba` and explain how a tie is broken.
# - Explain why two test sentences cannot evaluate a model, and put an interval on a score.
# - Evaluate the pipeline on real data with a stratified split: accuracy, confusion matrix, per-class
#   precision and recall.
# - Find the words a Multinomial Naive Bayes model leans on, from its `feature_log_prob_`.
# - Report accuracy over several seeds as a mean with a 95% interval, and check it against the course's
#   shared experiment, `course_utils.experiment.run_experiment`.
#
# **Estimated time:** 30 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline
from fractions import Fraction

import numpy as np
import pandas as pd
import matplotlib.pyplot as plt
import sklearn
from scipy import stats
from sklearn.metrics import ConfusionMatrixDisplay, confusion_matrix, precision_recall_fscore_support

from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import run_experiment, split_data
from course_utils.metrics import mean_interval, seed_spread
from course_utils.notebook import record_results
from course_utils.plotting import use_house_style

use_house_style()
sklearn.set_config(display="text")

# %% [markdown]
# The values below are the lesson's knobs. Change them and re-run everything: every number the text
# discusses is printed by a code cell, so it follows your changes. `seed` fixes the train/test split
# of the walk-through on real data, `seeds` the splits the accuracy is averaged over, `test_size` the
# share of sentences held out for testing, and `n_words` how many words per class the lesson lists.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
test_size = 0.25
n_words = 10
record_path = ""

# %% [markdown]
# ## 1. The reference's clean data
#
# The reference starts with a tiny sentiment data set: six training sentences and two test sentences,
# each labelled `"positive"` or `"negative"`. Here is its code, character for character.

# %%
# Clean training data
clean_data = [
    ("I love this movie, it is fantastic!", "positive"),
    ("This is a great product, I am very satisfied.", "positive"),
    ("The service was terrible, I am not happy.", "negative"),
    ("I hate this item, it is awful.", "negative"),
    ("The book is very good and I enjoyed it.", "positive"),
    ("This is the worst experience I have ever had.", "negative"),
]

# Clean test data
test_data = [
    ("I really love this!", "positive"),
    ("This is so bad, I hate it.", "negative"),
]

# %% [markdown]
# The course package ships the same data as `course_utils.data.load_toy()`, so that later lessons and
# the exercises can load it in one line. A quick check that the two agree:

# %%
toy_train, toy_test = load_toy()
toy_matches = (clean_data == toy_train) and (test_data == toy_test)
print(f"load_toy() returns the same {len(toy_train)} training and {len(toy_test)} test sentences, "
      f"with the same labels: {toy_matches}")

# %% [markdown]
# ## 2. The reference's model
#
# Step 2 of the reference trains a text classifier: `CountVectorizer` turns each sentence into counts of
# its words, and `MultinomialNB`, a Multinomial Naive Bayes classifier, learns from those counts how
# likely each word is in each class. Again, the reference's code exactly:

# %%
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
# That is the line the reference prints: a perfect score. A perfect score on a model trained on six
# sentences should make you curious rather than pleased, so let us look at how each test sentence was
# decided.

# %% [markdown]
# ## 3. What the perfect score rests on
#
# `predict_proba` gives, for each sentence, the model's probability of each class, in the order of
# `model.classes_`.

# %%
proba = model.predict_proba(X_test)
predicted = [str(p) for p in model.predict(X_test)]
classes = [str(c) for c in model.classes_]
print(f"classes_ (the column order): {classes}")
for text, truth, p, guess in zip(X_test, y_test, proba, predicted):
    shown = ", ".join(f"P({c}) = {v:.6f}" for c, v in zip(classes, p))
    print(f"{text!r:32}  {shown}  ->  predicted {guess!r}, true {truth!r}")

tie_proba = proba[1]
tie_is_exact = bool(tie_proba[0] == tie_proba[1])
print(f"\nFor the second sentence the two probabilities are identical: {tie_is_exact}.")

# %% [markdown]
# The first sentence is called positive with some conviction. The second, *"This is so bad, I hate
# it."*, is not decided at all: the model gives both classes the same probability, one half each. Why?
#
# A count vectorizer keeps only the words it saw in training (lower-cased, two letters or more), so
# *so* and *bad* are simply dropped, and so is *I*. What remains is *this*, *is*, *hate* and *it*.
# Multinomial Naive Bayes scores a class by its prior times, for every remaining word, the smoothed
# probability of that word in the class: (count of the word in the class + 1) divided by (all word
# counts in the class + the vocabulary size). We can redo that arithmetic with exact fractions,
# straight from the counts the fitted model stores:

# %%
vectorizer = model.named_steps["countvectorizer"]
nb = model.named_steps["multinomialnb"]
vocabulary_size = len(vectorizer.vocabulary_)
tie_text = X_test[1]
kept = [word for word in vectorizer.build_analyzer()(tie_text) if word in vectorizer.vocabulary_]
print(f"Words of {tie_text!r} the model knows: {kept}")

exact_score = {}
for row, label in enumerate(nb.classes_):
    counts = nb.feature_count_[row]
    total = int(counts.sum())
    score = Fraction(int(nb.class_count_[row]), int(nb.class_count_.sum()))  # the prior
    factors = []
    for word in kept:
        count = int(counts[vectorizer.vocabulary_[word]])
        score *= Fraction(count + 1, total + vocabulary_size)
        factors.append(f"{count + 1}/{total + vocabulary_size}")
    exact_score[label] = score
    print(f"{label:>8}: prior {int(nb.class_count_[row])}/{int(nb.class_count_.sum())} x " + " x ".join(factors)
          + f" = {score}")
print(f"\nExactly equal as fractions: {exact_score[classes[0]] == exact_score[classes[1]]}")

# %% [markdown]
# Scikit-learn does not compute with fractions: it adds logarithms in floating point
# (`predict_joint_log_proba` gives each class's log-score). Rounding could have broken the tie by a
# hair, but it does not: the two log-scores are the same number.

# %%
joint = nb.predict_joint_log_proba(vectorizer.transform([tie_text]))[0]
tie_log_difference = float(joint[0] - joint[1])
print(f"The model's own log-scores: {joint[0]:.6f} and {joint[1]:.6f}; identical to the last bit: "
      f"{tie_log_difference == 0.0}.")

# %% [markdown]
# The two classes score exactly the same. The negative words the sentence needs (*hate*) are matched
# by positive evidence from *is* and *it*, which happen to occur more often in the three positive
# training sentences. With a perfect tie, something still has to be predicted. Scikit-learn picks the
# class with the largest score using `argmax`, and `argmax` returns the *first* of equal values; the
# classes are stored in sorted order, and `"negative"` sorts before `"positive"`. The right answer
# was picked by the alphabet.
#
# You can see it by renaming the labels and changing nothing else. If the classes were called
# `"unhappy"` and `"happy"`, the same data, the same model and the same tie would give:

# %%
rename = {"negative": "unhappy", "positive": "happy"}
renamed_model = make_pipeline(CountVectorizer(), MultinomialNB())
renamed_model.fit(X_train, [rename[label] for label in y_train])
renamed_accuracy = renamed_model.score(X_test, [rename[label] for label in y_test])
renamed_guess = str(renamed_model.predict([tie_text])[0])
print(f"classes_ now: {[str(c) for c in renamed_model.classes_]}")
print(f"{tie_text!r} is predicted {renamed_guess!r} (true: {rename[y_test[1]]!r}).")
print(f"Test accuracy with renamed labels: {renamed_accuracy}")

# %% [markdown]
# Half of the reference's perfect score was a coin toss that happened to land the right way. Even had
# the model decided both sentences with conviction, two sentences could not tell us much: each one is
# worth fifty percentage points of accuracy. A standard way to see how little a score on $n$ test
# sentences says is a 95% confidence interval for the true accuracy (here the exact Clopper-Pearson
# interval for a binomial proportion):

# %%
toy_correct = int(round(model.score(X_test, y_test) * len(X_test)))
toy_interval = stats.binomtest(toy_correct, len(X_test)).proportion_ci(confidence_level=0.95)
print(f"{toy_correct} of {len(X_test)} correct: 95% interval for the true accuracy "
      f"[{toy_interval.low:.3f}, {toy_interval.high:.3f}]. "
      f"It {'includes' if toy_interval.low <= 0.5 else 'excludes'} 0.5, the accuracy of a coin toss.")
for n in (20, 200, 750):
    ci = stats.binomtest(round(0.8 * n), n).proportion_ci(confidence_level=0.95)
    print(f"  For comparison, 80% correct on {n:>3} sentences: [{ci.low:.3f}, {ci.high:.3f}]")

# %% [markdown]
# With two test sentences, even a perfect score cannot rule out a model that is no better than
# guessing: the interval is almost as wide as it can be. The reference's example is fine for showing the mechanics of a pipeline, but it is no evaluation, and an
# attack measured on it would be measured against noise. From here on the course uses real data.

# %% [markdown]
# ## 4. The real data
#
# The course ships the *Sentiment Labelled Sentences* data set (Kotzias et al., KDD 2015): review
# sentences from Amazon, IMDb and Yelp, half positive and half negative. `split_data` makes the course's
# standard split: stratified (both classes keep their share in training and test), fixed by the seed.
# Then we train exactly the same pipeline as the reference.

# %%
data = load_sentiment()
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, test_size=test_size,
                                                                random_state=seed)
real_model = make_pipeline(CountVectorizer(), MultinomialNB())
real_model.fit(train_texts, train_labels)
real_predicted = real_model.predict(test_texts)
real_accuracy = real_model.score(test_texts, test_labels)
majority_share = pd.Series(test_labels).value_counts(normalize=True).max()

print(f"{len(data)} sentences: {len(train_texts)} for training, {len(test_texts)} for testing (seed {seed}).")
print(f"Test accuracy (clean, real data): {real_accuracy:.3f}")
print(f"Always predicting the most common class would score {majority_share:.3f}.")
real_interval = stats.binomtest(int(round(real_accuracy * len(test_texts))), len(test_texts)).proportion_ci()
print(f"95% interval from {len(test_texts)} test sentences: [{real_interval.low:.3f}, {real_interval.high:.3f}]")

# %% [markdown]
# Not perfect, and much more believable: the model is far better than guessing, and the interval
# around its score is now narrow enough to compare one model with another. Accuracy is a single
# number, though, and an attacker who wants one class misread (lesson 03) would hide inside it. So let
# us look at where the errors fall.

# %% [markdown]
# ## 5. Where the errors are
#
# A **confusion matrix** counts test sentences by their true class (rows) and predicted class (columns):
# the diagonal holds the correct predictions, the other cells the two kinds of mistake.

# %%
matrix = confusion_matrix(test_labels, real_predicted, labels=real_model.classes_)
fig, ax = plt.subplots(figsize=(5.0, 4.2))
ConfusionMatrixDisplay(matrix, display_labels=real_model.classes_).plot(ax=ax, cmap="Blues", colorbar=False)
ax.grid(False)
ax.set_title(f"Clean model on {len(test_texts)} test sentences (seed {seed})")
ax.set_xlabel("predicted class")
ax.set_ylabel("true class")
plt.show()

# %% [markdown]
# Two numbers per class summarise the matrix. **Precision**: of the sentences the model called
# *positive*, how many were positive? **Recall**: of the positive sentences, how many did it find?
# An attacker who makes positive sentences read as negative lowers the recall of *positive* and the
# precision of *negative*, which is why lesson 03 watches both.

# %%
precision, recall, f1, support = precision_recall_fscore_support(test_labels, real_predicted,
                                                                 labels=real_model.classes_, zero_division=0)
per_class = pd.DataFrame({"precision": precision, "recall": recall, "F1": f1, "test sentences": support},
                         index=pd.Index(real_model.classes_, name="class")).round(3)
print(per_class.to_string())
for label, row in zip(real_model.classes_, matrix):
    wrong = int(row.sum() - row[list(real_model.classes_).index(label)])
    print(f"{wrong} of {int(row.sum())} {label} sentences were misread.")

# %% [markdown]
# ## 6. The words the model leans on
#
# Multinomial Naive Bayes is easy to read. For every class $c$ and word $w$ it keeps a smoothed
# log-probability $\log P(w \mid c)$, in `feature_log_prob_`. A sentence's score for a class adds these
# up over its words, so every occurrence of a word moves the decision by the same amount, its
# **log-probability difference**
#
# $$\log P(w \mid \text{positive}) - \log P(w \mid \text{negative}).$$
#
# Positive values pull towards *positive*, negative values towards *negative*. The words with the
# largest differences are the ones the model trusts most. (A word seen only a few times cannot get
# an extreme value: the smoothing adds one to every count, which shrinks rare words towards zero.)
# Words with the same counts in each class get exactly the same difference; the table lists such ties
# in alphabetical order.

# %%
real_vectorizer = real_model.named_steps["countvectorizer"]
real_nb = real_model.named_steps["multinomialnb"]
words = real_vectorizer.get_feature_names_out()
pos_row = list(real_nb.classes_).index("positive")
neg_row = list(real_nb.classes_).index("negative")
log_difference = real_nb.feature_log_prob_[pos_row] - real_nb.feature_log_prob_[neg_row]
sentences_with = np.asarray((real_vectorizer.transform(train_texts) > 0).sum(axis=0)).ravel()
# A stable sort lists words with exactly the same difference alphabetically, on every machine.
top_positive = [int(i) for i in np.argsort(-log_difference, kind="stable")[:n_words]]
top_negative = [int(i) for i in np.argsort(log_difference, kind="stable")[:n_words]]

word_table = pd.concat({
    side: pd.DataFrame({"word": words[rows], "difference": log_difference[rows], "sentences": sentences_with[rows]})
    for side, rows in (("towards positive", top_positive), ("towards negative", top_negative))
}, axis=1)
print(word_table.round(2).to_string(index=False))
print(f"('sentences': training sentences containing the word; the vocabulary has {len(words)} words)")

# %%
shown = top_negative + top_positive[::-1]
fig, ax = plt.subplots(figsize=(7.0, 5.6))
ax.barh([words[i] for i in shown], log_difference[shown],
        color=["#d62728" if log_difference[i] < 0 else "#1f77b4" for i in shown])
ax.axvline(0, color="#555555", linewidth=1)
ax.set_title(f"The {n_words} words pulling hardest each way (seed {seed})")
ax.set_xlabel("log P(word | positive) - log P(word | negative)")
ax.set_ylabel("word")
plt.show()


# %% [markdown]
# These are the words a person would pick: the model has learned sentiment, not an accident of the
# data. Keep this picture in mind. A label-flipping attacker works by moving these bars (lesson 03
# watches them move), and a backdoor attacker adds a new bar of their own (lesson 04).

# %% [markdown]
# ## 7. One split is one sample
#
# The test accuracy above came from one random split. Another seed puts other sentences in the test set
# and gives another number. Before anyone can say that an attack lowered accuracy, they need to know
# how much accuracy moves without any attack. We repeat the split-train-score steps of section 4 for
# each seed and report the mean with a 95% interval. The course uses one interval everywhere: the
# Student-t interval of the mean over seeds, cut to the range the metric can take (0 to 1 for an
# accuracy, -1 to 1 for a drop), so that it never reports an accuracy above 1
# (`course_utils.metrics.mean_interval`). And it measures how much a number moves from one split to
# another one way: the standard deviation over seeds (`course_utils.metrics.seed_spread`).

# %%
def clean_accuracy(split_seed):
    # Section 4's steps for one seed: split, train the reference's pipeline, score on the test set.
    tr_texts, te_texts, tr_labels, te_labels = split_data(data.texts, data.labels, test_size=test_size,
                                                          random_state=split_seed)
    pipeline = make_pipeline(CountVectorizer(), MultinomialNB()).fit(tr_texts, tr_labels)
    return pipeline.score(te_texts, te_labels)


accuracy_by_seed = {s: clean_accuracy(s) for s in seeds}
acc_mean, acc_low, acc_high = mean_interval(list(accuracy_by_seed.values()))
print(pd.DataFrame({"accuracy": accuracy_by_seed}).rename_axis("seed").round(3).to_string())
split_spread = seed_spread(list(accuracy_by_seed.values()))
print(f"\nOver {len(seeds)} seeds: mean {acc_mean:.3f}, 95% interval [{acc_low:.3f}, {acc_high:.3f}]; "
      f"split-to-split spread (standard deviation) {split_spread:.3f}; single splits range from "
      f"{min(accuracy_by_seed.values()):.3f} to {max(accuracy_by_seed.values()):.3f}.")

# %%
values = np.array(list(accuracy_by_seed.values()))
fig, ax = plt.subplots(figsize=(7.0, 3.6))
ax.axvspan(acc_low, acc_high, color="#1f77b4", alpha=0.15, label="95% interval of the mean")
ax.axvline(acc_mean, color="#1f77b4", linewidth=1.5, label=f"mean over {len(seeds)} seeds")
ax.scatter(values, [str(s) for s in seeds], s=50, color="#333333", zorder=3, label="one split")
ax.set_title(f"Clean accuracy over {len(seeds)} train/test splits")
ax.set_xlabel("test accuracy")
ax.set_ylabel("seed of the split")
ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0))
plt.show()

# %% [markdown]
# The spread between single splits is the yardstick for comparing numbers that come from different
# splits: a difference smaller than it can be the luck of the split. Two models trained and tested
# on the *same* split share that luck, so comparing them seed by seed (pairing) cancels most of it.
# That is how lesson 02 measures attacks whose effect is smaller than this spread: the drop of each
# poisoned model from the clean model of its own split, with an interval over seeds.

# %% [markdown]
# ## 8. The same thing with `course_utils`
#
# Everything in sections 4 and 7 (split, train the reference's pipeline, score the untouched test
# set) is what the course's shared experiment does with no attack:
# `course_utils.experiment.run_experiment(texts, labels, seed=s)` returns, among other things, the
# `clean_accuracy` for seed `s`. Later lessons call it (and its fast sibling `sweep`) instead of
# repeating these lines. It should agree with what we wrote by hand, to the last digit:

# %%
shared_by_seed = {s: run_experiment(data.texts, data.labels, seed=s, test_size=test_size)["clean_accuracy"]
                  for s in seeds}
agrees = all(shared_by_seed[s] == accuracy_by_seed[s] for s in seeds)
largest_gap = max(abs(shared_by_seed[s] - accuracy_by_seed[s]) for s in seeds)
print(f"run_experiment and the code of this lesson agree on all {len(seeds)} seeds: {agrees} "
      f"(largest difference {largest_gap})")

# %% [markdown]
# ## Summary

# %%
print(f"- The reference's code, run exactly, prints 'Test accuracy (clean): {model.score(X_test, y_test)}'.")
print(f"- Its second test sentence is a tie: P(negative) = P(positive) = {tie_proba[0]:.3f}; scikit-learn picks "
      f"the first class in sorted order, {classes[0]!r}. Renaming the labels gives accuracy {renamed_accuracy}.")
print(f"- Two test sentences give a 95% interval of [{toy_interval.low:.3f}, {toy_interval.high:.3f}] for the accuracy: "
      f"no evaluation.")
print(f"- On {len(test_texts)} held-out real sentences (seed {seed}) the same pipeline scores {real_accuracy:.3f}, "
      f"against {majority_share:.3f} for always guessing one class.")
print(f"- Over {len(seeds)} seeds: {acc_mean:.3f} [{acc_low:.3f}, {acc_high:.3f}]; "
      f"run_experiment agrees on every seed: {agrees}.")
print(f"- The model leans on words such as {', '.join(repr(words[i]) for i in top_positive[:3])} (positive) "
      f"and {', '.join(repr(words[i]) for i in top_negative[:3])} (negative).")

# %% [markdown]
# What to take away: a score is only as good as the test set behind it. The reference's perfect
# accuracy is two sentences and a tie; the same pipeline on real data is a good, imperfect model whose
# accuracy you now know with an interval, whose mistakes you can see class by class, and whose
# reasoning you can read word by word. Lesson 02 starts poisoning it.
#
# To explore on your own, change the parameters cell and re-run: another `seed`, more `seeds`, a
# different `test_size` (what happens to the interval with a smaller test set?), or more `n_words`.
#
# **Exercises:** `exercises/01_clean_training_ex.ipynb` gives you
# practice with what this lesson measured.

# %%
_ = record_results(record_path, seed=seed, seeds=seeds, test_size=test_size,
                   toy_matches_load_toy=toy_matches, toy_test_accuracy=float(model.score(X_test, y_test)),
                   toy_classes=classes, toy_probabilities=proba, tie_probabilities=tie_proba,
                   tie_is_exact=tie_is_exact, tie_log_difference=tie_log_difference,
                   tie_exact_fractions_equal=exact_score[classes[0]] == exact_score[classes[1]],
                   tie_prediction=str(predicted[1]),
                   renamed_classes=[str(c) for c in renamed_model.classes_],
                   renamed_tie_prediction=str(renamed_guess), renamed_accuracy=float(renamed_accuracy),
                   toy_interval=[toy_interval.low, toy_interval.high],
                   n_train=len(train_texts), n_test=len(test_texts),
                   real_accuracy=float(real_accuracy), majority_share=float(majority_share),
                   confusion_matrix=matrix, confusion_labels=list(real_model.classes_),
                   per_class={label: {"precision": float(p), "recall": float(r)}
                              for label, p, r in zip(real_model.classes_, precision, recall)},
                   top_positive_words=[str(words[i]) for i in top_positive],
                   top_negative_words=[str(words[i]) for i in top_negative],
                   top_positive_differences=[float(log_difference[i]) for i in top_positive],
                   top_negative_differences=[float(log_difference[i]) for i in top_negative],
                   accuracy_by_seed={str(s): a for s, a in accuracy_by_seed.items()},
                   run_experiment_accuracy_by_seed={str(s): a for s, a in shared_by_seed.items()},
                   run_experiment_agrees=agrees, accuracy_mean=acc_mean, accuracy_low=acc_low, accuracy_high=acc_high)
