import json

import pytest

from qa.cli import main
from qa.evaluation import squad
from qa.evaluation.harness import evaluate_squad
from qa.evaluation.metrics import exact_match, f1_score, normalize_answer
from qa.settings import Settings


def test_official_normalisation_and_scores():
    assert normalize_answer("The  Volkswagen, Golf!") == "volkswagen golf"
    assert normalize_answer("an apple a day") == "apple day"
    assert exact_match("the Volkswagen Golf", ["Volkswagen Golf", "a car"]) == 1.0
    assert exact_match("Golf", ["Volkswagen Golf"]) == 0.0
    assert f1_score("Golf", ["Volkswagen Golf"]) == pytest.approx(2 / 3)
    assert f1_score("red car", ["blue bike", "red bike"]) == pytest.approx(0.5)
    assert f1_score("", ["x"]) == 0.0


TINY = {
    "version": "1.1",
    "data": [
        {
            "title": "Reactors",
            "paragraphs": [
                {
                    "context": "The alpha reactor runs on thorium. It was built in 1971 by Ada Stone.",
                    "qas": [
                        {"id": "q1", "question": "When was the alpha reactor built?",
                         "answers": [{"text": "1971", "answer_start": 51}]},
                        {"id": "q2", "question": "What fuel does the alpha reactor run on?",
                         "answers": [{"text": "thorium", "answer_start": 26}]},
                    ],
                },
                {
                    "context": "Beta testing finished in March. The team shipped version two in April.",
                    "qas": [
                        {"id": "q3", "question": "When did beta testing finish?",
                         "answers": [{"text": "Beta testing finished in March.", "answer_start": 0}]},
                    ],
                },
            ],
        }
    ],
}


@pytest.fixture
def tiny_squad(tmp_path):
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY))
    return path


def test_squad_loader_gives_paragraph_documents_and_questions(tiny_squad, tmp_path):
    documents, questions = squad.corpus(squad.read_articles(tiny_squad))
    assert [d.doc_id for d in documents] == ["Reactors#0", "Reactors#1"]
    assert [(q.qid, q.doc_id, q.answers) for q in questions] == [
        ("q1", "Reactors#0", ["1971"]), ("q2", "Reactors#0", ["thorium"]),
        ("q3", "Reactors#1", ["Beta testing finished in March."]),
    ]
    gz = tmp_path / "tiny.json.gz"
    import gzip

    gz.write_bytes(gzip.compress(tiny_squad.read_bytes()))
    assert squad.read_articles(gz) == TINY["data"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": 3}')
    with pytest.raises(squad.SquadFileError, match="not a readable SQuAD"):
        squad.read_articles(bad)
    assert squad.is_dev_set("../shared/squad/dev-v1.1-public.json")
    assert not squad.is_dev_set("train-v1.1.json.gz")


@pytest.mark.slow
def test_eval_on_a_tiny_handmade_file(tiny_squad):
    settings = Settings()
    open_report = evaluate_squad(tiny_squad, settings)
    assert open_report.questions == 3 and open_report.documents == 2
    assert open_report.recall_at_1 == 1.0 and open_report.recall_at_5 == 1.0
    gold = evaluate_squad(tiny_squad, settings, gold_paragraph=True)
    assert gold.recall_at_1 is None and gold.mode.startswith("gold paragraph")
    # The trained reader reads "1971" and "thorium" exactly; q3's gold is a whole
    # sentence the reader answers with a phrase of it ("March"): partial F1 only.
    assert gold.exact_match == pytest.approx(200 / 3)
    assert 200 / 3 < gold.f1 < 100
    limited = evaluate_squad(tiny_squad, settings, limit=1, gold_paragraph=True)
    assert limited.questions == 1 and limited.exact_match == 100.0


@pytest.mark.slow
def test_eval_cli_json_and_bad_file(tiny_squad, tmp_path, capsys):
    assert main(["eval", "squad", str(tiny_squad), "--limit", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions"] == 2 and set(data) >= {"exact_match", "f1", "recall_at_5", "abstention_rate"}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["eval", "squad", str(bad)]) == 1
    assert "not a readable SQuAD" in capsys.readouterr().err
