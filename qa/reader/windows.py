"""Question + context → encoder windows: tokenising with offsets, sliding windows, batches.

The same packing is used at training and query time, so a window the reader
was trained on looks exactly like one it reads. Nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Sequence

import numpy as np

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

#: The span network's inputs and outputs (torch keyword arguments, ONNX names).
INPUT_NAMES = ["input_ids", "attention_mask", "token_type_ids", "answer_mask"]
OUTPUT_NAMES = ["start_logits", "end_logits"]


@dataclass(frozen=True)
class WindowConfig:
    """How question + context are packed into encoder inputs (same at training and query time)."""

    max_seq_len: int = 192  # query-time passages (~120 words) + question fit in one window
    max_question_tokens: int = 64
    stride: int = 64  # tokens shared by consecutive windows of a long context
    batch_size: int = 32


@dataclass
class Encoded:
    """Token ids and character offsets of one text (no special tokens)."""

    ids: np.ndarray  # int32 (n,)
    offsets: np.ndarray  # int32 (n, 2)


@dataclass(frozen=True)
class Window:
    """A token slice [tok_start, tok_start + tok_len) of context `ctx` paired with the question."""

    ctx: int
    tok_start: int
    tok_len: int


def encode_texts(tok: Tokenizer, texts: Sequence[str]) -> list[Encoded]:
    """Tokenise without special tokens; offsets index the original strings."""
    out = []
    for enc in tok.encode_batch(list(texts), add_special_tokens=False):
        ids = np.asarray(enc.ids, dtype=np.int32)
        offsets = np.asarray(enc.offsets, dtype=np.int32).reshape(-1, 2)
        out.append(Encoded(ids, offsets))
    return out


def context_budget(n_question: int, cfg: WindowConfig) -> int:
    """Context tokens that fit in a window next to a question of n_question tokens."""
    return max(1, cfg.max_seq_len - 3 - n_question)


def window_starts(n_ctx: int, budget: int, stride: int) -> list[int]:
    """Start tokens of overlapping windows covering n_ctx tokens (one window if it fits)."""
    if n_ctx <= budget:
        return [0]
    step = max(1, budget - stride)
    starts = list(range(0, n_ctx - budget, step))
    starts.append(n_ctx - budget)  # last window ends exactly at the context's end
    return starts


@dataclass
class Batch:
    """Padded encoder inputs (numpy); context token i of row r sits at column `ctx_offset[r] + i`."""

    input_ids: np.ndarray  # int64 (n, width)
    attention_mask: np.ndarray  # int64 (n, width)
    token_type_ids: np.ndarray  # int64 (n, width)
    answer_mask: np.ndarray  # bool (n, width)
    ctx_offset: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        """The network inputs as numpy arrays (what the ONNX session reads)."""
        return {
            "input_ids": self.input_ids,
            "attention_mask": self.attention_mask,
            "token_type_ids": self.token_type_ids,
            "answer_mask": self.answer_mask,
        }

    def model_inputs(self) -> dict[str, torch.Tensor]:
        """The network inputs as torch tensors (training and the torch reader)."""
        import torch

        return {k: torch.from_numpy(v) for k, v in self.arrays().items()}


def collate(
    questions: Sequence[np.ndarray], contexts: Sequence[np.ndarray], cls_id: int, sep_id: int, pad_to: int = 8
) -> Batch:
    """Pack `[CLS] q [SEP] ctx [SEP]` rows with dynamic padding (to a multiple of `pad_to`)."""
    lengths = [len(q) + len(c) + 3 for q, c in zip(questions, contexts)]
    width = -(-max(lengths) // pad_to) * pad_to
    n = len(lengths)
    ids = np.zeros((n, width), dtype=np.int64)
    types = np.zeros((n, width), dtype=np.int64)
    attn = np.zeros((n, width), dtype=bool)
    amask = np.zeros((n, width), dtype=bool)
    offs = np.zeros(n, dtype=np.int64)
    for r, (q, c) in enumerate(zip(questions, contexts)):
        nq, nc = len(q), len(c)
        o = nq + 2
        ids[r, 0] = cls_id
        ids[r, 1 : 1 + nq] = q
        ids[r, 1 + nq] = sep_id
        ids[r, o : o + nc] = c
        ids[r, o + nc] = sep_id
        types[r, o : o + nc + 1] = 1
        attn[r, : o + nc + 1] = True
        amask[r, 0] = True
        amask[r, o : o + nc] = True
        offs[r] = o
    return Batch(ids, attn.astype(np.int64), types, amask, offs)
