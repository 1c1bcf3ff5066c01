# ---
# jupyter:
#   course:
#     exercise: 10_secure_data_collection
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 10 · Secure data collection
#
# These exercises go with `notebooks/10_secure_data_collection.ipynb`. You will find which files of a
# folder no longer match their manifest, find the first broken entry of a hash-chained log, write a
# registry's approval rule, and compute the edit distance behind the look-alike name check.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 30 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Compare a folder with a manifest's hashes and sizes, and name what was changed, added or removed (Q1).
# - Recompute a hash chain and find where it breaks (Q2).
# - State who may approve a contributed row (Q3).
# - Compute the Levenshtein edit distance that flags look-alike names (Q4).

# %% [markdown]
# ## Setup

# %%
import hashlib
import tempfile
from pathlib import Path

from course_utils import provenance
from course_utils.checks import check
from course_utils.data import SENTIMENT_DIR


# %% [markdown]
# ## Q1 · What no longer matches the manifest?
#
# Write `changed_files(contents, files)`. `contents` is a folder as read from disk: a dict from each
# file's name (relative to the folder, with `/` between folders) to its bytes, as
# `{p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}` gives
# it. `files` is a manifest's `files` mapping: file name to a dict with `sha256` (hex) and `size`
# (bytes). Return the sorted list of names that do not match: listed but missing, present but not
# listed, or present with another size or SHA-256. `provenance.manifest_problems` does this in the
# lesson; write it yourself with `hashlib`.

# %%
def changed_files(contents, files):
    """Sorted names of the files that are missing, added or changed."""
    # BEGIN SOLUTION
    changed = set(files) ^ set(contents)
    for name in set(files) & set(contents):
        data = contents[name]
        if len(data) != files[name]["size"] or hashlib.sha256(data).hexdigest() != files[name]["sha256"]:
            changed.add(name)
    return sorted(changed)
    # END SOLUTION


check("q10_changed_files", changed_files)


# %% [markdown]
# ## Q2 · Where does the chain break?
#
# An audit log is a list of entries, each a dict with `seq`, `actor`, `action`, `detail` and `hash`.
# Entry `i` (counting from 0) is intact when its `seq` is `i + 1` and its `hash` equals
# `provenance.chain_hash(previous, body)`, where `body` is the dict of its `seq`, `actor`, `action` and
# `detail`, and `previous` is the hash stored in entry `i - 1` (for the first entry,
# `provenance.GENESIS`, 64 zeros). Write `first_broken_entry(entries)`: the position of the first entry
# that is not intact, or `None` when the whole log is.

# %%
def first_broken_entry(entries):
    """Position of the first entry whose seq or hash does not hold, or None."""
    # BEGIN SOLUTION
    previous = provenance.GENESIS
    for position, entry in enumerate(entries):
        body = {key: entry[key] for key in ("seq", "actor", "action", "detail")}
        if entry["seq"] != position + 1 or provenance.chain_hash(previous, body) != entry["hash"]:
            return position
        previous = entry["hash"]
    return None
    # END SOLUTION


check("q10_first_broken_entry", first_broken_entry)


# %% [markdown]
# ## Q3 · Who may approve?
#
# Write `may_approve(role, reviewer, contributor, status)`: `True` when a user with role `role`
# (`"reader"`, `"contributor"` or `"curator"`) named `reviewer` may approve a row sent by `contributor`
# whose status is `status` (`"pending"`, `"approved"` or `"rejected"`), else `False`. The registry's
# rules: only a curator approves, only a pending row, and never a row of their own.

# %%
def may_approve(role, reviewer, contributor, status):
    """The registry's approval rule."""
    # BEGIN SOLUTION
    return role == "curator" and status == "pending" and reviewer != contributor
    # END SOLUTION


check("q10_may_approve", may_approve)


# %% [markdown]
# ## Q4 · How far apart are two names?
#
# Write `edit_distance(a, b)`: the least number of one-character insertions, deletions and substitutions
# that turn `a` into `b` (Levenshtein). Case counts: `"A"` and `"a"` differ. The lesson's look-alike
# check lower-cases both names first, then flags a name within two edits of a trusted one. (Hint: keep
# one row of a table, where cell `j` of row `i` is the distance between the first `i` characters of `a`
# and the first `j` of `b`.)

# %%
def edit_distance(a, b):
    """Levenshtein distance between two strings."""
    # BEGIN SOLUTION
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b)))
        previous = current
    return previous[-1]
    # END SOLUTION


check("q10_edit_distance", edit_distance)

# %% [markdown]
# ## Your functions on the course's data
#
# Your answers at work: the shipped data copied and one label changed, a log with one entry edited,
# and the PoisonGPT name. (This cell runs once your answers are written.)

# %%
with tempfile.TemporaryDirectory() as scratch:
    folder = Path(scratch) / "data"
    folder.mkdir()
    for path in SENTIMENT_DIR.iterdir():
        (folder / path.name).write_bytes(path.read_bytes())
    files = provenance.create_manifest(folder, version=1)["files"]
    content = bytearray((folder / "imdb_labelled.txt").read_bytes())
    content[content.index(b"\t1\n") + 1] = ord("0")  # one positive review relabelled negative
    (folder / "imdb_labelled.txt").write_bytes(bytes(content))
    contents = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    found = changed_files(contents, files)
    print("changed:", found if found is not None else "(write changed_files, Q1, first)")

    with provenance.DataRegistry(Path(scratch) / "registry.db") as registry:
        registry.add_user("alice", "curator")
        registry.add_user("mallory", "contributor", by="alice")
        for text in ("Great phone.", "Awful battery.", "Love it."):
            registry.contribute("mallory", text, "negative")
        log = registry.audit_log()
    log[3] = {**log[3], "actor": "alice"}
    print("first broken entry:", first_broken_entry(log), "(None until Q2 is written)")
distance = edit_distance("EleuterAI", "EleutherAI")
print(f"EleuterAI is {distance} edit(s) from EleutherAI" if distance is not None else
      "(write edit_distance, Q4, to measure EleuterAI against EleutherAI)")

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can check a folder against its manifest, find where a hash-chained
# log was changed, state a registry's approval rule and measure how close two names are. Next comes
# lesson 11, where the trained model itself is the suspect.
