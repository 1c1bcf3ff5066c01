"""course_utils.playgrounds: each playground's numbers, checked against the course's own computations."""

import matplotlib
import numpy as np
import pytest

from course_utils.data import load_sentiment, load_toy
from course_utils.detect import make_detector
from course_utils.experiment import split_data, sweep
from course_utils.models import make_model
from course_utils.attacks import random_flip
from course_utils.metrics import detection_scores
from course_utils.playgrounds import (
    backdoor_explorer,
    backdoor_playground,
    detector_explorer,
    detector_playground,
    format_numbers,
    poison_explorer,
    poison_playground,
    targeted_budget_explorer,
    targeted_budget_playground,
)

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_format_numbers():
    assert format_numbers({"a": 0.5, "b": None, "c": 3, "d": "negative"}) == "a: 0.5000\nb: -\nc: 3\nd: negative"
    with pytest.raises(TypeError):
        format_numbers([1])


@pytest.mark.parametrize("attack, fraction", [("random-flip", 0.3), ("targeted-flip", 0.1), ("backdoor", 0.02)])
def test_poison_playground_equals_the_sweep(attack, fraction):
    data = load_sentiment()
    results = sweep(data.texts, data.labels, attacks=[attack], fractions=[fraction], seeds=[0, 1, 2])
    figure, numbers = poison_playground(attack, fraction)
    assert numbers["poisoned_accuracy"] == pytest.approx(results["poisoned_accuracy"].mean(), abs=1e-12)
    assert numbers["clean_accuracy"] == pytest.approx(results["clean_accuracy"].mean(), abs=1e-12)
    if attack == "random-flip":
        assert numbers["attack_success_rate"] is None
    else:
        assert numbers["attack_success_rate"] == pytest.approx(results["attack_success_rate"].mean(), abs=1e-12)
    assert figure.axes[0].get_title().startswith(attack)


def test_more_poison_hurts_more():
    low = poison_playground("random-flip", 0.1)[1]["poisoned_accuracy"]
    high = poison_playground("random-flip", 0.4)[1]["poisoned_accuracy"]
    assert high < low


def test_targeted_budget_playground_matches_a_direct_fit():
    clean_data, _ = load_toy()
    for copies in (0, 3, 4, 7):
        data = clean_data + [(clean_data[1][0], "negative")] * copies
        model = make_model().fit(*zip(*data))
        expected = model.predict_proba(["I really love this!"])[0][list(model.classes_).index("positive")]
        _, numbers = targeted_budget_playground(copies)
        assert numbers["probability_positive"] == pytest.approx(expected, abs=1e-12)
        assert numbers["prediction"] == model.predict(["I really love this!"])[0]
        assert "cheapest_copies" not in numbers  # exercise 03, question 3: the playground does not print it


def test_backdoor_playground_rare_trigger_beats_common_word():
    rare = backdoor_playground(0.03, "cf")[1]
    common = backdoor_playground(0.03, "the")[1]
    data = load_sentiment()
    results = sweep(data.texts, data.labels, attacks=["backdoor"], fractions=[0.03], seeds=[0, 1, 2])
    assert rare["attack_success_rate"] == pytest.approx(results["attack_success_rate"].mean(), abs=1e-12)
    assert rare["attack_success_rate"] > common["attack_success_rate"] + 0.3
    assert abs(rare["poisoned_accuracy"] - rare["clean_accuracy"]) < 0.03


def test_detector_playground_matches_a_direct_computation():
    _, numbers = detector_playground("knn", 0.2)
    data = load_sentiment()
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, 0)
    poisoned = random_flip(train_texts, train_labels, 0.2, random_state=0)
    flagged = make_detector("knn").fit_flag(poisoned.texts, poisoned.labels, flag_share=0.2)
    scores = detection_scores(flagged, poisoned.poisoned_indices)
    assert numbers["precision"] == pytest.approx(scores["precision"]) and numbers["n_flagged"] == len(flagged)
    keep = np.setdiff1d(np.arange(len(poisoned.texts)), flagged)
    model = make_model().fit([poisoned.texts[i] for i in keep], poisoned.labels[keep])
    assert numbers["defended_accuracy"] == pytest.approx(model.score(test_texts, test_labels))
    assert detector_playground("knn", 0.0)[1]["n_flagged"] == 0


@pytest.mark.parametrize("call, message", [
    (lambda: poison_playground("flood", 0.1), "attack"),
    (lambda: poison_playground("random-flip", 0.9), "fraction"),
    (lambda: targeted_budget_playground(11), "copies"),
    (lambda: targeted_budget_playground(2, copied_index=9), "copied_index"),
    (lambda: backdoor_playground(0.03, "two words"), "trigger"),
    (lambda: detector_playground("magic"), "detector"),
    (lambda: detector_playground("knn", 0.8), "flag_share"),
])
def test_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("build, names", [
    (poison_explorer, ["attack", "fraction"]),
    (targeted_budget_explorer, ["copies"]),
    (backdoor_explorer, ["fraction", "trigger"]),
    (detector_explorer, ["detector", "flag_share"]),
])
def test_explorers_update_only_on_release(build, names):
    interface = build()
    controls = {c._kwarg: c for c in interface.kwargs_widgets if type(c).__name__ != "fixed"}
    assert sorted(controls) == sorted(names)
    for control in controls.values():
        if hasattr(control, "continuous_update"):
            assert control.continuous_update is False


def test_stream_playground_matches_a_direct_simulation():
    from course_utils.monitoring import calibrate_monitors, shared_stream_data, simulate_stream
    from course_utils.playgrounds import stream_playground
    from course_utils.playgrounds.monitoring import PLAYGROUND_CALIBRATION_SEEDS

    _, numbers = stream_playground(40, 3)
    data = shared_stream_data()
    monitors = calibrate_monitors(data, PLAYGROUND_CALIBRATION_SEEDS, 0.01)
    result = simulate_stream(data, "burst", seed=0, burst_rows=40, rate_limit=3,
                             thresholds={n: m.threshold_ for n, m in monitors.items()})
    entry = result["monitors"]["any"]
    assert numbers["rows_passed"] == 3 * 8 * 3  # 8 accounts, 3 rows each per batch, 3 batches
    assert numbers["first_alarm_batch"] == entry["first_alarm_batch"]
    assert numbers["canary_accuracy_after_rollback"] == entry.get("canary_accuracy_after_rollback")
    assert stream_playground(0, 0)[1]["rows_passed"] == 0


@pytest.mark.parametrize("call, message", [
    (lambda: __import__("course_utils.playgrounds", fromlist=["x"]).stream_playground(500), "burst_rows"),
    (lambda: __import__("course_utils.playgrounds", fromlist=["x"]).stream_playground(40, 99), "rate_limit"),
    (lambda: __import__("course_utils.playgrounds", fromlist=["x"]).stream_playground(-1), "burst_rows"),
])
def test_stream_playground_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_stream_explorer_updates_only_on_release():
    from course_utils.playgrounds import stream_explorer

    interface = stream_explorer()
    controls = {c._kwarg: c for c in interface.kwargs_widgets if type(c).__name__ != "fixed"}
    assert sorted(controls) == ["burst_rows", "rate_limit"]
    assert all(c.continuous_update is False for c in controls.values())
