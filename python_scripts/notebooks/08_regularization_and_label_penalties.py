# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 08 · Regularization and label penalties
#
# The data team of lesson 05 removed what its detectors flagged; some poison always got through. The
# reference document's next advice is about training itself: **regularize** (L1, L2) so that the model
# does not overfit the poison, and **penalize misleading labels** during training. This lesson measures
# both on the course's two models and the shared experiment. For Naive Bayes the regularizer is its
# smoothing `alpha`; for the TF-IDF logistic regression it is `C` with an L2 or an L1 penalty. The label
# penalties judge each row's label by a model that never saw that row: drop the least likely rows, weigh
# them down, smooth every label, or train with a loss that pulls less on unlikely labels. Everything is
# set against lesson 05's remove-and-retrain at the same attacks and fractions.
#
# **Learning objectives**
#
# - Sweep Naive Bayes' `alpha` and logistic regression's `C` (L2 and L1) against every attack and poison
#   fraction over five seeds, and read clean accuracy, poisoned accuracy and attack success with intervals.
# - Name, by a rule fixed before looking, the setting that best trades clean accuracy for robustness
#   against each attack, or say that none does.
# - Explain why a row's in-sample loss understates how wrong its label is, and compute out-of-fold losses.
# - Use four label penalties (out-of-fold loss filtering, reweighting, label smoothing for Naive Bayes, a
#   generalized cross-entropy logistic regression) and compare them with lesson 05's detectors.
#
# **Estimated time:** 40 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from sklearn.feature_extraction.text import CountVectorizer
from sklearn.naive_bayes import MultinomialNB

from course_utils.attacks import random_flip
from course_utils.data import load_sentiment
from course_utils.defenses.penalties import LossFilterClassifier, out_of_fold_losses
from course_utils.detect import TextFeatures
from course_utils.evaluation import evaluate_detectors
from course_utils.experiment import split_data
from course_utils.metrics import DIFFERENCE, mean_interval
from course_utils.notebook import record_results
from course_utils.plotting import use_house_style
from course_utils.regularization import alpha_sweep, best_tradeoff, c_sweep, penalty_grid

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)

# %% [markdown]
# The lesson's knobs. `seeds` are the splits every number is averaged over. `alphas` and `c_values` are the
# regularization grids (1.0 is each model's default and must be in them); `l1_c_values` is the L1 grid, cut
# before any result was seen to `C <= 1`, because liblinear's L1 solver can run to its iteration limit above
# that (one fit at `C = 10` took seconds on this data) and the lesson must stay fast. `sweep_fractions` are
# the fractions of the Naive Bayes sweep; the logistic regression, about fifty times slower to fit, is swept
# at each attack's `main_fractions` only (the same cut, also fixed in advance), which are the fractions the
# label penalties and the closing table use. `n_jobs` is how many processes run the seeds of each sweep side
# by side; it changes the time, never the numbers. It is 1 here: the sweeps share each split's poisoned sets,
# matrices and fits within one process, and what a worker process builds is lost to the next sweep, so on two
# cores side by side saves nothing. `detector_jobs` does the same for section 3.3's grid of lesson 05's
# detectors, which shares nothing with the sweeps and so gains from every process it is given.
# Every grid below is also given one `features` cache (`course_utils.detect.TextFeatures`), so that each sentence
# is tokenised once for all of them and every seed; like `n_jobs`, it changes the time, never the numbers.

# %% tags=["parameters"]
seeds = [0, 1, 2, 3, 4]
alphas = [0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0]
c_values = [0.1, 1.0, 10.0, 100.0]
l1_c_values = [0.1, 0.3, 1.0]
sweep_fractions = {"random-flip": [0.0, 0.1, 0.3], "targeted-flip": [0.0, 0.1, 0.3],
                   "duplicate-flip": [0.0, 0.1, 0.3], "backdoor": [0.0, 0.01, 0.03]}
main_fractions = {"random-flip": 0.3, "targeted-flip": 0.1, "duplicate-flip": 0.1, "backdoor": 0.01}
trigger = "cf"
n_jobs = 1  # processes that run the seeds of each sweep side by side (-1: one per core)
detector_jobs = -1  # processes that grade section 3.3's detector seeds side by side (-1: one per core)
record_path = ""

# %%
if 1.0 not in alphas or 1.0 not in c_values:
    raise ValueError("alphas and c_values must hold the default 1.0: every setting is compared with it")
attacks = list(main_fractions)
data = load_sentiment()
features = TextFeatures()  # the tokens of every sentence, shared by every grid below
nb_fractions = {a: sorted(set(sweep_fractions[a]) | {0.0, main_fractions[a]}) for a in attacks}
lr_fractions = {a: [0.0, main_fractions[a]] for a in attacks}
print(f"{len(data)} sentences, {len(seeds)} seeds, attacks at {main_fractions}")

# %% [markdown]
# ## 1. Naive Bayes' smoothing
#
# `MultinomialNB` estimates each word's probability in a class as `(count + alpha) / (total + alpha * V)`.
# A larger `alpha` pulls every word towards the same small probability: no word can count for much, so
# neither can a handful of poisoned rows, but neither can an honest rare word. Since `alpha` only changes
# the smoothing of the same counts, `course_utils.regularization.alpha_sweep` counts each poisoned
# training set once and applies every `alpha` in NumPy (exactly `MultinomialNB(alpha=...)`'s predictions; a
# test checks it).

# %%
nb_sweep = alpha_sweep(data.texts, data.labels, alphas=alphas, attacks=attacks, fractions=nb_fractions,
                       seeds=seeds, trigger=trigger, n_jobs=n_jobs, features=features)
print(f"{len(nb_sweep)} runs: {len(alphas)} alphas x {sum(map(len, nb_fractions.values()))} "
      f"(attack, fraction) x {len(seeds)} seeds")


# %%
def summary(frame, by, metric):
    """Mean and 95% interval of ``metric`` per group."""
    rows = []
    for keys, part in frame.groupby(by, sort=True):
        mean, low, high = mean_interval(list(part[metric].dropna()))
        rows.append({**dict(zip(by, keys if isinstance(keys, tuple) else (keys,))),
                     "mean": mean, "low": low, "high": high})
    return pd.DataFrame(rows)


def metric_of(attack):
    return "attack_success_rate" if attack in ("targeted-flip", "backdoor") else "poisoned_accuracy"


# %%
fig, axes = plt.subplots(1, 4, figsize=(15, 3.8), sharex=True)
for ax, attack in zip(axes, attacks):
    part = nb_sweep[nb_sweep["attack"] == attack]
    metric = metric_of(attack)
    for k, fraction in enumerate(nb_fractions[attack]):
        s = summary(part[part["fraction"] == fraction], ["alpha"], metric)
        ax.plot(s["alpha"], s["mean"], marker="o", color=plt.cm.viridis(k / len(nb_fractions[attack])),
                label=f"fraction {fraction:g}")
        ax.fill_between(s["alpha"], s["low"], s["high"], alpha=0.2, color=plt.cm.viridis(k / len(nb_fractions[attack])))
    ax.set_xscale("log")
    ax.set_title(attack)
    ax.set_xlabel("alpha (log scale)")
    ax.set_ylabel("attack success rate" if "success" in metric else "test accuracy")
    ax.legend(fontsize=8)
fig.suptitle(f"Naive Bayes' smoothing against each attack (mean, 95% interval over {len(seeds)} seeds)")
plt.show()


# %% [markdown]
# Fraction 0 is the clean model: its curve is the clean accuracy (or the attack's success on a model never
# poisoned) each `alpha` costs or buys. Every other curve is the same model trained on poison.
#
# **The rule.** Fixed before any number was seen, and applied the same way to `alpha` and to `C`: against
# each attack at its main fraction, pair every setting with the default (`alpha = 1`, `C = 1`) seed by seed.
# Its *gain* is how much it lowers the damage (the attack success rate for attacks with a target, else the
# accuracy lost from the default clean model), its *cost* how much clean accuracy it gives up. A setting
# *trades well* when the 95% interval of gain minus cost lies above zero; the best is the one that trades
# well with the largest mean. Where none does, we say so.

# %%
def name_best(sweep, setting, default):
    best, tables = {}, {}
    for attack in attacks:
        best[attack], tables[attack] = best_tradeoff(sweep, setting, default, attack, main_fractions[attack])
    return best, tables


def show_best(best, tables, what):
    for attack in attacks:
        t = tables[attack].reset_index(drop=True)
        top = t["net"].idxmax() if best[attack] is None else next(
            i for i, v in enumerate(t["setting"]) if v == best[attack])
        r = t.iloc[top]
        verdict = f"best {what} {r['setting']}" if best[attack] is not None else \
            f"no {what} trades well; the highest is {r['setting']}"
        print(f"{attack} at {main_fractions[attack]:g}: {verdict}: gain {r['gain']:+.3f} [{r['gain_low']:+.3f}, "
              f"{r['gain_high']:+.3f}], cost {r['cost']:+.3f} [{r['cost_low']:+.3f}, {r['cost_high']:+.3f}], "
              f"gain - cost {r['net']:+.3f} [{r['net_low']:+.3f}, {r['net_high']:+.3f}]")


best_alpha, alpha_tables = name_best(nb_sweep, "alpha", 1.0)
show_best(best_alpha, alpha_tables, "alpha")

# %% [markdown]
# ## 2. Logistic regression's `C`, with L2 and L1
#
# `C` is the inverse strength of the penalty: small `C`, strong penalty, small weights. The L2 penalty
# shrinks every weight; the L1 penalty sets most of them to zero and keeps few words. The course's model is
# `LogisticRegression(C=1)` with L2; the same `--param C=...` sets it on the command line.

# %%
lr_sweep = pd.concat([
    c_sweep(data.texts, data.labels, c_values=c_values, penalties=["l2"], attacks=attacks, fractions=lr_fractions,
            seeds=seeds, trigger=trigger, n_jobs=n_jobs, features=features),
    c_sweep(data.texts, data.labels, c_values=l1_c_values, penalties=["l1"], attacks=attacks,
            fractions=lr_fractions, seeds=seeds, trigger=trigger, n_jobs=n_jobs, features=features)],
    ignore_index=True)
best_c, c_tables = name_best(lr_sweep, ["penalty", "C"], ("l2", 1.0))
show_best(best_c, c_tables, "(penalty, C)")


# %% [markdown]
# One figure for the trade-off: for every attack, each setting's clean accuracy (what it costs when nobody
# attacks) against the damage the attack still does with it, for both models. Down and to the right is
# better; the default settings are circled.

# %%
def tradeoff_points(sweep, keys, attack):
    part = sweep[(sweep["attack"] == attack) & (sweep["fraction"] == main_fractions[attack])].copy()
    clean_default = part.loc[(part[keys[0]] == 1.0) if keys == ["alpha"] else
                             ((part["penalty"] == "l2") & (part["C"] == 1.0)), ["seed", "clean_accuracy"]]
    part["damage"] = (part["attack_success_rate"] if metric_of(attack) != "poisoned_accuracy" else
                      part["seed"].map(clean_default.set_index("seed")["clean_accuracy"]) - part["poisoned_accuracy"])
    return part.groupby(keys, sort=True)[["clean_accuracy", "damage"]].mean().reset_index()


fig, axes = plt.subplots(1, 4, figsize=(15, 3.9))
for ax, attack in zip(axes, attacks):
    nb = tradeoff_points(nb_sweep, ["alpha"], attack)
    ax.plot(nb["clean_accuracy"], nb["damage"], marker="o", color="#1f77b4", label="NB, alpha")
    for penalty, color in (("l2", "#d62728"), ("l1", "#2ca02c")):
        lr = tradeoff_points(lr_sweep[lr_sweep["penalty"] == penalty], ["penalty", "C"], attack)
        ax.plot(lr["clean_accuracy"], lr["damage"], marker="s", color=color, label=f"LR {penalty.upper()}, C")
    for frame, key in ((nb, "alpha"), (tradeoff_points(lr_sweep[lr_sweep["penalty"] == "l2"], ["penalty", "C"],
                                                       attack), "C")):
        default = frame[frame[key] == 1.0]
        ax.scatter(default["clean_accuracy"], default["damage"], s=160, facecolors="none", edgecolors="black")
    ax.set_title(f"{attack} at {main_fractions[attack]:g}")
    ax.set_xlabel("clean accuracy (no attack)")
    ax.set_ylabel("attack success rate" if metric_of(attack) != "poisoned_accuracy" else "accuracy lost")
    ax.legend(fontsize=8)
fig.suptitle(f"What each setting costs and what it buys (means over {len(seeds)} seeds; default circled)")
plt.show()

# %% [markdown]
# ## 3. Penalising misleading labels
#
# ### 3.1 In-sample losses forgive the poison
#
# A natural idea is to drop the rows the model finds least likely. But a model that was trained on a flipped
# row has learned part of it, so the row's *in-sample* loss understates how wrong its label is. An
# *out-of-fold* loss asks a model fitted on the other folds. Here both are written out on 30% random flips,
# dropping the same number of rows, the flipped share.

# %%
flip_rate = main_fractions["random-flip"]
inline = []
for seed in seeds:
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
    flipped = random_flip(train_texts, train_labels, flip_rate, random_state=seed)
    vectorizer = CountVectorizer().fit(flipped.texts)
    X, X_test = vectorizer.transform(flipped.texts), vectorizer.transform(test_texts)
    n_drop = len(flipped.poisoned_indices)
    poisoned_model = MultinomialNB().fit(X, flipped.labels)
    in_sample = -poisoned_model.predict_log_proba(X)[
        np.arange(X.shape[0]), np.searchsorted(np.unique(flipped.labels), flipped.labels)]
    oof, _ = out_of_fold_losses(X, flipped.labels, "count-nb", cv=5, random_state=seed)
    # A flip changes labels only, so X holds the clean training rows too, in the same vocabulary.
    row = {"seed": seed, "clean": (MultinomialNB().fit(X, train_labels).predict(X_test) == test_labels).mean(),
           "poisoned": (poisoned_model.predict(X_test) == test_labels).mean()}
    for name, losses in (("in-sample", in_sample), ("out-of-fold", oof)):
        keep = np.argsort(-losses, kind="stable")[n_drop:]
        model = MultinomialNB().fit(X[keep], flipped.labels[keep])
        row[name] = (model.predict(X_test) == test_labels).mean()
        row[f"{name} poison caught"] = np.isin(np.argsort(-losses, kind="stable")[:n_drop],
                                               flipped.poisoned_indices).mean()
    inline.append(row)
inline = pd.DataFrame(inline)

# %%
for name in ("in-sample", "out-of-fold"):
    share = (inline[name] - inline["poisoned"]) / (inline["clean"] - inline["poisoned"])
    m, lo, hi = mean_interval(list(share), bounds=None)
    print(f"{name} loss trimming: accuracy {inline['poisoned'].mean():.3f} -> {inline[name].mean():.3f} "
          f"(clean {inline['clean'].mean():.3f}); share of the damage recovered {m:.1%} [{lo:.1%}, {hi:.1%}]; "
          f"share of dropped rows that were flipped {inline[name + ' poison caught'].mean():.1%}")

# %% [markdown]
# `course_utils.defenses.penalties.LossFilterClassifier` is this out-of-fold filter as a scikit-learn
# classifier (the `loss-filter` trainer; its ties are broken at random, not by position). On the
# walk-through seed it drops the same rows as the inline code whenever no two losses tie.

# %%
seed = seeds[0]
train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
flipped = random_flip(train_texts, train_labels, flip_rate, random_state=seed)
X = CountVectorizer().fit_transform(flipped.texts)
library = LossFilterClassifier(drop_share=len(flipped.poisoned_indices) / X.shape[0], random_state=seed)
library.fit(X, flipped.labels)
oof, _ = out_of_fold_losses(X, flipped.labels, "count-nb", cv=5, random_state=seed)
inline_rows = set(np.argsort(-oof, kind="stable")[:len(flipped.poisoned_indices)])
library_agrees = set(library.dropped_) == inline_rows
print(f"LossFilterClassifier drops the inline code's rows: {library_agrees}")

# %% [markdown]
# ### 3.2 Four label penalties against every attack
#
# `course_utils.regularization.penalty_grid` trains each trainer of the registry on every poisoned set and
# on the clean one (its cost when nobody attacks), with the defaults the estimators ship with: the loss
# filter drops 10% of the rows, reweighting weighs each row by its label's out-of-fold probability, label
# smoothing gives 10% of each row to the other class, and the generalized cross-entropy uses `q = 0.7`
# (the paper's default). Nothing was tuned on these results.

# %%
penalties = {"loss-filter": ("count-nb", "loss-filter", {}), "reweight": ("count-nb", "reweight", {}),
             "label-smoothing": ("count-nb", "label-smoothing", {}),
             "robust-loss": ("tfidf-logreg", "robust-loss", {})}
grid = penalty_grid(data.texts, data.labels, defenses=penalties, attacks=attacks,
                    fractions={a: [main_fractions[a]] for a in attacks}, seeds=seeds, trigger=trigger, n_jobs=n_jobs,
                    features=features)
print(grid.groupby(["attack", "defense"], sort=False)[
    ["poisoned_accuracy", "defended_accuracy", "attack_success_rate", "defended_attack_success_rate"]]
    .mean().round(3).to_string())

# %% [markdown]
# ### 3.3 Against lesson 05's remove-and-retrain
#
# Lesson 05 removed what its detector suited to each attack flagged (the three-view confident learning for
# label flips, the audit for duplicate-and-flip, the trigger detector for the backdoor) and retrained. Here is
# the same grid, at the same fractions. At 30% random flips, the out-of-fold loss filter is then given the
# same budget as confident learning: it drops exactly as many rows as confident learning flagged on that seed.

# %%
suited = {"random-flip": "confident", "targeted-flip": "confident", "duplicate-flip": "audit",
          "backdoor": "trigger"}
l05 = evaluate_detectors(data.texts, data.labels, runs=[(a, main_fractions[a], [suited[a]]) for a in attacks],
                         detectors={name: name for name in set(suited.values())}, seeds=seeds, trigger=trigger,
                         retrain={(a, main_fractions[a]): [suited[a]] for a in attacks}, n_jobs=detector_jobs,
                         features=features)
l05_flips = l05[l05["attack"] == "random-flip"].set_index("seed")
inline_by_seed = inline.set_index("seed")  # section 3.1's clean and poisoned accuracies, seed by seed
same_budget = []
for seed in seeds:
    train_texts, test_texts, train_labels, test_labels = split_data(data.texts, data.labels, 0.25, seed)
    flipped = random_flip(train_texts, train_labels, flip_rate, random_state=seed)
    # The loss-filter trainer behind the course's vectoriser, fitted as the shared experiment's pipeline fits it.
    vectorizer = CountVectorizer()
    X = vectorizer.fit_transform(flipped.texts)
    share = l05_flips.loc[seed, "n_flagged"] / X.shape[0]
    loss_filter = LossFilterClassifier(drop_share=float(share), random_state=seed).fit(X, flipped.labels)
    same_budget.append({"seed": seed,
                        "loss_filter": (loss_filter.predict(vectorizer.transform(test_texts)) == test_labels).mean(),
                        "poisoned": inline_by_seed.loc[seed, "poisoned"], "clean": inline_by_seed.loc[seed, "clean"],
                        "confident": l05_flips.loc[seed, "defended_accuracy"]})
same_budget = pd.DataFrame(same_budget)


# %%
def recovered(frame, column):
    share = (frame[column] - frame["poisoned"]) / (frame["clean"] - frame["poisoned"])
    gain = mean_interval(list(frame[column] - frame["poisoned"]), bounds=DIFFERENCE)
    return {"share": mean_interval(list(share), bounds=None), "gain": gain}


lost = mean_interval(list(same_budget["clean"] - same_budget["poisoned"]), bounds=DIFFERENCE)
recovery = {name: recovered(same_budget, name) for name in ("loss_filter", "confident")}
print(f"30% random flips cost {lost[0]:.3f} [{lost[1]:.3f}, {lost[2]:.3f}] accuracy; "
      f"{l05_flips['n_flagged'].mean():.0f} rows removed on average by each:")
for name, r in recovery.items():
    print(f"  {name}: accuracy +{r['gain'][0]:.3f} [{r['gain'][1]:+.3f}, {r['gain'][2]:+.3f}], "
          f"{r['share'][0]:.1%} [{r['share'][1]:.1%}, {r['share'][2]:.1%}] of the damage recovered")
paired = mean_interval(list(same_budget["loss_filter"] - same_budget["confident"]), bounds=DIFFERENCE)
print(f"loss filter minus confident learning, paired: {paired[0]:+.3f} [{paired[1]:+.3f}, {paired[2]:+.3f}]")


# %% [markdown]
# ## 4. Every defense against every attack
#
# The closing table: for each attack at its main fraction, the damage left after each defense (accuracy for
# the untargeted attacks, attack success rate for the targeted flip and the backdoor) and its cost: the
# clean accuracy it loses when there is no attack (for lesson 05's filters, the clean rows it removed).
# The regularization rows use the best setting named in sections 1 and 2, or the default where none trades well.

# %%
def regularized_row(sweep, best, keys, default, label):
    cells = {}
    for attack in attacks:
        value = best[attack] if best[attack] is not None else default
        part = sweep[(sweep["attack"] == attack) & (sweep["fraction"] == main_fractions[attack])]
        mask = (part[keys[0]] == value) if len(keys) == 1 else (part[keys[0]] == value[0]) & (part[keys[1]] == value[1])
        clean = part[(part[keys[0]] == default) if len(keys) == 1 else
                     (part[keys[0]] == default[0]) & (part[keys[1]] == default[1])]["clean_accuracy"].mean()
        cells[attack] = (part[mask][metric_of(attack)].mean(), clean - part[mask]["clean_accuracy"].mean(),
                         f"{label}={value}")
    return cells


table = {"no defense (count-nb)": {a: (grid[(grid["attack"] == a) & (grid["model"] == "count-nb")][
    metric_of(a)].mean(), 0.0, "") for a in attacks}}
table["NB alpha"] = regularized_row(nb_sweep, best_alpha, ["alpha"], 1.0, "alpha")
table["LR C"] = regularized_row(lr_sweep, best_c, ["penalty", "C"], ("l2", 1.0), "C")
for name in penalties:
    part = grid[grid["defense"] == name]
    table[name] = {}
    for a in attacks:
        rows = part[part["attack"] == a]
        column = "defended_accuracy" if metric_of(a) == "poisoned_accuracy" else "defended_attack_success_rate"
        table[name][a] = (rows[column].mean(), (rows["clean_accuracy"] - rows["defended_clean_accuracy"]).mean(), "")
table["lesson 05 remove-and-retrain"] = {}
for a in attacks:
    rows = l05[l05["attack"] == a]
    column = "defended_accuracy" if metric_of(a) == "poisoned_accuracy" else "defended_attack_success_rate"
    table["lesson 05 remove-and-retrain"][a] = (rows[column].mean(), np.nan,
                                                f"{suited[a]}, {rows['clean_rows_removed'].mean():.0f} clean rows")

# %%
closing = pd.DataFrame({defense: {f"{a}": f"{v[0]:.3f} (cost {v[1]:+.3f}{', ' + v[2] if v[2] else ''})"
                                  if np.isfinite(v[1]) else f"{v[0]:.3f} ({v[2]})" for a, v in cells.items()}
                        for defense, cells in table.items()}).T
print("Accuracy (random-flip, duplicate-flip) or attack success (targeted-flip, backdoor), means over "
      f"{len(seeds)} seeds; cost: clean accuracy lost without an attack")
print(closing.to_string())

# %% [markdown]
# ## Playground: smoothing and poison
#
# Move Naive Bayes' `alpha` and the poison fraction and watch clean accuracy, poisoned accuracy and, for
# attacks with a target, attack success (means over three seeds; the sliders update when released). The
# cell below draws the default setting so that it shows even where widgets cannot run;
# `course_utils.playgrounds.regularization_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import format_numbers, regularization_explorer, regularization_playground

figure, playground_numbers = regularization_playground(alpha=1.0, fraction=0.2)
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(regularization_explorer())


# %% [markdown]
# ## Summary

# %%
def best_text(best):
    return "; ".join(f"{a}: {best[a] if best[a] is not None else 'none trades well'}" for a in attacks)


lf, cl = recovery["loss_filter"], recovery["confident"]
print(f"- Best alpha by the rule - {best_text(best_alpha)}.")
print(f"- Best (penalty, C) by the rule - {best_text(best_c)}.")
print(f"- At 30% random flips and the same budget, out-of-fold loss filtering recovers {lf['share'][0]:.1%} "
      f"[{lf['share'][1]:.1%}, {lf['share'][2]:.1%}] of the damage, lesson 05's confident learning "
      f"{cl['share'][0]:.1%} [{cl['share'][1]:.1%}, {cl['share'][2]:.1%}] (paired difference {paired[0]:+.3f}).")
bd = table["lesson 05 remove-and-retrain"]["backdoor"][0]
print("- Against the backdoor, attack success after each label penalty: "
      + ", ".join(f"{n} {table[n]['backdoor'][0]:.3f}" for n in penalties)
      + f"; the trigger detector's remove-and-retrain: {bd:.3f}.")

# %% [markdown]
# What to take away: regularization is a dial between trusting the data and trusting nothing; it moves clean
# accuracy and robustness together, and the rule above says where, if anywhere, the exchange is worth it.
# Judging labels out of fold is what makes a label penalty see flips at all; the in-sample version forgives
# the rows the model has memorised. None of these penalties sees a backdoor for what it is: the trigger's
# rows are labelled consistently with the trigger, so the rest of the data half agrees with them, and the
# summary's numbers show how little of the backdoor's success each penalty takes away next to the trigger
# detector of lesson 05. Lesson 06 changed the estimator itself.
#
# **Exercises:** `exercises/08_regularization_and_label_penalties_ex.ipynb` asks you to compute
# Naive Bayes' smoothed log probabilities, out-of-fold losses and label-smoothed counts yourself.

# %%
_ = record_results(record_path,
    seeds=seeds, main_fractions=main_fractions, best_alpha=best_alpha, best_c=best_c,
    library_agrees=library_agrees,
    in_sample_accuracy=float(inline["in-sample"].mean()), out_of_fold_accuracy=float(inline["out-of-fold"].mean()),
    poisoned_accuracy=float(inline["poisoned"].mean()), clean_accuracy=float(inline["clean"].mean()),
    loss_filter_share=lf["share"], confident_share=cl["share"], paired_vs_confident=paired,
    backdoor_after={n: table[n]["backdoor"][0] for n in penalties},
    backdoor_before=table["no defense (count-nb)"]["backdoor"][0],
    n_sweep_seeds=int(nb_sweep["seed"].nunique()), n_lr_seeds=int(lr_sweep["seed"].nunique()),
)
