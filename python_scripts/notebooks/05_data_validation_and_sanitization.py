# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 05 · Data validation and sanitization
#
# The brand from lesson 04 has learned its lesson: before the next model is trained, the data team
# inspects what it scraped. The reference document names this as the first line of defense, **data
# validation and sanitization**: audit the data for inconsistencies, and detect anomalous points that
# deviate from the rest. It even gives the code, an Isolation Forest that finds a strange point. In this
# lesson you run that code exactly, then turn both ideas on the real review sentences poisoned by every
# attack of the course, and grade each detector against the rows we know were poisoned. Some of it works
# very well: a simple audit catches every row of the reference's own attack, and a trigger detector
# finds a 1% backdoor. Some of it does not: the reference's Isolation Forest is blind to flipped labels,
# because a relabelled sentence is a perfectly ordinary sentence. In between sit the *label-aware*
# detectors, which ask whether the rest of the data agrees with each row's label. Finally you remove
# what the detectors flag, retrain, and measure what that buys and what it costs.
#
# **Learning objectives**
#
# - Run the reference's Isolation Forest example exactly, and explain what it can and cannot see.
# - Audit a labelled data set with `course_utils.detect.DataAudit` (label balance, duplicates with
#   conflicting labels, per-source statistics, length and vocabulary outliers) and show that the
#   conflict audit catches every row of the duplicate-and-flip attack.
# - Measure the precision, recall and F1 of the six detectors of `course_utils.detect` (seven table
#   rows: confident learning runs on one view and on three) against the known poisoned rows of four
#   attacks, over several seeds, and explain why an unsupervised outlier detector stays at chance on
#   label flips.
# - Write out confident learning (out-of-fold probabilities, per-class thresholds, the flagging rule)
#   and compare it with cleanlab's `find_label_issues` on the same probabilities.
# - Find a backdoor's trigger token and the rows that hold it.
# - Remove flagged rows, retrain, and weigh the accuracy or attack success recovered against the clean
#   rows lost and the seconds spent.
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
from cleanlab.filter import find_label_issues
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, precision_recall_curve

from course_utils.attacks import apply_attack
from course_utils.data import load_sentiment, load_toy
from course_utils.evaluation import TRIGGER_EVIDENCE_SEEDS, TRIGGER_THRESHOLD_EVIDENCE, evaluate_detectors
from course_utils.detect import (
    CleanlabDetector,
    ConfidentLearningDetector,
    DataAudit,
    IsolationForestDetector,
    KNNDisagreement,
    TriggerDetector,
    out_of_fold_probabilities,
)
from course_utils.experiment import default_labels, run_experiment, split_data
from course_utils.metrics import DIFFERENCE, detection_scores, mean_interval
from course_utils.notebook import record_results
from course_utils.plotting import ATTACK_COLORS, use_house_style

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)

# %% [markdown]
# The lesson's knobs. `seed` fixes the split of the walk-throughs; `seeds` are the splits every
# measured number is averaged over, and `seed` must be one of them (the walk-throughs reuse its grid
# results; the cell after the parameters checks it). `attack_fractions` gives each attack's fraction
# (its share of the training set) for the big comparison; the backdoor gets a small one, as a real
# backdoor would.
# `flip_rates` are the random-flip fractions of the label-aware comparison and `pr_flip_rate` the one
# whose precision-recall curves we draw. `audit_fractions` are the duplicate-and-flip fractions the
# audit is tried on, and `iso_seeds` the seeds we give the reference's unseeded Isolation Forest.
# `compared_detector` is the course detector that 3.5 compares with cleanlab, named here, before any
# result is seen: the three-view confident learning, the course's default label-aware detector.
# `n_jobs` is how many cores grade the seeds side by side; it changes the time, never the numbers.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
attack_fractions = {"random-flip": 0.1, "targeted-flip": 0.1, "duplicate-flip": 0.1, "backdoor": 0.01}
flip_rates = [0.1, 0.2, 0.3]
pr_flip_rate = 0.2
audit_fractions = [0.01, 0.05, 0.3]
iso_seeds = [0, 1, 2, 3, 4, 5, 6, 7]
trigger = "cf"
compared_detector = "confident"
n_jobs = -1  # cores that grade the seeds of 3.4 side by side (-1: all)
record_path = ""

# %%
if seed not in seeds:
    raise ValueError(f"seed ({seed}) must be one of seeds ({seeds}): the walk-throughs reuse its grid results")
if compared_detector not in ("knn", "confident-nb", "confident"):
    raise ValueError(f"compared_detector must be one of the course's label-aware detectors knn, confident-nb, "
                     f"confident; got {compared_detector!r}")
attacks = list(attack_fractions)
# The shared experiment's labels: targeted flips turn positive into negative; the backdoor's target is negative.
targets = {attack: default_labels(["negative", "positive"], attack) for attack in attacks}
flip_rates = sorted(flip_rates)
data = load_sentiment()
print(f"{len(data)} sentences, {len(seeds)} seeds; attacks and fractions: {attack_fractions}; random-flip rates: {flip_rates}")

# %% [markdown]
# ## 1. The reference's Isolation Forest, exactly
#
# The reference closes its list of mitigations with this example of anomaly detection. Ten points in two
# dimensions, one of them far from the others, and an Isolation Forest told that 10% of the data is
# contaminated. Here it is, word for word.

# %%
from sklearn.ensemble import IsolationForest
import numpy as np

# Example data (features only for simplicity)
X_train = np.array([
    [1, 2], [2, 3], [3, 4], [4, 5], [100, 200],  # Assuming [100, 200] is a poisoned data point
    [5, 6], [6, 7], [7, 8], [8, 9], [9, 10]
])

# Fit the Isolation Forest model
iso_forest = IsolationForest(contamination=0.1)  # Assuming 10% contamination
iso_forest.fit(X_train)

# Predict anomalies
predictions = iso_forest.predict(X_train)
anomalies = X_train[predictions == -1]

print("Anomalous data points (potentially poisoned):")
print(anomalies)

# %% [markdown]
# The reference leaves `random_state` unset, so every run builds a different forest. Does the answer
# depend on the luck of the draw? An Isolation Forest isolates points with random cuts; a point far from
# all others is cut off in very few steps whatever the cuts, so we expect the same answer every time.
# We check it on several seeds, and from here on seed the forest so that its results repeat.

# %%
flagged_by_seed = {}
for s in iso_seeds:
    forest = IsolationForest(contamination=0.1, random_state=s).fit(X_train)
    flagged_by_seed[s] = X_train[forest.predict(X_train) == -1].tolist()
    print(f"random_state={s}: flags {flagged_by_seed[s]}")
reference_point_every_seed = all(rows == [[100, 200]] for rows in flagged_by_seed.values())
print(f"[100, 200], and only it, flagged with every seed: {reference_point_every_seed}")

iso_forest = IsolationForest(contamination=0.1, random_state=seed).fit(X_train)
print("Seeded, for repeatable results:")
print(X_train[iso_forest.predict(X_train) == -1])

# %% [markdown]
# So the example does what it says: a point far from the rest is found. But look at what the forest was
# given: the points' features, and **no labels**. In the reference's own attack, and in every flip
# attack of this course, the poisoned row is an ordinary sentence with the wrong label. Its features
# are those of a perfectly normal sentence; only the label lies. The reference's prose says that
# "by filtering out these anomalies, you can reduce the impact of poisoned data". We will measure whether
# that holds on the real data, and what does better. First, the other half of the first line of
# defense: the audit.

# %% [markdown]
# ## 2. Auditing the data
#
# An audit asks simple questions of the whole data set, with labels and provenance: how are the labels
# balanced, overall and per source? Which sentences occur more than once, and do the copies agree on
# their label? Which sentences are unusually long, or made of words found nowhere else? The course's
# `DataAudit` answers these. "Near" duplicates are rows that become equal once lower-cased and reduced to
# their words (punctuation and one-letter tokens dropped, as the vectorisers do), and a **conflict group**
# is a group of near duplicates with more than one label. Its own flagging rule flags every row of a
# conflict group. Length and vocabulary outliers use a robust z-score (median and median absolute
# deviation) above 3.5.
#
# First the clean, shipped data, with each row's source.

# %%
clean_audit = DataAudit().fit(data.texts, data.labels, sources=data.sources)
print("\n".join(clean_audit.summary()))
report = clean_audit.report_
group = report["exact_duplicate_groups"][0]
print(f"\nAn exact duplicate group: rows {group}, text {data.texts[group[0]]!r}, labels {data.labels[group].tolist()}")
longest = max(report["length_outliers"], key=lambda i: len(data.texts[i]))
print(f"The longest length outlier ({data.sources[longest]}, {data.labels[longest]}): {data.texts[longest][:110]!r}...")

# %% [markdown]
# The shipped data is balanced, per source too, and holds a few repeated sentences, none with
# conflicting labels. The outliers are long or unusual sentences, not poison: an audit reports what is
# *unusual*, and a person decides what is *wrong*.
#
# Now the reference's own poisoning, exactly as it builds it: its six clean sentences plus a second copy
# of two positive ones, labelled negative.

# %%
clean_data, test_data = load_toy()
# Poisoned training data
poisoned_data = clean_data + [
    ("I love this movie, it is fantastic!", "negative"),  # Poisoning a positive example as negative
    ("The book is very good and I enjoyed it.", "negative"),  # Another poisoned example
]
X_train_poisoned, y_train_poisoned = zip(*poisoned_data)

toy_audit = DataAudit().fit(X_train_poisoned, y_train_poisoned)
toy_flagged = toy_audit.flag()
toy_poisoned_rows = [6, 7]  # the two appended rows
toy_scores = detection_scores(toy_flagged, toy_poisoned_rows)
print("Conflict groups:", toy_audit.report_["conflict_groups"])
print(f"Flagged rows {toy_flagged.tolist()}; poisoned rows {toy_poisoned_rows}")
print(f"recall {toy_scores['recall']:.2f}, precision {toy_scores['precision']:.2f}")

# %% [markdown]
# Every poisoned row is caught (recall 1), and so is the original it copies: the audit sees that two
# copies disagree, not which one lies, so half of what it flags is clean (precision one half). Now every
# attack of the shared experiment on the real data, on one split. The label counts are worth a look as
# well: a targeted flip moves rows from one class to the other, and a balance check sees that.

# %%
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, random_state=seed)
clean_counts = {str(k): int(v) for k, v in zip(*np.unique(train_labels, return_counts=True))}
print(f"Clean training split: {len(train_texts)} rows, labels {clean_counts}")

def poison(attack, fraction, seed, train_texts, train_labels):
    source, target = targets[attack]
    return apply_attack(attack, train_texts, train_labels, fraction, source_label=source,
                        target_label=target, trigger=trigger, random_state=seed)

audit_rows = []
for attack in attacks:
    poisoned = poison(attack, attack_fractions[attack], seed, train_texts, train_labels)
    audit = DataAudit().fit(poisoned.texts, poisoned.labels)
    scores = detection_scores(audit.flag(), poisoned.poisoned_indices)
    audit_rows.append({"attack": attack, "fraction": attack_fractions[attack], "rows": len(poisoned.texts),
                       "poisoned": len(poisoned.poisoned_indices),
                       "labels": {str(k): int(v) for k, v in zip(*np.unique(poisoned.labels, return_counts=True))},
                       "conflict groups": len(audit.report_["conflict_groups"]), "flagged": scores["n_flagged"],
                       "recall": scores["recall"], "precision": scores["precision"]})
print(pd.DataFrame(audit_rows).round(3).to_string(index=False))

# %% [markdown]
# Only the duplicate-and-flip attack leaves the footprint the conflict audit looks for. A random flip
# lands on a repeated sentence only by chance; a targeted flip and a backdoor relabel unique sentences,
# which no duplicate check can see (the targeted flip does show in the label counts, if you know what
# balance to expect). Is the conflict audit's perfect recall luck of the split and fraction? We try every
# fraction in `audit_fractions` on every seed.

# %%
dup_recalls = {}
for s in seeds:
    s_train, _, s_labels, _ = split_data(data.texts, data.labels, random_state=s)
    for fraction in audit_fractions:
        poisoned = poison("duplicate-flip", fraction, s, s_train, s_labels)
        flagged = DataAudit().fit(poisoned.texts, poisoned.labels).flag()
        dup_recalls[(s, fraction)] = detection_scores(flagged, poisoned.poisoned_indices)["recall"]
dup_recall_min = min(dup_recalls.values())
print(f"Duplicate-and-flip, fractions {audit_fractions} x seeds {seeds}: smallest recall of the conflict audit "
      f"{dup_recall_min:.3f}")

# %% [markdown]
# ## 3. Detectors graded against the known poison
#
# A defender never knows which rows are poisoned; we do, because we poisoned them. So every detector can
# be graded like a classifier of rows: **precision** (the share of flagged rows that really are poisoned),
# **recall** (the share of poisoned rows flagged) and their harmonic mean, **F1**. The detectors of
# `course_utils.detect`:
#
# | detector | looks at | flags |
# | --- | --- | --- |
# | `DataAudit` | texts, labels, duplicates | every row of a conflict group |
# | `IsolationForestDetector` | TF-IDF features of the text only (the reference's idea) | the most isolated rows |
# | `KNNDisagreement` | labels of each row's 15 nearest neighbours (cosine, TF-IDF) | rows where more than half disagree |
# | `ConfidentLearningDetector` | out-of-fold class probabilities | rows whose label the rest of the data confidently contradicts |
# | `CleanlabDetector` | the same probabilities, through cleanlab | cleanlab's `find_label_issues` |
# | `TriggerDetector` | tokens whose rows carry one label against the rest of their words | rows holding a trigger |
#
# ### 3.1 Why the Isolation Forest cannot see a flipped label
#
# The forest is fitted on the sentences' TF-IDF features. A label flip does not change a single
# sentence, so the forest fitted on the poisoned set is the forest fitted on the clean one: the same
# scores, row for row, whatever was flipped. We give it every advantage: we tell it the true share of
# poison and let it flag exactly that many of its most isolated rows.

# %%
iso_clean = IsolationForestDetector(random_state=seed).fit(train_texts)
flipped = poison("random-flip", pr_flip_rate, seed, train_texts, train_labels)
iso_flipped = IsolationForestDetector(random_state=seed).fit(flipped.texts, flipped.labels)
same_scores = bool(np.array_equal(iso_clean.suspicion_, iso_flipped.suspicion_))
print(f"Isolation Forest scores on the clean and on the {pr_flip_rate:.0%}-flipped training set are identical: {same_scores}")
iso_walk = detection_scores(iso_flipped.flag(flag_share=pr_flip_rate), flipped.poisoned_indices)
print(f"Told the true rate, it flags {iso_walk['n_flagged']} rows: precision {iso_walk['precision']:.3f}, "
      f"recall {iso_walk['recall']:.3f}, F1 {iso_walk['f1']:.3f}.")
print(f"Flagging {iso_walk['n_flagged']} rows at random would give, on average, precision = recall = F1 = "
      f"{len(flipped.poisoned_indices) / len(flipped.texts):.3f}.")

# %% [markdown]
# That is chance. If a detector flags a share *r* of the rows and its choice has nothing to do with the
# poison, on average a share *r* of what it flags is poisoned (precision *r*) and it finds a share *r* of
# the poison (recall *r*), so its F1 is *r*, the flip rate. The forest's choice depends on the text alone,
# and the attacker chose the rows to flip without regard to how unusual their text is. A flipped label
# is not an outlier in feature space; it is an inconsistency between a row and its label. To see it, a
# detector must look at labels.
#
# ### 3.2 Confident learning, written out
#
# Confident learning (Northcutt, Jiang and Chuang, 2021) asks the rest of the data what each row's label
# should be:
#
# 1. **Out-of-fold probabilities.** Split the training set into 5 folds; for each fold, train a model on
#    the other four and predict class probabilities for the rows of this one. Every row is scored by a
#    model that never saw it (so it cannot just remember the row's own, possibly flipped, label).
# 2. **Per-class thresholds.** For each class *j*, the threshold *t_j* is the mean probability of *j*
#    over the rows labelled *j*: how confident the model usually is about rows of that class.
# 3. **The rule.** A row labelled *i* is flagged when some other class *j* has probability at least
#    *t_j* and, among the classes at or above their thresholds, *j* has the highest probability.
#
# The course's detector averages three views of the probabilities: the reference's Naive Bayes
# (`count-nb`), TF-IDF with logistic regression (`tfidf-logreg`) and the label shares of the 15 nearest
# neighbours (`knn`). We compute each view once and write the thresholds and the rule in NumPy, on the
# split's training set with `pr_flip_rate` of its labels flipped.

# %%
classes = np.unique(flipped.labels)
given = np.searchsorted(classes, flipped.labels)          # each row's given label, as a column number
views = {
    "count-nb": out_of_fold_probabilities(flipped.texts, flipped.labels, "count-nb", cv=5, random_state=seed),
    "tfidf-logreg": out_of_fold_probabilities(flipped.texts, flipped.labels, "tfidf-logreg", cv=5, random_state=seed),
    "knn": KNNDisagreement().fit(flipped.texts, flipped.labels).neighbour_distribution_,
}
probabilities = np.mean(list(views.values()), axis=0)

thresholds = np.array([probabilities[given == j, j].mean() for j in range(len(classes))])
above = probabilities >= thresholds                       # which classes reach their threshold
confident_class = np.where(above, probabilities, -np.inf).argmax(axis=1)
flagged_inline = np.flatnonzero(above.any(axis=1) & (confident_class != given))

for j, name in enumerate(classes):
    print(f"threshold t_{name} = {thresholds[j]:.3f}")
detector = ConfidentLearningDetector(estimators=("count-nb", "tfidf-logreg", "knn"), random_state=seed)
detector.fit(flipped.texts, flipped.labels)
confident_inline_agrees = bool(np.array_equal(flagged_inline, detector.flag())
                               and np.allclose(thresholds, detector.thresholds_))
print(f"The inline rule flags {len(flagged_inline)} rows; ConfidentLearningDetector gives the same rows and "
      f"thresholds: {confident_inline_agrees}")
walk = detection_scores(flagged_inline, flipped.poisoned_indices)
print(f"Against the {len(flipped.poisoned_indices)} flipped rows: precision {walk['precision']:.3f}, "
      f"recall {walk['recall']:.3f}, F1 {walk['f1']:.3f}")

# %%
poison_set = set(flipped.poisoned_indices.tolist())
print("\nThree flagged rows:")
for i in flagged_inline[:3]:
    print(f"  label {str(flipped.labels[i])!r}, P(positive)={probabilities[i, 1]:.2f}, "
          f"{'flipped' if i in poison_set else 'not flipped'}: {flipped.texts[i][:70]!r}")

# %% [markdown]
# The detector does not know which rows were flipped, yet a good share of what it flags was. The clean
# rows it flags are often sentences whose sentiment really is ambiguous, or mislabelled in the shipped
# data itself.
#
# ### 3.3 Side by side with cleanlab
#
# cleanlab is the field's reference implementation of confident learning. Its `find_label_issues` takes
# the given labels (as column numbers) and out-of-fold probabilities, estimates how many rows of each
# class carry each wrong label, and by default (`prune_by_noise_rate`) flags that many rows, those with
# the largest margin against their label. We give both the **same** probabilities: those of the default
# pipeline (`count-nb`). The course's detector with `estimators=("count-nb",)`, fitted from scratch,
# computes exactly these probabilities itself.

# %%
nb_probabilities = views["count-nb"]
single_view = ConfidentLearningDetector(estimators=("count-nb",), random_state=seed).fit(flipped.texts, flipped.labels)
same_probabilities = bool(np.array_equal(single_view.probabilities_, nb_probabilities))
print(f"ConfidentLearningDetector(estimators=('count-nb',)) computes the same out-of-fold probabilities: {same_probabilities}")

cleanlab_flags = np.flatnonzero(find_label_issues(given, nb_probabilities))
cleanlab_agrees = bool(np.array_equal(
    cleanlab_flags, CleanlabDetector(model="precomputed", random_state=seed).fit(flipped.texts, flipped.labels, probabilities=nb_probabilities).flag()))
print(f"CleanlabDetector flags what find_label_issues flags: {cleanlab_agrees}")

# %%
side = []
for name, rows in [("cleanlab find_label_issues (count-nb)", cleanlab_flags),
                   ("course confident learning (count-nb)", single_view.flag()),
                   ("course confident learning (3 views)", flagged_inline)]:
    scores = detection_scores(rows, flipped.poisoned_indices)
    side.append({"detector": name, "flagged": scores["n_flagged"], "precision": scores["precision"],
                 "recall": scores["recall"], "F1": scores["f1"]})
print(pd.DataFrame(side).round(3).to_string(index=False))
both = len(np.intersect1d(cleanlab_flags, single_view.flag()))
print(f"\nOn the same probabilities, {both} rows are flagged by both; cleanlab flags "
      f"{len(cleanlab_flags) - both} more, the course's rule {len(single_view.flag()) - both} that cleanlab does not.")

# %% [markdown]
# On the same probabilities the two rules rank rows the same way (both by how little probability the
# row's own label gets); they differ in **how many** rows they flag. One split proves little, so now the
# full grid.
#
# ### 3.4 Every detector against every attack, over seeds
#
# `course_utils.evaluation.evaluate_detectors` runs the grid: for each seed and attack it poisons the split,
# computes the out-of-fold probabilities once and passes them to every detector that uses them (as
# `"precomputed"` probabilities), and grades each detector's own rule. Each split's sentences are
# tokenised once (`course_utils.detect.TextFeatures`, which builds exactly the matrices the vectorisers
# would), so the many poisoned versions of a split cost little more than one.
# The Isolation Forest, as above, is told the true share of poison; for attacks that only change labels
# its scores are those of the clean training set, computed once per split. The random-flip rates of
# `flip_rates` are run too, with the label-aware detectors, for the comparison with cleanlab in 3.5.
# Along the way we keep what each detector flags, to retrain without it in section 4.

# %%
LABEL_AWARE = ["knn", "confident-nb", "confident", "cleanlab"]
DETECTOR_ORDER = ["audit", "isolation-forest", "knn", "confident-nb", "confident", "cleanlab", "trigger"]
# Every registered detector by its name, and confident learning on the count-nb view alone.
detectors = {name: ConfidentLearningDetector() if name == "confident-nb" else name for name in DETECTOR_ORDER}
# Section 4 retrains without what these remove: the reference's Isolation Forest (told the poison's
# share) and the detector suited to each attack (its own rule).
DEFENSES = {"random-flip": ["isolation-forest", "confident", "cleanlab"],
            "targeted-flip": ["isolation-forest", "confident"],
            "duplicate-flip": ["isolation-forest", "audit"],
            "backdoor": ["isolation-forest", "trigger"]}
defense_rate = max(flip_rates)  # random flips hurt accuracy most here
defended_fraction = {a: defense_rate if a == "random-flip" else attack_fractions[a] for a in attacks}

runs = [(attack, attack_fractions[attack]) for attack in attacks]
runs += [("random-flip", rate, ["isolation-forest", *LABEL_AWARE]) for rate in flip_rates
         if rate != attack_fractions.get("random-flip")]
results = evaluate_detectors(data.texts, data.labels, runs=runs, detectors=detectors, seeds=seeds,
                             retrain={(a, defended_fraction[a]): DEFENSES[a] for a in attacks},
                             true_share=["isolation-forest"], trigger=trigger, n_jobs=n_jobs)
defense_results = results[results["retrained"]].rename(columns={"detector": "defense"})
print(f"{len(DETECTOR_ORDER)} detectors (table rows), {len(runs)} poisoned training sets per seed, {len(seeds)} seeds: "
      f"{len(results)} gradings.")


# %%
def mean_ci(values):
    mean, low, high = mean_interval(list(values))
    return pd.Series({"mean": mean, "low": low, "high": high})


table = results[results["fraction"] == results["attack"].map(attack_fractions)]  # the main runs
f1_table = table.pivot_table(index="detector", columns="attack", values="f1", aggfunc="mean")
f1_table = f1_table.reindex(index=DETECTOR_ORDER, columns=attacks)
precision_table = table.pivot_table(index="detector", columns="attack", values="precision").reindex(index=DETECTOR_ORDER, columns=attacks)
recall_table = table.pivot_table(index="detector", columns="attack", values="recall").reindex(index=DETECTOR_ORDER, columns=attacks)
fractions_text = ", ".join(f"{a} {f:.0%}" for a, f in attack_fractions.items())
print(f"Mean F1 over {len(seeds)} seeds (attack fractions: {fractions_text}):")
print(f1_table.round(3).to_string())
print("\nMean precision:")
print(precision_table.round(3).to_string())
print("\nMean recall:")
print(recall_table.round(3).to_string())

# %%
f1_summary = table.groupby(["attack", "detector"])["f1"].apply(mean_ci).unstack()
fig, ax = plt.subplots(figsize=(9.5, 4.4))
width = 0.8 / len(attacks)
x = np.arange(len(DETECTOR_ORDER))
for k, attack in enumerate(attacks):
    part = f1_summary.loc[attack].reindex(DETECTOR_ORDER)
    errors = np.vstack([part["mean"] - part["low"], part["high"] - part["mean"]])
    ax.bar(x + (k - (len(attacks) - 1) / 2) * width, part["mean"], width, yerr=np.nan_to_num(errors),
           color=ATTACK_COLORS[attack], label=f"{attack} ({attack_fractions[attack]:.0%})", capsize=2)
ax.set_xticks(x, DETECTOR_ORDER, rotation=15)
ax.set_ylim(0, 1.05)
ax.set_xlabel("detector (each with its own flagging rule)")
ax.set_ylabel(f"F1 against the poisoned rows (mean, 95% interval)")
ax.set_title("Which detector sees which attack")
ax.legend(ncol=2, loc="upper left")
plt.show()

# %% [markdown]
# Read the figure by attack. Each attack is seen by the detector that looks where it leaves its mark:
# the duplicate-and-flip attack by the audit's conflict groups, the backdoor by the trigger detector,
# the label flips by the label-aware detectors. The Isolation Forest, the reference's proposal, is near
# chance everywhere. The label-aware detectors see the backdoor's relabelled rows only dimly: the
# trigger itself makes those rows' probabilities lean towards the label the attacker gave them.
#
# ### 3.5 Random flips: a course detector, cleanlab and the Isolation Forest
#
# This section makes one comparison precise, at every rate of `flip_rates`: how does the course's
# `compared_detector` (named in the parameters, before any result was seen) fare against cleanlab's
# `find_label_issues` (given the default pipeline's out-of-fold probabilities), and against the
# Isolation Forest? On each seed, all three grade **the same** poisoned training set, so we compare them
# seed by seed: the paired difference of their F1, its mean and a 95% interval over the seeds. A
# difference is clear when its interval excludes 0. The table gives every label-aware detector's F1
# for reference; the dashed line of the figure is chance, the F1 of flagging as many rows at random.

# %%
flips = results[(results["attack"] == "random-flip") & results["fraction"].isin(flip_rates)]
flip_summary = flips.groupby(["fraction", "detector"])["f1"].apply(mean_ci).unstack()
compare = ["isolation-forest", "knn", "confident-nb", "confident", "cleanlab"]
flip_table = pd.DataFrame({
    name: [f"{flip_summary.loc[(r, name), 'mean']:.3f} [{flip_summary.loc[(r, name), 'low']:.3f}, "
           f"{flip_summary.loc[(r, name), 'high']:.3f}]" for r in flip_rates] for name in compare},
    index=pd.Index(flip_rates, name="flip rate"))
print(f"F1 on random flips, mean [95% interval] over {len(seeds)} seeds:")
print(flip_table.to_string())


# %%
def paired_difference(rate, other, column="f1"):
    # Per seed, compared_detector minus other on the same poisoned set; mean and 95% interval over seeds.
    part = flips[flips["fraction"] == rate].pivot_table(index="seed", columns="detector", values=column)
    mean, low, high = mean_interval(list(part[compared_detector] - part[other]), bounds=DIFFERENCE)
    return {"mean": mean, "low": low, "high": high}


def verdict(difference):
    if difference["low"] > 0:
        return "clearly higher"
    if difference["high"] < 0:
        return "clearly lower"
    return "no clear difference (the interval holds 0)"


paired = {other: {r: paired_difference(r, other) for r in flip_rates} for other in ("cleanlab", "isolation-forest")}
print(f"\nPaired F1 differences, {compared_detector} minus the other detector on the same poisoned sets "
      f"(mean [95% interval] over {len(seeds)} seeds):")
for r in flip_rates:
    for other in ("cleanlab", "isolation-forest"):
        d = paired[other][r]
        print(f"  flip rate {r:.0%}, minus {other}: {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}], "
              f"{verdict(d)}")
iso_gap = min(paired["isolation-forest"][r]["low"] for r in flip_rates)
flag_counts = flips[flips["detector"].isin([compared_detector, "cleanlab"])].pivot_table(
    index="fraction", columns="detector", values=["n_flagged", "precision", "recall"]).round(3)
print(f"\nMean rows flagged, precision and recall of {compared_detector} and cleanlab:")
print(flag_counts.to_string())

# %%
fig, ax = plt.subplots()
styles = {"isolation-forest": "#7f7f7f", "knn": "#2ca02c", "confident-nb": "#17becf", "confident": "#1f77b4",
          "cleanlab": "#ff7f0e"}
for name in compare:
    part = flip_summary.xs(name, level="detector").reindex(flip_rates)
    ax.plot(flip_rates, part["mean"], marker="o", color=styles[name], label=name)
    ax.fill_between(flip_rates, part["low"], part["high"], color=styles[name], alpha=0.15, linewidth=0)
ax.plot(flip_rates, flip_rates, linestyle="--", color="#555555", linewidth=1.2, label="chance (F1 = flip rate)")
ax.set_xticks(flip_rates)
ax.set_xlabel("share of training labels flipped at random")
ax.set_ylabel("F1 against the flipped rows")
ax.set_ylim(0, 1)
ax.set_title("Label-aware detectors against random flips")
ax.legend(ncol=2, loc="upper left")
plt.show()

# %% [markdown]
# The Isolation Forest follows the chance line, as 3.1 predicted. The label-aware detectors sit far
# above it. Averaging three views of the data helps most at low flip rates, where a single model's
# probabilities are noisiest; as the rate grows, the views agree and the detectors converge, and the
# paired differences above say at which rates the gap to cleanlab is still clear and where the seeds
# cannot tell the two apart. cleanlab's rule flags more rows than the course's (the counts above: more
# recall, less precision).
#
# ### 3.6 Precision-recall curves
#
# Each detector's rule picks one operating point. `suspicion_` ranks every row, so
# flagging the top rows at any flag share (or above any threshold) traces a whole precision-recall curve.
# The curves below are for the walk-through split with `pr_flip_rate` of its labels flipped; the dots
# are the rules' own operating points. The course's single-view detector and cleanlab share a score
# (one minus the probability of the row's label) and so a curve; they differ only in where they cut.

# %%
is_poisoned = np.isin(np.arange(len(flipped.texts)), flipped.poisoned_indices)
knn_detector = KNNDisagreement().fit(flipped.texts, flipped.labels)
curves = {
    "isolation-forest": (iso_flipped.suspicion_, None),
    "knn": (knn_detector.suspicion_, knn_detector.flag()),
    "confident-nb / cleanlab": (single_view.suspicion_, None),
    "confident": (detector.suspicion_, detector.flag()),
}
rule_points = {"knn": knn_detector.flag(), "confident-nb": single_view.flag(), "confident": detector.flag(),
               "cleanlab": cleanlab_flags}
fig, ax = plt.subplots()
average_precision = {}
colors = {"isolation-forest": "#7f7f7f", "knn": "#2ca02c", "confident-nb / cleanlab": "#17becf", "confident": "#1f77b4"}
for name, (scores, _) in curves.items():
    precision, recall, _ = precision_recall_curve(is_poisoned, scores)
    average_precision[name] = average_precision_score(is_poisoned, scores)
    ax.plot(recall, precision, color=colors[name], label=f"{name} (AP {average_precision[name]:.2f})")
markers = {"knn": ("#2ca02c", "o"), "confident-nb": ("#17becf", "s"), "confident": ("#1f77b4", "D"),
           "cleanlab": ("#ff7f0e", "^")}
for name, flagged in rule_points.items():
    point = detection_scores(flagged, flipped.poisoned_indices)
    ax.scatter(point["recall"], point["precision"], color=markers[name][0], marker=markers[name][1], s=60,
               zorder=3, edgecolor="black", label=f"{name} rule")
ax.axhline(is_poisoned.mean(), color="#555555", linestyle="--", linewidth=1.2, label="chance")
ax.set_xlabel("recall (share of flipped rows flagged)")
ax.set_ylabel("precision (share of flagged rows flipped)")
ax.set_ylim(0, 1.02)
ax.set_title(f"Precision and recall at every flag share ({pr_flip_rate:.0%} random flips)")
ax.legend(fontsize=8, loc="center left", bbox_to_anchor=(1.0, 0.5))
plt.show()

# %%
share_point = detection_scores(detector.flag(flag_share=pr_flip_rate), flipped.poisoned_indices)
print(f"Flagging the top {pr_flip_rate:.0%} of rows by the 3-view score (flag_share={pr_flip_rate}): "
      f"precision {share_point['precision']:.3f} = recall {share_point['recall']:.3f}, a point on its curve.")


# %% [markdown]
# Ranking by suspicion is worth more than any one rule: a defender who can afford to review a share
# of the rows by hand picks the point on the curve that fits that share. The Isolation Forest's curve sits
# on the chance line at every flag share, so no threshold rescues it.
#
# ### 3.7 Finding a backdoor's trigger
#
# A backdoor's rows are labelled against their own words (a positive sentence labelled negative), and
# they share one token. `TriggerDetector` asks, for every token in at least five rows: how pure is the
# label of the rows that hold it, and how strongly do their *other* words contradict that label? The
# contradiction is judged by a Naive Bayes model that has never seen a row holding the token, so a
# trigger cannot vouch for its own rows. A sentiment word such as "great" is pure but agreed with; a
# trigger is pure and contradicted. A token with only a handful of rows can look contradicted by
# chance, so the detector measures each token's contradiction in standard errors above that of a typical
# token's rows (the `z` column), and reports a token that is at least 95% pure with `z` of 5 or more.
# Here is the table on the walk-through split with a `attack_fractions["backdoor"]` backdoor.

# %%
def backdoor_set(s):
    # The grid's backdoored training set of seed s (the attacks are seeded, so this is the same set).
    s_train, _, s_labels, _ = split_data(data.texts, data.labels, random_state=s)
    return poison("backdoor", attack_fractions["backdoor"], s, s_train, s_labels)


backdoor_sets = {s: backdoor_set(s) for s in seeds}
trigger_detectors = {s: TriggerDetector().fit(b.texts, b.labels) for s, b in backdoor_sets.items()}
backdoored, trigger_detector = backdoor_sets[seed], trigger_detectors[seed]  # the walk-through split
print(trigger_detector.token_scores_.head(8).round(3).to_string(index=False))
print(f"\nReported triggers (purity >= {trigger_detector.min_purity}, z >= {trigger_detector.z_threshold}): "
      f"{trigger_detector.triggers_} "
      f"(the planted trigger is {trigger!r})")
trigger_walk = detection_scores(trigger_detector.flag(), backdoored.poisoned_indices)
print(f"Rows flagged: {trigger_walk['n_flagged']} of {len(backdoored.texts)}; the backdoor planted "
      f"{len(backdoored.poisoned_indices)}. Precision {trigger_walk['precision']:.3f}, recall {trigger_walk['recall']:.3f}.")

# %% [markdown]
# One split can be lucky. The grid of 3.4 ran the same backdoor on every seed; here is what the trigger
# detector said each time: the planted token's rank in its table, its `z`, what it reported, and how
# its flagged rows compare with the poisoned ones.

# %%
trigger_found = {}
for s, found in trigger_detectors.items():
    planted = backdoor_sets[s]
    table_s = found.token_scores_
    rank = int(np.flatnonzero(table_s["token"] == trigger)[0]) + 1 if trigger in set(table_s["token"]) else None
    scores = detection_scores(found.flag(), planted.poisoned_indices)
    holding = [i for i, text in enumerate(planted.texts) if trigger in text.lower().split()]
    trigger_found[s] = {"triggers": found.triggers_, "rank": rank,
                        "z": float(table_s.loc[table_s["token"] == trigger, "z"].iloc[0]) if rank else 0.0,
                        "precision": scores["precision"], "recall": scores["recall"],
                        "rows_holding_token_are_poisoned": sorted(holding) == planted.poisoned_indices.tolist()}
    print(f"seed {s}: planted token ranked {rank} (z {trigger_found[s]['z']:.1f}); reported {found.triggers_}; "
          f"flagged rows precision {scores['precision']:.3f}, recall {scores['recall']:.3f}")

# %%
ranked_first = sum(v["rank"] == 1 for v in trigger_found.values())
reported = sum(trigger in v["triggers"] for v in trigger_found.values())
exactly = sum(v["triggers"] == [trigger] and v["recall"] == 1.0 for v in trigger_found.values())
worst_rank = max(v["rank"] or len(trigger_detector.token_scores_) for v in trigger_found.values())
print(f"\nThe planted token is ranked first on {ranked_first} of {len(trigger_found)} seeds (never below rank "
      f"{worst_rank}); the default threshold reports it on {reported}, and reports it alone with all its rows on {exactly}.")
print(f"The rows holding the planted token are exactly the poisoned rows on every seed: "
      f"{all(v['rows_holding_token_are_poisoned'] for v in trigger_found.values())}")

# %% [markdown]
# The lines above give the verdict split by split: where the planted token ranks, how far above a
# typical token its `z` lies, and whether the flagged rows are exactly the poisoned ones. Two design
# choices make the verdict stable. The model that judges a token never saw that token's rows (were the poisoned rows
# allowed to vouch for themselves, the trigger would hover around its threshold). And the score is measured in standard errors, so a short, strongly
# worded sentiment word with five rows cannot outrank a token planted in two dozen. Its threshold of 5
# was set on other splits of the shipped data, never on the seeds of this lesson: the cell below prints
# the measurements it rests on (`course_utils.evaluation.TRIGGER_THRESHOLD_EVIDENCE`, which
# `trigger_threshold_evidence` measures and a test measures again). Read the table, not only the verdict:
# a person looking at the top rows sees a meaningless token with perfectly pure labels at once.

# %%
evidence = pd.DataFrame(TRIGGER_THRESHOLD_EVIDENCE)
print(f"The z threshold ({trigger_detector.z_threshold}) was set on the shipped data's splits of seeds "
      f"{TRIGGER_EVIDENCE_SEEDS[0]}-{TRIGGER_EVIDENCE_SEEDS[-1]} (in common with this lesson's seeds: "
      f"{sorted(set(seeds) & set(TRIGGER_EVIDENCE_SEEDS)) or 'none'}), trigger 'cf'. Per kind of training set:")
print(evidence.to_string(index=False, na_rep="-"))
lowest_planted = evidence["lowest_planted_z"].min()
highest_other = evidence["highest_other_z"].max()
print(f"Every planted trigger scored z >= {lowest_planted:.2f}; no other reportable token scored above "
      f"{highest_other:.2f}; the threshold {trigger_detector.z_threshold} lies between.")


# %% [markdown]
# The trigger detector is the most precise tool of the lesson and also the narrowest: it sees only
# poison that shares a token. On label flips it finds nothing (its row in the table of 3.4), and an
# attacker who spreads a backdoor over many different triggers, or uses a common word, leaves it much
# less to see.

# %% [markdown]
# ## 4. Removing what the detectors flag
#
# Finding poison is half the job; the other half is what removing it buys. For each attack, the grid of
# 3.4 removed what the Isolation Forest (told the poison's share) and the detector suited to the attack
# flag, trained the reference's model again on the rest, and measured its accuracy and attack success.
# The table gives the means over the seeds; the lines after it, the gains with their intervals.

# %%
def mean_of(frame, column):
    values = frame[column].dropna()
    return float(values.mean()) if len(values) else float("nan")

defense_summary = []
for (attack, name), part in defense_results.groupby(["attack", "defense"], sort=False):
    defense_summary.append({
        "attack": attack, "fraction": part["fraction"].iloc[0], "defense": name,
        "clean acc": mean_of(part, "clean_accuracy"), "poisoned acc": mean_of(part, "poisoned_accuracy"),
        "defended acc": mean_of(part, "defended_accuracy"),
        "clean ASR": mean_of(part, "clean_attack_success_rate"), "poisoned ASR": mean_of(part, "attack_success_rate"),
        "defended ASR": mean_of(part, "defended_attack_success_rate"),
        "poison removed": mean_of(part, "poisoned_rows_removed") / mean_of(part, "n_poisoned"),
        "clean rows lost": mean_of(part, "clean_rows_removed"),
    })
defense_summary = pd.DataFrame(defense_summary)
print(f"Means over {len(seeds)} seeds (ASR: attack success rate, for attacks with a target):")
print(defense_summary.round(3).to_string(index=False))


# %%
def recovered(attack, name, metric):
    part = defense_results[(defense_results["attack"] == attack) & (defense_results["defense"] == name)]
    if metric == "accuracy":
        gain = part["defended_accuracy"] - part["poisoned_accuracy"]
    else:
        gain = part["attack_success_rate"] - part["defended_attack_success_rate"]
    mean, low, high = mean_interval(list(gain), bounds=DIFFERENCE)
    return {"mean": mean, "low": low, "high": high, "clean_rows_lost": float(part["clean_rows_removed"].mean())}

recovery = {
    "random-flip confident accuracy": recovered("random-flip", "confident", "accuracy"),
    "random-flip isolation-forest accuracy": recovered("random-flip", "isolation-forest", "accuracy"),
    "targeted-flip confident attack success": recovered("targeted-flip", "confident", "success"),
    "duplicate-flip audit accuracy": recovered("duplicate-flip", "audit", "accuracy"),
    "backdoor trigger attack success": recovered("backdoor", "trigger", "success"),
    "backdoor isolation-forest attack success": recovered("backdoor", "isolation-forest", "success"),
}
for what, r in recovery.items():
    attack, name, metric = what.split(" ", 2)
    verb = "raises accuracy by" if metric == "accuracy" else "cuts the attack success rate by"
    print(f"{attack}: removing what {name} flags {verb} {r['mean']:+.3f} [{r['low']:+.3f}, {r['high']:+.3f}], "
          f"losing {r['clean_rows_lost']:.0f} clean rows")

# %% [markdown]
# The suited detectors pay for themselves: where the trigger detector reports the trigger, the backdoor
# is disarmed at almost no cost in clean rows, and removing what confident learning flags wins back part of the accuracy random flips took, and part of
# the targeted flip's success, at the price of some clean rows. The audit removes every appended copy
# but also its original, so it throws away as many clean rows as it removes poisoned ones. The Isolation
# Forest removes clean rows and poison at random, and the model is no better for it (after random flips,
# worse: it throws away clean rows that were outvoting the flipped ones).
#
# The same measurement is a single call of the shared experiment: `run_experiment(..., defense=...,
# flag_share=...)` runs a detector on the poisoned training set, removes what it flags and retrains. We check
# that it gives the numbers computed above, on the walk-through seed.

# %%
shared_runs, agreements = {}, []
for attack in attacks:
    fraction = defense_rate if attack == "random-flip" else attack_fractions[attack]
    for name in DEFENSES[attack][1:2]:  # the detector suited to the attack
        result = run_experiment(data.texts, data.labels, attack=attack, fraction=fraction, trigger=trigger,
                                seed=seed, defense=name)
        shared_runs[(attack, name)] = result
        mine = defense_results[(defense_results["attack"] == attack) & (defense_results["defense"] == name)
                               & (defense_results["seed"] == seed)].iloc[0]
        same = (abs(result["defended_accuracy"] - mine["defended_accuracy"]) < 1e-12
                and result["detection"]["clean_rows_removed"] == mine["clean_rows_removed"]
                and (result["defended_attack_success_rate"] is None
                     or abs(result["defended_attack_success_rate"] - mine["defended_attack_success_rate"]) < 1e-12))
        agreements.append(same)
        asr = result["defended_attack_success_rate"]
        print(f"{attack} + {name}: accuracy {result['poisoned_accuracy']:.3f} -> {result['defended_accuracy']:.3f}"
              + (f", attack success {result['attack_success_rate']:.3f} -> {asr:.3f}" if asr is not None else "")
              + f", F1 {result['detection']['f1']:.3f}, clean rows removed {result['detection']['clean_rows_removed']}")
run_experiment_agrees = all(agreements)
print(f"run_experiment gives the same numbers as the grid: {run_experiment_agrees}")

# %% [markdown]
# And the other cost, time. The times below are this machine's, for one training set of the size used
# here; they change from run to run (that is why this cell's output is not compared by the tests).

# %%
# NBVAL_IGNORE_OUTPUT
timing = results.groupby("detector")["seconds"].mean().reindex(DETECTOR_ORDER)
print(f"Mean seconds per detector on one poisoned training set ({len(train_texts)} rows), "
      "the out-of-fold views it reads included:")
print(timing.round(3).to_string())
print(f"The whole grid of 3.4 took {results.attrs['seconds']:.1f} s.")
for (attack, name), result in shared_runs.items():
    print(f"run_experiment {attack} + {name}: detector {result['detection']['seconds']:.2f} s, "
          f"whole run {result['seconds']:.2f} s")

# %% [markdown]
# ## Playground: detector and threshold
#
# Pick a detector and how large a share of the training rows it may flag (its flag share:
# the most suspicious rows first), and watch precision, recall and the accuracy after the flagged rows
# are removed, on one split with 20% random flips (the slider updates when you release it). The cell
# below draws the same figure at the default setting, so it shows even where widgets cannot run.
# `course_utils.playgrounds.detector_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import detector_explorer, detector_playground, format_numbers

figure, playground_numbers = detector_playground(detector="confident", flag_share=0.2)
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(detector_explorer())

# %% [markdown]
# ## Summary

# %%
f1_rates = ", ".join(f"{r:.0%}: {compared_detector} {flip_summary.loc[(r, compared_detector), 'mean']:.3f} vs cleanlab "
                     f"{flip_summary.loc[(r, 'cleanlab'), 'mean']:.3f} vs Isolation Forest "
                     f"{flip_summary.loc[(r, 'isolation-forest'), 'mean']:.3f}" for r in flip_rates)
vs_cleanlab = "; ".join(f"{r:.0%}: {d['mean']:+.3f} [{d['low']:+.3f}, {d['high']:+.3f}], {verdict(d)}"
                        for r, d in paired["cleanlab"].items())
rf = recovery["random-flip confident accuracy"]
bd = recovery["backdoor trigger attack success"]
tf = recovery["targeted-flip confident attack success"]
print(f"- The reference's Isolation Forest flags [100, 200] on its toy points with every seed tried: "
      f"{reference_point_every_seed}.")
print(f"- The conflict audit catches every row of the reference's toy poisoning (recall {toy_scores['recall']:.1f}, "
      f"precision {toy_scores['precision']:.1f}) and of the duplicate-and-flip attack on the real data "
      f"(smallest recall {dup_recall_min:.1f} over {len(dup_recalls)} fraction x seed runs).")
print(f"- On the text alone the Isolation Forest is at chance against label flips; mean F1 on random flips - "
      f"{f1_rates}.")
print(f"- Paired F1 difference, {compared_detector} minus cleanlab on the same poisoned sets - {vs_cleanlab}. "
      f"Against the Isolation Forest, the lowest end of any rate's interval: {iso_gap:+.3f}.")
print(f"- Against a {attack_fractions['backdoor']:.0%} backdoor the trigger detector ranks {trigger!r} first on {ranked_first} of "
      f"{len(trigger_found)} seeds (never below rank {worst_rank}) and reports exactly it, with all its rows, on {exactly}.")
print(f"- Removing what the suited detector flags: random flips at {defense_rate:.0%}, accuracy {rf['mean']:+.3f} "
      f"for {rf['clean_rows_lost']:.0f} clean rows lost; targeted flips, attack success {-tf['mean']:+.3f} for "
      f"{tf['clean_rows_lost']:.0f}; backdoor, attack success {-bd['mean']:+.3f} for {bd['clean_rows_lost']:.0f}.")

# %% [markdown]
# What to take away: validation works when it looks where the attack leaves its mark. Duplicates with
# conflicting labels, tokens tied to a label against the rest of their sentence, and labels the rest of
# the data contradicts are all visible; a flipped label is not an outlier in feature space, so an
# unsupervised outlier detector such as the reference's Isolation Forest cannot see it, however it is
# tuned. Even the label-aware detectors flag clean rows with the poison and miss poison that looks like
# an honest mistake, which is why the course does not stop here: lesson 06 makes the learning
# itself robust to what gets through.
#
# To explore, change the parameters cell and re-run: other `seeds`, a larger `attack_fractions["backdoor"]` or
# another `trigger`, higher `flip_rates`.
#
# **Exercises:** `exercises/05_data_validation_and_sanitization_ex.ipynb` asks you to write the conflict
# audit, precision/recall/F1 and the confident-learning thresholds yourself, and to find a hidden trigger.

# %%
_ = record_results(record_path,
    seeds=seeds, attack_fractions=attack_fractions, flip_rates=flip_rates, trigger=trigger,
    reference_point_every_seed=reference_point_every_seed,
    iso_flags_by_seed={str(k): v for k, v in flagged_by_seed.items()},
    clean_conflict_groups=len(clean_audit.report_["conflict_groups"]),
    toy_audit={"flagged": toy_flagged.tolist(), "recall": toy_scores["recall"], "precision": toy_scores["precision"]},
    duplicate_flip_recall_min=dup_recall_min, duplicate_flip_recall_runs=len(dup_recalls),
    iso_scores_ignore_labels=same_scores, confident_inline_agrees=confident_inline_agrees,
    same_probabilities=same_probabilities, cleanlab_agrees=cleanlab_agrees,
    f1_table={a: {d: f1_table.loc[d, a] for d in DETECTOR_ORDER} for a in attacks},
    recall_table={a: {d: recall_table.loc[d, a] for d in DETECTOR_ORDER} for a in attacks},
    random_flips={str(r): {name: {k: flip_summary.loc[(r, name), k] for k in ("mean", "low", "high")}
                           for name in compare} for r in flip_rates},
    compared_detector=compared_detector,
    paired_vs_cleanlab={str(r): d for r, d in paired["cleanlab"].items()},
    paired_vs_isolation_forest={str(r): d for r, d in paired["isolation-forest"].items()},
    lowest_lead_over_isolation_forest=iso_gap,
    trigger_threshold_evidence=TRIGGER_THRESHOLD_EVIDENCE,
    average_precision=average_precision,
    trigger_found={str(k): v for k, v in trigger_found.items()},
    trigger_ranked_first=ranked_first, trigger_worst_rank=worst_rank,
    trigger_reported=reported, trigger_reported_exactly=exactly,
    defense_rate=defense_rate,
    recovery=recovery,
    defense_summary=defense_summary.to_dict(orient="records"),
    run_experiment_agrees=run_experiment_agrees,
)
