"""Generate exercise notebooks from their worked solutions.

``solutions/NN_name_sol.ipynb`` is the one source a person edits;
``exercises/NN_name_ex.ipynb`` is generated from it (``make exercises`` or
``python -m course_utils exercises``). Solution code is marked the way
otter-grader marks it, so that moving to otter-grader or nbgrader is a script:

* a block between ``# BEGIN SOLUTION`` and ``# END SOLUTION`` becomes one line,
  ``...  # Write your code here``, at the block's indentation;
* a line ending in ``# SOLUTION`` keeps its left-hand side: ``x = 3  # SOLUTION``
  becomes ``x = ...``, ``return y  # SOLUTION`` becomes ``return ...``;
* a code cell tagged ``solution`` becomes ``# Write your code here``; a Markdown
  cell tagged ``solution`` (an explanation of the answer) is left out.

Outputs and execution counts are cleared; cell ids are kept, so a regeneration
of an unchanged solution changes nothing.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

from .paths import PROJECT_ROOT

__all__ = [
    "PLACEHOLDER",
    "exercise_source",
    "make_exercise",
    "exercise_path_for",
    "removed_lines",
    "generate_all",
]

PLACEHOLDER = "# Write your code here"
SOLUTION_TAG = "solution"
_BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION\s*$")
_END = re.compile(r"^\s*#\s*END SOLUTION\s*$")
_SUFFIX = re.compile(r"^(?P<indent>\s*)(?P<code>.*?)\s*#\s*SOLUTION\s*$")
_ASSIGNMENT = re.compile(r"^(?P<lhs>[^=#\"'()]+?(?<![=!<>+\-*/%&|^@:])=)(?!=)")



class SolutionMarkerError(ValueError):
    """A solution's markers are unbalanced or malformed."""


def exercise_source(source, where="cell"):
    """Return ``source`` with every solution marker replaced by its placeholder.

    Parameters
    ----------
    source : str
        A code cell's source.
    where : str
        Named in error messages.

    Returns
    -------
    str
    """
    if not isinstance(source, str):
        raise TypeError(f"source must be a str, got {type(source).__name__}")
    out, inside = [], None
    for number, line in enumerate(source.split("\n"), start=1):
        begin = _BEGIN.match(line)
        if begin:
            if inside is not None:
                raise SolutionMarkerError(f"{where}, line {number}: BEGIN SOLUTION inside another block")
            inside = begin.group(1)
            continue
        if _END.match(line):
            if inside is None:
                raise SolutionMarkerError(f"{where}, line {number}: END SOLUTION without BEGIN SOLUTION")
            out.append(f"{inside}...  {PLACEHOLDER}")
            inside = None
            continue
        if inside is not None:
            continue
        suffix = _SUFFIX.match(line)
        if suffix and not line.lstrip().startswith("#"):
            out.append(suffix.group("indent") + _blank_line(suffix.group("code")))
            continue
        out.append(line)
    if inside is not None:
        raise SolutionMarkerError(f"{where}: BEGIN SOLUTION without END SOLUTION")
    return "\n".join(out)


def _blank_line(code):
    assignment = _ASSIGNMENT.match(code)
    if assignment:
        return f"{assignment.group('lhs').rstrip()} ..."
    if code.startswith("return ") or code == "return":
        return "return ..."
    return "..."


def removed_lines(source):
    """The lines of ``source`` that :func:`exercise_source` takes out (solution code)."""
    removed, inside = [], False
    for line in source.split("\n"):
        if _BEGIN.match(line):
            inside = True
        elif _END.match(line):
            inside = False
        elif inside:
            removed.append(line)
        else:
            suffix = _SUFFIX.match(line)
            if suffix and not line.lstrip().startswith("#"):
                removed.append(suffix.group("code"))
    return removed


def make_exercise(solution, exercise_name):
    """Return the exercise notebook generated from a solution notebook (a new object).

    Cells whose code was blanked are marked ``metadata.course.answer = true``:
    the grader keeps the learner's version of those and restores every other
    cell from the exercise.

    Parameters
    ----------
    solution : nbformat.NotebookNode
    exercise_name : str
        The lesson stem (``"02_label_flip_poisoning"``), stored in the
        notebook's metadata so that the grader can match submissions.

    Returns
    -------
    nbformat.NotebookNode
    """
    import nbformat

    exercise = nbformat.from_dict(copy.deepcopy(dict(solution)))
    cells = []
    for index, cell in enumerate(exercise.cells):
        tags = cell.get("metadata", {}).get("tags", [])
        where = f"cell {index} ({cell.get('id', '?')})"
        if cell.cell_type == "markdown" and SOLUTION_TAG in tags:
            continue
        if cell.cell_type == "code":
            blank = PLACEHOLDER if SOLUTION_TAG in tags else exercise_source(cell.source, where)
            if blank != cell.source:
                cell.metadata["course"] = {"answer": True}
            cell.source = blank
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        cells.append(cell)
    exercise.cells = cells
    exercise.metadata["course"] = {"exercise": exercise_name, "kind": "exercise"}
    # The solution's executing kernel records its Python version; an exercise should not
    # change when an author re-executes the solution with another Python.
    exercise.metadata["language_info"] = {"name": "python"}
    exercise.metadata.pop("widgets", None)
    return exercise


def exercise_path_for(solution_path):
    """``solutions/NN_name_sol.ipynb`` -> ``exercises/NN_name_ex.ipynb`` (beside ``solutions/``)."""
    solution_path = Path(solution_path)
    if not solution_path.name.endswith("_sol.ipynb"):
        raise ValueError(f"a solution's name ends in _sol.ipynb, got {solution_path.name!r}")
    name = solution_path.name[: -len("_sol.ipynb")] + "_ex.ipynb"
    return solution_path.parent.parent / "exercises" / name


def generate_all(root=None, check_only=False):
    """Write (or, with ``check_only``, compare) every exercise from its solution.

    Returns
    -------
    list of Path
        The exercises that were written (or that would change).
    """
    import nbformat

    root = Path(root) if root is not None else PROJECT_ROOT
    changed = []
    for solution_path in sorted((root / "solutions").glob("*_sol.ipynb")):
        solution = nbformat.read(str(solution_path), as_version=4)
        exercise = make_exercise(solution, solution_path.name[: -len("_sol.ipynb")])
        nbformat.validate(exercise)
        text = nbformat.writes(exercise) + "\n"
        target = exercise_path_for(solution_path)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            changed.append(target)
            if not check_only:
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8")
    return changed
