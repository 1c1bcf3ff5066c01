# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 06 · Robust learning
#
# Lesson 05 tried to find the poison before training; some of it always gets through. The reference
# names a second line of defense: make the *learning itself* hard to move. **Differential privacy**:
# "the inclusion or exclusion of any single training example does not significantly affect the model's
# output". **Robust statistics**: "median or trimmed means instead of standard means". In this lesson
# you build both for the course's Naive Bayes, state exactly what each one promises, and measure on the
# shared experiment how much each protects against every attack of the course and what it costs. The
# promise of differential privacy is exact, and you will see precisely where it stops: at a handful of
# poisoned rows, far below any realistic attack.
#
# **Learning objectives**
#
# - Compare the mean, the median and the trimmed mean on the reference's ten points.
# - Build a differentially private Naive Bayes: bound each row's contribution, add Laplace noise of
#   scale sensitivity / epsilon to the counts, post-process; and choose its vocabulary without spending
#   privacy.
# - Measure accuracy and attack success against epsilon, for a naive design and for a design chosen on
#   validation rows, with 95% intervals over seeds.
# - Turn the group-privacy guarantee into a bound on the attack success rate of k poisoned rows, and
#   find the k where it stops saying anything.
# - Measure Naive Bayes with median and trimmed-mean word rates, and TRIM with in-sample and out-of-fold
#   losses, against all four attacks.
#
# **Estimated time:** 45 minutes.

# %% [markdown]
# ## Setup

# %%
# %matplotlib inline

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import sklearn
from scipy import stats
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import MultinomialNB

from course_utils.defenses.robust import (
    DPMultinomialNB,
    RobustMultinomialNB,
    TrimClassifier,
    bound_contributions,
    group_privacy_bound,
)
from course_utils.metrics import DIFFERENCE, mean_interval
from course_utils.notebook import record_results
from course_utils.plotting import use_house_style
from course_utils.robustness import NAIVE_DESIGN, choose_dp_design, dp_fit_seconds, dp_grid, hashed_split, robust_grid

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)

# %% [markdown]
# The lesson's knobs. `seeds` are the splits every number is averaged over; `epsilons` the privacy
# budgets measured; `attack_fractions` each attack's share of the training set (the backdoor gets a
# small one, as a real backdoor would); `group_rows` the counts of poisoned rows on the group-privacy
# figure. The DP design is chosen from `candidate_buckets` x `candidate_max_words` x `candidate_alphas`
# at `choice_epsilon`, by validation accuracy on rows held out of each training set, before any test
# number is seen. `trim_fraction` is the share of rows TRIM leaves out, fixed in advance (the defender
# does not know how much poison there is), and `trim_rounds` how many refits it may make. `n_jobs` is
# how many processes compute the seeds side by side; it changes the time, never the numbers.

# %% tags=["parameters"]
seeds = [0, 1, 2, 3, 4]
epsilons = [0.1, 0.3, 1.0, 3.0, 10.0, math.inf]
attack_fractions = {"random-flip": 0.3, "targeted-flip": 0.1, "duplicate-flip": 0.1, "backdoor": 0.03}
group_rows = [1, 2, 4, 8, 16]
group_epsilons = [0.1, 0.3, 1.0]
noise_draws = 2
choice_epsilon = 1.0
candidate_buckets = [2 ** 10, 2 ** 12, 2 ** 16]
candidate_max_words = [1, 3, 5, 20]
candidate_alphas = [1.0, 30.0]
trim_fraction = 0.1
trim_rounds = 2
n_jobs = -1  # processes that compute the seeds side by side (-1: one per core)
record_path = ""

# %%
attacks = list(attack_fractions)
print(f"{len(seeds)} seeds, epsilons {epsilons}, attack fractions {attack_fractions}")

# %% [markdown]
# ## 1. Mean, median, trimmed mean
#
# The reference's Isolation Forest example has ten points, one of them, [100, 200], far from the rest.
# Here is what three estimates of the centre make of them, column by column. The trimmed mean drops the
# lowest and highest 10% of the values (one point from each end) before averaging.

# %%
X_points = np.array([[1, 2], [2, 3], [3, 4], [4, 5], [100, 200], [5, 6], [6, 7], [7, 8], [8, 9], [9, 10]])
centres = pd.DataFrame({"mean": X_points.mean(axis=0), "median": np.median(X_points, axis=0),
                        "trimmed mean (10%)": stats.trim_mean(X_points, 0.1, axis=0)}, index=["x", "y"])
clean_points = np.delete(X_points, 4, axis=0)
centres["mean without [100, 200]"] = clean_points.mean(axis=0)
print(centres.round(2).to_string())
pull = {name: float(abs(centres.loc["x", name] - centres.loc["x", "mean without [100, 200]"]))
        for name in ("mean", "median", "trimmed mean (10%)")}
print(f"How far one point moves each estimate of x: {', '.join(f'{k} {v:.2f}' for k, v in pull.items())}")

# %% [markdown]
# One point pulls the mean far from where the other nine sit; the median and the trimmed mean barely
# move. A model's parameters are estimates too: Naive Bayes's word rates are means over the rows of
# each class. Section 4 replaces them with medians over groups of rows. First, the other idea: make every
# single row matter little, by design.
#
# ## 2. A differentially private Naive Bayes
#
# A training algorithm is **epsilon-differentially private** when, for any two training sets that
# differ by one added or removed row, the probability of any outcome changes by at most a factor
# e^epsilon. Naive Bayes needs only counts: how many rows of each class there are, and how often each
# word occurs in each class. The **Laplace mechanism** releases counts privately: add to each count
# independent noise from Laplace(0, b) with scale b = sensitivity / epsilon, where the **sensitivity** is
# the most one row can change the counts in L1 norm. A row of a long review could change thousands of
# counts, so first we **bound each row's contribution**: a row counts each word once, and at most
# `max_words` distinct words. Then one row changes the class-word counts by at most `max_words` and
# the class counts by 1. We give the class counts a tenth of epsilon and the word counts the rest (the
# class counts are in the hundreds, so a little budget is enough); the two releases add up to epsilon.
# Written out on a toy count matrix:

# %%
toy_counts = np.array([[3, 0, 5, 1], [2, 4, 0, 1], [1, 1, 1, 0], [0, 2, 7, 3]])  # 4 rows, 4 words
toy_labels = np.array([0, 0, 1, 1])
max_words, epsilon, class_share = 2, 1.0, 0.1
bounded = bound_contributions(toy_counts, max_words, random_state=0).toarray()
print("bounded rows (presence of at most 2 words):\n", bounded)
word_counts = np.vstack([bounded[toy_labels == c].sum(axis=0) for c in (0, 1)])
class_counts = np.bincount(toy_labels)
word_scale = max_words / ((1 - class_share) * epsilon)     # sensitivity / its part of epsilon
class_scale = 1 / (class_share * epsilon)
rng = np.random.default_rng(0)
rng.permutation(toy_counts.shape[1])                        # the draw that chose the words kept
noisy_words = word_counts + rng.laplace(0, word_scale, word_counts.shape)
noisy_classes = class_counts + rng.laplace(0, class_scale, class_counts.shape)
smoothed = np.maximum(noisy_words, 0) + 1.0                 # post-processing: clip at 0, smooth (alpha=1)
inline_log_prob = np.log(smoothed) - np.log(smoothed.sum(axis=1, keepdims=True))
model = DPMultinomialNB(epsilon=epsilon, max_words=max_words, class_share=class_share, random_state=0)
model.fit(toy_counts, toy_labels)
inline_agrees = bool(np.allclose(inline_log_prob, model.feature_log_prob_)
                     and np.allclose(noisy_classes, model.class_count_))
print(f"Laplace scales: words {word_scale:.3f}, classes {class_scale:.3f}; "
      f"DPMultinomialNB draws the same noise: {inline_agrees}")

# %% [markdown]
# Three facts keep the mechanism honest, and the tests of `course_utils` check each: a search over
# neighbouring training sets (rows chosen as long and as one-sided as possible) never moves the counts
# by more than the stated sensitivity; many noise draws pass a goodness-of-fit test against
# Laplace(0, sensitivity / epsilon); and with epsilon infinite no noise is added, so the model is
# exactly `MultinomialNB` on the bounded counts. The field's reference library, OpenDP, releases a
# count with `opendp.measurements.make_laplace`, whose noise scale for sensitivity `d_in` and budget
# epsilon is `d_in / epsilon`: the same scale as here. The last fact, on the real data:

# %%
split = hashed_split(seeds[0])
X_train, X_test = split.features["fitted"]
dp_inf = DPMultinomialNB(epsilon=math.inf, max_words=20, random_state=0).fit(X_train, split.train_labels)
plain_on_bounded = MultinomialNB().fit(bound_contributions(X_train, 20, random_state=np.random.default_rng(0)),
                                       split.train_labels)
inf_is_multinomial_nb = bool(np.array_equal(dp_inf.predict(X_test), plain_on_bounded.predict(X_test)))
print(f"epsilon = inf predicts exactly as MultinomialNB on the same bounded counts: {inf_is_multinomial_nb}")

# %% [markdown]
# ### 2.1 The vocabulary costs privacy too
#
# The course's pipeline learns its vocabulary from the training sentences. That list of words is itself
# a release: a word that occurs in a single row is in it only if that row is. So the vocabulary must be
# chosen without looking at the private rows, or its cost accounted for. The lesson's designs **hash**
# every word into a fixed number of buckets (scikit-learn's `HashingVectorizer`): the columns are fixed
# before any data is seen, and choosing them spends nothing. The naive design keeps the learned
# vocabulary, as a first attempt would; its guarantee covers the counts, not the list of words.
#
# ### 2.2 Choosing the design, before the comparison
#
# Three levers: the number of buckets, `max_words`, and the smoothing `alpha` (post-processing). Fewer
# words per row mean less noise but less signal; fewer buckets mean fewer noisy counts but more words
# sharing one. The rule, stated before any test number: fit each candidate at `choice_epsilon` on three
# quarters of each seed's training rows, score it on the last quarter, and keep the highest mean. The
# test rows take no part. (Strictly, choosing on private rows spends a little privacy too; a deployment
# would choose on public data of the same kind.)

# %%
candidates = {f"{b} buckets, {w} words, alpha {a:g}": {"vocabulary": "hashed", "n_buckets": b, "max_words": w,
                                                       "alpha": a}
              for b in candidate_buckets for w in candidate_max_words for a in candidate_alphas}
choice = choose_dp_design(candidates, choice_epsilon, seeds=seeds, n_jobs=n_jobs)
best_name = choice.loc[0, "design"]
best_design = candidates[best_name]
print(f"Validation accuracy at epsilon {choice_epsilon:g}, the best five of {len(candidates)}:")
print(choice.head(5)[["design", "mean", "spread"]].round(3).to_string(index=False))
print(f"\nChosen: {best_name}")

# %%
fig, axes = plt.subplots(1, 2, figsize=(10, 3.6), sharey=True)
at_best = choice[(choice["n_buckets"] == best_design["n_buckets"]) & (choice["alpha"] == best_design["alpha"])]
at_best = at_best.sort_values("max_words")
axes[0].plot(at_best["max_words"], at_best["mean"], marker="o")
axes[0].set_xlabel("max_words (buckets and alpha as chosen)")
axes[0].set_ylabel(f"validation accuracy at epsilon {choice_epsilon:g}")
axes[0].set_title("Lever 1: words per row")
by_buckets = choice[(choice["max_words"] == best_design["max_words"]) & (choice["alpha"] == best_design["alpha"])]
by_buckets = by_buckets.sort_values("n_buckets")
axes[1].plot(by_buckets["n_buckets"], by_buckets["mean"], marker="o", color="#ff7f0e")
axes[1].set_xscale("log", base=2)
axes[1].set_xlabel("hashed vocabulary size (max_words and alpha as chosen)")
axes[1].set_title("Lever 2: vocabulary size")
plt.show()
lever_words = dict(zip(at_best["max_words"].tolist(), at_best["mean"].round(3).tolist()))
lever_buckets = dict(zip(by_buckets["n_buckets"].tolist(), by_buckets["mean"].round(3).tolist()))
print(f"max_words -> validation accuracy: {lever_words}")
print(f"buckets -> validation accuracy: {lever_buckets}")

# %% [markdown]
# ## 3. Accuracy and attack success against epsilon
#
# Both designs at every epsilon, on every seed's test set, with `noise_draws` noise draws each; the
# means and 95% intervals are over seeds (each seed's value is the mean of its draws). Every attack runs
# at its fraction of `attack_fractions`; the curves below show the two with a target, and section 6's
# table reads all four at epsilon 1 from this same grid.

# %%
designs = {"naive": NAIVE_DESIGN, "best": best_design}
grid = dp_grid(designs, epsilons, seeds=seeds, noise_draws=noise_draws,
               attacks=[("none", 0.0)] + list(attack_fractions.items()), n_jobs=n_jobs)
per_seed = grid.groupby(["design", "attack", "epsilon", "seed"])[["accuracy", "attack_success_rate"]].mean()


def curve(design, attack, metric):
    part = per_seed.loc[(design, attack)][metric].unstack("seed")
    return pd.DataFrame([dict(zip(("mean", "low", "high"), mean_interval(list(row)))) for _, row in part.iterrows()],
                        index=part.index)


accuracy_curves = {d: curve(d, "none", "accuracy") for d in designs}
for d, table in accuracy_curves.items():
    print(f"{d}: clean accuracy by epsilon, mean [95% interval]")
    print("  " + "; ".join(f"{e:g}: {r['mean']:.3f} [{r['low']:.3f}, {r['high']:.3f}]" for e, r in table.iterrows()))

# %%
at_one = {d: accuracy_curves[d].loc[1.0] for d in designs}
gap = per_seed.loc[("best", "none", 1.0)]["accuracy"] - per_seed.loc[("naive", "none", 1.0)]["accuracy"]
gap_mean, gap_low, gap_high = mean_interval(list(gap), bounds=DIFFERENCE)
print(f"At epsilon 1: naive {at_one['naive']['mean']:.3f} [{at_one['naive']['low']:.3f}, "
      f"{at_one['naive']['high']:.3f}], best {at_one['best']['mean']:.3f} [{at_one['best']['low']:.3f}, "
      f"{at_one['best']['high']:.3f}]; paired gain {gap_mean:+.3f} [{gap_low:+.3f}, {gap_high:+.3f}]")
no_noise = {d: accuracy_curves[d].loc[math.inf, "mean"] for d in designs}
print(f"Without noise (epsilon inf): naive {no_noise['naive']:.3f}, best {no_noise['best']:.3f}")

# %%
fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
finite = [e for e in epsilons if math.isfinite(e)]
panels = [("none", "accuracy", "clean accuracy"), ("backdoor", "attack_success_rate", "backdoor success"),
          ("targeted-flip", "attack_success_rate", "targeted-flip success")]
for ax, (attack, metric, label) in zip(axes, panels):
    for d, color in (("naive", "#7f7f7f"), ("best", "#1f77b4")):
        c = curve(d, attack, metric)
        ax.plot(finite, c.loc[finite, "mean"], marker="o", color=color, label=d)
        ax.fill_between(finite, c.loc[finite, "low"], c.loc[finite, "high"], color=color, alpha=0.15, linewidth=0)
        ax.axhline(c.loc[math.inf, "mean"], color=color, linestyle=":", linewidth=1.2)
    ax.set_xscale("log")
    ax.set_xlabel("epsilon (dotted: no noise)")
    ax.set_ylabel(label)
    ax.set_ylim(0, 1)
    ax.set_title(label.capitalize())
    ax.legend()
plt.show()

# %%
success = {(d, a): curve(d, a, "attack_success_rate") for d in designs for a in ("backdoor", "targeted-flip")}
for (d, a), c in success.items():
    print(f"{d}, {a}: attack success " + "; ".join(f"eps {e:g} {r['mean']:.3f}" for e, r in c.iterrows()))

# %% [markdown]
# The chosen design keeps clearly more accuracy at small epsilon than the naive one (the paired gain
# above, and its interval), mostly because it adds noise to fewer, better-filled counts and smooths
# them more. Neither design stops the attacks. Noise lowers the attack success rate only where it lowers
# everything: at small epsilon the model predicts nearly at random, so "success" drifts towards the share
# of rows it would call the target anyway. At the budgets where the model is useful, the backdoor works.
# The next section shows why the guarantee cannot say otherwise.
#
# ## 4. What the guarantee promises about k poisoned rows
#
# **Group privacy.** Two training sets that differ in d add-or-remove steps give outcome probabilities
# within a factor e^(d epsilon). An attacker who *adds* k rows takes d = k steps; one who *changes* k
# rows (a flipped label, a sentence with a trigger) takes d = 2k, a removal and an addition each. For
# each test row, the probability that the model predicts the attacker's target can therefore grow by at
# most e^(2k epsilon), and so can the attack success rate, its average over the test rows (in expectation
# over the noise): ASR(poisoned) <= min(1, e^(2k epsilon) ASR(clean)). We measure both sides for a
# backdoor of k rows, on the chosen design.

# %%
group_grid = dp_grid({"best": best_design}, group_epsilons, seeds=seeds, noise_draws=noise_draws,
                     attacks=[("backdoor", k / len(split.train_texts)) for k in [0, *group_rows]], n_jobs=n_jobs)
clean_side = group_grid[group_grid["n_poisoned"] == 0]
group = []
for epsilon in group_epsilons:
    base = clean_side[clean_side["epsilon"] == epsilon].groupby("seed")["attack_success_rate"].mean()
    base_mean, _, base_high = mean_interval(list(base))
    for k in group_rows:
        part = group_grid[(group_grid["epsilon"] == epsilon) & (group_grid["n_poisoned"] == k)]
        measured = part.groupby("seed")["attack_success_rate"].mean()
        m_mean, m_low, m_high = mean_interval(list(measured))
        group.append({"epsilon": epsilon, "k": k, "steps": 2 * k, "clean_asr": base_mean, "clean_asr_high": base_high,
                      "bound": group_privacy_bound(base_mean, epsilon, 2 * k),
                      "bound_high": group_privacy_bound(base_high, epsilon, 2 * k),
                      "measured": m_mean, "measured_low": m_low, "measured_high": m_high})
group = pd.DataFrame(group)
print(group.round(3).to_string(index=False))

# %%
fig, ax = plt.subplots(figsize=(7.5, 4.2))
colors = dict(zip(group_epsilons, ["#2ca02c", "#1f77b4", "#d62728"]))
for epsilon, part in group.groupby("epsilon"):
    ax.plot(part["k"], part["bound"], linestyle="--", color=colors[epsilon], label=f"bound, epsilon {epsilon:g}")
    ax.errorbar(part["k"], part["measured"], yerr=[part["measured"] - part["measured_low"],
                part["measured_high"] - part["measured"]], marker="o", color=colors[epsilon], capsize=3,
                label=f"measured, epsilon {epsilon:g}")
ax.set_xscale("log", base=2)
ax.set_xlabel("k, backdoored training rows")
ax.set_ylabel("backdoor attack success rate")
ax.set_ylim(0, 1.05)
ax.set_title("The group-privacy bound and the measured attack success")
ax.legend(fontsize=8, ncol=2, loc="lower right")
plt.show()

# %%
vacuous_k = {}
for epsilon in group_epsilons:
    clean_rate = float(group.loc[group["epsilon"] == epsilon, "clean_asr"].iloc[0])
    vacuous_k[epsilon] = max(1, math.ceil(math.log(1 / clean_rate) / (2 * epsilon)))
    print(f"epsilon {epsilon:g}: clean success {clean_rate:.3f}; the bound reaches 1 from k = {vacuous_k[epsilon]} "
          f"changed rows")
course_backdoor_rows = int(round(attack_fractions["backdoor"] * len(split.train_texts)))
within_bound = bool(all(r["measured_low"] <= r["bound_high"] + 1e-12 for _, r in group.iterrows() if r["bound"] < 1))
print(f"The course's {attack_fractions['backdoor']:.0%} backdoor changes {course_backdoor_rows} rows. "
      f"Measured success within the bound wherever it is below 1: {within_bound}")

# %% [markdown]
# The bound holds wherever it says anything, and it says something only for a few rows: the clean model
# already calls a good share of triggered sentences negative, and e^(2k epsilon) grows past any such
# share after a few rows. A realistic backdoor of a few dozen rows is far beyond it. Differential privacy
# limits what *each* row can do; poisoning works by many rows acting together.
#
# ## 5. Robust statistics and TRIM against all four attacks
#
# Two robust trainers, each on the attacks at their fractions of `attack_fractions`:
#
# - `RobustMultinomialNB`: each class's rows are split into 5 disjoint partitions, each partition gives
#   its own word rates, and the model uses their **median** (or their 20% **trimmed mean**).
# - `TrimClassifier`, TRIM (Jagielski et al., 2018): fit, keep the `1 - trim_fraction` of rows with the
#   lowest loss, refit, and repeat until the kept rows stop changing (at most `trim_rounds` refits here).
#   A poisoned row the model has learned has a *low* in-sample loss, so the **in-sample** version can
#   keep exactly the rows it should drop; with **out-of-fold** losses each row is scored by a model that
#   did not train on it. Both, for the Naive Bayes and for the TF-IDF logistic regression.

# %%
trim = {"trim_fraction": trim_fraction, "max_iter": trim_rounds}
trainers = {
    "naive-bayes": ("count-nb", MultinomialNB()),
    "median-nb": ("count-nb", RobustMultinomialNB(statistic="median")),
    "trimmed-mean-nb": ("count-nb", RobustMultinomialNB(statistic="trimmed-mean")),
    "trim-nb in-sample": ("count-nb", TrimClassifier(losses="in-sample", **trim)),
    "trim-nb out-of-fold": ("count-nb", TrimClassifier(losses="out-of-fold", **trim)),
    "logreg": ("tfidf-logreg", LogisticRegression(max_iter=1000)),
    "trim-logreg in-sample": ("tfidf-logreg", TrimClassifier("tfidf-logreg", losses="in-sample", **trim)),
    "trim-logreg out-of-fold": ("tfidf-logreg", TrimClassifier("tfidf-logreg", losses="out-of-fold", cv=3, **trim)),
}
robust = robust_grid(trainers, attack_fractions, seeds=seeds, n_jobs=n_jobs)
robust_summary = {}
for (name, attack), part in robust.groupby(["trainer", "attack"], sort=False):
    robust_summary[(name, attack)] = {m: mean_interval(list(part[m])) if part[m].notna().all() else None
                                      for m in ("clean_accuracy", "poisoned_accuracy", "attack_success_rate")}
print(f"{len(trainers)} trainers x {len(attacks)} attacks x {len(seeds)} seeds: {len(robust)} runs")


# %%
def show(value):
    return "-" if value is None else f"{value[0]:.3f} [{value[1]:.3f}, {value[2]:.3f}]"


table = pd.DataFrame([{"trainer": name, "attack": attack, "poisoned accuracy": show(v["poisoned_accuracy"]),
                       "attack success": show(v["attack_success_rate"])}
                      for (name, attack), v in robust_summary.items()])
print(table.pivot(index="trainer", columns="attack", values="poisoned accuracy").reindex(trainers).to_string())
print()
print(table.pivot(index="trainer", columns="attack", values="attack success")
      .reindex(trainers)[["targeted-flip", "backdoor"]].to_string())


# %% [markdown]
# Which of them helps, and against what? Each robust trainer is compared with its own plain model (Naive
# Bayes or logistic regression) on the same poisoned sets, seed by seed: the paired difference in
# poisoned accuracy, or in attack success for the attacks with a target, with its 95% interval. A
# verdict of "helps" needs the whole interval on the good side.

# %%
def paired(name, attack):
    plain = "naive-bayes" if trainers[name][0] == "count-nb" else "logreg"
    a = robust[(robust["trainer"] == name) & (robust["attack"] == attack)].set_index("seed")
    b = robust[(robust["trainer"] == plain) & (robust["attack"] == attack)].set_index("seed")
    metric = "attack_success_rate" if attack in ("targeted-flip", "backdoor") else "poisoned_accuracy"
    sign = -1 if metric == "attack_success_rate" else 1  # positive: the robust trainer is better
    mean, low, high = mean_interval(list(sign * (a[metric] - b[metric])), bounds=DIFFERENCE)
    verdict = "helps" if low > 0 else ("hurts" if high < 0 else "no clear difference")
    return {"metric": metric, "gain": mean, "low": low, "high": high, "verdict": verdict}


robust_names = [n for n in trainers if n not in ("naive-bayes", "logreg")]
gains = {(n, a): paired(n, a) for n in robust_names for a in attacks}
for n in robust_names:
    print(f"{n}: " + "; ".join(f"{a} {g['gain']:+.3f} [{g['low']:+.3f}, {g['high']:+.3f}] {g['verdict']}"
                               for (m, a), g in gains.items() if m == n))
helped = sorted({f"{n} against {a}" for (n, a), g in gains.items() if g["verdict"] == "helps"})
print(f"\nClear help: {helped if helped else 'none'}")

# %% [markdown]
# Read the lines above as the verdict; they are the measurement, whatever one expects. Partition medians
# and trimmed means do not help against any attack here, and against the targeted flip they hurt badly:
# a flipped label or a trigger lands in every partition in about the same share, so a robust average of
# the partitions' rates does not remove it, while each partition's smaller counts are smoothed more,
# which costs accuracy. TRIM leaves out the rows the current model finds hardest. Against random flips
# that pays a little (the gains above); against the targeted flip it raises the attack's success,
# because the flipped rows, once learned, are not the hardest ones, and honest rows of the attacked
# class are.
#
# ## 6. Every defense of the lesson, side by side
#
# Clean accuracy (trained on clean rows), poisoned accuracy and attack success at each attack's fraction,
# and the cost: accuracy lost without any attack against the plain model, and fit time as a multiple of
# the plain Naive Bayes's on the same rows (a ratio of two times on this machine, so the table prints it
# rounded and the tests do not compare it). The DP rows are the two designs at epsilon 1, from section 3's grid.

# %%
dp_rows = grid[grid["epsilon"] == 1.0]
closing = []
for d in designs:
    clean_acc = dp_rows[(dp_rows["design"] == d) & (dp_rows["attack"] == "none")]["accuracy"].mean()
    for attack in attacks:
        part = dp_rows[(dp_rows["design"] == d) & (dp_rows["attack"] == attack)]
        lost = robust_summary[("naive-bayes", attack)]["clean_accuracy"][0] - clean_acc
        closing.append({"defense": f"dp-nb {d} (eps 1)", "attack": attack, "clean acc": clean_acc,
                        "poisoned acc": part["accuracy"].mean(), "attack success": part["attack_success_rate"].mean(),
                        "acc lost, no attack": lost})
for (name, attack), v in robust_summary.items():
    plain = "naive-bayes" if trainers[name][0] == "count-nb" else "logreg"
    lost = robust_summary[(plain, attack)]["clean_accuracy"][0] - v["clean_accuracy"][0]
    closing.append({"defense": name, "attack": attack, "clean acc": v["clean_accuracy"][0],
                    "poisoned acc": v["poisoned_accuracy"][0],
                    "attack success": None if v["attack_success_rate"] is None else v["attack_success_rate"][0],
                    "acc lost, no attack": lost})
closing = pd.DataFrame(closing)
print(closing.pivot_table(index="defense", columns="attack", values="poisoned acc").round(3).to_string())

# %%
print(closing.pivot_table(index="defense", columns="attack", values="attack success")
      [["targeted-flip", "backdoor"]].round(3).to_string())
print()
costs = closing.groupby("defense", sort=False)[["clean acc", "acc lost, no attack"]].first()
print(costs.round(3).to_string())

# %% [markdown]
# The closing table puts it all on one line per defense: its cost (accuracy lost without an attack, fit
# time as a multiple of plain Naive Bayes on the same clean rows) beside its poisoned accuracy (`acc`) and
# attack success (`asr`) under each attack. The DP fits are timed here, one fit per design on the clean
# rows of each seed, the rows the other clean fits were timed on. Times differ from run to
# run; everything else in the table is printed, and checked, above.

# %%
# NBVAL_IGNORE_OUTPUT
fit_seconds = robust.groupby("trainer", sort=False)["clean_seconds"].mean().to_dict()
fit_seconds.update({f"dp-nb {d} (eps 1)": v for d, v in dp_fit_seconds(designs, 1.0, seeds=seeds).items()})
wide = closing.pivot_table(index="defense", columns="attack", values=["poisoned acc", "attack success"], sort=False)
closing_table = costs.copy()
closing_table["fit x NB"] = [fit_seconds[name] / fit_seconds["naive-bayes"] for name in closing_table.index]
for attack in attacks:
    closing_table[f"{attack} acc"] = wide[("poisoned acc", attack)]
    if attack in ("targeted-flip", "backdoor"):
        closing_table[f"{attack} asr"] = wide[("attack success", attack)]
print(closing_table.round({"fit x NB": 1}).round(3).to_string())

# %% [markdown]
# ## Playground: epsilon and max_words
#
# Move epsilon (from 0.1 to 10) and the most words one row may contribute, and watch the
# DP Naive Bayes's accuracy and the success of a 3% backdoor, averaged over three seeds (the sliders
# update when you release them). The vocabulary is 4096 hashed buckets and alpha 30. The cell below draws
# the same figure at the default setting; `course_utils.playgrounds.dp_playground` is the plain function
# behind both.

# %%
from course_utils.playgrounds import dp_explorer, dp_playground, format_numbers

figure, playground_numbers = dp_playground(epsilon=1.0, max_words=5)
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(dp_explorer())

# %% [markdown]
# ## Summary

# %%
bd_best = success[("best", "backdoor")].loc[1.0, "mean"]
print(f"- One far point moves the mean of x by {pull['mean']:.2f}, the median by {pull['median']:.2f}.")
print(f"- DP Naive Bayes at epsilon 1: naive design {at_one['naive']['mean']:.3f} "
      f"[{at_one['naive']['low']:.3f}, {at_one['naive']['high']:.3f}], chosen design ({best_name}) "
      f"{at_one['best']['mean']:.3f} [{at_one['best']['low']:.3f}, {at_one['best']['high']:.3f}]; "
      f"without noise {no_noise['naive']:.3f} and {no_noise['best']:.3f}.")
print(f"- A {attack_fractions['backdoor']:.0%} backdoor still succeeds on {bd_best:.3f} of the triggered rows "
      f"at epsilon 1.")
print(f"- The group-privacy bound becomes vacuous at k = {vacuous_k} changed rows (by epsilon); the course's "
      f"backdoor changes {course_backdoor_rows}. Measured within the bound where it is below 1: {within_bound}.")
print(f"- Robust trainers with a clear paired gain: {helped if helped else 'none'}.")

# %% [markdown]
# What to take away: differential privacy gives an exact promise about single rows, and the chosen
# design keeps much more accuracy than a naive one; but poisoning is many rows acting together, and
# the promise fades after a handful of them. Robust statistics over partitions and loss-based trimming
# answer a different question (which rows look unusual to the model), and on this data they buy little
# or nothing against attacks whose rows look ordinary. Lesson 07 tries partition ensembles
# with a certificate: a vote that counts how many rows it can survive.
#
# **Exercises:** `exercises/06_robust_learning_ex.ipynb` asks you to write the Laplace mechanism, the
# group-privacy bound, a trimmed mean and one TRIM step yourself.

# %%
_ = record_results(record_path,
    seeds=seeds, epsilons=[e if math.isfinite(e) else "inf" for e in epsilons], attack_fractions=attack_fractions,
    pull=pull, inline_agrees=inline_agrees, inf_is_multinomial_nb=inf_is_multinomial_nb,
    best_design=best_design, best_name=best_name,
    accuracy={d: {str(e): dict(r) for e, r in c.iterrows()} for d, c in accuracy_curves.items()},
    paired_gain_at_one={"mean": gap_mean, "low": gap_low, "high": gap_high},
    attack_success={f"{d} {a}": {str(e): dict(r) for e, r in c.iterrows()} for (d, a), c in success.items()},
    group_privacy=group.to_dict(orient="records"), vacuous_k={str(k): v for k, v in vacuous_k.items()},
    within_bound=within_bound,
    robust={f"{n} | {a}": v for (n, a), v in robust_summary.items()},
    gains={f"{n} | {a}": g for (n, a), g in gains.items()},
)
