"""A modal that asks for a file or folder to index."""

from __future__ import annotations

from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static


class PathPrompt(ModalScreen[Path | None]):
    """Returns the path typed (``~`` expanded), or None when cancelled."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", show=True)]

    def __init__(self, title: str = "Index a file or folder") -> None:
        super().__init__()
        self.prompt_title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="prompt-body") as body:
            body.border_title = self.prompt_title
            yield Static(
                "Text, Markdown, reStructuredText, PDF, HTML and Word (.docx) files; a folder is searched recursively.",
                classes="hint",
            )
            yield Input(placeholder="path, e.g. ~/notes", id="path-input")
            yield Static("Enter to index · Esc to cancel", classes="hint")

    @on(Input.Submitted, "#path-input")
    def submitted(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if not value:
            self.notify("Type a path first", severity="warning")
            return
        self.dismiss(Path(value).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
