import json

import pytest

from qa.cli import main
from qa.evaluation import evaluate_squad, exact_match, f1_score, normalize_answer


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


def test_eval_on_a_tiny_handmade_file(tiny_squad):
    open_report = evaluate_squad(tiny_squad)
    assert open_report.questions == 3 and open_report.documents == 2
    assert open_report.recall_at_1 == 1.0 and open_report.recall_at_5 == 1.0
    gold = evaluate_squad(tiny_squad, gold_paragraph=True)
    assert gold.recall_at_1 is None
    # q3's gold answer is a whole sentence: any reader that finds it scores EM 1
    # there; the span scores are bounded and consistent with each other.
    assert 0 <= gold.exact_match <= gold.f1 <= 100
    assert gold.f1 > 0


def test_eval_cli_json_and_bad_file(tiny_squad, tmp_path, capsys):
    assert main(["eval", "squad", str(tiny_squad), "--limit", "2", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["questions"] == 2 and set(data) >= {"exact_match", "f1", "recall_at_5", "abstention_rate"}
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    assert main(["eval", "squad", str(bad)]) == 1
    assert "not a readable SQuAD" in capsys.readouterr().err
