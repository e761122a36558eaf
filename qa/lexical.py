"""BM25 over passages (bm25s), the lexical half of hybrid retrieval.

Rebuilt from the passages whenever the index loads or changes: it takes
milliseconds for thousands of passages, and it can never go stale.
"""

from __future__ import annotations

from functools import lru_cache

import math
from collections import Counter

import bm25s
import numpy as np


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # stemming is a bonus, not a requirement
        return None
    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def _QUESTION_STEMS() -> frozenset[str]:
    return frozenset(t for toks in tokenize(sorted(QUESTION_WORDS)) for t in toks)


def tokenize(texts: list[str]) -> list[list[str]]:
    return bm25s.tokenize(
        texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False
    )


#: Words that shape a question rather than name its subject; bm25s's English
#: stopwords keep them, and an absent "many" must not count against a passage.
QUESTION_WORDS = frozenset(
    "how many much what which who whom whose when where why did does do was were is are "
    "has have had can could would should will there their they its it this that these those "
    "according name kind type".split()
)


class LexicalIndex:
    def __init__(self, texts: list[str]):
        self.size = len(texts)
        self._bm25 = bm25s.BM25()
        tokens = tokenize(texts) if texts else []
        self._df = Counter(t for doc in tokens for t in set(doc))
        if texts:
            self._bm25.index(tokens, show_progress=False)

    def idf(self, term: str) -> float:
        """BM25's idf; a term the corpus never uses weighs the most."""
        df = self._df.get(term, 0)
        return math.log((self.size - df + 0.5) / (df + 0.5) + 1.0)

    def weighted_overlap(self, query: str, text: str) -> float:
        """Share of the query's idf mass that ``text`` contains, in [0, 1]."""
        return self.overlaps(query, [text])[0]

    def overlaps(self, query: str, texts: list[str]) -> list[float]:
        """`weighted_overlap` for several texts, tokenising the query once."""
        q_terms = set(tokenize([query])[0]) - _QUESTION_STEMS()
        total = sum(self.idf(t) for t in q_terms)
        if not q_terms or not total or not texts:
            return [0.0] * len(texts)
        return [sum(self.idf(t) for t in q_terms & set(toks)) / total for toks in tokenize(texts)]

    def search(self, query: str, k: int, rows: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, score) for rows that share at least one term with the query
        (only among ``rows``, when given)."""
        if not self.size or k <= 0:
            return []
        tokens = tokenize([query])
        if not tokens or not tokens[0]:
            return []
        if rows is not None:
            scores = np.asarray(self._bm25.get_scores(tokens[0]))[rows]
            top = np.argsort(-scores, kind="stable")[:k]
            return [(int(rows[i]), float(scores[i])) for i in top if scores[i] > 0]
        found, scores = self._bm25.retrieve(tokens, k=min(k, self.size), show_progress=False)
        return [(int(r), float(s)) for r, s in zip(found[0], scores[0]) if s > 0]
