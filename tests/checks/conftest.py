"""The checks layer: each lesson's module lists plausible wrong answers that its checks must reject."""

from course_utils.checks import evaluate


def wrong_answer_cases(wrong):
    """``(question id, index)`` pairs, one per answer in a lesson's ``WRONG`` table, for parametrize."""
    return [(qid, index) for qid, answers in sorted(wrong.items()) for index in range(len(answers))]


def assert_rejected(qid, answer):
    """Assert that the check of ``qid`` fails ``answer`` with a hint and no points; return its result."""
    result = evaluate(qid, answer)
    assert result.status == "fail", (qid, result)
    assert result.message and result.points == 0
    return result
