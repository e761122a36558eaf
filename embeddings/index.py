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
        #: Counts saves; a writer that finds another number on disk reloads first.
        self.generation = 0

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
            "generation": self.generation,
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
        check_target(directory)
        self.generation = max(self.generation, stored_generation(directory) or 0) + 1
        directory.parent.mkdir(parents=True, exist_ok=True)
        _sweep(directory)
        tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
        # mkdtemp makes the folder private (0700); keep the mode the index had
        # (or a new folder's usual mode), so a save never narrows who can read it.
        os.chmod(tmp, directory.stat().st_mode & 0o7777 if directory.exists() else 0o777 & ~_umask())
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
        if not check_target(directory):
            raise IndexStoreError(f"no index at {directory} (build one with: qa index PATH --index {directory})")
        manifest_path = directory / MANIFEST_FILE
        try:
            manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IndexStoreError(f"unreadable index manifest {manifest_path}: {exc}") from None
        validate_manifest(manifest, manifest_path)
        if expected_model is not None and manifest["model"] != expected_model:
            raise IndexStoreError(
                f"index at {directory} was built with model {manifest['model']!r}, but"
                f" {expected_model!r} is configured; rebuild it or change QA_EMBEDDING_MODEL"
            )
        index = cls(IndexSettings.from_manifest(manifest), manifest["dimension"])
        index.generation = manifest.get("generation", 0)
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


def stored_generation(directory: Path) -> int | None:
    """The generation of the index saved in ``directory`` (None if there is none or it is unreadable)."""
    try:
        value = json.loads((Path(directory) / MANIFEST_FILE).read_text(encoding="utf-8")).get("generation", 0)
    except (OSError, ValueError, AttributeError):
        return None
    return value if _is_int(value, 0) else None


def check_target(directory: Path) -> bool:
    """Make ``directory`` ready to hold an index, before any work is done for it:
    finish a save that crashed between its renames, and refuse a file, a path
    below a file, or a folder with other things in it. True if an index is there."""
    directory = Path(directory)
    for parent in directory.parents:
        if parent.exists() and not parent.is_dir():
            raise IndexStoreError(f"cannot keep an index at {directory}: {parent} is a file")
    if directory.exists() and not directory.is_dir():
        raise IndexStoreError(f"cannot keep an index at {directory}: it is a file")
    _recover(directory)
    if is_index_dir(directory):
        return True
    if directory.is_dir() and any(directory.iterdir()):
        raise IndexStoreError(f"{directory} exists and is not an index folder; refusing to overwrite it")
    return False


def _is_int(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def validate_manifest(manifest: object, path: Path) -> None:
    """One clear `IndexStoreError` for any manifest that is not what this program writes."""

    def bad(what: str) -> IndexStoreError:
        return IndexStoreError(f"index manifest {path} is malformed: {what}")

    if not isinstance(manifest, dict):
        raise bad(f"expected an object, found {type(manifest).__name__}")
    version = manifest.get("format_version")
    if not _is_int(version, 0):
        raise bad(f"format_version must be a whole number, not {version!r}")
    if version != FORMAT_VERSION:
        raise IndexStoreError(
            f"index at {path.parent} has format version {version}, this program reads"
            f" version {FORMAT_VERSION}; rebuild it with: qa index PATH --index {path.parent}"
        )
    if not isinstance(manifest.get("model"), str) or not manifest["model"]:
        raise bad("model must be a name or a folder path")
    chunking = manifest.get("chunking")
    if not isinstance(chunking, dict) or not _is_int(chunking.get("max_words"), 1) or not _is_int(chunking.get("overlap"), 0):
        raise bad("chunking must hold max_words >= 1 and overlap >= 0")
    passages, dimension = manifest.get("passages"), manifest.get("dimension")
    if not _is_int(passages, 0):
        raise bad(f"passages must be a count, not {passages!r}")
    if not (dimension is None and passages == 0) and not _is_int(dimension, 1):
        raise bad(f"dimension must be a positive whole number, not {dimension!r}")
    if not _is_int(manifest.get("generation", 0), 0):
        raise bad("generation must be a count")
    documents = manifest.get("documents")
    if not isinstance(documents, dict) or not all(
        isinstance(d, dict) and isinstance(d.get("sha256"), str) for d in documents.values()
    ):
        raise bad("documents must map each id to its path and sha256")


def _umask() -> int:
    """The process umask, read without setting it (os.umask would, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022


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


def _sweep(directory: Path) -> None:
    """Remove what saves killed midway left beside the index: unfinished temp
    folders, and old versions once the index itself is in place. Saves run
    under the folder's lock, so no other save owns them."""
    leftovers = list(directory.parent.glob(f".{directory.name}.tmp-*"))
    if is_index_dir(directory):
        leftovers += directory.parent.glob(f".{directory.name}.old-*")
    for path in leftovers:
        shutil.rmtree(path, ignore_errors=True)


def _recover(directory: Path) -> None:
    """Finish a save that crashed between its two renames."""
    if directory.exists() or not directory.parent.is_dir():
        return
    olds = sorted(directory.parent.glob(f".{directory.name}.old-*"), key=os.path.getmtime)
    for old in reversed(olds):
        if is_index_dir(old):
            old.rename(directory)
            return
