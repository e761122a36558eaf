"""Real document shapes through the assistant: citations into the file as stored,
structure used, markup never answered, code only for code questions."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.chunking import chunk_document
from embeddings.documents import read_document
from qa import Assistant, Settings
from qa.citations import RetrievedPassage

from conftest import SEEDS

pytestmark = pytest.mark.slow  # the real embedding model and reader

SEED_FILE = next(SEEDS.iterdir())

GUIDE = """\
---
title: Server Guide
date: 2024-03-05
authors: [Ada Lovelace, Grace Hopper]
---
# Server Guide

The **server** listens on port `8080` unless told otherwise. Read the
[full manual](https://example.com/manual) for details &amp; caveats.
<img width="762" src="logo.png">

## Options

| Name | Type | Default |
|------|------|---------|
| password | bool | False |
| workers | int | 4 |

## Running it

Start it from a shell:

```bash
serve --port 7342 --workers 2
```
"""


@pytest.fixture(scope="module")
def guide(tmp_path_factory):
    folder = tmp_path_factory.mktemp("guide")
    (folder / "guide.md").write_text(GUIDE, encoding="utf-8")
    return Assistant.from_paths([folder], settings=Settings(min_confidence=0.0)), folder / "guide.md"


def test_seed_citations_index_the_file_as_stored(seed_assistant):
    raw = SEED_FILE.read_text(encoding="utf-8")
    assert raw.lstrip().startswith("date 2025-04-25")
    for question in ("Which car was the bomb placed under?", "Who is Trump's special envoy?"):
        answer = seed_assistant.ask(question).answers[0]
        c = answer.citation
        assert raw[c.start : c.end] == answer.text == c.source_text
        assert raw[c.context_start : c.context_end] == answer.sentence
        assert raw[c.passage_start : c.passage_end] == c.passage
        a, b = c.in_sentence
        assert answer.sentence[a:b] == answer.text
    assert all("date 2025" not in p.text for p in seed_assistant.index.iter_passages())


def test_markdown_structure_reaches_passages_and_citations(guide):
    assistant, path = guide
    doc = assistant.document(assistant.documents[0].doc_id)
    assert doc.title == "Server Guide" and doc.date == "2024-03-05"
    assert "Ada Lovelace" in doc.metadata["authors"]
    texts = " ".join(p.text for p in assistant.index.iter_passages())
    for markup in ("**", "`", "](", "<img", "762", "&amp;", "title:", "Lovelace"):
        assert markup not in texts
    sections = {p.section for p in assistant.index.iter_passages()}
    assert ("Server Guide", "Options") in sections
    assert {p.kind for p in assistant.index.iter_passages()} == {"text", "table", "code"}


def test_a_table_row_answers_with_its_header(guide):
    assistant, path = guide
    answer = assistant.ask("What is the default of password?").answers[0]
    assert answer.text == "False"
    c = answer.citation
    raw = path.read_text(encoding="utf-8")
    assert raw[c.start : c.end] == "False"
    assert raw[c.start - 20 : c.end].count("password") == 1  # the row's cell, not another False
    assert c.section == ("Server Guide", "Options") and c.kind == "table"
    assert "Options" in c.label


def test_code_answers_only_code_questions(guide):
    assistant, _ = guide
    prose = assistant.ask("What is the default port?", k=5)
    assert all(a.citation.kind != "code" for a in prose.answers)
    assert all("7342" not in a.text for a in prose.answers)
    code = assistant.ask("Which port does the example shell command use?", k=5)
    assert any("7342" in a.text and a.citation.kind == "code" for a in code.answers)


def test_markup_inside_a_span_is_left_out_of_the_answer_but_cited(guide):
    assistant, path = guide
    doc = assistant.document(assistant.documents[0].doc_id)
    raw = path.read_text(encoding="utf-8")
    start = doc.text.index("The server listens")
    where = doc.locate(start, start + len("The server listens"))
    assert raw[where.start : where.end] == "The **server** listens"


words = st.sampled_from(["Golf", "café", "Ünïcödé", "日本", "the", "bomb.", "3.5", "U.S.", "(1990)", "war?", "—"])
seps = st.sampled_from([" ", "  ", "\n", "\n\n", "\t", "\r\n", "\r\n\r\n"])
bodies = st.lists(st.tuples(words, seps), min_size=3, max_size=40).map(lambda ps: "".join(w + s for w, s in ps))
headers = st.sampled_from([
    "", "date 2025-04-25 ", "date 2025-04-25\n", "\ufeff", "\ufeffdate 2024-01-02\r\n",
    "---\ntitle: Notes\ndate: 2024-05-06\n---\n", "\ufeff---\r\ntags: [a, b]\r\n---\r\n# Heading\r\n\r\n",
])


@pytest.fixture(scope="module")
def untrained_reader():
    from qa.reader import ExtractiveReader
    from qa.reader.model import SpanModel

    return ExtractiveReader(model=SpanModel.untrained(seed=3), spans_per_passage=60)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(header=headers, body=bodies, suffix=st.sampled_from([".txt", ".md", ".rst"]))
def test_every_answer_indexes_the_file_as_read_text_returns_it(tmp_path, untrained_reader, header, body, suffix):
    path = tmp_path / f"doc{suffix}"
    path.write_bytes((header + body).encode("utf-8"))
    doc, _ = read_document(path)
    passages = [RetrievedPassage(p, doc, 1.0, dense_score=0.5) for p in chunk_document(doc, max_words=8, overlap=1)]
    answers = untrained_reader.read("What is it?", passages, top_k=8)
    assert answers
    raw = Path(path).read_text(encoding="utf-8")
    for answer in answers:
        c = answer.citation
        assert raw[c.start : c.end] == c.source_text
        if suffix == ".txt":
            assert c.source_text == answer.text
        else:  # Markdown, reStructuredText: the visible words, in order, with any markup between them
            assert answer.text.split() == c.source_text.split() or all(w in c.source_text for w in answer.text.split())


RST_PAGE = """\
Server settings
===============

.. py:data:: MAX_UPLOAD

   The largest upload the server accepts is 16 megabytes.

   .. versionadded:: 2.1
      Uploads are checked by the :func:`~server.limits.inspect_upload` function.
"""


@pytest.fixture(scope="module")
def formats(tmp_path_factory):
    """A PDF of two pages, a saved web page with boilerplate and a Word file, indexed together."""
    import docx
    from fpdf import FPDF

    folder = tmp_path_factory.mktemp("formats")
    pdf = FPDF()
    pdf.set_title("Harbour Report")
    pdf.set_font("Helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, "The harbour was dredged in 1998. Its main quay is 400 metres long.")
    pdf.add_page()
    pdf.multi_cell(0, 8, "The lighthouse keeper is Marta Ruiz. She has kept the light since 2011.")
    pdf.output(str(folder / "harbour.pdf"))
    (folder / "observatory.html").write_text(
        "<html><head><title>Observatory news | City Site</title>"
        "<meta name='author' content='Lena Park'><script>var tracker = 'Subscribe now';</script></head><body>"
        "<nav><a href='/'>Home</a> <a href='/shop'>Shop the telescope sale</a></nav>"
        "<div class='cookie'>We use cookies. Accept all cookies to continue browsing.</div>"
        "<article><h1>Observatory news</h1><h2>The new telescope</h2>"
        "<p>The new telescope has a mirror 2.4 metres wide. It was built by Orion Optics in Leeds.</p>"
        "<p>Public viewing nights are held every Thursday from nine in the evening.</p></article>"
        "<footer>Copyright 2024 City Site. Contact the webmaster at the town hall.</footer></body></html>",
        encoding="utf-8",
    )
    word = docx.Document()
    word.core_properties.title = "Garden rota"
    word.add_heading("Garden rota", 1)
    word.add_paragraph("The community garden opens at seven in the morning.")
    table = word.add_table(rows=3, cols=2)
    for row, (a, b) in zip(table.rows, [("Task", "Volunteer"), ("Watering", "Omar"), ("Compost", "Priya")]):
        row.cells[0].text, row.cells[1].text = a, b
    word.save(folder / "garden.docx")
    (folder / "uploads.rst").write_text(RST_PAGE, encoding="utf-8")
    return Assistant.from_paths([folder], settings=Settings(min_confidence=0.0)), folder


def test_pdf_answers_cite_their_page(formats):
    assistant, folder = formats
    doc = next(d for d in map(assistant.document, assistant.index.documents) if d.format == "pdf")
    answer = assistant.ask("Who is the lighthouse keeper?", within="*.pdf").answers[0]
    c = answer.citation
    assert answer.text == "Marta Ruiz" and c.page == 2
    assert doc.page_text(2)[c.start : c.end] == "Marta Ruiz" == c.source_text
    first = assistant.ask("How long is the main quay?", within="*.pdf").answers[0]
    assert "400 metres" in first.text and first.citation.page == 1 and "p. 1" in first.citation.label


def test_web_page_main_text_answers_and_boilerplate_never_does(formats):
    assistant, _ = formats
    answer = assistant.ask("Who built the new telescope?", within="*.html").answers[0]
    # the maker, from the article's text under its heading (the shipped reader adds "in Leeds": the span's
    # end is the reader's choice, what this checks is that the page's main text is read and cited)
    assert answer.text.startswith("Orion Optics") and "It was built by Orion Optics in Leeds." in answer.sentence
    assert answer.citation.section[-1] == "The new telescope"
    html = next(d for d in map(assistant.document, assistant.index.documents) if d.format == "html")
    assert html.title == "Observatory news" and html.metadata.get("author") == "Lena Park"
    for junk in ("cookies", "Shop the telescope sale", "Copyright", "webmaster", "tracker", "Subscribe"):
        assert junk not in html.text
    for question in ("What should you accept to continue browsing?", "Who do you contact at the town hall?"):
        for a in assistant.ask(question, k=5, within="*.html").answers:
            assert not any(j in a.sentence for j in ("cookies", "webmaster", "Copyright"))


def test_word_table_rows_answer_with_their_header(formats):
    assistant, _ = formats
    answer = assistant.ask("Who is the volunteer for watering?", within="*.docx").answers[0]
    assert answer.text == "Omar" and answer.citation.kind == "table"
    c = answer.citation
    doc = next(d for d in map(assistant.document, assistant.index.documents) if d.format == "docx")
    assert doc.source_text[c.start : c.end] == "Omar"
    assert doc.title == "Garden rota"


def test_words_the_parser_inserted_are_never_an_answer(tmp_path, untrained_reader):
    """Table rows read "The Type of password is bool.": a span of only "The" or "of"
    has no place in the file, so it is never a candidate (it could not be cited)."""
    path = tmp_path / "options.md"
    path.write_text("| Name | Type | Default |\n|---|---|---|\n| password | bool | False |\n| workers | int | 4 |\n",
                    encoding="utf-8")
    doc, _ = read_document(path)
    passages = [RetrievedPassage(p, doc, 1.0, dense_score=0.5) for p in chunk_document(doc)]
    answers = untrained_reader.read("What is the default?", passages, top_k=40)
    assert answers
    raw = path.read_text(encoding="utf-8")
    for answer in answers:
        assert answer.text.strip() not in ("The", "of", "is", "The Type of", "is.")
        assert answer.citation.source_text == raw[answer.citation.start : answer.citation.end]


def test_sphinx_pages_answer_with_the_words_sphinx_shows(formats):
    assistant, folder = formats
    raw = (folder / "uploads.rst").read_text(encoding="utf-8")
    answer = assistant.ask("Which function checks uploads?", within="*.rst").answers[0]
    c = answer.citation
    assert answer.text.startswith("inspect_upload") and "server.limits" not in answer.text
    assert raw[c.start : c.end] == c.source_text and c.source_text.startswith("inspect_upload")
    assert c.section == ("Server settings", "MAX_UPLOAD")
    size = assistant.ask("What is the largest upload the server accepts?", within="*.rst").answers[0]
    assert size.text == "16 megabytes" and raw[size.citation.start : size.citation.end] == "16 megabytes"
