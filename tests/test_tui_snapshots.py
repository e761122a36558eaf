"""Snapshots of the terminal chat (pytest-textual-snapshot), with the real model.

Deterministic by construction: animations off (the spinner shows a fixed
"…"), no cursor blink, screenshots taken only after workers have finished,
and nothing machine-specific on screen: a document's id is its absolute path,
so the chat and the source pane show its title and file name, never the id
(`test_snapshots_hold_nothing_machine_specific` checks the recorded SVGs).  The assistant is the
shipped reader; if its answers or scores change, review the report and
re-record with ``pytest tests/test_tui_snapshots.py --snapshot-update``.
The loading snapshot needs no model (the window paints before it loads).
"""

from __future__ import annotations

import html
import re
import tempfile
import threading
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tui.app import QAApp

if TYPE_CHECKING:
    from qa import Assistant

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SNAPSHOTS = Path(__file__).resolve().parent / "__snapshots__" / "test_tui_snapshots"
SIZE = (100, 30)


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    """The shipped reader, as a user gets it: snapshots change only when its
    weights or calibration do (then re-record with --snapshot-update)."""
    from qa import Assistant

    return Assistant.from_paths([SEEDS])


def make_app(factory) -> QAApp:
    app = QAApp(assistant_factory=factory)
    app.animation_level = "none"
    return app


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def asking(question: str, *keys: str):
    async def run_before(pilot) -> None:
        main = pilot.app.main_screen
        main.question_input.cursor_blink = False
        await settle(pilot)
        await main.ask(question)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)

    return run_before


def test_snapshot_loading(snap_compare):
    gate = threading.Event()
    apps: list[QAApp] = []

    def slow_factory():
        # Stays "loading" until the screenshot is taken and the app closes.
        while not gate.wait(0.05):
            if not apps[0].is_running:
                break
        raise RuntimeError("closed while loading")

    async def run_before(pilot) -> None:
        pilot.app.main_screen.question_input.cursor_blink = False
        await pilot.pause()
        await pilot.press(*"Who did Witkoff meet in Moscow?", "enter")
        await pilot.pause()

    try:
        apps.append(make_app(slow_factory))
        assert snap_compare(apps[0], terminal_size=SIZE, run_before=run_before)
    finally:
        gate.set()


@pytest.mark.slow
def test_snapshot_answered(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=SIZE, run_before=asking("Who did Witkoff meet in Moscow?"))


@pytest.mark.slow
def test_snapshot_source_open(snap_compare, assistant):
    app = make_app(lambda: assistant)
    run_before = asking("Who did Witkoff meet in Moscow?", "ctrl+n")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


@pytest.mark.slow
def test_snapshot_no_answer(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=SIZE, run_before=asking("Who won the 2018 World Cup?"))


@pytest.mark.slow
def test_snapshot_help(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=SIZE, run_before=asking("Who did Witkoff meet in Moscow?", "f1"))


@pytest.mark.slow
def test_snapshot_small_terminal(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=(80, 24), run_before=asking("Which car was the bomb placed under?"))


def test_snapshots_hold_nothing_machine_specific():
    """CI clones the repository elsewhere: a path on screen would fail there."""
    svgs = sorted(SNAPSHOTS.glob("*.svg"))
    assert svgs
    for svg in svgs:
        shown = html.unescape(" ".join(re.findall(r">([^<]*)</text>", svg.read_text(encoding="utf-8"))))
        shown = shown.replace("\xa0", " ")
        for place in (str(ROOT), str(Path.home()), tempfile.gettempdir(), "pytest-of-"):
            assert place not in shown, (svg.name, place)
        assert not re.search(r"(?<![\w.])/(?:home|Users|tmp|var|private|work|root)/", shown), svg.name
