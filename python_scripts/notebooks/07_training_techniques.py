# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 07 · Training techniques: dilution, partition ensembles with a certificate, adversarial training
#
# Lesson 05 tried to find the poison and throw it out; lesson 06 made each model's
# statistics robust. This lesson changes *how the model is trained*, with the reference's three
# "model training techniques": **data augmentation** ("generate more training samples from the
# existing clean data ... dilute the effect of any poisoned samples"), **ensemble learning** ("train
# multiple models on different subsets of the data and aggregate their predictions") and
# **adversarial training**. One of them comes with a proof. An ensemble of models trained on disjoint
# partitions, with a plain vote, can say of each prediction: *no attacker who inserts or removes fewer
# than r training rows can change this*. We build two such certificates, Deep Partition Aggregation and
# Finite Aggregation, check them against their authors' code, and try to break them by attack. Then
# we set what they promise beside what the course's attacks actually use, and the gap is large.
#
# **Learning objectives**
#
# - Partition training rows by SHA-256 of their normalised text, and say why the text and not the row
#   number (or Python's `hash`).
# - Compute the DPA certificate from a vote table, ties included, and Finite Aggregation's, and read
#   a certified-accuracy curve.
# - Verify a certificate by attack: nothing within the radius changes a prediction; one row more does.
# - Measure what each technique does against the four attacks of the course, and what it costs.
# - Explain why adversarial training, a defense against evasion, does not defend against poisoning.
#
# **Estimated time:** 45 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction.text import CountVectorizer

from course_utils.data import load_sentiment
from course_utils.defenses import AdversarialNB, AugmentedNB, PartitionEnsemble
from course_utils.defenses.augment import augment_text, diluted_share
from course_utils.defenses.ensembles import (
    dpa_certificate, insertion_attack, normalise_text, run_off_election, text_hash,
)
from course_utils.evaluation import Trainer, evaluate_training_defenses
from course_utils.experiment import split_data
from course_utils.metrics import DIFFERENCE, mean_interval
from course_utils.notebook import record_results
from course_utils.plotting import use_house_style

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)

# %% [markdown]
# The lesson's knobs. `seeds` are the splits every measured number is averaged over (`seed` is the one
# the walk-throughs use). `ks` are the partition counts of the accuracy curve; `k_main` is the ensemble
# the rest of the lesson uses, fixed here, before any result (50: a lead of tens of votes, enough for
# radii of ten and more).
# `fa_spread` is Finite Aggregation's `d` (the authors' guideline example uses 3) and `fa_ks` the
# counts among which Finite Aggregation is matched to DPA's clean accuracy (the rule is in section 3).
# `attack_fractions` are the course's budgets; `aug_factors` the augmentation factors, `trusted_share`
# the verified share of the rows, `adv_budget` the words adversarial training deletes.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
ks = [1, 5, 10, 20, 50]
k_main = 50
fa_spread = 3
fa_ks = [50, 60]
attack_fractions = {"random-flip": 0.1, "targeted-flip": 0.1, "duplicate-flip": 0.1, "backdoor": 0.03}
aug_factors = [0, 2, 10]
trusted_share = 0.1
adv_budget = 2
record_path = ""

# %%
if seed not in seeds or k_main not in ks:
    raise ValueError("seed must be one of seeds and k_main one of ks: the walk-throughs reuse the grids")
data = load_sentiment()
radii = [0, 1, 2, 5, 10, 20, 50]
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
vectorizer = CountVectorizer().fit(train_texts)
X_train, X_test = vectorizer.transform(train_texts), vectorizer.transform(test_texts)
print(f"{len(data)} sentences; {len(train_texts)} training rows, {len(test_texts)} test rows per split; "
      f"{len(seeds)} seeds")

# %% [markdown]
# ## 1. Partitions by a hash of the text
#
# A partition ensemble needs each training row to land in a partition that depends on *that row
# alone*: then a poisoned row, inserted or removed, changes one partition and nothing else. Python's
# `hash` of a string changes from one process to the next (it is salted), so it cannot be the rule;
# the row number cannot either, because inserting a row moves every later one. The course takes the
# SHA-256 of the text lower-cased with its white space made single spaces, modulo the number of
# partitions. A copy of a sentence lands in its original's partition, which matters for the
# reference's duplicate-and-flip attack (section 4).

# %%
examples = ["The food was great.", "  the FOOD was   great. ", "The service was slow."]
for text in examples:
    print(f"{text!r:32} -> {normalise_text(text)!r:26} hash {text_hash(text) % k_main:2d} of {k_main}")

# %% [markdown]
# Each partition's model is the course's Naive Bayes trained on its rows only, and sees only its
# own partition's words: with one vocabulary shared by all, a poisoned row bringing a new word would
# change every partition's smoothing, and the certificate would be false. `PartitionEnsemble` trains
# all of them from one count matrix: a partition's Naive Bayes is just its class-by-word count sums.

# %% [markdown]
# ## 2. Clean accuracy against the number of partitions
#
# More partitions means fewer rows per model, so each model is weaker and the vote is too; it also
# means a larger lead, in votes, for a confident prediction. Here is the first half of that trade.

# %%
ensembles = {f"dpa k={k}": lambda s, k=k: PartitionEnsemble(n_partitions=k) for k in ks}
ensembles |= {f"fa k={k}": lambda s, k=k: PartitionEnsemble(n_partitions=k, scheme="finite-aggregation",
                                                           spread=fa_spread) for k in fa_ks}
# One row per seed and ensemble: clean accuracy, and certified accuracy at each radius (section 3).
grid = evaluate_training_defenses(data.texts, data.labels, defenses=ensembles, attack_fractions={"none": 0.0},
                                  seeds=seeds, radii=radii)


def interval(values, bounds=None):
    mean, low, high = mean_interval(list(values), **({} if bounds is None else {"bounds": bounds}))
    return {"mean": mean, "low": low, "high": high}


clean = grid.groupby("defense", sort=False)["accuracy"].apply(interval).unstack()
print(clean.round(3).to_string())

# %%
dpa_curve = clean.loc[[f"dpa k={k}" for k in ks]]
fig, ax = plt.subplots(figsize=(6.4, 3.6))
ax.errorbar(ks, dpa_curve["mean"], yerr=[dpa_curve["mean"] - dpa_curve["low"], dpa_curve["high"] - dpa_curve["mean"]],
            marker="o", capsize=4, label="DPA (hash partitions, vote)")
ax.set_xscale("log")
ax.set_title(f"Clean accuracy against the number of partitions ({len(seeds)} seeds, 95% interval)")
ax.set_xlabel("partitions k (k = 1 is the plain model)")
ax.set_ylabel("clean accuracy")
ax.legend()
plt.show()
plain_acc, main_acc = clean.loc["dpa k=1"], clean.loc[f"dpa k={k_main}"]
print(f"One model: {plain_acc['mean']:.3f}; {k_main} partitions: {main_acc['mean']:.3f} "
      f"[{main_acc['low']:.3f}, {main_acc['high']:.3f}]")


# %% [markdown]
# ## 3. The certificates
#
# **Deep Partition Aggregation** (Levine & Feizi, ICLR 2021; code: `github.com/alevine0/DPA`,
# `certify.py`). With `n_top` votes for the winner and `n_second` for the runner-up, each poisoned row
# changes at most one partition's vote, which narrows the lead by at most 2. Ties go to the class with
# the lower index, so a runner-up with a lower index needs one vote less. The radius is
# ⌊(n_top − n_second − [second index < top index]) / 2⌋, exactly the reference code's rule. Here it
# is written out, on a vote table with ties, and compared with the course's `dpa_certificate`:

# %%
def dpa_radius(votes):
    """The winner and its DPA radius for one row of votes (a list, one count per class)."""
    top = max(range(len(votes)), key=lambda c: (votes[c], -c))  # most votes, then the lower index
    second = max((c for c in range(len(votes)) if c != top), key=lambda c: (votes[c], -c))
    return top, (votes[top] - votes[second] - (1 if second < top else 0)) // 2


table = [[30, 20], [20, 30], [25, 25], [26, 24], [24, 26], [10, 10, 30], [15, 20, 15]]
for votes in table:
    print(votes, "-> winner %d, radius %d" % dpa_radius(votes))
ours = [dpa_radius(v) for v in table[:5]]
library = list(zip(*[a.tolist() for a in dpa_certificate(np.array(table[:5]))]))
print("the course's dpa_certificate agrees:", ours == library)

# %% [markdown]
# **Finite Aggregation** (Wang, Levine & Feizi, ICML 2022; code: `github.com/wangwenxiao/FiniteAggregation`,
# `FiniteAggregation_data_norm_hash.py` and `FiniteAggregation_cerfity.py`). The hash picks one of
# `k·d` buckets and a row goes into the `d` subsets `(h + s) mod kd`, for `d` fixed shifts `s`: `k·d`
# models, each trained on `d` buckets. A poisoned row now reaches `d` models, but a model's vote is
# spread over more buckets, and the certificate spends the lead greedily, bucket by bucket, on what
# each bucket's models could take away (2 for a model voting for the winner, 1 for a third class, 0
# for the rival). With `d = 1` it is DPA's. `tests/unit/test_ensembles.py` compares both with
# re-implementations of the authors' code, line by line, on random vote tables.
#
# **Run-Off Election** (Rezaei, Banihashem, Chegini & Feizi, ICML 2023) adds a second round: keep the
# two classes with most votes, then let every model choose between them by its scores. With two
# classes the first round keeps both, and a model prefers, of the two, the class it predicts: the second
# round *is* the plain vote, with the same tie rule, so its prediction and its certificate are DPA's.
# A check: on random two-class score tables, the smallest number of models an exhaustive attacker must
# rewrite to change Run-Off Election's answer is DPA's radius plus one.

# %%
rng = np.random.default_rng(seed)
roe_agrees = True
for _ in range(200):
    k = int(rng.integers(1, 8))
    scores = rng.normal(size=(1, k, 2))
    top, radius = dpa_certificate(np.bincount(scores[0].argmax(axis=1), minlength=2)[None])
    voters = np.flatnonzero(scores[0].argmax(axis=1) == top[0])  # rewriting a winner's voter is the best move
    flipped = scores.copy()
    flipped[0, voters[: radius[0] + 1]] = flipped[0, voters[: radius[0] + 1]][:, ::-1]
    still = scores.copy()
    still[0, voters[: radius[0]]] = still[0, voters[: radius[0]]][:, ::-1]
    roe_agrees &= bool(run_off_election(scores)[0] == top[0] and run_off_election(still)[0] == top[0]
                       and (run_off_election(flipped)[0] != top[0] or radius[0] + 1 > len(voters)))
print("Run-Off Election with two classes: DPA's prediction, and DPA's radius is exactly what it survives:",
      roe_agrees)

# %% [markdown]
# ### Certified accuracy, DPA against Finite Aggregation
#
# A test row is *certified at radius r* when it is predicted correctly and its radius is at least r.
# The two schemes are compared at **matched clean accuracy**, by a rule fixed before looking at the
# curves: DPA with `k_main` partitions, and the Finite Aggregation of `fa_ks` whose mean clean accuracy
# is closest to it.

# %%
dpa_name = f"dpa k={k_main}"
fa_name = min((f"fa k={k}" for k in fa_ks), key=lambda n: abs(clean.loc[n, "mean"] - clean.loc[dpa_name, "mean"]))
curves = {}
for name in (dpa_name, fa_name):
    rows = grid[grid.defense == name]
    curves[name] = pd.DataFrame({r: interval(rows[f"certified@{r}"]) for r in radii}).T.rename_axis("radius")
paired = {}
for r in radii:
    a = grid[grid.defense == fa_name].set_index("seed")[f"certified@{r}"]
    b = grid[grid.defense == dpa_name].set_index("seed")[f"certified@{r}"]
    paired[r] = interval((a - b).loc[seeds], DIFFERENCE)
print(f"Matched: {dpa_name} (clean {clean.loc[dpa_name, 'mean']:.3f}) and {fa_name} "
      f"(clean {clean.loc[fa_name, 'mean']:.3f})")
print(pd.DataFrame({"DPA": curves[dpa_name]["mean"], "FA": curves[fa_name]["mean"],
                    "FA - DPA": [paired[r]["mean"] for r in radii],
                    "low": [paired[r]["low"] for r in radii], "high": [paired[r]["high"] for r in radii]},
                   index=pd.Index(radii, name="radius")).round(3).to_string())

# %%
fig, ax = plt.subplots(figsize=(6.4, 3.6))
for name, color in ((dpa_name, "#1f77b4"), (fa_name, "#d62728")):
    c = curves[name]
    ax.plot(radii, c["mean"], marker="o", color=color, label=name.replace("fa", f"Finite Aggregation (d={fa_spread})")
            .replace("dpa", "DPA"))
    ax.fill_between(radii, c["low"], c["high"], color=color, alpha=0.2)
ax.set_xscale("symlog", linthresh=1)
ax.set_title(f"Certified accuracy against radius ({len(seeds)} seeds, 95% interval)")
ax.set_xlabel("radius r (poisoned training rows)")
ax.set_ylabel("certified accuracy")
ax.legend()
plt.show()
better = [r for r in radii if paired[r]["low"] > 0]
worse = [r for r in radii if paired[r]["high"] < 0]
largest = max(radii, key=lambda r: abs(paired[r]["mean"]))
print(f"Finite Aggregation is better at radii {better or 'none'}, worse at {worse or 'none'}; the largest mean "
      f"difference is {paired[largest]['mean']:+.3f} at radius {largest}.")

# %% [markdown]
# ## 4. Does the certificate hold? Verification by attack
#
# A certificate is a claim about every possible attacker, so no experiment proves it; the proof is
# the counting argument above. What an experiment can do is fail to break it, and show that it is not
# loose. On the seed's split we take the test rows certified at radius at least 1 that hold a word the
# vocabulary knows (the *threat model allows* the attack there: an inserted row is made of that
# row's words, repeated; a row with no known word is predicted from the class counts alone). For each,
# `insertion_attack` inserts r rows, then r + 1, each placed by a nonce in the partition (bucket)
# where it takes most of the lead, and retrains the partitions it reaches.

# %%
attacked = {}
for scheme in ("dpa", "finite-aggregation"):
    k = k_main if scheme == "dpa" else int(fa_name.split("=")[1])
    model = PartitionEnsemble(n_partitions=k, scheme=scheme, spread=None if scheme == "dpa" else fa_spread)
    model.fit(X_train, train_labels, partition_keys=train_texts)
    radius = model.certified_radius(X_test)
    allowed = [i for i in range(len(test_texts)) if radius[i] >= 1 and X_test[i].nnz][:40]
    within = [insertion_attack(model, X_test[i], radius[i])["changed"] for i in allowed]
    beyond = [insertion_attack(model, X_test[i], radius[i] + 1)["changed"] for i in allowed]
    attacked[scheme] = {"rows": len(allowed), "within_changed": int(np.sum(within)),
                        "beyond_changed": float(np.mean(beyond))}
    print(f"{scheme}: {len(allowed)} certified rows attacked; radius r rows changed {np.sum(within)} of them, "
          f"r + 1 rows changed {np.mean(beyond):.1%}")
example = next(i for i in range(len(test_texts)) if radius[i] >= 1 and X_test[i].nnz)
print(f"An inserted row for test row {example}: {' '.join([test_texts[example]] * 3)} ... (repeated 100 times)")

# %% [markdown]
# The attack inside the radius never wins, and one row more almost always does: the certificate is
# tight for this model. The inserted rows are junk a sanitiser (lesson 05) might well catch; the
# certificate does not care what the rows look like, only how many there are.
#
# ### What the certificate covers, and what the attacks use
#
# Now the course's four attacks at the course's budgets, against one Naive Bayes and the two
# ensembles. Beside each attack's measured success: how many buckets its poisoned rows touched (rows
# of one text share one), and the share of the attack's victim rows (the test rows it wants to move)
# whose radius covers that many.

# %%
attacks = {"none": 0.0, **attack_fractions}
fa_k, top = int(fa_name.split("=")[1]), max(aug_factors)
attacked_only, dpa_k = tuple(attack_fractions), lambda s: PartitionEnsemble(n_partitions=k_main)
# One grid for sections 4 to 7: each trainer is fitted once per split and attack. The ensembles' clean
# rows are section 2's; the smaller augmentations face only the backdoor, the row-number partitions only
# duplicate-and-flip (section 4's comparison).
defenses = {
    "Naive Bayes": Trainer(lambda s: None),
    "DPA": Trainer(dpa_k, attacks=attacked_only),
    "Finite Aggregation": Trainer(lambda s: PartitionEnsemble(n_partitions=fa_k, scheme="finite-aggregation",
                                                              spread=fa_spread), attacks=attacked_only),
    "adversarial": Trainer(lambda s: AdversarialNB(budget=adv_budget)),
    "DPA by row number": Trainer(dpa_k, attacks=("duplicate-flip",), keys="row"),
}
for f in aug_factors[1:]:
    for setting, trusted in (("augment", False), ("augment trusted", True)):
        defenses[f"{setting} x{f}"] = Trainer(lambda s, f=f: AugmentedNB(factor=f, random_state=s), trusted=trusted,
                                              attacks=None if f == top else ("none", "backdoor"))
fitted = evaluate_training_defenses(data.texts, data.labels, defenses=defenses, attack_fractions=attacks,
                                    seeds=seeds, trusted_share=trusted_share)
from_grid = grid[grid.defense.isin([dpa_name, fa_name])].replace(
    {"defense": {dpa_name: "DPA", fa_name: "Finite Aggregation"}})
results = pd.concat([from_grid, fitted], ignore_index=True)
metrics = ["accuracy", "attack_success_rate", "n_poisoned", "buckets_touched", "victims_certified"]
by = results.groupby(["attack", "defense"], sort=False)[metrics].mean()
print(by.loc[(list(attack_fractions), ["Naive Bayes", "DPA", "Finite Aggregation"]), :].round(3).to_string())


# %%
def summary(attack, defense, metric):
    values = results[(results.attack == attack) & (results.defense == defense)][metric]
    return interval(values)


gap_rows = []
for attack in ("targeted-flip", "backdoor"):
    for defense in ("Naive Bayes", "DPA", "Finite Aggregation"):
        asr = summary(attack, defense, "attack_success_rate")
        row = {"attack": attack, "defense": defense, "ASR": asr["mean"], "low": asr["low"], "high": asr["high"]}
        if defense != "Naive Bayes":
            cell = results[(results.attack == attack) & (results.defense == defense)]
            row |= {"rows used": cell.n_poisoned.mean(), "buckets touched": cell.buckets_touched.mean(),
                    "victims certified": cell.victims_certified.mean(),
                    "median victim radius": cell.median_victim_radius.mean()}
        gap_rows.append(row)
gap = pd.DataFrame(gap_rows)
print(gap.round(3).to_string(index=False))
bd = gap[(gap.attack == "backdoor") & (gap.defense == "DPA")].iloc[0]
print(f"The {attack_fractions['backdoor']:.0%} backdoor uses {bd['rows used']:.0f} rows and touches "
      f"{bd['buckets touched']:.1f} of {k_main} partitions; the median victim's radius is "
      f"{bd['median victim radius']:.1f}, and {bd['victims certified']:.1%} of victims are certified at that budget.")

# %% [markdown]
# The certificate covers a handful of rows; the attacks use dozens, and a backdoor's rows, each a
# different sentence, land in most partitions. Against these budgets the ensemble promises nothing for
# any victim. What it measures is no real help either: the backdoor keeps most of its success, with
# most partitions poisoned a little, and against the targeted flip the ensemble is *worse* than one
# model (compare the ASR rows above): a small partition has few rows of each class, so flipped labels
# move its class balance and its vote much more than they move one model trained on every row. A
# certificate is worth having where the attacker's count is small, within the radii the curve above
# shows.
#
# **Duplicate-and-flip and the hash.** The reference's attack appends copies of rows with the opposite
# label. Partitioned by text, every copy joins its original, so the copies of one sentence fight its
# original inside one partition, and touch one vote. Partitioned by row number, the copies spread.

# %%
dup_summary = {}
for label, name in (("by text", "DPA"), ("by row number", "DPA by row number")):
    cell = results[(results.attack == "duplicate-flip") & (results.defense == name)]
    dup_summary[label] = {"accuracy": interval(cell.accuracy), "buckets_touched": cell.buckets_touched.mean(),
                          "n_poisoned": cell.n_poisoned.mean()}
for name, s in dup_summary.items():
    a = s["accuracy"]
    print(f"{name:14} accuracy {a['mean']:.3f} [{a['low']:.3f}, {a['high']:.3f}]; {s['n_poisoned']:.0f} copies "
          f"touch {s['buckets_touched']:.1f} of {k_main} partitions")

# %% [markdown]
# At this fraction the copies come from as many different sentences, so even by text they reach
# nearly every partition, and the certificate cannot cover them. Each copy does sit beside its
# original, with the opposite label, inside one partition: the two cancel there, and the ensemble's
# accuracy under this attack stays close to its clean accuracy either way (compare section 2). The
# hash matters for the certificate's count, not, at this budget, for the measured accuracy.
#
# ## 5. Augmentation for dilution
#
# The course's augmenter makes a new sentence by word dropout and swaps of neighbouring words:

# %%
for i in range(3):
    print(repr(augment_text(train_texts[0], dropout=0.2, swap=0.3, random_state=i)))
swapped = augment_text(train_texts[0], dropout=0.0, swap=1.0, random_state=0)
same = (vectorizer.transform([swapped]) != vectorizer.transform([train_texts[0]])).nnz == 0
print(f"Swaps change the word counts the model sees: {not same}")

# %% [markdown]
# A swap changes nothing for a bag-of-words model, so only dropout counts, and the lesson applies it
# to the counts directly (`AugmentedNB`: each copy keeps each word with probability 0.9). No synonym
# list is shipped: one small enough to ship would touch few of the data's words.
#
# The arithmetic of dilution: augmenting *every* row multiplies the poison with the rest, and its share
# does not move. Augmenting only a verified clean share `t` of the rows by a factor `f` brings a
# poison of `p` (a share of the clean rows) down to `p / (1 + p + t·f)`:

# %%
p = attack_fractions["backdoor"]
for f in aug_factors:
    print(f"factor {f:2d}: poison share {diluted_share(p, f):.2%} (augment everything), "
          f"{diluted_share(p, f, trusted_share):.2%} (augment a trusted {trusted_share:.0%})")

# %% [markdown]
# Measured, against the backdoor (its success) and the clean training set (accuracy), in both settings.
# The trusted rows are drawn from the clean rows, as a verification would leave them.

# %%
aug_curves = {}
for setting in ("augment", "augment trusted"):
    names = ["Naive Bayes"] + [f"{setting} x{f}" for f in aug_factors[1:]]
    aug_curves[setting] = {"asr": [summary("backdoor", n, "attack_success_rate") for n in names],
                           "accuracy": [summary("none", n, "accuracy") for n in names]}
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
for setting, color in (("augment", "#1f77b4"), ("augment trusted", "#2ca02c")):
    for ax, metric in zip(axes, ("asr", "accuracy")):
        values = aug_curves[setting][metric]
        ax.errorbar(aug_factors, [v["mean"] for v in values], marker="o", capsize=4, color=color,
                    yerr=[[v["mean"] - v["low"] for v in values], [v["high"] - v["mean"] for v in values]],
                    label=f"augment {'every row' if setting == 'augment' else f'a trusted {trusted_share:.0%}'}")
axes[0].set(title=f"{p:.0%} backdoor: attack success", xlabel="augmentation factor", ylabel="attack success rate")
axes[1].set(title="No attack: clean accuracy", xlabel="augmentation factor", ylabel="accuracy")
axes[0].legend()
plt.show()
for setting in ("augment", "augment trusted"):
    first, last = aug_curves[setting]["asr"][0], aug_curves[setting]["asr"][-1]
    acc = aug_curves[setting]["accuracy"][-1]
    print(f"{setting:15}: backdoor success {first['mean']:.3f} -> {last['mean']:.3f} [{last['low']:.3f}, "
          f"{last['high']:.3f}] at x{aug_factors[-1]}; clean accuracy {acc['mean']:.3f}")

# %% [markdown]
# Augmenting everything leaves the backdoor where it was, as the arithmetic says. Augmenting a trusted
# tenth dilutes the poison share, and the numbers above say how much that buys; the words of the
# trusted rows are copied again and again, so the model also leans harder on those rows, and the clean
# accuracy shows what that costs.
#
# ## 6. Adversarial training
#
# Adversarial training defends against **evasion**: an attacker who edits a *test* input within a
# budget. The model trains on worst-case edited copies of its rows, with their true labels: here each
# copy loses the `adv_budget` words that speak most for its label, against the current model
# (`AdversarialNB`). **Poisoning** is another threat: the attacker edits the *training* rows. Adversarial
# training takes the training labels as true, the very thing label flips corrupt, and makes copies of
# the poisoned rows as well. Measured against all four attacks:

# %%
rows = []
for attack in ["none", *attack_fractions]:
    metric = "attack_success_rate" if attack in ("targeted-flip", "backdoor") else "accuracy"
    by_seed = {d: results[(results.attack == attack) & (results.defense == d)].set_index("seed")[metric].loc[seeds]
               for d in ("Naive Bayes", "adversarial")}
    change = interval(by_seed["adversarial"] - by_seed["Naive Bayes"], DIFFERENCE)  # paired by seed
    rows.append({"attack": attack, "metric": metric, "Naive Bayes": by_seed["Naive Bayes"].mean(),
                 "adversarial": by_seed["adversarial"].mean(), "adversarial - NB": change["mean"],
                 "low": change["low"], "high": change["high"]})
adversarial_table = pd.DataFrame(rows).set_index(["attack", "metric"])
print(adversarial_table.round(3).to_string())
adv_clean = summary("none", "adversarial", "accuracy")
print(f"Clean accuracy with adversarial training: {adv_clean['mean']:.3f} (Naive Bayes "
      f"{summary('none', 'Naive Bayes', 'accuracy')['mean']:.3f})")

# %% [markdown]
# Adversarial training barely moves any of the four attacks (the paired differences above, with their
# 95% intervals over the seeds, are a few points either way): it hardens the model against edits of
# its inputs, and a poisoned training set is not an edited input. It is the wrong tool for this
# threat, and the lesson measures it to say so.
#
# ## 7. Every technique against every attack
#
# Accuracy under the label-flip attacks, attack success under the targeted ones, and the cost: the
# clean accuracy given up (no attack) and how many models are trained on how many rows.

# %%
rounds = AdversarialNB(budget=adv_budget).rounds
costs = {"Naive Bayes": "1 model", "DPA": f"{k_main} models, each row once",
         "Finite Aggregation": f"{fa_k * fa_spread} models, each row {fa_spread} times",
         f"augment x{top}": f"1 model on {1 + top}x the rows",
         f"augment trusted x{top}": f"1 model on {1 + trusted_share * top:g}x the rows",
         "adversarial": f"{1 + rounds} fits, the last on {1 + rounds}x the rows"}
closing = {}
for defense in costs:
    row = {"clean accuracy": summary("none", defense, "accuracy")["mean"]}
    row["clean accuracy lost"] = summary("none", "Naive Bayes", "accuracy")["mean"] - row["clean accuracy"]
    for attack in attack_fractions:
        metric = "attack_success_rate" if attack in ("targeted-flip", "backdoor") else "accuracy"
        row[f"{attack} {'ASR' if metric != 'accuracy' else 'acc'}"] = summary(attack, defense, metric)["mean"]
    row["training cost"] = costs[defense]
    closing[defense] = row
closing = pd.DataFrame(closing).T
print(closing.to_string(float_format=lambda v: f"{v:.3f}"))

# %% [markdown]
# ## Playground: partitions and certificates
#
# Choose the number of partitions and the scheme and watch the clean accuracy and the certified-accuracy
# curve of one split (the slider updates when you release it). The cell below draws the default so it
# shows where widgets cannot run; `course_utils.playgrounds.partition_playground` is the plain function
# behind both.

# %%
from course_utils.playgrounds import format_numbers, partition_explorer, partition_playground

figure, playground_numbers = partition_playground(n_partitions=k_main, scheme="dpa")
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(partition_explorer())

# %% [markdown]
# ## Summary

# %%
dpa5, fa5 = curves[dpa_name].loc[5], curves[fa_name].loc[5]
td = gap[(gap.attack == "targeted-flip") & (gap.defense == "DPA")].iloc[0]
print(f"- Clean accuracy falls from {plain_acc['mean']:.3f} (one model) to {main_acc['mean']:.3f} with {k_main} "
      f"partitions.")
print(f"- Certified accuracy at radius 5: DPA {dpa5['mean']:.3f} [{dpa5['low']:.3f}, {dpa5['high']:.3f}], "
      f"{fa_name.replace('fa', 'Finite Aggregation')} {fa5['mean']:.3f} [{fa5['low']:.3f}, {fa5['high']:.3f}]; "
      f"FA minus DPA at radius 5: {paired[5]['mean']:+.3f} [{paired[5]['low']:+.3f}, {paired[5]['high']:+.3f}].")
print(f"- No attack inside the radius changed a certified prediction; one row more changed "
      f"{attacked['dpa']['beyond_changed']:.1%} (DPA) and {attacked['finite-aggregation']['beyond_changed']:.1%} (FA).")
print(f"- The backdoor ({bd['rows used']:.0f} rows) keeps {bd['ASR']:.3f} success on DPA, certified for "
      f"{bd['victims certified']:.1%} of its victims; the targeted flip keeps {td['ASR']:.3f}.")
print(f"- Duplicate-and-flip copies touch {dup_summary['by text']['buckets_touched']:.1f} partitions by text, "
      f"{dup_summary['by row number']['buckets_touched']:.1f} by row number.")
print(f"- Augmenting every row x{top}: backdoor success {aug_curves['augment']['asr'][-1]['mean']:.3f}; "
      f"a trusted {trusted_share:.0%}: {aug_curves['augment trusted']['asr'][-1]['mean']:.3f} "
      f"(no augmentation: {aug_curves['augment']['asr'][0]['mean']:.3f}).")

# %% [markdown]
# What to take away: a partition ensemble turns "how many poisoned rows can this prediction survive"
# into a number you can compute and check, and that number is small: a few rows against attacks that
# use dozens. Augmentation dilutes only when what is augmented is trusted, and adversarial training
# answers another threat. Lesson 08 penalises misleading labels during training.
#
# **Exercises:** `exercises/07_training_techniques_ex.ipynb` asks you to compute the DPA certificate
# from a vote table, to partition by hash, to do the dilution arithmetic and to read a certified-accuracy
# curve.

# %%
_ = record_results(record_path,
    seeds=seeds, k_main=k_main, fa_name=fa_name, fa_spread=fa_spread, roe_agrees=roe_agrees,
    clean_accuracy={name: clean.loc[name, "mean"] for name in clean.index},
    certified={name: {str(r): curves[name].loc[r, "mean"] for r in radii} for name in curves},
    paired_fa_minus_dpa={str(r): paired[r] for r in radii},
    attacked=attacked,
    gap=gap.to_dict(orient="records"),
    duplicate_flip={k: {"buckets_touched": v["buckets_touched"], "accuracy": v["accuracy"]["mean"]}
                    for k, v in dup_summary.items()},
    augmentation={s: {"asr": [v["mean"] for v in c["asr"]], "accuracy": [v["mean"] for v in c["accuracy"]]}
                  for s, c in aug_curves.items()},
    adversarial={a: float(adversarial_table.loc[a, "adversarial - NB"].iloc[0]) for a in attack_fractions},
    closing=closing.drop(columns="training cost").to_dict(orient="index"),
)
