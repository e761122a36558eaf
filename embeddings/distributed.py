"""Indexing fanned out over a Ray cluster with Ray Data, into the same store.

Embedding is the cost that outgrows one machine, so the work a local run
does in one process becomes Ray Data stages:

    files (driver: scan, skip unchanged by content hash)
      → read, parse and chunk      ``Dataset.map`` (tasks)
      → embed                      ``Dataset.map_batches`` over an actor pool;
                                   each actor loads the packaged model once
      → the driver writes          `PassageIndex.add_encoded`: one segment, one commit

The stages run the same functions as a local run (`read_document`,
`chunk_document`, `Encoder.encode`), so the index is the same: documents,
passages and offsets equal, vectors equal within float noise. Nothing is
committed until every file has been through every stage: a failed or
cancelled run leaves the index as it was. Ray retries a task or restarts an
actor whose worker died; a file that fails to parse comes back as a row
with its error and is reported, never dropped.

Ray is an optional extra (``pip install -e ".[ray]"``); this module imports
it only when a run asks for it.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from embeddings.chunking import Passage, chunk_document
from embeddings.documents import (
    Document,
    DocumentError,
    read_document,
    require_readable,
    scan_named,
    unreadable,
)
from embeddings.files import Skipped, file_id

INSTALL_HINT = 'pip install -e ".[ray]" (or: bash scripts/install.sh --ray)'


class RayUnavailableError(RuntimeError):
    """``--ray`` asked for, Ray not installed; the message says how to install it."""


@dataclass(frozen=True)
class RayOptions:
    """How a run uses the cluster (the ``qa index --ray`` options)."""

    #: None: start a local cluster for this run; "auto" or "ray://host:port": join that one.
    address: str | None = None
    #: Embedding actors, each with its own copy of the model.
    workers: int = 2
    #: Documents per embedding call (their passages are encoded together).
    documents_per_batch: int = 16
    #: GPUs per embedding actor; None: one when the cluster has GPUs, else none.
    gpus_per_worker: float | None = None
    #: CPUs reserved per read/parse/chunk task: light next to embedding.
    cpus_per_reader: float = 0.25


def require_ray() -> None:
    if importlib.util.find_spec("ray") is None or importlib.util.find_spec("pyarrow") is None:
        raise RayUnavailableError(f"--ray needs Ray Data, which is not installed: {INSTALL_HINT}")


@dataclass
class RayRun:
    """What the cluster produced, ready for `PassageIndex.add_encoded`."""

    documents: list[Document]
    chunks: list[list[Passage]]
    vectors: np.ndarray
    skipped: list[Skipped]
    warnings: list[Skipped]
    unchanged: list[str]


# ---- the stages (run on the cluster's workers) ---------------------------------
def read_and_chunk(row: dict[str, Any], max_words: int, overlap: int) -> dict[str, Any]:
    """One file → its document, its passages and the texts to embed, as JSON; or its error."""
    out = {"path": row["path"], "document": "", "passages": "", "texts": "[]", "error": "", "warnings": "[]"}
    try:
        document, warnings = read_document(Path(row["path"]))
    except DocumentError as exc:
        out["error"] = str(exc)
        return out
    passages = chunk_document(document, max_words, overlap)
    out["document"] = json.dumps(document.to_dict(), ensure_ascii=False)
    out["passages"] = json.dumps([asdict(p) for p in passages], ensure_ascii=False)
    out["texts"] = json.dumps([p.embed_text for p in passages], ensure_ascii=False)
    out["warnings"] = json.dumps(warnings, ensure_ascii=False)
    return out


class Embedder:
    """An actor of the embedding pool: loads the packaged model once, then
    embeds each batch of documents' passages with the local run's encoder."""

    def __init__(self, model: str, cache_dir: str | None):
        from embeddings.encoder import Encoder

        self.encoder = Encoder(model, cache_dir=Path(cache_dir) if cache_dir else None)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        per_doc = [json.loads(s) for s in batch["texts"]]
        texts = [t for doc in per_doc for t in doc]
        vectors = self.encoder.encode(texts) if texts else np.zeros((0, 0), np.float32)
        out, at = [], 0
        for doc in per_doc:
            out.append(np.ascontiguousarray(vectors[at : at + len(doc)], dtype=np.float32).tobytes())
            at += len(doc)
        return {**batch, "vectors": np.array(out, dtype=object)}


# ---- the driver ----------------------------------------------------------------
def _to_passage(data: dict) -> Passage:
    return Passage(**{**data, "sentences": tuple(tuple(s) for s in data["sentences"]),
                      "section": tuple(data["section"])})


def _changed_files(
    files: list[tuple[Path, Path]], known_sha256
) -> tuple[list[tuple[Path, Path]], list[str]]:
    """Files (as found, resolved) whose content differs from the index's copy
    (hashed here, on the driver, so unchanged ones never reach the cluster),
    and the unchanged ids."""
    todo, unchanged = [], []
    for file, resolved in files:
        try:
            digest = hashlib.sha256(file.read_bytes()).hexdigest()
        except OSError:
            todo.append((file, resolved))  # the reading stage reports why
            continue
        if known_sha256(file_id(file)) == digest:
            unchanged.append(file_id(file))
        else:
            todo.append((file, resolved))
    return todo, unchanged


def _connect(options: RayOptions):
    import ray

    if ray.is_initialized():
        return ray, False
    if options.address is None:
        # Each embedding actor holds a CPU for its lifetime; one more logical
        # CPU lets the reading tasks run beside them (else they would wait forever).
        cpus = max(os.cpu_count() or 1, options.workers + 1)
        ray.init(num_cpus=cpus, include_dashboard=False, configure_logging=False, log_to_driver=False)
    else:
        ray.init(address=options.address, log_to_driver=False)
    return ray, True


def run_on_ray(
    paths: list[Path | str],
    known_sha256,
    model: str,
    max_words: int,
    overlap: int,
    options: RayOptions,
    cache_dir: Path | None = None,
    follow_links: bool = False,
) -> RayRun:
    """Read, chunk and embed on the cluster the files under ``paths`` whose
    content changed (``known_sha256(doc_id)`` gives the index's hash of a
    document, None if absent). Nothing is written here."""
    require_ray()
    found, named = scan_named(paths, follow_links)
    todo, unchanged = _changed_files(found.files, known_sha256)
    run = RayRun([], [], np.zeros((0, 0), np.float32), list(found.skipped), [], unchanged)
    if not todo:
        require_readable(len(unchanged), run.skipped, named, paths)
        return run
    ray, started = _connect(options)
    try:
        resolved = {str(file): real for file, real in todo}
        vectors: list[np.ndarray] = []
        for row in _results(ray, [file for file, _ in todo], model, max_words, overlap, options, cache_dir):
            if row["error"]:
                run.skipped.append(unreadable(Path(row["path"]), resolved[row["path"]], row["error"], named))
                continue
            document = Document.from_dict(json.loads(row["document"]))
            passages = [_to_passage(p) for p in json.loads(row["passages"])]
            run.documents.append(document)
            run.chunks.append(passages)
            run.warnings.extend(Skipped(row["path"], w) for w in json.loads(row["warnings"]))
            if passages:
                vectors.append(np.frombuffer(row["vectors"], dtype=np.float32).reshape(len(passages), -1))
        if vectors:
            run.vectors = np.vstack(vectors)
        require_readable(len(run.documents) + len(unchanged), run.skipped, named, paths)  # as a local run
    finally:
        if started:
            ray.shutdown()
    return run


def _results(ray, files: list[Path], model: str, max_words: int, overlap: int,
             options: RayOptions, cache_dir: Path | None) -> Iterator[dict]:
    import ray.data

    gpus = options.gpus_per_worker
    if gpus is None:
        gpus = 1.0 if ray.cluster_resources().get("GPU", 0) > 0 else 0.0
    items = [{"path": str(f)} for f in files]
    blocks = max(1, min(len(items), 4 * max(1, options.workers)))
    dataset = (
        ray.data.from_items(items, override_num_blocks=blocks)
        .map(read_and_chunk, fn_kwargs={"max_words": max_words, "overlap": overlap},
             num_cpus=options.cpus_per_reader)
        .map_batches(
            Embedder,
            fn_constructor_kwargs={"model": model, "cache_dir": str(cache_dir) if cache_dir else None},
            compute=ray.data.ActorPoolStrategy(size=max(1, options.workers)),
            batch_size=max(1, options.documents_per_batch),
            batch_format="numpy",
            num_gpus=gpus,
            num_cpus=1,
        )
    )
    # Rows come back in any order; put them in the scan's order, as a local
    # run reads them, so passages are numbered the same way.
    order = {item["path"]: i for i, item in enumerate(items)}
    return iter(sorted(dataset.iter_rows(), key=lambda row: order[row["path"]]))

