"""``make lab`` as a learner runs it: the README's first command serves the lessons.

The test starts the very target a learner starts (``make lab``, with a free port and a scratch
runtime folder passed through ``LAB_ARGS`` and the environment), waits for the address with its
token that the server prints, as a learner would copy it, lists ``notebooks/`` over JupyterLab's
REST API, and stops the server by the process id the server records. It runs as whatever user the
tests run as: as root (CI, containers) it also checks the line saying that ``--allow-root`` was
added, and without a display the one about the browser.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.request

import pytest

from course_utils.lab import lab_command
from tests.conftest import LESSONS, ROOT

pytestmark = pytest.mark.notebook


def _free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_pid(runtime_dir):
    for path in runtime_dir.glob("jpserver-*.json"):
        return json.loads(path.read_text())["pid"]
    return None


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_lab_serves_the_lessons_and_stops_by_its_pid(tmp_path):
    port = _free_port()
    runtime = tmp_path / "runtime"
    env = dict(os.environ, JUPYTER_RUNTIME_DIR=str(runtime), JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "ws"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "config"))
    env.pop("MAKEFLAGS", None)
    env.pop("MAKELEVEL", None)
    args = f"--ServerApp.ip=127.0.0.1 --ServerApp.port={port} --ServerApp.port_retries=0"
    log = tmp_path / "lab.log"
    with open(log, "wb") as out:
        make = subprocess.Popen(["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    pid = None
    try:
        match = None
        deadline = time.monotonic() + 120
        while match is None and time.monotonic() < deadline and make.poll() is None:
            time.sleep(0.5)
            match = re.search(rf"http://127\.0\.0\.1:{port}/lab\?token=(\w+)", log.read_text(errors="replace"))
        text = log.read_text(errors="replace")
        assert match is not None, f"make lab printed no address with its token:\n{text[-3000:]}"
        token = match.group(1)

        _, notes = lab_command([])
        for note in notes:  # the lines for root and for a missing display, when they apply here
            assert note in text
        if os.geteuid() == 0:
            assert "--allow-root" in text and "Running as root is not recommended" not in text

        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/contents/notebooks",
                                         headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            listing = json.load(response)
        served = sorted(item["name"] for item in listing["content"] if item["type"] == "notebook")
        assert served == [path.name for path in LESSONS]

        pid = _server_pid(runtime)
        assert pid is not None, "the server wrote no jpserver-<pid>.json"
        os.kill(pid, signal.SIGTERM)
        assert make.wait(timeout=60) is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    finally:
        if make.poll() is None:
            os.killpg(make.pid, signal.SIGKILL)
            make.wait(timeout=30)
        if pid is not None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
