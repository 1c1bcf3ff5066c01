"""course_utils.data: the toy set, the shipped set, checksums and file reading; and the argument checks
of course_utils._validation that every public function's messages go through."""

import hashlib
import os
import shutil

import numpy as np
import pytest

from course_utils import data
from course_utils.data import (
    DataFormatError,
    DataIntegrityError,
    load_sentiment,
    load_toy,
    read_labelled_file,
    verify_file,
)


def test_toy_data_is_the_reference_word_for_word():
    clean_data, test_data = load_toy()
    assert len(clean_data) == 6 and len(test_data) == 2
    assert clean_data[0] == ("I love this movie, it is fantastic!", "positive")
    assert clean_data[4] == ("The book is very good and I enjoyed it.", "positive")
    assert test_data == [("I really love this!", "positive"), ("This is so bad, I hate it.", "negative")]
    assert [label for _, label in clean_data] == ["positive", "positive", "negative", "negative", "positive", "negative"]


def test_toy_data_is_a_fresh_copy_each_call():
    clean_data, _ = load_toy()
    clean_data.append(("extra", "positive"))
    assert len(load_toy()[0]) == 6


def test_sentiment_has_3000_balanced_rows_from_three_sources():
    dataset = load_sentiment()
    assert len(dataset) == 3000
    labels, counts = np.unique(dataset.labels, return_counts=True)
    assert labels.tolist() == ["negative", "positive"] and counts.tolist() == [1500, 1500]
    sources, counts = np.unique(dataset.sources, return_counts=True)
    assert dict(zip(sources.tolist(), counts.tolist())) == {"amazon": 1000, "imdb": 1000, "yelp": 1000}
    assert dataset.texts[0].startswith("So there is no way for me to plug it in here")
    assert all(text == text.strip() and text for text in dataset.texts)


def test_sentiment_keeps_sentences_with_next_line_characters_whole():
    # imdb holds U+0085 inside two sentences; splitlines() would cut there.
    dataset = load_sentiment(["imdb"])
    assert len(dataset) == 1000
    assert sum("\x85" in text for text in dataset.texts) == 2


def test_sentiment_raw_labels_and_frame():
    dataset = load_sentiment("yelp", label_names=False)
    assert set(dataset.labels.tolist()) == {"0", "1"}
    frame = dataset.to_frame()
    assert list(frame.columns) == ["text", "label", "source"] and len(frame) == 1000


@pytest.mark.parametrize("sources, error", [(["twitter"], ValueError), ([], ValueError)])
def test_sentiment_rejects_unknown_sources(sources, error):
    with pytest.raises(error, match="sources"):
        load_sentiment(sources)


def test_sentiment_rejects_non_bool_label_names():
    with pytest.raises(TypeError, match="label_names"):
        load_sentiment(label_names="yes")


def test_changed_shipped_file_raises_naming_file_and_both_hashes(tmp_path, monkeypatch):
    copy = tmp_path / "sentiment"
    shutil.copytree(data.SENTIMENT_DIR, copy)
    target = copy / "yelp_labelled.txt"
    target.write_bytes(target.read_bytes().replace(b"Loved", b"Hated", 1))
    monkeypatch.setattr(data, "SENTIMENT_DIR", copy)
    with pytest.raises(DataIntegrityError) as info:
        load_sentiment(["yelp"])
    message = str(info.value)
    assert "yelp_labelled.txt" in message
    assert data.SENTIMENT_SHA256["yelp_labelled.txt"] in message
    assert hashlib.sha256(target.read_bytes()).hexdigest() in message


def test_every_shipped_file_matches_its_published_checksum():
    for name, digest in data.SENTIMENT_SHA256.items():
        verify_file(data.SENTIMENT_DIR / name, digest)


def test_verify_file_rejects_malformed_digest(tmp_path):
    path = tmp_path / "f.txt"
    path.write_text("x")
    with pytest.raises(ValueError, match="expected_sha256"):
        verify_file(path, "abc")


def test_read_tab_file(tmp_path):
    path = tmp_path / "d.txt"
    path.write_text("good film\t1\nbad film\t0\n\nfine\t1\n", encoding="utf-8")
    dataset = read_labelled_file(path)
    assert dataset.texts == ["good film", "bad film", "fine"]
    assert dataset.labels.tolist() == ["1", "0", "1"]


def test_read_csv_file_with_quotes_and_extra_columns(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text('id,text,label,source\n1,"Said ""great"", meant it",pos,web\n2,awful,neg,\n', encoding="utf-8")
    dataset = read_labelled_file(path)
    assert dataset.texts == ['Said "great", meant it', "awful"]
    assert dataset.labels.tolist() == ["pos", "neg"]
    assert dataset.sources.tolist() == ["web", "d.csv"]


@pytest.mark.parametrize(
    "content, message",
    [
        ("", "empty"),
        ("   \n\n", "empty"),
        ("good\t1\nno tab here\nbad\t0\n", "line 2"),
        ("good\t1\n\t0\n", "line 2 has an empty text"),
        ("good\t1\nbad\t\n", "line 2 has an empty label"),
        ("good\t1\nbad\t1\n", "only one class"),
        ("text,label\nfine,1\n,0\n", "line 3 has an empty text"),
        ("text,label\nfine,1\nbad,0,extra\n", "line 3 has more cells"),
        ("text,label\nfine,1\nfine,1\n", "only one class"),
    ],
)
def test_read_bad_files_raise_format_errors(tmp_path, content, message):
    path = tmp_path / "bad.txt"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError, match=message):
        read_labelled_file(path)


def test_read_non_utf8_and_missing_files(tmp_path):
    path = tmp_path / "latin.txt"
    path.write_bytes("café\t1\nbad\t0\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="UTF-8"):
        read_labelled_file(path)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_labelled_file(tmp_path / "nope.txt")
    with pytest.raises(DataFormatError, match="folder"):
        read_labelled_file(tmp_path)
    with pytest.raises(TypeError, match="path"):
        read_labelled_file(3)


@pytest.mark.parametrize(
    "name, content, expected",
    [
        # a CSV without the columns it needs: which it needs, which it found
        ("reviews.csv", "review,stars\ngreat,5\nbad,1\n",
         ["needs a header row with a 'text' and a 'label' column", "'review', 'stars'", "'text' and 'label' are missing"]),
        ("reviews.csv", "text,sentiment\ngreat,pos\nbad,neg\n", ["'text', 'sentiment'", "'label' is missing"]),
        ("reviews.csv", "great film,1\nbad,0\n", ["needs a header row", "'great film', '1'"]),
        # neither layout
        ("reviews.csv", "text;label\ngreat;1\n", ["neither a tab nor a comma", "text<TAB>label", "'text;label'"]),
        ("reviews.json", '[{"text": "great", "label": 1}]', ["needs a header row", "'[{"]),
        ("reviews.txt", "great\nbad\n", ["neither a tab nor a comma", "found 'great'"]),
        # a tab-separated file: what a line should be and what it is
        ("reviews.tsv", "good\t1\nno tab here\nbad\t0\n",
         ["line 2 has no tab", "expected text<TAB>label", "found 'no tab here'"]),
        ("reviews.tsv", "review\tstars\ngreat\t5\nbad\t1\nfine\t5\n",
         ["first line looks like a header", "'review', 'stars'", "'stars' is on no other line"]),
        ("reviews.csv", "text,label\nfine,1\nbad,0,extra\n",
         ["line 3 has more cells than the header's 2 (text, label), found 3", "double quotes"]),
        ("reviews.csv", "text,label,source\nfine,1,web\nbad\n", ["line 3 has fewer cells", "3 (text, label, source)",
                                                                   "found 1"]),
        ("reviews.csv", "", ["empty", "expected lines of text<TAB>label"]),
    ],
)
def test_malformed_files_say_what_was_expected_and_what_was_found(tmp_path, name, content, expected):
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_labelled_file(path)
    message = str(info.value)
    assert message.startswith(f"{name}: ") and "\n" not in message
    for part in expected:
        assert part in message, message


def test_tab_file_with_a_text_label_header_skips_it(tmp_path):
    path = tmp_path / "d.tsv"
    path.write_text("text\tlabel\ngood\t1\nbad\t0\n", encoding="utf-8")
    dataset = read_labelled_file(path)
    assert dataset.texts == ["good", "bad"] and dataset.labels.tolist() == ["1", "0"]


def test_binary_file_names_the_layouts_expected(tmp_path):
    path = tmp_path / "reviews.xlsx"
    path.write_bytes(b"PK\x03\x04\xff\xfe\x00")
    with pytest.raises(DataFormatError, match="not UTF-8 text.*expected a UTF-8 text file of lines of text<TAB>label"):
        read_labelled_file(path)


# The argument checks name the caller's own arguments ---------------------------------------------

def _message(call):
    with pytest.raises((ValueError, TypeError)) as info:
        call()
    return str(info.value)


@pytest.mark.parametrize("call, expected", [
    (lambda: __import__("course_utils.metrics").metrics.accuracy(["a", "b"], ["a"]),
     "y_pred has 1 entries but y_true has 2"),
    (lambda: __import__("course_utils.metrics").metrics.attack_success_rate(["a", "b"], ["a"], "a"),
     "y_pred has 1 entries but y_true has 2"),
    (lambda: __import__("course_utils.attacks").attacks.measure_attack_success(
        lambda texts: ["a"] * len(texts), "backdoor", ["x y", "y z", "z x"], ["a"], target_label="a"),
     "test_labels has 1 entries but test_texts has 3"),
    (lambda: __import__("course_utils.attacks").attacks.random_flip(["x", "y", "z"], ["a"], 0.1),
     "labels has 1 entries but texts has 3"),
    (lambda: __import__("course_utils.detect").detect.DataAudit().fit(["x", "y"], ["a", "b"], sources=["s"]),
     "sources has 1 entries but texts has 2"),
])
def test_length_mismatches_name_both_arguments_as_the_caller_spells_them(call, expected):
    assert expected in _message(call)


def test_check_labels_and_rows_for_share_take_the_callers_names():
    from course_utils._validation import check_labels, rows_for_share

    assert "y_pred has 1 entries but y_true has 2" in _message(lambda: check_labels(["a"], 2, name="y_pred"))
    assert "train_labels has 1 entries but train_texts has 2" in _message(
        lambda: check_labels(["a"], 2, name="train_labels"))
    assert "votes has 1 entries but ballots has 2" in _message(
        lambda: check_labels(["a"], 2, name="votes", n_rows_of="ballots"))
    assert _message(lambda: rows_for_share(1.5, 10, name="fraction")).startswith("fraction must be")
    assert _message(lambda: rows_for_share(1.5, 10)).startswith("share must be")
    labels = ["a", "b"]
    check_labels(labels, 2)
    assert labels == ["a", "b"]  # the input is not changed


def test_read_labelled_file_refuses_duplicate_columns(tmp_path):
    from course_utils.data import DataFormatError, read_labelled_file

    path = tmp_path / "dup.csv"
    path.write_text("text,label,label\ngood,pos,neg\nbad,neg,pos\nfine,pos,neg\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"names the column 'label' twice \(columns 2 and 3\)"):
        read_labelled_file(path)
    path.write_text("Text,label, text \ngood,pos,x\nbad,neg,y\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="names the column 'text' twice"):
        read_labelled_file(path)


def test_read_labelled_file_ignores_unnamed_extra_columns(tmp_path):
    from course_utils.data import read_labelled_file

    path = tmp_path / "trailing.csv"
    path.write_text("text,label,,\ngood,pos,,\nbad,neg,,\n", encoding="utf-8")
    assert read_labelled_file(path).labels.tolist() == ["pos", "neg"]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this platform")
def test_read_labelled_file_refuses_a_fifo_without_blocking(tmp_path):
    import threading

    from course_utils.data import DataFormatError, read_labelled_file

    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    outcome = []

    def read():
        try:
            read_labelled_file(fifo)
        except DataFormatError as error:
            outcome.append(str(error))

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    if reader.is_alive():  # unblock the thread so that the process can end, then fail
        os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        pytest.fail("reading a FIFO blocked")
    assert outcome and "is a FIFO (named pipe), not a regular file" in outcome[0]


def test_read_labelled_file_refuses_a_long_line(tmp_path):
    from course_utils.data import MAX_LINE_CHARS, DataFormatError, read_labelled_file

    path = tmp_path / "long.csv"
    path.write_text("text,label\ngood,pos\n" + "y" * (MAX_LINE_CHARS + 1) + ",neg\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="line 3 holds 100,005 characters, more than the limit of 100,000"):
        read_labelled_file(path)


def test_the_manifest_describes_the_shipped_folder_and_is_the_one_source_of_its_hashes():
    import json
    import re

    from course_utils import data as data_module
    from course_utils.provenance import create_manifest

    manifest = json.loads(data_module.SENTIMENT_MANIFEST.read_text(encoding="utf-8"))
    fresh = create_manifest(data_module.SENTIMENT_DIR, version=manifest["version"], created=manifest["created"])
    assert {n: (e["sha256"], e["size"]) for n, e in fresh["files"].items()} == \
        {n: (e["sha256"], e["size"]) for n, e in manifest["files"].items()}
    assert all(e["source"] and e["license"] for e in manifest["files"].values())
    assert data_module.SENTIMENT_SHA256 == {n: e["sha256"] for n, e in manifest["files"].items()}
    # SOURCE.md documents the same hashes for the data files
    source = (data_module.SENTIMENT_DIR / "SOURCE.md").read_text(encoding="utf-8")
    documented = dict(re.findall(r"^\| (\S+\.txt) \| ([0-9a-f]{64}) \|$", source, flags=re.M))
    assert documented and all(manifest["files"][n]["sha256"] == h for n, h in documented.items())
    # no digest is typed into data.py itself
    code = (data_module.SENTIMENT_DIR.parent.parent / "data.py").read_text(encoding="utf-8")
    assert not re.search(r"[0-9a-f]{64}", code)
