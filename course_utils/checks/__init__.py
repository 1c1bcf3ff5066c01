"""Instant feedback for the exercises: ``check("q_id", answer)``.

Each exercise cell ends with a call such as ``check("q02_duplicate_flip",
duplicate_and_flip)``. The check prints one of:

* ``✅ q02_duplicate_flip: correct.`` (with a short confirmation),
* ``❌ q02_duplicate_flip: not yet. <hint>``, a hint that says what is wrong
  without giving the answer away ("your function changed the input array",
  "3 labels flipped, expected 30"),
* ``⬜ q02_duplicate_flip: not answered yet.`` when the answer is still the
  placeholder ``...`` (or a function whose body is still ``...``).

A check never raises in a learner's notebook: a crash in the learner's code is
reported as a hint, quoting the learner's own line (never a library's). Hints quote
values with :func:`show`, as plain Python (``4``, not ``np.int64(4)``). Checks test
behaviour: where the answer is a function, they call it on fresh inputs, including
edge cases, and compare with the course's own reference computation.

Questions are registered per lesson in ``course_utils/checks/lessonNN.py`` with
the :func:`question` decorator; :data:`QUESTIONS` maps every id to its
:class:`Question`. The batch grader (:mod:`course_utils.grading`) calls
:func:`grade_answers` on a submission's namespace, never trusting what the
submission printed.
"""

from __future__ import annotations

import copy
import importlib
import pkgutil
import re
import secrets
import sysconfig
import traceback
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

__all__ = [
    "learner_frame",
    "Question",
    "CheckResult",
    "QUESTIONS",
    "NotAnswered",
    "Wrong",
    "check",
    "evaluate",
    "question",
    "questions_for",
    "grade_answers",
    "is_blank",
    "plain",
    "plain_text",
    "show",
    "fresh_rng",
    "use_secret_seeds",
]

PASS, FAIL, BLANK, UNKNOWN = "pass", "fail", "blank", "unknown"
_SYMBOLS = {PASS: "✅", FAIL: "❌", BLANK: "⬜", UNKNOWN: "⚠️"}


class NotAnswered(Exception):
    """Raised inside a check when the learner has not written an answer yet."""


class Wrong(Exception):
    """Raised inside a check with a hint when the answer is not right yet."""


@dataclass(frozen=True)
class Question:
    """One graded question.

    Attributes
    ----------
    qid : str
        The id used in ``check("qid", answer)``.
    exercise : str
        The lesson stem it belongs to, for example ``"02_label_flip_poisoning"``.
    answer_name : str
        The name the answer has in the exercise notebook (what the grader reads).
    points : int
        Points for a correct answer.
    prompt : str
        One line saying what is asked (shown in feedback files).
    function : callable
        ``function(answer)`` returns a confirmation message, or raises
        :class:`NotAnswered` or :class:`Wrong`.
    """

    qid: str
    exercise: str
    answer_name: str
    points: int
    prompt: str
    function: object = field(repr=False)


@dataclass(frozen=True)
class CheckResult:
    """What a check found: ``status`` is ``"pass"``, ``"fail"``, ``"blank"`` or ``"unknown"``."""

    qid: str
    status: str
    message: str
    points: int
    max_points: int

    @property
    def passed(self):
        return self.status == PASS

    def __str__(self):
        headline = {PASS: "correct.", FAIL: "not yet.", BLANK: "not answered yet.",
                    UNKNOWN: "unknown question."}[self.status]
        text = f"{_SYMBOLS[self.status]} {self.qid}: {headline}"
        return f"{text} {self.message}".rstrip()


#: Every registered question, by id.
QUESTIONS: dict = {}


def question(qid, *, exercise, answer_name, prompt, points=1):
    """Register a check function as the question ``qid``.

    The decorated function takes the learner's answer and returns a short
    confirmation, or raises :class:`NotAnswered` or :class:`Wrong` with a hint.
    """
    if not isinstance(points, int) or points < 1:
        raise ValueError(f"points must be a positive int, got {points!r}")

    def register(function):
        if qid in QUESTIONS:
            raise ValueError(f"question id {qid!r} is registered twice")
        QUESTIONS[qid] = Question(qid, exercise, answer_name, points, prompt, function)
        return function

    return register


def _load_lessons():
    """Import every ``lessonNN`` module once so that their questions register."""
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("lesson"):
            importlib.import_module(f"{__name__}.{info.name}")


def is_blank(answer):
    """True for the exercise placeholder: ``...``, ``None`` or a function that returns nothing yet."""
    return answer is Ellipsis or answer is None


def evaluate(qid, answer):
    """Run question ``qid``'s check on ``answer`` and return a :class:`CheckResult`; never raises."""
    _load_lessons()
    spec = QUESTIONS.get(qid)
    if spec is None:
        known = ", ".join(sorted(QUESTIONS)) or "none"
        return CheckResult(str(qid), UNKNOWN, f"No question has this id; known ids: {known}.", 0, 0)
    if is_blank(answer):
        return CheckResult(qid, BLANK, "Replace the `...` with your answer and run the cell again.", 0, spec.points)
    try:
        message = spec.function(answer)
    except NotAnswered as hint:
        return CheckResult(qid, BLANK, str(hint), 0, spec.points)
    except Wrong as hint:
        return CheckResult(qid, FAIL, str(hint), 0, spec.points)
    except (Exception, SystemExit) as error:  # the learner's code crashed (or called exit()) inside the check
        # An error raised in the grader's sandbox carries the learner's line with it.
        where = getattr(error, "learner_where", None) or learner_frame(error)
        text = plain_text(str(error))
        return CheckResult(qid, FAIL, f"Your code raised {type(error).__name__}: {text}{where}", 0, spec.points)
    return CheckResult(qid, PASS, message or "", spec.points, spec.points)


_PACKAGE = Path(__file__).resolve().parent.parent  # course_utils/
_LIBRARIES = {Path(p).resolve() for key in ("stdlib", "platstdlib", "purelib", "platlib")
              if (p := sysconfig.get_paths().get(key))}


def _is_learners(filename):
    """True for a frame of the learner's own code: not the course's package, not an installed library."""
    if filename.startswith("<frozen"):
        return False
    path = Path(filename).resolve()
    parts = set(path.parts)
    if "site-packages" in parts or "dist-packages" in parts:
        return False
    return not any(path.is_relative_to(root) for root in (_PACKAGE, *_LIBRARIES))


def learner_frame(error):
    """`` (line N: code)`` for the learner's last line in the traceback, or nothing when none of it is theirs."""
    frames = traceback.extract_tb(error.__traceback__)
    learner = [f for f in frames if _is_learners(f.filename)]
    if learner and (learner[-1].line or "").strip():
        return f" (line {learner[-1].lineno}: {learner[-1].line.strip()})"
    return ""


def check(qid, answer):
    """Check ``answer`` to question ``qid`` and print a clear verdict or hint.

    Parameters
    ----------
    qid : str
        The question's id, as written in the exercise.
    answer : object
        Your answer: a value or a function, as the question asks.

    Returns
    -------
    None
        The verdict is printed; :func:`evaluate` returns it as an object.
    """
    print(evaluate(qid, answer))


def questions_for(exercise):
    """The questions of one exercise, in id order."""
    _load_lessons()
    return [q for qid, q in sorted(QUESTIONS.items()) if q.exercise == exercise]


def grade_answers(exercise, namespace):
    """Check every question of ``exercise`` on the answers found in ``namespace``.

    Parameters
    ----------
    exercise : str
        The lesson stem, for example ``"02_label_flip_poisoning"``.
    namespace : mapping
        The submission's global variables after it ran: a dict (in the learner's own kernel), or the batch
        grader's view of a sandboxed submission, whose ``get`` fetches each answer as data (values as
        JSON, functions as handles called in the sandbox on inputs this process makes).

    Returns
    -------
    list of dict
        One dict per question: ``qid``, ``status``, ``message``, ``points``, ``max_points``.
    """
    results = []
    for spec in questions_for(exercise):
        answer = namespace.get(spec.answer_name, Ellipsis)
        result = evaluate(spec.qid, answer)
        results.append({"qid": result.qid, "status": result.status, "message": result.message,
                        "points": result.points, "max_points": result.max_points, "prompt": spec.prompt})
    return results


# Helpers for lesson checks ---------------------------------------------------------------

def plain(value):
    """``value`` with NumPy (and pandas) scalars and arrays turned into plain Python values.

    ``np.int64(4)`` becomes ``4``, ``np.str_("negative")`` becomes ``"negative"``, an array a list;
    lists, tuples, sets and dicts are converted item by item.
    """
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return [plain(v) for v in value.tolist()] if value.ndim else plain(value.item())
    if isinstance(value, (list, tuple)):
        return type(value)(plain(v) for v in value) if type(value) in (list, tuple) else list(map(plain, value))
    if isinstance(value, (set, frozenset)):
        return {plain(v) for v in value}
    if isinstance(value, dict):
        return {plain(k): plain(v) for k, v in value.items()}
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # a pandas Series or Index
        return plain(value.tolist())
    return value


def show(value):
    """How a hint quotes a value: the ``repr`` of its plain Python form, never ``np.int64(4)`` or ``array(...)``."""
    value = plain(value)
    if isinstance(value, set) and value:  # in a stable order, so that a hint reads the same every run
        try:
            items = sorted(value)
        except TypeError:
            items = sorted(value, key=repr)
        return "{" + ", ".join(map(repr, items)) + "}"
    return repr(value)


_NUMPY_REPR = re.compile(r"np\.(?:u?int\d*|float\d*|complex\d*|str_|bytes_|bool_?)\((.*?)\)")
_NUMPY_BOOL = re.compile(r"np\.(True|False)_")
_ARRAY_REPR = re.compile(r"array\((\[.*?\])(?:,\s*dtype=[^)]*)?\)", re.S)


def plain_text(text):
    """A message written by a library, with NumPy reprs turned into the values they stand for."""
    text = _NUMPY_BOOL.sub(r"\1", text)
    text = _NUMPY_REPR.sub(r"\1", text)
    return _ARRAY_REPR.sub(r"\1", text)


_SECRET_SEEDS = []


def use_secret_seeds(on):
    """In the batch grader, make :func:`fresh_rng` draw seeds the submission cannot know."""
    _SECRET_SEEDS[:] = [True] if on else []


def fresh_rng(seed):
    """The random generator a check draws fresh inputs from.

    Seeded by ``seed`` in the learner's instant check (so a hint reads the same every run); by a
    secret seed (``secrets``) in the batch grader, so that no submission can prepare for its inputs.
    """
    return np.random.default_rng(secrets.randbits(64) if _SECRET_SEEDS else seed)


def call_answer(function, *args, **kwargs):
    """Call a learner's function on deep copies of the arguments and report mutation.

    Returns ``(result, mutated)`` where ``mutated`` names the first argument that
    the function changed in place, or is ``None``.
    """
    if not callable(function):
        raise Wrong(f"expected a function, got {type(function).__name__}")
    remote = getattr(function, "call_in_sandbox", None)
    if remote is not None:  # the batch grader's handle on a function that lives in the submission's sandbox
        return remote(args, kwargs)  # (result, the argument it changed or None), as below
    copies = copy.deepcopy(args)
    kw_copies = copy.deepcopy(kwargs)
    result = function(*copies, **kw_copies)
    for i, (before, after) in enumerate(zip(args, copies)):
        if not _same(before, after):
            return result, f"argument {i + 1}"
    for name in kwargs:
        if not _same(kwargs[name], kw_copies[name]):
            return result, name
    return result, None


def _same(a, b):
    """Equal values, for the data types the exercises pass; other objects are taken as unchanged."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape and bool(np.all(a == b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (str, bytes, int, float, bool, type(None), np.generic)):
        return type(a) is type(b) and a == b
    return True


def expect_number(answer, name="your answer"):
    """Return ``answer`` as a float, or raise :class:`Wrong` saying what it is instead."""
    if isinstance(answer, bool) or not isinstance(answer, (int, float, np.integer, np.floating)):
        kind = type(answer).__name__
        if hasattr(answer, "shape") and getattr(answer, "size", None) == 1:  # one value in an array or table
            take = ".iloc[0, 0]" if kind == "DataFrame" else ".item()"
            container = {"ndarray": "NumPy array"}.get(kind, f"pandas {kind}" if hasattr(answer, "iloc") else kind)
            raise Wrong(f"{name} should be a number, got a {container} holding one: take the number itself out "
                        f"of it, with {take}")
        raise Wrong(f"{name} should be a number, got {kind}")
    value = float(answer)
    if not np.isfinite(value):
        raise Wrong(f"{name} should be a finite number, got {value}")
    return value
