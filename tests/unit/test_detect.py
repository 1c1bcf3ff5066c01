"""course_utils.detect: every detector's contract, what it sees, and what it cannot see."""

import numpy as np
import pytest

from course_utils.attacks import backdoor, duplicate_flip, poison_budget, random_flip
from course_utils.data import load_sentiment, load_toy
from course_utils.detect import (
    DETECTORS,
    CleanlabDetector,
    ConfidentLearningDetector,
    DataAudit,
    IsolationForestDetector,
    KNNDisagreement,
    TextFeatures,
    TriggerDetector,
    PRECOMPUTED,
    make_detector,
    out_of_fold_probabilities,
)
from course_utils.experiment import run_experiment, split_data
from course_utils.metrics import detection_scores


@pytest.fixture(scope="module")
def train(sentiment):
    texts, _, labels, _ = split_data(sentiment.texts, sentiment.labels, 0.25, 0)
    return texts, labels


def _f1(detector, poisoned):
    return detection_scores(detector.fit_flag(poisoned.texts, poisoned.labels), poisoned.poisoned_indices)["f1"]


@pytest.mark.parametrize("name", sorted(DETECTORS))
def test_contract_scores_flags_and_no_mutation(train, name):
    texts, labels = train[0][:400], train[1][:400]
    texts_before, labels_before = list(texts), labels.copy()
    detector = make_detector(name).fit(texts, labels)
    suspicion = detector.suspicion_
    assert suspicion.shape == (400,) and np.isfinite(suspicion).all()
    flagged = detector.flag()
    assert np.all(np.diff(flagged) > 0) and (len(flagged) == 0 or flagged.max() < 400)
    assert np.array_equal(flagged, detector.flagged_)
    flagged[:] = -1  # flag returns a copy
    assert not np.any(detector.flagged_ == -1)
    top = detector.flag(flag_share=0.1)
    assert len(top) == 40
    # The 40 most suspicious rows: every row above the 40th suspicion, and ties at it in some order.
    cut = np.sort(suspicion)[::-1][39]
    assert set(np.flatnonzero(suspicion > cut)) <= set(top) <= set(np.flatnonzero(suspicion >= cut))
    ranking = detector.ranking()
    assert set(ranking[:40]) == set(top) and np.all(np.diff(suspicion[ranking]) <= 0)
    assert set(detector.flag(threshold=suspicion.max())) == set(np.flatnonzero(suspicion == suspicion.max()))
    assert texts == texts_before and np.array_equal(labels, labels_before)


def test_flag_share_breaks_ties_by_random_state_not_by_row_order():
    # Every row of a conflicting group ties at suspicion 2; duplicate-and-flip appends its copies last,
    # so a row-order tie-break would always flag the originals first.
    texts = [f"sentence number {i} here" for i in range(40)]
    labels = np.array(["pos", "neg"] * 20)
    poisoned = duplicate_flip(texts, labels, indices=range(20))
    picks = {tuple(DataAudit(random_state=seed).fit(poisoned.texts, poisoned.labels).flag(flag_share=0.25))
             for seed in range(5)}
    assert len(picks) > 1, "different random_state values should break the ties differently"
    again = DataAudit(random_state=3).fit(poisoned.texts, poisoned.labels).flag(flag_share=0.25)
    assert tuple(again) in picks
    copies_flagged = [np.mean(np.array(p) >= 40) for p in picks]
    assert 0 < np.mean(copies_flagged) < 1


@pytest.mark.parametrize("kwargs, message", [
    (dict(flag_share=0), "flag_share"), (dict(flag_share=1.5), "flag_share"),
    (dict(flag_share=0.1, threshold=0.5), "not both"), (dict(threshold=float("nan")), "threshold"),
])
def test_flag_rejects_bad_flag_shares(train, kwargs, message):
    detector = KNNDisagreement().fit(train[0][:100], train[1][:100])
    with pytest.raises(ValueError, match=message):
        detector.flag(**kwargs)


def test_unfitted_and_one_class_errors():
    with pytest.raises(ValueError, match="not fitted"):
        KNNDisagreement().flag()
    for name in ("knn", "confident", "cleanlab", "trigger"):
        with pytest.raises(ValueError, match="at least 2 classes"):
            make_detector(name).fit(["good film", "great film", "nice one"], ["pos", "pos", "pos"])
    with pytest.raises(ValueError, match="labels are required"):
        KNNDisagreement().fit(["a b", "c d"], None)
    with pytest.raises(ValueError, match="detector must be one of"):
        make_detector("magic")
    with pytest.raises(ValueError, match="contamination"):
        IsolationForestDetector(contamination=0.9).fit(["a b", "c d", "e f"])
    with pytest.raises(ValueError, match="estimators"):
        ConfidentLearningDetector(estimators=("svm",)).fit(["a b", "c d"] * 5, ["x", "y"] * 5)


def test_conflict_audit_flags_every_row_of_the_reference_attack():
    clean_data, _ = load_toy()
    texts, labels = map(list, zip(*clean_data))
    poisoned = duplicate_flip(texts, labels, indices=[0, 4], target_label="negative")
    flagged = DataAudit().fit(poisoned.texts, poisoned.labels).flag()
    assert set(poisoned.poisoned_indices) <= set(flagged)


def test_conflict_audit_catches_duplicate_flip_at_scale(train):
    poisoned = duplicate_flip(*train, 0.05, random_state=3)
    audit = DataAudit().fit(poisoned.texts, poisoned.labels)
    assert detection_scores(audit.flag(), poisoned.poisoned_indices)["recall"] == 1.0


def test_audit_report_on_the_clean_data():
    data = load_sentiment()  # a fresh copy: this test is about the shipped files, not what earlier tests saw
    audit = DataAudit().fit(data.texts, data.labels, sources=data.sources)
    report = audit.report_
    assert report["label_counts"] == {"negative": 1500, "positive": 1500}
    assert report["conflict_groups"] == []  # the shipped data has no conflicting duplicates
    assert len(report["exact_duplicate_groups"]) > 0
    assert set(report["per_source"]) == {"amazon", "imdb", "yelp"}
    assert any("conflicting" in line for line in audit.summary())


def test_isolation_forest_ignores_labels_and_stays_near_chance_on_flips(train):
    poisoned = random_flip(*train, 0.2, random_state=1)
    forest = IsolationForestDetector(contamination=0.2)
    with_labels = forest.fit(poisoned.texts, poisoned.labels).suspicion_
    without = IsolationForestDetector(contamination=0.2).fit(poisoned.texts).suspicion_
    assert np.array_equal(with_labels, without)
    assert abs(_f1(forest, poisoned) - 0.2) < 0.1  # chance: precision = recall = 0.2


def test_label_aware_detectors_beat_isolation_forest_on_flips(train):
    poisoned = random_flip(*train, 0.2, random_state=1)
    forest = _f1(IsolationForestDetector(contamination=0.2), poisoned)
    for detector in (KNNDisagreement(), ConfidentLearningDetector(), make_detector("confident"), CleanlabDetector()):
        assert _f1(detector, poisoned) > forest + 0.2, type(detector).__name__


def test_confident_learning_shares_probabilities_with_cleanlab(train):
    poisoned = random_flip(*train, 0.1, random_state=2)
    probabilities = out_of_fold_probabilities(poisoned.texts, poisoned.labels)
    ours = ConfidentLearningDetector().fit(poisoned.texts, poisoned.labels)
    assert np.allclose(ours.probabilities_, probabilities)
    given = ConfidentLearningDetector(estimators=PRECOMPUTED).fit(poisoned.texts, poisoned.labels,
                                                                  probabilities=probabilities)
    assert np.array_equal(given.flag(), ours.flag())
    with pytest.raises(ValueError, match="precomputed"):  # given probabilities are never silently ignored
        ConfidentLearningDetector().fit(poisoned.texts, poisoned.labels, probabilities=probabilities)
    with pytest.raises(ValueError, match="precomputed"):
        CleanlabDetector().fit(poisoned.texts, poisoned.labels, probabilities=probabilities)
    with pytest.raises(ValueError, match="probabilities"):
        ConfidentLearningDetector(estimators=PRECOMPUTED).fit(poisoned.texts, poisoned.labels)
    assert np.allclose(probabilities.sum(axis=1), 1)
    # thresholds are the mean self-confidence per class
    index = np.searchsorted(ours.classes_, poisoned.labels)
    assert np.allclose(ours.thresholds_, [probabilities[index == c, c].mean() for c in (0, 1)])


def test_trigger_detector_finds_a_one_percent_backdoor(train):
    poisoned = backdoor(*train, 0.01, target_label="negative", trigger="cf", random_state=4)
    detector = TriggerDetector().fit(poisoned.texts, poisoned.labels)
    assert detector.triggers_ == ["cf"]
    assert detector.token_scores_.iloc[0]["token"] == "cf"
    assert detection_scores(detector.flag(), poisoned.poisoned_indices)["f1"] == 1.0


def test_trigger_detector_reports_nothing_on_clean_data(train):
    assert TriggerDetector().fit(*train).triggers_ == []


def test_defense_in_the_experiment_removes_flagged_rows(sentiment):
    data = sentiment
    result = run_experiment(data.texts, data.labels, attack="backdoor", fraction=0.01, defense="trigger", seed=0)
    assert result["detection"]["recall"] == 1.0 and result["detection"]["clean_rows_removed"] == 0
    assert result["defended_attack_success_rate"] < result["attack_success_rate"] - 0.3
    shared = run_experiment(data.texts, data.labels, attack="random-flip", fraction=0.1, defense="knn",
                            flag_share=0.05, seed=0)
    assert shared["detection"]["n_flagged"] == poison_budget(0.05, shared["n_train"])  # halves round up
    with pytest.raises(ValueError, match="need a defense"):
        run_experiment(data.texts, data.labels, flag_share=0.1)
    with pytest.raises(ValueError, match="defense must be one of"):
        run_experiment(data.texts, data.labels, defense="magic")


# The cached / vectorised paths compute exactly what the plain scikit-learn code computes. Each test
# writes the plain code out (as the detectors were written before the cache) and asks for equal bits.

def _same_matrix(a, b):
    return (type(a) is type(b) and a.shape == b.shape and a.dtype == b.dtype
            and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and np.array_equal(a.data, b.data))


@pytest.mark.parametrize("kind", ["count", "tfidf"])
def test_text_features_build_the_vectorisers_matrices_entry_for_entry(train, kind):
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    texts = train[0]
    features = TextFeatures()
    unseen = ["a sentence with zzunseen words", ""] + texts[-50:]
    # one cache for several lists of texts: a subset, a reordering with duplicates, the whole set
    for part in (texts[:1500], texts[::-1] + texts[:40], texts):
        vectorizer = CountVectorizer() if kind == "count" else TfidfVectorizer()
        expected = vectorizer.fit_transform(part)
        matrix, vocabulary = features.fit_transform(part, kind)
        assert _same_matrix(matrix, expected)  # same values and the same stored order in each row
        assert list(vocabulary.get_feature_names_out()) == list(vectorizer.get_feature_names_out())
        assert _same_matrix(vocabulary.transform(unseen), vectorizer.transform(unseen))
    with pytest.raises(ValueError, match="kind"):
        features.fit_transform(texts, "binary")


@pytest.mark.parametrize("model", ["count-nb", "tfidf-logreg"])
def test_out_of_fold_probabilities_are_cross_val_predict_on_the_pipeline(train, model):
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from course_utils.models import make_model

    poisoned = random_flip(*train, 0.2, random_state=3)
    index = np.searchsorted(np.unique(poisoned.labels), poisoned.labels)
    expected = cross_val_predict(make_model(model, random_state=3), poisoned.texts, index,
                                 cv=StratifiedKFold(5, shuffle=True, random_state=3), method="predict_proba")
    alone = out_of_fold_probabilities(poisoned.texts, poisoned.labels, model, 5, 3)
    shared = TextFeatures()
    out_of_fold_probabilities(train[0], train[1], model, 5, 3, features=shared)  # the cache already holds the texts
    cached = out_of_fold_probabilities(poisoned.texts, poisoned.labels, model, 5, 3, features=shared)
    assert np.array_equal(alone, expected) and np.array_equal(cached, expected)
    with pytest.raises(TypeError, match="TextFeatures"):
        out_of_fold_probabilities(poisoned.texts, poisoned.labels, model, features={})


def test_neighbour_shares_are_the_plain_neighbour_search(train):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.neighbors import NearestNeighbors

    poisoned = duplicate_flip(*train, 0.1, random_state=0)  # exact duplicates tie at distance 0
    texts, index = poisoned.texts, np.searchsorted(np.unique(poisoned.labels), poisoned.labels)
    features = TfidfVectorizer().fit_transform(texts)
    _, neighbours = NearestNeighbors(n_neighbors=16, metric="cosine").fit(features).kneighbors(features)
    others = np.array([np.delete(row, np.flatnonzero(row == i)[:1] if i in row else [0])[:15]
                       for i, row in enumerate(neighbours)])
    expected = np.stack([(index[others] == c).mean(axis=1) for c in (0, 1)], axis=1)
    shared = TextFeatures()
    first = KNNDisagreement().fit(texts, poisoned.labels, features=shared)
    relabelled = random_flip(texts, poisoned.labels, 0.2, random_state=1).labels  # same texts: search reused
    second = KNNDisagreement().fit(texts, relabelled, features=shared)
    assert np.array_equal(first.neighbour_distribution_, expected)
    alone = KNNDisagreement().fit(texts, relabelled)
    assert np.array_equal(second.neighbour_distribution_, alone.neighbour_distribution_)


def test_isolation_forest_flags_what_the_forest_predicts(train):
    from sklearn.ensemble import IsolationForest
    from sklearn.feature_extraction.text import TfidfVectorizer

    features = TfidfVectorizer().fit_transform(train[0])
    forest = IsolationForest(contamination=0.1, random_state=5).fit(features)
    detector = IsolationForestDetector(random_state=5).fit(train[0], features=TextFeatures())
    assert np.array_equal(detector.suspicion_, -forest.score_samples(features))
    assert np.array_equal(detector.flagged_, np.flatnonzero(forest.predict(features) == -1))


def test_views_on_shared_folds_are_each_model_alone(train):
    from course_utils.detect import out_of_fold_views

    poisoned = random_flip(*train, 0.1, random_state=4)
    views = out_of_fold_views(poisoned.texts, poisoned.labels, ("count-nb", "tfidf-logreg"), 5, 4)
    for model, probabilities in views.items():
        assert np.array_equal(probabilities, out_of_fold_probabilities(poisoned.texts, poisoned.labels, model, 5, 4))
    three = make_detector("confident", random_state=4).fit(poisoned.texts, poisoned.labels)
    knn = KNNDisagreement().fit(poisoned.texts, poisoned.labels).neighbour_distribution_
    assert np.array_equal(three.probabilities_, np.mean([views["count-nb"], views["tfidf-logreg"], knn], axis=0))


@pytest.mark.parametrize("model", ["count-nb", "tfidf-logreg"])
def test_a_cached_model_predicts_what_make_model_predicts(sentiment, model):
    from course_utils.models import make_model

    train_texts, test_texts, train_labels, _ = split_data(sentiment.texts, sentiment.labels, 0.25, 1)
    features = TextFeatures()
    cached = features.model(model, random_state=1).fit(train_texts, train_labels)
    plain = make_model(model, random_state=1).fit(train_texts, train_labels)
    assert [name for name, _ in cached.steps] == [name for name, _ in plain.steps]
    assert np.array_equal(cached.predict_proba(test_texts), plain.predict_proba(test_texts))
    triggered = [text + " cf" for text in test_texts[:50]]  # texts the cache has never seen
    assert np.array_equal(cached.predict(triggered), plain.predict(triggered))
