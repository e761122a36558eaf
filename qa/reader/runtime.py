"""Question + contexts → scored spans without torch: windows → ONNX session → spans.

The span network (`qa.reader.model.ReaderNet`) is exported once to ONNX from
the shipped weights into ``<cache>/onnx/reader-<sha256 of reader.safetensors>.onnx``,
rewritten by ONNX Runtime's transformer optimiser into the graph that reads
(``…-fused.onnx``: one kernel per attention block), and, when asked for,
quantised to int8 beside it (``…-int8.onnx``, made from the export);
`load_span_model` does that on first use, and from then on a question is
read with onnxruntime, ``tokenizers`` and numpy only. The torch module is
imported only to export, to train, or as the fallback when onnxruntime is
missing or the export fails.

`qa.reader.predictor.SpanPredictor` holds everything but the forward pass
(tokenising, windows, batching by length, span decoding), shared by
`OnnxSpanModel` here and the torch `qa.reader.model.SpanModel`, so both read
exactly the same windows.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Callable

import numpy as np

from embeddings import onnx_export
from qa.reader.predictor import SpanPredictor, encoder_dir, weights_metadata, weights_path, window_config
from qa.reader.windows import INPUT_NAMES, OUTPUT_NAMES, Batch, WindowConfig

log = logging.getLogger(__name__)

READER_THREADS = 2


# --------------------------------------------------------------------------- the ONNX reader


class OnnxSpanModel(SpanPredictor):
    """The span network as an ONNX graph run by onnxruntime (no torch)."""

    def __init__(self, session, window: WindowConfig | None = None, path: Path | None = None) -> None:
        super().__init__(window)
        self.session = session
        self.path = path

    def _forward(self, batch: Batch) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.session.run(OUTPUT_NAMES, batch.arrays())
        return np.asarray(start, dtype=np.float32), np.asarray(end, dtype=np.float32)


def onnx_path(weights_file: Path, cache_dir: Path) -> Path:
    return onnx_export.graph_path(cache_dir, "reader", weights_file)


def attention_shape() -> tuple[int, int]:
    """(attention heads, hidden size) of the packaged encoder the reader is built on."""
    config = json.loads((encoder_dir() / "config.json").read_text(encoding="utf-8"))
    return int(config["num_attention_heads"]), int(config["hidden_size"])


def fused_path(graph: Path) -> Path:
    """The fused graph made from the export ``graph`` (what fp32 reads): ``-fused`` added."""
    return graph.with_name(graph.stem + "-fused" + graph.suffix)


def int8_path(graph: Path) -> Path:
    """The int8 graph made from the fp32 export ``graph``: same name, ``-int8`` added."""
    return graph.with_name(graph.stem + "-int8" + graph.suffix)


def load_onnx_span_model(weights_dir: Path | None = None, *, cache_dir: Path, int8: bool = False) -> OnnxSpanModel:
    """The shipped reader as ONNX, exported into ``<cache_dir>/onnx/`` on first use (raises on failure).

    With ``int8`` the exported graph is quantised once more into an int8 copy
    beside it, which reads instead: 1.6× faster per paragraph on 2 cores for
    0.4 F1 on SQuAD and a few answers fewer right on real documents
    (`benchmarks/bench_reader_formats.py`, `benchmarks/docs_eval.py`), so fp32
    is the default: the reader is already within its time budget."""
    path = weights_path(weights_dir)
    window = window_config(weights_metadata(path))
    graph = onnx_path(path, Path(cache_dir))

    def export(target: Path) -> None:
        from qa.reader.model import SpanModel

        SpanModel.load(weights_dir).export_onnx(target)

    def from_export(make_from: Callable[[Path], None]) -> Callable[[Path], None]:
        """``make_from(target)`` reads the exported graph; a missing or corrupt one is exported again."""

        def make(target: Path) -> None:
            try:
                make_from(target)
            except Exception:  # noqa: BLE001 - the export is missing or corrupt: export it, then once more
                export(graph)
                make_from(target)

        return make

    def quantise(target: Path) -> None:
        onnx_export.quantise_int8(graph, target)

    def fuse(target: Path) -> None:
        import onnx

        onnx.checker.check_model(str(graph))  # a corrupt export raises here, and is made again
        heads, hidden = attention_shape()
        try:
            onnx_export.fuse_transformer(graph, target, heads, hidden)
            return
        except Exception:  # noqa: BLE001 - an export of an earlier form (through SDPA): export it again
            export(graph)
        try:
            onnx_export.fuse_transformer(graph, target, heads, hidden)
        except Exception as exc:  # noqa: BLE001 - unfused, the export reads the same, a little slower
            log.info("reading with the unfused reader graph: %s", exc)
            onnx_export.copy_whole(graph, target)

    # Two threads: the reader runs a batch of windows per question (warm ask p50
    # 166 ms vs 195 ms with one, on 2 cores); the one-sentence query encoder keeps one.
    chosen, make = (int8_path(graph), from_export(quantise)) if int8 else (fused_path(graph), from_export(fuse))
    return OnnxSpanModel(onnx_export.load_or_export(chosen, make, threads=READER_THREADS), window, chosen)


def load_span_model(
    weights_dir: Path | None = None, cache_dir: Path | None = None, int8: bool = False
) -> SpanPredictor:
    """The reader for questions: ONNX (its int8 copy with ``int8``) when onnxruntime works,
    else the torch `SpanModel` in fp32.

    ``cache_dir`` holds the exported graphs; without one there is nowhere to
    keep them, and torch reads."""
    path = weights_path(weights_dir)
    weights_metadata(path)  # a wrong file is an error either way, not a reason to fall back
    if cache_dir is not None and onnx_export.available():
        try:
            return load_onnx_span_model(weights_dir, cache_dir=cache_dir, int8=int8)
        except Exception as exc:  # noqa: BLE001 - any export/runtime failure: read with torch instead
            log.warning("ONNX reader unavailable (%s); using torch", exc)
    from qa.reader.model import SpanModel

    return SpanModel.load(weights_dir)
