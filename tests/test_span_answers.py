"""Span answers across passages: offsets, duplicate merging, sentence bounds."""

import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow  # the real network (packaged encoder weights) in every test
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.chunking import chunk_document
from embeddings.documents import document_from_text
from qa.citations import RetrievedPassage
from qa.reader import ExtractiveReader, Reader
from qa.reader.extractive import splits_a_token, within_one_sentence

from conftest import ROOT


@pytest.fixture(scope="module")
def untrained_answerer():
    """The real reader network with a random head: arbitrary spans, real offsets."""
    from qa.reader.model import SpanModel

    return ExtractiveReader(model=SpanModel.untrained(seed=1), spans_per_passage=60)


def retrieved(doc, max_words, overlap):
    passages = chunk_document(doc, max_words=max_words, overlap=overlap)
    return [RetrievedPassage(p, doc, 1.0, dense_score=0.5) for p in passages]


words = st.sampled_from(
    ["Golf", "Volkswagen", "café", "Ünïcödé", "日本", "the", "bomb.", "3.5", "U.S.", "“quoted”",
     "(1990)", "a", "war?", "—", "peace!", "pic.twitter.com/qemmLN8G9v", "10:30", "@RWApodcast"]
)
seps = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", "\u00a0"])
texts = st.lists(st.tuples(words, seps), min_size=3, max_size=60).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, max_words=st.integers(3, 20))
def test_answers_are_verbatim_within_a_sentence_and_never_overlap(untrained_answerer, text, max_words):
    doc = document_from_text(text, "d")
    passages = retrieved(doc, max_words, overlap=2)  # heavy overlap: duplicates guaranteed
    answers = untrained_answerer.read("What is it?", passages, top_k=10)
    assert answers, "every passage has one-word spans inside a sentence"
    spans = []
    for answer in answers:
        c = answer.citation
        assert doc.text[c.start : c.end] == answer.text
        assert answer.text.strip() == answer.text and answer.text
        assert doc.text[c.context_start : c.context_end] == answer.sentence
        assert c.context_start <= c.start < c.end <= c.context_end
        assert not splits_a_token(doc.text, c.start, c.end), f"{answer.text!r} cuts a URL, number or path"
        for s, e in spans:
            assert c.end <= s or e <= c.start, "overlapping passages gave a duplicate answer"
        spans.append((c.start, c.end))
    assert [a.score for a in answers] == sorted((a.score for a in answers), reverse=True)


def test_the_extractive_reader_plays_the_reader_role():
    reader = ExtractiveReader()
    assert isinstance(reader, Reader)
    assert reader._model is None, "models load lazily, at warm_up or the first read"
    assert 0.0 < reader.calibration.threshold < 1.0


def test_within_one_sentence():
    doc = document_from_text("First one here. Second one there.", "d")
    (passage,) = chunk_document(doc)
    assert within_one_sentence(passage, 0, 5)
    assert not within_one_sentence(passage, 6, 20)  # crosses into the second sentence


def test_a_span_that_cuts_a_url_version_or_time_is_no_answer():
    text = "He met Putin pic.twitter.com/5xREq3 on Friday at 10:30, with Python 3.10 and U.S. envoys."
    at = text.index

    def cuts(phrase: str, start: int | None = None) -> bool:
        start = at(phrase) if start is None else start
        return splits_a_token(text, start, start + len(phrase))

    assert cuts("Putin pic") and cuts("twitter") and cuts("com/5xREq3 on") and cuts("3", at("3.10"))
    assert cuts("10", at("10:30")) and cuts("U", at("U.S."))
    assert not cuts("Putin") and not cuts("pic.twitter.com/5xREq3") and not cuts("10:30")
    assert not cuts("Python 3.10") and not cuts("U.S.") and not cuts("Friday")
    assert not splits_a_token("The end.", 4, 8) and not splits_a_token("Golf.", 0, 4)


def test_shipped_weights_load_offline_in_a_fresh_process():
    code = (
        "from qa import Assistant; a = Assistant.from_paths(['seeds']);"
        "r = a.ask('When was Darya Dugina killed?'); print(a.reader.name, r.answers[0].text)"
    )
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1", PYTHONPATH=str(ROOT))
    env.pop("QA_READER_WEIGHTS", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["extractive", "August", "2022"]


def test_further_passages_are_read_only_when_no_answer_reaches_the_mark(untrained_answerer):
    first = document_from_text("Alpha beta gamma delta.", "first")
    second = document_from_text("Epsilon zeta eta theta.", "second")
    p1, p2 = retrieved(first, 50, 0), retrieved(second, 50, 0)

    def cited(answers):
        return {a.citation.doc_id for a in answers}

    assert cited(untrained_answerer.read("What is it?", p1, 10, further=p2, until=0.0)) == {"first"}
    assert cited(untrained_answerer.read("What is it?", p1, 10, further=p2, until=1.01)) == {"first", "second"}
    assert cited(untrained_answerer.read("What is it?", p1, 10, further=p2)) == {"first"}  # no mark: no further
    texts = {t for _, t in untrained_answerer.features("What is it?", p1, further=p2, until=1.01)}
    assert any(t in second.text for t in texts) and any(t in first.text for t in texts)


def test_a_code_block_is_read_after_its_lead_in_and_answers_from_the_code_alone():
    """The reader sees "Use irm to download the script:" before the command (what the code is
    for), but every answer, and its citation, lies inside the code passage."""
    from embeddings.documents import document_from_parsed
    from embeddings.formats.markdown import parse_markdown
    from qa.reader.model import SpanModel

    src = "# Install\n\nUse irm to download the script:\n\n```\nirm https://x.test/install.ps1 | iex\n```\n"
    doc = document_from_parsed(parse_markdown(src), "doc", "/x/install.md", "0" * 64, "md")
    passages = [RetrievedPassage(p, doc, 1.0, dense_score=0.5) for p in chunk_document(doc)]
    code = next(rp for rp in passages if rp.passage.kind == "code")
    seen: list[list[str]] = []
    reader = ExtractiveReader(model=SpanModel.untrained(seed=3), spans_per_passage=40)
    predict = reader.model.predict

    def spy(question, texts, **kwargs):
        seen.append(list(texts))
        return predict(question, texts, **kwargs)

    reader.model.predict = spy
    candidates = reader.candidates("Which command installs it?", passages)
    assert "Use irm to download the script:\nirm https://x.test/install.ps1 | iex" in seen[0]
    from_code = [c for c in candidates if c.rp is code]
    assert from_code and all(code.passage.start <= c.start < c.end <= code.passage.end for c in from_code)
    assert all(c.text == doc.text[c.start : c.end] and "Use irm" not in c.text for c in from_code)


def test_a_command_read_from_code_is_the_whole_command_without_its_prompt():
    """The shipped reader, trained on prose, reads "$ pip" from "$ pip install httpx[http2]" (httpx's
    docs): its answer is the command, cited verbatim, never the prompt or the program's name alone."""
    from embeddings.documents import document_from_parsed
    from embeddings.formats.markdown import parse_markdown

    src = ("# HTTP/2\n\nYou can do so by first making sure to install\nthe optional HTTP/2 dependencies...\n\n"
           "```shell\n$ pip install httpx[http2]\n```\n\nAnd then instantiating a client with HTTP/2 support enabled.\n")
    doc = document_from_parsed(parse_markdown(src), "doc", "/x/http2.md", "0" * 64, "md")
    passages = [RetrievedPassage(p, doc, 1.0, dense_score=0.5) for p in chunk_document(doc)]
    question = "What is the command to install the optional HTTP/2 dependencies?"
    from_code = [c for c in ExtractiveReader().candidates(question, passages) if c.rp.passage.kind == "code"]
    best = max(from_code, key=lambda c: c.margin)
    assert best.text == "pip install httpx[http2]" == doc.text[best.start : best.end]
    assert not any(c.text.startswith("$") or c.text == "pip" for c in from_code)


def test_candidates_keep_the_span_and_no_answer_scores_their_margin_comes_from(untrained_answerer):
    """The shapes report can try the two scores apart as calibration features (`--features`);
    the shipped calibration reads only the margin, their difference."""
    doc = document_from_text("The harbour is dredged every year. The main quay is 400 metres long.", "d")
    predictions = untrained_answerer.model.predict("How long is the quay?", [doc.text], top_k=60,
                                                   max_answer_tokens=30)[0]
    candidates = untrained_answerer.candidates("How long is the quay?", retrieved(doc, 50, 0))
    assert candidates
    for c in candidates:
        f = c.features
        assert f["no_answer"] == pytest.approx(predictions.no_answer_score)
        assert f["margin"] == pytest.approx(f["span"] - f["no_answer"])
        assert any(f["span"] == pytest.approx(s.score) for s in predictions.spans)
