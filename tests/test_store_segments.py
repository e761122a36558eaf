"""The segment store: in-place updates, tombstones, merging, snapshots, crash leftovers.

A stand-in encoder (hash-seeded unit vectors) keeps these fast: they test the
store's bookkeeping, which does not depend on what the vectors mean."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from embeddings.documents import document_from_text
from embeddings.index import MAX_SMALL_SEGMENTS, PassageIndex
from embeddings.settings import IndexSettings
from embeddings.store import varint
from embeddings.store.postings import B, K1, Postings
from embeddings.store.terms import tokenize
from embeddings.store.vectors import VectorSegment
from qa.lexical import question_terms_of

TEXTS = {
    "harbour": "The harbour opened in 1901. Ships from Oslo docked there every spring.",
    "reactor": "The alpha reactor runs on thorium. It was built in 1971 near the harbour.",
    "garden": "Tomatoes need full sun. The garden club meets on Tuesdays.",
    "choir": "The choir sings Bach in December. Rehearsals are on Thursdays.",
}


def docs(**texts: str):
    return [document_from_text(t, d, title=d) for d, t in texts.items()]


@pytest.fixture
def index(tmp_path, stand_in_encoder):
    index = PassageIndex.create(tmp_path / "idx", IndexSettings(max_words=12))
    for name, text in TEXTS.items():  # one segment per add
        index.add_documents(docs(**{name: text}), stand_in_encoder)
    return index


def brute_force_bm25(index: PassageIndex, query: str) -> list[tuple[int, float]]:
    """BM25 straight from the definition, over every live passage."""
    passages = list(index.iter_passages())
    tokens = tokenize([p.embed_text for p in passages])
    n, avgdl = len(passages), sum(map(len, tokens)) / len(passages)
    out = []
    for p, toks in zip(passages, tokens):
        score = 0.0
        for term in dict.fromkeys(question_terms_of(query)):
            df = sum(term in t for t in tokens)
            tf = toks.count(term)
            if tf:
                idf = math.log((n - df + 0.5) / (df + 0.5) + 1.0)
                score += idf * tf * (K1 + 1) / (tf + K1 * (1 - B + B * len(toks) / avgdl))
        if score > 0:
            out.append((p.passage_id, score))
    return sorted(out, key=lambda x: (-x[1], x[0]))


QUERIES = ["When did the harbour open?", "Which reactor runs on thorium?", "Tuesdays garden", "choir Bach"]


def test_bm25_over_segments_equals_bm25_over_the_whole_library(index):
    assert len(index.segments()) == 4
    for query in QUERIES:
        got = index.lexical_search(question_terms_of(query), 50)
        want = brute_force_bm25(index, query)
        assert [r for r, _ in got] == [r for r, _ in want]
        assert np.allclose([s for _, s in got], [s for _, s in want], rtol=1e-5)


def test_removing_a_document_tombstones_it_until_compaction(index, stand_in_encoder):
    harbour_rows = set(index.rows_of(["harbour"]).tolist())
    index.remove("harbour")
    assert "harbour" not in index.documents and len(index.segments()) == 4
    vector = stand_in_encoder.encode_query("anything")
    everything = {r for r, _ in index.search(vector, 100)}
    assert everything and not everything & harbour_rows
    assert not {r for r, _ in index.lexical_search(question_terms_of("harbour 1901 Oslo"), 50)} & harbour_rows
    assert index.compact() == 4
    assert len(index.segments()) == 1 and index.catalog.counters()["live"] == len(index)
    assert {r for r, _ in index.search(vector, 100)} == everything
    for query in QUERIES:  # after merging, scores are those of the whole library still
        assert [r for r, _ in index.lexical_search(question_terms_of(query), 50)] == [
            r for r, _ in brute_force_bm25(index, query)]


def test_changing_a_document_touches_only_that_document(index, stand_in_encoder):
    before = stand_in_encoder.embedded
    report = index.add_documents(docs(**{**TEXTS, "garden": "Peppers need full sun too."}), stand_in_encoder)
    assert report.updated == ["garden"] and sorted(report.unchanged) == ["choir", "harbour", "reactor"]
    assert stand_in_encoder.embedded - before == len(index.passages_of("garden"))
    assert "Peppers" in index.passages_of("garden")[0].text


def test_many_small_adds_are_merged_so_segments_stay_few(tmp_path, stand_in_encoder):
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    for i in range(MAX_SMALL_SEGMENTS + 3):
        index.add_documents(docs(**{f"d{i}": f"Note {i} mentions item {i * 7}."}), stand_in_encoder)
    assert len(index.segments()) <= MAX_SMALL_SEGMENTS
    assert len(index) == MAX_SMALL_SEGMENTS + 3
    assert {f"{s.id:08d}" for s in index.segments()} == {p.name for p in (tmp_path / "idx" / "segments").iterdir()}


def test_a_reader_keeps_its_snapshot_until_it_refreshes(tmp_path, index, stand_in_encoder):
    reader = PassageIndex.open(tmp_path / "idx")
    writer = PassageIndex.open(tmp_path / "idx")
    writer.add_documents(docs(extra="Zeppelins flew over the harbour in 1912."), stand_in_encoder)
    writer.remove("choir")
    terms = question_terms_of("zeppelins")
    assert reader.lexical_search(terms, 5) == []
    choir = reader.lexical_search(question_terms_of("choir Bach"), 5)
    assert choir and reader.passages([r for r, _ in choir]) == []  # removed since: skipped, no error
    assert reader.refresh() is True
    assert reader.lexical_search(terms, 5) and "choir" not in reader.documents


def test_what_a_killed_change_left_is_never_read_and_is_swept(tmp_path, index, stand_in_encoder):
    segments = tmp_path / "idx" / "segments"
    (segments / ".tmp-00000099").mkdir()  # killed while writing a segment
    (segments / "00000098").mkdir()  # killed after the rename, before the commit
    reopened = PassageIndex.open(tmp_path / "idx")
    assert len(reopened.segments()) == 4
    reopened.add_documents(docs(more="One more note."), stand_in_encoder)
    assert not (segments / ".tmp-00000099").exists() and not (segments / "00000098").exists()


def test_a_sync_with_nothing_to_change_still_sweeps_what_a_killed_change_left(tmp_path, index, stand_in_encoder):
    segments = tmp_path / "idx" / "segments"
    (segments / "00000097").mkdir()  # a killed add, after the rename, before the commit
    (segments / "00000097" / "rows.npy").write_bytes(b"")
    report = PassageIndex.open(tmp_path / "idx").add_documents(docs(**TEXTS), stand_in_encoder)
    assert not report.added and not report.updated and len(report.unchanged) == len(TEXTS)
    assert not (segments / "00000097").exists()
    assert {p.name for p in segments.iterdir()} == {f"{s.id:08d}" for s in PassageIndex.open(tmp_path / "idx").segments()}


def test_an_empty_document_is_listed_without_a_segment(tmp_path, stand_in_encoder):
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    index.add_documents(docs(blank=""), stand_in_encoder)
    assert list(index.documents) == ["blank"] and len(index) == 0 and index.segments() == []


def test_merged_postings_equal_postings_built_from_scratch():
    texts = ["the cat sat on the cat mat", "dogs bark", "a cat and a dog", "mats for dogs"]
    tokens = tokenize(texts)
    keep_a, keep_b = np.array([True, False]), np.array([True, True])
    merged = Postings.merge([(Postings.build(tokens[:2]), keep_a), (Postings.build(tokens[2:]), keep_b)])
    direct = Postings.build([tokens[0], *tokens[2:]])
    for name in ("terms", "df", "starts", "codes", "extra_starts", "extra", "lengths"):
        assert np.array_equal(getattr(merged, name), getattr(direct, name)), name


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from([b"a", b"bb", b"cc", b"dd", b"ee", b"ff"]), max_size=40), max_size=300))
def test_postings_decode_to_what_was_indexed(token_lists):
    """Every posting survives the gap and varint coding: each term's passages
    and counts, one term at a time and all at once."""
    postings = Postings.build(token_lists)
    expected = {}
    for position, tokens in enumerate(token_lists):
        for term in set(tokens):
            expected.setdefault(term, []).append((position, tokens.count(term)))
    assert sorted(postings.terms.tolist()) == sorted(expected)
    for i, term in enumerate(postings.terms.tolist()):
        positions, tf = postings._decode(i)
        assert list(zip(positions.tolist(), tf.astype(int).tolist())) == expected[term]
        assert postings.frequency(term) == len(expected[term])
    term_ids, positions, tf = postings.expanded()
    flat = [(postings.terms[t], p, c) for t, p, c in zip(term_ids, positions, tf)]
    assert flat == [(t, p, c) for t in postings.terms.tolist() for p, c in expected[t]]


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=2**62), max_size=50))
def test_varints_round_trip(values):
    codes = varint.encode(np.array(values, dtype=np.uint64))
    assert varint.decode(codes).tolist() == values
    assert len(codes) == sum(max(1, math.ceil(v.bit_length() / 7)) for v in values)


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=50))
def test_zigzag_round_trips_signed_numbers(values):
    assert varint.unzigzag(varint.decode(varint.encode(varint.zigzag(np.array(values))))).tolist() == values


def test_an_ivf_segment_finds_what_flat_search_finds(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((40, 32)).astype(np.float32)
    x = centres[rng.integers(0, 40, 4000)] + 0.3 * rng.standard_normal((4000, 32)).astype(np.float32)
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    rows = np.arange(1000, 5000)
    flat, ivf = (VectorSegment.build(x, rows, 32, ivf=kind) for kind in (False, True))
    ivf.save(tmp_path)
    ivf = VectorSegment.open(tmp_path, 32)
    assert ivf.kind == "ivf"
    hits = total = 0
    for q in x[:50]:
        want = set(flat.search(q, 10)[0].tolist())
        hits += len(want & set(ivf.search(q, 10)[0].tolist()))
        total += len(want)
    assert hits / total >= 0.9
    assert np.abs(ivf.vectors(rows[[0, 3999]], np.array([0, 3999])) - x[[0, 3999]]).max() < 0.02
    assert np.array_equal(flat.vectors(rows[[5, 7]], np.array([5, 7])), x[[5, 7]])


def test_terms_are_the_terms_bm25s_gives():
    import bm25s
    from bm25s.stopwords import STOPWORDS_EN

    from embeddings.store.terms import STOPWORDS, _stemmer

    assert STOPWORDS == frozenset(STOPWORDS_EN)
    texts = ["The Running dogs of Zürich ran_fast in 1901!", "Ünïcödé 日本語 — “quoted” it's", "", "a an the"]
    theirs = bm25s.tokenize(texts, stopwords="en", stemmer=_stemmer(), return_ids=False, show_progress=False)
    assert tokenize(texts) == [[t.encode() for t in toks] for toks in theirs]


def test_passage_text_is_exact_whatever_characters_the_document_holds(tmp_path, stand_in_encoder):
    text = "Zero\x00byte before. Ünïcödé 日本 text, then emoji 🚀 and more words after it."
    index = PassageIndex.create(tmp_path / "idx", IndexSettings(max_words=4))
    index.add_documents(docs(odd=text), stand_in_encoder)
    passages = list(index.iter_passages())
    assert len(passages) > 1 and all(p.text == text[p.start : p.end] for p in passages)


def test_a_scoped_search_ranks_only_its_documents_and_as_bm25_does(index, stand_in_encoder):
    scope = index.rows_of(["reactor", "harbour"])
    got = index.lexical_search(question_terms_of("When did the harbour open?"), 50, scope)
    want = [(r, s) for r, s in brute_force_bm25(index, "When did the harbour open?") if r in set(scope.tolist())]
    assert [r for r, _ in got] == [r for r, _ in want] and got
    dense = index.search(stand_in_encoder.encode_query("harbour"), 50, scope)
    assert {r for r, _ in dense} == set(scope.tolist())


def test_searching_leaves_the_openmp_thread_count_as_it_was(index, stand_in_encoder):
    """torch shares OpenMP with FAISS: a search that left one thread behind
    would make every later embedding single-threaded."""
    import faiss

    from embeddings.store import vectors

    vectors._faiss.cache_clear()  # as in a new process
    faiss.omp_set_num_threads(2)
    index.add_documents(docs(extra="Zeppelins flew over the harbour in 1912."), stand_in_encoder)
    index.search(stand_in_encoder.encode_query("harbour"), 5)
    assert faiss.omp_get_max_threads() == 2


def test_stored_passages_equal_the_chunkers_field_for_field(tmp_path, stand_in_encoder):
    """Offsets, sentences (stored as varint gaps), section path, kind and page
    come back exactly as chunking made them."""
    from embeddings.chunking import chunk_document
    from embeddings.documents import read_document

    source = tmp_path / "guide.md"
    source.write_text(
        "# Guide\n\nIntro sentence one. Intro two.\n\n## Install\n\nRun the installer. It takes 5 min.\n\n"
        "```\npip install thing\n```\n\n| Option | Default |\n|---|---|\n| colour | blue |\n\n" + "Filler words here. " * 300,
        encoding="utf-8",
    )
    document, _ = read_document(source)
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    index.add_documents([document], stand_in_encoder)
    expected = chunk_document(document, index.settings.max_words, index.settings.overlap)
    stored = index.passages_of(document.doc_id)
    assert {p.kind for p in expected} >= {"text", "code"} and any(p.section for p in expected)
    assert [(p.start, p.end, p.text, p.sentences, p.section, p.kind, p.page) for p in stored] == [
        (p.start, p.end, p.text, p.sentences, p.section, p.kind, p.page) for p in expected
    ]


def test_a_documents_passages_must_have_consecutive_rows(tmp_path):
    """The catalog finds a document's passages by its row range, so a gap would lose one."""
    from embeddings.chunking import Passage
    from embeddings.store.catalog import Catalog, NewDocument

    catalog = Catalog.create(tmp_path / "c.sqlite")
    doc = document_from_text("One. Two.", "d")
    passages = [Passage(i, "d", 0, 4, "One.", ((0, 4),)) for i in (3, 5)]
    with pytest.raises(ValueError, match="consecutive rows"), catalog.transaction() as con:
        Catalog.add_documents(con, [NewDocument(doc, passages, [1, 1])])


def test_indexing_reports_splitting_within_a_large_document(tmp_path, stand_in_encoder):
    """A single large file shows splitting move block by block, then embedding."""
    text = "\n\n".join(f"Paragraph {i} says one thing. It says a second thing." for i in range(400))
    calls = []
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    index.add_documents(docs(big=text), stand_in_encoder, progress=lambda *call: calls.append(call))
    splitting = [(done, total) for stage, done, total in calls if stage == "splitting"]
    assert len(splitting) > 100 and all(total == len(text) for _, total in splitting)
    assert [d for d, _ in splitting] == sorted(d for d, _ in splitting) and splitting[-1][0] == len(text)
    stages = [stage for stage, _, _ in calls]
    assert stages.index("embedding") > len(stages) - stages[::-1].index("splitting") - 1


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=10_000), st.integers(min_value=1, max_value=12))
def test_bm25_top_k_equals_brute_force_on_zipfian_text(seed, k):
    """The MaxScore shortcut (frequent terms' passages skipped once they cannot
    reach the top k) returns exactly the brute-force top k."""
    rng = np.random.default_rng(seed)
    vocabulary = [f"w{i}".encode() for i in range(300)]
    weights_of_words = 1.0 / np.arange(1, 301)
    weights_of_words /= weights_of_words.sum()
    token_lists = [list(rng.choice(vocabulary, size=rng.integers(1, 40), p=weights_of_words))
                   for _ in range(int(rng.integers(1, 400)))]
    postings = Postings.build(token_lists)
    query = list(dict.fromkeys(rng.choice(vocabulary[:60], size=int(rng.integers(1, 8)))))
    n = len(token_lists)
    weights = {t: math.log((n - sum(t in toks for toks in token_lists) + 0.5)
                           / (sum(t in toks for toks in token_lists) + 0.5) + 1.0) for t in query}
    avgdl = float(np.mean([len(t) for t in token_lists]))
    brute = []
    for position, tokens in enumerate(token_lists):
        score = sum(w * tokens.count(t) * (K1 + 1) / (tokens.count(t) + K1 * (1 - B + B * len(tokens) / avgdl))
                    for t, w in weights.items() if t in tokens)
        if score > 0:
            brute.append((score, position))
    brute.sort(key=lambda item: (-item[0], item[1]))
    positions, scores = postings.top(weights, avgdl, k)
    assert len(positions) == min(k, len(brute))
    assert np.allclose(scores, [s for s, _ in brute[:k]], rtol=1e-5)
    exact = dict((p, s) for s, p in brute)
    assert all(abs(exact[int(p)] - s) < 1e-4 for p, s in zip(positions, scores))
