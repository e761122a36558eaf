"""Shipped fp16 weights (run in fp32) vs the same reader quantised to int8.

    .venv/bin/python benchmarks/bench_reader_formats.py [--questions 300]

Both read each dev-public question's own paragraph (the reader alone); the
script prints F1 and the p50 reader latency of each, and their ratio. int8 is
torch's dynamic quantisation of the Linear layers (what an int8 ONNX export
would quantise); it is kept only if it is faster at equal F1 (within 1 point).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
DEV = ROOT.parent / "shared" / "squad" / "dev-v1.1-public.json"


def run(reader, items) -> tuple[float, float]:
    from qa.evaluation.metrics import f1_score

    f1s, times = [], []
    for question, context, golds in items:
        t0 = time.perf_counter()
        (pred,) = reader.predict(question, [context], top_k=1)
        times.append((time.perf_counter() - t0) * 1000)
        text = context[pred.spans[0].start : pred.spans[0].end] if pred.spans else ""
        f1s.append(f1_score(text, golds))
    return 100 * statistics.fmean(f1s), statistics.median(times)


def main() -> None:
    import torch

    from qa.evaluation import squad
    from qa.reader.model import SpanModel

    parser = argparse.ArgumentParser()
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--file", default=str(DEV))
    args = parser.parse_args()
    documents, questions = squad.corpus(squad.read_articles(args.file))
    questions = questions[: args.questions]
    text = {d.doc_id: d.text for d in documents}
    items = [(q.question, text[q.doc_id], q.answers) for q in questions]

    fp = SpanModel.load()
    q8 = SpanModel.load()
    q8.net = torch.ao.quantization.quantize_dynamic(q8.net, {torch.nn.Linear}, dtype=torch.qint8)
    run(fp, items[:5]), run(q8, items[:5])  # warm up
    f1_fp, ms_fp = run(fp, items)
    f1_q8, ms_q8 = run(q8, items)
    print(json.dumps({
        "questions": len(items),
        "fp16_weights_fp32_compute": {"f1": round(f1_fp, 1), "latency_ms_p50": round(ms_fp, 1)},
        "int8_dynamic": {"f1": round(f1_q8, 1), "latency_ms_p50": round(ms_q8, 1)},
        "int8_speedup": round(ms_fp / ms_q8, 2),
    }, indent=2))


if __name__ == "__main__":
    main()
