"""The Python API end to end on the seed article, with the real packaged model."""

import pytest

from qa import Assistant, QuestionError

# (question, words that must be inside the top answer's span)
SEED_QUESTIONS = [
    ("Who did Witkoff meet in Moscow?", "Putin"),
    ("When was Darya Dugina killed?", "August 2022"),
    ("What was the explosive device packed with?", "shrapnel"),
    ("Who is Kirill Dmitriev?", "negotiator"),
    ("Which newspaper described the video of the explosion?", "Guardian"),
    ("What does Moscow insist about Crimea?", "belongs to Russia"),
    ("Who is Steve Witkoff?", "envoy"),
    ("Who has not been on board with the peace settlement?", "Zelensky"),
    ("Where did Witkoff meet Putin?", "Kremlin"),
    ("Whose daughter was Darya Dugina?", "Alexander Dugin"),
    ("What did the video on Russian social media show?", "car exploded"),
    ("Have Ukrainian leaders commented on the bombing?", "yet to comment"),
]

OFF_TOPIC = [
    "Who won the 2018 World Cup?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "What is the boiling point of water?",
]


@pytest.mark.parametrize("question, gold", SEED_QUESTIONS)
def test_seed_question_is_answered_with_a_cited_span(seed_assistant, seed_document, question, gold):
    result = seed_assistant.ask(question)
    assert not result.abstained, result.reason
    top = result.answers[0]
    assert gold.lower() in top.text.lower()
    c = top.citation
    assert seed_document.text[c.start : c.end] == top.text
    assert c.context_start <= c.start < c.end <= c.context_end
    assert seed_document.text[c.passage_start : c.passage_end] == c.passage
    assert c.doc_id == seed_document.doc_id and c.path.endswith(".txt")


def test_every_answer_is_verbatim_and_answers_do_not_overlap(seed_assistant, seed_document):
    for question, _ in SEED_QUESTIONS:
        result = seed_assistant.ask(question, k=5)
        spans = []
        for answer in result.answers:
            c = answer.citation
            assert seed_document.text[c.start : c.end] == answer.text
            assert 0.0 <= answer.score <= 1.0
            assert all(c.end <= s or e <= c.start for s, e in spans), "duplicate spans"
            spans.append((c.start, c.end))
        scores = [a.score for a in result.answers]
        assert scores == sorted(scores, reverse=True)


@pytest.mark.parametrize("question", OFF_TOPIC)
def test_off_topic_questions_abstain(seed_assistant, question):
    result = seed_assistant.ask(question)
    assert result.abstained
    assert result.answers == []
    assert result.passages, "abstention still offers the nearest passages"
    assert result.to_dict()["abstained"] is True


@pytest.mark.parametrize("question", ["", "   \n ", "x" * 20_000])
def test_bad_questions_raise_a_clear_error(seed_assistant, question):
    with pytest.raises(QuestionError):
        seed_assistant.ask(question)


def test_empty_corpus_gives_a_clear_answer(tmp_path, seed_copy):
    assistant = Assistant.from_paths([seed_copy], tmp_path / "idx")
    assistant.remove(assistant.documents[0].doc_id)
    result = assistant.ask("Who did Witkoff meet?")
    assert result.abstained and "no documents" in result.reason
    assert Assistant.load(tmp_path / "idx").info().documents == 0


def test_add_and_remove_through_the_api(tmp_path, seed_copy):
    assistant = Assistant.from_paths([seed_copy], tmp_path / "idx")
    extra = tmp_path / "extra.md"
    extra.write_text("# Lab notes\n\nThe centrifuge in room 12 spins at 9000 rpm.", encoding="utf-8")
    report = assistant.add([extra])
    assert report.added == ["extra.md"]
    result = assistant.ask("How fast does the centrifuge spin?")
    assert "9000 rpm" in result.answers[0].text
    reloaded = Assistant.load(tmp_path / "idx")
    assert {d.doc_id for d in reloaded.documents} == {"000_81a655e1a47972bf.txt", "extra.md"}
    reloaded.remove("extra.md")
    assert [d.doc_id for d in Assistant.load(tmp_path / "idx").documents] == [
        "000_81a655e1a47972bf.txt"
    ]


def test_default_assistant_builds_its_cache_once(monkeypatch):
    first = Assistant.default()
    assert first.info().documents == 1 and first.index_dir.exists()
    mtime = (first.index_dir / "manifest.json").stat().st_mtime_ns
    second = Assistant.default()
    assert (second.index_dir / "manifest.json").stat().st_mtime_ns == mtime
    assert second.info().passages == first.info().passages
