"""Every lesson keeps the course's conventions (CONTRIBUTING.md), checked on the committed files.

The lessons are the numbered notebooks on disk (tests/conftest.py); nothing here lists them by
name, so a new lesson is held to the same conventions as the first ones.
"""

import re

import pytest

from course_utils.checks import questions_for

from tests.conftest import LESSONS, NOTEBOOKS, ROOT, lesson_number, notebook_json

IDS = [p.stem for p in LESSONS]
# The files each lesson comes with, relative to the repository; {stem} is the lesson's file name
# without .ipynb, {number} its two digits. Lesson 00 has no exercise, so only its test module.
EVERY_LESSON = {
    "papermill test module": "tests/lessons/test_lesson_{number}.py",
}
FROM_LESSON_01 = {
    "solution": "solutions/{stem}_sol.ipynb",
    "exercise": "exercises/{stem}_ex.ipynb",
    "checks module": "course_utils/checks/lesson{number}.py",
    "checks tests": "tests/checks/test_checks_{number}.py",
}
PER_LESSON_FILES = {**EVERY_LESSON, **FROM_LESSON_01}
CASES = [(path, kind) for path in LESSONS for kind in EVERY_LESSON] + [
    (path, kind) for path in LESSONS if lesson_number(path) != "00" for kind in FROM_LESSON_01]


def _source(cell):
    return "".join(cell.get("source", ""))


def _companion(path, kind):
    template = PER_LESSON_FILES[kind]
    return ROOT / template.format(stem=path.stem, number=lesson_number(path))


def test_every_notebook_is_a_numbered_lesson():
    # A notebook named otherwise would be missing from LESSONS, and so from every test that goes over them.
    stems = [p.stem for p in sorted(NOTEBOOKS.glob("*.ipynb"))]
    assert stems == IDS, "every notebook in notebooks/ is named NN_name.ipynb"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", s) for s in stems), stems


def test_lesson_numbers_are_consecutive_from_00():
    # A gap is allowed only where the README's table of planned lessons lists the missing number (lessons
    # are built in parallel; lesson 09 can exist before lesson 06 does).
    section = (ROOT / "README.md").read_text(encoding="utf-8").split("### Planned lessons", 1)[-1].split("\n#", 1)[0]
    planned = set(re.findall(r"^\|\s*(\d\d)\s*\|", section, flags=re.M))
    numbers = [lesson_number(p) for p in LESSONS]
    expected = [f"{n:02d}" for n in range(int(numbers[-1]) + 1) if f"{n:02d}" not in planned or f"{n:02d}" in numbers]
    assert numbers == expected, IDS


@pytest.mark.parametrize("path, kind", CASES, ids=[f"{p.stem}-{kind.replace(' ', '-')}" for p, kind in CASES])
def test_lesson_comes_with_its_files(path, kind):
    companion = _companion(path, kind)
    assert companion.is_file(), f"{path.name} has no {kind} {companion.relative_to(ROOT)}"
    if kind == "papermill test module":
        assert f'"{path.stem}"' in companion.read_text(encoding="utf-8"), \
            f"{companion.name} does not run {path.stem} (its stem appears nowhere in it)"
    if kind == "checks module":
        assert questions_for(path.stem), f"{companion.relative_to(ROOT)} registers no question for {path.stem}"


@pytest.mark.parametrize("kind", sorted(PER_LESSON_FILES), ids=lambda kind: kind.replace(" ", "-"))
def test_every_per_lesson_file_belongs_to_a_lesson(kind):
    template = PER_LESSON_FILES[kind]
    expected = {_companion(path, kind) for path in LESSONS}
    found = ROOT.glob(template.format(stem="*", number="[0-9][0-9]"))
    orphans = sorted(str(p.relative_to(ROOT)) for p in found if p not in expected)
    assert not orphans, f"no lesson in notebooks/ for {orphans}"


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_lesson_conventions(path):
    notebook = notebook_json(path)
    cells = notebook["cells"]
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    opening = _source(cells[0])
    assert cells[0]["cell_type"] == "markdown" and opening.startswith(f"# {path.stem[:2]} "), opening[:40]
    assert "Learning objectives" in opening and re.search(r"Estimated time", opening)
    markdown = "\n".join(_source(c) for c in cells if c["cell_type"] == "markdown")
    assert re.search(r"^## Setup", markdown, re.M) and re.search(r"^## Summary", markdown, re.M)
    parameters = [c for c in cells if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(parameters) == 1, "exactly one cell tagged parameters"
    assert re.search(r'^record_path\s*=\s*""', _source(parameters[0]), re.M)
    code = [c for c in cells if c["cell_type"] == "code" and _source(c).strip()]
    assert "record_results(record_path" in _source(code[-1]), "the last code cell records the lesson's values"


@pytest.mark.parametrize("path", LESSONS, ids=IDS)
def test_lesson_is_committed_executed_without_errors(path):
    cells = [c for c in notebook_json(path)["cells"] if c["cell_type"] == "code" and _source(c).strip()]
    counts = [c.get("execution_count") for c in cells]
    assert all(counts), "every code cell is executed"
    assert counts == list(range(1, len(counts) + 1)), "executed top to bottom in one run"
    for cell in cells:
        for output in cell.get("outputs", []):
            assert output["output_type"] != "error", _source(cell)[:80]
            assert not (output["output_type"] == "stream" and output["name"] == "stderr"), \
                f"stderr output in {path.name}: {output['text'][:200]}"
    text = path.read_text(encoding="utf-8")
    assert "site-packages" not in text and "/home/" not in text and "/root/" not in text
