"""Lesson 10 (secure data collection), run with papermill on non-default parameters.

The invariants the lesson teaches: the shipped manifest describes its folder; a forged list of hashes
matches forged data, and the signed manifest refuses each of the five tamper cases, naming the file or the
check, and every random single-byte change; the registry's rules hold through the Python API (no
self-approval, no contributor or reader approving, pending rows never in a snapshot); review lowers the
attack success of label flips and does nothing for a clean-label trigger; every edit, deletion and swap of
an audit entry is caught with a signed head, and a cut tail only with it; two writer processes lose
nothing; pickle runs the payload while skops and the arrays-only format refuse it; the signed model card
refuses edited weights.
"""

import pytest

pytestmark = pytest.mark.notebook

LESSON = "10_secure_data_collection"


def test_secure_data_collection_on_other_settings(run_lesson):
    seeds = [5, 6, 7]
    record = run_lesson(LESSON, seed=6, seeds=seeds, review_threshold=0.7, poison_quota=60, byte_trials=40,
                        writer_rows=150, chain_entries=25)
    assert record["seeds"] == seeds and record["review_threshold"] == 0.7
    assert record["same_files"] is True and record["same_rows"] is True
    assert record["forged_hashes_match"] is True

    refusals = record["refusals"]
    assert all(refusals.values()), refusals
    assert any("yelp_labelled.txt" in line for line in refusals["one byte changed"])
    assert any("extra_reviews.txt: added" in line for line in refusals["a file added"])
    assert any("imdb_labelled.txt: missing" in line for line in refusals["a file removed"])
    assert any("another key" in line for line in refusals["signed by another key"])
    assert refusals["older release replayed"] == [line for line in refusals["older release replayed"]
                                                  if "older than the current version" in line]
    assert record["bytes_detected"] == record["byte_trials"] == 40

    walk = record["walkthrough"]
    assert walk["sent"] == 60 and walk["refused_by_quota"] == 150 - 60 and walk["log_intact"] is True
    assert all(value.startswith("refused") for value in record["access"].values()), record["access"]
    assert record["pending_in_snapshot"] is False

    trials = record["trials"]
    assert len(trials) == 3 * len(seeds)
    flips = [t for t in trials if t["attack"] == "targeted-flip"]
    clean_label = [t for t in trials if t["attack"] == "clean-label-trigger"]
    assert sum(t["reviewed_attack_success"] for t in flips) < sum(t["unreviewed_attack_success"] for t in flips)
    assert sum(t["poison_admitted"] for t in flips) < sum(t["sent"] for t in flips) / 2
    assert sum(t["poison_admitted"] for t in clean_label) > sum(t["sent"] for t in clean_label) / 2

    n = record["chain_entries"]
    assert n == 25 and record["caught"] == {"edit": n, "delete": n, "reorder": n}
    assert record["caught_without_head"]["delete"] == n - 1  # only the last entry's deletion goes unseen
    assert record["insider_broken_at"] == record["insider_seq"] - 1
    assert record["concurrent_rows"] == 2 * 150 and record["concurrent_intact"] is True

    assert record["pickle_ran"] is True and record["skops_refused"] is True and record["clean_untrusted"] == []
    assert record["objects_refused"] is True and record["arrays_equal"] is True
    assert record["card_refused"] is True and record["model_signing_refused"] is True
    assert record["poisongpt_flagged"] is True
