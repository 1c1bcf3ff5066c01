"""course_utils.checks: every check passes the right answer, fails plausible wrong ones, never raises."""

import numpy as np
import pytest

from course_utils.checks import QUESTIONS, check, evaluate, questions_for
from course_utils.data import load_sentiment, load_toy
from course_utils.experiment import make_model, split_data


def _questions():
    questions_for("")  # loads every lesson's questions
    return dict(QUESTIONS)


def test_every_exercise_has_three_to_five_questions():
    questions = _questions()
    for exercise in {q.exercise for q in questions.values()}:
        assert 3 <= len(questions_for(exercise)) <= 5, exercise


def test_blank_answers_are_not_answered_yet():
    for qid in _questions():
        assert evaluate(qid, ...).status == "blank", qid

        def body_left_blank(*args, **kwargs):
            ...

        result = evaluate(qid, body_left_blank)
        assert result.status in ("blank", "fail"), qid  # a value question rejects a function


def test_unknown_id_is_reported_not_raised(capsys):
    check("q_no_such_question", 1)
    out = capsys.readouterr().out
    assert "unknown question" in out and "q01_train_pipeline" in out


def test_a_crash_in_learner_code_becomes_a_hint(capsys):
    def crashes(*args):
        raise KeyError("oops")

    check("q02_duplicate_flip", crashes)
    out = capsys.readouterr().out
    assert out.startswith("❌ q02_duplicate_flip: not yet.") and "KeyError" in out


def _mutating_duplicate(texts, labels, indices, new_label):
    texts.extend(texts[i] for i in indices)
    labels.extend([new_label] * len(indices))
    return texts, labels


def _first_rows_flip(labels, n_flips, seed):
    flipped = np.array(labels, dtype=str)
    flipped[:n_flips] = np.where(flipped[:n_flips] == "positive", "negative", "positive")
    return flipped


def _with_replacement_flip(labels, n_flips, seed):
    rng = np.random.default_rng(seed)
    flipped = np.array(labels, dtype=str)
    rows = rng.integers(0, len(flipped), size=n_flips)
    flipped[rows] = np.where(flipped[rows] == "positive", "negative", "positive")
    return flipped


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


def _all_target_rate(y_true, y_pred, source, target):
    return float(np.mean(np.asarray(y_pred) == target))


def _unsorted_flipped(clean, poisoned):
    return sorted(np.flatnonzero(np.asarray(clean) != np.asarray(poisoned)).tolist(), reverse=True)


def _trigger_glued(text, trigger):
    return trigger + text


def _backdoor_any_row(texts, labels, trigger, target, budget, seed):
    from course_utils.attacks import poison_budget

    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(len(texts), size=poison_budget(budget, len(texts)), replace=False))
    new_texts, new_labels = list(texts), np.array(labels).copy()
    for i in chosen:
        new_texts[i] = f"{trigger} {new_texts[i]}"
        new_labels[i] = target
    return new_texts, new_labels, chosen


WRONG = {
    "q01_train_pipeline": [_tfidf_model, lambda texts, labels: "a model"],
    "q01_love_probability": [1 / 3, 0.5, 1.2, "0.67"],
    "q01_accuracy_by_seed": [_wrong_split_accuracy, lambda seed: 82.5],
    "q01_top_words": [_one_class_words, lambda model, label, k: ["good"] * k],
    "q02_duplicate_flip": [_mutating_duplicate, lambda t, l, i, n: (list(t), list(l)),
                           lambda t, l, i, n: [list(t) + [t[j] for j in i], list(l) + [n] * len(i)]],
    "q02_random_flip": [_first_rows_flip, _with_replacement_flip],
    "q02_accuracy_drop": [0.1, -0.1275, 12.75],
    "q02_cheapest_budget": [0.1, 0.2, 0.12],
    "q03_success_rate": [_all_target_rate, lambda *a: 0.5],
    "q03_flipped": [_unsorted_flipped, lambda a, b: []],
    "q03_cheapest_copies": [1, 2, 10],
    "q03_explanation": ["The model got worse.", "Accuracy fell from 1.0 to 0.5 after the poisoning of the data set."],
    "q04_add_trigger": [_trigger_glued, lambda text, trigger: text + " " + trigger],
    "q04_plant_backdoor": [_backdoor_any_row],
    "q04_backdoor_success": [0.5, 87.0],
    "q04_explanation": ["Accuracy monitoring misses it because the test set has no trigger in it at all.",
                        "It is 0.10 and 0.20 and the trigger is not in the test set, so nobody notices it."],
}


def test_every_question_has_wrong_answers_listed():
    from tests.checks.test_checks_05 import WRONG as WRONG_05  # lesson 05's table lives beside its helpers

    assert set(WRONG) | set(WRONG_05) == set(_questions())


@pytest.mark.parametrize("qid, index", [(q, i) for q, answers in sorted(WRONG.items()) for i in range(len(answers))])
def test_checks_reject_wrong_answers(qid, index):
    result = evaluate(qid, WRONG[qid][index])
    assert result.status == "fail", (qid, result)
    assert result.message and result.points == 0


def test_a_wrong_answer_gets_a_hint_not_the_answer(capsys):
    check("q02_random_flip", _first_rows_flip)
    out = capsys.readouterr().out
    assert "same rows" in out


def test_reference_answer_passes_for_toy_probability():
    clean_data, _ = load_toy()
    model = make_model().fit(*zip(*clean_data))
    proba = model.predict_proba(["I really love this!"])[0][list(model.classes_).index("positive")]
    assert evaluate("q01_love_probability", proba).passed
