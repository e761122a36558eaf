"""The terminal chat, driven with Textual's Pilot against the real model.

One real `Assistant` over the seed article (the session's ``seed_assistant``,
so the model loads once) is handed to the app through ``assistant_factory``,
so the user cache is never touched. Tests that change the corpus build their
own.
"""

from __future__ import annotations

import asyncio
import shutil
import threading
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from qa import Assistant
from tui.app import QAApp
from tui.widgets import AnswerCard, Exchange, NotFoundCard, SourceLink
from tui.widgets.chat import AnswerText, flat
from tui.widgets.source import split_blocks

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SIZE = (100, 30)


@pytest.fixture(scope="module")
def assistant(seed_assistant) -> Assistant:
    """The session's real assistant over the seed (tests/conftest.py); read-only here."""
    return seed_assistant


def run(coro):
    return asyncio.run(coro)


async def settle(pilot) -> None:
    """Let workers finish and their results reach the screen."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


async def ask(pilot, question: str) -> Exchange:
    app: QAApp = pilot.app
    await pilot.click("#question")
    app.question_input.value = question
    await pilot.press("enter")
    await settle(pilot)
    return app.chat.exchanges[-1]


def messages(app: QAApp) -> list[tuple[str, str]]:
    return [(n.message, n.severity) for n in app._notifications]


def test_answer_is_cited_and_its_source_opens_at_the_span(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
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
            viewer = app.sources.viewer
            assert app.sources_open and app.sources.display
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
            app.chat.scroll_to_widget(links[2], animate=False)
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


def test_no_answer_says_so_and_shows_nearest_passages(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
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
            assert app.sources.viewer.highlighted_text == p.text[: len(app.sources.viewer.highlighted_text)]
            assert app.sources.viewer.span_blocks[0].kind == "passage"

    run(scenario())


def test_questions_typed_while_loading_are_queued_then_answered(assistant):
    gate = threading.Event()

    def slow_factory():
        if not gate.wait(30):
            raise RuntimeError("test gate never opened")
        return assistant

    async def scenario():
        app = QAApp(assistant_factory=slow_factory)
        async with app.run_test(size=SIZE) as pilot:
            await pilot.pause()
            assert app.assistant is None
            await pilot.press(*"Who did Witkoff meet in Moscow?")
            await pilot.press("enter")
            await pilot.pause()
            (exchange,) = app.chat.exchanges
            assert "Queued" in str(exchange.query_one(".pending").render())
            assert app.question_input.value == ""
            gate.set()
            await settle(pilot)
            assert app.assistant is assistant
            assert any("Putin" in a.text for a in exchange.query_one(AnswerCard).result.answers)

    try:
        run(scenario())
    finally:
        gate.set()


def test_empty_and_too_long_questions_never_crash(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("enter")
            await pilot.press("space", "space", "enter")
            await settle(pilot)
            assert app.chat.exchanges == []
            app.question_input.value = "why " * 300
            await pilot.press("enter")
            await settle(pilot)
            assert app.chat.exchanges == []
            assert any("limit is 1000" in m and sev == "warning" for m, sev in messages(app))
            assert app.question_input.value.startswith("why")  # kept for editing

    run(scenario())


def test_load_failure_becomes_a_notification():
    def broken():
        raise RuntimeError("index folder is damaged")

    async def scenario():
        app = QAApp(assistant_factory=broken)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert ("index folder is damaged", "error") in messages(app)
            assert "Could not load" in str(app.query_one("#status").render())
            await pilot.press(*"hello?", "enter")
            await settle(pilot)
            assert app.chat.exchanges == []  # refused with a notification, not queued forever
            assert [sev for _, sev in messages(app)] == ["error", "error"]
            assert app.is_running

    run(scenario())


def test_index_a_file_from_the_command_palette_then_answer_from_it(tmp_path):
    # Its own assistant: indexing must not leak into the other tests.
    fresh = Assistant.from_paths([SEEDS])
    note = tmp_path / "lighthouse [draft].txt"  # brackets: not markup anywhere
    note.write_text(
        "The lighthouse keeper Ortwin Haldane kept seventeen cats named after rivers.\n",
        encoding="utf-8",
    )

    async def scenario():
        app = QAApp(assistant_factory=lambda: fresh)
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
            assert any(m.startswith("Indexed") for m, _ in messages(app))
            exchange = await ask(pilot, "How many cats did Ortwin Haldane keep?")
            best = exchange.query_one(AnswerCard).result.answers[0]
            assert "seventeen" in best.text  # a phrase or its whole sentence
            assert best.citation.doc_id == "lighthouse [draft].txt"
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"corpus info", "enter")
            await pilot.pause()
            await pilot.press("escape")
            # A bad path is an error notification, not a crash.
            app.index_paths([tmp_path / "missing.txt"])
            await settle(pilot)
            assert any(sev == "error" and "missing.txt" in m for m, sev in messages(app))

    run(scenario())


def test_answer_count_command_and_history(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await pilot.press("ctrl+p")
            await pilot.pause()
            await pilot.press(*"answers per question: 1")
            await pilot.pause(0.3)
            await pilot.press("enter")
            await pilot.pause()
            assert app.answer_count == 1
            exchange = await ask(pilot, "Who did Witkoff meet in Moscow?")
            assert len(exchange.query_one(AnswerCard).result.answers) == 1
            await pilot.click("#question")
            await pilot.press("up")
            assert app.question_input.value == "Who did Witkoff meet in Moscow?"
            await pilot.press("down")
            assert app.question_input.value == ""
            await pilot.press("ctrl+l")
            await pilot.pause()
            assert app.chat.exchanges == []

    run(scenario())


def test_small_terminal_source_replaces_chat_and_esc_returns(assistant):
    async def scenario():
        app = QAApp(assistant_factory=lambda: assistant)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            await ask(pilot, "Which car was the bomb placed under?")
            await pilot.resize_terminal(80, 24)
            await pilot.pause()
            await pilot.press("ctrl+n")
            await pilot.pause()
            await pilot.pause()
            column = app.query_one("#chat-column")
            assert app.sources_open and app.sources.region.width >= 78
            assert not column.display or column.region.width == 0
            assert app.sources.viewer.highlighted_text
            await pilot.press("escape")
            await pilot.pause()
            assert not app.sources_open and app.query_one("#chat-column").region.width >= 78
            await pilot.resize_terminal(160, 40)
            await pilot.press("ctrl+n")
            await pilot.pause()
            assert app.sources_open
            assert app.query_one("#chat-column").region.width > 60

    run(scenario())


@given(st.text(alphabet="ab \n", max_size=400), st.integers(min_value=1, max_value=50))
def test_source_blocks_cover_the_document_exactly(text, limit):
    bounds = split_blocks(text, limit=limit)
    assert "".join(text[s:e] for s, e in bounds) == text
    assert all(0 < e - s <= limit for s, e in bounds)
    assert all(a[1] == b[0] for a, b in zip(bounds, bounds[1:]))


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
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            exchange = await app.chat.add_exchange(result.question)
            await exchange.show_result(result)
            await pilot.pause()
            shown = exchange.query_one(AnswerText)
            assert shown.highlighted == phrase
            assert shown.sentence == flat(sentence) and len(sentence) > len(phrase)
            await pilot.click(exchange.query_one(SourceLink))
            await pilot.pause()
            await pilot.pause()
            assert app.sources.viewer.highlighted_text == phrase == document.text[start:end]

    run(scenario())
