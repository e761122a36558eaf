"""Which files a path names: folders walked, links judged, every skip given a reason.

A file's identity is its resolved absolute path, so the same file reached by
two routes (a symlink, ``..``) is one document and two different files can
never share an id. Inside a folder, symbolic links that lead outside it are
not followed unless asked (``follow_links``); hidden files and folders
(``.git``) are not entered.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from embeddings.formats import SUPPORTED_SUFFIXES, format_of


class PathError(ValueError):
    """A path the user named that cannot be read at all; the message is user-facing."""


@dataclass(frozen=True)
class Skipped:
    path: str
    reason: str


@dataclass
class Scan:
    #: (the file as found, its resolved path), in a stable order, each resolved path once.
    files: list[tuple[Path, Path]] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def file_id(path: Path) -> str:
    """A document's id: its resolved absolute path (POSIX form)."""
    return path.resolve().as_posix()


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def scan(paths: list[Path | str], follow_links: bool = False) -> Scan:
    """Expand files and folders into supported files. Named files that cannot
    be used raise `PathError`; entries found inside folders are skipped with a reason."""
    result = Scan()
    seen: set[Path] = set()

    def add(found: Path, resolved: Path) -> None:
        if resolved not in seen:
            seen.add(resolved)
            result.files.append((found, resolved))

    for given in map(Path, paths):
        if not given.exists():
            raise PathError(f"no such file or folder: {given}")
        if given.is_file():
            if format_of(given) is None:
                raise PathError(
                    f"{given}: unsupported file type {given.suffix or '(none)'};"
                    f" supported: {', '.join(SUPPORTED_SUFFIXES)}"
                )
            add(given, given.resolve())
            continue
        if not given.is_dir():
            raise PathError(f"{given} is neither a file nor a folder")
        _walk(given, follow_links, result, add)
    return result


def _walk(folder: Path, follow_links: bool, result: Scan, add) -> None:
    root = folder.resolve()

    def on_error(exc: OSError) -> None:
        result.skipped.append(Skipped(str(exc.filename or folder), f"unreadable ({exc.strerror or exc})"))

    for dirpath, dirnames, filenames in os.walk(folder, onerror=on_error, followlinks=follow_links):
        here = Path(dirpath)
        kept = []
        for name in sorted(dirnames):
            sub = here / name
            if name.startswith("."):
                continue
            if sub.is_symlink() and not follow_links:
                if not _inside(sub.resolve(), root):
                    result.skipped.append(Skipped(str(sub), "link to a folder outside the folder (use --follow-links)"))
                # a link inside the folder leads to files found anyway
                continue
            kept.append(name)
        dirnames[:] = kept
        for name in sorted(filenames):
            if name.startswith("."):
                continue
            found = here / name
            try:
                resolved = found.resolve(strict=True)
            except (OSError, RuntimeError):
                result.skipped.append(Skipped(str(found), "broken link"))
                continue
            if format_of(found) is None:
                result.skipped.append(Skipped(str(found), f"unsupported type ({found.suffix or 'no suffix'})"))
                continue
            if not follow_links and not _inside(resolved, root):
                result.skipped.append(Skipped(str(found), "link to a file outside the folder (use --follow-links)"))
                continue
            if not resolved.is_file():
                result.skipped.append(Skipped(str(found), "not a regular file"))
                continue
            add(found, resolved)
