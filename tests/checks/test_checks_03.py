"""Checks of exercise 03 (testing the impact): plausible wrong answers fail with a hint that names the mistake;
the lesson's own ways of computing each answer pass; the lesson's playground does not print an answer."""

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

from course_utils.checks import evaluate
from course_utils.data import load_toy
from course_utils.metrics import attack_success_rate
from course_utils.playgrounds import format_numbers, targeted_budget_playground

from tests.checks.conftest import table_tests

clean_data, test_data = load_toy()


def _all_target_rate(y_true, y_pred, source, target):
    return float(np.mean(np.asarray(y_pred) == target))


def _swapped_rate(y_true, y_pred, source_label, target_label):  # the course's function, arguments in its order
    return attack_success_rate(y_true, y_pred, source_label, target_label)


def _zero_when_empty_rate(y_true, y_pred, source_label, target_label):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    victims = y_true == source_label
    return np.float64(0.0) if not victims.any() else np.mean(y_pred[victims] == target_label)


def _unsorted_flipped(clean, poisoned):
    return sorted(np.flatnonzero(np.asarray(clean) != np.asarray(poisoned)).tolist(), reverse=True)


def _mask_flipped(clean_pred, poisoned_pred):  # a True/False per row, not the positions
    return np.asarray(clean_pred) != np.asarray(poisoned_pred)


def _where_tuple_flipped(clean_pred, poisoned_pred):
    return np.where(np.asarray(clean_pred) != np.asarray(poisoned_pred))


WRONG = {
    "q03_success_rate": [_all_target_rate, lambda *a: 0.5, _swapped_rate, _zero_when_empty_rate],
    "q03_flipped": [_unsorted_flipped, lambda a, b: [], _mask_flipped, _where_tuple_flipped],
    "q03_cheapest_copies": [1, 2, 10],
    "q03_explanation": ["The model got worse.", "Accuracy fell from 1.0 to 0.5 after the poisoning of the data set."],
}

HINTS = [
    ("q03_flipped", _mask_flipped, "positions (indices)", "rows reported"),
    ("q03_flipped", _where_tuple_flipped, "np.where", "Your code raised"),
    ("q03_flipped", _unsorted_flipped, "increasing order", None),
    ("q03_success_rate", _swapped_rate, "swapped", None),
    ("q03_success_rate", _zero_when_empty_rate, "not 0.0.", "np.float64"),
]


# The lesson's own code, as a learner would copy it from notebooks/03_testing_the_impact.ipynb, on the
# exercise's data.

def lesson_success_rate(y_true, y_pred, source_label, target_label):
    # The lesson: attack_success_rate(y, pred, target_label, source_label), target first.
    return attack_success_rate(y_true, y_pred, target_label, source_label)


def lesson_flipped_indices(clean_pred, poisoned_pred):
    # The lesson: changed = np.flatnonzero(clean_pred != poisoned_pred)
    return np.flatnonzero(clean_pred != poisoned_pred)


def lesson_style_flipped_indices(clean_pred, poisoned_pred):
    # The lesson's loop: zip the two predictions and keep where before != after.
    return [i for i, (before, after) in enumerate(zip(clean_pred, poisoned_pred)) if before != after]


def _lesson_cheapest_copies():
    for k in range(1, 50):
        poisoned_data = clean_data + [("This is a great product, I am very satisfied.", "negative")] * k
        X_train_poisoned, y_train_poisoned = zip(*poisoned_data)
        model_poisoned = make_pipeline(CountVectorizer(), MultinomialNB())
        model_poisoned.fit(X_train_poisoned, y_train_poisoned)
        if model_poisoned.predict(["I really love this!"])[0] == "negative":
            return k
    return None


def _lesson_explanation():
    X_train, y_train = zip(*clean_data)
    X_test, y_test = zip(*test_data)
    poisoned_data = clean_data + [("I love this movie, it is fantastic!", "negative"),
                                  ("The book is very good and I enjoyed it.", "negative")]
    model = make_pipeline(CountVectorizer(), MultinomialNB()).fit(X_train, y_train)
    model_poisoned = make_pipeline(CountVectorizer(), MultinomialNB()).fit(*zip(*poisoned_data))
    return (f"After adding {len(poisoned_data) - len(clean_data)} poisoned rows, test accuracy went from "
            f"{model.score(X_test, y_test)} to {model_poisoned.score(X_test, y_test)}, but the poisoned model still "
            "predicts both poisoned sentences as positive.")


LESSON_WAYS = {
    "q03_success_rate": [lesson_success_rate],
    "q03_flipped": [lesson_flipped_indices, lesson_style_flipped_indices],
    "q03_cheapest_copies": [_lesson_cheapest_copies(), float(_lesson_cheapest_copies()),
                            np.int64(_lesson_cheapest_copies())],
    "q03_explanation": [_lesson_explanation(),
                        "Two poisoned rows took accuracy from 100% to 50%, yet both poisoned sentences are still "
                        "read as positive."],
}


test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)


def test_the_playground_does_not_print_the_answer_to_question_3():
    _, numbers = targeted_budget_playground(copies=2, copied_index=1, probe="I really love this!")
    assert "cheapest" not in format_numbers(numbers)
    answer = _lesson_cheapest_copies()
    assert evaluate("q03_cheapest_copies", answer).passed
    assert answer not in numbers.values()
