"""The catalog: documents, passages and the live segments, in one SQLite file.

SQLite gives what the store needs without a server: one record read without
parsing the rest, transactions (a change commits whole or not at all, even
under kill -9), and WAL, so readers keep reading while a writer writes.
A document's text is stored once; a passage is its offsets into that text
(``substr`` reads just the passage), its sentences as varint gaps. A
document's passages have consecutive rows, so its record names their range
and the passages table needs no second index.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import numpy as np

from embeddings import chunking
from embeddings.chunking import Passage
from embeddings.documents import Document
from embeddings.formats import reading_version
from embeddings.store import varint

CATALOG_FILE = "catalog.sqlite"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS documents(
    key INTEGER PRIMARY KEY, doc_id TEXT UNIQUE NOT NULL, path TEXT NOT NULL, title TEXT NOT NULL,
    sha256 TEXT NOT NULL, first_row INTEGER NOT NULL, passages INTEGER NOT NULL, text TEXT NOT NULL,
    body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS passages(
    row INTEGER PRIMARY KEY, doc INTEGER NOT NULL, start INTEGER NOT NULL, "end" INTEGER NOT NULL,
    length INTEGER NOT NULL, sentences BLOB NOT NULL, info TEXT);
CREATE TABLE IF NOT EXISTS segments(
    id INTEGER PRIMARY KEY, passages INTEGER NOT NULL, first_row INTEGER NOT NULL,
    last_row INTEGER NOT NULL, kind TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tombstones(row INTEGER PRIMARY KEY);
"""

#: A `DocumentEntry`'s columns; format, reading and splitting versions come from the stored
#: document (an index written before splitting was versioned holds version 1).
_ENTRY = (
    "doc_id, path, title, sha256, passages, coalesce(json_extract(body, '$.format'), 'text'),"
    " coalesce(json_extract(body, '$.read_with'), 1), coalesce(json_extract(body, '$.split_with'), 1)"
)

#: Counters kept in ``meta``: generation (one per commit), the next passage
#: row and segment id, live passages and their summed term lengths (BM25's
#: average length), and the vectors' dimension (0 until the first add).
COUNTERS = ("generation", "next_row", "next_segment", "live", "total_length", "dimension")


@dataclass(frozen=True)
class SegmentInfo:
    id: int
    passages: int
    first_row: int
    last_row: int
    kind: str


@dataclass(frozen=True)
class DocumentEntry:
    """What listing a library needs of a document, without its text."""

    doc_id: str
    path: str
    title: str
    sha256: str
    passages: int
    format: str = "text"
    read_with: int = 1  # the version of its format's reading it was read with
    split_with: int = 1  # the version of the splitting its passages came from

    @property
    def read_as_now(self) -> bool:
        """False when its format is read differently now: unchanged bytes must be read again."""
        return self.read_with >= reading_version(self.format)

    @property
    def split_as_now(self) -> bool:
        """False when documents are split differently now: its sentences must be split again."""
        return self.split_with >= chunking.SPLITTING_VERSION

    @property
    def as_now(self) -> bool:
        """Read and split as this program would: its unchanged bytes need no work."""
        return self.read_as_now and self.split_as_now

    def unchanged_as(self, sha256: str) -> bool:
        """Reading the file with these bytes now would give what the index holds."""
        return self.sha256 == sha256 and self.as_now


@dataclass
class NewDocument:
    document: Document
    passages: list[Passage]  # numbered with their final rows
    lengths: list[int]  # terms per passage (BM25)


class Catalog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self._con = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=60)
        self._lock = threading.RLock()
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=FULL")

    @classmethod
    def create(cls, path: Path) -> Catalog:
        """An empty catalog; the dimension is recorded by the first add."""
        catalog = cls(path)
        with catalog.transaction() as con:
            for statement in _SCHEMA.strip().split(";"):
                if statement.strip():
                    con.execute(statement)
            con.executemany("INSERT OR IGNORE INTO meta VALUES (?, 0)", [(k,) for k in COUNTERS])
        return catalog

    def close(self) -> None:
        self._con.close()

    def transaction(self):
        """One write transaction: everything in it commits together, or nothing does."""
        return self._within("BEGIN IMMEDIATE")

    def snapshot(self):
        """Several reads that see one state, however writers move on meanwhile."""
        return self._within("BEGIN")

    @contextmanager
    def _within(self, begin: str) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._con.execute(begin)
            try:
                yield self._con
            except BaseException:
                self._con.execute("ROLLBACK")
                raise
            self._con.execute("COMMIT")

    def _query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._con.execute(sql, args).fetchall()

    # ---- reading -----------------------------------------------------------
    def counters(self) -> dict[str, int]:
        with self.snapshot() as con:
            return self.read_counters(con)

    @staticmethod
    def read_counters(con: sqlite3.Connection) -> dict[str, int]:
        return dict(con.execute("SELECT key, value FROM meta").fetchall())

    def generation(self) -> int:
        rows = self._query("SELECT value FROM meta WHERE key = 'generation'")
        return int(rows[0][0]) if rows else 0

    @staticmethod
    def read_segments(con: sqlite3.Connection) -> list[SegmentInfo]:
        return [SegmentInfo(*r) for r in con.execute("SELECT * FROM segments ORDER BY first_row")]

    @staticmethod
    def read_tombstones(con: sqlite3.Connection) -> np.ndarray:
        return np.array([r for (r,) in con.execute("SELECT row FROM tombstones ORDER BY row")], dtype=np.int64)

    def count_documents(self) -> int:
        return int(self._query("SELECT count(*) FROM documents")[0][0])

    def entries(self) -> list[DocumentEntry]:
        return [DocumentEntry(*r) for r in self._query(f"SELECT {_ENTRY} FROM documents ORDER BY doc_id")]

    def entry(self, doc_id: str) -> DocumentEntry | None:
        rows = self._query(f"SELECT {_ENTRY} FROM documents WHERE doc_id = ?", (doc_id,))
        return DocumentEntry(*rows[0]) if rows else None

    def document(self, doc_id: str) -> Document | None:
        rows = self._query("SELECT text, body FROM documents WHERE doc_id = ?", (doc_id,))
        if not rows:
            return None
        text, body = rows[0]
        return Document.from_dict({**json.loads(body), "doc_id": doc_id, "text": text})

    def passages(self, rows: list[int]) -> dict[int, Passage]:
        """The live passages among ``rows`` (a removed one is simply absent)."""
        if not rows:
            return {}
        marks = ",".join("?" * len(rows))
        found = self._query(
            f'SELECT p.row, d.doc_id, p.start, p."end", substr(d.text, p.start + 1, p."end" - p.start),'
            " p.sentences, p.info"
            f" FROM passages p JOIN documents d ON d.key = p.doc WHERE p.row IN ({marks})",
            tuple(int(r) for r in rows),
        )
        out = {}
        for row, doc_id, start, end, text, sentences, info in found:
            if len(text) != end - start:  # SQLite's substr stops at a NUL character: slice here
                text = self._query("SELECT text FROM documents WHERE doc_id = ?", (doc_id,))[0][0][start:end]
            out[row] = _passage(row, doc_id, start, end, text, sentences, info)
        return out

    def all_rows(self) -> np.ndarray:
        return np.array([r for (r,) in self._query("SELECT row FROM passages ORDER BY row")], dtype=np.int64)

    def rows_of(self, doc_ids: list[str]) -> np.ndarray:
        if not doc_ids:
            return np.zeros(0, np.int64)
        marks = ",".join("?" * len(doc_ids))
        # A document's passages are the consecutive rows its record names.
        found = self._query(f"SELECT first_row, passages FROM documents WHERE doc_id IN ({marks})", tuple(doc_ids))
        rows = [np.arange(first, first + count, dtype=np.int64) for first, count in found]
        return np.sort(np.concatenate(rows)) if rows else np.zeros(0, np.int64)

    # ---- writing (inside `transaction`) --------------------------------------
    @staticmethod
    def remove_documents(con: sqlite3.Connection, doc_ids: list[str]) -> list[int]:
        """Tombstone the documents' passages and drop their records; returns the rows."""
        removed: list[int] = []
        for doc_id in doc_ids:
            found = con.execute("SELECT key, first_row, passages FROM documents WHERE doc_id = ?",
                                (doc_id,)).fetchone()
            if found is None:
                continue
            key, first, count = found
            span = (first, first + count - 1)
            rows = con.execute("SELECT row, length FROM passages WHERE row BETWEEN ? AND ?", span).fetchall()
            con.executemany("INSERT OR IGNORE INTO tombstones VALUES (?)", [(r,) for r, _ in rows])
            con.execute("DELETE FROM passages WHERE row BETWEEN ? AND ?", span)
            con.execute("DELETE FROM documents WHERE key = ?", (key,))
            _bump(con, live=-len(rows), total_length=-sum(n for _, n in rows))
            removed.extend(r for r, _ in rows)
        return removed

    @staticmethod
    def add_documents(con: sqlite3.Connection, new: list[NewDocument]) -> None:
        for item in new:
            doc = item.document
            body = doc.to_dict()
            del body["text"], body["doc_id"]
            body["split_with"] = chunking.SPLITTING_VERSION
            rows = [p.passage_id for p in item.passages]
            if rows and rows != list(range(rows[0], rows[0] + len(rows))):
                raise ValueError(f"passages of {doc.doc_id!r} must have consecutive rows")
            cur = con.execute(
                "INSERT INTO documents(doc_id, path, title, sha256, first_row, passages, text, body)"
                " VALUES (?,?,?,?,?,?,?,?)",
                (doc.doc_id, doc.path, doc.title, doc.sha256, rows[0] if rows else 0, len(rows), doc.text,
                 json.dumps(body, ensure_ascii=False, separators=(",", ":"))),
            )
            con.executemany(
                'INSERT INTO passages(row, doc, start, "end", length, sentences, info) VALUES (?,?,?,?,?,?,?)',
                [(p.passage_id, cur.lastrowid, p.start, p.end, n, _sentences_blob(p), _info(p))
                 for p, n in zip(item.passages, item.lengths)],
            )
            _bump(con, live=len(item.passages), total_length=sum(item.lengths))

    @staticmethod
    def resplit_document(con: sqlite3.Connection, doc_id: str, passages: list[Passage]) -> None:
        """Store a document's sentences as this version splits them, its passages being where
        they were (same count, same offsets: their vectors and postings stay valid)."""
        key, first, count = con.execute(
            "SELECT key, first_row, passages FROM documents WHERE doc_id = ?", (doc_id,)).fetchone()
        if count != len(passages):
            raise ValueError(f"{doc_id!r} holds {count} passages, not {len(passages)}")
        con.executemany("UPDATE passages SET sentences = ? WHERE row = ?",
                        [(_sentences_blob(p), first + i) for i, p in enumerate(passages)])
        con.execute("UPDATE documents SET body = json_set(body, '$.split_with', ?) WHERE key = ?",
                    (chunking.SPLITTING_VERSION, key))

    @staticmethod
    def add_segment(con: sqlite3.Connection, segment: SegmentInfo) -> None:
        con.execute("INSERT INTO segments VALUES (?,?,?,?,?)",
                    (segment.id, segment.passages, segment.first_row, segment.last_row, segment.kind))

    @staticmethod
    def drop_segments(con: sqlite3.Connection, segments: list[SegmentInfo]) -> None:
        """Forget merged segments and the tombstones that only they needed."""
        for s in segments:
            con.execute("DELETE FROM segments WHERE id = ?", (s.id,))
            con.execute("DELETE FROM tombstones WHERE row BETWEEN ? AND ?", (s.first_row, s.last_row))

    @staticmethod
    def set_counter(con: sqlite3.Connection, key: str, value: int) -> None:
        con.execute("UPDATE meta SET value = ? WHERE key = ?", (int(value), key))

    @staticmethod
    def counter(con: sqlite3.Connection, key: str) -> int:
        return int(con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()[0])


def _bump(con: sqlite3.Connection, **deltas: int) -> None:
    for key, delta in deltas.items():
        con.execute("UPDATE meta SET value = value + ? WHERE key = ?", (int(delta), key))


def _sentences_blob(p: Passage) -> bytes:
    """Sentence offsets as gaps from the passage start, zigzag varints: a few
    bytes where JSON took fifty."""
    flat = np.array([p.start] + [x for s in p.sentences for x in s], dtype=np.int64)
    return varint.encode(varint.zigzag(np.diff(flat))).tobytes()


def _sentences(start: int, blob: bytes) -> tuple[tuple[int, int], ...]:
    flat = start + np.cumsum(varint.unzigzag(varint.decode(np.frombuffer(blob, dtype=np.uint8))))
    return tuple(zip(flat[0::2].tolist(), flat[1::2].tolist()))


def _info(p: Passage) -> str | None:
    """Section, kind and page when there are any (most passages have none)."""
    info: dict = {}
    if p.section:
        info["h"] = list(p.section)
    if p.kind != "text":
        info["k"] = p.kind
    if p.page is not None:
        info["p"] = p.page
    return json.dumps(info, ensure_ascii=False, separators=(",", ":")) if info else None


def _passage(row: int, doc_id: str, start: int, end: int, text: str, sentences: bytes, info: str | None) -> Passage:
    data = json.loads(info) if info else {}
    return Passage(
        passage_id=row, doc_id=doc_id, start=start, end=end, text=text,
        sentences=_sentences(start, sentences), section=tuple(data.get("h", ())),
        kind=data.get("k", "text"), page=data.get("p"),
    )
