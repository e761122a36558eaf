from pathlib import Path

import pytest

from embeddings.documents import DocumentError, read_documents

from conftest import SEEDS


def test_seed_date_header_becomes_metadata_not_text():
    (doc,) = read_documents([SEEDS])
    assert doc.date == "2025-04-25"
    assert doc.text.startswith("A top Russian general")
    assert "date 2025" not in doc.text[:40]
    assert len(doc.sha256) == 64


def test_folder_reads_txt_and_md_and_ids_are_relative_paths(tmp_path: Path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "a.txt").write_text("Alpha text.", encoding="utf-8")
    (tmp_path / "sub" / "b.md").write_text("# Bee title\n\nBody.", encoding="utf-8")
    (tmp_path / "skip.pdf").write_bytes(b"%PDF")
    docs = {d.doc_id: d for d in read_documents([tmp_path])}
    assert set(docs) == {"a.txt", "sub/b.md"}
    assert docs["sub/b.md"].title == "Bee title"


def test_same_name_from_two_folders_gets_distinct_ids(tmp_path: Path):
    for name in ("x", "y"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "notes.txt").write_text(f"Text {name}.", encoding="utf-8")
    docs = read_documents([tmp_path / "x" / "notes.txt", tmp_path / "y" / "notes.txt"])
    assert len({d.doc_id for d in docs}) == 2


@pytest.mark.parametrize(
    "content, message",
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
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
    other = tmp_path / "x.pdf"
    other.write_bytes(b"%PDF-1.4")
    with pytest.raises(DocumentError, match="unsupported"):
        read_documents([other])
    (tmp_path / "empty").mkdir()
    with pytest.raises(DocumentError, match="holds no"):
        read_documents([tmp_path / "empty"])
