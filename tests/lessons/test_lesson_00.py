"""Lesson 00 (welcome and threat model), run with other seeds and another fraction.

The lesson's invariant: each attack does what its goal says. Random flips (availability)
lower clean accuracy; a targeted flip raises the attack success rate on its source class;
a backdoor raises the attack success rate on triggered sentences far more, while clean
accuracy barely moves.
"""

import pytest

SEEDS = [5, 6, 7, 8, 9]
FRACTION = 0.04


@pytest.mark.notebook
def test_each_attack_does_what_its_goal_says(run_lesson):
    record = run_lesson("00_welcome_and_threat_model", seeds=SEEDS, fraction=FRACTION)
    assert record["seeds"] == SEEDS and record["fraction"] == FRACTION, "the parameters did not reach the lesson"

    # The data table counts the shipped data: three sources, 500 sentences per class each.
    assert record["n_sentences"] == 3000
    assert record["counts"] == {source: {"negative": 500, "positive": 500} for source in ("amazon", "imdb", "yelp")}

    # Every attacker gets the same fraction, in rows of the training set.
    attacks = record["attacks"]
    assert set(attacks) == {"random-flip", "targeted-flip", "backdoor"}
    assert record["n_poisoned_rows"] == round(FRACTION * record["n_train"])
    assert {a: v["n_poisoned"] for a, v in attacks.items()} == dict.fromkeys(attacks, record["n_poisoned_rows"])

    # Availability: random flips lower clean accuracy, with an interval that excludes zero.
    flip = attacks["random-flip"]
    _, low, high = flip["accuracy_drop"]
    assert flip["poisoned_accuracy_mean"] < flip["clean_accuracy_mean"]
    assert low > 0, f"random-flip accuracy drop interval [{low}, {high}] should exclude zero"
    assert flip["attack_success_rate"] is None, "random flips have no target"

    # Targeted: more of the source class is read as the target than by the clean model.
    targeted = attacks["targeted-flip"]
    success, success_low, _ = targeted["attack_success_rate"]
    targeted_gain = success - targeted["clean_attack_success_rate_mean"]
    assert targeted_gain > 0.05, targeted
    assert success_low > targeted["clean_attack_success_rate_mean"], targeted

    # Backdoor: triggered sentences obey the attacker; clean accuracy barely moves.
    door = attacks["backdoor"]
    success, success_low, _ = door["attack_success_rate"]
    gain = success - door["clean_attack_success_rate_mean"]
    drop = door["accuracy_drop"][0]
    assert success_low > 0.7, door
    assert gain > 0.5, door
    assert drop < 0.03, f"the backdoor lowered clean accuracy by {drop}"
    assert gain > 10 * max(drop, 0.0), door
    assert gain > targeted_gain, "with the same fraction the backdoor should succeed far more often than a targeted flip"
