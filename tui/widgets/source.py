"""The source pane: the cited document as it reads, scrolled to the span, span highlighted.

The pane shows the document's *reading text* (`Document.text`: the visible
words, markup gone), laid out by its blocks (`Document.blocks`): a heading
line with the section path wherever it changes, code blocks in a code style,
table rows one under the other, paragraphs apart. A PDF shows the page of
the span only ("Page 2 of 7"). A document without blocks shows its whole
text, cut at paragraph breaks. Long blocks are cut into slices (so a long
document costs a few widgets, not one per line); the slices holding the
span highlight it and the viewer scrolls it into view.

Every offset here is a reading-text offset (`Citation.text_start`,
`Passage.start`); the meta line above shows the span's place in the file as
stored (`span_label`: section, page, chars). All document text is made safe
(`qa.display.safe`) and shown as Rich `Text`, never markup.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

from qa.display import one_line, safe
from tui.widgets.chat import visible

if TYPE_CHECKING:
    from embeddings.documents import Document

    from tui.widgets.chat import SourceTarget

BLOCK_CHARS = 1500
WINDOW_CHARS = 150_000  # documents longer than 2× this show a window around the span
#: Between the headings of a section path (`embeddings.chunking.SECTION_SEPARATOR`,
#: not imported here so that the window paints before the pipeline loads).
SECTION_SEPARATOR = " › "


def split_blocks(text: str, start: int = 0, end: int | None = None, limit: int = BLOCK_CHARS):
    """Cut ``text[start:end]`` into ``(start, end)`` ranges at paragraph breaks,
    else line breaks, else spaces; the ranges cover it exactly."""
    end = len(text) if end is None else end
    bounds: list[tuple[int, int]] = []
    while start < end:
        stop = min(end, start + limit)
        if stop < end:
            for sep in ("\n\n", "\n", " "):
                cut = text.rfind(sep, start + 1, stop)
                if cut > start:
                    stop = cut + len(sep)
                    break
        bounds.append((start, stop))
        start = stop
    return bounds


class Slice(NamedTuple):
    """One `SourceBlock` to show: ``text[start:end]`` of a block of ``kind``."""

    start: int
    end: int
    kind: str = "text"  # text | table | code (the document block's kind)
    section: tuple[str, ...] = ()
    paragraph_end: bool = False  # a blank line below it


def page_count(document: Document) -> int:
    if document.page_starts:
        return len(document.page_starts)
    return max((b.page or 0 for b in document.blocks), default=0)


def layout(document: Document, span: tuple[int, int], page: int | None = None):
    """What the viewer shows of ``document``: slices of its reading text, in order.

    Returns ``(slices, above, below, page)``: characters left out above and
    below the window, and the page shown (None: not paged)."""
    text = document.text
    blocks = list(document.blocks)
    if not blocks:  # no structure: the whole text, cut at paragraph breaks
        lo, hi = _window(0, len(text), span)
        slices = [Slice(s, e, paragraph_end=text[s:e].endswith("\n\n"))
                  for s, e in split_blocks(text, lo, hi)]
        return slices, lo, len(text) - hi, None
    shown_page = None
    if page is not None and any(b.page == page for b in blocks):
        blocks = [b for b in blocks if b.page == page]
        shown_page = page
    lo, hi = _window(blocks[0].start, blocks[-1].end, span)
    kept = [b for b in blocks if b.end > lo and b.start < hi]
    above = sum(max(0, min(b.end, lo) - b.start) for b in blocks)
    below = sum(max(0, b.end - max(b.start, hi)) for b in blocks)
    slices: list[Slice] = []
    for i, block in enumerate(kept):
        after = kept[i + 1] if i + 1 < len(kept) else None
        # Table rows sit one under the other; everything else is a paragraph.
        joined = (after is not None and block.kind == after.kind == "table"
                  and after.section == block.section)
        pieces = split_blocks(text, max(block.start, lo), min(block.end, hi))
        for j, (s, e) in enumerate(pieces):
            last = j == len(pieces) - 1
            slices.append(Slice(s, e, block.kind, block.section, last and not joined))
    return slices, above, below, shown_page


def _window(lo: int, hi: int, span: tuple[int, int]) -> tuple[int, int]:
    if hi - lo > 2 * WINDOW_CHARS:
        return max(lo, span[0] - WINDOW_CHARS), min(hi, span[1] + WINDOW_CHARS)
    return lo, hi


class SourceBlock(Widget):
    """A slice of the document; highlights the part of the span it holds."""

    COMPONENT_CLASSES = {"source-block--span", "source-block--passage"}

    def __init__(self, text: str, start: int, end: int, span: tuple[int, int] | None,
                 kind: str = "answer", block_kind: str = "text", paragraph_end: bool | None = None,
                 section: tuple[str, ...] = ()) -> None:
        super().__init__()
        self.start = start
        self.end = end
        self.text = text[start:end]
        self.kind = kind
        self.block_kind = block_kind
        self.section = section
        raw = self.text.rstrip("\n") if self.text.strip() else self.text
        #: The reading-text range highlighted here (None: no part of the span).
        self.raw_span: tuple[int, int] | None = None
        if span is not None and span[0] < start + len(raw) and start < span[1]:
            self.raw_span = (max(span[0], start), min(span[1], start + len(raw)))
        # What is shown: control characters made visible, the highlight moved with them.
        if self.raw_span is None:
            self.shown, self.span = safe(raw), None
        else:
            self.shown, *hl = visible(raw, self.raw_span[0] - start, self.raw_span[1] - start)
            self.span = (hl[0], hl[1])
        if paragraph_end if paragraph_end is not None else self.text.endswith("\n\n"):
            self.add_class("-paragraph-end")
        if block_kind in ("code", "table"):
            self.add_class(f"-{block_kind}")

    def _span_style(self):
        name = "source-block--span" if self.kind == "answer" else "source-block--passage"
        return self.get_component_rich_style(name)

    def render(self) -> Text:
        text = Text(self.shown, end="", no_wrap=False)
        if self.span is not None and self.span[1] > self.span[0]:
            text.stylize(self._span_style(), *self.span)
        return text

    @property
    def highlighted_text(self) -> str:
        """What the rendered text highlights (read back from its styled spans)."""
        rendered = self.render()
        style = self._span_style()
        return "".join(rendered.plain[s.start : s.end] for s in rendered.spans if s.style == style)


class SectionHeading(Static):
    """The section path above the blocks under it: "Guide › Workers"."""

    def __init__(self, section: tuple[str, ...]) -> None:
        self.section = section
        super().__init__(Text(one_line(SECTION_SEPARATOR.join(section))), classes="section-heading")


class SourceViewer(VerticalScroll, can_focus=True):
    """Scrollable document text with the cited span highlighted."""

    BINDINGS = [
        Binding("n", "screen.next_citation", "Next cite", show=False),
        Binding("p", "screen.previous_citation", "Prev cite", show=False),
    ]

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.document: Document | None = None
        self.target: SourceTarget | None = None
        self.page: int | None = None  # the PDF page shown

    @property
    def blocks(self) -> list[SourceBlock]:
        return list(self.query(SourceBlock))

    @property
    def headings(self) -> list[SectionHeading]:
        return list(self.query(SectionHeading))

    @property
    def span_blocks(self) -> list[SourceBlock]:
        return [b for b in self.blocks if b.span is not None]

    @property
    def highlighted_text(self) -> str:
        """The highlighted text as shown, the parts not shown between slices (the
        blank line between two blocks) filled in from the document."""
        parts: list[str] = []
        previous = None
        for block in self.span_blocks:
            if previous is not None and self.document is not None:
                parts.append(safe(self.document.text[previous : block.raw_span[0]]))
            parts.append(block.highlighted_text)
            previous = block.raw_span[1]
        return "".join(parts)

    @property
    def shown_text(self) -> str:
        """Everything the viewer shows, as plain text, one widget a line."""
        lines = []
        for child in self.children:
            if isinstance(child, SourceBlock):
                lines.append(child.render().plain)
            elif isinstance(child, Static):
                lines.append(str(child.render()))
        return "\n".join(lines)

    async def show(self, document: Document, target: SourceTarget) -> None:
        self.document, self.target = document, target
        text = document.text
        span = (max(0, min(target.start, len(text))), max(0, min(target.end, len(text))))
        slices, above, below, page = layout(document, span, target.page)
        self.page = page
        widgets: list[Widget] = []
        if page is not None:
            widgets.append(Static(Text(f"Page {page} of {page_count(document)}"), classes="page-heading"))
        if above:
            widgets.append(Static(f"… {above:,} characters above not shown", classes="elided"))
        section: tuple[str, ...] | None = None
        for piece in slices:
            if document.blocks and piece.section != section:
                section = piece.section
                if section:
                    widgets.append(SectionHeading(section))
            widgets.append(SourceBlock(text, piece.start, piece.end, span, target.kind,
                                       piece.kind, piece.paragraph_end, piece.section))
        if below:
            widgets.append(Static(f"… {below:,} characters below not shown", classes="elided"))
        with self.app.batch_update():
            await self.remove_children()
            await self.mount_all(widgets)
        self.call_after_refresh(self.scroll_to_span)

    def on_resize(self) -> None:
        # Re-wrapping moves the span; keep it in view.
        self.call_after_refresh(self.scroll_to_span)

    def scroll_to_span(self) -> None:
        blocks = self.span_blocks
        if not blocks or self.target is None:
            return
        block = blocks[0]
        fraction = block.span[0] / max(1, len(block.shown))
        line = block.virtual_region.y + int(fraction * block.size.height)
        self.scroll_to(y=max(0, line - self.size.height // 3), animate=False)


class SourcePane(Vertical):
    """Title, where the span is (section, page, chars), and the viewer."""

    BINDINGS = [Binding("escape", "screen.close_sources", "Close", show=True)]

    def compose(self) -> ComposeResult:
        yield Static("", id="source-title")
        yield Static("", id="source-meta")
        yield SourceViewer(id="source-viewer")

    @property
    def viewer(self) -> SourceViewer:
        return self.query_one(SourceViewer)

    @property
    def title_text(self) -> str:
        return str(self.query_one("#source-title", Static).render())

    @property
    def meta_text(self) -> str:
        return str(self.query_one("#source-meta", Static).render())

    async def show(self, document: Document, target: SourceTarget) -> None:
        title = self.query_one("#source-title", Static)
        title.update(Text(one_line(document.title)))
        # The full path only in the tooltip: the pane shows the file's name
        # (an absolute path differs from machine to machine).
        title.tooltip = Text(one_line(document.path)) if document.path else None
        name = Path(document.path).name or document.title
        what = f"[{target.number}] cited" if target.kind == "answer" else "nearest passage"
        meta = f"{what} · {target.where(name)}"
        if document.date:
            meta += f" · {document.date}"
        self.query_one("#source-meta", Static).update(Text(one_line(meta)))
        await self.viewer.show(document, target)
