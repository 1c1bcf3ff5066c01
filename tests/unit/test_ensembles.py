"""Lesson 07's certified partition ensembles: the certificates against independent code and against attackers.

* the DPA and Finite Aggregation certificates equal independent re-implementations of the authors'
  published code (alevine0/DPA ``certify.py``; wangwenxiao/FiniteAggregation
  ``FiniteAggregation_cerfity.py``) on random vote tables;
* an exhaustive attacker who may change the models of up to rho partitions (buckets) never changes a
  prediction certified at rho, on every small table; the same holds for real training rows inserted
  and removed on a tiny data set;
* on the real ensemble, an explicit attack with rho + 1 rows changes at least 90% of the certified
  predictions (the certificate is tight), and the attack's fast retraining equals a real refit;
* partitions come from SHA-256 of the normalised text: the same in another process, and every copy
  of a sentence lands in its original's partition.
"""

import itertools
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB
from sklearn.pipeline import make_pipeline

from course_utils.defenses.adversarial import AdversarialNB, worst_case_deletions
from course_utils.defenses.augment import AugmentedNB, augment_counts, augment_text, augment_texts, diluted_share
from course_utils.defenses.ensembles import (
    PartitionEnsemble,
    dpa_certificate,
    fa_certificate,
    fa_shifts,
    insertion_attack,
    nonce_text,
    normalise_text,
    run_off_election,
    text_hash,
)
from course_utils.experiment import CERTIFIED_RADII, certify, defend, split_data


# --- independent re-implementations of the published certificate code ----------------------------

def reference_dpa(votes):
    """alevine0/DPA certify.py, in NumPy: stable sorts, ``(val - valsecond - (idxsecond <= idx)) / 2`` truncated."""
    idxsort = np.argsort(-votes, axis=1, kind="stable")
    valsort = -np.sort(-votes, axis=1, kind="stable")
    val, idx, valsecond, idxsecond = valsort[:, 0], idxsort[:, 0], valsort[:, 1], idxsort[:, 1]
    return idx, ((val - valsecond - (idxsecond <= idx)) / 2).astype(int)


def reference_fa(max_classes, num_classes, shifts):
    """wangwenxiao/FiniteAggregation FiniteAggregation_cerfity.py, loop for loop (certifying the prediction)."""
    n_subsets = max_classes.shape[1]
    predictions = np.zeros((len(max_classes), num_classes))
    for i in range(n_subsets):
        predictions[np.arange(len(max_classes)), max_classes[:, i]] += 1
    idx = np.argsort(-predictions, axis=1, kind="stable")[:, 0]
    shifted = np.array([[(h + shift) % n_subsets for shift in shifts] for h in range(n_subsets)])
    certs = np.empty(len(max_classes), dtype=int)
    for i in range(len(max_classes)):
        label = idx[i]
        certs[i] = n_subsets
        given_h = max_classes[i][shifted.reshape(-1)].reshape(-1, len(shifts))
        for c in range(num_classes):
            if c != label:
                diff = predictions[i][label] - predictions[i][c] - (1 if c < label else 0)
                deltas = (1 + (given_h == label).astype(int) - (given_h == c).astype(int)).sum(axis=1)
                deltas = np.sort(deltas)[::-1]
                radius = 0
                while diff - deltas[radius] >= 0:
                    diff -= deltas[radius]
                    radius += 1
                certs[i] = min(certs[i], radius)
    return idx, certs


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 5).flatmap(lambda c: st.lists(st.lists(st.integers(0, 12), min_size=c, max_size=c),
                                                    min_size=1, max_size=20)))
def test_dpa_certificate_equals_the_reference_code(table):
    votes = np.array(table)
    prediction, radius = dpa_certificate(votes)
    expected_prediction, expected_radius = reference_dpa(votes)
    assert np.array_equal(prediction, expected_prediction) and np.array_equal(radius, expected_radius)


@settings(max_examples=120, deadline=None)
@given(st.integers(2, 4), st.integers(1, 6), st.integers(1, 4), st.integers(0, 2**16), st.integers(1, 8))
def test_fa_certificate_equals_the_reference_code(n_classes, k, d, seed, n_rows):
    rng = np.random.default_rng(seed)
    base = rng.integers(0, n_classes, size=(n_rows, k * d))
    if seed % 3 == 0:  # lopsided tables too: most models agree
        base[:, : k * d // 2] = base[:, :1]
    shifts = fa_shifts(k, d, seed)
    prediction, radius = fa_certificate(base, n_classes, shifts)
    expected_prediction, expected_radius = reference_fa(base, n_classes, shifts)
    assert np.array_equal(prediction, expected_prediction) and np.array_equal(radius, expected_radius)


def test_fa_with_spread_one_is_dpa():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 3, size=(200, 9))
    votes = np.stack([(base == c).sum(axis=1) for c in range(3)], axis=1)
    for shift in range(9):
        assert np.array_equal(fa_certificate(base, 3, [shift])[1], dpa_certificate(votes)[1])


def test_fa_shifts_reproduce_the_reference_seed():
    import random

    random.seed(999999999 + 208)
    assert fa_shifts(50, 3, 999999999 + 208).tolist() == random.sample(range(150), 3)


# --- exhaustive attackers on small cases -----------------------------------------------------------

def _optimal_change(base, n_classes, shifts, rho):
    """Whether some choice of <= rho buckets, their models set to one rival class, changes the vote.

    Setting every reached model to the rival c is optimal for making c win, and a changed prediction
    means some rival wins, so trying every rival and every set of buckets is an exhaustive attack.
    """
    n_subsets = len(base)
    top = np.bincount(base, minlength=n_classes).argmax()
    for size in range(1, rho + 1):
        for buckets in itertools.combinations(range(n_subsets), size):
            reached = np.unique([(h + s) % n_subsets for h in buckets for s in shifts])
            for c in range(n_classes):
                new = base.copy()
                new[reached] = c
                if np.bincount(new, minlength=n_classes).argmax() != top:
                    return True
    return False


@pytest.mark.parametrize("n_classes, k, d", [(2, 7, 1), (3, 6, 1), (2, 3, 2), (3, 2, 3)])
def test_no_exhaustive_attack_within_the_radius_changes_a_prediction(n_classes, k, d):
    rng = np.random.default_rng(k * 10 + d)
    shifts = fa_shifts(k, d, 1)
    for _ in range(60):
        base = rng.integers(0, n_classes, size=k * d)
        if rng.random() < 0.5:
            base[rng.random(k * d) < 0.6] = rng.integers(n_classes)
        _, radius = fa_certificate(base[None], n_classes, shifts)
        assert not _optimal_change(base, n_classes, shifts, int(radius[0]))
        if d == 1:  # DPA's certificate is exact: one more partition always suffices
            assert _optimal_change(base, n_classes, shifts, int(radius[0]) + 1)


def test_no_insertion_or_removal_of_real_rows_within_the_radius_changes_a_prediction():
    texts = ["good food", "great food", "bad food", "awful service", "good service", "slow service", "great place",
             "bad place", "nice staff", "rude staff", "lovely meal", "cold meal"]
    labels = np.array(["pos", "pos", "neg", "neg", "pos", "neg", "pos", "neg", "pos", "neg", "pos", "neg"])
    pool = ["good good good", "bad bad bad", "food service", "great staff", "awful awful meal"]
    test = ["good food service", "bad meal", "great staff place", "slow rude staff"]
    for scheme, spread in (("dpa", None), ("finite-aggregation", 2)):
        def fit(train_texts, train_labels):
            model = make_pipeline(CountVectorizer(), PartitionEnsemble(n_partitions=3, scheme=scheme, spread=spread))
            return model.fit(train_texts, train_labels, partitionensemble__partition_keys=train_texts)

        clean = fit(texts, labels)
        features = clean[:-1].transform(test)
        predicted, radius = clean.predict(test), clean[-1].certified_radius(features)
        insertions = [("+", t, lab) for t in pool for lab in ("pos", "neg")]
        deletions = [("-", i, None) for i in range(len(texts))]
        max_rho = int(radius.max())
        assert max_rho >= 1, "the small case must certify something to test"
        for size in range(1, min(max_rho, 2) + 1):
            for ops in itertools.combinations(insertions + deletions, size):
                gone = {i for op, i, _ in ops if op == "-"}
                new_texts = [t for i, t in enumerate(texts) if i not in gone] + [t for op, t, _ in ops if op == "+"]
                new_labels = [lab for i, lab in enumerate(labels) if i not in gone] + \
                             [lab for op, _, lab in ops if op == "+"]
                changed = fit(new_texts, np.array(new_labels)).predict(test) != predicted
                assert not (changed & (radius >= size)).any(), (scheme, ops)


# --- the certificate is tight on the real ensemble ------------------------------------------------

@pytest.fixture(scope="module")
def real_split(sentiment):
    train_texts, test_texts, train_labels, test_labels = split_data(sentiment.texts, sentiment.labels, 0.25, 0)
    vectorizer = CountVectorizer().fit(train_texts)
    return (train_texts, test_texts, train_labels, test_labels, vectorizer, vectorizer.transform(train_texts),
            vectorizer.transform(test_texts))


@pytest.mark.parametrize("scheme", ["dpa", "finite-aggregation"])
def test_an_attack_with_one_row_more_than_the_radius_changes_most_certified_predictions(real_split, scheme):
    train_texts, _, train_labels, _, _, X, X_test = real_split
    ensemble = PartitionEnsemble(n_partitions=50, scheme=scheme).fit(X, train_labels, partition_keys=train_texts)
    radius = ensemble.certified_radius(X_test[:250])
    # The threat model allows the attack where the row has a word the vocabulary knows (inserted rows are
    # that row's words; a row with none is predicted from the class priors alone).
    allowed = [i for i in range(250) if radius[i] >= 1 and X_test[i].nnz]
    within = [insertion_attack(ensemble, X_test[i], radius[i])["changed"] for i in allowed]
    beyond = [insertion_attack(ensemble, X_test[i], radius[i] + 1)["changed"] for i in allowed]
    assert len(allowed) >= 100 and not any(within)
    assert np.mean(beyond) >= 0.9, np.mean(beyond)


def test_the_attacks_fast_retraining_equals_a_real_refit_and_a_real_text(real_split):
    train_texts, test_texts, train_labels, _, vectorizer, X, X_test = real_split
    ensemble = PartitionEnsemble(n_partitions=20).fit(X, train_labels, partition_keys=train_texts)
    radius = ensemble.certified_radius(X_test)
    rows = [i for i in range(len(test_texts)) if radius[i] >= 1 and X_test[i].nnz][:4]
    for i in rows:
        attack = insertion_attack(ensemble, X_test[i], radius[i] + 1, repeat=100)
        label = ensemble.classes_[attack["target"]]
        poison = [nonce_text(" ".join([test_texts[i]] * 100), h, ensemble.n_subsets_) for h in attack["buckets"]]
        # the count-level refit
        X_poisoned = sparse.vstack([X] + [100 * X_test[i]] * len(poison), format="csr")
        refit = PartitionEnsemble(n_partitions=20).fit(X_poisoned, np.concatenate([train_labels, [label] * len(poison)]),
                                                       partition_keys=list(train_texts) + poison)
        assert ensemble.classes_[attack["prediction"]] == refit.predict(X_test[i])[0]
        # the whole pipeline, its vectoriser refitted on the poisoned texts
        model = defend("partition-ensemble", list(train_texts) + poison,
                       np.concatenate([train_labels, [label] * len(poison)]), params={"n_partitions": 20})
        assert model.model.predict([test_texts[i]])[0] == refit.predict(X_test[i])[0]
        assert attack["changed"]


def test_the_fast_naive_bayes_equals_a_pipeline_per_partition(real_split):
    train_texts, test_texts, train_labels, _, _, X, X_test = real_split
    ensemble = PartitionEnsemble(n_partitions=8).fit(X, train_labels, partition_keys=train_texts)
    base = ensemble.base_predictions(X_test)
    generic = PartitionEnsemble(n_partitions=8, base_estimator=MultinomialNB()).fit(X, train_labels,
                                                                                    partition_keys=train_texts)
    assert np.array_equal(generic.base_predictions(X_test), base)
    for j in range(3):
        rows = np.flatnonzero(ensemble.buckets_ == j)
        own = make_pipeline(CountVectorizer(), MultinomialNB()).fit([train_texts[i] for i in rows], train_labels[rows])
        assert np.array_equal(np.searchsorted(ensemble.classes_, own.predict(test_texts)), base[:, j])


# --- partitions by SHA-256 of the normalised text --------------------------------------------------

def test_partitions_are_the_same_in_another_process_and_copies_join_their_original():
    texts = ["Great food!", "  great   FOOD! ", "Slow service."]
    code = ("from course_utils.defenses.ensembles import text_hash; "
            f"print([text_hash(t) for t in {texts!r}])")
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": "12345", "PATH": ""})
    assert other.stdout.strip() == str([text_hash(t) for t in texts])
    assert normalise_text(texts[1]) == normalise_text(texts[0]) and text_hash(texts[0]) == text_hash(texts[1])
    X = CountVectorizer().fit_transform(texts)
    ensemble = PartitionEnsemble(n_partitions=7).fit(X, ["p", "n", "n"], partition_keys=texts)
    assert ensemble.buckets_[0] == ensemble.buckets_[1]


def test_defend_partitions_by_text_and_certify_reports_the_course_radii(real_split):
    train_texts, test_texts, train_labels, test_labels, _, _, _ = real_split
    outcome = defend("partition-ensemble", train_texts, train_labels, params={"n_partitions": 10})
    expected = np.array([text_hash(t) % 10 for t in train_texts])
    assert np.array_equal(outcome.estimator.buckets_, expected)
    result = certify(outcome.model, test_texts, test_labels)
    assert result["radius"] == list(CERTIFIED_RADII) and len(result["certified_accuracy"]) == len(CERTIFIED_RADII)
    assert result["certified_accuracy"] == sorted(result["certified_accuracy"], reverse=True)
    assert certify(outcome.model, test_texts, test_labels, 2)["certified_accuracy"] == result["certified_accuracy"][2]


@pytest.mark.parametrize("params, message", [
    ({"n_partitions": 0}, "n_partitions must be an integer"), ({"scheme": "vote"}, "scheme must be one of"),
    ({"spread": 2}, "spread must be 1"), ({"alpha": -1.0}, "alpha must be a number"),
    ({"scheme": "finite-aggregation", "spread": 0}, "spread must be an integer"),
])
def test_bad_parameters_name_themselves(params, message):
    with pytest.raises((ValueError, TypeError), match=message):
        PartitionEnsemble(**params).fit(np.ones((4, 2)), [0, 1, 0, 1])


# --- Run-Off Election with two classes is DPA ------------------------------------------------------

def test_run_off_election_with_two_classes_has_dpas_prediction_and_certificate():
    rng = np.random.default_rng(7)
    for _ in range(300):
        k = int(rng.integers(1, 8))
        scores = rng.normal(size=(1, k, 2))
        votes = np.bincount(scores[0].argmax(axis=1), minlength=2)[None]
        prediction, radius = dpa_certificate(votes)
        assert run_off_election(scores)[0] == prediction[0]
        # the exhaustive attacker on ROE: change the scores of r models, any way
        smallest = next(r for r in range(k + 2) if r > k or any(
            run_off_election(np.where(np.isin(np.arange(k), list(models))[None, :, None],
                                      np.array([[1.0, 0.0]]) if prediction[0] == 1 else np.array([[0.0, 1.0]]),
                                      scores))[0] != prediction[0]
            for models in itertools.combinations(range(k), r)))
        assert smallest == radius[0] + 1 or (smallest > k and radius[0] + 1 > k)


# --- augmentation and adversarial training ----------------------------------------------------------

def test_augmentation_keeps_its_inputs_and_swaps_leave_counts_unchanged():
    texts, labels = ["the food was really good", "bad slow service here"], np.array(["p", "n"])
    new_texts, new_labels = augment_texts(texts, labels, factor=3, dropout=0.0, swap=1.0, random_state=0)
    assert texts == ["the food was really good", "bad slow service here"] and len(new_texts) == 8
    vectorizer = CountVectorizer().fit(texts)
    counts = vectorizer.transform(new_texts).toarray()
    assert (counts[2:] == np.tile(counts[:2], (3, 1))).all() and new_labels.tolist() == ["p", "n"] * 4
    assert augment_text("one two three", dropout=0.99, swap=0.0, random_state=1) in {"one", "two", "three"}
    X = vectorizer.transform(texts)
    X_aug, y_aug = augment_counts(X, labels, factor=2, dropout=0.5, rows=[1], random_state=0)
    assert X_aug.shape[0] == 4 and (X_aug[2:].toarray() <= X[[1, 1]].toarray()).all() and y_aug.tolist()[2:] == ["n"] * 2
    assert diluted_share(0.03, 10) == pytest.approx(0.03 / 1.03)
    assert diluted_share(0.03, 10, trusted_share=0.1) == pytest.approx(0.03 / 2.03)
    model = AugmentedNB(factor=2).fit(X, labels, trusted=[0])
    assert model.n_augmented_ == 2


def test_worst_case_deletions_remove_the_words_that_speak_for_the_label():
    texts = ["good great food", "bad awful food", "good food", "awful food"]
    labels = np.array(["p", "n", "p", "n"])
    vectorizer = CountVectorizer().fit(texts)
    X = vectorizer.transform(texts)
    model = MultinomialNB().fit(X, labels)
    deleted = worst_case_deletions(model, X, labels, budget=1)
    kept = [set(vectorizer.get_feature_names_out()[deleted[i].indices]) for i in range(4)]
    assert all("food" in words for words in kept) and (X != vectorizer.transform(texts)).nnz == 0
    assert AdversarialNB(budget=1, rounds=2).fit(X, labels).n_adversarial_ == 8


@pytest.mark.parametrize("n_classes", [1, 2, 3])
@pytest.mark.parametrize("weighted", [False, True])
def test_the_trainers_naive_bayes_equals_multinomialnbs_own_fit(n_classes, weighted):
    rng = np.random.default_rng(n_classes)
    X = sparse.random(60, 12, density=0.3, random_state=n_classes, format="csr")
    X.data = np.round(rng.random(X.nnz) * 4)
    y = np.array(["neg", "pos", "mid"])[rng.integers(0, n_classes, 60)]
    weights = rng.random(60) * 3 if weighted else None
    ours = AugmentedNB(factor=0)._fit_naive_bayes(X, y, 0.5, sample_weight=weights)
    theirs = MultinomialNB(alpha=0.5).fit(X, y, sample_weight=weights)
    for attribute in ("classes_", "n_features_in_", "class_count_", "feature_count_", "feature_log_prob_",
                      "class_log_prior_"):
        assert np.array_equal(getattr(ours, attribute), getattr(theirs, attribute)), attribute
    plain = MultinomialNB(alpha=0.5).fit(X, y)
    for model in (AugmentedNB(factor=0, alpha=0.5), AdversarialNB(budget=0, rounds=0, alpha=0.5)):
        model.fit(X, y)
        assert np.array_equal(model.predict(X), plain.predict(X))
        assert np.array_equal(model.predict_proba(X), plain.predict_proba(X))
