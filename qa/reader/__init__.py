"""Extractive span reader (MiniLM-L6 + start/end head) trained here on SQuAD v1.1 train."""

from qa.reader.model import (
    DEFAULT_WEIGHTS_DIR,
    ContextPrediction,
    SpanPrediction,
    SpanReader,
    WindowConfig,
)

__all__ = ["DEFAULT_WEIGHTS_DIR", "ContextPrediction", "SpanPrediction", "SpanReader", "WindowConfig"]
