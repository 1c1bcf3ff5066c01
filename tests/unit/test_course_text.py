"""What the course says about itself is true of the course.

* Every lesson a text names ("lesson 06", "lessons 09, 10", "lessons 06 to 13") exists in
  ``notebooks/``, or is in the README's table of planned lessons and the sentence says "planned".
  The README's table is the one list of planned lessons; a planned lesson that now exists must
  leave it.
* No text speaks of how the course was made (issues, earlier versions, unfinished promises such as
  "coming with the exercises"); the course speaks to learners about its subject.

The texts are everything a learner or an instructor reads: the README and CONTRIBUTING, every
notebook (cell sources and text outputs), the lesson scripts, and the package's docstrings and
messages.
"""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import LESSONS, ROOT, lesson_number

EXISTING = {lesson_number(path) for path in LESSONS}
README = (ROOT / "README.md").read_text(encoding="utf-8")
# "lesson 06", "Lessons 06 to 13", "lessons 09, 10", "lessons 02 and 04"
MENTION = re.compile(r"\b[Ll]essons?\s+(\d\d)((?:\s*(?:,|and|or|to|-|–)\s*\d\d)*)")
# How far around a mention "planned" may stand: the same sentence, as a rule.
WINDOW = 160
MAKING_OF = [r"\bthe issue\b", r"\bissue #?\d+", r"\ban earlier version of\b", r"\bcoming with the exercises\b",
             r"\bthis session\b", r"\bpull request\b", r"\bTODO\b", r"\bFIXME\b"]


def planned_lessons():
    """The lesson numbers in the README's "Planned lessons" table."""
    section = README.split("### Planned lessons", 1)[1].split("\n#", 1)[0]
    return {match.group(1) for match in re.finditer(r"^\|\s*(\d\d)\s*\|", section, flags=re.M)}


def _texts():
    paths = [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
    for folder in ("notebooks", "solutions", "exercises"):
        paths += sorted((ROOT / folder).glob("*.ipynb"))
    paths += sorted((ROOT / "python_scripts").rglob("*.py")) + sorted((ROOT / "course_utils").rglob("*.py"))
    paths += sorted((ROOT / "benchmarks").glob("*.py"))
    for path in paths:
        if path.suffix == ".ipynb":
            for number, cell in enumerate(json.loads(path.read_text(encoding="utf-8"))["cells"]):
                parts = ["".join(cell.get("source", ""))]
                for output in cell.get("outputs", []):
                    parts.append("".join(output.get("text", "")))
                    parts.append("".join(output.get("data", {}).get("text/plain", "")))
                yield f"{path.relative_to(ROOT)} cell {number}", "\n".join(parts)
        else:
            yield str(path.relative_to(ROOT)), path.read_text(encoding="utf-8")


TEXTS = dict(_texts())


def _numbers(match):
    first, rest = match.group(1), match.group(2)
    numbers = [first] + re.findall(r"\d\d", rest)
    if re.search(r"\bto\b|-|–", rest) and len(numbers) == 2:
        numbers = [f"{n:02d}" for n in range(int(numbers[0]), int(numbers[1]) + 1)]
    return numbers


def test_the_readme_lists_the_planned_lessons_and_none_of_them_exists():
    planned = planned_lessons()
    assert planned, "the README has no table of planned lessons"
    assert not planned & EXISTING, f"lessons {sorted(planned & EXISTING)} exist: remove them from the planned table"


@pytest.mark.parametrize("where", sorted(TEXTS))
def test_every_lesson_named_exists_or_is_said_to_be_planned(where):
    text, planned, problems = TEXTS[where], planned_lessons(), []
    for match in MENTION.finditer(text):
        missing = [n for n in _numbers(match) if n not in EXISTING]
        if not missing:
            continue
        around = text[max(0, match.start() - WINDOW):match.end() + WINDOW]
        unknown = [n for n in missing if n not in planned]
        if unknown:
            problems.append(f"{match.group(0)!r} names lesson(s) {unknown}, which neither exist nor are planned")
        elif "planned" not in around.lower():
            problems.append(f"{match.group(0)!r} names planned lesson(s) {missing} without saying they are planned")
    assert not problems, problems


@pytest.mark.parametrize("where", sorted(TEXTS))
def test_no_text_speaks_of_how_the_course_was_made(where):
    if where.startswith("tests/"):
        pytest.skip("tests may speak of anything")
    found = [pattern for pattern in MAKING_OF if re.search(pattern, TEXTS[where], flags=re.I)]
    assert not found, f"{where}: {found}"


def test_the_mention_pattern_reads_lists_and_ranges():
    assert _numbers(MENTION.search("Lessons 06 to 09 will")) == ["06", "07", "08", "09"]
    assert _numbers(MENTION.search("see lessons 09, 10 and 11")) == ["09", "10", "11"]
    assert _numbers(MENTION.search("lesson 03 shows")) == ["03"]
