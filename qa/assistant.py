"""The public Python API: one object from documents to cited answers.

    from qa import Assistant
    assistant = Assistant.from_paths(["notes/"], index_dir="my-index")
    result = assistant.ask("Which car was the bomb placed under?")
    for answer in result.answers:
        print(answer.text, answer.citation.label)
"""

from __future__ import annotations

import fnmatch
import shutil
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterator

import numpy as np

from embeddings.atomic import atomic_write
from embeddings.distributed import RayOptions, run_on_ray
from embeddings.documents import Document, Reading, read_documents
from embeddings.progress import StageProgress
from embeddings.files import file_id
from embeddings.encoder import Encoder
from embeddings.index import IndexStoreError, PassageIndex, SyncReport, check_target
from embeddings.store.catalog import DocumentEntry
from embeddings.locking import index_lock
from qa.citations import (
    BELOW_THRESHOLD_REASON,
    EMPTY_INDEX_REASON,
    NO_ANSWER_REASON,
    AskResult,
    RetrievedPassage,
)
from qa.confidence import confidence_word
from qa.questions import check_question
from qa.reader import ExtractiveReader, Reader
from qa.retrieval import Retriever
from qa.settings import Settings



@dataclass(frozen=True)
class CorpusInfo:
    documents: int
    passages: int
    model: str
    index_dir: str | None
    reader: str


#: In the default library's folder: where the seed corpus it holds was read from.
SEED_CORPUS_FILE = "seed_corpus.txt"


def _recorded_seed_dir(marker: Path) -> Path | None:
    try:
        return Path(marker.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None


def _forget_moved_seed_corpus(index: PassageIndex, previous: Path, seed_dir: Path) -> None:
    """A default library built from a seed corpus elsewhere (another checkout, an
    older install) drops that copy's documents, so the seed is never held twice;
    documents ``qa index`` added stay. The new place is recorded after the new
    seed is in, so a crash in between only repeats this step."""
    if not previous.parts or previous == seed_dir:
        return
    stale = [e.doc_id for e in index.entries() if Path(e.path).is_relative_to(previous)]
    if stale:
        index.remove_documents(stale)


class Assistant:
    """Documents in, cited answers out.

    ``settings`` default to `Settings.from_env()`; ``reader`` to the
    `ExtractiveReader` with the settings' weights. Not thread-safe: callers
    that use threads (the TUI) serialise calls."""

    def __init__(
        self,
        index: PassageIndex,
        index_dir: Path | None = None,
        settings: Settings | None = None,
        reader: Reader | None = None,
    ):
        self.settings = settings or Settings.from_env()
        self.index = index
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.encoder = Encoder(index.settings.model, cache_dir=self.settings.cache)
        self.retriever = Retriever(index, self.encoder)
        self.reader: Reader = reader or ExtractiveReader.from_settings(self.settings)
        self.last_report = SyncReport()

    # ---- construction ---------------------------------------------------
    @classmethod
    def from_paths(
        cls,
        paths: list[str | Path],
        index_dir: str | Path | None = None,
        settings: Settings | None = None,
        progress: StageProgress | None = None,
        follow_links: bool = False,
    ) -> Assistant:
        """Index files/folders; with ``index_dir`` the index is also saved there
        (updating an existing index there incrementally)."""
        settings = settings or Settings.from_env()
        target = Path(index_dir) if index_dir is not None else None
        if target is None:
            assistant = cls(PassageIndex.temporary(settings.index), None, settings)
            assistant.add(paths, progress, follow_links)
            return assistant
        check_target(target)  # a file, a folder of other things: refused before any work
        reading = read_documents(list(paths), follow_links, progress)
        assistant = cls.open_or_create(target, settings)
        assistant._add_reading(reading, progress)  # under the lock, from the last commit
        return assistant

    @classmethod
    def open_or_create(cls, index_dir: str | Path, settings: Settings | None = None) -> Assistant:
        """The index folder's assistant; an empty index is created there if there is none."""
        settings = settings or Settings.from_env()
        with index_lock(Path(index_dir)):
            return cls(PassageIndex.open_or_create(Path(index_dir), settings.index), Path(index_dir), settings)

    @classmethod
    def in_memory(cls, settings: Settings | None = None, reader: Reader | None = None) -> Assistant:
        """An assistant over an empty temporary index (evaluation, calibration)."""
        settings = settings or Settings.from_env()
        return cls(PassageIndex.temporary(settings.index), None, settings, reader)

    @classmethod
    def load(cls, index_dir: str | Path, settings: Settings | None = None) -> Assistant:
        return cls(PassageIndex.open(index_dir), Path(index_dir), settings)

    @classmethod
    def default(cls, settings: Settings | None = None, progress: StageProgress | None = None) -> Assistant:
        """The user's default library: the shipped seed corpus (indexed into the
        user cache on first use, refreshed if it changed; unchanged documents
        cost no embedding) plus whatever ``qa index`` added to it."""
        settings = settings or Settings.from_env()
        index_dir = settings.default_index_dir
        documents = read_documents([settings.corpus_dir], progress=progress).documents
        with index_lock(index_dir):
            try:
                index = PassageIndex.open_or_create(index_dir, settings.index)
            except IndexStoreError:  # a stale cache (older format, other model): rebuild it
                shutil.rmtree(index_dir, ignore_errors=True)
                index = PassageIndex.create(index_dir, settings.index)
            assistant = cls(index, index_dir, settings)
            seed_dir = settings.corpus_dir.resolve()
            marker = index_dir / SEED_CORPUS_FILE
            previous = _recorded_seed_dir(marker)
            if previous is not None:
                _forget_moved_seed_corpus(index, previous, seed_dir)
            index.add_documents(documents, assistant.encoder, progress)
            if previous != seed_dir:  # written once, not on every start
                atomic_write(marker, seed_dir.as_posix().encode("utf-8"))
        return assistant

    # ---- corpus ---------------------------------------------------------
    def add(
        self, paths: list[str | Path], progress: StageProgress | None = None, follow_links: bool = False
    ) -> SyncReport:
        """Index more files or folders (changed ones are re-embedded, unchanged
        ones cost nothing); the report lists the files left out and why."""
        return self._add_reading(read_documents(list(paths), follow_links, progress), progress)

    def add_with_ray(
        self, paths: list[str | Path], options: RayOptions | None = None, follow_links: bool = False
    ) -> SyncReport:
        """``add``, with reading, chunking and embedding fanned out over a Ray
        cluster (`embeddings.distributed`); the result is committed here, in
        one step, only once every file is through."""
        options = options or RayOptions()
        with self._writing():
            self.index.refresh()

            def known(doc_id: str) -> str | None:
                """The hash to compare with; None also when the index read or split it the way it
                no longer does (the cluster then reads and embeds it again)."""
                entry = self.index.catalog.entry(doc_id)
                return entry.sha256 if entry is not None and entry.as_now else None

            settings = self.index.settings
            run = run_on_ray(list(paths), known, settings.model, settings.max_words, settings.overlap,
                             options, cache_dir=self.settings.cache, follow_links=follow_links)
            report = SyncReport(unchanged=run.unchanged, skipped=run.skipped, warnings=run.warnings)
            for document in run.documents:
                indexed = self.index.catalog.entry(document.doc_id) is not None
                (report.updated if indexed else report.added).append(document.doc_id)
            if run.documents:
                self.index.add_encoded(run.documents, run.chunks, run.vectors)
            report.embedded_passages = sum(len(c) for c in run.chunks)
            self.last_report = report
        return report

    def _add_reading(self, reading: Reading, progress: StageProgress | None) -> SyncReport:
        report = self.add_documents(reading.documents, progress)
        report.skipped = reading.skipped
        report.warnings = reading.warnings
        return report

    def add_documents(
        self, documents: list[Document], progress: StageProgress | None = None
    ) -> SyncReport:
        """``add`` for documents already in memory (evaluation, calibration)."""
        with self._writing():
            report = self.index.add_documents(documents, self.encoder, progress)
            self.last_report = report
        return report

    def remove(self, doc_id: str) -> str:
        """Drop a document by its id, or by a path to its file; returns the id removed."""
        with self._writing():
            if doc_id not in self.index.documents:
                resolved = file_id(Path(doc_id).expanduser())
                if resolved not in self.index.documents:
                    raise IndexStoreError(f"no document {doc_id!r} in this index")
                doc_id = resolved
            self.index.remove(doc_id)
        return doc_id

    def remove_documents(self, doc_ids: list[str]) -> list[str]:
        """Drop those of ``doc_ids`` the index holds, in one commit; returns them."""
        with self._writing():
            return self.index.remove_documents(doc_ids)

    def compact(self) -> int:
        """Merge the index's segments and drop removed passages (``qa compact``); returns segments merged."""
        with self._writing():
            return self.index.compact()

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Hold the folder's lock for a change; each change starts from the
        last commit (another process's included), so no work is lost."""
        with index_lock(self.index_dir) if self.index_dir is not None else nullcontext():
            self.index.refresh()
            yield

    def document(self, doc_id: str) -> Document:
        return self.index.document(doc_id)

    @property
    def documents(self) -> list[DocumentEntry]:
        """The library's documents (id, path, title, hash, passages), without their text."""
        return self.index.entries()

    def info(self) -> CorpusInfo:
        return CorpusInfo(
            documents=len(self.index.documents),
            passages=len(self.index),
            model=self.index.settings.model,
            index_dir=str(self.index_dir) if self.index_dir else None,
            reader=self.reader.name,
        )

    # ---- questions ------------------------------------------------------
    def retrieve(self, query: str, k: int | None = None, within: str | None = None) -> list[RetrievedPassage]:
        k = self.settings.passages if k is None else k
        return self.retriever.retrieve(check_question(query), k, rows=self._scope(within))

    def matching(self, pattern: str) -> list[DocumentEntry]:
        """Documents whose path, id or file name matches the glob ``pattern``."""
        return [
            d
            for d in self.index.entries()
            if any(fnmatch.fnmatch(s, pattern) for s in (d.path, d.doc_id, Path(d.path).name, d.title))
        ]

    def _scope(self, within: str | None) -> np.ndarray | None:
        if within is None:
            return None
        return self.index.rows_of([d.doc_id for d in self.matching(within)])

    @property
    def answer_threshold(self) -> float:
        """Answers scored below this are withheld: the setting, else the calibration's operating point."""
        if self.settings.min_confidence is not None:
            return self.settings.min_confidence
        return self.reader.calibration.threshold

    def ask(
        self,
        question: str,
        k: int | None = None,
        passages: int | None = None,
        abstain: bool = True,
        within: str | None = None,
    ) -> AskResult:
        """Up to ``k`` cited answers read from the top ``passages`` passages, or
        an explicit abstention (``abstained=True``) with the nearest passages.
        ``abstain=False`` returns the best guesses anyway (for evaluation);
        ``within`` (a glob) asks only the documents it matches."""
        question = check_question(question)
        self.index.refresh()  # answer from the last complete state, whoever committed it
        if not len(self.index):
            return AskResult(question, [], True, [], reason=EMPTY_INDEX_REASON)
        rows = self._scope(within)
        if rows is not None and not len(rows):
            return AskResult(question, [], True, [], reason=f"no document matches {within!r}")
        first, further = self.passages_to_read(question, passages, rows)
        return self.answer_from(question, first, k, abstain, further=further)

    def passages_to_read(
        self, question: str, passages: int | None = None, rows: np.ndarray | None = None
    ) -> tuple[list[RetrievedPassage], list[RetrievedPassage]]:
        """One retrieval for both rounds of reading: the ``passages`` read first, and
        the ``further_passages`` after them, read only when the first are weak."""
        depth = max(self.settings.passages if passages is None else passages, 1)
        retrieved = self.retriever.retrieve(question, depth + self.settings.further_passages, rows=rows)
        return retrieved[:depth], retrieved[depth:]

    def answer_from(
        self,
        question: str,
        retrieved: list[RetrievedPassage],
        k: int | None = None,
        abstain: bool = True,
        further: list[RetrievedPassage] | None = None,
    ) -> AskResult:
        """Read answers from given passages (``ask`` without the retrieval), and
        from the ``further`` ones too when none of those reaches the threshold.

        Every answer's ``confidence`` is put in words against the threshold.
        With ``abstain=False`` answers below the threshold are kept (marked
        "low"); ``abstained`` still says whether any answer reached it."""
        k = self.settings.answers if k is None else k
        threshold = self.answer_threshold
        answers = [
            replace(a, confidence=confidence_word(a.score, threshold))
            for a in self.reader.read(question, retrieved, max(k, 1), further=further or (), until=threshold)
        ]
        confident = [a for a in answers if a.score >= threshold]
        if not confident and (abstain or not answers):
            return AskResult(question, [], True, retrieved, reason=NO_ANSWER_REASON, threshold=threshold)
        shown = confident if abstain else answers
        return AskResult(question, shown, not confident, retrieved,
                         reason="" if confident else BELOW_THRESHOLD_REASON, threshold=threshold)
