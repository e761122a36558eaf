"""Snapshots of the terminal chat (pytest-textual-snapshot), with the real model.

Deterministic by construction: animations off (the spinner shows a fixed
"…"), no cursor blink, screenshots taken only after workers have finished,
and the seed document's title and id contain no paths.  The assistant is
pinned to the sentence reader; if its answers or scores change, review the
report and re-record with ``pytest tests/test_tui_snapshots.py --snapshot-update``.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from qa import Assistant
from tui.app import QAApp

SEEDS = Path(__file__).resolve().parents[1] / "seeds"
SIZE = (100, 30)


@pytest.fixture(scope="module")
def assistant() -> Assistant:
    """The shipped reader, as a user gets it: snapshots change only when its
    weights or calibration do (then re-record with --snapshot-update)."""
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
        app: QAApp = pilot.app
        app.question_input.cursor_blink = False
        await settle(pilot)
        await app.ask(question)
        await settle(pilot)
        for key in keys:
            await pilot.press(key)
            await pilot.pause()
        await settle(pilot)

    return run_before


def test_snapshot_loading(snap_compare, assistant):
    gate = threading.Event()
    apps: list[QAApp] = []

    def slow_factory():
        # Stays "loading" until the screenshot is taken and the app closes.
        while not gate.wait(0.05):
            if not apps[0].is_running:
                raise RuntimeError("closed while loading")
        return assistant

    async def run_before(pilot) -> None:
        pilot.app.question_input.cursor_blink = False
        await pilot.pause()
        await pilot.press(*"Who did Witkoff meet in Moscow?", "enter")
        await pilot.pause()

    try:
        apps.append(make_app(slow_factory))
        assert snap_compare(apps[0], terminal_size=SIZE, run_before=run_before)
    finally:
        gate.set()


def test_snapshot_answered(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=SIZE, run_before=asking("Who did Witkoff meet in Moscow?"))


def test_snapshot_source_open(snap_compare, assistant):
    app = make_app(lambda: assistant)
    run_before = asking("Who did Witkoff meet in Moscow?", "ctrl+n")
    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)


def test_snapshot_no_answer(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=SIZE, run_before=asking("Who won the 2018 World Cup?"))


def test_snapshot_help(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=SIZE, run_before=asking("Who did Witkoff meet in Moscow?", "f1"))


def test_snapshot_small_terminal(snap_compare, assistant):
    app = make_app(lambda: assistant)
    assert snap_compare(app, terminal_size=(80, 24), run_before=asking("Which car was the bomb placed under?"))
