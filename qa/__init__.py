"""Retrieved passages → answer spans with citations, and the ways to ask.

The public API is `Assistant`; `Answer`, `Citation` and `AskResult` are what
it returns.
"""

from qa.assistant import Assistant, CorpusInfo, QuestionError
from qa.citations import Answer, AskResult, Citation, RetrievedPassage

__all__ = [
    "Answer",
    "AskResult",
    "Assistant",
    "Citation",
    "CorpusInfo",
    "QuestionError",
    "RetrievedPassage",
]
