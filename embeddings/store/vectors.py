"""One segment's vectors: a FAISS index whose ids are passage rows.

Small segments are exact (`IndexFlatIP`); a segment of `IVF_MIN_PASSAGES`
or more, which only compaction writes, is an inverted-file index with
8-bit scalar quantisation (``IVF{nlist},SQ8``): a quarter of the disk and
memory of flat vectors, and a search that scans ``nprobe`` lists instead
of every vector. The choice and ``nprobe`` come from measured recall@10
against flat search on real MiniLM vectors (benchmarks/bench_scale.py
--recall): questions and passages are not alike, so IVF must probe a
tenth of its lists for recall@10 ≥ 0.97. Files are opened memory-mapped, never copied into memory.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

import numpy as np

VECTORS_FILE = "vectors.faiss"
#: From this many passages a merged segment is an IVF index.
IVF_MIN_PASSAGES = 50_000
#: Share of the lists (~4·√n of them) searched per query: on 60,000 real
#: MiniLM passage vectors and 300 questions, 10% gives recall@10 0.979
#: against flat search (6%: 0.964; SQ8 alone costs 0.006).
NPROBE_SHARE = 0.10
#: Training points per list: FAISS asks for 39; more only costs compaction time.
TRAIN_PER_LIST = 40


@lru_cache(maxsize=1)
def _faiss():
    import faiss

    return faiss


@contextmanager
def _threads(n: int) -> Iterator[None]:
    """Run FAISS with ``n`` OpenMP threads, then restore the count: one thread
    for a single query (OpenMP's threads make it slower, not faster), all
    cores for training. Restored because torch shares the OpenMP runtime: a
    count left at 1 would make every later embedding single-threaded."""
    faiss = _faiss()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(n)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def nlist_for(n: int) -> int:
    return int(max(16, min(65536, 2 ** round(np.log2(4 * np.sqrt(max(n, 1)))))))


def set_nprobe(index, share: float = NPROBE_SHARE) -> None:
    ivf = _faiss().extract_index_ivf(index)
    ivf.nprobe = max(1, min(ivf.nlist, int(np.ceil(ivf.nlist * share))))


class VectorSegment:
    def __init__(self, index, dimension: int):
        self.index = index
        self.dimension = dimension
        self._direct_map = False

    @property
    def kind(self) -> str:
        return "ivf" if self.is_ivf else "flat"

    @property
    def is_ivf(self) -> bool:
        return "IVF" in type(self.index).__name__

    @classmethod
    def build(cls, vectors: np.ndarray, rows: np.ndarray, dimension: int, ivf: bool | None = None) -> VectorSegment:
        faiss = _faiss()
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if ivf is None:
            ivf = len(vectors) >= IVF_MIN_PASSAGES
        if ivf:
            nlist = nlist_for(len(vectors))
            index = faiss.index_factory(dimension, f"IVF{nlist},SQ8", faiss.METRIC_INNER_PRODUCT)
            sample = vectors
            if len(vectors) > nlist * TRAIN_PER_LIST:
                pick = np.random.default_rng(0).choice(len(vectors), nlist * TRAIN_PER_LIST, replace=False)
                sample = vectors[np.sort(pick)]
            with _threads(os.cpu_count() or 1):  # training is a batch job: use the cores
                index.train(sample)
                index.add_with_ids(vectors, rows)
            set_nprobe(index)
        else:
            index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
            index.add_with_ids(vectors, rows)
        return cls(index, dimension)

    def save(self, folder: Path) -> None:
        _faiss().write_index(self.index, str(folder / VECTORS_FILE))

    @classmethod
    def open(cls, folder: Path, dimension: int) -> VectorSegment:
        faiss = _faiss()
        index = faiss.read_index(str(folder / VECTORS_FILE), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
        if "IVF" in type(index).__name__:
            set_nprobe(index)
        return cls(index, dimension)

    def search(self, vector: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the ``k`` nearest, best first."""
        if k <= 0 or self.index.ntotal == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        with _threads(1):
            scores, rows = self.index.search(vector.reshape(1, -1).astype(np.float32), min(k, self.index.ntotal))
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def vectors(self, rows: np.ndarray, positions: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows`` (at ``positions`` in the segment),
        decoded for an IVF segment."""
        rows = np.asarray(rows, dtype=np.int64)
        if not len(rows):
            return np.zeros((0, self.dimension), np.float32)
        if not self.is_ivf:  # an IndexIDMap2 over a flat index: stored in row order
            flat = self.index.index
            if len(positions) > flat.ntotal // 8:
                return flat.reconstruct_n(0, flat.ntotal)[np.asarray(positions)]
            return np.vstack([flat.reconstruct(int(p)) for p in positions]).astype(np.float32)
        if not self._direct_map:
            faiss = _faiss()
            faiss.extract_index_ivf(self.index).set_direct_map_type(faiss.DirectMap.Hashtable)
            self._direct_map = True
        return self.index.reconstruct_batch(rows).astype(np.float32)
