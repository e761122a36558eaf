"""The terminal chat: ask questions about your documents, read the cited sources.

    from tui.app import run
    run(None)              # the default library: the seed corpus (index cached per user)
    run(Path("my-index"))  # an index folder made by `qa index`
    run(None, settings)    # a `qa.Settings` (default: `Settings.from_env()`)

    tui/app.py            the thin App: styles, title, help/quit keys, palette provider
    tui/screens/main.py   the chat screen: layout, chat/navigation/focus actions
    tui/workers.py        calls into the assistant, in thread workers, under one lock
    tui/messages.py       what the workers post back to the screen
    tui/commands.py       the command palette's commands

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
