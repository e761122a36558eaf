"""Term overlap between a question and passages, weighted by the library's idf.

BM25 itself lives with the index (`PassageIndex.lexical_search`: postings
stored per segment, scored with library-wide statistics); this is the
evidence readers and calibration read: how much of the question's rare
vocabulary a passage contains.
"""

from __future__ import annotations

from functools import lru_cache

from embeddings.index import PassageIndex
from embeddings.store.terms import question_terms, tokenize


@lru_cache(maxsize=256)
def question_terms_of(question: str) -> tuple[bytes, ...]:
    """The question's search terms (stopwords out, stemmed); retrieval and
    evidence both need them, so they are computed once per question."""
    return tuple(tokenize([question])[0])


def overlaps(index: PassageIndex, question: str, texts: list[str]) -> list[float]:
    """Share of the question's idf mass each text contains, in [0, 1]."""
    terms = set(question_terms_of(question)) - question_terms()
    idf = {t: index.idf(t) for t in terms}
    total = sum(idf.values())
    if not terms or not total or not texts:
        return [0.0] * len(texts)
    return [sum(idf[t] for t in terms & set(toks)) / total for toks in tokenize(texts)]
