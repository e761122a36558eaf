"""Where the default corpus and the per-user index cache live."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "cited-qa"


def cache_dir() -> Path:
    """Per-user cache (``QA_CACHE_DIR`` overrides it, e.g. in tests)."""
    override = os.environ.get("QA_CACHE_DIR")
    return Path(override) if override else Path(platformdirs.user_cache_dir(APP_NAME))


def default_index_dir() -> Path:
    return cache_dir() / "indexes" / "default"


def default_corpus_dir() -> Path:
    """The seed article shipped with the product: in the wheel or the checkout."""
    override = os.environ.get("QA_DEFAULT_CORPUS")
    if override:
        return Path(override)
    here = Path(__file__).resolve().parent
    for candidate in (here / "default_corpus", here.parent / "seeds"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the default corpus (seeds/) is missing from this installation")
