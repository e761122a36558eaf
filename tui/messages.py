"""What the thread workers (`tui.workers`) tell the main screen.

Workers never touch a widget: they call into the assistant and post one of
these to the screen that started them (``post_message`` is thread-safe); the
screen's ``on_…`` handlers update the UI on the UI thread. They are for that
screen alone, so they do not bubble up to the App.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from qa import Assistant, AskResult, SyncReport
    from tui.widgets import Exchange


def describe_paths(paths: list[Path]) -> str:
    """Paths as one line for the status bar and notifications."""
    return ", ".join(str(p) for p in paths)


# ---- loading ------------------------------------------------------------
class LoadProgress(Message, bubble=False):
    """The default library is being (re)indexed while the assistant loads."""

    def __init__(self, done: int, total: int, stage: str = "embedding") -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.stage = stage  # reading | splitting | embedding (embeddings.progress)


class AssistantLoaded(Message, bubble=False):
    def __init__(self, assistant: Assistant) -> None:
        super().__init__()
        self.assistant = assistant


class LoadFailed(Message, bubble=False):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


# ---- asking -------------------------------------------------------------
class Answered(Message, bubble=False):
    def __init__(self, exchange: Exchange, result: AskResult) -> None:
        super().__init__()
        self.exchange = exchange
        self.result = result


class AnswerFailed(Message, bubble=False):
    def __init__(self, exchange: Exchange, error: str) -> None:
        super().__init__()
        self.exchange = exchange
        self.error = error


class QuestionRefused(Message, bubble=False):
    """The assistant would not take the question (``QuestionError``)."""

    def __init__(self, exchange: Exchange | None, reason: str) -> None:
        super().__init__()
        self.exchange = exchange
        self.reason = reason


# ---- indexing -----------------------------------------------------------
class IndexProgress(Message, bubble=False):
    def __init__(self, done: int, total: int, stage: str = "embedding") -> None:
        super().__init__()
        self.done = done
        self.total = total
        self.stage = stage  # reading | splitting | embedding (embeddings.progress)


class Indexed(Message, bubble=False):
    def __init__(self, paths: list[Path], report: SyncReport) -> None:
        super().__init__()
        self.paths = paths
        self.report = report

    @property
    def summary(self) -> str:
        return f"Indexed {describe_paths(self.paths)}: {self.report.summary()}"


class IndexFailed(Message, bubble=False):
    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error
