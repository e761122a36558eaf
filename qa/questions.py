"""What counts as a question: checked before any model loads (CLI, TUI) and again by the API."""

from __future__ import annotations

import re

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


#: Words that make a question about code or commands: only such questions
#: may be answered from a code block (a value in an example is not a fact).
_CODE_WORDS = re.compile(
    r"`|\w\(\)|--\w|\b(code|commands?|cli|shell|terminal|bash|scripts?|snippets?|syntax|flags?|"
    r"functions?|methods?|class(es)?|import|install(ed|ing)?|invoke|call|api|arguments?|"
    r"parameters?|run|example|decorator|module|package|pip|python)\b",
    re.IGNORECASE,
)


def is_about_code(question: str) -> bool:
    """True when the question asks about code or commands (then code blocks may answer)."""
    return bool(_CODE_WORDS.search(question))
