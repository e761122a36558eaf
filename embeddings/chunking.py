"""Sentence-aware chunking with exact character offsets.

Invariant: ``document.text[p.start:p.end] == p.text`` for every passage, and
every sentence span lies inside the document. Sentences come from pysbd
(rule-based, handles "Lt Gen.", "U.S.", decimals); passages never split a
sentence, and consecutive passages share ``overlap`` sentences so an answer
near a boundary is always whole in at least one passage.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from embeddings.documents import Document

_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_WORD = re.compile(r"\S+")
# Guards pysbd from pathological inputs (one huge "sentence").
_MAX_SENTENCE_CHARS = 1200


@dataclass(frozen=True)
class Passage:
    """A retrievable window of a document, with the sentences inside it."""

    passage_id: int
    doc_id: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]  # document offsets

    def to_dict(self) -> dict:
        return {
            "passage_id": self.passage_id,
            "doc_id": self.doc_id,
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "sentences": [list(s) for s in self.sentences],
        }

    @classmethod
    def from_dict(cls, data: dict) -> Passage:
        return cls(
            passage_id=int(data["passage_id"]),
            doc_id=data["doc_id"],
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            sentences=tuple((int(a), int(b)) for a, b in data["sentences"]),
        )


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


def _paragraphs(text: str) -> list[tuple[int, int]]:
    spans = []
    cursor = 0
    for brk in _PARAGRAPH_BREAK.finditer(text):
        spans.append((cursor, brk.start()))
        cursor = brk.end()
    spans.append((cursor, len(text)))
    return [_strip_span(text, a, b) for a, b in spans if text[a:b].strip()]


def _strip_span(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _hard_wrap(text: str, start: int, end: int) -> list[tuple[int, int]]:
    """Split an over-long run of text at whitespace so passages stay bounded."""
    spans = []
    while end - start > _MAX_SENTENCE_CHARS:
        cut = text.rfind(" ", start + _MAX_SENTENCE_CHARS // 2, start + _MAX_SENTENCE_CHARS)
        if cut <= start:
            cut = start + _MAX_SENTENCE_CHARS
        spans.append(_strip_span(text, start, cut))
        start = cut
    spans.append(_strip_span(text, start, end))
    return [s for s in spans if s[1] > s[0]]


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans (start, end) in ``text``, whitespace-trimmed, in order.

    pysbd returns strings, not offsets we can trust, so each sentence is
    located in the original text from a moving cursor; anything pysbd
    altered falls back to the unaligned remainder, never to wrong offsets.
    """
    spans: list[tuple[int, int]] = []
    for p_start, p_end in _paragraphs(text):
        paragraph = text[p_start:p_end]
        cursor = 0
        pieces = _segmenter().segment(paragraph) if paragraph.strip() else []
        for piece in pieces:
            piece = piece.strip()
            if not piece:
                continue
            found = paragraph.find(piece, cursor)
            if found < 0:
                continue
            if found > cursor and paragraph[cursor:found].strip():
                spans.extend(_hard_wrap(text, p_start + cursor, p_start + found))
            spans.extend(_hard_wrap(text, p_start + found, p_start + found + len(piece)))
            cursor = found + len(piece)
        if paragraph[cursor:].strip():
            spans.extend(_hard_wrap(text, p_start + cursor, p_end))
    return spans


def chunk_document(
    document: Document,
    max_words: int = 100,
    overlap: int = 1,
    first_id: int = 0,
) -> list[Passage]:
    """Group whole sentences into passages of at most ``max_words`` words.

    A single sentence longer than the budget becomes its own passage. The
    ``overlap`` last sentences of a passage open the next one.
    """
    if max_words < 1:
        raise ValueError("max_words must be at least 1")
    if overlap < 0:
        raise ValueError("overlap must be >= 0")
    text = document.text
    sentences = split_sentences(text)
    counts = [len(_WORD.findall(text[a:b])) for a, b in sentences]
    passages: list[Passage] = []
    i = 0
    while i < len(sentences):
        j = i
        words = 0
        while j < len(sentences) and (j == i or words + counts[j] <= max_words):
            words += counts[j]
            j += 1
        window = tuple(sentences[i:j])
        start, end = window[0][0], window[-1][1]
        passages.append(
            Passage(
                passage_id=first_id + len(passages),
                doc_id=document.doc_id,
                start=start,
                end=end,
                text=text[start:end],
                sentences=window,
            )
        )
        if j >= len(sentences):
            break
        i = max(j - overlap, i + 1)
    return passages
