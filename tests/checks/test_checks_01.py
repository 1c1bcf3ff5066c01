"""Checks of exercise 01 (clean training): plausible wrong answers fail; the reference answer passes."""

import numpy as np
import pytest

from course_utils.checks import evaluate
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import split_data
from course_utils.models import make_model

from tests.checks.conftest import assert_rejected, wrong_answer_cases


def _tfidf_model(texts, labels):
    return make_model("tfidf-logreg").fit(list(texts), list(labels))


def _one_class_words(model, label, k):
    vectorizer, classifier = model.steps[0][1], model.steps[1][1]
    row = list(classifier.classes_).index(label)
    return list(vectorizer.get_feature_names_out()[np.argsort(-classifier.feature_log_prob_[row])[:k]])


def _wrong_split_accuracy(seed):
    data = load_sentiment()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.3, seed)
    return make_model().fit(train_texts, train_labels).score(test_texts, test_labels)


WRONG = {
    "q01_train_pipeline": [_tfidf_model, lambda texts, labels: "a model"],
    "q01_love_probability": [1 / 3, 0.5, 1.2, "0.67"],
    "q01_accuracy_by_seed": [_wrong_split_accuracy, lambda seed: 82.5],
    "q01_top_words": [_one_class_words, lambda model, label, k: ["good"] * k],
}


@pytest.mark.parametrize("qid, index", wrong_answer_cases(WRONG))
def test_checks_reject_wrong_answers(qid, index):
    assert_rejected(qid, WRONG[qid][index])


def test_reference_answer_passes_for_toy_probability():
    clean_data, _ = load_toy()
    model = make_model().fit(*zip(*clean_data))
    proba = model.predict_proba(["I really love this!"])[0][list(model.classes_).index("positive")]
    assert evaluate("q01_love_probability", proba).passed
