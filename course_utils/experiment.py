"""The shared experiment: split, poison, train, measure; one run or a sweep.

Every lesson measures against the same ground:

* a stratified train/test split fixed by the seed (:func:`split_data`);
* a model, by default the reference's ``CountVectorizer + MultinomialNB``
  (:func:`course_utils.models.make_model`);
* an attack of :mod:`course_utils.attacks` at a fraction of the training set;
* the clean model and the poisoned model scored on the same untouched test set,
  with the attack success rate where the attack has a target
  (:func:`course_utils.attacks.measure_attack_success`);
* optionally a defense of :mod:`course_utils.defenses`, applied by :func:`defend`
  (a filter: flag, remove, refit; a trainer: a robust classifier instead).

:func:`run_experiment` does this once, with a plain scikit-learn pipeline.
:func:`sweep` does it over attacks x fractions x seeds and, to stay fast,
vectorises each split once and reuses the features for attacks that leave the
training texts as they are (a test checks that both give the same numbers).
:func:`summarize` turns a sweep into means with 95% intervals.
"""

from __future__ import annotations

import inspect
import time
from functools import lru_cache
from typing import NamedTuple

import numpy as np

from ._validation import (
    MAX_SEED,
    check_choice,
    check_fraction,
    check_int,
    check_label_in,
    check_labels,
    check_number,
    check_sequence,
    check_texts,
    shown,
)
from .attacks import ATTACKS, DEFAULT_TRIGGER, apply_attack, check_trigger, measure_attack_success
from .defenses import DEFENSES, FILTER, TRAINER, defense_names, make_defense
from .detect import BaseDetector, DataAudit, KNNDisagreement, TriggerDetector
from .metrics import DIFFERENCE, PROPORTION, accuracy, attack_success_rate, detection_scores, mean_interval
from .models import MODELS, make_classifier, make_model, make_vectorizer

__all__ = [
    "split_data",
    "default_labels",
    "Defended",
    "defend",
    "certify",
    "CERTIFIED_RADII",
    "run_experiment",
    "sweep",
    "summarize",
]


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
    test_size = check_number(test_size, "test_size", low=0.0, high=1.0, low_open=True, high_open=True)
    random_state = check_number(random_state, "random_state", low=0, high=MAX_SEED, integer=True)
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


def _validate_run(texts, labels, attack, fraction, model, seed, test_size, trigger):
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    check_choice(attack, "attack", tuple(ATTACKS))
    check_choice(model, "model", MODELS)
    fraction = check_fraction(fraction)
    seed = check_number(seed, "seed", low=0, high=MAX_SEED, integer=True)
    if attack == "backdoor":
        check_trigger(trigger)
    elif not isinstance(trigger, str):
        raise TypeError(f"trigger must be a str, got {type(trigger).__name__}")
    return texts, labels, fraction, seed


class Defended(NamedTuple):
    """What :func:`defend` returns.

    Attributes
    ----------
    model : sklearn.pipeline.Pipeline
        The defended model, fitted.
    kind : {"filter", "trainer"}
    estimator : estimator
        The fitted detector (a filter) or the fitted classifier (a trainer).
    flagged : ndarray of int or None
        The rows a filter removed; ``None`` for a trainer.
    detection : dict or None
        With ``poisoned_indices`` and a filter: ``precision``, ``recall``,
        ``f1``, ``n_flagged``, ``clean_rows_removed``, ``seconds`` (the
        detector's).
    seconds : float
        The whole defense: flagging and training.
    """

    model: object
    kind: str
    estimator: object
    flagged: object
    detection: object
    seconds: float


def _defense_estimator(defense, random_state, params, prefit):
    """The estimator, name and kind of ``defense`` (a registered name or an estimator)."""
    if isinstance(defense, str):
        check_choice(defense, "defense", defense_names())
        params = dict(params or {})
        # A random_state among the parameters overrides the experiment's seed for the defense alone.
        random_state = params.pop("random_state", random_state)
        return make_defense(defense, random_state=random_state, **params), defense, DEFENSES[defense].kind
    if params:
        raise ValueError("params go with a defense given by name; set them on the estimator itself")
    if isinstance(defense, BaseDetector):
        return defense, type(defense).__name__, FILTER
    if prefit:
        raise ValueError("prefit applies to a detector (a filter), not to a classifier")
    if hasattr(defense, "fit") and hasattr(defense, "predict"):
        from sklearn.base import clone

        return clone(defense), type(defense).__name__, TRAINER
    raise TypeError(f"defense must be a registered name ({', '.join(defense_names())}), a detector or a "
                    f"classifier, got {type(defense).__name__}")


def defend(defense, texts, labels, *, model="count-nb", flag_share=None, random_state=0, params=None,
           poisoned_indices=None, prefit=False, features=None):
    """Train a defended model on a (possibly poisoned) training set.

    A *filter* flags rows, they are removed, and the model is trained on the
    rest (flag, remove, refit); a *trainer* replaces the model's classifier and
    is trained on every row.

    Parameters
    ----------
    defense : str, detector or classifier
        A name of :data:`course_utils.defenses.DEFENSES` (filter or trainer), a
        detector of :mod:`course_utils.detect`, or a scikit-learn classifier on
        count features (cloned before fitting).
    texts, labels
        The training set.
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        Whose vectoriser (and, after a filter, whose classifier) is used.
    flag_share : float in (0, 1], default=None
        A filter removes the ``round(flag_share * n)`` most suspicious rows
        instead of what its own rule flags.
    random_state : int, default=0
        Seeds the defense (when given by name) and the model.
    params : dict, default=None
        The defense's parameters by their scikit-learn names (with a name).
    poisoned_indices : sequence of int, default=None
        The rows that really are poisoned: a filter is then graded against them.
    prefit : bool, default=False
        The detector given is already fitted on exactly these ``texts`` and
        ``labels``: flag with it without fitting again.
    features : course_utils.detect.TextFeatures, default=None
        A cache of tokenised texts for the filtered model's vectoriser (same
        model, same predictions; the texts are not tokenised again).

    Returns
    -------
    Defended
    """
    started = time.perf_counter()
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    check_choice(model, "model", MODELS)
    estimator, name, kind = _defense_estimator(defense, random_state, params, prefit)
    if kind == TRAINER:
        if flag_share is not None:
            raise ValueError(f"flag_share applies to a filter; {name} is a trainer and removes no rows")
        pipeline = make_model(model, classifier=estimator)
        # A trainer that partitions by text (lesson 07's ensembles) is given the texts: their hash, not
        # the counts (whose columns move when the vocabulary does), picks each row's partition.
        keys = {f"{pipeline.steps[-1][0]}__partition_keys": texts} if hasattr(estimator, "certified_radius") \
            and "partition_keys" in inspect.signature(estimator.fit).parameters else {}
        defended = pipeline.fit(texts, labels, **keys)
        return Defended(defended, kind, defended[-1], None, None, time.perf_counter() - started)
    if prefit:
        if len(getattr(estimator, "suspicion_", ())) != len(texts):
            raise ValueError("prefit needs a detector fitted on these texts: its suspicion_ has another length")
        flagged = estimator.flag(flag_share=flag_share)
    else:
        flagged = estimator.fit_flag(texts, labels, flag_share=flag_share)
    detector_seconds = time.perf_counter() - started
    keep = np.setdiff1d(np.arange(len(texts)), flagged)
    if len(np.unique(labels[keep])) < 2:
        how = ("lower flag_share" if flag_share is not None
               else "give it a smaller flag_share, or change its parameters")
        raise ValueError(f"the {name} defense flagged every row of a class, leaving nothing to train that class on; "
                         f"{how}")
    refit = make_model(model, random_state=random_state) if features is None else features.model(model, random_state)
    defended = refit.fit([texts[i] for i in keep], labels[keep])
    detection = None
    if poisoned_indices is not None:
        detection = detection_scores(flagged, poisoned_indices)
        detection["clean_rows_removed"] = int(len(np.setdiff1d(flagged, poisoned_indices)))
        detection["seconds"] = detector_seconds
        if hasattr(estimator, "retrains_"):  # a detector that retrains models (lesson 11's shadow-bisect)
            detection["retrains"] = int(estimator.retrains_)
    return Defended(defended, kind, estimator, flagged, detection, time.perf_counter() - started)


#: The radii at which :func:`run_experiment` reports certified accuracy (lesson 07).
CERTIFIED_RADII = (0, 1, 2, 5, 10, 20, 50)


def certify(defended_model, test_texts, test_labels, radius=CERTIFIED_RADII):
    """Certified accuracy of a model whose classifier has ``certified_radius(X)``, or ``None``.

    A test row counts when it is predicted correctly *and* its certified radius
    (how many training rows an attacker could change without changing the
    prediction) is at least ``radius``.

    Parameters
    ----------
    radius : int or sequence of int, default=CERTIFIED_RADII
        One radius, or several (then ``radius`` and ``certified_accuracy`` are lists, in order).

    Returns
    -------
    dict or None
        ``radius``, ``certified_accuracy`` and ``median_radius``; ``None`` when
        the classifier does not certify.
    """
    from sklearn.pipeline import Pipeline

    if not isinstance(defended_model, Pipeline):
        raise TypeError(f"defended_model must be a fitted scikit-learn Pipeline (vectoriser, then classifier), "
                        f"got {type(defended_model).__name__}")
    classifier = defended_model[-1]
    if not hasattr(classifier, "certified_radius"):
        return None
    several = not isinstance(radius, (int, np.integer)) or isinstance(radius, bool)
    if several:
        radii_asked = [check_int(r, "radius", minimum=0) for r in check_sequence(radius, "radius", "integers")]
    else:
        radii_asked = [check_int(radius, "radius", minimum=0)]
    test_texts = check_texts(test_texts, "test_texts")
    test_labels = check_labels(test_labels, n_rows=len(test_texts), name="test_labels")
    features = defended_model[:-1].transform(test_texts)
    radii = np.asarray(classifier.certified_radius(features), dtype=float)
    correct = np.asarray(classifier.predict(features)) == test_labels
    shares = [float(np.mean(correct & (radii >= r))) for r in radii_asked]
    return {"radius": radii_asked if several else radii_asked[0],
            "certified_accuracy": shares if several else shares[0],
            "median_radius": float(np.median(radii))}


def _defense_notes(name, defended, n_rows, flag_share, attack, trigger, n_poisoned):
    """Why a defense could not act on the data given, as sentences (the ``notes`` of :func:`run_experiment`)."""
    detector = defended.estimator
    if defended.kind != FILTER or len(defended.flagged):
        return []
    if flag_share is not None:
        why = f"flag_share={flag_share:g} of {n_rows} training rows rounds to 0 rows"
    elif isinstance(detector, TriggerDetector):
        scores, least = detector.token_scores_, f"at least min_count={detector.min_count} training rows"
        if attack == "backdoor" and n_poisoned < detector.min_count:
            why = (f"it examines only tokens held by {least}, and the backdoor put its trigger {trigger!r} in "
                   f"{n_poisoned} (lower min_count: --param min_count=N, or defense_params={{'min_count': N}})")
        elif scores.empty:
            why = (f"it examines only tokens held by {least}, {detector.screen_purity:.0%} of them with one "
                   f"label, and no token of these {n_rows} rows is")
        else:
            best = scores.iloc[0]
            why = (f"no token is both {detector.min_purity:.0%} pure and at z >= {detector.z_threshold:g} "
                   f"(the highest: {best['token']!r} in {best['rows']} rows, purity {best['purity']:.0%}, "
                   f"z {best['z']:.1f})")
    elif isinstance(detector, DataAudit):
        why = "no group of near-duplicate rows carries more than one label"
    elif isinstance(detector, KNNDisagreement):
        why = "no row has more than half of its neighbours disagreeing with its label"
    else:
        why = "its own rule found nothing suspicious (flag_share removes the most suspicious rows anyway)"
    return [f"the {name} defense flagged no training rows: {why}; the defended model is the poisoned one "
            f"retrained on every row"]


#: The base model's regularization, which ``defense_params`` may set without a defense:
#: parameter -> (the model whose classifier has it, the interval of accepted values).
MODEL_PARAMS = {"alpha": ("count-nb", dict(low=0.0)), "C": ("tfidf-logreg", dict(low=0.0, low_open=True))}


def check_model_params(params, model):
    """``params`` checked as settings of ``model``'s own classifier (:data:`MODEL_PARAMS`); a new dict."""
    if not isinstance(params, dict):
        raise TypeError(f"defense_params must be a dict of parameter name -> value, got {type(params).__name__}")
    accepted = ", ".join(f"{key} ({owner})" for key, (owner, _) in MODEL_PARAMS.items())
    checked = {}
    for key, value in params.items():
        if key not in MODEL_PARAMS:
            names = ", ".join(defense_names())
            raise ValueError(f"flag_share and defense_params need a defense (give one of {names}); without one,"
                             f" defense_params may set only the base model's regularization: {accepted}; "
                             f"got {shown(key)}")
        owner, interval = MODEL_PARAMS[key]
        if owner != model:
            raise ValueError(f"{key} is a setting of the {owner} model, not of {model}: give model={owner!r}")
        checked[key] = check_number(value, key, **interval)
    return checked


def _base_model(model, seed, params):
    """The model's pipeline, its classifier's regularization set from ``params`` (checked)."""
    return make_model(model, classifier=make_classifier(model, random_state=seed).set_params(**params))


def run_experiment(texts, labels, *, attack="none", fraction=0.0, source_label=None, target_label=None,
                   trigger=DEFAULT_TRIGGER, model="count-nb", seed=0, test_size=0.25, defense="none",
                   flag_share=None, defense_params=None):
    """Run the shared experiment once: split, poison, train both models, score.

    Parameters
    ----------
    texts : sequence of str
    labels : sequence
    attack : {"none", "duplicate-flip", "random-flip", "targeted-flip", "backdoor"}, default="none"
    fraction : float in [0, 1], default=0.0
        The attacker's share of the clean training set.
    source_label, target_label : label, default=None
        See :func:`default_labels` for what is used when they are not given.
    trigger : str, default="cf"
        The backdoor's trigger token.
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
    seed : int, default=0
        The shared experiment's split seed; it also seeds the attack, the
        trigger positions, the defense and the model.
    test_size : float in (0, 1), default=0.25
    defense : str, default="none"
        A filter or trainer of :data:`course_utils.defenses.DEFENSES`, applied
        to the poisoned training set by :func:`defend`.
    flag_share : float in (0, 1], default=None
        With a filter: remove the ``round(flag_share * n)`` most suspicious rows
        instead of the detector's own rule.
    defense_params : dict, default=None
        The defense's parameters, by their scikit-learn names. With
        ``defense="none"``, only the base model's regularization (:data:`MODEL_PARAMS`):
        ``alpha`` for ``count-nb``, ``C`` for ``tfidf-logreg``, used by both the
        clean and the poisoned model and reported as ``model_params``.

    Returns
    -------
    dict
        ``n_train``, ``n_test``, ``n_poisoned``, ``clean_accuracy``,
        ``poisoned_accuracy``, ``clean_attack_success_rate`` and
        ``attack_success_rate`` (``None`` where the attack has no target),
        ``seconds``, and the settings used. With a defense also
        ``defense_kind``, ``defended_accuracy``,
        ``defended_attack_success_rate``, ``detection`` (for a filter:
        ``precision``, ``recall``, ``f1``, ``n_flagged``,
        ``clean_rows_removed``, ``seconds``; else ``None``) and ``certified``
        (see :func:`certify`, at the radius of the rows poisoned; ``None``
        where the defense does not certify). Always ``notes``: a list of
        sentences saying why the attack or the defense could not act on the
        data given (no rows poisoned; a filter that flagged nothing, and why:
        for the trigger defense, fewer than ``min_count`` rows holding a
        token), empty when there is nothing to say.
    """
    started = time.perf_counter()
    texts, labels, fraction, seed = _validate_run(texts, labels, attack, fraction, model, seed, test_size, trigger)
    if defense != "none":
        check_choice(defense, "defense", ("none",) + defense_names())
    model_params = {}
    if defense == "none" and defense_params:
        model_params = check_model_params(defense_params, model)
    if defense == "none" and flag_share is not None:
        raise ValueError("flag_share and defense_params need a defense: give one of " + ", ".join(defense_names()))
    source_label, target_label = default_labels(labels, attack, source_label, target_label)
    train_texts, test_texts, train_labels, test_labels = split_data(texts, labels, test_size, seed)
    poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source_label,
                            target_label=target_label, trigger=trigger, random_state=seed)
    clean_model = _base_model(model, seed, model_params).fit(train_texts, train_labels)
    poisoned_model = _base_model(model, seed, model_params).fit(poisoned.texts, poisoned.labels)
    target = {"source_label": source_label, "target_label": target_label, "trigger": trigger, "random_state": seed}
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
        "clean_attack_success_rate": measure_attack_success(clean_model, attack, test_texts, test_labels, **target),
        "attack_success_rate": measure_attack_success(poisoned_model, attack, test_texts, test_labels, **target),
        "notes": [],
    }
    if model_params:
        result["model_params"] = model_params
    if attack != "none" and not len(poisoned.poisoned_indices):
        result["notes"].append(f"fraction={fraction:g} of {len(train_texts)} training rows rounds to 0 poisoned rows, "
                               f"so the {attack} attack changed nothing")
    if defense != "none":
        defended = defend(defense, poisoned.texts, poisoned.labels, model=model, flag_share=flag_share,
                          random_state=seed, params=defense_params, poisoned_indices=poisoned.poisoned_indices)
        result.update({
            "defense": defense,
            "defense_kind": defended.kind,
            "flag_share": flag_share,
            "defense_params": dict(defense_params or {}),
            "defended_accuracy": accuracy(test_labels, defended.model.predict(test_texts)),
            "defended_attack_success_rate": measure_attack_success(defended.model, attack, test_texts, test_labels,
                                                                   **target),
            "detection": defended.detection,
            "certified": certify(defended.model, test_texts, test_labels),
        })
        result["notes"] += _defense_notes(defense, defended, len(poisoned.texts), flag_share, attack, trigger,
                                          len(poisoned.poisoned_indices))
    result["seconds"] = time.perf_counter() - started
    return result

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
        self.vectorizer = make_vectorizer(model)
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
        classifier = make_classifier(self.model, random_state=self.seed)
        classifier.fit(X_train, poisoned.labels)
        return classifier, X_test, column

    def fit_predictor(self, rows, labels):
        """Fit the classifier on reused features; return a predict function for texts."""
        classifier = make_classifier(self.model, random_state=self.seed)
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
        As for :func:`run_experiment`, for every attack that takes them: given
        both labels, a duplicate-and-flip copies only ``source_label`` rows,
        labels the copies ``target_label`` and reports its success rate, as
        :func:`run_experiment` does.

    Returns
    -------
    pandas.DataFrame
        One row per (attack, fraction, seed) with the columns of
        :func:`run_experiment` except ``seconds``.
    """
    import pandas as pd

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    attacks = check_sequence(attacks, "attacks", f"attack names ({', '.join(ATTACKS)})")
    fractions = check_sequence(fractions, "fractions", "numbers in [0, 1]")
    seeds = check_sequence(seeds, "seeds", "non-negative integers")
    for name, values in (("attacks", attacks), ("fractions", fractions), ("seeds", seeds)):
        if not values:
            raise ValueError(f"{name} must not be empty")
    for attack in attacks:
        check_choice(attack, "attacks", tuple(ATTACKS))
        _validate_run(texts, labels, attack, 0.0, model, 0, test_size, trigger)
    fractions = [check_fraction(f, "fractions") for f in fractions]
    seeds = [check_number(s, "seeds", low=0, high=MAX_SEED, integer=True) for s in seeds]
    targets = {a: default_labels(labels, a, source_label, target_label) for a in attacks}

    rows = []
    data_key = (tuple(texts), tuple(labels.tolist()), labels.dtype)
    for seed in seeds:
        split, features, clean_predict, clean_accuracy = _prepared_split(model, seed, test_size, *data_key)
        train_texts, test_texts, train_labels, test_labels = split
        for attack in attacks:
            source, target = targets[attack]
            target_args = {"source_label": source, "target_label": target, "trigger": trigger, "random_state": seed}
            clean_success = measure_attack_success(clean_predict, attack, test_texts, test_labels, **target_args)
            for fraction in fractions:
                poisoned = apply_attack(attack, train_texts, train_labels, fraction, source_label=source,
                                        target_label=target, trigger=trigger, random_state=seed)
                reuse = features.rows_for(poisoned.texts)
                if reuse is not None:
                    classifier, predict = features.fit_predictor(reuse, poisoned.labels)
                    poisoned_accuracy = accuracy(test_labels, classifier.predict(features.X_test))
                    success = measure_attack_success(predict, attack, test_texts, test_labels, **target_args)
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
                    success = measure_attack_success(pipeline, attack, test_texts, test_labels, **target_args)
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


def _metric_bounds(metric, bounds):
    if metric in bounds:
        return bounds[metric]
    if any(word in metric for word in ("drop", "gain", "gap")):
        return DIFFERENCE
    if metric.startswith("n_") or "seconds" in metric:
        return None
    return PROPORTION


def summarize(results, metrics=("poisoned_accuracy", "attack_success_rate"), by=("attack", "fraction"),
              confidence=0.95, bounds=None):
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
    bounds : dict, default=None
        Each metric's range for :func:`~course_utils.metrics.mean_interval`, by column name.
        A metric not named here is a difference of proportions (``DIFFERENCE``) when its name
        holds ``drop``, ``gain`` or ``gap``, has no range when it counts (``n_...``) or times
        (``seconds``), and is a proportion (``PROPORTION``) otherwise.

    Returns
    -------
    pandas.DataFrame
        One row per group, with ``<metric>_mean``, ``<metric>_low``,
        ``<metric>_high`` and ``n_seeds``.
    """
    import pandas as pd

    if not isinstance(results, pd.DataFrame):
        raise TypeError(f"results must be a pandas DataFrame, got {type(results).__name__}")
    metrics = check_sequence(metrics, "metrics", "column names")
    by = check_sequence(by, "by", "column names")
    confidence = check_number(confidence, "confidence", low=0.0, high=1.0, low_open=True, high_open=True)
    missing = [c for c in metrics + by if c not in results.columns]
    if missing:
        raise ValueError(f"results has no column(s) {missing}; it has {list(results.columns)}")
    if bounds is not None and not isinstance(bounds, dict):
        raise TypeError(f"bounds must be a dict of column name -> (low, high) or None, got {type(bounds).__name__}")
    ranges = {metric: _metric_bounds(metric, bounds or {}) for metric in metrics}
    rows = []
    for keys, group in results.groupby(by, sort=True):
        row = dict(zip(by, keys if isinstance(keys, tuple) else (keys,)))
        row["n_seeds"] = len(group)
        for metric in metrics:
            values = pd.to_numeric(group[metric], errors="coerce").dropna()
            mean, low, high = (mean_interval(values, confidence, bounds=ranges[metric]) if len(values)
                               else (np.nan,) * 3)
            row.update({f"{metric}_mean": mean, f"{metric}_low": low, f"{metric}_high": high})
        rows.append(row)
    return pd.DataFrame(rows)
