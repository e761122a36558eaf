"""A span read from a code block, widened to the command it begins.

The reader learnt where answers end from prose, where they are short; in a
code block it stops after the program's name: "$ pip" from the line
"$ pip install httpx[http2]", the only line of the block that answers "What
is the command to install the HTTP/2 dependencies?". A shell prompt is
never part of an answer, and a span that begins a line's command but stops
inside it names only the program: the answer is the command, to the end of
its line. A span that begins inside the command ("--inexact" in "uv sync
--inexact") is the reader's own choice and is kept.
"""

from __future__ import annotations

import re

#: Prompts that begin a line of a shell, Python or PowerShell session in documentation.
PROMPT = re.compile(r"(?:\$|%|>>>|\.\.\.|>|PS>|PS [A-Za-z]:\\[^>\n]*>)[ \t]+")
#: A comment line says what the code does; it is no command.
COMMENT = ("#", "//", "--", ";")
#: A line longer than this (minified code, a generated one-liner) is no answer to read whole:
#: the reader's own span is kept, less its prompt. Two 80-column lines.
MAX_COMMAND_CHARS = 160


def command_start(text: str, line_start: int, line_end: int) -> int:
    """Where the command of the line ``text[line_start:line_end]`` begins: after its
    indentation and its prompt, if it has one."""
    at = line_start
    while at < line_end and text[at] in " \t":
        at += 1
    prompt = PROMPT.match(text, at, line_end)
    return prompt.end() if prompt else at


def whole_command(text: str, start: int, end: int) -> tuple[int, int]:
    """``(start, end)`` without a prompt, and widened to the end of its line when it
    begins the line's command (and the line is not over `MAX_COMMAND_CHARS`); unchanged
    when it begins inside the command or spans lines."""
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", start)
    line_end = len(text) if line_end < 0 else line_end
    if end > line_end:
        return start, end
    begin = command_start(text, line_start, line_end)
    if start > begin or text.startswith(COMMENT, begin):
        return start, end
    stop = line_end
    while stop > begin and text[stop - 1] in " \t\\":  # trailing blanks, a line continuation
        stop -= 1
    if stop - begin > MAX_COMMAND_CHARS:
        return (begin, end) if end > begin else (start, end)
    return (begin, stop) if stop > begin else (start, end)
