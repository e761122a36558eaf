"""The passage index: passages + their vectors in FAISS, saved atomically.

On disk (one folder): the manifest (format version, model, dimension,
chunking settings, per-document content hashes), the documents, the
passages and the FAISS vectors (file names below). Saving writes a sibling temp folder
and renames it into place, so an interrupted save leaves the previous index
intact; a crash between the two renames is recovered on the next load.
"""

from __future__ import annotations

import json
import os
from collections import Counter
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from embeddings.chunking import Passage, chunk_document
from embeddings.documents import Document
from embeddings.files import Skipped
from embeddings.encoder import Encoder
from embeddings.settings import IndexSettings

FORMAT_VERSION = 2  # 2: reading text + source map, blocks, passage sections
#: The files of an index folder; the manifest is written last, so a folder
#: without one was never finished.
MANIFEST_FILE = "manifest.json"
DOCUMENTS_FILE = "documents.jsonl"
PASSAGES_FILE = "passages.jsonl"
VECTORS_FILE = "vectors.faiss"

ProgressFn = Callable[[int, int], None]


class IndexStoreError(RuntimeError):
    """An index that cannot be used or written; the message is user-facing."""


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


class PassageIndex:
    def __init__(self, settings: IndexSettings, dimension: int | None = None):
        self.settings = settings
        self.dimension = dimension
        self.documents: dict[str, Document] = {}
        self.passages: list[Passage] = []
        self.vectors = np.zeros((0, dimension or 0), dtype=np.float32)
        self._faiss = None

    # ---- contents -------------------------------------------------------
    def __len__(self) -> int:
        return len(self.passages)

    def passages_of(self, doc_id: str) -> list[Passage]:
        return [p for p in self.passages if p.doc_id == doc_id]

    def add_documents(
        self,
        documents: list[Document],
        encoder: Encoder,
        progress: ProgressFn | None = None,
    ) -> SyncReport:
        """Add new documents and re-embed changed ones; unchanged ones cost nothing."""
        self._check_encoder(encoder)
        report = SyncReport()
        todo: list[Document] = []
        for doc in documents:
            known = self.documents.get(doc.doc_id)
            if known is not None and known.sha256 == doc.sha256:
                report.unchanged.append(doc.doc_id)
                continue
            (report.updated if known is not None else report.added).append(doc.doc_id)
            todo.append(doc)
        if not todo:
            return report
        new_passages: list[Passage] = []
        for doc in todo:
            new_passages.extend(
                chunk_document(doc, self.settings.max_words, self.settings.overlap)
            )
        vectors = encoder.encode([p.embed_text for p in new_passages], progress=progress)
        if self.dimension is None:
            self.dimension = encoder.dimension
            self.vectors = np.zeros((0, self.dimension), dtype=np.float32)
        replaced = {d.doc_id for d in todo}
        self._drop(replaced)
        for doc in todo:
            self.documents[doc.doc_id] = doc
        self._append(new_passages, vectors)
        report.embedded_passages = len(new_passages)
        return report

    def remove(self, doc_id: str) -> None:
        if doc_id not in self.documents:
            raise KeyError(doc_id)
        self._drop({doc_id})
        del self.documents[doc_id]

    def _drop(self, doc_ids: set[str]) -> None:
        keep = [i for i, p in enumerate(self.passages) if p.doc_id not in doc_ids]
        if len(keep) == len(self.passages):
            return
        self.vectors = self.vectors[keep]
        self.passages = [self.passages[i] for i in keep]
        self._renumber()

    def _append(self, passages: list[Passage], vectors: np.ndarray) -> None:
        self.passages.extend(passages)
        self.vectors = np.vstack([self.vectors, vectors]).astype(np.float32, copy=False)
        self._renumber()

    def _renumber(self) -> None:
        # Row i of the vectors is passage i: ids are positions, rebuilt on change.
        self.passages = [
            p if p.passage_id == i else p.renumbered(i)
            for i, p in enumerate(self.passages)
        ]
        self._faiss = None

    def _check_encoder(self, encoder: Encoder) -> None:
        if encoder.model_name != self.settings.model:
            raise IndexStoreError(
                f"this index was built with model {self.settings.model!r},"
                f" not {encoder.model_name!r}; rebuild it into a new folder"
            )

    # ---- search ---------------------------------------------------------
    @property
    def faiss_index(self):
        if self._faiss is None:
            import faiss

            index = faiss.IndexFlatIP(self.dimension or 1)
            if len(self.vectors):
                index.add(np.ascontiguousarray(self.vectors))
            self._faiss = index
        return self._faiss

    def search(self, query_vector: np.ndarray, k: int) -> list[tuple[Passage, float]]:
        """Passages by cosine similarity to the (normalised) query vector."""
        if not self.passages or k <= 0:
            return []
        k = min(k, len(self.passages))
        scores, ids = self.faiss_index.search(
            np.ascontiguousarray(query_vector.reshape(1, -1), dtype=np.float32), k
        )
        return [(self.passages[i], float(s)) for s, i in zip(scores[0], ids[0]) if i >= 0]

    # ---- storage --------------------------------------------------------
    def manifest(self) -> dict:
        counts: dict[str, int] = {}
        for p in self.passages:
            counts[p.doc_id] = counts.get(p.doc_id, 0) + 1
        return {
            "format_version": FORMAT_VERSION,
            **self.settings.to_manifest(),
            "dimension": self.dimension,
            "passages": len(self.passages),
            "documents": {
                doc_id: {"path": d.path, "sha256": d.sha256, "passages": counts.get(doc_id, 0)}
                for doc_id, d in sorted(self.documents.items())
            },
        }

    def save(self, directory: Path | str) -> None:
        import faiss

        directory = Path(directory)
        if directory.exists() and not is_index_dir(directory) and any(directory.iterdir()):
            raise IndexStoreError(
                f"{directory} exists and is not an index folder; refusing to overwrite it"
            )
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        try:
            with open(tmp / DOCUMENTS_FILE, "w", encoding="utf-8") as fh:
                for doc in self.documents.values():
                    fh.write(json.dumps(doc.to_dict(), ensure_ascii=False) + "\n")
            with open(tmp / PASSAGES_FILE, "w", encoding="utf-8") as fh:
                for p in self.passages:
                    fh.write(json.dumps(p.to_dict(), ensure_ascii=False) + "\n")
            faiss.write_index(self.faiss_index, str(tmp / VECTORS_FILE))
            # The manifest goes last: a folder without one was never finished.
            _write_json(tmp / MANIFEST_FILE, self.manifest())
            for name in os.listdir(tmp):
                with open(tmp / name, "rb") as fh:
                    os.fsync(fh.fileno())
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        _swap_into_place(tmp, directory)

    @classmethod
    def load(cls, directory: Path | str, expected_model: str | None = None) -> PassageIndex:
        import faiss

        directory = Path(directory)
        _recover(directory)
        manifest_path = directory / MANIFEST_FILE
        if not manifest_path.is_file():
            raise IndexStoreError(f"no index at {directory} (build one with: qa index PATH --index {directory})")
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise IndexStoreError(f"unreadable index manifest {manifest_path}: {exc}") from None
        version = manifest.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexStoreError(
                f"index at {directory} has format version {version}, this program reads"
                f" version {FORMAT_VERSION}; rebuild it with: qa index PATH --index {directory}"
            )
        if expected_model is not None and manifest.get("model") != expected_model:
            raise IndexStoreError(
                f"index at {directory} was built with model {manifest.get('model')!r}, but"
                f" {expected_model!r} is configured; rebuild it or change QA_EMBEDDING_MODEL"
            )
        try:
            settings = IndexSettings.from_manifest(manifest)
        except (KeyError, TypeError, ValueError) as exc:
            raise IndexStoreError(f"index manifest {manifest_path} is malformed: {exc!r}") from None
        index = cls(settings, manifest.get("dimension"))
        try:
            with open(directory / DOCUMENTS_FILE, encoding="utf-8") as fh:
                for line in fh:
                    doc = Document.from_dict(json.loads(line))
                    index.documents[doc.doc_id] = doc
            with open(directory / PASSAGES_FILE, encoding="utf-8") as fh:
                index.passages = [Passage.from_dict(json.loads(line)) for line in fh]
            flat = faiss.read_index(str(directory / VECTORS_FILE))
        except (OSError, ValueError, KeyError, RuntimeError) as exc:
            raise IndexStoreError(f"index at {directory} is damaged: {exc}") from None
        if flat.ntotal != len(index.passages) or set(manifest["documents"]) != set(index.documents):
            raise IndexStoreError(f"index at {directory} is inconsistent; rebuild it")
        index.vectors = (
            flat.reconstruct_n(0, flat.ntotal).astype(np.float32)
            if flat.ntotal
            else np.zeros((0, index.dimension or 0), dtype=np.float32)
        )
        index._faiss = flat
        return index


def is_index_dir(directory: Path) -> bool:
    return (directory / MANIFEST_FILE).is_file()


def _write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def _swap_into_place(tmp: Path, directory: Path) -> None:
    if not directory.exists():
        tmp.rename(directory)
        return
    old = directory.parent / f".{directory.name}.old-{uuid.uuid4().hex[:8]}"
    directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def _recover(directory: Path) -> None:
    """Finish a save that crashed between its two renames."""
    if directory.exists() or not directory.parent.is_dir():
        return
    olds = sorted(directory.parent.glob(f".{directory.name}.old-*"), key=os.path.getmtime)
    for old in reversed(olds):
        if is_index_dir(old):
            old.rename(directory)
            return
