"""The course's models: the reference's pipeline and the second model, built by name.

A model is a scikit-learn pipeline of two steps, a vectoriser and a classifier.
The factories are split the same way, so that code that reuses one split's
features (the sweep, the detectors' out-of-fold views) and a defense that
replaces only the classifier (a *trainer* of :mod:`course_utils.defenses`) build
exactly the parts a whole pipeline would hold.

==================  ===================================  ==============================
name                vectoriser                           classifier
==================  ===================================  ==============================
``count-nb``        ``CountVectorizer()``                ``MultinomialNB()`` (the reference's)
``tfidf-logreg``    ``TfidfVectorizer()``                ``LogisticRegression(max_iter=1000)``
==================  ===================================  ==============================

This module is a leaf of the package: it imports nothing from the rest of it
but argument checks, so every layer can build models.
"""

from __future__ import annotations

from ._validation import check_choice

__all__ = ["MODELS", "make_vectorizer", "make_classifier", "make_model", "fit_checked_naive_bayes"]

#: Model names accepted by :func:`make_model`.
MODELS = ("count-nb", "tfidf-logreg")


def make_vectorizer(model="count-nb"):
    """Return the unfitted vectoriser of the model ``model``.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"

    Returns
    -------
    sklearn.feature_extraction.text.CountVectorizer or TfidfVectorizer
    """
    from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

    check_choice(model, "model", MODELS)
    return CountVectorizer() if model == "count-nb" else TfidfVectorizer()


def make_classifier(model="count-nb", random_state=None):
    """Return the unfitted classifier of the model ``model``.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
    random_state : None or int, default=None
        Used by the logistic regression's solver.

    Returns
    -------
    sklearn.naive_bayes.MultinomialNB or sklearn.linear_model.LogisticRegression
    """
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import MultinomialNB

    check_choice(model, "model", MODELS)
    if model == "count-nb":
        return MultinomialNB()
    return LogisticRegression(max_iter=1000, random_state=random_state)


def make_model(model="count-nb", random_state=None, classifier=None):
    """Return an unfitted text-classification pipeline.

    Parameters
    ----------
    model : {"count-nb", "tfidf-logreg"}, default="count-nb"
        ``"count-nb"`` is the reference's ``make_pipeline(CountVectorizer(),
        MultinomialNB())``; ``"tfidf-logreg"`` is TF-IDF features with
        logistic regression, the course's second model.
    random_state : None or int, default=None
        Used by the logistic regression's solver.
    classifier : scikit-learn classifier, default=None
        Put after the model's vectoriser instead of its own classifier (how a
        robust trainer replaces ``MultinomialNB``). It is used as given, not
        cloned.

    Returns
    -------
    sklearn.pipeline.Pipeline
    """
    from sklearn.pipeline import make_pipeline

    vectorizer = make_vectorizer(model)
    if classifier is None:
        classifier = make_classifier(model, random_state=random_state)
    elif not (hasattr(classifier, "fit") and hasattr(classifier, "predict")):
        raise TypeError(f"classifier must be a scikit-learn classifier with fit and predict, "
                        f"got {type(classifier).__name__}")
    return make_pipeline(vectorizer, classifier)


def fit_checked_naive_bayes(X, y, alpha=1.0, sample_weight=None):
    """A ``MultinomialNB(alpha=alpha)`` fitted on ``(X, y)`` that its caller has already checked.

    ``X`` must be a CSR matrix (or array) of non-negative counts and ``y`` one
    label per row, as a trainer's own ``fit`` checks them. ``MultinomialNB.fit``
    would check ``X`` and ``y`` again and binarise the labels with a
    ``LabelBinarizer`` (which checks them a third time), and that is most of its
    cost on the course's data. Here the labels are one-hot coded once, and the
    model's own counting and smoothing steps (those ``fit`` calls) make its
    attributes, so they equal ``fit``'s exactly (``sample_weight`` scales each
    row's one-hot labels, as ``fit`` does).
    """
    import numpy as np
    from sklearn.naive_bayes import MultinomialNB

    classes, index = np.unique(y, return_inverse=True)
    model = MultinomialNB(alpha=alpha)
    Y = (index.reshape(-1, 1) == np.arange(len(classes))).astype(np.float64)
    if sample_weight is not None:
        Y *= np.asarray(sample_weight, dtype=np.float64).reshape(-1, 1)
    model.classes_, model.n_features_in_ = classes, X.shape[1]
    model._init_counters(len(classes), X.shape[1])
    model._count(X, Y)
    model._update_feature_log_prob(model._check_alpha())
    model._update_class_log_prior()
    return model
