"""Checks of exercise 01, clean training."""

from __future__ import annotations

import numpy as np

from ..experiment import run_experiment, split_data
from ..models import make_model
from . import Wrong, expect_number, fresh_rng, question, show
from ._reference import as_list, match_number, run_learner, sentiment, toy

EXERCISE = "01_clean_training"


def _reference_model(texts, labels):
    return make_model("count-nb").fit(list(texts), list(labels))


@question("q01_train_pipeline", exercise=EXERCISE, answer_name="train_sentiment_model",
          prompt="train_sentiment_model(texts, labels) returns the reference's fitted pipeline")
def _train_pipeline(answer):
    clean_data, test_data = toy()
    texts, labels = map(list, zip(*clean_data))
    probes = [t for t, _ in test_data] + ["I love it", "awful and terrible service", "a book"]
    model = run_learner(answer, texts, labels)
    if not hasattr(model, "predict"):
        raise Wrong(f"Your function should return a fitted model with .predict; it returned {type(model).__name__}.")
    expected = _reference_model(texts, labels).predict(probes)
    got = np.asarray(as_list(model.predict(probes), "model.predict(...)"))
    if not np.array_equal(got, expected):
        raise Wrong("On the reference's toy data your model predicts differently from "
                    "CountVectorizer + MultinomialNB on some sentences.")
    data = sentiment()
    rng = fresh_rng(101)  # a secret seed in the batch grader
    rows = rng.choice(len(data), size=400, replace=False)
    train, probe = rows[:300], rows[300:]
    model = run_learner(answer, [data.texts[i] for i in train], data.labels[train])
    got = np.asarray(as_list(model.predict([data.texts[i] for i in probe]), "model.predict(...)"))
    expected = _reference_model([data.texts[i] for i in train], data.labels[train]).predict(
        [data.texts[i] for i in probe])
    differ = int(np.sum(got != expected))
    if differ:
        raise Wrong(f"On 300 fresh training sentences your model disagrees with the reference pipeline on "
                    f"{differ} of 100 test sentences: use the default CountVectorizer and MultinomialNB.")
    return "Same predictions as the reference pipeline, on the toy data and on fresh real data."


@question("q01_love_probability", exercise=EXERCISE, answer_name="love_probability",
          prompt="the clean toy model's probability that 'I really love this!' is positive")
def _love_probability(answer):
    clean_data, _ = toy()
    model = _reference_model(*zip(*clean_data))
    proba = model.predict_proba(["I really love this!"])[0]
    expected = float(proba[list(model.classes_).index("positive")])
    return match_number(
        answer, "love_probability", expected,
        correct=f"The model is {expected:.0%} sure; not a landslide for such a clear sentence.",
        mistakes=[(1 - expected, "That is the probability of the other class: model.classes_ gives the column order.")],
        share_hint="A probability lies between 0 and 1.",
        otherwise="Train the reference pipeline on the six clean sentences and read predict_proba.")


@question("q01_accuracy_by_seed", exercise=EXERCISE, answer_name="accuracy_by_seed",
          prompt="accuracy_by_seed(seed) returns the clean model's test accuracy on the real data for one split")
def _accuracy_by_seed(answer):
    data = sentiment()
    values = {seed: expect_number(run_learner(answer, seed), f"accuracy_by_seed({seed})") for seed in (11, 12)}
    for seed, value in values.items():
        expected = run_experiment(data.texts, data.labels, seed=seed)["clean_accuracy"]
        if abs(value - expected) <= 1e-9:
            continue
        if 1 < value <= 100 and abs(value / 100 - expected) <= 1e-9:
            raise Wrong("Accuracy is a share between 0 and 1, not a percentage.")
        if value > 1:
            raise Wrong("Accuracy is a share between 0 and 1, not a count or a percentage.")
        train_texts, _, train_labels, _ = split_data(data.texts, data.labels, test_size=0.25, random_state=seed)
        if abs(value - _reference_model(train_texts, train_labels).score(train_texts, train_labels)) <= 1e-9:
            raise Wrong(f"accuracy_by_seed({seed}) scored the model on the training set, the sentences it learned "
                        "from: score it on the test part of the split, which it has not seen.")
        if values[11] == values[12]:
            raise Wrong("accuracy_by_seed gives the same accuracy for seeds 11 and 12: split with "
                        "random_state=seed, the seed the function is given.")
        raise Wrong(f"accuracy_by_seed({seed}) differs from the course's split: use "
                    f"split_data(texts, labels, test_size=0.25, random_state=seed).")
    return "Matches the shared experiment's clean accuracy for fresh seeds."


def _word_positions(got, vocabulary, label, k):
    """The vocabulary positions of the learner's words, or ``Wrong`` for unknown or repeated words."""
    positions = []
    for word in got:
        if word not in vocabulary:
            raise Wrong(f"top_words(model, {label!r}, {k}) returned {show(word)}, which is not a word of the "
                        "model's vocabulary (get_feature_names_out()).")
        positions.append(vocabulary[word])
    if len(set(positions)) != len(positions):
        raise Wrong(f"top_words(model, {label!r}, {k}) lists a word twice; each word should appear once.")
    return np.array(positions, dtype=int)


@question("q01_top_words", exercise=EXERCISE, answer_name="top_words",
          prompt="top_words(model, label, k) returns the k words that most favour label")
def _top_words(answer):
    data = sentiment()
    rng = fresh_rng(7)  # a secret seed in the batch grader
    rows = rng.choice(len(data), size=600, replace=False)
    model = _reference_model([data.texts[i] for i in rows], data.labels[rows])
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    vocabulary = {str(w): i for i, w in enumerate(vectorizer.get_feature_names_out())}
    k = 5
    for label in ("positive", "negative"):
        index = list(classifier.classes_).index(label)
        weights = classifier.feature_log_prob_[index] - classifier.feature_log_prob_[1 - index]
        strongest = np.sort(weights)[::-1][:k]  # the evidence of the k strongest words, strongest first
        got = [str(w) for w in as_list(run_learner(answer, model, label, k), "top_words(...)")]
        if len(got) != k:
            raise Wrong(f"top_words(model, {label!r}, {k}) returned {len(got)} words, expected {k}.")
        chosen = _word_positions(got, vocabulary, label, k)
        values = weights[chosen]
        # Words whose evidence ties may come in any order, and any of them may fill the last places.
        if np.allclose(values, strongest, rtol=0, atol=1e-9):
            continue
        if np.allclose(np.sort(values)[::-1], strongest, rtol=0, atol=1e-9):
            if np.allclose(values, strongest[::-1], rtol=0, atol=1e-9):
                raise Wrong(f"For {label!r} you have the right words, but weakest first: list them strongest "
                            "first, from the largest difference down.")
            raise Wrong(f"For {label!r} you have the right words, in the wrong order: list them strongest first, "
                        "from the largest difference down.")
        if np.allclose(np.sort(values), np.sort(weights)[:k], rtol=0, atol=1e-9):
            raise Wrong(f"For {label!r} your words are the ones that most favour the other class, those with the "
                        "smallest difference: take label's row minus the other class's row and rank from the "
                        "largest difference down.")
        one_class = classifier.feature_log_prob_[index]
        if np.allclose(np.sort(one_class[chosen])[::-1], np.sort(one_class)[::-1][:k], rtol=0, atol=1e-9):
            raise Wrong(f"For {label!r} you ranked words by one class's feature_log_prob_ alone: rank them by the "
                        "difference between label's row and the other class's row.")
        raise Wrong(f"For {label!r} your words differ: rank words by the difference between label's "
                    "feature_log_prob_ row and the other class's row, largest first.")
    empty = run_learner(answer, model, "positive", 0)
    if len(as_list(empty, "top_words(model, 'positive', 0)")):
        raise Wrong("top_words(model, label, 0) should return an empty list.")
    return "The right words, strongest first, for both classes."
