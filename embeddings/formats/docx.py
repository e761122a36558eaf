"""DOCX (python-docx): body paragraphs and tables in document order, headings as section paths.

Source layout (what citations index): the document's extracted text, built as
the body is walked (content controls included, headers, footers, footnotes,
comments and text boxes left out):

- each non-empty paragraph's text (``Paragraph.text``: tabs as ``\\t``, line
  breaks as ``\\n``, trimmed), paragraphs separated by a blank line;
  headings are written like any paragraph;
- a table: one line per row, the row's cells joined by ``" | "`` (a cell's
  paragraphs joined by a space; a cell spanning several grid columns once; a
  vertically merged cell repeated in every row it spans), rows separated by a
  newline and the table by a blank line from what is around it.

Blocks: one per body paragraph (list items included), verbatim from the
source. A paragraph styled ``Title`` (level 0), ``Heading 1``…``Heading 9``
(or based on one, or with an outline level) is no block but sets the section
path of what follows. Table-of-contents paragraphs (``TOC …`` styles) are
skipped. A table with at least two rows and two columns has a header (its
first row): every other row is one "table" block reading ``The Type of
password is bool. The Default of password is False.`` — one sentence per
cell, naming the row's first cell and the column's header, the header words
read from the header cells' place in the source
(`embeddings.formats.tables.write_row`). Other tables: one block per row,
its source line as is.

Title, author and date come from the core properties (``created``, as
YYYY-MM-DD; python-docx's template default, 2013-12-23 23:15, is no date).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

from embeddings.formats import FormatError, Parsed
from embeddings.formats.tables import Sections, SourceWriter, write_table

_HEADING = re.compile(r"heading ([1-9])", re.IGNORECASE)
#: The created/modified time in python-docx's default template: not a real date.
_TEMPLATE_CREATED = "2013-12-23T23:15:00"


def parse(path: Path, data: bytes) -> Parsed:
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(io.BytesIO(data))
    except (zipfile.BadZipFile, KeyError):
        raise FormatError(f"{path} is not a readable Word document (damaged, or not a .docx?)") from None
    except Exception as exc:  # python-docx raises many kinds for a broken package
        reason = " ".join(str(exc).split())[:120]
        raise FormatError(f"{path} is not a readable Word document ({reason or type(exc).__name__})") from None

    body = document._body
    levels: dict[str | None, int | None] = {}
    writer = SourceWriter()
    sections = Sections()
    P, TBL, SDT, CONTENT = qn("w:p"), qn("w:tbl"), qn("w:sdt"), qn("w:sdtContent")
    OUTLINE = f"./{qn('w:pPr')}/{qn('w:outlineLvl')}"

    def level_of(p, paragraph) -> int | None:
        """0 for a Title, 1–9 for a heading, -1 for a table-of-contents entry, None for body text."""
        outline = p.find(OUTLINE)
        if outline is not None:
            value = outline.get(qn("w:val"))
            if value and value.isdigit() and int(value) < 9:
                return int(value) + 1
        style_id = p.style
        if style_id not in levels:
            levels[style_id] = _style_level(paragraph.style)
        return levels[style_id]

    def walk(parent) -> None:
        for child in parent.iterchildren():
            if child.tag == P:
                paragraph = Paragraph(child, body)
                text = paragraph.text.strip()
                if not text:
                    continue
                level = level_of(child, paragraph)
                if level == -1:
                    continue
                if level is not None:
                    sections.enter(level, " ".join(text.split()))
                    writer.write(text)
                else:
                    writer.block("text", sections.path, [writer.write(text)])
            elif child.tag == TBL:
                rows = []
                for row in Table(child, body).rows:
                    cells, seen = [], None
                    for cell in row.cells:
                        if cell._tc is seen:
                            continue
                        seen = cell._tc
                        cells.append(" ".join(cell.text.split()))
                    rows.append(cells)
                wide = max((len(r) for r in rows), default=0) >= 2
                write_table(writer, sections.path, rows, header=wide)
            elif child.tag == SDT:
                content = child.find(CONTENT)
                if content is not None:
                    walk(content)

    try:
        walk(document.element.body)
    except Exception as exc:  # malformed XML python-docx chokes on
        reason = " ".join(str(exc).split())[:120]
        raise FormatError(f"{path} could not be read ({reason or type(exc).__name__})") from None
    source, text, blocks, source_map = writer.build()

    props = document.core_properties
    metadata = {}
    for key in ("author", "subject", "keywords", "category"):
        value = " ".join((getattr(props, key, "") or "").split())
        if value:
            metadata[key] = value
    created = props.created
    date = None
    if created is not None and created.replace(tzinfo=None).isoformat() != _TEMPLATE_CREATED:
        date = created.date().isoformat()
    title = " ".join((props.title or "").split()) or None
    return Parsed(
        text=text,
        blocks=blocks,
        source=source,
        source_map=source_map,
        title=title,
        date=date,
        metadata=metadata,
    )


def _style_level(style) -> int | None:
    """A paragraph style's heading level (following ``based on``), per `level_of`."""
    for _ in range(10):
        if style is None:
            return None
        name = (style.name or "").strip()
        lowered = name.lower()
        if lowered == "title":
            return 0
        if lowered.startswith("toc ") or lowered == "toc heading":
            return -1
        match = _HEADING.fullmatch(name)
        if match:
            return int(match.group(1))
        style = style.base_style
    return None
