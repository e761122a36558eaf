"""Reading user files into `Document`s.

Offsets everywhere in the project point into `Document.text`, so the text is
kept exactly as read (minus a leading ``date YYYY-MM-DD`` header, which is
metadata, not content).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown")
_DATE_HEADER = re.compile(r"\A\s*date\s+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_MD_HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.MULTILINE)


class DocumentError(ValueError):
    """A file that cannot become a document; the message is shown to users as is."""


@dataclass(frozen=True)
class Document:
    """One source file: its text (offset space for citations) and metadata."""

    doc_id: str
    path: str
    text: str
    title: str
    date: str | None = None
    sha256: str = ""
    metadata: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "doc_id": self.doc_id,
            "path": self.path,
            "text": self.text,
            "title": self.title,
            "date": self.date,
            "sha256": self.sha256,
            "metadata": dict(self.metadata),
        }

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
        )


def document_from_text(
    raw: str, doc_id: str, path: str = "", title: str | None = None
) -> Document:
    """Build a document from text already in memory (also used by evaluation)."""
    date = None
    text = raw
    header = _DATE_HEADER.match(raw)
    if header:
        date = header.group(1)
        text = raw[header.end() :]
    if title is None:
        title = _title_for(text, path or doc_id)
    sha = hashlib.sha256(raw.encode("utf-8")).hexdigest()
    return Document(doc_id=doc_id, path=path, text=text, title=title, date=date, sha256=sha)


def _title_for(text: str, path: str, limit: int = 60) -> str:
    """A Markdown heading, else the opening words: readable in a citation."""
    heading = _MD_HEADING.search(text)
    if heading:
        return heading.group(1)[:limit]
    first = " ".join(text.split()[:40])
    if not first:
        return Path(path).stem or path
    if len(first) <= limit:
        return first
    cut = first.rfind(" ", 0, limit)
    return first[: cut if cut > 0 else limit].rstrip(" ,;:") + "…"


def read_document(path: Path, doc_id: str | None = None) -> Document:
    """Read one UTF-8 text file; binary or undecodable files are refused clearly."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"cannot read {path}: {exc.strerror or exc}") from None
    if b"\x00" in data[:8192]:
        raise DocumentError(f"{path} looks like a binary file, not text")
    try:
        raw = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentError(
            f"{path} is not valid UTF-8 (byte {exc.start}); convert it to UTF-8 first"
        ) from None
    if not raw.strip():
        raise DocumentError(f"{path} is empty")
    return document_from_text(raw, doc_id or path.name, str(path.resolve()))


def find_files(path: Path) -> list[Path]:
    """Expand a file or folder argument into the supported files it names."""
    if not path.exists():
        raise DocumentError(f"no such file or folder: {path}")
    if path.is_file():
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            raise DocumentError(
                f"{path}: unsupported file type {path.suffix or '(none)'};"
                f" supported: {', '.join(SUPPORTED_SUFFIXES)}"
            )
        return [path]
    files = sorted(
        p
        for p in path.rglob("*")
        if p.is_file()
        and p.suffix.lower() in SUPPORTED_SUFFIXES
        and not any(part.startswith(".") for part in p.relative_to(path).parts)
    )
    if not files:
        raise DocumentError(f"{path} holds no {'/'.join(SUPPORTED_SUFFIXES)} files")
    return files


def doc_id_for(file: Path, root: Path) -> str:
    """Stable, readable id: the path relative to the folder the user named."""
    if root.is_file():
        return file.name
    return file.relative_to(root).as_posix()


def read_documents(paths: list[Path | str]) -> list[Document]:
    """Read files and folders; ids are unique (a short path hash breaks ties)."""
    documents: list[Document] = []
    seen: dict[str, str] = {}
    for given in paths:
        root = Path(given)
        for file in find_files(root):
            resolved = str(file.resolve())
            doc_id = doc_id_for(file, root)
            if doc_id in seen and seen[doc_id] != resolved:
                doc_id = f"{doc_id}~{hashlib.sha1(resolved.encode()).hexdigest()[:6]}"
            if doc_id in seen:
                continue
            seen[doc_id] = resolved
            documents.append(read_document(file, doc_id))
    return documents
