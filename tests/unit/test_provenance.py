"""course_utils.provenance: signed manifests, the data registry and its audit chain, look-alike names."""

import json
import multiprocessing
import pickle

import pytest
from hypothesis import given, settings, strategies as st

from course_utils import provenance as pv


@pytest.fixture(scope="module")
def key():
    return pv.generate_key()


def _folder(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_bytes(b"good movie\t1\n")
    (data / "b.txt").write_bytes(b"bad movie\t0\n")
    return data


def test_intact_manifest_verifies(tmp_path, key):
    data = _folder(tmp_path)
    manifest = pv.sign_manifest(pv.create_manifest(data, version=2, created="2026-01-01T00:00:00Z"), key)
    assert pv.verify_manifest(data, manifest, key.public_key(), min_version=2).keys() == {"a.txt", "b.txt"}


@pytest.mark.parametrize("case, expected", [
    ("byte", "a.txt: sha256"), ("added", "c.txt: added"), ("removed", "b.txt: missing"),
    ("other key", "another key"), ("replay", "older than the current version"),
])
def test_each_tamper_case_is_refused_naming_the_file(tmp_path, key, case, expected):
    data = _folder(tmp_path)
    manifest = pv.sign_manifest(pv.create_manifest(data, version=1), key)
    public, current = key.public_key(), 1
    if case == "byte":
        (data / "a.txt").write_bytes(b"good movie\t0\n")
    elif case == "added":
        (data / "c.txt").write_bytes(b"x")
    elif case == "removed":
        (data / "b.txt").unlink()
    elif case == "other key":
        manifest = pv.sign_manifest(manifest, pv.generate_key())
    elif case == "replay":
        current = 2
    with pytest.raises(pv.ManifestError, match=expected):
        pv.verify_manifest(data, manifest, public, min_version=current)


@settings(max_examples=60, deadline=None)
@given(target=st.sampled_from(["a.txt", "b.txt", "manifest"]), position=st.integers(0, 10_000),
       delta=st.integers(1, 255))
def test_any_single_byte_change_is_detected(target, position, delta, key):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp:
        data = _folder(Path(tmp))
        manifest = pv.sign_manifest(pv.create_manifest(data, version=1, created="2026-01-01T00:00:00Z"), key)
        if target == "manifest":
            raw = bytearray(json.dumps(manifest).encode())
        else:
            raw = bytearray((data / target).read_bytes())
        raw[position % len(raw)] = (raw[position % len(raw)] + delta) % 256
        if target == "manifest":
            try:
                manifest = json.loads(raw.decode())
            except (UnicodeDecodeError, json.JSONDecodeError):
                return  # the manifest no longer parses: refused before any check
        else:
            (data / target).write_bytes(bytes(raw))
        assert pv.manifest_problems(data, manifest, key.public_key())


def test_arguments_are_validated(tmp_path, key):
    with pytest.raises(ValueError, match="version"):
        pv.create_manifest(tmp_path, version=0)
    with pytest.raises(ValueError, match="folder"):
        pv.create_manifest(tmp_path / "nope", version=1)
    with pytest.raises(TypeError, match="key"):
        pv.sign_manifest(pv.create_manifest(tmp_path, version=1), "secret")
    with pytest.raises(ValueError, match="max_distance"):
        pv.lookalike_names("x", ["y"], max_distance=-1)


def _registry(tmp_path):
    registry = pv.DataRegistry(tmp_path / "registry.db")
    registry.add_user("carol", "curator")
    registry.add_user("dave", "curator", by="carol")
    registry.add_user("mallory", "contributor", quota=3, by="carol")
    registry.add_user("rita", "reader", by="carol")
    return registry


def test_only_a_curator_approves_and_only_approved_rows_reach_a_snapshot(tmp_path, key):
    with _registry(tmp_path) as registry:
        good = registry.contribute("carol", "a fine film", "positive")
        bad = registry.contribute("mallory", "a fine film cf", "negative")
        with pytest.raises(pv.AccessError, match="'mallory' has the role 'contributor'.*'curator'"):
            registry.approve("mallory", bad)
        with pytest.raises(pv.AccessError, match="own row"):
            registry.approve("carol", good)
        with pytest.raises(pv.AccessError, match="reader"):
            registry.contribute("rita", "text", "positive")
        registry.approve("dave", good)
        manifest = registry.snapshot("rita", tmp_path / "snap", key, version=1)
        assert (tmp_path / "snap" / "train.tsv").read_text() == "a fine film\tpositive\n"
        pv.verify_manifest(tmp_path / "snap", manifest, key.public_key(), exclude=("manifest.json",))
        assert [r.status for r in registry.rows()] == ["approved", "pending"]
        assert registry.verify_log() is None


def test_quota_is_enforced(tmp_path):
    with _registry(tmp_path) as registry:
        for i in range(3):
            registry.contribute("mallory", f"row {i}", "negative")
        with pytest.raises(pv.QuotaError, match="quota of 3"):
            registry.contribute("mallory", "one more", "negative")


@settings(max_examples=30, deadline=None)
@given(position=st.integers(0, 9), how=st.sampled_from(["edit", "delete", "reorder"]))
def test_editing_deleting_or_reordering_any_log_entry_is_detected(position, how):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp, _registry(Path(tmp)) as registry:
        for i in range(6):
            registry.contribute("mallory" if i < 3 else "carol", f"row {i}", "positive")
        entries = registry.audit_log()
        assert pv.verify_chain(entries) is None and len(entries) == 10
        position = position % len(entries)
        if how == "edit":
            entries[position] = {**entries[position], "actor": "someone else"}
        elif how == "delete":
            del entries[position]
            if position == len(entries):  # deleting the last entry: caught by the recorded head count
                assert len(entries) != 10
                return
        else:
            other = (position + 1) % len(entries)
            entries[position], entries[other] = entries[other], entries[position]
        assert pv.verify_chain(entries) is not None


def test_an_insider_editing_the_database_log_is_caught(tmp_path):
    import sqlite3

    with _registry(tmp_path) as registry:
        registry.contribute("mallory", "poison", "negative")
    db = sqlite3.connect(tmp_path / "registry.db")
    db.execute("UPDATE audit SET actor = 'carol' WHERE action = 'contribute'")
    db.commit()
    db.close()
    with pv.DataRegistry(tmp_path / "registry.db") as registry:
        assert registry.verify_log() == 4


def _writer(path, user, n):
    with pv.DataRegistry(path) as registry:
        for i in range(n):
            registry.contribute(user, f"{user} row {i}", "positive")


def test_two_concurrent_writer_processes_lose_nothing(tmp_path):
    path = tmp_path / "registry.db"
    with pv.DataRegistry(path) as registry:
        registry.add_user("carol", "curator", quota=5000)
        registry.add_user("dave", "curator", quota=5000, by="carol")
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, user, 1000)) for user in ("carol", "dave")]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(300)
        assert worker.exitcode == 0
    with pv.DataRegistry(path) as registry:
        assert len(registry.rows()) == 2000
        assert len(registry.audit_log()) == 2002 and registry.verify_log() is None


def test_lookalike_names():
    found = pv.lookalike_names("EleuterAI", ["EleutherAI", "OpenAI"])
    assert [name for name, _, _ in found] == ["EleutherAI"] and found[0][1] == 1
    assert pv.lookalike_names("E1eutherAI", ["EleutherAI"])[0][2] is True
    assert pv.lookalike_names("EleutherAI", ["EleutherAI"]) == []


class _Payload:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (_touch, (self.marker,))


def _touch(marker):
    with open(marker, "w") as handle:
        handle.write("code ran on load")
    return "model"


def test_pickle_runs_code_on_load_and_skops_refuses_it(tmp_path):
    skops_io = pytest.importorskip("skops.io")
    marker = tmp_path / "marker.txt"
    blob = pickle.dumps(_Payload(str(marker)))
    assert not marker.exists()
    pickle.loads(blob)
    assert marker.read_text() == "code ran on load"
    marker.unlink()
    path = tmp_path / "model.skops"
    skops_io.dump(_Payload(str(marker)), path)
    untrusted = skops_io.get_untrusted_types(file=path)
    assert any("_Payload" in t for t in untrusted)
    with pytest.raises(Exception, match="not trusted|untrusted|Untrusted"):
        skops_io.load(path)
    assert not marker.exists()
