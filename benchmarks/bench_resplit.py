"""What a new splitting costs an existing index, in one run.

    .venv/bin/python benchmarks/bench_resplit.py [DOCS ...] [--squad FILE] [--json]

Builds an index of the files under DOCS (and, with ``--squad``, of every
paragraph of a SQuAD file as a document) as splitting version 1 split them
(a bracketed aside alone was a sentence), then syncs it with this version's
splitting, as the first ``qa index`` after an upgrade does. Reports the
documents split again in place (vectors kept) against those embedded again,
the passages embedded against the library's, and the time of the sync as a
ratio to the first build's.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import embeddings.chunking as chunking  # noqa: E402
from embeddings.documents import Document, read_documents  # noqa: E402
from embeddings.encoder import Encoder  # noqa: E402
from embeddings.index import PassageIndex  # noqa: E402
from embeddings.settings import IndexSettings  # noqa: E402


class _CountingEncoder:
    def __init__(self, encoder: Encoder):
        self.inner, self.model_name, self.embedded = encoder, encoder.model_name, 0

    @property
    def dimension(self) -> int:
        return self.inner.dimension

    def encode(self, texts, **kwargs):
        self.embedded += len(texts)
        return self.inner.encode(texts, **kwargs)


def _documents(folders: list[str], squad: str | None) -> list[Document]:
    documents = read_documents([Path(f) for f in folders]).documents if folders else []
    if squad:
        from qa.evaluation.squad import corpus, read_articles

        documents += corpus(read_articles(squad))[0]
    return documents


def _as_version_1() -> tuple:
    """Split as version 1 did, until the returned state is restored."""
    saved = (chunking.SPLITTING_VERSION, chunking._join_asides)
    chunking.SPLITTING_VERSION = 1
    chunking._join_asides = lambda text, spans: spans
    return saved


def _layout(index: PassageIndex, documents: list[Document]) -> dict[str, tuple]:
    """Each document's passage rows (new rows: embedded again) and sentences."""
    out = {}
    for doc in documents:
        passages = index.passages_of(doc.doc_id)
        out[doc.doc_id] = (tuple(p.passage_id for p in passages), tuple(p.sentences for p in passages))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("docs", nargs="*", help="folders or files to index")
    parser.add_argument("--squad", help="a SQuAD json file: each paragraph a document")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    documents = _documents(args.docs, args.squad)
    if not documents:
        parser.error("nothing to index: give DOCS or --squad")
    encoder = _CountingEncoder(Encoder(IndexSettings().model))
    with tempfile.TemporaryDirectory() as tmp:
        index = PassageIndex.create(Path(tmp) / "index", IndexSettings())
        saved = _as_version_1()
        try:
            began = time.perf_counter()
            index.add_documents(documents, encoder)
            build_s = time.perf_counter() - began
        finally:
            chunking.SPLITTING_VERSION, chunking._join_asides = saved
        built = encoder.embedded
        before = _layout(index, documents)
        began = time.perf_counter()
        report = index.add_documents(documents, encoder)
        sync_s = time.perf_counter() - began
        after = _layout(index, documents)
        result = {
            "documents": len(documents),
            "passages": len(index),
            "documents_split_again": len(report.updated),
            "documents_whose_sentences_changed": sum(before[d][1] != after[d][1] for d in before),
            "documents_embedded_again": sum(before[d][0] != after[d][0] for d in before),
            "passages_embedded_again": encoder.embedded - built,
            "share_of_passages_embedded_again": round((encoder.embedded - built) / max(built, 1), 4),
            "build_s": round(build_s, 2),
            "sync_s": round(sync_s, 2),
            "sync_to_build": round(sync_s / build_s, 4),
        }
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        for key, value in result.items():
            print(f"{key:>24}: {value}")


if __name__ == "__main__":
    main()
