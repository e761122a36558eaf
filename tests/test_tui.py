"""The terminal chat, driven with Textual's Pilot.

Tests marked ``slow`` hand the app one real `Assistant` over the seed article
(the session's ``seed_assistant``, so the model loads once) through
``assistant_factory``, so the user cache is never touched; tests that change
the corpus build their own. The others use `FakeAssistant`, which loads no
model: they cover the screen's own behaviour (queueing, refusals, the
workers' messages, one call into the assistant at a time).
"""

from __future__ import annotations

import asyncio
import io
import re
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rich.console import Console
from textual.widgets import Static

from embeddings.documents import Document
from embeddings.index import SyncReport
from qa.citations import Answer, AskResult, Citation
from qa.questions import QuestionError, check_question
from tui.app import QAApp
from tui.messages import AnswerFailed, Answered, AssistantLoaded, QuestionRefused
from tui.screens import CorpusInfoScreen, MainScreen
from tui.widgets import AnswerCard, Exchange, NotFoundCard, SourceLink
from tui.widgets.chat import AnswerText, flat
from tui.widgets.source import split_blocks

if TYPE_CHECKING:
    from qa import Assistant

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SIZE = (100, 30)


@pytest.fixture(scope="module")
def assistant(seed_assistant) -> Assistant:
    """The session's real assistant over the seed (tests/conftest.py); read-only here."""
    return seed_assistant


NOTE = Document(
    doc_id="notes.txt",
    path="notes.txt",
    title="Notes",
    text="The lighthouse keeper kept seventeen cats. They were named after rivers.\n",
)


def cited(question: str, phrase: str = "seventeen cats") -> AskResult:
    """A one-answer result citing ``phrase`` in NOTE, as the real assistant would."""
    text = NOTE.text
    start = text.index(phrase)
    end = start + len(phrase)
    sentence_end = text.index(".", end) + 1
    citation = Citation(NOTE.doc_id, NOTE.path, NOTE.title, start, end, 0, sentence_end,
                        0, len(text), text)
    return AskResult(question, [Answer(phrase, 0.9, citation, text[:sentence_end])], False, [])


class FakeAssistant:
    """Stands in for `qa.Assistant` (no model): cites NOTE for every question.

    Questions containing "refuse" raise `QuestionError`, "explode" a
    RuntimeError. It counts how many calls are inside it at once."""

    def __init__(self, delay: float = 0.0) -> None:
        self.documents = [NOTE]
        self.delay = delay
        self.calls = 0
        self.max_inside = 0
        self._inside = 0
        self._count = threading.Lock()

    @contextmanager
    def _call(self):
        with self._count:
            self.calls += 1
            self._inside += 1
            self.max_inside = max(self.max_inside, self._inside)
        try:
            time.sleep(self.delay)
            yield
        finally:
            with self._count:
                self._inside -= 1

    def info(self):
        return SimpleNamespace(documents=len(self.documents), passages=2, model="fake",
                               index_dir=None, reader="fake")

    def document(self, doc_id: str) -> Document:
        return {d.doc_id: d for d in self.documents}[doc_id]

    def ask(self, question: str, k: int = 3) -> AskResult:
        with self._call():
            question = check_question(question)
            if "refuse" in question:
                raise QuestionError("this question is refused by the fake")
            if "explode" in question:
                raise RuntimeError("the reader fell over")
            return cited(question)

    def add(self, paths, progress=None) -> SyncReport:
        with self._call():
            if progress is not None:
                progress(1, 1)
            return SyncReport(added=[str(p) for p in paths], embedded_passages=1)


def run(coro):
    return asyncio.run(coro)


async def settle(pilot) -> None:
    """Let workers finish and their results reach the screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def ask(pilot, question: str) -> Exchange:
    main: MainScreen = pilot.app.main_screen
    await pilot.click("#question")
    main.question_input.value = question
    await pilot.press("enter")
    await settle(pilot)
    return main.chat.exchanges[-1]


def messages(app: QAApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def shown_text(widget: Static, width: int = 70) -> str:
    """What a Static shows, as plain text."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(widget.content)
    return console.export_text()


@pytest.mark.slow
def test_answer_is_cited_and_its_source_opens_at_the_span(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            exchange = await ask(pilot, "Who did Witkoff meet in Moscow?")
            card = exchange.query_one(AnswerCard)
            answers = card.result.answers
            assert answers and any("Putin" in a.text for a in answers)  # phrase or sentence
            # The span shown highlighted in the chat is the answer text itself.
            shown = [t.highlighted for t in card.query(AnswerText)]
            assert shown == [flat(a.text) for a in answers]
            links = list(card.query(SourceLink))
            best = answers[0]
            c = best.citation
            label = str(links[0].render())
            assert label.startswith("[1] ") and f"chars {c.start}–{c.end}" in label
            assert c.title[:20] in label

            # Keyboard: F2 focuses the best answer's citation, Enter opens it.
            await pilot.press("f2")
            assert app.focused is links[0]
            await pilot.press("enter")
            await pilot.pause()
            await pilot.pause()
            viewer = main.sources.viewer
            assert main.sources_open and main.sources.display
            document = assistant.document(c.doc_id)
            assert viewer.highlighted_text == document.text[c.start : c.end] == best.text
            # Scrolled to the span: its block is inside the visible window.
            block = viewer.span_blocks[0]
            top = viewer.scroll_y
            assert block.virtual_region.y <= top + viewer.size.height
            assert block.virtual_region.bottom >= top
            # The rest of the document is there to read around it.
            assert len(viewer.blocks) > 1

            # Mouse: clicking the third citation opens that one.
            main.chat.scroll_to_widget(links[2], animate=False)
            await pilot.pause()
            await pilot.click(links[2])
            await pilot.pause()
            await pilot.pause()
            c3 = answers[2].citation
            assert viewer.highlighted_text == document.text[c3.start : c3.end]

            # Copy the answer with its citation.
            await pilot.press("ctrl+y")
            assert answers[2].text in app.clipboard and c3.label in app.clipboard

    run(scenario())


@pytest.mark.slow
def test_no_answer_says_so_and_shows_nearest_passages(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            exchange = await ask(pilot, "Who won the 2018 World Cup?")
            assert exchange.result is not None and exchange.result.abstained
            assert not exchange.query(AnswerCard)
            card = exchange.query_one(NotFoundCard)
            assert "Not found in your documents" in str(card.query_one(".headline").render())
            links = list(card.query(SourceLink))
            assert links and all(link.target.answer is None for link in links)
            # A nearest passage opens as a passage, not as an answer.
            await pilot.click(links[0])
            await pilot.pause()
            await pilot.pause()
            p = exchange.result.passages[0].passage
            viewer = main.sources.viewer
            assert viewer.span_blocks and viewer.span_blocks[0].kind == "passage"
            document = assistant.document(p.doc_id)
            assert viewer.highlighted_text == document.text[p.start : p.end] == p.text

    run(scenario())


def test_questions_typed_while_loading_are_queued_then_answered():
    fake = FakeAssistant()
    gate = threading.Event()

    def slow_factory():
        if not gate.wait(30):
            raise RuntimeError("test gate never opened")
        return fake

    async def scenario():
        app = QAApp(assistant_factory=slow_factory)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert main.assistant is None
            assert "Loading the model and index… (questions are queued)" in str(
                main.query_one("#status").render()
            )
            await pilot.press(*"How many cats?")
            await pilot.press("enter")
            await pilot.pause()
            (exchange,) = main.chat.exchanges
            assert "Queued" in str(exchange.query_one(".pending").render())
            assert main.question_input.value == ""
            # Too long is refused at once, before the model has loaded.
            main.question_input.value = "why " * 300
            await pilot.press("enter")
            await pilot.pause()
            assert len(main.chat.exchanges) == 1
            assert any("limit is 1000" in m and sev == "warning" for m, sev in messages(app))
            gate.set()
            await settle(pilot)
            assert main.assistant is fake
            assert exchange.query_one(AnswerCard).result.answers[0].text == "seventeen cats"
            assert "Ready · 1 document · 2 passages" in str(main.query_one("#status").render())

    try:
        run(scenario())
    finally:
        gate.set()


def test_empty_and_too_long_questions_never_crash():
    fake = FakeAssistant()

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await pilot.press("space", "space", "enter")
            await settle(pilot)
            assert main.chat.exchanges == []
            main.question_input.value = "why " * 300
            await pilot.press("enter")
            await settle(pilot)
            assert main.chat.exchanges == []
            assert any("limit is 1000" in m and sev == "warning" for m, sev in messages(app))
            assert main.question_input.value.startswith("why")  # kept for editing
            assert fake.calls == 0  # refused before reaching the assistant

    run(scenario())


def test_worker_results_arrive_as_messages():
    fake = FakeAssistant()
    seen: list = []

    def hook(message) -> None:
        if isinstance(message, (AssistantLoaded, Answered)):
            seen.append(message)

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await settle(pilot)
            assert [type(m) for m in seen] == [AssistantLoaded] and seen[0].assistant is fake
            exchange = await ask(pilot, "How many cats did the keeper keep?")
            answered = seen[-1]
            assert isinstance(answered, Answered) and answered.exchange is exchange
            card = exchange.query_one(AnswerCard)
            assert card.result is answered.result
            assert str(card.query_one(SourceLink).render()) == "[1] Notes · chars 27–41"
            # The handler is the whole path: an Answered posted by hand shows its card.
            other = await main.chat.add_exchange("Which cats?")
            assert not other.query(AnswerCard)
            main.post_message(Answered(other, cited("Which cats?", "named after rivers")))
            await pilot.pause()
            await pilot.pause()
            assert other.query_one(AnswerText).highlighted == "named after rivers"

    run(scenario())
    tui = ROOT / "tui"
    assert not [p for p in tui.rglob("*.py") if "call_from_thread" in p.read_text(encoding="utf-8")]


def test_worker_failures_arrive_as_messages():
    fake = FakeAssistant()
    seen: list = []

    def hook(message) -> None:
        if isinstance(message, (QuestionRefused, AnswerFailed)):
            seen.append(type(message))

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=SIZE, message_hook=hook) as pilot:
            await settle(pilot)
            main.question_input.value = "please refuse [this]"
            await pilot.press("enter")
            await settle(pilot)
            assert main.chat.exchanges == []  # a refused question leaves no exchange
            assert ("This question is refused by the fake", "warning") in messages(app)
            exchange = await ask(pilot, "will it explode?")
            assert "Could not answer: the reader fell over" in str(exchange.query_one(".error").render())
            assert ("the reader fell over", "error") in messages(app)
            assert seen == [QuestionRefused, AnswerFailed]
            assert app.is_running

    run(scenario())


def test_calls_into_the_assistant_never_overlap():
    fake = FakeAssistant(delay=0.05)

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            for question in ("One cat?", "Two cats?", "Three cats?"):
                await main.ask(question)
            main.index_paths([Path("more [notes].txt")])
            await settle(pilot)
            assert fake.calls == 4 and fake.max_inside == 1
            assert all(e.query(AnswerCard) for e in main.chat.exchanges)
            assert ("Indexed more [notes].txt: 1 added, 0 updated, 0 unchanged "
                    "(1 passages embedded)", "information") in messages(app)
            assert not main.query_one("#progress").display

    run(scenario())


def test_load_failure_becomes_a_notification():
    def broken():
        raise RuntimeError("index folder is damaged")

    async def scenario():
        app = QAApp(assistant_factory=broken)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert ("index folder is damaged", "error") in messages(app)
            assert "Could not load" in str(main.query_one("#status").render())
            await pilot.press(*"hello?", "enter")
            await settle(pilot)
            assert main.chat.exchanges == []  # refused with a notification, not queued forever
            assert [sev for _, sev in messages(app)] == ["error", "error"]
            assert app.is_running

    run(scenario())


@pytest.mark.slow
def test_index_a_file_from_the_command_palette_then_answer_from_it(tmp_path):
    from qa import Assistant

    # Its own assistant: indexing must not leak into the other tests.
    fresh = Assistant.from_paths([SEEDS])
    note = tmp_path / "lighthouse [draft].txt"  # brackets: not markup anywhere
    note.write_text(
        "The lighthouse keeper Ortwin Haldane kept seventeen cats named after rivers.\n",
        encoding="utf-8",
    )

    async def scenario():
        app = QAApp(assistant_factory=lambda: fresh)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"index")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            await pilot.press(*str(note), "enter")
            await settle(pilot)
            assert fresh.info().documents == 2
            summary = f"Indexed {note}: 1 added, 0 updated, 0 unchanged ("  # SyncReport.summary()
            assert any(m.startswith(summary) and sev == "information" for m, sev in messages(app))
            exchange = await ask(pilot, "How many cats did Ortwin Haldane keep?")
            best = exchange.query_one(AnswerCard).result.answers[0]
            assert "seventeen" in best.text  # a phrase or its whole sentence
            assert Path(best.citation.path).name == note.name
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"corpus info", "enter")
            await pilot.pause()
            info = fresh.info()
            assert info.documents == 2
            assert isinstance(app.screen, CorpusInfoScreen)
            shown = shown_text(app.screen.query_one(Static))
            assert re.search(rf"^Documents\s+{info.documents}\s*$", shown, re.M), shown
            assert re.search(rf"^Passages\s+{info.passages}\s*$", shown, re.M), shown
            assert "The lighthouse keeper Ortwin Haldane" in shown  # the new document's title
            await pilot.press("escape")
            await pilot.pause()
            assert app.screen is main
            # A bad path is an error notification, not a crash.
            main.index_paths([tmp_path / "missing.txt"])
            await settle(pilot)
            assert any(sev == "error" and "missing.txt" in m for m, sev in messages(app))

    run(scenario())


@pytest.mark.slow
def test_answer_count_command_and_history(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"answers per question: 1")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            assert main.answer_count == 1
            exchange = await ask(pilot, "Who did Witkoff meet in Moscow?")
            assert len(exchange.query_one(AnswerCard).result.answers) == 1
            await pilot.click("#question")
            await pilot.press("up")
            assert main.question_input.value == "Who did Witkoff meet in Moscow?"
            await pilot.press("down")
            assert main.question_input.value == ""
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert main.chat.exchanges == []

    run(scenario())


@pytest.mark.slow
def test_small_terminal_source_replaces_chat_and_esc_returns(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await ask(pilot, "Which car was the bomb placed under?")
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            await pilot.press("ctrl+n")
            await pilot.pause()
            await pilot.pause()
            column = main.query_one("#chat-column")
            assert main.sources_open and main.sources.region.width >= 78
            assert not column.display or column.region.width == 0
            assert main.sources.viewer.highlighted_text
            await pilot.press("escape")
            await pilot.pause()
            assert not main.sources_open and main.query_one("#chat-column").region.width >= 78
            await pilot.resize_terminal(160, 40)
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert main.sources_open
            assert main.query_one("#chat-column").region.width > 60

    run(scenario())


@given(st.text(alphabet="ab \n", max_size=400), st.integers(min_value=1, max_value=50))
def test_source_blocks_cover_the_document_exactly(text, limit):
    bounds = split_blocks(text, limit=limit)
    assert "".join(text[s:e] for s, e in bounds) == text
    assert all(0 < e - s <= limit for s, e in bounds)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))


@pytest.mark.slow
def test_a_phrase_answer_is_highlighted_inside_its_sentence(assistant):
    """Span readers answer with a phrase: only the phrase is highlighted, in the
    chat (inside its sentence) and in the source."""
    from qa import Answer, AskResult
    from qa.citations import make_citation

    document = assistant.documents[0]
    phrase = "Volkswagen Golf"
    start = document.text.index(phrase)
    end = start + len(phrase)
    passage = next(
        p for p in assistant.index.passages_of(document.doc_id) if p.start <= start and end <= p.end
    )
    citation = make_citation(document, passage, start, end)
    sentence = document.text[citation.context_start : citation.context_end]
    answer = Answer(text=phrase, score=0.5, citation=citation, sentence=sentence)
    result = AskResult("Which car was the bomb placed under?", [answer], False, [])

    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            exchange = await main.chat.add_exchange(result.question)
            await exchange.show_result(result)
            await pilot.pause()
            shown = exchange.query_one(AnswerText)
            assert shown.highlighted == phrase
            assert shown.sentence == flat(sentence) and len(sentence) > len(phrase)
            await pilot.click(exchange.query_one(SourceLink))
            await pilot.pause()
            await pilot.pause()
            assert main.sources.viewer.highlighted_text == phrase == document.text[start:end]

    run(scenario())
