"""The conversation: questions, cited answer cards, and honest "not found" cards.

Nothing here imports the model: results arrive as plain `qa` dataclasses in
the workers' messages.  Colours come from component classes styled in app.tcss
with theme variables, so light and dark themes both read well.

Document text (answers, sentences, titles, passages, labels) is shown as a Rich
`Text`, never markup, after `qa.display.safe` has made any control character
or escape sequence visible (``\\x1b``) instead of sent to the terminal.
Highlights are placed with reading-text offsets (`Citation.in_sentence`,
`Citation.text_start`), then moved to where they land in the safe text.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

from qa.display import one_line, safe

if TYPE_CHECKING:
    from qa import Answer, AskResult, RetrievedPassage

SNIPPET_CHARS = 160


def flat(text: str) -> str:
    """Same length, one line: newlines and tabs become spaces (offsets survive)."""
    return text.replace("\r", " ").replace("\n", " ").replace("\t", " ")


def visible(text: str, start: int, end: int) -> tuple[str, int, int]:
    """``text`` made safe to show, and where ``text[start:end]`` lands in it.

    `safe` replaces single characters, so each part can be made safe alone."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    before, inside = safe(text[:start]), safe(text[start:end])
    return before + inside + safe(text[end:]), len(before), len(before) + len(inside)


def snippet(text: str, limit: int = SNIPPET_CHARS) -> str:
    text = " ".join(safe(text).split())
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip(" ,;:") + " …"


def answer_span(answer: Answer) -> tuple[str, int, int]:
    """The answer's sentence and the answer's offsets inside it.

    Offsets come from the citation (`Citation.in_sentence`: reading-text
    offsets, so markup in the file never shifts them); if they do not point
    at the answer text (they always should), fall back to a search.
    """
    c = answer.citation
    sentence = answer.sentence
    start, end = c.in_sentence
    if not (0 <= start <= end <= len(sentence)) or sentence[start:end] != answer.text:
        found = sentence.find(answer.text)
        if found < 0:
            return answer.text, 0, len(answer.text)
        start, end = found, found + len(answer.text)
    return sentence, start, end


@dataclass(frozen=True)
class SourceTarget:
    """Something the source pane can open: a cited answer span or a passage."""

    doc_id: str
    #: "title › section · p. N · chars a–b": `Citation.label` / `RetrievedPassage.label`
    label: str
    start: int  # the span in the document's reading text (what the source pane highlights)
    end: int
    number: int
    kind: str = "answer"  # "answer" | "passage"
    answer: Answer | None = None
    path: str = ""  # the file (the clipboard text and tooltips; never a snapshot)
    source_start: int = 0  # the span in the source as stored (the label's "chars a–b")
    source_end: int = 0
    page: int | None = None  # 1-based, PDFs
    section: tuple[str, ...] = ()

    @classmethod
    def for_answer(cls, answer: Answer, number: int) -> SourceTarget:
        c = answer.citation
        start, end = c.text_start, c.text_end
        if end <= start and answer.text:
            start, end = c.start, c.end  # made without reading-text offsets: text is the source
        return cls(c.doc_id, c.label, start, end, number, "answer", answer, c.path,
                   c.start, c.end, c.page, tuple(c.section))

    @classmethod
    def for_passage(cls, retrieved: RetrievedPassage, number: int) -> SourceTarget:
        p = retrieved.passage
        where = retrieved.location
        return cls(p.doc_id, retrieved.label, p.start, p.end, number, "passage", None,
                   retrieved.document.path, where.start, where.end, where.page, tuple(p.section))

    def where(self, name: str) -> str:
        """The place as `span_label` writes it, under ``name`` (the file's name, say)."""
        from qa.citations import span_label  # loaded with the assistant

        return span_label(name, self.source_start, self.source_end, self.page, self.section)

    def clipboard_text(self) -> str:
        """What Ctrl+Y copies: the answer, its citation label and the file's path."""
        lines = [self.answer.text] if self.answer is not None else []
        lines.append(f"[{self.number}] {self.label}")
        if self.path:
            lines.append(self.path)
        return safe("\n".join(lines))


class SourceLink(Widget, can_focus=True):
    """A numbered citation marker; Enter or a click opens it in the source pane."""

    BINDINGS = [Binding("enter,space", "select", "Open source", show=True)]
    COMPONENT_CLASSES = {"source-link--number"}

    class Selected(Message):
        def __init__(self, link: SourceLink) -> None:
            super().__init__()
            self.link = link

        @property
        def target(self) -> SourceTarget:
            return self.link.target

    def __init__(self, target: SourceTarget, **kwargs) -> None:
        super().__init__(**kwargs)
        self.target = target
        where = f"\n{one_line(target.path)}" if target.path else ""
        self.tooltip = Text(f"Open this source (Enter){where}")

    def render(self) -> Text:
        marker = f"[{self.target.number}]" if self.target.kind == "answer" else "↳"
        text = Text(end="")
        text.append(marker, self.get_component_rich_style("source-link--number"))
        text.append(" " + one_line(self.target.label))
        return text

    def action_select(self) -> None:
        self.post_message(self.Selected(self))

    def on_click(self, event) -> None:
        event.stop()  # the answer row would open it a second time
        self.focus()
        self.action_select()


class AnswerText(Widget):
    """The sentence holding the answer, with the answer span highlighted."""

    COMPONENT_CLASSES = {"answer-text--span"}

    def __init__(self, sentence: str, start: int, end: int, **kwargs) -> None:
        super().__init__(**kwargs)
        # What is shown: one line, control characters made visible, the span moved with them.
        self.sentence, *span = visible(flat(sentence), start, end)
        self.span = (span[0], span[1])

    @property
    def highlighted(self) -> str:
        return self.sentence[self.span[0] : self.span[1]]

    def render(self) -> Text:
        text = Text(self.sentence, end="")
        start, end = self.span
        if end > start:
            text.stylize(self.get_component_rich_style("answer-text--span"), start, end)
        return text


class AnswerItem(Horizontal):
    """One ranked answer: rank, highlighted sentence, citation marker, score."""

    def __init__(self, answer: Answer, number: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.answer = answer
        self.number = number
        self.target = SourceTarget.for_answer(answer, number)
        if number > 1:
            self.add_class("-secondary")

    def compose(self) -> ComposeResult:
        sentence, start, end = answer_span(self.answer)
        yield Static(str(self.number), classes="rank")
        with Vertical(classes="body"):
            yield AnswerText(sentence, start, end)
            yield SourceLink(self.target)
        label = f"{self.answer.confidence} {self.answer.score:.2f}" if self.answer.confidence else f"{self.answer.score:.2f}"
        score = Static(label, classes="score")
        score.tooltip = "confidence: the calibrated chance (0–1) that this answer is right"
        yield score

    def on_click(self) -> None:
        """Clicking anywhere on the answer opens its citation."""
        link = self.query_one(SourceLink)
        link.focus()
        link.action_select()


class AnswerCard(Vertical):
    """Ranked answers, best first."""

    def __init__(self, result: AskResult, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result = result
        n = len(result.answers)
        if result.abstained:  # best guesses, asked for: none reached the threshold
            guesses = "Best guess" if n == 1 else f"{n} best guesses"
            self.border_title = f"{guesses} · below the {result.threshold or 0:.2f} threshold"
        else:
            self.border_title = "Answer" if n == 1 else f"{n} answers · best first"

    def compose(self) -> ComposeResult:
        for number, answer in enumerate(self.result.answers, 1):
            yield AnswerItem(answer, number)


class PassageItem(Vertical):
    def __init__(self, retrieved: RetrievedPassage, number: int, **kwargs) -> None:
        super().__init__(**kwargs)
        self.retrieved = retrieved
        self.target = SourceTarget.for_passage(retrieved, number)

    def compose(self) -> ComposeResult:
        yield Static(Text(snippet(self.retrieved.passage.text)), classes="snippet")
        yield SourceLink(self.target)


class NotFoundCard(Vertical):
    """An abstention: said plainly, with the nearest passages to read yourself."""

    def __init__(self, result: AskResult, max_passages: int = 3, **kwargs) -> None:
        super().__init__(**kwargs)
        self.result = result
        self.max_passages = max_passages
        self.border_title = "No answer"

    def compose(self) -> ComposeResult:
        from qa.citations import NO_ANSWER_REASON, NOT_FOUND  # loaded with the assistant

        yield Static(NOT_FOUND, classes="headline")
        passages = self.result.passages[: self.max_passages]
        reason = self.result.reason or NO_ANSWER_REASON
        if reason == NO_ANSWER_REASON and self.result.threshold is not None:
            reason += f" ({self.result.threshold:.2f})"
        reason = reason[:1].upper() + reason[1:]
        if passages:
            yield Static(Text(f"{safe(reason)}. Nearest passages:"), classes="reason")
            for number, retrieved in enumerate(passages, 1):
                yield PassageItem(retrieved, number)
        else:
            yield Static(Text(f"{safe(reason)}."), classes="reason")


class Exchange(Vertical):
    """One question and what came back for it."""

    def __init__(self, question: str, **kwargs) -> None:
        super().__init__(**kwargs)
        self.question = question
        self.result: AskResult | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text("❯ " + safe(flat(self.question))), classes="question")
        yield Static("", classes="pending")

    def set_pending(self, message: str) -> None:
        for pending in self.query(".pending"):
            pending.update(Text(message))

    async def show_result(self, result: AskResult) -> None:
        self.result = result
        await self.query(".pending").remove()
        if result.abstained and not result.answers:
            await self.mount(NotFoundCard(result))
        else:
            await self.mount(AnswerCard(result))

    async def show_error(self, message: str) -> None:
        await self.query(".pending").remove()
        await self.mount(Static(Text(safe(message)), classes="error"))


class ChatLog(VerticalScroll):
    """The conversation, oldest first."""

    WELCOME = (
        "Ask a question about your documents. Every answer cites the exact span it "
        "comes from; select a citation to read it in its source.  F1 or ? for help."
    )

    def compose(self) -> ComposeResult:
        yield Static(self.WELCOME, id="welcome")

    @property
    def exchanges(self) -> list[Exchange]:
        return list(self.query(Exchange))

    @property
    def links(self) -> list[SourceLink]:
        return list(self.query(SourceLink))

    async def add_exchange(self, question: str) -> Exchange:
        exchange = Exchange(question)
        self.query_one("#welcome").display = False  # room for the conversation
        await self.mount(exchange)
        self.reveal(exchange)
        return exchange

    def reveal(self, exchange: Exchange) -> None:
        """Scroll so the exchange's question is in view (or the log's end)."""

        def scroll() -> None:
            if exchange.outer_size.height >= self.scrollable_content_region.height:
                self.scroll_to_widget(exchange, top=True, animate=False)
            else:
                self.scroll_end(animate=False)

        self.call_after_refresh(scroll)

    async def clear(self) -> None:
        await self.query(Exchange).remove()
        self.query_one("#welcome").display = True
        self.scroll_home(animate=False)
