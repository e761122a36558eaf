"""The scale benchmark stays runnable: a 10k-passage run in CI (the 1M run is reported, not run here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT

SQUAD_TRAIN = ROOT.parent / "shared" / "squad" / "train-v1.1.json.gz"


@pytest.mark.slow
@pytest.mark.skipif(not SQUAD_TRAIN.exists(), reason="needs ../shared/squad")
def test_bench_scale_runs_at_10k_passages():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_scale.py"), "--passages", "10000",
                           "--queries", "50", "--json"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    keys = {"passages", "load_s", "retrieve_p50_ms", "retrieve_p95_ms", "rss_mb",
            "disk_bytes_per_passage", "add_one_doc_s"}
    assert keys <= set(result) and result["passages"] == 10000
    assert result["segments"][0] == "flat:10000" and result["segments_after_compact"] == 1
    assert all(result[k] > 0 for k in keys)


@pytest.mark.slow
def test_bench_assistant_runs():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_assistant.py"), "--docs", "3",
                           "--questions", "3", "--repeats", "1"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout[done.stdout.index("{"):])
    assert result["documents"] == 3 and result["passages"] > 3 and result["indexing_throughput_ratio"] > 0


@pytest.mark.slow
def test_bench_resplit_counts_what_an_upgrade_embeds_again(tmp_path):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "limits.md").write_text("# Limits\n\nThe pool holds at most ten connections. (Default 10)\n",
                                    encoding="utf-8")
    (docs / "plain.txt").write_text("Nothing here is bracketed. It reads the same either way.", encoding="utf-8")
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "bench_resplit.py"), str(docs), "--json"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    result = json.loads(done.stdout)
    assert result["documents"] == 2 and result["documents_split_again"] == 2
    assert result["documents_whose_sentences_changed"] == 1  # the aside joined its sentence
    assert result["documents_embedded_again"] == 0 and result["passages_embedded_again"] == 0


def test_docs_eval_scores_the_forced_answer_below_the_threshold():
    from types import SimpleNamespace

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from docs_eval import score

    citation = SimpleNamespace(kind="text", path="/x/rich.md", section=("Install",))
    guess = SimpleNamespace(text="pip install rich", score=0.2, citation=citation)
    result = SimpleNamespace(answers=[guess], abstained=True)  # a best guess below the threshold
    item = {"id": "r1", "split": "heldout", "package": "rich", "question": "How is rich installed?",
            "answers": ["pip install rich"]}
    assert score(item, result)["outcome"] == "abstained"
    assert score(item, result, forced=True)["outcome"] == "right"


def test_docs_eval_reads_a_docs_site_folder(tmp_path):
    """A site's questions name files under its folder; a page that only includes another file is
    skipped (it has no text of its own), and an answer no longer in its file is named."""
    import io

    sys.path.insert(0, str(ROOT / "benchmarks"))
    from docs_eval import check_answers, readable_pages

    (tmp_path / "guides").mkdir()
    (tmp_path / "guides" / "install.md").write_text(
        '# Install\n\n!!! note "Upgrading"\n\n    Run `uv self update` to upgrade.\n', encoding="utf-8")
    (tmp_path / "contributing.md").write_text('--8<-- "CONTRIBUTING.md"\n', encoding="utf-8")
    (tmp_path / "theme.html").write_text("<p>not a page</p>", encoding="utf-8")
    (tmp_path / "api.rst").write_text("API\n===\n\n.. autoclass:: pkg.App\n", encoding="utf-8")
    (tmp_path / "usage.rst").write_text("Usage\n=====\n\nRun ``uv run``.\n", encoding="utf-8")
    log = io.StringIO()
    assert readable_pages(tmp_path, log) == [tmp_path / "guides" / "install.md"]
    assert "contributing.md has no text" in log.getvalue()
    # a Sphinx site names its suffixes: an autodoc-only page has no text of its own either
    assert readable_pages(tmp_path, log, (".rst",)) == [tmp_path / "usage.rst"]
    assert "api.rst has no text" in log.getvalue()
    items = [
        {"id": "t1", "file": "guides/install.md", "answers": ["uv self update"]},
        {"id": "t2", "file": "guides/install.md", "answers": ["uv upgrade"]},
        {"id": "t3", "file": "guides/gone.md", "answers": ["x"]},
        {"id": "u1", "file": "guides/install.md", "unanswerable": True},
    ]
    assert check_answers(items, tmp_path) == [
        "t2 (guides/install.md): no accepted answer occurs in the text any more",
        "t3 (guides/gone.md): no accepted answer occurs in the text any more",
    ]


@pytest.mark.parametrize("name, answerable, unanswerable", [
    ("site_questions.json", 32, 8),  # uv
    ("httpx_questions.json", 24, 8),  # written after the changes its tuning split led to
])
def test_the_site_question_sets_are_well_formed(name, answerable, unanswerable):
    spec = json.loads((ROOT / "benchmarks" / name).read_text(encoding="utf-8"))
    assert len(spec["source"]["commit"]) == 40 and spec["source"]["folder"] == "docs"
    ids = [q["id"] for q in spec["questions"]]
    assert len(ids) == len(set(ids))
    for q in spec["questions"]:
        assert q["split"] in ("tuning", "heldout") and q["file"].endswith(".md") and q["question"].endswith("?")
        assert q.get("unanswerable") is True or (q["answers"] and all(a.strip() for a in q["answers"]))
        for a in q.get("answers", []):
            assert not any(m in a for m in ("`", "**", "](")), a
    heldout = [q for q in spec["questions"] if q["split"] == "heldout"]
    assert sum(not q.get("unanswerable") for q in heldout) == answerable
    assert sum(bool(q.get("unanswerable")) for q in heldout) == unanswerable


@pytest.mark.slow
def test_docs_eval_scores_each_reading_both_given_and_forced(tmp_path, capsys):
    """One pass gives both figures: the forced top answer is scored whatever its confidence, the
    given one only when it reaches the threshold; the listed mode follows --no-abstain."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from docs_eval import main

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "harbour.md").write_text(
        "# The harbour\n\nThe harbour is dredged every year. The main quay is 400 metres long.\n\n"
        "## Ferries\n\nFerries to the island leave every two hours from the north pier.\n", encoding="utf-8")
    spec = {"source": {"repo": "example/harbour", "commit": "0" * 40, "folder": "docs", "skipped": []},
            "questions": [
                {"id": "h1", "split": "heldout", "file": "harbour.md", "question": "How long is the main quay?",
                 "answers": ["400 metres"]},
                {"id": "h2", "split": "heldout", "file": "harbour.md",
                 "question": "How often do ferries to the island leave?", "answers": ["every two hours"]},
                {"id": "u1", "split": "heldout", "file": "harbour.md", "question": "Who built the lighthouse?",
                 "unanswerable": True},
            ]}
    questions = tmp_path / "q.json"
    questions.write_text(json.dumps(spec), encoding="utf-8")
    reports = []
    for flags in ([], ["--no-abstain"]):
        assert main(["--docs", str(docs), "--questions", str(questions), "--json", *flags]) == 0
        reports.append(json.loads(capsys.readouterr().out))
    given, forced = reports
    assert (given["mode"], given["other_mode"], forced["mode"]) == ("abstain", "no-abstain", "no-abstain")
    assert given["totals"] == forced["other_totals"] and given["other_totals"] == forced["totals"]
    g, f = given["totals"]["heldout"], forced["totals"]["heldout"]
    assert f["answerable"]["abstained"] == 0 and f["unanswerable"]["answered_wrongly"] == 1
    assert f["answerable"]["right"] + f["answerable"]["wrong"] == 2
    assert g["answerable"]["right"] <= f["answerable"]["right"]
    assert g["answers_given"] <= f["answers_given"] == 3
