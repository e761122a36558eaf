"""Start/end logits → character spans: the best token spans, trimmed to the answer.

`SpanPrediction`/`ContextPrediction` are what the span model returns per
context; offsets are characters of that context.
"""

from __future__ import annotations

import re
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
#: What a flag, a path or a dotfile begins with, longest first.
_TOKEN_PREFIXES = ("--", "../", "./", "~/", "-", "/", ".")
_TOKEN_START = re.compile("(?:" + "|".join(map(re.escape, _TOKEN_PREFIXES)) + r")(?=\w)")


def _begins_a_token(text: str, start: int) -> bool:
    """``text[start]`` is the first character of a flag ("--frozen"), a negative number ("-5"),
    a path ("/etc/uv", "./run.sh", "../x") or a dotfile (".env"): punctuation, but the answer's own."""
    if start > 0 and (text[start - 1].isalnum() or text[start - 1] in "-./"):
        return False  # inside a word or token ("well-known", "uv/uv.toml")
    return _TOKEN_START.match(text, start) is not None


_BEFORE_A_TOKEN = "`'\"(“‘[<"


def whole_token_start(text: str, start: int) -> int:
    """``start``, moved back over the "--" of a flag, the "/" of a path or the "." of a dotfile
    that the span begins just after: the reader's word pieces often start the answer at
    "no-install-project" in "--no-install-project", or at "etc" in "/etc/uv"."""
    if start >= len(text) or not text[start].isalnum():
        return start
    for prefix in _TOKEN_PREFIXES:
        at = start - len(prefix)
        if at >= 0 and text.startswith(prefix, at) and (at == 0 or text[at - 1].isspace() or text[at - 1] in _BEFORE_A_TOKEN):
            return at
    return start


def trim_span(text: str, start: int, end: int) -> tuple[int, int]:
    """Shrink [start, end) past whitespace and punctuation that is not part of the answer.

    Keeps balanced brackets/quotes, abbreviation dots ("U.S."), symbols like % or $,
    and the punctuation a flag, negative number or path begins with ("--frozen", "/etc").
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
        if (first in _EDGE_PUNCT and not _begins_a_token(text, start)) or (
            first in _OPENERS and _OPENERS[first] not in span[1:]
        ):
            start, changed = start + 1, True
            continue
        if last in _CLOSERS and _CLOSERS[last] not in span[:-1]:
            end, changed = end - 1, True
            continue
        if last in _EDGE_PUNCT and not (last == "." and _is_abbreviation(span)):
            end, changed = end - 1, True
    return start, max(start, end)


_ABBREVIATION = re.compile(r"(?:[^\W\d_]{1,2}\.)+[^\W\d_]{1,2}|[^\W\d_]")


def _is_abbreviation(span: str) -> bool:
    """True for a trailing dot that belongs to the word, e.g. "U.S.", "D.C.", "e.g.", "J.";
    not the full stop after "uv.toml" or "3.10"."""
    words = span[:-1].split()
    return bool(words) and _ABBREVIATION.fullmatch(words[-1]) is not None


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
