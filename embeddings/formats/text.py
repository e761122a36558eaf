"""Plain text: paragraphs as blocks; the text as stored is both reading text and source.

A leading ``date YYYY-MM-DD`` line becomes the document's date and belongs to
no block, so no passage holds it, while offsets still count it: they index
the file exactly as ``read_text`` returns it.
"""

from __future__ import annotations

import re
from pathlib import Path

from embeddings.formats import Parsed, decode_text
from embeddings.offsets import Block

_DATE_HEADER = re.compile(r"\A\ufeff?\s*date[ \t]+(\d{4}-\d{2}-\d{2})\b[ \t]*")
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def paragraph_blocks(text: str, start: int = 0) -> tuple[Block, ...]:
    """Non-blank paragraphs of ``text[start:]`` (split at blank lines), whitespace-trimmed."""
    blocks = []
    cursor = start
    for brk in [*_PARAGRAPH_BREAK.finditer(text, start), None]:
        end = brk.start() if brk else len(text)
        a, b = cursor, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if b > a:
            blocks.append(Block(a, b))
        if brk:
            cursor = brk.end()
    return tuple(blocks)


def parse_text(text: str) -> Parsed:
    """Text already decoded (a file's, or one made in memory)."""
    header = _DATE_HEADER.match(text)
    date = header.group(1) if header else None
    blocks = paragraph_blocks(text, header.end() if header else 0)
    return Parsed(text=text, blocks=blocks, date=date)


def parse(path: Path, data: bytes) -> Parsed:
    return parse_text(decode_text(path, data))
