import json
from pathlib import Path

import pytest

from embeddings.documents import read_documents
from embeddings.index import FORMAT_VERSION, MANIFEST_FILE, IndexStoreError, PassageIndex
from embeddings.settings import IndexSettings

pytestmark = pytest.mark.slow  # the real packaged encoder embeds every corpus


def names(doc_ids) -> set[str]:
    """File names of document ids (ids are resolved absolute paths)."""
    return {Path(d).name for d in doc_ids}


def id_of(folder: Path, name: str) -> str:
    return (folder / name).resolve().as_posix()


class CountingEncoder:
    """The real encoder, counting what it is asked to embed."""

    def __init__(self, encoder):
        self.inner = encoder
        self.model_name = encoder.model_name
        self.embedded = 0

    @property
    def dimension(self):
        return self.inner.dimension

    def encode(self, texts, **kwargs):
        self.embedded += len(texts)
        return self.inner.encode(texts, **kwargs)


def write_docs(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / f"{name}.txt").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def corpus(tmp_path):
    return write_docs(
        tmp_path / "docs",
        alpha="The alpha reactor runs on thorium. It was built in 1971.",
        beta="Beta testing finished in March. The team shipped version two.",
    )


def test_manifest_and_round_trip(tmp_path, corpus, encoder):
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    index.add_documents(read_documents([corpus]).documents, encoder)
    manifest = json.loads((tmp_path / "idx" / MANIFEST_FILE).read_text())
    assert manifest == {"format_version": FORMAT_VERSION, "model": IndexSettings().model,
                        "chunking": {"max_words": 100, "overlap": 1}}
    loaded = PassageIndex.open(tmp_path / "idx")
    assert loaded.dimension == 384 and names(loaded.documents) == {"alpha.txt", "beta.txt"}
    assert all(len(e.sha256) == 64 for e in loaded.entries())
    assert [p.text for p in loaded.iter_passages()] == [p.text for p in index.iter_passages()]
    rows = loaded.catalog.all_rows()
    assert (loaded.vectors(rows) == index.vectors(rows)).all()
    query = encoder.encode_query("What fuel does the reactor use?")
    best_row = loaded.search(query, 1)[0][0]
    assert Path(loaded.passages([best_row])[0].doc_id).name == "alpha.txt"


def test_incremental_add_change_remove(tmp_path, corpus, encoder):
    counting = CountingEncoder(encoder)
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    index.add_documents(read_documents([corpus]).documents, counting)
    first = counting.embedded
    assert first == len(index) > 0

    report = index.add_documents(read_documents([corpus]).documents, counting)
    assert counting.embedded == first and report.embedded_passages == 0
    assert sorted(names(report.unchanged)) == ["alpha.txt", "beta.txt"]

    write_docs(corpus, gamma="Gamma rays were observed by the satellite.")
    report = index.add_documents(read_documents([corpus]).documents, counting)
    assert names(report.added) == {"gamma.txt"}
    assert counting.embedded - first == len(index.passages_of(id_of(corpus, "gamma.txt")))

    write_docs(corpus, alpha="The alpha reactor now runs on uranium.")
    report = index.add_documents(read_documents([corpus]).documents, counting)
    assert names(report.updated) == {"alpha.txt"}
    assert "uranium" in " ".join(p.text for p in index.passages_of(id_of(corpus, "alpha.txt")))
    assert "thorium" not in " ".join(p.text for p in index.iter_passages())

    index.remove(id_of(corpus, "beta.txt"))
    assert not index.passages_of(id_of(corpus, "beta.txt"))
    reopened = PassageIndex.open(tmp_path / "idx")
    assert names(reopened.documents) == {"alpha.txt", "gamma.txt"}
    assert len(reopened) == sum(1 for _ in reopened.iter_passages())


def test_a_file_read_by_an_older_reading_of_its_format_is_read_again(tmp_path, corpus, encoder, monkeypatch):
    """Unchanged bytes are not enough: when a format is read differently now (Markdown 2 reads
    MkDocs admonitions as prose), the next sync reads its files again; other formats cost nothing."""
    from markdown_it import MarkdownIt
    from mdit_py_plugins.front_matter import front_matter_plugin

    import embeddings.formats as formats
    import embeddings.formats.markdown as markdown_format

    def commonmark_only(myst: bool = False) -> MarkdownIt:  # the Markdown reading of version 1
        return MarkdownIt("commonmark").enable(["table"]).use(front_matter_plugin).disable("text_join")

    (corpus / "guide.md").write_text(
        '# Guide\n\n!!! note "Versions"\n\n    The tool needs Python 3.8 or newer.\n', encoding="utf-8"
    )
    counting = CountingEncoder(encoder)
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    monkeypatch.setattr(formats, "READING_VERSIONS", {"markdown": 1})
    monkeypatch.setattr(markdown_format, "_markdown", commonmark_only)
    index.add_documents(read_documents([corpus]).documents, counting)
    guide = id_of(corpus, "guide.md")
    assert [p.kind for p in index.passages_of(guide)] == ["text", "code"]  # as CommonMark alone reads it

    monkeypatch.undo()  # this version's reading
    before = counting.embedded
    report = PassageIndex.open(tmp_path / "idx").add_documents(read_documents([corpus]).documents, counting)
    assert names(report.updated) == {"guide.md"} and names(report.unchanged) == {"alpha.txt", "beta.txt"}
    reopened = PassageIndex.open(tmp_path / "idx")
    assert [p.kind for p in reopened.passages_of(guide)] == ["text"]
    assert counting.embedded - before == len(reopened.passages_of(guide))
    assert {e.doc_id: e.read_with for e in reopened.entries()}[guide] == formats.READING_VERSIONS["markdown"]
    again = reopened.add_documents(read_documents([corpus]).documents, counting)
    assert names(again.unchanged) == {"alpha.txt", "beta.txt", "guide.md"}


def test_a_document_split_by_an_older_splitting_is_split_again_re_embedding_only_moved_passages(
        tmp_path, encoder, monkeypatch):
    """Upgrading the splitting must not leave an index citing with the old sentences, nor cost a
    whole library's embedding: a document whose passages stay where they were keeps its rows and
    vectors and gets its new sentences; one whose passages moved is embedded again."""
    import embeddings.chunking as chunking

    docs = write_docs(
        tmp_path / "docs",
        # 11 words a passage: joining the aside moves this one's passages ...
        pool="The pool holds connections. Its size is set by max_connections. (Default 100)\n\n"
             "Idle connections close after five seconds.",
        # ... and leaves this one's where they were: one passage either way.
        retries="Retries default to zero. (See the transport.)",
    )
    settings = IndexSettings(max_words=11, overlap=0)
    counting = CountingEncoder(encoder)
    monkeypatch.setattr(chunking, "SPLITTING_VERSION", 1)
    monkeypatch.setattr(chunking, "_join_asides", lambda text, spans: spans)  # how version 1 split
    index = PassageIndex.create(tmp_path / "idx", settings)
    index.add_documents(read_documents([docs]).documents, counting)
    pool, retries = id_of(docs, "pool.txt"), id_of(docs, "retries.txt")

    def sentences(idx, doc_id):
        text = idx.document(doc_id).text
        return [text[a:b] for p in idx.passages_of(doc_id) for a, b in p.sentences]

    assert "(Default 100)" in sentences(index, pool) and "(See the transport.)" in sentences(index, retries)
    kept_rows = index.rows_of([retries])
    kept_vectors = index.vectors(kept_rows)

    monkeypatch.undo()  # this version's splitting
    before = counting.embedded
    report = PassageIndex.open(tmp_path / "idx").add_documents(read_documents([docs]).documents, counting)
    assert names(report.updated) == {"pool.txt", "retries.txt"} and not report.added
    reopened = PassageIndex.open(tmp_path / "idx")
    assert report.embedded_passages == counting.embedded - before == len(reopened.passages_of(pool))
    assert "Its size is set by max_connections. (Default 100)" in sentences(reopened, pool)
    assert sentences(reopened, retries) == ["Retries default to zero. (See the transport.)"]
    assert (reopened.rows_of([retries]) == kept_rows).all()
    assert (reopened.vectors(kept_rows) == kept_vectors).all()
    assert {e.split_with for e in reopened.entries()} == {chunking.SPLITTING_VERSION}
    assert len(reopened) == sum(1 for _ in reopened.iter_passages())
    again = reopened.add_documents(read_documents([docs]).documents, counting)
    assert names(again.unchanged) == {"pool.txt", "retries.txt"} and again.embedded_passages == 0


def test_mismatched_model_or_format_is_refused(tmp_path, corpus, encoder):
    index = PassageIndex.create(tmp_path / "idx", IndexSettings())
    index.add_documents(read_documents([corpus]).documents, encoder)
    with pytest.raises(IndexStoreError, match="built with model"):
        PassageIndex.open(tmp_path / "idx", expected_model="some-other-model")
    manifest = tmp_path / "idx" / MANIFEST_FILE
    data = json.loads(manifest.read_text())
    data["format_version"] = 999
    manifest.write_text(json.dumps(data))
    with pytest.raises(IndexStoreError, match="format version 999"):
        PassageIndex.open(tmp_path / "idx")
    with pytest.raises(IndexStoreError, match="no index"):
        PassageIndex.open(tmp_path / "elsewhere")


def test_refuses_to_overwrite_a_folder_that_is_not_an_index(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.txt").write_text("do not delete")
    with pytest.raises(IndexStoreError, match="not an index folder"):
        PassageIndex.create(precious, IndexSettings())
    assert (precious / "thesis.txt").read_text() == "do not delete"


def test_query_vectors_equal_sentence_transformers_vectors(encoder):
    import sys

    questions = ["Which car was the bomb placed under?", "a", "Ünïcödé 日本 — “quoted” " * 80]
    light = [encoder.encode_query(q) for q in questions]
    assert all(abs(float((v * v).sum()) - 1.0) < 1e-5 for v in light)
    full = encoder.encode(questions)  # sentence-transformers, the indexing path
    for a, b in zip(light, full):
        assert abs(a - b).max() < 1e-4
    assert "sentence_transformers" in sys.modules  # the comparison really used it
