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

1. reads the file once, read-only (the submission is never opened for writing);
2. matches it to its exercise by the notebook's metadata (``course.exercise``),
   falling back to its file name;
3. builds the notebook to run in a fresh temporary folder: cells of the exercise
   that are not answer cells (instructions, setup, data) are restored from the
   exercise if the learner edited or deleted them, and every ``check(...)`` line
   is neutralised, so nothing the submission prints counts;
4. executes it with papermill in its own kernel and its own process, with a
   per-cell timeout and a total timeout, errors in cells allowed so later
   answers are still graded; ``HOME`` points at the temporary folder and files
   the kernel writes are capped in size;
5. appends a grading cell that reloads the course's checks from disk (undoing
   any monkey-patching of ``course_utils`` by the submission) and checks every
   question on the answers in the kernel's namespace.

A submission that is not valid JSON, not a notebook, raises, loops for ever,
kills its kernel, prints megabytes or runs past the timeout gets a row saying
so (``invalid notebook``, ``timeout``, ``kernel died``, ...) and the batch goes
on. Limits: the submission's code runs with the grader's user rights, as in
nbgrader; run the grader in a container or as an unprivileged user for
untrusted submissions.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ._validation import OneLineArgumentParser, positive_seconds
from .notebook import kernel_manager_class
from .paths import PROJECT_ROOT

__all__ = ["GradeResult", "find_submissions", "identify_exercise", "question_order", "prepare_submission",
           "grade_submission", "gradebook_name", "write_results", "grade_folder", "main"]

GRADE_MIME = "application/vnd.course-grade+json"
GRADING_TAG = "course-grading"
_CHECK_LINE = re.compile(r"^(\s*)check\s*\(.*$")
_CHECK_CALL = re.compile(r"""^\s*check\s*\(\s*(["'])(?P<qid>[^"']+)\1""", re.MULTILINE)
_FILE_SIZE_LIMIT = 256 * 1024 * 1024  # bytes a submission's kernel may write to one file

GRADED = "graded"
STATUSES = (GRADED, "graded with errors", "timeout", "kernel died", "invalid notebook", "unknown exercise",
            "grading failed")


@dataclass
class GradeResult:
    """One submission's row of the gradebook and its feedback."""

    file: str
    learner: str = ""
    exercise: str = ""
    status: str = ""
    detail: str = ""
    questions: list = field(default_factory=list)

    @property
    def total(self):
        return sum(q["points"] for q in self.questions)

    @property
    def max_total(self):
        return sum(q["max_points"] for q in self.questions)


def find_submissions(folder):
    """Every ``*.ipynb`` below ``folder`` (checkpoints left out), sorted."""
    folder = Path(folder)
    return sorted(p for p in folder.rglob("*.ipynb")
                  if ".ipynb_checkpoints" not in p.parts and p.is_file())


def known_exercises(exercises_dir):
    """Exercise stem (``02_label_flip_poisoning``) -> exercise notebook path."""
    return {p.name[: -len("_ex.ipynb")]: p for p in sorted(Path(exercises_dir).glob("*_ex.ipynb"))}


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


def _learner_id(notebook, path, folder):
    course = notebook.get("metadata", {}).get("course", {})
    learner = course.get("learner") if isinstance(course, dict) else None
    if isinstance(learner, str) and learner.strip():
        return learner.strip()
    parts = path.relative_to(folder).parts
    return parts[0] if len(parts) > 1 else ""


def _neutralise_checks(source):
    return "\n".join(_CHECK_LINE.sub(r"\1pass  # check removed by the grader", line)
                     for line in source.split("\n"))


def prepare_submission(submission, exercise, nonce):
    """The notebook the grader runs: locked cells restored, checks removed, grading cell appended.

    Parameters
    ----------
    submission, exercise : nbformat.NotebookNode
        The learner's notebook (already converted to format 4) and its exercise.
    nonce : str
        A secret the grading cell's output must carry.

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
    previous, position = None, 0
    for cell in exercise.cells:
        cid = cell.get("id")
        ids = [c.get("id") for c in cells]
        if previous in ids:
            position = ids.index(previous) + 1
        if cid in locked and cid not in seen:
            cells.insert(position, copy.deepcopy(cell))
            seen.add(cid)
            position += 1
        previous = cid
    stem = exercise.metadata.get("course", {}).get("exercise", "")
    grading = nbformat.v4.new_code_cell(_grading_source(stem, nonce), metadata={"tags": [GRADING_TAG]})
    cells.append(grading)
    for cell in cells:
        if cell.get("cell_type") == "code":
            cell.outputs, cell.execution_count = [], None
    notebook = nbformat.v4.new_notebook(cells=cells, metadata=copy.deepcopy(exercise.metadata))
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return notebook


def _grading_source(stem, nonce):
    return f"""\
# Added by the grader: reload the course's checks from disk and grade the answers in this kernel.
import sys as _grader_sys
for _grader_name in [n for n in _grader_sys.modules if n == "course_utils" or n.startswith("course_utils.")]:
    del _grader_sys.modules[_grader_name]
import course_utils.checks as _grader_checks
from IPython.display import display as _grader_display
_grader_display({{{GRADE_MIME!r}: {{"nonce": {nonce!r},
    "results": _grader_checks.grade_answers({stem!r}, dict(globals()))}}}}, raw=True)
"""


def _limit_resources():
    """Run in the worker before exec: its own session, and a cap on file sizes."""
    os.setsid()
    try:
        import resource

        resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_SIZE_LIMIT, _FILE_SIZE_LIMIT))
    except (ImportError, ValueError, OSError):
        pass


def _kill_group(process):
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError, AttributeError):
        process.kill()


def grade_submission(path, folder, exercises, *, cell_timeout=60, total_timeout=600):
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
        Seconds per cell and for the whole notebook.

    Returns
    -------
    GradeResult
    """
    import nbformat

    result = GradeResult(file=str(path.relative_to(folder)))
    try:
        raw = path.read_bytes()
        data = json.loads(raw.decode("utf-8"))
        if not isinstance(data, dict) or "cells" not in data and "worksheets" not in data:
            raise ValueError("it has no cells")
        submission = nbformat.reads(raw.decode("utf-8"), as_version=4)
        nbformat.validate(submission)
    except Exception as error:  # anything unreadable is reported, never fatal
        result.status, result.detail = "invalid notebook", _one_line(f"{type(error).__name__}: {error}")
        # Its folder and file name still say who handed in what, for the exercise's gradebook.
        result.learner = _learner_id({}, path, folder)
        result.exercise = identify_exercise({}, path.name, exercises) or ""
        return result
    result.learner = _learner_id(data, path, folder)
    stem = identify_exercise(data, path.name, exercises)
    if stem is None:
        result.status = "unknown exercise"
        result.detail = "neither its metadata nor its file name names an exercise of the course"
        return result
    result.exercise = stem
    exercise = nbformat.read(str(exercises[stem]), as_version=4)
    nonce = secrets.token_hex(16)
    prepared = prepare_submission(submission, exercise, nonce)

    with tempfile.TemporaryDirectory(prefix="grade-") as work:
        work = Path(work)
        source, executed, report = work / "submission.ipynb", work / "executed.ipynb", work / "report.json"
        nbformat.write(prepared, str(source))
        env = dict(os.environ, HOME=str(work), PYTHONNOUSERSITE="1",
                   OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
        env.pop("MPLBACKEND", None)
        command = [sys.executable, "-m", "course_utils.grading", "--worker", str(source), str(executed),
                   str(report), str(cell_timeout), nonce]
        process = subprocess.Popen(command, cwd=work, env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                   preexec_fn=_limit_resources if os.name == "posix" else None)
        try:
            process.wait(timeout=total_timeout)
        except subprocess.TimeoutExpired:
            _kill_group(process)
            process.wait()
            result.status, result.detail = "timeout", f"the notebook ran past the total limit of {total_timeout} s"
            return result
        finally:
            if process.poll() is None:
                _kill_group(process)
        try:
            outcome = json.loads(report.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            result.status = "grading failed"
            result.detail = f"the grading process ended with status {process.returncode}"
            return result
    result.status, result.detail = outcome["status"], outcome.get("detail", "")
    result.questions = _in_order(outcome.get("questions", []), question_order(exercise))
    return result


def _one_line(text, limit=300):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _worker(source, executed, report, cell_timeout, nonce):
    """Run inside the grading process: execute, then read the grading cell's output."""
    import papermill
    from nbclient.exceptions import CellTimeoutError, DeadKernelError

    outcome = {"status": GRADED, "detail": "", "questions": []}
    try:
        papermill.execute_notebook(source, executed, kernel_name="python3", cwd=str(Path(source).parent),
                                   progress_bar=False, log_output=False, execution_timeout=int(cell_timeout),
                                   allow_errors=True, kernel_manager_class=kernel_manager_class())
    except CellTimeoutError:
        outcome.update(status="timeout", detail=f"a cell ran past the limit of {cell_timeout} s")
    except DeadKernelError:
        outcome.update(status="kernel died", detail="the kernel stopped while running the notebook")
    except papermill.PapermillExecutionError as error:
        outcome.update(status="graded with errors", detail=_one_line(f"a cell raised {error.ename}: {error.evalue}"))
    except Exception as error:  # the kernel could not start or nbclient failed
        outcome.update(status="kernel died", detail=_one_line(f"{type(error).__name__}: {error}"))
    if outcome["status"] in (GRADED, "graded with errors"):
        outcome["questions"] = _read_grades(executed, nonce)
        if outcome["questions"] is None:
            outcome.update(status="grading failed", questions=[],
                           detail=outcome["detail"] or "the grading cell produced no result")
    Path(report).write_text(json.dumps(outcome), encoding="utf-8")


def _read_grades(executed, nonce):
    import nbformat

    notebook = nbformat.read(str(executed), as_version=4)
    for cell in notebook.cells:
        if GRADING_TAG not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            payload = output.get("data", {}).get(GRADE_MIME)
            if isinstance(payload, dict) and payload.get("nonce") == nonce:
                return [{k: q[k] for k in ("qid", "status", "message", "points", "max_points", "prompt")}
                        for q in payload["results"]]
    return None


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
    return re.sub(r"[^A-Za-z0-9._-]+", "__", relative.replace(os.sep, "/").replace("/", "__")) + ".md"


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
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


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
        writer.writerow(["submission", "learner", "exercise", "status", "total", "max_total", "detail"])
        for r in results:
            writer.writerow([_cell(r.file), _cell(r.learner), r.exercise, r.status, r.total if r.questions else "",
                             r.max_total if r.questions else "", _cell(r.detail)])
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
    paths = find_submissions(submissions)
    results = []
    for path in tqdm(paths, desc="grading", unit="submission", disable=not progress):
        results.append(grade_submission(path, submissions, exercises, cell_timeout=cell_timeout,
                                        total_timeout=total_timeout))
    write_results(results, out)
    return results


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
    if len(sys.argv) == 7 and sys.argv[1] == "--worker":
        _worker(*sys.argv[2:])
    else:
        sys.exit(main())
