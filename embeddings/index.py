"""The passage index: one folder, opened in place, changed in place.

Layout (see `embeddings.store`): ``manifest.json`` (what built it),
``catalog.sqlite`` (documents, passages, live segments, tombstones) and
``segments/<id>/`` (immutable FAISS vectors + BM25 postings, memory-mapped).
Adding documents writes one new segment and commits one SQLite transaction;
removing one tombstones its passages; `PassageIndex.compact` merges segments
and drops tombstones. Every change is a single commit, so kill -9 at any
point leaves the previous or the next state; files a killed change left
behind are swept by the next one. Readers hold a snapshot and `refresh` to
see later commits. Writers take the folder's lock (`embeddings.locking`).
"""

from __future__ import annotations

import shutil
import sqlite3
import tempfile
import weakref
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from math import log
from pathlib import Path
from typing import Iterator

import numpy as np

from embeddings.chunking import Passage, chunk_document
from embeddings.documents import Document
from embeddings.encoder import Encoder
from embeddings.files import Skipped
from embeddings.progress import EMBEDDING, SPLITTING, StageProgress
from embeddings.settings import IndexSettings
from embeddings.store.catalog import CATALOG_FILE, Catalog, DocumentEntry, NewDocument, SegmentInfo
from embeddings.store.folder import (
    FORMAT_VERSION,
    MANIFEST_FILE,
    SEGMENTS_DIR,
    IndexStoreError,
    check_target,
    create_folder,
    fsync_tree,
    read_manifest,
)
from embeddings.store.postings import Postings
from embeddings.store.terms import tokenize
from embeddings.store.vectors import IVF_MIN_PASSAGES, VectorSegment

__all__ = [
    "FORMAT_VERSION", "MANIFEST_FILE", "IndexStoreError", "PassageIndex", "SyncReport",
    "check_target",
]

#: Small segments are merged once there are more than this many.
MAX_SMALL_SEGMENTS = 8
ROWS_FILE = "rows.npy"


@dataclass
class SyncReport:
    """What an update changed, so the CLI and UI can say it."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    embedded_passages: int = 0
    #: Files left out, each with its reason, and notes about files read.
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    def summary(self) -> str:
        """``2 added, 1 updated, 5 unchanged, 3 skipped (2 unsupported type, 1 binary) (40 passages
        embedded)``: the words the CLI and UI show."""
        parts = [f"{len(self.added)} added", f"{len(self.updated)} updated", f"{len(self.unchanged)} unchanged"]
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.skipped:
            reasons = Counter(_reason_kind(s.reason) for s in self.skipped)
            why = ", ".join(f"{n} {reason}" for reason, n in reasons.most_common())
            parts.append(f"{len(self.skipped)} skipped ({why})")
        return f"{', '.join(parts)} ({self.embedded_passages} passages embedded)"


def _reason_kind(reason: str) -> str:
    """A skip reason without its particulars, for counting ("unsupported type (.py)" → "unsupported type")."""
    return reason.split(" (", 1)[0].split(";", 1)[0]


@dataclass
class Segment:
    """An open segment: its rows (sorted), vectors and postings, and which rows are dead."""

    info: SegmentInfo
    rows: np.ndarray
    vectors: VectorSegment
    postings: Postings
    dead: np.ndarray | None  # positions tombstoned since the segment was written

    def positions(self, rows: np.ndarray) -> np.ndarray:
        """Positions in this segment of those of ``rows`` it holds."""
        at = np.searchsorted(self.rows, rows)
        at = at[at < len(self.rows)]
        return at[np.isin(self.rows[at], rows)]

    def live(self) -> np.ndarray:
        keep = np.ones(len(self.rows), dtype=bool)
        if self.dead is not None:
            keep[self.dead] = False
        return keep


class Documents(Mapping):
    """The index's documents by id, read one at a time from the catalog."""

    def __init__(self, index: PassageIndex):
        self._index = index

    def __getitem__(self, doc_id: str) -> Document:
        return self._index.document(doc_id)

    def __contains__(self, doc_id: object) -> bool:
        return isinstance(doc_id, str) and self._index.catalog.entry(doc_id) is not None

    def __iter__(self) -> Iterator[str]:
        return iter([e.doc_id for e in self._index.entries()])

    def __len__(self) -> int:
        return self._index.catalog.count_documents()


class PassageIndex:
    def __init__(self, directory: Path, settings: IndexSettings, _owner: object | None = None):
        self.directory = Path(directory)
        self.settings = settings
        self.catalog = Catalog(self.directory / CATALOG_FILE)
        self._owner = _owner  # keeps a temporary folder alive as long as the index
        self.documents = Documents(self)
        self._read_snapshot()

    # ---- opening -----------------------------------------------------------
    @classmethod
    def open(cls, directory: Path | str, expected_model: str | None = None) -> PassageIndex:
        directory = Path(directory)
        if not check_target(directory):
            raise IndexStoreError(f"no index at {directory} (build one with: qa index PATH --index {directory})")
        manifest = read_manifest(directory)
        if expected_model is not None and manifest["model"] != expected_model:
            raise IndexStoreError(
                f"index at {directory} was built with model {manifest['model']!r}, but"
                f" {expected_model!r} is configured; rebuild it or change QA_EMBEDDING_MODEL"
            )
        if not (directory / CATALOG_FILE).is_file():
            raise IndexStoreError(f"index at {directory} is damaged: its catalog is missing; rebuild it")
        try:
            return cls(directory, IndexSettings.from_manifest(manifest))
        except (OSError, ValueError, KeyError, RuntimeError, sqlite3.Error) as exc:
            raise IndexStoreError(f"index at {directory} is damaged: {_one_line(exc)}") from None

    @classmethod
    def create(cls, directory: Path | str, settings: IndexSettings) -> PassageIndex:
        """A new, empty index folder (the target must be new or an empty folder)."""
        directory = Path(directory)
        if check_target(directory):
            raise IndexStoreError(f"{directory} already holds an index")
        return cls._create(directory, settings)

    @classmethod
    def _create(cls, directory: Path, settings: IndexSettings, owner: object | None = None) -> PassageIndex:
        create_folder(directory, settings, lambda tmp: Catalog.create(tmp / CATALOG_FILE).close())
        return cls(directory, settings, _owner=owner)

    @classmethod
    def open_or_create(cls, directory: Path | str, settings: IndexSettings) -> PassageIndex:
        if check_target(Path(directory)):
            return cls.open(directory, expected_model=settings.model)
        return cls.create(directory, settings)

    @classmethod
    def temporary(cls, settings: IndexSettings) -> PassageIndex:
        """An index in a private temporary folder, deleted with the object (evaluation, tests)."""
        parent = Path(tempfile.mkdtemp(prefix="cited-qa-index-"))
        return cls._create(parent / "index", settings, owner=_TemporaryFolder(parent))

    def close(self) -> None:
        self.catalog.close()

    # ---- the snapshot -------------------------------------------------------
    def _read_snapshot(self) -> None:
        for attempt in range(5):
            with self.catalog.snapshot() as con:
                infos = Catalog.read_segments(con)
                tombstones = Catalog.read_tombstones(con)
                counters = Catalog.read_counters(con)
            self.dimension = int(counters.get("dimension", 0)) or None
            try:
                segments = [self._open_segment(info, tombstones) for info in infos]
                break
            except FileNotFoundError:  # a compaction replaced them meanwhile: read again
                if attempt == 4:
                    raise
        self._segments = segments
        self._tombstones = tombstones
        self._counters = counters
        self.generation = int(counters.get("generation", 0))
        self._documents_read: dict[str, Document | None] = {}

    def _open_segment(self, info: SegmentInfo, tombstones: np.ndarray) -> Segment:
        folder = self._segment_dir(info.id)
        rows = np.load(folder / ROWS_FILE, mmap_mode="r")
        dead = None
        near = tombstones[(tombstones >= info.first_row) & (tombstones <= info.last_row)]
        if len(near):
            at = np.minimum(np.searchsorted(rows, near), len(rows) - 1)
            dead = at[np.asarray(rows)[at] == near]
        return Segment(info, rows, VectorSegment.open(folder, self.dimension or 0), Postings.open(folder), dead)

    def refresh(self) -> bool:
        """Catch up with commits made since this snapshot (by this or another process)."""
        if self.catalog.generation() == self.generation:
            return False
        self._read_snapshot()
        return True

    def _segment_dir(self, segment_id: int) -> Path:
        return self.directory / SEGMENTS_DIR / f"{segment_id:08d}"

    # ---- contents ------------------------------------------------------------
    def __len__(self) -> int:
        return int(self._counters.get("live", 0))

    def entries(self) -> list[DocumentEntry]:
        return self.catalog.entries()

    def document(self, doc_id: str) -> Document:
        if doc_id not in self._documents_read:
            if len(self._documents_read) >= 64:  # a small cache: citing reads the same few
                self._documents_read.pop(next(iter(self._documents_read)))
            self._documents_read[doc_id] = self.catalog.document(doc_id)
        doc = self._documents_read[doc_id]
        if doc is None:
            raise KeyError(doc_id)
        return doc

    def passages(self, rows: list[int]) -> list[Passage]:
        """The live passages among ``rows``, in that order."""
        found = self.catalog.passages([int(r) for r in rows])
        return [found[int(r)] for r in rows if int(r) in found]

    def iter_passages(self, batch: int = 1000) -> Iterator[Passage]:
        """Every live passage in row order, read a batch at a time."""
        rows = self.catalog.all_rows()
        for lo in range(0, len(rows), batch):
            yield from self.passages(rows[lo : lo + batch].tolist())

    def passages_of(self, doc_id: str) -> list[Passage]:
        return self.passages(list(self.catalog.rows_of([doc_id])))

    def rows_of(self, doc_ids: list[str]) -> np.ndarray:
        return self.catalog.rows_of(doc_ids)

    def vectors(self, rows: np.ndarray | list[int]) -> np.ndarray:
        """Stored vectors of ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(rows), self.dimension or 0), dtype=np.float32)
        for seg in self._segments:
            mine = np.flatnonzero((rows >= seg.info.first_row) & (rows <= seg.info.last_row))
            if len(mine):
                out[mine] = seg.vectors.vectors(rows[mine], np.searchsorted(seg.rows, rows[mine]))
        return out

    # ---- search --------------------------------------------------------------
    def search(self, vector: np.ndarray, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the ``k`` nearest live passages (among ``rows``, exactly, when given)."""
        if k <= 0 or not len(self):
            return []
        if rows is not None:
            rows = np.asarray(rows, dtype=np.int64)
            scores = self.vectors(rows) @ vector
            top = np.argsort(-scores, kind="stable")[:k]
            return [(int(rows[i]), float(scores[i])) for i in top]
        found: list[tuple[int, float]] = []
        for seg in self._segments:
            dead = 0 if seg.dead is None else len(seg.dead)
            ids, scores = seg.vectors.search(vector, k + dead)
            if dead:
                keep = ~np.isin(ids, self._tombstones)
                ids, scores = ids[keep], scores[keep]
            found.extend(zip(ids.tolist(), scores.tolist()))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:k]

    def df(self, term: bytes) -> int:
        return sum(seg.postings.frequency(term) for seg in self._segments)

    def idf(self, term: bytes) -> float:
        """BM25's idf over the whole library; a term it never uses weighs the most."""
        n, df = len(self), self.df(term)
        return log((n - df + 0.5) / (df + 0.5) + 1.0)

    def lexical_search(self, terms: list[bytes], k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, BM25) of the ``k`` best live passages sharing a term with ``terms``."""
        if k <= 0 or not len(self) or not terms:
            return []
        weights = {t: self.idf(t) for t in dict.fromkeys(terms)}
        avgdl = self._counters.get("total_length", 0) / max(len(self), 1)
        found: list[tuple[int, float]] = []
        for seg in self._segments:
            among = seg.positions(np.asarray(rows, dtype=np.int64)) if rows is not None else None
            at, scores = seg.postings.top(weights, avgdl, k, seg.dead, among)
            found.extend(zip(np.asarray(seg.rows)[at].tolist(), scores.tolist()))
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:k]

    # ---- changes (the caller holds the folder's lock) -------------------------
    def add_documents(
        self, documents: list[Document], encoder: Encoder, progress: StageProgress | None = None
    ) -> SyncReport:
        """Add new documents and re-embed changed ones; unchanged ones cost nothing, and
        unchanged ones an older splitting split are split again, embedded again only where
        a passage moved. One new segment and one commit."""
        self._check_encoder(encoder)
        self.refresh()
        # Even a run with nothing to change clears what a killed change left.
        self._sweep()
        report = SyncReport()
        changed: list[Document] = []
        split_before: list[Document] = []  # unchanged, but an older splitting split them
        for doc in documents:
            known = self.catalog.entry(doc.doc_id)
            if known is not None and known.unchanged_as(doc.sha256):
                report.unchanged.append(doc.doc_id)
                continue
            (report.updated if known is not None else report.added).append(doc.doc_id)
            same_reading = known is not None and known.sha256 == doc.sha256 and known.read_as_now
            (split_before if same_reading else changed).append(doc)
        if not changed and not split_before:
            return report
        # One splitting pass (and one progress bar) for both.
        chunked = self._chunk(changed + split_before, progress)
        todo, chunks = changed, chunked[: len(changed)]
        resplit: dict[str, list[Passage]] = {}
        for doc, passages in zip(split_before, chunked[len(changed):]):
            if self._in_place(doc.doc_id, passages):
                resplit[doc.doc_id] = passages
            else:
                todo, chunks = todo + [doc], chunks + [passages]
        indexed = set(report.updated)
        replaced = [d.doc_id for d in todo if d.doc_id in indexed]
        texts = [p.embed_text for passages in chunks for p in passages]
        embedded = (lambda done, total: progress(EMBEDDING, done, total)) if progress else None
        vectors = encoder.encode(texts, progress=embedded) if texts else None
        dimension = self.dimension or (encoder.dimension if texts else 0)
        self._write(todo, chunks, texts, vectors, dimension, replaced=replaced, resplit=resplit)
        report.embedded_passages = len(texts)
        return report

    def _in_place(self, doc_id: str, passages: list[Passage]) -> bool:
        """Whether a document's passages, split again, lie where the stored ones lie (only
        sentences moved inside them): their vectors and terms then stay valid, so a new
        splitting costs splitting, not embedding. Otherwise it is embedded again."""

        def places(found: list[Passage]) -> list[tuple]:
            return [(p.start, p.end, p.section, p.kind, p.page) for p in found]

        return places(passages) == places(self.passages_of(doc_id))

    def _chunk(self, documents: list[Document], progress: StageProgress | None) -> list[list[Passage]]:
        total = sum(len(doc.text) for doc in documents)
        chunks, before = [], 0
        if progress is not None:
            progress(SPLITTING, 0, total)
        for doc in documents:
            told = (lambda reached, base=before: progress(SPLITTING, base + reached, total)) if progress else None
            chunks.append(chunk_document(doc, self.settings.max_words, self.settings.overlap, progress=told))
            before += len(doc.text)
        if progress is not None:
            progress(SPLITTING, total, total)
        return chunks

    def add_encoded(self, documents: list[Document], chunks: list[list[Passage]], vectors: np.ndarray) -> None:
        """Add documents whose passages were already chunked and embedded (benchmarks, other indexers)."""
        texts = [p.embed_text for passages in chunks for p in passages]
        self.refresh()
        self._sweep()
        replaced = [d.doc_id for d in documents if self.catalog.entry(d.doc_id) is not None]
        self._write(documents, chunks, texts, vectors, self.dimension or vectors.shape[1], replaced)

    def _write(self, docs, chunks, texts, vectors, dimension: int, replaced: list[str],
               resplit: Mapping[str, list[Passage]] | None = None) -> None:
        """One segment and one commit; the caller has swept what a killed change left.
        ``resplit``: documents whose passages stay, with their sentences split again."""
        counters = self.catalog.counters()
        first = counters["next_row"]
        rows = np.arange(first, first + len(texts), dtype=np.int64)
        new: list[NewDocument] = []
        token_lists = tokenize(texts)
        at = 0
        for doc, passages in zip(docs, chunks):
            numbered = [p.renumbered(int(rows[at + i])) for i, p in enumerate(passages)]
            lengths = [len(t) for t in token_lists[at : at + len(passages)]]
            new.append(NewDocument(doc, numbered, lengths))
            at += len(passages)
        segment = None
        if len(texts):
            kind = self._write_segment(counters["next_segment"], rows, vectors, Postings.build(token_lists), dimension)
            segment = SegmentInfo(counters["next_segment"], len(texts), int(rows[0]), int(rows[-1]), kind)
        with self.catalog.transaction() as con:
            Catalog.remove_documents(con, replaced)
            Catalog.add_documents(con, new)
            for doc_id, passages in (resplit or {}).items():
                Catalog.resplit_document(con, doc_id, passages)
            if segment is not None:
                Catalog.add_segment(con, segment)
                Catalog.set_counter(con, "next_row", first + len(texts))
                Catalog.set_counter(con, "next_segment", segment.id + 1)
            Catalog.set_counter(con, "dimension", dimension)
            Catalog.set_counter(con, "generation", counters["generation"] + 1)
        self._read_snapshot()
        self._merge_small_segments()

    def _write_segment(self, segment_id: int, rows: np.ndarray, vectors: np.ndarray,
                       postings: Postings, dimension: int) -> str:
        """Write a segment's files under a temporary name, then rename it into
        place; only the catalog's commit makes it live."""
        final = self._segment_dir(segment_id)
        tmp = final.parent / f".tmp-{final.name}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        np.save(tmp / ROWS_FILE, rows.astype(np.int64))
        postings.save(tmp)
        segment = VectorSegment.build(vectors, rows, dimension)
        segment.save(tmp)
        fsync_tree(tmp)
        tmp.rename(final)
        return segment.kind

    def remove(self, doc_id: str) -> None:
        if not self.remove_documents([doc_id]):
            raise KeyError(doc_id)

    def remove_documents(self, doc_ids: list[str]) -> list[str]:
        """Remove those of ``doc_ids`` the index holds, in one commit; returns them."""
        self.refresh()
        present = [d for d in doc_ids if self.catalog.entry(d) is not None]
        if not present:
            return []
        self._sweep()
        with self.catalog.transaction() as con:
            Catalog.remove_documents(con, present)
            Catalog.set_counter(con, "generation", Catalog.counter(con, "generation") + 1)
        self._read_snapshot()
        return present

    def compact(self) -> int:
        """Merge every segment into one, dropping tombstoned passages; returns
        the segments merged. Costs the whole library: run it now and then
        (``qa compact``), not on every change."""
        self.refresh()
        return self._merge(self._segments)

    def _merge_small_segments(self) -> None:
        small = [s for s in self._segments if s.info.passages < IVF_MIN_PASSAGES]
        if len(small) > MAX_SMALL_SEGMENTS:
            self._merge(small)

    def _merge(self, segments: list[Segment]) -> int:
        if not segments or (len(segments) == 1 and segments[0].dead is None):
            return 0
        self._sweep()
        keeps = [s.live() for s in segments]
        rows = np.concatenate([np.asarray(s.rows)[keep] for s, keep in zip(segments, keeps)])
        with self.catalog.snapshot() as con:
            new_id = Catalog.counter(con, "next_segment")
        old = [s.info for s in segments]
        if len(rows):
            vectors = np.vstack([s.vectors.vectors(np.asarray(s.rows)[keep], np.flatnonzero(keep))
                                 for s, keep in zip(segments, keeps)])
            postings = Postings.merge([(s.postings, keep) for s, keep in zip(segments, keeps)])
            kind = self._write_segment(new_id, rows, vectors, postings, self.dimension or vectors.shape[1])
        with self.catalog.transaction() as con:
            Catalog.drop_segments(con, old)
            if len(rows):
                Catalog.add_segment(con, SegmentInfo(new_id, len(rows), int(rows[0]), int(rows[-1]), kind))
            Catalog.set_counter(con, "next_segment", new_id + 1)
            Catalog.set_counter(con, "generation", Catalog.counter(con, "generation") + 1)
        self._read_snapshot()
        self._sweep()
        return len(old)

    def _sweep(self) -> None:
        """Delete segment folders the catalog does not list: what a killed
        change left, and segments a merge replaced. Only writers sweep, under
        the lock; readers that still map a deleted file keep reading it."""
        with self.catalog.snapshot() as con:
            live = {f"{s.id:08d}" for s in Catalog.read_segments(con)}
        root = self.directory / SEGMENTS_DIR
        for path in root.iterdir() if root.is_dir() else ():
            if path.name not in live:
                shutil.rmtree(path, ignore_errors=True)

    def _check_encoder(self, encoder: Encoder) -> None:
        if encoder.model_name != self.settings.model:
            raise IndexStoreError(
                f"this index was built with model {self.settings.model!r},"
                f" not {encoder.model_name!r}; rebuild it into a new folder"
            )

    def segments(self) -> list[SegmentInfo]:
        return [s.info for s in self._segments]


class _TemporaryFolder:
    def __init__(self, path: Path):
        self._finalizer = weakref.finalize(self, shutil.rmtree, path, True)


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
