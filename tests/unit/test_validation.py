"""The argument checks of the public functions: every error names its argument (issue 12, item 11)."""

import dataclasses

import numpy as np
import pytest

from course_utils import attacks, checks, experiment, metrics
from course_utils._validation import check_indices, check_labels, check_number, check_sequence, check_texts
from course_utils.data import load_sentiment
from course_utils.detect import CleanlabDetector, DataAudit
from course_utils.detect.label_noise import neighbour_label_shares
from course_utils.playgrounds.attacks import MAX_COPIES, targeted_budget_playground

TEXTS = ["good film", "bad film", "great food", "awful food"] * 3
LABELS = ["positive", "negative"] * 6


@pytest.mark.parametrize("labels, message", [
    ([1, "1"] * 6, r"labels must hold class names \(all str\) or class numbers \(all int\), not both: "
                   r"labels\[0\] is int 1 and labels\[1\] is str '1'"),
    (["positive", None] * 6, r"labels\[1\] is NoneType None"),
    ([1.0, 0.0] * 6, r"labels\[0\] is float 1.0 \(convert them"),
    ([True, False] * 6, r"labels\[0\] is bool True"),
    (np.array([True, False] * 6), r"labels\[0\] is bool True"),
])
def test_labels_of_mixed_or_unsupported_types_are_refused_by_name(labels, message):
    with pytest.raises(TypeError, match=message):
        attacks.random_flip(TEXTS, labels, 0.1, random_state=0)
    with pytest.raises(TypeError, match=message):
        experiment.run_experiment(TEXTS, labels, attack="random-flip", fraction=0.1)


@pytest.mark.parametrize("unordered", [set(TEXTS), frozenset(TEXTS), dict.fromkeys(TEXTS), dict.fromkeys(TEXTS).keys()])
def test_unordered_texts_are_refused(unordered):
    with pytest.raises(TypeError, match=r"texts must be a sequence of strings in a fixed order .* whose order is "
                                        r"arbitrary"):
        attacks.random_flip(unordered, LABELS[: len(unordered)], 0.1)


def test_unordered_labels_and_indices_are_refused():
    with pytest.raises(TypeError, match="labels must be a sequence of labels in a fixed order"):
        check_labels({"a", "b"})
    with pytest.raises(TypeError, match="flagged_indices must be a sequence"):
        metrics.detection_scores({1, 2}, [1])


def test_ordered_iterables_and_numpy_values_are_accepted():
    assert check_texts(np.array(["a", "b"])) == ["a", "b"]
    assert check_texts(t for t in ("a", "b")) == ["a", "b"]
    assert check_labels(np.array([1, 0], dtype=np.int8)).dtype == np.int64
    assert check_labels([np.str_("a"), "b"]).tolist() == ["a", "b"]
    assert check_indices(np.array([0, 2], dtype=np.uint8)).tolist() == [0, 2]
    assert check_sequence(range(3), "x") == [0, 1, 2]


@pytest.mark.parametrize("value", [np.float32(0.5), np.float16(0.5), np.float64(0.5), np.int32(0), np.uint8(1)])
def test_numpy_scalars_are_numbers(value):
    assert check_number(value, "x", low=0, high=1) == float(value)


def test_numpy_float32_is_accepted_by_the_public_functions():
    mean, low, high = metrics.mean_interval([0.5, 0.6, 0.7], confidence=np.float32(0.95))
    assert low < mean < high
    train, test, _, _ = experiment.split_data(TEXTS, LABELS, test_size=np.float32(0.5))
    assert len(train) == len(test) == 6
    assert len(attacks.random_flip(TEXTS, LABELS, np.float32(0.25), random_state=0).poisoned_indices) == 3


def test_numpy_bools_are_not_numbers():
    with pytest.raises(TypeError, match="x must be a number"):
        check_number(np.bool_(True), "x")


@pytest.mark.parametrize("call, error, message", [
    (lambda: metrics.detection_scores(None, [1]), TypeError, "flagged_indices must be a sequence of row numbers"),
    (lambda: metrics.detection_scores([1], None), TypeError, "poisoned_indices must be a sequence"),
    (lambda: metrics.detection_scores([1.5], [1]), TypeError, r"flagged_indices\[0\] is float 1.5"),
    (lambda: metrics.mean_interval(None), TypeError, "values must be a sequence of numbers"),
    (lambda: metrics.mean_interval([0.5, "x"]), TypeError, r"values\[1\] must be a number"),
    (lambda: metrics.mean_interval({0.5, 0.6}), TypeError, "values must be a sequence"),
    (lambda: experiment.sweep(TEXTS, LABELS, attacks=None), TypeError, "attacks must be a sequence of attack names"),
    (lambda: experiment.sweep(TEXTS, LABELS, fractions=0.1), TypeError, "fractions must be a sequence"),
    (lambda: experiment.sweep(TEXTS, LABELS, seeds=None), TypeError, "seeds must be a sequence"),
    (lambda: load_sentiment(sources=5), TypeError, "sources must be a sequence of source names"),
    (lambda: load_sentiment(sources={"amazon"}), TypeError, "sources must be a sequence"),
    (lambda: attacks.duplicate_flip(TEXTS, LABELS, indices=[[1, 2]]), TypeError,
     r"indices must hold row numbers \(integers\); indices\[0\] is list \[1, 2\]"),
    (lambda: attacks.duplicate_flip(TEXTS, LABELS, indices=None, fraction=None), ValueError, "exactly one"),
    (lambda: attacks.duplicate_flip(TEXTS, LABELS, indices=[-1]), ValueError, "indices must be non-negative"),
    (lambda: DataAudit().fit(TEXTS, LABELS, sources=[None] * len(TEXTS)), TypeError,
     r"sources must hold source names .*; sources\[0\] is NoneType None"),
    (lambda: CleanlabDetector(filter_by="zzz").fit(TEXTS, LABELS), ValueError,
     "filter_by must be one of 'prune_by_noise_rate'"),
    (lambda: experiment.certify(None, TEXTS, LABELS, 1), TypeError, "defended_model must be a fitted scikit-learn "
                                                                     "Pipeline"),
    (lambda: neighbour_label_shares(None, [0, 1], 2, 3), TypeError, "texts must be a sequence"),
    (lambda: neighbour_label_shares(TEXTS, None, 2, 3), TypeError, "labels_index must be a sequence"),
    (lambda: neighbour_label_shares(TEXTS, [0] * 3, 2, 3), ValueError, "labels_index has 3 entries but texts has 12"),
    (lambda: neighbour_label_shares(TEXTS, [0, 5] * 6, 2, 3), ValueError, r"labels_index must hold class numbers "
                                                                           r"in \[0, 1\]"),
    (lambda: neighbour_label_shares(TEXTS, [0, 1] * 6, 2, 0), ValueError, "n_neighbors must be an integer"),
    (lambda: neighbour_label_shares(TEXTS, [0, 1] * 6, "2", 3), TypeError, "n_classes must be an integer"),
    (lambda: targeted_budget_playground(max_copies=10**7), ValueError,
     rf"max_copies must be an integer in \[1, {MAX_COPIES}\], got 10000000"),
])
def test_errors_name_the_argument(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_certify_checks_its_test_data():
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.pipeline import make_pipeline

    pipeline = make_pipeline(CountVectorizer(), _Certifying()).fit(TEXTS, LABELS)
    with pytest.raises(TypeError, match="test_texts must be a sequence"):
        experiment.certify(pipeline, None, LABELS, 1)
    with pytest.raises(ValueError, match="test_labels has 1 entries but test_texts has 12"):
        experiment.certify(pipeline, TEXTS, LABELS[:1], 1)
    assert experiment.certify(pipeline, TEXTS, LABELS, 1)["certified_accuracy"] >= 0


class _Certifying:
    """The smallest classifier with ``certified_radius``: always the first label, radius 2."""

    def fit(self, X, y):
        self.label_ = np.asarray(y)[0]
        return self

    def predict(self, X):
        return np.full(X.shape[0], self.label_)

    def certified_radius(self, X):
        return np.full(X.shape[0], 2)

    def get_params(self, deep=True):
        return {}


def test_inputs_are_not_changed():
    labels = np.array(LABELS)
    texts = list(TEXTS)
    attacks.random_flip(texts, labels, 0.5, random_state=0)
    assert labels.tolist() == LABELS and texts == TEXTS


def test_evaluate_turns_a_learners_exit_into_a_failed_check(monkeypatch):
    checks._load_lessons()
    qid = sorted(checks.QUESTIONS)[0]

    def exits(answer):
        raise SystemExit(3)

    monkeypatch.setitem(checks.QUESTIONS, qid, dataclasses.replace(checks.QUESTIONS[qid], function=exits))
    result = checks.evaluate(qid, 1)
    assert result.status == checks.FAIL and "SystemExit" in result.message


def test_read_regular_file_refuses_devices_and_reads_at_most_the_limit(tmp_path):
    import os

    from course_utils._validation import UnreadableFileError, read_regular_file

    path = tmp_path / "a.txt"
    path.write_bytes(b"12345")
    assert read_regular_file(path, "file", 5) == b"12345"
    with pytest.raises(UnreadableFileError, match="file '.*a.txt' holds 5 bytes, more than the limit of 4 bytes$"):
        read_regular_file(path, "file", 4)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        read_regular_file(tmp_path / "nope", "file", 5)
    if os.path.exists("/dev/zero"):
        with pytest.raises(UnreadableFileError, match="is a character device"):
            read_regular_file("/dev/zero", "file", 5)


def test_write_line_escapes_what_the_stream_cannot_encode():
    import io

    from course_utils._validation import shown_path, write_line

    stream = io.TextIOWrapper(io.BytesIO(), encoding="ascii", errors="strict")
    write_line("café \udce9", stream)
    stream.seek(0)
    assert stream.read() == "caf\\xe9 \\udce9\n"
    assert shown_path(b"caf\xe9".decode("utf-8", "surrogateescape")) == "caf\\xe9"


def test_tables_and_matrices_are_refused_as_one_dimensional_data():
    import pandas as pd

    frame = pd.DataFrame({"text": ["a", "b"], "label": [0, 1]})
    with pytest.raises(ValueError, match=r"texts must be one-dimensional, one entry per row, got a DataFrame of "
                                         r"shape \(2, 2\)"):
        check_texts(frame)
    with pytest.raises(ValueError, match="labels must be one-dimensional"):
        check_labels(np.zeros((2, 2), dtype=int))
    assert check_texts(frame["text"]) == ["a", "b"]


@pytest.mark.parametrize("kwargs, message", [
    ({"metrics": None}, "metrics must be a sequence of column names"),
    ({"by": "attack"}, "by must be a sequence of column names .* not a single str"),
    ({"by": {"attack", "fraction"}}, "by must be a sequence"),
    ({"confidence": "high"}, "confidence must be a number"),
])
def test_summarize_names_its_arguments(kwargs, message):
    import pandas as pd

    results = pd.DataFrame({"attack": ["none"] * 2, "fraction": [0.0] * 2, "poisoned_accuracy": [0.8, 0.9],
                            "attack_success_rate": [None, None]})
    with pytest.raises(TypeError, match=message):
        experiment.summarize(results, **kwargs)


def test_seeds_are_32_bit_and_named():
    from course_utils._validation import MAX_SEED

    with pytest.raises(ValueError, match=rf"seed must be an integer in \[0, {MAX_SEED}\], got {MAX_SEED + 1}"):
        experiment.run_experiment(TEXTS, LABELS, attack="none", fraction=0.0, seed=MAX_SEED + 1)
    with pytest.raises(ValueError, match="random_state must be an integer"):
        experiment.split_data(TEXTS, LABELS, random_state=2**40)


def test_a_huge_value_is_cut_in_the_message():
    with pytest.raises(ValueError) as raised:
        attacks.targeted_flip(TEXTS, LABELS, 0.1, source_label="x" * 100_000, target_label="positive")
    assert len(str(raised.value)) < 300 and "…" in str(raised.value)
