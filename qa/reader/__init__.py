"""The reader: retrieved passages → answer spans.

`Reader` (``base``) is the role; `ExtractiveReader` (``extractive``) plays it
with the span model (``model``: MiniLM-L6 + start/end head trained here),
which packs inputs with ``windows`` and decodes spans with ``spans``.
"""

from qa.reader.base import Reader
from qa.reader.extractive import ExtractiveReader

__all__ = ["ExtractiveReader", "Reader"]
