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
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from course_utils import playgrounds
from course_utils.playgrounds import format_numbers
from tests.conftest import LESSONS, NOTEBOOKS, ROOT, notebook_json

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "build" / "screenshots"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-quic"]

pytestmark = pytest.mark.notebook

# lesson -> (kind of control, its label, how to read the new setting into the plain function's arguments)
PLAYGROUNDS = {
    "02_label_flip_poisoning": ("slider", "poison fraction",
                                lambda v: playgrounds.poison_playground("random-flip", float(v))),
    "03_testing_the_impact": ("slider", "poisoned copies",
                              lambda v: playgrounds.targeted_budget_playground(int(v), 1, "I really love this!")),
    "04_backdoor_triggers": ("slider", "backdoor fraction", lambda v: playgrounds.backdoor_playground(float(v), "cf")),
    "05_data_validation_and_sanitization": ("dropdown", "detector",
                                            lambda v: playgrounds.detector_playground(v, 0.2)),
    "06_robust_learning": ("slider", "epsilon", lambda v: playgrounds.dp_playground(float(v), 5)),
    "07_training_techniques": ("slider", "n_partitions", lambda v: playgrounds.partition_playground(int(v), "dpa")),
    "08_regularization_and_label_penalties": ("slider", "poison fraction",
                                              lambda v: playgrounds.regularization_playground(1.0, float(v))),
    "09_monitoring_and_incremental_learning": ("slider", "burst rows per batch",
                                               lambda v: playgrounds.stream_playground(int(v), 0)),
    "10_secure_data_collection": ("slider", "review threshold",
                                  lambda v: playgrounds.review_playground(float(v), "targeted-flip")),
    "11_post_training_validation": ("text", "sentence",
                                    lambda v: playgrounds.influence_playground(v, 0.01)),
}


def _has_playground(stem):
    path = NOTEBOOKS / f"{stem}.ipynb"
    if not path.exists():
        return False
    cells = notebook_json(path)["cells"]
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
    shutil.copytree(NOTEBOOKS, home / "notebooks")
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
    if kind == "text":  # type a new sentence and press Enter (the box updates on Enter, not on each key)
        box = page.locator(".widget-interact .widget-text", has_text=label).locator("input")
        new = "what a wonderful film"
        box.fill(new)
        box.press("Enter")
        return new
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


def _api(base, token, method, path, body=None):
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     data=None if body is None else json.dumps(body).encode(),
                                     headers={"Authorization": f"token {token}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        text = response.read()
    return json.loads(text) if text else None


def _kernel_answers(base, token, kernel_id, timeout):
    """Whether the kernel answers a kernel_info request on its websocket within ``timeout`` seconds.

    The REST API cannot tell: without a websocket client the server never sees the kernel's
    status messages, so ``execution_state`` stays "starting".
    """
    import asyncio
    import concurrent.futures
    import uuid

    from tornado.websocket import websocket_connect

    async def ask():
        url = f"{base.replace('http', 'ws', 1)}/api/kernels/{kernel_id}/channels?token={token}"
        connection = await websocket_connect(url)
        try:
            msg_id = uuid.uuid4().hex
            await connection.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "kernel_info_request", "username": "test",
                           "session": uuid.uuid4().hex, "date": "", "version": "5.3"},
                "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell", "buffers": []}))
            while True:
                message = await connection.read_message()
                if message is None:
                    return False
                if isinstance(message, str):
                    reply = json.loads(message)
                    if (reply.get("msg_type") == "kernel_info_reply"
                            and reply.get("parent_header", {}).get("msg_id") == msg_id):
                        return True
        finally:
            connection.close()

    # A thread of its own: Playwright's sync API owns this thread's event loop.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        try:
            return pool.submit(asyncio.run, asyncio.wait_for(ask(), timeout)).result()
        except Exception:  # noqa: BLE001 - any failure means "not yet"
            return False


def _start_kernel(base, token, stem):
    """Start the notebook's session through the REST API and wait until its kernel answers.

    Left to itself, a freshly opened JupyterLab page sometimes starts a kernel, shuts it down at
    once and starts another while it still connects to the first ("Kernel never reached an
    'alive' state" in the server log); Run All then waits forever. With the session already
    there, the page usually attaches to a kernel known to be ready.
    """
    session = _api(base, token, "POST", "/api/sessions",
                   {"path": f"notebooks/{stem}.ipynb", "name": f"{stem}.ipynb", "type": "notebook",
                    "kernel": {"name": "python3"}})
    deadline = time.monotonic() + 120
    while not _kernel_answers(base, token, session["kernel"]["id"], timeout=20):
        assert time.monotonic() < deadline, f"the kernel for {stem} never answered a kernel_info request"
        time.sleep(1)


def _running(page):
    return any(p.strip() == "[*]:" for p in page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts())


def _run_all_cells(page, timeout=240, attempts=3):
    """Run > Run All Cells, as a learner does, until the playground's widget is on the page.

    Now and then a freshly opened JupyterLab page swaps the notebook's kernel for a new one just
    as the cells start (the server log shows "Kernel started" then "Kernel shutdown" of the old
    one): the first cell runs, the queued ones are dropped without an error. Or it asks which
    kernel to start ("Select Kernel") instead of running anything. A learner accepts the
    preferred kernel and runs all cells again once nothing is running; so does this.
    """
    deadline = time.monotonic() + timeout
    for attempt in range(1, attempts + 1):
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name=re.compile(r"^Run All Cells")).click()
        clicked = time.monotonic()
        while time.monotonic() < deadline:
            if page.locator(".widget-interact").count():
                return
            dialog = page.locator(".jp-Dialog")
            if dialog.count() and dialog.first.is_visible():
                dialog.first.locator(".jp-Dialog-button.jp-mod-accept").click()  # "Select"
                clicked = time.monotonic()
            elif time.monotonic() - clicked > 10 and not _running(page):
                break  # the run stopped short of the playground: run all again
            page.wait_for_timeout(500)
        else:
            break
    raise AssertionError(f"no playground widget after Run All Cells ({attempt} attempts, {timeout} s)")


def _end_sessions(base, token, stem):
    """Shut down every session of the notebook (the page may have replaced the one started here)."""
    for session in _api(base, token, "GET", "/api/sessions"):
        if session.get("path") == f"notebooks/{stem}.ipynb":
            try:
                _api(base, token, "DELETE", f"/api/sessions/{session['id']}")
            except urllib.error.HTTPError as error:
                if error.code != 404:  # gone already is fine
                    raise


def test_every_lesson_with_a_playground_is_driven_here():
    # The lessons come from disk: a new lesson's playground cannot be left out of the browser test.
    with_playground = [p.stem for p in LESSONS if _has_playground(p.stem)]
    assert with_playground == sorted(PLAYGROUNDS), "PLAYGROUNDS must hold every lesson with a cell tagged 'widgets'"


@pytest.mark.parametrize("stem", sorted(PLAYGROUNDS))
def test_playground_in_a_real_browser(lab, browser, stem):
    assert _has_playground(stem), f"notebooks/{stem}.ipynb has no cell tagged 'widgets'"
    base, token = lab
    kind, label, compute = PLAYGROUNDS[stem]
    _start_kernel(base, token, stem)
    # A fresh context and a workspace of its own: otherwise Lab restores the previous lesson's tabs,
    # whose kernels are gone, next to this one.
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{base}/lab/workspaces/{stem}/tree/notebooks/{stem}.ipynb?reset&token={token}",
                  timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        page.wait_for_selector(".jp-mod-idle, .jp-Notebook-ExecutionIndicator[data-status='idle']",
                               timeout=60_000, state="attached")
        _run_all_cells(page)
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
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{stem}.png"))
    except Exception:
        # What the learner would have seen, for whoever reads the failure.
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{stem}-failed.png"), full_page=True)
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']")
        status = page.locator(".jp-Notebook-ExecutionIndicator").first
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        tabs = page.locator(".lm-DockPanel-tabBar .lm-TabBar-tabLabel").all_inner_texts()
        print(f"{stem}: kernel status {status.get_attribute('data-status') if status.count() else 'unknown'};",
              f"tabs {tabs}; prompts {' '.join(p.strip() for p in prompts)};",
              f"{errors.count()} error outputs;", " | ".join(t[:300] for t in errors.all_inner_texts()[:3]))
        raise
    finally:
        context.close()
        _end_sessions(base, token, stem)  # their kernels go with them
