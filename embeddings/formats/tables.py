"""Table rows as reading text, and the extracted-text source shared by HTML and DOCX.

A table body row is read as one short sentence per cell, each naming the
row's key (its first cell) and the cell's column header::

    | Name     | Type | Default |
    | password | bool | False   |

    → The Type of password is bool. The Default of password is False.

An extractive reader answers "What is the default of password?" from that
far more often than from ``Name: password; Type: bool; Default: False``, and
the sentence splitter makes each cell a sentence of its own, so an answer
never runs from one cell into the next. `write_row` writes a row this way
into a `TextBuilder`:

* the header word is the header cell's text (mapped to the header cell), the
  key the key cell's (mapped to the key cell, once per sentence: one source
  range may be read several times), the value the row's cell; ``"The "``,
  ``" of "``, ``" is "``, the closing ``"."`` and the space between sentences
  are inserted (they map nowhere);
* values are never changed (no case change, no trimming of punctuation); a
  value that already ends a sentence (``.`` ``!`` ``?`` ``…``, before any
  closing quote or bracket) gets no second ``"."``;
* empty cells are skipped; a row holding only its key (a one-column table)
  reads as the key's text alone;
* a value under an empty (or missing) header cell reads ``"{key}: {value}."``;
  a row whose key cell is empty reads ``"The {header} is {value}."`` (or
  ``"{value}."`` without a header word either).

Tables without a header row (HTML without ``<th>`` cells, a one-row table)
are not written here: there are no words to make sentences with, so their
rows stay what they were, the row's source line as is (``a | b | c`` in the
extracted source of HTML and DOCX) — verbatim, with nothing inserted.

A cell is a `Cell`: pieces of reading text, each a source range read as is,
a text standing for a source range as a unit (a Markdown escape or entity),
or an inserted text (a line break for ``<br>``). HTML and DOCX cells are one
verbatim range (`Cell.span`); Markdown passes the pieces it made while
cleaning the cell's inline markup.

The rest of this module is what the HTML and DOCX parsers share, as both
read a text they extract themselves: `SourceWriter` writes that source text
and records which of its ranges each block reads, `write_table` lays out a
table there, `Sections` keeps the heading path.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from embeddings.offsets import TextBuilder

#: A piece of a cell's reading text:
#:   ("v", start, end)        source[start:end] as is
#:   ("m", text, start, end)  text standing for source[start:end] as a unit
#:   ("i", text)              text inserted by the parser
Piece = tuple

#: A value ending in one of these (before closing quotes/brackets) ends its own sentence.
_SENTENCE_END = ".!?…。！？"
_CLOSERS = "\"')]}»”’"

#: Between a table row's cells in an extracted source (HTML, DOCX).
CELL_SEPARATOR = " | "


@dataclass(frozen=True)
class Cell:
    """One table cell: the pieces its reading text is made of."""

    pieces: tuple[Piece, ...] = ()

    @classmethod
    def span(cls, start: int, end: int) -> Cell:
        """A cell read verbatim from ``source[start:end]``."""
        return cls((("v", start, end),) if end > start else ())

    def text(self, source: str) -> str:
        return "".join(source[p[1] : p[2]] if p[0] == "v" else p[1] for p in self.pieces)

    def trimmed(self, source: str) -> Cell:
        """Without white space at either end (ranges narrowed, blank pieces dropped)."""
        pieces = [p for p in self.pieces if _piece_text(source, p)]
        for step in (0, -1):
            while pieces:
                p = pieces[step]
                text = _piece_text(source, p)
                if not text[step].isspace():
                    break
                if p[0] == "v":
                    start, end = p[1], p[2]
                    while start < end and source[start if step == 0 else end - 1].isspace():
                        if step == 0:
                            start += 1
                        else:
                            end -= 1
                    if end > start:
                        pieces[step] = ("v", start, end)
                    else:
                        pieces.pop(step)
                elif not text.strip():
                    pieces.pop(step)
                else:  # a unit with white space inside it (an entity for a space): keep it whole
                    break
        return Cell(tuple(pieces))

    def write(self, builder: TextBuilder) -> None:
        builder.apply(self.pieces)


def _piece_text(source: str, piece: Piece) -> str:
    return source[piece[1] : piece[2]] if piece[0] == "v" else piece[1]


def ends_sentence(text: str) -> bool:
    """Whether ``text`` already ends with sentence punctuation (a closing quote or bracket after it allowed)."""
    return text.rstrip().rstrip(_CLOSERS)[-1:] in tuple(_SENTENCE_END)


def write_row(builder: TextBuilder, header: Sequence[Cell | None], cells: Sequence[Cell]) -> None:
    """Write a table body row into ``builder`` (inside an open "table" block) as one
    sentence per non-empty cell after the first: ``The {header} of {key} is {value}.``

    ``header[n]`` is the header cell above ``cells[n]`` (None or missing: no header
    word); ``cells[0]`` is the row's key. See the module docstring for every rule."""
    source = builder.source
    cells = [c.trimmed(source) for c in cells]
    heads = [h.trimmed(source) if h is not None else None for h in header]
    key = cells[0] if cells else Cell()
    has_key = bool(key.text(source).strip())
    first = True
    for n, cell in enumerate(cells[1:], start=1):
        value = cell.text(source)
        if not value.strip():
            continue
        head = heads[n] if n < len(heads) else None
        has_head = head is not None and bool(head.text(source).strip())
        if not first:
            builder.inserted(" ")
        first = False
        if has_head and has_key:  # The Type of password is bool.
            builder.inserted("The ")
            head.write(builder)
            builder.inserted(" of ")
            key.write(builder)
            builder.inserted(" is ")
        elif has_head:  # The Type is bool.
            builder.inserted("The ")
            head.write(builder)
            builder.inserted(" is ")
        elif has_key:  # password: bool.
            key.write(builder)
            builder.inserted(": ")
        cell.write(builder)
        if not ends_sentence(value):
            builder.inserted(".")
    if first and has_key:  # nothing but the key
        key.write(builder)


# --- the extracted-text source shared by HTML and DOCX -----------------------------------


@dataclass
class Row:
    """A table row: each cell's source range, and its header cell's (None: no header)."""

    cells: list[tuple[int, int]]
    header: list[tuple[int, int] | None]


@dataclass
class SourceWriter:
    """Writes the extracted source text and records, per block, the source ranges
    it is read from; `build` turns that into the reading text over the source."""

    _parts: list[str] = field(default_factory=list)
    _length: int = 0
    _started: bool = False
    _specs: list[tuple[str, tuple[str, ...], list[tuple[int, int]] | Row]] = field(default_factory=list)

    def write(self, text: str, separator: str = "\n\n") -> tuple[int, int]:
        """Append ``text`` (after ``separator`` unless nothing was written before); its range."""
        if self._started:
            self._parts.append(separator)
            self._length += len(separator)
        self._started = True
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start, self._length

    def block(self, kind: str, section: tuple[str, ...], ranges: list[tuple[int, int]]) -> None:
        """A block read verbatim from the source, from its first range's start to its
        last range's end (several ranges: consecutive lines, e.g. a term and its definition)."""
        self._specs.append((kind, section, ranges))

    def row(self, section: tuple[str, ...], row: Row) -> None:
        self._specs.append(("table", section, row))

    def build(self):
        """(source, reading text, blocks, source map)."""
        source = "".join(self._parts)
        builder = TextBuilder(source)
        for kind, section, spec in self._specs:
            builder.begin(kind, section)
            if isinstance(spec, Row):
                write_row(builder, [Cell.span(*h) if h is not None else None for h in spec.header],
                          [Cell.span(*c) for c in spec.cells])
            else:
                builder.verbatim(spec[0][0], spec[-1][1])
        text, blocks, source_map = builder.build()
        return source, text, blocks, source_map


def write_table(writer: SourceWriter, section: tuple[str, ...], rows: list[list[str]], header: bool) -> None:
    """Rows of cell texts → one source line per row (cells joined by `CELL_SEPARATOR`) and
    one "table" block per row; with ``header`` (and more than one row), the first row is
    no block of its own but gives the header words of the others (`write_row`); without,
    each row is its source line as is."""
    rows = [r for r in rows if any(c.strip() for c in r)]
    placed = []
    for i, cells in enumerate(rows):
        placed.append([writer.write(cell, CELL_SEPARATOR if j else "\n\n" if i == 0 else "\n")
                       for j, cell in enumerate(cells)])
    head = placed[0] if header and len(placed) > 1 else None
    for ranges in placed[1:] if head else placed:
        if head is None:  # no header: the row's line as it is
            writer.block("table", section, [ranges[0], ranges[-1]])
        else:
            writer.row(section, Row(ranges, [head[j] if j < len(head) else None for j in range(len(ranges))]))


class Sections:
    """The heading path above the current point: ``enter(level, title)`` per heading."""

    def __init__(self) -> None:
        self._stack: list[tuple[int, str]] = []

    def enter(self, level: int, title: str) -> None:
        while self._stack and self._stack[-1][0] >= level:
            self._stack.pop()
        self._stack.append((level, title))

    @property
    def path(self) -> tuple[str, ...]:
        return tuple(title for _, title in self._stack)
