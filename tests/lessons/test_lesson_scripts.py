"""Every notebook of notebooks/ and solutions/ has its percent-format script in python_scripts/, in step.

The scripts are what people review, lint and search; the notebooks are what learners open. The pair
is compared by content (modification times are arbitrary in a fresh clone), against what jupytext
itself writes for the committed notebook with the course's settings (``[tool.jupytext]`` in
pyproject.toml). Scratch copies of a lesson check that the comparison and the sync command really
catch and repair a pair out of step.
"""

import difflib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
import pytest
from jupytext.config import load_jupytext_config

from tests.conftest import ROOT

PAIRED_FOLDERS = ("notebooks", "solutions")
SCRIPTS = "python_scripts"
FIX = "run `make scripts` (or `make notebooks`) and commit the notebook and its script"
NOTEBOOKS = sorted(p for folder in PAIRED_FOLDERS for p in (ROOT / folder).glob("*.ipynb"))
LESSON = ROOT / "notebooks" / "02_label_flip_poisoning.ipynb"  # has both a parameters and a widgets cell
SOLUTION = ROOT / "solutions" / "02_label_flip_poisoning_sol.ipynb"  # has notebook metadata of its own


def _script_for(notebook):
    """The documented layout: notebooks/NN_name.ipynb -> python_scripts/notebooks/NN_name.py."""
    return notebook.parent.parent / SCRIPTS / notebook.parent.name / f"{notebook.stem}.py"


def _jupytext_script(notebook):
    """What jupytext writes for the notebook, with the configuration it finds for it (as its CLI does)."""
    config = load_jupytext_config(str(notebook))
    assert config is not None, f"jupytext finds no configuration for {notebook}"
    return jupytext.writes(nbformat.read(str(notebook), as_version=4), "py:percent", config=config)


def _out_of_step(notebook, root):
    """Why the notebook and its script are out of step (with the first differing lines), or None."""
    script = _script_for(notebook)
    name = script.relative_to(root)
    if not script.exists():
        return f"{notebook.relative_to(root)} has no script {name}: {FIX}"
    expected = _jupytext_script(notebook)
    actual = script.read_text(encoding="utf-8")
    if actual == expected:
        return None
    diff = difflib.unified_diff(actual.splitlines(), expected.splitlines(), lineterm="", n=1,
                                fromfile=f"{name} (committed)",
                                tofile=f"{name} (as jupytext writes it for {notebook.relative_to(root)})")
    first_lines = "\n".join(list(diff)[:12])
    return f"{name} is out of step with {notebook.relative_to(root)}: {FIX}\n{first_lines}"


def _unpaired(root):
    """A message for each notebook without its script and each script without its notebook."""
    problems = []
    for folder in PAIRED_FOLDERS:
        notebooks = sorted((root / folder).glob("*.ipynb"))
        scripts = sorted((root / SCRIPTS / folder).glob("*.py"))
        problems += [f"{n.relative_to(root)} has no script {_script_for(n).relative_to(root)}: {FIX}"
                     for n in notebooks if not _script_for(n).exists()]
        problems += [f"{s.relative_to(root)} has no notebook {folder}/{s.stem}.ipynb: delete the script, "
                     f"or {FIX} (it creates the notebook)"
                     for s in sorted(set(scripts) - {_script_for(n) for n in notebooks})]
    return problems


def _pair_problems(root):
    """Every pair out of step under ``root``: a missing script, an orphan script, a stale script."""
    notebooks = sorted(p for folder in PAIRED_FOLDERS for p in (root / folder).glob("*.ipynb"))
    stale = [_out_of_step(n, root) for n in notebooks if _script_for(n).exists()]
    return _unpaired(root) + [p for p in stale if p]


def _scratch_course(tmp_path, *notebooks):
    """A course folder holding the course's settings and the given notebooks with their committed scripts."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    for notebook in notebooks:
        for source in (notebook, _script_for(notebook)):
            target = tmp_path / source.relative_to(ROOT)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
    return tmp_path


def _tags(notebook):
    return [cell.metadata.get("tags", []) for cell in notebook.cells]


def test_every_notebook_has_a_script_and_every_script_a_notebook():
    assert len(NOTEBOOKS) >= 10, "the lessons and the solutions"
    problems = _unpaired(ROOT)
    assert not problems, "\n".join(problems)
    assert not list((ROOT / "notebooks").glob("*.py")), "no scripts in notebooks/: learners see only notebooks"


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS])
def test_script_is_what_jupytext_writes_for_its_notebook(notebook):
    problem = _out_of_step(notebook, ROOT)
    assert problem is None, problem


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[f"{p.parent.name}/{p.stem}" for p in NOTEBOOKS])
def test_script_keeps_cells_and_tags_and_no_volatile_metadata(notebook):
    script = _script_for(notebook)
    assert script.exists(), f"{notebook.name} has no script: {FIX}"
    text = script.read_text(encoding="utf-8")
    committed = nbformat.read(str(notebook), as_version=4)
    back = jupytext.reads(text, "py:percent", config=load_jupytext_config(str(notebook)))
    assert [(c.cell_type, c.source) for c in back.cells] == [(c.cell_type, c.source) for c in committed.cells]
    assert _tags(back) == _tags(committed), "a script edit synced back must keep the cell tags"
    assert back.metadata["kernelspec"] == committed.metadata["kernelspec"]
    assert back.metadata.get("course") == committed.metadata.get("course")
    assert "language_info" in committed.metadata  # so that the next line checks a real filter
    header = text[: text.index("# %%")]
    assert "language_info" not in header and "jupytext" not in header, "the Python and jupytext versions stay out"
    assert all(set(c.metadata) <= {"tags"} for c in back.cells), "cells keep their tags and nothing else"


def test_lesson_scripts_carry_the_parameters_and_widgets_tags():
    lessons = [p for p in NOTEBOOKS if p.parent.name == "notebooks"]
    texts = [_script_for(p).read_text(encoding="utf-8") for p in lessons if _script_for(p).exists()]
    assert texts and len(texts) == len(lessons), FIX
    assert all('# %% tags=["parameters"]' in t for t in texts)
    assert any('# %% tags=["widgets"]' in t for t in texts)


def test_a_notebook_edited_after_its_script_is_caught(tmp_path):
    root = _scratch_course(tmp_path, LESSON)
    assert _pair_problems(root) == []
    notebook_path = root / "notebooks" / LESSON.name
    notebook = nbformat.read(str(notebook_path), as_version=4)
    cell = next(c for c in notebook.cells if c.cell_type == "code" and "parameters" in c.metadata.get("tags", []))
    cell.source += "\nextra_budget = 0.5"
    nbformat.write(notebook, str(notebook_path))
    [problem] = _pair_problems(root)
    assert problem.startswith("python_scripts/notebooks/02_label_flip_poisoning.py is out of step")
    assert "make scripts" in problem and "+extra_budget = 0.5" in problem


def test_a_missing_script_and_a_script_without_notebook_are_caught(tmp_path):
    root = _scratch_course(tmp_path, LESSON, SOLUTION)
    _script_for(root / "solutions" / SOLUTION.name).unlink()
    orphan = root / SCRIPTS / "notebooks" / "99_draft.py"
    orphan.write_text("# %%\nprint('draft')\n", encoding="utf-8")
    problems = _pair_problems(root)
    assert len(problems) == 2
    assert any(p.startswith("python_scripts/notebooks/99_draft.py has no notebook") for p in problems)
    assert any(p.startswith("solutions/02_label_flip_poisoning_sol.ipynb has no script") for p in problems)


def test_sync_brings_an_edited_script_into_its_notebook_keeping_outputs_and_tags(tmp_path):
    from course_utils.build import sync_scripts

    root = _scratch_course(tmp_path, LESSON)
    notebook_path, script = root / "notebooks" / LESSON.name, root / SCRIPTS / "notebooks" / f"{LESSON.stem}.py"
    before = nbformat.read(str(notebook_path), as_version=4)
    text = script.read_text(encoding="utf-8")
    assert text.count("# %% [markdown]\n# ## Setup\n") == 1 and text.count('# %% tags=["widgets"]\n') == 1
    edited = text.replace("# %% [markdown]\n# ## Setup\n", "# %% [markdown]\n# ## Setup, edited\n")
    edited = edited.replace('# %% tags=["widgets"]\n', '# %% tags=["widgets", "nbval-skip"]\n')
    script.write_text(edited, encoding="utf-8")
    os.utime(notebook_path, (1_000_000_000, 1_000_000_000))
    os.utime(script, (1_000_000_100, 1_000_000_100))  # the author edited the script last

    assert sync_scripts(root) == [(notebook_path, script)]
    after = nbformat.read(str(notebook_path), as_version=4)
    assert [c.source for c in after.cells] == [("## Setup, edited" if c.source == "## Setup" else c.source)
                                               for c in before.cells]
    assert _tags(after) == [(["widgets", "nbval-skip"] if t == ["widgets"] else t) for t in _tags(before)]
    assert ["parameters"] in _tags(after)
    code_before = [c for c in before.cells if c.cell_type == "code"]
    code_after = [c for c in after.cells if c.cell_type == "code"]
    assert [(c.id, c.outputs, c.execution_count) for c in code_after] == \
        [(c.id, c.outputs, c.execution_count) for c in code_before], "the code did not change: outputs kept"
    assert after.metadata == before.metadata, "language_info and the rest stay as they were"
    assert script.read_text(encoding="utf-8") == edited
    assert _pair_problems(root) == [] and sync_scripts(root) == []


def test_sync_rewrites_the_script_of_an_edited_notebook_and_leaves_a_pair_in_step_alone(tmp_path):
    from course_utils.build import sync_scripts

    root = _scratch_course(tmp_path, LESSON, SOLUTION)
    notebook_path, script = root / "notebooks" / LESSON.name, root / SCRIPTS / "notebooks" / f"{LESSON.stem}.py"
    solution_files = [root / "solutions" / SOLUTION.name, root / SCRIPTS / "solutions" / f"{SOLUTION.stem}.py"]
    # The solution's pair is in step but its script is the newer file, as a fresh clone may have it.
    os.utime(solution_files[0], (1_000_000_000, 1_000_000_000))
    os.utime(solution_files[1], (1_000_000_100, 1_000_000_100))
    solution_bytes = [p.read_bytes() for p in solution_files]
    notebook = nbformat.read(str(notebook_path), as_version=4)
    notebook.cells[0].source += "\n\nA sentence added in JupyterLab."
    nbformat.write(notebook, str(notebook_path))
    os.utime(script, (1_000_000_000, 1_000_000_000))
    os.utime(notebook_path, (1_000_000_100, 1_000_000_100))  # the author edited the notebook last

    pair_bytes = [notebook_path.read_bytes(), script.read_bytes()]
    assert sync_scripts(root, check_only=True) == [(script, notebook_path)]
    assert [notebook_path.read_bytes(), script.read_bytes()] == pair_bytes, "check_only writes nothing"
    assert sync_scripts(root) == [(script, notebook_path)]
    assert "# A sentence added in JupyterLab." in script.read_text(encoding="utf-8")
    assert [p.read_bytes() for p in solution_files] == solution_bytes
    assert _pair_problems(root) == []


def test_sync_starts_a_notebook_from_a_new_script(tmp_path):
    from course_utils.build import sync_scripts

    root = _scratch_course(tmp_path, LESSON)
    script = root / SCRIPTS / "notebooks" / "99_draft.py"
    script.write_text('# %% [markdown]\n# # 99 · Draft\n\n# %% tags=["parameters"]\nseed = 0\n\n# %%\nprint(seed)\n',
                      encoding="utf-8")
    notebook_path = root / "notebooks" / "99_draft.ipynb"
    assert sync_scripts(root) == [(notebook_path, script)]
    notebook = nbformat.read(str(notebook_path), as_version=4)
    nbformat.validate(notebook)
    assert [c.cell_type for c in notebook.cells] == ["markdown", "code", "code"]
    assert _tags(notebook) == [[], ["parameters"], []]
    assert _pair_problems(root) == []


def test_scripts_command_checks_the_committed_pairs_without_writing():
    result = subprocess.run([sys.executable, "-m", "course_utils", "scripts", "--check"], cwd=ROOT,
                            env=dict(os.environ, PYTHONPATH=str(ROOT)), capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "every notebook and its script are in step"


def test_saving_a_notebook_in_jupyterlab_writes_no_paired_file(tmp_path):
    # JupyterLab saves through jupytext's contents manager (jupytext is installed); with a global
    # `formats` pairing it would also write a script, in notebooks/ or over python_scripts/.
    from jupytext import TextFileContentsManager

    def files():  # JupyterLab's own checkpoints aside (git ignores them)
        return sorted(p.relative_to(root) for p in root.rglob("*")
                      if p.is_file() and ".ipynb_checkpoints" not in p.parts)

    root = _scratch_course(tmp_path, LESSON)
    before = files()
    manager = TextFileContentsManager(root_dir=str(root))
    model = manager.get(f"notebooks/{LESSON.name}")
    model["content"].cells[0].source += "\n\nA learner's note."
    manager.save(model, f"notebooks/{LESSON.name}")
    assert files() == before
    saved = json.loads((root / "notebooks" / LESSON.name).read_text(encoding="utf-8"))
    assert saved["cells"][0]["source"][-1] == "A learner's note."
    assert "jupytext" not in saved["metadata"]
    assert (root / SCRIPTS / "notebooks" / f"{LESSON.stem}.py").read_bytes() == _script_for(LESSON).read_bytes()


def _ruff():
    """The ruff command of this environment, or None."""
    found = shutil.which("ruff", path=str(Path(sys.executable).parent)) or shutil.which("ruff")
    return [found] if found else None


def test_ruff_passes_on_the_package_and_the_scripts():
    ruff = _ruff()
    if ruff is None:
        pytest.skip("ruff is not installed (it is in the test extra: pip install -e '.[test]')")
    listed = subprocess.run([*ruff, "check", "--no-cache", "--show-files"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    files = {Path(line.strip()).resolve().relative_to(ROOT).as_posix() for line in listed.stdout.splitlines()
             if line.strip().endswith(".py")}
    wanted = {p.relative_to(ROOT).as_posix()
              for folder in ("course_utils", SCRIPTS) for p in (ROOT / folder).rglob("*.py")}
    assert "course_utils/cli.py" in wanted and f"{SCRIPTS}/notebooks/{LESSON.stem}.py" in wanted
    assert wanted <= files, f"ruff's configuration leaves out {sorted(wanted - files)}"
    result = subprocess.run([*ruff, "check", "--no-cache", "--output-format", "concise"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"`make lint` finds:\n{result.stdout}{result.stderr}"
