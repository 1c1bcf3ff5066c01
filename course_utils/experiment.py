"""The shared experiment: split, poison, train, measure; one run or a sweep.

Every lesson measures against the same ground:

* a stratified train/test split fixed by the seed (:func:`split_data`);
* a model, by default the reference's ``CountVectorizer + MultinomialNB``
  (:func:`make_model`);
* an attack of :mod:`course_utils.attacks` at a budget;
* the clean model and the poisoned model scored on the same untouched test set,
  with the attack success rate where the attack has a target.

:func:`run_experiment` does this once, with a plain scikit-learn pipeline.
:func:`sweep` does it over attacks x fractions x seeds and, to stay fast,
vectorises each split once and reuses the features for attacks that leave the
training texts as they are (a test checks that both give the same numbers).
:func:`summarize` turns a sweep into means with 95% intervals.
"""

from __future__ import annotations

import time
from functools import lru_cache

import numpy as np

from ._validation import (
    check_choice,
    check_fraction,
    check_int,
    check_label_in,
    check_labels,
    check_texts,
)
from .attacks import ATTACKS, DEFAULT_TRIGGER, apply_attack, insert_trigger
from .metrics import accuracy, attack_success_rate, mean_interval

__all__ = [
    "MODELS",
    "DEFENSES",
    "make_model",
    "split_data",
    "default_labels",
    "run_experiment",
    "sweep",
    "summarize",
]

#: Model names accepted by :func:`make_model`.
MODELS = ("count-nb", "tfidf-logreg")


def make_model(model="count-nb", random_state=None):
    """Return an unfitted text-classification pipeline.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        ``"count-nb"`` is the reference's ``make_pipeline(CountVectorizer(),
        MultinomialNB())``; ``"tfidf-logreg"`` is TF-IDF features with
        logistic regression, the course's second model.
    random_state : None or int, default=None
        Used by the logistic regression's solver.

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    check_choice(model, "model", MODELS)
    if model == "count-nb":
        return make_pipeline(CountVectorizer(), MultinomialNB())
    return make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000, random_state=random_state))


def split_data(texts, labels, test_size=0.25, random_state=0):
    """Split labelled texts into a stratified train and test set.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    test_size : float in (0, 1), default=0.25
    random_state : int, default=0
        The seed; the same seed gives the same split.

    Returns
    -------
    train_texts, test_texts : list of str
    train_labels, test_labels : ndarray
    """
    from sklearn.model_selection import train_test_split

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float)) or not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be a number strictly between 0 and 1, got {test_size!r}")
    random_state = check_int(random_state, "random_state", minimum=0)
    classes, counts = np.unique(labels, return_counts=True)
    if len(classes) < 2:
        raise ValueError(f"labels must hold at least two classes, got {list(classes)}")
    if counts.min() < 2:
        raise ValueError(f"class {classes[counts.argmin()]!r} has a single row; a stratified split needs two per class")
    try:
        train_texts, test_texts, train_labels, test_labels = train_test_split(
            texts, labels, test_size=test_size, random_state=random_state, stratify=labels
        )
    except ValueError as error:
        raise ValueError(f"cannot split {len(texts)} rows with test_size={test_size}: {error}") from None
    return list(train_texts), list(test_texts), np.asarray(train_labels), np.asarray(test_labels)


def default_labels(labels, attack, source_label=None, target_label=None):
    """Fill in the source and target labels an attack needs.

    When not given, the target is the first label in sorted order
    (``"negative"`` for the shipped data, as in the reference, whose attacker
    wants positive sentences read as negative) and the source, for a
    targeted flip, the first other label.

    Returns
    -------
    (source_label, target_label)
        ``(None, None)`` for attacks without a target; a duplicate-and-flip
        attack keeps whatever was given.
    """
    classes = [c.item() if hasattr(c, "item") else c for c in np.unique(check_labels(labels))]
    for name, value in (("source_label", source_label), ("target_label", target_label)):
        if value is not None:
            check_label_in(value, classes, name)
    if attack in ("none", "random-flip"):
        return None, None
    if attack == "duplicate-flip":
        return source_label, target_label
    if target_label is None:
        target_label = classes[0] if source_label != classes[0] else classes[1]
    if attack == "targeted-flip" and source_label is None:
        source_label = next(c for c in classes if c != target_label)
    if source_label is not None and source_label == target_label:
        raise ValueError("source_label and target_label must differ")
    return (source_label if attack != "backdoor" else None), target_label


def _success(attack, model_predict, test_texts, test_labels, source_label, target_label, trigger, seed):
    """Attack success rate of one fitted model, or None where the attack has no target."""
    if attack == "backdoor":
        victims = test_labels != target_label
        triggered = insert_trigger([t for t, v in zip(test_texts, victims) if v], trigger, random_state=seed)
        return attack_success_rate(test_labels[victims], model_predict(triggered), target_label)
    if target_label is not None and source_label is not None:
        return attack_success_rate(test_labels, model_predict(test_texts), target_label, source_label)
    return None


def _validate_run(texts, labels, attack, fraction, model, seed, test_size, trigger):
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    check_choice(attack, "attack", tuple(ATTACKS))
    check_choice(model, "model", MODELS)
    fraction = check_fraction(fraction)
    seed = check_int(seed, "seed", minimum=0)
    if not isinstance(trigger, str):
        raise TypeError(f"trigger must be a str, got {type(trigger).__name__}")
    return texts, labels, fraction, seed


#: Defense names accepted by :func:`run_experiment` (see :mod:`course_utils.detect`).
DEFENSES = ("none", "audit", "isolation-forest", "knn", "confident", "cleanlab", "trigger")


def run_experiment(texts, labels, *, attack="none", fraction=0.0, source_label=None, target_label=None,
                   trigger=DEFAULT_TRIGGER, model="count-nb", seed=0, test_size=0.25, defense="none",
                   budget=None):
    """Run the shared experiment once: split, poison, train both models, score.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    attack : {"none", "duplicate-flip", "random-flip", "targeted-flip", "backdoor"}, default="none"
    fraction : float in [0, 1], default=0.0
        The attacker's budget as a share of the training set.
    source_label, target_label : label, default=None
        See :func:`default_labels` for what is used when they are not given.
    trigger : str, default="cf"
        The backdoor's trigger token.
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
    seed : int, default=0
        Seeds the split, the attack, the trigger positions and the model.
    test_size : float in (0, 1), default=0.25
    defense : {"none", "audit", "isolation-forest", "knn", "confident", "cleanlab", "trigger"}, default="none"
        A detector of :mod:`course_utils.detect` run on the poisoned training
        set; the rows it flags are removed and the model is trained again.
    budget : float in (0, 1], default=None
        With a defense: remove the ``round(budget * n)`` most suspicious rows
        instead of the detector's own rule.

    Returns
    -------
    dict
        ``n_train``, ``n_test``, ``n_poisoned``, ``clean_accuracy``,
        ``poisoned_accuracy``, ``clean_attack_success_rate`` and
        ``attack_success_rate`` (``None`` where the attack has no target),
        ``seconds``, and the settings used. With a defense also
        ``defended_accuracy``, ``defended_attack_success_rate`` and ``detection``
        (``precision``, ``recall``, ``f1``, ``n_flagged``, ``clean_rows_removed``,
        ``seconds``).
    """
    started = time.perf_counter()
    texts, labels, fraction, seed = _validate_run(texts, labels, attack, fraction, model, seed, test_size, trigger)
    check_choice(defense, "defense", DEFENSES)
    if budget is not None:
        if defense == "none":
            raise ValueError("budget needs a defense: give one of " + ", ".join(DEFENSES[1:]))
        if isinstance(budget, bool) or not isinstance(budget, (int, float)) or not 0 < budget <= 1:
            raise ValueError(f"budget must be a share of the training rows in (0, 1], got {budget!r}")
    source_label, target_label = default_labels(labels, attack, source_label, target_label)
    train_texts, test_texts, train_labels, test_labels = split_data(texts, labels, test_size, seed)
    poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source_label,
                            target_label=target_label, trigger=trigger, random_state=seed)
    clean_model = make_model(model, random_state=seed).fit(train_texts, train_labels)
    poisoned_model = make_model(model, random_state=seed).fit(poisoned.texts, poisoned.labels)
    success_args = (test_texts, test_labels, source_label, target_label, trigger, seed)
    result = {
        "attack": attack,
        "fraction": fraction,
        "model": model,
        "seed": seed,
        "test_size": test_size,
        "source_label": source_label,
        "target_label": target_label,
        "trigger": trigger if attack == "backdoor" else None,
        "n_train": len(train_texts),
        "n_test": len(test_texts),
        "n_poisoned": int(len(poisoned.poisoned_indices)),
        "clean_accuracy": accuracy(test_labels, clean_model.predict(test_texts)),
        "poisoned_accuracy": accuracy(test_labels, poisoned_model.predict(test_texts)),
        "clean_attack_success_rate": _success(attack, clean_model.predict, *success_args),
        "attack_success_rate": _success(attack, poisoned_model.predict, *success_args),
    }
    if defense != "none":
        result.update(_defend(attack, defense, budget, poisoned, model, seed, test_texts, test_labels,
                              success_args))
    result["seconds"] = time.perf_counter() - started
    return result


def _defend(attack, defense, budget, poisoned, model, seed, test_texts, test_labels, success_args):
    """Flag rows with a detector, remove them, retrain and score the same test set."""
    from .detect import make_detector
    from .metrics import detection_scores

    started = time.perf_counter()
    flagged = make_detector(defense, random_state=seed).fit_flag(poisoned.texts, poisoned.labels, budget=budget)
    seconds = time.perf_counter() - started
    keep = np.setdiff1d(np.arange(len(poisoned.texts)), flagged)
    kept_labels = poisoned.labels[keep]
    if len(np.unique(kept_labels)) < 2:
        raise ValueError(f"the {defense} defense flagged every row of a class; lower the budget")
    defended = make_model(model, random_state=seed).fit([poisoned.texts[i] for i in keep], kept_labels)
    detection = detection_scores(flagged, poisoned.poisoned_indices)
    detection["clean_rows_removed"] = int(len(np.setdiff1d(flagged, poisoned.poisoned_indices)))
    detection["seconds"] = seconds
    return {
        "defense": defense,
        "budget": budget,
        "defended_accuracy": accuracy(test_labels, defended.predict(test_texts)),
        "defended_attack_success_rate": _success(attack, defended.predict, *success_args),
        "detection": detection,
    }


def _add_one(X, column, rows=None):
    """``X`` with one added to ``column`` of ``rows`` (default: every row); a new matrix."""
    from scipy import sparse

    rows = np.arange(X.shape[0]) if rows is None else np.asarray(rows, dtype=int)
    ones = sparse.csr_matrix((np.ones(len(rows), dtype=X.dtype), (rows, np.full(len(rows), column))), shape=X.shape)
    return (X + ones).tocsr()


def _insert_empty_column(X, column):
    """``X`` with an all-zero column inserted before ``column``; a new matrix."""
    from scipy import sparse

    empty = sparse.csr_matrix((X.shape[0], 1), dtype=X.dtype)
    return sparse.hstack([X[:, :column], empty, X[:, column:]], format="csr")


class _SplitFeatures:
    """One split's vectoriser and features, reused by attacks that keep the texts.

    Refitting a vectoriser on the same texts gives the same vocabulary and the
    same rows, so for label-only attacks (and, with word counts, for appended
    copies of training rows and for backdoored rows) the features can be reused
    instead of rebuilt.
    TF-IDF weights depend on how often each word occurs across rows, so with
    ``tfidf-logreg`` only label-only attacks reuse the features.
    """

    def __init__(self, model, seed, train_texts, test_texts):
        self.model, self.seed = model, seed
        self.train_texts = train_texts
        self.row_of = {}
        for i, text in enumerate(train_texts):
            self.row_of.setdefault(text, i)
        pipeline = make_model(model, random_state=seed)
        self.vectorizer = pipeline.steps[0][1]
        self.X_train = self.vectorizer.fit_transform(train_texts)  # as Pipeline.fit builds it
        self.X_test = self.vectorizer.transform(test_texts)

    def rows_for(self, texts):
        """Training-row numbers whose features equal those of ``texts``, or None."""
        n = len(self.train_texts)
        if texts[:n] != self.train_texts:
            return None
        if len(texts) == n:
            return np.arange(n)
        if self.model != "count-nb" or any(t not in self.row_of for t in texts[n:]):
            return None
        return np.concatenate([np.arange(n), [self.row_of[t] for t in texts[n:]]])

    def fit_backdoor(self, poisoned, trigger):
        """Fit on the features of a backdoored set without vectorising it again (word counts only).

        A backdoored row is its clean row plus one occurrence of the trigger token,
        so its counts are the clean counts plus one in the trigger's column. When
        the trigger is a new word, its column is inserted where a refitted
        vectoriser would put it (vocabularies are sorted), so the classifier sees
        exactly the matrix a fresh pipeline would build.

        Returns
        -------
        classifier
            Fitted on the backdoored counts.
        X_test : sparse matrix
            The test features in the classifier's columns.
        column : int
            The trigger's column: adding one there to a test row gives the
            features of that row with the trigger inserted.
        """
        token = trigger.strip().lower()
        X_train, X_test = self.X_train, self.X_test
        if token in self.vectorizer.vocabulary_:
            column = self.vectorizer.vocabulary_[token]
        else:
            column = int(np.searchsorted(self.vectorizer.get_feature_names_out(), token))
            X_train, X_test = _insert_empty_column(X_train, column), _insert_empty_column(X_test, column)
        X_train = _add_one(X_train, column, poisoned.poisoned_indices)
        classifier = make_model(self.model, random_state=self.seed).steps[1][1]
        classifier.fit(X_train, poisoned.labels)
        return classifier, X_test, column

    def fit_predictor(self, rows, labels):
        """Fit the classifier on reused features; return a predict function for texts."""
        classifier = make_model(self.model, random_state=self.seed).steps[1][1]
        classifier.fit(self.X_train[rows], labels)

        def predict(texts):
            return classifier.predict(self.vectorizer.transform(texts))

        return classifier, predict


@lru_cache(maxsize=16)
def _prepared_split(model, seed, test_size, texts, labels, labels_dtype):
    """One seed's split, its features and its clean model, kept for the next sweep of the same data.

    The lessons and their playgrounds sweep the same data and seeds again and
    again; caching by content makes each split's tokenising and clean fit happen
    once per process. Nothing returned here is modified by its users.
    """
    split = split_data(list(texts), np.asarray(labels, dtype=labels_dtype), test_size, seed)
    train_texts, test_texts, train_labels, test_labels = split
    features = _SplitFeatures(model, seed, train_texts, test_texts)
    clean_classifier, clean_predict = features.fit_predictor(np.arange(len(train_texts)), train_labels)
    clean_accuracy = accuracy(test_labels, clean_classifier.predict(features.X_test))
    return split, features, clean_predict, clean_accuracy


def sweep(texts, labels, *, attacks=("random-flip", "targeted-flip", "duplicate-flip", "backdoor"),
          fractions=(0.0, 0.05, 0.1, 0.2, 0.3, 0.4), seeds=(0, 1, 2, 3, 4), source_label=None,
          target_label=None, trigger=DEFAULT_TRIGGER, model="count-nb", test_size=0.25):
    """Run the shared experiment over attacks x fractions x seeds.

    Each seed's split is vectorised once; its clean model is trained once and
    reused for every attack and fraction (and by later sweeps of the same data in
    the same process); label-only attacks reuse the features, and backdoors with
    word counts add the trigger's counts instead of vectorising again.
    The numbers equal those of :func:`run_experiment` with the same arguments.

    Parameters
    ----------
    texts, labels
        The whole data set; each seed splits it anew.
    attacks : sequence of str
        Attack names (see :data:`course_utils.attacks.ATTACKS`).
    fractions : sequence of float in [0, 1]
    seeds : sequence of int
    source_label, target_label, trigger, model, test_size
        As for :func:`run_experiment`.

    Returns
    -------
    pandas.DataFrame
        One row per (attack, fraction, seed) with the columns of
        :func:`run_experiment` except ``seconds``.
    """
    import pandas as pd

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    attacks, fractions, seeds = list(attacks), list(fractions), list(seeds)
    for name, values in (("attacks", attacks), ("fractions", fractions), ("seeds", seeds)):
        if not values:
            raise ValueError(f"{name} must not be empty")
    for attack in attacks:
        _validate_run(texts, labels, attack, 0.0, model, 0, test_size, trigger)
    fractions = [check_fraction(f, "fractions") for f in fractions]
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    targets = {a: default_labels(labels, a, source_label, target_label) for a in attacks}

    rows = []
    data_key = (tuple(texts), tuple(labels.tolist()), labels.dtype)
    for seed in seeds:
        split, features, clean_predict, clean_accuracy = _prepared_split(model, seed, test_size, *data_key)
        train_texts, test_texts, train_labels, test_labels = split
        for attack in attacks:
            source, target = targets[attack]
            success_args = (test_texts, test_labels, source, target, trigger, seed)
            clean_success = _success(attack, clean_predict, *success_args)
            for fraction in fractions:
                poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source,
                                        target_label=target, trigger=trigger, random_state=seed)
                reuse = features.rows_for(poisoned.texts)
                if reuse is not None:
                    classifier, predict = features.fit_predictor(reuse, poisoned.labels)
                    poisoned_accuracy = accuracy(test_labels, classifier.predict(features.X_test))
                    success = _success(attack, predict, *success_args)
                elif attack == "backdoor" and model == "count-nb":
                    classifier, X_test, column = features.fit_backdoor(poisoned, trigger)
                    poisoned_accuracy = accuracy(test_labels, classifier.predict(X_test))
                    # Inserting the trigger into a test sentence adds one to its column and
                    # changes no other count, so the triggered test set needs no vectorising.
                    victims = test_labels != target
                    X_triggered = _add_one(X_test[victims], column)
                    success = attack_success_rate(test_labels[victims], classifier.predict(X_triggered), target)
                else:
                    pipeline = make_model(model, random_state=seed).fit(poisoned.texts, poisoned.labels)
                    poisoned_accuracy = accuracy(test_labels, pipeline.predict(test_texts))
                    success = _success(attack, pipeline.predict, *success_args)
                rows.append({
                    "attack": attack, "fraction": fraction, "seed": seed, "model": model,
                    "source_label": source, "target_label": target,
                    "n_train": len(train_texts), "n_test": len(test_texts),
                    "n_poisoned": int(len(poisoned.poisoned_indices)),
                    "clean_accuracy": clean_accuracy,
                    "poisoned_accuracy": poisoned_accuracy,
                    "clean_attack_success_rate": clean_success,
                    "attack_success_rate": success,
                })
    return pd.DataFrame(rows)


def summarize(results, metrics=("poisoned_accuracy", "attack_success_rate"), by=("attack", "fraction"),
              confidence=0.95):
    """Mean and confidence interval of each metric over seeds.

    Parameters
    ----------
    results : pandas.DataFrame
        The output of :func:`sweep` (or any frame with the ``by`` and metric columns).
    metrics : sequence of str
        Columns to summarise; rows where a metric is missing (an attack without
        a target) are left out of that metric's summary.
    by : sequence of str, default=("attack", "fraction")
    confidence : float, default=0.95

    Returns
    -------
    pandas.DataFrame
        One row per group, with ``<metric>_mean``, ``<metric>_low``,
        ``<metric>_high`` and ``n_seeds``.
    """
    import pandas as pd

    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    metrics, by = list(metrics), list(by)
    missing = [c for c in metrics + by if c not in results.columns]
    if missing:
        raise ValueError(f"results has no column(s) {missing}; it has {list(results.columns)}")
    rows = []
    for keys, group in results.groupby(by, sort=True):
        row = dict(zip(by, keys if isinstance(keys, tuple) else (keys,)))
        row["n_seeds"] = len(group)
        for metric in metrics:
            values = pd.to_numeric(group[metric], errors="coerce").dropna()
            mean, low, high = mean_interval(values, confidence) if len(values) else (np.nan,) * 3
            row.update({f"{metric}_mean": mean, f"{metric}_low": low, f"{metric}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)
