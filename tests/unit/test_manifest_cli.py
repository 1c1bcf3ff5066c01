"""``python -m course_utils manifest``: keygen, create and verify, with verify's exit codes 0, 1 and 2."""

import json
import os
import stat
import subprocess
import sys

import pytest

from course_utils.cli import main

from tests.conftest import ROOT


@pytest.fixture
def signed(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    (data / "a.txt").write_text("a good film\t1\n")
    (data / "sub" / "b.txt").write_text("a bad film\t0\n")
    assert main(["manifest", "keygen", "--out", str(tmp_path / "publisher")]) == 0
    assert main(["manifest", "create", str(data), "--key", str(tmp_path / "publisher.key"),
                 "--out", str(tmp_path / "manifest.json"), "--version", "3", "--source", "reviews",
                 "--license", "CC-BY-4.0"]) == 0
    return tmp_path, data


def _verify(tmp_path, data, *extra, manifest="manifest.json", pub="publisher.pub"):
    return main(["manifest", "verify", str(data), "--manifest", str(tmp_path / manifest),
                 "--public-key", str(tmp_path / pub), *extra])


def test_keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites(tmp_path, capsys):
    assert main(["manifest", "keygen", "--out", str(tmp_path / "k")]) == 0
    assert stat.S_IMODE(os.stat(tmp_path / "k.key").st_mode) == 0o600
    assert b"PRIVATE KEY" in (tmp_path / "k.key").read_bytes() and b"PUBLIC KEY" in (tmp_path / "k.pub").read_bytes()
    before = (tmp_path / "k.key").read_bytes()
    assert main(["manifest", "keygen", "--out", str(tmp_path / "k")]) == 2
    assert "never overwrites" in capsys.readouterr().err
    assert (tmp_path / "k.key").read_bytes() == before


def test_an_intact_folder_verifies(signed, capsys):
    tmp_path, data = signed
    manifest = json.loads((tmp_path / "manifest.json").read_text())
    assert sorted(manifest["files"]) == ["a.txt", "sub/b.txt"] and manifest["version"] == 3
    assert manifest["files"]["a.txt"]["source"] == "reviews"
    capsys.readouterr()
    assert _verify(tmp_path, data, "--min-version", "3") == 0
    assert capsys.readouterr().out.strip() == "ok: 2 files, version 3, signature valid"


@pytest.mark.parametrize("case, expected", [
    ("byte", "a.txt: sha256 differs"), ("added", "c.txt: added"), ("removed", "sub/b.txt: missing"),
    ("other key", "another key"), ("replay", "older than the current version 4"),
])
def test_each_tamper_case_exits_1_naming_the_file_or_the_check(signed, capsys, case, expected):
    tmp_path, data = signed
    extra = []
    if case == "byte":
        (data / "a.txt").write_text("a good film\t0\n")
    elif case == "added":
        (data / "c.txt").write_text("poison\t0\n")
    elif case == "removed":
        (data / "sub" / "b.txt").unlink()
    elif case == "other key":
        assert main(["manifest", "keygen", "--out", str(tmp_path / "attacker")]) == 0
        assert main(["manifest", "create", str(data), "--key", str(tmp_path / "attacker.key"),
                     "--out", str(tmp_path / "forged.json")]) == 0
        capsys.readouterr()
        assert _verify(tmp_path, data, manifest="forged.json") == 1
        assert expected in capsys.readouterr().out
        return
    else:
        extra = ["--min-version", "4"]
    capsys.readouterr()
    assert _verify(tmp_path, data, *extra) == 1
    out = capsys.readouterr().out
    assert expected in out and "ok:" not in out


def test_a_manifest_written_inside_its_folder_leaves_itself_out(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("x")
    main(["manifest", "keygen", "--out", str(tmp_path / "k")])
    assert main(["manifest", "create", str(data), "--key", str(tmp_path / "k.key"),
                 "--out", str(data / "MANIFEST.json")]) == 0
    assert list(json.loads((data / "MANIFEST.json").read_text())["files"]) == ["a.txt"]
    assert main(["manifest", "verify", str(data), "--manifest", str(data / "MANIFEST.json"),
                 "--public-key", str(tmp_path / "k.pub")]) == 0


@pytest.mark.parametrize("args, message", [
    (["verify", "{data}", "--manifest", "{tmp}/manifest.json", "--public-key", "{tmp}/nothing.pub"], "nothing.pub"),
    (["verify", "{tmp}/no-folder", "--manifest", "{tmp}/manifest.json", "--public-key", "{tmp}/publisher.pub"],
     "not a folder"),
    (["verify", "{data}", "--manifest", "{tmp}/garbage.json", "--public-key", "{tmp}/publisher.pub"], "not a JSON"),
    (["verify", "{data}", "--manifest", "{tmp}/manifest.json", "--public-key", "{tmp}/publisher.key"],
     "not an Ed25519 public key"),
    (["verify", "{data}", "--manifest", "{tmp}/manifest.json", "--public-key", "{tmp}/publisher.pub",
      "--min-version", "zero"], "min-version"),
    (["create", "{data}", "--key", "{tmp}/publisher.pub", "--out", "{tmp}/m.json"], "not an Ed25519 private key"),
    (["verify", "{data}"], "required"),
    (["sign", "{data}"], "invalid choice"),
])
def test_bad_arguments_exit_2_with_one_line(signed, capsys, args, message):
    tmp_path, data = signed
    (tmp_path / "garbage.json").write_text("{not json")
    capsys.readouterr()
    argv = ["manifest"] + [a.format(tmp=tmp_path, data=data) for a in args]
    try:
        code = main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    assert code == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1, err


def test_verify_writes_nothing(signed):
    tmp_path, data = signed
    (data / "a.txt").write_text("changed\t0\n")

    def state():
        return {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(tmp_path.rglob("*")) if p.is_file()}

    before = state()
    assert _verify(tmp_path, data) == 1
    assert _verify(tmp_path, data, pub="publisher.key") == 2
    assert state() == before


def test_the_command_runs_as_a_module(signed):
    tmp_path, data = signed
    (data / "sub" / "b.txt").write_text("a bad film\t1\n")  # one label flipped, same size
    result = subprocess.run([sys.executable, "-m", "course_utils", "manifest", "verify", str(data),
                             "--manifest", str(tmp_path / "manifest.json"), "--public-key",
                             str(tmp_path / "publisher.pub")], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 1
    assert result.stdout.strip() == "sub/b.txt: sha256 differs from the manifest's"
