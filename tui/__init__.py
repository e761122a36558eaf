"""The terminal chat: ask questions about your documents, read the cited sources.

    from tui.app import run
    run(None)            # the shipped seed corpus (index cached per user)
    run(Path("my-index"))  # an index folder made by `qa index`

Importing this package is cheap: the model and index load in a worker after
the window has painted.
"""

from __future__ import annotations

__all__ = ["QAApp", "run"]


def __getattr__(name: str):
    if name in __all__:
        from tui import app

        return getattr(app, name)
    raise AttributeError(name)
