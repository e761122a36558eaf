"""``qa watch``: changes under watched folders reach the index as they happen."""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from embeddings.files import file_id
from qa.assistant import Assistant
from qa.settings import Settings
from qa.watching import apply_changes, watch


@pytest.fixture
def assistant(tmp_path, stand_in_encoder):
    assistant = Assistant.open_or_create(tmp_path / "idx", Settings())
    assistant.encoder = assistant.retriever.encoder = stand_in_encoder
    return assistant


def names(assistant) -> set[str]:
    return {Path(e.path).name for e in assistant.documents}


def test_adds_changes_and_deletes_are_applied(tmp_path, assistant, stand_in_encoder):
    notes = tmp_path / "notes"
    (notes / "deep").mkdir(parents=True)
    (notes / "a.md").write_text("# Harbour\n\nThe harbour opened in 1901.")
    (notes / "deep" / "b.txt").write_text("The reactor runs on thorium.")
    (notes / "scratch.swp").write_bytes(b"\x00editor")
    report = apply_changes(assistant, [notes])
    assert sorted(report.added) == sorted(file_id(p) for p in (notes / "a.md", notes / "deep" / "b.txt"))

    before = stand_in_encoder.embedded
    (notes / "a.md").write_text("# Harbour\n\nThe harbour opened in 1902.")
    report = apply_changes(assistant, [notes / "a.md", notes / "scratch.swp"])
    assert report.updated == [file_id(notes / "a.md")] and stand_in_encoder.embedded - before == 1

    (notes / "deep" / "b.txt").unlink()
    (notes / "deep").rmdir()
    report = apply_changes(assistant, [notes / "deep"])
    assert report.removed == [file_id(notes / "deep" / "b.txt")] and names(assistant) == {"a.md"}
    assert "1902" in assistant.index.passages_of(file_id(notes / "a.md"))[0].text


def test_watch_follows_a_folder_until_stopped(tmp_path, assistant):
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "old.txt").write_text("Written before watching began.")
    reports, stop = [], threading.Event()
    thread = threading.Thread(target=watch, args=(assistant, [notes], reports.append), kwargs={"stop_event": stop})
    thread.start()
    try:
        wait_for(lambda: names(assistant) == {"old.txt"})
        (notes / "new.md").write_text("Written while watching.")
        wait_for(lambda: "new.md" in names(Assistant.load(tmp_path / "idx", Settings())))
        (notes / "old.txt").unlink()
        wait_for(lambda: names(Assistant.load(tmp_path / "idx", Settings())) == {"new.md"})
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not thread.is_alive()
    assert any(r.removed for r in reports) and any(r.added for r in reports)


def wait_for(condition, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.mark.slow
def test_qa_watch_keeps_answering_while_it_indexes(tmp_path):
    from conftest import ROOT

    env = dict(os.environ, QA_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    notes, index = tmp_path / "notes", tmp_path / "idx"
    notes.mkdir()
    (notes / "harbour.txt").write_text("The harbour of Tromsø opened in 1901.", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "watch", str(notes), "--index", str(index)],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in proc.stdout], daemon=True).start()
    try:
        assert lines.get(timeout=120).startswith("watching")
        assert "1 added" in lines.get(timeout=300)
        (notes / "reactor.txt").write_text("The alpha reactor runs on thorium.", encoding="utf-8")
        assert "1 added" in lines.get(timeout=120)
        ask = subprocess.run([sys.executable, "-m", "qa.cli", "ask", "What does the alpha reactor run on?",
                              "--index", str(index), "--json"], env=env, cwd=ROOT, capture_output=True, text=True)
        assert ask.returncode == 0 and '"thorium"' in ask.stdout, ask.stdout + ask.stderr
    finally:
        proc.terminate()
        proc.wait(timeout=30)
