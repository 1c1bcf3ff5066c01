"""course_utils.plotting, course_utils.notebook and course_utils.build."""

import asyncio
import json
import os
import signal
import subprocess
import sys

import matplotlib
import nbformat
import pytest

from course_utils.build import build_course, lesson_title, run_notebook
from course_utils.notebook import kernel_manager_class, record_results
from tests.conftest import ROOT
from course_utils.plotting import plot_sweep, use_house_style

matplotlib.use("Agg")  # these tests draw off screen; notebooks keep the inline backend


def _summary():
    import pandas as pd

    return pd.DataFrame({
        "attack": ["random-flip"] * 3 + ["backdoor"] * 3,
        "fraction": [0.0, 0.1, 0.2] * 2,
        "poisoned_accuracy_mean": [0.82, 0.8, 0.76, 0.82, 0.82, 0.81],
        "poisoned_accuracy_low": [0.81, 0.79, 0.74, 0.81, 0.81, 0.8],
        "poisoned_accuracy_high": [0.83, 0.81, 0.78, 0.83, 0.83, 0.82],
    })


def test_plot_sweep_draws_one_labelled_line_per_attack():
    import matplotlib.pyplot as plt

    use_house_style()
    ax = plot_sweep(_summary(), reference=0.82, reference_label="clean model")
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == ["random-flip", "backdoor", "clean model"]
    assert ax.get_title() and ax.get_xlabel() and ax.get_ylabel() == "poisoned accuracy"
    assert list(ax.get_lines()[0].get_ydata()) == [0.82, 0.8, 0.76]
    plt.close("all")


def test_plot_sweep_names_missing_columns():
    with pytest.raises(ValueError, match="attack_success_rate_mean"):
        plot_sweep(_summary(), "attack_success_rate")


def test_record_results_writes_plain_json_only_when_asked(tmp_path):
    import numpy as np

    path = tmp_path / "r.json"
    values = record_results(str(path), accuracy=np.float64(0.5), counts=np.array([1, 2]), gap=float("nan"))
    assert json.loads(path.read_text()) == {"accuracy": 0.5, "counts": [1, 2], "gap": None} == values
    assert record_results("", accuracy=1.0) == {"accuracy": 1.0}
    assert list(tmp_path.iterdir()) == [path]
    with pytest.raises(TypeError, match="record_path"):
        record_results(None, a=1)


def _tiny_notebook(path, fail=False):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    notebook.cells = [
        nbformat.v4.new_markdown_cell("# 99 · A tiny lesson\n\nText."),
        nbformat.v4.new_code_cell("answer = 41", metadata={"tags": ["parameters"]}),
        nbformat.v4.new_code_cell("raise RuntimeError('broken lesson')" if fail else "print(answer + 1)"),
    ]
    nbformat.write(notebook, str(path))


def test_run_notebook_injects_parameters_and_never_overwrites_its_source(tmp_path):
    source = tmp_path / "99_tiny.ipynb"
    _tiny_notebook(source)
    before = source.read_bytes()
    with pytest.raises(ValueError, match="output must differ"):
        run_notebook(source, source)
    seconds = run_notebook(source, tmp_path / "out.ipynb", parameters={"answer": 1}, timeout=60)
    assert seconds > 0 and source.read_bytes() == before
    executed = nbformat.read(str(tmp_path / "out.ipynb"), as_version=4)
    assert executed.cells[-1].outputs[0]["text"] == "2\n"
    assert lesson_title(source) == "99 · A tiny lesson"


def test_build_course_writes_pages_and_an_index_that_reports_failures(tmp_path):
    good, bad = tmp_path / "98_good.ipynb", tmp_path / "99_bad.ipynb"
    _tiny_notebook(good)
    _tiny_notebook(bad, fail=True)
    out = tmp_path / "build"
    status = build_course([good, bad], out=out, timeout=60)
    assert status == 1
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "98_good.html" in index and "99_bad.html" in index
    assert "A tiny lesson" in index and "failed: PapermillExecutionError" in index
    assert index.count(" s</td>") == 2
    assert (out / "98_good.html").exists() and (out / "98_good.ipynb").exists()


def test_build_of_a_small_notebook_prints_no_kernel_noise(tmp_path):
    """``make course`` used to print ipykernel's TCP warning and "KeyboardInterrupt caught in kernel"."""
    source = tmp_path / "98_tiny.ipynb"
    _tiny_notebook(source)
    env = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    env.pop("MPLBACKEND", None)
    done = subprocess.run([sys.executable, "-m", "course_utils", "build", "--out", str(tmp_path / "build"),
                           str(source)], capture_output=True, text=True, env=env, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "98_tiny.ipynb: ok" in done.stdout
    assert "KeyboardInterrupt" not in done.stderr and "without encryption" not in done.stderr, done.stderr


async def _start_and_stop(manager_class):
    manager = manager_class(kernel_name="python3")
    sent = []
    signal_kernel = manager._async_signal_kernel

    async def record(signum):
        sent.append(signum)
        await signal_kernel(signum)

    manager._async_signal_kernel = record
    await manager.start_kernel()
    encrypted = getattr(manager, "curve_secretkey", None) is not None
    await manager.shutdown_kernel()
    return sent, encrypted, await manager.is_alive()


@pytest.mark.skipif(sys.platform == "win32", reason="Windows interrupts kernels by an event, not a signal")
def test_course_kernel_manager_stops_a_kernel_without_interrupting_it():
    from jupyter_client.manager import AsyncKernelManager

    stock = asyncio.run(_start_and_stop(AsyncKernelManager))
    assert signal.SIGINT in stock[0]  # what printed "KeyboardInterrupt caught in kernel"
    sent, encrypted, alive = asyncio.run(_start_and_stop(kernel_manager_class()))
    assert signal.SIGINT not in sent and not alive
    import zmq

    if "transport_encryption" in AsyncKernelManager.class_traits() and zmq.has("curve"):
        assert encrypted  # CurveZMQ keys provisioned: no "running over TCP without encryption" warning
