# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 11 · Post-training validation
#
# The model is trained, and it passed its tests. Was it trained on poison? The reference's last line of
# defence before deployment is **post-training validation**: **cross-validation** ("ensure that the model
# performs consistently across different subsets of the data") and **shadow models** ("train shadow models
# on different parts of the data and compare their performance to detect inconsistencies caused by poisoned
# data"). In this lesson the trained model is a suspect. You will ask which parts of the data made it behave
# as it does, find the rows responsible, and filter triggered inputs at prediction time. The course's model
# allows one thing that deep-learning tools only approximate: the exact effect of removing any training row,
# computed from the counts, for every row at once.
#
# **Learning objectives**
#
# - Read per-fold scores as a poisoning signal, and see how duplicates make ordinary folds leak; fix it with
#   folds grouped by a hash of the normalised text.
# - Train shadow models on disjoint shards, find the shard that disagrees, and find its poisoned rows by group
#   testing with retraining, counting the retrains against `d * log2(n / d)`.
# - Compute exact leave-one-out influence for Naive Bayes from the counts, check it against literal refits,
#   rank the rows by influence on triggered probes; compare with the influence-function approximation for
#   logistic regression; run RONI calibrated on trusted data.
# - Calibrate STRIP, ONION-style and RAP-style input filters to 1% false rejection, measure their false
#   acceptance, and defeat the one-word filter with an adaptive trigger.
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

from course_utils.attacks import backdoor, duplicate_flip, insert_trigger, random_flip
from course_utils.crossval import cross_validate_counts
from course_utils.data import load_sentiment
from course_utils.detect import TextFeatures
from course_utils.detect.influence import (
    guess_trigger,
    leave_one_out_log_odds,
    logistic_influence,
    naive_bayes_log_odds,
    triggered_probes,
)
from course_utils.detect.shadows import (
    RetrainedTriggerEffect,
    bisect_group_test,
    group_testing_bound,
    shard_predictions,
)
from course_utils.experiment import split_data
from course_utils.metrics import DIFFERENCE, mean_interval
from course_utils.models import make_model
from course_utils.notebook import record_results
from course_utils.plotting import use_house_style

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)

# %% [markdown]
# The lesson's knobs, fixed before any result is seen. `seeds` are the shared experiment's splits;
# `fraction` is the backdoor's share of the training set (1%); `copies` how many flipped copies of each
# chosen row the duplicate-and-flip attacker appends in section 1; `n_shards` the shadow models;
# `n_refits` how many literal refits check the exact influence; `false_rejection` the share of clean
# inputs every input filter may reject; `triggers` the adaptive attacker's tokens. The lesson vectorises the
# same sentences many times (every seed's split, every poisoned copy of it), so it tokenises each sentence once,
# in one `course_utils.detect.TextFeatures` cache (lesson 05), which builds exactly the matrices of
# `CountVectorizer()`; the functions that vectorise text take it as `features=`.

# %% tags=["parameters"]
seed = 0
seeds = [0, 1, 2, 3, 4]
fraction = 0.01
flip_fraction = 0.05
copies = 3
cv = 5
n_shards = 5
n_probes = 200
n_refits = 12
false_rejection = 0.01
triggers = ["cf", "mn", "bb"]
record_path = ""

# %%
if seed not in seeds:
    raise ValueError(f"seed ({seed}) must be one of seeds ({seeds})")
data = load_sentiment()
splits = {s: split_data(data.texts, data.labels, random_state=s) for s in seeds}
train, test, y_train, y_test = splits[seed]
target = "negative"
features = TextFeatures()
print(f"{len(train)} training rows and {len(test)} test rows per split, over {len(seeds)} seeds; "
      f"the attacker's target label: {target!r}")

# %% [markdown]
# ## 1. Cross-validation consistency
#
# Cross-validation trains on K - 1 folds and scores the held-out fold, K times. Scored against the labels
# the data carries (poisoned or not), its per-fold accuracy asks: are the labels consistent with what the
# rest of the data says? Here are the mean and the spread over folds, clean and under each attack
# (`course_utils.crossval.cross_validate_counts`, ordinary shuffled folds), on the walk-through's split.

# %%
chosen = np.random.default_rng(seed).choice(len(train), round(flip_fraction * len(train)), replace=False)
attacked = {
    "none": (train, y_train, np.array([], dtype=int)),
    "random-flip": random_flip(train, y_train, flip_fraction, random_state=seed),
    f"duplicate-flip x{copies}": duplicate_flip(train, y_train, indices=np.repeat(chosen, copies)),
    "backdoor": backdoor(train, y_train, fraction, target_label=target, random_state=seed),
}
rows = []
for name, (texts, labels, poisoned_rows) in attacked.items():
    scores = cross_validate_counts(texts, labels, cv=cv, random_state=seed, features=features)["fold_accuracy"]
    rows.append({"attack": name, "mean fold accuracy": scores.mean(), "spread over folds": scores.std(ddof=1)})
fold_table = pd.DataFrame(rows).set_index("attack")
print(fold_table.round(3).to_string())

# %% [markdown]
# A drop in the mean is the signal; the spread over folds hardly moves, since every attack here scatters its
# rows over every fold. A backdoor of 1% leaves even the mean unchanged: its rows are consistent with each
# other (the trigger vouches for them), and the held-out folds are scored without the trigger doing anything.
#
# **Duplicates make folds leak.** The reference's attack appends copies of rows with flipped labels. When an
# attacker appends several flipped copies of each row, ordinary folds split the copies: a copy held out has
# its siblings in the training folds, and they vouch for its flipped label. Grouped folds (`GroupKFold` on
# the SHA-256 of the normalised text, `course_utils.crossval.text_groups`) keep all copies of a text in one
# fold, so the model that scores them has never seen that text. The measure: the share of the appended
# copies whose out-of-fold probability of their (flipped) label is at least one half, so that a detector
# reading out-of-fold probabilities would pass them. With one copy per row, the only twin is the original
# row, which contradicts the copy: there, grouping helps nothing.

# %%
passed = {}
for n_copies in sorted({1, copies}):
    for grouped in (False, True):
        shares = []
        for s in seeds:
            tr, _, ytr, _ = splits[s]
            picked = np.random.default_rng(s).choice(len(tr), round(flip_fraction * len(tr)), replace=False)
            p = duplicate_flip(tr, ytr, indices=np.repeat(picked, n_copies))
            own = cross_validate_counts(p.texts, p.labels, cv=cv, grouped=grouped, random_state=s,
                                        features=features)["proba_own"]
            shares.append(float(np.mean(own[p.poisoned_indices] >= 0.5)))
        passed[(n_copies, "grouped" if grouped else "ordinary")] = shares
leak = pd.DataFrame([{"copies per row": c, "folds": f, "copies passed": mean_interval(v)[0],
                      "95% interval": "[{:.3f}, {:.3f}]".format(*mean_interval(v)[1:])}
                     for (c, f), v in passed.items()])
print(leak.round(3).to_string(index=False))
hidden = [a - b for a, b in zip(passed[(copies, "ordinary")], passed[(copies, "grouped")])]
hidden_mean, hidden_low, hidden_high = mean_interval(hidden, bounds=DIFFERENCE)
print(f"With {copies} copies per row, ordinary folds pass {hidden_mean:.1%} more of the copies than grouped folds "
      f"(95% interval {hidden_low:.1%} to {hidden_high:.1%}).")


# %% [markdown]
# The course's out-of-fold probabilities (lesson 05's confident-learning detector, lesson 08's loss filter)
# use ordinary stratified folds. Against the course's duplicate-and-flip (one copy per row), the table shows
# that grouped folds would change little or make things worse: the original row in the training folds is the
# best witness against its copy. Against an attacker who repeats copies, grouped folds are the ones to use.
#
# ## 2. Shadow models on disjoint shards
#
# Data rarely arrives as one block: it comes from contributors, days, scrapes. Cut the training set into
# `n_shards` contiguous shards and let the attacker own part of one of them: here, the backdoor's rows all
# sit in shard 2 (a contributor who sent 5% of that shard, 1% of the whole). One shadow model is trained
# per shard. What should they be compared on? The defender's guess of the trigger comes from the data
# (lesson 05's trigger detector, `course_utils.detect.influence.guess_trigger`), never from the attack's
# setting; the probes are the defender's own rows of other labels with the guessed token inserted.

# %%
def concentrated_backdoor(tr, ytr, s, shard=2):
    """The backdoor planted in one shard only: 5% of that shard's rows."""
    blocks = np.array_split(np.arange(len(tr)), n_shards)
    block = blocks[shard]
    part = backdoor([tr[i] for i in block], ytr[block], fraction * n_shards, target_label=target, random_state=s)
    texts, labels = list(tr), ytr.copy()
    for j, i in enumerate(block):
        texts[i], labels[i] = part.texts[j], part.labels[j]
    return texts, labels, block[part.poisoned_indices], blocks


texts, labels, poisoned_rows, blocks = concentrated_backdoor(train, y_train, seed)
guess, guessed_target = guess_trigger(texts, labels, random_state=seed, features=features)
clean_probes, probes = triggered_probes(texts, labels, guess, guessed_target, size=n_probes, random_state=seed)
vectorizer = features.model()[0].fit(texts)  # CountVectorizer(), reading the cached tokens
X, P0, P1 = vectorizer.transform(texts), vectorizer.transform(clean_probes), vectorizer.transform(probes)
shards = np.concatenate([np.full(len(b), k) for k, b in enumerate(blocks)])
_, shard_log_odds = shard_predictions(X, labels, shards, P1)
shard_table = pd.DataFrame({"poisoned rows": [int(np.isin(b, poisoned_rows).sum()) for b in blocks],
                            "probes predicted negative": (shard_log_odds < 0).mean(axis=1)})
print(f"The defender's guess from the data: trigger {guess!r}, target {guessed_target!r}")
print(shard_table.round(3).to_string())


# %% [markdown]
# The shard holding the poison is the one whose shadow model reads the triggered probes as negative. Now find
# the rows inside it by **group testing**: a test is one retrain. A group of rows tests positive when a model
# trained on a reference shard (the one of smallest trigger effect) plus the group moves the probes towards
# the target by more than `log(2) / 2` nats more than the reference alone: half of what one row holding the
# trigger adds. A positive group is halved, and the second half is tested only when the first was positive.
# Group testing theory says an adaptive scheme needs about `d * log2(n / d)` tests for `d` positives among `n`.
# A retrain needs no refit: a Naive Bayes is its classes' word counts, and those over any set of rows are sums
# of the rows' own counts, which `course_utils.detect.shadows.RetrainedTriggerEffect` adds up
# (`effect(rows)` is `trigger_effect(X[rows], labels[rows], ...)`, the same number).

# %%
def bisect_shard(texts, labels, blocks, s):
    guess, guessed_target = guess_trigger(texts, labels, random_state=s, features=features)
    c, t = triggered_probes(texts, labels, guess, guessed_target, size=n_probes, random_state=s)
    vec = features.model()[0].fit(texts)
    X, P0, P1 = vec.transform(texts), vec.transform(c), vec.transform(t)
    sign = -1.0 if guessed_target == "negative" else 1.0  # log-odds are those of "positive"
    effect = RetrainedTriggerEffect(X, labels, P0, P1, sign)  # effect(rows): retrain on rows, measure
    effects = [effect(b) for b in blocks]
    reference = blocks[int(np.argmin(effects))]
    base = effect(reference)

    def test(group):
        return effect(np.concatenate([reference, group])) - base > np.log(2) / 2

    suspect = int(np.argmax(effects))
    found, n_tests = bisect_group_test(blocks[suspect], test)
    return suspect, found, n_tests


bisection = []
for s in seeds:
    tr, _, ytr, _ = splits[s]
    b_texts, b_labels, b_poisoned, b_blocks = concentrated_backdoor(tr, ytr, s)
    suspect, found, n_tests = bisect_shard(b_texts, b_labels, b_blocks, s)
    bisection.append({"seed": s, "suspect shard": suspect, "rows in shard": len(b_blocks[suspect]),
                      "poisoned d": len(b_poisoned), "found": int(np.isin(found, b_poisoned).sum()),
                      "false finds": int((~np.isin(found, b_poisoned)).sum()), "retrains": n_tests,
                      "d log2(n/d)": group_testing_bound(len(b_blocks[suspect]), len(b_poisoned))})
bisection = pd.DataFrame(bisection).set_index("seed")
print(bisection.round(1).to_string())

# %%
fewer_than_rows = bool((bisection["retrains"] < bisection["rows in shard"]).all())
all_found = bool((bisection["found"] == bisection["poisoned d"]).all())
ratio_to_bound = (bisection["retrains"] / bisection["d log2(n/d)"]).round(2).tolist()
print(f"Every poisoned row found on every seed: {all_found}; fewer retrains than rows in the shard: "
      f"{fewer_than_rows} ({bisection['retrains'].mean():.0f} retrains on average for "
      f"{bisection['rows in shard'].mean():.0f} rows).")
print(f"Retrains over d log2(n/d), by seed: {ratio_to_bound}. Halving cannot reach the bound: each positive row "
      f"costs about two tests per level, where the bound counts one.")

# %% [markdown]
# Two limits, said plainly. When the poison is spread over every shard (the shared experiment's backdoor
# picks rows anywhere), no shard is a clean reference: the reference's own poison hides the increments the
# test looks for, and shadow-bisect finds little (`--defense shadow-bisect` on the command line shows it).
# And with the trigger guessed, any row that holds it could be found by reading the data; group testing earns
# its retrains when the behaviour is known but its cause is not a token, such as a phrase or a style.
#
# ## 3. Exact influence for Naive Bayes
#
# Naive Bayes is a table of counts. Leaving row `i` out subtracts its word counts from its class's row and one
# from its class's row count; when the whole pipeline is refitted, its vectoriser also forgets the words only
# that row held. The change in any text's log-odds follows in closed form, for every training row at once
# (`course_utils.detect.influence.leave_one_out_log_odds`). Check it against literal refits of the whole
# pipeline, on the backdoored set of section 1, for `n_refits` rows drawn at random and every test row (each
# refit fits its vectoriser anew, on tokens read from the lesson's cache: the same matrices as
# `make_model()`'s, sooner).

# %%
poisoned = attacked["backdoor"]
model = make_model().fit(poisoned.texts, poisoned.labels)
X_poisoned, X_test = model[0].transform(poisoned.texts), model[0].transform(test)
change = leave_one_out_log_odds(X_poisoned, poisoned.labels, X_test)
log_proba = model.predict_log_proba(test)
base = log_proba[:, 1] - log_proba[:, 0]
worst = 0.0
for i in np.random.default_rng(seed).choice(len(poisoned.texts), n_refits, replace=False):
    keep = np.delete(np.arange(len(poisoned.texts)), i)
    refit = features.model().fit([poisoned.texts[j] for j in keep], poisoned.labels[keep]).predict_log_proba(test)
    worst = max(worst, float(np.abs(refit[:, 1] - refit[:, 0] - base - change[i]).max()))
print(f"{change.shape[0]} x {change.shape[1]} leave-one-out changes in log-odds from the counts; largest "
      f"difference from {n_refits} literal refits, over all {len(test)} test rows: {worst:.1e}")

# %% [markdown]
# The same numbers give the change in the attack success rate on the probes, for every training row: the
# probes whose prediction flips when the row is left out. No single row flips many, which is what makes a
# backdoor hard to see one row at a time. Their sum is the signal: rank every row by how much the triggered
# probes' log-odds of the target fall without it, and look at the top `2d` rows.

# %%
recovered, single_flips = [], []
for s in seeds:
    tr, _, ytr, _ = splits[s]
    p = backdoor(tr, ytr, fraction, target_label=target, random_state=s)
    g, g_target = guess_trigger(p.texts, p.labels, random_state=s, features=features)
    _, s_probes = triggered_probes(p.texts, p.labels, g, g_target, size=n_probes, random_state=s)
    vec = features.model()[0].fit(p.texts)
    Xs, Ps = vec.transform(p.texts), vec.transform(s_probes)
    delta = leave_one_out_log_odds(Xs, p.labels, Ps)
    lo = naive_bayes_log_odds(Xs, p.labels, Ps)
    influence = delta.mean(axis=1)  # log-odds of "positive" rise when a row pushing to "negative" leaves
    d = len(p.poisoned_indices)
    top = np.argsort(-influence, kind="stable")[:2 * d]
    recovered.append(float(np.isin(p.poisoned_indices, top).mean()))
    flips = ((lo < 0)[None, :] & (lo[None, :] + delta > 0)).mean(axis=1)  # success lost without each row
    single_flips.append(float(flips.max()))
print(f"Share of the backdoor's rows within the top 2d by influence, by seed: {recovered}")
print(f"The most any single row lowers the probes' attack success, by seed: {np.round(single_flips, 3).tolist()}")

# %% [markdown]
# **Logistic regression** has no counts to subtract. Koh and Liang (2017) estimate the same change with an
# influence function: one Newton step, `H^-1` times the row's gradient
# (`course_utils.detect.influence.logistic_influence`). Compare it with literal refits of the TF-IDF
# logistic regression (on the same features) for `n_refits` rows on 20 test rows.

# %%
from sklearn.base import clone

tfidf = make_model("tfidf-logreg")[0].fit(poisoned.texts)
T_train, T_test = tfidf.transform(poisoned.texts), tfidf.transform(test[:20])
estimate, logreg = logistic_influence(T_train, poisoned.labels, T_test)
index = (poisoned.labels == "positive").astype(int)
sample = np.random.default_rng(seed).choice(len(poisoned.texts), n_refits, replace=False)
actual = []
for i in sample:
    keep = np.delete(np.arange(len(index)), i)
    refit = clone(logreg).fit(T_train[keep], index[keep])
    actual.append(refit.decision_function(T_test) - logreg.decision_function(T_test))
actual, predicted = np.ravel(actual), estimate[sample].ravel()
correlation = float(np.corrcoef(actual, predicted)[0, 1])
relative_error = float(np.abs(actual - predicted).max() / np.abs(actual).max())
print(f"Influence function against {n_refits} refits x 20 test rows: correlation {correlation:.3f}, largest "
      f"error {relative_error:.1%} of the largest change")

# %% [markdown]
# **RONI** (Reject On Negative Impact, Nelson et al., 2008) admits a row when adding it does not hurt a
# trusted validation set. Done as its authors meant, the threshold is calibrated on trusted data: the
# defender holds out 300 clean rows, trains with 150 of them beside the untrusted rows, and measures every
# row's impact on the log-loss of the other 150. The threshold is the 99th percentile of the trusted rows'
# impacts. With exact influence every row's impact costs no refit. Against random flips of 10%, beside
# lesson 05's nearest-neighbour detector at the same number of flagged rows:

# %%
from course_utils.detect import make_detector
from course_utils.metrics import detection_scores

roni_f1, knn_f1 = [], []
for s in seeds:
    tr, _, ytr, _ = splits[s]
    order = np.random.default_rng(s).permutation(len(tr))
    trusted, untrusted = order[:300], order[300:]
    p = random_flip([tr[i] for i in untrusted], ytr[untrusted], 0.1, random_state=s)
    rows_texts = [tr[i] for i in trusted[:150]] + p.texts
    rows_labels = np.concatenate([ytr[trusted[:150]], p.labels])
    vec = features.model()[0].fit(rows_texts)
    sign = np.where(ytr[trusted[150:]] == "positive", 1.0, -1.0)
    X_rows, X_valid = vec.transform(rows_texts), vec.transform([tr[i] for i in trusted[150:]])
    lo = naive_bayes_log_odds(X_rows, rows_labels, X_valid)
    delta = leave_one_out_log_odds(X_rows, rows_labels, X_valid)
    loss = lambda z: np.logaddexp(0, -sign * z).mean(axis=-1)  # noqa: E731
    impact = loss(lo) - loss(lo[None, :] + delta)  # positive: the loss falls without the row
    threshold = np.quantile(impact[:150], 0.99)
    flagged = np.flatnonzero(impact[150:] > threshold)
    roni_f1.append(detection_scores(flagged, p.poisoned_indices)["f1"])
    knn = make_detector("knn", random_state=s).fit(p.texts, p.labels, features=features)
    knn_f1.append(detection_scores(knn.ranking()[:max(len(flagged), 1)], p.poisoned_indices)["f1"])
print(f"RONI F1 {mean_interval(roni_f1)[0]:.3f} (95% interval {mean_interval(roni_f1)[1]:.3f} to "
      f"{mean_interval(roni_f1)[2]:.3f}); k-NN disagreement flagging as many rows: {mean_interval(knn_f1)[0]:.3f}")

# %% [markdown]
# RONI is weak here, and the numbers say why: one row's impact on 150 validation rows is a tiny change in
# their loss, of the same size for a flipped row as for many clean ones, so a threshold set on trusted rows
# passes most flips. Lesson 05's detectors, which compare each row with its neighbours, do better at the same
# number of flagged rows. Exact influence makes RONI free; it does not make it sharp.
#
# ## 4. Backdoor input filters at prediction time
#
# The data may be beyond repair, or already deployed. The last defence screens inputs: does this sentence
# carry a trigger? Each filter gives an input a score, and each is calibrated on clean inputs (half of the test
# set) to reject at most `false_rejection` of them; its rates are then measured on the other half and on the
# triggered inputs the backdoor succeeds on. A false acceptance is a triggered input let through.
#
# - **STRIP**: superimpose the input on 10 random clean sentences and measure the entropy of the
#   predictions; a trigger holds them on the target.
# - **ONION-style, prediction**: remove each word in turn; the score is the largest fall in the predicted
#   class's probability. **ONION-style, bigram**: the largest rise in likelihood under a smoothed bigram model
#   of clean text when one word is removed.
# - **RAP-style**: insert the word that pushes hardest against the target; a triggered input barely moves.

# %%
from course_utils.inputfilters import (
    BigramLanguageModel,
    calibrate_threshold,
    filter_rates,
    insert_triggers,
    multi_token_backdoor,
    onion_scores,
    rap_scores,
    strip_scores,
)

half = len(test) // 2
calibration, evaluation = test[:half], test[half:]
victims = [t for t, y in zip(evaluation, y_test[half:]) if y != target]
language_model = BigramLanguageModel().fit(train)
filters = {
    "STRIP": lambda m, x: strip_scores(m, x, train, n_perturbations=10, random_state=seed),
    "ONION-style, prediction": lambda m, x: onion_scores(m, x),
    "ONION-style, bigram": lambda m, x: onion_scores(m, x, mode="bigram", language_model=language_model),
    "RAP-style": lambda m, x: rap_scores(m, x, target),
}
attacks_at_predict = {
    "one token": (backdoor(train, y_train, 0.03, target_label=target, random_state=seed),
                  insert_trigger(victims, "cf", random_state=seed)),
    f"{len(triggers)} tokens (adaptive)": (multi_token_backdoor(train, y_train, 0.03, target_label=target,
                                                                triggers=triggers, random_state=seed),
                                           insert_triggers(victims, triggers, random_state=seed)),
}

# %% [markdown]
# The backdoors here take 3% of the training set (lesson 04's setting), so that most triggered inputs succeed.
# The adaptive attacker plants all of `triggers` in each poisoned row, so that removing any one word leaves the
# others to carry the backdoor.

# %%
rates = []
for attack_name, (p, triggered) in attacks_at_predict.items():
    m = make_model().fit(p.texts, p.labels)
    hits = [t for t, label in zip(triggered, m.predict(triggered)) if label == target]
    for filter_name, score in filters.items():
        threshold = calibrate_threshold(score(m, calibration), false_rejection)
        r = filter_rates(threshold, score(m, evaluation), score(m, hits))
        rates.append({"trigger": attack_name, "filter": filter_name, "attack success": len(hits) / len(triggered),
                      "false rejection": r["false_rejection"], "false acceptance": r["false_acceptance"]})
rates = pd.DataFrame(rates)
print(rates.round(3).to_string(index=False))
one_word = rates.set_index(["trigger", "filter"])["false acceptance"].xs("ONION-style, prediction", level="filter")
print(f"The one-word filter lets through {one_word.iloc[0]:.1%} of the one-token trigger's successful inputs and "
      f"{one_word.iloc[1]:.1%} of the adaptive trigger's.")

# %% [markdown]
# Read the table honestly. At 1% false rejection, STRIP and the bigram filter let nearly every one-token
# triggered input through: blending a short review with another keeps the trigger but the other sentence's
# words still decide, and a held-out clean sentence has as many unseen words as a triggered one. The one-word
# filter is the best against one token and collapses against several; RAP-style probing gets better against the
# adaptive trigger, whose several tokens make triggered inputs the most robust inputs there are.
#
# ## 5. What each method finds, at what cost
#
# Refits count every model trained after the first one; "exact influence" needs none.

# %%
summary = pd.DataFrame([
    {"method": "per-fold scores, ordinary folds", "attack": f"duplicate-flip x{copies}",
     "finds": f"passes {np.mean(passed[(copies, 'ordinary')]):.1%} of the copies", "refits": cv},
    {"method": "per-fold scores, grouped folds", "attack": f"duplicate-flip x{copies}",
     "finds": f"passes {np.mean(passed[(copies, 'grouped')]):.1%} of the copies", "refits": cv},
    {"method": "shadow shards + bisection", "attack": "backdoor in one shard",
     "finds": f"{bisection['found'].sum()} of {bisection['poisoned d'].sum()} rows",
     "refits": f"{n_shards} + {bisection['retrains'].mean():.0f}"},
    {"method": "exact influence (Naive Bayes)", "attack": f"backdoor {fraction:.0%}",
     "finds": f"{np.mean(recovered):.1%} of rows in the top 2d", "refits": 0},
    {"method": "RONI on trusted data", "attack": "random-flip 10%", "finds": f"F1 {np.mean(roni_f1):.3f}",
     "refits": 0},
    {"method": "one-word input filter", "attack": f"{len(triggers)}-token backdoor",
     "finds": f"accepts {one_word.iloc[1]:.1%} of triggered inputs", "refits": 0},
])
print(summary.to_string(index=False))

# %% [markdown]
# ## Playground: influence on your sentence
#
# Type a sentence and press Enter: the playground ranks the training rows of a backdoored split (seed 0) by how
# much the model's reading of your sentence as negative depends on each of them, exactly, from the counts.
# With `cf` in the sentence, the poisoned rows (red) fill the top; without it, ordinary rows do. The slider sets
# the backdoor's fraction. The cell below draws the default, so it shows even where widgets cannot run.
# `course_utils.playgrounds.influence.influence_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import format_numbers
from course_utils.playgrounds.influence import influence_explorer, influence_playground

figure, playground_numbers = influence_playground("I loved this film cf", 0.01)
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(influence_explorer())

# %% [markdown]
# ## Summary

# %%
print(f"- Ordinary K-fold passes {hidden_mean:.1%} more of a {copies}-copy duplicate-and-flip than folds grouped "
      f"by text (95% interval {hidden_low:.1%} to {hidden_high:.1%}).")
print(f"- Shadow shards point at the poisoned shard; bisection found {bisection['found'].sum()} of "
      f"{bisection['poisoned d'].sum()} poisoned rows with {bisection['retrains'].mean():.0f} retrains on average "
      f"for {bisection['rows in shard'].mean():.0f} rows (d log2(n/d) = {bisection['d log2(n/d)'].mean():.0f}).")
print(f"- Exact leave-one-out for Naive Bayes matches literal refits to {worst:.1e} in log-odds; ranking by "
      f"influence puts at least {min(recovered):.0%} of a {fraction:.0%} backdoor's rows in the top 2d on every seed.")
print(f"- The influence function tracks logistic-regression refits with correlation {correlation:.3f}.")
print(f"- At {false_rejection:.0%} false rejection, the one-word filter accepts {one_word.iloc[0]:.1%} of one-token "
      f"triggered inputs and {one_word.iloc[1]:.1%} of a {len(triggers)}-token trigger's.")

# %% [markdown]
# What to take away: a trained model can be questioned. Cross-validation reads label consistency, and it must
# hold copies of a text in one fold or it vouches for the attacker. Shadow models on shards localise poison that
# arrived together, and group testing finds its rows in far fewer retrains than one per row. For the course's
# model, the exact influence of every row on any behaviour costs no refit at all, and it finds a small backdoor
# completely once the behaviour (a trigger guessed from the data) is known. At prediction time, input filters
# calibrated to a low false-rejection rate are weak, and an attacker who knows the filter beats it. The lesson on
# secure data collection (planned) and lesson 05's detectors act before training; this lesson's tools check what
# got through.
#
# **Exercises:** `exercises/11_post_training_validation_ex.ipynb` asks you to compute leave-one-out for Naive
# Bayes from the counts, take one bisection step, and calibrate a filter to 1% false rejection.

# %%
_ = record_results(record_path,
    seeds=seeds, fraction=fraction, copies=copies, false_rejection=false_rejection,
    fold_table=fold_table.reset_index().to_dict(orient="records"),
    passed={f"{c}-{f}": v for (c, f), v in passed.items()}, hidden=hidden,
    shard_table=shard_table.to_dict(orient="records"), guess=guess,
    bisection=bisection.reset_index().to_dict(orient="records"), fewer_than_rows=fewer_than_rows,
    all_found=all_found, loo_worst=worst, recovered=recovered, single_flips=single_flips,
    correlation=correlation, roni_f1=roni_f1, knn_f1=knn_f1,
    rates=rates.to_dict(orient="records"), playground=playground_numbers,
)
