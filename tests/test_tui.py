"""The terminal chat, driven with Textual's Pilot.

Tests marked ``slow`` hand the app one real `Assistant` over the seed article
(the session's ``seed_assistant``, so the model loads once) through
``assistant_factory``, so the user cache is never touched; tests that change
the corpus build their own. The others use `FakeAssistant`, which loads no
model: they cover the screen's own behaviour (queueing, refusals, the
workers' messages, one call into the assistant at a time). `FileAssistant`
reads real files (Markdown, PDF) and cites a given phrase with the real
citation code, still without a model, so the source pane can be checked
against documents with structure.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import html
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

from embeddings.chunking import chunk_document
from embeddings.documents import Document, read_document
from embeddings.index import SyncReport
from qa.citations import Answer, AskResult, Citation, make_citation
from qa.evaluation.metrics import normalize_answer
from qa.questions import QuestionError, check_question
from tui.app import QAApp
from tui.messages import AnswerFailed, Answered, AssistantLoaded, QuestionRefused
from tui.screens import CorpusInfoScreen, MainScreen
from tui.widgets import AnswerCard, Exchange, NotFoundCard, SourceLink
from tui.widgets.chat import AnswerText, answer_span, flat
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
                        0, len(text), text, source_text=phrase, text_start=start, text_end=end,
                        context_text_start=0, context_text_end=sentence_end)
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

    def ask(self, question: str, k: int = 3, abstain: bool = True) -> AskResult:
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
                progress("embedding", 1, 1)
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
            assert viewer.highlighted_text == document.text[c.text_start : c.text_end] == best.text
            # The meta line says where, by file name (never the absolute path or doc id).
            assert f"[1] cited · {Path(c.path).name} · chars {c.start}–{c.end}" in main.sources.meta_text
            assert c.path not in main.sources.meta_text
            # Scrolled to the span: its block is inside the visible window.
            block = viewer.span_blocks[0]
            top = viewer.scroll_y
            assert block.virtual_region.y <= top + viewer.size.height
            assert block.virtual_region.bottom >= top
            # The rest of the document is there to read around it.
            assert len(viewer.blocks) > 1

            # Mouse: clicking the last citation opens that one.
            assert len(answers) >= 2
            main.chat.scroll_to_widget(links[-1], animate=False)
            await pilot.pause()
            await pilot.click(links[-1])
            await pilot.pause()
            await pilot.pause()
            c_last = answers[-1].citation
            assert viewer.highlighted_text == document.text[c_last.text_start : c_last.text_end]

            # Copy the answer with its citation and the file's path.
            await pilot.press("ctrl+y")
            assert app.clipboard == f"{answers[-1].text}\n[{len(answers)}] {c_last.label}\n{c_last.path}"

    run(scenario())


@pytest.mark.slow
def test_best_guesses_from_the_palette_are_shown_marked_low_then_hidden_again(assistant):
    # "Friday" is the reader's top answer to this question but scores below the threshold.
    question = "What day was the bombing?"
    threshold = assistant.answer_threshold

    async def toggle(pilot, name: str) -> None:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*name)
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()

    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            withheld = await ask(pilot, question)
            assert withheld.query(NotFoundCard) and not withheld.query(AnswerCard)
            await toggle(pilot, "best guesses: show")
            assert app.main_screen.best_guesses
            shown = await ask(pilot, question)
            card = shown.query_one(AnswerCard)
            assert not shown.query(NotFoundCard)
            assert card.border_title.endswith(f"below the {threshold:.2f} threshold")
            assert card.border_title.startswith(("Best guess", f"{len(card.result.answers)} best guesses"))
            answers = card.result.answers
            assert answers and normalize_answer(answers[0].text) == "friday"
            assert all(a.score < threshold and a.confidence == "low" for a in answers)
            labels = [str(s.render()) for s in card.query(".score")]
            assert labels[0] == f"low {answers[0].score:.2f}"
            await toggle(pilot, "best guesses: hide")
            assert not app.main_screen.best_guesses
            again = await ask(pilot, question)
            assert again.query(NotFoundCard) and not again.query(AnswerCard)

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
            # Withheld, not absent: it says no answer was confident enough, and where the bar is.
            reason = str(card.query_one(".reason").render())
            assert f"reached the confidence threshold ({assistant.answer_threshold:.2f})" in reason
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


def test_the_status_bar_follows_commits_made_by_another_process():
    """`qa watch` or `qa index` elsewhere changes the library; the next answer
    (which reads the latest commit) brings the status bar up to date."""
    fake = FakeAssistant()

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert "Ready · 1 document ·" in str(main.query_one("#status").render())
            fake.documents.append(NOTE)  # another process's commit
            await ask(pilot, "How many cats?")
            assert "Ready · 2 documents ·" in str(main.query_one("#status").render())

    run(scenario())


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


def test_a_long_document_shows_a_window_of_its_blocks_around_the_span():
    from embeddings.documents import document_from_text
    from tui.widgets.source import WINDOW_CHARS, layout

    paragraph = ("Lorem ipsum dolor sit amet. " * 20).strip()
    text = "\n\n".join([paragraph] * 1200)
    document = document_from_text(text, "long.txt", "long.txt")
    assert len(text) > 2 * WINDOW_CHARS and len(document.blocks) == 1200
    span = (len(text) // 2, len(text) // 2 + 5)
    slices, above, below, page = layout(document, span)
    assert page is None and above > 0 and below > 0
    assert slices[0].start <= span[0] and span[1] <= slices[-1].end
    assert slices[-1].end - slices[0].start <= 2 * WINDOW_CHARS + 5
    # Every character of every block is shown or counted as not shown.
    shown = sum(s.end - s.start for s in slices)
    assert above + shown + below == sum(b.end - b.start for b in document.blocks)
    assert all(s.paragraph_end for s in slices)  # one paragraph per block, a blank line apart


@pytest.mark.slow
def test_a_phrase_answer_is_highlighted_inside_its_sentence(assistant):
    """Span readers answer with a phrase: only the phrase is highlighted, in the
    chat (inside its sentence) and in the source."""
    from qa import Answer, AskResult
    from qa.citations import make_citation

    document = assistant.document(assistant.documents[0].doc_id)
    phrase = "Volkswagen Golf"
    start = document.text.index(phrase)
    end = start + len(phrase)
    passage = next(
        p for p in assistant.index.passages_of(document.doc_id) if p.start <= start and end <= p.end
    )
    citation = make_citation(document, passage, start, end)
    sentence = document.text[citation.context_text_start : citation.context_text_end]
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
            # The label counts the file as stored (the date header included).
            raw = Path(citation.path).read_text(encoding="utf-8")
            assert raw[citation.start : citation.end] == phrase
            label = str(exchange.query_one(SourceLink).render())
            assert label.endswith(f"· chars {citation.start}–{citation.end}")
            await pilot.click(exchange.query_one(SourceLink))
            await pilot.pause()
            await pilot.pause()
            assert main.sources.viewer.highlighted_text == phrase == document.text[start:end]

    run(scenario())


# ---- real documents: structure, pages, terminal safety ----------------------
class FileAssistant(FakeAssistant):
    """Real files read as the assistant reads them (no model): each question is
    answered with a given phrase, cited by the real `make_citation`.

    ``phrases`` maps a question to a regular expression: the answer is its
    first group, at its first match in a document's reading text."""

    def __init__(self, paths: list[Path], phrases: dict[str, str]) -> None:
        super().__init__()
        self.documents = [read_document(path)[0] for path in paths]
        self.passages = [p for d in self.documents for p in chunk_document(d, max_words=40)]
        self.phrases = phrases

    def ask(self, question: str, k: int = 3, abstain: bool = True) -> AskResult:
        with self._call():
            pattern = re.compile(self.phrases[question])
            document = next(d for d in self.documents if pattern.search(d.text))
            start, end = pattern.search(document.text).span(1)
            phrase = document.text[start:end]
            passage = next(p for p in self.passages
                           if p.doc_id == document.doc_id and p.start <= start and end <= p.end)
            citation = make_citation(document, passage, start, end)
            sentence = document.text[citation.context_text_start : citation.context_text_end]
            return AskResult(question, [Answer(phrase, 0.9, citation, sentence)], False, [])


GUIDE = """\
---
title: Server Guide
date: 2024-03-05
authors: [Ada Lovelace, Grace Hopper]
---
# Server Guide

The **server** listens on port `8080`, the *proxy* listens on port [9090](https://example.com/ports).
Read the [full manual](https://example.com/manual) for details &amp; caveats.

## Options

| Name | Type | Default |
|------|------|---------|
| password | bool | False |
| workers | int | 4 |

## Running it

Start it from a shell:

```bash
serve --port 7342 --workers 2
```
"""


async def open_best(pilot) -> None:
    """Open the last answer's best citation in the source pane (F2, Enter)."""
    await pilot.press("f2", "enter")
    await pilot.pause()
    await pilot.pause()


def test_markdown_source_pane_shows_sections_and_no_markup(tmp_path):
    path = tmp_path / "guide.md"
    path.write_text(GUIDE, encoding="utf-8")
    fake = FileAssistant([path], {
        "How many workers by default?": r"workers[^\n]*?\b(4)\b",
        "What listens on port 9090?": r"proxy (listens)",
    })
    raw = path.read_text(encoding="utf-8")

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            exchange = await ask(pilot, "How many workers by default?")
            answer = exchange.query_one(AnswerCard).result.answers[0]
            c = answer.citation
            assert raw[c.start : c.end] == "4" and c.section == ("Server Guide", "Options")
            link = exchange.query_one(SourceLink)
            assert str(link.render()) == (
                f"[1] Server Guide › Options · chars {c.start}–{c.end}"  # title › section (the H1 once)
            )
            assert exchange.query_one(AnswerText).highlighted == "4"
            await open_best(pilot)

            sources = main.sources
            viewer = sources.viewer
            assert sources.title_text == "Server Guide"
            assert sources.meta_text == (
                f"[1] cited · guide.md › Server Guide › Options · chars {c.start}–{c.end} · 2024-03-05"
            )
            assert str(tmp_path) not in sources.meta_text
            # The reading text, laid out by blocks under their section paths.
            assert [str(h.render()) for h in viewer.headings] == [
                "Server Guide", "Server Guide › Options", "Server Guide › Running it",
            ]
            shown = viewer.shown_text
            assert "The server listens on port 8080, the proxy listens on port 9090." in shown
            assert "details & caveats" in shown
            document = fake.documents[0]
            table = [document.text[b.start : b.end] for b in document.blocks if b.kind == "table"]
            assert len(table) == 2 and "password" in table[0] and "False" in table[0]
            assert "\n".join(table) in shown  # the rows as they are, one under the other
            assert "serve --port 7342 --workers 2" in shown
            for markup in ("**", "`", "](", "https://", "&amp;", "---", "title:", "Lovelace", "|", "# "):
                assert markup not in shown, markup
            assert viewer.highlighted_text == "4"
            (span_block,) = viewer.span_blocks
            assert span_block.block_kind == "table"
            rows = [b for b in viewer.blocks if b.block_kind == "table"]
            assert len(rows) == 2 and not rows[0].has_class("-paragraph-end")  # rows stay together
            assert rows[1].has_class("-paragraph-end")
            (code,) = [b for b in viewer.blocks if b.block_kind == "code"]
            assert code.has_class("-code") and code.render().plain == "serve --port 7342 --workers 2"

            # Markup inside the sentence: highlighted with reading-text offsets, so the
            # second "listens" (the proxy's) is the one highlighted, not the first.
            exchange = await ask(pilot, "What listens on port 9090?")
            answer = exchange.query_one(AnswerCard).result.answers[0]
            c = answer.citation
            assert c.source_text == "listens" and raw[c.start - 8 : c.end] == "*proxy* listens"
            shown_sentence = exchange.query_one(AnswerText)
            assert shown_sentence.highlighted == "listens"
            a, b = shown_sentence.span
            assert shown_sentence.sentence[:b].endswith("the proxy listens")
            assert answer_span(answer)[1:] == c.in_sentence
            await open_best(pilot)
            assert viewer.highlighted_text == "listens"
            (span_block,) = viewer.span_blocks
            a, b = span_block.span
            assert span_block.render().plain[a - 6 : b] == "proxy listens"
            assert "Server Guide" in sources.meta_text and "Options" not in sources.meta_text

    run(scenario())


def make_pdf(path: Path, pages: list[list[str]]) -> Path:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_title("Harbour Handbook")
    pdf.set_creation_date(dt.datetime(2025, 4, 25, 10, 30, tzinfo=dt.timezone.utc))
    pdf.set_font("helvetica", size=11)
    for paragraphs in pages:
        pdf.add_page()
        for paragraph in paragraphs:
            pdf.multi_cell(0, 5, paragraph)
            pdf.ln(6)
    pdf.output(str(path))
    return path


PAGE_ONE = ["The lighthouse on Kesslo Point was built in 1874.",
            "Its lamp is visible from 22 nautical miles."]
PAGE_TWO = ["The ferry to Arnsby leaves from pier 7 at 06:40.", "A return ticket costs 12 euros."]


def test_a_pdf_citation_opens_its_page_only(tmp_path):
    path = make_pdf(tmp_path / "handbook.pdf", [PAGE_ONE, PAGE_TWO])
    fake = FileAssistant([path], {"Where does the ferry leave from?": r"from (pier 7) at"})

    async def scenario():
        app = QAApp(assistant_factory=lambda: fake)
        main = app.main_screen
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            exchange = await ask(pilot, "Where does the ferry leave from?")
            c = exchange.query_one(AnswerCard).result.answers[0].citation
            document = fake.documents[0]
            assert c.page == 2 and document.page_text(2)[c.start : c.end] == "pier 7"
            assert str(exchange.query_one(SourceLink).render()) == (
                f"[1] Harbour Handbook · p. 2 · chars {c.start}–{c.end}"
            )
            await open_best(pilot)
            sources = main.sources
            viewer = sources.viewer
            assert viewer.page == 2
            assert str(viewer.children[0].render()) == "Page 2 of 2"
            assert sources.meta_text == (
                f"[1] cited · handbook.pdf · p. 2 · chars {c.start}–{c.end} · 2025-04-25"
            )
            shown = viewer.shown_text
            assert all(sentence in shown for sentence in PAGE_TWO)
            assert not any(sentence in shown for sentence in PAGE_ONE)  # page 2 only
            assert {b.start for b in viewer.blocks} <= {
                b.start for b in document.blocks if b.page == 2
            }
            assert viewer.highlighted_text == "pier 7"

    run(scenario())


EVIL = (
    "Harbour log \x1b]0;pwned\x07 of the \u202eNorth Pier.\n\n"
    "The harbour master Ingrid Solberg keeps the ferry ledger \x1b[2J in a locked drawer, "
    "labelled [bold red]not markup[/] by the night watch.\n"
)
RAW_CONTROLS = ("\x1b", "\x07", "\u202e")


def rendered_texts(main: MainScreen) -> dict[str, str]:
    """What the chat and the source pane show, widget by widget, as plain text."""
    texts = {}
    for n, widget in enumerate(main.chat.query("AnswerText, SourceLink, .question, .snippet")):
        texts[f"chat {n} {type(widget).__name__}"] = str(widget.render())
    sources = main.sources
    texts["source title"] = sources.title_text
    texts["source meta"] = sources.meta_text
    texts["source text"] = sources.viewer.shown_text
    return texts


@pytest.mark.slow
def test_control_characters_and_markup_in_documents_are_shown_not_obeyed(tmp_path):
    from qa import Assistant, Settings

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "harbour log.txt").write_text(EVIL, encoding="utf-8")
    evil = Assistant.from_paths([folder], settings=Settings(min_confidence=0.0))

    async def scenario():
        app = QAApp(assistant_factory=lambda: evil)
        main = app.main_screen
        async with app.run_test(size=(140, 40)) as pilot:
            await settle(pilot)
            exchange = await ask(pilot, "Who keeps the ferry ledger?")
            result = exchange.result
            assert result is not None and not result.abstained
            assert "\x1b[2J" in result.answers[0].sentence  # the document's own text, unchanged
            await open_best(pilot)
            texts = rendered_texts(main)
            for where, text in texts.items():
                for raw in RAW_CONTROLS:
                    assert raw not in text, (where, text)
            chat = " ".join(t for w, t in texts.items() if w.startswith("chat"))
            for text in (chat, texts["source text"]):
                assert "ledger \\x1b[2J in a locked drawer" in text
                assert "[bold red]not markup[/]" in text  # literal text, not markup
            assert "\\x1b]0;pwned\\x07" in texts["source title"] and "\\u202e" in texts["source title"]
            assert "\\x1b]0;pwned\\x07" in texts["source text"]
            assert "\\x1b]0;pwned\\x07" in chat  # the link's label holds the title
            assert "harbour log.txt" in texts["source meta"]
            # The whole screen as a terminal would get it: no raw control character.
            svg = app.export_screenshot()
            assert not any(raw in svg for raw in RAW_CONTROLS)
            plain = html.unescape(re.sub(r"<[^>]+>", "", svg)).replace("\xa0", " ")
            assert "[bold red]not markup[/]" in plain
            assert "pwned" in plain and "\\x07" in plain
            # Copying keeps them visible too.
            await pilot.press("ctrl+y")
            assert not any(raw in app.clipboard for raw in RAW_CONTROLS)
            assert "\\x1b" in app.clipboard and str(folder / "harbour log.txt") in app.clipboard

    run(scenario())
