"""Retrieved passages → answer spans with citations, and the ways to ask.

The public API is `Assistant`; `Answer`, `Citation` and `AskResult` are what
it returns.
"""

from qa.assistant import Assistant, CorpusInfo, QuestionError, check_question
from qa.citations import Answer, AskResult, Citation, RetrievedPassage

__all__ = [
    "Answer",
    "AskResult",
    "Assistant",
    "Citation",
    "CorpusInfo",
    "QuestionError",
    "RetrievedPassage",
    "check_question",
]
