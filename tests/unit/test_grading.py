"""The batch grader on good, half-done, blank, broken and hostile submissions."""

import copy
import csv
import hashlib
import json
import os
import subprocess
import sys

import nbformat
import pytest

from course_utils.grading import (
    GradeResult,
    grade_folder,
    grade_submission,
    gradebook_name,
    identify_exercise,
    known_exercises,
    prepare_submission,
    question_order,
    write_results,
)
from tests.conftest import ROOT, read_notebook

STEM = "03_testing_the_impact"
SOLUTION = ROOT / "solutions" / f"{STEM}_sol.ipynb"
EXERCISE = ROOT / "exercises" / f"{STEM}_ex.ipynb"
N_QUESTIONS = 4

pytestmark = pytest.mark.notebook


def _answer_ids():
    return [c.id for c in read_notebook(EXERCISE).cells if c.get("metadata", {}).get("course", {}).get("answer")]


def _half_done():
    """The exercise with the first two answers taken from the solution."""
    exercise, solution = read_notebook(EXERCISE), read_notebook(SOLUTION)
    by_id = {c.id: c for c in solution.cells}
    for cell in exercise.cells:
        if cell.id in _answer_ids()[:2]:
            cell.source = by_id[cell.id].source
    return exercise


def _with_cell(notebook, source, before_answer=0):
    """A copy of notebook with a code cell inserted before the given answer cell."""
    notebook = copy.deepcopy(notebook)
    ids = [c.id for c in notebook.cells]
    position = ids.index(_answer_ids()[before_answer])
    notebook.cells.insert(position, nbformat.v4.new_code_cell(source))
    return notebook


def _write(folder, name, notebook=None, raw=None):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if raw is not None:
        path.write_bytes(raw)
    elif isinstance(notebook, dict) and not isinstance(notebook, nbformat.NotebookNode):
        path.write_text(json.dumps(notebook), encoding="utf-8")
    else:
        nbformat.write(notebook, str(path))
    return path


def _hashes(folder):
    return {p: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
            for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade one folder that mixes good, partial, blank, broken and hostile submissions."""
    folder = tmp_path_factory.mktemp("submissions")
    solution = read_notebook(SOLUTION)
    solution.metadata["course"]["learner"] = "ada"
    _write(folder, "solution.ipynb", solution)  # matched by metadata alone
    _write(folder, "bob/03_testing_the_impact_ex.ipynb", read_notebook(EXERCISE))
    _write(folder, "carol/03_testing_the_impact_ex.ipynb", _half_done())
    _write(folder, "dave/03_testing_the_impact_ex.ipynb", raw=b'{"cells": [ this is not json')
    _write(folder, "erin/notes.ipynb", raw=b'{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": []}')
    _write(folder, "frank/03_testing_the_impact_ex.ipynb", nbformat.v4.new_notebook(cells=[]) | {"cells": 5})
    old = nbformat.convert(copy.deepcopy(solution), 3)
    _write(folder, "grace/03_testing_the_impact_ex.ipynb", raw=nbformat.writes(old, version=3).encode())
    _write(folder, "heidi/03_testing_the_impact_ex.ipynb", _with_cell(solution, "raise RuntimeError('boom')", 1))
    _write(folder, "ivan/03_testing_the_impact_ex.ipynb", _with_cell(solution, "while True:\n    pass", 2))
    _write(folder, "judy/03_testing_the_impact_ex.ipynb", _with_cell(solution, "import os\nos._exit(1)", 1))
    _write(folder, "mallory/03_testing_the_impact_ex.ipynb",
           _with_cell(solution, "print('x' * 5_000_000)\nprint('✅ q03_success_rate: correct.')", 0))
    # Hostile: patch the checks to pass everything, and edit a locked cell, on a blank exercise.
    cheat = _with_cell(read_notebook(EXERCISE), "import course_utils.checks as c\n"
                       "c.evaluate = lambda qid, answer: c.CheckResult(qid, 'pass', '', 1, 1)\n"
                       "c.grade_answers = lambda *a: [{'qid': 'x', 'status': 'pass', 'message': '', "
                       "'points': 99, 'max_points': 99, 'prompt': ''}]", 0)
    cheat.cells[2].source = "def check(*args):\n    print('✅ all good')\n" + cheat.cells[2].source
    _write(folder, "oscar/03_testing_the_impact_ex.ipynb", cheat)
    before = _hashes(folder)
    out = tmp_path_factory.mktemp("results")
    results = grade_folder(folder, out, cell_timeout=15, total_timeout=240, progress=False)
    return {"folder": folder, "out": out, "results": {r.file: r for r in results}, "before": before}


def _csv(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_submission_has_a_row_and_the_batch_finished(graded):
    rows = _csv(graded["out"] / "gradebook.csv")
    assert len(rows) == 12 == len(graded["results"])
    assert list(rows[0]) == ["submission", "learner", "exercise", "status", "total", "max_total", "detail",
                             "isolation"]
    assert len(list((graded["out"] / "feedback").glob("*.md"))) == 12


def test_one_gradebook_per_exercise_with_questions_in_notebook_order(graded):
    assert sorted(p.name for p in graded["out"].glob("gradebook_*.csv")) == [gradebook_name(STEM)]
    rows = _csv(graded["out"] / gradebook_name(STEM))
    order = question_order(read_notebook(EXERCISE))
    assert list(rows[0]) == ["submission", "learner", "status", *order, "total", "max_total", "detail"]
    # every submission of the exercise, including those that could not be graded (dave, frank, ivan, judy, ...)
    assert len(rows) == sum(r.exercise == STEM for r in graded["results"].values()) == 11
    dave = next(row for row in rows if row["submission"].startswith("dave/"))
    assert (dave["learner"], dave["status"], dave["total"]) == ("dave", "invalid notebook", "")
    ada = next(row for row in rows if row["submission"] == "solution.ipynb")
    assert [ada[q] for q in order] == ["1"] * N_QUESTIONS and ada["total"] == str(N_QUESTIONS)


def test_grades_csv_is_long_format_one_row_per_question(graded):
    rows = _csv(graded["out"] / "grades.csv")
    assert list(rows[0]) == ["submission", "learner", "exercise", "question_number", "question", "points",
                             "max_points", "result", "status"]
    carol = [row for row in rows if row["submission"].startswith("carol/")]
    assert [row["question"] for row in carol] == question_order(read_notebook(EXERCISE))
    assert [row["question_number"] for row in carol] == ["1", "2", "3", "4"]
    assert [row["points"] for row in carol] == ["1", "1", "0", "0"]
    assert {row["result"] for row in carol} == {"correct", "not answered yet"}
    ivan = [row for row in rows if row["submission"].startswith("ivan/")]
    assert len(ivan) == 1 and ivan[0]["question"] == "" and ivan[0]["status"] == "timeout"
    assert {row["submission"] for row in rows} == set(graded["results"])


def test_feedback_lists_questions_in_notebook_order(graded):
    feedback = (graded["out"] / "feedback" / "carol%2F03_testing_the_impact_ex.ipynb.md").read_text(encoding="utf-8")
    positions = [feedback.index(f"| {qid} |") for qid in question_order(read_notebook(EXERCISE))]
    assert positions == sorted(positions)


def test_no_submission_was_changed(graded):
    assert _hashes(graded["folder"]) == graded["before"]


def test_solution_scores_full_marks(graded):
    result = graded["results"]["solution.ipynb"]
    assert (result.status, result.exercise, result.learner) == ("graded", STEM, "ada")
    assert result.total == result.max_total == N_QUESTIONS


def test_blank_scores_zero_and_half_done_in_between(graded):
    blank = graded["results"]["bob/03_testing_the_impact_ex.ipynb"]
    half = graded["results"]["carol/03_testing_the_impact_ex.ipynb"]
    assert blank.status == "graded" and blank.total == 0 and blank.learner == "bob"
    assert all(q["status"] == "blank" for q in blank.questions)
    assert half.status == "graded" and 0 < half.total < half.max_total
    assert half.total == 2


@pytest.mark.parametrize("who, status, total", [
    ("dave", "invalid notebook", None),
    ("frank", "invalid notebook", None),
    ("grace", "graded", N_QUESTIONS),
    ("heidi", "graded with errors", N_QUESTIONS),
    ("ivan", "timeout", None),
    ("judy", "kernel died", None),
    ("mallory", "graded", N_QUESTIONS),
])
def test_broken_submissions_are_reported(graded, who, status, total):
    result = graded["results"][f"{who}/03_testing_the_impact_ex.ipynb"]
    assert result.status == status, result
    if total is not None:
        assert result.total == total
    assert result.detail or status == "graded"


def test_unknown_exercise_is_reported(graded):
    result = graded["results"]["erin/notes.ipynb"]
    assert result.status == "unknown exercise" and result.total == 0


def test_monkey_patched_checks_and_edited_check_cells_do_not_count(graded):
    result = graded["results"]["oscar/03_testing_the_impact_ex.ipynb"]
    assert result.status == "graded" and result.total == 0 and result.max_total == N_QUESTIONS


def test_feedback_files_say_what_happened(graded):
    feedback = (graded["out"] / "feedback" / "carol%2F03_testing_the_impact_ex.ipynb.md").read_text(encoding="utf-8")
    assert "Score: 2 / 4" in feedback and "not answered yet" in feedback and "correct" in feedback
    timeout = (graded["out"] / "feedback" / "ivan%2F03_testing_the_impact_ex.ipynb.md").read_text(encoding="utf-8")
    assert "timeout" in timeout


def test_total_timeout_kills_a_slow_submission(tmp_path):
    folder = tmp_path / "in"
    _write(folder, "slow/03_testing_the_impact_ex.ipynb",
           _with_cell(read_notebook(EXERCISE), "import time\ntime.sleep(120)"))
    result = grade_submission(folder / "slow/03_testing_the_impact_ex.ipynb", folder,
                              known_exercises(ROOT / "exercises"), cell_timeout=300, total_timeout=10)
    assert result.status == "timeout" and "total" in result.detail


def test_prepare_restores_locked_cells_and_removes_checks():
    exercise, submission = read_notebook(EXERCISE), _half_done()
    submission.cells[2].source = "print('I edited the setup')"
    del submission.cells[0]
    prepared = prepare_submission(submission, exercise)
    assert prepared.cells[0].source == exercise.cells[0].source
    assert prepared.cells[2].source == exercise.cells[2].source
    assert not any(line.lstrip().startswith("check(") for c in prepared.cells if c.cell_type == "code"
                   for line in c.source.splitlines())
    assert len(prepared.cells) == len(exercise.cells)  # no grading cell: the verdicts are made outside the kernel
    assert submission.cells[1].source == "print('I edited the setup')"  # the input is not changed


def test_identify_exercise_by_metadata_then_name():
    exercises = known_exercises(ROOT / "exercises")
    assert identify_exercise({"metadata": {"course": {"exercise": STEM}}}, "x.ipynb", exercises) == STEM
    assert identify_exercise({"metadata": {}}, "alice_03_testing_the_impact_ex.ipynb", exercises) == STEM
    assert identify_exercise({"metadata": {}}, "03_mine.ipynb", exercises) == STEM
    assert identify_exercise({"metadata": {}}, "homework.ipynb", exercises) is None


def test_command_line(tmp_path):
    folder = tmp_path / "in"
    _write(folder, "bob/03_testing_the_impact_ex.ipynb", raw=b"not json")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(folder), "--out", str(tmp_path / "out"),
                           "--no-progress"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "1 invalid notebook" in done.stdout
    missing = subprocess.run([sys.executable, "-m", "course_utils", "grade", str(tmp_path / "nope"), "--out",
                              str(tmp_path / "out2")], capture_output=True, text=True, env=env, timeout=120)
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize("exercise", sorted(known_exercises(ROOT / "exercises")))
def test_question_order_is_the_notebooks_and_covers_every_question(exercise):
    from course_utils.checks import questions_for

    order = question_order(read_notebook(ROOT / "exercises" / f"{exercise}_ex.ipynb"))
    assert sorted(order) == sorted(q.qid for q in questions_for(exercise))
    assert len(set(order)) == len(order)


def test_question_order_is_not_alphabetical_where_the_notebook_is_not():
    order = question_order(read_notebook(ROOT / "exercises" / "01_clean_training_ex.ipynb"))
    assert order[0] == "q01_train_pipeline" and order != sorted(order)


def _result(file, learner, exercise, qids, points, status="graded"):
    return GradeResult(file=file, learner=learner, exercise=exercise, status=status,
                       questions=[{"qid": q, "status": "pass" if p else "fail", "message": "", "points": p,
                                   "max_points": 1, "prompt": ""} for q, p in zip(qids, points)])


def test_write_results_separates_exercises_and_keeps_their_order(tmp_path):
    results = [
        _result("ada/01.ipynb", "ada", "01_x", ["q01_b", "q01_a"], [1, 0]),
        _result("ada/02.ipynb", "ada", "02_y", ["q02_z", "q02_c", "q02_m"], [1, 1, 0]),
        _result("bob/01.ipynb", "=HYPERLINK(1)", "01_x", ["q01_b", "q01_a"], [0, 0]),
        GradeResult(file="x.ipynb", status="invalid notebook", detail="JSONDecodeError: bad"),
    ]
    before = copy.deepcopy(results)
    (tmp_path / "gradebook_99_gone.csv").write_text("stale", encoding="utf-8")
    written = write_results(results, tmp_path)
    assert [p.name for p in written] == ["gradebook.csv", "grades.csv", "gradebook_01_x.csv", "gradebook_02_y.csv"]
    assert not (tmp_path / "gradebook_99_gone.csv").exists()
    first = _csv(tmp_path / "gradebook_01_x.csv")
    assert list(first[0]) == ["submission", "learner", "status", "q01_b", "q01_a", "total", "max_total", "detail"]
    assert [row["learner"] for row in first] == ["ada", "'=HYPERLINK(1)"]  # no formula in a spreadsheet
    second = _csv(tmp_path / "gradebook_02_y.csv")
    assert list(second[0])[3:6] == ["q02_z", "q02_c", "q02_m"] and len(second) == 1
    summary = _csv(tmp_path / "gradebook.csv")
    assert [row["status"] for row in summary] == ["graded", "graded", "graded", "invalid notebook"]
    assert summary[3]["total"] == "" and summary[0]["total"] == "1" and summary[1]["max_total"] == "3"
    grades = _csv(tmp_path / "grades.csv")
    assert len(grades) == 2 + 3 + 2 + 1
    assert [row["question"] for row in grades[:2]] == ["q01_b", "q01_a"]
    assert grades[-1]["status"] == "invalid notebook" and grades[-1]["question"] == ""
    assert [r.__dict__ for r in results] == [r.__dict__ for r in before]  # the results are not changed


def test_write_results_and_question_order_reject_bad_arguments(tmp_path):
    with pytest.raises(TypeError, match="results"):
        write_results([{"file": "x"}], tmp_path)
    with pytest.raises(TypeError, match="notebook"):
        question_order("01_clean_training_ex.ipynb")
    with pytest.raises(ValueError, match="exercise"):
        gradebook_name("../etc")
