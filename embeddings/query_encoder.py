"""Questions → vectors without importing sentence-transformers.

sentence-transformers (the indexing path) imports scikit-learn and SciPy and
takes seconds to import; a question only needs the packaged model's
transformer, mean pooling and normalisation. `QueryEncoder` runs exactly
those three modules from the model folder with ``transformers`` and
``tokenizers``, so its vectors equal ``SentenceTransformer.encode``'s (a test
holds them within 1e-4). Folders whose pipeline is anything else are
`unsupported` and the caller falls back to sentence-transformers.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import numpy as np

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


class QueryEncoder:
    """Mean-pooled, normalised embeddings of short texts, computed with ``transformers``."""

    def __init__(self, model_dir: Path):
        import torch
        from tokenizers import Tokenizer
        from transformers import AutoModel
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # a "Loading weights" bar on every question

        config = _read_json(model_dir / "sentence_bert_config.json") or {}
        self.max_tokens = int(config.get("max_seq_length") or 512)
        self.lowercase = bool(config.get("do_lower_case"))
        self.tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self.tokenizer.enable_truncation(self.max_tokens)
        self.tokenizer.no_padding()
        self.model = AutoModel.from_pretrained(str(model_dir)).eval()
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
        vector = hidden.mean(dim=0).numpy().astype(np.float32)
        return vector / max(float(np.linalg.norm(vector)), 1e-12)


@lru_cache(maxsize=2)
def load_query_encoder(model_dir: str) -> QueryEncoder:
    return QueryEncoder(Path(model_dir))
