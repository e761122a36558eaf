"""One segment's BM25 postings: an inverted index in plain arrays, memory-mapped.

Per segment: ``terms`` (sorted fixed-width bytes); for each term, its
postings as variable-byte codes (`embeddings.store.varint`) of
``gap << 1 | (tf > 1)``, where the gap is the distance from the previous
passage holding the term, with the few term frequencies above one in
``extra``; ``starts``/``extra_starts`` slice both per term, ``df`` counts
its postings; ``lengths`` gives terms per passage. Gaps are small for the
frequent terms that make most postings, so a posting takes ~1.4 bytes
instead of the 5 of a position and a count. Scores are computed at query
time from collection-wide statistics (document frequencies summed over
segments, average length), as Lucene does, so a small new segment ranks
its passages on the same scale as the big one. Opening a segment maps its
files; nothing is parsed or rebuilt.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings.store import varint
from embeddings.store.terms import MAX_TERM_BYTES

TERM_DTYPE = np.dtype(f"S{MAX_TERM_BYTES}")
_FILES = ("terms", "df", "starts", "codes", "extra_starts", "extra", "lengths")

#: BM25 parameters (bm25s's and Lucene's defaults).
K1 = 1.5
B = 0.75


@dataclass
class Postings:
    terms: np.ndarray
    df: np.ndarray  # postings per term
    starts: np.ndarray  # term → its slice of ``codes``
    codes: np.ndarray  # varint(gap << 1 | tf > 1), term after term
    extra_starts: np.ndarray  # term → its slice of ``extra``
    extra: np.ndarray  # the term frequencies above one, in posting order
    lengths: np.ndarray

    def __len__(self) -> int:
        return len(self.lengths)

    @classmethod
    def build(cls, token_lists: list[list[bytes]]) -> Postings:
        n = len(token_lists)
        lengths = np.array([len(t) for t in token_lists], dtype=np.int64)
        flat = np.array([t for toks in token_lists for t in toks], dtype=TERM_DTYPE)
        if not len(flat):
            return cls._from_sorted(np.zeros(0, TERM_DTYPE), *(np.zeros(0, np.int64),) * 3, lengths)
        terms, term_ids = np.unique(flat, return_inverse=True)
        owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
        keys, counts = np.unique(term_ids.astype(np.int64) * n + owner, return_counts=True)
        return cls._from_sorted(terms, keys // n, keys % n, counts, lengths)

    @classmethod
    def _from_sorted(cls, terms, term_ids, positions, counts, lengths) -> Postings:
        """Encode postings sorted by (term, position)."""
        term_ids = np.asarray(term_ids, dtype=np.int64)
        positions = np.asarray(positions, dtype=np.int64)
        counts = np.minimum(np.asarray(counts, dtype=np.int64), 255)
        bounds = np.searchsorted(term_ids, np.arange(len(terms) + 1))
        gaps = np.diff(positions, prepend=0)
        firsts = bounds[:-1][np.diff(bounds) > 0]
        gaps[firsts] = positions[firsts]
        several = counts > 1
        codes_per = varint.encode((gaps << 1) | several)
        # Byte offsets per term: a posting's last byte is the one below 0x80.
        ends = np.flatnonzero(codes_per < 0x80) + 1
        byte_bounds = np.concatenate([[0], ends])[bounds]
        extra_bounds = np.concatenate([[0], np.cumsum(several)])[bounds]
        return cls(
            terms=terms,
            df=np.diff(bounds).astype(np.uint32),
            starts=byte_bounds.astype(np.int64),
            codes=codes_per,
            extra_starts=extra_bounds.astype(np.int64),
            extra=counts[several].astype(np.uint8),
            lengths=np.minimum(lengths, 65535).astype(np.uint16),
        )

    def _decode(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Term ``i``'s (positions, term frequencies)."""
        values = varint.decode(self.codes[int(self.starts[i]) : int(self.starts[i + 1])])
        extra = self.extra[int(self.extra_starts[i]) : int(self.extra_starts[i + 1])]
        return np.cumsum(values >> 1), _frequencies(values, extra).astype(np.float32)

    def expanded(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every posting as (term index, position, tf), sorted by term then position."""
        df = np.asarray(self.df, dtype=np.int64)
        term_ids = np.repeat(np.arange(len(self.terms), dtype=np.int64), df)
        values = varint.decode(self.codes)
        gaps = values >> 1
        firsts = (np.cumsum(df) - df)[df > 0]
        # A running sum that restarts at each term's first posting.
        sums = np.cumsum(gaps)
        restart = np.zeros(len(gaps), dtype=np.int64)
        restart[firsts] = sums[firsts] - gaps[firsts]
        positions = sums - np.maximum.accumulate(restart)
        return term_ids, positions, _frequencies(values, self.extra)

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
            local_terms, local_positions, tf = postings.expanded()
            moved = new_pos[local_positions]
            alive = moved >= 0
            term_ids.append(np.searchsorted(terms, postings.terms)[local_terms[alive]])
            positions.append(moved[alive])
            counts.append(tf[alive])
            lengths.append(np.asarray(postings.lengths)[keep])
            base += int(keep.sum())
        if not parts:
            return cls._from_sorted(terms, *(np.zeros(0, np.int64),) * 3, np.zeros(0, np.int64))
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
    def _find(self, term: bytes) -> int | None:
        i = int(np.searchsorted(self.terms, term))
        return i if i < len(self.terms) and self.terms[i] == term else None

    def frequency(self, term: bytes) -> int:
        """How many of the segment's passages hold ``term``."""
        i = self._find(term)
        return 0 if i is None else int(self.df[i])

    def top(self, weights: dict[bytes, float], avgdl: float, k: int,
            dead: np.ndarray | None = None, among: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(positions, BM25 scores) of the ``k`` best passages that hold a query
        term (not ``dead`` ones; only ``among`` positions, when given), given
        each term's idf. Touches only the terms' postings, never the whole
        segment: the candidates are the passages those postings name."""
        acc = np.zeros(len(self), dtype=np.float32)
        hits = []
        for term, idf in weights.items():
            i = self._find(term)
            if i is None:
                continue
            pos, tf = self._decode(i)
            norm = self._norms(avgdl)[pos]
            adds = idf * tf * (K1 + 1.0) / (tf + norm)
            acc[pos] += adds
            hits.append((float(adds.max()), pos))  # the most this term adds to any score
        if not hits:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        if dead is not None:
            acc[dead] = 0.0
        if among is not None:
            candidates = np.unique(np.asarray(among, dtype=np.int64))
        else:
            candidates = self._candidates(hits, acc, k)
        scores = acc[candidates]
        keep = scores > 0
        candidates, scores = candidates[keep], scores[keep]
        if len(scores) > k:
            # The k best, ties broken as a full stable sort would (the earlier position).
            kth = np.partition(scores, len(scores) - k)[len(scores) - k]
            keep = scores >= kth
            candidates, scores = candidates[keep], scores[keep]
        best = np.argsort(-scores, kind="stable")[:k]
        return candidates[best].astype(np.int64), scores[best]

    @staticmethod
    def _candidates(hits: list[tuple[float, np.ndarray]], acc: np.ndarray, k: int) -> np.ndarray:
        """Passages that can be in the top ``k`` (MaxScore, as in Lucene): take
        the postings of the rarest terms first; once the ``k``-th best score
        among them beats everything the remaining, frequent terms could add
        up to, a passage holding only those terms cannot reach the top ``k``,
        and their long posting lists need not be ranked."""
        hits = sorted(hits, key=lambda hit: -hit[0])
        total = sum(len(pos) for _, pos in hits)
        rest = sum(bound for bound, _ in hits)
        taken = np.zeros(len(acc), dtype=bool)  # a mask: cheaper than np.unique
        size = 0
        for bound, pos in hits[:-1]:
            rest -= bound
            taken[pos] = True
            size += len(pos)
            if size > total // 2:
                break
            if size >= k:
                candidates = np.flatnonzero(taken)
                if len(candidates) >= k:
                    kth = np.partition(acc[candidates], len(candidates) - k)[len(candidates) - k]
                    if rest < kth:
                        return candidates
        # Otherwise the best ``k`` postings of each term hold the best ``k`` passages.
        everything = np.concatenate([pos for _, pos in hits])
        limit = k * len(hits)
        if len(everything) > limit:
            everything = everything[np.argpartition(-acc[everything], limit - 1)[:limit]]
        taken[:] = False
        taken[everything] = True
        return np.flatnonzero(taken)

    def _norms(self, avgdl: float) -> np.ndarray:
        """BM25's length normalisation per passage, for this average length (cached)."""
        cached = getattr(self, "_norm_cache", None)
        if cached is None or cached[0] != avgdl:
            norms = K1 * (1.0 - B + B * np.asarray(self.lengths, dtype=np.float32) / max(avgdl, 1e-9))
            cached = self._norm_cache = (avgdl, norms)
        return cached[1]


def _frequencies(values: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """Term frequencies of decoded postings: 1, or the next count in ``extra``
    where a posting's low bit says it occurs more than once."""
    tf = np.ones(len(values), dtype=np.int64)
    several = (values & 1).astype(bool)
    tf[several] = extra
    return tf
