"""SQuAD v1.1 files, read once for training, calibration and evaluation.

`read_articles` returns the ``data`` list of a (gzipped or plain) SQuAD JSON
file; `corpus` turns articles into one `Document` per paragraph and their
questions.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from embeddings.documents import Document, document_from_text


class SquadFileError(ValueError):
    """A file that is not a readable SQuAD v1.1 JSON file; the message is user-facing."""


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: list[str]
    doc_id: str


def is_dev_set(path: Path | str) -> bool:
    return "dev-v1.1" in Path(path).name


def read_articles(path: Path | str) -> list[dict[str, Any]]:
    """The articles of a SQuAD v1.1 file (``.json`` or ``.json.gz``)."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)["data"]
        if not isinstance(data, list):
            raise ValueError("'data' is not a list of articles")
    except (OSError, ValueError, KeyError, TypeError, EOFError) as exc:
        raise SquadFileError(f"{path} is not a readable SQuAD v1.1 JSON file: {exc}") from None
    return data


def paragraph_id(article: dict[str, Any], n: int) -> str:
    return f"{article['title']}#{n}"


def corpus(articles: list[dict[str, Any]]) -> tuple[list[Document], list[SquadQuestion]]:
    """Every paragraph as a document (id ``title#n``) and every question with its gold answers."""
    documents: list[Document] = []
    questions: list[SquadQuestion] = []
    for article in articles:
        for n, paragraph in enumerate(article["paragraphs"]):
            doc_id = paragraph_id(article, n)
            documents.append(document_from_text(paragraph["context"], doc_id, title=doc_id))
            for qa in paragraph["qas"]:
                answers = [a["text"] for a in qa.get("answers", [])]
                if answers:
                    questions.append(SquadQuestion(qa["id"], qa["question"], answers, doc_id))
    return documents, questions
