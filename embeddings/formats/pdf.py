"""PDF (pypdfium2): the text layer of each page, paragraphs as blocks, each on its page.

Source layout (what citations index): the pages' extracted texts joined by
``PAGE_SEPARATOR`` (``"\\n\\f\\n"``). ``page_starts[n-1]`` is where page n's
text starts, so ``source[page_starts[n-1]:page_starts[n]]`` is page n's text
*followed by the separator* (the last page runs to the end, no separator). A
page without a text layer is the empty string, so every page has an entry.

A page's text is pdfium's text, normalised: line breaks (``\\r\\n``) become
``\\n``; NULs, form feeds, soft hyphens and pdfium's marker for a hyphen that
ends a line (U+FFFE, U+0002; pdfium then joins the two lines) are dropped, so
a word hyphenated across lines reads whole ("re-" + "configuration" →
"reconfiguration"; a real compound split there loses its hyphen too).
Everything else stays as extracted. pdfium gives one line per text line and
no blank lines, so paragraphs are found from the geometry of each line's
first and last characters (see `_paragraph_breaks`): a vertical gap clearly
larger than the page's usual gap between lines, a change of text size (a
heading), or a jump back up the page (a new column) starts a paragraph,
written as a blank line in the page text. When pdfium's text and character
list disagree in length (rare) the page's lines are kept without that.

Blocks are the page text's paragraphs (split at blank lines), each with its
page and no section; the reading text is the blocks joined by a blank line,
each block a verbatim copy of its source range. Title, author, subject,
keywords, creator and producer come from the document information
dictionary; the date from CreationDate (else ModDate) as YYYY-MM-DD. A page
without text but with content (an image, drawings) gets a warning; a PDF
without any text is a `FormatError`, as are damaged and password-protected
files.
"""

from __future__ import annotations

import datetime as _dt
import re
import statistics
from pathlib import Path

from embeddings.formats import FormatError, Parsed
from embeddings.formats.text import paragraph_blocks
from embeddings.offsets import TextBuilder

PAGE_SEPARATOR = "\n\f\n"
#: Characters pdfium may emit that are not text: NUL, form feed, soft hyphen,
#: and its markers for a hyphen that ends a line (U+0002, U+FFFE).
_DROP = dict.fromkeys(map(ord, "\x00\x0c\x02\u00ad\ufffe"))
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
_PDF_DATE = re.compile(r"(?:D:)?\s*(\d{4})(\d{2})(\d{2})")
#: A gap between two lines larger than the page's usual gap by this fraction
#: of the line's height starts a paragraph.
_PARAGRAPH_GAP = 0.5
#: The usual gap between lines is taken as at most this many line heights.
_USUAL_GAP_CAP = 0.6
#: Line heights differing by more than this fraction: a new paragraph (heading ↔ body).
_SIZE_CHANGE = 0.25


def parse(path: Path, data: bytes) -> Parsed:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise FormatError(f"{path} is encrypted (password-protected); save an unlocked copy first") from None
        raise FormatError(f"{path} is not a readable PDF (damaged or truncated?)") from None
    try:
        n_pages = len(pdf)
        if n_pages == 0:
            raise FormatError(f"{path} has no pages (damaged PDF?)")
        pages: list[str] = []
        warnings: list[str] = []
        for number in range(1, n_pages + 1):
            try:
                page = pdf[number - 1]
            except pdfium.PdfiumError:
                warnings.append(f"page {number} could not be read (damaged?)")
                pages.append("")
                continue
            try:
                textpage = page.get_textpage()
                try:
                    text = _page_text(textpage)
                finally:
                    textpage.close()
                if not text.strip():
                    text = ""
                    if pdfium_c.FPDFPage_CountObjects(page) > 0:
                        warnings.append(f"page {number} has no text layer (scanned?)")
            except (pdfium.PdfiumError, ValueError):
                warnings.append(f"page {number} could not be read (damaged?)")
                text = ""
            finally:
                page.close()
            pages.append(text)
        if not any(pages):
            raise FormatError(f"{path} has no text layer (a scanned PDF?); run OCR first")
        meta = _metadata(pdf)
    finally:
        pdf.close()

    source, page_starts = join_pages(pages)
    builder = TextBuilder(source)
    for number, (start, page_text) in enumerate(zip(page_starts, pages), 1):
        for block in paragraph_blocks(page_text):
            builder.begin("text", page=number)
            builder.verbatim(start + block.start, start + block.end)
    text, blocks, source_map = builder.build()
    title = meta.pop("title", None)
    created, modified = meta.pop("creation_date", None), meta.pop("mod_date", None)
    date = _date(created) or _date(modified)
    meta["pages"] = str(n_pages)
    return Parsed(
        text=text,
        blocks=blocks,
        source=source,
        source_map=source_map,
        title=title,
        date=date,
        metadata=meta,
        page_starts=page_starts,
        warnings=warnings,
    )


def join_pages(pages: list[str]) -> tuple[str, tuple[int, ...]]:
    """Pages' texts → (source, page_starts), per the layout in the module docstring."""
    starts = []
    offset = 0
    for i, page in enumerate(pages):
        starts.append(offset)
        offset += len(page) + (len(PAGE_SEPARATOR) if i < len(pages) - 1 else 0)
    return PAGE_SEPARATOR.join(pages), tuple(starts)


def _page_text(textpage) -> str:
    """One page's normalised text, a blank line between paragraphs."""
    raw = textpage.get_text_range()
    # Geometry needs text index == char index, true for nearly every PDF;
    # otherwise the page's lines are kept as pdfium gives them.
    boxes = textpage.count_chars() == len(raw)
    lines: list[str] = []
    # per line: (top, height) of its first character, (bottom, height) of its last: a
    # line of text may span two visual lines (pdfium joins a word hyphenated across them)
    metrics: list[tuple[float, float, float, float] | None] = []
    cursor = 0
    for brk in [*_LINE_BREAK.finditer(raw), None]:
        end = brk.start() if brk else len(raw)
        line = raw[cursor:end]
        lines.append(line.translate(_DROP))
        metric = None
        if boxes:
            visible = [cursor + i for i, c in enumerate(line) if not c.isspace() and ord(c) not in _DROP]
            if visible:
                _l, bottom0, _r, top0 = textpage.get_charbox(visible[0], loose=True)
                _l, bottom1, _r, top1 = textpage.get_charbox(visible[-1], loose=True)
                if top0 > bottom0 and top1 > bottom1:
                    metric = (top0, top0 - bottom0, bottom1, top1 - bottom1)
        metrics.append(metric)
        if brk:
            cursor = brk.end()
    breaks = _paragraph_breaks(metrics)
    out: list[str] = []
    for i, line in enumerate(lines):
        if i:
            out.append("\n\n" if i in breaks and lines[i - 1].strip() and line.strip() else "\n")
        out.append(line)
    return "".join(out).strip("\n")


def _paragraph_breaks(metrics: list[tuple[float, float, float, float] | None]) -> set[int]:
    """Indices of lines that start a paragraph, from their first and last characters' boxes.

    The gap between two lines is the previous line's bottom minus this line's
    top (PDF y grows upwards; negative: they overlap). The page's usual gap is
    a low quantile of the gaps between non-overlapping lines, at most
    ``_USUAL_GAP_CAP`` line heights (so a page of one-line paragraphs still
    splits); a gap larger than that by ``_PARAGRAPH_GAP`` line heights, a jump
    back up the page, or a change of text size starts a paragraph."""
    pairs = [(i, metrics[i - 1], metrics[i]) for i in range(1, len(metrics)) if metrics[i - 1] and metrics[i]]
    if not pairs:
        return set()
    height = statistics.median(m[1] for m in metrics if m)
    gaps = sorted(prev[2] - cur[0] for _i, prev, cur in pairs if prev[2] - cur[0] > -0.25 * cur[1])
    usual = min(gaps[len(gaps) // 4], _USUAL_GAP_CAP * height) if gaps else 0.0
    breaks = set()
    for i, prev, cur in pairs:
        gap = prev[2] - cur[0]
        taller = max(prev[3], cur[1])
        if (
            gap < -1.5 * taller  # back up the page: a new column
            or gap > usual + _PARAGRAPH_GAP * taller
            or abs(prev[3] - cur[1]) > _SIZE_CHANGE * taller
        ):
            breaks.add(i)
    return breaks


def _metadata(pdf) -> dict[str, str]:
    try:
        raw = pdf.get_metadata_dict(skip_empty=True)
    except Exception:  # a damaged info dictionary: no metadata, still the text
        return {}
    names = {
        "Title": "title",
        "Author": "author",
        "Subject": "subject",
        "Keywords": "keywords",
        "Creator": "creator",
        "Producer": "producer",
        "CreationDate": "creation_date",
        "ModDate": "mod_date",
    }
    meta = {}
    for key, name in names.items():
        value = " ".join(str(raw.get(key) or "").split())
        if value:
            meta[name] = value
    return meta


def _date(value: str | None) -> str | None:
    """``D:20250425103000+02'00'`` → ``2025-04-25`` (None unless a valid day)."""
    if not value:
        return None
    match = _PDF_DATE.match(value)
    if not match:
        return None
    try:
        return _dt.date(*(int(g) for g in match.groups())).isoformat()
    except ValueError:
        return None
