"""Lesson 05 (data validation and sanitization), run with papermill on non-default parameters.

The invariants the lesson teaches: the reference's Isolation Forest finds its far-away toy point with
any seed, but on the real data it is at chance against label flips (it never sees labels); the conflict
audit catches every row of the duplicate-and-flip attack; on random flips the detector named before
the comparison (compared_detector) is measured against cleanlab's find_label_issues on the default
pipeline's out-of-fold probabilities by a paired difference with its interval, and is clearly better
than the Isolation Forest; the trigger detector's threshold rests on measured evidence from splits the
lesson does not use; the trigger detector ranks a 1%
backdoor's token at the top of its table; removing what the suited detector flags recovers accuracy
(random flips) and attack success (backdoor), with the clean rows it costs recorded. The lesson's
inline computations agree with course_utils.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "05_data_validation_and_sanitization"


def test_detectors_on_other_seeds_and_rates(run_lesson):
    seeds = [5, 6, 7]
    record = run_lesson(LESSON, seed=6, seeds=seeds, flip_rates=[0.1, 0.3], pr_flip_rate=0.3,
                        audit_fractions=[0.02, 0.2], iso_seeds=[10, 11, 12], trigger="zq")
    assert record["seeds"] == seeds and record["trigger"] == "zq"

    # the reference's example, whatever the seed
    assert record["reference_point_every_seed"] is True
    assert all(v == [[100, 200]] for v in record["iso_flags_by_seed"].values())

    # the audit: clean data has no conflicts; duplicate-and-flip is caught entirely
    assert record["clean_conflict_groups"] == 0
    assert record["toy_audit"] == {"flagged": [0, 4, 6, 7], "recall": 1.0, "precision": 0.5}
    assert record["duplicate_flip_recall_min"] == 1.0 and record["duplicate_flip_recall_runs"] == 2 * len(seeds)
    assert record["f1_table"]["duplicate-flip"]["audit"] > 0.6
    assert record["recall_table"]["duplicate-flip"]["audit"] == 1.0

    # inline computations agree with course_utils
    for key in ("iso_scores_ignore_labels", "confident_inline_agrees", "same_probabilities", "cleanlab_agrees",
                "run_experiment_agrees"):
        assert record[key] is True, key

    # random flips: the Isolation Forest is at chance; the compared detector, named before the comparison,
    # against cleanlab and the forest by paired differences (same poisoned sets) with their intervals
    assert record["compared_detector"] == "confident"
    assert set(record["paired_vs_cleanlab"]) == set(record["random_flips"]) == {"0.1", "0.3"}
    for rate, by_detector in record["random_flips"].items():
        assert abs(by_detector["isolation-forest"]["mean"] - float(rate)) < 0.06
        for versus, other in (("paired_vs_cleanlab", "cleanlab"), ("paired_vs_isolation_forest", "isolation-forest")):
            d = record[versus][rate]
            assert d["low"] <= d["mean"] <= d["high"]
            # a paired mean is the difference of the means
            assert abs(d["mean"] - (by_detector["confident"]["mean"] - by_detector[other]["mean"])) < 1e-9
        assert record["paired_vs_isolation_forest"][rate]["low"] > 0.2
    assert record["lowest_lead_over_isolation_forest"] > 0.2
    evidence = record["trigger_threshold_evidence"]
    assert min(e["lowest_planted_z"] for e in evidence if e["lowest_planted_z"] is not None) >= 5
    assert max(e["highest_other_z"] for e in evidence) < 5
    assert record["average_precision"]["confident"] > record["average_precision"]["isolation-forest"] + 0.2

    # the trigger detector puts the planted token at the top of its table
    assert record["trigger_worst_rank"] == 1 and record["trigger_ranked_first"] == len(seeds)
    assert all(v["rows_holding_token_are_poisoned"] for v in record["trigger_found"].values())
    assert all(v["triggers"] == ["zq"] and v["recall"] == 1.0 and v["precision"] == 1.0
               for v in record["trigger_found"].values())

    # removing flagged rows: measured gains and their cost
    recovery = record["recovery"]
    assert recovery["random-flip confident accuracy"]["mean"] > 0.01
    assert (recovery["random-flip isolation-forest accuracy"]["mean"]
            < recovery["random-flip confident accuracy"]["mean"])
    assert recovery["backdoor trigger attack success"]["mean"] > 0.1
    assert recovery["random-flip confident accuracy"]["clean_rows_lost"] > 0
    assert record["defense_rate"] == 0.3
