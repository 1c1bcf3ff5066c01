"""Lesson 08's grids: regularization sweeps and the label penalties, on the shared experiment.

:func:`alpha_sweep`
    Naive Bayes' smoothing ``alpha`` against attacks x fractions x seeds. The
    word counts per class of each poisoned set are computed once and every
    ``alpha`` is applied to them in NumPy
    (:func:`course_utils.defenses.penalties.naive_bayes_log_probabilities`),
    which gives exactly ``MultinomialNB(alpha=alpha)``'s predictions.
:func:`c_sweep`
    The TF-IDF logistic regression's ``C`` with the L2 penalty (the course's
    model, ``LogisticRegression(C=C, max_iter=1000)``) and the L1 penalty
    (``l1_ratio=1`` with the liblinear solver).
:func:`penalty_grid`
    Trainers of :mod:`course_utils.defenses` on poisoned and on clean training
    sets: what each buys against an attack, and what it costs without one.
:func:`best_tradeoff`
    The rule the lesson names its best settings by, applied to a sweep.

Every split is tokenised once (:class:`course_utils.detect.TextFeatures`, which
builds exactly the vectorisers' matrices), and a label-only attack reuses the
clean set's matrices; a cache given as ``features`` is shared by every split,
and by every grid (and :func:`course_utils.evaluation.evaluate_detectors`) given
the same one, so that each text is tokenised once. Each row equals what
:func:`course_utils.experiment.run_experiment` gives for the same setting
(``defense_params={"alpha": ...}`` or ``{"C": ...}`` with ``defense="none"``,
or ``defense=`` the trainer; the L1 rows have no ``run_experiment`` setting);
``tests/unit/test_regularization.py`` checks it.
``n_jobs`` runs the seeds side by side.
"""

from __future__ import annotations

import inspect
import time
from functools import lru_cache, partial

import numpy as np

from ._parallel import run_tasks
from ._validation import check_choice, check_fraction, check_labels, check_number, check_sequence, check_texts
from .attacks import ATTACKS, DEFAULT_TRIGGER, apply_attack, insert_trigger
from .defenses import make_defense
from .defenses.penalties import naive_bayes_log_probabilities
from .detect import TextFeatures
from .experiment import default_labels, split_data
from .metrics import DIFFERENCE, accuracy, attack_success_rate, mean_interval
from .models import make_classifier

__all__ = ["ALPHAS", "C_VALUES", "PENALTIES", "alpha_sweep", "c_sweep", "penalty_grid", "best_tradeoff"]

#: Naive Bayes' smoothing values the lesson sweeps (1.0 is the course's default).
ALPHAS = (0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0)
#: Logistic regression's inverse penalty strengths (1.0 is the course's default).
C_VALUES = (0.1, 1.0, 10.0, 100.0)
#: The logistic regression's penalties.
PENALTIES = ("l2", "l1")


def _check_grid(texts, labels, attacks, fractions, seeds, features=None):
    if features is not None and not isinstance(features, TextFeatures):
        raise TypeError(f"features must be a course_utils.detect.TextFeatures cache or None, got "
                        f"{type(features).__name__}")
    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    if not isinstance(fractions, dict):
        raise TypeError("fractions must be a dict of attack name -> sequence of fractions")
    attacks = check_sequence(attacks, "attacks", "attack names")
    for attack in attacks:
        check_choice(attack, "attacks", tuple(a for a in ATTACKS if a != "none"))
        if attack not in fractions:
            raise ValueError(f"fractions has no entry for the attack {attack!r}")
    fractions = {a: [check_fraction(f, "fractions") for f in check_sequence(fractions[a], "fractions")]
                 for a in attacks}
    seeds = [check_number(s, "seeds", low=0, high=2**32 - 1, integer=True) for s in check_sequence(seeds, "seeds")]
    if not seeds or not attacks:
        raise ValueError("attacks and seeds must not be empty")
    return texts, labels, attacks, fractions, seeds


@lru_cache(maxsize=8)
def _seed_context(texts, labels, seed, trigger, test_size, features=None):
    """One seed's split with its poisoned sets, matrices and test matrices, kept for the next grid.

    The lesson runs several grids over the same data, seeds and poisoned sets;
    caching by content (``texts`` and ``labels`` as tuples) makes each split's
    poisoning and vectorising happen once per process, as
    :func:`course_utils.experiment.sweep` keeps its splits. ``features`` is the
    caller's :class:`~course_utils.detect.TextFeatures` (``None``: a new one for
    the split); the same cache gives the same context. Nothing returned is
    modified by its users; the caches inside only grow.
    """
    split = split_data(list(texts), np.asarray(labels), test_size, seed)
    train_texts, test_texts, train_labels, test_labels = split
    return {"split": split, "poisoned": {}, "matrices": _SplitMatrices(train_texts, features), "fitted": {},
            "test": _TestSet(test_texts, test_labels, trigger, seed)}


def _poisoned_sets(texts, labels, attacks, fractions, seed, trigger, test_size, features=None):
    """The context of ``seed`` (:func:`_seed_context`) and, for every attack and fraction, its poisoned training set."""
    context = _seed_context(tuple(texts), tuple(labels.tolist()), seed, trigger, test_size, features)
    train_texts, _, train_labels, _ = context["split"]
    sets = []
    for attack in attacks:
        source, target = default_labels(labels, attack)
        for fraction in fractions[attack]:
            key = (attack, fraction, source, target)
            if key not in context["poisoned"]:
                context["poisoned"][key] = apply_attack(attack, train_texts, train_labels, fraction,
                                                        source_label=source, target_label=target, trigger=trigger,
                                                        random_state=seed)
            sets.append((attack, fraction, source, target, context["poisoned"][key]))
    return context, sets


class _TestSet:
    """One split's test texts, and the backdoor's triggered victims, each vectorised once per vocabulary."""

    def __init__(self, test_texts, test_labels, trigger, seed):
        self.texts, self.labels, self.trigger, self.seed = test_texts, test_labels, trigger, seed
        self._triggered = {}
        self._matrices = {}
        self._checked = set()  # kinds of attack (and targets) whose scores went through the metrics' checks

    def victims(self, target):
        """The non-target test rows, with the trigger inserted as the shared experiment inserts it."""
        if target not in self._triggered:
            mask = self.labels != target
            self._triggered[target] = (mask, insert_trigger([t for t, v in zip(self.texts, mask) if v], self.trigger,
                                                            random_state=self.seed))
        return self._triggered[target]

    def scores(self, vocabulary, predictors, attack, source, target):
        """``(accuracy, attack success rate)`` of each predict function (matrix -> labels) behind ``vocabulary``.

        The same numbers as :func:`course_utils.attacks.measure_attack_success` on the pipeline.
        """
        key = id(vocabulary)
        if key not in self._matrices:
            self._matrices[key] = (vocabulary, vocabulary.transform(self.texts), {})
        _, X_test, triggered = self._matrices[key]
        if attack == "backdoor" and target not in triggered:
            triggered[target] = vocabulary.transform(self.victims(target)[1])
        # The metrics' own functions check their arguments on every call, which a grid of a few hundred
        # fits pays for thousands of times; they are applied to the first predictions this test set
        # scores for each kind of attack and target, and the rest use the same arithmetic on arrays of
        # the same kind (labels of the same classifiers, the same test labels and victims).
        kind = ("backdoor", target) if attack == "backdoor" else ("target", source, target) \
            if source is not None and target is not None else ("none",)
        results = []
        for predict in predictors:
            first = kind not in self._checked
            predicted = predict(X_test)
            if attack == "backdoor":
                mask = self.victims(target)[0]
                triggered_predicted = predict(triggered[target])
                success = attack_success_rate(self.labels[mask], triggered_predicted, target) if first else \
                    float(np.mean(triggered_predicted == target))
            elif source is not None and target is not None:
                success = attack_success_rate(self.labels, predicted, target, source) if first else \
                    float(np.mean(predicted[self.labels == source] == target))
            else:
                success = None
            score = accuracy(self.labels, predicted) if first else float(np.mean(self.labels == predicted))
            self._checked.add(kind)
            results.append((score, success))
        return results


def alpha_sweep(texts, labels, *, alphas=ALPHAS, attacks, fractions, seeds=(0, 1, 2, 3, 4), trigger=DEFAULT_TRIGGER,
                test_size=0.25, n_jobs=1, features=None):
    """Naive Bayes' ``alpha`` against attacks x fractions x seeds.

    Parameters
    ----------
    texts, labels
        The whole data set; each seed splits it anew.
    alphas : sequence of float >= 0
    attacks : sequence of str
    fractions : dict of attack -> sequence of float
        Each attack's fractions (0 gives the clean model's numbers for that attack).
    seeds : sequence of int
    trigger, test_size
        As for :func:`course_utils.experiment.run_experiment`.
    n_jobs : int, default=1
        Processes that run the seeds side by side (``-1``: every core); it
        changes the time, never the rows.
    features : course_utils.detect.TextFeatures, default=None
        The cache of tokenised texts every split's matrices are built from
        (default: a new one per split). Give the same cache to every grid of
        the same data, and to :func:`course_utils.evaluation.evaluate_detectors`,
        to tokenise each text once; it changes the time, never the rows.

    Returns
    -------
    pandas.DataFrame
        One row per (attack, fraction, seed, alpha): ``clean_accuracy`` (the
        model with that alpha on the clean training set), ``poisoned_accuracy``,
        ``clean_attack_success_rate`` and ``attack_success_rate`` (NaN where the
        attack has no target).
    """
    alphas = [check_number(a, "alphas", low=0.0) for a in check_sequence(alphas, "alphas")]
    return _sweep(texts, labels, [("alpha", a) for a in alphas], _fit_alphas, attacks, fractions, seeds, trigger,
                  test_size, "count", n_jobs, features)


def c_sweep(texts, labels, *, c_values=C_VALUES, penalties=PENALTIES, attacks, fractions, seeds=(0, 1, 2, 3, 4),
            trigger=DEFAULT_TRIGGER, test_size=0.25, n_jobs=1, features=None):
    """TF-IDF logistic regression's ``C`` with L2 and L1 penalties against attacks x fractions x seeds.

    As :func:`alpha_sweep`, with ``c_values`` and ``penalties`` (``"l2"``:
    the course's ``LogisticRegression(C=C, max_iter=1000)``; ``"l1"``:
    ``l1_ratio=1``, liblinear). The rows have ``penalty`` and ``C``;
    ``n_jobs`` and ``features`` as for :func:`alpha_sweep`.
    """
    c_values = [check_number(c, "c_values", low=0.0, low_open=True) for c in check_sequence(c_values, "c_values")]
    penalties = [check_choice(p, "penalties", PENALTIES) for p in check_sequence(penalties, "penalties")]
    settings = [("C", (p, c)) for p in penalties for c in c_values]
    return _sweep(texts, labels, settings, _fit_logistic, attacks, fractions, seeds, trigger, test_size, "tfidf",
                  n_jobs, features)


def _fit_alphas(X, y, settings, seed, fitted):
    """One predict function (matrix -> labels) per alpha, from one count of words per class."""
    classes, index = np.unique(y, return_inverse=True)
    onehot = np.eye(len(classes))[index]
    feature_count, class_count = np.asarray((X.T @ onehot).T), onehot.sum(axis=0)
    predictors = []
    for _, alpha in settings:
        log_prob, prior = naive_bayes_log_probabilities(feature_count, class_count, alpha)
        predictors.append(lambda M, log_prob=log_prob, prior=prior:
                          classes[np.argmax(np.asarray(M @ log_prob.T) + prior, axis=1)])
    return predictors


def logistic_classifier(penalty, C, random_state):
    """The sweep's logistic regression: the course's (L2) with ``C``, or the L1 one."""
    from sklearn.linear_model import LogisticRegression

    if penalty == "l2":
        return make_classifier("tfidf-logreg", random_state=random_state).set_params(C=C)
    return LogisticRegression(C=C, l1_ratio=1.0, solver="liblinear", max_iter=1000, random_state=random_state)


def _fit_logistic(X, y, settings, seed, fitted):
    """One predict function per (penalty, C); ``fitted`` keeps them for this training set (the grid reuses C=1, L2)."""
    for _, (penalty, C) in settings:
        if ("logistic", penalty, C) not in fitted:
            fitted[("logistic", penalty, C)] = _linear_predict(logistic_classifier(penalty, C, seed).fit(X, y))
    return [fitted[("logistic", penalty, C)] for _, (penalty, C) in settings]


def _linear_predict(model):
    """``model.predict`` of a fitted linear classifier, for the grid's own test matrices.

    The same arithmetic as scikit-learn's ``LinearClassifierMixin.predict``
    (``X @ coef_.T + intercept_``, then the sign, or the largest score with more
    than two classes), so the same labels; it skips only the checks of ``X``,
    which the grid builds itself (CSR, float64, the training set's columns) and
    scores a few hundred times.
    """
    coef_t, intercept, classes = model.coef_.T, model.intercept_, model.classes_

    def predict(X):
        scores = X @ coef_t + intercept
        if scores.shape[1] == 1:
            return classes.take((scores.reshape(-1) > 0).astype(np.intp), axis=0)
        return classes.take(np.argmax(scores, axis=1), axis=0)

    return predict


class _SplitMatrices:
    """One split's training matrices, each built once per (kind, training set) and shared by every fit.

    A label-only attack leaves the texts as they were, so its poisoned set has
    the clean set's matrices (same texts, same vocabulary, same TF-IDF weights)
    and, through the same vocabulary, the same test matrices.
    """

    def __init__(self, train_texts, features=None):
        self.train_texts, self._built = train_texts, {}
        self.cache = TextFeatures() if features is None else features

    def get(self, texts, kind, key):
        """``(X, vocabulary)`` of ``texts`` for ``kind``; ``key`` names the set (``"clean"`` or a poisoning)."""
        if key != "clean" and texts == self.train_texts:
            key = "clean"
        if (kind, key) not in self._built:
            self._built[(kind, key)] = self.cache.fit_transform(texts, kind)
        return self._built[(kind, key)]


def _sweep(texts, labels, settings, fit, attacks, fractions, seeds, trigger, test_size, kind, n_jobs, features):
    import pandas as pd

    texts, labels, attacks, fractions, seeds = _check_grid(texts, labels, attacks, fractions, seeds, features)
    return pd.DataFrame(_per_seed(_sweep_seed, seeds, n_jobs, texts, labels, settings, fit, attacks, fractions,
                                  trigger, test_size, kind, features))


def _per_seed(one_seed, seeds, n_jobs, *args):
    """``one_seed(seed, *args)``'s rows for every seed, in the seeds' order; ``n_jobs`` processes side by side.

    Each seed's work reads only its own split, so running seeds in parallel
    changes the time, never the rows (as :func:`course_utils.evaluation.evaluate_detectors`).
    """
    parts = run_tasks(one_seed, [(seed, *args) for seed in seeds], n_jobs)
    return [row for part in parts for row in part]


def _sweep_seed(seed, texts, labels, settings, fit, attacks, fractions, trigger, test_size, kind, features):
    context, sets = _poisoned_sets(texts, labels, attacks, fractions, seed, trigger, test_size, features)
    train_texts, test_texts, train_labels, test_labels = context["split"]
    matrices, test = context["matrices"], context["test"]
    clean_X, clean_vocabulary = matrices.get(train_texts, kind, "clean")
    clean = fit(clean_X, train_labels, settings, seed, context["fitted"].setdefault("clean", {}))
    rows = []
    for attack, fraction, source, target, poisoned in sets:
        clean_scores = test.scores(clean_vocabulary, clean, attack, source, target)
        if fraction == 0 or not len(poisoned.poisoned_indices):
            scores = clean_scores
        else:
            X, vocabulary = matrices.get(poisoned.texts, kind, (attack, fraction))
            predictors = fit(X, poisoned.labels, settings, seed, context["fitted"].setdefault((attack, fraction), {}))
            scores = test.scores(vocabulary, predictors, attack, source, target)
        for (name, value), (clean_acc, clean_asr), (acc, asr) in zip(settings, clean_scores, scores):
            setting = {"penalty": value[0], "C": value[1]} if name == "C" else {"alpha": value}
            rows.append({"attack": attack, "fraction": fraction, "seed": seed, **setting,
                         "clean_accuracy": clean_acc, "poisoned_accuracy": acc,
                         "clean_attack_success_rate": clean_asr, "attack_success_rate": asr,
                         "n_poisoned": int(len(poisoned.poisoned_indices))})
    return rows


def penalty_grid(texts, labels, *, defenses, attacks, fractions, seeds=(0, 1, 2, 3, 4), trigger=DEFAULT_TRIGGER,
                 test_size=0.25, n_jobs=1, features=None):
    """Trainers of the defense registry on poisoned and clean training sets, with the base model beside them.

    Parameters
    ----------
    defenses : dict of str -> (model, defense name, params)
        Row name -> the model whose vectoriser feeds the trainer, the
        registered trainer and its parameters. Each is seeded by the split's seed.
    attacks, fractions, seeds, trigger, test_size, n_jobs, features
        As for :func:`alpha_sweep`; ``fractions`` gives each attack's fraction(s).

    Returns
    -------
    pandas.DataFrame
        One row per (attack, fraction, seed, defense): ``model``,
        ``clean_accuracy`` and ``poisoned_accuracy`` (the base model),
        ``defended_accuracy``, ``defended_clean_accuracy`` (the trainer on the
        clean training set: its cost where there is no attack),
        ``clean_attack_success_rate``, ``attack_success_rate``,
        ``defended_attack_success_rate`` and ``seconds`` (the trainer's fit on
        the poisoned set; an out-of-fold penalty given the probabilities another
        one computed on the same rows, same model and folds, is not charged for
        them again). Equal to :func:`~course_utils.experiment.run_experiment`
        with ``defense=`` the trainer.
    """
    import pandas as pd

    texts, labels, attacks, fractions, seeds = _check_grid(texts, labels, attacks, fractions, seeds, features)
    if not isinstance(defenses, dict) or not defenses:
        raise TypeError("defenses must be a non-empty dict of row name -> (model, defense name, params)")
    return pd.DataFrame(_per_seed(_grid_seed, seeds, n_jobs, texts, labels, defenses, attacks, fractions, trigger,
                                  test_size, features))


def _grid_seed(seed, texts, labels, defenses, attacks, fractions, trigger, test_size, features):
    """:func:`penalty_grid`'s rows for one seed."""
    rows = []
    context, sets = _poisoned_sets(texts, labels, attacks, fractions, seed, trigger, test_size, features)
    train_texts, test_texts, train_labels, test_labels = context["split"]
    matrices, test, fitted = context["matrices"], context["test"], {}
    oof = {}  # (training set, model, cv, random_state) -> the out-of-fold probabilities a penalty computed

    def fit(model, make, set_texts, set_labels, key):
        """``(vocabulary, predict, seconds)`` of a classifier behind ``model``'s vectoriser, fitted once per key."""
        if key not in fitted:
            set_key = "clean" if key[1] == "clean" else key[1:]
            X, vocabulary = matrices.get(set_texts, "count" if model == "count-nb" else "tfidf", set_key)
            started = time.perf_counter()
            if make is None:  # the base logistic regression is c_sweep's C=1, L2: fitted once per training set
                predict = _fit_logistic(X, set_labels, [("C", ("l2", 1.0))], seed,
                                        context["fitted"].setdefault(set_key, {}))[0]
            else:
                # The out-of-fold penalties (loss filter, reweighting) score the same rows with the same
                # model and folds: the second is given the first one's probabilities (the same numbers).
                estimator = make()
                shared = _out_of_fold_key(estimator, set_key)
                estimator.fit(X, set_labels, **({"oof_probabilities": oof[shared]} if shared in oof else {}))
                if shared is not None:
                    oof.setdefault(shared, estimator.oof_probabilities_)
                predict = estimator.predict
            fitted[key] = (vocabulary, predict, time.perf_counter() - started)
        return fitted[key]

    for attack, fraction, source, target, poisoned in sets:
        for name, (model, defense, params) in defenses.items():
            # None: the base logistic regression, which is c_sweep's C=1, L2 fit of the same training set.
            base = None if model == "tfidf-logreg" else partial(make_classifier, model, random_state=seed)

            def trainer():
                return make_defense(defense, random_state=seed, **dict(params))

            runs = {"clean": fit(model, base, train_texts, train_labels, (model, "clean")),
                    "poisoned": fit(model, base, poisoned.texts, poisoned.labels, (model, attack, fraction)),
                    "defended": fit(model, trainer, poisoned.texts, poisoned.labels, (name, attack, fraction)),
                    "defended_clean": fit(model, trainer, train_texts, train_labels, (name, "clean"))}
            scores = {k: test.scores(v[0], [v[1]], attack, source, target)[0] for k, v in runs.items()}
            rows.append({"attack": attack, "fraction": fraction, "seed": seed, "defense": name, "model": model,
                         "clean_accuracy": scores["clean"][0], "poisoned_accuracy": scores["poisoned"][0],
                         "defended_accuracy": scores["defended"][0],
                         "defended_clean_accuracy": scores["defended_clean"][0],
                         "clean_attack_success_rate": scores["clean"][1],
                         "attack_success_rate": scores["poisoned"][1],
                         "defended_attack_success_rate": scores["defended"][1],
                         "seconds": runs["defended"][2], "n_poisoned": int(len(poisoned.poisoned_indices))})
    return rows


def _out_of_fold_key(estimator, set_key):
    """What decides the out-of-fold probabilities ``estimator`` computes on a training set, or ``None``.

    An estimator whose ``fit`` takes ``oof_probabilities`` (an out-of-fold penalty of
    :mod:`course_utils.defenses.penalties`) computes them from its ``model``, ``cv`` and
    ``random_state`` on the training set's rows: two with the same key compute the same ones.
    """
    if "oof_probabilities" not in inspect.signature(estimator.fit).parameters:
        return None
    params = estimator.get_params()
    return set_key, params.get("model"), params.get("cv"), params.get("random_state")


def damage(frame, attack):
    """The attack's damage per row: attack success for attacks with a target, else accuracy lost.

    Accuracy lost is measured from the *default* model's clean accuracy, given
    as the column ``reference_clean_accuracy``.
    """
    if attack in ("targeted-flip", "backdoor"):
        return frame["attack_success_rate"]
    return frame["reference_clean_accuracy"] - frame["poisoned_accuracy"]


def best_tradeoff(sweep, setting, default, attack, fraction):
    """The lesson's rule, fixed before any result: which setting trades clean accuracy for robustness best.

    For every setting, paired over seeds against the ``default`` setting:
    ``gain`` is how much it lowers the damage (attack success rate for attacks
    with a target, else the accuracy lost from the default clean model), and
    ``cost`` how much clean accuracy it gives up (negative: it gains some).
    A setting *trades well* when the 95% interval of ``gain - cost`` lies
    above zero; the best is the one that trades well with the largest mean
    ``gain - cost``. ``None`` when no setting trades well.

    Parameters
    ----------
    sweep : pandas.DataFrame
        :func:`alpha_sweep` or :func:`c_sweep` rows.
    setting : str or list of str
        The column(s) naming a setting (``"alpha"``, or ``["penalty", "C"]``).
    default : value or tuple
        The default setting's value(s).
    attack : str
    fraction : float

    Returns
    -------
    best : value, tuple or None
    table : pandas.DataFrame
        Per setting: ``gain``, ``cost`` and ``net`` means with their intervals.
    """
    import pandas as pd

    keys = [setting] if isinstance(setting, str) else list(setting)
    part = sweep[(sweep["attack"] == attack) & (sweep["fraction"] == fraction)].copy()
    if part.empty:
        raise ValueError(f"the sweep has no rows for attack {attack!r} at fraction {fraction}")
    label = part[keys].apply(tuple, axis=1) if len(keys) > 1 else part[keys[0]]
    default_key = tuple(default) if len(keys) > 1 else default
    base = part[label == default_key].set_index("seed")
    if base.empty:
        raise ValueError(f"the sweep has no rows for the default setting {default!r}")
    part["reference_clean_accuracy"] = part["seed"].map(base["clean_accuracy"])
    base = base.assign(reference_clean_accuracy=base["clean_accuracy"])
    rows = []
    for value, group in part.groupby(label, sort=True):
        group = group.set_index("seed").loc[base.index]
        gain = damage(base, attack) - damage(group, attack)
        cost = base["clean_accuracy"] - group["clean_accuracy"]
        row = {"setting": value}
        for what, values in (("gain", gain), ("cost", cost), ("net", gain - cost)):
            mean, low, high = mean_interval(list(values), bounds=DIFFERENCE)
            row.update({what: mean, f"{what}_low": low, f"{what}_high": high})
        rows.append(row)
    table = pd.DataFrame(rows)
    good = table[(table["net_low"] > 0) & (table["setting"] != default_key)]
    best = None if good.empty else good.loc[good["net"].idxmax(), "setting"]
    return best, table
