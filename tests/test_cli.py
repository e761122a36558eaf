"""The `qa` command as a user runs it: real processes, real model."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from embeddings.index import MANIFEST_FILE

pytestmark = pytest.mark.slow  # real `qa` processes with the real model


def run_qa(
    *args: str, cache: Path, timeout: int = 300, python_flags: tuple[str, ...] = (), **env_vars: str
) -> subprocess.CompletedProcess:
    env = dict(os.environ, QA_CACHE_DIR=str(cache), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT), **env_vars)
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "qa.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def built_index(tmp_path_factory):
    base = tmp_path_factory.mktemp("cli")
    docs = base / "docs"
    docs.mkdir()
    for seed in (ROOT / "seeds").iterdir():
        (docs / seed.name).write_bytes(seed.read_bytes())
    index = base / "index"
    proc = run_qa("index", str(docs), "--index", str(index), cache=base / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "1 added" in proc.stdout
    return base, index


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_ask_json_round_trip(built_index):
    base, index = built_index
    proc = run_qa("ask", "Who did Witkoff meet in Moscow?", "--json", "--index", str(index), cache=base / "cache")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert set(data) >= {"question", "answers", "abstained"}
    assert data["abstained"] is False
    top = data["answers"][0]
    assert set(top) >= {"text", "score", "doc_id", "path", "start", "end", "passage",
                        "context_start", "context_end"}
    text = Path(top["path"]).read_text(encoding="utf-8")
    # Offsets point into the file exactly as stored, date header included.
    assert text[top["start"] : top["end"]] == top["text"] == top["source_text"]
    assert text[top["context_start"] : top["context_end"]] == top["sentence"]
    assert "Putin" in top["text"]


def test_answering_imports_no_training_evaluation_sklearn_or_sentence_transformers(built_index):
    base, index = built_index
    run_qa("ask", "Who?", "--index", str(index), cache=base / "cache")  # first use exports the ONNX graphs
    proc = run_qa("ask", "Who did Witkoff meet in Moscow?", "--index", str(index),
                  cache=base / "cache", python_flags=("-X", "importtime"))
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "Putin" in proc.stdout
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    # The networks run as ONNX graphs exported into the cache: no torch on the ask path.
    assert {"onnxruntime", "qa.reader.runtime"} <= modules
    assert not {"torch", "transformers", "qa.reader.model"} & modules
    forbidden = sorted(m for m in modules if m.split(".")[0] in {"sklearn", "sentence_transformers"}
                       or m.startswith(("qa.training", "qa.evaluation")))
    assert forbidden == []


def test_a_bad_setting_is_one_clear_line(built_index):
    base, index = built_index
    proc = run_qa("ask", "Who?", "--index", str(index), cache=base / "cache", QA_MIN_CONFIDENCE="lots")
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "qa: error: QA_MIN_CONFIDENCE must be a number in [0, 1], not 'lots'"
    ]


def test_ask_abstains_in_json(built_index):
    base, index = built_index
    proc = run_qa("ask", "Who won the 2018 World Cup?", "--json", "--index", str(index), cache=base / "cache")
    data = json.loads(proc.stdout)
    assert proc.returncode == 0 and data["abstained"] is True and data["answers"] == []
    assert data["nearest_passages"]


def test_default_corpus_needs_no_arguments(tmp_path):
    proc = run_qa("ask", "Who is Kirill Dmitriev?", cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "Kirill Dmitriev" in proc.stdout and "[1]" in proc.stdout
    assert (tmp_path / "cache" / "indexes" / "default" / MANIFEST_FILE).exists()


def _bad_inputs(tmp: Path) -> dict[str, list[str]]:
    (tmp / "empty.txt").write_text("")
    (tmp / "binary.txt").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00")
    (tmp / "latin1.txt").write_bytes("Caf\xe9 cr\xe8me".encode("latin-1"))
    return {
        "empty file": ["index", str(tmp / "empty.txt")],
        "binary file": ["index", str(tmp / "binary.txt")],
        "missing path": ["index", str(tmp / "missing.txt")],
        "non-UTF-8": ["index", str(tmp / "latin1.txt")],
        "empty question": ["ask", ""],
        "huge question": ["ask", "why " * 5000],
    }


def test_bad_inputs_fail_cleanly_and_leave_the_index_intact(built_index, tmp_path):
    base, index = built_index
    before = snapshot(index)
    for name, args in _bad_inputs(tmp_path).items():
        proc = run_qa(*args, "--index", str(index), cache=base / "cache")
        assert proc.returncode != 0, name
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("qa: error:"), (name, proc.stderr)
        assert "Traceback" not in proc.stderr
        assert snapshot(index) == before, name


def test_missing_index_is_a_clear_error(tmp_path):
    proc = run_qa("ask", "anything?", "--index", str(tmp_path / "nothing"), cache=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("qa: error: no index at")


def test_index_reports_every_file_and_why_some_were_skipped(tmp_path):
    folder = tmp_path / "mixed"
    folder.mkdir()
    (folder / "notes.md").write_text("# Notes\n\nThe **launch** is on Tuesday.", encoding="utf-8")
    (folder / "plain.txt").write_text("The office closes at 6 pm.", encoding="utf-8")
    (folder / "tool.py").write_text("print('x')", encoding="utf-8")
    (folder / "blob.txt").write_bytes(b"\x00\x01\x02")
    (folder / "empty.md").write_text("  ", encoding="utf-8")
    index = tmp_path / "index"
    proc = run_qa("index", str(folder), "--index", str(index), cache=tmp_path / "cache")
    assert proc.returncode == 0, proc.stderr
    assert "2 added, 0 updated, 0 unchanged, 3 skipped (" in proc.stdout
    progress = proc.stderr.splitlines()  # plain progress lines off a terminal, every stage from zero
    stages = ["reading: 0/4 files", "reading: 4/4 files", "splitting: 0/", "embedding: 0/2 passages",
              "embedding: 2/2 passages"]
    at = [next(i for i, line in enumerate(progress) if line.startswith(s)) for s in stages]
    assert at == sorted(at), progress
    assert any(line.startswith("splitting: ") and line.endswith(" characters") for line in progress)
    assert "\r" not in proc.stderr
    assert "--verbose" in proc.stdout
    proc = run_qa("index", str(folder), "--index", str(index), "--verbose", cache=tmp_path / "cache")
    lines = proc.stdout.splitlines()
    assert sum(line.startswith("unchanged: ") for line in lines) == 2
    skipped = {line.split(": ", 2)[1].rsplit("/", 1)[-1]: line.split(": ", 2)[2] for line in lines if line.startswith("skipped: ")}
    assert set(skipped) == {"tool.py", "blob.txt", "empty.md"}
    assert "unsupported" in skipped["tool.py"] and "binary" in skipped["blob.txt"] and "no text" in skipped["empty.md"]


def test_document_text_never_reaches_the_terminal_raw(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "evil.txt").write_text(
        "The vault \x1b]0;pwned\x07 opens at dawn \x1b[2J every day. [bold]Not markup[/bold] here.\u202e",
        encoding="utf-8",
    )
    index = tmp_path / "index"
    assert run_qa("index", str(folder), "--index", str(index), cache=tmp_path / "cache").returncode == 0
    for extra in ((), ("--json",)):
        proc = run_qa("ask", "When does the vault open?", "--index", str(index), *extra, cache=tmp_path / "cache",
                      QA_MIN_CONFIDENCE="0")
        assert proc.returncode == 0, proc.stderr
        for raw in ("\x1b", "\x07", "\u202e"):
            assert raw not in proc.stdout
        assert "dawn" in proc.stdout
    plain = run_qa("ask", "When does the vault open?", "--index", str(index), cache=tmp_path / "cache",
                   QA_MIN_CONFIDENCE="0").stdout
    assert "\\x1b]0;pwned\\x07" in plain  # shown, not obeyed


def test_version_and_scoped_questions(built_index, tmp_path):
    base, index = built_index
    proc = run_qa("--version", cache=base / "cache")
    assert proc.returncode == 0 and proc.stdout.startswith("qa ")
    proc = run_qa("ask", "Which car was the bomb placed under?", "--in", "*.md", "--index", str(index), cache=base / "cache")
    assert proc.returncode == 0 and "Not found" in proc.stdout and "no document matches" in proc.stdout
    proc = run_qa("ask", "Which car was the bomb placed under?", "--in", "*.txt", "--index", str(index), cache=base / "cache")
    assert "Volkswagen Golf" in proc.stdout


def test_two_writers_into_one_folder_take_turns_and_lose_nothing(tmp_path):
    folders = []
    for name in ("red", "blue", "green"):
        folder = tmp_path / name
        folder.mkdir()
        (folder / f"{name}.txt").write_text(f"The {name} team meets on Mondays in room {len(name)}.", encoding="utf-8")
        folders.append(folder)
    index = tmp_path / "shared-index"
    env = dict(os.environ, QA_CACHE_DIR=str(tmp_path / "cache"), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    procs = [
        subprocess.Popen([sys.executable, "-m", "qa.cli", "index", str(f), "--index", str(index)], env=env,
                         cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for f in folders
    ]
    outputs = [p.communicate(timeout=600) for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], outputs
    info = run_qa("info", "--index", str(index), cache=tmp_path / "cache")
    assert "documents: 3" in info.stdout, (info.stdout, outputs)


def test_min_confidence_and_all_from_the_cli(built_index):
    base, index = built_index
    question = "Which car was the bomb placed under?"

    def ask(*extra):
        proc = run_qa("ask", question, "--index", str(index), "--json", *extra, cache=base / "cache")
        assert proc.returncode == 0, proc.stderr
        return json.loads(proc.stdout)

    shipped = ask()
    top = shipped["answers"][0]
    assert not shipped["abstained"] and top["text"] == "Volkswagen Golf"
    assert top["confidence"] in ("medium", "high") and shipped["threshold"] <= top["score"]
    strict = ask("--min-confidence", "0.99")
    assert strict["abstained"] and strict["answers"] == [] and strict["threshold"] == 0.99
    guesses = ask("--min-confidence", "0.99", "--all", "-k", "2")
    assert guesses["abstained"] and guesses["answers"][0]["text"] == "Volkswagen Golf"
    assert {a["confidence"] for a in guesses["answers"]} == {"low"}
    plain = run_qa("ask", question, "--index", str(index), "--min-confidence", "0.99", "--all", cache=base / "cache")
    assert "below the 0.99 threshold" in plain.stdout and "Best guesses" in plain.stdout
    bad = run_qa("ask", question, "--index", str(index), "--min-confidence", "2", cache=base / "cache")
    assert bad.returncode == 1 and bad.stderr.startswith("qa: error: --min-confidence must be in [0, 1]")


def test_bad_reader_weights_and_calibration_arguments_are_one_clear_line(built_index, tmp_path):
    base, index = built_index
    bogus = tmp_path / "weights"
    bogus.mkdir()
    (bogus / "reader.safetensors").write_bytes(b"not a safetensors file at all")
    proc = run_qa("ask", "Who is Kirill Dmitriev?", "--index", str(index), cache=base / "cache",
                  QA_READER_WEIGHTS=str(bogus))
    assert proc.returncode == 1 and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert proc.stderr.startswith("qa: error:") and "reader weights" in proc.stderr
    squad = tmp_path / "tiny.json"
    squad.write_text('{"data": []}')
    for args in (["--articles", "0"], ["--questions", "0"]):
        proc = run_qa("calibrate", str(squad), *args, cache=base / "cache")
        assert proc.returncode == 1 and proc.stderr.strip() == "qa: error: --articles and --questions must be at least 1"


def _facts_squad() -> dict:
    """Three tiny articles of plain facts, two paragraphs each."""
    people = [("Ada Lorn", "Vienna", "chemist"), ("Bruno Tal", "Lisbon", "painter"), ("Cora Vex", "Oslo", "sailor"),
              ("Dima Rusk", "Quito", "surgeon"), ("Elio Marr", "Dakar", "poet"), ("Faye Quill", "Hanoi", "pilot")]
    articles = []
    for a in range(3):
        paragraphs = []
        for name, city, job in people[2 * a : 2 * a + 2]:
            context = f"{name} was born in {city}. Later in life, {name} became a famous {job}."
            qas = [{"id": f"{name}-{i}", "question": q, "answers": [{"text": ans, "answer_start": context.index(ans)}]}
                   for i, (q, ans) in enumerate([(f"Where was {name} born?", city), (f"What did {name} become?", job)])]
            paragraphs.append({"context": context, "qas": qas})
        articles.append({"title": f"Article {a}", "paragraphs": paragraphs})
    return {"version": "1.1", "data": articles}


@pytest.mark.slow
def test_calibrate_fits_every_document_shape_and_chooses_its_threshold(tmp_path):
    from qa.calibration import LogisticCalibration
    from qa.evaluation.shapes import FEATURES, SHAPES, THRESHOLDS

    squad = tmp_path / "facts.json"
    squad.write_text(json.dumps(_facts_squad()))
    out = tmp_path / "calibration.json"
    kept = tmp_path / "candidates"
    proc = run_qa("calibrate", str(squad), "--articles", "3", "--questions", "8", "--out", str(out),
                  "--cache", str(kept), cache=tmp_path / "cache", timeout=600)
    assert proc.returncode == 0, proc.stderr
    assert "single: " in proc.stderr and (kept / "fit.json").is_file()
    record = json.loads(out.read_text())
    assert set(record["weights"]) == set(FEATURES) and record["threshold"] in THRESHOLDS
    assert list(record["tradeoff_on_calibration_data"]) == list(SHAPES) == record["data"]["shapes"]
    assert record["threshold_rule"].startswith("the best worst figure")
    assert LogisticCalibration.load(out).threshold == record["threshold"]
    assert f"threshold {record['threshold']:.1f}" in proc.stdout and "shape: single" in proc.stdout
    again = tmp_path / "again.json"
    proc = run_qa("calibrate", str(squad), "--articles", "3", "--questions", "8", "--out", str(again),
                  "--cache", str(kept), cache=tmp_path / "cache", timeout=600)
    assert proc.returncode == 0 and "single: " not in proc.stderr, proc.stderr  # nothing read again
    assert json.loads(again.read_text())["weights"] == record["weights"]
    bad = run_qa("calibrate", str(squad), "--threshold", "1.5", cache=tmp_path / "cache")
    assert bad.returncode == 1 and bad.stderr.strip() == "qa: error: --threshold must be between 0 and 1"
