"""A one-cell busy indicator that stays still when animations are off
(``TEXTUAL_ANIMATIONS=none``), so screenshots and snapshots are stable."""

from __future__ import annotations

from textual.widgets import Static

FRAMES = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"


class Spinner(Static):
    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self._frame = 0

    def on_mount(self) -> None:
        self._tick()
        self.set_interval(0.1, self._tick)

    def _tick(self) -> None:
        if not self.display:
            return
        if self.app.animation_level == "none":
            self.update("…")
        else:
            self._frame = (self._frame + 1) % len(FRAMES)
            self.update(FRAMES[self._frame])
