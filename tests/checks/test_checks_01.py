"""Checks of exercise 01 (clean training): plausible wrong answers fail with a hint that names the mistake;
the lesson's own ways of computing each answer pass."""


import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

from course_utils.checks import evaluate
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import run_experiment, split_data
from course_utils.models import make_model

from tests.checks.conftest import table_tests

data = load_sentiment()
clean_data, test_data = load_toy()


def _tfidf_model(texts, labels):
    return make_model("tfidf-logreg").fit(list(texts), list(labels))


def _logistic_regression_on_raw_text(texts, labels):  # crashes inside scikit-learn
    return LogisticRegression().fit(texts, labels)


def _evidence(model, label):
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    row = list(classifier.classes_).index(label)
    return vectorizer.get_feature_names_out(), classifier.feature_log_prob_[row] - classifier.feature_log_prob_[1 - row]


def _one_class_words(model, label, k):
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    row = list(classifier.classes_).index(label)
    return list(vectorizer.get_feature_names_out()[np.argsort(-classifier.feature_log_prob_[row])[:k]])


def _ascending_words(model, label, k):  # used the difference, sorted it the wrong way round
    words, d = _evidence(model, label)
    return list(words[np.argsort(d)[:k]])


def _weakest_first_words(model, label, k):  # the right words, listed weakest first
    words, d = _evidence(model, label)
    return list(words[np.argsort(-d, kind="stable")[:k][::-1]]) if k else []


def _wrong_split_accuracy(seed):
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.3, seed)
    return make_model().fit(train_texts, train_labels).score(test_texts, test_labels)


def _training_set_accuracy(seed):
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, test_size=0.25,
                                                                    random_state=seed)
    return make_model().fit(train_texts, train_labels).score(train_texts, train_labels)


def _seed_ignored_accuracy(seed):
    return run_experiment(data.texts, data.labels, seed=0)["clean_accuracy"]


WRONG = {
    "q01_train_pipeline": [_tfidf_model, lambda texts, labels: "a model", _logistic_regression_on_raw_text],
    "q01_love_probability": [1 / 3, 0.5, 1.2, "0.67", 0.67],
    "q01_accuracy_by_seed": [_wrong_split_accuracy, lambda seed: 82.5, _training_set_accuracy, _seed_ignored_accuracy],
    "q01_top_words": [_one_class_words, lambda model, label, k: ["good"] * k, _ascending_words, _weakest_first_words,
                      lambda model, label, k: ["zzzz"] * k],
}

# (question, wrong answer, what its hint must say, what it must not say)
HINTS = [
    ("q01_accuracy_by_seed", _training_set_accuracy, "training set", "differs from the course's split"),
    ("q01_accuracy_by_seed", _seed_ignored_accuracy, "same accuracy for seeds 11 and 12", None),
    ("q01_accuracy_by_seed", _wrong_split_accuracy, "differs from the course's split", None),
    ("q01_top_words", _ascending_words, "favour the other class", "rank words by the difference"),
    ("q01_top_words", _weakest_first_words, "weakest first", "rank words by the difference"),
    ("q01_top_words", _one_class_words, "one class's feature_log_prob_ alone", None),
    ("q01_love_probability", 0.67, "rounded", None),
    ("q01_train_pipeline", _logistic_regression_on_raw_text,
     "line ", "site-packages"),  # the learner's own line is quoted, not scikit-learn's
]


# The lesson's own code for each answer, as a learner would copy it from notebooks/01_clean_training.ipynb,
# on the data the exercise uses (load_toy(), load_sentiment()).

def lesson_train_sentiment_model(texts, labels):
    model = make_pipeline(CountVectorizer(), MultinomialNB())
    model.fit(texts, labels)
    return model


def _lesson_love_probability():
    X_train, y_train = zip(*clean_data)
    model = make_pipeline(CountVectorizer(), MultinomialNB())
    model.fit(X_train, y_train)
    X_test, y_test = zip(*test_data)
    proba = model.predict_proba(X_test)
    classes = [str(c) for c in model.classes_]
    return proba[0][classes.index("positive")]


def lesson_clean_accuracy(split_seed):
    tr_texts, te_texts, tr_labels, te_labels = split_data(data.texts, data.labels, test_size=0.25,
                                                          random_state=split_seed)
    pipeline = make_pipeline(CountVectorizer(), MultinomialNB()).fit(tr_texts, tr_labels)
    return pipeline.score(te_texts, te_labels)


def lesson_run_experiment_accuracy(seed):
    return run_experiment(data.texts, data.labels, seed=seed, test_size=0.25)["clean_accuracy"]


def lesson_top_words(model, label, k):
    # Lesson 01 section 5: log_difference = positive row - negative row; argsort(-d) for positive, argsort(d) for negative.
    real_vectorizer = model.named_steps["countvectorizer"]
    real_nb = model.named_steps["multinomialnb"]
    words = real_vectorizer.get_feature_names_out()
    pos_row = list(real_nb.classes_).index("positive")
    neg_row = list(real_nb.classes_).index("negative")
    log_difference = real_nb.feature_log_prob_[pos_row] - real_nb.feature_log_prob_[neg_row]
    if label == "positive":
        return [str(w) for w in words[np.argsort(-log_difference, kind="stable")[:k]]]
    return [str(w) for w in words[np.argsort(log_difference, kind="stable")[:k]]]


def reversed_argsort_top_words(model, label, k):  # the tester's way: ties come out in another order
    words, d = _evidence(model, label)
    return list(words[np.argsort(d)[::-1][:k]])


def default_sort_top_words(model, label, k):  # quicksort, not stable: ties in any order
    words, d = _evidence(model, label)
    return words[np.argsort(-d)[:k]]  # an array of numpy strings


LESSON_WAYS = {
    "q01_train_pipeline": [lesson_train_sentiment_model],
    "q01_love_probability": [_lesson_love_probability()],
    "q01_accuracy_by_seed": [lesson_clean_accuracy, lesson_run_experiment_accuracy],
    "q01_top_words": [lesson_top_words, reversed_argsort_top_words, default_sort_top_words],
}


test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)


def test_the_reversed_argsort_really_orders_ties_differently():
    # The test above is only worth something if the two sorts disagree on this exercise's model.
    rng = np.random.default_rng(7)
    rows = rng.choice(len(data), size=600, replace=False)
    model = make_model().fit([data.texts[i] for i in rows], data.labels[rows])
    assert any(reversed_argsort_top_words(model, label, 5) != lesson_top_words(model, label, 5)
               for label in ("positive", "negative"))


def test_reference_answer_passes_for_toy_probability():
    model = make_model().fit(*zip(*clean_data))
    proba = model.predict_proba(["I really love this!"])[0][list(model.classes_).index("positive")]
    assert evaluate("q01_love_probability", proba).passed
