"""What counts as a question: checked before any model loads (CLI, TUI) and again by the API."""

from __future__ import annotations

MAX_QUESTION_CHARS = 1000


class QuestionError(ValueError):
    """A question that cannot be asked; the message is user-facing."""


def check_question(question: str) -> str:
    """The question with its whitespace collapsed, or `QuestionError`."""
    question = " ".join(question.split())
    if not question:
        raise QuestionError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise QuestionError(
            f"the question is {len(question)} characters long; the limit is {MAX_QUESTION_CHARS}"
        )
    return question
