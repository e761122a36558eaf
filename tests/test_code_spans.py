"""A span read from a code block is the command it begins, never the prompt or the program alone."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa.reader.code_spans import MAX_COMMAND_CHARS, whole_command


def span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def widened(text: str, part: str) -> str:
    start, end = whole_command(text, *span(text, part))
    return text[start:end]


@pytest.mark.parametrize("text, part, answer", [
    ("$ pip install httpx[http2]", "$ pip", "pip install httpx[http2]"),
    ("$ pip install httpx[http2]", "pip", "pip install httpx[http2]"),
    ("$ pip install httpx[http2]", "$", "pip install httpx[http2]"),
    ("# optional\n  $ pip install 'httpx[cli]'  \nmore", "$ pip install", "pip install 'httpx[cli]'"),
    (">>> r = httpx.get('https://example.org')", ">>> r", "r = httpx.get('https://example.org')"),
    ("PS> irm https://astral.sh/uv/install.ps1 | iex", "PS> irm", "irm https://astral.sh/uv/install.ps1 | iex"),
    ("uv pip install \\\n    ruff", "uv", "uv pip install"),
    ("limits = httpx.Limits(max_connections=10)", "limits", "limits = httpx.Limits(max_connections=10)"),
])
def test_a_span_that_begins_a_command_is_the_whole_command_without_its_prompt(text, part, answer):
    assert widened(text, part) == answer


@pytest.mark.parametrize("text, part", [
    ("$ uv sync --inexact", "--inexact"),  # begins inside the command: the reader's choice
    ("$ uv sync --inexact", "sync"),
    ("# The command line client is an optional dependency.\n$ pip install x", "# The command line client"),
    ("first line\nsecond line", "line\nsecond"),  # over two lines: left to the sentence check
    ("$ pip install x", "pip install x"),  # already whole
])
def test_a_span_inside_a_command_a_comment_or_over_lines_is_kept(text, part):
    assert widened(text, part) == text[slice(*span(text, part))]


def test_a_line_too_long_to_read_whole_keeps_the_readers_span_less_its_prompt():
    long_line = "$ curl -sSL " + "https://example.org/a/very/long/path/" * 6 + " | sh"
    assert len(long_line) > MAX_COMMAND_CHARS
    assert widened(long_line, "$ curl -sSL") == "curl -sSL"
    assert widened(long_line, "curl") == "curl"
    assert widened(long_line, "$") == "$"  # the prompt alone: nothing of the command to keep


@given(st.text(alphabet="$> a-z\n\\#.", max_size=40), st.data())
def test_the_span_stays_inside_its_text_and_never_empty(text, data):
    start = data.draw(st.integers(0, len(text)))
    end = data.draw(st.integers(start, len(text)))
    if end == start:
        return
    s, e = whole_command(text, start, end)
    assert 0 <= s < e <= len(text)
