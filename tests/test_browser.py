"""The playgrounds in a real JupyterLab, driven by a real Chromium.

A JupyterLab server from the course environment is started on 127.0.0.1 with a
token and a free port, serving a copy of the lessons (so that nothing the
browser does can save over the committed notebooks). For each playground lesson
Chromium opens the notebook, runs every cell, moves a slider (or picks a
dropdown value) with the mouse, and the test checks that the widget's output
changed to exactly what the plain playground function computes for the new
setting. A screenshot of each lesson is saved under ``build/screenshots/``. The
server is stopped by its process id whatever happens.

Chromium comes from Debian's ``chromium`` package (Playwright's own browser
download is not used); the fixture installs it with apt-get when it is missing
and the tests run as root, as in CI.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from course_utils import widgets
from course_utils.widgets import format_numbers

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic"]

pytestmark = pytest.mark.notebook

# lesson -> (kind of control, its label, how to read the new setting into the plain function's arguments)
PLAYGROUNDS = {
    "02_label_flip_poisoning": ("slider", "poison fraction",
                                lambda v: widgets.poison_playground("random-flip", float(v))),
    "03_testing_the_impact": ("slider", "poisoned copies",
                              lambda v: widgets.targeted_budget_playground(int(v), 1, "I really love this!")),
    "04_backdoor_triggers": ("slider", "backdoor budget", lambda v: widgets.backdoor_playground(float(v), "cf")),
    "05_data_validation_and_sanitization": ("dropdown", "detector",
                                            lambda v: widgets.detector_playground(v, 0.2)),
}


def _has_playground(stem):
    path = ROOT / "notebooks" / f"{stem}.ipynb"
    if not path.exists():
        return False
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    return any("widgets" in c.get("metadata", {}).get("tags", []) for c in cells)


def _ensure_chromium():
    if CHROMIUM.exists():
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0 and shutil.which("apt-get"):
        subprocess.run(["apt-get", "update", "-qq"], check=False, capture_output=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, capture_output=True,
                       timeout=900, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive"))
    if not CHROMIUM.exists():
        message = "Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _stop(process):
    """Stop the server by its process id; its kernels are in its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # kernels left behind, if any
    except (ProcessLookupError, PermissionError):
        pass
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab on 127.0.0.1 serving a copy of the lessons; yields (base url, token)."""
    _ensure_chromium()
    pytest.importorskip("playwright.sync_api")
    home = tmp_path_factory.mktemp("lab")
    shutil.copytree(ROOT / "notebooks", home / "notebooks")
    settings = home / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    # No news or update prompt over the page.
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}), encoding="utf-8")
    # Render every cell, not only those in view, so outputs can be found wherever they are.
    notebook_settings = home / "settings" / "@jupyterlab" / "notebook-extension"
    notebook_settings.mkdir(parents=True)
    (notebook_settings / "tracker.jupyterlab-settings").write_text(json.dumps({"windowingMode": "none"}),
                                                                   encoding="utf-8")
    port, token = _free_port(), secrets.token_hex(16)
    env = dict(os.environ, HOME=str(home), JUPYTERLAB_SETTINGS_DIR=str(home / "settings"),
               JUPYTER_RUNTIME_DIR=str(home / "runtime"), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    env.pop("MPLBACKEND", None)
    jupyter_lab = Path(sys.executable).with_name("jupyter-lab")
    command = [str(jupyter_lab), "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
               "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}",
               f"--ServerApp.root_dir={home}", "--ServerApp.allow_root=True"]
    log = open(home / "lab.log", "wb")
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=5)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("JupyterLab did not start: " + (home / "lab.log").read_text()[-2000:])
                time.sleep(0.5)
        yield base, token
    finally:
        _stop(process)
        log.close()
        assert process.poll() is not None, "the JupyterLab server is still running"
        with socket.socket() as sock:
            assert sock.connect_ex(("127.0.0.1", port)) != 0, "something still listens on the lab's port"


@pytest.fixture(scope="module")
def browser(lab):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _output_text(page):
    return page.locator(".widget-interact .jp-OutputArea-output pre").last.inner_text().strip()


def _move(page, kind, label):
    """Change the control with the mouse; return its new value as the widget shows it."""
    if kind == "dropdown":
        select = page.locator(".widget-interact .widget-dropdown", has_text=label).locator("select")
        options = select.locator("option").all_inner_texts()
        new = next(o for o in options if o != select.input_value())
        select.select_option(new)
        return new
    slider = page.locator(".widget-interact .widget-slider", has_text=label)
    handle = slider.locator(".noUi-handle")
    readout = slider.locator(".widget-readout")
    before = readout.inner_text()
    box = handle.bounding_box()
    track = slider.locator(".noUi-base").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(min(x + track["width"] * 0.25, track["x"] + track["width"] - 2), y, steps=8)
    page.mouse.up()
    page.wait_for_function("([el, old]) => el.innerText !== old", arg=[readout.element_handle(), before],
                           timeout=10_000)
    return readout.inner_text().strip()


@pytest.mark.parametrize("stem", sorted(PLAYGROUNDS))
def test_playground_in_a_real_browser(lab, browser, stem):
    assert _has_playground(stem), f"notebooks/{stem}.ipynb has no cell tagged 'widgets'"
    base, token = lab
    kind, label, compute = PLAYGROUNDS[stem]
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    try:
        page.goto(f"{base}/lab/tree/notebooks/{stem}.ipynb?token={token}", timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_selector(".jp-mod-idle, .jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=60_000, state="attached")
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        page.wait_for_selector(".widget-interact", timeout=240_000, state="attached")
        widget = page.locator(".widget-interact").first
        widget.scroll_into_view_if_needed()
        page.wait_for_selector(".widget-interact .jp-OutputArea-output pre", timeout=240_000)
        before = _output_text(page)
        value = _move(page, kind, label)
        _, numbers = compute(value)
        expected = format_numbers(numbers)
        assert expected != before, "the new setting should change the playground's numbers"
        page.wait_for_function(
            "(text) => [...document.querySelectorAll('.widget-interact .jp-OutputArea-output pre')]"
            ".some(e => e.innerText.trim() === text)", arg=expected, timeout=120_000)
        assert _output_text(page) == expected
        widget.scroll_into_view_if_needed()
        shots = ROOT / "build" / "screenshots"
        shots.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shots / f"{stem}.png"))
    finally:
        page.close()
