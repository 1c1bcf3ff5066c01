"""Exact leave-one-out influence for the course's Naive Bayes, from the counts; an influence function for logistic
regression; and :class:`InfluenceDetector`, which flags the rows with most influence on a suspicious behaviour.

Multinomial Naive Bayes is a table of counts: removing one training row subtracts its word counts from its
class's row of the table and one from its class's row count. The log-odds of any other text under the model
without that row follow in closed form, for every training row at once, without refitting
(:func:`leave_one_out_log_odds`). With ``refit_vocabulary=True`` it is the whole pipeline's refit:
``CountVectorizer`` refitted without the row also forgets the words only that row held, which shrinks the
vocabulary (and so the smoothing's denominator) and drops those words from the texts scored. A test checks it
against literal refits, row by row.

Logistic regression has no closed form; :func:`logistic_influence` is the influence-function approximation of
Koh and Liang (2017): one Newton step from the fitted weights, ``H^-1`` times the row's gradient.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_labels, check_number, check_texts
from ._base import BaseDetector, check_data

__all__ = [
    "naive_bayes_log_odds",
    "naive_bayes_weights",
    "leave_one_out_log_odds",
    "leave_one_out_self_log_odds",
    "logistic_influence",
    "guess_trigger",
    "triggered_probes",
    "InfluenceDetector",
]


def _check_counts(X, name):
    from scipy import sparse

    if not sparse.issparse(X) and not isinstance(X, np.ndarray):
        raise TypeError(f"{name} must be a sparse matrix or an array of word counts, got {type(X).__name__}")
    X = sparse.csr_matrix(X, dtype=float)
    if X.nnz and (X.data.min() < 0 or not np.all(np.isfinite(X.data))):
        raise ValueError(f"{name} must hold non-negative finite counts")
    return X


def _binary_index(labels, n_rows, name="labels"):
    labels = check_labels(labels, n_rows=n_rows, name=name)
    classes, index = np.unique(labels, return_inverse=True)
    if len(classes) != 2:
        raise ValueError(f"{name} must hold exactly two classes (the log-odds of the second against the first), "
                         f"got {len(classes)}: {list(map(str, classes))}")
    if np.bincount(index).min() < 2:
        raise ValueError(f"each class of {name} needs at least two rows, so that one can be left out")
    return classes, index


def naive_bayes_log_odds(X_train, labels, X_eval, alpha=1.0):
    """Log-odds of the second class against the first under ``MultinomialNB(alpha)`` fitted on the counts.

    Parameters
    ----------
    X_train : sparse matrix of shape (n_train, n_words)
        Word counts.
    labels : array-like of shape (n_train,)
        Two classes; the log-odds are those of ``np.unique(labels)[1]``.
    X_eval : sparse matrix of shape (n_eval, n_words)
    alpha : float > 0, default=1.0

    Returns
    -------
    ndarray of shape (n_eval,)
    """
    X_eval = _check_counts(X_eval, "X_eval")
    weights, offset = naive_bayes_weights(X_train, labels, alpha)
    return np.asarray(X_eval @ weights).ravel() + offset


def naive_bayes_weights(X_train, labels, alpha=1.0):
    """The linear form of :func:`naive_bayes_log_odds`: log-odds ``= X_eval @ weights + offset``.

    Returns
    -------
    weights : ndarray of shape (n_words,)
        Each word's log-rate in the second class minus that in the first.
    offset : float
        The log prior ratio.
    """
    X_train = _check_counts(X_train, "X_train")
    alpha = check_number(alpha, "alpha", low=0, low_open=True)
    _, index = _binary_index(labels, X_train.shape[0])
    words = np.vstack([np.asarray(X_train[index == c].sum(axis=0)).ravel() for c in (0, 1)])
    log_theta = np.log(words + alpha) - np.log((words + alpha).sum(axis=1, keepdims=True))
    prior = np.log(np.bincount(index, minlength=2))
    return log_theta[1] - log_theta[0], float(prior[1] - prior[0])


def leave_one_out_log_odds(X_train, labels, X_eval, alpha=1.0, refit_vocabulary=True):
    """The change in every evaluated text's log-odds when each training row is left out, exactly, without refits.

    Row ``i`` of the result is ``log_odds(model without row i) - log_odds(model)``, on each text of
    ``X_eval``, for ``MultinomialNB(alpha)`` on the counts.

    Parameters
    ----------
    X_train : sparse matrix of shape (n_train, n_words)
        Word counts (``CountVectorizer().fit_transform(texts)``).
    labels : array-like of shape (n_train,)
        Two classes, each with at least two rows.
    X_eval : sparse matrix of shape (n_eval, n_words)
        The texts whose log-odds are watched, in the same columns.
    alpha : float > 0, default=1.0
    refit_vocabulary : bool, default=True
        ``True``: the refit is the whole pipeline's, whose vectoriser also forgets the words held by the left-out
        row alone (they leave the vocabulary and the evaluated texts). ``False``: the vocabulary stays (a refit of
        the classifier on the same columns).

    Returns
    -------
    ndarray of shape (n_train, n_eval)
    """
    X_train, X_eval = _check_counts(X_train, "X_train"), _check_counts(X_eval, "X_eval")
    if X_train.shape[1] != X_eval.shape[1]:
        raise ValueError(f"X_train has {X_train.shape[1]} columns and X_eval {X_eval.shape[1]}; they must match")
    parts = _removal(X_train, labels, alpha, refit_vocabulary)
    shifted, lost, new_ratio, old_ratio, prior_shift = parts
    change = np.asarray((shifted @ X_eval.T).todense())
    length = np.asarray(X_eval.sum(axis=1)).ravel()[None, :]
    kept = length - np.asarray((lost @ X_eval.T).todense())  # eval words that stay in the vocabulary
    return change - (kept * new_ratio[:, None] - length * old_ratio) + prior_shift[:, None]


def leave_one_out_self_log_odds(X_train, labels, alpha=1.0, refit_vocabulary=True):
    """The diagonal of :func:`leave_one_out_log_odds` with ``X_eval=X_train``: each row's own change, cheaply.

    Returns
    -------
    ndarray of shape (n_train,)
        How each training row's log-odds change when that row itself is left out.
    """
    X_train = _check_counts(X_train, "X_train")
    shifted, lost, new_ratio, old_ratio, prior_shift = _removal(X_train, labels, alpha, refit_vocabulary)
    change = np.asarray(shifted.multiply(X_train).sum(axis=1)).ravel()
    length = np.asarray(X_train.sum(axis=1)).ravel()
    kept = length - np.asarray(lost.multiply(X_train).sum(axis=1)).ravel()
    return change - (kept * new_ratio - length * old_ratio) + prior_shift


def _removal(X_train, labels, alpha, refit_vocabulary):
    """What removing each row changes: per-entry log-rate shifts, lost words, denominators' log-ratios, priors."""
    from scipy import sparse

    alpha = check_number(alpha, "alpha", low=0, low_open=True)
    if not isinstance(refit_vocabulary, (bool, np.bool_)):
        raise TypeError(f"refit_vocabulary must be True or False, got {type(refit_vocabulary).__name__}")
    _, index = _binary_index(labels, X_train.shape[0])
    n_rows, n_words = X_train.shape
    words = np.vstack([np.asarray(X_train[index == c].sum(axis=0)).ravel() for c in (0, 1)])  # (2, n_words)
    totals = words.sum(axis=1) + alpha * n_words  # each class's smoothed denominator
    rows = np.bincount(index, minlength=2).astype(float)
    X = X_train.tocoo()
    own = index[X.row]  # the class of each entry's row
    unique = (words[0] + words[1])[X.col] == X.data if refit_vocabulary else np.zeros(X.nnz, dtype=bool)
    # Words the row shares with others: its own class's log-rate moves from log(N + a) to log(N - x + a);
    # a move in class 1's joint raises the log-odds, in class 0's lowers it.
    shift = np.where(unique, 0.0, np.log(words[own, X.col] - X.data + alpha) - np.log(words[own, X.col] + alpha))
    shift *= np.where(own == 1, 1.0, -1.0)
    # Words only this row holds leave the evaluated texts, and their log-rate ratio with them.
    ratio = np.log(words[1] + alpha) - np.log(words[0] + alpha)
    shift = np.where(unique, -ratio[X.col], shift)
    shifted = sparse.csr_matrix((shift, (X.row, X.col)), shape=X_train.shape)
    lost = sparse.csr_matrix((unique.astype(float), (X.row, X.col)), shape=X_train.shape)
    # The smoothing denominators: the row's class loses the row's words, the vocabulary its unique words.
    new_totals = np.repeat(totals[None, :], n_rows, axis=0) - alpha * np.asarray(lost.sum(axis=1))
    new_totals[np.arange(n_rows), index] -= np.asarray(X_train.sum(axis=1)).ravel()
    new_ratio = np.log(new_totals[:, 1]) - np.log(new_totals[:, 0])
    old_ratio = np.log(totals[1]) - np.log(totals[0])
    prior_shift = np.where(index == 1, np.log(rows[1] - 1) - np.log(rows[1]), np.log(rows[0]) - np.log(rows[0] - 1))
    return shifted, lost, new_ratio, old_ratio, prior_shift


def logistic_influence(X_train, labels, X_eval, C=1.0, random_state=0, tol=1e-10):
    """Koh and Liang's influence-function estimate of leaving each row out of an L2 logistic regression.

    Fits ``LogisticRegression(C=C)`` on the features, then estimates the change in every evaluated text's
    log-odds when row ``i`` is removed as ``z' H^-1 C g_i``, where ``g_i = (p_i - y_i) x_i`` is the row's
    gradient and ``H`` the Hessian of scikit-learn's objective (``C`` times the summed log-loss plus half the
    squared weights, the intercept unpenalized), solved by conjugate gradients.

    Parameters
    ----------
    X_train : sparse matrix of shape (n_train, n_features)
    labels : array-like of shape (n_train,)
        Two classes.
    X_eval : sparse matrix of shape (n_eval, n_features)
    C : float > 0, default=1.0
    random_state : int, default=0
    tol : float > 0, default=1e-10
        The fit's tolerance (an approximation of a loosely fitted model measures the fit, not the approximation).

    Returns
    -------
    estimate : ndarray of shape (n_train, n_eval)
    classifier : LogisticRegression
        The fitted model.
    """
    from scipy import sparse
    from scipy.sparse.linalg import LinearOperator, cg
    from sklearn.linear_model import LogisticRegression

    C = check_number(C, "C", low=0, low_open=True)
    tol = check_number(tol, "tol", low=0, low_open=True)
    X_train = sparse.csr_matrix(X_train, dtype=float)
    X_eval = sparse.csr_matrix(X_eval, dtype=float)
    _, index = _binary_index(labels, X_train.shape[0])
    classifier = LogisticRegression(C=C, tol=tol, max_iter=10_000, random_state=random_state).fit(X_train, index)
    p = classifier.predict_proba(X_train)[:, 1]
    weight = p * (1 - p)
    design = sparse.hstack([X_train, np.ones((X_train.shape[0], 1))], format="csr")
    penalty = np.ones(design.shape[1])
    penalty[-1] = 0.0

    def hessian(v):
        return C * (design.T @ (weight * (design @ v))) + penalty * v

    operator = LinearOperator((design.shape[1],) * 2, matvec=hessian, dtype=float)
    evaluated = sparse.hstack([X_eval, np.ones((X_eval.shape[0], 1))], format="csr")
    solved = np.empty((design.shape[1], X_eval.shape[0]))
    for j in range(X_eval.shape[0]):
        solved[:, j], _ = cg(operator, evaluated[j].toarray().ravel(), rtol=1e-10, maxiter=2000)
    residual = C * (p - index)
    return residual[:, None] * np.asarray(design @ solved), classifier


def guess_trigger(texts, labels, random_state=0, features=None):
    """The defender's guess of a backdoor's trigger, read from the data: the top token of the trigger detector.

    Parameters
    ----------
    texts, labels
        The training set.
    random_state : int, default=0
    features : TextFeatures, default=None
        Passed to :meth:`TriggerDetector.fit <course_utils.detect.TriggerDetector.fit>`: a cache of tokenised
        texts, which saves re-tokenising and changes no result.

    Returns
    -------
    (trigger, target_label) or (None, None)
        The first token :class:`~course_utils.detect.TriggerDetector` reports, and the label its rows carry;
        ``None`` twice when it reports none.
    """
    from .triggers import TriggerDetector

    detector = TriggerDetector(random_state=random_state).fit(texts, labels, features=features)
    if not detector.triggers_:
        return None, None
    top = detector.token_scores_.iloc[0]
    return str(top["token"]), top["label"]


def triggered_probes(texts, labels, trigger, target_label, size=200, random_state=0):
    """Probe inputs for a suspected backdoor: rows not labelled the target, without the trigger, with it inserted.

    Parameters
    ----------
    texts, labels
        Where the probes come from (the defender's own rows).
    trigger : str
        The suspected trigger (one token).
    target_label : label
    size : int >= 1, default=200
        At most this many probes, drawn at random.
    random_state : int, default=0

    Returns
    -------
    clean, triggered : list of str
        The probes without and with the trigger.
    """
    from sklearn.feature_extraction.text import CountVectorizer

    texts = check_texts(texts)
    labels = check_labels(labels, n_rows=len(texts))
    size = int(check_number(size, "size", low=1, integer=True))
    rng = np.random.default_rng(random_state)
    analyze, token = CountVectorizer().build_analyzer(), trigger.strip().lower()
    # A token of a text is a substring of the lower-cased text: only texts holding it as one need tokenising.
    free = np.array([token not in t.lower() or token not in analyze(t) for t in texts], dtype=bool)
    pool = np.flatnonzero((labels != target_label) & free)
    if not len(pool):
        raise ValueError(f"no row is free of the trigger {trigger!r} and labelled other than {target_label!r}")
    chosen = np.sort(rng.choice(pool, size=min(size, len(pool)), replace=False))
    clean = [texts[i] for i in chosen]
    return clean, _insert(clean, token, rng)


def _insert(texts, token, rng):
    """``token`` inserted between two words of each text at a random position, exactly as
    :func:`course_utils.attacks.insert_trigger` inserts it with the same generator (the detectors may not import
    the attacks; a test keeps the two agreeing)."""
    triggered = []
    for text in texts:
        words = text.split()
        position = int(rng.integers(len(words) + 1))
        triggered.append(" ".join(words[:position] + [token] + words[position:]))
    return triggered


PROBES = ("auto", "trigger", "self")


def _check_fit(detector, texts, labels, name):
    """The checks the influence and shadow-bisect detectors' ``fit`` share: the data, of two classes, and the
    ``n_probes`` and ``alpha`` they both take."""
    texts, labels, classes = check_data(texts, labels)
    check_number(detector.n_probes, "n_probes", low=1, integer=True)
    check_number(detector.alpha, "alpha", low=0, low_open=True)
    if len(classes) != 2:
        raise ValueError(f"the {name} detector handles two classes, got {len(classes)}")
    return texts, labels, classes


def _probe_counts(texts, labels, classes, trigger, target_label, n_probes, random_state):
    """What both detectors watch a guessed trigger with: the texts' counts (``CountVectorizer().fit_transform``),
    the clean and triggered probes' counts in the same columns, and ``1.0`` when the target is the second class,
    ``-1.0`` when the first (log-odds are the second's)."""
    from sklearn.feature_extraction.text import CountVectorizer

    vectorizer = CountVectorizer()
    X = vectorizer.fit_transform(texts)
    clean, triggered = triggered_probes(texts, labels, trigger, target_label, size=n_probes, random_state=random_state)
    sign = 1.0 if target_label == classes[1] else -1.0
    return X, vectorizer.transform(clean), vectorizer.transform(triggered), sign


class InfluenceDetector(BaseDetector):
    """Flag the training rows with the most influence on a suspicious behaviour, by exact leave-one-out.

    The behaviour, ``probe``:

    ``"trigger"``
        Triggered probe inputs (:func:`triggered_probes`) built from the defender's guess of the trigger
        (:func:`guess_trigger`, from the data, never from the attack's setting): a row's suspicion is how much
        the probes' log-odds of the guessed target fall, on average, when the row is left out.
    ``"self"``
        Each row's own label: how much less likely the model without the row finds the row's label
        (leave-one-out cross-validation in closed form; a flipped label is the one the rest of the data
        contradicts).
    ``"auto"``
        ``"trigger"`` when the data yields a guess, else ``"self"``.

    Parameters
    ----------
    probe : {"auto", "trigger", "self"}, default="auto"
    n_probes : int, default=200
    z_threshold : float, default=5.0
        The own rule flags rows whose suspicion lies ``z_threshold`` robust standard deviations (1.4826 times
        the median absolute deviation) above the median: a setting fixed before any measurement.
    alpha : float > 0, default=1.0
        The Naive Bayes smoothing (the course's model has 1).
    random_state : int, default=0

    Attributes
    ----------
    influence_ : ndarray of shape (n_rows,)
        The suspicion before any flagging (the same as ``suspicion_``).
    probe_ : str
        The behaviour used.
    trigger_, target_label_ : str or None
        The guessed trigger and its label (``None`` with ``probe_="self"``).
    """

    def __init__(self, probe="auto", n_probes=200, z_threshold=5.0, alpha=1.0, random_state=0):
        self.probe = probe
        self.n_probes = n_probes
        self.z_threshold = z_threshold
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, texts, labels):
        """Score every row by its exact leave-one-out influence on the chosen behaviour."""
        from sklearn.feature_extraction.text import CountVectorizer

        check_choice(self.probe, "probe", PROBES)
        check_number(self.z_threshold, "z_threshold")
        texts, labels, classes = _check_fit(self, texts, labels, "influence")
        trigger, target = (None, None)
        if self.probe != "self":
            trigger, target = guess_trigger(texts, labels, random_state=self.random_state)
            if trigger is None and self.probe == "trigger":
                raise ValueError("probe='trigger' needs a trigger guessed from the data, and the trigger detector "
                                 "reports none; use probe='auto' or 'self'")
        if trigger is None:
            X = CountVectorizer().fit_transform(texts)
            own = leave_one_out_self_log_odds(X, labels, alpha=self.alpha)
            without = naive_bayes_log_odds(X, labels, X, alpha=self.alpha) + own  # each row by a model without it
            suspicion = -np.where(labels == classes[1], 1.0, -1.0) * without  # high when the rest disagrees
            probe = "self"
        else:
            X, _, probes, sign = _probe_counts(texts, labels, classes, trigger, target, self.n_probes,
                                               self.random_state)
            change = leave_one_out_log_odds(X, labels, probes, alpha=self.alpha)
            suspicion = -sign * change.mean(axis=1)  # how much the probes' pull to the target falls without the row
            probe = "trigger"
        self.probe_, self.trigger_, self.target_label_ = probe, trigger, target
        self.influence_ = suspicion.copy()
        centre = np.median(suspicion)
        spread = 1.4826 * np.median(np.abs(suspicion - centre)) or 1.0
        return self._set_flags(suspicion, np.flatnonzero((suspicion - centre) / spread >= self.z_threshold))
