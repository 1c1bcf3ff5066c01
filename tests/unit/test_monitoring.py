"""course_utils.monitoring: the online model, the stream, the monitors' statistics, checkpoints and rollback."""

import numpy as np
import pytest
from scipy.stats import ks_2samp
from sklearn.naive_bayes import MultinomialNB

from course_utils import monitoring as mon
from course_utils.data import load_sentiment
from course_utils.monitoring import (
    MONITORS,
    CheckpointError,
    CheckpointStore,
    OnlineNaiveBayes,
    StreamData,
    StreamMonitor,
    calibrate_threshold,
    detection_delay,
    ks_statistic,
    make_stream,
    make_stream_vectorizer,
    monitor_statistics,
    page_hinkley,
    population_stability_index,
    rollback_checkpoint,
    simulate_stream,
)


@pytest.fixture(scope="module")
def data():
    dataset = load_sentiment()
    return StreamData(dataset.texts, dataset.labels)


def test_online_naive_bayes_equals_multinomial_nb_partial_fit(data):
    stream = make_stream(data, "burst", seed=1)
    ours, theirs = OnlineNaiveBayes(), MultinomialNB()
    classes = data.classes
    for t in range(stream.n_batches):
        X, y = stream.batch_matrix(t)
        ours.partial_fit(X, classes[y], classes=classes)
        theirs.partial_fit(X, classes[y], classes=classes)
    assert np.array_equal(ours.class_count_, theirs.class_count_)
    assert np.array_equal(ours.feature_count_, theirs.feature_count_)
    canary = data.X[stream.canary]
    assert np.allclose(ours.predict_proba(canary), theirs.predict_proba(canary))
    assert np.array_equal(ours.predict(canary), theirs.predict(canary))


def test_online_naive_bayes_validates_and_does_not_mutate():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    y = np.array(["a", "b"])
    model = OnlineNaiveBayes()
    with pytest.raises(ValueError, match="classes must be given"):
        model.partial_fit(X, y)
    model.partial_fit(X, y, classes=["a", "b"])
    assert np.array_equal(X, [[1.0, 0.0], [0.0, 2.0]])
    with pytest.raises(ValueError, match="outside classes"):
        model.partial_fit(X, np.array(["a", "c"]))
    with pytest.raises(ValueError, match="non-negative"):
        model.partial_fit(-X, y)
    with pytest.raises(ValueError, match="alpha"):
        OnlineNaiveBayes(alpha=0).partial_fit(X, y, classes=["a", "b"])


def test_adding_the_phrase_adds_its_counts(data):
    vectorizer = make_stream_vectorizer()
    texts = data.texts[:20]
    with_phrase = vectorizer.transform([f"{t} {data.phrase}" for t in texts]).toarray()
    assert np.array_equal(with_phrase, data.X[:20].toarray() + data.phrase_row)


def test_checkpoints_round_trip_and_a_corrupted_one_is_refused(tmp_path, data):
    stream = make_stream(data, "none", seed=0)
    model = OnlineNaiveBayes().partial_fit(*stream.batch_matrix(0), classes=np.arange(2))
    store = CheckpointStore(tmp_path)
    digest = store.save(1, model)
    assert len(digest) == 64 and (tmp_path / "manifest.json").exists()
    loaded = store.load(1)
    assert np.array_equal(loaded.feature_count_, model.feature_count_)
    path = store.path(1)
    content = bytearray(path.read_bytes())
    content[len(content) // 2] ^= 0xFF
    path.write_bytes(bytes(content))
    with pytest.raises(CheckpointError, match="fails its SHA-256 check.*nothing was loaded"):
        store.load(1)
    with pytest.raises(CheckpointError, match="never recorded"):
        store.load(2)
    path.unlink()
    with pytest.raises(CheckpointError, match="cannot be read"):
        store.load(1)
    with pytest.raises(ValueError, match="existing folder"):
        CheckpointStore(tmp_path / "absent")


def test_statistics_agree_with_their_definitions():
    rng = np.random.default_rng(0)
    for _ in range(5):
        a, b = rng.random(200), np.round(rng.random(150), 2)
        assert ks_statistic(a, b) == pytest.approx(ks_2samp(a, b).statistic)
    a, b = rng.random((4, 300)), np.round(rng.random((4, 300)), 2)
    assert np.allclose(mon._ks_rows(a, b), [ks_2samp(x, y).statistic for x, y in zip(a, b)])
    counts, reference = rng.poisson(0.1, (3, 500)).astype(float), rng.poisson(0.5, 500).astype(float)
    reference[:50] = 0
    assert np.allclose(mon._psi_rows(counts, reference, 0.5), population_stability_index(counts, reference, 0.5))
    x = rng.random(30)
    brute = []
    for t in range(len(x)):
        m = [sum(x[i] - x[:i + 1].mean() - 0.01 for i in range(s + 1)) for s in range(t + 1)]
        brute.append(m[-1] - min(m))
    assert np.allclose(page_hinkley(x, 0.01), brute)


def test_calibrate_threshold_keeps_to_the_rate():
    rng = np.random.default_rng(1)
    for alpha in (0.01, 0.05, 0.2):
        values = rng.normal(size=997)
        threshold = calibrate_threshold(values, alpha)
        assert (values > threshold).mean() <= alpha
        assert (values >= threshold).mean() > alpha  # the smallest such value
    with pytest.raises(ValueError, match="alpha"):
        calibrate_threshold([1.0, 2.0], 1.5)
    with pytest.raises(ValueError, match="clean_values"):
        calibrate_threshold([], 0.1)
    with pytest.raises(ValueError, match="statistic"):
        StreamMonitor("nonsense").fit([1.0])


def test_clean_rows_do_not_depend_on_the_attack_and_the_rate_limit_holds(data):
    streams = {attack: make_stream(data, attack, seed=4, rate_limit=3) for attack in mon.STREAM_ATTACKS}
    for attack, stream in streams.items():
        for t in range(stream.n_batches):
            clean = ~stream.poisoned[t]
            assert np.array_equal(stream.rows[t][clean], streams["none"].rows[t])
            _, per_contributor = np.unique(stream.contributors[t], return_counts=True)
            assert per_contributor.max() <= 3
    burst = streams["burst"]
    assert burst.attack_batches == (12, 13, 14)
    assert burst.poisoned[12].sum() == 24  # 40 rows from 8 accounts, 3 per account pass
    assert make_stream(data, "burst", seed=4).poisoned[12].sum() == 40


def _explicit_run(stream):
    """Learn the stream batch by batch with OnlineNaiveBayes: canary accuracy and attack success per checkpoint."""
    data = stream.data
    classes = data.classes
    model = OnlineNaiveBayes().partial_fit(data.X[stream.warmup], classes[data.codes[stream.warmup]], classes=classes)
    canary, y, attack_rows = data.X[stream.canary], classes[data.codes[stream.canary]], stream.attack_rows()
    models = [model.counts()]
    for t in range(stream.n_batches):
        X, codes = stream.batch_matrix(t)
        model.partial_fit(X, classes[codes])
        models.append(model.counts())
    accuracy = [np.mean(OnlineNaiveBayes.from_counts(c).predict(canary) == y) for c in models]
    success = [np.mean(OnlineNaiveBayes.from_counts(c).predict(attack_rows) == data.target_label) for c in models]
    return np.array(accuracy), np.array(success), models


@pytest.mark.parametrize("attack", ["burst", "backdoor"])
def test_the_fast_simulation_equals_learning_batch_by_batch(data, attack):
    result = simulate_stream(data, attack, seed=2)
    accuracy, success, _ = _explicit_run(result["stream"])
    assert np.allclose(result["attacked"]["canary_accuracy"], accuracy)
    assert np.allclose(result["attacked"]["attack_success"], success)
    again = monitor_statistics(result["stream"])
    for name in MONITORS:
        assert np.allclose(again["statistics"][name], result["attacked"]["statistics"][name])


def test_rollback_replays_the_quarantined_batches_without_their_poison(tmp_path, data):
    thresholds = {"label-balance": 2.5}
    result = simulate_stream(data, "burst", seed=3, thresholds=thresholds, lookback=4)
    entry = result["monitors"]["label-balance"]
    stream = result["stream"]
    a, back = entry["first_alarm_batch"], entry["rollback_checkpoint"]
    assert back == rollback_checkpoint(a, 4) and entry["delay"] == detection_delay(
        result["attacked"]["statistics"]["label-balance"] > 2.5, 12)
    _, _, models = _explicit_run(stream)
    store = CheckpointStore(tmp_path)
    store.save(back, OnlineNaiveBayes.from_counts(models[back]))
    model = store.load(back)
    for t in range(back, a + 1):
        X, codes = stream.batch_matrix(t, keep_poison=False)
        model.partial_fit(X, data.classes[codes])
    canary_y = data.classes[data.codes[stream.canary]]
    assert np.mean(model.predict(data.X[stream.canary]) == canary_y) == pytest.approx(
        entry["canary_accuracy_after_rollback"])
    assert entry["canary_accuracy_after_rollback"] == pytest.approx(entry["clean_canary_accuracy"])


def test_simulate_stream_validates_its_arguments(data):
    with pytest.raises(ValueError, match="attack must be one of"):
        simulate_stream(data, "flood")
    with pytest.raises(ValueError, match="unknown stream parameter"):
        simulate_stream(data, "burst", burst_size=3)
    with pytest.raises(ValueError, match="needs .* rows"):
        simulate_stream(data, "none", n_batches=200)
    with pytest.raises(ValueError, match="unknown monitor"):
        simulate_stream(data, "none", thresholds={"magic": 1.0})
    with pytest.raises(TypeError, match="StreamData"):
        make_stream(["a"], "none")
    with pytest.raises(ValueError, match="rate_limit"):
        make_stream(data, "none", rate_limit=0)
    with pytest.raises(ValueError, match="seeds must not repeat"):
        mon.run_streams(data, "none", [1, 1], {"label-balance": 1.0})
    with pytest.raises(ValueError, match="phrase"):
        StreamData(["good one", "bad one"], ["p", "n"], phrase="!")


def test_results_are_copies(data):
    first = simulate_stream(data, "drip", seed=5)
    first["clean"]["canary_accuracy"][:] = 0
    assert simulate_stream(data, "drip", seed=5)["clean"]["canary_accuracy"].min() > 0
