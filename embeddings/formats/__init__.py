"""One parser per file format: bytes → `Parsed` (reading text, blocks, source map, metadata).

Each parser keeps its library import inside ``parse`` so reading one format
never loads another's dependencies. A parser raises `FormatError` for a file
it cannot read (the message says why, in words for people).
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.offsets import Block, SourceMap

#: suffix → module in this package with ``parse(path: Path, data: bytes) -> Parsed``
PARSERS = {
    ".txt": "text",
    ".text": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".docx": "docx",
    ".rst": "rst",
    ".rest": "rst",
}
SUPPORTED_SUFFIXES = tuple(PARSERS)

#: How each parser reads, as a number bumped whenever its reading changes (markdown 2:
#: MkDocs admonitions and content tabs, MyST directives read as prose; 3: a ``~pkg.mod.f`` role
#: reads "f", as Sphinx shows it). A document read by an older version is read again on the next
#: sync even when its file is unchanged; the others cost nothing.
READING_VERSIONS = {"markdown": 3}


def reading_version(fmt: str) -> int:
    """The current version of the reading of ``fmt`` (a suffix without its dot, as `Document.format`)."""
    return READING_VERSIONS.get(PARSERS.get(f".{fmt}", fmt), 1)


class FormatError(ValueError):
    """A file this format's parser cannot read; the message is user-facing."""


@dataclass
class Parsed:
    """What a parser returns; `embeddings.documents` adds id, path and hash."""

    #: The reading text: visible words only; passages and answers index it.
    text: str
    blocks: tuple[Block, ...]
    #: The text that citations index: the file's decoded text as stored for
    #: text formats, the extracted text for PDF/HTML/DOCX. None: same as ``text``.
    source: str | None = None
    #: ``text`` offsets → ``source`` offsets. None: identity.
    source_map: SourceMap | None = None
    title: str | None = None
    date: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    #: PDF: where each page starts in ``source`` (page n is source[page_starts[n-1]:page_starts[n]]).
    page_starts: tuple[int, ...] = ()
    #: Notes for the user about this file (e.g. pages without a text layer).
    warnings: list[str] = field(default_factory=list)


def format_of(path: Path) -> str | None:
    return PARSERS.get(path.suffix.lower())


def parse(path: Path, data: bytes) -> Parsed:
    name = format_of(path)
    if name is None:
        raise FormatError(f"{path}: unsupported file type {path.suffix or '(none)'}")
    module = importlib.import_module(f"embeddings.formats.{name}")
    return module.parse(path, data)


def decode_text(path: Path, data: bytes) -> str:
    """UTF-8 bytes → text exactly as ``path.read_text(encoding="utf-8")`` gives it
    (universal newlines; a BOM stays, as its first character)."""
    if b"\x00" in data[:8192]:
        raise FormatError(f"{path} looks like a binary file, not text")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"{path} is not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first"
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")
