"""Grading detectors against the known poison, over attacks, fractions and seeds.

:func:`evaluate_detectors` is the evaluation harness of lesson 05 (and of any
lesson that puts detectors side by side): for every seed's split and every
poisoned training set it runs each detector, grades what it flags against the
rows that really were poisoned, and, where asked, removes the flagged rows and
trains again (:func:`course_utils.experiment.defend`).

Three things keep it fast without changing a number:

* every text of a split is tokenised once (:class:`course_utils.detect.TextFeatures`,
  which builds exactly the matrices the vectorisers would), and every poisoned
  version of the split, every fold and every view reads from that cache; the
  neighbour search, which depends on the texts only, is also done once per
  distinct set of texts;
* the out-of-fold class probabilities ("views") that several label-aware
  detectors read are computed once per poisoned set and passed to each of them
  as ``"precomputed"`` probabilities;
* a detector that never reads labels (the Isolation Forest) is fitted once per
  distinct set of texts: label-only attacks leave the texts as they are.

Each detector is charged the time of every view it reads, so its ``seconds``
are about what it would cost on its own; what the split's cache shares between
poisoned sets (tokens, neighbour searches) is charged to the first one that
needs it.
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
from sklearn.base import clone

from ._parallel import check_n_jobs, run_tasks
from ._validation import check_fraction, check_int, check_labels, check_texts
from .attacks import ATTACKS, DEFAULT_TRIGGER, apply_attack, measure_attack_success
from .detect import (
    PRECOMPUTED,
    BaseDetector,
    CleanlabDetector,
    ConfidentLearningDetector,
    IsolationForestDetector,
    KNNDisagreement,
    TextFeatures,
    TriggerDetector,
    make_detector,
    out_of_fold_views,
)
from .experiment import default_labels, defend, split_data
from .metrics import accuracy, detection_scores
from .models import MODELS

__all__ = ["evaluate_detectors", "trigger_threshold_evidence", "summarize_trigger_evidence",
           "evaluate_training_defenses", "Trainer",
           "TRIGGER_THRESHOLD_EVIDENCE", "TRIGGER_EVIDENCE_SEEDS"]


def _check_runs(runs, detectors):
    """``runs`` as a list of (attack, fraction, detector names)."""
    checked = []
    for run in runs:
        if not isinstance(run, (tuple, list)) or len(run) not in (2, 3):
            raise TypeError(f"each run must be (attack, fraction) or (attack, fraction, detector names), got {run!r}")
        attack, fraction, *names = run
        if attack not in ATTACKS or attack == "none":
            raise ValueError(f"runs: attack must be one of {', '.join(a for a in ATTACKS if a != 'none')}; "
                             f"got {attack!r}")
        names = list(names[0]) if names else list(detectors)
        unknown = [n for n in names if n not in detectors]
        if unknown:
            raise ValueError(f"runs: detector {unknown[0]!r} is not among detectors ({', '.join(detectors)})")
        checked.append((attack, check_fraction(fraction, "runs: fraction"), names))
    if not checked:
        raise ValueError("runs must name at least one (attack, fraction)")
    return checked


def _check_detectors(detectors):
    """``detectors`` as a dict of name -> unfitted detector (a registered name or an estimator)."""
    if not isinstance(detectors, dict) or not detectors:
        raise TypeError("detectors must be a non-empty dict of name -> registered detector name or detector")
    for name, spec in detectors.items():
        if not isinstance(spec, (str, BaseDetector)):
            raise TypeError(f"detectors[{name!r}] must be a registered detector name or a detector, "
                            f"got {type(spec).__name__}")
    return dict(detectors)


class _Views:
    """The out-of-fold views of one poisoned set, each computed once, with what it cost.

    ``features`` is the split's :class:`~course_utils.detect.TextFeatures`: every
    poisoned version of the split reads its texts' tokens (and, for texts a
    label-only attack left as they were, their neighbours) from it.
    """

    def __init__(self, texts, labels, features):
        self.texts, self.labels, self.features = texts, labels, features
        self.values, self.seconds = {}, {}

    def get(self, key, compute):
        if key not in self.values:
            started = time.perf_counter()
            self.values[key] = compute()
            self.seconds[key] = time.perf_counter() - started
        return self.values[key]

    def probabilities(self, model, cv, random_state):
        """One model's out-of-fold probabilities; the first request computes every model's on the same folds.

        The models share each fold's vectorisation (:func:`~course_utils.detect.out_of_fold_views`), so
        their cost is shared too: each is charged an equal part of it.
        """
        key = ("oof", model, cv, random_state)
        if key not in self.values:
            started = time.perf_counter()
            views = out_of_fold_views(self.texts, self.labels, MODELS, cv, random_state, features=self.features)
            for name, probabilities in views.items():
                self.values[("oof", name, cv, random_state)] = probabilities
                self.seconds[("oof", name, cv, random_state)] = (time.perf_counter() - started) / len(views)
        return self.values[key]


def _fit_detector(detector, poisoned, views, blind, share):
    """Fit one detector on a poisoned set; return (fitted detector, flags, seconds).

    ``views`` caches this poisoned set's out-of-fold views, ``blind`` the fits of
    label-blind detectors for this split. The seconds are the detector's own work
    plus the full cost of every cached result it reads, however it was shared.
    """
    texts, labels = poisoned.texts, poisoned.labels
    caches = (views, blind)
    computed_before = sum(sum(c.seconds.values()) for c in caches)
    used = []  # (cache, key) of every cached result this detector reads
    started = time.perf_counter()
    if isinstance(detector, KNNDisagreement):
        key = ("knn", detector.n_neighbors, detector.random_state)
        fitted = views.get(key, lambda: detector.fit(texts, labels, features=views.features))
        used.append((views, key))
    elif isinstance(detector, ConfidentLearningDetector) and detector.estimators != PRECOMPUTED:
        parts = []
        for name in detector.view_names():
            if name == "knn":
                # The neighbour shares of a KNNDisagreement fit: confident learning's "knn" view.
                key = ("knn", detector.n_neighbors, detector.random_state)
                knn = KNNDisagreement(n_neighbors=detector.n_neighbors, random_state=detector.random_state)
                parts.append(views.get(key, lambda: knn.fit(texts, labels, features=views.features))
                             .neighbour_distribution_)
            else:
                key = ("oof", name, detector.cv, detector.random_state)
                parts.append(views.probabilities(name, detector.cv, detector.random_state))
            used.append((views, key))
        fitted = ConfidentLearningDetector(estimators=PRECOMPUTED, random_state=detector.random_state).fit(
            texts, labels, probabilities=np.mean(parts, axis=0))
    elif isinstance(detector, CleanlabDetector) and detector.model != PRECOMPUTED:
        key = ("oof", detector.model, detector.cv, detector.random_state)
        probabilities = views.probabilities(detector.model, detector.cv, detector.random_state)
        used.append((views, key))
        fitted = CleanlabDetector(model=PRECOMPUTED, random_state=detector.random_state,
                                  filter_by=detector.filter_by).fit(texts, labels, probabilities=probabilities)
    elif isinstance(detector, IsolationForestDetector):
        # It never reads the labels: one fit per distinct set of texts serves every label-only attack.
        key = (tuple(texts), repr(detector))
        fitted = blind.get(key, lambda: detector.fit(texts, features=views.features))
        used.append((blind, key))
    elif isinstance(detector, TriggerDetector):
        fitted = detector.fit(texts, labels, features=views.features)
    else:
        fitted = detector.fit(texts, labels)
    elapsed = time.perf_counter() - started
    computed_now = sum(sum(c.seconds.values()) for c in caches) - computed_before
    shared = sum(cache.seconds[key] for cache, key in dict.fromkeys(used))
    flags = fitted.flag(flag_share=share) if share is not None else fitted.flag()
    return fitted, flags, elapsed - computed_now + shared


def _one_seed(texts, labels, seed, runs, detectors, retrain, true_share, targets, trigger, test_size, model,
              features=None):
    """Every run of one seed's split: one row per (run, detector)."""
    train_texts, test_texts, train_labels, test_labels = split_data(texts, labels, test_size, seed)
    # One cache of tokenised texts for the split (or the caller's, for every split): every poisoned version of
    # it shares its sentences, and every model trained here reads them from it (features.model is make_model's
    # pipeline, same predictions).
    features = TextFeatures() if features is None else features
    clean_model = features.model(model, random_state=seed).fit(train_texts, train_labels)
    clean_accuracy = accuracy(test_labels, clean_model.predict(test_texts))
    blind, rows = _Views(None, None, features), []
    for attack, fraction, names in runs:
        source, target = targets[attack]
        poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source,
                                target_label=target, trigger=trigger, random_state=seed)
        share = len(poisoned.poisoned_indices) / len(poisoned.texts)
        target_args = {"source_label": source, "target_label": target, "trigger": trigger, "random_state": seed}
        defended_names = retrain.get((attack, fraction), ())
        before = None  # the poisoned model's scores, computed once for the run's retrained detectors
        views = _Views(poisoned.texts, poisoned.labels, features)
        for name in names:
            spec = detectors[name]
            # Named or given, every detector is seeded by the split's seed, as run_experiment seeds it.
            detector = make_detector(spec, random_state=seed) if isinstance(spec, str) else \
                clone(spec).set_params(random_state=seed)
            fitted, flags, seconds = _fit_detector(detector, poisoned, views, blind,
                                                   share if name in true_share else None)
            scores = detection_scores(flags, poisoned.poisoned_indices)
            row = {"attack": attack, "fraction": fraction, "seed": seed, "detector": name,
                   "precision": scores["precision"], "recall": scores["recall"], "f1": scores["f1"],
                   "n_flagged": scores["n_flagged"], "n_poisoned": len(poisoned.poisoned_indices),
                   "chance": share, "seconds": seconds, "retrained": name in defended_names}
            if name in defended_names:
                if before is None:
                    poisoned_model = features.model(model, random_state=seed).fit(poisoned.texts, poisoned.labels)
                    before = {
                        "clean_accuracy": clean_accuracy,
                        "poisoned_accuracy": accuracy(test_labels, poisoned_model.predict(test_texts)),
                        "clean_attack_success_rate": measure_attack_success(clean_model, attack, test_texts,
                                                                            test_labels, **target_args),
                        "attack_success_rate": measure_attack_success(poisoned_model, attack, test_texts,
                                                                      test_labels, **target_args),
                    }
                outcome = defend(fitted, poisoned.texts, poisoned.labels, model=model,
                                 flag_share=share if name in true_share else None, random_state=seed,
                                 poisoned_indices=poisoned.poisoned_indices, prefit=True, features=features)
                removed = outcome.detection["clean_rows_removed"]
                row.update({
                    **before,
                    "defended_accuracy": accuracy(test_labels, outcome.model.predict(test_texts)),
                    "defended_attack_success_rate": measure_attack_success(outcome.model, attack, test_texts,
                                                                           test_labels, **target_args),
                    "clean_rows_removed": removed,
                    "poisoned_rows_removed": outcome.detection["n_flagged"] - removed,
                })
            rows.append(row)
    return rows


#: Attacks that change labels only: their poisoned sets keep the split's texts.
_LABEL_ONLY = ("random-flip", "targeted-flip")


def _task_groups(runs):
    """``runs`` in (at most) two groups: label-only attacks, then the others."""
    groups = [[run for run in runs if run[0] in _LABEL_ONLY], [run for run in runs if run[0] not in _LABEL_ONLY]]
    return [group for group in groups if group]


def _rows_by_run(group, rows):
    """Pair each run of ``group`` with its rows (``_one_seed`` gives one row per detector, run by run)."""
    start = 0
    for run in group:
        yield run, rows[start:start + len(run[2])]
        start += len(run[2])


def evaluate_detectors(texts, labels, *, runs, detectors, seeds=(0, 1, 2, 3, 4), retrain=None, true_share=(),
                       source_label=None, target_label=None, trigger=DEFAULT_TRIGGER, model="count-nb",
                       test_size=0.25, n_jobs=1, features=None):
    """Grade detectors against the known poison over attacks, fractions and seeds.

    Parameters
    ----------
    texts, labels
        The whole data set; each seed splits it anew (:func:`course_utils.experiment.split_data`).
    runs : sequence of (attack, fraction) or (attack, fraction, detector names)
        The poisoned training sets, each at the attacker's ``fraction``; with
        names, only those detectors run on it.
    detectors : dict of str -> str or detector
        Name in the results -> a registered detector name or an unfitted
        detector (cloned); either way the split's seed is its ``random_state``.
    seeds : sequence of int, default=(0, 1, 2, 3, 4)
        The shared experiment's split seeds; they also seed the attacks.
    retrain : dict of (attack, fraction) -> sequence of detector names, default=None
        After these runs, remove what each named detector flags, train again and
        score accuracy and attack success (:func:`course_utils.experiment.defend`).
    true_share : sequence of str, default=()
        Detectors told the poison's true share: they flag that share of the
        rows, most suspicious first, instead of following their own rule.
    source_label, target_label, trigger, model, test_size
        As for :func:`course_utils.experiment.run_experiment`.
    n_jobs : int, default=1
        Seeds graded side by side in worker processes (forked where the
        platform forks, see ``course_utils._parallel``); the results do not depend on it.
    features : course_utils.detect.TextFeatures, default=None
        The cache of tokenised texts every seed's split reads (default: a new
        one per seed). One cache shared with other grids of the same data (for
        instance :mod:`course_utils.regularization`'s, given the same cache)
        tokenises each text once for all of them; the results do not depend on
        it. With ``n_jobs > 1`` each process works on its own copy.

    Returns
    -------
    pandas.DataFrame
        One row per (attack, fraction, seed, detector): ``precision``,
        ``recall``, ``f1``, ``n_flagged``, ``n_poisoned``, ``chance`` (the
        poison's share, which flagging at random scores on average),
        ``seconds`` (the detector's, views it reads included) and
        ``retrained``; for retrained rows also ``clean_accuracy``,
        ``poisoned_accuracy``, ``defended_accuracy``,
        ``clean_attack_success_rate``, ``attack_success_rate``,
        ``defended_attack_success_rate``, ``clean_rows_removed`` and
        ``poisoned_rows_removed``. ``attrs["seconds"]`` holds the wall time.
    """
    import pandas as pd
    from joblib import effective_n_jobs

    started = time.perf_counter()
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    detectors = _check_detectors(detectors)
    runs = _check_runs(runs, detectors)
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    if not seeds:
        raise ValueError("seeds must not be empty")
    retrain = {(a, check_fraction(f, "retrain: fraction")): list(names) for (a, f), names in (retrain or {}).items()}
    for (attack, fraction), names in retrain.items():
        if (attack, fraction) not in {(a, f) for a, f, _ in runs}:
            raise ValueError(f"retrain names ({attack!r}, {fraction}), which is not among runs")
        missing = [n for n in names if n not in detectors]
        if missing:
            raise ValueError(f"retrain: detector {missing[0]!r} is not among detectors ({', '.join(detectors)})")
    true_share = tuple(true_share)
    if any(name not in detectors for name in true_share):
        raise ValueError(f"true_share must name detectors among {', '.join(detectors)}; got {list(true_share)}")
    targets = {a: default_labels(labels, a, source_label, target_label) for a in {a for a, _, _ in runs}}
    if features is not None and not isinstance(features, TextFeatures):
        raise TypeError(f"features must be a course_utils.detect.TextFeatures cache or None, got "
                        f"{type(features).__name__}")
    check_n_jobs(n_jobs)
    # Side by side, each seed's runs go out in two tasks, those that keep the split's texts (label flips,
    # which share its neighbour search and Isolation Forest) and the rest: about equal halves, so that
    # workers finish together. One process runs each seed whole. The rows come back in the same order.
    groups = _task_groups(runs) if effective_n_jobs(n_jobs) > 1 else [runs]
    parts = run_tasks(_one_seed, [(texts, labels, seed, group, detectors, retrain, true_share, targets, trigger,
                                   test_size, model, features) for seed in seeds for group in groups], n_jobs)
    order = {id(run): position for position, run in enumerate(runs)}
    rows = []
    for k in range(len(seeds)):
        tasks = [(order[id(run)], part) for group, part in zip(groups, parts[k * len(groups):(k + 1) * len(groups)])
                 for run, part in _rows_by_run(group, part)]
        rows += [row for _, part in sorted(tasks, key=lambda task: task[0]) for row in part]
    results = pd.DataFrame(rows)
    results.attrs["seconds"] = time.perf_counter() - started
    return results


#: The evidence behind :class:`~course_utils.detect.TriggerDetector`'s ``z_threshold`` of 5:
#: ``summarize_trigger_evidence(trigger_threshold_evidence(data.texts, data.labels))`` on the shipped
#: data (``load_sentiment()``), with the defaults: seeds 100-109, splits no lesson uses by default.
#: Per kind of training set: how many sets, the planted trigger's lowest ``z`` and the highest ``z``
#: of any other token pure enough to be reported, rounded to 3 decimals.
#: ``tests/unit/test_evaluation.py`` measures it again and compares.
TRIGGER_THRESHOLD_EVIDENCE = [
    {'attack': 'none', 'fraction': 0.0, 'sets': 10, 'lowest_planted_z': None, 'highest_other_z': 4.685},
    {'attack': 'random-flip', 'fraction': 0.1, 'sets': 10, 'lowest_planted_z': None, 'highest_other_z': 3.578},
    {'attack': 'random-flip', 'fraction': 0.3, 'sets': 10, 'lowest_planted_z': None, 'highest_other_z': 2.287},
    {'attack': 'backdoor', 'fraction': 0.01, 'sets': 20, 'lowest_planted_z': 6.073, 'highest_other_z': 4.686},
    {'attack': 'backdoor', 'fraction': 0.02, 'sets': 20, 'lowest_planted_z': 8.309, 'highest_other_z': 4.562},
    {'attack': 'backdoor', 'fraction': 0.05, 'sets': 20, 'lowest_planted_z': 12.625, 'highest_other_z': 4.258},
]


#: The split seeds :func:`trigger_threshold_evidence` measures by default: none of them is a lesson's default.
TRIGGER_EVIDENCE_SEEDS = tuple(range(100, 110))


def trigger_threshold_evidence(texts, labels, *, seeds=TRIGGER_EVIDENCE_SEEDS, fractions=(0.01, 0.02, 0.05),
                               flip_fractions=(0.1, 0.3), trigger=DEFAULT_TRIGGER, test_size=0.25):
    """How far the trigger detector's ``z`` separates planted triggers from ordinary tokens.

    For every seed's split: the clean training set, random flips at each of
    ``flip_fractions``, and a backdoor at each of ``fractions`` towards each
    label. On each set, the default :class:`~course_utils.detect.TriggerDetector`
    scores its tokens; the table keeps the planted trigger's ``z`` (backdoors
    only) and the highest ``z`` of any other token pure enough to be reported
    (``purity >= min_purity``).

    Returns
    -------
    pandas.DataFrame
        One row per training set: ``seed``, ``attack``, ``fraction``,
        ``target``, ``planted_z`` (NaN without a backdoor) and ``top_other_z``.
    """
    import pandas as pd

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    classes = [str(c) for c in np.unique(labels)]
    rows = []
    for seed in seeds:
        train_texts, _, train_labels, _ = split_data(texts, labels, test_size, seed)
        features = TextFeatures()
        sets = [("none", 0.0, None, train_texts, train_labels)]
        sets += [("random-flip", f, None, *_poisoned("random-flip", train_texts, train_labels, f, None, trigger, seed))
                 for f in flip_fractions]
        sets += [("backdoor", f, target, *_poisoned("backdoor", train_texts, train_labels, f, target, trigger, seed))
                 for f in fractions for target in classes]
        for attack, fraction, target, set_texts, set_labels in sets:
            detector = TriggerDetector(random_state=seed).fit(set_texts, set_labels, features=features)
            table = detector.token_scores_
            eligible = table[table["purity"] >= detector.min_purity]
            planted = eligible["token"] == trigger
            rows.append({"seed": seed, "attack": attack, "fraction": fraction, "target": target,
                         "planted_z": float(table.loc[table["token"] == trigger, "z"].max())
                         if attack == "backdoor" else float("nan"),
                         "top_other_z": float(eligible.loc[~planted, "z"].max()) if (~planted).any() else float("nan")})
    return pd.DataFrame(rows)


def _poisoned(attack, texts, labels, fraction, target, trigger, seed):
    sources = [c for c in np.unique(labels) if target is not None and str(c) != target]
    poisoned = apply_attack(attack, texts, labels, fraction, source_label=sources[0] if sources else None,
                            target_label=target, trigger=trigger, random_state=seed)
    return poisoned.texts, poisoned.labels


def summarize_trigger_evidence(evidence):
    """Per (attack, fraction): ``sets``, ``lowest_planted_z`` and ``highest_other_z``, rounded to 3 decimals.

    ``evidence`` is :func:`trigger_threshold_evidence`'s table; the result, as
    records, is what :data:`TRIGGER_THRESHOLD_EVIDENCE` holds.
    """
    summary = (evidence.groupby(["attack", "fraction"], sort=False)
               .agg(sets=("seed", "size"), lowest_planted_z=("planted_z", "min"),
                    highest_other_z=("top_other_z", "max"))
               .reset_index())
    records = summary.to_dict(orient="records")
    for record in records:
        record["sets"] = int(record["sets"])
        for key in ("fraction", "lowest_planted_z", "highest_other_z"):
            value = float(record[key])
            record[key] = None if np.isnan(value) else round(value, 3)
    return records


# --- Lesson 07: training techniques (partition ensembles, augmentation, adversarial training) --------------

def _poisoned_features(features, poisoned, attack, trigger):
    """The poisoned training counts and the test counts in the same columns, and the trigger's column.

    Built as the sweep builds them (:class:`course_utils.experiment._SplitFeatures`): label-only attacks
    and appended copies reuse the split's rows, a backdoor adds one to its trigger's column, so the
    numbers equal those of a pipeline fitted on the poisoned texts.
    """
    from .experiment import _add_one, _insert_empty_column

    X_train, X_test = features.X_train, features.X_test
    token = trigger.strip().lower()
    if token in features.vectorizer.vocabulary_:
        column = features.vectorizer.vocabulary_[token]
    else:
        column = int(np.searchsorted(features.vectorizer.get_feature_names_out(), token))
        X_train, X_test = _insert_empty_column(X_train, column), _insert_empty_column(X_test, column)
    rows = features.rows_for(poisoned.texts)
    if rows is not None:
        return X_train[rows], X_test, column
    if attack != "backdoor":  # pragma: no cover - every course attack on counts is one of the two above
        raise ValueError(f"cannot reuse the split's counts for the {attack} attack")
    return _add_one(X_train, column, poisoned.poisoned_indices), X_test, column


class Trainer(NamedTuple):
    """One trainer of :func:`evaluate_training_defenses`, with how it is fitted and what it faces.

    Attributes
    ----------
    factory : callable
        ``factory(seed)`` returns an unfitted classifier on counts, or ``None`` for the plain Naive Bayes.
    attacks : tuple of str or None, default=None
        The attacks it faces (``None``: every attack of the grid).
    trusted : bool, default=False
        An :class:`~course_utils.defenses.augment.AugmentedNB` that augments only the verified
        ``trusted_share`` of the clean rows (``fit(..., trusted=rows)``).
    keys : {"text", "row"}, default="text"
        What a :class:`~course_utils.defenses.ensembles.PartitionEnsemble` partitions by: the texts'
        hashes, or the rows' positions (``str(i)``: the partition a row number gives).
    """

    factory: object
    attacks: tuple | None = None
    trusted: bool = False
    keys: str = "text"


def _as_trainer(name, value):
    trainer = value if isinstance(value, Trainer) else Trainer(value)
    if not callable(trainer.factory):
        raise TypeError(f"defenses[{name!r}] must be a factory(seed) or a Trainer")
    if trainer.keys not in ("text", "row"):
        raise ValueError(f"defenses[{name!r}]: keys must be 'text' or 'row', got {trainer.keys!r}")
    return trainer


def evaluate_training_defenses(texts, labels, *, defenses, attack_fractions, seeds=(0, 1, 2, 3, 4),
                               trigger=DEFAULT_TRIGGER, test_size=0.25, trusted_share=0.1, radii=None):
    """Lesson 07's grid: each trainer against each attack, over seeds, with certificates where there are some.

    Each split is vectorised once and each attack applied once per seed, for every trainer.

    Parameters
    ----------
    texts, labels
        The whole data set; each seed splits it as the shared experiment does.
    defenses : dict
        Name -> :class:`Trainer`, or a bare ``factory(seed)`` (a trainer facing every attack). A
        :class:`~course_utils.defenses.ensembles.PartitionEnsemble` is given the poisoned texts as
        partition keys (or row numbers, ``keys="row"``).
    attack_fractions : dict
        Attack name -> fraction; ``"none"`` for the clean training set.
    seeds : sequence of int
    trigger : str
    test_size : float
    trusted_share : float in [0, 1]
        The share of the clean training rows verified as clean, for the trusted augmentation.
    radii : sequence of int or None, default=None
        For ensembles, also the certified accuracy on the test rows at each radius
        (columns ``certified@r``) and ``n_models``.

    Returns
    -------
    pandas.DataFrame
        One row per (seed, attack, defense) that the trainers face: ``accuracy``,
        ``attack_success_rate`` (NaN for attacks without a target), ``n_poisoned``, ``buckets_touched``
        (distinct buckets of the poisoned rows, ensembles only), ``victims_certified`` (share of the
        attack's victim rows whose certified radius covers the buckets touched), ``median_victim_radius``.
    """
    import pandas as pd

    from .attacks import check_trigger
    from .defenses.augment import AugmentedNB
    from .defenses.ensembles import PartitionEnsemble, text_hash
    from .experiment import _add_one, _prepared_split
    from .metrics import attack_success_rate
    from .models import make_classifier

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    if not isinstance(defenses, dict) or not defenses:
        raise TypeError("defenses must be a non-empty dict of name -> Trainer or factory(seed)")
    trainers = {name: _as_trainer(name, value) for name, value in defenses.items()}
    if not isinstance(attack_fractions, dict) or not attack_fractions:
        raise TypeError("attack_fractions must be a non-empty dict of attack name -> fraction")
    for attack, fraction in attack_fractions.items():
        if attack not in ATTACKS:
            raise ValueError(f"attack_fractions: attack must be one of {', '.join(ATTACKS)}; got {attack!r}")
        check_fraction(fraction, "attack_fractions")
    check_trigger(trigger)
    trusted_share = check_fraction(trusted_share, "trusted_share")
    radii = None if radii is None else [check_int(r, "radii", minimum=0) for r in radii]
    rows = []
    data_key = (tuple(texts), tuple(labels.tolist()), labels.dtype)
    for seed in seeds:
        seed = check_int(seed, "seeds", minimum=0)
        split, features, _, _ = _prepared_split("count-nb", seed, test_size, *data_key)
        train_texts, test_texts, train_labels, test_labels = split
        for attack, fraction in attack_fractions.items():
            facing = {n: t for n, t in trainers.items() if t.attacks is None or attack in t.attacks}
            if not facing:
                continue
            source, target = default_labels(labels, attack)
            poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source,
                                    target_label=target, trigger=trigger, random_state=seed)
            X, X_test, column = _poisoned_features(features, poisoned, attack, trigger)
            victims = X_victims = None
            if attack == "backdoor":
                victims = test_labels != target
                X_victims = _add_one(X_test[victims], column)
            elif attack == "targeted-flip":
                victims = test_labels == source
                X_victims = X_test[victims]
            poison_rows = np.unique(poisoned.poisoned_indices)
            clean_rows = np.setdiff1d(np.arange(len(train_texts)), poison_rows)
            rng = np.random.default_rng(seed)
            trusted = np.sort(rng.choice(clean_rows, size=int(round(trusted_share * len(train_texts))),
                                         replace=False))
            row_keys = [str(i) for i in range(len(poisoned.texts))]
            for name, trainer in facing.items():
                estimator = trainer.factory(seed)
                estimator = make_classifier("count-nb") if estimator is None else clone(estimator)
                fit_kw, keys = {}, poisoned.texts if trainer.keys == "text" else row_keys
                ensemble = isinstance(estimator, PartitionEnsemble)
                if ensemble:
                    fit_kw["partition_keys"] = keys
                elif isinstance(estimator, AugmentedNB) and trainer.trusted:
                    fit_kw["trusted"] = trusted
                estimator.fit(X, poisoned.labels, **fit_kw)
                row = {"seed": seed, "attack": attack, "fraction": fraction, "defense": name,
                       "n_poisoned": len(poison_rows), "attack_success_rate": np.nan, "buckets_touched": np.nan,
                       "victims_certified": np.nan, "median_victim_radius": np.nan}
                if ensemble:  # one vote of every model gives both the prediction and the radius
                    index, radius = estimator._certify(X_test)
                    predicted = estimator.classes_[index]
                    if radii is not None:
                        correct = predicted == test_labels
                        row["n_models"] = estimator.n_subsets_
                        row |= {f"certified@{r}": float(np.mean(correct & (radius >= r))) for r in radii}
                else:
                    predicted = estimator.predict(X_test)
                row["accuracy"] = accuracy(test_labels, predicted)
                if ensemble:
                    touched = len({text_hash(keys[i]) % estimator.n_subsets_ for i in poison_rows})
                    row["buckets_touched"] = touched
                rows.append(row)
                if victims is None:
                    continue
                if ensemble:
                    index, victim_radius = estimator._certify(X_victims)
                    victim_predicted = estimator.classes_[index]
                    row["victims_certified"] = float(np.mean(victim_radius >= touched)) if touched else 1.0
                    row["median_victim_radius"] = float(np.median(victim_radius))
                else:
                    victim_predicted = estimator.predict(X_victims)
                row["attack_success_rate"] = attack_success_rate(test_labels[victims], victim_predicted, target)
    return pd.DataFrame(rows)
