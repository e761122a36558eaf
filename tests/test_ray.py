"""`qa index --ray`: the same index as a local run, built by Ray Data stages.

A small local cluster indexes a folder of a few dozen files; the result must
equal a local run's. Skipped when the [ray] extra is not installed (CI
installs it: `scripts/install.sh --test`)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from qa import Assistant, Settings

ray = pytest.importorskip("ray", reason="the [ray] extra is not installed")
pytestmark = [pytest.mark.ray, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
TOPICS = ["harbour", "reactor", "garden", "choir", "railway", "library", "orchard", "bridge", "market",
          "lighthouse", "museum", "observatory"]


def write_corpus(folder: Path) -> Path:
    """A few dozen files of three formats, plus one that cannot be read."""
    folder.mkdir(parents=True, exist_ok=True)
    for i, topic in enumerate(TOPICS):
        (folder / f"{topic}.md").write_text(
            f"# The {topic}\n\nThe {topic} opened in {1900 + i}. It was built by {topic.title()} Works.\n\n"
            f"## Visiting\n\nThe {topic} is open on {['Mondays', 'Tuesdays', 'Fridays'][i % 3]}. "
            f"Entry costs {i + 2} euros.\n", encoding="utf-8")
        (folder / f"{topic}-notes.txt").write_text(
            f"Notes on the {topic}.\n\nThe keeper of the {topic} is called {topic.title()}son. "
            f"He has worked there for {i + 3} years.", encoding="utf-8")
        if i % 3 == 0:
            (folder / f"{topic}.html").write_text(
                f"<html><head><title>{topic}</title></head><body><article><h1>{topic}</h1>"
                f"<p>The {topic} has {i + 10} rooms and a {topic} cafe.</p></article></body></html>",
                encoding="utf-8")
    (folder / "broken.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00")
    return folder


@pytest.fixture(scope="module")
def cluster():
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    yield
    ray.shutdown()


def contents(assistant: Assistant):
    index = assistant.index
    entries = [(e.doc_id, e.sha256, e.passages) for e in index.entries()]
    passages = {}
    for e in index.entries():
        for p in index.passages_of(e.doc_id):
            passages[(e.doc_id, p.start)] = (p.end, p.text, p.sentences, p.section, p.kind, p.page,
                                             index.vectors([p.passage_id])[0])
    return entries, passages


def test_a_ray_run_equals_a_local_run(tmp_path, cluster, monkeypatch):
    from embeddings.distributed import RayOptions

    corpus = write_corpus(tmp_path / "docs")
    settings = Settings.from_env()
    local = Assistant.from_paths([corpus], tmp_path / "local", settings)
    distributed = Assistant.open_or_create(tmp_path / "ray", settings)
    report = distributed.add_with_ray([corpus], RayOptions(workers=1, documents_per_batch=5))

    assert report.summary() == local.last_report.summary()
    assert [s.path for s in report.skipped] == [s.path for s in local.last_report.skipped] == [
        str(corpus / "broken.txt")]  # reported, not dropped
    (local_entries, local_passages), (ray_entries, ray_passages) = contents(local), contents(distributed)
    assert ray_entries == local_entries and len(local_entries) == 28
    assert ray_passages.keys() == local_passages.keys()
    for key, ours in local_passages.items():
        theirs = ray_passages[key]
        assert theirs[:6] == ours[:6], key
        assert np.abs(theirs[6] - ours[6]).max() < 1e-4, key
    for question in ("When did the lighthouse open?", "Who keeps the orchard?", "How many rooms has the museum?"):
        a, b = local.ask(question), distributed.ask(question)
        assert [(x.text, x.citation.doc_id, x.citation.start) for x in a.answers] == [
            (x.text, x.citation.doc_id, x.citation.start) for x in b.answers]

    # Unchanged files never reach the cluster; a changed one is re-embedded alone.
    again = distributed.add_with_ray([corpus], RayOptions(workers=1))
    assert len(again.unchanged) == 28 and again.embedded_passages == 0 and not again.changed
    (corpus / "garden.md").write_text("# The garden\n\nThe garden now opens at dawn.\n", encoding="utf-8")
    changed = distributed.add_with_ray([corpus], RayOptions(workers=1))
    assert len(changed.updated) == 1 and changed.embedded_passages == 1
    assert [p.text for p in distributed.index.passages_of(changed.updated[0])] == ["The garden now opens at dawn."]

    # Markdown read differently now (a newer reading version): its unchanged files go to the cluster again.
    import embeddings.formats as formats

    monkeypatch.setattr(formats, "READING_VERSIONS", {"markdown": formats.READING_VERSIONS["markdown"] + 1})
    reread = distributed.add_with_ray([corpus], RayOptions(workers=1))
    assert sorted(Path(d).suffix for d in reread.updated) == [".md"] * len(TOPICS) and not reread.added
    assert len(reread.unchanged) == 28 - len(TOPICS)

    # Documents split differently now: every unchanged file goes to the cluster again.
    import embeddings.chunking as chunking

    monkeypatch.setattr(chunking, "SPLITTING_VERSION", chunking.SPLITTING_VERSION + 1)
    resplit = distributed.add_with_ray([corpus], RayOptions(workers=1))
    assert len(resplit.updated) == 28 and not resplit.unchanged and not resplit.added


def test_a_folder_with_nothing_readable_is_the_same_error_as_a_local_run(tmp_path, cluster):
    from embeddings.distributed import RayOptions
    from qa import DocumentError

    folder = tmp_path / "junk"
    folder.mkdir()
    (folder / "broken.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00")
    settings = Settings.from_env()
    with pytest.raises(DocumentError) as local:
        Assistant.from_paths([folder], tmp_path / "local", settings)
    assistant = Assistant.open_or_create(tmp_path / "ray", settings)
    with pytest.raises(DocumentError) as distributed:
        assistant.add_with_ray([folder], RayOptions(workers=1))
    assert str(distributed.value) == str(local.value) and str(local.value).startswith("no readable")
    assert len(assistant.index) == 0


def run_qa(*args, env=None, **kwargs):
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}, timeout=600, **kwargs)


def embedding_workers() -> list[int]:
    """Pids of the processes Ray titled as the embedding actors."""
    pids = []
    for entry in Path("/proc").iterdir():
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if entry.name.isdigit() and "MapBatches(Embedder)" in title:
            pids.append(int(entry.name))
    return pids


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="finds the worker through /proc")
def test_qa_index_ray_survives_a_worker_that_dies(tmp_path):
    """A local cluster for the run (no address); the embedding worker is
    killed with SIGKILL as soon as it exists; Ray restarts it and the run
    completes with every file."""
    corpus = write_corpus(tmp_path / "docs")
    proc = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "index", str(corpus), "--index", str(tmp_path / "idx"), "--ray",
         "--ray-workers", "1"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1", "QA_CACHE_DIR": str(tmp_path / "cache")})
    killed = None
    deadline = time.time() + 180
    while killed is None and time.time() < deadline and proc.poll() is None:
        workers = embedding_workers()
        if workers:
            killed = workers[0]
            os.kill(killed, signal.SIGKILL)
        time.sleep(0.05)
    out, err = proc.communicate(timeout=300)
    assert killed is not None, err[-2000:]
    assert proc.returncode == 0, err[-3000:]
    assert "28 added, 0 updated, 0 unchanged, 1 skipped" in out


def test_ctrl_c_cancels_the_run_and_leaves_the_index_as_it_was(tmp_path):
    corpus = write_corpus(tmp_path / "docs")
    index = tmp_path / "idx"
    env = {"QA_CACHE_DIR": str(tmp_path / "cache")}
    first = run_qa("index", str(corpus / "harbour.md"), "--index", str(index), env=env)
    assert first.returncode == 0, first.stderr
    before = run_qa("info", "--index", str(index), env=env).stdout
    proc = subprocess.Popen([sys.executable, "-m", "qa.cli", "index", str(corpus), "--index", str(index), "--ray"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "HF_HUB_OFFLINE": "1", **env})
    deadline = time.time() + 120
    while time.time() < deadline and not list(Path("/tmp/ray").glob("session_latest")):
        time.sleep(0.5)
    time.sleep(6)  # the cluster is up and working
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, (out, err[-2000:])
    assert err.strip().splitlines()[-1] == "qa: interrupted"
    assert run_qa("info", "--index", str(index), env=env).stdout == before


def test_ray_without_the_extra_is_one_clear_error(tmp_path, monkeypatch, capsys):
    import importlib.util

    from qa import cli

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "ray" else real(name, *a))
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    code = cli.main(["index", str(tmp_path / "a.txt"), "--index", str(tmp_path / "idx"), "--ray"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1
    assert err[0].startswith("qa: error: --ray needs Ray Data") and 'pip install -e ".[ray]"' in err[0]
    assert not (tmp_path / "idx").exists()  # refused before any work


def test_an_interrupted_ray_run_leaves_at_once_with_130_only_a_local_one_returns(tmp_path, monkeypatch, capsys):
    """After "qa: interrupted" a Ray run skips the interpreter's teardown (Ray's native threads
    once crashed it: SIGSEGV instead of 130); a run without Ray returns 130 as before."""
    from qa import cli

    class Left(Exception):
        pass

    def interrupted(args):
        raise KeyboardInterrupt

    def leave(code):
        raise Left(code)

    monkeypatch.setattr(cli, "cmd_index", interrupted)
    monkeypatch.setattr(cli.os, "_exit", leave)
    (tmp_path / "a.txt").write_text("Some text.", encoding="utf-8")
    with pytest.raises(Left) as left:
        cli.main(["index", str(tmp_path / "a.txt"), "--index", str(tmp_path / "idx"), "--ray"])
    assert left.value.args == (130,)
    assert capsys.readouterr().err.strip().splitlines()[-1] == "qa: interrupted"
    assert cli.main(["index", str(tmp_path / "a.txt"), "--index", str(tmp_path / "idx")]) == 130
    assert capsys.readouterr().err.strip().splitlines()[-1] == "qa: interrupted"
    # interrupted before Ray was loaded (or without the extra): the plain 130, no traceback
    monkeypatch.setitem(sys.modules, "ray", None)
    assert cli.main(["index", str(tmp_path / "a.txt"), "--index", str(tmp_path / "idx"), "--ray"]) == 130
    assert capsys.readouterr().err.strip().splitlines() == ["qa: interrupted"]
