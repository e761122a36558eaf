"""``qa watch``: keep an index in step with folders as files change.

Each batch of file-system events (watchfiles, debounced) becomes at most two
commits: changed and new files are added (re-embedded only if their content
changed), deleted files and folders are removed. Between commits the index is
always a complete state, so ``qa ask`` and the chat keep answering meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from embeddings.files import file_id
from embeddings.formats import format_of
from embeddings.index import SyncReport
from qa.assistant import Assistant


def gone_documents(assistant: Assistant, paths: Iterable[Path]) -> list[str]:
    """Ids of indexed documents that were, or lived under, ``paths`` and no longer exist."""
    ids = []
    prefixes = [file_id(p) for p in paths]
    for entry in assistant.index.entries():
        if any(entry.doc_id == pre or entry.doc_id.startswith(pre.rstrip("/") + "/") for pre in prefixes):
            if not Path(entry.doc_id).exists():
                ids.append(entry.doc_id)
    return ids


def apply_changes(assistant: Assistant, changed: Iterable[Path], follow_links: bool = False) -> SyncReport:
    """Bring the index up to date with ``changed`` paths (files or folders)."""
    changed = set(changed)
    present = sorted(p for p in changed if p.is_dir() or (p.is_file() and format_of(p) is not None))
    report = assistant.add(present, follow_links=follow_links) if present else SyncReport()
    gone = [p for p in changed if not p.exists()]
    if gone:
        report.removed = assistant.remove_documents(gone_documents(assistant, gone))
    return report


def watch(
    assistant: Assistant,
    roots: list[Path],
    on_report: Callable[[SyncReport], None],
    follow_links: bool = False,
    stop_event=None,
) -> None:
    """Apply changes under ``roots`` as they happen, until interrupted (or ``stop_event`` is set)."""
    import watchfiles

    synced = False
    # yield_on_timeout: the first (empty) batch comes once the watcher is
    # running, so the catch-up below cannot miss a change made during it.
    for events in watchfiles.watch(*roots, stop_event=stop_event, debounce=800, raise_interrupt=False,
                                   yield_on_timeout=True, rust_timeout=300):
        if not synced:  # what changed while nobody watched: deleted files, then the rest
            on_report(apply_changes(assistant, [*roots, *map(Path, gone_documents(assistant, roots))], follow_links))
            synced = True
        if not events:
            continue
        report = apply_changes(assistant, {Path(path) for _, path in events}, follow_links)
        if report.changed:
            on_report(report)
