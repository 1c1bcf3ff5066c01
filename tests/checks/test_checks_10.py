"""Checks of exercise 10: the solution and the lesson's own ways pass, plausible wrong answers fail with a hint
that names the mistake, blanks are not answered yet."""

import hashlib

from course_utils import provenance
from course_utils.checks import evaluate, questions_for

from tests.checks.conftest import table_tests

EXERCISE = "10_secure_data_collection"


def changed_files(contents, files):
    changed = set(files) ^ set(contents)
    for name in set(files) & set(contents):
        data = contents[name]
        if len(data) != files[name]["size"] or hashlib.sha256(data).hexdigest() != files[name]["sha256"]:
            changed.add(name)
    return sorted(changed)


def changed_by_course(contents, files):  # the course's own verifier on the folder written out
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory() as scratch:
        for name, data in contents.items():
            (Path(scratch) / name).parent.mkdir(parents=True, exist_ok=True)
            (Path(scratch) / name).write_bytes(data)
        signed = provenance.sign_manifest({"version": 1, "created": "", "files": files}, _KEY)
        problems = provenance.manifest_problems(scratch, signed, _KEY.public_key())
    return sorted({line.split(":", 1)[0] for line in problems})


def changed_by_digest_table(contents, files):
    now = {name: (hashlib.sha256(data).hexdigest(), len(data)) for name, data in contents.items()}
    listed = {name: (entry["sha256"], entry["size"]) for name, entry in files.items()}
    return sorted(n for n in set(now) | set(listed) if now.get(n) != listed.get(n))


def sizes_only(contents, files):
    return sorted((set(files) ^ set(contents)) |
                  {n for n in set(files) & set(contents) if len(contents[n]) != files[n]["size"]})


def listed_only(contents, files):
    return sorted(n for n in files if n not in contents or
                  hashlib.sha256(contents[n]).hexdigest() != files[n]["sha256"])


def present_only(contents, files):
    return sorted(n for n in contents if n not in files or
                  hashlib.sha256(contents[n]).hexdigest() != files[n]["sha256"])


def unsorted(contents, files):
    return sorted(changed_files(contents, files), reverse=True)


def deleting(contents, files):
    result = changed_files(contents, files)
    for name in result:
        contents.pop(name, None)
    return result


def first_broken(entries):
    previous = provenance.GENESIS
    for position, entry in enumerate(entries):
        body = {key: entry[key] for key in ("seq", "actor", "action", "detail")}
        if entry["seq"] != position + 1 or provenance.chain_hash(previous, body) != entry["hash"]:
            return position
        previous = entry["hash"]
    return None


def hash_only(entries):  # forgets the seq check: still catches everything here, since seq is hashed
    previous = provenance.GENESIS
    for position, entry in enumerate(entries):
        if provenance.chain_hash(previous, {k: entry[k] for k in ("seq", "actor", "action", "detail")}) != entry["hash"]:
            return position
        previous = entry["hash"]
    return None


def one_based(entries):
    found = first_broken(entries)
    return None if found is None else found + 1


def no_previous(entries):  # hashes every entry from GENESIS instead of from the entry before it
    for position, entry in enumerate(entries):
        body = {key: entry[key] for key in ("seq", "actor", "action", "detail")}
        if entry["seq"] != position + 1 or provenance.chain_hash(provenance.GENESIS, body) != entry["hash"]:
            return position
    return None


def minus_one(entries):
    found = first_broken(entries)
    return -1 if found is None else found


def approve_rule(role, reviewer, contributor, status):
    return role == "curator" and status == "pending" and reviewer != contributor


def approve_as_table(role, reviewer, contributor, status):
    if role != "curator":
        return False
    if status != "pending":
        return False
    return reviewer != contributor


def curator_only(role, reviewer, contributor, status):
    return role == "curator"


def no_four_eyes(role, reviewer, contributor, status):
    return role == "curator" and status == "pending"


def contributors_too(role, reviewer, contributor, status):
    return role in ("curator", "contributor") and status == "pending" and reviewer != contributor


def levenshtein(a, b):
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def levenshtein_recursive(a, b):
    from functools import lru_cache

    @lru_cache(maxsize=None)
    def d(i, j):
        if i == 0 or j == 0:
            return i + j
        return min(d(i - 1, j) + 1, d(i, j - 1) + 1, d(i - 1, j - 1) + (a[i - 1] != b[j - 1]))

    return d(len(a), len(b))


def hamming(a, b):
    return sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))


def length_difference(a, b):
    return abs(len(a) - len(b))


def case_blind(a, b):
    return levenshtein(a.lower(), b.lower())


_KEY = provenance.generate_key()

WRONG = {
    "q10_changed_files": [sizes_only, listed_only, present_only, unsorted, deleting, lambda c, m: "a.txt"],
    "q10_first_broken_entry": [one_based, no_previous, minus_one, lambda e: 0, lambda e: True],
    "q10_may_approve": [curator_only, no_four_eyes, contributors_too, lambda *a: True, lambda *a: "yes"],
    "q10_edit_distance": [hamming, length_difference, case_blind, lambda a, b: 1.0, lambda a, b: 0],
}

HINTS = [
    ("q10_changed_files", sizes_only, "SHA-256 as well as the size", None),
    ("q10_changed_files", listed_only, "not in the manifest is added", None),
    ("q10_changed_files", present_only, "missing from the folder must be reported", None),
    ("q10_changed_files", unsorted, "not in sorted order", None),
    ("q10_changed_files", deleting, "changed its input", None),
    ("q10_first_broken_entry", one_based, "count positions from 0", None),
    ("q10_first_broken_entry", no_previous, "every entry holds", None),
    ("q10_first_broken_entry", minus_one, "return None", None),
    ("q10_may_approve", no_four_eyes, "never their own", None),
    ("q10_may_approve", curator_only, "only a pending row", None),
    ("q10_may_approve", contributors_too, "Only a curator", None),
    ("q10_edit_distance", hamming, "position by position", None),
    ("q10_edit_distance", length_difference, "difference in length", None),
    ("q10_edit_distance", case_blind, "case counts", None),
]

LESSON_WAYS = {
    "q10_changed_files": [changed_files, changed_by_course, changed_by_digest_table],
    "q10_first_broken_entry": [first_broken, hash_only, provenance.verify_chain],
    "q10_may_approve": [approve_rule, approve_as_table],
    "q10_edit_distance": [levenshtein, levenshtein_recursive, provenance.edit_distance],
}

test_checks_reject_wrong_answers, test_the_hint_names_the_mistake, test_the_lessons_own_way_passes = \
    table_tests(WRONG, HINTS, LESSON_WAYS)


def test_the_exercise_has_four_questions_and_blanks_are_not_yet_answered():
    assert [q.qid for q in questions_for(EXERCISE)] == ["q10_changed_files", "q10_edit_distance",
                                                       "q10_first_broken_entry", "q10_may_approve"]

    def blank(*args):
        ...

    for qid in ("q10_changed_files", "q10_first_broken_entry", "q10_may_approve", "q10_edit_distance"):
        assert evaluate(qid, ...).status == "blank"
        assert evaluate(qid, blank).status == "blank", qid
