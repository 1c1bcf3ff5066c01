"""Secure data collection: signed manifests, a data registry with roles and a hash-chained audit log.

Three mechanisms, each real:

* :func:`create_manifest` / :func:`verify_manifest`: a JSON manifest listing every file of a folder
  (SHA-256, size, source, license), a version and its creation time, signed with Ed25519
  (``cryptography``). Verification refuses a changed byte, an added or a removed file, a signature by
  another key and an older manifest replayed in place of the current one, naming the file and what failed.
* :class:`DataRegistry`: an SQLite database (the standard library's ``sqlite3``, WAL mode) with the
  roles reader, contributor and curator; contributions arrive pending, only a curator approves, quotas
  per contributor, and every action in an append-only audit log whose entries are hash-chained
  (:func:`verify_chain`). The SQL is plain and parameterised (``?`` placeholders, no SQLite-only
  types beyond ``INTEGER PRIMARY KEY``), so pointing the same code at PostgreSQL is a change of
  connection (and of placeholder style, ``%s`` for psycopg); the course itself needs no server.
* :func:`lookalike_names`: edit distance and confusable characters between names.
* The model supply chain: :func:`save_model_arrays` / :func:`load_model_arrays` keep the course's model
  as NumPy arrays (``.npz``, read with ``allow_pickle=False``) and JSON, a format that cannot carry code;
  :func:`sign_model_card` / :func:`load_verified_model` sign the artefact's hashes in a model card and
  verify them before anything is loaded.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ManifestError", "AccessError", "QuotaError", "ROLES", "GENESIS",
    "generate_key", "public_key_bytes", "load_private_key", "load_public_key",
    "create_manifest", "sign_manifest", "verify_manifest", "manifest_problems",
    "chain_hash", "verify_chain", "sign_head", "DataRegistry", "contribute_rows",
    "edit_distance", "skeleton", "lookalike_names",
    "save_model_arrays", "load_model_arrays", "sign_model_card", "load_verified_model",
]

ROLES = ("reader", "contributor", "curator")
#: The "previous hash" of a log's first entry.
GENESIS = "0" * 64


class ManifestError(ValueError):
    """A manifest does not hold: the message has one line per failed file or check."""

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class AccessError(PermissionError):
    """A user's role does not allow the action."""


class QuotaError(PermissionError):
    """A contributor has reached their quota of pending and approved rows."""


# --- keys -------------------------------------------------------------------------------------------

def _ed25519():
    from cryptography.hazmat.primitives.asymmetric import ed25519

    return ed25519


def generate_key():
    """Return a new Ed25519 private key (``cryptography``)."""
    return _ed25519().Ed25519PrivateKey.generate()


def public_key_bytes(key):
    """The raw 32 bytes of a private or public Ed25519 key's public half."""
    from cryptography.hazmat.primitives import serialization

    ed = _ed25519()
    if isinstance(key, ed.Ed25519PrivateKey):
        key = key.public_key()
    if not isinstance(key, ed.Ed25519PublicKey):
        raise TypeError(f"key must be an Ed25519 private or public key, got {type(key).__name__}")
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def load_private_key(data):
    """An Ed25519 private key from PEM bytes (as ``manifest keygen`` writes it)."""
    from cryptography.hazmat.primitives import serialization

    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    key = serialization.load_pem_private_key(data, password=None)
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise ValueError("the private key must be an Ed25519 key")
    return key


def load_public_key(data):
    """An Ed25519 public key from PEM bytes or its raw 32 bytes."""
    from cryptography.hazmat.primitives import serialization

    if not isinstance(data, bytes):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    if len(data) == 32:
        return _ed25519().Ed25519PublicKey.from_public_bytes(data)
    key = serialization.load_pem_public_key(data)
    if not isinstance(key, _ed25519().Ed25519PublicKey):
        raise ValueError("the public key must be an Ed25519 key")
    return key


# --- manifests --------------------------------------------------------------------------------------

def _sha256_file(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 16), b""):
            digest.update(block)
    return digest.hexdigest()


def _files(folder):
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _canonical(body):
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def create_manifest(folder, *, version, source="", license="", created=None, exclude=()):
    """Describe every file of ``folder``: its SHA-256, size, source and license, and a version.

    Parameters
    ----------
    folder : str or Path
        The data folder.
    version : int
        The manifest's version, 1 or more; a verifier refuses one older than the newest it has seen.
    source, license : str or dict
        Where the files come from and under which terms: one str for every file, or a dict from file
        name to str that names every file.
    created : str, default=None
        The creation time (ISO 8601, UTC); ``None`` takes the current time.
    exclude : sequence of str
        File names (relative to ``folder``) left out, such as the manifest itself.

    Returns
    -------
    dict
        The unsigned manifest: ``version``, ``created``, ``files`` (name -> ``sha256``, ``size``,
        ``source``, ``license``).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing folder, got {str(folder)!r}")
    if isinstance(version, bool) or not isinstance(version, int) or version < 1:
        raise ValueError(f"version must be an integer of 1 or more, got {version!r}")
    for name, value in (("source", source), ("license", license)):
        if isinstance(value, dict):
            if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
                raise TypeError(f"{name} must map file names to str")
        elif not isinstance(value, str):
            raise TypeError(f"{name} must be a str or a dict of file name -> str, got {type(value).__name__}")
    if created is None:
        created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if not isinstance(created, str):
        raise TypeError(f"created must be an ISO 8601 str, got {type(created).__name__}")
    excluded = set(exclude)
    names = [name for name in _files(folder) if name not in excluded]
    for name, value in (("source", source), ("license", license)):
        if isinstance(value, dict) and set(value) != set(names):
            raise ValueError(f"{name} must name every file of the folder and no other: missing "
                             f"{sorted(set(names) - set(value))}, unknown {sorted(set(value) - set(names))}")
    files = {}
    for name in names:
        path = folder / name
        files[name] = {"sha256": _sha256_file(path), "size": path.stat().st_size,
                       "source": source[name] if isinstance(source, dict) else source,
                       "license": license[name] if isinstance(license, dict) else license}
    return {"version": version, "created": created, "files": files}


_SIGNED_FIELDS = ("version", "created", "files", "card")


def sign_manifest(manifest, key):
    """Return a copy of ``manifest`` with an Ed25519 ``signature`` over its canonical JSON, and the signer's
    public key (hex) as ``public_key``. The input is not changed.

    A manifest may carry a ``card`` (a dict of JSON values: what a model card says of the files); it is
    signed with the rest."""
    if not isinstance(manifest, dict) or not {"version", "created", "files"} <= set(manifest):
        raise ValueError("manifest must be a dict with version, created and files (create_manifest's result)")
    if "card" in manifest and not isinstance(manifest["card"], dict):
        raise TypeError(f"manifest['card'] must be a dict, got {type(manifest['card']).__name__}")
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise TypeError(f"key must be an Ed25519 private key, got {type(key).__name__}")
    body = {k: manifest[k] for k in _SIGNED_FIELDS if k in manifest}
    body = json.loads(json.dumps(body))
    return {**body, "public_key": public_key_bytes(key).hex(), "signature": key.sign(_canonical(body)).hex()}


def manifest_problems(folder, manifest, public_key, *, min_version=None, exclude=()):
    """Every reason the signed ``manifest`` does not describe ``folder``: a list of one-line strings (empty
    when everything holds). Nothing is written.

    The checks, in order: the manifest's fields; the signature, by ``public_key`` (an Ed25519 public key
    or its 32 raw bytes) and no other; the version against ``min_version`` (a replayed older manifest);
    then each file: missing, added, wrong size, wrong SHA-256.
    """
    from cryptography.exceptions import InvalidSignature

    folder = Path(folder)
    if not folder.is_dir():
        raise ValueError(f"folder must be an existing folder, got {str(folder)!r}")
    if isinstance(public_key, bytes):
        public_key = load_public_key(public_key)
    if not isinstance(public_key, _ed25519().Ed25519PublicKey):
        raise TypeError(f"public_key must be an Ed25519 public key, got {type(public_key).__name__}")
    if min_version is not None and (isinstance(min_version, bool) or not isinstance(min_version, int)):
        raise ValueError(f"min_version must be an integer or None, got {min_version!r}")
    required = {"version", "created", "files", "signature"}
    if (not isinstance(manifest, dict) or not required <= set(manifest) <= required | {"public_key", "card"}
            or not isinstance(manifest["files"], dict)):
        return ["manifest: not a signed manifest (needs version, created, files, signature and, optionally, "
                "public_key and card, and nothing else)"]
    body = {k: manifest[k] for k in _SIGNED_FIELDS if k in manifest}
    if manifest.get("public_key", public_key_bytes(public_key).hex()) != public_key_bytes(public_key).hex():
        return ["manifest: signed by another key than the one given (its public_key differs)"]
    try:
        public_key.verify(bytes.fromhex(str(manifest["signature"])), _canonical(body))
    except (InvalidSignature, ValueError):
        return ["manifest: bad signature (not signed by this key, or the manifest was changed after signing)"]
    problems = []
    if min_version is not None and not (isinstance(manifest["version"], int) and manifest["version"] >= min_version):
        problems.append(f"manifest: version {manifest['version']} is older than the current version {min_version} "
                        f"(an old manifest replayed)")
    listed = manifest["files"]
    present = set(_files(folder)) - set(exclude)
    for name in sorted(set(listed) | present):
        if name not in present:
            problems.append(f"{name}: missing (listed in the manifest, not in the folder)")
        elif name not in listed:
            problems.append(f"{name}: added (in the folder, not in the manifest)")
        else:
            entry, path = listed[name], folder / name
            if path.stat().st_size != entry.get("size"):
                problems.append(f"{name}: size {path.stat().st_size} differs from the manifest's {entry.get('size')}")
            elif _sha256_file(path) != entry.get("sha256"):
                problems.append(f"{name}: sha256 differs from the manifest's")
    return problems


def verify_manifest(folder, manifest, public_key, *, min_version=None, exclude=()):
    """Raise :class:`ManifestError` (one line per failure) unless :func:`manifest_problems` finds nothing.

    Returns the manifest's ``files`` mapping when everything holds."""
    problems = manifest_problems(folder, manifest, public_key, min_version=min_version, exclude=exclude)
    if problems:
        raise ManifestError(problems)
    return manifest["files"]


# --- the hash chain ---------------------------------------------------------------------------------

def chain_hash(previous, entry):
    """The SHA-256 of an audit entry chained to the previous entry's hash.

    ``entry`` is a dict of JSON values (``seq``, ``actor``, ``action``, ``detail``)."""
    if not isinstance(previous, str) or len(previous) != 64:
        raise ValueError(f"previous must be a 64-character hex digest, got {previous!r}")
    if not isinstance(entry, dict):
        raise TypeError(f"entry must be a dict, got {type(entry).__name__}")
    return hashlib.sha256(previous.encode("ascii") + _canonical(entry)).hexdigest()


def sign_head(entries, key):
    """Sign the head of a hash-chained log: its last entry's ``seq`` and ``hash``, with an Ed25519 key.

    A chain alone cannot show that entries were cut from its end: what is left is still a valid chain. A
    head signed by a key the database's users do not hold, and kept outside the database, can: the log
    must still reach that ``seq`` with that ``hash``. Entries appended after the last signed head can
    still be cut without trace, so sign the head after every session of work.

    Returns a dict ``seq``, ``hash``, ``public_key`` (hex), ``signature`` (hex)."""
    if not isinstance(key, _ed25519().Ed25519PrivateKey):
        raise TypeError(f"key must be an Ed25519 private key, got {type(key).__name__}")
    entries = list(entries)
    if not entries:
        raise ValueError("entries must hold at least one audit entry to sign its head")
    position = verify_chain(entries)
    if position is not None:
        raise ValueError(f"entries must be an intact chain to sign its head; entry {position} breaks it")
    body = {"seq": entries[-1]["seq"], "hash": entries[-1]["hash"]}
    return {**body, "public_key": public_key_bytes(key).hex(), "signature": key.sign(_canonical(body)).hex()}


def verify_chain(entries, head=None, public_key=None):
    """Check a hash-chained log: return ``None`` when intact, else the 0-based position of the first entry that
    breaks it (an edit, a deletion or a reordering all break the chain there).

    ``entries`` is a sequence of dicts with ``seq`` (1, 2, 3, ... with no gap), ``actor``, ``action``,
    ``detail`` and ``hash``. With a ``head`` signed by :func:`sign_head` and the ``public_key`` it must be
    signed by, the log must also reach the head: a log cut short returns the position of the first
    missing entry (its length). A head with a bad signature raises :class:`ManifestError`."""
    entries = list(entries)
    if head is not None:
        from cryptography.exceptions import InvalidSignature

        if public_key is None:
            raise ValueError("public_key is needed to check a signed head")
        if isinstance(public_key, bytes):
            public_key = load_public_key(public_key)
        if not isinstance(public_key, _ed25519().Ed25519PublicKey):
            raise TypeError(f"public_key must be an Ed25519 public key, got {type(public_key).__name__}")
        if not isinstance(head, dict) or not {"seq", "hash", "signature"} <= set(head):
            raise ValueError("head must be a dict with seq, hash and signature (sign_head's result)")
        try:
            public_key.verify(bytes.fromhex(str(head["signature"])),
                              _canonical({"seq": head["seq"], "hash": head["hash"]}))
        except (InvalidSignature, ValueError):
            raise ManifestError(["head: bad signature (not signed by this key, or changed after signing)"]) from None
    previous = GENESIS
    for position, entry in enumerate(entries):
        if not isinstance(entry, dict) or "hash" not in entry:
            return position
        body = {k: entry.get(k) for k in ("seq", "actor", "action", "detail")}
        if body["seq"] != position + 1 or chain_hash(previous, body) != entry["hash"]:
            return position
        previous = entry["hash"]
    if head is not None:
        seq = head["seq"]
        if len(entries) < seq:
            return len(entries)
        if entries[seq - 1]["hash"] != head["hash"]:
            return seq - 1
    return None


# --- the registry -----------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY, role TEXT NOT NULL, quota INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, contributor TEXT NOT NULL, text TEXT NOT NULL,
    label TEXT NOT NULL, status TEXT NOT NULL, reviewer TEXT);
CREATE TABLE IF NOT EXISTS audit (seq INTEGER PRIMARY KEY, actor TEXT NOT NULL, action TEXT NOT NULL,
    detail TEXT NOT NULL, hash TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Row:
    """One contributed row."""

    id: int
    contributor: str
    text: str
    label: str
    status: str


class DataRegistry:
    """A data registry on SQLite: users with roles, pending contributions, curator approval, quotas and a
    hash-chained append-only audit log.

    Parameters
    ----------
    path : str or Path
        The database file (created if missing). Several processes may use it at once: writers take
        turns on SQLite's one write lock, and WAL mode lets readers read during a write. Each write is
        one ``BEGIN IMMEDIATE`` transaction, which takes the lock before it reads the chain's head, so the
        audit chain never forks.
    timeout : float, default=30
        Seconds a writer waits for another's lock.

    Notes
    -----
    Only standard SQL with ``?`` placeholders is used: on PostgreSQL the same methods run with another
    connection (``psycopg.connect``) and ``%s`` placeholders; ``BEGIN IMMEDIATE`` becomes ``BEGIN`` with
    ``LOCK TABLE audit``.
    """

    def __init__(self, path, timeout=30.0):
        if not isinstance(path, (str, Path)):
            raise TypeError(f"path must be a str or Path, got {type(path).__name__}")
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
            raise ValueError(f"timeout must be a positive number of seconds, got {timeout!r}")
        self.path = Path(path)
        self._db = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        # In WAL mode, NORMAL syncs at checkpoints instead of at every commit: a power cut may lose the last
        # commits but never corrupts the database or the chain, and a write takes microseconds, not an fsync.
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)

    def close(self):
        self._db.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # internal: one transaction that appends to the chain
    def _append(self, actor, action, detail):
        last = self._db.execute("SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1").fetchone()
        seq, previous = (last[0] + 1, last[1]) if last else (1, GENESIS)
        detail = json.dumps(detail, sort_keys=True)
        digest = chain_hash(previous, {"seq": seq, "actor": actor, "action": action, "detail": detail})
        self._db.execute("INSERT INTO audit (seq, actor, action, detail, hash) VALUES (?, ?, ?, ?, ?)",
                         (seq, actor, action, detail, digest))

    def _transaction(self, work):
        self._db.execute("BEGIN IMMEDIATE")
        try:
            result = work()
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")
        return result

    def role(self, user):
        found = self._db.execute("SELECT role FROM users WHERE name = ?", (user,)).fetchone()
        if found is None:
            raise AccessError(f"unknown user {user!r}: add them with add_user first")
        return found[0]

    def _require(self, user, allowed, action):
        role = self.role(user)
        if role not in allowed:
            raise AccessError(f"{user!r} has the role {role!r}; {action} needs the role "
                              f"{' or '.join(repr(r) for r in allowed)}")

    def add_user(self, name, role, quota=100, *, by=None):
        """Add a user with a role (``reader``, ``contributor`` or ``curator``) and a quota of rows.

        The first user may be added by nobody (``by=None``) and must be a curator; later users only by a
        curator."""
        if not isinstance(name, str) or not name:
            raise ValueError(f"name must be a non-empty str, got {name!r}")
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}, got {role!r}")
        if isinstance(quota, bool) or not isinstance(quota, int) or quota < 0:
            raise ValueError(f"quota must be a non-negative integer, got {quota!r}")

        def work():
            count = self._db.execute("SELECT COUNT(*) FROM users").fetchone()[0]
            if count == 0:
                if by is not None or role != "curator":
                    raise AccessError("the first user must be a curator added with by=None")
            else:
                self._require(by, ("curator",), "adding a user")
            self._db.execute("INSERT INTO users (name, role, quota) VALUES (?, ?, ?)", (name, role, quota))
            self._append(by or name, "add_user", {"name": name, "role": role, "quota": quota})
        self._transaction(work)

    def contribute(self, user, text, label):
        """Add a row as pending; return its id. Needs the contributor or curator role and room in the quota."""
        return self.contribute_many(user, [(text, label)])[0]

    def contribute_many(self, user, rows):
        """Add ``rows`` (pairs of text and label) as pending in one transaction, one audit entry each; return
        their ids. All or nothing: rows beyond the user's quota raise :class:`QuotaError` and none is added."""
        rows = list(rows)
        for text, label in rows:
            if not isinstance(text, str) or not text.strip():
                raise ValueError(f"text must be a non-empty str, got {text!r}")
            if not isinstance(label, str) or not label:
                raise ValueError(f"label must be a non-empty str, got {label!r}")

        def work():
            self._require(user, ("contributor", "curator"), "contributing")
            quota = self._db.execute("SELECT quota FROM users WHERE name = ?", (user,)).fetchone()[0]
            used = self._db.execute("SELECT COUNT(*) FROM rows WHERE contributor = ? AND status != 'rejected'",
                                    (user,)).fetchone()[0]
            if used + len(rows) > quota:
                raise QuotaError(f"{user!r} has reached their quota of {quota} rows "
                                 f"({used} used, {len(rows)} more asked)")
            ids = []
            for text, label in rows:
                cursor = self._db.execute(
                    "INSERT INTO rows (contributor, text, label, status) VALUES (?, ?, ?, 'pending')",
                    (user, text, label))
                self._append(user, "contribute", {"row": cursor.lastrowid, "label": label,
                                                  "sha256": hashlib.sha256(text.encode()).hexdigest()})
                ids.append(cursor.lastrowid)
            return ids
        return self._transaction(work)

    def review(self, user, row_id, approve):
        """Approve (``approve=True``) or reject a pending row. Only a curator may, and never their own row."""
        self.review_many(user, [row_id], [approve])

    def review_many(self, user, row_ids, approvals):
        """Approve or reject several pending rows in one transaction (all or nothing), by the rules of
        :meth:`review`: ``approvals`` holds one True (approve) or False (reject) per id."""
        row_ids, approvals = list(row_ids), list(approvals)
        if len(row_ids) != len(approvals):
            raise ValueError(f"approvals must hold one value per row id: {len(approvals)} for {len(row_ids)} ids")
        for row_id, approve in zip(row_ids, approvals):
            if isinstance(row_id, bool) or not isinstance(row_id, int):
                raise TypeError(f"row_id must be an int, got {type(row_id).__name__}")
            if not isinstance(approve, bool):
                raise TypeError(f"approve must be True or False, got {type(approve).__name__}")

        def work():
            self._require(user, ("curator",), "approving or rejecting a row")
            for row_id, approve in zip(row_ids, approvals):
                found = self._db.execute("SELECT contributor, status FROM rows WHERE id = ?", (row_id,)).fetchone()
                if found is None:
                    raise ValueError(f"row_id {row_id} is not in the registry")
                if found[1] != "pending":
                    raise ValueError(f"row {row_id} is {found[1]}, not pending")
                if found[0] == user:
                    raise AccessError(f"{user!r} cannot review their own row {row_id}: another curator must")
                status = "approved" if approve else "rejected"
                self._db.execute("UPDATE rows SET status = ?, reviewer = ? WHERE id = ?", (status, user, row_id))
                self._append(user, "approve" if approve else "reject", {"row": row_id})
        self._transaction(work)

    def approve(self, user, row_id):
        self.review(user, row_id, True)

    def reject(self, user, row_id):
        self.review(user, row_id, False)

    def rows(self, status=None):
        """The rows, in id order, of one status (``pending``, ``approved``, ``rejected``) or all."""
        if status not in (None, "pending", "approved", "rejected"):
            raise ValueError(f"status must be None, 'pending', 'approved' or 'rejected', got {status!r}")
        query = "SELECT id, contributor, text, label, status FROM rows"
        found = (self._db.execute(query + " WHERE status = ? ORDER BY id", (status,)) if status
                 else self._db.execute(query + " ORDER BY id"))
        return [Row(*r) for r in found.fetchall()]

    def snapshot(self, user, folder, key, *, version):
        """Export the approved rows as ``folder/train.tsv`` (``text<TAB>label``) with a signed manifest
        ``folder/manifest.json``; any role may read. Returns the signed manifest."""
        self.role(user)
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        lines = [f"{r.text}\t{r.label}\n" for r in self.rows("approved")]
        (folder / "train.tsv").write_text("".join(lines), encoding="utf-8")
        manifest = sign_manifest(create_manifest(folder, version=version, source=f"registry {self.path.name}",
                                                 exclude=("manifest.json",)), key)
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        self._transaction(lambda: self._append(user, "snapshot", {"version": version, "rows": len(lines)}))
        return manifest

    def audit_log(self):
        """The audit entries as dicts, in ``seq`` order."""
        found = self._db.execute("SELECT seq, actor, action, detail, hash FROM audit ORDER BY seq").fetchall()
        return [dict(zip(("seq", "actor", "action", "detail", "hash"), r)) for r in found]

    def verify_log(self, head=None, public_key=None):
        """``None`` when the audit chain is intact (and, given a signed ``head``, reaches it), else the
        position of the first broken or missing entry (:func:`verify_chain`)."""
        return verify_chain(self.audit_log(), head=head, public_key=public_key)

    def sign_head(self, key):
        """The log's head signed with ``key`` (:func:`sign_head`), to keep outside the database."""
        return sign_head(self.audit_log(), key)


def contribute_rows(path, user, rows):
    """Open the registry at ``path`` and add ``rows`` (pairs of text and label) as ``user``, one transaction
    per row, as a writer process does; return how many were added. A top-level function, so that another
    process (``multiprocessing`` with the ``spawn`` start method) can run it."""
    with DataRegistry(path) as registry:
        for text, label in rows:
            registry.contribute(user, text, label)
    return len(rows)


# --- look-alike names --------------------------------------------------------------------------------

_CONFUSABLE = {"0": "o", "1": "l", "i": "l", "|": "l", "5": "s", "3": "e", "@": "a", "$": "s",
               "rn": "m", "vv": "w", "\u0430": "a", "\u0435": "e", "\u043e": "o", "\u0440": "p", "\u0441": "c",
               "\u0445": "x", "\u0456": "l", "\u03bf": "o"}


def edit_distance(a, b):
    """Levenshtein distance (insertions, deletions, substitutions) between two strings."""
    if not isinstance(a, str) or not isinstance(b, str):
        raise TypeError("a and b must be str")
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def skeleton(name):
    """A name reduced to what a reader sees: NFKC, lower case, confusable characters mapped to one."""
    if not isinstance(name, str):
        raise TypeError(f"name must be a str, got {type(name).__name__}")
    text = unicodedata.normalize("NFKC", name).lower()
    for source in sorted(_CONFUSABLE, key=len, reverse=True):
        text = text.replace(source, _CONFUSABLE[source])
    return text


def lookalike_names(name, trusted, max_distance=2):
    """The trusted names that ``name`` imitates: different from it, yet the same skeleton or within
    ``max_distance`` edits of it (case aside). Returns a list of (trusted name, distance, same skeleton)."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str, got {name!r}")
    trusted = list(trusted)
    if not all(isinstance(t, str) for t in trusted):
        raise TypeError("trusted must be a sequence of str")
    if isinstance(max_distance, bool) or not isinstance(max_distance, int) or max_distance < 0:
        raise ValueError(f"max_distance must be a non-negative integer, got {max_distance!r}")
    found = []
    for other in trusted:
        if other == name:
            continue
        distance = edit_distance(name.lower(), other.lower())
        same = skeleton(name) == skeleton(other)
        if same or distance <= max_distance:
            found.append((other, distance, same))
    return found


# --- the model supply chain -----------------------------------------------------------------------------

ARRAYS_FILE, PARAMS_FILE = "model.npz", "model.json"
_NB_ARRAYS = ("classes_", "class_count_", "feature_count_", "class_log_prior_", "feature_log_prob_")


def _count_nb_parts(model):
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import Pipeline

    if not (isinstance(model, Pipeline) and len(model.steps) == 2 and type(model[0]) is CountVectorizer
            and type(model[1]) is MultinomialNB):
        raise TypeError("model must be the course's fitted Pipeline(CountVectorizer, MultinomialNB) "
                        f"(make_model('count-nb')), got {model!r}")
    if not hasattr(model[1], "classes_") or not hasattr(model[0], "vocabulary_"):
        raise ValueError("model must be fitted before it is saved")
    return model[0], model[1]


def save_model_arrays(model, folder):
    """Save the course's Naive Bayes pipeline as arrays and JSON only: a format that cannot carry code.

    ``folder/model.npz`` holds the classifier's arrays (numbers and the class names as fixed-width
    strings, never Python objects) and ``folder/model.json`` the vectoriser's parameters, its vocabulary
    in column order and the classifier's ``alpha``. Only plain values are accepted: a callable tokenizer
    or preprocessor raises ``ValueError``, since it could not be saved without code.

    Returns the two paths."""
    import numpy as np

    vectorizer, classifier = _count_nb_parts(model)
    params = vectorizer.get_params()
    code = [name for name in ("analyzer", "preprocessor", "tokenizer") if callable(params[name])]
    if code or params["vocabulary"] is not None:
        raise ValueError(f"the vectoriser's {code or ['vocabulary']} must be left at plain values to save as arrays")
    params["dtype"] = np.dtype(params.pop("dtype")).name
    params.pop("vocabulary")
    params["ngram_range"] = list(params["ngram_range"])
    vocabulary = sorted(vectorizer.vocabulary_, key=vectorizer.vocabulary_.get)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    arrays = {name.rstrip("_"): np.asarray(getattr(classifier, name)) for name in _NB_ARRAYS}
    if arrays["classes"].dtype.kind not in "U":
        arrays["classes"] = arrays["classes"].astype(str)
    with open(folder / ARRAYS_FILE, "wb") as handle:
        np.savez(handle, **arrays)
    description = {"format": "course_utils count-nb arrays 1", "vectorizer": params, "vocabulary": vocabulary,
                   "classifier": {"alpha": classifier.alpha, "fit_prior": classifier.fit_prior}}
    (folder / PARAMS_FILE).write_text(json.dumps(description, indent=1), encoding="utf-8")
    return folder / ARRAYS_FILE, folder / PARAMS_FILE


def load_model_arrays(folder):
    """Load what :func:`save_model_arrays` wrote, with ``numpy.load(allow_pickle=False)``: an array of
    Python objects (which could run code when unpickled) is refused with ``ValueError``.

    Returns a fitted Pipeline(CountVectorizer, MultinomialNB) that predicts as the saved one."""
    import numpy as np
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.naive_bayes import MultinomialNB
    from sklearn.pipeline import make_pipeline

    folder = Path(folder)
    description = json.loads((folder / PARAMS_FILE).read_text(encoding="utf-8"))
    if not isinstance(description, dict) or description.get("format") != "course_utils count-nb arrays 1":
        raise ValueError(f"{PARAMS_FILE} is not a course_utils count-nb arrays file")
    params = dict(description["vectorizer"])
    params["dtype"] = np.dtype(params["dtype"]).type
    params["ngram_range"] = tuple(params["ngram_range"])
    vectorizer = CountVectorizer(**params)
    vectorizer.vocabulary_ = {word: column for column, word in enumerate(description["vocabulary"])}
    vectorizer.fixed_vocabulary_ = False
    classifier = MultinomialNB(**description["classifier"])
    with np.load(folder / ARRAYS_FILE, allow_pickle=False) as arrays:
        for name in _NB_ARRAYS:
            setattr(classifier, name, arrays[name.rstrip("_")].copy())
    classifier.classes_ = classifier.classes_.astype(object)
    classifier.n_features_in_ = classifier.feature_count_.shape[1]
    if classifier.n_features_in_ != len(vectorizer.vocabulary_):
        raise ValueError(f"{ARRAYS_FILE} has {classifier.n_features_in_} features and {PARAMS_FILE} "
                         f"{len(vectorizer.vocabulary_)} words")
    return make_pipeline(vectorizer, classifier)


def sign_model_card(folder, key, *, name, version, card=None, created=None):
    """A signed model card for the model files in ``folder``: a manifest of their SHA-256 and sizes
    (:func:`create_manifest`, every file but ``card.json``) carrying ``card``, what the card says of the
    model (its ``name`` and, for example, the training data's manifest hash and test accuracy), all signed
    with ``key``. Writes it to ``folder/card.json`` and returns it."""
    if not isinstance(name, str) or not name:
        raise ValueError(f"name must be a non-empty str, got {name!r}")
    if card is not None and not isinstance(card, dict):
        raise TypeError(f"card must be a dict of JSON values or None, got {type(card).__name__}")
    manifest = create_manifest(folder, version=version, source=name, created=created, exclude=("card.json",))
    manifest["card"] = {"name": name, **(card or {})}
    signed = sign_manifest(manifest, key)
    (Path(folder) / "card.json").write_text(json.dumps(signed, indent=1), encoding="utf-8")
    return signed


def load_verified_model(folder, public_key, *, name, min_version=None):
    """Verify ``folder/card.json`` (signature by ``public_key``, the model's ``name``, every file's hash)
    and only then load the arrays (:func:`load_model_arrays`). Raises :class:`ManifestError`, one line per
    failure, before reading any model file."""
    folder = Path(folder)
    try:
        card = json.loads((folder / "card.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ManifestError([f"card.json: unreadable ({error})"]) from None
    problems = manifest_problems(folder, card, public_key, min_version=min_version, exclude=("card.json",))
    if not problems and card.get("card", {}).get("name") != name:
        problems.append(f"card.json: the card names the model {card.get('card', {}).get('name')!r}, "
                        f"not {name!r}")
    if problems:
        raise ManifestError(problems)
    return load_model_arrays(folder)
