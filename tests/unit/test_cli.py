"""``python -m course_utils experiment``: outputs and every bad-input case."""

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import ROOT


def run_cli(*args, cwd):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-m", "course_utils", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def snapshot(folder):
    return {p.relative_to(folder): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(Path(folder).rglob("*")) if p.is_file()}


def test_builtin_backdoor_json(tmp_path):
    result = run_cli("experiment", "--data", "builtin", "--attack", "backdoor", "--fraction", "0.03",
                     "--seed", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    for key in ("n_train", "n_test", "n_poisoned", "clean_accuracy", "poisoned_accuracy",
                "attack_success_rate", "clean_attack_success_rate", "seconds"):
        assert key in out
    assert out["n_train"] + out["n_test"] == 3000 and out["n_poisoned"] == 68
    assert out["attack_success_rate"] > out["clean_attack_success_rate"]
    assert out["target_label"] == "negative" and out["trigger"] == "cf"
    assert list(tmp_path.iterdir()) == []


def test_none_attack_has_null_success_and_equal_accuracies(tmp_path):
    result = run_cli("experiment", "--data", "builtin", "--attack", "none", "--fraction", "0", cwd=tmp_path)
    out = json.loads(result.stdout)
    assert out["attack_success_rate"] is None and out["clean_attack_success_rate"] is None
    assert out["poisoned_accuracy"] == out["clean_accuracy"] and out["n_poisoned"] == 0


def test_table_format_and_tfidf_model(tmp_path):
    result = run_cli("experiment", "--data", "builtin", "--attack", "random-flip", "--fraction", "0.2",
                     "--model", "tfidf-logreg", "--format", "table", "--test-size", "0.3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = dict(line.split(None, 1) for line in result.stdout.splitlines())
    assert rows["model"] == "tfidf-logreg" and rows["n_test"] == "900"
    assert rows["attack_success_rate"] == "-"


def test_own_files_multiclass_tab_and_csv(tmp_path):
    lines = [f"{w} {i}\t{c}" for i in range(30) for w, c in (("sunny bright", "sun"), ("rain wet", "rain"),
                                                                ("snow cold", "snow"))]
    tab = tmp_path / "weather.txt"
    tab.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_cli("experiment", "--data", str(tab), "--attack", "targeted-flip", "--fraction", "0.2",
                     "--source-label", "sun", "--target-label", "snow", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["clean_accuracy"] == 1.0 and out["n_poisoned"] == round(0.2 * out["n_train"])
    assert out["attack_success_rate"] > out["clean_attack_success_rate"]
    csv = tmp_path / "weather.csv"
    csv.write_text("text,label\n" + "\n".join(f'"{l.split(chr(9))[0]}",{l.split(chr(9))[1]}' for l in lines),
                   encoding="utf-8")
    result = run_cli("experiment", "--data", str(csv), "--attack", "backdoor", "--fraction", "0.1",
                     "--target-label", "rain", "--trigger", "zq", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["trigger"] == "zq"


BAD = {
    "fraction above 1": (["--attack", "random-flip", "--fraction", "1.5"], "fraction"),
    "negative fraction": (["--attack", "random-flip", "--fraction", "-0.1"], "fraction"),
    "fraction not a number": (["--attack", "random-flip", "--fraction", "lots"], "fraction"),
    "unknown attack": (["--attack", "flood", "--fraction", "0.1"], "--attack"),
    "unknown model": (["--attack", "none", "--fraction", "0", "--model", "bert"], "--model"),
    "unknown target label": (["--attack", "targeted-flip", "--fraction", "0.1", "--target-label", "happy"], "happy"),
    "unknown source label": (["--attack", "targeted-flip", "--fraction", "0.1", "--source-label", "meh"], "meh"),
    "same source and target": (["--attack", "targeted-flip", "--fraction", "0.1", "--source-label", "positive",
                                "--target-label", "positive"], "differ"),
    "budget beyond the source class": (["--attack", "targeted-flip", "--fraction", "0.9"], "only"),
    "bad seed": (["--attack", "none", "--fraction", "0", "--seed", "-3"], "seed"),
    "bad test size": (["--attack", "none", "--fraction", "0", "--test-size", "1"], "test size"),
    "two-word trigger": (["--attack", "backdoor", "--fraction", "0.1", "--trigger", "two words"], "trigger"),
    "missing fraction": (["--attack", "none"], "--fraction"),
    "unknown defense": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "magic"], "--defense"),
    "flag share of zero": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn", "--flag-share", "0"],
                           "flag share"),
    "flag share above 1": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn", "--flag-share",
                            "2"], "flag share"),
    "flag share without defense": (["--attack", "random-flip", "--fraction", "0.1", "--flag-share", "0.1"],
                                   "need a defense"),
    "unknown defense parameter": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn", "--param",
                                   "neighbours=3"], "unknown parameter 'neighbours' for the knn defense"),
    "bad defense parameter value": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn", "--param",
                                     "n_neighbors=many"], "n_neighbors must be an integer"),
    "defense parameter out of range": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn",
                                        "--param", "n_neighbors=0"], "n_neighbors must be an integer in"),
    "defense parameter without a value": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn",
                                           "--param", "n_neighbors"], "KEY=VALUE"),
    "defense parameter given as a list": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn",
                                           "--param", "n_neighbors=[3]"], "single value"),
    "defense parameter given twice": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn",
                                       "--param", "n_neighbors=3", "--param", "n_neighbors=4"], "given twice"),
    "dp-nb epsilon of zero": (["--attack", "backdoor", "--fraction", "0.03", "--defense", "dp-nb", "--param",
                              "epsilon=0"], "epsilon must be a number in (0, inf)"),
    "dp-nb negative epsilon": (["--attack", "backdoor", "--fraction", "0.03", "--defense", "dp-nb", "--param",
                                "epsilon=-1"], "epsilon must be a number in (0, inf)"),
    "dp-nb max_words of zero": (["--attack", "backdoor", "--fraction", "0.03", "--defense", "dp-nb", "--param",
                                 "max_words=0"], "max_words must be an integer in [1, inf)"),
    "dp-nb unknown key": (["--attack", "backdoor", "--fraction", "0.03", "--defense", "dp-nb", "--param",
                           "budget=1"], "unknown parameter 'budget' for the dp-nb defense"),
    "robust-nb bad statistic": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "robust-nb", "--param",
                                 "statistic=mode"], "statistic must be one of"),
    "trim bad losses": (["--attack", "random-flip", "--fraction", "0.1", "--defense", "trim", "--param",
                         "losses=both"], "losses must be one of"),
    "parameters without defense": (["--attack", "random-flip", "--fraction", "0.1", "--param", "n_neighbors=3"],
                                   "need a defense"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_arguments_exit_2_with_one_line(tmp_path, case):
    args, needle = BAD[case]
    result = run_cli("experiment", "--data", "builtin", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0] and "error" in lines[0]
    assert list(tmp_path.iterdir()) == []


DATA_FILES = {
    "missing file": (None, "does not exist"),
    "empty file": ("", "empty"),
    "single class": ("good\tpos\nnice\tpos\n", "only one class"),
    "malformed line": ("good\tpos\nno tab on this line\nbad\tneg\n", "line 2"),
    "empty label": ("good\tpos\nbad\t\n", "line 2"),
    "csv short row": ("text,label\ngood,pos\nbad\n", "line 3"),
    "csv without text and label columns": ("review,stars\ngreat,5\nbad,1\n",
                                           "needs a header row with a 'text' and a 'label' column; its first line "
                                           "has the columns 'review', 'stars'"),
    "tab file with another header": ("review\tstars\ngreat\tpos\nbad\tneg\nfine\tpos\n", "looks like a header"),
    "too few rows to split": ("good\tpos\nbad\tneg\n", "single row"),
}


@pytest.mark.parametrize("case", sorted(DATA_FILES))
def test_bad_data_exit_2_and_change_nothing(tmp_path, case):
    content, needle = DATA_FILES[case]
    path = tmp_path / "data.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    before = snapshot(tmp_path)
    result = run_cli("experiment", "--data", str(path), "--attack", "random-flip", "--fraction", "0.1",
                     cwd=tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0], result.stderr
    assert snapshot(tmp_path) == before


def test_defense_adds_defended_fields(tmp_path):
    result = run_cli("experiment", "--data", "builtin", "--attack", "backdoor", "--fraction", "0.01",
                     "--defense", "trigger", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["detection"]["recall"] == 1.0 and out["detection"]["n_flagged"] == out["n_poisoned"]
    assert out["defended_attack_success_rate"] < out["attack_success_rate"]
    assert "defended_accuracy" in out


def test_defense_on_one_class_file_is_an_error(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("good\tpos\nfine\tpos\n", encoding="utf-8")
    result = run_cli("experiment", "--data", str(path), "--attack", "none", "--fraction", "0", "--defense", "knn",
                     cwd=tmp_path)
    assert result.returncode == 2 and "only one class" in result.stderr


def test_no_command_is_an_error(tmp_path):
    result = run_cli(cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1


TOOL_ERRORS = {
    "grade without arguments": (["grade"], "required: submissions, --out"),
    "grade with a zero cell timeout": (["grade", ".", "--out", "out", "--cell-timeout", "0"],
                                       "argument --cell-timeout: must be a whole number of seconds"),
    "grade with a timeout that is not a number": (["grade", ".", "--out", "out", "--timeout", "soon"],
                                                  "argument --timeout: must be a whole number of seconds"),
    "grade a missing folder": (["grade", "nope", "--out", "out"], "does not exist"),
    "build with a zero timeout": (["build", "--timeout", "0"], "argument --timeout"),
    "build a missing notebook": (["build", "--out", "out", "nope.ipynb"], "notebook 'nope.ipynb' does not exist"),
    "execute a folder": (["execute", "."], "is not a notebook"),
    "execute without notebooks": (["execute"], "required: notebooks"),
}


@pytest.mark.parametrize("case", sorted(TOOL_ERRORS))
def test_tool_errors_are_one_line_with_status_2(tmp_path, case):
    args, needle = TOOL_ERRORS[case]
    result = run_cli(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "error" in lines[0], result.stderr
    assert list(tmp_path.iterdir()) == []


def _small_data(tmp_path, rows=40):
    """Two classes of short sentences, too few rows for a trigger to reach the trigger defense's min_count."""
    words = {"pos": ["great", "good", "lovely", "fine", "nice", "superb"], "neg": ["bad", "awful", "poor", "sad",
                                                                               "dull", "weak"]}
    lines = [f"{' '.join(words[c][(i + k) % 6] for k in range(3))} item{i}\t{c}"
             for i in range(rows) for c in [("pos", "neg")[i % 2]]]
    path = tmp_path / "small.txt"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_a_defense_that_cannot_act_says_why_on_stderr_and_in_the_json(tmp_path):
    data = _small_data(tmp_path)
    result = run_cli("experiment", "--data", str(data), "--attack", "backdoor", "--fraction", "0.1",
                     "--target-label", "pos", "--defense", "trigger", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["n_poisoned"] == 3 and out["detection"]["n_flagged"] == 0
    assert len(out["notes"]) == 1
    note = out["notes"][0]
    assert "flagged no training rows" in note and "min_count=5" in note and "'cf' in 3" in note
    assert result.stderr.strip().splitlines() == [f"python -m course_utils experiment: note: {note}"]
    lowered = run_cli("experiment", "--data", str(data), "--attack", "backdoor", "--fraction", "0.1",
                      "--target-label", "pos", "--defense", "trigger", "--param", "min_count=3", cwd=tmp_path)
    assert lowered.returncode == 0 and "'cf' in 3" not in lowered.stdout


@pytest.mark.parametrize("args, needle", [
    (["--attack", "random-flip", "--fraction", "0.01"], "rounds to 0 poisoned rows"),
    (["--attack", "random-flip", "--fraction", "0.1", "--defense", "knn", "--flag-share", "0.01"],
     "flag_share=0.01 of 30 training rows rounds to 0 rows"),
    (["--attack", "random-flip", "--fraction", "0.1", "--defense", "trigger", "--param", "min_count=200"],
     "no token of these 30 rows is"),
    (["--attack", "random-flip", "--fraction", "0.1", "--defense", "audit"], "no group of near-duplicate rows"),
])
def test_notes_for_attacks_and_defenses_that_cannot_act(tmp_path, args, needle):
    result = run_cli("experiment", "--data", str(_small_data(tmp_path)), *args, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    notes = json.loads(result.stdout)["notes"]
    assert any(needle in note for note in notes), notes
    assert all(line.startswith("python -m course_utils experiment: note: ") for line in result.stderr.splitlines())


def test_a_defense_that_acts_has_no_notes(tmp_path):
    result = run_cli("experiment", "--data", "builtin", "--attack", "backdoor", "--fraction", "0.01",
                     "--defense", "trigger", "--format", "table", cwd=tmp_path)
    assert result.returncode == 0 and result.stderr == ""
    assert any(line.split() == ["notes", "-"] for line in result.stdout.splitlines())


# Special, oversized and oddly named files (issue 12, item 9). Every run has a timeout, so a regression that
# blocks (a FIFO opened for reading waits for a writer) fails the test instead of hanging the suite.

def run_cli_env(*args, cwd, timeout=60, **env):
    full = dict(os.environ, PYTHONPATH=str(ROOT), **env)
    return subprocess.run([sys.executable, "-m", "course_utils", *args], cwd=cwd, env=full, capture_output=True,
                          timeout=timeout)


def _one_line_error(result, needle):
    stderr = result.stderr.decode("utf-8", "backslashreplace")
    lines = stderr.strip().splitlines()
    assert result.returncode == 2, stderr
    assert len(lines) == 1 and "error" in lines[0] and needle in lines[0], stderr
    assert result.stdout == b""


def _experiment_on(data, cwd, **env):
    return run_cli_env("experiment", "--data", data, "--attack", "none", "--fraction", "0", cwd=cwd, **env)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_a_fifo_is_refused_at_once(tmp_path):
    fifo = tmp_path / "data.txt"
    os.mkfifo(fifo)
    _one_line_error(_experiment_on(str(fifo), tmp_path), "is a FIFO (named pipe), not a regular file")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="no /dev/zero")
def test_dev_zero_is_refused_instead_of_read_without_end(tmp_path):
    _one_line_error(_experiment_on("/dev/zero", tmp_path), "'/dev/zero' is a character device, not a regular file")


@pytest.mark.skipif(not os.path.exists("/proc/self/mem"), reason="no /proc")
def test_proc_self_mem_is_one_line(tmp_path):
    _one_line_error(_experiment_on("/proc/self/mem", tmp_path), "'/proc/self/mem' cannot be read")


def test_a_folder_is_refused(tmp_path):
    _one_line_error(_experiment_on(str(tmp_path), tmp_path), "is a folder, not a regular file")


def test_a_line_over_the_limit_is_refused(tmp_path):
    from course_utils.data import MAX_LINE_CHARS

    path = tmp_path / "long.txt"
    path.write_text("x" * 200_000 + "\tpos\nbad\tneg\n", encoding="utf-8")
    _one_line_error(_experiment_on(str(path), tmp_path), f"line 1 holds 200,004 characters, more than the limit "
                                                         f"of {MAX_LINE_CHARS:,}")


def test_a_csv_field_over_the_csv_modules_limit_is_one_line(tmp_path):
    # Short lines, but one quoted text spans 70,000 of them: the csv module's own field limit (131,072).
    path = tmp_path / "big.csv"
    path.write_text('text,label\n"' + "x\n" * 70_000 + '",pos\nbad,neg\n', encoding="utf-8")
    _one_line_error(_experiment_on(str(path), tmp_path), "the row that starts on line 2 is not valid CSV")


def test_a_file_over_the_size_limit_is_refused(tmp_path, monkeypatch):
    from course_utils import data

    path = tmp_path / "data.txt"
    path.write_text("good\tpos\nbad\tneg\n" * 10, encoding="utf-8")
    monkeypatch.setattr(data, "MAX_FILE_BYTES", 100)
    with pytest.raises(data.DataFormatError, match="holds 170 bytes, more than the limit of 100 bytes$"):
        data.read_labelled_file(path)


def test_duplicate_csv_columns_are_refused(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_text("text,label,Label\ngood,pos,neg\nbad,neg,pos\n", encoding="utf-8")
    _one_line_error(_experiment_on(str(path), tmp_path), "the CSV header names the column 'Label' twice "
                                                         "(columns 2 and 3)")


def test_a_trigger_dropped_by_lower_casing_is_refused(tmp_path):
    result = run_cli_env("experiment", "--data", "builtin", "--attack", "backdoor", "--fraction", "0.03",
                         "--trigger", "İİ", cwd=tmp_path)
    _one_line_error(result, "trigger must be one word")


@pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="needs a file system that takes any bytes as a name")
@pytest.mark.parametrize("output", ["table", "json"])
def test_a_non_utf8_file_name_under_strict_utf8_output(tmp_path, output):
    name = b"caf\xe9.txt"  # Latin-1, not UTF-8
    rows = "".join(f"good film {i}\tpos\nbad film {i}\tneg\n" for i in range(20))
    with open(os.path.join(os.fsencode(tmp_path), name), "w", encoding="utf-8") as handle:
        handle.write(rows)
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8:strict")
    result = subprocess.run([sys.executable, "-m", "course_utils", "experiment", "--data", name, "--attack",
                             "random-flip", "--fraction", "0.1", "--format", output],
                            cwd=tmp_path, env=env, capture_output=True, timeout=120)
    assert result.returncode == 0, result.stderr
    shown = result.stdout.decode("utf-8")
    if output == "json":
        assert json.loads(shown)["data"] == "caf\\xe9.txt"
    else:
        assert dict(line.split(None, 1) for line in shown.splitlines())["data"] == "caf\\xe9.txt"
    missing = subprocess.run([sys.executable, "-m", "course_utils", "experiment", "--data", b"nope\xe9.txt",
                              "--attack", "none", "--fraction", "0"], cwd=tmp_path, env=env, capture_output=True,
                             timeout=120)
    _one_line_error(missing, "data file 'nope\\xe9.txt' does not exist")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_notebook_commands_refuse_special_and_broken_notebooks(tmp_path):
    fifo = tmp_path / "pipe.ipynb"
    os.mkfifo(fifo)
    broken = tmp_path / "broken.ipynb"
    broken.write_bytes(b"{not json")
    latin = tmp_path / "latin.ipynb"
    latin.write_bytes(b'{"cells": "\xe9"}')
    for command in ("build", "execute"):
        extra = ["--out", str(tmp_path / "out")] if command == "build" else []
        _one_line_error(run_cli_env(command, *extra, str(fifo), cwd=tmp_path), "is a FIFO (named pipe)")
        _one_line_error(run_cli_env(command, *extra, str(broken), cwd=tmp_path), "is not a notebook's JSON")
        _one_line_error(run_cli_env(command, *extra, str(latin), cwd=tmp_path), "is not a notebook's JSON")
    _one_line_error(run_cli_env("execute", "/dev/zero", cwd=tmp_path), "is not a notebook")


def test_build_into_a_file_is_one_line(tmp_path):
    notebook = tmp_path / "lesson.ipynb"
    notebook.write_text('{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}', encoding="utf-8")
    target = tmp_path / "taken"
    target.write_text("a file, not a folder", encoding="utf-8")
    _one_line_error(run_cli_env("build", "--out", str(target), str(notebook), cwd=tmp_path), "File exists")


def test_help_states_the_limits(tmp_path):
    result = run_cli_env("experiment", "--help", cwd=tmp_path)
    text = " ".join(result.stdout.decode().split())
    assert result.returncode == 0
    assert "at most 52,428,800 bytes (50 MiB), each line at most 100,000 characters" in text


def test_readme_states_the_limits_the_code_uses():
    from course_utils.cli import MAX_NOTEBOOK_BYTES
    from course_utils.data import MAX_FILE_BYTES, MAX_LINE_CHARS

    readme = " ".join((ROOT / "README.md").read_text(encoding="utf-8").split())
    assert f"at most {MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES // 2**20} MiB" in readme
    assert f"each line at most {MAX_LINE_CHARS:,} characters" in readme
    assert f"at most {MAX_NOTEBOOK_BYTES // 2**20} MiB each" in readme


def test_a_notebook_that_fails_while_it_runs_is_one_line_with_status_1(tmp_path):
    notebook = {"cells": [{"cell_type": "code", "execution_count": None, "id": "boom", "metadata": {}, "outputs": [],
                           "source": "raise RuntimeError('boom')"}],
                "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    path = tmp_path / "fails.ipynb"
    path.write_text(json.dumps(notebook), encoding="utf-8")
    result = run_cli_env("execute", "--timeout", "60", str(path), cwd=tmp_path, timeout=180)
    stderr = result.stderr.decode("utf-8", "backslashreplace").strip().splitlines()
    assert result.returncode == 1
    assert stderr[-1] == "python -m course_utils execute: error: CellExecutionError: RuntimeError: boom"
    assert "Traceback" not in result.stderr.decode("utf-8", "backslashreplace")


def test_a_seed_beyond_32_bits_is_an_argument_error(tmp_path):
    result = run_cli_env("experiment", "--data", "builtin", "--attack", "none", "--fraction", "0", "--seed",
                         str(2**64), cwd=tmp_path)
    _one_line_error(result, "argument --seed: seed must be an integer in [0, 4294967295]")


@pytest.mark.parametrize("command, function, error, status", [
    ("exercises", "course_utils.exercises.generate_all", ValueError("Notebook does not appear to be JSON: '{'\nmore"),
     2),
    ("scripts", "course_utils.build.sync_scripts", PermissionError(13, "Permission denied", "solutions/x.ipynb"), 2),
    ("scripts", "course_utils.build.sync_scripts", RuntimeError("jupytext failed\nsecond line"), 1),
])
def test_an_unreadable_repository_notebook_is_one_line(monkeypatch, capsys, command, function, error, status):
    from course_utils import cli

    def fails(*args, **kwargs):
        raise error

    monkeypatch.setattr(function, fails)
    assert cli.main([command]) == status
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"python -m course_utils {command}: error: "), captured.err
    assert "\n" not in lines[0] and captured.out == ""


# Lesson 08: --param alpha=... (count-nb) and --param C=... (tfidf-logreg) set the base model's regularization
# without a defense; the label penalties take their own parameters as every trainer does.
REGULARIZATION_BAD = {
    "alpha not a number": (["--param", "alpha=lots"], "alpha must be a number in [0, inf)"),
    "alpha negative": (["--param", "alpha=-1"], "alpha must be a number in [0, inf)"),
    "C of zero": (["--model", "tfidf-logreg", "--param", "C=0"], "C must be a number in (0, inf)"),
    "C for naive bayes": (["--param", "C=2"], "C is a setting of the tfidf-logreg model"),
    "alpha for logistic regression": (["--model", "tfidf-logreg", "--param", "alpha=2"],
                                      "alpha is a setting of the count-nb model"),
    "drop share of one": (["--defense", "loss-filter", "--param", "drop_share=1"], "drop_share must be a number in"),
    "epsilon of one": (["--defense", "label-smoothing", "--param", "epsilon=1"], "epsilon must be a number in"),
    "q above one": (["--defense", "robust-loss", "--param", "q=2"], "q must be a number in [0, 1]"),
    "power as text": (["--defense", "reweight", "--param", "power=strong"], "power must be a number in"),
}


@pytest.mark.parametrize("case", sorted(REGULARIZATION_BAD))
def test_bad_regularization_and_penalty_values_exit_2_naming_the_parameter(tmp_path, case):
    args, needle = REGULARIZATION_BAD[case]
    result = run_cli("experiment", "--data", "builtin", "--attack", "random-flip", "--fraction", "0.1", *args,
                     cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "error" in lines[0], result.stderr


def test_alpha_and_c_without_a_defense_set_the_base_models_regularization(tmp_path):
    from course_utils.data import load_sentiment
    from course_utils.experiment import run_experiment

    data = load_sentiment()
    for model, key, value in (("count-nb", "alpha", 0.1), ("tfidf-logreg", "C", 10.0)):
        result = run_cli("experiment", "--data", "builtin", "--attack", "random-flip", "--fraction", "0.2",
                         "--model", model, "--param", f"{key}={value}", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        out = json.loads(result.stdout)
        assert out["model_params"] == {key: value} and "defense" not in out
        direct = run_experiment(data.texts, data.labels, attack="random-flip", fraction=0.2, model=model,
                                defense_params={key: value})
        default = run_experiment(data.texts, data.labels, attack="random-flip", fraction=0.2, model=model)
        assert out["poisoned_accuracy"] == direct["poisoned_accuracy"]
        assert (out["clean_accuracy"], out["poisoned_accuracy"]) != (default["clean_accuracy"],
                                                                     default["poisoned_accuracy"])
        assert "model_params" not in default


@pytest.mark.parametrize("name, model", [("loss-filter", "count-nb"), ("reweight", "count-nb"),
                                         ("label-smoothing", "count-nb"), ("robust-loss", "tfidf-logreg")])
def test_label_penalties_fill_the_trainers_fields(tmp_path, name, model):
    result = run_cli("experiment", "--data", "builtin", "--attack", "random-flip", "--fraction", "0.3",
                     "--model", model, "--defense", name, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["defense"] == name and out["defense_kind"] == "trainer" and out["detection"] is None
    assert 0.5 < out["defended_accuracy"] <= 1 and out["defended_attack_success_rate"] is None


# --- stream (lesson 09) ---

STREAM_FIELDS = {"first_alarm_batch", "false_alarms", "attack_start_batch", "threshold", "canary_accuracy",
                 "attack_success_rate"}


def test_stream_burst_json_has_every_field_per_monitor(tmp_path):
    result = run_cli("stream", "--data", "builtin", "--attack", "burst", "--seed", "3", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    out = json.loads(result.stdout)
    from course_utils.monitoring import MONITORS

    assert list(out["monitors"]) == [*MONITORS, "any"]
    for name, entry in out["monitors"].items():
        assert set(entry) == STREAM_FIELDS, name
        assert set(entry["canary_accuracy"]) == set(entry["attack_success_rate"]) == {"at_alarm", "after_rollback"}
        assert entry["attack_start_batch"] == 12
    any_monitor = out["monitors"]["any"]
    assert any_monitor["first_alarm_batch"] is not None and any_monitor["first_alarm_batch"] >= 12
    assert any_monitor["attack_success_rate"]["after_rollback"] < any_monitor["attack_success_rate"]["at_alarm"]
    assert list(tmp_path.iterdir()) == []


def test_stream_none_has_null_alarms_and_a_table(tmp_path):
    result = run_cli("stream", "--data", "builtin", "--attack", "none", "--monitor", "label-balance",
                     "--format", "table", "--batch-size", "40", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "batch_size: 40" in result.stdout and "label-balance" in result.stdout
    json_out = json.loads(run_cli("stream", "--data", "builtin", "--attack", "none", "--monitor", "label-balance",
                                  cwd=tmp_path).stdout)
    entry = json_out["monitors"]["label-balance"]
    assert entry["first_alarm_batch"] is None and entry["attack_start_batch"] is None
    assert entry["canary_accuracy"] == {"at_alarm": None, "after_rollback": None}


STREAM_BAD = {
    "unknown attack": (["--attack", "flood"], "invalid choice"),
    "unknown monitor": (["--attack", "burst", "--monitor", "magic"], "invalid choice"),
    "zero batch size": (["--attack", "burst", "--batch-size", "0"], "batch size must be an integer in [1, 1000]"),
    "text batch size": (["--attack", "burst", "--batch-size", "many"], "batch size must be an integer"),
    "negative seed": (["--attack", "burst", "--seed", "-1"], "seed must be an integer"),
    "alpha of one": (["--attack", "burst", "--alpha", "1"], "alpha must be in (0, 1)"),
    "batches too large for the data": (["--attack", "burst", "--batch-size", "1000"], "the stream needs at least"),
    "missing file": (["--attack", "burst", "--data", "absent.txt"], "does not exist"),
}


@pytest.mark.parametrize("case", sorted(STREAM_BAD))
def test_stream_bad_arguments_exit_2_with_one_line(tmp_path, case):
    args, needle = STREAM_BAD[case]
    if "--data" not in args:
        args = ["--data", "builtin", *args]
    result = run_cli("stream", *args, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert needle in lines[0] and "error" in lines[0]
    assert list(tmp_path.iterdir()) == []


def test_stream_on_a_small_file_is_one_line(tmp_path):
    path = tmp_path / "small.txt"
    path.write_text("".join(f"sentence number {i} is {'good' if i % 2 else 'bad'}\t{i % 2}\n" for i in range(300)),
                    encoding="utf-8")
    result = run_cli("stream", "--data", str(path), "--attack", "drip", cwd=tmp_path)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "the stream needs at least" in result.stderr and "the data has 300" in result.stderr


def test_lesson_11_filters_report_detection_and_retrains(tmp_path):
    result = run_cli("experiment", "--data", "builtin", "--attack", "backdoor", "--fraction", "0.01",
                     "--defense", "influence", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["defense_kind"] == "filter" and out["detection"]["recall"] == 1.0
    assert out["defended_attack_success_rate"] < out["attack_success_rate"]
    result = run_cli("experiment", "--data", "builtin", "--attack", "backdoor", "--fraction", "0.01",
                     "--defense", "shadow-bisect", "--param", "n_shards=4", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    detection = json.loads(result.stdout)["detection"]
    assert isinstance(detection["retrains"], int) and detection["retrains"] >= 4 + 1
    result = run_cli("experiment", "--data", "builtin", "--attack", "random-flip", "--fraction", "0.05",
                     "--defense", "shadow-bisect", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)  # no trigger in the data: nothing flagged, no retrain, and a note says so
    assert out["detection"]["n_flagged"] == 0 and out["detection"]["retrains"] == 0 and out["notes"]
