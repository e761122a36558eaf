"""One segment's BM25 postings: an inverted index in plain arrays, memory-mapped.

Per segment: ``terms`` (sorted fixed-width bytes), ``indptr`` (term → slice
of the postings), ``positions`` (the passage's place in the segment) with
``tf`` (term frequency), and ``lengths`` (terms per passage). Scores are
computed at query time from collection-wide statistics (document
frequencies summed over segments, average length), as Lucene does, so a
small new segment ranks its passages on the same scale as the big one.
Opening a segment maps its files; nothing is parsed or rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.store.terms import MAX_TERM_BYTES

TERM_DTYPE = np.dtype(f"S{MAX_TERM_BYTES}")
_FILES = ("terms", "indptr", "positions", "tf", "lengths")

#: BM25 parameters (bm25s's and Lucene's defaults).
K1 = 1.5
B = 0.75


@dataclass
class Postings:
    terms: np.ndarray
    indptr: np.ndarray
    positions: np.ndarray
    tf: np.ndarray
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)

    @classmethod
    def build(cls, token_lists: list[list[bytes]]) -> Postings:
        n = len(token_lists)
        lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
        flat = np.array([t for toks in token_lists for t in toks], dtype=TERM_DTYPE)
        if not len(flat):
            return cls(np.zeros(0, TERM_DTYPE), np.zeros(1, np.int64), np.zeros(0, np.uint32),
                       np.zeros(0, np.uint8), np.minimum(lengths, 65535).astype(np.uint16))
        terms, term_ids = np.unique(flat, return_inverse=True)
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        keys, counts = np.unique(term_ids.astype(np.int64) * n + owner, return_counts=True)
        return cls._from_sorted(terms, keys // n, keys % n, counts, lengths)

    @classmethod
    def _from_sorted(cls, terms, term_ids, positions, counts, lengths) -> Postings:
        return cls(
            terms=terms,
            indptr=np.searchsorted(term_ids, np.arange(len(terms) + 1)).astype(np.int64),
            positions=positions.astype(np.uint32),
            tf=np.minimum(counts, 255).astype(np.uint8),
            lengths=np.minimum(lengths, 65535).astype(np.uint16),
        )

    @classmethod
    def merge(cls, parts: list[tuple[Postings, np.ndarray]]) -> Postings:
        """One segment from several, keeping only the positions each ``keep``
        mask allows (tombstoned passages are dropped), in order."""
        terms = np.unique(np.concatenate([p.terms for p, _ in parts])) if parts else np.zeros(0, TERM_DTYPE)
        term_ids, positions, counts, lengths = [], [], [], []
        base = 0
        for postings, keep in parts:
            new_pos = np.full(len(postings), -1, dtype=np.int64)
            new_pos[keep] = base + np.arange(int(keep.sum()))
            owner_term = np.repeat(np.searchsorted(terms, postings.terms), np.diff(postings.indptr))
            moved = new_pos[np.asarray(postings.positions, dtype=np.int64)]
            alive = moved >= 0
            term_ids.append(owner_term[alive])
            positions.append(moved[alive])
            counts.append(np.asarray(postings.tf)[alive])
            lengths.append(np.asarray(postings.lengths)[keep])
            base += int(keep.sum())
        term_ids_a, positions_a = np.concatenate(term_ids), np.concatenate(positions)
        used, term_ids_a = np.unique(term_ids_a, return_inverse=True)  # terms only dropped passages used go
        order = np.lexsort((positions_a, term_ids_a))
        return cls._from_sorted(terms[used], term_ids_a[order], positions_a[order],
                                np.concatenate(counts)[order], np.concatenate(lengths))

    def save(self, folder: Path) -> None:
        for name in _FILES:
            np.save(folder / f"{name}.npy", getattr(self, name))

    @classmethod
    def open(cls, folder: Path) -> Postings:
        return cls(**{name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in _FILES})

    # ---- reading ---------------------------------------------------------
    def _slice(self, term: bytes) -> tuple[int, int]:
        i = int(np.searchsorted(self.terms, term))
        if i < len(self.terms) and self.terms[i] == term:
            return int(self.indptr[i]), int(self.indptr[i + 1])
        return 0, 0

    def df(self, term: bytes) -> int:
        lo, hi = self._slice(term)
        return hi - lo

    def top(self, weights: dict[bytes, float], avgdl: float, k: int,
            dead: np.ndarray | None = None, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, BM25 scores) of the ``k`` best passages that hold a query
        term (not ``dead`` ones; only ``among`` positions, when given), given
        each term's idf. Touches only the terms' postings, never the whole
        segment: candidates are the postings themselves, and since a passage
        occurs once per term, the best ``k × terms`` postings hold the best
        ``k`` passages."""
        acc = np.zeros(len(self), dtype=np.float32)
        hits = []
        for term, idf in weights.items():
            lo, hi = self._slice(term)
            if hi == lo:
                continue
            pos = np.asarray(self.positions[lo:hi])
            tf = np.asarray(self.tf[lo:hi], dtype=np.float32)
            norm = self._norms(avgdl)[pos]
            acc[pos] += idf * tf * (K1 + 1.0) / (tf + norm)
            hits.append(pos)
        if not hits:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if dead is not None:
            acc[dead] = 0.0
        if among is not None:
            candidates = np.asarray(among, dtype=np.int64)
            limit = k
        else:
            candidates = np.concatenate(hits) if len(hits) > 1 else hits[0]
            limit = k * len(hits)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-acc[candidates], limit - 1)[:limit]]
        candidates = np.unique(candidates)
        scores = acc[candidates]
        keep = scores > 0
        candidates, scores = candidates[keep], scores[keep]
        best = np.argsort(-scores, kind="stable")[:k]
        return candidates[best].astype(np.int64), scores[best]

    def _norms(self, avgdl: float) -> np.ndarray:
        """BM25's length normalisation per passage, for this average length (cached)."""
        cached = getattr(self, "_norm_cache", None)
        if cached is None or cached[0] != avgdl:
            norms = K1 * (1.0 - B + B * np.asarray(self.lengths, dtype=np.float32) / max(avgdl, 1e-9))
            cached = self._norm_cache = (avgdl, norms)
        return cached[1]
