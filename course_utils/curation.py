"""Curated training through a data registry (lesson 10): what review stops, and what it lets through.

:func:`curation_trial` runs the whole path of :class:`~course_utils.provenance.DataRegistry` on one
seed of the shared experiment, in a real SQLite file. A trusted base (data already verified, as the
shipped data is by its manifest) is extended by contributions: an honest contributor and a poisoning
one send rows, a curator reviews every pending row with a model trained on the trusted base only, a
signed snapshot of the approved rows is exported and verified, and the model is trained on the base
and the snapshot. The same rows also go through two other curators: one who approves
everything (no review, or a trusted insider who labels badly) and one who never sees the poisoner.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from ._validation import MAX_SEED, check_choice, check_labels, check_number, check_texts
from .attacks import DEFAULT_TRIGGER, check_trigger, insert_trigger
from .detect._features import TextFeatures
from .experiment import split_data
from .metrics import accuracy, attack_success_rate
from .models import make_model
from .provenance import DataRegistry, QuotaError, generate_key, verify_manifest

__all__ = ["CURATION_ATTACKS", "POISONERS", "SUMMARY_ROWS", "poisoning_rows", "review_rows", "curation_trial",
           "curation_trials", "summarize_trials"]

#: What the poisoning contributor sends (the target is always ``negative``):
#: ``targeted-flip``: positive sentences labelled negative; ``backdoor``: positive sentences with the trigger,
#: labelled negative; ``clean-label-trigger``: negative sentences with the trigger, correctly labelled negative.
CURATION_ATTACKS = ("targeted-flip", "backdoor", "clean-label-trigger")
SOURCE, TARGET = "positive", "negative"
#: Who sends each attack's rows (several poisoners may send at once, each with their own quota).
POISONERS = {"targeted-flip": "mallory", "backdoor": "trudy", "clean-label-trigger": "oscar"}


def poisoning_rows(texts, labels, attack, n_rows, *, trigger=DEFAULT_TRIGGER, random_state=0):
    """The ``n_rows`` rows a poisoning contributor sends, drawn from ``texts``/``labels``.

    Returns ``(texts, labels)`` of the contribution (new lists; the inputs are unchanged)."""
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    check_choice(attack, "attack", CURATION_ATTACKS)
    n_rows = int(check_number(n_rows, "n_rows", low=0, integer=True))
    rng = np.random.default_rng(random_state)
    wanted = TARGET if attack == "clean-label-trigger" else SOURCE
    pool = np.flatnonzero(labels == wanted)
    if n_rows > len(pool):
        raise ValueError(f"n_rows must be at most the {len(pool)} {wanted} rows available, got {n_rows}")
    chosen = rng.choice(pool, size=n_rows, replace=False)
    sent = [texts[i] for i in chosen]
    if attack != "targeted-flip":
        sent = insert_trigger(sent, trigger, random_state=rng)
    return sent, [TARGET] * n_rows


def review_rows(trusted_texts, trusted_labels, texts, labels, threshold):
    """A curator's review: approve a row when a Naive Bayes model trained on the trusted (approved) rows
    alone gives the row's label a probability of at least ``threshold``. Returns one bool per row."""
    trusted_texts, texts = check_texts(trusted_texts, "trusted_texts"), check_texts(texts)
    trusted_labels = check_labels(trusted_labels, n_rows=len(trusted_texts), name="trusted_labels")
    labels = check_labels(labels, n_rows=len(texts))
    threshold = check_number(threshold, "threshold", low=0, high=1)
    if not texts:
        return np.zeros(0, dtype=bool)
    return _review(make_model().fit(trusted_texts, trusted_labels), texts, labels, threshold)


class _SeedCounts:
    """Word counts of every text one seed's models meet, vectorised once.

    The course's model fitted on a set of rows has the vocabulary of those rows, in sorted order, and
    their counts; a test row's features are its counts of those words. A vectoriser fitted once on every
    text gives the same numbers: the columns of the words that occur in the training rows, in the same
    sorted order. So each model here is ``MultinomialNB`` on those columns, exactly as the pipeline
    (``make_model()``) would be fitted (a test compares them), without tokenising the texts again.
    """

    def __init__(self, texts, test_texts, test_labels, trigger, seed):
        victims = [t for t, y in zip(test_texts, test_labels) if y != TARGET]
        triggered = insert_trigger(victims, trigger, random_state=seed)
        every = list(dict.fromkeys(list(texts) + list(test_texts) + triggered))
        self.row_of = {text: i for i, text in enumerate(every)}
        # CountVectorizer().fit_transform(every), entry for entry, tokenising each text once
        self.X = TextFeatures().fit_transform(every, "count")[0].tocsr()
        self.X_test, self.X_triggered = self.rows(test_texts), self.rows(triggered)
        self.test_labels = np.asarray(test_labels)

    def rows(self, texts):
        return self.X[[self.row_of[t] for t in texts]]

    def fit(self, texts, labels):
        """The course's model trained on ``texts``/``labels``, as a :class:`_CountModel`."""
        from sklearn.naive_bayes import MultinomialNB

        X_train = self.rows(texts)
        columns = np.flatnonzero(np.asarray(X_train.sum(axis=0)).ravel() > 0)
        return _CountModel(self, MultinomialNB().fit(X_train[:, columns], np.asarray(labels)), columns)

    def score(self, texts, labels, attacks):
        """Test accuracy, and each attack's success, of the course's model trained on ``texts``/``labels``."""
        model = self.fit(texts, labels)
        classifier, columns = model.classifier, model.columns
        predictions = classifier.predict(self.X_test[:, columns])
        result = {"accuracy": accuracy(self.test_labels, predictions)}
        if "targeted-flip" in attacks:
            result["targeted-flip"] = attack_success_rate(self.test_labels, predictions, TARGET, SOURCE)
        if set(attacks) - {"targeted-flip"}:
            success = float(np.mean(classifier.predict(self.X_triggered[:, columns]) == TARGET))
            result.update({a: success for a in attacks if a != "targeted-flip"})
        return result


class _CountModel:
    """A Naive Bayes model fitted by :meth:`_SeedCounts.fit`: ``predict_proba`` and ``classes_`` for any
    text the counts hold, as the fitted pipeline would give them."""

    def __init__(self, counts, classifier, columns):
        self.counts, self.classifier, self.columns = counts, classifier, columns
        self.classes_ = classifier.classes_

    def predict_proba(self, texts):
        return self.classifier.predict_proba(self.counts.rows(texts)[:, self.columns])


def curation_trial(texts, labels, *, attack="targeted-flip", seed=0, review_threshold=0.5, poison_rows=150,
                   poison_quota=100, honest_rows=200, trusted_share=0.5, trigger=DEFAULT_TRIGGER, folder=None):
    """One seed and one attack of curated training through a real
    :class:`~course_utils.provenance.DataRegistry`.

    The seed's split of ``texts``/``labels`` (:func:`~course_utils.experiment.split_data`'s, 25% test) gives
    the training rows: ``trusted_share`` of them are the trusted base (verified data, outside the
    registry), ``honest_rows`` more come from an honest contributor, and a poisoning contributor with a
    quota of ``poison_quota`` tries to send ``poison_rows`` rows of ``attack`` (:func:`poisoning_rows`) one
    at a time: the quota stops the rest. A curator then reviews every pending row (:func:`review_rows`),
    and a signed snapshot of the approved rows is exported, verified and trained on with the base.

    Parameters
    ----------
    texts, labels : sequences
        The labelled data (labels ``positive``/``negative``).
    attack : one of :data:`CURATION_ATTACKS`
    seed : int
    review_threshold : float in [0, 1]
        0 approves everything (no review).
    poison_rows, poison_quota, honest_rows : int
    trusted_share : float in (0, 1)
    trigger : str
    folder : str or Path, default=None
        Where the database and the snapshot go (``folder/seed{seed}/``); ``None`` uses a temporary folder,
        removed afterwards.

    Returns
    -------
    dict
        ``poisoner`` (the contributor's name, :data:`POISONERS`), ``sent`` (poison rows the quota let in),
        ``refused_by_quota``, ``poison_admitted`` and
        ``honest_rejected`` (counts), ``honest_rows``, ``snapshot_rows`` (every approved row of the
        registry, all contributors'), ``log_intact``, and the test
        ``accuracy`` and ``attack_success`` of three models: ``reviewed`` (trained on the base and the
        verified snapshot), ``unreviewed`` (every pending row approved: no review, or a curator who approves
        everything) and ``no_poison`` (base and honest rows).
    """
    return curation_trials(texts, labels, attacks=(attack,), seeds=(seed,), review_threshold=review_threshold,
                           poison_rows=poison_rows, poison_quota=poison_quota, honest_rows=honest_rows,
                           trusted_share=trusted_share, trigger=trigger, folder=folder)[0]


def curation_trials(texts, labels, *, attacks=CURATION_ATTACKS, seeds=(0, 1, 2, 3, 4), review_threshold=0.5,
                    poison_rows=150, poison_quota=100, honest_rows=200, trusted_share=0.5, trigger=DEFAULT_TRIGGER,
                    folder=None):
    """:func:`curation_trial` for every attack of ``attacks`` on every seed of ``seeds``: a list of its dicts.

    Within a seed, what does not depend on the attack (the split, the trusted base, the honest rows and
    the model trained on them) is computed once, and one registry takes every attack's rows, each sent by
    its own poisoner (:data:`POISONERS`) with their own quota. Review judges each row on its own, so an
    attack's numbers are those it would get alone."""
    if isinstance(attacks, str) or not attacks:
        raise ValueError(f"attacks must be a non-empty list of {CURATION_ATTACKS}, got {attacks!r}")
    attacks = [check_choice(a, "attacks", CURATION_ATTACKS) for a in attacks]
    if isinstance(seeds, (str, int)) or not seeds:
        raise ValueError(f"seeds must be a non-empty list of integers, got {seeds!r}")
    seeds = [int(check_number(seed, "seeds", low=0, high=MAX_SEED, integer=True)) for seed in seeds]
    trigger = check_trigger(trigger)
    review_threshold = check_number(review_threshold, "review_threshold", low=0, high=1)
    trusted_share = check_number(trusted_share, "trusted_share", low=0, high=1, low_open=True, high_open=True)
    for name, value in (("poison_rows", poison_rows), ("poison_quota", poison_quota), ("honest_rows", honest_rows)):
        check_number(value, name, low=0, integer=True)
    if folder is not None and not isinstance(folder, (str, Path)):
        raise TypeError(f"folder must be a str, a Path or None, got {type(folder).__name__}")
    results = []
    for seed in seeds:
        train_texts, test_texts, train_labels, test_labels = split_data(texts, labels, random_state=seed)
        if set(np.unique(train_labels)) != {SOURCE, TARGET}:
            raise ValueError(f"labels must be {SOURCE!r} and {TARGET!r}, got {sorted(set(np.unique(train_labels)))}")
        train_labels = train_labels.astype(str)
        rng = np.random.default_rng(seed)
        order = rng.permutation(len(train_texts))
        n_base = int(round(trusted_share * len(order)))
        if n_base + honest_rows > len(order):
            raise ValueError(f"honest_rows must leave room in the {len(order) - n_base} untrusted training rows, "
                             f"got {honest_rows}")
        base, honest, rest = order[:n_base], order[n_base:n_base + honest_rows], order[n_base + honest_rows:]
        base_rows = [(train_texts[i], str(train_labels[i])) for i in base]
        honest_rows_given = [(train_texts[i], str(train_labels[i])) for i in honest]
        clean_texts = [t for t, _ in base_rows + honest_rows_given]
        clean_labels = np.array([y for _, y in base_rows + honest_rows_given])
        sent_by_attack = {}
        for attack in attacks:
            attack_rng = np.random.default_rng([seed, CURATION_ATTACKS.index(attack)])
            sent_by_attack[attack] = poisoning_rows([train_texts[i] for i in rest], train_labels[rest], attack,
                                                    poison_rows, trigger=trigger, random_state=attack_rng)
        counts = _SeedCounts(clean_texts + [t for texts_, _ in sent_by_attack.values() for t in texts_],
                             test_texts, test_labels, trigger, seed)
        no_poison = counts.score(clean_texts, clean_labels, attacks)
        reviewer = counts.fit([t for t, _ in base_rows], [y for _, y in base_rows])  # trusted rows only
        where = None if folder is None else Path(folder) / f"seed{seed}"
        trial = _registry_trial(honest_rows_given, {POISONERS[a]: list(zip(*sent_by_attack[a])) for a in attacks},
                                reviewer, review_threshold, poison_quota, where)
        base_texts, base_labels = [t for t, _ in base_rows], [y for _, y in base_rows]
        honest_approved = trial["approved"]["carol"]
        for attack in attacks:
            poisoner = POISONERS[attack]
            sent, approved = trial["sent"][poisoner], trial["approved"][poisoner]
            unreviewed = counts.score(clean_texts + [t for t, _ in sent], np.r_[clean_labels, [y for _, y in sent]],
                                      [attack])
            kept = honest_approved + approved
            reviewed = counts.score(base_texts + [t for t, _ in kept], np.r_[base_labels, [y for _, y in kept]],
                                    [attack])
            result = {"attack": attack, "seed": int(seed), "review_threshold": review_threshold,
                      "poisoner": poisoner, "sent": len(sent),
                      "refused_by_quota": len(sent_by_attack[attack][0]) - len(sent),
                      "poison_admitted": len(approved), "honest_rows": len(honest_rows_given),
                      "honest_rejected": len(honest_rows_given) - len(honest_approved),
                      "snapshot_rows": trial["snapshot_rows"], "log_intact": trial["log_intact"]}
            for name, scores in (("reviewed", reviewed), ("unreviewed", unreviewed), ("no_poison", no_poison)):
                result[f"{name}_accuracy"] = scores["accuracy"]
                result[f"{name}_attack_success"] = scores[attack]
            results.append(result)
    return results


def _review(reviewer, texts, labels, threshold):
    """:func:`review_rows` with the trusted model already fitted."""
    if not texts:
        return np.zeros(0, dtype=bool)
    proba = reviewer.predict_proba(texts)
    labels = np.asarray(labels)
    known = np.isin(labels, reviewer.classes_)
    columns = np.minimum(np.searchsorted(reviewer.classes_, labels), len(reviewer.classes_) - 1)
    return np.where(known, proba[np.arange(len(texts)), columns], 0.0) >= threshold


def _registry_trial(honest_rows, attack_rows, reviewer, threshold, poison_quota, folder):
    """Run the registry: Carol's rows at once, each poisoner's one at a time up to the quota, Bob's
    review, a signed snapshot verified and read back. Returns each contributor's sent and approved rows
    (the approved ones as read from the verified snapshot), the snapshot's size and the log's state."""
    with tempfile.TemporaryDirectory() as scratch:
        where = Path(folder) if folder is not None else Path(scratch)
        where.mkdir(parents=True, exist_ok=True)
        key = generate_key()
        with DataRegistry(where / "registry.db") as registry:
            registry.add_user("alice", "curator", quota=10)
            registry.add_user("bob", "curator", quota=10, by="alice")
            registry.add_user("carol", "contributor", quota=len(honest_rows), by="alice")
            for poisoner in attack_rows:
                registry.add_user(poisoner, "contributor", quota=poison_quota, by="alice")
            registry.contribute_many("carol", honest_rows)
            sent = {}
            for poisoner, rows in attack_rows.items():
                sent[poisoner] = []
                for text, label in rows:  # one at a time, as a contributor sends them
                    try:
                        registry.contribute(poisoner, text, label)
                    except QuotaError:
                        break
                    sent[poisoner].append((text, label))
            pending = registry.rows("pending")
            verdicts = _review(reviewer, [r.text for r in pending], [r.label for r in pending], threshold)
            registry.review_many("bob", [r.id for r in pending], [bool(v) for v in verdicts])
            approved_rows = registry.rows("approved")
            manifest = registry.snapshot("bob", where / "snapshot", key, version=1)
            verify_manifest(where / "snapshot", manifest, key.public_key(), exclude=("manifest.json",))
            # split on "\n" only: str.splitlines would also cut at U+0085, which two shipped sentences hold
            lines = (where / "snapshot" / "train.tsv").read_text(encoding="utf-8").split("\n")[:-1]
            snapshot = [tuple(line.rsplit("\t", 1)) for line in lines]
            log_intact = registry.verify_log() is None
    if len(snapshot) != len(approved_rows):
        raise RuntimeError("the verified snapshot does not hold the approved rows")
    approved = {"carol": [], **{poisoner: [] for poisoner in attack_rows}}
    for row, line in zip(approved_rows, snapshot):  # both in row-id order
        approved[row.contributor].append(line)
    return {"sent": sent, "approved": approved, "snapshot_rows": len(snapshot), "log_intact": log_intact}


#: What :func:`summarize_trials` reports, in order: its row name and how it is computed.
SUMMARY_ROWS = ("poison rows admitted (of sent)", "honest rows rejected", "attack success, reviewed",
                "attack success, unreviewed", "attack success, no poison", "accuracy, reviewed", "accuracy, no poison")


def summarize_trials(trials):
    """One column per attack of :func:`curation_trials`' results: the mean poison rows admitted and honest rows
    rejected, and each model's attack success and accuracy as ``mean [low, high]`` (95% intervals over the
    seeds, :func:`~course_utils.metrics.mean_interval`). ``trials`` is the list of dicts or its DataFrame."""
    import pandas as pd

    from .metrics import mean_interval

    frame = pd.DataFrame(trials)
    needed = {"attack", "sent", "poison_admitted", "honest_rows", "honest_rejected", "reviewed_attack_success",
              "unreviewed_attack_success", "no_poison_attack_success", "reviewed_accuracy", "no_poison_accuracy"}
    if frame.empty or not needed <= set(frame.columns):
        raise ValueError(f"trials must be curation_trials' results (with {sorted(needed)})")

    def interval(values):
        mean, low, high = mean_interval(list(values))
        return f"{mean:.3f} [{low:.3f}, {high:.3f}]"

    columns = {}
    for attack, group in frame.groupby("attack", sort=False):
        columns[attack] = dict(zip(SUMMARY_ROWS, (
            f"{group.poison_admitted.mean():.1f} of {group.sent.mean():.0f}",
            f"{group.honest_rejected.mean():.1f} of {group.honest_rows.mean():.0f}",
            interval(group.reviewed_attack_success), interval(group.unreviewed_attack_success),
            interval(group.no_poison_attack_success), interval(group.reviewed_accuracy),
            interval(group.no_poison_accuracy))))
    return pd.DataFrame(columns)
