"""The checks layer: each lesson's module lists plausible wrong answers that its checks must reject.

A lesson's ``test_checks_NN.py`` holds three tables:

* ``WRONG``: question id -> wrong answers, each of which its check must fail;
* ``HINTS``: ``(question id, wrong answer, what the hint must say, what it must not say or None)``,
  the mistakes whose hint must name what the learner actually did;
* ``LESSON_WAYS``: question id -> right answers computed the way the lesson computes them (and other
  reasonable ways), each of which its check must pass.
"""

from course_utils.checks import evaluate


def wrong_answer_cases(wrong):
    """``(question id, index)`` pairs, one per answer in a lesson's ``WRONG`` table, for parametrize."""
    return [(qid, index) for qid, answers in sorted(wrong.items()) for index in range(len(answers))]


def hint_cases(hints):
    """A lesson's ``HINTS`` rows for parametrize, each with a readable id."""
    import pytest

    return [pytest.param(*row, id=f"{row[0]}-{getattr(row[1], '__name__', repr(row[1]))[:30]}") for row in hints]


def assert_rejected(qid, answer):
    """Assert that the check of ``qid`` fails ``answer`` with a hint and no points; return its result."""
    result = evaluate(qid, answer)
    assert result.status == "fail", (qid, result)
    assert result.message and result.points == 0
    return result


def assert_passes(qid, answer):
    """Assert that the check of ``qid`` accepts ``answer`` with full points; return its result."""
    result = evaluate(qid, answer)
    assert result.passed and result.points == result.max_points, (qid, str(result))
    return result


def table_tests(wrong, hints, lesson_ways):
    """The three tests every lesson's tables get, to assign at module level in ``test_checks_NN.py``::

        test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \\
            table_tests(WRONG, HINTS, LESSON_WAYS)
    """
    import pytest

    @pytest.mark.parametrize("qid, index", wrong_answer_cases(wrong))
    def test_checks_reject_wrong_answers(qid, index):
        assert_rejected(qid, wrong[qid][index])

    @pytest.mark.parametrize("qid, answer, says, never", hint_cases(hints))
    def test_the_hint_names_the_mistake(qid, answer, says, never):
        message = assert_rejected(qid, answer).message
        assert says in message, message
        assert never is None or never not in message, message

    @pytest.mark.parametrize("qid, index", wrong_answer_cases(lesson_ways))
    def test_the_lessons_own_way_passes(qid, index):
        assert_passes(qid, lesson_ways[qid][index])

    return test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes


def solution_tests(solutions):
    """Two tests for a lesson with a table of right answers (question id -> answer), assigned like
    :func:`table_tests`: each right answer passes, and a blank (``...`` or a function whose body is
    ``...``) is "not yet", never a failure::

        test_the_solution_passes, test_blanks_are_not_answered_yet = solution_tests(SOLUTIONS)
    """
    import pytest

    from course_utils.checks import evaluate

    @pytest.mark.parametrize("qid", sorted(solutions))
    def test_the_solution_passes(qid):
        result = evaluate(qid, solutions[qid])
        assert result.passed, result

    @pytest.mark.parametrize("qid", sorted(solutions))
    def test_blanks_are_not_answered_yet(qid):
        assert evaluate(qid, ...).status == "blank"

        def body_left_blank(*args, **kwargs):
            ...

        assert evaluate(qid, body_left_blank).status == "blank"

    return test_the_solution_passes, test_blanks_are_not_answered_yet
