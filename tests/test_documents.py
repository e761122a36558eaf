from pathlib import Path

import pytest

from embeddings.documents import DocumentError, read_document, read_documents

from conftest import SEEDS


def test_seed_date_header_becomes_metadata_and_stays_in_the_offsets():
    (doc,) = read_documents([SEEDS]).documents
    raw = Path(doc.path).read_text(encoding="utf-8")
    assert doc.date == "2025-04-25"
    assert doc.text == raw  # plain text: the reading text is the file as stored
    first = doc.blocks[0]
    assert doc.text[first.start :].startswith("A top Russian general")
    assert all("date 2025" not in doc.text[b.start : b.end] for b in doc.blocks)
    assert doc.title.startswith("A top Russian general")
    assert len(doc.sha256) == 64


def test_folder_reads_every_supported_format_and_ids_are_absolute_paths(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Alpha text.", encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("# Bee title\n\nBody.", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF")
    reading = read_documents([tmp_path])
    docs = {Path(d.doc_id).relative_to(tmp_path.resolve()).as_posix(): d for d in reading.documents}
    assert set(docs) == {"a.txt", "sub/b.md"}
    assert docs["sub/b.md"].title == "Bee title" and docs["sub/b.md"].format == "md"
    assert [(Path(s.path).name, "not a readable PDF" in s.reason) for s in reading.skipped] == [("broken.pdf", True)]


def test_crlf_and_bom_files_keep_offsets_into_the_text_as_read(tmp_path: Path):
    path = tmp_path / "w.txt"
    path.write_bytes("\ufeffdate 2024-01-02\r\nFirst line.\r\n\r\nSecond para.".encode("utf-8"))
    doc, _ = read_document(path)
    raw = path.read_text(encoding="utf-8")
    assert doc.source_text == raw and doc.date == "2024-01-02"
    assert [raw[b.start : b.end] for b in doc.blocks] == ["First line.", "Second para."]


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "no text"),
        (b"   \n\t ", "no text"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00", "binary"),
        ("caf\u00e9".encode("latin-1"), "not valid UTF-8"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(tmp_path: Path, content: bytes, message: str):
    bad = tmp_path / "bad.txt"
    bad.write_bytes(content)
    with pytest.raises(DocumentError, match=message):
        read_documents([bad])


def test_missing_path_and_unsupported_type(tmp_path: Path):
    with pytest.raises(DocumentError, match="no such file"):
        read_documents([tmp_path / "nope.txt"])
    other = tmp_path / "x.xls"
    other.write_bytes(b"\x00\x01")
    with pytest.raises(DocumentError, match="unsupported"):
        read_documents([other])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DocumentError, match="no readable"):
        read_documents([tmp_path / "empty"])
