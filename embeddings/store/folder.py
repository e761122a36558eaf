"""The index folder itself: its manifest, and the checks made before any work.

The manifest (``manifest.json``) says what built the index: format version,
embedding model, chunking. It is written once, when the folder is created,
and validated on every open: an index folder may come from anyone, so every
malformed case is one `IndexStoreError`, and nothing in it is ever code.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from embeddings.settings import IndexSettings

FORMAT_VERSION = 4  # 3: SQLite catalog + memory-mapped segments; 4: varint postings and sentences
MANIFEST_FILE = "manifest.json"
SEGMENTS_DIR = "segments"


class IndexStoreError(RuntimeError):
    """An index that cannot be used or written; the message is user-facing."""


def is_index_dir(directory: Path) -> bool:
    return (Path(directory) / MANIFEST_FILE).is_file()


def check_target(directory: Path) -> bool:
    """Make sure ``directory`` can hold an index before any work is done for
    it: refuse a file, a path below a file, or a folder with other things in
    it. True if an index is there. Readers call it too, so it changes nothing."""
    directory = Path(directory)
    for parent in directory.parents:
        if parent.exists() and not parent.is_dir():
            raise IndexStoreError(f"cannot keep an index at {directory}: {parent} is a file")
    if directory.exists() and not directory.is_dir():
        raise IndexStoreError(f"cannot keep an index at {directory}: it is a file")
    if is_index_dir(directory):
        return True
    if directory.is_dir() and any(directory.iterdir()):
        raise IndexStoreError(f"{directory} exists and is not an index folder; refusing to overwrite it")
    return False


def read_manifest(directory: Path) -> dict:
    path = Path(directory) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise IndexStoreError(f"unreadable index manifest {path}: {exc}") from None
    validate_manifest(manifest, path)
    return manifest


def _is_int(value: object, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def validate_manifest(manifest: object, path: Path) -> None:
    """One clear `IndexStoreError` for any manifest that is not what this program writes."""

    def bad(what: str) -> IndexStoreError:
        return IndexStoreError(f"index manifest {path} is malformed: {what}")

    if not isinstance(manifest, dict):
        raise bad(f"expected an object, found {type(manifest).__name__}")
    version = manifest.get("format_version")
    if not _is_int(version, 0):
        raise bad(f"format_version must be a whole number, not {version!r}")
    if version != FORMAT_VERSION:
        raise IndexStoreError(
            f"index at {path.parent} has format version {version}, this program reads"
            f" version {FORMAT_VERSION}; delete it and rebuild: qa index PATH --index {path.parent}"
        )
    if not isinstance(manifest.get("model"), str) or not manifest["model"]:
        raise bad("model must be a name or a folder path")
    chunking = manifest.get("chunking")
    if not isinstance(chunking, dict) or not _is_int(chunking.get("max_words"), 1) or not _is_int(chunking.get("overlap"), 0):
        raise bad("chunking must hold max_words >= 1 and overlap >= 0")


def create_folder(directory: Path, settings: IndexSettings, init) -> None:
    """Create an index folder whole or not at all: built beside the target,
    then renamed into place (over an empty folder, keeping its mode). What an
    interrupted creation left beside it goes first: creators hold the
    folder's lock, so no other creation owns it (a reader must never sweep
    it: it could be a creation in progress)."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    for leftover in directory.parent.glob(f".{directory.name}.tmp-*"):
        shutil.rmtree(leftover, ignore_errors=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{directory.name}.tmp-", dir=directory.parent))
    os.chmod(tmp, directory.stat().st_mode & 0o7777 if directory.exists() else 0o777 & ~_umask())
    try:
        (tmp / SEGMENTS_DIR).mkdir()
        init(tmp)
        manifest = {"format_version": FORMAT_VERSION, **settings.to_manifest()}
        (tmp / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
        fsync_tree(tmp)
        os.replace(tmp, directory) if directory.exists() else tmp.rename(directory)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def fsync_tree(folder: Path) -> None:
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _umask() -> int:
    """The process umask, read without setting it (os.umask would, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    return 0o022
