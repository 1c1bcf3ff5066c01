"""Lesson 06's grids: the DP Naive Bayes over epsilon, seeds and attacks, and robust trainers against every attack.

Every grid vectorises each seed's split once and works on count matrices:

* words are hashed into a fixed number of buckets (:func:`hashed_split`), a
  vocabulary chosen without looking at any training row, so choosing it spends
  no privacy; fewer buckets are the same hashes folded (:func:`fold_buckets`:
  for powers of two, ``hash % 2**a % 2**b == hash % 2**b``);
* label-only attacks keep the features, appended copies repeat rows, and a
  backdoored row is its clean row plus one count of the trigger's bucket (the
  trigger inserted into a sentence adds one occurrence of it and changes no
  other word), so no poisoned set is vectorised again;
* :func:`dp_grid` releases the noisy counts for every epsilon from one bounded
  count matrix per (split, design, attack, noise draw), exactly as
  :class:`~course_utils.defenses.robust.DPMultinomialNB` would (a test checks it).
"""

from __future__ import annotations

import copy
import time
from functools import lru_cache

import numpy as np

from ._parallel import run_tasks
from ._validation import check_choice, check_fraction, check_number, check_sequence
from .attacks import ATTACKS, DEFAULT_TRIGGER, apply_attack
from .data import shared_sentiment
from .defenses.robust import bound_contributions, laplace_scale, release_counts
from .experiment import _insert_empty_column, default_labels, split_data
from .models import make_vectorizer

__all__ = ["MAX_BUCKETS", "NAIVE_DESIGN", "hashed_vectorizer", "fold_buckets", "hashed_split", "poisoned_features",
           "dp_grid", "dp_fit_seconds", "choose_dp_design", "robust_grid",
           "steps_between"]

#: The most buckets a hashed design may use; every smaller power of two folds from it.
MAX_BUCKETS = 2 ** 16
#: The simple design the lesson starts from: the vectoriser's vocabulary, 20 words a row, alpha 1.
NAIVE_DESIGN = {"vocabulary": "fitted", "n_buckets": None, "max_words": 20, "alpha": 1.0}


def hashed_vectorizer(n_buckets=MAX_BUCKETS):
    """Words hashed into ``n_buckets`` columns, counted as ``CountVectorizer`` counts them (no sign, no norm)."""
    from sklearn.feature_extraction.text import HashingVectorizer

    n_buckets = check_number(n_buckets, "n_buckets", low=2, integer=True)
    return HashingVectorizer(n_features=n_buckets, alternate_sign=False, norm=None)


def fold_buckets(X, n_buckets):
    """Fold hashed counts of ``MAX_BUCKETS`` columns into ``n_buckets`` (a power of two), as hashing into them would."""
    from scipy import sparse

    n_buckets = check_number(n_buckets, "n_buckets", low=2, high=X.shape[1], integer=True)
    if n_buckets & (n_buckets - 1) or X.shape[1] % n_buckets:
        raise ValueError(f"n_buckets must be a power of two dividing {X.shape[1]}, got {n_buckets}")
    if n_buckets == X.shape[1]:
        return X
    X = X.tocsr()
    folded = sparse.csr_matrix((X.data.copy(), X.indices % n_buckets, X.indptr.copy()), shape=(X.shape[0], n_buckets))
    folded.sum_duplicates()
    return folded


class _Split:
    """One seed's split with its hashed and fitted-vocabulary count matrices."""

    def __init__(self, seed, test_size, texts, labels, trigger):
        self.seed = seed
        self.train_texts, self.test_texts, self.train_labels, self.test_labels = split_data(
            texts, labels, test_size, seed)
        hasher = hashed_vectorizer()
        self.features = {"hashed": (hasher.transform(self.train_texts), hasher.transform(self.test_texts))}
        counter = make_vectorizer("count-nb")
        self.features["fitted"] = (counter.fit_transform(self.train_texts), counter.transform(self.test_texts))
        self.trigger_column = {"hashed": int(hasher.transform([trigger]).indices[0])}
        vocabulary = counter.vocabulary_
        self.feature_names = counter.get_feature_names_out()
        self.trigger_column["fitted"] = vocabulary.get(trigger.strip().lower())
        self.row_of = {}
        for i, text in enumerate(self.train_texts):
            self.row_of.setdefault(text, i)


@lru_cache(maxsize=32)
def _cached_split(seed, test_size, trigger):
    data = shared_sentiment()
    return _Split(seed, test_size, data.texts, data.labels, trigger)


def hashed_split(seed, test_size=0.25, trigger=DEFAULT_TRIGGER):
    """The shipped data's split of ``seed``, vectorised once (cached; nothing returned is modified by its users)."""
    seed = check_number(seed, "seed", low=0, integer=True)
    return _cached_split(seed, test_size, trigger)


def _add_to_column(X, rows, column):
    from scipy import sparse

    rows = np.asarray(rows, dtype=int)
    extra = sparse.csr_matrix((np.ones(len(rows)), (rows, np.full(len(rows), column))), shape=X.shape)
    return (X + extra).tocsr()


def steps_between(attack, n_poisoned):
    """Add-or-remove steps from the clean to the poisoned training set: ``k`` appended rows, ``2k`` changed rows."""
    check_choice(attack, "attack", tuple(ATTACKS))
    return int(n_poisoned) if attack == "duplicate-flip" else 2 * int(n_poisoned)


def poisoned_features(split, attack, fraction, vocabulary="hashed", trigger=DEFAULT_TRIGGER):
    """The poisoned training matrix and labels, and the test rows that score the attack.

    Returns
    -------
    dict
        ``X``, ``y`` (the poisoned training set), ``n_poisoned``, ``X_test``,
        ``X_attack`` and ``y_attack`` (the rows whose predictions make the attack
        success rate: the source class for a targeted flip, the non-target test
        rows with the trigger added for a backdoor; ``None`` without a target),
        ``target``.
    """
    check_choice(vocabulary, "vocabulary", ("hashed", "fitted"))
    source, target = default_labels(split.train_labels, attack)
    poisoned = apply_attack(attack, split.train_texts, split.train_labels, fraction, source_label=source,
                            target_label=target, trigger=trigger, random_state=split.seed)
    X, X_test = split.features[vocabulary]
    n = len(split.train_texts)
    if attack == "duplicate-flip":
        X = X[np.concatenate([np.arange(n), [split.row_of[t] for t in poisoned.texts[n:]]]).astype(int)]
    column = split.trigger_column[vocabulary]
    if attack == "backdoor":
        if column is None:  # a new word: its column goes where a vectoriser refitted on the poisoned rows puts it
            column = int(np.searchsorted(split.feature_names, trigger.strip().lower()))
            X, X_test = _insert_empty_column(X, column), _insert_empty_column(X_test, column)
        X = _add_to_column(X, poisoned.poisoned_indices, column)
    out = {"X": X, "y": poisoned.labels, "n_poisoned": int(len(poisoned.poisoned_indices)), "X_test": X_test,
           "X_attack": None, "y_attack": None, "target": target}
    if attack == "backdoor":
        victims = np.flatnonzero(split.test_labels != target)
        out["X_attack"] = _add_to_column(X_test[victims], np.arange(len(victims)), column)
        out["y_attack"] = split.test_labels[victims]
    elif attack == "targeted-flip":
        out["X_attack"], out["y_attack"], out["source"] = X_test, split.test_labels, source
    return out


def _design_features(split, design, poisoned):
    if design["vocabulary"] == "hashed":
        fold = design["n_buckets"]
        return {key: (None if poisoned[key] is None else fold_buckets(poisoned[key], fold))
                for key in ("X", "X_test", "X_attack")}
    return {key: poisoned[key] for key in ("X", "X_test", "X_attack")}


def _check_design(name, design):
    if not isinstance(design, dict):
        raise TypeError(f"design {name!r} must be a dict, got {type(design).__name__}")
    check_choice(design.get("vocabulary"), f"design {name!r} vocabulary", ("hashed", "fitted"))
    check_number(design.get("max_words"), f"design {name!r} max_words", low=1, integer=True)
    check_number(design.get("alpha"), f"design {name!r} alpha", low=0.0, low_open=True)
    if design["vocabulary"] == "hashed":
        check_number(design.get("n_buckets"), f"design {name!r} n_buckets", low=2, high=MAX_BUCKETS, integer=True)


def _release(bounded, class_count, rng_after_bounding, epsilon, design, class_share=0.1):
    """The fitted DPMultinomialNB's log-probabilities for one epsilon, from its bounded counts (same draws)."""
    scales = {"feature_count": laplace_scale(design["max_words"], (1 - class_share) * epsilon),
              "class_count": laplace_scale(1, class_share * epsilon)}
    released = release_counts(bounded, class_count, copy.deepcopy(rng_after_bounding), scales, design["alpha"])
    return released[2], released[3]


def _share_equal(predicted, expected):
    """The share of rows where ``predicted`` equals ``expected`` (labels checked once, upstream)."""
    return float(np.mean(np.asarray(predicted) == expected)) if len(predicted) else float("nan")


def _success(predicted, part):
    """The attack success rate by the course's rule, on the rows ``poisoned_features`` set aside."""
    if part.get("source") is not None:
        source_rows = np.asarray(part["y_attack"]) == part["source"]
        return _share_equal(np.asarray(predicted)[source_rows], part["target"])
    return _share_equal(predicted, part["target"])


def _predict(X, classes, log_prob, log_prior):
    return classes[np.argmax(np.asarray(X @ log_prob.T) + log_prior, axis=1)]


def _dp_rows(seed, designs, epsilons, attacks, noise_draws, trigger, test_size):
    """The rows of :func:`dp_grid` for one seed."""
    rows = []
    split = hashed_split(seed, test_size, trigger)
    for attack, fraction in attacks:
        for name, design in designs.items():
            poisoned = poisoned_features(split, attack, fraction, design["vocabulary"], trigger)
            matrices = _design_features(split, design, poisoned)
            classes, encoded = np.unique(poisoned["y"], return_inverse=True)
            members = np.eye(len(classes))[encoded].T
            for draw in range(noise_draws):
                rng = np.random.default_rng(draw)
                bounded = bound_contributions(matrices["X"], design["max_words"], random_state=rng)
                counts = np.asarray((bounded.T @ members.T).T)
                class_count = members.sum(axis=1)
                for epsilon in epsilons:
                    log_prob, log_prior = _release(counts, class_count, rng, epsilon, design)
                    acc = _share_equal(_predict(matrices["X_test"], classes, log_prob, log_prior),
                                       split.test_labels)
                    success = None
                    if matrices["X_attack"] is not None:
                        success = _success(_predict(matrices["X_attack"], classes, log_prob, log_prior), poisoned)
                    rows.append({"design": name, "attack": attack, "fraction": fraction, "seed": seed,
                                 "draw": draw, "epsilon": epsilon, "n_poisoned": poisoned["n_poisoned"],
                                 "steps": steps_between(attack, poisoned["n_poisoned"]) if attack != "none"
                                 else 0, "accuracy": acc, "attack_success_rate": success})
    return rows


def dp_grid(designs, epsilons, *, seeds=(0, 1, 2, 3, 4), attacks=(("none", 0.0),), noise_draws=1,
            trigger=DEFAULT_TRIGGER, test_size=0.25, n_jobs=1):
    """DP Naive Bayes of each design at each epsilon, over seeds, attacks and noise draws (the shipped data).

    Parameters
    ----------
    designs : dict
        Name -> ``{"vocabulary": "hashed" or "fitted", "n_buckets": int (hashed), "max_words": int,
        "alpha": float}``.
    epsilons : sequence of float > 0 (``inf`` allowed)
    seeds : sequence of int
    attacks : sequence of (attack, fraction)
    noise_draws : int >= 1
        Fits per setting, with ``random_state`` 0, 1, ...
    n_jobs : int, default=1
        Processes that run the seeds side by side (-1: one per core); it changes
        the time, never the numbers.

    Returns
    -------
    pandas.DataFrame
        One row per (design, attack, fraction, seed, draw, epsilon): ``n_poisoned``, ``steps``,
        ``accuracy`` and ``attack_success_rate`` (``None`` without a target).
    """
    import pandas as pd

    if not isinstance(designs, dict) or not designs:
        raise ValueError("designs must be a non-empty dict of name -> design")
    for name, design in designs.items():
        _check_design(name, design)
    epsilons = [check_number(e, "epsilons", low=0.0, low_open=True) for e in check_sequence(epsilons, "epsilons")]
    seeds = [check_number(s, "seeds", low=0, integer=True) for s in check_sequence(seeds, "seeds")]
    noise_draws = check_number(noise_draws, "noise_draws", low=1, integer=True)
    attacks = [(check_choice(a, "attack", tuple(ATTACKS)), check_fraction(f)) for a, f in attacks]
    parts = run_tasks(_dp_rows, [(seed, designs, epsilons, attacks, noise_draws, trigger, test_size)
                                  for seed in seeds], n_jobs, lambda: _prepare(seeds, test_size, trigger))
    return pd.DataFrame([row for part in parts for row in part])


def _choice_scores(seed, candidates, epsilon, validation_size, noise_draws):
    """One seed's validation accuracies for :func:`choose_dp_design`: name -> one score per draw."""
    scores = {name: [] for name in candidates}
    hasher = hashed_vectorizer()
    split = hashed_split(seed)
    fit_texts, val_texts, fit_labels, val_labels = split_data(split.train_texts, split.train_labels,
                                                              validation_size, seed)
    X_fit, X_val = hasher.transform(fit_texts), hasher.transform(val_texts)
    classes, encoded = np.unique(fit_labels, return_inverse=True)
    members = np.eye(len(classes))[encoded].T
    folded, bounded = {}, {}
    for name, design in candidates.items():
        buckets, words = design["n_buckets"], design["max_words"]
        if buckets not in folded:
            folded[buckets] = (fold_buckets(X_fit, buckets), fold_buckets(X_val, buckets))
        A, V = folded[buckets]
        for draw in range(noise_draws):
            # The same draws DPMultinomialNB(random_state=draw) makes: bound, then noise. Designs that
            # differ only in alpha (post-processing) share the bounding; _release copies the generator.
            if (buckets, words, draw) not in bounded:
                rng = np.random.default_rng(draw)
                counts = np.asarray((bound_contributions(A, words, random_state=rng).T @ members.T).T)
                bounded[buckets, words, draw] = counts, rng
            counts, rng = bounded[buckets, words, draw]
            log_prob, log_prior = _release(counts, members.sum(axis=1), rng, epsilon, design)
            scores[name].append(_share_equal(_predict(V, classes, log_prob, log_prior), val_labels))
    return scores


def dp_fit_seconds(designs, epsilon=1.0, *, seeds=(0, 1, 2, 3, 4), test_size=0.25):
    """Seconds :class:`DPMultinomialNB` takes to fit each design on each seed's clean training rows, averaged.

    The sentences are those every clean fit of :func:`robust_grid` is timed on,
    as the design's features (the fitted vocabulary's counts, or the hashed
    counts folded into its buckets), so the figures divide by the
    ``clean_seconds`` of that grid's ``MultinomialNB``.

    Returns
    -------
    dict
        Design name -> mean seconds of one fit.
    """
    from .defenses.robust import DPMultinomialNB

    if not isinstance(designs, dict) or not designs:
        raise ValueError("designs must be a non-empty dict of name -> design")
    for name, design in designs.items():
        _check_design(name, design)
    epsilon = check_number(epsilon, "epsilon", low=0.0, low_open=True)
    seeds = [check_number(s, "seeds", low=0, integer=True) for s in check_sequence(seeds, "seeds")]
    seconds = {}
    for name, design in designs.items():
        times = []
        for seed in seeds:
            split = hashed_split(seed, test_size)
            clean = poisoned_features(split, "none", 0.0, design["vocabulary"])
            X = _design_features(split, design, clean)["X"]
            model = DPMultinomialNB(epsilon=epsilon, max_words=design["max_words"], alpha=design["alpha"],
                                    random_state=seed)
            started = time.perf_counter()
            model.fit(X, clean["y"])
            times.append(time.perf_counter() - started)
        seconds[name] = float(np.mean(times))
    return seconds


def choose_dp_design(candidates, epsilon=1.0, *, seeds=(0, 1, 2, 3, 4), validation_size=0.25, noise_draws=1,
                     n_jobs=1):
    """Validation accuracy of each candidate design at ``epsilon``, on rows held out of each seed's training set.

    Each seed's training rows are split again (stratified, by the same seed):
    the design is fitted on one part and scored on the other; the test rows take
    no part. Returns a DataFrame with one row per design (its settings, ``mean``
    and ``spread`` of the validation accuracy over seeds and draws), best first.
    ``n_jobs`` processes score the seeds side by side (-1: one per core); it
    changes the time, never the numbers.
    """
    import pandas as pd

    if not isinstance(candidates, dict) or not candidates:
        raise ValueError("candidates must be a non-empty dict of name -> design")
    for name, design in candidates.items():
        _check_design(name, design)
        if design["vocabulary"] != "hashed":
            raise ValueError(f"candidate {name!r}: only hashed vocabularies are chosen without spending privacy")
    epsilon = check_number(epsilon, "epsilon", low=0.0, low_open=True)
    validation_size = check_number(validation_size, "validation_size", low=0.0, high=1.0, low_open=True,
                                   high_open=True)
    scores = {name: [] for name in candidates}
    tasks = [(seed, candidates, epsilon, validation_size, noise_draws) for seed in seeds]
    for part in run_tasks(_choice_scores, tasks, n_jobs, lambda: _prepare(seeds)):
        for name, values in part.items():
            scores[name].extend(values)
    table = pd.DataFrame([{"design": name, **candidates[name], "mean": float(np.mean(v)),
                           "spread": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0} for name, v in scores.items()])
    return table.sort_values(["mean", "design"], ascending=[False, True], kind="stable").reset_index(drop=True)


@lru_cache(maxsize=1)
def _text_features():
    """One tokenisation cache per process: every seed's split and every poisoned copy share its texts."""
    from .detect import TextFeatures

    return TextFeatures()


def _tfidf_features(split, attack, fraction, trigger):
    source, target = default_labels(split.train_labels, attack)
    poisoned = apply_attack(attack, split.train_texts, split.train_labels, fraction, source_label=source,
                            target_label=target, trigger=trigger, random_state=split.seed)
    from .attacks import insert_trigger

    # TfidfVectorizer().fit_transform(poisoned.texts), entry for entry, without tokenising again.
    X, vectorizer = _text_features().fit_transform(poisoned.texts, "tfidf")
    out = {"X": X, "y": poisoned.labels,
           "n_poisoned": int(len(poisoned.poisoned_indices)), "X_test": vectorizer.transform(split.test_texts),
           "X_attack": None, "y_attack": None, "target": target, "source": source}
    if attack == "backdoor":
        victims = split.test_labels != target
        triggered = insert_trigger([t for t, v in zip(split.test_texts, victims) if v], trigger,
                                   random_state=split.seed)
        out["X_attack"], out["y_attack"] = vectorizer.transform(triggered), split.test_labels[victims]
    elif attack == "targeted-flip":
        out["X_attack"], out["y_attack"] = out["X_test"], split.test_labels
    return out


def _robust_rows(seed, trainers, attacks, trigger, test_size):
    """The rows of :func:`robust_grid` for one seed."""
    from sklearn.base import clone

    rows = []
    split = hashed_split(seed, test_size, trigger)
    sets = {}
    models = {model for model, _ in trainers.values()}
    for attack, fraction in [("none", 0.0), *attacks.items()]:
        sets[attack] = {}
        if "count-nb" in models:
            sets[attack]["count-nb"] = poisoned_features(split, attack, fraction, "fitted", trigger)
        if "tfidf-logreg" in models:
            sets[attack]["tfidf-logreg"] = _tfidf_features(split, attack, fraction, trigger)
    for name, (model, estimator) in trainers.items():
        fitted = {}
        for attack in sets:
            part = sets[attack][model]
            learner = clone(estimator)
            if "random_state" in learner.get_params():
                learner.set_params(random_state=seed)
            started = time.perf_counter()
            learner.fit(part["X"], part["y"])
            fitted[attack] = (learner, time.perf_counter() - started)
        clean_model, clean_seconds = fitted["none"]
        clean_accuracy = _share_equal(clean_model.predict(sets["none"][model]["X_test"]), split.test_labels)
        for attack in attacks:
            part, (learner, seconds) = sets[attack][model], fitted[attack]
            success = None
            if part["X_attack"] is not None:
                success = _success(learner.predict(part["X_attack"]), part)
            rows.append({"trainer": name, "model": model, "attack": attack, "fraction": attacks[attack],
                         "seed": seed, "n_poisoned": part["n_poisoned"], "clean_accuracy": clean_accuracy,
                         "poisoned_accuracy": _share_equal(learner.predict(part["X_test"]), split.test_labels),
                         "attack_success_rate": success, "seconds": seconds, "clean_seconds": clean_seconds})
    return rows


def _prepare(seeds, test_size=0.25, trigger=DEFAULT_TRIGGER, texts=False):
    """Fill the caches the seeds' tasks read: each split's count matrices and, with ``texts``, every text's tokens."""
    for seed in seeds:
        hashed_split(seed, test_size, trigger)
    if texts:
        _text_features().fit_transform(list(shared_sentiment().texts))


def robust_grid(trainers, attacks, *, seeds=(0, 1, 2, 3, 4), trigger=DEFAULT_TRIGGER, test_size=0.25, n_jobs=1):
    """Every trainer against every attack and on the clean training set, over seeds (the shipped data).

    Parameters
    ----------
    trainers : dict
        Name -> ``(model, estimator)``: ``model`` is ``"count-nb"`` (word counts) or
        ``"tfidf-logreg"`` (TF-IDF weights), ``estimator`` an unfitted classifier
        (cloned, with ``random_state`` set to the seed where it has one).
    attacks : dict
        Attack -> fraction.
    seeds : sequence of int, default=(0, 1, 2, 3, 4)
    trigger : str, default="cf"
    test_size : float in (0, 1), default=0.25
    n_jobs : int, default=1
        Processes that run the seeds side by side (-1: all cores); it changes
        the time (and the ``seconds`` columns), never the other numbers.

    Returns
    -------
    pandas.DataFrame
        One row per (trainer, attack, seed) with ``clean_accuracy`` (trained on
        the clean rows), ``poisoned_accuracy``, ``attack_success_rate``,
        ``n_poisoned``, ``seconds`` (the poisoned fit) and ``clean_seconds``.
    """
    import pandas as pd

    if not isinstance(trainers, dict) or not trainers:
        raise ValueError("trainers must be a non-empty dict of name -> (model, estimator)")
    if not isinstance(attacks, dict) or not attacks:
        raise ValueError("attacks must be a non-empty dict of attack -> fraction")
    for name, (model, _) in trainers.items():
        check_choice(model, f"trainer {name!r} model", ("count-nb", "tfidf-logreg"))
    attacks = {check_choice(attack, "attacks", tuple(ATTACKS)): check_fraction(fraction)
               for attack, fraction in attacks.items()}
    seeds = [check_number(s, "seeds", low=0, integer=True) for s in check_sequence(seeds, "seeds")]
    # One task per seed and model: a seed's logistic-regression fits take several times its Naive
    # Bayes fits, and smaller tasks keep both cores busy to the end.
    families = {}
    for name, (model, estimator) in trainers.items():
        families.setdefault(model, {})[name] = (model, estimator)
    tasks = [(seed, family, attacks, trigger, test_size) for seed in seeds for family in families.values()]
    parts = run_tasks(_robust_rows, tasks, n_jobs, lambda: _prepare(seeds, test_size, trigger, texts=True))
    # Back to the serial order: seed by seed (a seed's parts are consecutive), trainers as given.
    rank = {name: i for i, name in enumerate(trainers)}
    rows = []
    for k in range(0, len(parts), len(families)):
        seed_rows = [row for part in parts[k:k + len(families)] for row in part]
        rows += sorted(seed_rows, key=lambda row: rank[row["trainer"]])
    return pd.DataFrame(rows)
