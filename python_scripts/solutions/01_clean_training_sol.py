# ---
# jupyter:
#   course:
#     exercise: 01_clean_training
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 01 · Clean training
#
# These exercises go with `notebooks/01_clean_training.ipynb`. You will rebuild the reference's model
# yourself, read its probabilities, measure it properly on the real data and find the words it leans on.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 30 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Build the reference's pipeline, `CountVectorizer` followed by `MultinomialNB`, as a function that
#   trains it without changing its inputs (Q1).
# - Read a class probability from `predict_proba`, in the column order of `classes_` (Q2).
# - Measure accuracy on a stratified split of the real data and see how it moves from seed to seed
#   (Q3).
# - Find the words a Naive Bayes model leans on for a class, from its `feature_log_prob_` (Q4).

# %% [markdown]
# ## Setup

# %%
import numpy as np

from course_utils.checks import check
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data, summarize, sweep
from course_utils.models import make_model

clean_data, test_data = load_toy()
reviews = load_sentiment()

# %% [markdown]
# ## Q1 · Train the reference's model
#
# Write `train_sentiment_model(texts, labels)`: it returns the reference's pipeline, word counts
# (`CountVectorizer`) followed by multinomial Naive Bayes (`MultinomialNB`), fitted on the texts and
# labels it is given. Do not change the lists it receives.

# %%
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline


def train_sentiment_model(texts, labels):
    """Return CountVectorizer + MultinomialNB fitted on texts and labels."""
    # BEGIN SOLUTION
    model = make_pipeline(CountVectorizer(), MultinomialNB())
    return model.fit(list(texts), list(labels))
    # END SOLUTION


check("q01_train_pipeline", train_sentiment_model)

# %% [markdown]
# ## Q2 · How sure is the toy model?
#
# Train the model on the six clean toy sentences and set `love_probability` to the probability it gives
# to *"I really love this!"* being **positive**. `predict_proba` returns one column per class, in the
# order of `model.classes_`.

# %%
love_probability = ...
# BEGIN SOLUTION
toy_texts, toy_labels = zip(*clean_data)
toy_model = make_pipeline(CountVectorizer(), MultinomialNB()).fit(toy_texts, toy_labels)
positive_column = list(toy_model.classes_).index("positive")
love_probability = toy_model.predict_proba(["I really love this!"])[0][positive_column]
# END SOLUTION
print(love_probability)
check("q01_love_probability", love_probability)


# %% [markdown]
# ## Q3 · Accuracy on one real split
#
# Write `accuracy_by_seed(seed)`: split the 3,000 real sentences with the course's
# `split_data(reviews.texts, reviews.labels, test_size=0.25, random_state=seed)`, train the reference
# pipeline on the training part and return its accuracy on the test part. Then look at how much it moves
# from seed to seed.

# %%
def accuracy_by_seed(seed):
    """Test accuracy of the reference pipeline on the real data split with this seed."""
    # BEGIN SOLUTION
    train_texts, test_texts, train_labels, test_labels = split_data(
        reviews.texts, reviews.labels, test_size=0.25, random_state=seed)
    model = make_pipeline(CountVectorizer(), MultinomialNB()).fit(train_texts, train_labels)
    return model.score(test_texts, test_labels)
    # END SOLUTION


check("q01_accuracy_by_seed", accuracy_by_seed)


# %% [markdown]
# ## Q4 · The words the model leans on
#
# Write `top_words(model, label, k)`: for a fitted pipeline on two classes, return the `k` words whose
# evidence most favours `label`, strongest first. For Naive Bayes that evidence is the difference
# between the two classes' `feature_log_prob_` rows. The vocabulary is
# `model.steps[0][1].get_feature_names_out()`; the classifier is `model.steps[1][1]`.

# %%
def top_words(model, label, k):
    """The k words that most favour label, strongest first."""
    # BEGIN SOLUTION
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    row = list(classifier.classes_).index(label)
    evidence = classifier.feature_log_prob_[row] - classifier.feature_log_prob_[1 - row]
    order = np.argsort(-evidence, kind="stable")[:k]
    return [str(word) for word in vectorizer.get_feature_names_out()[order]]
    # END SOLUTION


check("q01_top_words", top_words)

# %% [markdown]
# ## Done
#
# When every check above says ✅, you have rebuilt lesson 01 yourself. Next: lesson 02,
# `notebooks/02_label_flip_poisoning.ipynb`.
