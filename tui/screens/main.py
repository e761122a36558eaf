"""The chat screen: conversation, status bar, question box and source pane.

It paints at once and starts a thread worker (`tui.workers`) that loads the
model and index; questions typed meanwhile are queued and answered when it is
ready. Every call into the assistant that can take a while runs in a thread
worker under one lock, and each worker reports back with a message
(`tui.messages`) handled here on the UI thread.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.css.query import NoMatches
from textual.notifications import SeverityLevel
from textual.screen import Screen
from textual.widgets import Footer, Header, ProgressBar, Static

from qa.display import one_line, safe
from qa.questions import QuestionError, check_question
from tui import workers
from tui.messages import (
    Answered,
    AnswerFailed,
    AssistantLoaded,
    Indexed,
    IndexFailed,
    IndexProgress,
    LoadFailed,
    LoadProgress,
    QuestionRefused,
    describe_paths,
)
from tui.screens.info import CorpusInfoScreen
from tui.screens.prompt import PathPrompt
from tui.widgets import ChatLog, Exchange, HistoryInput, SourceLink, SourcePane, SourceTarget
from tui.widgets.spinner import Spinner

if TYPE_CHECKING:
    from qa import Assistant, Settings
    from tui.workers import AssistantFactory

NARROW_WIDTH = 100  # below this the source pane replaces the chat instead of sitting beside it
LOADING = "Loading the model and index… (questions are queued)"


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class MainScreen(Screen[None]):
    """Chat with your documents; every answer cites its source span."""

    AUTO_FOCUS = "#question"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]
    BINDINGS = [
        # The App's global keys, listed here too so that the footer, which shows
        # a screen's keys before the App's, keeps them first and in view when narrow.
        Binding("ctrl+q", "app.quit", "Quit"),
        Binding("f1", "app.help", "Help"),
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_input", "Ask", show=False),
        Binding("f2", "focus_answers", "Answers"),
        Binding("f3", "focus_sources", "Source"),
        Binding("ctrl+n", "next_citation", "Next cite"),
        Binding("ctrl+b", "previous_citation", "Prev cite"),
        Binding("ctrl+y", "copy_answer", "Copy"),
        Binding("ctrl+l", "clear", "Clear"),
    ]

    def __init__(
        self,
        index_dir: Path | None = None,
        settings: Settings | None = None,
        assistant_factory: AssistantFactory | None = None,
        answer_count: int = 3,
    ) -> None:
        super().__init__()
        self.index_dir = index_dir
        self.settings = settings
        self.assistant_factory = assistant_factory
        self.assistant: Assistant | None = None
        self.answer_count = answer_count
        #: Show the best guesses, marked low, when no answer reaches the threshold (``qa ask --all``).
        self.best_guesses = False
        self.selected: SourceTarget | None = None
        self._queue: list[Exchange] = []
        self._lock = threading.Lock()  # one call into the assistant at a time
        self._return_focus: SourceLink | None = None
        self._indexing = False
        self._index_stage = ""
        self._load_error: str | None = None

    # ---- layout ---------------------------------------------------------
    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="main"):
            with Vertical(id="chat-column"):
                yield ChatLog(id="chat")
                with Horizontal(id="statusbar"):
                    yield Spinner(id="spinner")
                    yield Static("Starting…", id="status")
                    yield ProgressBar(id="progress", show_eta=False)
                yield HistoryInput(
                    placeholder="Ask a question about your documents…", id="question"
                )
            yield SourcePane(id="sources")
        yield Footer()

    @property
    def chat(self) -> ChatLog:
        return self.query_one("#chat", ChatLog)

    @property
    def question_input(self) -> HistoryInput:
        return self.query_one("#question", HistoryInput)

    @property
    def sources(self) -> SourcePane:
        return self.query_one("#sources", SourcePane)

    @property
    def sources_open(self) -> bool:
        return self.query_one("#main").has_class("-show-sources")

    @property
    def _narrow(self) -> bool:
        return self.size.width < NARROW_WIDTH

    def on_mount(self) -> None:
        self._set_status(LOADING)
        self.run_worker(
            partial(workers.load_assistant, self, self.index_dir, self.settings,
                    self.assistant_factory),
            name="load", group="load", thread=True, exclusive=True, exit_on_error=False,
        )

    # ---- status ---------------------------------------------------------
    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry paths and error text: not markup unless asked for, and
        never a control character (a file name can hold one)."""
        self.app.notify(safe(message), title=safe(title), severity=severity, timeout=timeout,
                        markup=markup)

    def _set_status(self, text: str) -> None:
        # Paths may hold "[" (never markup) or control characters (shown, not sent).
        self.query_one("#status", Static).update(Text(safe(text)))

    def _ready_status(self) -> None:
        if self.assistant is None:
            return
        info = self.assistant.info()
        self._set_status(
            f"Ready · {plural(info.documents, 'document')} · {info.passages} passages · "
            f"up to {plural(self.answer_count, 'answer')}"
        )

    def _busy(self, busy: bool) -> None:
        self.query_one("#spinner").display = busy

    # ---- loading (messages from workers.load_assistant) ------------------
    def on_load_progress(self, message: LoadProgress) -> None:
        self._set_status(f"Indexing the seed article: {message.stage}… {message.done}/{message.total}")

    def on_assistant_loaded(self, message: AssistantLoaded) -> None:
        self.assistant = message.assistant
        self._busy(False)
        self._ready_status()
        queued, self._queue = self._queue, []
        for exchange in queued:
            if exchange.is_attached:
                self._ask(exchange)
        self.refresh_bindings()

    async def on_load_failed(self, message: LoadFailed) -> None:
        self._busy(False)
        self._load_error = message.error
        self._set_status(f"Could not load the assistant: {message.error}")
        self.notify(message.error, title="Could not load the assistant", severity="error",
                    timeout=30)
        queued, self._queue = self._queue, []
        for exchange in queued:
            if exchange.is_attached:
                await exchange.show_error("Not answered: the assistant could not load.")

    # ---- asking ---------------------------------------------------------
    @on(HistoryInput.Submitted, "#question")
    async def question_submitted(self, event: HistoryInput.Submitted) -> None:
        question = event.value
        if not question.strip():
            return
        if self._load_error is not None:
            self.notify(self._load_error, title="The assistant could not load", severity="error")
            return
        try:
            check_question(question)  # the assistant checks again; this is before it loads
        except QuestionError as exc:
            self._refuse(None, str(exc))
            return  # the text stays in the box to be edited
        field = self.question_input
        field.remember(question)
        field.value = ""
        exchange = await self.chat.add_exchange(question.strip())
        if self.assistant is None:
            exchange.set_pending("Queued: answering as soon as the model has loaded…")
            self._queue.append(exchange)
        else:
            self._ask(exchange)
        self.refresh_bindings()

    async def ask(self, question: str) -> None:
        """Ask programmatically, as if typed and sent."""
        self.question_input.value = question
        await self.question_input.action_submit()

    def _ask(self, exchange: Exchange) -> None:
        assert self.assistant is not None
        exchange.set_pending("Searching your documents…")
        self.run_worker(
            partial(workers.answer, self, self.assistant, self._lock, exchange, self.answer_count,
                    guesses=self.best_guesses),
            name="ask", group="ask", thread=True, exit_on_error=False,
        )

    async def on_answered(self, message: Answered) -> None:
        exchange = message.exchange
        if not exchange.is_attached:
            return  # cleared meanwhile
        await exchange.show_result(message.result)
        self.chat.reveal(exchange)
        if not self._indexing:  # each question reads the latest commit: `qa watch` or `qa index` elsewhere
            self._ready_status()
        self.refresh_bindings()

    def on_question_refused(self, message: QuestionRefused) -> None:
        self._refuse(message.exchange, message.reason)

    def _refuse(self, exchange: Exchange | None, reason: str) -> None:
        if exchange is not None and exchange.is_attached:
            exchange.remove()
        self.notify(reason[:1].upper() + reason[1:], title="Question not asked", severity="warning")

    async def on_answer_failed(self, message: AnswerFailed) -> None:
        if message.exchange.is_attached:
            await message.exchange.show_error(f"Could not answer: {message.error}")
        self.notify(message.error, title="Could not answer", severity="error")

    # ---- sources --------------------------------------------------------
    @on(SourceLink.Selected)
    async def link_selected(self, event: SourceLink.Selected) -> None:
        event.stop()
        await self.open_source(event.link.target, event.link)

    async def open_source(self, target: SourceTarget, link: SourceLink | None = None) -> None:
        if self.assistant is None:
            return
        try:
            document = self.assistant.document(target.doc_id)
        except KeyError:
            name = Path(target.path).name or target.doc_id
            self.notify(f"{name} is no longer in the index", severity="error")
            return
        self.selected = target
        self._return_focus = link
        self.query_one("#main").add_class("-show-sources")
        await self.sources.show(document, target)
        if link is None or self._narrow:
            self.sources.viewer.focus()  # the chat column is hidden when narrow
        self.refresh_bindings()

    def action_close_sources(self) -> None:
        if not self.sources_open:
            return
        self.query_one("#main").remove_class("-show-sources")
        link = self._return_focus
        if link is not None and link.is_attached:
            link.focus()
        else:
            self.question_input.focus()
        self.refresh_bindings()

    def _current_link_index(self, links: list[SourceLink]) -> int | None:
        focused = self.focused
        if isinstance(focused, SourceLink) and focused in links:
            return links.index(focused)
        if self.selected is not None:
            for i, link in enumerate(links):
                if link.target is self.selected:
                    return i
        return None

    async def _step_citation(self, step: int) -> None:
        links = self.chat.links
        if not links:
            self.notify("No citations yet: ask a question first")
            return
        current = self._current_link_index(links)
        if current is None:
            last = self.chat.exchanges[-1] if self.chat.exchanges else None
            in_last = [l for l in links if last is not None and last in l.ancestors]
            index = links.index(in_last[0]) if in_last else len(links) - 1
        else:
            index = (current + step) % len(links)
        link = links[index]
        if not self._narrow:
            link.focus()
        link.scroll_visible(animate=False)
        await self.open_source(link.target, link)

    async def action_next_citation(self) -> None:
        await self._step_citation(+1)

    async def action_previous_citation(self) -> None:
        await self._step_citation(-1)

    # ---- focus ----------------------------------------------------------
    def action_focus_input(self) -> None:
        if self._narrow and self.sources_open:
            self.query_one("#main").remove_class("-show-sources")
        self.question_input.focus()

    def action_back(self) -> None:
        """Esc: from the source pane back to the chat, else to the question box."""
        focused = self.focused
        if focused is not None and self.sources in focused.ancestors_with_self:
            self.action_close_sources()
        elif focused is not self.question_input:
            self.action_focus_input()
        elif self.sources_open:
            self.action_close_sources()

    def action_focus_answers(self) -> None:
        if self._narrow and self.sources_open:
            self.query_one("#main").remove_class("-show-sources")
        exchanges = [e for e in self.chat.exchanges if e.query(SourceLink)]
        if exchanges:
            link = exchanges[-1].query(SourceLink).first()
            link.focus()
            link.scroll_visible(animate=False)
        else:
            self.chat.focus()

    def action_focus_sources(self) -> None:
        if self.sources_open:
            self.sources.viewer.focus()
        else:
            self.notify("Select a citation to open its source")

    # ---- other actions --------------------------------------------------
    def action_copy_answer(self) -> None:
        target = None
        focused = self.focused
        if isinstance(focused, SourceLink):
            target = focused.target
        elif self.selected is not None:
            target = self.selected
        else:
            for exchange in reversed(self.chat.exchanges):
                links = [l for l in exchange.query(SourceLink) if l.target.answer is not None]
                if links:
                    target = links[0].target
                    break
        if target is None:
            self.notify("No answer to copy yet")
            return
        self.app.copy_to_clipboard(target.clipboard_text())
        what = "answer and its citation" if target.answer is not None else "citation"
        self.notify(f"Copied the {what}")

    async def action_clear(self) -> None:
        for exchange in self._queue:
            exchange.remove()
        self._queue = []
        self.query_one("#main").remove_class("-show-sources")
        self.selected = None
        self._return_focus = None
        await self.chat.clear()
        self.question_input.focus()
        self.refresh_bindings()

    def set_best_guesses(self, show: bool) -> None:
        self.best_guesses = show
        self.notify("Best guesses below the threshold are shown, marked low" if show
                    else "Only answers above the threshold are shown")

    def set_answer_count(self, n: int) -> None:
        self.answer_count = n
        self._ready_status()
        self.notify(f"Up to {plural(n, 'answer')} per question")

    def action_corpus_info(self) -> None:
        if self.assistant is None:
            self.notify("Still loading the model and index…", severity="warning")
            return
        info = self.assistant.info()
        titles = sorted(one_line(d.title) for d in self.assistant.documents)
        listed = "\n".join(titles[:8]) + (f"\n… and {len(titles) - 8} more" if len(titles) > 8 else "")
        rows = [
            ("Documents", str(info.documents)),
            ("Passages", str(info.passages)),
            ("Model", info.model),
            ("Reader", info.reader),
            ("Index", info.index_dir or "in memory (not saved)"),
            ("Answers", f"up to {self.answer_count} per question"),
            ("Titles", listed or "—"),
        ]
        self.app.push_screen(CorpusInfoScreen(rows))

    # ---- indexing (messages from workers.index_paths) --------------------
    def action_index_prompt(self) -> None:
        if self.assistant is None:
            self.notify("Still loading the model and index…", severity="warning")
            return
        if self._indexing:
            self.notify("Already indexing; wait for it to finish", severity="warning")
            return
        self.app.push_screen(PathPrompt(), callback=self._path_chosen)

    def _path_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.index_paths([path])

    def index_paths(self, paths: list[Path]) -> None:
        """Add files or folders to the index in a worker; the status bar shows progress."""
        if self.assistant is None:
            return
        self._indexing = True
        self._busy(True)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._set_status(f"Indexing {describe_paths(paths)}…")
        self._index_stage = ""
        self.run_worker(
            partial(workers.index_paths, self, self.assistant, self._lock, list(paths)),
            name="index", group="index", thread=True, exit_on_error=False,
        )

    def on_index_progress(self, message: IndexProgress) -> None:
        """One bar per stage in turn: reading files, splitting text, embedding passages."""
        if message.stage != self._index_stage:
            self._index_stage = message.stage
            self._set_status(f"Indexing: {message.stage}…")
        self.query_one("#progress", ProgressBar).update(
            total=max(message.total, 1), progress=message.done
        )

    def on_indexed(self, message: Indexed) -> None:
        self._indexing_done()
        self.notify(message.summary, title="Indexing")

    def on_index_failed(self, message: IndexFailed) -> None:
        self._indexing_done()
        self.notify(message.error, title="Could not index", severity="error")

    def _indexing_done(self) -> None:
        self._indexing = False
        self._index_stage = ""
        self._busy(False)
        self.query_one("#progress", ProgressBar).display = False
        self._ready_status()

    # ---- footer ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            chat = self.chat
        except NoMatches:  # not composed yet
            return True
        if self.app.screen is not self:
            return False  # a modal (help, prompt, palette) is on top: its keys, not the chat's
        if action == "back":
            return self.sources_open or self.focused is not self.question_input
        if action == "focus_sources":
            return self.sources_open
        if action in ("next_citation", "previous_citation", "copy_answer"):
            return bool(chat.links)
        if action == "clear":
            return bool(chat.exchanges)
        return True

