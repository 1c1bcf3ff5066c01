"""``make lab``'s command line: --allow-root as root, --no-browser without a display, said in one line each."""

import pytest

from course_utils.lab import FIRST_LESSON, lab_command
from course_utils.paths import PROJECT_ROOT


def test_as_root_without_display_adds_both_options_and_says_so():
    command, notes = lab_command([], as_root=True, has_display=False, python="py")
    assert command[:3] == ["py", "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={PROJECT_ROOT}" in command
    assert "--allow-root" in command and "--no-browser" in command
    assert command[-1] == str(PROJECT_ROOT / FIRST_LESSON)
    assert len(notes) == 2
    assert "--allow-root" in notes[0] and "root" in notes[0]
    assert "--no-browser" not in notes[1] and "display" in notes[1] and "address" in notes[1]
    assert all("\n" not in note for note in notes)


def test_an_ordinary_user_with_a_display_gets_the_plain_command():
    command, notes = lab_command(["--port=8890"], as_root=False, has_display=True, python="py")
    assert "--allow-root" not in command and "--no-browser" not in command
    assert notes == []
    assert command.index("--port=8890") < len(command) - 1  # the lesson stays the last argument


def test_an_option_the_caller_gives_is_not_added_twice():
    command, notes = lab_command(["--allow-root", "--no-browser"], as_root=True, has_display=False)
    assert command.count("--allow-root") == 1 and command.count("--no-browser") == 1
    assert notes == []


@pytest.mark.parametrize("environ, expected", [({}, False), ({"DISPLAY": ":0"}, True),
                                               ({"WAYLAND_DISPLAY": "wayland-0"}, True), ({"DISPLAY": ""}, False)])
def test_a_display_is_found_from_the_environment_on_linux(monkeypatch, environ, expected):
    monkeypatch.setattr("sys.platform", "linux")
    command, _ = lab_command([], as_root=False, environ=environ)
    assert ("--no-browser" not in command) is expected


@pytest.mark.parametrize("bad, error", [("--port=1", TypeError), ([1], TypeError)])
def test_arguments_must_be_strings(bad, error):
    with pytest.raises(error, match="arguments"):
        lab_command(bad)


def test_flags_must_be_booleans():
    with pytest.raises(TypeError, match="as_root"):
        lab_command([], as_root="yes")
