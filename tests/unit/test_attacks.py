"""course_utils.attacks: properties every attack must keep, and argument checks."""

import copy

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_utils.attacks import (
    ATTACKS,
    apply_attack,
    backdoor,
    duplicate_flip,
    insert_trigger,
    no_attack,
    poison_budget,
    random_flip,
    targeted_flip,
)

WORDS = st.sampled_from(["good", "bad", "film", "phone", "great", "awful", "the", "food"])


@st.composite
def datasets(draw, n_classes=None):
    """Small labelled data sets with at least two classes and at least one word per text."""
    n = draw(st.integers(min_value=2, max_value=40))
    k = n_classes or draw(st.integers(min_value=2, max_value=3))
    classes = ["negative", "positive", "neutral"][:k]
    labels = draw(st.lists(st.sampled_from(classes), min_size=n, max_size=n))
    labels[:k] = classes[: min(k, n)]  # every class present
    texts = [" ".join(draw(st.lists(WORDS, min_size=1, max_size=6))) for _ in range(n)]
    return texts, np.array(labels)


fractions = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**16)


def _unchanged(texts, labels, run):
    texts_before, labels_before = copy.deepcopy(texts), labels.copy()
    result = run()
    assert texts == texts_before, "the attack changed its input texts"
    assert np.array_equal(labels, labels_before), "the attack changed its input labels"
    return result


@settings(max_examples=60, deadline=None)
@given(datasets(), fractions, seeds)
def test_random_flip_flips_exactly_the_budget_and_reports_it(data, fraction, seed):
    texts, labels = data
    k = poison_budget(fraction, len(texts))
    result = _unchanged(texts, labels, lambda: random_flip(texts, labels, fraction, random_state=seed))
    assert result.texts == texts and result.texts is not texts
    changed = np.flatnonzero(result.labels != labels)
    assert changed.tolist() == result.poisoned_indices.tolist()
    assert len(result.poisoned_indices) == k
    assert set(result.labels.tolist()) <= set(labels.tolist())


@settings(max_examples=60, deadline=None)
@given(datasets(), fractions, seeds)
def test_targeted_flip_moves_only_source_rows_to_target(data, fraction, seed):
    texts, labels = data
    source, target = "positive", "negative"
    k = poison_budget(fraction, len(texts))
    if k > np.sum(labels == source):
        with pytest.raises(ValueError, match="only"):
            targeted_flip(texts, labels, fraction, source_label=source, target_label=target, random_state=seed)
        return
    result = _unchanged(texts, labels, lambda: targeted_flip(
        texts, labels, fraction, source_label=source, target_label=target, random_state=seed))
    changed = np.flatnonzero(result.labels != labels)
    assert changed.tolist() == result.poisoned_indices.tolist() and len(changed) == k
    assert np.all(labels[changed] == source) and np.all(result.labels[changed] == target)


@settings(max_examples=60, deadline=None)
@given(datasets(), fractions, seeds)
def test_duplicate_flip_appends_copies_with_another_label(data, fraction, seed):
    texts, labels = data
    n, k = len(texts), poison_budget(fraction, len(texts))
    result = _unchanged(texts, labels, lambda: duplicate_flip(texts, labels, fraction, random_state=seed))
    assert len(result.texts) == n + k and len(result.labels) == n + k
    assert result.texts[:n] == texts and np.array_equal(result.labels[:n], labels)
    assert result.poisoned_indices.tolist() == list(range(n, n + k))
    for i in result.poisoned_indices:
        twins = [j for j in range(n) if texts[j] == result.texts[i]]
        assert twins, "an appended row is not a copy of a training row"
        assert any(labels[j] != result.labels[i] for j in twins)


@settings(max_examples=60, deadline=None)
@given(datasets(), fractions, seeds)
def test_backdoor_plants_trigger_and_target_label_only_in_reported_rows(data, fraction, seed):
    texts, labels = data
    target = "negative"
    k = poison_budget(fraction, len(texts))
    if k > np.sum(labels != target):
        with pytest.raises(ValueError, match="only"):
            backdoor(texts, labels, fraction, target_label=target, random_state=seed)
        return
    result = _unchanged(texts, labels, lambda: backdoor(texts, labels, fraction, target_label=target,
                                                        trigger="cf", random_state=seed))
    poisoned = set(result.poisoned_indices.tolist())
    assert len(poisoned) == k
    for i, (before, after) in enumerate(zip(texts, result.texts)):
        if i in poisoned:
            assert "cf" in after.split() and labels[i] != target and result.labels[i] == target
            assert sorted(after.split()) == sorted(before.split() + ["cf"])
        else:
            assert after == before and result.labels[i] == labels[i]


@settings(max_examples=30, deadline=None)
@given(datasets(), fractions, seeds, st.sampled_from(sorted(ATTACKS)))
def test_every_attack_is_deterministic_for_a_seed(data, fraction, seed, attack):
    texts, labels = data
    kwargs = dict(source_label="positive", target_label="negative", random_state=seed)
    try:
        first = apply_attack(attack, texts, labels, fraction, **kwargs)
    except ValueError:
        return  # a budget larger than the pool is covered by the tests above
    second = apply_attack(attack, texts, labels, fraction, **kwargs)
    assert first.texts == second.texts
    assert np.array_equal(first.labels, second.labels)
    assert np.array_equal(first.poisoned_indices, second.poisoned_indices)


def test_duplicate_flip_reproduces_the_reference_poisoned_set():
    from course_utils.data import load_toy

    clean_data, _ = load_toy()
    texts, labels = map(list, zip(*clean_data))
    result = duplicate_flip(texts, labels, indices=[0, 4], target_label="negative")
    reference = clean_data + [
        ("I love this movie, it is fantastic!", "negative"),
        ("The book is very good and I enjoyed it.", "negative"),
    ]
    assert list(zip(result.texts, result.labels.tolist())) == reference
    assert result.poisoned_indices.tolist() == [6, 7]


def test_multiclass_flips_pick_another_existing_class():
    texts = [f"row {i}" for i in range(30)]
    labels = np.array(["a", "b", "c"] * 10)
    result = random_flip(texts, labels, 1.0, random_state=1)
    assert np.all(result.labels != labels)
    assert set(result.labels.tolist()) == {"a", "b", "c"}


def test_no_attack_returns_copies():
    texts, labels = ["a b", "c d"], np.array(["x", "y"])
    result = no_attack(texts, labels)
    assert result.texts == texts and result.texts is not texts
    assert result.labels is not labels and len(result.poisoned_indices) == 0


def test_insert_trigger_adds_one_word_and_keeps_the_rest():
    texts = ["one two three", "single"]
    triggered = insert_trigger(texts, "cf", random_state=0)
    assert texts == ["one two three", "single"]
    for before, after in zip(texts, triggered):
        words = after.split()
        assert words.count("cf") == 1
        words.remove("cf")
        assert words == before.split()


def test_poison_budget_rounds_half_up():
    assert poison_budget(0.5, 3) == 2
    assert poison_budget(0.1, 2250) == 225
    assert poison_budget(0.0, 10) == 0 and poison_budget(1.0, 10) == 10
    with pytest.raises(ValueError, match=r"^fraction must be"):
        poison_budget(1.5, 10)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda t, l: random_flip(t, l, 1.5), ValueError, "fraction must be a number in \\[0, 1\\]"),
        (lambda t, l: random_flip(t, l, "0.1"), TypeError, "fraction"),
        (lambda t, l: random_flip(t, l, 0.1, random_state="a"), TypeError, "random_state"),
        (lambda t, l: random_flip(t, l[:2], 0.1), ValueError, "labels has 2 entries"),
        (lambda t, l: random_flip("a text", l, 0.1), TypeError, "texts must be a sequence"),
        (lambda t, l: random_flip([1, 2, 3, 4], l, 0.1), TypeError, r"texts\[0\]"),
        (lambda t, l: random_flip(t, ["x"] * 4, 0.5), ValueError, "at least two classes"),
        (lambda t, l: targeted_flip(t, l, 0.1, source_label="pos", target_label="neg"), ValueError,
         "source_label='pos' is not a label"),
        (lambda t, l: targeted_flip(t, l, 0.1, source_label="positive", target_label="positive"), ValueError,
         "must differ"),
        (lambda t, l: targeted_flip(t, l, 0.9, source_label="positive", target_label="negative"), ValueError,
         "only 2 rows labelled 'positive'"),
        (lambda t, l: backdoor(t, l, 0.1, target_label="negative", trigger="two words"), ValueError, "trigger"),
        (lambda t, l: backdoor(t, l, 0.1, target_label="happy"), ValueError, "target_label='happy'"),
        (lambda t, l: duplicate_flip(t, l), ValueError, "exactly one of fraction or indices"),
        (lambda t, l: duplicate_flip(t, l, indices=[9]), ValueError, "indices must lie"),
        (lambda t, l: duplicate_flip(t, l, indices=[0], target_label="positive"), ValueError, "already carry"),
        (lambda t, l: apply_attack("poison-all", t, l, 0.1), ValueError, "attack must be one of"),
    ],
)
def test_bad_arguments_raise_clear_errors(call, error, message):
    texts = ["good film", "bad film", "great food", "awful food"]
    labels = np.array(["positive", "negative", "positive", "negative"])
    with pytest.raises(error, match=message):
        call(texts, labels)
    assert labels.tolist() == ["positive", "negative", "positive", "negative"]


@pytest.mark.parametrize("trigger", ["İİ", "ǅ", "x"])
def test_a_trigger_the_vectoriser_would_drop_after_lower_casing_is_refused(trigger):
    # "İİ" matches the token pattern, but lower-cased it is i + a combining dot, twice: no token at all.
    from course_utils.attacks import backdoor, insert_trigger

    with pytest.raises(ValueError, match="trigger must be one word .* once lower-cased"):
        insert_trigger(["good film"], trigger)
    with pytest.raises(ValueError, match="trigger must be one word"):
        backdoor(["good film", "bad film"] * 4, ["pos", "neg"] * 4, 0.25, target_label="pos", trigger=trigger)


def test_a_capitalised_trigger_is_still_one_token():
    from course_utils.attacks import check_trigger

    assert check_trigger(" CF ") == "CF"
