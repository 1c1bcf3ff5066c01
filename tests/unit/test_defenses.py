"""The defense registry and the estimator contract every registered defense keeps."""

import json
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.utils.estimator_checks import parametrize_with_checks

from course_utils import defenses
from course_utils.attacks import random_flip
from course_utils.data import load_sentiment
from course_utils.defenses import DEFENSES, FILTER, MONITOR, TRAINER, defense_names, make_defense, register_defense
from course_utils.detect import DETECTORS
from course_utils.experiment import defend, run_experiment, split_data


@pytest.fixture(scope="module")
def small_train():
    data = load_sentiment()
    texts, _, labels, _ = split_data(data.texts, data.labels, 0.25, 0)
    poisoned = random_flip(texts[:300], labels[:300], 0.1, random_state=0)
    return poisoned.texts, poisoned.labels


def _fitted_attributes(estimator):
    return sorted(k for k in vars(estimator) if k.endswith("_") and not k.startswith("_"))


def test_every_detector_is_registered_as_a_filter_and_nothing_is_copied():
    assert [n for n in DEFENSES if DEFENSES[n].kind == FILTER] == list(DETECTORS)
    assert set(defense_names()) == {n for n in DEFENSES if DEFENSES[n].kind != MONITOR}
    for name in DETECTORS:
        assert type(make_defense(name)) is DETECTORS[name]


@pytest.mark.parametrize("name", defense_names())
def test_contract_clone_params_no_mutation_idempotent_not_fitted(small_train, name):
    texts, labels = small_train
    texts_before, labels_before = list(texts), labels.copy()
    estimator = make_defense(name, random_state=1)
    params_before = estimator.get_params(deep=False)
    # clone and a get_params round trip
    twin = clone(estimator)
    assert twin.get_params(deep=False) == params_before and repr(twin) == repr(estimator)
    assert clone(estimator).set_params(**params_before).get_params(deep=False) == params_before
    # no fitted attribute before fit, and the not-fitted error
    assert _fitted_attributes(estimator) == []
    if DEFENSES[name].kind == FILTER:
        with pytest.raises(NotFittedError):
            estimator.flag()
    if DEFENSES[name].kind == TRAINER:  # a trainer is a classifier on the count features
        texts = CountVectorizer().fit_transform(texts)
        texts_before = texts.copy()
    estimator.fit(texts, labels)
    assert _fitted_attributes(estimator), "fit sets fitted attributes"
    assert estimator.get_params(deep=False) == params_before, "fit must not change parameters"
    same_texts = (texts != texts_before).nnz == 0 if DEFENSES[name].kind == TRAINER else texts == texts_before
    assert same_texts and np.array_equal(labels, labels_before), "fit must not change its inputs"
    if DEFENSES[name].kind == FILTER:
        first = (estimator.suspicion_.copy(), estimator.flag())
        estimator.fit(texts, labels)
        assert np.array_equal(first[0], estimator.suspicion_) and np.array_equal(first[1], estimator.flag()), \
            "fitting twice on the same data gives the same result"


# Trainers are classifiers on count features: scikit-learn's own checks apply to every registered trainer
# in full. Like MultinomialNB's, the Naive Bayes trainers carry the poor_score tag (the checks' data are not
# counts); no check is skipped or expected to fail.
@parametrize_with_checks([make_defense(name) for name in defense_names(TRAINER)])
def test_trainers_pass_scikit_learns_estimator_checks(estimator, check):
    check(estimator)


def test_register_defense_refuses_bad_entries():
    with pytest.raises(ValueError, match="already registered"):
        register_defense("knn", FILTER, DETECTORS["knn"])
    with pytest.raises(ValueError, match="kind must be one of"):
        register_defense("new-one", "shield", DETECTORS["knn"])
    with pytest.raises(ValueError, match="other than 'none'"):
        register_defense("none", TRAINER, ComplementNB)
    with pytest.raises(TypeError, match="factory must be callable"):
        register_defense("new-one", TRAINER, "ComplementNB")
    with pytest.raises(ValueError, match="unknown parameter 'k'"):
        make_defense("knn", k=3)
    with pytest.raises(ValueError, match="defense must be one of"):
        make_defense("magic")


@pytest.fixture
def complement_trainer(monkeypatch):
    """A trainer registered for one test: ComplementNB in place of MultinomialNB."""
    monkeypatch.setattr(defenses, "DEFENSES", dict(defenses.DEFENSES))
    monkeypatch.setattr("course_utils.experiment.DEFENSES", defenses.DEFENSES)
    register_defense("complement-nb", TRAINER, lambda random_state=0: ComplementNB(), summary="test only")
    yield "complement-nb"


def test_a_trainer_replaces_the_classifier_and_removes_nothing(small_train, complement_trainer):
    texts, labels = small_train
    outcome = defend(complement_trainer, texts, labels, params={"alpha": 0.5})
    assert outcome.kind == TRAINER and outcome.flagged is None and outcome.detection is None
    assert type(outcome.model[-1]) is ComplementNB and outcome.model[-1].alpha == 0.5
    with pytest.raises(ValueError, match="flag_share applies to a filter"):
        defend(complement_trainer, texts, labels, flag_share=0.1)
    data = load_sentiment()
    result = run_experiment(data.texts, data.labels, attack="random-flip", fraction=0.1, defense=complement_trainer)
    assert result["defense_kind"] == TRAINER and result["detection"] is None and result["certified"] is None
    assert 0.5 < result["defended_accuracy"] <= 1


def test_defend_a_filter_removes_what_it_flags(small_train):
    texts, labels = small_train
    outcome = defend("knn", texts, labels, flag_share=0.1, poisoned_indices=[0, 1, 2])
    assert outcome.kind == FILTER and len(outcome.flagged) == 30
    assert outcome.detection["n_flagged"] == 30
    assert outcome.detection["clean_rows_removed"] == 30 - len(set(outcome.flagged) & {0, 1, 2})
    fitted = make_defense("knn").fit(texts, labels)
    again = defend(fitted, texts, labels, flag_share=0.1, prefit=True)
    assert np.array_equal(again.flagged, outcome.flagged)
    with pytest.raises(ValueError, match="prefit needs a detector fitted on these texts"):
        defend(fitted, texts[:100], labels[:100], prefit=True)
    with pytest.raises(TypeError, match="defense must be"):
        defend(42, texts, labels)


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "course_utils", "experiment", "--data", "builtin", *args],
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize("name", defense_names())
def test_every_registered_defense_takes_its_parameters_on_the_command_line(name):
    params = make_defense(name).get_params(deep=False)
    key = next(k for k in sorted(params) if k != "random_state" and isinstance(params[k], (int, float, str)))
    value = params[key]
    result = _cli("--attack", "random-flip", "--fraction", "0.1", "--defense", name,
                  "--param", f"{key}={json.dumps(value)}", "--param", "random_state=3")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["defense"] == name and out["defense_params"] == {key: value, "random_state": 3}
    assert set(out) >= {"defended_accuracy", "defended_attack_success_rate", "detection", "certified"}
    if DEFENSES[name].kind == FILTER:
        assert out["detection"]["n_flagged"] >= 0 and out["certified"] is None
    else:  # a trainer removes nothing; one that certifies reports the course's radii
        assert out["detection"] is None and out["defense_kind"] == TRAINER
        assert out["certified"] is None or out["certified"]["radius"] == [0, 1, 2, 5, 10, 20, 50]


def test_every_monitor_is_registered_and_nothing_is_copied():
    from course_utils.monitoring import MONITORS, StreamMonitor

    assert list(defense_names(MONITOR)) == list(MONITORS)
    for name in MONITORS:
        monitor = make_defense(name, random_state=3)
        assert type(monitor) is StreamMonitor and monitor.statistic == name and monitor.random_state == 3
        assert clone(monitor).get_params() == monitor.get_params()
        assert not hasattr(monitor, "threshold_")
        values = np.arange(100.0)
        assert monitor.fit(values).threshold_ == 98.0 and monitor.predict(values).sum() == 1
        assert np.array_equal(values, np.arange(100.0)), "fit must not change its input"
