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
from tui.widgets.source import SectionHeading, SourceBlock, SourcePane, SourceViewer

__all__ = [
    "AnswerCard",
    "AnswerItem",
    "ChatLog",
    "Exchange",
    "HistoryInput",
    "NotFoundCard",
    "SectionHeading",
    "SourceBlock",
    "SourceLink",
    "SourcePane",
    "SourceTarget",
    "SourceViewer",
]
