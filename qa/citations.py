"""What the assistant returns: answers, each tied to the exact source span.

Invariant for every `Answer`: ``document.text[c.start:c.end] == answer.text``
where ``c`` is its citation; the sentence (``context_*``) and passage
(``passage_*``) around the span use the same offset space.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from embeddings.chunking import Passage
from embeddings.documents import Document


NOT_FOUND = "Not found in your documents"
NO_ANSWER_REASON = "nothing in the documents answers this"
EMPTY_INDEX_REASON = "the index holds no documents"


def span_label(title: str, start: int, end: int) -> str:
    """How a place in a document is shown to people: ``title · chars a–b``."""
    return f"{title} · chars {start}–{end}"


@dataclass(frozen=True)
class Citation:
    doc_id: str
    path: str
    title: str
    start: int
    end: int
    context_start: int  # the sentence holding the span
    context_end: int
    passage_start: int
    passage_end: int
    passage: str

    @property
    def label(self) -> str:
        return span_label(self.title, self.start, self.end)


@dataclass(frozen=True)
class Answer:
    text: str
    score: float  # confidence in [0, 1]
    citation: Citation
    sentence: str

    def to_dict(self) -> dict:
        c = self.citation
        return {
            "text": self.text,
            "score": round(self.score, 4),
            "doc_id": c.doc_id,
            "path": c.path,
            "title": c.title,
            "start": c.start,
            "end": c.end,
            "context_start": c.context_start,
            "context_end": c.context_end,
            "sentence": self.sentence,
            "passage": c.passage,
            "passage_start": c.passage_start,
            "passage_end": c.passage_end,
        }


@dataclass(frozen=True)
class RetrievedPassage:
    """A passage with the evidence that ranked it (fused and per-retriever)."""

    passage: Passage
    document: Document
    score: float
    dense_score: float | None = None
    dense_rank: int | None = None
    lexical_score: float | None = None
    lexical_rank: int | None = None
    #: Share of the question's idf-weighted terms found in the passage, in [0, 1].
    term_overlap: float = 0.0

    @property
    def label(self) -> str:
        return span_label(self.document.title, self.passage.start, self.passage.end)

    def to_dict(self) -> dict:
        p = self.passage
        return {
            "doc_id": p.doc_id,
            "path": self.document.path,
            "start": p.start,
            "end": p.end,
            "text": p.text,
            "score": round(self.score, 6),
            "dense_score": None if self.dense_score is None else round(self.dense_score, 4),
            "lexical_score": None if self.lexical_score is None else round(self.lexical_score, 4),
        }


@dataclass(frozen=True)
class AskResult:
    """Ranked answers, or an explicit abstention with the nearest passages."""

    question: str
    answers: list[Answer]
    abstained: bool
    passages: list[RetrievedPassage] = field(default_factory=list)
    #: Why there is no answer (shown after "Not found in your documents").
    reason: str = ""

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "abstained": self.abstained,
            "answers": [a.to_dict() for a in self.answers],
            "nearest_passages": [p.to_dict() for p in self.passages] if self.abstained else [],
        }


def make_citation(document: Document, passage: Passage, start: int, end: int) -> Citation:
    """Cite ``document.text[start:end]``, finding the sentence that holds it."""
    ctx_start, ctx_end = passage.start, passage.end
    for s_start, s_end in passage.sentences:
        if s_start <= start and end <= s_end:
            ctx_start, ctx_end = s_start, s_end
            break
    else:
        # A span across sentences: widen to the sentences it touches.
        touching = [s for s in passage.sentences if s[0] < end and start < s[1]]
        if touching:
            ctx_start, ctx_end = touching[0][0], touching[-1][1]
    return Citation(
        doc_id=document.doc_id,
        path=document.path,
        title=document.title,
        start=start,
        end=end,
        context_start=min(ctx_start, start),
        context_end=max(ctx_end, end),
        passage_start=passage.start,
        passage_end=passage.end,
        passage=passage.text,
    )
