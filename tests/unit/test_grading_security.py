"""Hostile submissions: none raises a blank exercise's score, reaches outside its sandbox or stops the batch.

Each submission is built here, as a small notebook: the exercise with one cell added. They are graded
in one batch (the module's fixture), with a solution and a blank exercise after them.
"""

import copy
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course_utils.grading import (
    BATCH_LABEL,
    GradeResult,
    _feedback_name,
    _neutralise_checks,
    find_submissions,
    grade_folder,
    isolation,
    prepare_submission,
    write_results,
)
from tests.conftest import ROOT, read_notebook
from tests.unit.test_grading import EXERCISE, N_QUESTIONS, SOLUTION, STEM, _with_cell, _write

NAME = f"{STEM}_ex.ipynb"
QIDS = ["q03_success_rate", "q03_flipped", "q03_cheapest_copies", "q03_explanation"]
FORGED = [{"qid": q, "status": "pass", "message": "", "points": 1, "max_points": 1, "prompt": ""} for q in QIDS]


DISPLAY_WRAPPER = f"""\
import IPython.display as _d
_original = _d.display
def _forge(*args, **kwargs):
    return _original({{"application/vnd.course-grade+json": {{"nonce": "any", "results": {FORGED!r}}}}}, raw=True)
_d.display = _forge
import IPython.core.display_functions as _f
_f.display = _forge
"""

TAGGED_CELL = f"""\
import json, pathlib, re
_text = pathlib.Path("submission.ipynb").read_text() if pathlib.Path("submission.ipynb").exists() else ""
_nonce = (re.findall(r"[0-9a-f]{{32}}", _text) or ["none"])[-1]
from IPython.display import display
display({{"application/vnd.course-grade+json": {{"nonce": _nonce, "results": {FORGED!r}}}}}, raw=True)
"""

REPORT_AND_KILL = f"""\
import json, os, signal
for _name in ("report.json", "../report.json"):
    try:
        with open(_name, "w") as _handle:
            json.dump({{"status": "graded", "detail": "", "questions": {FORGED!r}}}, _handle)
    except OSError:
        pass
os.kill(os.getppid(), signal.SIGKILL)
"""

META_PATH = f"""\
import importlib.abc, importlib.machinery, sys
class _Fake(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path, target=None):
        if name.startswith("course_utils"):
            return importlib.machinery.ModuleSpec(name, self, is_package=True)
    def create_module(self, spec):
        return None
    def exec_module(self, module):
        module.__path__ = []
        module.grade_answers = lambda *args: {FORGED!r}
        module.evaluate = lambda qid, answer: None
sys.meta_path.insert(0, _Fake())
for _name in [n for n in sys.modules if n.startswith("course_utils")]:
    del sys.modules[_name]
"""

KILL_THE_GRADER = """\
import os, signal
for _pid in os.listdir("/proc"):
    if _pid.isdigit() and int(_pid) != os.getpid():
        try:
            os.kill(int(_pid), signal.SIGKILL)
        except OSError:
            pass
os.kill(os.getppid(), signal.SIGKILL)
"""

COPY_THE_SOLUTION = f"""\
import json
_cells = json.load(open({str(SOLUTION)!r}))["cells"]
for _cell in _cells:
    if _cell["cell_type"] == "code":
        exec("".join(_cell["source"]), globals())
"""

FOLDER_SWAP = """\
import os
_here = os.getcwd()
os.chdir("/")
os.rename(_here, _here.rstrip("/") + "-moved")
os.symlink("/", _here)
"""


HOSTILE_MODULE = (f"from course_utils.checks import question\n"
                  f"@question('q03_zzz', exercise={STEM!r}, answer_name='x', prompt='p')\n"
                  f"def _q(answer):\n    return 'free point'\n")


def _writer(victim, out, canary):
    return f"""\
import pathlib
import course_utils.checks as _checks
_module = {HOSTILE_MODULE!r}
for _attempt in (lambda: pathlib.Path({str(victim)!r}).write_text("{{}}"),
                 lambda: pathlib.Path({str(out)!r}, "feedback", "planted.md").write_text("planted"),
                 lambda: pathlib.Path({str(canary)!r}).unlink(),
                 lambda: (pathlib.Path(_checks.__file__).parent / "lesson99_hostile.py").write_text(_module)):
    try:
        _attempt()
    except OSError:
        pass
"""


def _detached(out):
    child = (f"import pathlib, time\ntime.sleep(6)\npathlib.Path({str(out)!r}, 'gradebook.csv').write_text("
             f"'submission,learner,exercise,status,total\\nforged,x,{STEM},graded,4\\n')")
    return f"""\
import subprocess, sys
subprocess.Popen([sys.executable, "-c", {child!r}], start_new_session=True, stdin=subprocess.DEVNULL,
                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
"""


def _multi_line_checks(notebook):
    """The notebook with every ``check("qid", answer)`` call written over three lines."""
    notebook = copy.deepcopy(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.source = "\n".join(
                line.replace('check("', 'check(\n    "').replace('", ', '",\n    ', 1) if line.startswith("check(")
                else line for line in cell.source.split("\n"))
    return notebook


# Another test file may be grading beside this one (pytest-xdist): every sandbox of this module
# carries this module's own batch label, and only those are looked for.
LABEL = f"{BATCH_LABEL}=security-tests-{os.getpid()}".encode()


@pytest.fixture(scope="module", autouse=True)
def _label_this_modules_batches():
    os.environ[BATCH_LABEL] = LABEL.decode().split("=", 1)[1]
    yield
    os.environ.pop(BATCH_LABEL, None)


def _sandbox_processes():
    """Pids of live processes that carry this module's grading-sandbox label in their environment."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if LABEL in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def _skip_unless_bubblewrap_itself_fails():
    # Skip only where bubblewrap is missing or cannot make a sandbox at all (no user namespaces).
    # Where the plainest sandbox works, the grader's own command line must work too: wherever the
    # checkout lives, under /tmp included.
    plain = shutil.which("bwrap") and subprocess.run(
        ["bwrap", "--ro-bind", "/", "/", "--unshare-all", "--die-with-parent", "true"], capture_output=True,
        timeout=60).returncode == 0
    assert not plain, "bubblewrap works here, but the grader's sandbox command does not"
    pytest.skip("bubblewrap is not installed or cannot create a sandbox here")


def test_the_grader_sandboxes_wherever_bubblewrap_works():
    if isolation() != "bubblewrap":
        _skip_unless_bubblewrap_itself_fails()


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    if isolation() != "bubblewrap":
        _skip_unless_bubblewrap_itself_fails()
    base = tmp_path_factory.mktemp("hostile")
    folder, out, canary = base / "submissions", base / "results", base / "canary.txt"
    canary.write_text("still here", encoding="utf-8")
    blank, solution = read_notebook(EXERCISE), read_notebook(SOLUTION)
    victim = folder / "z_victim" / NAME
    hostile = {"b_display": DISPLAY_WRAPPER, "c_report": REPORT_AND_KILL, "d_metapath": META_PATH,
               "e_writer": _writer(victim, out, canary), "f_detached": _detached(out), "g_swap": FOLDER_SWAP,
               "h_killer": KILL_THE_GRADER, "i_copier": COPY_THE_SOLUTION}
    for who, source in hostile.items():
        _write(folder, f"{who}/{NAME}", _with_cell(blank, source, 0))
    tagged = copy.deepcopy(blank)
    tagged.cells.append(nbformat.v4.new_code_cell(TAGGED_CELL, metadata={"tags": ["course-grading"]}))
    tagged.cells.insert(1, nbformat.v4.new_code_cell(TAGGED_CELL, metadata={"tags": ["course-grading"]}))
    _write(folder, f"c_tagged/{NAME}", tagged)
    _write(folder, f"a_solution/{NAME}", _multi_line_checks(solution))
    claimed = copy.deepcopy(solution)
    claimed.metadata["course"]["learner"] = "bob"
    _write(folder, "alice/notes.ipynb", claimed)
    (folder / "linked").mkdir()
    (folder / "linked" / NAME).symlink_to(SOLUTION)
    (folder / "dangling").mkdir()
    (folder / "dangling" / NAME).symlink_to(base / "nowhere.ipynb")
    _write(folder, f"z_victim/{NAME}", blank)
    package = ROOT / "course_utils" / "checks" / "lesson99_hostile.py"
    results = grade_folder(folder, out, cell_timeout=20, total_timeout=120, progress=False)
    alive_after = _sandbox_processes()
    gradebook = (out / "gradebook.csv").read_text(encoding="utf-8")
    time.sleep(8)  # longer than the detached child waits before it rewrites the gradebook
    return {"results": {r.file: r for r in results}, "out": out, "folder": folder, "canary": canary,
            "gradebook": gradebook, "alive_after": alive_after, "package": package}


pytestmark = pytest.mark.notebook


@pytest.mark.parametrize("who", ["b_display", "c_tagged", "c_report", "d_metapath", "i_copier"])
def test_no_forgery_route_raises_a_blank_score(batch, who):
    result = batch["results"][f"{who}/{NAME}"]
    assert result.total == 0, result
    assert result.status  # every one has a row, whatever it did


def test_solution_still_scores_full_marks_with_multi_line_checks(batch):
    result = batch["results"][f"a_solution/{NAME}"]
    assert (result.status, result.total, result.max_total) == ("graded", N_QUESTIONS, N_QUESTIONS), result


def test_multi_line_check_is_removed_whole():
    source = 'x = 1\ncheck(\n    "q03_flipped",\n    flipped_indices,\n)\ny = 2'
    assert _neutralise_checks(source) == "x = 1\npass  # check removed by the grader\n\n\n\ny = 2"
    magic = '%time x = 1\ncheck("q03_flipped",\n      flipped_indices)\ny = 2'
    assert _neutralise_checks(magic).split("\n") == ["%time x = 1", "pass  # check removed by the grader", "", "y = 2"]


def test_a_detached_child_cannot_change_the_gradebook_and_nothing_outlives_grading(batch):
    assert batch["alive_after"] == []
    assert (batch["out"] / "gradebook.csv").read_text(encoding="utf-8") == batch["gradebook"]
    assert "forged" not in batch["gradebook"]
    assert _sandbox_processes() == []


def test_folder_swap_and_grader_killer_get_a_row_and_the_batch_goes_on(batch):
    for who in ("g_swap", "h_killer"):
        result = batch["results"][f"{who}/{NAME}"]
        assert result.status and result.total == 0, result
        assert result.status == "graded" or result.detail
    later = batch["results"][f"z_victim/{NAME}"]
    assert later.status == "graded" and later.total == 0 and later.max_total == N_QUESTIONS


def test_submissions_reach_no_other_submission_nor_the_results_nor_the_package(batch):
    assert batch["canary"].read_text(encoding="utf-8") == "still here"
    assert not (batch["out"] / "feedback" / "planted.md").exists()
    assert not batch["package"].exists()
    victim = batch["folder"] / "z_victim" / NAME
    assert nbformat.read(str(victim), as_version=4).cells  # not overwritten
    assert [q["qid"] for q in batch["results"][f"z_victim/{NAME}"].questions] == QIDS


def test_symlinks_out_of_the_folder_are_not_followed(batch):
    for who in ("linked", "dangling"):
        result = batch["results"][f"{who}/{NAME}"]
        assert (result.status, result.total, result.learner) == ("refused", 0, who), result
        assert "link" in result.detail


def test_metadata_cannot_book_a_submission_to_another_learner(batch):
    result = batch["results"]["alice/notes.ipynb"]
    assert result.learner == "alice" and "learner mismatch" in result.detail and "bob" in result.detail
    rows = list(csv.DictReader(open(batch["out"] / "gradebook.csv", encoding="utf-8", newline="")))
    assert {row["isolation"] for row in rows} == {"bubblewrap"}


def test_feedback_names_are_unique_and_reversible(tmp_path):
    from urllib.parse import unquote

    names = ["01_a b.ipynb", "01_a__b.ipynb", "x/01.ipynb", "x__01.ipynb", "=HYPERLINK(1)/01.ipynb"]
    files = [_feedback_name(n) for n in names]
    assert len(set(files)) == len(names) and all("/" not in f for f in files)
    assert [unquote(f[:-3]) for f in files] == names
    write_results([GradeResult(file=n, learner=n.split("/")[0], status="graded") for n in names], tmp_path)
    assert len(list((tmp_path / "feedback").iterdir())) == len(names)
    rows = list(csv.DictReader(open(tmp_path / "gradebook.csv", encoding="utf-8", newline="")))
    assert all(not row[k].startswith(("=", "+", "-", "@")) for row in rows for k in ("submission", "learner"))


def test_dangling_links_are_listed(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.ipynb").symlink_to(tmp_path / "missing.ipynb")
    (tmp_path / "outside").symlink_to(ROOT / "solutions")  # a linked folder is not entered
    assert find_submissions(tmp_path) == [tmp_path / "a" / "x.ipynb"]


def test_thousands_of_added_cells_keep_their_place_and_every_locked_cell_comes_back():
    # Behaviour at scale (speed belongs to benchmarks): 4,000 cells added, every other locked cell deleted.
    exercise = read_notebook(EXERCISE)
    submission = copy.deepcopy(exercise)
    locked = [c.get("id") for c in exercise.cells if not c.get("metadata", {}).get("course", {}).get("answer")]
    dropped = set(locked[::2])
    submission.cells = [c for c in submission.cells if c.get("id") not in dropped]
    submission.cells += [nbformat.v4.new_code_cell(f"x_{i} = {i}") for i in range(4000)]
    before = copy.deepcopy(submission)
    prepared = prepare_submission(submission, exercise)
    assert submission == before
    ids = [c.get("id") for c in prepared.cells]
    exercise_ids = [c.get("id") for c in exercise.cells]
    assert [i for i in ids if i in set(exercise_ids)] == exercise_ids
    assert [c.source for c in prepared.cells if c.source.startswith("x_")] == [f"x_{i} = {i}" for i in range(4000)]


def test_a_thousand_empty_cells_grade_quickly(tmp_path):
    folder = tmp_path / "in"
    notebook = read_notebook(EXERCISE)
    notebook.cells += [nbformat.v4.new_code_cell("") for _ in range(1000)]
    _write(folder, f"many/{NAME}", notebook)
    (result,) = grade_folder(folder, tmp_path / "out", cell_timeout=20, total_timeout=120, progress=False)
    assert result.status == "graded"  # within total_timeout: the grader's own limit, not a timed test


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "course_utils", "grade", *map(str, args)], capture_output=True,
                          text=True, timeout=300, env=dict(os.environ, PYTHONPATH=str(ROOT), **(env or {})))


def test_grade_command_refuses_a_bad_results_folder_before_grading(tmp_path):
    folder = tmp_path / "in"
    _write(folder, f"bob/{NAME}", raw=b"not json")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    for out in (tmp_path / "file", tmp_path / "file" / "below", Path("/proc/no/such")):
        done = _cli(folder, "--out", out, "--no-progress")
        assert done.returncode == 2, done.stderr
        assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    done = _cli(folder, "--out", tmp_path / "out", "--cell-timeout", "-3")
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1


def test_a_folder_named_like_an_exercise_is_entered_not_graded(tmp_path):
    folder, exercises = tmp_path / "in", tmp_path / "exercises"
    _write(folder, f"{NAME}/inner/{NAME}", raw=b"not json")
    done = _cli(folder, "--out", tmp_path / "out", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert "1 invalid notebook" in done.stdout
    (exercises / NAME).mkdir(parents=True)  # among the exercises, a folder is not an exercise
    (exercises / "01_clean_training_ex.ipynb").write_bytes((ROOT / "exercises" / "01_clean_training_ex.ipynb")
                                                           .read_bytes())
    done = _cli(folder, "--out", tmp_path / "out", "--no-progress", "--exercises", exercises)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    rows = list(csv.DictReader(open(tmp_path / "out" / "gradebook.csv", encoding="utf-8", newline="")))
    assert [row["exercise"] for row in rows] == [""]


def test_without_isolation_the_grader_says_so_and_still_cleans_up(tmp_path):
    folder, out = tmp_path / "in", tmp_path / "out"
    _write(folder, f"f_detached/{NAME}", _with_cell(read_notebook(EXERCISE), _detached(out), 0))
    for who, source in (("b_display", DISPLAY_WRAPPER), ("d_metapath", META_PATH)):  # the verdicts stay outside
        _write(folder, f"{who}/{NAME}", _with_cell(read_notebook(EXERCISE), source, 0))
    done = _cli(folder, "--out", out, "--no-progress", env={"COURSE_GRADING_ISOLATION": "none"})
    assert done.returncode == 0, done.stderr
    assert "WITHOUT isolation" in done.stderr
    rows = list(csv.DictReader(open(out / "gradebook.csv", encoding="utf-8", newline="")))
    assert len(rows) == 3 and {(row["isolation"], row["total"]) for row in rows} == {("none", "0")}
    time.sleep(8)
    assert "forged" not in (out / "gradebook.csv").read_text(encoding="utf-8")
    assert _sandbox_processes() == []


def test_forged_reply_data_is_refused():
    from course_utils.grading import SandboxStopped, _Client

    client = _Client(None, 1)
    for forged in ({"__pickle__": "gASV"}, {"__ndarray__": [1], "dtype": "V8"}, {"__float__": "1e999"}):
        with pytest.raises(SandboxStopped):
            client.decode(forged)
    assert json.loads(json.dumps(client.decode({"__tuple__": [1, "a"]}))) == [1, "a"]


WRONG_ANSWERS = {
    "ae896ab1": "def success_rate(y_true, y_pred, source_label, target_label):\n"
                "    y_true[0] = target_label\n    return 0.5\n",
    "955089e3": "def flipped_indices(clean_pred, poisoned_pred):\n"
                "    return [i for i in reversed(range(len(clean_pred))) if clean_pred[i] != poisoned_pred[i]]\n",
    "36e3abbc": "cheapest_copies = 3\n",
    "00ac5606": "explanation = 'too short'\n",
}


def test_the_grade_says_what_the_check_says(tmp_path):
    """Wrong answers get the same verdict and hint from the grader as from check(...) in the learner's kernel."""
    from course_utils.checks import evaluate

    notebook = read_notebook(EXERCISE)
    for cell in notebook.cells:
        if cell.id in WRONG_ANSWERS:
            cell.source = WRONG_ANSWERS[cell.id] + "\n" + cell.source.split("\n")[-1]
    folder = tmp_path / "in"
    _write(folder, f"wrong/{NAME}", notebook)
    (result,) = grade_folder(folder, tmp_path / "out", cell_timeout=20, total_timeout=120, progress=False)
    namespace = {}
    for source in WRONG_ANSWERS.values():
        exec(source, namespace)
    local = {q: evaluate(q, namespace[name]) for q, name in zip(
        QIDS, ["success_rate", "flipped_indices", "cheapest_copies", "explanation"])}
    assert result.status == "graded" and result.total == 0
    for question in result.questions:
        assert (question["status"], question["message"]) == (local[question["qid"]].status,
                                                            local[question["qid"]].message), question


def test_every_solution_scores_full_marks_and_every_blank_zero_in_the_sandbox(tmp_path):
    """Every question's check works on answers that live in the sandbox (values, functions, fitted models)."""
    folder = tmp_path / "in"
    stems = sorted(p.name[: -len("_sol.ipynb")] for p in (ROOT / "solutions").glob("*_sol.ipynb"))
    for stem in stems:
        _write(folder, f"solved/{stem}_ex.ipynb", read_notebook(ROOT / "solutions" / f"{stem}_sol.ipynb"))
        _write(folder, f"blank/{stem}_ex.ipynb", read_notebook(ROOT / "exercises" / f"{stem}_ex.ipynb"))
    results = {r.file: r for r in grade_folder(folder, tmp_path / "out", cell_timeout=60, total_timeout=300,
                                               progress=False)}
    for stem in stems:
        solved, blank = results[f"solved/{stem}_ex.ipynb"], results[f"blank/{stem}_ex.ipynb"]
        assert solved.status == "graded" and solved.total == solved.max_total > 0, solved
        assert blank.status == "graded" and blank.total == 0 and blank.max_total == solved.max_total, blank


def test_a_function_that_ends_the_sandbox_while_checked_gets_a_row(tmp_path):
    notebook = read_notebook(EXERCISE)
    for cell in notebook.cells:
        if cell.id == "ae896ab1":
            cell.source = "import os\ndef success_rate(*args):\n    os._exit(3)\n"
        if cell.id == "955089e3":
            cell.source = "def flipped_indices(a, b):\n    while True:\n        pass\n"
    folder = tmp_path / "in"
    _write(folder, f"quitter/{NAME}", notebook)
    (result,) = grade_folder(folder, tmp_path / "out", cell_timeout=5, total_timeout=60, progress=False)
    assert result.status == "kernel died" and result.total == 0 and len(result.questions) == N_QUESTIONS, result
    assert _sandbox_processes() == []


def test_a_submission_with_matplotlib_magics_and_a_figure_still_scores_full_marks(tmp_path):
    # The sandbox's shell has no kernel: `%matplotlib inline` must pick a backend, not fail the cell.
    solved = _with_cell(read_notebook(SOLUTION), "%matplotlib inline\nimport matplotlib.pyplot as plt\n"
                                                 "plt.plot([0, 1], [1, 0])\nplt.show()", 0)
    _write(tmp_path / "in", f"magic/{NAME}", solved)
    (result,) = grade_folder(tmp_path / "in", tmp_path / "out", cell_timeout=60, total_timeout=120, progress=False)
    assert result.status == "graded" and result.total == result.max_total > 0, result
