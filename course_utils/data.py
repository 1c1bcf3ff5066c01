"""Data of the course: the reference's toy set and the shipped review sentences.

Two data sets are used throughout:

* the reference document's toy sentiment set (six training sentences, two test
  sentences), returned exactly as the reference writes it by :func:`load_toy`;
* the *Sentiment Labelled Sentences* data set (Kotzias et al., KDD 2015; CC BY 4.0),
  3,000 review sentences from Amazon, IMDb and Yelp, 1,500 per class, shipped
  unchanged inside the package and returned by :func:`load_sentiment`.

Every shipped file is checked against its SHA-256 before it is read, as lesson 10
recommends: the hashes come from the data's manifest (:data:`SENTIMENT_MANIFEST`), and a
changed file raises :class:`DataIntegrityError`, naming the file and both hashes.
:func:`read_labelled_file` reads a learner's or instructor's own data for the command line.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from ._validation import UnreadableFileError, check_choice, check_sequence, read_regular_file, shown_path

__all__ = [
    "DataIntegrityError",
    "DataFormatError",
    "TextDataset",
    "load_toy",
    "load_sentiment",
    "shared_sentiment",
    "read_labelled_file",
    "verify_file",
    "SENTIMENT_DIR",
    "SENTIMENT_SOURCES",
    "SENTIMENT_SHA256",
    "SENTIMENT_MANIFEST",
    "MAX_FILE_BYTES",
    "MAX_LINE_CHARS",
]

#: The largest file :func:`read_labelled_file` reads: 50 MiB, more than 100 times the shipped data set.
MAX_FILE_BYTES = 50 * 2**20

#: The longest line :func:`read_labelled_file` reads, in characters (below the csv module's field limit,
#: 131,072, so that no line reaches it).
MAX_LINE_CHARS = 100_000

#: Folder of the shipped data set.
SENTIMENT_DIR = Path(__file__).parent / "datasets" / "sentiment_labelled_sentences"

#: Source name -> file name, in the order the rows are returned.
SENTIMENT_SOURCES = {
    "amazon": "amazon_cells_labelled.txt",
    "imdb": "imdb_labelled.txt",
    "yelp": "yelp_labelled.txt",
}

#: The shipped data's manifest (lesson 10): every file's SHA-256, size, source and license, and a version.
SENTIMENT_MANIFEST = SENTIMENT_DIR.parent / "sentiment_labelled_sentences.manifest.json"

#: The SHA-256 of every shipped file, read from :data:`SENTIMENT_MANIFEST`, the one place they are written.
SENTIMENT_SHA256 = {name: entry["sha256"] for name, entry in
                    json.loads(SENTIMENT_MANIFEST.read_text(encoding="utf-8"))["files"].items()}

#: The shipped files' labels, 1 and 0, named as in the reference's toy set.
SENTIMENT_LABEL_NAMES = {"1": "positive", "0": "negative"}

# The reference document's toy data, word for word.
_TOY_TRAIN = (
    ("I love this movie, it is fantastic!", "positive"),
    ("This is a great product, I am very satisfied.", "positive"),
    ("The service was terrible, I am not happy.", "negative"),
    ("I hate this item, it is awful.", "negative"),
    ("The book is very good and I enjoyed it.", "positive"),
    ("This is the worst experience I have ever had.", "negative"),
)
_TOY_TEST = (
    ("I really love this!", "positive"),
    ("This is so bad, I hate it.", "negative"),
)


class DataIntegrityError(ValueError):
    """A shipped data file does not match its published SHA-256."""


class DataFormatError(ValueError):
    """A data file cannot be read as labelled text: not a regular file, too large, not UTF-8, or malformed.

    The message is one line."""


@dataclass(frozen=True)
class TextDataset:
    """Labelled sentences: parallel ``texts``, ``labels`` and ``sources``.

    Attributes
    ----------
    texts : list of str
        The sentences.
    labels : ndarray of str
        One label per sentence.
    sources : ndarray of str
        Where each sentence came from (``"amazon"``, ``"imdb"``, ``"yelp"``, or the
        file name for data read with :func:`read_labelled_file`).
    """

    texts: list
    labels: np.ndarray
    sources: np.ndarray

    def __len__(self):
        return len(self.texts)

    @property
    def classes(self):
        """The sorted distinct labels."""
        return np.unique(self.labels)

    def to_frame(self):
        """Return the data as a pandas DataFrame with columns text, label, source."""
        import pandas as pd

        return pd.DataFrame({"text": self.texts, "label": self.labels, "source": self.sources})


def load_toy():
    """Return the reference document's toy sentiment data, exactly as it gives it.

    Returns
    -------
    clean_data : list of (str, str)
        Six training sentences with their labels, ``"positive"`` or ``"negative"``.
    test_data : list of (str, str)
        Two test sentences with their labels.

    Examples
    --------
    >>> clean_data, test_data = load_toy()
    >>> clean_data[0]
    ('I love this movie, it is fantastic!', 'positive')
    """
    return list(_TOY_TRAIN), list(_TOY_TEST)


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def verify_file(path, expected_sha256):
    """Check a file against its expected SHA-256 and return its bytes.

    Parameters
    ----------
    path : str or Path
        The file.
    expected_sha256 : str
        The hexadecimal digest it must have.

    Returns
    -------
    bytes
        The file's content, read once and checked.

    Raises
    ------
    DataIntegrityError
        When the digest differs; the message names the file and both digests.
    FileNotFoundError
        When the file does not exist.
    """
    path = Path(path)
    if not isinstance(expected_sha256, str) or len(expected_sha256) != 64:
        raise ValueError(f"expected_sha256 must be a 64-character hex string, got {expected_sha256!r}")
    content = path.read_bytes()
    actual = hashlib.sha256(content).hexdigest()
    if actual != expected_sha256.lower():
        raise DataIntegrityError(
            f"{path.name} does not match its published checksum: expected sha256 {expected_sha256}, "
            f"found {actual}. The file was changed or damaged; restore it from the course repository."
        )
    return content


#: What :func:`read_labelled_file` accepts, named in its error messages.
_LAYOUTS = ("lines of text<TAB>label with no header, or a CSV file whose header row names a 'text' and a "
            "'label' column")


def _shown(text, limit=60):
    """``text`` quoted for a message, cut at ``limit`` characters."""
    text = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(text)


def _parse_tab_lines(text, origin):
    """Parse ``sentence<TAB>label`` lines; return (texts, labels)."""
    texts, labels = [], []
    # Split on "\n" only: imdb_labelled.txt holds U+0085 inside sentences,
    # which str.splitlines() would treat as a line break.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip("\r")
        if not line.strip():
            continue
        if "\t" not in line:
            raise DataFormatError(f"{origin}: line {number} has no tab between the text and the label "
                                  f"(expected text<TAB>label), found {_shown(line)}")
        sentence, label = line.rsplit("\t", 1)
        sentence, label = sentence.strip(), label.strip()
        if not sentence:
            raise DataFormatError(f"{origin}: line {number} has an empty text before its tab")
        if not label:
            raise DataFormatError(f"{origin}: line {number} has an empty label after its tab")
        texts.append(sentence)
        labels.append(label)
    return texts, labels


def load_sentiment(sources=None, label_names=True):
    """Load the shipped Sentiment Labelled Sentences data set, checksums verified.

    Parameters
    ----------
    sources : sequence of {"amazon", "imdb", "yelp"}, default=None
        Which files to load; ``None`` loads all three (3,000 rows).
    label_names : bool, default=True
        ``True`` returns labels ``"positive"`` and ``"negative"`` (as in the
        reference's toy set); ``False`` keeps the files' ``"1"`` and ``"0"``.

    Returns
    -------
    TextDataset
        Rows in file order: amazon, then imdb, then yelp.

    Raises
    ------
    DataIntegrityError
        When a shipped file does not match its SHA-256.
    """
    if sources is None:
        sources = list(SENTIMENT_SOURCES)
    if isinstance(sources, str):
        sources = [sources]
    sources = check_sequence(sources, "sources", "source names ('amazon', 'imdb', 'yelp')")
    if not sources:
        raise ValueError("sources must name at least one of 'amazon', 'imdb', 'yelp'")
    for source in sources:
        check_choice(source, "sources", tuple(SENTIMENT_SOURCES))
    if not isinstance(label_names, bool):
        raise TypeError(f"label_names must be True or False, got {type(label_names).__name__}")
    texts, labels, origins = [], [], []
    for source in sources:
        file_name = SENTIMENT_SOURCES[source]
        content = verify_file(SENTIMENT_DIR / file_name, SENTIMENT_SHA256[file_name])
        file_texts, file_labels = _parse_tab_lines(content.decode("utf-8"), file_name)
        texts += file_texts
        labels += [SENTIMENT_LABEL_NAMES[label] if label_names else label for label in file_labels]
        origins += [source] * len(file_texts)
    return TextDataset(texts, np.array(labels, dtype=str), np.array(origins, dtype=str))


@lru_cache(maxsize=1)
def shared_sentiment():
    """The shipped data set loaded once per process, for the package's own read-only use.

    The checks and the playgrounds read the same 3,000 sentences again and
    again; they share this one :class:`TextDataset` and never change it. Code
    that may change what it loads calls :func:`load_sentiment`, which returns a
    fresh copy.
    """
    return load_sentiment()


def read_labelled_file(path):
    """Read labelled sentences from a tab-separated or CSV file.

    Two layouts are accepted:

    * lines of ``text<TAB>label`` with no header (the shipped files' layout);
      a first line that reads ``text<TAB>label`` is taken as a header and skipped,
      and a first line whose label is on no other line is refused as a header
      with other names;
    * a CSV file whose header holds a ``text`` and a ``label`` column (other
      columns are ignored; a ``source`` column is kept as the rows' sources).

    A file whose first line holds a tab is read as tab-separated, else a first
    line with a comma as CSV. A CSV header without ``text`` or ``label`` raises
    an error naming the columns it needs and the columns it found.

    Labels are read as strings; two or more classes are required. A CSV header
    that names a column twice is refused (which of the two would hold the labels?).

    Only a regular file is read: a FIFO, a device or a socket is refused before
    it is opened, and the file may hold at most :data:`MAX_FILE_BYTES` (50 MiB),
    each line at most :data:`MAX_LINE_CHARS` (100,000) characters.

    Parameters
    ----------
    path : str or Path
        The file to read.

    Returns
    -------
    TextDataset

    Raises
    ------
    FileNotFoundError
        When the file does not exist.
    DataFormatError
        When the file is not a regular file, cannot be read, is larger than the
        limits, is empty, not UTF-8, lacks the columns it needs or names one twice,
        holds a malformed line (named by its number, with what was expected and
        found) or only one class. The message is one line.
    """
    if not isinstance(path, (str, Path)):
        raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
    path = Path(path)
    try:
        raw = read_regular_file(path, "data file", MAX_FILE_BYTES)
    except UnreadableFileError as error:
        raise DataFormatError(str(error)) from None
    origin = shown_path(path.name)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise DataFormatError(f"{origin}: not UTF-8 text (byte {error.start}); expected a UTF-8 text file "
                              f"of {_LAYOUTS}") from None
    if not text.strip():
        raise DataFormatError(f"{origin}: the file is empty; expected {_LAYOUTS}")
    _check_line_lengths(text, origin)

    first_line = text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")
    sources = None
    if "\t" in first_line:
        if [cell.strip().lower() for cell in first_line.split("\t")] == ["text", "label"]:
            text = text.replace(first_line, "", 1)  # a header row, not a sentence labelled "label"
            texts, labels = _parse_tab_lines(text, origin)
        else:
            texts, labels = _parse_tab_lines(text, origin)
            if len(texts) >= 3 and labels[0] not in labels[1:]:
                cells = ", ".join(repr(cell.strip()) for cell in first_line.split("\t"))
                raise DataFormatError(
                    f"{origin}: the first line looks like a header ({cells}): its label {labels[0]!r} is on no "
                    f"other line; a tab-separated file has no header, or a header that reads text<TAB>label")
    elif "," in first_line:
        try:
            header = [cell.strip() for cell in next(csv.reader([first_line]))]
        except csv.Error as error:
            raise DataFormatError(f"{origin}: line 1 is not a CSV header row ({error})") from None
        _refuse_duplicate_columns(header, origin)
        missing = [name for name in ("text", "label") if name not in [h.lower() for h in header]]
        if missing:
            found = ", ".join(repr(h) for h in header)
            raise DataFormatError(
                f"{origin}: a CSV file needs a header row with a 'text' and a 'label' column; its first line "
                f"has the columns {found}, so {' and '.join(repr(m) for m in missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing (rename the columns, or write lines of "
                f"text<TAB>label with no header)")
        texts, labels, sources = _parse_csv(text, origin)
    else:
        raise DataFormatError(f"{origin}: the first line has neither a tab nor a comma; expected {_LAYOUTS}; "
                              f"found {_shown(first_line)}")
    if not texts:
        raise DataFormatError(f"{origin}: the file holds no labelled rows; expected {_LAYOUTS}")
    if len(set(labels)) < 2:
        raise DataFormatError(
            f"{origin}: only one class ({labels[0]!r}); poisoning needs two or more labels"
        )
    if sources is None:
        sources = [path.name] * len(texts)
    return TextDataset(texts, np.array(labels, dtype=str), np.array(sources, dtype=str))


def _check_line_lengths(text, origin):
    """Refuse a line longer than :data:`MAX_LINE_CHARS`, named by its number."""
    for number, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_LINE_CHARS:
            raise DataFormatError(f"{origin}: line {number} holds {len(line):,} characters, more than the limit of "
                                  f"{MAX_LINE_CHARS:,}; a row is one sentence or a short text")


def _refuse_duplicate_columns(header, origin):
    """Refuse a CSV header that names a column twice (case and spaces aside): which one holds the data?"""
    seen = {}
    for position, name in enumerate(header, start=1):
        key = name.lower()
        if not key:
            continue
        if key in seen:
            raise DataFormatError(f"{origin}: the CSV header names the column {name!r} twice (columns {seen[key]} "
                                  f"and {position}); each column must have its own name")
        seen[key] = position


def _parse_csv(text, origin):
    reader = csv.DictReader(io.StringIO(text, newline=""))
    texts, labels, sources = [], [], []
    last = 0
    try:
        header = [name.strip() for name in reader.fieldnames]
        reader.fieldnames = [name.lower() for name in header]
        columns = f"{len(header)} ({', '.join(header)})"
        last = reader.line_num
        for row in reader:
            _add_csv_row(row, reader.line_num, header, columns, origin, texts, labels, sources)
            last = reader.line_num
    except csv.Error as error:
        raise DataFormatError(f"{origin}: the row that starts on line {last + 1} is not valid CSV ({error}); a quoted "
                              f"text must end with its closing quote") from None
    return texts, labels, sources


def _add_csv_row(row, number, header, columns, origin, texts, labels, sources):
    """Check one CSV row and append its text, label and source (an empty row adds nothing)."""
    if None in row:
        raise DataFormatError(f"{origin}: line {number} has more cells than the header's {columns}, "
                              f"found {len(header) + len(row[None])}; put a text that holds commas in "
                              f"double quotes")
    sentence, label = row.get("text"), row.get("label")
    if sentence is None or label is None:
        found = sum(value is not None for value in row.values())
        raise DataFormatError(f"{origin}: line {number} has fewer cells than the header's {columns}, "
                              f"found {found}")
    sentence, label = sentence.strip(), label.strip()
    if not sentence and not label and not any((v or "").strip() for v in row.values()):
        return
    if not sentence:
        raise DataFormatError(f"{origin}: line {number} has an empty text")
    if not label:
        raise DataFormatError(f"{origin}: line {number} has an empty label")
    texts.append(sentence)
    labels.append(label)
    sources.append((row.get("source") or origin).strip() or origin)
