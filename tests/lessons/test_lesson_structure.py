"""Every lesson keeps the course's conventions (CONTRIBUTING.md), checked on the committed files."""

import re

import pytest

from tests.conftest import ROOT, notebook_json

LESSONS = sorted((ROOT / "notebooks").glob("*.ipynb"))
EXPECTED = ["00_welcome_and_threat_model", "01_clean_training", "02_label_flip_poisoning",
            "03_testing_the_impact", "04_backdoor_triggers"]


def _source(cell):
    return "".join(cell.get("source", ""))


def test_the_first_lessons_are_all_there():
    stems = [p.stem for p in LESSONS]
    for stem in EXPECTED:
        assert stem in stems, f"notebooks/{stem}.ipynb is missing"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+", s) for s in stems), stems


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
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


@pytest.mark.parametrize("path", LESSONS, ids=[p.stem for p in LESSONS])
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
