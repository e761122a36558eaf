"""Text → search terms, one tokenizer for the stored postings and for questions.

The terms bm25s's tokenizer gives (its word pattern, its English stopwords,
Snowball stemming by PyStemmer when installed; a test checks they agree),
computed here without importing bm25s and SciPy, which cost a quarter of a
second of every ``qa ask``. Each term is cut to `MAX_TERM_BYTES` of UTF-8 to
fit the fixed-width term table of a segment.
"""

from __future__ import annotations

import re
from functools import lru_cache

#: Terms are stored as fixed-width bytes; longer ones are cut (consistently,
#: for passages and questions alike).
MAX_TERM_BYTES = 24

#: Words that shape a question rather than name its subject; bm25s's English
#: stopwords keep them, and an absent "many" must not count against a passage.
QUESTION_WORDS = frozenset(
    "how many much what which who whom whose when where why did does do was were is are "
    "has have had can could would should will there their they its it this that these those "
    "according name kind type".split()
)


#: bm25s's ``STOPWORDS_EN``.
STOPWORDS = frozenset(
    "a an and are as at be but by for if in into is it no not of on or such that the their then there "
    "these they this to was will with".split()
)
_WORD = re.compile(r"(?u)\b\w\w+\b")


@lru_cache(maxsize=1)
def _stemmer():
    try:
        import Stemmer
    except ImportError:  # stemming is a bonus, not a requirement
        return None
    return Stemmer.Stemmer("english")


def tokenize(texts: list[str]) -> list[list[bytes]]:
    """Each text's terms, in order, as UTF-8 bytes of at most `MAX_TERM_BYTES`."""
    stemmer = _stemmer()
    out = []
    for text in texts:
        words = [w for w in _WORD.findall(text.lower()) if w not in STOPWORDS]
        if stemmer is not None:
            words = stemmer.stemWords(words)
        out.append([w.encode("utf-8")[:MAX_TERM_BYTES] for w in words])
    return out


@lru_cache(maxsize=1)
def question_terms() -> frozenset[bytes]:
    """`QUESTION_WORDS` as terms."""
    return frozenset(t for toks in tokenize(sorted(QUESTION_WORDS)) for t in toks)
