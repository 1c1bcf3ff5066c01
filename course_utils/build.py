"""Headless execution of the course's notebooks.

* :func:`run_notebook` executes one notebook with papermill into a new file and
  returns its run time (used by ``make course``, the tests and the benchmarks).
* :func:`build_course` executes every lesson into a folder, converts each to
  HTML and writes an ``index.html`` with the lesson list and run times.
* :func:`execute_in_place` re-executes source notebooks so that their committed
  outputs are fresh (for authors: ``make notebooks``); it records no timings
  and drops widget state, so a re-run changes only what really changed.
* :func:`sync_scripts` keeps every notebook of ``notebooks/`` and ``solutions/``
  paired with a percent-format script in ``python_scripts/`` (``make scripts``),
  the text that people review, lint and search.
"""

from __future__ import annotations

import html
import json
import sys
import time
from pathlib import Path

from .notebook import kernel_manager_class
from .paths import PROJECT_ROOT

__all__ = ["KERNEL_NAME", "lesson_title", "run_notebook", "build_course", "execute_in_place",
           "PAIRED_FOLDERS", "SCRIPTS_FOLDER", "SCRIPT_FORMAT", "script_path_for", "notebook_path_for",
           "script_text", "sync_scripts"]

#: The one kernel name used everywhere (notebooks, nbval, papermill).
KERNEL_NAME = "python3"



def lesson_title(path):
    """The text of a notebook's first Markdown heading (its file name when it has none)."""
    notebook = json.loads(Path(path).read_text(encoding="utf-8"))
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for line in "".join(cell.get("source", "")).splitlines():
            if line.startswith("#"):
                return line.lstrip("#").strip()
    return Path(path).stem


#: Cells with this tag hold live widgets; headless runs leave them out (see run_notebook).
WIDGETS_TAG = "widgets"


def run_notebook(source, output, *, parameters=None, timeout=600, cwd=None, drop_widgets=True):
    """Execute ``source`` with papermill into ``output``; return the seconds it took.

    Cells tagged ``widgets`` (live playgrounds) are left out by default: headless
    runs of widget cells occasionally hang waiting for kernel messages
    (jupyter/nbclient#312), and each playground has a static twin cell that
    draws the same figure.

    Parameters
    ----------
    source, output : str or Path
        The notebook to run and where to write the executed copy (never the same file).
    parameters : dict, default=None
        Values injected after the cell tagged ``parameters``.
    timeout : int, default=600
        Seconds allowed per cell.
    cwd : str or Path, default=None
        Working folder of the kernel (default: the source notebook's folder).
    drop_widgets : bool, default=True
        Leave out cells tagged ``widgets``.

    Returns
    -------
    float
        Wall-clock seconds from kernel start to the last cell's end.
    """
    import nbformat
    import papermill

    source, output = Path(source), Path(output)
    if source.resolve() == output.resolve():
        raise ValueError("output must differ from source; papermill writes the executed copy there")
    if not isinstance(timeout, int) or timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
    output.parent.mkdir(parents=True, exist_ok=True)
    notebook = nbformat.read(str(source), as_version=4)
    if drop_widgets:
        notebook.cells = [c for c in notebook.cells if WIDGETS_TAG not in c.get("metadata", {}).get("tags", [])]
    started = time.perf_counter()
    papermill.execute_notebook(
        notebook, str(output), parameters=parameters or {}, kernel_name=KERNEL_NAME,
        cwd=str(cwd or source.parent), progress_bar=False, execution_timeout=timeout, log_output=False,
        kernel_manager_class=kernel_manager_class(),  # no start-up or shut-down noise on stderr
        # papermill rewrites the whole output notebook when each cell starts and ends, to show progress
        # on long runs; a lesson of 45 cells with figures spent about a second on those rewrites. The
        # executed copy is written once at the end, and on a failing cell before the error is raised.
        request_save_on_cell_execute=False,
    )
    return time.perf_counter() - started


def _html_page(notebook_path, html_path):
    import nbformat
    from nbconvert import HTMLExporter

    notebook = nbformat.read(str(notebook_path), as_version=4)
    body, _ = HTMLExporter().from_notebook_node(notebook)
    html_path.write_text(body, encoding="utf-8")


def _index_page(rows):
    items = []
    for row in rows:
        status = "ok" if row["ok"] else f"failed: {html.escape(row['error'])}"
        items.append(
            f"<tr><td>{html.escape(row['stem'][:2])}</td>"
            f"<td><a href=\"{html.escape(row['stem'])}.html\">{html.escape(row['title'])}</a></td>"
            f"<td>{row['seconds']:.1f} s</td><td>{status}</td>"
            f"<td><a href=\"{html.escape(row['stem'])}.ipynb\">notebook</a></td></tr>"
        )
    total = sum(row["seconds"] for row in rows)
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Training-data poisoning: the course</title>
<style>body{{font-family:sans-serif;max-width:56em;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}}</style></head>
<body><h1>Training-data poisoning: the course</h1>
<p>Every lesson executed headless, top to bottom. Run time is the lesson's execution on this machine
(kernel start included).</p>
<table><thead><tr><th>#</th><th>lesson</th><th>run time</th><th>status</th><th>executed notebook</th></tr></thead>
<tbody>
{chr(10).join(items)}
</tbody></table>
<p>{len(rows)} lessons, {total:.1f} s in all.</p>
</body></html>
"""


def build_course(notebooks=None, *, out="build", timeout=600):
    """Execute lessons headless into ``out`` with an HTML page each and ``index.html``.

    Parameters
    ----------
    notebooks : sequence of paths, default=None
        The lessons to build; ``None`` builds ``notebooks/*.ipynb``.
    out : str or Path, default="build"
    timeout : int, default=600
        Seconds allowed per cell.

    Returns
    -------
    int
        0 when every lesson ran, 1 otherwise (the index still lists them all).
    """
    out = Path(out)
    paths = [Path(p) for p in notebooks] if notebooks else sorted((PROJECT_ROOT / "notebooks").glob("*.ipynb"))
    if not paths:
        print("no notebooks to build", file=sys.stderr)
        return 1
    out.mkdir(parents=True, exist_ok=True)
    rows = []
    for path in paths:
        executed = out / path.name
        row = {"stem": path.stem, "title": lesson_title(path), "ok": True, "error": "", "seconds": 0.0}
        started = time.perf_counter()
        try:
            run_notebook(path, executed, timeout=timeout)
        except Exception as error:  # a failed lesson is reported in the index, the build goes on
            row.update(ok=False, error=f"{type(error).__name__}: {str(error).strip().splitlines()[-1:]}")
        row["seconds"] = time.perf_counter() - started
        if executed.exists():
            _html_page(executed, out / f"{path.stem}.html")
        rows.append(row)
        print(f"{path.name}: {'ok' if row['ok'] else 'FAILED'} in {row['seconds']:.1f} s", flush=True)
    (out / "index.html").write_text(_index_page(rows), encoding="utf-8")
    print(f"wrote {out / 'index.html'}")
    return 0 if all(row["ok"] for row in rows) else 1


def execute_in_place(notebooks, *, timeout=600):
    """Re-execute source notebooks and save them with fresh outputs.

    Parameters
    ----------
    notebooks : sequence of paths
    timeout : int, default=600
        Seconds allowed per cell.

    Returns
    -------
    int
        0 on success; the first failing notebook raises.
    """
    import nbformat
    from nbclient import NotebookClient

    for path in map(Path, notebooks):
        notebook = nbformat.read(str(path), as_version=4)
        notebook.metadata["kernelspec"] = {"name": KERNEL_NAME, "display_name": "Python 3", "language": "python"}
        client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNEL_NAME, record_timing=False,
                                resources={"metadata": {"path": str(path.parent)}},
                                kernel_manager_class=kernel_manager_class())
        started = time.perf_counter()
        client.execute()
        notebook.metadata.pop("widgets", None)  # live widget state differs on every run
        nbformat.validate(notebook)
        nbformat.write(notebook, str(path))
        print(f"{path}: executed in {time.perf_counter() - started:.1f} s", flush=True)
    return 0


#: The folders whose notebooks each have a paired script.
PAIRED_FOLDERS = ("notebooks", "solutions")
#: Where the scripts live: outside the notebook folders, so that JupyterLab's file browser on
#: ``notebooks/`` shows learners only notebooks (``python_scripts/notebooks/NN_name.py``).
SCRIPTS_FOLDER = "python_scripts"
#: jupytext's percent format: ``# %%`` cell markers, Markdown cells as comments, cell tags on the marker line.
SCRIPT_FORMAT = "py:percent"


def script_path_for(notebook):
    """``notebooks/NN_name.ipynb`` -> ``python_scripts/notebooks/NN_name.py`` (likewise for ``solutions/``)."""
    notebook = Path(notebook)
    return notebook.parent.parent / SCRIPTS_FOLDER / notebook.parent.name / f"{notebook.stem}.py"


def notebook_path_for(script):
    """``python_scripts/notebooks/NN_name.py`` -> ``notebooks/NN_name.ipynb``; the inverse of script_path_for."""
    script = Path(script)
    return script.parent.parent.parent / script.parent.name / f"{script.stem}.ipynb"


def _jupytext_config(notebook):
    """The course's jupytext settings (``[tool.jupytext]`` in pyproject.toml), found as jupytext finds them.

    Without them jupytext would keep volatile metadata in the scripts, so a missing
    configuration is an error rather than a silent fallback.
    """
    from jupytext.config import find_jupytext_configuration_file, load_jupytext_configuration_file

    found = find_jupytext_configuration_file(Path(notebook).resolve().parent)
    config = load_jupytext_configuration_file(found) if found else None
    if config is None or not config.cell_metadata_filter:
        raise FileNotFoundError(f"no jupytext configuration with metadata filters above {notebook}; "
                                "the course keeps it in pyproject.toml under [tool.jupytext]")
    return config


def script_text(notebook):
    """The script jupytext writes for ``notebook`` as it is on disk (inputs, tags; no outputs)."""
    import jupytext
    import nbformat

    notebook = Path(notebook)
    node = nbformat.read(str(notebook), as_version=4)
    return jupytext.writes(node, SCRIPT_FORMAT, config=_jupytext_config(notebook))


def _write_text(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as stream:  # the same bytes on every platform
        stream.write(text)


def _notebook_from_script(script, notebook):
    """The notebook with the inputs and tags of ``script`` and the outputs of ``notebook`` where cells match.

    A new script (``notebook`` absent) gives a notebook without outputs. Cells that
    jupytext cannot match to an old one get a fresh id, as JupyterLab gives a new cell.
    """
    import jupytext
    import nbformat
    from jupytext.combine import combine_inputs_with_outputs

    config = _jupytext_config(notebook)
    combined = jupytext.read(str(script), fmt=SCRIPT_FORMAT, config=config)
    if notebook.exists():
        outputs = nbformat.read(str(notebook), as_version=4)
        combined = combine_inputs_with_outputs(combined, outputs, fmt=SCRIPT_FORMAT)
    combined = nbformat.from_dict(combined)
    combined.metadata.pop("jupytext", None)  # the filters live in pyproject.toml, not in each notebook
    if combined.nbformat_minor >= 5:  # cell ids exist from nbformat 4.5 on
        for cell in combined.cells:
            cell.setdefault("id", nbformat.v4.new_code_cell().id)
    nbformat.validate(combined)
    return combined


def _paired_notebooks(root):
    """Every notebook of the paired folders, and the notebook path of every script that has none yet."""
    notebooks = set()
    for folder in PAIRED_FOLDERS:
        notebooks.update((root / folder).glob("*.ipynb"))
        notebooks.update(notebook_path_for(s) for s in (root / SCRIPTS_FOLDER / folder).glob("*.py"))
    return sorted(notebooks)


def sync_scripts(root=None, *, source="newer", check_only=False):
    """Bring every notebook and its script into step; return what was (or would be) written.

    A pair whose script is what jupytext writes for the notebook is left alone,
    whatever the files' modification times (they are arbitrary in a fresh clone).
    For a pair that differs, ``source`` says which side wins:

    * ``"newer"`` (default): the file modified last, as ``jupytext --sync`` does;
      an author has just edited one of the two;
    * ``"notebooks"``: the script is rewritten from the notebook;
    * ``"scripts"``: the notebook takes the script's cells and tags and keeps
      the outputs of the cells that match (re-execute it afterwards); the script
      is then rewritten as jupytext spells it.

    A notebook without a script gets one; a script without a notebook gets a new,
    unexecuted notebook (a lesson can be started as a script).

    Parameters
    ----------
    root : str or Path, default=None
        The course folder (default: the one this package lives in).
    source : {"newer", "notebooks", "scripts"}, default="newer"
    check_only : bool, default=False
        Write nothing; only report the pairs out of step.

    Returns
    -------
    list of (Path, Path)
        ``(written, origin)`` for each pair out of step: the file that was (or
        would be) written and the file it was written from.
    """
    import nbformat

    if source not in ("newer", "notebooks", "scripts"):
        raise ValueError(f"source must be 'newer', 'notebooks' or 'scripts', got {source!r}")
    root = Path(root) if root is not None else PROJECT_ROOT
    written = []
    for notebook in _paired_notebooks(root):
        script = script_path_for(notebook)
        if not notebook.exists():
            from_script = True
        elif not script.exists():
            from_script = False
        elif script.read_text(encoding="utf-8") == script_text(notebook):
            continue
        elif source == "newer":
            from_script = script.stat().st_mtime > notebook.stat().st_mtime
        else:
            from_script = source == "scripts"
        written.append((notebook, script) if from_script else (script, notebook))
        if check_only:
            continue
        if from_script:
            notebook.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(_notebook_from_script(script, notebook), str(notebook))
        _write_text(script, script_text(notebook))  # after a script edit too: jupytext's own spelling of it
    return written
