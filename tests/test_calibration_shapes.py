"""Shape builders and calibration metrics of `qa.evaluation.shapes` (no models)."""

from __future__ import annotations

import pytest

from qa.calibration import LogisticCalibration
from qa.evaluation import shapes


def _paragraph(context: str, qid: str, answer: str) -> dict:
    return {"context": context, "qas": [{"id": qid, "question": f"q {qid}?", "answers": [{"text": answer, "answer_start": 0}]}]}


ARTICLES = [
    {"title": "A", "paragraphs": [_paragraph("Alpha one.", "a0", "Alpha"), _paragraph("Alpha two.", "a1", "two")]},
    {"title": "B", "paragraphs": [_paragraph("Beta one.", "b0", "Beta"), _paragraph("Beta two.", "b1", "Beta"),
                                  _paragraph("Beta three.", "b2", "three")]},
]


def test_article_shape_is_one_document_per_article_in_one_corpus():
    (corpus,) = shapes.build_shape(ARTICLES, "article")
    assert corpus.texts() == {"A": "Alpha one.\n\nAlpha two.", "B": "Beta one.\n\nBeta two.\n\nBeta three."}
    assert [(q.qid, q.doc_id, q.paragraph) for q in corpus.questions] == [
        ("a0", "A", 0), ("a1", "A", 1), ("b0", "B", 0), ("b1", "B", 1), ("b2", "B", 2)
    ]


def test_unanswerable_article_drops_only_the_answer_paragraph():
    (corpus,) = shapes.build_shape(ARTICLES, "article")
    q = next(q for q in corpus.questions if q.qid == "b1")
    rest = corpus.without(q.doc_id, q.paragraph)
    assert rest == {"A": "Alpha one.\n\nAlpha two.", "B": "Beta one.\n\nBeta three."}
    assert "Beta two." not in rest["B"]


def test_paragraph_shape_is_one_document_per_paragraph_and_removes_it():
    (corpus,) = shapes.build_shape(ARTICLES, "paragraphs")
    assert list(corpus.docs) == ["A#0", "A#1", "B#0", "B#1", "B#2"]
    q = next(q for q in corpus.questions if q.qid == "a1")
    assert q.doc_id == "A#1"
    rest = corpus.without(q.doc_id, q.paragraph)
    assert "A#1" not in rest and len(rest) == 4


def test_single_shape_is_one_corpus_per_article_with_one_document():
    corpora = shapes.build_shape(ARTICLES, "single")
    assert [list(c.docs) for c in corpora] == [["A"], ["B"]]
    assert [q.qid for q in corpora[1].questions] == ["b0", "b1", "b2"]
    assert corpora[0].without("A", 0) == {"A": "Alpha two."}


def test_unknown_shape_is_refused():
    with pytest.raises(ValueError):
        shapes.build_shape(ARTICLES, "chapters")


def test_sample_keeps_the_same_questions_across_shapes():
    a = shapes.build_shape(ARTICLES, "article")
    s = shapes.build_shape(ARTICLES, "single")
    shapes.sample_questions(a, 3, seed=1)
    shapes.sample_questions(s, 3, seed=1)
    kept = lambda cs: sorted(q.qid for c in cs for q in c.questions)  # noqa: E731
    assert len(kept(a)) == 3 and kept(a) == kept(s)


def test_auroc_on_fixed_numbers():
    assert shapes.auroc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]) == 1.0
    assert shapes.auroc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]) == 0.0
    assert shapes.auroc([0.5, 0.5], [1, 0]) == 0.5
    assert shapes.auroc([0.9, 0.3, 0.5, 0.1], [1, 1, 0, 0]) == 0.75
    assert shapes.auroc([0.3], [1]) is None


def test_reliability_bins():
    rows = shapes.reliability([0.05, 0.15, 0.5, 0.9, 1.0], [0, 0, 1, 1, 0])
    assert [r["count"] for r in rows] == [2, 0, 1, 0, 2]
    assert rows[0]["predicted"] == pytest.approx(0.1) and rows[0]["observed"] == 0.0
    assert rows[1]["predicted"] is None
    assert rows[4]["predicted"] == pytest.approx(0.95) and rows[4]["observed"] == 0.5


def test_selective_figures():
    row = shapes.selective([(0.9, 1), (0.6, 0), (0.2, 1), (0.1, 0)], [0.7, 0.2, 0.1, 0.05], 0.5)
    assert row == {"threshold": 0.5, "coverage": 0.5, "precision": 0.5, "abstained": 0.75}
    assert shapes.selective([(0.1, 1)], [], 0.5)["precision"] is None


def test_evaluate_picks_each_calibrations_best_candidate():
    cal = LogisticCalibration({"x": 10.0}, -5.0, 0.3)
    asked = [
        # the best-margin candidate is listed first; the calibration prefers the second
        shapes.Asked("article", "answerable", "q1", [({"x": 0.1}, "wrong", 0), ({"x": 0.9}, "right", 1)]),
        shapes.Asked("article", "unanswerable", "q1", [({"x": 0.2}, "no", 0)]),
        shapes.Asked("article", "unanswerable", "q2", []),
    ]
    ev = shapes.evaluate(asked, cal, thresholds=(0.5,))
    assert ev["n"] == 3 and ev["right"] == 1 and ev["auroc"] == 1.0
    assert ev["selective"] == [{"threshold": 0.5, "coverage": 1.0, "precision": 1.0, "abstained": 1.0}]


def _synthetic(seed: int, n: int = 300) -> list[shapes.Asked]:
    """Questions whose best candidate is right more often the larger its margin."""
    import random

    rng = random.Random(seed)
    asked = []
    for i in range(n):
        shape = shapes.SHAPES[i % 3]
        answerable = i % 2 == 0
        margin = rng.gauss(4.0 if answerable else -1.0, 2.0)
        right = int(answerable and rng.random() < 1 / (1 + 2.718 ** (-(margin - 2.0))))
        feats = {"margin": margin, "dense": rng.uniform(0.2, 0.8), "lexical": rng.uniform(0.0, 1.0)}
        asked.append(shapes.Asked(shape, "answerable" if answerable else "unanswerable", f"q{i}",
                                  [(feats, "x", right)]))
    return asked


def test_fit_on_a_tiny_synthetic_set_is_monotone_bounded_and_reproducible():
    asked = _synthetic(seed=7)
    cal = shapes.fit(asked, shapes.FEATURES, threshold=0.5)
    assert cal.weights["margin"] > 0
    probs = [cal.probability({"margin": m, "dense": 0.5, "lexical": 0.5}) for m in range(-10, 11)]
    assert all(0.0 < p < 1.0 for p in probs)
    assert probs == sorted(probs) and probs[0] < 0.1 and probs[-1] > 0.9
    assert shapes.fit(_synthetic(seed=7), shapes.FEATURES, threshold=0.5) == cal  # same seed, same fit
    with pytest.raises(ValueError, match="both right and wrong"):
        shapes.fit([a for a in asked if a.kind == "unanswerable"], shapes.FEATURES, threshold=0.5)


def test_threshold_is_the_one_with_the_best_worst_figure_over_shapes():
    asked = _synthetic(seed=3, n=600)
    cal = shapes.fit(asked, shapes.FEATURES, threshold=0.5)
    chosen = shapes.choose_threshold(asked, cal)

    def worst(t: float) -> float:
        rows = [shapes.evaluate(sub, cal, (t,))["selective"][0] for sub in shapes.by_shape(asked).values()]
        return min(r[k] or 0.0 for r in rows for k in ("coverage", "precision", "abstained"))

    assert chosen in shapes.THRESHOLDS
    assert all(worst(chosen) >= worst(t) for t in shapes.THRESHOLDS)
    # A calibration that calls everything certain cannot abstain: the highest threshold is no help
    # either, so the lowest (answer most) wins the tie.
    sure = LogisticCalibration({"margin": 0.0}, 30.0, 0.5)
    assert shapes.choose_threshold(asked, sure) == min(shapes.THRESHOLDS)


def test_coverage_times_precision_never_exceeds_the_top_answer_right_rate():
    # The bound the report prints beside the selective figures: at any threshold,
    # the right answers given are some of the questions whose top answer is right.
    asked = _synthetic(seed=5, n=600)
    cal = shapes.fit(asked, shapes.FEATURES, threshold=0.5)
    ev = shapes.evaluate(asked, cal, thresholds=shapes.THRESHOLDS)
    answerable = [a for a in asked if a.kind == "answerable"]
    assert ev["top_right"] == sum(a.candidates[0][2] for a in answerable) / len(answerable)
    for row in ev["selective"]:
        assert row["coverage"] * (row["precision"] or 0.0) <= ev["top_right"] + 1e-12
    # At a threshold nothing falls below, the bound is reached.
    everything = shapes.evaluate(asked, LogisticCalibration({"margin": 0.0}, 30.0, 0.5), thresholds=(0.5,))
    row = everything["selective"][0]
    assert row["coverage"] == 1.0 and row["precision"] == pytest.approx(everything["top_right"])
    assert "top answer right on" in shapes.format_evaluation("refit", ev)
    assert shapes.evaluate([a for a in asked if a.kind != "answerable"], cal)["top_right"] is None


def test_the_report_reads_with_the_configured_reader_and_its_own_calibration(tmp_path, monkeypatch, capsys):
    # `QA_READER_WEIGHTS=DIR python -m qa.evaluation.shapes` must report DIR's reader (a candidate
    # before it ships), with DIR's calibration as the one in use: not the shipped reader.
    import json

    weights = tmp_path / "candidate"
    weights.mkdir()
    (weights / "calibration.json").write_text(json.dumps({"weights": {"margin": 0.123}, "bias": -1.5, "threshold": 0.6}))
    squad = tmp_path / "squad.json"
    squad.write_text(json.dumps({"version": "1.1", "data": ARTICLES}))
    monkeypatch.setenv("QA_READER_WEIGHTS", str(weights))
    seen = []

    def fake_collect(articles, max_questions, settings=None, reader=None, progress=None, seed=0):
        seen.append((settings.reader_weights, reader.weights_dir, reader.calibration))
        return _synthetic(seed=len(seen))

    monkeypatch.setattr(shapes, "collect_shapes", fake_collect)
    assert shapes.main(["--fit-file", str(squad), "--report-file", str(squad)]) == 0
    assert len(seen) == 2  # the fit file and the report file
    for settings_dir, reader_dir, calibration in seen:
        assert settings_dir == reader_dir == weights
        assert calibration == LogisticCalibration({"margin": 0.123}, -1.5, 0.6)
    assert "**shipped**" in capsys.readouterr().out  # reported as the calibration in use
