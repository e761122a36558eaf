"""What the assistant returns: answers, each tied to the exact place in the file.

A citation's ``start``/``end`` index the document's source as stored: for
text formats the file's text (``Path(c.path).read_text(encoding="utf-8")``),
for a PDF the text of page ``c.page``, for HTML/DOCX the extracted text.
``c.source_text`` is that slice: it equals ``answer.text`` unless markup
sits inside the span (``**``, a link), which the answer text leaves out. The
sentence (``context_*``) and passage (``passage_*``) use the same offsets;
``text_start``/``text_end`` place the answer in the document's reading text
(``document.text``), which is what the UI shows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from embeddings.chunking import SECTION_SEPARATOR, Passage
from embeddings.documents import Document


NOT_FOUND = "Not found in your documents"
#: An abstention: the reader may have found candidates, none confident enough, so
#: it never claims the documents hold nothing.
NO_ANSWER_REASON = "no answer in the documents reached the confidence threshold"
EMPTY_INDEX_REASON = "the index holds no documents"
BELOW_THRESHOLD_REASON = "no answer reached the confidence threshold; these are best guesses"


def span_label(
    title: str, start: int, end: int, page: int | None = None, section: tuple[str, ...] = ()
) -> str:
    """How a place in a document is shown to people: ``title › section · p. 2 · chars a–b``."""
    if section and section[0] == title:
        section = section[1:]  # a Markdown file's first heading is usually its title
    where = SECTION_SEPARATOR.join((title, *section))
    if page is not None:
        where += f" · p. {page}"
    return f"{where} · chars {start}–{end}"


@dataclass(frozen=True)
class Citation:
    doc_id: str
    path: str
    title: str
    start: int  # source offsets (see the module docstring)
    end: int
    context_start: int  # the sentence holding the span
    context_end: int
    passage_start: int
    passage_end: int
    passage: str  # the passage's reading text
    source_text: str = ""  # source[start:end]
    page: int | None = None
    section: tuple[str, ...] = ()
    kind: str = "text"  # text | table | code
    text_start: int = 0  # the span in the document's reading text
    text_end: int = 0
    context_text_start: int = 0  # the sentence (`Answer.sentence`) in the reading text
    context_text_end: int = 0

    @property
    def in_sentence(self) -> tuple[int, int]:
        """The span's offsets inside `Answer.sentence` (for highlighting it there)."""
        return self.text_start - self.context_text_start, self.text_end - self.context_text_start

    @property
    def label(self) -> str:
        return span_label(self.title, self.start, self.end, self.page, self.section)


@dataclass(frozen=True)
class Answer:
    text: str
    score: float  # confidence in [0, 1]: P(the answer is right)
    citation: Citation
    sentence: str
    #: "high" | "medium" | "low" (low: below the threshold, shown only when asked for all answers)
    confidence: str = ""

    def to_dict(self) -> dict:
        c = self.citation
        return {
            "text": self.text,
            "score": round(self.score, 4),
            "confidence": self.confidence,
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
            "source_text": c.source_text,
            "page": c.page,
            "section": list(c.section),
            "kind": c.kind,
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
    def location(self):
        """The passage's place in the source (see `Document.locate`)."""
        return self.document.locate(self.passage.start, self.passage.end)

    @property
    def label(self) -> str:
        where = self.location
        return span_label(self.document.title, where.start, where.end, where.page, self.passage.section)

    def to_dict(self) -> dict:
        p = self.passage
        where = self.location
        return {
            "doc_id": p.doc_id,
            "path": self.document.path,
            "start": where.start,
            "end": where.end,
            "page": where.page,
            "section": list(p.section),
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
    #: Answers scored below this were withheld (or, when all were asked for, marked "low").
    threshold: float | None = None

    def to_dict(self) -> dict:
        return {
            "question": self.question,
            "abstained": self.abstained,
            "threshold": self.threshold,
            "answers": [a.to_dict() for a in self.answers],
            "nearest_passages": [p.to_dict() for p in self.passages] if self.abstained else [],
        }


def make_citation(document: Document, passage: Passage, start: int, end: int) -> Citation:
    """Cite ``document.text[start:end]`` (reading-text offsets) at its place in the source,
    with the sentence that holds it."""
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
    span = document.locate(start, end)
    context = document.locate(min(ctx_start, start), max(ctx_end, end))
    whole = document.locate(passage.start, passage.end)
    source = document.page_text(span.page) if span.page is not None else document.source_text
    return Citation(
        doc_id=document.doc_id,
        path=document.path,
        title=document.title,
        start=span.start,
        end=span.end,
        context_start=context.start,
        context_end=context.end,
        passage_start=whole.start,
        passage_end=whole.end,
        passage=passage.text,
        source_text=source[span.start : span.end],
        page=span.page,
        section=passage.section,
        kind=passage.kind,
        text_start=start,
        text_end=end,
        context_text_start=min(ctx_start, start),
        context_text_end=max(ctx_end, end),
    )
