"""``python -m course_utils.lab``: start JupyterLab on the course, wherever a learner runs it.

``make lab`` runs this. It opens the first lesson in JupyterLab with the project's top folder as
the server's root, and adds the two options a learner would otherwise have to find out about:

* ``--allow-root`` when the process runs as root (in containers, on Binder-like images), because
  Jupyter refuses to start as root without it;
* ``--no-browser`` on a Linux machine with no display (no ``DISPLAY`` or ``WAYLAND_DISPLAY``),
  where no browser could open; the server then prints the address to open.

Each option it adds is said in one printed line. Any further arguments are passed on to
``jupyter lab`` (``make lab LAB_ARGS="--port=8890"``); an option the caller gives is not added twice.
"""

from __future__ import annotations

import os
import sys

from .paths import PROJECT_ROOT

__all__ = ["FIRST_LESSON", "lab_command", "main"]

#: The notebook JupyterLab opens, relative to the project's root.
FIRST_LESSON = "notebooks/00_welcome_and_threat_model.ipynb"


def _running_as_root():
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _has_display(environ):
    # macOS and Windows always have a way to open a browser; other Unix systems need an X or
    # Wayland display (a terminal-only browser is no use for JupyterLab).
    if sys.platform == "darwin" or sys.platform.startswith("win"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def _given(arguments, option):
    return any(argument == option or argument.startswith(option + "=") for argument in arguments)


def lab_command(arguments=(), *, as_root=None, has_display=None, python=None, environ=None):
    """The ``jupyter lab`` command line for this machine, and the lines that explain it.

    Parameters
    ----------
    arguments : sequence of str, default=()
        Further arguments for ``jupyter lab``, passed on unchanged and after the course's own.
    as_root : bool, default=None
        Whether the server will run as root; ``None`` asks the operating system.
    has_display : bool, default=None
        Whether a browser can open here; ``None`` decides from the platform and ``environ``.
    python : str, default=None
        The Python that runs JupyterLab; ``None`` is the running one.
    environ : mapping, default=None
        The environment to look for a display in; ``None`` is ``os.environ``.

    Returns
    -------
    command : list of str
        The program and its arguments.
    notes : list of str
        One line for each option added, to print before starting.
    """
    if isinstance(arguments, (str, bytes)) or not all(isinstance(a, str) for a in arguments):
        raise TypeError("arguments must be a sequence of strings, e.g. ['--port=8890']")
    for name, value in (("as_root", as_root), ("has_display", has_display)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{name} must be True, False or None, got {value!r}")
    environ = os.environ if environ is None else environ
    as_root = _running_as_root() if as_root is None else as_root
    has_display = _has_display(environ) if has_display is None else has_display

    command = [python or sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={PROJECT_ROOT}"]
    notes = []
    if as_root and not _given(arguments, "--allow-root"):
        command.append("--allow-root")
        notes.append("Running as root (as in most containers): starting JupyterLab with --allow-root.")
    if not has_display and not _given(arguments, "--no-browser"):
        command.append("--no-browser")
        notes.append("No display found: not opening a browser; open the http://127.0.0.1 address "
                     "printed below in yours.")
    command.extend(arguments)
    command.append(str(PROJECT_ROOT / FIRST_LESSON))
    return command, notes


def main(argv=None):
    """Print the notes and replace this process with JupyterLab (its process id stays the same)."""
    arguments = sys.argv[1:] if argv is None else list(argv)
    command, notes = lab_command(arguments)
    for note in notes:
        print(note, flush=True)
    os.execv(command[0], command)


if __name__ == "__main__":
    main()
