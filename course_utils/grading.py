"""Batch grading of submitted exercise notebooks.

``python -m course_utils grade SUBMISSIONS_DIR --out RESULTS_DIR`` grades every
``*.ipynb`` below ``SUBMISSIONS_DIR`` and writes into ``RESULTS_DIR``:

``gradebook.csv``
    One row per submission, whatever happened to it: ``submission``, ``learner``,
    ``exercise``, ``status``, ``total``, ``max_total``, ``detail``. No question
    columns: exercises have different questions.
``gradebook_<exercise>.csv``
    One per exercise that was submitted (``gradebook_03_testing_the_impact.csv``):
    a row per submission of that exercise, a column of points per question in
    the order the questions come in the notebook, then ``total``, ``max_total``
    and ``detail``.
``grades.csv``
    The long format that spreadsheets and learning-management systems import:
    one row per submission and question (``submission``, ``learner``,
    ``exercise``, ``question_number``, ``question``, ``points``, ``max_points``,
    ``result``, ``status``). A submission that could not be graded has one row
    with an empty question and its ``status``.
``feedback/<submission>.md``
    What the learner reads: the status and, per question, in the notebook's
    order, the verdict, the points and the hint.

For each submission the grader

1. reads the file once, read-only, never following a symbolic link out of the
   submissions folder (a link gets a ``refused`` row);
2. matches it to its exercise by the notebook's metadata (``course.exercise``),
   falling back to its file name; the learner is the submission's subfolder;
3. builds the cells to run: cells of the exercise that are not answer cells
   (instructions, setup, data) are restored from the exercise if the learner
   edited or deleted them, and every ``check(...)`` call is removed, however many
   lines it spans;
4. runs them in a sandbox (:func:`isolation`): bubblewrap where it is installed,
   as an unprivileged user that sees the system and the course read-only and a
   private ``/tmp``, in its own pid namespace, without network; else a separate
   process in its own session (and the grader says on stderr and in the gradebook
   that there was no isolation). The sandbox runs the cells in an IPython shell,
   with a per-cell timeout and a total timeout, errors in cells allowed;
5. judges in its own process: for each question it asks the sandbox for the
   answer, as JSON data (a value) or as a handle (a function), and runs the
   question's check, the same code as the learner's ``check(...)``, calling a
   function answer in the sandbox on inputs made here, after the notebook ran,
   with secret seeds. Only data comes back (JSON, never a pickle); nothing the
   submission prints, writes or displays is read as a verdict;
6. ends the sandbox and every process it started, whatever happened.

A submission that is not valid JSON, not a notebook, raises, loops for ever,
kills its kernel, prints megabytes or runs past the timeout gets a row saying
so (``invalid notebook``, ``timeout``, ``kernel died``, ...) and the batch goes
on: an error in grading one submission is that submission's row.
"""

from __future__ import annotations

import ast
import builtins
import csv
import json
import math
import os
import re
import secrets
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from . import checks
from ._validation import OneLineArgumentParser, positive_seconds
from .paths import PROJECT_ROOT

__all__ = ["GradeResult", "find_submissions", "identify_exercise", "question_order", "prepare_submission",
           "grade_submission", "gradebook_name", "write_results", "grade_folder", "main"]

_CHECK_LINE = re.compile(r"^(\s*)check\s*\(.*$")
_CHECK_CALL = re.compile(r"""^\s*check\s*\(\s*(["'])(?P<qid>[^"']+)\1""", re.MULTILINE)
_FILE_SIZE_LIMIT = 256 * 1024 * 1024  # bytes a submission's kernel may write to one file
_SUBMISSION_LIMIT = 64 * 1024 * 1024  # bytes of a submitted notebook the grader reads
_TMP_SIZE = 512 * 1024 * 1024  # bytes of the sandbox's private /tmp (it lives in memory)

GRADED = "graded"
STATUSES = (GRADED, "graded with errors", "timeout", "kernel died", "invalid notebook",
            "unknown exercise", "refused", "grading failed")


@dataclass
class GradeResult:
    """One submission's row of the gradebook and its feedback."""

    file: str
    learner: str = ""
    exercise: str = ""
    status: str = ""
    detail: str = ""
    questions: list = field(default_factory=list)
    isolation: str = ""

    @property
    def total(self):
        return sum(q["points"] for q in self.questions)

    @property
    def max_total(self):
        return sum(q["max_points"] for q in self.questions)


def find_submissions(folder):
    """Every ``*.ipynb`` below ``folder`` (checkpoints left out), sorted; links are listed, never followed.

    A symbolic link named ``*.ipynb`` (dangling or not) is listed so that it gets a row saying why it was
    not graded; linked folders are not entered.
    """
    folder = Path(folder)
    found = []
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        found += [Path(root) / name for name in files if name.endswith(".ipynb")]
        found += [Path(root) / name for name in dirs if name.endswith(".ipynb") and (Path(root) / name).is_symlink()]
    return sorted(found)


def known_exercises(exercises_dir):
    """Exercise stem (``02_label_flip_poisoning``) -> exercise notebook path."""
    return {p.name[: -len("_ex.ipynb")]: p for p in sorted(Path(exercises_dir).glob("*_ex.ipynb")) if p.is_file()}


def identify_exercise(notebook, file_name, exercises):
    """The exercise a submission answers: by metadata first, then by file name; or None."""
    course = notebook.get("metadata", {}).get("course", {})
    claimed = course.get("exercise") if isinstance(course, dict) else None
    if isinstance(claimed, str) and claimed in exercises:
        return claimed
    name = Path(file_name).name
    for stem in exercises:
        if stem in name:
            return stem
    number = re.match(r"(\d\d)_", name)
    if number:
        matches = [stem for stem in exercises if stem.startswith(number.group(1) + "_")]
        if len(matches) == 1:
            return matches[0]
    return None


def question_order(notebook):
    """The question ids of an exercise in the order its cells ``check(...)`` them.

    Parameters
    ----------
    notebook : dict or nbformat.NotebookNode
        An exercise (or solution) notebook.

    Returns
    -------
    list of str
        Each id once, at its first ``check("qid", ...)`` call.
    """
    if not isinstance(notebook, dict):
        raise TypeError(f"notebook must be a notebook (a dict), got {type(notebook).__name__}")
    order = []
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        for match in _CHECK_CALL.finditer(source):
            if match.group("qid") not in order:
                order.append(match.group("qid"))
    return order


def _in_order(questions, order):
    """``questions`` (dicts with ``qid``) sorted by ``order``; ids it does not list keep their place at the end."""
    rank = {qid: i for i, qid in enumerate(order)}
    return sorted(questions, key=lambda q: rank.get(q["qid"], len(rank)))


def _claimed_learner(notebook):
    """The learner a notebook's metadata names (``course.learner``), or ``""``."""
    course = notebook.get("metadata", {}).get("course", {}) if isinstance(notebook.get("metadata"), dict) else {}
    learner = course.get("learner") if isinstance(course, dict) else None
    return learner.strip() if isinstance(learner, str) else ""


def _learner_id(notebook, path, folder):
    """The learner: the submission's first subfolder; the metadata only for a file at the top of the folder."""
    parts = Path(_relative_name(path, folder)).parts
    return parts[0] if len(parts) > 1 else _claimed_learner(notebook)


def _relative_name(path, folder):
    path, folder = Path(path), Path(folder)
    try:
        return str(path.relative_to(folder))
    except ValueError:
        return path.name


class _Refused(Exception):
    """A submission the grader will not open (a link out of the submissions folder, a non-file)."""


def _read_inside(path, folder):
    """The bytes of ``path``, opened without following a symbolic link out of ``folder``."""
    path, folder = Path(path), Path(folder)
    if path.is_symlink() or any(p.is_symlink() for p in path.parents if p != folder and folder in p.parents):
        target = path.resolve()
        if not target.is_relative_to(folder.resolve()):
            raise _Refused("a symbolic link to a file outside the submissions folder; not followed")
        if not target.exists():
            raise _Refused("a symbolic link to nothing (a dangling link)")
    if not path.resolve().is_relative_to(folder.resolve()):
        raise _Refused("it lies outside the submissions folder; not followed")
    if not path.resolve().is_file():
        raise _Refused("not a regular file")
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) if not path.is_symlink() else os.O_RDONLY
    descriptor = os.open(path, flags)
    with os.fdopen(descriptor, "rb") as handle:
        return handle.read(_SUBMISSION_LIMIT + 1)[:_SUBMISSION_LIMIT + 1]


def _neutralise_checks(source):
    """``source`` with each ``check(...)`` call replaced by ``pass``, however many lines the call spans."""
    lines = source.split("\n")
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):  # magics or a syntax error: count brackets instead
        tree = None
    spans = []
    if tree is not None:
        spans = [(node.lineno, node.end_lineno) for node in ast.walk(tree)
                 if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
                 and isinstance(node.value.func, ast.Name) and node.value.func.id == "check"]
    else:
        i = 0
        while i < len(lines):
            if _CHECK_LINE.match(lines[i]):
                end, depth = i, lines[i].count("(") - lines[i].count(")")
                while depth > 0 and end + 1 < len(lines):
                    end += 1
                    depth += lines[end].count("(") - lines[end].count(")")
                spans.append((i + 1, end + 1))
                i = end
            i += 1
    for first, last in spans:
        indent = re.match(r"\s*", lines[first - 1]).group(0)
        lines[first - 1] = f"{indent}pass  # check removed by the grader"
        for n in range(first, last):
            lines[n] = ""
    return "\n".join(lines)


def prepare_submission(submission, exercise):
    """The notebook the grader runs: locked cells restored, ``check(...)`` calls removed.

    Parameters
    ----------
    submission, exercise : nbformat.NotebookNode
        The learner's notebook (already converted to format 4) and its exercise.

    Returns
    -------
    nbformat.NotebookNode
        A new notebook; ``submission`` is not changed.
    """
    import copy

    import nbformat

    exercise_cells = {cell.get("id"): cell for cell in exercise.cells}
    locked = {cid for cid, cell in exercise_cells.items()
              if not cell.get("metadata", {}).get("course", {}).get("answer")}
    cells, seen = [], set()
    for cell in submission.cells:
        cid = cell.get("id")
        if cid in exercise_cells and cid not in seen:
            seen.add(cid)
            if cid in locked:
                cells.append(copy.deepcopy(exercise_cells[cid]))
                continue
        cell = copy.deepcopy(cell)
        if cell.get("cell_type") == "code":
            cell.source = _neutralise_checks(cell.source)
        cells.append(cell)
    # Put back locked cells the learner deleted: after the exercise cell that precedes them, or,
    # when that one is gone too, after the last cell put back (so their order is kept).
    # Linear in the number of cells: each cell put back goes into a list of cells after a kept one.
    after = {}  # index in `cells` (or -1 for the start) -> cells to insert after it
    place = {c.get("id"): i for i, c in enumerate(cells) if c.get("id") is not None}
    previous, position = None, -1
    for cell in exercise.cells:
        cid = cell.get("id")
        if previous in place:
            position = place[previous]
        if cid in locked and cid not in seen:
            after.setdefault(position, []).append(copy.deepcopy(cell))
            seen.add(cid)
        previous = cid
    cells = after.get(-1, []) + [c for i, kept in enumerate(cells) for c in (kept, *after.get(i, []))]
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(exercise.metadata))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def grade_submission(path, folder, exercises, *, cell_timeout=60, total_timeout=600, hidden=()):
    """Grade one submission; never raises for anything the submission does.

    Parameters
    ----------
    path : Path
        The submission.
    folder : Path
        The submissions folder (for the relative name and learner id).
    exercises : dict
        Exercise stem -> exercise notebook path (see :func:`known_exercises`).
    cell_timeout, total_timeout : int
        Seconds per cell (and per call of a learner's function) and for the whole notebook.
    hidden : sequence of Path
        Folders the sandbox must not see (the submissions and the results; always the solutions).

    Returns
    -------
    GradeResult
    """
    import nbformat

    result = GradeResult(file=_relative_name(path, folder), isolation=isolation())
    try:
        raw = _read_inside(path, folder)
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
            raise ValueError("it has no cells")
        submission = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(submission)
    except _Refused as error:
        result.status, result.detail = "refused", str(error)
        result.learner = _learner_id({}, path, folder)
        result.exercise = identify_exercise({}, path.name, exercises) or ""
        return result
    except Exception as error:  # anything unreadable is reported, never fatal
        result.status, result.detail = "invalid notebook", _one_line(f"{type(error).__name__}: {error}")
        # Its folder and file name still say who handed in what, for the exercise's gradebook.
        result.learner = _learner_id({}, path, folder)
        result.exercise = identify_exercise({}, path.name, exercises) or ""
        return result
    result.learner = _learner_id(data, path, folder)
    claimed = _claimed_learner(data)
    stem = identify_exercise(data, path.name, exercises)
    if stem is None:
        result.status = "unknown exercise"
        result.detail = "neither its metadata nor its file name names an exercise of the course"
        return result
    result.exercise = stem
    exercise = nbformat.read(str(exercises[stem]), as_version=4)
    prepared = prepare_submission(submission, exercise)
    cells = [cell.source for cell in prepared.cells if cell.cell_type == "code" and cell.source.strip()]
    _run_and_judge(result, cells, stem, cell_timeout, total_timeout, hidden)
    result.questions = _in_order(result.questions, question_order(exercise))
    if claimed and result.learner and claimed != result.learner:
        note = f"learner mismatch: its metadata claims learner {claimed!r}, but it was handed in by {result.learner!r}"
        result.detail = f"{note}; {result.detail}" if result.detail else note
    return result


def _run_and_judge(result, cells, stem, cell_timeout, total_timeout, hidden):
    """Run ``cells`` in a sandbox, then judge each question's answer in this process."""
    import time

    token = secrets.token_hex(16)
    home = Path(tempfile.mkdtemp(prefix="grade-"))
    process = _start_sandbox(cell_timeout, hidden, token, home)
    client = _Client(process, cell_timeout)
    try:
        deadline = time.monotonic() + total_timeout
        try:
            client.send({"cells": cells})
            ran = {}
            while ran.get("event") != "ran":
                ran = client.read(deadline)
        except TimeoutError:
            result.status, result.detail = "timeout", f"the notebook ran past the total limit of {total_timeout} s"
            return
        except SandboxStopped:
            result.status, result.detail = "kernel died", "the kernel stopped while running the notebook"
            return
        status = ran.get("status") if ran.get("status") in (GRADED, "graded with errors", "timeout") else GRADED
        result.status, result.detail = status, _one_line(ran.get("detail", ""))
        if status == "timeout":
            return
        namespace, stopped = _RemoteNamespace(client), None
        client.deadline = time.monotonic() + total_timeout  # the answers get as long again as the notebook
        checks.use_secret_seeds(True)  # fresh inputs the submission cannot know
        try:
            for spec in checks.questions_for(stem):
                outcome = None
                if stopped is None:
                    try:
                        answer = namespace.get(spec.answer_name, Ellipsis)
                    except SandboxStopped as error:
                        stopped = str(error)
                    else:
                        outcome = checks.evaluate(spec.qid, answer)
                        if process.poll() is not None:
                            stopped = "the submission's process stopped while its answers were checked"
                if outcome is None:
                    outcome = checks.CheckResult(spec.qid, "fail", f"Not checked: {stopped}.", 0, spec.points)
                result.questions.append({"qid": outcome.qid, "status": outcome.status, "message": outcome.message,
                                         "points": outcome.points, "max_points": outcome.max_points,
                                         "prompt": spec.prompt})
        finally:
            checks.use_secret_seeds(False)
        if stopped:
            result.status, result.detail = "kernel died", _one_line(stopped)
    finally:
        _stop_sandbox(process, token)
        shutil.rmtree(home, ignore_errors=True)


def _one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# The sandbox ------------------------------------------------------------------------------------------
#
# The learner's code runs in a separate process (in bubblewrap where it is installed) that sees no
# submissions, no results and no writable package. It receives the notebook's code cells on its stdin,
# runs them in an IPython shell, then answers requests on a private copy of its stdout: the value of a
# name, or what a function returns on arguments the grader made. Replies are JSON data, never pickles;
# the grader judges them itself, so a forged reply can at worst claim outputs that are then judged.

_SANDBOX_MARK = "COURSE_GRADING_SANDBOX"
#: The environment variable whose value, when set, labels every sandbox process of a batch.
BATCH_LABEL = "COURSE_GRADING_BATCH"
_REPLY_LIMIT = 64 * 1024 * 1024  # bytes of one reply from the sandbox
_ISOLATION = {}


class SandboxStopped(RuntimeError):
    """The submission's process ended, or stopped answering, while it was being graded."""


class _CellTimeout(BaseException):
    pass


def isolation():
    """``"bubblewrap"`` when submissions can run in a bubblewrap sandbox here, else ``"none"``.

    ``COURSE_GRADING_ISOLATION=none`` forces the unisolated fallback (for tests of it).
    """
    if "value" not in _ISOLATION:
        value = "none"
        if os.environ.get("COURSE_GRADING_ISOLATION") != "none" and shutil.which("bwrap") and os.name == "posix":
            for size in (True, False):  # an older bubblewrap has no --size for its tmpfs
                _ISOLATION["size"] = size
                try:
                    done = subprocess.run([*_bwrap_prefix(()), sys.executable, "-c", "pass"], capture_output=True,
                                          timeout=60, stdin=subprocess.DEVNULL)
                except (OSError, subprocess.SubprocessError):
                    break
                if done.returncode == 0:
                    value = "bubblewrap"
                    break
        _ISOLATION["value"] = value
    return _ISOLATION["value"]


def _bwrap_prefix(hidden):
    """The bubblewrap command line: system and Python read-only, a private /tmp, nothing shared."""
    command = [shutil.which("bwrap") or "bwrap"]
    for top in ("/usr", "/bin", "/lib", "/lib32", "/lib64", "/sbin", "/etc", "/opt"):
        path = Path(top)
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), top]
        elif path.is_dir():
            command += ["--ro-bind", top, top]
    # The private /tmp comes before the course's own folders, so that a checkout or an environment
    # under /tmp is bound on top of it instead of being hidden by it.
    size = ["--size", str(_TMP_SIZE)] if _ISOLATION.get("size", True) else []  # bubblewrap 0.8 and later
    command += ["--dev", "/dev", "--proc", "/proc", *size, "--tmpfs", "/tmp"]
    roots = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, PROJECT_ROOT,
                                         Path(sys.executable).resolve().parent.parent)}
    roots |= {Path(p).resolve() for key in ("stdlib", "purelib", "platlib") if (p := sysconfig.get_paths().get(key))}
    bound = []
    for root in sorted(roots, key=lambda p: len(p.parts)):
        if any(root.is_relative_to(b) for b in bound) or any(root.is_relative_to(t) for t in ("/usr", "/etc", "/opt")):
            continue
        if root.is_dir():
            bound.append(root)
            command += ["--ro-bind", str(root), str(root)]
    for path in (PROJECT_ROOT / "solutions", PROJECT_ROOT / "python_scripts" / "solutions", PROJECT_ROOT / ".git",
                 *hidden):
        path = Path(path).resolve()
        if path.is_dir() and any(path.is_relative_to(b) for b in bound):
            command += ["--tmpfs", str(path)]
    return command + ["--unshare-all", "--uid", "65534",
                      "--gid", "65534", "--die-with-parent", "--new-session", "--chdir", "/tmp", "--clearenv"]


def _sandbox_env(home, token):
    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": home, "MPLCONFIGDIR": f"{home}/.matplotlib",
           "PYTHONNOUSERSITE": "1", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(PROJECT_ROOT),
           "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "LANG": "C.UTF-8",
           _SANDBOX_MARK: token}
    # A label the grader's caller may set, passed into every sandbox of its batch, so that monitoring
    # (or a test running beside other graders) can tell this batch's processes from any other's.
    if os.environ.get(BATCH_LABEL):
        env[BATCH_LABEL] = os.environ[BATCH_LABEL]
    return env


def _encode(value, handles, depth=0):
    """``value`` as JSON data; objects that are not data become handles (or their type name)."""
    import numpy as np

    if depth > 40:
        raise ValueError("the value is nested too deeply")
    if value is None or type(value) in (bool, int, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, float):
        return float(value) if math.isfinite(value) else {"__float__": repr(float(value))}
    if value is Ellipsis:
        return {"__ellipsis__": True}
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, np.generic):
        return _encode(value.item(), handles, depth + 1)
    if isinstance(value, np.ndarray):
        dtype = value.dtype.str if value.dtype.kind in "biufU" else "object"
        return {"__ndarray__": _encode(value.tolist(), handles, depth + 1), "dtype": dtype, "shape": list(value.shape)}
    if type(value) is list:
        return [_encode(v, handles, depth + 1) for v in value]
    if isinstance(value, tuple):
        return {"__tuple__": [_encode(v, handles, depth + 1) for v in value]}
    if isinstance(value, (set, frozenset)):
        return {"__set__": [_encode(v, handles, depth + 1) for v in value]}
    if type(value) is dict:
        return {"__dict__": [[_encode(k, handles, depth + 1), _encode(v, handles, depth + 1)]
                             for k, v in value.items()]}
    if isinstance(value, list):
        return [_encode(v, handles, depth + 1) for v in value]
    kind = type(value).__name__
    if kind in ("Series", "Index") and hasattr(value, "to_numpy"):
        return _encode(value.to_numpy(), handles, depth + 1)
    if handles is None:
        return {"__opaque__": kind}
    handles.append(value)
    return {"__handle__": len(handles) - 1, "type": kind, "callable": callable(value)}


def _decode(data, client, depth=0):
    """The grader's side of :func:`_encode`: data, and handles as proxies; ``ValueError`` for anything else."""
    import numpy as np

    if depth > 40:
        raise ValueError("the reply is nested too deeply")
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [_decode(v, client, depth + 1) for v in data]
    if not isinstance(data, dict) or len(data) > 3:
        raise ValueError("the reply is not data the grader reads")
    if "__tuple__" in data:
        return tuple(_decode(data["__tuple__"], client, depth + 1))
    if "__set__" in data:
        return set(_decode(data["__set__"], client, depth + 1))
    if "__dict__" in data:
        return {_decode(k, client, depth + 1): _decode(v, client, depth + 1) for k, v in data["__dict__"]}
    if "__ellipsis__" in data:
        return Ellipsis
    if "__float__" in data:
        if data["__float__"] not in ("nan", "inf", "-inf"):
            raise ValueError("the reply is not data the grader reads")
        return float(data["__float__"])
    if "__ndarray__" in data:
        dtype = str(data.get("dtype"))
        if not re.fullmatch(r"[<>|=]?[biufU]\d{1,3}|object", dtype):
            raise ValueError("the reply is not data the grader reads")
        values = _decode(data["__ndarray__"], client, depth + 1)
        array = np.array(values, dtype=np.dtype(dtype))
        shape = tuple(int(n) for n in data.get("shape", array.shape))
        return array.reshape(shape)
    if "__opaque__" in data:
        return _opaque_class(str(data["__opaque__"]))()
    if "__handle__" in data and client is not None:
        return client.proxy(int(data["__handle__"]), str(data.get("type", "object")), bool(data.get("callable")))
    raise ValueError("the reply is not data the grader reads")


class _Opaque:
    """What the grader sees of a submission's object that is not data: its type's name only."""

    def __repr__(self):
        return f"<{type(self).__name__}>"


def _type_name(name):
    return name if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", name) else "object"


def _opaque_class(name):
    return type(_type_name(name), (_Opaque,), {})


class RemoteObject:
    """The grader's handle on an object that lives in the submission's sandbox (a fitted model, say).

    Reading an attribute asks the sandbox for it; what comes back is data or another handle.
    """

    def __init__(self, client, handle):
        self._client, self._handle = client, handle

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        reply = self._client.request({"op": "getattr", "handle": self._handle, "attr": name})
        if "error" in reply:
            raise AttributeError(name)
        return self._client.decode(reply.get("value"))

    def __repr__(self):
        return f"<{type(self).__name__} in the submission>"


class RemoteFunction(RemoteObject):
    """A handle on a submission's function: calling it runs it in the sandbox on the grader's arguments."""

    def call_in_sandbox(self, args, kwargs):
        """``(result, changed)``: the result, and the first argument the call changed in place (or None)."""
        import base64
        import pickle

        args, kwargs = tuple(args), dict(kwargs)
        payload = base64.b64encode(pickle.dumps((args, kwargs))).decode("ascii")
        reply = self._client.request({"op": "call", "handle": self._handle, "args": payload})
        if "error" in reply:
            raise _remote_error(reply["error"])
        value = self._client.decode(reply.get("value"))
        after = reply.get("after")
        before = _encode((list(args), kwargs), None)
        if not (isinstance(after, dict) and isinstance(after.get("__tuple__"), list) and len(after["__tuple__"]) == 2):
            raise SandboxStopped("the submission's reply could not be read")
        for i, (old, new) in enumerate(zip(before["__tuple__"][0], after["__tuple__"][0])):
            if old != new:
                return value, f"argument {i + 1}"
        if before["__tuple__"][1] != after["__tuple__"][1]:
            return value, "a keyword argument"
        return value, None

    def __call__(self, *args, **kwargs):
        return self.call_in_sandbox(args, kwargs)[0]


def _remote_error(error):
    """The exception a learner's function raised in the sandbox, rebuilt here from its name and message."""
    if not isinstance(error, dict):
        return SandboxStopped("the submission's reply could not be read")
    name, message = _type_name(str(error.get("type", "Exception"))), _one_line(error.get("message", ""), 2000)
    builtin = getattr(builtins, name, None)
    exception = None
    if isinstance(builtin, type) and issubclass(builtin, Exception) and not issubclass(builtin, OSError):
        try:
            exception = builtin(message)
        except Exception:  # a constructor that wants other arguments
            exception = None
    if exception is None:
        exception = type(name, (RuntimeError,), {})(message)
    exception.learner_where = _one_line(error.get("where", ""), 400)
    return exception


class _Client:
    """The grader's end of the pipe to one sandbox."""

    def __init__(self, process, call_timeout):
        self.process, self.call_timeout, self._buffer = process, call_timeout, b""
        self.deadline = float("inf")  # the time by which every answer must have been read
        self.classes = {}

    def send(self, message):
        try:
            self.process.stdin.write((json.dumps(message) + "\n").encode("utf-8"))
            self.process.stdin.flush()
        except (OSError, ValueError):
            raise SandboxStopped("the submission's process stopped") from None

    def read(self, deadline):
        """One JSON line from the sandbox, or :class:`SandboxStopped` at end of file or past ``deadline``."""
        import time

        fd = self.process.stdout.fileno()
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the submission did not answer in time")
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                continue
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                raise SandboxStopped("the submission's process stopped")
            self._buffer += chunk
            if len(self._buffer) > _REPLY_LIMIT:
                raise SandboxStopped("the submission sent more than the grader reads")
        line, self._buffer = self._buffer.split(b"\n", 1)
        try:
            message = json.loads(line.decode("utf-8"))
        except ValueError:
            return {}
        return message if isinstance(message, dict) else {}

    def request(self, message):
        import time

        message = dict(message, id=secrets.token_hex(8))
        self.send(message)
        if time.monotonic() >= self.deadline:
            raise SandboxStopped("checking the answers took longer than the total limit")
        deadline = min(time.monotonic() + self.call_timeout + 10, self.deadline)
        while True:
            try:
                reply = self.read(deadline)
            except TimeoutError:
                raise SandboxStopped("the submission did not answer in time") from None
            if reply.get("id") == message["id"]:
                return reply

    def decode(self, data):
        try:
            return _decode(data, self)
        except (ValueError, TypeError, OverflowError, KeyError):
            raise SandboxStopped("the submission's reply could not be read") from None

    def proxy(self, handle, kind, is_callable):
        base = RemoteFunction if is_callable else RemoteObject
        key = (_type_name(kind), base)
        if key not in self.classes:
            self.classes[key] = type(key[0], (base,), {})
        return self.classes[key](self, handle)


class _RemoteNamespace:
    """The submission's globals as the checks see them: each ``get`` fetches one answer from the sandbox."""

    def __init__(self, client):
        self.client = client

    def get(self, name, default=None):
        reply = self.client.request({"op": "get", "name": name})
        return self.client.decode(reply["value"]) if "value" in reply else default


def _sandbox_main(cell_timeout):
    """Run inside the sandbox: execute the cells, then answer the grader's requests (see above)."""
    import base64
    import pickle

    cell_timeout = float(cell_timeout)
    channel_in, channel_out = os.fdopen(os.dup(0), "rb"), os.fdopen(os.dup(1), "wb")
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    _limit_file_size()
    Path(os.environ["MPLCONFIGDIR"]).mkdir(parents=True, exist_ok=True)

    def send(message):
        channel_out.write((json.dumps(message) + "\n").encode("utf-8"))
        channel_out.flush()

    def on_alarm(*_):
        raise _CellTimeout()

    first = json.loads(channel_in.readline().decode("utf-8"))
    # The checks were imported with this module, before the learner's code can touch the import system.
    learner_frame = checks.learner_frame
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class GradingShell(InteractiveShell):
        def enable_gui(self, gui=None):
            """Nothing to hook into: the grader runs headless, so ``%matplotlib inline`` (which a lesson's setup
            cell may carry) only picks the backend; the plain shell would raise NotImplementedError here."""

    config = Config()
    config.HistoryManager.enabled = False
    shell = GradingShell.instance(config=config)
    signal.signal(signal.SIGALRM, on_alarm)
    status, detail = GRADED, ""
    for source in first["cells"]:
        timed_out = False
        signal.setitimer(signal.ITIMER_REAL, cell_timeout)
        try:
            outcome = shell.run_cell(source, store_history=False)
        except _CellTimeout:
            timed_out = True
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        error = None if timed_out else (outcome.error_before_exec or outcome.error_in_exec)
        if timed_out or isinstance(error, _CellTimeout):
            send({"event": "ran", "status": "timeout", "detail": f"a cell ran past the limit of {cell_timeout:g} s"})
            return
        if error is not None and status == GRADED:
            status, detail = "graded with errors", _one_line(f"a cell raised {type(error).__name__}: {error}")
    send({"event": "ran", "status": status, "detail": detail})

    handles = []
    for line in channel_in:
        try:
            request = json.loads(line.decode("utf-8"))
            reply = {"id": request.get("id")}
            op = request.get("op")
            if op == "get":
                reply["value"] = _encode(shell.user_ns.get(str(request["name"]), Ellipsis), handles)
            elif op == "getattr":
                reply["value"] = _encode(getattr(handles[int(request["handle"])], str(request["attr"])), handles)
            elif op == "call":
                target = handles[int(request["handle"])]
                args, kwargs = pickle.loads(base64.b64decode(request["args"]))  # made by the grader
                signal.setitimer(signal.ITIMER_REAL, cell_timeout)
                try:
                    result = target(*args, **kwargs)
                finally:
                    signal.setitimer(signal.ITIMER_REAL, 0)
                reply["value"] = _encode(result, handles)
                reply["after"] = _encode((list(args), dict(kwargs)), None)
        except _CellTimeout:
            reply["error"] = {"type": "TimeoutError", "message": f"your function ran past {cell_timeout:g} s",
                              "where": ""}
        except BaseException as error:  # the learner's code raised: report it as data
            reply.pop("value", None)
            reply["error"] = {"type": type(error).__name__, "message": str(error)[:2000],
                              "where": learner_frame(error)}
        send(reply)


def _limit_file_size():
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_SIZE_LIMIT, _FILE_SIZE_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def _marked(token):
    """Pids of the live processes whose environment carries this sandbox's mark."""
    needle = f"{_SANDBOX_MARK}={token}".encode()
    found = []
    for entry in Path("/proc").iterdir() if Path("/proc").is_dir() else []:
        if not entry.name.isdigit():
            continue
        try:
            if needle in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def _kill_marked(token, wait=10.0):
    """SIGKILL every process carrying this sandbox's mark, and wait until none is left.

    Killing is asynchronous: processes of bubblewrap's pid namespace, or detached ones of the
    unisolated fallback, can still be exiting when the sandbox's own process has been reaped, so
    the grader waits (at most ``wait`` seconds) until the kernel has taken every one of them.
    """
    import time

    deadline = time.monotonic() + wait
    while (pids := _marked(token)) and time.monotonic() < deadline:
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.05)


def _start_sandbox(cell_timeout, hidden, token, home):
    inner = [sys.executable, "-m", "course_utils.grading", "--sandbox", str(cell_timeout)]
    if isolation() == "bubblewrap":
        command = _bwrap_prefix(hidden)
        for key, value in _sandbox_env("/tmp", token).items():
            command += ["--setenv", key, value]
        return subprocess.Popen(command + inner, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, cwd="/")
    env = _sandbox_env(str(home), token)
    env["PATH"] = os.environ.get("PATH", env["PATH"])
    return subprocess.Popen(inner, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=str(home), env=env, start_new_session=True)


def _stop_sandbox(process, token):
    """End the sandbox and every process it started, whatever happened."""
    for pipe in (process.stdin, process.stdout):
        try:
            pipe.close()
        except OSError:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError, OSError):
        pass
    process.kill()
    process.wait()
    _kill_marked(token)  # bubblewrap's pid namespace already took them; without it, this finds the detached ones


def _feedback(result):
    lines = [f"# Feedback: {result.file}", ""]
    if result.learner:
        lines.append(f"- Learner: {result.learner}")
    lines += [f"- Exercise: {result.exercise or 'unknown'}", f"- Status: {result.status}"]
    if result.detail:
        lines.append(f"- Detail: {result.detail}")
    if result.questions:
        lines += [f"- Score: {result.total} / {result.max_total}", "", "| question | verdict | points | feedback |",
                  "| --- | --- | --- | --- |"]
        for q in result.questions:
            hint = _one_line(q["message"], 500).replace("|", "\\|")
            lines.append(f"| {q['qid']} | {_VERDICTS.get(q['status'], q['status'])} | "
                         f"{q['points']} / {q['max_points']} | {hint} |")
    return "\n".join(lines) + "\n"


def _feedback_name(relative):
    """``feedback/`` file name of a submission: its relative path percent-encoded (``/`` is ``%2F``), plus ``.md``.

    Unique and reversible: ``urllib.parse.unquote(name[:-3])`` gives the submission back.
    """
    from urllib.parse import quote

    return quote(relative.replace(os.sep, "/"), safe="") + ".md"


_VERDICTS = {"pass": "correct", "fail": "not yet", "blank": "not answered yet", "unknown": "unknown"}


def _question_columns(results):
    """The question ids of ``results``, each once, in the order their submissions list them."""
    columns = []
    for r in results:
        for q in r.questions:
            if q["qid"] not in columns:
                columns.append(q["qid"])
    return columns


def _cell(text):
    """A text cell made safe for spreadsheets: a leading ``=``, ``+``, ``-`` or ``@`` would start a formula.

    The learner's name and the file name come from the submission; a hostile one could
    otherwise plant a formula in the grader's spreadsheet (OWASP's "CSV injection").
    """
    text = str(text)
    return "'" + text if text.lstrip(" ")[:1] in ("=", "+", "-", "@", "\t", "\r", "|", "%") else text


def gradebook_name(exercise):
    """The file name of one exercise's gradebook: ``gradebook_<exercise>.csv``."""
    if not isinstance(exercise, str) or not re.fullmatch(r"[A-Za-z0-9_.-]+", exercise):
        raise ValueError(f"exercise must be an exercise stem such as '03_testing_the_impact', got {exercise!r}")
    return f"gradebook_{exercise}.csv"


def write_results(results, out):
    """Write the gradebooks, ``grades.csv`` and one feedback file per submission into ``out``.

    Parameters
    ----------
    results : sequence of GradeResult
        Their questions already in the notebook's order (as :func:`grade_submission` returns them).
    out : str or Path
        The results folder (created if needed).

    Returns
    -------
    list of Path
        The CSV files written: ``gradebook.csv``, ``grades.csv``, then one
        ``gradebook_<exercise>.csv`` per exercise, in exercise order.
    """
    results = list(results)
    for r in results:
        if not isinstance(r, GradeResult):
            raise TypeError(f"results must hold GradeResult objects, got {type(r).__name__}")
    out = Path(out)
    (out / "feedback").mkdir(parents=True, exist_ok=True)
    for stale in out.glob("gradebook_*.csv"):  # an earlier run's exercise that is not in this batch
        stale.unlink()
    written = [out / "gradebook.csv", out / "grades.csv"]
    with open(written[0], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "learner", "exercise", "status", "total", "max_total", "detail", "isolation"])
        for r in results:
            writer.writerow([_cell(r.file), _cell(r.learner), r.exercise, r.status, r.total if r.questions else "",
                             r.max_total if r.questions else "", _cell(r.detail), r.isolation])
    with open(written[1], "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["submission", "learner", "exercise", "question_number", "question", "points",
                         "max_points", "result", "status"])
        for r in results:
            if not r.questions:
                writer.writerow([_cell(r.file), _cell(r.learner), r.exercise, "", "", "", "", "", r.status])
            for number, q in enumerate(r.questions, start=1):
                writer.writerow([_cell(r.file), _cell(r.learner), r.exercise, number, q["qid"], q["points"],
                                 q["max_points"],
                                 _VERDICTS.get(q["status"], q["status"]), r.status])
    for exercise in sorted({r.exercise for r in results if r.exercise}):
        rows = [r for r in results if r.exercise == exercise]
        qids = _question_columns(rows)
        path = out / gradebook_name(exercise)
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(["submission", "learner", "status", *qids, "total", "max_total", "detail"])
            for r in rows:
                scores = {q["qid"]: q["points"] for q in r.questions}
                writer.writerow([_cell(r.file), _cell(r.learner), r.status, *[scores.get(q, "") for q in qids],
                                 r.total if r.questions else "", r.max_total if r.questions else "",
                                 _cell(r.detail)])
        written.append(path)
    for r in results:
        (out / "feedback" / _feedback_name(r.file)).write_text(_feedback(r), encoding="utf-8")
    return written


def grade_folder(submissions, out, *, exercises_dir=None, cell_timeout=60, total_timeout=600, progress=True):
    """Grade every submission below ``submissions``; write the gradebooks and feedback to ``out``.

    See the module's docstring for the files written (:func:`write_results`).

    Parameters
    ----------
    submissions : str or Path
        Folder of submitted notebooks (searched recursively).
    out : str or Path
        Results folder; it must not be inside ``submissions``.
    exercises_dir : str or Path, default=None
        The course's exercises (default: the ``exercises/`` folder of the course).
    cell_timeout, total_timeout : int
        Seconds per cell and per submission.
    progress : bool, default=True
        Show a progress bar over submissions.

    Returns
    -------
    list of GradeResult
    """
    from tqdm.auto import tqdm

    submissions, out = Path(submissions), Path(out)
    if not submissions.is_dir():
        raise ValueError(f"submissions folder {str(submissions)!r} does not exist or is not a folder")
    for name, value in (("cell_timeout", cell_timeout), ("total_timeout", total_timeout)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"{name} must be a positive number of seconds, got {value!r}")
    if out.resolve() == submissions.resolve() or submissions.resolve() in out.resolve().parents:
        raise ValueError("the results folder must not be inside the submissions folder")
    exercises = known_exercises(exercises_dir or PROJECT_ROOT / "exercises")
    if not exercises:
        raise ValueError(f"no exercises (*_ex.ipynb) found in {str(exercises_dir or PROJECT_ROOT / 'exercises')!r}")
    _check_results_folder(out)
    if isolation() == "none":
        print(NO_ISOLATION, file=sys.stderr)
    paths = find_submissions(submissions)
    results = []
    for path in tqdm(paths, desc="grading", unit="submission", disable=not progress):
        try:
            result = grade_submission(path, submissions, exercises, cell_timeout=cell_timeout,
                                      total_timeout=total_timeout, hidden=(submissions, out))
        except Exception as error:  # one submission's failure never stops the batch
            result = GradeResult(file=_relative_name(path, submissions), learner=_learner_id({}, path, submissions),
                                 exercise=identify_exercise({}, path.name, exercises) or "", status="grading failed",
                                 detail=_one_line(f"{type(error).__name__}: {error}"), isolation=isolation())
        results.append(result)
    write_results(results, out)
    return results


NO_ISOLATION = ("warning: bubblewrap (bwrap) is not available, so submissions run WITHOUT isolation: with the "
                "grader's user rights, able to read and write its files. Install bubblewrap for untrusted "
                "submissions; the gradebook's isolation column says 'none'.")


def _check_results_folder(out):
    """Create ``out`` and make sure files can be written into it, before any submission is graded."""
    if out.exists() and not out.is_dir():
        raise ValueError(f"results folder {str(out)!r} is a file, not a folder")
    try:
        (out / "feedback").mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=out, prefix=".write-test-"):
            pass
    except OSError as error:
        raise ValueError(f"results folder {str(out)!r} cannot be written: {error.strerror or error}") from None


def main(argv=None):
    """``python -m course_utils grade SUBMISSIONS_DIR --out RESULTS_DIR``; returns the exit status."""
    parser = OneLineArgumentParser(prog="python -m course_utils grade",
                                   description="Grade a folder of submitted exercise notebooks.")
    parser.add_argument("submissions")
    parser.add_argument("--out", required=True)
    parser.add_argument("--exercises", default=None, help="folder of the exercises (default: the course's)")
    parser.add_argument("--cell-timeout", type=positive_seconds, default=60, help="seconds per cell (default: 60)")
    parser.add_argument("--timeout", type=positive_seconds, default=600, help="seconds per submission (default: 600)")
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    try:
        results = grade_folder(args.submissions, args.out, exercises_dir=args.exercises,
                               cell_timeout=args.cell_timeout, total_timeout=args.timeout,
                               progress=not args.no_progress)
    except (ValueError, OSError) as error:  # bad folders, or a results folder that cannot be written
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        print(f"{parser.prog}: error: {message}", file=sys.stderr)
        return 2
    counts = {}
    for r in results:
        counts[r.status] = counts.get(r.status, 0) + 1
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "no submissions"
    print(f"graded {len(results)} submission(s): {summary}")
    print(f"wrote {Path(args.out) / 'gradebook.csv'} (one row per submission), "
          f"{Path(args.out) / 'grades.csv'} (one row per question), a gradebook_<exercise>.csv per exercise "
          f"and {Path(args.out) / 'feedback'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--sandbox":
        _sandbox_main(sys.argv[2])
    else:
        sys.exit(main())
