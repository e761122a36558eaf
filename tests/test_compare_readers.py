"""`python -m qa.training.compare`: readers side by side on the held-out training articles,
own paragraph and among others of its article (the figure shared-ranking runs are chosen by)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from qa.settings import READER_WEIGHTS_DIR
from qa.training.compare import main
from qa.training.config import TrainConfig
from qa.training.data import load_pretokenised
from qa.training.heldout import among_paragraphs, heldout_sample

PEOPLE = [("Ada Lorn", "Vienna", "1821", "chemist"), ("Bruno Tal", "Lisbon", "1902", "painter"),
          ("Cora Wynn", "Oslo", "1875", "surgeon"), ("Dario Fenz", "Quito", "1933", "architect"),
          ("Elsa Marr", "Perth", "1890", "composer"), ("Femi Oduya", "Accra", "1948", "engineer")]


def _squad(tmp_path: Path) -> Path:
    """Two articles: the first is trained on, the second (four people, one paragraph each) is held out."""
    articles = []
    for a, people in enumerate([PEOPLE[:2], PEOPLE[2:]]):
        paragraphs = []
        for name, city, year, job in people:
            context = f"{name} was born in {city} in {year}. Later in life, {name} became a famous {job}."
            qas = [{"id": f"{name}-{i}", "question": q, "answers": [{"text": ans, "answer_start": context.index(ans)}]}
                   for i, (q, ans) in enumerate([(f"Where was {name} born?", city), (f"When was {name} born?", year),
                                                 (f"What did {name} become?", job)])]
            paragraphs.append({"context": context, "qas": qas})
        articles.append({"title": f"t{a}", "paragraphs": paragraphs})
    path = tmp_path / "train.json"
    path.write_text(json.dumps({"version": "1.1", "data": articles}))
    return path


def _args(tmp_path: Path, data: Path, *rest: str) -> list[str]:
    return ["--data", str(data), "--heldout-articles", "1", "--eval-questions", "12", "--eval-negatives", "4",
            "--checkpoint-dir", str(tmp_path / "cache"), "--device", "cpu", *rest]


def test_each_question_is_read_with_its_own_paragraph_among_others_of_its_article(tmp_path):
    data_path = _squad(tmp_path)
    cfg = TrainConfig(data=str(data_path), heldout_articles=1, eval_questions=12)
    data = load_pretokenised(data_path, "tiny", cfg, tmp_path)
    qs = heldout_sample(data, cfg)
    assert len(qs) == 12 and len(data.heldout_paragraphs) == 4
    groups = among_paragraphs(data, qs, 3)
    assert groups == among_paragraphs(data, qs, 3)  # every reader reads the same groups
    for q, group in zip(qs, groups):
        assert q.paragraph in group and len(group) == len(set(group)) == 3
    assert {g.index(q.paragraph) for q, g in zip(qs, groups)} != {0}  # shuffled: the own paragraph is not always first
    assert all(len(g) == 4 for g in among_paragraphs(data, qs, 9))  # never more than the article has


def test_compare_reads_the_shipped_reader_among_paragraphs_as_query_time_ranks_them(tmp_path, capsys):
    data = _squad(tmp_path)
    one, four = tmp_path / "one.jsonl", tmp_path / "four.jsonl"
    assert main(_args(tmp_path, data, "--paragraphs", "1", "--json", str(one), str(READER_WEIGHTS_DIR))) == 0
    assert main(_args(tmp_path, data, "--paragraphs", "4", "--json", str(four), str(READER_WEIGHTS_DIR))) == 0
    (alone,), (among,) = ([json.loads(line) for line in p.read_text().splitlines()] for p in (one, four))
    assert alone["own"]["n"] == 12 and alone["among"]["paragraphs"] == 1
    # read alone, the top answer is the own-paragraph one
    assert alone["among"]["f1"] == pytest.approx(alone["own"]["f1"]) and alone["among"]["own_paragraph"] == 1.0
    # among the four people's paragraphs, the question's own paragraph still gives the answer
    assert alone["own"]["f1"] > 80 and among["among"]["own_paragraph"] >= 11 / 12
    assert among["among"]["f1"] > alone["own"]["f1"] - 10
    assert among["own"] == {**alone["own"], "seconds": among["own"]["seconds"]}  # same questions, same reader
    table = capsys.readouterr().out
    assert "among F1" in table and str(READER_WEIGHTS_DIR)[-40:] in table


def test_a_missing_reader_or_the_dev_set_is_a_one_line_error(tmp_path):
    data = _squad(tmp_path)
    with pytest.raises(SystemExit, match=r"^error: no trained reader weights at .*nowhere"):
        main(_args(tmp_path, data, str(READER_WEIGHTS_DIR), str(tmp_path / "nowhere")))
    dev = tmp_path / "dev-v1.1.json"
    dev.write_text(data.read_text())
    with pytest.raises(SystemExit, match="refusing"):
        main(_args(tmp_path, dev, str(READER_WEIGHTS_DIR)))
    assert not (tmp_path / "cache").exists()  # refused before any work
