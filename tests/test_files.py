"""Which files a path names: identity, links, and a reason for every file left out."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from embeddings.documents import DocumentError, read_documents


def write(path: Path, text: str = "Some text about things.") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_same_name_in_two_folders_stays_two_documents(tmp_path):
    a = write(tmp_path / "a" / "notes.txt", "Alpha notes.")
    b = write(tmp_path / "b" / "notes.txt", "Beta notes.")
    docs = read_documents([tmp_path / "a"]).documents + read_documents([tmp_path / "b"]).documents
    assert [d.doc_id for d in docs] == [a.resolve().as_posix(), b.resolve().as_posix()]
    assert docs[0].doc_id != docs[1].doc_id


def test_the_same_file_by_two_routes_is_one_document(tmp_path):
    real = write(tmp_path / "docs" / "guide.md", "# Guide\n\nHello there.")
    os.symlink(real, tmp_path / "docs" / "alias.md")
    reading = read_documents([tmp_path / "docs", tmp_path / "docs" / ".." / "docs" / "guide.md"])
    assert [d.doc_id for d in reading.documents] == [real.resolve().as_posix()]


def test_links_out_of_the_folder_are_not_followed_unless_asked(tmp_path):
    outside = write(tmp_path / "private" / "secret.txt", "The vault code is 1234.")
    write(tmp_path / "docs" / "ok.txt")
    os.symlink(tmp_path / "private", tmp_path / "docs" / "private", target_is_directory=True)
    os.symlink(outside, tmp_path / "docs" / "secret-link.txt")
    reading = read_documents([tmp_path / "docs"])
    assert [Path(d.path).name for d in reading.documents] == ["ok.txt"]
    reasons = {Path(s.path).name: s.reason for s in reading.skipped}
    assert "outside the folder" in reasons["private"] and "outside the folder" in reasons["secret-link.txt"]
    followed = read_documents([tmp_path / "docs"], follow_links=True)
    assert sorted(Path(d.path).name for d in followed.documents) == ["ok.txt", "secret.txt"]


def test_every_skip_has_a_reason(tmp_path, monkeypatch):
    folder = tmp_path / "docs"
    write(folder / "good.txt", "Fine text here.")
    write(folder / "empty.txt", "   \n")
    (folder / "binary.txt").write_bytes(b"\x7fELF\x00\x00")
    (folder / "latin1.txt").write_bytes("Caf\xe9".encode("latin-1"))
    write(folder / "script.py", "print('hi')")
    write(folder / "locked.txt", "You cannot read me.")
    os.symlink(folder / "missing.txt", folder / "dangling.txt")
    write(folder / ".git" / "config.txt", "hidden")
    real_read = Path.read_bytes

    def read_bytes(self):
        if self.name == "locked.txt":
            raise PermissionError(13, "Permission denied", str(self))
        return real_read(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    reading = read_documents([folder])
    assert [Path(d.path).name for d in reading.documents] == ["good.txt"]
    reasons = {Path(s.path).name: s.reason for s in reading.skipped}
    assert set(reasons) == {"empty.txt", "binary.txt", "latin1.txt", "script.py", "locked.txt", "dangling.txt"}
    assert "no text" in reasons["empty.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "UTF-8" in reasons["latin1.txt"]
    assert "unsupported" in reasons["script.py"]
    assert "Permission denied" in reasons["locked.txt"]
    assert "broken link" in reasons["dangling.txt"]


def test_a_named_bad_file_is_an_error_and_a_folder_of_nothing_too(tmp_path):
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01")
    with pytest.raises(DocumentError, match="binary"):
        read_documents([tmp_path / "binary.txt"])
    with pytest.raises(DocumentError, match="no such file"):
        read_documents([tmp_path / "missing.md"])
    write(tmp_path / "only" / "code.py", "x = 1")
    with pytest.raises(DocumentError, match="no readable"):
        read_documents([tmp_path / "only"])
    with pytest.raises(DocumentError, match="unsupported file type"):
        read_documents([tmp_path / "only" / "code.py"])
