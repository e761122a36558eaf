"""Every setting of the assistant in one object, read from the environment in one place.

`Settings.from_env()` is the only code that reads ``QA_*`` variables; the
CLI, the TUI and the API build one `Settings` and pass it down.

| variable | setting |
| --- | --- |
| ``QA_CACHE_DIR`` | where the default library and exports live (default: the platform's user cache) |
| ``QA_DEFAULT_CORPUS`` | the folder indexed as the default corpus (default: the shipped seed article) |
| ``QA_EMBEDDING_MODEL`` | embedding model: a model package name or a local sentence-transformers folder |
| ``QA_READER_WEIGHTS`` | folder of reader weights (default: the shipped ones) |
| ``QA_READER_INT8`` | 1: read with an int8 copy of the reader's ONNX graph (default: 0, fp32) |
| ``QA_MIN_CONFIDENCE`` | answers below this confidence are withheld (default: the calibration's operating point) |
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.settings import DEFAULT_MODEL, IndexSettings

APP_NAME = "cited-qa"
PACKAGE_DIR = Path(__file__).resolve().parent
#: The reader weights trained here and shipped with the package.
READER_WEIGHTS_DIR = PACKAGE_DIR / "reader" / "weights"


def _user_cache() -> Path:
    import platformdirs

    return Path(platformdirs.user_cache_dir(APP_NAME))


def shipped_corpus_dir() -> Path:
    """The seed article shipped with the product: in the wheel or the checkout."""
    for candidate in (PACKAGE_DIR / "default_corpus", PACKAGE_DIR.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the default corpus (seeds/) is missing from this installation")


class SettingsError(ValueError):
    """A setting that cannot be used; the message is user-facing."""


@dataclass(frozen=True)
class Settings:
    #: Model and chunking: recorded in each index's manifest.
    index: IndexSettings = field(default_factory=IndexSettings)
    #: Passages retrieved and read per question.
    passages: int = 5
    #: Passages read next when no answer from the first ones reaches the threshold.
    further_passages: int = 5
    #: Answers returned per question.
    answers: int = 3
    reader_weights: Path = READER_WEIGHTS_DIR
    #: Read with an int8 copy of the reader's ONNX graph: 1.6× faster, a little less accurate
    #: (README, "Benchmarks"); the calibration is fitted on fp32.
    reader_int8: bool = False
    #: Answers scored below this are withheld; None: the calibration's operating point.
    min_confidence: float | None = None
    #: None: the platform's user cache.
    cache_dir: Path | None = None
    #: None: the shipped seed article.
    default_corpus: Path | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ

        def path(name: str) -> Path | None:
            return Path(env[name]) if env.get(name) else None

        min_confidence = None
        if env.get("QA_MIN_CONFIDENCE"):
            try:
                min_confidence = float(env["QA_MIN_CONFIDENCE"])
            except ValueError:
                min_confidence = -1.0
            if not 0.0 <= min_confidence <= 1.0:
                raise SettingsError(
                    f"QA_MIN_CONFIDENCE must be a number in [0, 1], not {env['QA_MIN_CONFIDENCE']!r}"
                )
        int8 = env.get("QA_READER_INT8", "0").strip().lower()
        if int8 not in ("0", "1", "true", "false", "yes", "no"):
            raise SettingsError(f"QA_READER_INT8 must be 1 or 0, not {env['QA_READER_INT8']!r}")
        return cls(
            index=IndexSettings(model=env.get("QA_EMBEDDING_MODEL") or DEFAULT_MODEL),
            reader_int8=int8 in ("1", "true", "yes"),
            reader_weights=path("QA_READER_WEIGHTS") or READER_WEIGHTS_DIR,
            min_confidence=min_confidence,
            cache_dir=path("QA_CACHE_DIR"),
            default_corpus=path("QA_DEFAULT_CORPUS"),
        )

    @property
    def cache(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else _user_cache()

    @property
    def default_index_dir(self) -> Path:
        """The user's default library: the seed corpus plus what ``qa index`` added."""
        return self.cache / "indexes" / "default"

    @property
    def corpus_dir(self) -> Path:
        return self.default_corpus if self.default_corpus is not None else shipped_corpus_dir()
