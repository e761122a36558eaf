"""The question box: an Input that remembers what was asked (up/down)."""

from __future__ import annotations

from textual.binding import Binding
from textual.widgets import Input


class HistoryInput(Input):
    """Enter sends; up/down walk through earlier questions, keeping the draft."""

    BINDINGS = [
        Binding("enter", "submit", "Send", show=True),
        Binding("up", "history_previous", "History", show=False),
        Binding("down", "history_next", "History", show=False),
    ]

    def __init__(self, *args, max_history: int = 200, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.history: list[str] = []
        self._max_history = max_history
        self._position: int | None = None  # index into history while browsing
        self._draft = ""

    def remember(self, text: str) -> None:
        """Add a sent question (consecutive duplicates are kept once)."""
        text = text.strip()
        if text and (not self.history or self.history[-1] != text):
            self.history.append(text)
            del self.history[: -self._max_history]
        self._position = None
        self._draft = ""

    def _show(self, text: str) -> None:
        self.value = text
        self.cursor_position = len(text)

    def action_history_previous(self) -> None:
        if not self.history:
            return
        if self._position is None:
            self._draft = self.value
            self._position = len(self.history) - 1
        elif self._position > 0:
            self._position -= 1
        self._show(self.history[self._position])

    def action_history_next(self) -> None:
        if self._position is None:
            return
        if self._position < len(self.history) - 1:
            self._position += 1
            self._show(self.history[self._position])
        else:
            self._position = None
            self._show(self._draft)
