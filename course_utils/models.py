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

__all__ = ["MODELS", "make_vectorizer", "make_classifier", "make_model"]

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
