import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from embeddings.chunking import chunk_document, split_sentences
from embeddings.documents import document_from_text

words = st.sampled_from(
    ["Dr.", "Mr.", "U.S.", "3.5", "Moscow", "Volkswagen", "Golf", "café", "naïve", "“quoted”",
     "e.g.", "war.", "peace!", "why?", "end.", "—", "Ünïcödé", "日本", "a", "the", "(paren)"]
)
separators = st.sampled_from([" ", " ", " ", "  ", "\n", "\n\n", "\t", "\u00a0", " \n \n "])
texts = st.lists(st.tuples(words, separators), min_size=1, max_size=80).map(
    lambda parts: "".join(w + s for w, s in parts)
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=texts, max_words=st.integers(1, 40), overlap=st.integers(0, 3))
def test_passage_offsets_are_exact_and_cover_every_word(text, max_words, overlap):
    doc = document_from_text(text, "d")
    passages = chunk_document(doc, max_words=max_words, overlap=overlap)
    covered = [False] * len(doc.text)
    for p in passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text == p.text.strip()
        for s_start, s_end in p.sentences:
            assert p.start <= s_start < s_end <= p.end
        for i in range(p.start, p.end):
            covered[i] = True
    for i, ch in enumerate(doc.text):
        if not ch.isspace():
            assert covered[i], f"character {i} ({ch!r}) is in no passage"


@settings(max_examples=100, deadline=None)
@given(text=texts)
def test_sentences_are_ordered_disjoint_and_trimmed(text):
    spans = split_sentences(text)
    last_end = 0
    for start, end in spans:
        assert last_end <= start < end <= len(text)
        assert text[start:end] == text[start:end].strip()
        last_end = end


def test_sentence_splitter_respects_abbreviations():
    text = "Lt. Gen. Moskalik died in the U.S. embassy area. It was 3.5 km away. Next one."
    sentences = [text[a:b] for a, b in split_sentences(text)]
    assert sentences == [
        "Lt. Gen. Moskalik died in the U.S. embassy area.",
        "It was 3.5 km away.",
        "Next one.",
    ]


def test_a_boundary_sentencex_leaves_inside_a_sentence_is_decided_by_pysbd():
    import sentencex

    text = "A park was built. (It is gone now.) The team left. The Cubs stayed."
    # sentencex alone does not end a sentence after a closing parenthesis ...
    assert "(It is gone now.) The team left. " in [x["text"] for x in sentencex.get_sentence_boundaries("en", text)]
    # ... so that sentence goes to pysbd, which does (and the aside joins the sentence before it).
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "A park was built. (It is gone now.)", "The team left.", "The Cubs stayed."
    ]


def test_a_bracketed_aside_alone_joins_the_sentence_before_it():
    """httpx's docs: "(Default 100)" cited alone names a number without what it is the default of."""
    text = ("- `max_connections`, maximum number of allowable connections, or `None` for no limits.\n(Default 100)\n\n"
            "He left. Tesla was not convinced. [citation needed]\n\n(An aside opens this paragraph.) It stays apart.")
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "- `max_connections`, maximum number of allowable connections, or `None` for no limits.\n(Default 100)",
        "He left.",
        "Tesla was not convinced. [citation needed]",
        "(An aside opens this paragraph.)",  # nothing before it in its paragraph to join
        "It stays apart.",
    ]


def test_hard_wrapped_prose_is_not_split_at_line_breaks():
    text = "Our notes are wrapped at\nseventy columns, like an email. Mr. Smith's next\nsentence wraps as well."
    assert [text[a:b] for a, b in split_sentences(text)] == [
        "Our notes are wrapped at\nseventy columns, like an email.",
        "Mr. Smith's next\nsentence wraps as well.",
    ]


def test_budget_and_overlap():
    text = " ".join(f"Sentence number {i} is here." for i in range(30))
    doc = document_from_text(text, "d")
    passages = chunk_document(doc, max_words=20, overlap=1)
    for p in passages:
        assert len(re.findall(r"\S+", p.text)) <= 20
    for a, b in zip(passages, passages[1:]):
        assert a.sentences[-1] == b.sentences[0]  # one sentence of overlap
    no_overlap = chunk_document(doc, max_words=20, overlap=0)
    for a, b in zip(no_overlap, no_overlap[1:]):
        assert a.end <= b.start


def test_passages_follow_blocks_kind_section_and_page():
    from embeddings.documents import Document
    from embeddings.offsets import Block

    text = "Intro one. Intro two.\n\nRow a.\n\nRow b.\n\nx = 1\ny = 2\n\nPage two text."
    blocks = (
        Block(0, 21, "text", ("Guide",)),
        Block(23, 29, "table", ("Guide", "Options")),
        Block(31, 37, "table", ("Guide", "Options")),
        Block(39, 50, "code", ("Guide", "Options")),
        Block(52, 66, "text", ("Guide",), page=2),
    )
    doc = Document("d", "", text, "t", blocks=blocks)
    passages = chunk_document(doc, max_words=100, overlap=0)
    assert [(p.kind, p.section, p.page, p.text) for p in passages] == [
        ("text", ("Guide",), None, "Intro one. Intro two."),
        ("table", ("Guide", "Options"), None, "Row a.\n\nRow b."),
        ("code", ("Guide", "Options"), None, "x = 1\ny = 2"),
        ("text", ("Guide",), 2, "Page two text."),
    ]
    assert passages[2].sentences == ((39, 44), (45, 50))  # code is split by lines
    assert passages[1].embed_text == "Guide › Options\nRow a.\n\nRow b."
    assert passages[0].embed_text == "Guide\nIntro one. Intro two."
