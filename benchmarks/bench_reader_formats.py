"""The reader's ONNX graph in fp32, fused and as exported, against its int8 copies (QA_READER_INT8=1 reads the per-channel one).

    .venv/bin/python benchmarks/bench_reader_formats.py [--questions 5696] [--rounds 3]

Every variant reads each dev-public question's own paragraph (the reader
alone, top span, official SQuAD F1). The int8 graphs are made with ONNX
Runtime's dynamic quantisation of the MatMuls (weights int8 per output
channel, activations quantised on the fly): all of them, or all but the first
encoder layer's. Timing runs each variant over the same 200 paragraphs in turn, round after
round with the order rotated (not question by question, which would evict
each graph's weights from the cache for the next), so a noisy machine slows
them alike; the script prints F1,
the p50 ms per paragraph and each variant's speed as a ratio to the
fp32 graph. int8 stays within 0.5 F1 of fp32 on the whole set, but on real
documents (`docs_eval.py`) it got a few more answers wrong, so fp32 stays the
default and int8 is a setting.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
DEV = ROOT.parent / "shared" / "squad" / "dev-v1.1-public.json"


def variants(work: Path) -> dict:
    """name → reader: the fp32 ONNX graph (the default, fused), the export it was fused from, its
    int8 copy, and int8 with the first layer in fp32."""
    import onnx

    from embeddings import onnx_export
    from qa.reader.predictor import weights_path
    from qa.reader.runtime import READER_THREADS, OnnxSpanModel, load_onnx_span_model, onnx_path

    fp32 = load_onnx_span_model(cache_dir=work)
    int8 = load_onnx_span_model(cache_dir=work, int8=True)
    export = onnx_path(weights_path(), work)  # what both were made from
    first_layer = tuple(n.name for n in onnx.load(str(export)).graph.node
                        if n.op_type == "MatMul" and re.search(r"/layer\.0/", n.name))
    partial = onnx_export.quantise_int8(export, work / "int8-first-layer-fp32.onnx", keep_fp32=first_layer)
    return {
        "onnx_fp32 (default: attention fused)": fp32,
        "onnx_fp32_unfused (as exported)": OnnxSpanModel(onnx_export.open_session(export, READER_THREADS),
                                                        fp32.window, export),
        "onnx_int8_per_channel (QA_READER_INT8=1)": int8,
        "onnx_int8_first_layer_fp32": OnnxSpanModel(onnx_export.open_session(partial, READER_THREADS), fp32.window, partial),
    }


def main() -> None:
    from qa.evaluation import squad
    from qa.evaluation.metrics import f1_score

    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=5696, help="the first N dev-public questions (all: 5696)")
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the first 200 questions")
    parser.add_argument("--file", default=str(DEV))
    args = parser.parse_args()
    documents, questions = squad.corpus(squad.read_articles(args.file))
    text = {d.doc_id: d.text for d in documents}
    items = [(q.question, text[q.doc_id], q.answers) for q in questions[: args.questions]]

    with tempfile.TemporaryDirectory() as tmp:
        readers = variants(Path(tmp))
        names = list(readers)
        f1s = {n: [] for n in names}
        for question, context, golds in items:
            for n in names:
                (pred,) = readers[n].predict(question, [context], top_k=1)
                span = context[pred.spans[0].start : pred.spans[0].end] if pred.spans else ""
                f1s[n].append(f1_score(span, golds))
        times = {n: [] for n in names}
        timed = items[:200]
        for r in range(args.rounds):
            k = r % len(names)
            for n in names[k:] + names[:k]:
                for question, context, _ in timed:
                    t0 = time.perf_counter()
                    readers[n].predict(question, [context], top_k=1)
                    times[n].append((time.perf_counter() - t0) * 1000)
        sizes = {n: Path(readers[n].path).stat().st_size for n in names}

    base = statistics.median(times[names[0]])
    print(json.dumps({
        "questions": len(items),
        "timed": f"{len(timed)} paragraphs x {args.rounds} rounds, order rotated",
        **{n: {"f1": round(100 * statistics.fmean(f1s[n]), 2),
               "ms_per_paragraph_p50": round(statistics.median(times[n]), 1),
               "speed_vs_fp32": round(base / statistics.median(times[n]), 2),
               "graph_mb": round(sizes[n] / 1e6, 1)} for n in names},
    }, indent=2))


if __name__ == "__main__":
    main()
