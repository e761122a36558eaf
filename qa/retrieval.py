"""Hybrid retrieval: dense (FAISS) and BM25 rankings fused by reciprocal rank.

Dense vectors catch paraphrase, BM25 catches rare exact words (names, "car");
reciprocal rank fusion (Cormack et al. 2009) needs no score calibration
between the two. The two searches run side by side: BM25 in a worker
thread while the question is embedded and FAISS searched (both release the
GIL in their heavy parts), so a question costs the slower of the two, not
their sum.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from embeddings.chunking import Passage
from embeddings.encoder import Encoder
from embeddings.index import PassageIndex
from qa.citations import RetrievedPassage
from qa.lexical import overlaps, question_terms_of

RRF_K = 60


def reciprocal_rank_fusion(rankings: list[list[int]], k: int = RRF_K) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, row in enumerate(ranking):
            fused[row] = fused.get(row, 0.0) + 1.0 / (k + rank + 1)
    return fused


class Retriever:
    """Ranks passages for a question and attaches the evidence readers and calibration use."""

    def __init__(self, index: PassageIndex, encoder: Encoder):
        self.index = index
        self.encoder = encoder
        self._lexical_worker: ThreadPoolExecutor | None = None

    def _lexical(self, query: str, depth: int, rows: np.ndarray | None) -> Future:
        if self._lexical_worker is None:
            self._lexical_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bm25")
        return self._lexical_worker.submit(self.index.lexical_search, question_terms_of(query), depth, rows)

    def evidence(self, question: str, passages: list[Passage]) -> list[RetrievedPassage]:
        """Given passages (e.g. a question's own paragraph) with the evidence a
        retrieval would have attached: cosine and term overlap."""
        vector = self.encoder.encode_query(question)
        shares = overlaps(self.index, question, [p.embed_text for p in passages])
        cosines = self.index.vectors([p.passage_id for p in passages]) @ vector
        return [
            RetrievedPassage(
                passage=p,
                document=self.index.document(p.doc_id),
                score=1.0,
                dense_score=float(cosine),
                term_overlap=overlap,
            )
            for p, overlap, cosine in zip(passages, shares, cosines)
        ]

    def retrieve(
        self, query: str, k: int = 5, mode: str = "hybrid", rows: np.ndarray | None = None
    ) -> list[RetrievedPassage]:
        """The ``k`` best passages (among ``rows`` only, when given: a scoped question)."""
        if not len(self.index) or k <= 0 or (rows is not None and not len(rows)):
            return []
        depth = max(4 * k, 20)
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"unknown retrieval mode {mode!r}")
        dense: list[tuple[int, float]] = []
        lexical: list[tuple[int, float]] = []
        vector = None
        pending = self._lexical(query, depth, rows) if mode in ("hybrid", "lexical") else None
        if mode in ("hybrid", "dense"):
            vector = self.encoder.encode_query(query)
            # Within a scope, exact scores: cheap, and never miss its best passages.
            dense = self.index.search(vector, depth, rows)
        if pending is not None:
            lexical = pending.result()
        fused = reciprocal_rank_fusion([[r for r, _ in dense], [r for r, _ in lexical]])
        dense_at = {row: (rank, s) for rank, (row, s) in enumerate(dense)}
        lexical_at = {row: (rank, s) for rank, (row, s) in enumerate(lexical)}
        # Equal fused scores mean the two rankings disagree symmetrically; the
        # exact-word evidence (names, numbers) then decides.
        order = sorted(
            fused,
            key=lambda row: (
                -round(fused[row], 12),
                lexical_at.get(row, (depth,))[0],
                dense_at.get(row, (depth,))[0],
            ),
        )
        # A passage removed since this snapshot is skipped (another process's commit).
        passages = self.index.passages(order[: k + 4])[:k]
        shares = overlaps(self.index, query, [p.embed_text for p in passages])
        missing = [p.passage_id for p in passages if p.passage_id not in dense_at]
        cosines = dict(zip(missing, self.index.vectors(missing) @ vector)) if vector is not None and missing else {}
        results = []
        for passage, overlap in zip(passages, shares):
            row = passage.passage_id
            d = dense_at.get(row)
            if d is None and vector is not None:
                # A lexical-only hit still gets its cosine: abstention reads it.
                d = (None, float(cosines[row]))
            lx = lexical_at.get(row)
            results.append(
                RetrievedPassage(
                    passage=passage,
                    document=self.index.document(passage.doc_id),
                    score=fused[row],
                    dense_score=d[1] if d else None,
                    dense_rank=d[0] + 1 if d and d[0] is not None else None,
                    lexical_score=lx[1] if lx else None,
                    lexical_rank=lx[0] + 1 if lx else None,
                    term_overlap=overlap,
                )
            )
        return results
