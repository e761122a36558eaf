"""One writer at a time per index folder: a lock file beside it (``filelock``).

Every change to an index (load, change, save) runs under the folder's lock,
so two ``qa index`` runs into one folder take turns instead of one silently
dropping the other's documents. The lock sits beside the folder, not inside
it, because saving swaps the folder itself. Locks are re-entrant within a
process (one `FileLock` object per folder).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from filelock import FileLock, Timeout

#: How long a writer waits for another one to finish before giving up.
WAIT_SECONDS = 600.0

_locks: dict[Path, FileLock] = {}
_guard = threading.Lock()


class IndexBusyError(RuntimeError):
    """Another process kept the index folder locked too long; the message is user-facing."""


def lock_path(directory: Path) -> Path:
    directory = Path(directory).absolute()
    return directory.parent / f".{directory.name}.lock"


@contextmanager
def index_lock(directory: Path, timeout: float = WAIT_SECONDS) -> Iterator[None]:
    path = lock_path(directory)
    with _guard:
        lock = _locks.get(path)
        if lock is None:
            path.parent.mkdir(parents=True, exist_ok=True)
            lock = _locks[path] = FileLock(str(path), thread_local=False)
    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise IndexBusyError(
            f"another qa has been writing to {directory} for over {timeout:.0f} s; try again when it finishes"
        ) from None
    try:
        yield
    finally:
        lock.release()
