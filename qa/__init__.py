"""Retrieved passages → answer spans with citations, and the ways to ask.

The public API is `Assistant`; `AskResult`, `Answer`, `Citation` and
`RetrievedPassage` are what it returns, and `QuestionError`,
`DocumentError`, `IndexStoreError`, `IndexBusyError` and `ModelNotFoundError` what it raises
(each with a user-facing message). Names load on first use, so importing a
light module such as ``qa.questions`` does not load torch.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Assistant": "qa.assistant",
    "CorpusInfo": "qa.assistant",
    "Answer": "qa.citations",
    "AskResult": "qa.citations",
    "Citation": "qa.citations",
    "RetrievedPassage": "qa.citations",
    "QuestionError": "qa.questions",
    "check_question": "qa.questions",
    "Settings": "qa.settings",
    "Document": "embeddings.documents",
    "DocumentError": "embeddings.documents",
    "IndexStoreError": "embeddings.index",
    "IndexBusyError": "embeddings.locking",
    "SyncReport": "embeddings.index",
    "ModelNotFoundError": "embeddings.encoder",
}

__all__ = sorted(_EXPORTS)

if TYPE_CHECKING:
    from embeddings.documents import Document, DocumentError
    from embeddings.encoder import ModelNotFoundError
    from embeddings.index import IndexStoreError, SyncReport
    from embeddings.locking import IndexBusyError
    from qa.assistant import Assistant, CorpusInfo
    from qa.citations import Answer, AskResult, Citation, RetrievedPassage
    from qa.questions import QuestionError, check_question
    from qa.settings import Settings


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'qa' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
