"""The shape of the code: public API, settings read once, light imports, no cycles."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, SHARED
from embeddings.index import SyncReport
from qa.calibration import CALIBRATION_FILE, CalibrationError, LogisticCalibration
from qa.citations import span_label
from qa.settings import READER_WEIGHTS_DIR, Settings, SettingsError


def run_python(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )


def imported_modules(importtime_stderr: str) -> set[str]:
    return {
        line.split("|")[-1].strip()
        for line in importtime_stderr.splitlines()
        if line.startswith("import time:") and "|" in line
    }


def test_public_api_exports_what_it_raises_and_returns():
    import qa

    expected = {
        "Assistant", "Answer", "AskResult", "Citation", "CorpusInfo", "RetrievedPassage",
        "QuestionError", "DocumentError", "IndexStoreError", "ModelNotFoundError",
        "Settings", "SyncReport", "Document", "check_question",
    }
    assert expected <= set(qa.__all__)
    from qa import DocumentError, IndexStoreError, QuestionError

    assert all(issubclass(e, Exception) for e in (DocumentError, IndexStoreError, QuestionError))
    with pytest.raises(AttributeError):
        qa.NoSuchName  # noqa: B018


def test_importing_the_cli_and_the_api_names_loads_no_model_code():
    proc = run_python("import qa.cli, qa, tui; from qa import QuestionError, check_question")
    assert proc.returncode == 0, proc.stderr
    modules = imported_modules(proc.stderr)
    assert not {"torch", "transformers", "sentence_transformers", "sklearn"} & modules


@pytest.mark.slow  # imports torch in a fresh process
def test_the_query_path_imports_no_training_evaluation_or_sklearn():
    code = "import qa.cli, qa.assistant, qa.reader.model, qa.reader.extractive, embeddings.query_encoder"
    proc = run_python(code)
    assert proc.returncode == 0, proc.stderr
    modules = imported_modules(proc.stderr)
    assert "torch" in modules  # the check really ran the model code's imports
    forbidden = {m for m in modules if m.split(".")[0] in {"sklearn", "sentence_transformers"}
                 or m.startswith(("qa.training", "qa.evaluation"))}
    assert not forbidden


@pytest.mark.skipif(not (SHARED / "tools" / "import_cycles.py").is_file(), reason="needs ../shared/tools")
def test_no_import_cycles():
    proc = subprocess.run(
        [sys.executable, str(SHARED / "tools" / "import_cycles.py")],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )
    assert proc.returncode == 0, proc.stdout


def test_settings_come_from_the_environment_in_one_place(tmp_path):
    env = {
        "QA_CACHE_DIR": str(tmp_path / "cache"),
        "QA_DEFAULT_CORPUS": str(tmp_path / "corpus"),
        "QA_EMBEDDING_MODEL": "/models/mini",
        "QA_READER_WEIGHTS": str(tmp_path / "w"),
        "QA_MIN_CONFIDENCE": "0.4",
        "QA_READER_INT8": "1",
    }
    s = Settings.from_env(env)
    assert s.reader_int8 and not Settings.from_env({"QA_READER_INT8": "0"}).reader_int8
    assert s.cache == tmp_path / "cache"
    assert s.default_index_dir == tmp_path / "cache" / "indexes" / "default"
    assert s.corpus_dir == tmp_path / "corpus"
    assert s.index.model == "/models/mini"
    assert s.reader_weights == tmp_path / "w" and s.min_confidence == 0.4
    defaults = Settings.from_env({})
    assert defaults == Settings() and defaults.reader_weights == READER_WEIGHTS_DIR and not defaults.reader_int8
    with pytest.raises(SettingsError, match="QA_READER_INT8 must be 1 or 0"):
        Settings.from_env({"QA_READER_INT8": "maybe"})
    assert (defaults.corpus_dir / "000_81a655e1a47972bf.txt").is_file()
    for bad in ("high", "1.5", "-0.1"):
        with pytest.raises(SettingsError, match="QA_MIN_CONFIDENCE"):
            Settings.from_env({"QA_MIN_CONFIDENCE": bad})


def test_no_module_reads_qa_variables_but_settings():
    readers = [
        p.relative_to(ROOT).as_posix()
        for root in ("qa", "embeddings", "tui")
        for p in (ROOT / root).rglob("*.py")
        if '"QA_' in p.read_text(encoding="utf-8")
    ]
    assert readers == ["qa/settings.py"]


def test_shipped_calibration_loads_and_is_monotone_in_the_margin(tmp_path):
    cal = LogisticCalibration.load(READER_WEIGHTS_DIR / CALIBRATION_FILE)
    assert 0.0 < cal.threshold < 1.0
    probs = [cal.probability({"margin": m, "dense": 0.5, "lexical": 0.5}) for m in range(-10, 11)]
    assert probs == sorted(probs) and 0.0 < probs[0] < probs[-1] < 1.0
    bad = tmp_path / CALIBRATION_FILE
    for text in ("{", json.dumps({"weights": {}, "bias": 0.0}), "[]"):
        bad.write_text(text)
        with pytest.raises(CalibrationError, match="cannot read the calibration"):
            LogisticCalibration.load(bad)


def test_the_shipped_model_card_names_the_shipped_weights():
    # Weights are committed only with a card that says what they are: the card must be theirs.
    import hashlib

    card = (READER_WEIGHTS_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    sha = hashlib.sha256((READER_WEIGHTS_DIR / "reader.safetensors").read_bytes()).hexdigest()
    assert f"sha256: `{sha}`" in card
    data_sha = json.loads((READER_WEIGHTS_DIR / CALIBRATION_FILE).read_text())["data"]["sha256"]
    assert data_sha in card  # the training data's hash, the same file the calibration was fitted on


def test_user_facing_strings_come_from_one_place():
    report = SyncReport(added=["a", "b"], updated=["c"], unchanged=[], embedded_passages=7)
    assert report.summary() == "2 added, 1 updated, 0 unchanged (7 passages embedded)"
    assert SyncReport(removed=["x"]).summary() == "0 added, 0 updated, 0 unchanged, 1 removed (0 passages embedded)"
    assert span_label("Notes", 3, 9) == "Notes · chars 3–9"
    assert span_label("Guide", 3, 9, page=2, section=("Guide", "Workers")) == "Guide › Workers · p. 2 · chars 3–9"
    sources = "\n".join(p.read_text(encoding="utf-8") for p in Path(ROOT, "qa").rglob("*.py"))
    sources += "\n".join(p.read_text(encoding="utf-8") for p in Path(ROOT, "tui").rglob("*.py"))
    assert sources.count("· chars {") == 1, "the citation label is formatted in one place"
