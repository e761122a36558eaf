"""Files → `Document`s: reading text, structure, and the way back to the file.

A document carries two texts. ``text`` is the *reading text*: what passages
hold, what is embedded and what the reader answers from (visible words
only). ``source`` is what citations index: for text formats (``.txt``,
``.md``) the file's decoded text exactly as ``Path.read_text(encoding=
"utf-8")`` returns it; for PDF, HTML and DOCX the extracted text. For plain
text the two are the same string. ``source_map`` leads from one to the other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.files import PathError, Scan, Skipped, file_id, scan
from embeddings.formats import SUPPORTED_SUFFIXES, FormatError, Parsed, parse, reading_version
from embeddings.formats.text import parse_text
from embeddings.offsets import Block, SourceMap
from embeddings.progress import READING, StageProgress


class DocumentError(ValueError):
    """A file that cannot become a document; the message is shown to users as is."""


@dataclass(frozen=True)
class Location:
    """Where a span of a document's reading text sits in its source."""

    start: int  # offsets into the source (into the page's text, for a PDF)
    end: int
    page: int | None = None


@dataclass(frozen=True)
class Document:
    doc_id: str
    path: str
    text: str
    title: str
    date: str | None = None
    sha256: str = ""
    metadata: dict[str, str] = field(default_factory=dict)
    format: str = "text"
    blocks: tuple[Block, ...] = ()
    source: str | None = None  # None: the same as ``text``
    source_map: SourceMap | None = None  # None: identity
    page_starts: tuple[int, ...] = ()
    read_with: int = 1  # the version of its format's reading (`embeddings.formats.READING_VERSIONS`)

    @property
    def source_text(self) -> str:
        return self.text if self.source is None else self.source

    def citable(self, start: int, end: int) -> bool:
        """True when ``text[start:end]`` holds a character of the source (not only inserted words)."""
        return self.source_map is None or self.source_map.to_source(start, end) is not None

    def locate(self, start: int, end: int) -> Location:
        """The source place of ``text[start:end]``: its first to its last visible character."""
        if self.source_map is not None:
            mapped = self.source_map.to_source(start, end)
            if mapped is None:
                raise ValueError(f"text[{start}:{end}] of {self.doc_id} holds no source characters")
            start, end = mapped
        if not self.page_starts:
            return Location(start, end)
        page = max(i for i, s in enumerate(self.page_starts) if s <= start)
        base = self.page_starts[page]
        return Location(start - base, end - base, page + 1)

    def page_text(self, page: int) -> str:
        """The extracted text of a PDF page (1-based)."""
        starts = [*self.page_starts, len(self.source_text)]
        return self.source_text[starts[page - 1] : starts[page]]

    def to_dict(self) -> dict:
        data = {
            "doc_id": self.doc_id,
            "path": self.path,
            "text": self.text,
            "title": self.title,
            "date": self.date,
            "sha256": self.sha256,
            "metadata": dict(self.metadata),
            "format": self.format,
            "read_with": self.read_with,
            "blocks": [b.to_list() for b in self.blocks],
        }
        if self.source is not None:
            data["source"] = self.source
        if self.source_map is not None:
            data["source_map"] = self.source_map.to_list()
        if self.page_starts:
            data["page_starts"] = list(self.page_starts)
        return data

    @classmethod
    def from_dict(cls, data: dict) -> Document:
        return cls(
            doc_id=data["doc_id"],
            path=data["path"],
            text=data["text"],
            title=data["title"],
            date=data.get("date"),
            sha256=data.get("sha256", ""),
            metadata=dict(data.get("metadata") or {}),
            format=data.get("format", "text"),
            read_with=int(data.get("read_with", 1)),
            blocks=tuple(Block.from_list(b) for b in data.get("blocks") or ()),
            source=data.get("source"),
            source_map=SourceMap.from_list(data["source_map"]) if data.get("source_map") else None,
            page_starts=tuple(int(s) for s in data.get("page_starts") or ()),
        )


def _title_from(parsed: Parsed, fallback: str, fmt: str, limit: int = 60) -> str:
    """The format's own title (front matter, first H1, metadata); else, for plain
    text, the opening words; else the file name (a README's first heading is
    often "Installation", not its title)."""
    if parsed.title and parsed.title.strip():
        return " ".join(parsed.title.split())[:limit]
    if fmt != "text":
        return fallback
    words = " ".join(parsed.text[b.start : b.end] for b in parsed.blocks[:3]).split()[:40]
    first = " ".join(words)
    if not first:
        return fallback
    if len(first) <= limit:
        return first
    cut = first.rfind(" ", 0, limit)
    return first[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"


def document_from_parsed(
    parsed: Parsed, doc_id: str, path: str, sha256: str, fmt: str, title: str | None = None
) -> Document:
    source_map = None if parsed.source_map is None or parsed.source_map.is_identity else parsed.source_map
    return Document(
        doc_id=doc_id,
        path=path,
        text=parsed.text,
        title=title or _title_from(parsed, Path(path).stem or doc_id, "text" if fmt in ("txt", "text") else fmt),
        date=parsed.date,
        sha256=sha256,
        metadata=dict(parsed.metadata),
        format=fmt,
        blocks=parsed.blocks,
        source=parsed.source,
        source_map=source_map,
        page_starts=parsed.page_starts,
        read_with=reading_version(fmt),
    )


def document_from_text(raw: str, doc_id: str, path: str = "", title: str | None = None) -> Document:
    """A plain-text document from text already in memory (evaluation, tests)."""
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return document_from_parsed(parse_text(raw), doc_id, path, sha, "text", title)


def read_document(path: Path) -> tuple[Document, list[str]]:
    """One file → its document and any warnings about it; `DocumentError` if unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        parsed = parse(path, data)
    except FormatError as exc:
        raise DocumentError(str(exc)) from None
    if not parsed.blocks:
        raise DocumentError(f"{path} has no text" + (f" ({'; '.join(parsed.warnings)})" if parsed.warnings else ""))
    fmt = path.suffix.lower().lstrip(".")
    sha = hashlib.sha256(data).hexdigest()
    return document_from_parsed(parsed, file_id(path), str(path.resolve()), sha, fmt), parsed.warnings


@dataclass
class Reading:
    """The documents read from some paths, and every file left out, with why."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[Skipped] = field(default_factory=list)


def read_documents(
    paths: list[Path | str], follow_links: bool = False, progress: StageProgress | None = None
) -> Reading:
    """Read files and folders. A file named directly that cannot be read is a
    `DocumentError`; one found in a folder is skipped with its reason."""
    found, named = scan_named(paths, follow_links)
    reading = Reading(skipped=list(found.skipped))
    for done, (file, resolved) in enumerate(found.files):
        if progress is not None and (done or len(found.files) > 1):  # one bad file: just its error
            progress(READING, done, len(found.files))
        try:
            document, warnings = read_document(file)
        except DocumentError as exc:
            reading.skipped.append(unreadable(file, resolved, str(exc), named))
            continue
        reading.documents.append(document)
        reading.warnings.extend(Skipped(str(file), w) for w in warnings)
    if progress is not None:
        progress(READING, len(found.files), len(found.files))
    require_readable(len(reading.documents), reading.skipped, named, paths)
    return reading


def require_readable(readable: int, skipped: list[Skipped], named: set[Path], paths: list[Path | str]) -> None:
    """Folders that gave no document at all are an error naming the first
    reasons, not an empty success."""
    if readable or named:
        return
    listed = "; ".join(f"{s.path}: {s.reason}" for s in skipped[:3])
    raise DocumentError(
        f"no readable {'/'.join(s.lstrip('.') for s in SUPPORTED_SUFFIXES)} files in"
        f" {', '.join(map(str, paths))}" + (f" ({listed})" if listed else "")
    )


def scan_named(paths: list[Path | str], follow_links: bool = False) -> tuple[Scan, set[Path]]:
    """The files under ``paths``, and the resolved paths of those named directly."""
    try:
        found = scan(paths, follow_links)
    except PathError as exc:
        raise DocumentError(str(exc)) from None
    return found, {Path(p).resolve() for p in paths if Path(p).is_file()}


def unreadable(file: Path, resolved: Path, message: str, named: set[Path]) -> Skipped:
    """A file that could not be read: an error if it was named directly,
    else skipped, with why."""
    if resolved in named:
        raise DocumentError(message)
    return Skipped(str(file), _skip_reason(message, file))


def _skip_reason(message: str, file: Path | str) -> str:
    """A parser's one-line error without the file name it starts with."""
    for prefix in (f"{file}: ", f"{file} "):
        if message.startswith(prefix):
            return message[len(prefix) :]
    return message
