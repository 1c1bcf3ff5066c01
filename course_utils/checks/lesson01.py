"""Checks of exercise 01, clean training."""

from __future__ import annotations

import numpy as np

from ..experiment import run_experiment
from ..models import make_model
from . import Wrong, expect_number, question
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
    rng = np.random.default_rng(101)
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
    for seed in (11, 12):
        value = run_learner(answer, seed)
        value = expect_number(value, f"accuracy_by_seed({seed})")
        expected = run_experiment(data.texts, data.labels, seed=seed)["clean_accuracy"]
        if abs(value - expected) > 1e-9:
            if value > 1:
                raise Wrong("Accuracy is a share between 0 and 1, not a count or a percentage.")
            raise Wrong(f"accuracy_by_seed({seed}) differs from the course's split: use "
                        f"split_data(texts, labels, test_size=0.25, random_state=seed).")
    return "Matches the shared experiment's clean accuracy for fresh seeds."


@question("q01_top_words", exercise=EXERCISE, answer_name="top_words",
          prompt="top_words(model, label, k) returns the k words that most favour label")
def _top_words(answer):
    data = sentiment()
    rng = np.random.default_rng(7)
    rows = rng.choice(len(data), size=600, replace=False)
    model = _reference_model([data.texts[i] for i in rows], data.labels[rows])
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    words = vectorizer.get_feature_names_out()
    for label in ("positive", "negative"):
        index = list(classifier.classes_).index(label)
        weights = classifier.feature_log_prob_[index] - classifier.feature_log_prob_[1 - index]
        expected = [str(w) for w in words[np.argsort(-weights, kind="stable")[:5]]]
        got = [str(w) for w in as_list(run_learner(answer, model, label, 5), "top_words(...)")]
        if len(got) != 5:
            raise Wrong(f"top_words(model, {label!r}, 5) returned {len(got)} words, expected 5.")
        if set(got) != set(expected):
            raise Wrong(f"For {label!r} your words differ: rank words by the difference of the two classes' "
                        "feature_log_prob_, not by one class alone.")
        if got != expected:
            raise Wrong("The right words, in the wrong order: strongest first.")
    empty = run_learner(answer, model, "positive", 0)
    if len(as_list(empty, "top_words(model, 'positive', 0)")):
        raise Wrong("top_words(model, label, 0) should return an empty list.")
    return "The right words, strongest first, for both classes."
