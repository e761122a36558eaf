"""Start/end logits → character spans: the best token spans, trimmed to the answer.

`SpanPrediction`/`ContextPrediction` are what the span model returns per
context; offsets are characters of that context.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpanPrediction:
    """One answer candidate; `start`/`end` are character offsets into its context."""

    start: int
    end: int
    score: float  # start_logit + end_logit: comparable across contexts and to no_answer_score


@dataclass(frozen=True)
class ContextPrediction:
    """Best spans of one context plus the score of answering "nothing here"."""

    spans: list[SpanPrediction]
    no_answer_score: float  # [CLS] start+end logit (min over windows), SQuAD 2.0 convention


_OPENERS = {"(": ")", "[": "]", "{": "}", '"': '"', "“": "”", "‘": "’", "«": "»", "'": "'"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
_EDGE_PUNCT = set(".,;:!?¿¡-–—…·/\\|")


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past whitespace and punctuation that is not part of the answer.

    Keeps balanced brackets/quotes, abbreviation dots ("U.S.") and symbols like % or $.
    """
    changed = True
    while changed and start < end:
        changed = False
        while start < end and (text[start].isspace() or unicodedata.category(text[start]).startswith("C")):
            start, changed = start + 1, True
        while start < end and (text[end - 1].isspace() or unicodedata.category(text[end - 1]).startswith("C")):
            end, changed = end - 1, True
        if start >= end:
            break
        first, last = text[start], text[end - 1]
        span = text[start:end]
        if first in _EDGE_PUNCT or (first in _OPENERS and _OPENERS[first] not in span[1:]):
            start, changed = start + 1, True
            continue
        if last in _CLOSERS and _CLOSERS[last] not in span[:-1]:
            end, changed = end - 1, True
            continue
        if last in _EDGE_PUNCT and not (last == "." and _is_abbreviation(span)):
            end, changed = end - 1, True
    return start, max(start, end)


def _is_abbreviation(span: str) -> bool:
    """True for a trailing dot that belongs to the word, e.g. "U.S.", "D.C.", "J."."""
    words = span[:-1].split()
    if not words:
        return False
    word = words[-1]
    return "." in word or (len(word) == 1 and word.isalpha())


def best_spans(
    start_logits: np.ndarray, end_logits: np.ndarray, max_answer_tokens: int, k: int
) -> list[tuple[int, int, float]]:
    """Top-k (start_tok, end_tok, score) with start <= end < start + max_answer_tokens."""
    n = len(start_logits)
    if n == 0:
        return []
    width = min(max_answer_tokens, n)
    scores = np.full((width, n), -np.inf, dtype=np.float32)
    for length in range(width):  # scores[length, s] = start[s] + end[s + length]
        scores[length, : n - length] = start_logits[: n - length] + end_logits[length:]
    flat = scores.ravel()
    k = min(k, flat.size)
    top = np.argpartition(-flat, k - 1)[:k]
    top = top[np.argsort(-flat[top])]
    out = []
    for idx in top:
        score = float(flat[idx])
        if not np.isfinite(score):
            break
        length, s = divmod(int(idx), n)
        out.append((s, s + length, score))
    return out
