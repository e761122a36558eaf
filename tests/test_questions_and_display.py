"""Fast checks of the light modules on the query path: questions and safe display."""

from __future__ import annotations

import json

import pytest

from qa.confidence import confidence_word, describe
from qa.display import one_line, safe, safe_json
from qa.questions import QuestionError, check_question, is_about_code


@pytest.mark.parametrize(
    "question",
    ["Which command starts the server?", "How do I install it with pip?", "What does `serve --port` do?",
     "Which flag enables debug?", "What does the run() function return?", "Show an example of the API."],
)
def test_questions_about_code(question):
    assert is_about_code(question)


@pytest.mark.parametrize(
    "question",
    ["What is the default port?", "Who wrote the library?", "What type is password?", "When was it released?"],
)
def test_questions_about_facts(question):
    assert not is_about_code(question)


def test_check_question():
    assert check_question("  what \n is  it? ") == "what is it?"
    with pytest.raises(QuestionError, match="empty"):
        check_question(" \t")
    with pytest.raises(QuestionError, match="limit"):
        check_question("x" * 1001)


def test_control_characters_are_shown_not_sent():
    evil = "a\x1b]0;pwned\x07b\x1b[2Jc\u202ed\x9be\x00f\tg\nh"
    shown = safe(evil)
    assert shown == "a\\x1b]0;pwned\\x07b\\x1b[2Jc\\u202ed\\x9be\\x00f\tg\nh"
    assert not any(ch in shown for ch in "\x1b\x07\u202e\x9b\x00")
    assert one_line("  x\x1b  \n y ", 6) == "x\\x1b…"
    dumped = safe_json({"t": evil, "ok": "café 日本"})
    assert "\x1b" not in dumped and "\u202e" not in dumped and "\x9b" not in dumped
    assert json.loads(dumped) == {"t": evil, "ok": "café 日本"}


def test_confidence_in_words():
    assert [confidence_word(s, 0.3) for s in (0.05, 0.29, 0.3, 0.69, 0.7, 0.99)] == [
        "low", "low", "medium", "medium", "high", "high"]
    assert confidence_word(0.75, 0.8) == "low" and confidence_word(0.85, 0.8) == "high"
    assert describe(0.35, 0.3) == "medium 0.35"
    assert describe(0.12, 0.3) == "low 0.12, below the 0.30 threshold"
