"""Corpus information (command palette → Show corpus info)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Static

from qa.display import safe


class CorpusInfoScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,enter,q", "dismiss", "Close", show=True)]

    def __init__(self, rows: list[tuple[str, str]]) -> None:
        super().__init__()
        self.rows = rows

    def compose(self) -> ComposeResult:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold")
        table.add_column(overflow="fold")
        for key, value in self.rows:
            table.add_row(key, Text(safe(value)))  # titles and paths: not markup, no escapes
        with Vertical(id="info-body") as body:
            body.border_title = "Corpus"
            yield Static(table)
            yield Static("Esc to close", classes="hint")
