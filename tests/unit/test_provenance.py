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


_HEAD_KEY = pv.generate_key()


@settings(max_examples=40, deadline=None)
@given(position=st.integers(0, 9), how=st.sampled_from(["edit", "delete", "reorder"]))
def test_editing_deleting_or_reordering_any_log_entry_is_detected(position, how):
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as tmp, _registry(Path(tmp)) as registry:
        for i in range(6):
            registry.contribute("mallory" if i < 3 else "carol", f"row {i}", "positive")
        entries = registry.audit_log()
        head = registry.sign_head(_HEAD_KEY)
        assert pv.verify_chain(entries) is None and len(entries) == 10
        assert pv.verify_chain(entries, head=head, public_key=_HEAD_KEY.public_key()) is None
        if how == "edit":
            entries[position] = {**entries[position], "actor": "someone else"}
        elif how == "delete":
            del entries[position]
        else:
            other = position + 1 if position + 1 < len(entries) else position - 1
            entries[position], entries[other] = entries[other], entries[position]
        found = pv.verify_chain(entries, head=head, public_key=_HEAD_KEY.public_key())
        assert found == (min(position, other) if how == "reorder" else position)
        if not (how == "delete" and position == 9):  # only a cut at the end needs the signed head
            assert pv.verify_chain(entries) is not None


def test_a_signed_head_catches_a_cut_tail_and_refuses_a_forged_head(tmp_path):
    with _registry(tmp_path) as registry:
        for i in range(4):
            registry.contribute("carol", f"row {i}", "positive")
        head = registry.sign_head(_HEAD_KEY)
        entries = registry.audit_log()
    assert pv.verify_chain(entries[:-2]) is None  # a shorter chain is still a valid chain
    assert pv.verify_chain(entries[:-2], head=head, public_key=_HEAD_KEY.public_key()) == len(entries) - 2
    forged = pv.sign_head(entries[:-2], pv.generate_key())
    with pytest.raises(pv.ManifestError, match="head: bad signature"):
        pv.verify_chain(entries[:-2], head=forged, public_key=_HEAD_KEY.public_key())
    with pytest.raises(pv.ManifestError, match="head: bad signature"):
        pv.verify_chain(entries, head={**head, "seq": head["seq"] - 2}, public_key=_HEAD_KEY.public_key())
    with pytest.raises(ValueError, match="public_key"):
        pv.verify_chain(entries, head=head)
    with pytest.raises(ValueError, match="intact chain"):
        pv.sign_head(entries[1:], _HEAD_KEY)


def test_bulk_contributions_and_reviews_are_all_or_nothing(tmp_path):
    with _registry(tmp_path) as registry:
        ids = registry.contribute_many("carol", [(f"row {i}", "positive") for i in range(3)])
        assert len(registry.audit_log()) == 4 + 3  # one entry per row
        with pytest.raises(pv.QuotaError, match="quota of 3"):
            registry.contribute_many("mallory", [(f"bad {i}", "negative") for i in range(4)])
        assert [r.contributor for r in registry.rows()] == ["carol"] * 3
        with pytest.raises(pv.AccessError, match="own row"):
            registry.review_many("carol", ids, [True, True, True])
        own = registry.contribute("dave", "dave's row", "positive")
        with pytest.raises(pv.AccessError, match="own row"):
            registry.review_many("dave", ids + [own], [True] * 4)
        assert {r.status for r in registry.rows()} == {"pending"}  # the failed batch changed nothing
        registry.review_many("dave", ids, [True, False, True])
        assert [r.status for r in registry.rows()] == ["approved", "rejected", "approved", "pending"]
        with pytest.raises(ValueError, match="one value per row id"):
            registry.review_many("dave", [own], [])
        assert registry.verify_log() is None


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


def _course_model():
    from course_utils.data import shared_sentiment
    from course_utils.models import make_model

    data = shared_sentiment()
    return make_model().fit(data.texts[:2000], data.labels[:2000]), data.texts[2000:]


def test_the_arrays_only_format_predicts_identically_and_cannot_carry_objects(tmp_path):
    import numpy as np

    model, texts = _course_model()
    paths = pv.save_model_arrays(model, tmp_path / "model")
    assert sorted(p.name for p in paths) == ["model.json", "model.npz"]
    loaded = pv.load_model_arrays(tmp_path / "model")
    assert np.array_equal(loaded.predict_proba(texts), model.predict_proba(texts))
    assert list(loaded.predict(texts)) == list(model.predict(texts))
    with np.load(tmp_path / "model" / "model.npz", allow_pickle=False) as arrays:
        assert all(arrays[name].dtype != object for name in arrays.files)
    np.savez(tmp_path / "model" / "model.npz", classes=np.array([_Payload("x")], dtype=object))
    with pytest.raises(ValueError, match="allow_pickle"):
        pv.load_model_arrays(tmp_path / "model")
    with pytest.raises(TypeError, match="Pipeline"):
        pv.save_model_arrays(model[-1], tmp_path / "other")


def test_a_signed_model_card_is_verified_before_loading(tmp_path, key):
    model, texts = _course_model()
    folder = tmp_path / "model"
    pv.save_model_arrays(model, folder)
    card = pv.sign_model_card(folder, key, name="course/sentiment-nb", version=1, card={"test_accuracy": 0.8})
    assert card["card"] == {"name": "course/sentiment-nb", "test_accuracy": 0.8}
    assert list(pv.load_verified_model(folder, key.public_key(), name="course/sentiment-nb").predict(texts)) == \
        list(model.predict(texts))
    with pytest.raises(pv.ManifestError, match="names the model 'course/sentiment-nb', not 'EleuterAI/nb'"):
        pv.load_verified_model(folder, key.public_key(), name="EleuterAI/nb")
    with pytest.raises(pv.ManifestError, match="bad signature|another key"):
        pv.load_verified_model(folder, pv.generate_key().public_key(), name="course/sentiment-nb")
    changed = json.loads((folder / "card.json").read_text())
    changed["card"]["test_accuracy"] = 0.99  # a claim changed after signing
    (folder / "card.json").write_text(json.dumps(changed))
    with pytest.raises(pv.ManifestError, match="bad signature"):
        pv.load_verified_model(folder, key.public_key(), name="course/sentiment-nb")
    (folder / "card.json").write_text(json.dumps(card))
    content = bytearray((folder / "model.npz").read_bytes())
    content[len(content) // 2] ^= 1
    (folder / "model.npz").write_bytes(bytes(content))
    with pytest.raises(pv.ManifestError, match="model.npz: sha256 differs"):
        pv.load_verified_model(folder, key.public_key(), name="course/sentiment-nb")


def test_a_manifest_without_a_card_signs_as_before(key, tmp_path):
    data = _folder(tmp_path)
    plain = pv.create_manifest(data, version=1, created="2026-01-01T00:00:00Z")
    signed = pv.sign_manifest(plain, key)
    body = {k: plain[k] for k in ("version", "created", "files")}
    key.public_key().verify(bytes.fromhex(signed["signature"]), pv._canonical(body))
    with pytest.raises(TypeError, match="card"):
        pv.sign_manifest({**plain, "card": "not a dict"}, key)


def test_sources_and_licenses_may_be_given_per_file(tmp_path):
    data = _folder(tmp_path)
    manifest = pv.create_manifest(data, version=1, source={"a.txt": "shop", "b.txt": "forum"},
                                  license={"a.txt": "CC-BY-4.0", "b.txt": "MIT"})
    assert [(e["source"], e["license"]) for e in manifest["files"].values()] == [("shop", "CC-BY-4.0"),
                                                                                ("forum", "MIT")]
    with pytest.raises(ValueError, match=r"missing \['b.txt'\]"):
        pv.create_manifest(data, version=1, source={"a.txt": "shop"})
    with pytest.raises(TypeError, match="source must map file names to str"):
        pv.create_manifest(data, version=1, source={"a.txt": 1, "b.txt": "x"})
