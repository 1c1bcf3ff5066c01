"""course_utils.checks across lessons: every check fails plausible wrong answers, never raises, knows blanks.

Each lesson's wrong answers live in ``test_checks_NN.py`` beside the helpers that build them; this
module holds what is true of every question, and finds the lessons' modules on disk.
"""

import importlib
import inspect
import re
from pathlib import Path

import numpy as np
import pytest

from course_utils.checks import QUESTIONS, check, evaluate, plain_text, questions_for, show

from tests.conftest import LESSONS, lesson_number

CHECKS_MODULES = sorted(Path(__file__).parent.glob("test_checks_[0-9][0-9].py"))
LESSON_STEMS = {lesson_number(path): path.stem for path in LESSONS}


def _questions():
    questions_for("")  # loads every lesson's questions
    return dict(QUESTIONS)


def _wrong_answers(module_path):
    return importlib.import_module(f"tests.checks.{module_path.stem}").WRONG


def _every_wrong_answer():
    """``(module, question id, answer)`` for every answer of every lesson's WRONG and HINTS tables."""
    cases = []
    for module_path in CHECKS_MODULES:
        module = importlib.import_module(f"tests.checks.{module_path.stem}")
        for qid, answers in sorted(module.WRONG.items()):
            cases += [pytest.param(module, qid, answer, id=f"{qid}-wrong{i}") for i, answer in enumerate(answers)]
        for i, (qid, answer, *_) in enumerate(getattr(module, "HINTS", [])):
            cases.append(pytest.param(module, qid, answer, id=f"{qid}-hint{i}"))
    return cases


NUMPY_REPR = re.compile(r"np\.(int|uint|float|str_|bool|True_|False_)|array\(")
QUOTED_LINE = re.compile(r"\(line \d+: (.*)\)$")


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


def test_every_question_has_wrong_answers_listed():
    listed = set()
    for module_path in CHECKS_MODULES:
        listed |= set(_wrong_answers(module_path))
    assert listed == set(_questions())


@pytest.mark.parametrize("module_path", CHECKS_MODULES, ids=[p.stem for p in CHECKS_MODULES])
def test_each_lessons_module_lists_wrong_answers_for_exactly_its_questions(module_path):
    number = module_path.stem[-2:]
    assert number in LESSON_STEMS, f"{module_path.name} has no lesson notebooks/{number}_*.ipynb"
    assert set(_wrong_answers(module_path)) == {q.qid for q in questions_for(LESSON_STEMS[number])}


@pytest.mark.parametrize("module, qid, answer", _every_wrong_answer())
def test_no_hint_shows_numpy_reprs_or_a_librarys_code(module, qid, answer, capsys):
    result = evaluate(qid, answer)
    check(qid, answer)
    printed = capsys.readouterr()
    for text in (result.message, printed.out, printed.err):
        assert not NUMPY_REPR.search(text), text
        assert "site-packages" not in text and "Traceback" not in text, text
    quoted = QUOTED_LINE.search(result.message)
    if quoted:  # a crash quotes the learner's own line: here, a line of the lesson's test module
        assert quoted.group(1) in inspect.getsource(module), result.message


def test_show_quotes_values_as_plain_python():
    assert show(np.int64(4)) == "4"
    assert show(np.str_("negative")) == "'negative'"
    assert show(np.array([4, 2, 2, 9])) == "[4, 2, 2, 9]"
    assert show([np.float64(0.5), np.bool_(True)]) == "[0.5, True]"
    assert show({np.int64(3), np.int64(1)}) == "{1, 3}"
    assert plain_text(repr([np.int64(4), np.str_("x"), np.array([1, 2])])) == "[4, 'x', [1, 2]]"
