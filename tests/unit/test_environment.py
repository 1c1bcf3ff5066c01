"""environment.yml (conda, Binder) and pyproject.toml (pip) must ask for the same packages."""

import re

import pytest
import yaml

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

from tests.conftest import ROOT


def _requirements(lines):
    found = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", line)
        assert match, f"cannot read requirement {line!r}"
        name = match.group(1).lower().replace("_", "-")
        found[name] = match.group(2).replace(" ", "")
    return found


def test_environment_yml_matches_pyproject():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = _requirements(project["dependencies"] + project["optional-dependencies"]["test"])
    wanted["python"] = project["requires-python"]
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str) and d != "pip"]
    have = _requirements(conda)
    missing = sorted(set(wanted) - set(have))
    extra = sorted(set(have) - set(wanted))
    assert not missing, f"environment.yml lacks {missing}"
    assert not extra, f"environment.yml has {extra}, which pyproject.toml does not"
    differing = {name: (wanted[name], have[name]) for name in wanted if wanted[name] != have[name]}
    assert not differing, f"version ranges differ (pyproject, environment.yml): {differing}"
    pip_section = [d for d in env["dependencies"] if isinstance(d, dict)]
    assert pip_section == [{"pip": ["-e ."]}], "environment.yml must install the course itself with pip"


def test_readme_commands_exist_in_makefile():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for target in ("lab", "test", "course"):
        assert re.search(rf"^{target}:", makefile, re.M), f"Makefile has no {target} target"
        assert f"make {target}" in readme, f"README does not show `make {target}`"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci


def test_the_license_uses_the_current_format():
    # A TOML table under project.license makes setuptools print a deprecation warning at every
    # install; an SPDX expression with license-files is the current format (setuptools 77 and up).
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    project = pyproject["project"]
    assert isinstance(project["license"], str) and "MIT" in project["license"]
    assert all((ROOT / name).is_file() for name in project["license-files"])
    assert any(re.fullmatch(r"setuptools>=(7[7-9]|[89]\d)(\.\d+)*", r) for r in pyproject["build-system"]["requires"])
