"""Variable-byte integers (LEB128), vectorised with numpy.

Small numbers take one byte, and the store's numbers are mostly small once
they are written as gaps: a posting list's passage positions, a passage's
sentence offsets. Lucene's postings start from the same idea. Seven bits a
byte; the high bit says another byte follows.
"""

from __future__ import annotations

import numpy as np

_MAX_BYTES = 10  # 64 bits / 7


def encode(values: np.ndarray) -> np.ndarray:
    """Non-negative integers → their LEB128 bytes, one after another."""
    v = np.asarray(values, dtype=np.uint64).ravel()
    if not len(v):
        return np.zeros(0, np.uint8)
    nbytes = np.ones(len(v), dtype=np.int64)
    for k in range(1, _MAX_BYTES):
        big = v >= np.uint64(1 << (7 * k))
        if not big.any():
            break
        nbytes += big
    starts = np.cumsum(nbytes) - nbytes
    out = np.empty(int(nbytes.sum()), dtype=np.uint8)
    for k in range(int(nbytes.max())):
        has = nbytes > k
        low = (v[has] >> np.uint64(7 * k)) & np.uint64(0x7F)
        more = (nbytes[has] > k + 1).astype(np.uint64) << np.uint64(7)
        out[starts[has] + k] = (low | more).astype(np.uint8)
    return out


def decode(codes: np.ndarray) -> np.ndarray:
    """LEB128 bytes → the integers (int64), in order."""
    b = np.asarray(codes, dtype=np.uint8)
    last = b < 0x80
    if last.all():  # the common case for gaps: one byte each
        return b.astype(np.int64)
    ends = np.flatnonzero(last)
    starts = np.empty(len(ends), dtype=np.int64)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    lengths = ends - starts + 1
    values = (b[starts] & 0x7F).astype(np.int64)
    # Byte k of the numbers that have one; few numbers are long, so each
    # round works on fewer of them.
    longer = np.flatnonzero(lengths > 1)
    k = 1
    while len(longer):
        values[longer] |= (b[starts[longer] + k] & 0x7F).astype(np.int64) << (7 * k)
        k += 1
        longer = longer[lengths[longer] > k]
    return values


def zigzag(values: np.ndarray) -> np.ndarray:
    """Signed → non-negative (0, -1, 1, -2 … → 0, 1, 2, 3 …), for `encode`."""
    v = np.asarray(values, dtype=np.int64)
    return ((v << 1) ^ (v >> 63)).astype(np.uint64)


def unzigzag(values: np.ndarray) -> np.ndarray:
    v = np.asarray(values, dtype=np.int64)
    return (v >> 1) ^ -(v & 1)
