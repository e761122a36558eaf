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
    return seed_assistant.documents[0]


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    target = tmp_path / "docs"
    shutil.copytree(SEEDS, target)
    return target
