"""The source pane: the cited document, scrolled to the span, span highlighted.

A document is shown as a column of blocks cut at paragraph breaks (so a long
document costs a few widgets, not one per line); the block holding the span
highlights it and the viewer scrolls it into view.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Static

if TYPE_CHECKING:
    from embeddings.documents import Document

    from tui.widgets.chat import SourceTarget

BLOCK_CHARS = 1500
WINDOW_CHARS = 150_000  # documents longer than 2× this show a window around the span


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


class SourceBlock(Widget):
    """A slice of the document; highlights the part of the span it holds."""

    COMPONENT_CLASSES = {"source-block--span", "source-block--passage"}

    def __init__(self, text: str, start: int, end: int, span: tuple[int, int] | None,
                 kind: str = "answer") -> None:
        super().__init__()
        self.start = start
        self.end = end
        self.text = text[start:end]
        self.kind = kind
        self.span = None
        if span is not None and span[0] < end and start < span[1]:
            self.span = (max(span[0], start) - start, min(span[1], end) - start)
        if self.text.endswith("\n\n"):
            self.add_class("-paragraph-end")

    @property
    def display_text(self) -> str:
        return self.text.rstrip("\n") if self.text.strip() else self.text

    def _span_style(self):
        name = "source-block--span" if self.kind == "answer" else "source-block--passage"
        return self.get_component_rich_style(name)

    def render(self) -> Text:
        shown = self.display_text
        text = Text(shown, end="")
        if self.span is not None:
            text.stylize(self._span_style(), self.span[0], min(self.span[1], len(shown)))
        return text

    @property
    def highlighted_text(self) -> str:
        """What the rendered text highlights (read back from its styled spans)."""
        rendered = self.render()
        style = self._span_style()
        return "".join(rendered.plain[s.start : s.end] for s in rendered.spans if s.style == style)


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

    @property
    def blocks(self) -> list[SourceBlock]:
        return list(self.query(SourceBlock))

    @property
    def span_blocks(self) -> list[SourceBlock]:
        return [b for b in self.blocks if b.span is not None]

    @property
    def highlighted_text(self) -> str:
        return "".join(b.highlighted_text for b in self.span_blocks)

    async def show(self, document: Document, target: SourceTarget) -> None:
        self.document, self.target = document, target
        text = document.text
        span = (max(0, min(target.start, len(text))), max(0, min(target.end, len(text))))
        lo, hi = 0, len(text)
        if len(text) > 2 * WINDOW_CHARS:
            lo = max(0, span[0] - WINDOW_CHARS)
            hi = min(len(text), span[1] + WINDOW_CHARS)
        widgets: list[Widget] = []
        if lo > 0:
            widgets.append(Static(f"… {lo:,} characters above not shown", classes="elided"))
        widgets.extend(
            SourceBlock(text, s, e, span, target.kind) for s, e in split_blocks(text, lo, hi)
        )
        if hi < len(text):
            widgets.append(Static(f"… {len(text) - hi:,} characters below not shown", classes="elided"))
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
        fraction = block.span[0] / max(1, len(block.text))
        line = block.virtual_region.y + int(fraction * block.size.height)
        self.scroll_to(y=max(0, line - self.size.height // 3), animate=False)


class SourcePane(Vertical):
    """Title, where the span is, and the viewer."""

    BINDINGS = [Binding("escape", "screen.close_sources", "Close", show=True)]

    def compose(self) -> ComposeResult:
        yield Static("", id="source-title")
        yield Static("", id="source-meta")
        yield SourceViewer(id="source-viewer")

    @property
    def viewer(self) -> SourceViewer:
        return self.query_one(SourceViewer)

    async def show(self, document: Document, target: SourceTarget) -> None:
        self.query_one("#source-title", Static).update(Text(document.title))
        what = f"[{target.number}] cited" if target.kind == "answer" else "nearest passage,"
        meta = f"{what} chars {target.start}–{target.end} · {document.doc_id}"
        if document.date:
            meta += f" · {document.date}"
        self.query_one("#source-meta", Static).update(Text(meta))
        await self.viewer.show(document, target)
