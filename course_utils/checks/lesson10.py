"""Checks of exercise 10, secure data collection."""

from __future__ import annotations

import hashlib
import itertools

from ..provenance import GENESIS, chain_hash, edit_distance, verify_chain
from . import Wrong, fresh_rng, question, show
from ._reference import run_learner, run_learner_may_return_none

EXERCISE = "10_secure_data_collection"


def _folder_case(rng, case):
    """A folder's contents (name -> bytes), a manifest's files mapping, and the names that no longer match."""
    names = ["a.txt", "b.txt", "sub/c.txt", "d.bin"]
    contents = {name: bytes(rng.integers(0, 256, size=int(rng.integers(20, 60)), dtype="uint8")) for name in names}
    files = {name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)} for name, data in contents.items()}
    changed = []
    if case == "byte":  # same size, one byte different
        name = names[int(rng.integers(len(names)))]
        data = bytearray(contents[name])
        data[int(rng.integers(len(data)))] ^= 1
        contents[name] = bytes(data)
        changed = [name]
    elif case == "grown":
        contents["b.txt"] += b"\n"
        changed = ["b.txt"]
    elif case == "added":
        contents["sub/extra.txt"] = b"poison\t0\n"
        changed = ["sub/extra.txt"]
    elif case == "removed":
        del contents["a.txt"]
        changed = ["a.txt"]
    elif case == "several":
        del contents["d.bin"]
        contents["new.txt"] = b"x"
        contents["sub/c.txt"] = bytes([contents["sub/c.txt"][0] ^ 0xFF]) + contents["sub/c.txt"][1:]
        changed = ["d.bin", "new.txt", "sub/c.txt"]
    return contents, files, sorted(changed)


@question("q10_changed_files", exercise=EXERCISE, answer_name="changed_files",
          prompt="changed_files(contents, files) names the files that are missing, added or changed")
def _changed_files(answer):
    rng = fresh_rng(31)
    for case in ("intact", "byte", "grown", "added", "removed", "several"):
        contents, files, expected = _folder_case(rng, case)
        result = run_learner(answer, dict(contents), {name: dict(entry) for name, entry in files.items()})
        if isinstance(result, (str, bytes)) or not hasattr(result, "__iter__"):
            raise Wrong("changed_files should return a list of file names (strings), sorted.")
        got = [str(name) for name in result]
        where = {"intact": "On an untouched folder", "byte": "After one byte was changed (same size)",
                 "grown": "After one file grew by a byte", "added": "After a file was added",
                 "removed": "After a file was removed",
                 "several": "After a removal, an addition and a change"}[case]
        if sorted(got) == expected and got != expected:
            raise Wrong(f"{where} you found the right names, {show(sorted(got))}, but not in sorted order.")
        if got == expected:
            continue
        missing, extra = set(expected) - set(got), set(got) - set(expected)
        if missing & (set(files) - set(contents)):
            raise Wrong(f"{where} you return {show(got)}: a file listed in the manifest but missing from the "
                        "folder must be reported too.")
        if missing & (set(contents) - set(files)):
            raise Wrong(f"{where} you return {show(got)}: a file in the folder but not in the manifest is "
                        "added and must be reported.")
        if case == "byte" and missing:
            raise Wrong(f"{where} you return {show(got)}: compare the SHA-256 as well as the size, since a "
                        "changed byte keeps the size.")
        if extra and case == "intact":
            raise Wrong(f"On an untouched folder you report {show(got)}; nothing changed. Compare each file's "
                        "SHA-256 hex digest and size with its entry.")
        raise Wrong(f"{where} the names should be {show(expected)}; you return {show(got)}.")
    return "Finds changed bytes, changed sizes, added and removed files, without changing what it is given."


def _log(rng, n):
    entries, previous = [], GENESIS
    actors = ["alice", "bob", "carol", "mallory"]
    for seq in range(1, n + 1):
        body = {"seq": seq, "actor": actors[int(rng.integers(4))], "action": "contribute",
                "detail": f'{{"row": {seq}, "label": "{rng.choice(["positive", "negative"])}"}}'}
        previous = chain_hash(previous, body)
        entries.append({**body, "hash": previous})
    return entries


@question("q10_first_broken_entry", exercise=EXERCISE, answer_name="first_broken_entry",
          prompt="first_broken_entry(entries) finds where a hash-chained log breaks")
def _first_broken(answer):
    rng = fresh_rng(32)
    log = _log(rng, 6)
    cases = [("a log whose entry 1 had its action changed", [dict(e, action="approve") if i == 1 else e
                                                             for i, e in enumerate(log)], 1),
             ("an intact log", _log(rng, 6), None), ("an empty log", [], None)]
    for _ in range(2):
        log = _log(rng, 8)
        k = int(rng.integers(0, 8))
        cases.append((f"a log whose entry {k} had its actor changed",
                      [dict(e, actor="someone else") if i == k else e for i, e in enumerate(log)], k))
        k = int(rng.integers(1, 7))
        cases.append((f"a log whose entry {k} was deleted", log[:k] + log[k + 1:], k))
        k = int(rng.integers(0, 7))
        swapped = list(log)
        swapped[k], swapped[k + 1] = swapped[k + 1], swapped[k]
        cases.append((f"a log whose entries {k} and {k + 1} were swapped", swapped, k))
    log = _log(rng, 5)
    forged = [dict(e) for e in log]
    forged[2]["detail"] = forged[2]["detail"].replace("row", "ROW")
    body = {key: forged[2][key] for key in ("seq", "actor", "action", "detail")}
    forged[2]["hash"] = chain_hash(log[1]["hash"], body)  # the insider recomputed this entry's hash only
    cases.append(("a log whose entry 2 was edited and its own hash recomputed", forged, 3))
    first_entry_seq = [dict(e) for e in _log(rng, 4)]
    first_entry_seq[0]["seq"] = 0
    cases.append(("a log whose first entry's seq is 0", first_entry_seq, 0))
    for index, (what, entries, expected) in enumerate(cases):
        assert verify_chain(entries) == expected, what
        copies = [dict(e) for e in entries]
        # None is a right answer, but not to the first case: there, it is a body not written yet
        got = (run_learner if index == 0 else run_learner_may_return_none)(answer, copies)
        if copies != entries:
            raise Wrong("first_broken_entry changed the entries; a verifier only reads.")
        if got is not None and (isinstance(got, bool) or not isinstance(got, int)):
            raise Wrong(f"first_broken_entry should return a position (an int) or None, got {show(got)}.")
        if got == expected:
            continue
        if expected is None:
            raise Wrong(f"On {what} you return {show(got)}; every entry holds, so return None. Chain each entry to "
                        "the hash stored in the entry before it (GENESIS only for the first).")
        if got is None:
            raise Wrong(f"On {what} you return None; entry {expected} does not hold. Recompute each hash from the "
                        "previous entry's hash, and check seq too.")
        if got == expected + 1:
            raise Wrong(f"On {what} you return {show(got)}, the expected position is {expected}: count positions "
                        "from 0, and use the hash stored in the previous entry as 'previous'.")
        raise Wrong(f"On {what} you return {show(got)}; the first entry that does not hold is {expected}.")
    return "Finds edits, deletions, swaps and an entry re-hashed on its own, and passes an intact or empty log."


@question("q10_may_approve", exercise=EXERCISE, answer_name="may_approve",
          prompt="may_approve(role, reviewer, contributor, status) is the registry's approval rule")
def _may_approve(answer):
    mistakes = {
        "curator approving their own row": ("curator", "alice", "alice", "pending"),
        "contributor approving": ("contributor", "carol", "mallory", "pending"),
        "reader approving": ("reader", "dave", "mallory", "pending"),
        "curator approving a row already rejected": ("curator", "bob", "mallory", "rejected"),
        "curator approving a row already approved": ("curator", "bob", "mallory", "approved"),
    }
    for role, status in itertools.product(("reader", "contributor", "curator"), ("pending", "approved", "rejected")):
        for reviewer, contributor in (("bob", "mallory"), ("mallory", "mallory")):
            expected = role == "curator" and status == "pending" and reviewer != contributor
            got = run_learner(answer, role, reviewer, contributor, status)
            if not isinstance(got, bool):
                raise Wrong(f"may_approve should return True or False, got {show(got)}.")
            if got == expected:
                continue
            case = (role, reviewer, contributor, status)
            named = next((name for name, values in mistakes.items() if values[0] == role and values[3] == status
                          and (values[1] == values[2]) == (reviewer == contributor)), None)
            if expected:
                raise Wrong(f"may_approve{show(case)} returns False: a curator may approve another person's "
                            "pending row.")
            raise Wrong(f"may_approve{show(case)} returns True, which lets a {named or 'user'} through. Only a "
                        "curator approves, only a pending row, and never their own.")
    return "Only a curator, only a pending row, never their own: all 18 cases right."


@question("q10_edit_distance", exercise=EXERCISE, answer_name="edit_distance",
          prompt="edit_distance(a, b) is the Levenshtein distance between two strings")
def _edit_distance(answer):
    rng = fresh_rng(33)
    cases = [("EleuterAI", "EleutherAI"), ("", ""), ("", "abc"), ("abc", ""), ("kitten", "sitting"),
             ("flaw", "lawn"), ("Meta", "meta"), ("ab", "ba"), ("mistralai", "mistral-ai")]
    letters = list("abcde")
    for _ in range(8):
        a = "".join(rng.choice(letters, size=int(rng.integers(0, 9))))
        b = "".join(rng.choice(letters, size=int(rng.integers(0, 9))))
        cases.append((a, b))
    for a, b in cases:
        expected = edit_distance(a, b)
        got = run_learner(answer, a, b)
        if isinstance(got, bool) or not isinstance(got, int):
            raise Wrong(f"edit_distance should return an int, got {show(got)} for {show(a)} and {show(b)}.")
        if got == expected:
            continue
        if a.lower() == b.lower() and a != b and got == 0:
            raise Wrong(f"edit_distance({show(a)}, {show(b)}) returns 0: case counts, 'M' and 'm' are different "
                        "characters.")
        if got == abs(len(a) - len(b)):
            raise Wrong(f"edit_distance({show(a)}, {show(b)}) returns {got}, the difference in length; characters "
                        "that differ cost a substitution each.")
        if got == sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b)):
            raise Wrong(f"edit_distance({show(a)}, {show(b)}) returns {got}: you compare position by position, so "
                        "one inserted character shifts everything after it. Let an insertion or deletion cost 1.")
        raise Wrong(f"edit_distance({show(a)}, {show(b)}) returns {got}, the distance is {expected}.")
    return "Right on insertions, deletions, substitutions, empty strings, case and random pairs."
