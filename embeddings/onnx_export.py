"""Query-time networks as ONNX graphs, exported once into the user cache.

Importing torch and transformers and building a model costs seconds on a
small machine; a question needs neither once the network is an ONNX graph
run by onnxruntime. The graph is exported on first use from the packaged or
shipped weights (never fetched), named after the weights file's sha256, so
new weights get a new graph and the old one is simply never read again.

This module imports neither torch nor onnxruntime at import time: `export`
imports torch (only called on first use), `open_session` onnxruntime.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path
from typing import Any, Callable

from embeddings.atomic import atomic_write, written_whole

ONNX_DIR = "onnx"
OPSET = 17
#: Threads per onnxruntime session: one question is a handful of small
#: matrices, and on a 2-core machine 1 thread answered faster than 2.
DEFAULT_THREADS = 1
_DIGESTS_FILE = "digests.json"


def available() -> bool:
    """True when onnxruntime can be imported (otherwise callers use torch)."""
    try:
        import onnxruntime  # noqa: F401
    except ImportError:
        return False
    return True


def file_digest(path: Path, cache_dir: Path | None = None) -> str:
    """The first 16 hex digits of the file's sha256.

    Hashing a 90 MB weights file takes a noticeable part of a cold start, so
    with ``cache_dir`` the digest is remembered (keyed by path, size and
    mtime) in ``<cache_dir>/onnx/digests.json``."""
    path = Path(path).resolve()
    st = path.stat()
    key, stamp = str(path), [st.st_size, st.st_mtime_ns]
    memo_file = Path(cache_dir) / ONNX_DIR / _DIGESTS_FILE if cache_dir is not None else None
    memo: dict[str, Any] = {}
    if memo_file is not None:
        try:
            memo = json.loads(memo_file.read_text(encoding="utf-8"))
            if not isinstance(memo, dict):
                memo = {}
        except (OSError, ValueError):
            memo = {}
        hit = memo.get(key)
        if isinstance(hit, list) and len(hit) == 3 and hit[:2] == stamp and isinstance(hit[2], str):
            return hit[2]
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    digest = h.hexdigest()[:16]
    if memo_file is not None:
        memo[key] = [*stamp, digest]
        try:
            atomic_write(memo_file, json.dumps(memo, indent=1).encode("utf-8"))
        except OSError:
            pass  # a read-only cache only costs the hash next time
    return digest


def graph_path(cache_dir: Path, name: str, weights_file: Path) -> Path:
    """``<cache_dir>/onnx/<name>-<sha256 of weights_file, first 16>.onnx``."""
    return Path(cache_dir) / ONNX_DIR / f"{name}-{file_digest(weights_file, cache_dir)}.onnx"


def export(
    module: Any,
    args: tuple,
    path: Path,
    input_names: list[str],
    output_names: list[str],
    dynamic_axes: dict[str, dict[int, str]],
) -> Path:
    """Export a torch module (TorchScript exporter, opset 17) to a temp file, then rename it to ``path``."""
    import warnings

    import torch

    path = Path(path)
    with written_whole(path) as tmp, torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tracer notes about branches that are constant here
        torch.onnx.export(
            module,
            args,
            str(tmp),
            input_names=input_names,
            output_names=output_names,
            dynamic_axes=dynamic_axes,
            opset_version=OPSET,
            do_constant_folding=True,
            dynamo=False,
        )
    return path


def fuse_transformer(source: Path, path: Path, num_heads: int, hidden_size: int) -> Path:
    """The BERT graph at ``source`` with ONNX Runtime's transformer fusions (attention, embedding
    and skip layer norms, bias GELU), written to a temp file, then renamed to ``path``.

    ONNX Runtime's own session optimisations leave a BERT layer as some forty small operators;
    its transformer optimiser rewrites each attention block as one fused ``Attention`` kernel.
    The reader reads 1.05x faster per paragraph on 2 cores than the same export unfused (1.11x
    than the graph torch's SDPA exported), with F1 unchanged on all of SQuAD dev-public
    (`benchmarks/bench_reader_formats.py`). Raises when no attention block was fused: the export
    no longer has the shape the optimiser knows."""
    from onnxruntime.transformers.optimizer import optimize_model

    logging.disable(logging.WARNING)  # the optimiser logs each fusion it makes
    try:
        model = optimize_model(str(source), model_type="bert", num_heads=num_heads, hidden_size=hidden_size)
        if not model.get_fused_operator_statistics().get("Attention"):
            raise ValueError(f"no attention block of {source} could be fused")
        with written_whole(path) as tmp:
            model.save_model_to_file(str(tmp))
    finally:
        logging.disable(logging.NOTSET)
    return path


def copy_whole(source: Path, path: Path) -> Path:
    """A copy of ``source`` at ``path``, written beside it and renamed: never half a graph."""
    with written_whole(path) as tmp:
        shutil.copyfile(source, tmp)
    return path


def quantise_int8(source: Path, path: Path, keep_fp32: tuple[str, ...] = ()) -> Path:
    """An int8 copy of the graph at ``source``, written to a temp file, then renamed to ``path``.

    ONNX Runtime's dynamic quantisation of the MatMuls: weights int8 per output
    channel (the reader loses 0.4 F1 on all of SQuAD dev-public; per-tensor
    scales lost 4.7 on 300 questions), activations quantised on the fly, so
    no calibration data is needed.
    ``keep_fp32`` names MatMul nodes left in fp32."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    path = Path(path)
    # The quantiser logs advice ("consider pre-processing") through the root logger, which would
    # reach a person's terminal on the first question; it is not theirs to act on.
    logging.disable(logging.WARNING)
    try:
        with written_whole(path) as tmp:
            quantize_dynamic(str(source), str(tmp), weight_type=QuantType.QInt8, per_channel=True,
                             op_types_to_quantize=["MatMul"], nodes_to_exclude=list(keep_fp32))
    finally:
        logging.disable(logging.NOTSET)
    return path


def open_session(path: Path, threads: int | None = None) -> Any:
    """A CPU ``onnxruntime.InferenceSession`` for the graph at ``path``."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads or DEFAULT_THREADS
    opts.inter_op_num_threads = 1
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.log_severity_level = 3
    return ort.InferenceSession(str(path), sess_options=opts, providers=["CPUExecutionProvider"])


def load_or_export(path: Path, export_fn: Callable[[Path], None], threads: int | None = None) -> Any:
    """The session for the cached graph at ``path``, exporting it first if it is
    missing, and again if the cached file cannot be loaded (a corrupt file is
    replaced, not fatal)."""
    path = Path(path)
    if path.is_file():
        try:
            return open_session(path, threads)
        except Exception:  # noqa: BLE001 - onnxruntime raises its own error types
            path.unlink(missing_ok=True)
    export_fn(path)
    return open_session(path, threads)
