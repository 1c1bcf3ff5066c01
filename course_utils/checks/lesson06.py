"""Checks of exercise 06, robust learning."""

from __future__ import annotations

import math

import numpy as np
from scipy.stats import trim_mean

from ..defenses.robust import group_privacy_bound, laplace_scale
from . import Wrong, expect_number, fresh_rng, question, show
from ._reference import run_learner

EXERCISE = "06_robust_learning"


def _reference_noise(counts, sensitivity, epsilon, random_state):
    rng = np.random.default_rng(random_state)
    counts = np.asarray(counts, dtype=float)
    return counts + rng.laplace(0.0, laplace_scale(sensitivity, epsilon), counts.shape)


@question("q06_laplace", exercise=EXERCISE, answer_name="laplace_mechanism",
          prompt="laplace_mechanism(counts, sensitivity, epsilon, random_state) adds Laplace noise of the right scale")
def _laplace(answer):
    rng = fresh_rng(6)  # a secret seed in the batch grader
    for shape, sensitivity, epsilon in (((2, 5), 20, 0.9), ((7,), 1, 0.1), ((3, 4), 3, 2.0)):
        counts = rng.integers(0, 50, size=shape)
        random_state = int(rng.integers(0, 10_000))
        got = run_learner(answer, counts.copy(), sensitivity, epsilon, random_state)
        try:
            got = np.asarray(got, dtype=float)
        except (TypeError, ValueError):
            raise Wrong("laplace_mechanism should return the noisy counts, an array shaped like counts.") from None
        if got.shape != counts.shape:
            raise Wrong(f"With counts of shape {shape} you returned shape {got.shape}; add noise to every count.")
        expected = _reference_noise(counts, sensitivity, epsilon, random_state)
        if np.allclose(got, expected, atol=1e-9):
            continue
        swapped = np.random.default_rng(random_state).laplace(0.0, epsilon / sensitivity, counts.shape) + counts
        if np.allclose(got, swapped, atol=1e-9):
            raise Wrong("The scale is upside down: the Laplace mechanism's scale is sensitivity / epsilon.")
        if np.allclose(got, counts):
            raise Wrong("The counts come back without noise; add rng.laplace(0, scale, counts.shape) to them.")
        scale = np.std(got - counts) / math.sqrt(2)
        raise Wrong(f"With sensitivity {sensitivity} and epsilon {epsilon} the noise should have scale "
                    f"{laplace_scale(sensitivity, epsilon):.3g} (yours looks like {scale:.3g}), drawn from "
                    "np.random.default_rng(random_state) in one call shaped like counts.")
    return "The same noisy counts as the Laplace mechanism with scale sensitivity / epsilon."


@question("q06_group_bound", exercise=EXERCISE, answer_name="asr_bound",
          prompt="asr_bound(clean_rate, epsilon, k) bounds the attack success of k changed rows")
def _group_bound(answer):
    rng = fresh_rng(7)
    cases = [(0.2, 0.1, 1), (0.4, 0.3, 3), (0.05, 1.0, 1), (0.3, 1.0, 10), (0.0, 0.5, 4)]
    cases += [(float(rng.uniform(0.01, 0.5)), float(rng.uniform(0.05, 1)), int(rng.integers(1, 6))) for _ in range(3)]
    for rate, epsilon, k in cases:
        got = expect_number(run_learner(answer, rate, epsilon, k), "asr_bound(...)")
        expected = group_privacy_bound(rate, epsilon, 2 * k)
        if abs(got - expected) <= 1e-9:
            continue
        where = f"With clean_rate={show(rate)}, epsilon={show(epsilon)}, k={show(k)}"
        if abs(got - min(1.0, math.exp(k * epsilon) * rate)) <= 1e-9:
            raise Wrong(f"{where}: each changed row is one removal and one addition, 2k add-or-remove steps, "
                        "so the factor is exp(2 k epsilon).")
        if abs(got - math.exp(2 * k * epsilon) * rate) <= 1e-9:
            raise Wrong(f"{where} your bound is above 1: a rate can never exceed 1, so cut the bound at 1.")
        raise Wrong(f"{where} the bound should be {expected:.4g}, got {got:.4g}.")
    return "The group-privacy bound min(1, exp(2 k epsilon) * clean_rate)."


@question("q06_trimmed_mean", exercise=EXERCISE, answer_name="trimmed_mean",
          prompt="trimmed_mean(values, proportion) cuts a share from each end, then averages")
def _trimmed(answer):
    rng = fresh_rng(8)
    cases = [([1, 2, 3, 4, 100, 5, 6, 7, 8, 9], 0.1), ([5.0, -3.0, 2.0, 8.0], 0.25), ([3, 1, 2], 0.0)]
    cases += [(rng.normal(size=int(rng.integers(10, 40))).round(3).tolist(), 0.2) for _ in range(2)]
    for values, proportion in cases:
        got = expect_number(run_learner(answer, list(values), proportion), "trimmed_mean(...)")
        expected = float(trim_mean(values, proportion))
        if abs(got - expected) <= 1e-9:
            continue
        where = f"With values={show(values)} and proportion={show(proportion)}"
        if abs(got - float(np.mean(values))) <= 1e-9:
            raise Wrong(f"{where} you return the plain mean: sort the values and cut the share from each end first.")
        ordered, cut = np.sort(values), int(proportion * len(values))
        if cut and abs(got - float(np.mean(ordered[cut:]))) <= 1e-9:
            raise Wrong(f"{where} only the low end was cut: cut the same number of values from both ends.")
        raise Wrong(f"{where} the trimmed mean is {expected:.4g}, got {got:.4g}: cut int(proportion * n) values "
                    "from each end of the sorted values.")
    return "Matches scipy.stats.trim_mean."
