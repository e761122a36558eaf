"""The terminal chat app (`qa chat`).

The window paints at once; a thread worker then loads the model and index
(``qa`` is imported there, not here). Questions typed meanwhile are queued
and answered when it is ready. Every call into the assistant runs in a thread
worker under one lock, so the UI never blocks and the index is never read
while it is being written.
"""

from __future__ import annotations

import threading
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from rich.text import Text
from textual import on, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.containers import Horizontal, Vertical
from textual.notifications import SeverityLevel
from textual.widgets import Footer, Header, ProgressBar, Static

from tui.screens import CorpusInfoScreen, HelpScreen, PathPrompt
from tui.widgets.spinner import Spinner
from tui.widgets import ChatLog, Exchange, HistoryInput, SourceLink, SourcePane, SourceTarget

if TYPE_CHECKING:
    from qa import Assistant, AskResult

AssistantFactory = Callable[[], "Assistant"]
ANSWER_COUNTS = (1, 3, 5)
CHAT_ACTIONS = {
    "back", "focus_input", "focus_answers", "focus_sources", "next_citation",
    "previous_citation", "copy_answer", "clear",
}
NARROW_WIDTH = 100  # below this the source pane replaces the chat instead of sitting beside it


class QACommands(Provider):
    """Command palette (Ctrl+P): index documents, corpus info, answers per question."""

    def _commands(self) -> list[tuple[str, Callable[[], Any], str]]:
        app = self.app
        assert isinstance(app, QAApp)
        commands = [
            ("Index a file or folder…", app.action_index_prompt,
             "Add .txt/.md documents to the index"),
            ("Show corpus info", app.action_corpus_info,
             "Documents, passages, model and index location"),
        ]
        for n in ANSWER_COUNTS:
            current = " (current)" if n == app.answer_count else ""
            commands.append(
                (f"Answers per question: {n}", partial(app.set_answer_count, n),
                 f"Show up to {n} ranked answer{'s' if n > 1 else ''}{current}")
            )
        return commands

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)


class QAApp(App[None]):
    """Chat with your documents; every answer cites its source span."""

    CSS_PATH = "app.tcss"
    TITLE = "Cited QA"
    COMMANDS = App.COMMANDS | {QACommands}
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (NARROW_WIDTH, "-wide")]
    BINDINGS = [
        Binding("f1", "help", "Help"),
        Binding("question_mark", "help", "Help", show=False),
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_input", "Ask", show=False),
        Binding("f2", "focus_answers", "Answers"),
        Binding("f3", "focus_sources", "Source"),
        Binding("ctrl+n", "next_citation", "Next cite"),
        Binding("ctrl+b", "previous_citation", "Prev cite"),
        Binding("ctrl+y", "copy_answer", "Copy"),
        Binding("ctrl+l", "clear", "Clear"),
        Binding("ctrl+q", "quit", "Quit", priority=True),
    ]

    def __init__(
        self,
        index_dir: Path | None = None,
        assistant_factory: AssistantFactory | None = None,
        answer_count: int = 3,
    ) -> None:
        super().__init__()
        self.index_dir = Path(index_dir) if index_dir is not None else None
        self.assistant_factory = assistant_factory
        self.assistant: Assistant | None = None
        self.answer_count = answer_count
        self.selected: SourceTarget | None = None
        self._queue: list[Exchange] = []
        self._lock = threading.Lock()  # one call into the assistant at a time
        self._return_focus: SourceLink | None = None
        self._indexing = False
        self._load_error: str | None = None
        self.sub_title = self.index_dir.name if self.index_dir else "seed article"

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

    @property
    def ready(self) -> bool:
        return self.assistant is not None

    def on_mount(self) -> None:
        self.question_input.focus()
        self._set_status("Loading the model and index… (questions are queued)")
        self.load_assistant()

    # ---- thread helpers -------------------------------------------------
    def _from_thread(self, callback: Callable[..., Any], *args: Any) -> None:
        """Run ``callback`` on the UI thread; ignore it if the app has gone."""
        try:
            self.call_from_thread(callback, *args)
        except RuntimeError:
            pass

    def _set_status(self, text: str) -> None:
        self.query_one("#status", Static).update(Text(text))  # paths may hold "[", never markup

    def notify(self, message: str, *, title: str = "", severity: SeverityLevel = "information",
               timeout: float | None = None, markup: bool = False) -> None:
        """Notifications carry paths and error text: not markup unless asked for."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def _ready_status(self) -> None:
        if self.assistant is None:
            return
        info = self.assistant.info()
        docs = f"{info.documents} document{'s' if info.documents != 1 else ''}"
        self._set_status(
            f"Ready · {docs} · {info.passages} passages · up to {self.answer_count} "
            f"answer{'s' if self.answer_count != 1 else ''}"
        )

    def _busy(self, busy: bool) -> None:
        self.query_one("#spinner").display = busy

    # ---- loading --------------------------------------------------------
    @work(thread=True, exclusive=True, group="load", exit_on_error=False)
    def load_assistant(self) -> None:
        def progress(done: int, total: int) -> None:
            self._from_thread(self._set_status, f"Indexing the seed article… {done}/{total}")

        try:
            if self.assistant_factory is not None:
                assistant = self.assistant_factory()
            else:
                from qa import Assistant  # heavy: imported off the UI thread

                if self.index_dir is not None:
                    assistant = Assistant.load(self.index_dir)
                else:
                    assistant = Assistant.default(progress=progress)
        except Exception as exc:  # shown to the user, never a traceback
            self._from_thread(self._load_failed, exc)
            return
        self._from_thread(self._loaded, assistant)

    def _loaded(self, assistant: Assistant) -> None:
        self.assistant = assistant
        self._busy(False)
        self._ready_status()
        queued, self._queue = self._queue, []
        for exchange in queued:
            if exchange.is_attached:
                self._ask(exchange)
        self.refresh_bindings()

    async def _load_failed(self, exc: BaseException) -> None:
        self._busy(False)
        message = str(exc) or exc.__class__.__name__
        self._load_error = message
        self._set_status(f"Could not load the assistant: {message}")
        self.notify(message, title="Could not load the assistant", severity="error", timeout=30)
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
        if self.assistant is not None:
            try:  # already imported by the loader: free; checked again in the worker
                from qa.assistant import QuestionError, check_question
            except ImportError:
                pass
            else:
                try:
                    check_question(question)
                except QuestionError as exc:
                    self._refused(None, str(exc))
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
        exchange.set_pending("Searching your documents…")
        self._answer(exchange, exchange.question, self.answer_count)

    @work(thread=True, group="ask", exit_on_error=False)
    def _answer(self, exchange: Exchange, question: str, k: int) -> None:
        from qa import QuestionError

        assistant = self.assistant
        assert assistant is not None
        try:
            with self._lock:
                result = assistant.ask(question, k=k)
        except QuestionError as exc:
            self._from_thread(self._refused, exchange, str(exc))
            return
        except Exception as exc:
            self._from_thread(self._ask_failed, exchange, exc)
            return
        self._from_thread(self._answered, exchange, result)

    async def _answered(self, exchange: Exchange, result: AskResult) -> None:
        if not exchange.is_attached:
            return  # cleared meanwhile
        await exchange.show_result(result)
        self.chat.reveal(exchange)
        self.refresh_bindings()

    def _refused(self, exchange: Exchange | None, message: str) -> None:
        if exchange is not None and exchange.is_attached:
            exchange.remove()
        self.notify(message[:1].upper() + message[1:], title="Question not asked",
                    severity="warning")

    async def _ask_failed(self, exchange: Exchange, exc: BaseException) -> None:
        message = str(exc) or exc.__class__.__name__
        if exchange.is_attached:
            await exchange.show_error(f"Could not answer: {message}")
        self.notify(message, title="Could not answer", severity="error")

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
            self.notify(f"{target.doc_id} is no longer in the index", severity="error")
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
            self.notify("No citations yet: ask a question first", severity="information")
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
            self.notify("Select a citation to open its source", severity="information")

    # ---- other actions --------------------------------------------------
    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())

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
            self.notify("No answer to copy yet", severity="information")
            return
        self.copy_to_clipboard(target.clipboard_text())
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

    def set_answer_count(self, n: int) -> None:
        self.answer_count = n
        self._ready_status()
        self.notify(f"Up to {n} answer{'s' if n != 1 else ''} per question")

    def action_corpus_info(self) -> None:
        if self.assistant is None:
            self.notify("Still loading the model and index…", severity="warning")
            return
        info = self.assistant.info()
        titles = sorted(d.title for d in self.assistant.documents)
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
        self.push_screen(CorpusInfoScreen(rows))

    # ---- indexing -------------------------------------------------------
    def action_index_prompt(self) -> None:
        if self.assistant is None:
            self.notify("Still loading the model and index…", severity="warning")
            return
        if self._indexing:
            self.notify("Already indexing; wait for it to finish", severity="warning")
            return
        self.push_screen(PathPrompt(), callback=self._path_chosen)

    def _path_chosen(self, path: Path | None) -> None:
        if path is not None:
            self.index_paths([path])

    @work(thread=True, exclusive=True, group="index", exit_on_error=False)
    def index_paths(self, paths: list[Path]) -> None:
        from embeddings.documents import DocumentError

        assistant = self.assistant
        if assistant is None:
            return
        shown = ", ".join(str(p) for p in paths)

        def progress(done: int, total: int) -> None:
            self._from_thread(self._indexing_progress, done, total)

        self._from_thread(self._indexing_started, shown)
        try:
            with self._lock:
                report = assistant.add(paths, progress=progress)
        except DocumentError as exc:
            self._from_thread(self._indexing_done, str(exc), "error")
            return
        except Exception as exc:
            message = str(exc) or exc.__class__.__name__
            self._from_thread(self._indexing_done, f"Could not index {shown}: {message}", "error")
            return
        parts = [f"{len(report.added)} added", f"{len(report.updated)} updated",
                 f"{len(report.unchanged)} unchanged"]
        self._from_thread(
            self._indexing_done,
            f"Indexed {shown}: {', '.join(parts)} ({report.embedded_passages} passages embedded)",
            "information",
        )

    def _indexing_started(self, shown: str) -> None:
        self._indexing = True
        self._busy(True)
        bar = self.query_one("#progress", ProgressBar)
        bar.update(total=None, progress=0)
        bar.display = True
        self._set_status(f"Indexing {shown}…")

    def _indexing_progress(self, done: int, total: int) -> None:
        self.query_one("#progress", ProgressBar).update(total=max(total, 1), progress=done)

    def _indexing_done(self, message: str, severity: str) -> None:
        self._indexing = False
        self._busy(False)
        self.query_one("#progress", ProgressBar).display = False
        self._ready_status()
        self.notify(message, severity=severity, title="Indexing" if severity != "error" else "Could not index")  # type: ignore[arg-type]

    # ---- footer ---------------------------------------------------------
    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        try:
            chat = self.chat
        except Exception:  # not composed yet
            return True
        if action in CHAT_ACTIONS and self.screen is not self.default_screen:
            return False  # a modal (help, prompt, palette) is on top: leave the chat alone
        if action == "back":
            return self.sources_open or self.focused is not self.question_input
        if action == "focus_sources":
            return self.sources_open
        if action in ("next_citation", "previous_citation"):
            return bool(chat.links)
        if action == "copy_answer":
            return bool(chat.links)
        if action == "clear":
            return bool(chat.exchanges)
        return True


def run(index_dir: Path | None = None) -> None:
    """Entry point for ``qa chat [--index DIR]``."""
    QAApp(index_dir=index_dir).run()
