"""Questions → vectors without importing sentence-transformers.

sentence-transformers (the indexing path) imports scikit-learn and SciPy and
takes seconds to import; a question only needs the packaged model's
transformer, mean pooling and normalisation. `QueryEncoder` runs exactly
those three modules from the model folder with ``transformers`` and
``tokenizers``, so its vectors equal ``SentenceTransformer.encode``'s (a test
holds them within 1e-4). Folders whose pipeline is anything else are
`unsupported` and the caller falls back to sentence-transformers.

With a cache folder and onnxruntime installed, the transformer runs as an
ONNX graph (`OnnxQueryEncoder`), exported once from the folder's weights into
``<cache>/onnx/``: then a question imports neither torch nor transformers.
Without either, or if the export fails, `QueryEncoder` runs it with torch.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

from embeddings import onnx_export

_PIPELINE = [
    "sentence_transformers.models.Transformer",
    "sentence_transformers.models.Pooling",
    "sentence_transformers.models.Normalize",
]


def _read_json(path: Path) -> dict | list | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def supported(model_dir: Path) -> bool:
    """True when the folder is Transformer → mean Pooling → Normalize with a fast tokenizer."""
    modules = _read_json(model_dir / "modules.json")
    if not isinstance(modules, list) or [m.get("type") for m in modules] != _PIPELINE:
        return False
    if modules[0].get("path") not in ("", None):
        return False
    pooling = _read_json(model_dir / modules[1]["path"] / "config.json")
    if not isinstance(pooling, dict) or not pooling.get("pooling_mode_mean_tokens"):
        return False
    others = ("cls_token", "max_tokens", "mean_sqrt_len_tokens", "weightedmean_tokens", "lasttoken")
    if any(pooling.get(f"pooling_mode_{m}") for m in others):
        return False
    return (model_dir / "tokenizer.json").is_file() and (model_dir / "config.json").is_file()


def _tokenizer_and_config(model_dir: Path):
    from tokenizers import Tokenizer

    config = _read_json(model_dir / "sentence_bert_config.json") or {}
    max_tokens = int(config.get("max_seq_length") or 512)
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    tokenizer.enable_truncation(max_tokens)
    tokenizer.no_padding()
    return tokenizer, bool(config.get("do_lower_case"))


def _normalised_mean(hidden: np.ndarray) -> np.ndarray:
    vector = hidden.mean(axis=0).astype(np.float32)
    return vector / max(float(np.linalg.norm(vector)), 1e-12)


class QueryEncoder:
    """Mean-pooled, normalised embeddings of short texts, computed with ``transformers``."""

    def __init__(self, model_dir: Path):
        import torch

        self.tokenizer, self.lowercase = _tokenizer_and_config(model_dir)
        self.model = _load_transformer(model_dir)
        self._torch = torch

    def encode(self, text: str) -> np.ndarray:
        torch = self._torch
        enc = self.tokenizer.encode(text.lower() if self.lowercase else text)
        ids = torch.tensor([enc.ids])
        with torch.inference_mode():
            hidden = self.model(
                input_ids=ids,
                attention_mask=torch.ones_like(ids),
                token_type_ids=torch.tensor([enc.type_ids]),
            ).last_hidden_state[0]
        return _normalised_mean(hidden.numpy())


def _load_transformer(model_dir: Path):
    from transformers import AutoModel
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # a "Loading weights" bar on every question
    return AutoModel.from_pretrained(str(model_dir)).eval()


_INPUTS = ["input_ids", "attention_mask", "token_type_ids"]


def export_onnx(model_dir: Path, path: Path) -> Path:
    """The folder's transformer (token ids → last hidden state) as an ONNX graph at ``path``."""
    import torch

    class _Hidden(torch.nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.model(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    ids = torch.tensor([[101, 2040, 2003, 1037, 3231, 102, 0, 0], [101, 2054, 2003, 2009, 1029, 2006, 1996, 102]])
    mask = (ids != 0).long()
    mask[1] = 1
    onnx_export.export(
        _Hidden(_load_transformer(model_dir)),
        (ids, mask, torch.zeros_like(ids)),
        path,
        input_names=_INPUTS,
        output_names=["last_hidden_state"],
        dynamic_axes={**{n: {0: "batch", 1: "sequence"} for n in _INPUTS},
                      "last_hidden_state": {0: "batch", 1: "sequence"}},
    )
    return path


def onnx_path(model_dir: Path, cache_dir: Path) -> Path:
    return onnx_export.graph_path(cache_dir, "query-encoder", model_dir / "model.safetensors")


class OnnxQueryEncoder:
    """`QueryEncoder`'s vectors from the transformer exported to ONNX (onnxruntime, no torch)."""

    def __init__(self, model_dir: Path, cache_dir: Path):
        self.tokenizer, self.lowercase = _tokenizer_and_config(model_dir)
        self.path = onnx_path(model_dir, cache_dir)
        self.session = onnx_export.load_or_export(self.path, lambda p: export_onnx(model_dir, p))

    def encode(self, text: str) -> np.ndarray:
        enc = self.tokenizer.encode(text.lower() if self.lowercase else text)
        ids = np.asarray([enc.ids], dtype=np.int64)
        (hidden,) = self.session.run(
            None,
            {
                "input_ids": ids,
                "attention_mask": np.ones_like(ids),
                "token_type_ids": np.asarray([enc.type_ids], dtype=np.int64),
            },
        )
        return _normalised_mean(hidden[0])


@lru_cache(maxsize=2)
def load_query_encoder(model_dir: str, cache_dir: str | None = None) -> QueryEncoder | OnnxQueryEncoder:
    """The ONNX encoder when a cache folder is given and onnxruntime works; else the torch one."""
    if cache_dir is not None and (model_dir_path := Path(model_dir)).joinpath("model.safetensors").is_file():
        if onnx_export.available():
            try:
                return OnnxQueryEncoder(model_dir_path, Path(cache_dir))
            except Exception:  # noqa: BLE001 - any export/runtime failure: answer with torch instead
                pass
    return QueryEncoder(Path(model_dir))
