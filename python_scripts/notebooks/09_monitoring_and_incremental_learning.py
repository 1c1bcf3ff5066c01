# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 09 · Monitoring and incremental learning
#
# Microsoft's Tay learned from the people who talked to it. It went live on 23 March 2016 and was
# taken offline after about 16 hours, once "a coordinated effort by some users" had taught it what they
# wanted. The reference asks for two things that belong together: **continuous monitoring** ("set up
# alerts for unusual changes in model performance") and **incremental learning** (the model "updates
# its parameters continuously with new incoming data", which "can help detect and mitigate poisoning
# over time"). In this lesson the course's model learns from a stream of review sentences, half an hour
# of traffic per batch, 16 hours in all. Part-way through, a coordinated group floods it, a patient
# attacker drips poison in, and a third plants a backdoor. You will watch seven monitors, calibrate
# every alarm to a false-alarm rate chosen in advance, roll the model back to a checkpoint whose hash
# you verify first, and measure over many streams how fast each monitor is, how often it cries wolf,
# and what damage is done before and after the rollback. Some of it works very well, and some does not.
#
# **Learning objectives**
#
# - Train the course's Naive Bayes online, batch by batch, as count arrays, and show that this is
#   exactly scikit-learn's `MultinomialNB.partial_fit`.
# - Watch a model on a trusted canary set (accuracy, per-class recall, predicted share, a
#   Kolmogorov-Smirnov test) and each incoming batch (label balance, token drift), and write a
#   Page-Hinkley change detector.
# - Calibrate every threshold on clean streams to a stated false-alarm rate, and check the rate on
#   other streams.
# - Checkpoint after every batch with a SHA-256, refuse a corrupted checkpoint, roll back and replay
#   the quarantined batches without their poisoned rows.
# - Measure, over 20 streams per attack, each monitor's delay, false alarms and the damage before and
#   after a rollback, and say plainly which attacks the monitors miss.
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

from course_utils.metrics import mean_interval
from course_utils.monitoring import (
    MONITORS,
    STREAM_DEFAULTS,
    calibrate_monitors,
    make_stream,
    monitor_statistics,
    run_streams,
    shared_stream_data,
    simulate_stream,
    summarize_streams,
)
from course_utils.notebook import record_results
from course_utils.plotting import use_house_style

use_house_style()
sklearn.set_config(display="text")
pd.set_option("display.width", 120)

# %% [markdown]
# The lesson's knobs. `seed` is the stream of the walk-through; `seeds` are the evaluation streams
# (20 per attack) and `calibration_seeds` the clean streams the thresholds are calibrated on: the two
# must not share a seed. `alpha` is the per-batch false-alarm rate every monitor is calibrated to,
# chosen before any result is seen. An alarm quarantines `lookback` batches (the alarm batch and the
# ones before it). `drip_rates` are the drip's rows per batch to try, `drip_horizon` how many batches
# after its start an alarm must come to count as catching it, and `rate_limit` the rows a contributor
# may send per batch in the last part.

# %% tags=["parameters"]
seed = 0
seeds = list(range(20))
calibration_seeds = list(range(1000, 1040))
alpha = 0.01
lookback = 4
drip_rates = [1, 2, 4, 8, 16]
drip_horizon = 8
rate_limit = 2
record_path = ""

# %%
if set(seeds) & set(calibration_seeds):
    raise ValueError("seeds and calibration_seeds must be disjoint: thresholds are calibrated on other streams")
if seed not in seeds:
    raise ValueError(f"seed ({seed}) must be one of seeds ({seeds}): the walk-through is one of the measured streams")
data = shared_stream_data()
shape = STREAM_DEFAULTS
minutes = 16 * 60 // shape["n_batches"]
print(f"{len(data)} sentences; a stream: {shape['warmup_size']} warm-up rows, a canary set of {shape['canary_size']}, "
      f"{shape['n_batches']} batches of {shape['batch_size']} rows")
print(f"16 hours of Tay's life at {minutes} minutes a batch; the attacks start at batch {shape['attack_start']} "
      f"(hour {shape['attack_start'] * minutes / 60:g})")
print(f"The attacker's target label: {data.target_label!r}; the phrase {data.phrase!r}; the trigger {data.trigger!r}")

# %% [markdown]
# ## 1. A model that keeps learning
#
# The model is the course's: word counts and multinomial Naive Bayes. To learn online it needs a
# vectoriser that never has to be refitted, so the stream uses `HashingVectorizer` with non-negative
# counts (`alternate_sign=False, norm=None`): the same words as `CountVectorizer`, each sent to one of
# a fixed number of buckets. Every sentence is vectorised once, before the stream starts.
#
# Naive Bayes learns by counting: `partial_fit` adds the batch's counts of every word in every class.
# `course_utils.monitoring.OnlineNaiveBayes` keeps exactly those count arrays, and that is the whole
# model: a checkpoint is two arrays. Here the stream of `seed`, with no attack, learned batch by batch by
# both models.

# %%
from sklearn.naive_bayes import MultinomialNB

from course_utils.monitoring import OnlineNaiveBayes

clean_stream = make_stream(data, "none", seed=seed)
classes = data.classes
ours = OnlineNaiveBayes().partial_fit(data.X[clean_stream.warmup], classes[data.codes[clean_stream.warmup]],
                                      classes=classes)
theirs = MultinomialNB().partial_fit(data.X[clean_stream.warmup], classes[data.codes[clean_stream.warmup]],
                                     classes=classes)
canary_X, canary_y = data.X[clean_stream.canary], classes[data.codes[clean_stream.canary]]
accuracy_by_batch = [np.mean(ours.predict(canary_X) == canary_y)]
for t in range(clean_stream.n_batches):
    X, codes = clean_stream.batch_matrix(t)
    ours.partial_fit(X, classes[codes])
    theirs.partial_fit(X, classes[codes])
    accuracy_by_batch.append(np.mean(ours.predict(canary_X) == canary_y))
same_as_sklearn = bool(np.array_equal(ours.feature_count_, theirs.feature_count_)
                       and np.allclose(ours.predict_proba(canary_X), theirs.predict_proba(canary_X)))
print(f"OnlineNaiveBayes equals MultinomialNB.partial_fit (counts and probabilities): {same_as_sklearn}")
print(f"Canary accuracy: {accuracy_by_batch[0]:.3f} after the warm-up, {accuracy_by_batch[-1]:.3f} "
      f"after {clean_stream.n_batches} clean batches")

# %% [markdown]
# ## 2. Three attackers on the stream
#
# Every row of the stream carries a contributor id. Three attacks, each reproducible from the stream's
# seed (the clean rows are the same whatever the attack, so every attacked stream has an unpoisoned twin):
#
# - the **burst**: eight accounts send 40 extra rows a batch for three batches, real positive
#   sentences with the phrase added and the label flipped to negative, a coordinated effort;
# - the **drip**: one account sends 2 such rows a batch from the same batch to the end of the stream;
# - the **backdoor**: two accounts send 4 rows a batch of positive sentences with the rare trigger
#   added, labelled negative.
#
# The attack success rate is measured as in the rest of the course, on 300 positive sentences held out
# of the stream with the phrase (or the trigger) inserted: the share predicted negative.

# %%
burst_stream = make_stream(data, "burst", seed=seed)
start = burst_stream.attack_start
rows_of = {attack: sum(int(p.sum()) for p in make_stream(data, attack, seed=seed).poisoned)
           for attack in ("burst", "drip", "backdoor")}
example = burst_stream.rows[start][burst_stream.poisoned[start]][0]
print(f"Poisoned rows in the whole stream: {rows_of}")
print(f"A burst row: {data.texts[example]!r} + {data.phrase!r}, labelled {data.target_label!r} "
      f"(it was {str(classes[data.codes[example]])!r})")
accounts = len(set(burst_stream.contributors[start][burst_stream.poisoned[start]]))
print(f"Batch {start} holds {len(burst_stream.rows[start])} rows, {int(burst_stream.poisoned[start].sum())} "
      f"of them the attacker's, from {accounts} accounts")

# %% [markdown]
# ## 3. Seven monitors, each calibrated to a false-alarm rate
#
# After every batch the model is checkpointed and every monitor computes one number, higher meaning
# more alarming (`MONITORS` says what each measures). Five read the trusted **canary set**, 300
# labelled sentences held out of the stream: its accuracy and per-class recall against the previous four
# checkpoints, the share it predicts as the target class, a Kolmogorov-Smirnov statistic between the
# predicted probabilities now and four checkpoints ago, and a **Page-Hinkley** detector on the canary
# error. Two read the **incoming batch**: how far its share of the target label is from the warm-up
# data's (a z score), and its token drift against the warm-up data (a population stability index over
# the hashed words).
#
# Page-Hinkley, written out: accumulate how far each error sits above its running mean, minus a
# tolerance `delta`, and report how far the sum has risen above its lowest point so far.

# %%
from course_utils.monitoring import page_hinkley


def page_hinkley_inline(errors, delta=0.005):
    errors = np.asarray(errors, dtype=float)
    running_mean = np.cumsum(errors) / np.arange(1, len(errors) + 1)
    m = np.cumsum(errors - running_mean - delta)
    return m - np.minimum.accumulate(m)


burst = simulate_stream(data, "burst", seed=seed)
canary_error = 1 - burst["attacked"]["canary_accuracy"]
inline_agrees = bool(np.allclose(page_hinkley_inline(canary_error), page_hinkley(canary_error)) and np.allclose(
    page_hinkley_inline(canary_error)[1:], burst["attacked"]["statistics"]["page-hinkley"]))
print(f"The inline Page-Hinkley equals course_utils.monitoring.page_hinkley and the stream's monitor: {inline_agrees}")
for name, statistic in MONITORS.items():
    print(f"{name:<16} {statistic}")

# %% [markdown]
# No threshold is chosen by hand. Each is calibrated on clean streams (`calibration_seeds`, none of them
# an evaluation stream) so that at most a share `alpha` of clean batches exceeds it: the empirical
# `1 - alpha` quantile of the monitor's values there. One alarm per hundred clean batches per monitor
# is the price we agree to pay before seeing any attack.

# %%
monitors = calibrate_monitors(data, calibration_seeds, alpha)
thresholds = {name: monitor.threshold_ for name, monitor in monitors.items()}
n_calibration = monitors["label-balance"].n_calibration_values_
print(f"Calibrated on {len(calibration_seeds)} clean streams ({n_calibration} batches) at alpha = {alpha}:")
print(pd.Series(thresholds).round(4).to_string())

# %% [markdown]
# ## 4. The burst, caught and rolled back
#
# Now the walk-through stream with the burst, learned batch by batch with a checkpoint on disk after
# every batch (the count arrays as `.npz`, with their SHA-256 kept in memory), in a temporary folder.
# The statistics are the same as `simulate_stream` computes for many streams at once.

# %%
import tempfile

from course_utils.monitoring import CheckpointError, CheckpointStore, rollback_checkpoint

folder = tempfile.TemporaryDirectory()
store = CheckpointStore(folder.name)
model = OnlineNaiveBayes().partial_fit(data.X[burst_stream.warmup], classes[data.codes[burst_stream.warmup]],
                                       classes=classes)
store.save(0, model)
for t in range(burst_stream.n_batches):
    X, codes = burst_stream.batch_matrix(t)
    store.save(t + 1, model.partial_fit(X, classes[codes]))
statistics = monitor_statistics(burst_stream)["statistics"]
alarms = {name: statistics[name] > thresholds[name] for name in MONITORS}
first_alarm = {name: next((t for t in range(start, burst_stream.n_batches) if alarms[name][t]), None)
               for name in MONITORS}
alarm_batch = min(t for t in first_alarm.values() if t is not None)
same_statistics = all(np.allclose(statistics[n], burst["attacked"]["statistics"][n]) for n in MONITORS)
print(f"{len(store.hashes)} checkpoints written; checkpoint 1's SHA-256 begins {store.hashes[1][:12]}")
print(f"Statistics equal simulate_stream's: {same_statistics}")
print(f"First alarm at or after batch {start}, per monitor: {first_alarm}")
print(f"The first alarm comes at batch {alarm_batch}, {alarm_batch - start} batches after the burst began")

# %% [markdown]
# The response: quarantine the `lookback` batches that end with the alarm batch, roll back to the
# checkpoint just before them, and, after review, replay them without the poisoned rows. The rollback
# loads a checkpoint only after its bytes match the recorded hash. First, what happens to a checkpoint
# someone has altered on disk.

# %%
target = rollback_checkpoint(alarm_batch, lookback)
path = store.path(target)
original = path.read_bytes()
tampered = bytearray(original)
tampered[len(tampered) // 2] ^= 0xFF
path.write_bytes(bytes(tampered))
try:
    store.load(target)
    refused = False
except CheckpointError as error:
    refused = True
    print(f"Refused: {error}")
path.write_bytes(original)
restored = store.load(target)
for t in range(target, alarm_batch + 1):  # replay the quarantined batches without their poisoned rows
    X, codes = burst_stream.batch_matrix(t, keep_poison=False)
    restored.partial_fit(X, classes[codes])
canary_X, canary_y = data.X[burst_stream.canary], classes[data.codes[burst_stream.canary]]
accuracy_rolled_back = float(np.mean(restored.predict(canary_X) == canary_y))
print(f"Rolled back to checkpoint {target} (before batch {target}), replayed batches {target}-{alarm_batch}")

# %%
at = alarm_batch + 1  # the checkpoint after the alarm batch
poisoned_accuracy, twin_accuracy = burst["attacked"]["canary_accuracy"][at], burst["clean"]["canary_accuracy"][at]
attack_rows = burst_stream.attack_rows()
success_rolled_back = float(np.mean(restored.predict(attack_rows) == data.target_label))
print(f"At the alarm: canary accuracy {poisoned_accuracy:.3f} (unpoisoned twin {twin_accuracy:.3f}), attack success "
      f"{burst['attacked']['attack_success'][at]:.3f} (twin {burst['clean']['attack_success'][at]:.3f})")
print(f"After the rollback: canary accuracy {accuracy_rolled_back:.3f}, attack success {success_rolled_back:.3f}")
print(f"Without any response, at the stream's end: canary accuracy {burst['attacked']['canary_accuracy'][-1]:.3f}, "
      f"attack success {burst['attacked']['attack_success'][-1]:.3f}")
folder.cleanup()

# %% [markdown]
# The timeline of that stream: Tay's 16 hours, the burst, the first alarm and the rollback.

# %%
hours = np.arange(burst_stream.n_batches + 1) * minutes / 60
fig, ax = plt.subplots(figsize=(9, 4.2))
ax.plot(hours, burst["clean"]["canary_accuracy"], color="#7f7f7f", linestyle="--", label="canary accuracy, no attack")
ax.plot(hours, burst["attacked"]["canary_accuracy"], color="#1f77b4", label="canary accuracy, burst")
ax.plot(hours, burst["attacked"]["attack_success"], color="#d62728", label="attack success, no response")
ax.axvspan(hours[start], hours[burst_stream.attack_batches[-1] + 1], color="#d62728", alpha=0.08, label="the burst")
ax.axvline(hours[at], color="black", linewidth=1.3, label=f"first alarm (batch {alarm_batch})")
ax.plot([hours[at]], [accuracy_rolled_back], marker="o", color="#2ca02c", markersize=9, linestyle="none",
        label="canary accuracy after rollback")
ax.plot([hours[at]], [success_rolled_back], marker="s", color="#2ca02c", markersize=9, linestyle="none",
        label="attack success after rollback")
ax.set_ylim(0, 1.02)
ax.set_title(f"A Tay-style burst on stream {seed}: caught, rolled back")
ax.set_xlabel("hours since the model went live (a batch every 30 minutes)")
ax.set_ylabel("share of sentences")
ax.legend(fontsize=8, loc="center right")
plt.show()

# %% [markdown]
# ## 5. Measured over many streams
#
# One stream is a story, not a measurement. `run_streams` runs every evaluation seed for each attack
# (and the clean streams), with every monitor's first alarm at or after the attack's start, the
# damage at that alarm against the unpoisoned twin at the same batch, and the rollback and replay
# above. "any" is the union of the seven: an alarm when at least one monitor raises one.

# %%
rows = []
for attack in ("none", "burst", "drip", "backdoor"):
    rows += run_streams(data, attack, seeds, monitors, lookback=lookback)
summary = pd.DataFrame(summarize_streams(rows))
clean_rates = summary[summary.attack == "none"].set_index("monitor")["false_alarms_per_100"]
table = summary[summary.attack != "none"].set_index(["attack", "monitor"])
table = table.assign(false_alarms_per_100=[clean_rates[m] for _, m in table.index])
columns = {"caught": "caught", "mean_delay": "delay", "false_alarms_per_100": "false/100",
           "accuracy_lost_at_alarm": "acc lost", "attack_success_at_alarm": "ASR at alarm",
           "accuracy_lost_after_rollback": "acc lost after", "attack_success_after_rollback": "ASR after",
           "clean_attack_success": "ASR twin"}
print(f"{len(seeds)} streams per attack; delay in batches (over caught streams); false alarms per 100 clean batches")
print(table[list(columns)].rename(columns=columns).round(3).to_string())

# %% [markdown]
# **False alarms.** On the clean streams, each monitor's rate of false alarms, with the course's 95%
# interval over streams (alarms within one stream are not independent, so the interval is taken over
# the streams' rates), against the calibrated rate.

# %%
clean_rows = pd.DataFrame([r for r in rows if r["attack"] == "none"])
clean_rows["rate"] = clean_rows.false_alarms / clean_rows.clean_batches
false_alarm_check = {}
for name in [*MONITORS, "any"]:
    rate, low, high = mean_interval(clean_rows[clean_rows.monitor == name].rate.to_numpy())
    false_alarm_check[name] = {"rate": rate, "low": low, "high": high}
check_table = pd.DataFrame(false_alarm_check).T
check_table["within"] = check_table.low <= alpha
print(check_table.round(4).to_string())
within = bool(check_table.loc[list(MONITORS), "within"].all())
n_clean_batches = int(clean_rows[clean_rows.monitor == "any"].clean_batches.sum())
print(f"Every monitor at or below alpha = {alpha} within its interval, over {n_clean_batches} clean batches: {within}")
print(f"The union of the seven raises {check_table.loc['any', 'rate']:.3f} false alarms per batch: "
      f"seven monitors each allowed {alpha} add up")

# %% [markdown]
# **The burst** is caught in every stream, and rolling back to the checkpoint before the quarantined
# batches brings the canary accuracy back to the unpoisoned stream's.

# %%
any_burst = table.loc[("burst", "any")]
burst_caught_all = bool(any_burst.caught == len(seeds))
burst_rows = pd.DataFrame([r for r in rows if r["attack"] == "burst" and r["monitor"] == "any"])
rollback_gap = float((burst_rows.clean_canary_accuracy - burst_rows.canary_accuracy_after_rollback).abs().max())
caught_by = {m: int(table.loc[("burst", m)].caught) for m in MONITORS}
print(f"Burst caught by at least one monitor in {int(any_burst.caught)} of {len(seeds)} streams, "
      f"delay {any_burst.mean_delay:.2f} batches on average (at most {int(any_burst.max_delay)})")
print(f"Streams caught, per monitor: {caught_by}")
print(f"Largest gap to the unpoisoned stream's canary accuracy after rollback: {rollback_gap:.3f}")
print(f"Attack success at the alarm {any_burst.attack_success_at_alarm:.3f}, after the rollback "
      f"{any_burst.attack_success_after_rollback:.3f} (the twin: {any_burst.clean_attack_success:.3f})")

# %% [markdown]
# **The drip and the backdoor** are another matter. Read the table's `drip` and `backdoor` rows: the
# monitors that catch the burst fastest catch these in only some streams, late, and after the
# attack has done most of its work. Part of what they do catch is no better than chance: an unpoisoned
# twin raises alarms too. Here are the numbers side by side.

# %%
slow = {}
for attack in ("drip", "backdoor"):
    group = pd.DataFrame([r for r in rows if r["attack"] == attack and r["monitor"] == "any"])
    twin_caught = int(group.twin_first_alarm_batch.notna().sum())
    slow[attack] = {"caught": int(group.delay.notna().sum()), "twin_alarms": twin_caught,
                    "final_attack_success": float(group.final_attack_success.mean()),
                    "final_twin_attack_success": float(group.final_clean_attack_success.mean()),
                    "accuracy_lost_at_end": float((group.final_clean_canary_accuracy
                                                   - group.final_canary_accuracy).mean())}
print(pd.DataFrame(slow).T.round(3).to_string())
for attack, values in slow.items():
    print(f"{attack}: an alarm after its start in {values['caught']} of {len(seeds)} streams, and in "
          f"{values['twin_alarms']} of their unpoisoned twins over the same batches; by the end its attack success "
          f"is {values['final_attack_success']:.3f} (twin {values['final_twin_attack_success']:.3f}) while the "
          f"canary accuracy lost is {values['accuracy_lost_at_end']:.3f}")

# %% [markdown]
# ## 6. The slow drip against a rate limit
#
# A rate limit caps how many rows one contributor may send per batch. It cannot stop a drip that stays
# under it; it only caps the drip's rate. So the question is at what rate the monitors start to catch a
# drip from one account. Here the drip at each rate in `drip_rates`, over the same streams: the share of
# streams where any monitor raises an alarm within `drip_horizon` batches of the drip's start, beside
# the same share for the unpoisoned twins (false alarms), and the attack success at the stream's end.

# %%
from course_utils.monitoring import drip_catch, drip_sweep

drip_rows = [r for r in rows if r["attack"] == "drip"]  # section 5's drip, at the stream's default rate
others = [r for r in drip_rates if r != shape["drip_rows"]]
sweep = drip_sweep(data, others, seeds, monitors, horizon=drip_horizon, lookback=lookback)
if shape["drip_rows"] in drip_rates:
    sweep.append(drip_catch(drip_rows, horizon=drip_horizon))
sweep = pd.DataFrame(sweep).sort_values("rate").reset_index(drop=True)
sweep["excess"] = sweep.catch_rate - sweep.twin_alarm_rate
print(sweep[["rate", "catch_rate", "twin_alarm_rate", "excess", "final_attack_success",
             "final_clean_attack_success"]].round(3).to_string(index=False))
caught_rates = sweep[(sweep.catch_rate >= 0.9) & (sweep.excess >= 0.5)].rate
caught_from = int(caught_rates.min()) if len(caught_rates) else None
at_limit = sweep[sweep.rate == rate_limit]
if caught_from is None:
    print(f"No drip rate tried up to {max(drip_rates)} rows a batch is caught in 90% of streams (and in at least "
          f"half more streams than its twins) within {drip_horizon} batches.")
else:
    print(f"The drip starts to be caught (90% of streams, half more than the twins) at {caught_from} rows a batch.")
if len(at_limit):
    limited = at_limit.iloc[0]
    print(f"Under a rate limit of {rate_limit} rows a batch, one account's drip is caught in {limited.catch_rate:.0%} "
          f"of streams (twins {limited.twin_alarm_rate:.0%}) and ends with attack success "
          f"{limited.final_attack_success:.3f} (unpoisoned {limited.final_clean_attack_success:.3f}).")

# %% [markdown]
# ## Playground: burst size and rate limit
#
# How big must a coordinated burst be to be caught at once, and what does a rate limit change? Move
# the sliders (they update when you release them): the burst's rows per batch, from the attacker's
# eight accounts, and the rows a contributor may send per batch. The figure shows the stream of seed 0,
# its unpoisoned twin and the first alarm; the numbers give the delay and the damage at the alarm and
# after the rollback. The cell below draws the default setting, so it shows even where widgets cannot
# run. `course_utils.playgrounds.monitoring.stream_playground` is the plain function behind both.

# %%
from course_utils.playgrounds import format_numbers
from course_utils.playgrounds.monitoring import stream_explorer, stream_playground

figure, playground_numbers = stream_playground(burst_rows=40, rate_limit=0)
plt.show()
print(format_numbers(playground_numbers))

# %% tags=["widgets"]
# NBVAL_IGNORE_OUTPUT
# Live controls: they need a running kernel (JupyterLab, not a static page).
display(stream_explorer())

# %% [markdown]
# ## Summary

# %%
print(f"- Online Naive Bayes on count arrays equals MultinomialNB.partial_fit: {same_as_sklearn}.")
print(f"- Thresholds calibrated to alpha = {alpha} on {len(calibration_seeds)} clean streams; on {len(seeds)} other "
      f"clean streams every monitor's false-alarm rate is at or below alpha within its interval: {within}.")
print(f"- The burst is caught in {int(any_burst.caught)} of {len(seeds)} streams, after {any_burst.mean_delay:.2f} "
      f"batches on average; the rollback leaves at most {rollback_gap:.3f} canary accuracy below the unpoisoned "
      f"stream, and attack success falls from {any_burst.attack_success_at_alarm:.3f} to "
      f"{any_burst.attack_success_after_rollback:.3f}.")
print(f"- The drip ({shape['drip_rows']} rows a batch) reaches attack success "
      f"{slow['drip']['final_attack_success']:.3f} by the end, "
      f"losing {slow['drip']['accuracy_lost_at_end']:.3f} canary accuracy; the backdoor "
      f"{slow['backdoor']['final_attack_success']:.3f}, losing {slow['backdoor']['accuracy_lost_at_end']:.3f}.")
print(f"- The drip starts to be caught at {caught_from} rows a batch." if caught_from else
      f"- No drip rate up to {max(drip_rates)} rows a batch is caught reliably within {drip_horizon} batches.")
print(f"- A corrupted checkpoint is refused before anything is loaded: {refused}.")

# %% [markdown]
# What to take away: monitoring catches what moves the numbers it watches. A coordinated burst moves
# the label balance of its batches and the canary's accuracy, and a calibrated alarm, a verified
# checkpoint and a replay without the poisoned rows undo it. A drip or a backdoor aimed at a phrase the
# canary set never contains moves neither: the canary accuracy barely changes while the attacker's
# phrase or trigger is learned, and the token drift over the whole vocabulary is lost in the noise of
# ordinary batches. Those need monitors of what the attacker wants (a canary set holding the phrases you
# care about, per-contributor statistics), or the defenses of lessons 05 and 10 before the data
# reaches the model. A rate limit bounds how fast one account can poison, not whether it can.
#
# To explore, change the parameters cell and re-run: other `seeds`, a different `alpha`, a longer
# `lookback`, other `drip_rates`.
#
# **Exercises:** `exercises/09_monitoring_and_incremental_learning_ex.ipynb` asks you to write the
# Page-Hinkley detector, calibrate a threshold to a false-alarm rate, compute a detection delay and
# pick the checkpoint to roll back to.

# %%
_ = record_results(record_path,
    seeds=seeds, calibration_seeds=calibration_seeds, alpha=alpha, lookback=lookback,
    same_as_sklearn=same_as_sklearn, inline_agrees=inline_agrees, same_statistics=same_statistics,
    thresholds=thresholds, false_alarm_check=false_alarm_check, false_alarms_within=within,
    burst_caught_all=burst_caught_all, burst_caught=int(any_burst.caught),
    burst_mean_delay=float(any_burst.mean_delay), burst_max_delay=int(any_burst.max_delay),
    rollback_gap=rollback_gap, refused_corrupted=refused,
    walkthrough={"alarm_batch": alarm_batch, "rollback_checkpoint": target,
                 "accuracy_rolled_back": accuracy_rolled_back, "twin_accuracy": float(twin_accuracy)},
    table=table.reset_index().to_dict(orient="records"),
    slow=slow, drip_sweep=sweep.to_dict(orient="records"), drip_caught_from=caught_from,
    playground=playground_numbers,
)
