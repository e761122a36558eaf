"""The terminal chat app (`qa chat`): a thin App around `MainScreen`.

The App holds what is global — styles, title, help and quit keys, the command
palette's provider — and pushes the chat screen (`tui.screens.main`), which
owns the conversation and starts the workers (`tui.workers`) that load the
model off the UI thread, so the window paints at once.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding

from qa.display import one_line
from tui.commands import QACommands
from tui.screens.help import HelpScreen
from tui.screens.main import MainScreen
from tui.workers import AssistantFactory

if TYPE_CHECKING:
    from qa import Settings


class QAApp(App[None]):
    """Chat with your documents; every answer cites its source span.

    ``assistant_factory`` (tests, screenshots) replaces loading the index
    folder or the default library; ``settings`` default to the environment's.
    """

    CSS_PATH = "app.tcss"
    TITLE = "Cited QA"
    COMMANDS = App.COMMANDS | {QACommands}
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        index_dir: Path | None = None,
        assistant_factory: AssistantFactory | None = None,
        answer_count: int = 3,
        settings: Settings | None = None,
    ) -> None:
        super().__init__()
        index_dir = Path(index_dir) if index_dir is not None else None
        self.main_screen = MainScreen(index_dir, settings, assistant_factory, answer_count)
        self.sub_title = one_line(index_dir.name) if index_dir else "seed article"

    def on_mount(self) -> None:
        self.push_screen(self.main_screen)

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def run(index_dir: Path | None = None, settings: Settings | None = None) -> None:
    """Entry point for ``qa chat [--index DIR]``."""
    answer_count = settings.answers if settings is not None else 3
    QAApp(index_dir=index_dir, answer_count=answer_count, settings=settings).run()
