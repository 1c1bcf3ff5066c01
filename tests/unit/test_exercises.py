"""Exercises are generated from solutions, committed up to date, leak nothing and run blank."""

import re

import nbformat
import pytest

from course_utils.checks import QUESTIONS, questions_for
from course_utils.exercises import (
    PLACEHOLDER,
    SolutionMarkerError,
    exercise_path_for,
    exercise_source,
    generate_all,
    make_exercise,
    removed_lines,
)

from tests.conftest import EXERCISES, ROOT, SOLUTIONS, notebook_json, read_notebook

CHECK_CALL = re.compile(r"""check\(\s*["']([^"']+)["']""")


def _code(path):
    notebook = read_notebook(path)
    return [c for c in notebook.cells if c.cell_type == "code"]


def test_markers_become_placeholders():
    source = "def f(x):\n    # BEGIN SOLUTION\n    return x + 1\n    # END SOLUTION\n\nanswer = f(2)  # SOLUTION\ncheck('q', answer)"
    assert exercise_source(source) == f"def f(x):\n    ...  {PLACEHOLDER}\n\nanswer = ...\ncheck('q', answer)"
    assert removed_lines(source) == ["    return x + 1", "answer = f(2)"]
    assert exercise_source("    return x * 2  # SOLUTION") == "    return ..."


@pytest.mark.parametrize("source", ["# BEGIN SOLUTION\nx = 1", "x = 1\n# END SOLUTION",
                                    "# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION"])
def test_unbalanced_markers_are_errors(source):
    with pytest.raises(SolutionMarkerError):
        exercise_source(source)


def test_solution_tagged_cells():
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("The answer is 42 because...", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("answer = 42", metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("print(answer)"),
    ])
    exercise = make_exercise(notebook, "99_test")
    assert [c.source for c in exercise.cells] == [PLACEHOLDER, "print(answer)"]
    assert exercise.cells[0].metadata["course"] == {"answer": True}
    assert "course" not in exercise.cells[1].metadata
    assert exercise.metadata["course"] == {"exercise": "99_test", "kind": "exercise"}
    assert notebook.cells[1].source == "answer = 42"  # the solution is not changed


def test_every_solution_has_an_exercise_twin_and_back():
    assert len(SOLUTIONS) >= 4
    assert sorted(exercise_path_for(p) for p in SOLUTIONS) == EXERCISES


def test_committed_exercises_are_up_to_date():
    stale = generate_all(ROOT, check_only=True)
    assert not stale, f"run `make exercises`: {[p.name for p in stale]} would change"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_no_solution_text_leaks_into_its_exercise(solution):
    exercise_text = "\n".join(c.source for c in _code(exercise_path_for(solution)))
    for cell in _code(solution):
        for line in removed_lines(cell.source):
            line = line.strip()
            if len(line) >= 12:
                assert line not in exercise_text, f"solution line leaked: {line!r}"
    solution_markdown = [c for c in read_notebook(solution).cells
                         if c.cell_type == "markdown" and "solution" in c.metadata.get("tags", [])]
    exercise_raw = exercise_path_for(solution).read_text(encoding="utf-8")
    for cell in solution_markdown:
        assert cell.source not in exercise_raw


@pytest.mark.parametrize("exercise", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_exercises_are_committed_clean(exercise):
    notebook = notebook_json(exercise)
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            assert cell["outputs"] == [] and cell["execution_count"] is None
    assert notebook["metadata"]["course"]["exercise"] == exercise.name[: -len("_ex.ipynb")]
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_checks_in_notebooks_match_the_registered_questions(solution):
    stem = solution.name[: -len("_sol.ipynb")]
    used = [qid for c in _code(solution) for qid in CHECK_CALL.findall(c.source)]
    registered = [q.qid for q in questions_for(stem)]
    assert sorted(used) == registered, "each question is checked exactly once, with a known id"
    assert all(QUESTIONS[qid].exercise == stem for qid in used)
    for cell in _code(solution):
        for qid in CHECK_CALL.findall(cell.source):
            # the grader reads the answer by name: the check must be given that name
            assert re.search(rf"check\(\s*[\"']{qid}[\"']\s*,\s*{QUESTIONS[qid].answer_name}\s*\)", cell.source)


def _check_lines(notebook):
    lines = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", f"{output.get('ename')}: {output.get('evalue')}"
            if output["output_type"] == "stream" and output["name"] == "stdout":
                lines += [l for l in output["text"].splitlines() if re.match(r"^\S+ q\d\d_", l)]
    return lines


@pytest.mark.parametrize("solution", SOLUTIONS, ids=[p.stem for p in SOLUTIONS])
def test_committed_solutions_pass_every_check(solution):
    lines = _check_lines(read_notebook(solution))
    stem = solution.name[: -len("_sol.ipynb")]
    assert len(lines) == len(questions_for(stem))
    assert all(line.startswith("✅") for line in lines), lines


@pytest.mark.notebook
@pytest.mark.parametrize("exercise", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_blank_exercises_run_top_to_bottom_and_say_not_yet(exercise, tmp_path):
    from course_utils.build import run_notebook

    before = exercise.read_bytes()
    run_notebook(exercise, tmp_path / exercise.name, timeout=300, cwd=tmp_path)
    assert exercise.read_bytes() == before
    lines = _check_lines(read_notebook(tmp_path / exercise.name))
    stem = exercise.name[: -len("_ex.ipynb")]
    assert len(lines) == len(questions_for(stem))
    assert all(line.startswith("⬜") and "not answered yet" in line for line in lines), lines


@pytest.mark.parametrize("exercise", EXERCISES, ids=[p.stem for p in EXERCISES])
def test_every_exercise_states_its_learning_objectives_near_the_top(exercise):
    """As each lesson does: a list of what the learner can do afterwards, one item per question, before Setup."""
    cells = read_notebook(exercise).cells
    setup = next(i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## Setup"))
    opening = [c for c in cells[:setup] if c.cell_type == "markdown" and "Learning objectives" in c.source]
    assert len(opening) == 1, f"{exercise.name}: no 'Learning objectives' Markdown cell before '## Setup'"
    items = []
    for line in opening[0].source.splitlines():
        if line.startswith("- "):
            items.append(line)
        elif line.startswith("  ") and items:  # an item's continuation line
            items[-1] += " " + line.strip()
    stem = exercise.name[: -len("_ex.ipynb")]
    questions = questions_for(stem)
    assert len(items) == len(questions) >= 1
    assert [f"(Q{n})" for n in range(1, len(questions) + 1)] == [re.search(r"\(Q\d+\)", i).group() for i in items]
    assert "course" not in opening[0].metadata  # not an answer cell: the grader restores it as written


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_solution_names_its_exercise_in_its_metadata(path):
    # The grader reads the exercise a submission belongs to from this metadata, not from the file name.
    course = notebook_json(path)["metadata"].get("course", {})
    assert course == {"exercise": path.stem.removesuffix("_sol"), "kind": "solution"}
