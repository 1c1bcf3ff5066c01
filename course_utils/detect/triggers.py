"""Trigger detectors: tokens tied to one label although the rest of their rows disagree.

:class:`TriggerDetector` sees a planted backdoor trigger; it cannot see label
flips without a shared token.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_int, check_number
from ._base import BaseDetector, check_data
from ._features import TextFeatures

__all__ = ["TriggerDetector"]


class TriggerDetector(BaseDetector):
    """Find backdoor triggers: tokens tied to one label although the rest of their rows disagree.

    For every token in at least ``min_count`` rows, the detector takes the label
    most of those rows carry (``purity`` is its share) and asks, for each row with
    that label: how likely is *another* label given the row's other words? That
    probability comes from a Naive Bayes model that has not seen any row holding
    the token, so a planted trigger cannot vouch for its own rows. Its mean over
    the rows is the token's ``contradiction``.

    An ordinary sentiment word ("great") is pure but barely contradicted: the rest
    of the sentence agrees with it. A planted trigger sits in ordinary sentences
    of the other class, relabelled, so its rows are pure *and* contradicted. The
    ``z`` score says how far a token's contradiction lies above that of a typical
    token's rows, in standard errors (so a handful of rows cannot score high by
    chance). A token is reported when ``purity >= min_purity`` and
    ``z >= z_threshold``.

    Parameters
    ----------
    min_count : int, default=5
        Tokens in fewer rows are not examined.
    min_purity : float in (0.5, 1], default=0.95
        A trigger's rows all carry the target label (unless the word also
        occurs naturally).
    z_threshold : float, default=5.0
        Set on the shipped data, on splits no lesson uses by default (seeds
        100-109), as measured by
        :func:`course_utils.evaluation.trigger_threshold_evidence` and kept in
        :data:`course_utils.evaluation.TRIGGER_THRESHOLD_EVIDENCE`: on 60
        backdoored sets (fractions 1%, 2% and 5%, either label the target) the
        planted trigger's ``z`` was at least 6.07; no other token pure enough to
        be reported reached 4.7, on those sets or on 30 clean and randomly
        flipped ones.
    screen_purity : float, default=0.8
        Only tokens at least this pure are scored (faster; they also set the
        baseline the ``z`` score is measured from).
    random_state : int, default=0
        Breaks ties in :meth:`flag` (most rows hold no suspicious token).

    Attributes
    ----------
    token_scores_ : pandas.DataFrame
        ``token``, ``rows``, ``label``, ``purity``, ``contradiction``, ``z``,
        most suspicious first.
    triggers_ : list of str
        Reported tokens.
    suspicion_ : ndarray
        Per row: the highest ``z`` of a sufficiently pure token it holds whose
        label it carries (0 when none, never negative).
    flagged_ : ndarray of int
        Rows holding a reported trigger and carrying its dominant label.
    """

    def __init__(self, min_count=5, min_purity=0.95, z_threshold=5.0, screen_purity=0.8, random_state=0):
        self.min_count = min_count
        self.min_purity = min_purity
        self.z_threshold = z_threshold
        self.screen_purity = screen_purity
        self.random_state = random_state

    def fit(self, texts, labels, features=None):
        """Score every frequent token; ``features``, a :class:`~course_utils.detect.TextFeatures` cache, saves
        re-tokenising the texts (the counts are ``CountVectorizer()``'s either way)."""
        import pandas as pd

        texts, labels, classes = check_data(texts, labels)
        check_int(self.min_count, "min_count", minimum=1)
        for name in ("min_purity", "screen_purity"):
            check_number(getattr(self, name), name, low=0.5, high=1, low_open=True)
        check_number(self.z_threshold, "z_threshold")
        index = np.searchsorted(classes, labels)
        one_hot = np.eye(len(classes))[index]
        if features is None:
            features = TextFeatures()
        elif not isinstance(features, TextFeatures):
            raise TypeError(f"features must be a TextFeatures cache, got {type(features).__name__}")
        counts, vocabulary = features.fit_transform(texts, "count")  # CountVectorizer().fit_transform(texts)
        counts.sort_indices()  # each row's words in column order, as the products below sum them
        words = vocabulary.get_feature_names_out()
        class_words = np.asarray((counts.T @ one_hot).T)  # word counts per class
        class_rows = one_hot.sum(axis=0)
        presence = counts.tocsc()
        presence.data[:] = 1
        rows_per_token = np.diff(presence.indptr)
        candidates = []
        for token in np.flatnonzero(rows_per_token >= self.min_count):
            rows = presence.indices[presence.indptr[token]:presence.indptr[token + 1]]
            shares = np.bincount(index[rows], minlength=len(classes)) / len(rows)
            dominant = int(shares.argmax())
            if shares[dominant] < self.screen_purity:
                continue
            carriers = rows[index[rows] == dominant]
            # A Naive Bayes model without the token's rows (alpha = 1), applied to the carriers'
            # other words: what do they say when the token cannot speak for itself?
            held_words = class_words - np.asarray((counts[rows].T @ one_hot[rows]).T)
            held_rows = np.maximum(class_rows - one_hot[rows].sum(axis=0), 1)
            log_word = np.log(held_words + 1) - np.log((held_words + 1).sum(axis=1, keepdims=True))
            others = counts[carriers]  # a copy; drop the token's own column from it
            others.data[others.indices == token] = 0
            others.eliminate_zeros()
            joint = others @ log_word.T + np.log(held_rows / held_rows.sum())
            joint = np.asarray(joint) - np.asarray(joint).max(axis=1, keepdims=True)
            probability = np.exp(joint) / np.exp(joint).sum(axis=1, keepdims=True)
            candidates.append((token, len(rows), dominant, float(shares[dominant]), carriers,
                               1.0 - probability[:, dominant]))
        pooled = np.concatenate([c[5] for c in candidates]) if candidates else np.zeros(1)
        centre, spread = float(pooled.mean()), float(pooled.std()) or 1.0
        records, row_scores = [], np.zeros(len(texts))
        for token, n_rows, dominant, purity, carriers, contradiction in candidates:
            z = (contradiction.mean() - centre) / (spread / math.sqrt(len(contradiction)))
            records.append((str(words[token]), n_rows, str(classes[dominant]), purity,
                            float(contradiction.mean()), float(z)))
            if purity >= self.min_purity:
                row_scores[carriers] = np.maximum(row_scores[carriers], z)
        table = pd.DataFrame(records, columns=["token", "rows", "label", "purity", "contradiction", "z"])
        # Tokens pure enough to be triggers first, then by z.
        table["_eligible"] = table["purity"] >= self.min_purity
        table = table.sort_values(["_eligible", "z", "rows", "token"], ascending=[False, False, False, True],
                                  ignore_index=True).drop(columns="_eligible")
        reported = (table["purity"] >= self.min_purity) & (table["z"] >= self.z_threshold)
        self.token_scores_ = table
        self.triggers_ = table.loc[reported, "token"].tolist()
        return self._set_flags(row_scores, np.flatnonzero(row_scores >= self.z_threshold))
