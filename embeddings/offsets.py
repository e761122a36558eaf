"""Reading text ↔ source text: where each visible character sits in the file.

A document is read (embedded, answered from) as its *reading text*: the
visible words with markup gone — no ``**``, link targets, HTML tags or
entities. Citations must still point into the file as stored, so every
parser builds the reading text with a `TextBuilder`, which records a
`SourceMap` from reading offsets to source offsets as it goes.

A map is a list of runs ``(text_start, text_len, source_start, source_len)``:
equal lengths map character by character (the common case: verbatim text);
unequal lengths map as one unit (``&lt;`` in the source is ``<`` in the
text). Characters the parser inserted (the blank line between blocks, the
"header: " before a table cell) belong to no run.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SourceMap:
    runs: tuple[tuple[int, int, int, int], ...]

    @classmethod
    def identity(cls, length: int) -> SourceMap:
        return cls(((0, length, 0, length),) if length else ())

    @property
    def is_identity(self) -> bool:
        return len(self.runs) <= 1 and all(r[0] == r[2] == 0 and r[1] == r[3] for r in self.runs)

    def _run_at(self, offset: int) -> int | None:
        """Index of the run holding text offset ``offset``, if any."""
        i = bisect.bisect_right(self._starts, offset) - 1
        if i >= 0 and offset < self.runs[i][0] + self.runs[i][1]:
            return i
        return None

    @property
    def _starts(self) -> list[int]:
        cached = self.__dict__.get("_starts_cache")
        if cached is None:
            cached = [r[0] for r in self.runs]
            object.__setattr__(self, "_starts_cache", cached)
        return cached

    def _char(self, offset: int) -> tuple[int, int] | None:
        """Source range of the text character at ``offset`` (None if inserted)."""
        i = self._run_at(offset)
        if i is None:
            return None
        t0, tl, s0, sl = self.runs[i]
        if tl == sl:
            return s0 + offset - t0, s0 + offset - t0 + 1
        return s0, s0 + sl

    def to_source(self, start: int, end: int) -> tuple[int, int] | None:
        """Source range from the first to the last mapped character of text[start:end]
        (None when every character there was inserted by the parser)."""
        first = last = None
        for offset in range(start, end):
            first = self._char(offset)
            if first is not None:
                break
        for offset in range(end - 1, start - 1, -1):
            last = self._char(offset)
            if last is not None:
                break
        if first is None or last is None:
            return None
        return min(first[0], last[0]), max(first[1], last[1])

    def to_list(self) -> list[int]:
        return [x for run in self.runs for x in run]

    @classmethod
    def from_list(cls, flat: list[int]) -> SourceMap:
        if len(flat) % 4:
            raise ValueError("a source map is a flat list of 4-tuples")
        return cls(tuple(tuple(int(x) for x in flat[i : i + 4]) for i in range(0, len(flat), 4)))  # type: ignore[misc]


@dataclass(frozen=True)
class Block:
    """A unit of a document's structure, as a range of its reading text."""

    start: int
    end: int
    #: text | table (one row, with its header) | code
    kind: str = "text"
    #: Headings above it, outermost first ("Guide", "Workers", "Thread workers").
    section: tuple[str, ...] = ()
    #: 1-based page (PDF).
    page: int | None = None

    def to_list(self) -> list:
        return [self.start, self.end, self.kind, list(self.section), self.page]

    @classmethod
    def from_list(cls, data: list) -> Block:
        start, end, kind, section, page = data
        return cls(int(start), int(end), str(kind), tuple(str(s) for s in section),
                   None if page is None else int(page))


BLOCK_SEPARATOR = "\n\n"


@dataclass
class TextBuilder:
    """Builds reading text, its blocks and its source map, one piece at a time.

    Parsers call ``begin`` / ``verbatim`` / ``mapped`` / ``inserted`` /
    ``end``; blocks are separated by a blank line in the reading text, so
    sentence splitting never joins two blocks.
    """

    source: str
    _parts: list[str] = field(default_factory=list)
    _length: int = 0
    _runs: list[tuple[int, int, int, int]] = field(default_factory=list)
    _blocks: list[Block] = field(default_factory=list)
    _open: tuple[int, str, tuple[str, ...], int | None] | None = None

    def begin(self, kind: str = "text", section: tuple[str, ...] = (), page: int | None = None) -> None:
        if self._open is not None:
            self.end()
        if self._blocks:
            self._append(BLOCK_SEPARATOR)
        self._open = (self._length, kind, tuple(section), page)

    def verbatim(self, start: int, end: int) -> None:
        """``source[start:end]``, as is."""
        if end <= start:
            return
        t0 = self._length
        self._append(self.source[start:end])
        last = self._runs[-1] if self._runs else None
        if last and last[1] == last[3] and last[0] + last[1] == t0 and last[2] + last[3] == start:
            self._runs[-1] = (last[0], last[1] + end - start, last[2], last[3] + end - start)
        else:
            self._runs.append((t0, end - start, start, end - start))

    def mapped(self, text: str, start: int, end: int) -> None:
        """``text`` standing for ``source[start:end]`` as a unit (an entity, an escape)."""
        if not text:
            return
        if len(text) == end - start and self.source[start:end] == text:
            self.verbatim(start, end)
            return
        self._runs.append((self._length, len(text), start, end - start))
        self._append(text)

    def inserted(self, text: str) -> None:
        """Text with no place in the source (a separator, a table header repeated in a row)."""
        self._append(text)

    def apply(self, pieces) -> None:
        """Replay recorded pieces: ``("v", start, end)``, ``("m", text, start, end)``, ``("i", text)``."""
        for piece in pieces:
            if piece[0] == "v":
                self.verbatim(piece[1], piece[2])
            elif piece[0] == "m":
                self.mapped(piece[1], piece[2], piece[3])
            else:
                self.inserted(piece[1])

    def end(self) -> None:
        if self._open is None:
            return
        start, kind, section, page = self._open
        self._open = None
        text = "".join(self._parts)
        end = self._length
        while end > start and text[end - 1].isspace():
            end -= 1
        s = start
        while s < end and text[s].isspace():
            s += 1
        if end > s:
            self._blocks.append(Block(s, end, kind, section, page))
        else:  # nothing readable: drop the block and its separator
            self._truncate(start - (len(BLOCK_SEPARATOR) if self._blocks else 0))

    def build(self) -> tuple[str, tuple[Block, ...], SourceMap]:
        self.end()
        return "".join(self._parts), tuple(self._blocks), SourceMap(tuple(self._runs))

    def _append(self, text: str) -> None:
        self._parts.append(text)
        self._length += len(text)

    def _truncate(self, length: int) -> None:
        length = max(0, length)
        text = "".join(self._parts)[:length]
        self._parts = [text]
        self._length = length
        kept = []
        for t0, tl, s0, sl in self._runs:
            if t0 >= length:
                continue
            if t0 + tl > length:
                cut = length - t0
                if tl != sl:
                    continue
                tl, sl = cut, cut
            kept.append((t0, tl, s0, sl))
        self._runs = kept
