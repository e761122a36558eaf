"""The public Python API: one object from documents to cited answers.

    from qa import Assistant
    assistant = Assistant.from_paths(["notes/"], index_dir="my-index")
    result = assistant.ask("Which car was the bomb placed under?")
    for answer in result.answers:
        print(answer.text, answer.citation.label)
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from embeddings.documents import Document, read_documents
from embeddings.encoder import Encoder
from embeddings.index import IndexStoreError, PassageIndex, SyncReport
from embeddings.settings import IndexSettings
from qa.citations import AskResult, RetrievedPassage
from qa.defaults import default_corpus_dir, default_index_dir
from qa.retrieval import Retriever
from qa.sentence_reader import SentenceReader

MAX_QUESTION_CHARS = 1000

ProgressFn = Callable[[int, int], None]


def make_reader(encoder: Encoder, lexical):
    """The trained span reader when its weights ship, else whole sentences.

    ``QA_READER=sentence`` forces the sentence reader; ``QA_READER_WEIGHTS``
    points at another weights folder (e.g. a longer training run)."""
    import os

    from qa.reader import DEFAULT_WEIGHTS_DIR
    from qa.span_reader import SpanAnswerer, weights_available

    weights = Path(os.environ.get("QA_READER_WEIGHTS") or DEFAULT_WEIGHTS_DIR)
    if os.environ.get("QA_READER", "span") != "sentence" and weights_available(weights):
        return SpanAnswerer(lexical, weights)
    return SentenceReader(encoder, lexical)


class QuestionError(ValueError):
    """A question that cannot be asked; the message is user-facing."""


@dataclass(frozen=True)
class CorpusInfo:
    documents: int
    passages: int
    model: str
    index_dir: str | None
    reader: str


def check_question(question: str) -> str:
    question = " ".join(question.split())
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    return question


class Assistant:
    """Not thread-safe: callers that use threads (the TUI) serialise calls."""

    def __init__(self, index: PassageIndex, index_dir: Path | None = None):
        self.index = index
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.encoder = Encoder(index.settings.model)
        self.retriever = Retriever(index, self.encoder)
        self.reader = make_reader(self.encoder, self.retriever.lexical)
        self.last_report = SyncReport()

    # ---- construction ---------------------------------------------------
    @classmethod
    def from_paths(
        cls,
        paths: list[str | Path],
        index_dir: str | Path | None = None,
        settings: IndexSettings | None = None,
        progress: ProgressFn | None = None,
    ) -> Assistant:
        """Index files/folders; with ``index_dir`` the index is also saved there
        (updating an existing index there incrementally)."""
        documents = read_documents(list(paths))
        settings = settings or IndexSettings.from_env()
        if index_dir is not None and (Path(index_dir) / "manifest.json").exists():
            index = PassageIndex.load(index_dir, expected_model=settings.model)
        else:
            index = PassageIndex(settings)
        assistant = cls(index, Path(index_dir) if index_dir is not None else None)
        assistant.add_documents(documents, progress)
        return assistant

    @classmethod
    def load(cls, index_dir: str | Path) -> Assistant:
        return cls(PassageIndex.load(index_dir), Path(index_dir))

    @classmethod
    def default(cls, progress: ProgressFn | None = None) -> Assistant:
        """The user's default library: the shipped seed corpus (indexed into the
        user cache on first use, refreshed if it changed; unchanged documents
        cost no embedding) plus whatever ``qa index`` added to it."""
        index_dir = default_index_dir()
        settings = IndexSettings.from_env()
        documents = read_documents([default_corpus_dir()])
        try:
            index = PassageIndex.load(index_dir, expected_model=settings.model)
        except IndexStoreError:
            index = PassageIndex(settings)  # missing or stale cache: rebuild it
        assistant = cls(index, index_dir)
        report = index.add_documents(documents, assistant.encoder, progress)
        if report.changed or not (index_dir / "manifest.json").exists():
            assistant._commit()
        return assistant

    # ---- corpus ---------------------------------------------------------
    def add(self, paths: list[str | Path], progress: ProgressFn | None = None) -> SyncReport:
        """Index more files or folders (changed ones are re-embedded, unchanged skipped)."""
        return self.add_documents(read_documents(list(paths)), progress)

    def add_documents(
        self, documents: list[Document], progress: ProgressFn | None = None
    ) -> SyncReport:
        """``add`` for documents already in memory (evaluation, calibration)."""
        report = self.index.add_documents(documents, self.encoder, progress)
        self.last_report = report
        if report.changed or (self.index_dir is not None and not self.index_dir.exists()):
            self._commit()
        return report

    def remove(self, doc_id: str) -> None:
        try:
            self.index.remove(doc_id)
        except KeyError:
            raise IndexStoreError(f"no document {doc_id!r} in this index") from None
        self._commit()

    def _commit(self) -> None:
        if self.index_dir is not None:
            self.index.save(self.index_dir)
        self.retriever.refresh()
        self.reader.lexical = self.retriever.lexical

    def document(self, doc_id: str) -> Document:
        return self.index.documents[doc_id]

    @property
    def documents(self) -> list[Document]:
        return list(self.index.documents.values())

    def info(self) -> CorpusInfo:
        return CorpusInfo(
            documents=len(self.index.documents),
            passages=len(self.index.passages),
            model=self.index.settings.model,
            index_dir=str(self.index_dir) if self.index_dir else None,
            reader=self.reader.name,
        )

    # ---- questions ------------------------------------------------------
    def retrieve(self, query: str, k: int = 5) -> list[RetrievedPassage]:
        return self.retriever.retrieve(check_question(query), k)

    def ask(
        self, question: str, k: int = 3, passages: int = 5, abstain: bool = True
    ) -> AskResult:
        """Up to ``k`` cited answers from the top ``passages`` passages, or an
        explicit abstention (``abstained=True``) with the nearest passages.
        ``abstain=False`` returns the best guesses anyway (for evaluation)."""
        question = check_question(question)
        if not self.index.passages:
            return AskResult(question, [], True, [], reason="the index holds no documents")
        retrieved = self.retriever.retrieve(question, max(passages, 1))
        return self.answer_from(question, retrieved, k, abstain)

    @property
    def answer_threshold(self) -> float:
        """Answers scored below this are withheld (the calibration's operating point)."""
        return self.reader.calibration.threshold

    def answer_from(
        self, question: str, retrieved: list[RetrievedPassage], k: int = 3, abstain: bool = True
    ) -> AskResult:
        """Read answers from given passages (``ask`` without the retrieval)."""
        answers = self.reader.read(question, retrieved, max(k, 1))
        if abstain:
            answers = [a for a in answers if a.score >= self.answer_threshold]
        if not answers:
            return AskResult(
                question, [], True, retrieved, reason="nothing in the documents answers this"
            )
        return AskResult(question, answers, False, retrieved)
