"""Widgets of the terminal chat."""

from tui.widgets.chat import (
    AnswerCard,
    AnswerItem,
    ChatLog,
    Exchange,
    NotFoundCard,
    SourceLink,
    SourceTarget,
)
from tui.widgets.history_input import HistoryInput
from tui.widgets.source import SourceBlock, SourcePane, SourceViewer

__all__ = [
    "AnswerCard",
    "AnswerItem",
    "ChatLog",
    "Exchange",
    "HistoryInput",
    "NotFoundCard",
    "SourceBlock",
    "SourceLink",
    "SourcePane",
    "SourceTarget",
    "SourceViewer",
]
