"""Each text tokenised once: the course's count and TF-IDF matrices, built from a cache.

The detectors read the same sentences many times: every fold of an out-of-fold
view fits a vectoriser on four fifths of the training set, the neighbour view
and the Isolation Forest vectorise it whole, and a grid of attacks poisons the
same split again and again (a label flip leaves every text as it was). Tokenising
is most of that work. :class:`TextFeatures` tokenises each distinct text once and
builds, for any list of texts, **exactly** the matrix ``CountVectorizer()`` or
``TfidfVectorizer()`` would give: the same vocabulary (sorted terms), the same
values and dtype, and even the same order of the entries stored in each row, so
that every sum over a row (a TF-IDF norm, a dot product in a classifier) is
carried out in the same order and gives the same bits.
"""

from __future__ import annotations

import numpy as np

__all__ = ["TextFeatures", "CachedVectorizer", "cached_model", "KINDS"]

#: Matrix kinds: ``"count"`` is ``CountVectorizer()``, ``"tfidf"`` is ``TfidfVectorizer()``.
KINDS = ("count", "tfidf")


class TextFeatures:
    """A cache of tokenised texts that vectorises like the course's vectorisers.

    ``fit_transform(texts, kind)`` returns what ``CountVectorizer().fit_transform(texts)``
    (``kind="count"``) or ``TfidfVectorizer().fit_transform(texts)`` (``kind="tfidf"``)
    returns, with a fitted :class:`Vocabulary` whose ``transform(texts)`` is the
    vectoriser's ``transform``. :meth:`neighbours` caches a nearest-neighbour
    search, which depends on the texts only. One cache can serve any number of
    lists of texts (every poisoned version of one split, say); it never changes a
    result, only how often a text is tokenised.
    """

    def __init__(self):
        from sklearn.feature_extraction.text import CountVectorizer

        self._analyze = CountVectorizer().build_analyzer()
        self._term_id = {}     # term -> id, in order of first sight
        self._terms = []       # id -> term
        self._rank = np.zeros(0, dtype=np.int64)  # id -> position of the term in sorted order
        self._doc_id = {}      # text -> its number in the flat arrays below
        self._starts, self._lengths = [0], []  # where each text's entries start, how many it has
        self._flat_ids, self._flat_counts = [], []  # term ids (first appearance in the text first), counts
        self._arrays = None    # the lists above as arrays, rebuilt when texts were added
        self._neighbours = {}  # (texts, k) -> neighbour indices

    def _add(self, text):
        counter = {}  # insertion order = first appearance in the text, as CountVectorizer counts
        for term in self._analyze(text):
            term_id = self._term_id.get(term)
            if term_id is None:
                term_id = self._term_id[term] = len(self._terms)
                self._terms.append(term)
            counter[term_id] = counter.get(term_id, 0) + 1
        self._flat_ids.extend(counter.keys())
        self._flat_counts.extend(counter.values())
        self._lengths.append(len(counter))
        self._starts.append(self._starts[-1] + len(counter))
        self._arrays = None
        doc = self._doc_id[text] = len(self._lengths) - 1
        return doc

    def _ranks(self):
        if len(self._rank) != len(self._terms):
            order = sorted(range(len(self._terms)), key=self._terms.__getitem__)
            self._rank = np.empty(len(order), dtype=np.int64)
            self._rank[order] = np.arange(len(order))
        return self._rank

    def _stack(self, texts):
        """The texts' entries, concatenated: term ids, counts, row numbers and row pointers."""
        doc_id = self._doc_id
        docs = list(map(doc_id.get, texts))
        if None in docs:  # texts not seen before, tokenised now (a text twice in the list is added once)
            for i, doc in enumerate(docs):
                if doc is None:
                    docs[i] = doc_id[texts[i]] if texts[i] in doc_id else self._add(texts[i])
        docs = np.array(docs, dtype=np.int64)
        if self._arrays is None:
            self._arrays = (np.asarray(self._starts[:-1], dtype=np.int64), np.asarray(self._lengths, dtype=np.int64),
                            np.asarray(self._flat_ids, dtype=np.int64), np.asarray(self._flat_counts, dtype=np.int64))
        starts, lengths, flat_ids, flat_counts = self._arrays
        lengths = lengths[docs]
        indptr = np.zeros(len(docs) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        rows = np.repeat(np.arange(len(docs)), lengths)
        positions = np.arange(indptr[-1]) + np.repeat(starts[docs] - indptr[:-1], lengths)
        return flat_ids[positions], flat_counts[positions], rows, indptr

    def fit_transform(self, texts, kind="count"):
        """``(matrix, vocabulary)``: the vectoriser of ``kind`` fitted on ``texts``, and its output.

        The matrix equals ``CountVectorizer().fit_transform(texts)`` (int64) or
        ``TfidfVectorizer().fit_transform(texts)`` (float64), stored entries in the
        same order.
        """
        from scipy.sparse import csr_matrix

        kind = _check_kind(kind)
        ids, counts, rows, indptr = self._stack(texts)
        if len(ids) == 0:
            raise ValueError("empty vocabulary; perhaps the documents only contain stop words")
        # Where each term first appears in the corpus: the smallest position of its entries (len(ids): absent).
        first_seen = np.full(len(self._terms), len(ids), dtype=np.int64)
        np.minimum.at(first_seen, ids, np.arange(len(ids)))
        present = np.flatnonzero(first_seen < len(ids))
        rank = self._ranks()
        vocabulary = present[np.argsort(rank[present], kind="stable")]  # term ids, terms sorted
        column = np.full(len(self._terms), -1, dtype=np.int64)
        column[vocabulary] = np.arange(len(vocabulary))
        # CountVectorizer numbers terms in order of first appearance in the corpus, sorts each row
        # by that number, then renames the columns to the sorted vocabulary without re-sorting.
        # A term occurs once per row, so (row, first appearance) keys are distinct: any sort of
        # them gives this one order.
        order = np.argsort(rows * (len(ids) + 1) + first_seen[ids])
        matrix = csr_matrix((counts[order], column[ids[order]].astype(np.int32), indptr.astype(np.int32)),
                            shape=(len(texts), len(vocabulary)))
        fitted = Vocabulary(self, vocabulary, column, "count")
        return fitted.tfidf(matrix) if kind == "tfidf" else (matrix, fitted)

    def model(self, model="count-nb", random_state=None):
        """The pipeline of :func:`course_utils.models.make_model`, its vectoriser reading from this cache."""
        return cached_model(self, model, random_state)

    def neighbours(self, texts, n_neighbors):
        """Indices of each row's ``n_neighbors`` nearest rows (itself included), by cosine distance in TF-IDF space.

        ``NearestNeighbors(n_neighbors, metric="cosine").fit(X).kneighbors(X)`` on
        ``TfidfVectorizer().fit_transform(texts)``, computed once per list of texts.
        """
        import sklearn
        from sklearn.neighbors import NearestNeighbors

        key = (tuple(texts), int(n_neighbors))
        if key not in self._neighbours:
            features, _ = self.fit_transform(texts, "tfidf")
            search = NearestNeighbors(n_neighbors=n_neighbors, metric="cosine").fit(features)
            # Distances in chunks of about 4 MB rather than one n x n block: each row's distances and
            # its neighbours are computed the same way in any chunk, and small blocks reuse memory
            # instead of asking the system for fresh pages on every search.
            with sklearn.config_context(working_memory=4):
                self._neighbours[key] = search.kneighbors(features)[1]
        return self._neighbours[key]


class Vocabulary:
    """A vocabulary fitted by :meth:`TextFeatures.fit_transform`; ``transform`` is the vectoriser's."""

    def __init__(self, features, term_ids, column, kind):
        self._features, self._term_ids, self._column, self.kind = features, term_ids, column, kind

    def tfidf(self, counts):
        """``(matrix, vocabulary)`` of ``TfidfVectorizer().fit_transform`` on the texts whose ``counts`` these are.

        ``counts`` is what :meth:`TextFeatures.fit_transform` gave with ``kind="count"`` for this
        vocabulary: a TF-IDF vectoriser counts as a count vectoriser does (in float64), then fits its
        transformer on the counts and transforms them. One fold's counts so serve both models.
        """
        from scipy.sparse import csr_matrix
        from sklearn.feature_extraction.text import TfidfTransformer

        if self.kind != "count":
            raise ValueError("tfidf() takes the counts of a count vocabulary")
        floats = csr_matrix((counts.data.astype(np.float64), counts.indices.copy(), counts.indptr.copy()),
                            shape=counts.shape)
        fitted = Vocabulary(self._features, self._term_ids, self._column, "tfidf")
        fitted.tfidf_ = TfidfTransformer().fit(floats)
        return fitted.tfidf_.transform(floats, copy=False), fitted

    def get_feature_names_out(self):
        """The vocabulary's terms, sorted (as the vectoriser's ``get_feature_names_out``)."""
        return np.asarray([self._features._terms[i] for i in self._term_ids], dtype=object)

    def transform(self, texts):
        """The matrix the fitted vectoriser's ``transform(texts)`` gives (terms outside the vocabulary dropped)."""
        from scipy.sparse import csr_matrix

        ids, counts, rows, _ = self._features._stack(texts)
        column = np.full(len(self._features._terms), -1, dtype=np.int64)
        column[: len(self._column)] = self._column  # terms first seen after the fit are outside the vocabulary
        columns = column[ids]
        known = columns >= 0
        columns, counts, rows = columns[known], counts[known], rows[known]
        # transform sorts each row by column; a column occurs once per row, so the keys are distinct
        order = np.argsort(rows * (len(self._term_ids) + 1) + columns)
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=len(texts)), out=indptr[1:])
        dtype = np.int64 if self.kind == "count" else np.float64
        matrix = csr_matrix((counts[order].astype(dtype), columns[order].astype(np.int32), indptr.astype(np.int32)),
                            shape=(len(texts), len(self._term_ids)))
        if self.kind == "tfidf":
            matrix = self.tfidf_.transform(matrix, copy=False)
        return matrix


def _check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}; got {kind!r}")
    return kind


class CachedVectorizer:
    """``CountVectorizer()`` (``kind="count"``) or ``TfidfVectorizer()`` reading its tokens from a cache.

    A scikit-learn transformer whose ``fit``, ``transform`` and ``fit_transform``
    give exactly the matrices of the vectoriser it stands for
    (:meth:`TextFeatures.fit_transform`), so a pipeline built on it
    (:meth:`TextFeatures.model`) predicts exactly what the model's own pipeline does.
    """

    def __init__(self, features, kind="count"):
        self.features = features
        self.kind = kind

    def fit(self, texts, y=None):
        self.fit_transform(texts)
        return self

    def fit_transform(self, texts, y=None):
        matrix, self.vocabulary_ = self.features.fit_transform(list(texts), self.kind)
        return matrix

    def transform(self, texts):
        if not hasattr(self, "vocabulary_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this CachedVectorizer is not fitted yet; call fit first")
        return self.vocabulary_.transform(list(texts))

    def get_params(self, deep=True):
        return {"features": self.features, "kind": self.kind}

    def set_params(self, **params):
        for key, value in params.items():
            setattr(self, key, value)
        return self

    def __sklearn_is_fitted__(self):
        return hasattr(self, "vocabulary_")


def cached_model(features, model="count-nb", random_state=None):
    """:func:`course_utils.models.make_model`'s pipeline with its vectoriser reading from ``features``.

    Same steps (by name and order), same classifier, same predictions; only the
    tokenising is shared with the cache.
    """
    from sklearn.pipeline import Pipeline

    from ..models import make_classifier, make_model

    reference = make_model(model, random_state=random_state)  # for its step names and classifier
    (vectorizer_name, vectorizer), (classifier_name, _) = reference.steps
    kind = "count" if type(vectorizer).__name__ == "CountVectorizer" else "tfidf"
    return Pipeline([(vectorizer_name, CachedVectorizer(features, kind)),
                     (classifier_name, make_classifier(model, random_state=random_state))])
