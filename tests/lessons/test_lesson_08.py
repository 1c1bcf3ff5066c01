"""Lesson 08 (regularization and label penalties), run with papermill on non-default parameters.

The invariants the lesson teaches: the sweeps cover every attack at every seed; the out-of-fold loss filter
the lesson writes inline is the library's LossFilterClassifier; judged out of fold, trimming the least likely
rows recovers part of the accuracy random flips took; every label penalty leaves the backdoor's attack success
far above what a model never poisoned shows.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "08_regularization_and_label_penalties"


def test_penalties_on_other_seeds_and_grids(run_lesson):
    seeds = [5, 6, 7, 8, 9]
    record = run_lesson(LESSON, seeds=seeds, alphas=[0.1, 1.0, 10.0], c_values=[0.1, 1.0, 10.0],
                        l1_c_values=[1.0], sweep_fractions={"random-flip": [0.0, 0.2], "targeted-flip": [0.0, 0.2],
                                                            "duplicate-flip": [0.0, 0.2], "backdoor": [0.0, 0.02]})
    assert record["seeds"] == seeds
    assert record["n_sweep_seeds"] == len(seeds) and record["n_lr_seeds"] == len(seeds)
    assert record["library_agrees"] is True
    assert record["out_of_fold_accuracy"] > record["poisoned_accuracy"]
    assert record["poisoned_accuracy"] < record["clean_accuracy"]
    assert 0 < record["loss_filter_share"][0] < 1
    assert all(after > 0.4 for after in record["backdoor_after"].values())
    assert set(record["best_alpha"]) == set(record["main_fractions"])
