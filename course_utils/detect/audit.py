"""The data audit: label balance, duplicates, conflicting labels, sources, outliers.

It looks at counts and duplicates, never at a model: it sees the reference's
duplicate-and-flip attack (each copy conflicts with its original) but not a
flipped label on a unique sentence.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from sklearn.utils.validation import check_is_fitted

from .._validation import check_labels, check_number, check_random_state
from ._base import BaseDetector, check_data

__all__ = ["DataAudit", "normalise_text"]

_WORD = re.compile(r"(?u)\b\w\w+\b")


def normalise_text(text):
    """Lower-cased words of two or more letters or digits, joined by single spaces."""
    return " ".join(_WORD.findall(text.lower()))


class DataAudit(BaseDetector):
    """Audit a labelled data set: balance, duplicates, conflicts, sources, outliers.

    Parameters
    ----------
    outlier_z : float, default=3.5
        A row is a length or vocabulary outlier when its robust z-score (median
        and median absolute deviation) exceeds this.
    random_state : int, default=0
        Breaks ties in :meth:`flag` (most rows share a suspicion of 0, 1 or 2).

    Attributes
    ----------
    report_ : dict
        ``n_rows``, ``label_counts``, ``exact_duplicate_groups``,
        ``near_duplicate_groups``, ``conflict_groups`` (groups of near-duplicate
        rows with more than one label), ``length_outliers``, ``vocabulary_outliers``
        and, when sources were given, ``per_source``.
    suspicion_ : ndarray
        2 for rows in a conflicting group, 1 for other near duplicates and
        outliers, 0 otherwise.
    flagged_ : ndarray of int
        Every row of a conflicting group (the duplicate-and-flip attack's footprint).
    """

    def __init__(self, outlier_z=3.5, random_state=0):
        self.outlier_z = outlier_z
        self.random_state = random_state

    def fit(self, texts, labels, sources=None):
        """Audit ``texts`` with their ``labels`` (and optional ``sources``)."""
        texts, labels, _ = check_data(texts, labels, need_classes=1)
        check_number(self.outlier_z, "outlier_z", low=0, low_open=True)
        check_random_state(self.random_state)
        exact, near = defaultdict(list), defaultdict(list)
        lowered = [_WORD.findall(t.lower()) for t in texts]  # each text's words, found once
        for i, (text, words) in enumerate(zip(texts, lowered)):
            exact[text].append(i)
            near[" ".join(words)].append(i)  # normalise_text(text)
        exact_groups = [g for g in exact.values() if len(g) > 1]
        near_groups = [g for g in near.values() if len(g) > 1]
        conflicts = [g for g in near_groups if len(set(labels[g].tolist())) > 1]
        lengths = np.array([len(_WORD.findall(t)) for t in texts], dtype=float)
        document_frequency = Counter(w for words in lowered for w in set(words))
        rare_share = np.array([
            np.mean([document_frequency[w] == 1 for w in words]) if words else 0.0
            for words in lowered
        ])
        length_outliers = np.flatnonzero(_robust_z(lengths) > self.outlier_z)
        vocabulary_outliers = np.flatnonzero(_robust_z(rare_share) > self.outlier_z)
        scores = np.zeros(len(texts))
        for group in near_groups:
            scores[group] = 1.0
        scores[length_outliers] = np.maximum(scores[length_outliers], 1.0)
        scores[vocabulary_outliers] = np.maximum(scores[vocabulary_outliers], 1.0)
        for group in conflicts:
            scores[group] = 2.0
        values, counts = np.unique(labels, return_counts=True)
        report = {
            "n_rows": len(texts),
            "label_counts": {str(v): int(c) for v, c in zip(values, counts)},
            "exact_duplicate_groups": exact_groups,
            "near_duplicate_groups": near_groups,
            "conflict_groups": conflicts,
            "length_outliers": length_outliers.tolist(),
            "vocabulary_outliers": vocabulary_outliers.tolist(),
        }
        if sources is not None:
            sources = check_labels(sources, n_rows=len(texts), name="sources")
            report["per_source"] = {
                str(source): {
                    "rows": int(np.sum(sources == source)),
                    "label_counts": {str(v): int(np.sum((sources == source) & (labels == v))) for v in values},
                    "mean_words": float(lengths[sources == source].mean()),
                    "rows_in_conflicts": int(sum(sources[i] == source for g in conflicts for i in g)),
                }
                for source in np.unique(sources)
            }
        self.report_ = report
        return self._set_flags(scores, sorted(i for group in conflicts for i in group))

    def summary(self):
        """The report's counts as short lines of text."""
        check_is_fitted(self, "report_")
        r = self.report_
        lines = [f"rows: {r['n_rows']}", f"labels: {r['label_counts']}",
                 f"exact duplicate groups: {len(r['exact_duplicate_groups'])}",
                 f"near duplicate groups: {len(r['near_duplicate_groups'])}",
                 f"groups with conflicting labels: {len(r['conflict_groups'])} "
                 f"({sum(len(g) for g in r['conflict_groups'])} rows)",
                 f"length outliers: {len(r['length_outliers'])}",
                 f"vocabulary outliers: {len(r['vocabulary_outliers'])}"]
        for source, stats in r.get("per_source", {}).items():
            lines.append(f"source {source}: {stats['rows']} rows, labels {stats['label_counts']}, "
                         f"{stats['mean_words']:.1f} words on average, {stats['rows_in_conflicts']} rows in conflicts")
        return lines


def _robust_z(values):
    median = np.median(values)
    mad = np.median(np.abs(values - median)) * 1.4826
    if mad == 0:
        spread = values.std()
        if spread == 0:
            return np.zeros_like(values)
        return np.abs(values - values.mean()) / spread
    return np.abs(values - median) / mad
