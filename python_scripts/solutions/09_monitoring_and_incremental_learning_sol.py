# ---
# jupyter:
#   course:
#     exercise: 09_monitoring_and_incremental_learning
#     kind: solution
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercises 09 · Monitoring and incremental learning
#
# These exercises go with `notebooks/09_monitoring_and_incremental_learning.ipynb`. You will write the
# Page-Hinkley change detector, calibrate an alarm threshold to a false-alarm rate, measure a detection
# delay and pick the checkpoint to roll back to after an alarm.
#
# **How this works.** Write your code where you see `...` or `# Write your code here`, then run the
# cell: the `check(...)` line at its end tells you at once whether your answer is right, or gives a hint.
# Run the notebook from the top (Kernel → Restart and Run All) before you hand it in.
#
# Estimated time: 30 minutes.

# %% [markdown]
# **Learning objectives.** After these exercises you will be able to:
#
# - Write the Page-Hinkley statistic for an increase of a stream's mean (Q1).
# - Calibrate an alarm threshold on clean values to a chosen false-alarm rate (Q2).
# - Measure a monitor's detection delay from its alarms (Q3).
# - Choose the checkpoint a rollback must load after an alarm (Q4).

# %% [markdown]
# ## Setup

# %%
import numpy as np

from course_utils.checks import check
from course_utils.monitoring import calibrate_monitors, shared_stream_data, simulate_stream


# %% [markdown]
# ## Q1 · The Page-Hinkley detector
#
# Write `page_hinkley_statistic(values, delta)`. After each value `x_t` it returns
# `PH_t = m_t - min(m_0, ..., m_t)`, where `m_t` is the sum over `i <= t` of
# `x_i - mean(x_0, ..., x_i) - delta`: each value's distance above the running mean of the values so
# far, minus the tolerance `delta`. Return one number per value (a list or an array).

# %%
def page_hinkley_statistic(values, delta):
    """The Page-Hinkley statistic after each value."""
    # BEGIN SOLUTION
    x = np.asarray(values, dtype=float)
    running_mean = np.cumsum(x) / np.arange(1, len(x) + 1)
    m = np.cumsum(x - running_mean - delta)
    return m - np.minimum.accumulate(m)
    # END SOLUTION


check("q09_page_hinkley", page_hinkley_statistic)


# %% [markdown]
# ## Q2 · A threshold for a false-alarm rate
#
# Write `calibrate(clean_values, alpha)`: given a monitor's values on clean batches, return the
# threshold such that at most a share `alpha` of those values is above it (an alarm is a value above
# the threshold), and no stricter than that: the `1 - alpha` quantile of the clean values.

# %%
def calibrate(clean_values, alpha):
    """A threshold that at most a share alpha of the clean values exceed."""
    # BEGIN SOLUTION
    return float(np.quantile(np.asarray(clean_values, dtype=float), 1 - alpha))
    # END SOLUTION


check("q09_calibrate", calibrate)


# %% [markdown]
# ## Q3 · The detection delay
#
# Write `delay(alarms, attack_start)`: `alarms` holds one True/False per batch, `attack_start` the
# attack's first batch. Return how many batches after `attack_start` the first alarm at or after it
# comes (0 when it comes in the attack's first batch), or `None` when no alarm comes. An alarm before
# the attack is a false alarm, not a detection.

# %%
def delay(alarms, attack_start):
    """Batches from attack_start to the first alarm at or after it; None without one."""
    # BEGIN SOLUTION
    for batch in range(attack_start, len(alarms)):
        if alarms[batch]:
            return batch - attack_start
    return None
    # END SOLUTION


check("q09_delay", delay)


# %% [markdown]
# ## Q4 · Which checkpoint?
#
# Checkpoint `k` is the model **before** batch `k` (checkpoint 0 is the warm-up model). An alarm at
# batch `alarm_batch` quarantines the `lookback` batches that end with it. Write
# `pick_checkpoint(alarm_batch, lookback)`: the checkpoint to roll back to, the one just before the
# first quarantined batch, and never one before checkpoint 0.

# %%
def pick_checkpoint(alarm_batch, lookback):
    """The checkpoint before the quarantined batches."""
    # BEGIN SOLUTION
    return max(0, alarm_batch - lookback + 1)
    # END SOLUTION


check("q09_checkpoint", pick_checkpoint)

# %% [markdown]
# ## Your functions on a stream
#
# Your answers on one of the lesson's streams with a burst: the label-balance monitor's threshold from
# your `calibrate` on ten clean streams, its delay and the checkpoint you would load. (This cell runs
# once your answers are written.)

# %%
data = shared_stream_data()
clean_values = np.concatenate([simulate_stream(data, "none", seed=s)["clean"]["statistics"]["label-balance"]
                               for s in range(1000, 1010)])
course_threshold = calibrate_monitors(data, range(1000, 1010), 0.01)["label-balance"].threshold_
burst = simulate_stream(data, "burst", seed=0)
stream = burst["stream"]
threshold = calibrate(clean_values.tolist(), 0.01)
if isinstance(threshold, (int, float, np.floating)):
    alarms = (burst["attacked"]["statistics"]["label-balance"] > threshold).tolist()
    found = delay(alarms, stream.attack_start)
    print(f"Your threshold {threshold:.3f} (the course's {course_threshold:.3f}); delay {found} batches")
    checkpoint = pick_checkpoint(stream.attack_start + found, 4) if isinstance(found, int) else None
    if isinstance(checkpoint, int):
        print(f"Roll back to checkpoint {checkpoint}")
else:
    print("Write calibrate (Q2) first: this cell uses it.")

# %% [markdown]
# ## Done
#
# When every check above says ✅, you can write a sequential change detector, calibrate an alarm to the
# false-alarm rate you agreed to pay, measure how late it comes and choose what to roll back to. Next
# comes lesson 10 on secure data collection.
