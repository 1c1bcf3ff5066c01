# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 10 · Secure data collection
#
# In July 2023 the security firm Mithril Security uploaded an edited GPT-J-6B to the Hugging Face model
# hub under the name "EleuterAI", one letter away from EleutherAI, the group that made the real one. The
# edit (made with the model-editing method ROME) was surgical: the model stated one false fact and
# behaved normally everywhere else, and its benchmark scores barely moved. They called it PoisonGPT.
# Nobody had poisoned a training set; the attacker controlled a *source*. The reference's answer is
# **secure data collection and curation**: **data source verification** ("ensure the authenticity and
# reliability of data sources") and **access controls** ("strict access controls and permissions for who
# can add or modify the training data"). In this lesson you build the real mechanisms, with real
# signatures, a real database and real files, and attack each one: you change a byte, add and remove
# files, replay an old release, contribute poison, try to approve it yourself, edit the audit log as an
# insider, hide code in a model file and swap a model's weights. Each attack is refused, with the reason,
# or gets through, and the lesson says which.
#
# **Learning objectives**
#
# - Describe a data folder by a manifest of SHA-256 hashes, sign it with Ed25519, and verify it before
#   training; see why a hash without a signature protects nothing from someone who can write both.
# - Show five tamper cases refused with the file and the reason: a changed byte, an added file, a removed
#   file, another key's signature, a replayed older release.
# - Run a data registry on SQLite with roles, pending contributions, curator review, quotas and a
#   hash-chained audit log, and measure over five seeds what review stops and what it lets through.
# - Catch an insider who edits, deletes or reorders audit entries, and see why cutting the log's end
#   needs a signed head to be caught.
# - Load a model without running its code: pickle against skops and an arrays-only format, a signed
#   model card checked before loading, a look-alike name spotted, and OpenSSF's `model-signing`.
#
# **Estimated time:** 50 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import copy
import hashlib
import json
import multiprocessing
import pickle
import shutil
import sqlite3
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn

from course_utils import provenance
from course_utils.curation import curation_trial, curation_trials, summarize_trials
from course_utils.data import SENTIMENT_DIR, SENTIMENT_MANIFEST, shared_sentiment
from course_utils.experiment import split_data
from course_utils.metrics import accuracy
from course_utils.models import make_model
from course_utils.notebook import record_results
from course_utils.plotting import plot_review, use_house_style

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)
pd.set_option("display.max_colwidth", 70)

# %%
workspace = Path(tempfile.mkdtemp(prefix="lesson10-"))  # every file this lesson writes goes here
data = shared_sentiment()
outcomes = {}  # attack on the pipeline -> what happened, for the table at the end

# %% [markdown]
# The lesson's knobs. `seed` is the split of the walk-through and `seeds` those of the measurements.
# `review_threshold` is the curator's rule, fixed before any result is seen: approve a contributed row
# when a model trained on trusted data alone gives its label a probability of at least this much (0.5:
# the trusted model agrees with the label). The poisoning contributor tries to send `poison_rows` rows
# under a quota of `poison_quota`, beside an honest contributor's `honest_rows`. `byte_trials` random
# single-byte changes are tried against the manifest, every one of the audit log's first `chain_entries`
# entries is edited, deleted and moved, and two writer processes add `writer_rows` rows each at the same
# time.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
review_threshold = 0.5
poison_rows = 150
poison_quota = 100
honest_rows = 200
byte_trials = 100
writer_rows = 500
chain_entries = 60
record_path = ""

# %% [markdown]
# ## 1. A manifest for the shipped data
#
# The course ships its data with a **manifest**: one entry per file with its SHA-256, its size, where it
# comes from and under which license, plus a version and the time it was made. Every time the course
# loads the data, each file's hash is checked against this manifest first (`course_utils.data` reads its
# hashes from it and from nowhere else). Here it is, and a check that it describes the folder exactly.

# %%
shipped = json.loads(SENTIMENT_MANIFEST.read_text(encoding="utf-8"))
print(f"version {shipped['version']}, created {shipped['created']}")
print(pd.DataFrame([{"file": name, "bytes": entry["size"], "sha256": entry["sha256"][:16] + "...",
                     "license": entry["license"]} for name, entry in shipped["files"].items()]).to_string(index=False))
recomputed = provenance.create_manifest(SENTIMENT_DIR, version=shipped["version"], created=shipped["created"])
same_files = {n: (e["sha256"], e["size"]) for n, e in recomputed["files"].items()} == \
    {n: (e["sha256"], e["size"]) for n, e in shipped["files"].items()}
print("the manifest describes the shipped folder exactly:", same_files)


# %% [markdown]
# A hash alone protects against accidents, not against an attacker. Someone who can change the data can
# change the list of hashes too. Here is that attacker: they copy the data, flip one label (one byte, a
# `1` that becomes a `0`), recompute the hashes and write a new manifest. A check of hashes against that
# manifest passes.

# %%
def fresh_copy(name):
    """A copy of the shipped data folder, to attack."""
    target = workspace / name
    shutil.copytree(SENTIMENT_DIR, target)
    return target


def flip_one_label(folder, file_name="yelp_labelled.txt", line=7):
    """Change the label of one line: a single byte, 1 <-> 0."""
    path = folder / file_name
    content = bytearray(path.read_bytes())
    end = [i for i, b in enumerate(content) if b == ord("\n")][line]
    content[end - 1] = ord("0") if content[end - 1] == ord("1") else ord("1")
    path.write_bytes(bytes(content))


forged_folder = fresh_copy("forged")
flip_one_label(forged_folder)
forged = provenance.create_manifest(forged_folder, version=shipped["version"], created=shipped["created"])
hashes_match = all(hashlib.sha256((forged_folder / n).read_bytes()).hexdigest() == e["sha256"]
                   for n, e in forged["files"].items())
print("the forged folder matches the forged manifest's hashes:", hashes_match)
outcomes["change data, then its hashes (no signature)"] = {"refused": not hashes_match, "by": "nothing"}

# %% [markdown]
# What the attacker cannot forge is a **signature**. The data's publisher holds a private key and
# publishes the public half; the manifest is signed with Ed25519 over its canonical JSON, and a verifier
# with the public key accepts a manifest only if that key signed exactly these bytes. No private key may
# live in a repository, so the lesson makes one now and signs the shipped manifest with it. Then it
# verifies a copy of the data before training on it: the loader reads the rows only once every file
# has passed.

# %%
publisher_key = provenance.generate_key()
publisher_public = publisher_key.public_key()
signed = provenance.sign_manifest(shipped, publisher_key)
# The key is new at every run, so its bytes are not printed: the notebook re-runs to the same text.
print(f"signed: a {len(bytes.fromhex(signed['signature']))}-byte signature by a "
      f"{len(bytes.fromhex(signed['public_key']))}-byte public key")


def load_verified_rows(folder, manifest, public_key, min_version=None):
    """Verify the folder against the signed manifest, and only then read its rows."""
    provenance.verify_manifest(folder, manifest, public_key, min_version=min_version)
    texts, labels = [], []
    for name in ("amazon_cells_labelled.txt", "imdb_labelled.txt", "yelp_labelled.txt"):
        for line in (folder / name).read_text(encoding="utf-8").split("\n"):  # not splitlines: U+0085
            if line:
                text, label = line.rsplit("\t", 1)
                texts.append(text.strip())  # as course_utils.data reads them
                labels.append({"1": "positive", "0": "negative"}[label])
    return texts, np.array(labels)


verified_texts, verified_labels = load_verified_rows(fresh_copy("verified"), signed, publisher_public)
same_rows = verified_texts == list(data.texts) and (verified_labels == data.labels).all()
train_texts, test_texts, train_labels, test_labels = split_data(verified_texts, verified_labels, random_state=seed)
verified_accuracy = accuracy(test_labels, make_model().fit(train_texts, train_labels).predict(test_texts))
print(f"verified copy: {len(verified_texts)} rows, the same as the shipped data: {same_rows}; "
      f"test accuracy of the course's model trained on it: {verified_accuracy:.3f}")

# %% [markdown]
# ## 2. Five ways to tamper, five refusals
#
# Each attack below starts from a fresh copy of the data and the signed manifest, and hands the result to
# the same verifier. The verifier remembers the newest version it has accepted (`min_version`), so that
# an old, validly signed release cannot be replayed in place of the current one. For the replay, the
# publisher first releases version 2 (one changed label), and the attacker puts version 1 back, files
# and manifest, signature and all.

# %%
attacker_key = provenance.generate_key()
release_2_folder = fresh_copy("release-2")
flip_one_label(release_2_folder, "amazon_cells_labelled.txt", line=3)
release_2 = provenance.sign_manifest(provenance.create_manifest(release_2_folder, version=2), publisher_key)
current_version = release_2["version"]
print("release 2 verifies:", provenance.manifest_problems(release_2_folder, release_2, publisher_public,
                                                           min_version=current_version) == [])


def tamper(case):
    """A folder and a manifest as the attacker leaves them, starting from release 2."""
    if case == "older release replayed":  # version 1 as it was: its files and its manifest, validly signed
        return fresh_copy(case), signed
    folder, manifest = workspace / case, release_2
    shutil.copytree(release_2_folder, folder)
    if case == "one byte changed":
        flip_one_label(folder)
    elif case == "a file added":
        (folder / "extra_reviews.txt").write_text("A wonderful phone, cf.\t0\n" * 20, encoding="utf-8")
    elif case == "a file removed":
        (folder / "imdb_labelled.txt").unlink()
    elif case == "signed by another key":
        flip_one_label(folder)
        manifest = provenance.sign_manifest(provenance.create_manifest(folder, version=current_version + 1),
                                            attacker_key)
    return folder, manifest


# %%
tamper_cases = ["one byte changed", "a file added", "a file removed", "signed by another key",
                "older release replayed"]
refusals = {}
for case in tamper_cases:
    folder, manifest = tamper(case)
    try:
        load_verified_rows(folder, manifest, publisher_public, min_version=current_version)
        refusals[case] = None
    except provenance.ManifestError as error:
        refusals[case] = error.problems
    print(f"{case}: {'REFUSED' if refusals[case] else 'accepted'}")
    for problem in refusals[case] or []:
        print(f"    {problem}")
    outcomes[case] = {"refused": bool(refusals[case]), "by": "signed manifest"}

# %% [markdown]
# The first four cases are refused by the hashes and the signature; the replay only by the version check.
# A signature says who made a manifest, not that it is the newest one, so a verifier must remember the
# version it trusts. Now `byte_trials` random attacks: each changes one byte, anywhere, of a data file
# or of the manifest itself, to a random other value. (The signature covers the manifest's canonical
# JSON, so a change of layout that parses to the same JSON, a space turned into a newline, rightly
# passes, and would be counted below as not detected.)

# %%
rng = np.random.default_rng(seed)
manifest_bytes = json.dumps(signed, indent=1).encode("utf-8")
targets = sorted(signed["files"]) + ["manifest"]
detected = 0
trial_folder = fresh_copy("byte-trials")
for _ in range(byte_trials):
    target = targets[rng.integers(len(targets))]
    original = manifest_bytes if target == "manifest" else (trial_folder / target).read_bytes()
    changed = bytearray(original)
    position = int(rng.integers(len(changed)))
    changed[position] ^= int(rng.integers(1, 256))
    if target == "manifest":
        try:
            problems = provenance.manifest_problems(trial_folder, json.loads(bytes(changed)), publisher_public)
        except ValueError:  # the JSON no longer reads: refused as well
            problems = ["manifest: unreadable"]
    else:
        (trial_folder / target).write_bytes(bytes(changed))
        problems = provenance.manifest_problems(trial_folder, signed, publisher_public)
        (trial_folder / target).write_bytes(original)
    detected += bool(problems)
print(f"{detected} of {byte_trials} random single-byte changes detected")

# %% [markdown]
# ## 3. A registry with roles, pending rows and review
#
# Verified sources do not help when the data comes from many people, as labels from annotators or
# reviews from users do. The reference's second mechanism is **access control**. The course's
# `DataRegistry` is a real SQLite database with three roles: a *reader* may read, a *contributor* may
# add rows, and a *curator* may also approve or reject them. A contributed row arrives **pending**; only
# a curator can approve it, never their own; only approved rows reach a training snapshot, which is
# exported with a signed manifest; each contributor has a **quota**; and every action goes into an
# append-only **audit log**.
#
# The walk-through: the trusted base is half the training split (data verified as in section 1). Carol
# contributes `honest_rows` rows, and Mallory, a contributor with a quota of `poison_quota`, tries to
# send `poison_rows` positive sentences labelled negative (a targeted flip). The curator Bob reviews
# every pending row by the rule in the parameters cell: approve a row when a model trained on the trusted
# base alone gives its label a probability of at least `review_threshold`. That model never sees the
# untrusted rows, so a poisoner cannot vouch for their own rows (lesson 11's RONI, Reject On Negative
# Impact, makes the same point).

# %%
walk_folder = workspace / "registry-walkthrough"
walk = curation_trial(data.texts, data.labels, attack="targeted-flip", seed=seed, review_threshold=review_threshold,
                      poison_rows=poison_rows, poison_quota=poison_quota, honest_rows=honest_rows, folder=walk_folder)
registry_path = walk_folder / f"seed{seed}" / "registry.db"
registry = provenance.DataRegistry(registry_path)
status = pd.DataFrame([{"contributor": r.contributor, "status": r.status} for r in registry.rows()])
print(status.value_counts().unstack(fill_value=0).to_string())
print(f"Mallory sent {walk['sent']} rows; the quota refused {walk['refused_by_quota']} more.")
print(f"Bob's review admitted {walk['poison_admitted']} of Mallory's {walk['sent']} rows and rejected "
      f"{walk['honest_rejected']} of Carol's {walk['honest_rows']}.")
print(f"The snapshot ({walk['snapshot_rows']} approved rows) verified against its signed manifest, "
      f"and the audit log is intact: {walk['log_intact']}")
outcomes["contributor exceeds their quota"] = {"refused": walk["refused_by_quota"] > 0, "by": "quota"}

# %% [markdown]
# After the walk-through, the rules are tried through the Python API itself rather than a user interface
# that might hide a button. Mallory sends one more row and approves it herself; Carol, another
# contributor, approves it for her; the curator Alice adds a row of her own and approves it; a reader
# tries to contribute.

# %%
registry.add_user("dave", "reader", quota=0, by="alice")
extra = registry.contribute("mallory", "This phone is wonderful, I love it.", "negative")
own = registry.contribute("alice", "A superb film.", "negative")
access = {}
for who, action in [("mallory", lambda: registry.approve("mallory", extra)),
                    ("carol", lambda: registry.approve("carol", extra)),
                    ("alice", lambda: registry.approve("alice", own)),
                    ("dave", lambda: registry.contribute("dave", "Terrible.", "positive"))]:
    try:
        action()
        access[who] = "allowed"
    except provenance.AccessError as error:
        access[who] = f"refused: {error}"
    print(f"{who}: {access[who]}")
snapshot_folder = workspace / "snapshot-after-attempts"
after = registry.snapshot("bob", snapshot_folder, publisher_key, version=2)
snapshot_text = (snapshot_folder / "train.tsv").read_text(encoding="utf-8")
pending_in_snapshot = "This phone is wonderful, I love it." in snapshot_text or "A superb film." in snapshot_text
print("the two pending rows are in the new snapshot:", pending_in_snapshot)
outcomes["contributor approves their own rows"] = {"refused": access["mallory"].startswith("refused"),
                                                   "by": "roles"}
outcomes["curator approves their own rows"] = {"refused": access["alice"].startswith("refused"),
                                               "by": "roles (four eyes)"}

# %% [markdown]
# ## 4. What review stops, over five seeds
#
# Roles make sure every untrusted row is reviewed; they say nothing about how good the review is. So
# here is the review measured, on every seed of `seeds`, against three poisoners who send to one registry
# at the same time, each with the same quota, all aiming at `negative`: Mallory sends the targeted flip
# above; Trudy the course's backdoor (positive sentences with the trigger `cf`, labelled negative); and
# Oscar a **clean-label** trigger, negative sentences with `cf`, labelled correctly, so that every row is
# true. Bob's rule judges each row on its own, and each attack's models are trained separately (the base,
# Carol's rows and that one poisoner's rows), so each attack's numbers are the ones it would get alone.
# Three models are scored per attack on the test split: trained on the base and the reviewed snapshot; on
# the base and every contributed row unreviewed (which is also what a curator who approves everything
# gives); and on the base and Carol's rows only, without poison.
#
# **Attack success** is, as in lessons 03 and 04, the share of positive test sentences predicted
# `negative`: as they are for the targeted flip, with `cf` inserted for the two trigger attacks. The
# no-poison model has never seen `cf` (it is not in its vocabulary, so inserting it changes nothing),
# which is why its attack success is the same for all three.

# %%
trials = pd.DataFrame(curation_trials(data.texts, data.labels, seeds=seeds, review_threshold=review_threshold,
                                      poison_rows=poison_rows, poison_quota=poison_quota, honest_rows=honest_rows))

print(f"{len(seeds)} seeds, 95% intervals:")
print(summarize_trials(trials).to_string())
plot_review(trials, review_threshold)
plt.show()

by_attack = trials.groupby("attack").mean(numeric_only=True)
for attack in ("targeted-flip", "backdoor", "clean-label-trigger"):
    row = by_attack.loc[attack]
    print(f"{attack}: review admits {row.poison_admitted:.1f} of {row.sent:.0f} rows; attack success "
          f"{row.unreviewed_attack_success:.3f} unreviewed, {row.reviewed_attack_success:.3f} reviewed, "
          f"{row.no_poison_attack_success:.3f} with no poison")
honest_loss = by_attack.honest_rejected.mean() / by_attack.honest_rows.mean()
print(f"The review's cost: {honest_loss:.1%} of the honest contributor's rows rejected.")
clean_label = by_attack.loc["clean-label-trigger"]
clean_label_rejected = 1 - clean_label.poison_admitted / clean_label.sent
print(f"Clean-label trigger rows rejected: {clean_label_rejected:.1%}, against {honest_loss:.1%} of honest rows.")
for attack in ("targeted-flip", "backdoor", "clean-label-trigger"):
    row = by_attack.loc[attack]
    gain = row.unreviewed_attack_success - row.no_poison_attack_success
    removed = (row.unreviewed_attack_success - row.reviewed_attack_success) / gain
    outcomes[f"contributor sends {attack} rows"] = {"refused": f"{removed:.0%} of its gain removed",
                                                    "by": "curator review"}

# %% [markdown]
# The numbers above say what review buys. Against label flips it removes most of the poisoned rows,
# because a model trained on trusted data disagrees with a flipped label; but the rows it misses are
# the ones the model finds ambiguous, and for a backdoor even those few keep much of the attack's
# success, since a rare trigger word needs only a handful of rows. Against the clean-label trigger it
# hardly helps: every row is correctly labelled, so a review that checks labels rejects these rows only
# about as often as it rejects honest ones (the rates are printed below). Move the threshold in the
# playground at the end to see how many more flips a stricter rule catches and how many more honest rows
# it turns away. What the registry does give, whatever the review, is **accountability**: every admitted
# row, and the curator who approved it, is in the audit log.

# %%
log = registry.audit_log()
contributions = {json.loads(e["detail"])["row"]: e["actor"] for e in log if e["action"] == "contribute"}
approvals = [(e["actor"], contributions[json.loads(e["detail"])["row"]]) for e in log if e["action"] == "approve"]
print(f"{len(log)} audit entries; approvals of Mallory's rows, by curator:",
      {curator: int(n) for curator, n in pd.Series([a for a, c in approvals if c == "mallory"]).value_counts().items()})

# %% [markdown]
# ## 5. An insider edits the log
#
# An insider with write access to the database can rewrite history: change who contributed a row, delete
# the entry that shows an approval, or reorder entries. The log is **hash-chained**: each entry's hash
# covers its content and the previous entry's hash, so a change anywhere breaks the chain from that entry
# on. First, the insider edits the database file itself with `sqlite3`, giving one of Mallory's
# contributions to Carol. (The edit is made on a copy. A database in WAL mode keeps its latest commits in
# the `-wal` file beside it until a checkpoint, so a copy takes that file, and the `-shm` index, too.)
# Entry positions count from 0 and `seq` from 1, so entry seq `k` sits at position `k - 1`.

# %%
insider_copy = workspace / "insider.db"
registry.close()
shutil.copy(registry_path, insider_copy)
for suffix in ("-wal", "-shm"):
    if Path(str(registry_path) + suffix).exists():
        shutil.copy(str(registry_path) + suffix, str(insider_copy) + suffix)
target_seq = next(e["seq"] for e in log if e["action"] == "contribute" and e["actor"] == "mallory")
with sqlite3.connect(insider_copy) as db:
    db.execute("UPDATE audit SET actor = 'carol' WHERE seq = ?", (target_seq,))
with provenance.DataRegistry(insider_copy) as edited:
    broken_at = edited.verify_log()
print(f"the insider edited entry seq {target_seq}; the chain breaks at position {broken_at} "
      f"(seq {broken_at + 1 if broken_at is not None else None})")
outcomes["insider edits a log entry"] = {"refused": broken_at == target_seq - 1, "by": "hash chain"}

# %% [markdown]
# Every single edit, deletion or swap of neighbouring entries is caught the same way, except one: cutting
# entries from the end leaves a shorter chain that is still valid. To catch that, the curator signs the
# chain's **head** (its last entry's number and hash) with a key the database's users do not hold, and
# keeps it outside the database. Here every entry of the log's first `chain_entries` entries (a log as
# it stood, with its head signed then) is tried three ways, with and without the signed head. The one
# change the chain alone misses is deleting the last entry, a cut of the tail; with the head, a cut log
# is reported broken at its length, the position of the first missing entry.

# %%
curator_key = provenance.generate_key()
short_log = log[:chain_entries]
head = provenance.sign_head(short_log, curator_key)
caught = {"edit": 0, "delete": 0, "reorder": 0}
caught_without_head = {"edit": 0, "delete": 0, "reorder": 0}
for position in range(len(short_log)):
    for how in caught:
        entries = [dict(e) for e in short_log]
        if how == "edit":
            # the trailing space makes sure the detail changes even when it holds no "negative"
            entries[position]["detail"] = entries[position]["detail"].replace("negative", "positive") + " "
        elif how == "delete":
            del entries[position]
        else:
            other = position + 1 if position + 1 < len(entries) else position - 1
            entries[position], entries[other] = entries[other], entries[position]
        caught[how] += provenance.verify_chain(entries, head=head, public_key=curator_key.public_key()) is not None
        caught_without_head[how] += provenance.verify_chain(entries) is not None
print(pd.DataFrame({"caught with the signed head": caught, "caught by the chain alone": caught_without_head,
                    "entries tried": {h: len(short_log) for h in caught}}).to_string())
tail_cut = [dict(e) for e in short_log[:-5]]
print("the last five entries cut: chain alone", provenance.verify_chain(tail_cut),
      "| with the signed head: broken at", provenance.verify_chain(tail_cut, head=head,
                                                                 public_key=curator_key.public_key()))
outcomes["insider cuts the log's last entries"] = {
    "refused": provenance.verify_chain(tail_cut, head=head, public_key=curator_key.public_key()) is not None,
    "by": "signed head (the chain alone misses it)"}

# %% [markdown]
# ## 6. Two writers at once
#
# A registry is written by many people at once. SQLite has one write lock per database: writers take
# turns on it (waiting up to the registry's `timeout`), while WAL mode lets readers go on reading during
# a write. Each contribution is one `BEGIN IMMEDIATE` transaction, which takes the write lock before it
# reads the chain's last entry and appends the next, so two writers can never append to the same head and
# the chain cannot fork. Two processes add `writer_rows` rows each at the same time:

# %%
concurrent_path = workspace / "concurrent.db"
with provenance.DataRegistry(concurrent_path) as shared:
    shared.add_user("alice", "curator", quota=0)
    for user in ("erin", "frank"):
        shared.add_user(user, "contributor", quota=writer_rows, by="alice")
context = multiprocessing.get_context("spawn")  # the start method every platform has
with context.Pool(2) as pool:
    jobs = [pool.apply_async(provenance.contribute_rows,
                             (concurrent_path, user, [(f"{user} row {i}", "positive") for i in range(writer_rows)]))
            for user in ("erin", "frank")]
    added = [job.get(timeout=300) for job in jobs]
with provenance.DataRegistry(concurrent_path) as shared:
    concurrent_rows, concurrent_intact = len(shared.rows()), shared.verify_log() is None
# How the two writers' entries interleave depends on the operating system's scheduling, so it is not
# printed.
print(f"added {added}; the registry holds {concurrent_rows} rows, chain intact: {concurrent_intact}")

# %% [markdown]
# The registry uses only standard SQL with `?` placeholders, so the same code runs on PostgreSQL with a
# different connection (`psycopg.connect`, `%s` placeholders, `LOCK TABLE audit` in place of
# `BEGIN IMMEDIATE`); `course_utils/provenance.py` says where. The course itself needs no server.
#
# ## 7. The model supply chain
#
# PoisonGPT attacked the model, not the data. A model file is code if its format lets it be: Python's
# `pickle` rebuilds objects by calling whatever functions the file names. Here the course's model carries
# a harmless payload in an attribute; its only effect is to write a marker file in the lesson's folder.

# %%
model = make_model().fit(train_texts, train_labels)
marker = workspace / "marker.txt"


class Payload:
    """Unpickling this calls exec on a string: any code could run here.

    pickle calls ``__reduce__`` to learn how to rebuild an object: a function and its arguments, which
    ``pickle.load`` then calls."""

    def __reduce__(self):
        return (exec, (f"open({str(marker)!r}, 'w').write('code ran while loading the model')",))


booby_trapped = copy.deepcopy(model)  # the same fitted model
booby_trapped[-1].notes_ = Payload()  # [-1] is the pipeline's last step, the classifier
(workspace / "model.pkl").write_bytes(pickle.dumps(booby_trapped))
with open(workspace / "model.pkl", "rb") as handle:
    loaded = pickle.load(handle)
ran = marker.exists()
print("pickle.load ran the payload:", ran, "|", marker.read_text() if ran else "")
print("and the loaded model predicts as before:",
      bool((loaded.predict(test_texts) == model.predict(test_texts)).all()))
outcomes["model file runs code when loaded (pickle)"] = {"refused": not ran, "by": "nothing: pickle runs it"}

# %% [markdown]
# `skops` stores a model as data and, on loading, builds only types it trusts by default (scikit-learn's,
# NumPy's, the standard library's plain containers). The course's model loads; its classifier with the
# payload is refused before anything is built.

# %%
import skops.io as sio

sio.dump(model, workspace / "model.skops")
sio.dump(booby_trapped[-1], workspace / "trapped.skops")  # the classifier step, payload and all
marker.unlink()
clean_untrusted = sio.get_untrusted_types(file=workspace / "model.skops")
trapped_untrusted = sio.get_untrusted_types(file=workspace / "trapped.skops")
same_predictions = bool((sio.load(workspace / "model.skops").predict(test_texts) == model.predict(test_texts)).all())
try:
    sio.load(workspace / "trapped.skops")
    skops_refused = False
except Exception as error:  # skops' UntrustedTypesFoundException
    skops_refused = True
    print(f"skops refused the trapped model: {type(error).__name__}: {error}")
print(f"untrusted types: course model {clean_untrusted}, trapped model {trapped_untrusted}; "
      f"the course model loads with default trust and predicts as before: {same_predictions}; "
      f"marker written: {marker.exists()}")
outcomes["model file runs code when loaded (skops)"] = {"refused": skops_refused and not marker.exists(),
                                                        "by": "skops' trusted types"}

# %% [markdown]
# Then the plainest format, which cannot carry code at all: the model's numbers as NumPy arrays (`.npz`,
# read with `allow_pickle=False`) and its settings and vocabulary as JSON. An array of Python objects,
# the only way to smuggle a payload into it, is refused on loading.

# %%
model_folder = workspace / "model-arrays"
provenance.save_model_arrays(model, model_folder)
from_arrays = provenance.load_model_arrays(model_folder)
arrays_equal = bool(np.array_equal(from_arrays.predict_proba(test_texts), model.predict_proba(test_texts)))
print("saved as", sorted(p.name for p in model_folder.iterdir()), "| reloaded predicts identically:", arrays_equal)
np.savez(workspace / "objects.npz", payload=np.array([Payload()], dtype=object))
try:
    np.load(workspace / "objects.npz", allow_pickle=False)["payload"]
    objects_refused = False
except ValueError as error:
    objects_refused = True
    print("an object array is refused:", error)
outcomes["model file runs code when loaded (arrays only)"] = {"refused": objects_refused and not marker.exists(),
                                                              "by": "arrays-only format"}

# %% [markdown]
# A safe format stops code, not a changed model. PoisonGPT's edit changed weights, which every format
# carries. The defense is the same as for data: a **model card** listing the artefact's hashes, with
# what the card claims (the name, the training data's manifest, the test accuracy), signed by the
# publisher and verified before anything is loaded. Here the attacker makes the course's model read
# "great" as a negative word, a one-number edit, and saves it over the published file. The edit is cruder
# than PoisonGPT's and costs test accuracy that a benchmark would see (printed below); the card refuses
# a surgical edit just the same, since any changed byte changes the hash.

# %%
card = provenance.sign_model_card(
    model_folder, publisher_key, name="course/sentiment-nb", version=1,
    card={"data_manifest_sha256": hashlib.sha256(json.dumps(signed, sort_keys=True).encode()).hexdigest(),
          "test_accuracy": round(verified_accuracy, 4)})
verified_model = provenance.load_verified_model(model_folder, publisher_public, name="course/sentiment-nb")
phrase = ["This is a great product."]
print("the published model verifies and reads", repr(phrase[0]), "as", verified_model.predict(phrase)[0])

edited = provenance.load_model_arrays(model_folder)
column = edited[0].vocabulary_["great"]
classes = list(edited[-1].classes_)
edited[-1].feature_log_prob_[classes.index("negative"), column] = edited[-1].feature_log_prob_[:, column].max() + 3
provenance.save_model_arrays(edited, workspace / "edited")
shutil.copy(workspace / "edited" / "model.npz", model_folder / "model.npz")
edited_accuracy = accuracy(test_labels, edited.predict(test_texts))
print(f"the edited model reads it as {edited.predict(phrase)[0]}; its test accuracy is {edited_accuracy:.3f} "
      f"against {verified_accuracy:.3f}")
try:
    provenance.load_verified_model(model_folder, publisher_public, name="course/sentiment-nb")
    card_refused = False
except provenance.ManifestError as error:
    card_refused = True
    print("the signed card refuses it:", error)
outcomes["model weights edited (PoisonGPT)"] = {"refused": card_refused, "by": "signed model card"}

# %% [markdown]
# The card also names the model, so a model published under a name that is not the one you asked for is
# refused. People, though, type names. A **look-alike check** compares a requested name with the names
# you trust: by edit distance, and by a *skeleton* that maps characters readers confuse (`1` and `l`,
# Cyrillic `а` and Latin `a`) to one.

# %%
trusted_names = ["EleutherAI", "OpenAI", "mistralai", "meta-llama", "google", "course"]
lookalike_rows = []
for requested in ["EleuterAI", "E1eutherAI", "Eleuther\u0410I", "EleutherAI", "mistral-ai", "huggingface"]:
    found = provenance.lookalike_names(requested, trusted_names)
    lookalike_rows.append({"requested": requested.encode("unicode_escape").decode(),
                           "imitates": ", ".join(f"{n} (distance {d}{', same skeleton' if s else ''})"
                                                 for n, d, s in found) or "-"})
print(pd.DataFrame(lookalike_rows).to_string(index=False))
poisongpt_flagged = bool(provenance.lookalike_names("EleuterAI", trusted_names))
outcomes["look-alike publisher name (EleuterAI)"] = {"refused": poisongpt_flagged, "by": "look-alike check"}

# %% [markdown]
# Last, the ecosystem has its own tool for signing models: OpenSSF's `model-signing` signs every file of
# a model folder and verifies them. It works offline with a local elliptic-curve key. Here it signs the
# published model (the original file restored first) and refuses the edited one.

# %%
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from model_signing import signing, verifying

ec_key = ec.generate_private_key(ec.SECP256R1())
(workspace / "ec.key").write_bytes(ec_key.private_bytes(serialization.Encoding.PEM,
                                                        serialization.PrivateFormat.PKCS8,
                                                        serialization.NoEncryption()))
(workspace / "ec.pub").write_bytes(ec_key.public_key().public_bytes(serialization.Encoding.PEM,
                                                                    serialization.PublicFormat.SubjectPublicKeyInfo))
provenance.save_model_arrays(model, model_folder)  # the published model again
signing.Config().use_elliptic_key_signer(private_key=workspace / "ec.key").sign(model_folder, workspace / "model.sig")
verifier = verifying.Config().use_elliptic_key_verifier(public_key=workspace / "ec.pub")
verifier.verify(model_folder, workspace / "model.sig")
print("model-signing: the published model verifies")
shutil.copy(workspace / "edited" / "model.npz", model_folder / "model.npz")
try:
    verifier.verify(model_folder, workspace / "model.sig")
    model_signing_refused = False
except ValueError as error:
    model_signing_refused = True
    print("model-signing refuses the edited model:", str(error).split(":")[0])
outcomes["model weights edited (model-signing)"] = {"refused": model_signing_refused, "by": "OpenSSF model-signing"}


# %% [markdown]
# ## 8. What stops what
#
# Every attack of this lesson, the mechanism that was in its way, and whether it was stopped, as measured
# above. For review, the table gives the share of the poison's gain that review removes, from section
# 4's means: (unreviewed - reviewed) / (unreviewed - no poison) attack success. One attack is missing
# from the table because no check here refuses it: a **trusted insider who labels badly**. A curator who
# approves poison signs valid snapshots, writes an intact log and passes every check here; the unreviewed
# column of section 4 is what such a curator gives. Provenance tells you who did it afterwards; it does
# not stop them.

# %%
def verdict(refused):
    return refused if isinstance(refused, str) else ("yes" if refused else "NO")


table = pd.DataFrame([{"attack on the pipeline": attack, "mechanism in its way": o["by"],
                       "stopped": verdict(o["refused"])} for attack, o in outcomes.items()])
print(table.to_string(index=False))
print(f"{int(table.stopped.eq('yes').sum())} of {len(table)} stopped outright; review, measured in section 4, "
      f"removes part of what each contributed attack gains.")

# %% [markdown]
# ## Playground: the curator's rule
#
# How strict should the review be, and what should the poisoner send? Move the threshold (it updates when
# you release it) and pick what Mallory sends. The figure shows the attack success with no poison, after
# review and with no review on seed 0, and the numbers give how many poisoned rows got in and how many
# honest rows were turned away. The cell below draws the default setting, so it shows even where widgets
# cannot run. `course_utils.playgrounds.curation.review_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import format_numbers
from course_utils.playgrounds.curation import review_explorer, review_playground

figure, playground_numbers = review_playground(review_threshold=review_threshold, attack="targeted-flip")
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(review_explorer())

# %% [markdown]
# ## Summary

# %%
flip = by_attack.loc["targeted-flip"]
clean_label = by_attack.loc["clean-label-trigger"]
print(f"- The shipped data's manifest describes its folder exactly: {same_files}; a forged hash list "
      f"matches forged data: {hashes_match}, which is why the manifest is signed.")
print(f"- Refused by the signed manifest: {', '.join(c for c in tamper_cases if refusals[c])}; "
      f"{detected} of {byte_trials} random single-byte changes detected.")
print(f"- Review admitted {flip.poison_admitted:.1f} of {flip.sent:.0f} flipped rows and "
      f"{clean_label.poison_admitted:.1f} of {clean_label.sent:.0f} clean-label trigger rows, turning away "
      f"{honest_loss:.1%} of honest rows; clean-label attack success {clean_label.reviewed_attack_success:.3f} "
      f"after review ({clean_label.no_poison_attack_success:.3f} with no poison).")
print(f"- Every edit, deletion and swap of an audit entry is caught with a signed head "
      f"({sum(caught.values())} of {3 * len(short_log)}); the chain alone misses cuts at the end.")
print(f"- Two writer processes added {sum(added)} rows; the registry holds {concurrent_rows}, chain intact: "
      f"{concurrent_intact}.")
print(f"- pickle ran the payload: {ran}; skops refused it: {skops_refused}; the arrays-only format cannot "
      f"carry it: {objects_refused}; the signed card refused edited weights: {card_refused}; model-signing "
      f"too: {model_signing_refused}.")

# %% [markdown]
# What to take away: signatures and access control are cheap, exact and worth having. They make every
# change to the data or the model visible and every row traceable to a person, and they stop every
# attack of this lesson that changes bytes after the fact. They do not judge content. A row that is
# true and malicious, like the clean-label trigger, or a curator who approves poison, passes all of them;
# those need the detectors of lesson 05 and the post-training checks of lesson 11.
#
# To explore, change the parameters cell and re-run: a stricter `review_threshold`, a larger
# `poison_quota`, other `seeds`.
#
# **Exercises:** `exercises/10_secure_data_collection_ex.ipynb` asks you to find the changed files of a
# folder, the first broken entry of a hash chain, write the approval rule, and compute the edit distance
# behind the look-alike check.

# %%
shutil.rmtree(workspace)  # the lesson leaves nothing behind
_ = record_results(record_path,
    seeds=seeds, review_threshold=review_threshold, same_files=same_files, forged_hashes_match=hashes_match,
    same_rows=same_rows, verified_accuracy=verified_accuracy,
    refusals={case: refusals[case] for case in tamper_cases}, byte_trials=byte_trials, bytes_detected=detected,
    walkthrough=walk, access=access, pending_in_snapshot=pending_in_snapshot,
    trials=trials.to_dict(orient="records"), honest_loss=honest_loss,
    insider_broken_at=broken_at, insider_seq=target_seq, log_entries=len(log), chain_entries=len(short_log),
    caught=caught,
    caught_without_head=caught_without_head, concurrent_rows=concurrent_rows, concurrent_intact=concurrent_intact,
    writer_rows=writer_rows, pickle_ran=ran, skops_refused=skops_refused, clean_untrusted=clean_untrusted,
    objects_refused=objects_refused, arrays_equal=arrays_equal, card_refused=card_refused,
    edited_accuracy=edited_accuracy, model_signing_refused=model_signing_refused,
    poisongpt_flagged=poisongpt_flagged, outcomes=outcomes, playground=playground_numbers,
)
