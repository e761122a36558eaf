"""How far indexing is, stage by stage, for whoever shows it (CLI bars, the TUI).

Indexing a large file spends minutes before the first vector: reading and
parsing, then splitting into sentences. Each stage reports its own count so
a person sees work from the first second, not a bar stuck at zero.
"""

from __future__ import annotations

from typing import Callable

#: Files read and parsed.
READING = "reading"
#: Characters split into sentences and passages.
SPLITTING = "splitting"
#: Passages embedded.
EMBEDDING = "embedding"

#: The unit each stage counts in.
UNITS = {READING: "file", SPLITTING: "character", EMBEDDING: "passage"}

#: ``progress(stage, done, total)``.
StageProgress = Callable[[str, int, int], None]
