"""Indexing throughput, ask latency and cold start, as ratios within one run.

    .venv/bin/python benchmarks/bench_assistant.py [--docs 400] [--questions 100]

* indexing: PassageIndex.add_documents (read → chunk → encode → FAISS) on a
  corpus of >= 2,000 passages made from the seed article by seeded sentence
  shuffling and number changes, against bare ``SentenceTransformer.encode`` of
  the same passage texts (ratio = bare time / our time; goal >= 0.9);
* ask: warm ``Assistant.ask`` p50/p95 over N questions, against retrieval
  alone (``Assistant.retrieve``) on the same questions;
* cold start: ``qa ask`` as a new process, start to answer, on a built index;
* splitting: with ``--split-mb N``, one N-MB text file (SQuAD train contexts
  as paragraphs) read and chunked into passages (sentence splitting included),
  in characters per second, against the characters per second of bare
  encoding above: splitting must keep pace with the encoder.

    .venv/bin/python benchmarks/bench_assistant.py --docs 260 --split-mb 50
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from embeddings.chunking import chunk_document, split_sentences  # noqa: E402
from embeddings.documents import document_from_text, read_documents  # noqa: E402

QUESTION_STEMS = [
    "Which car was the bomb placed under?", "Who was killed in the car bombing?",
    "Where did the bombing happen?", "Who is Steve Witkoff?", "Who did Witkoff meet in Moscow?",
    "When was Darya Dugina killed?", "What was the explosive device packed with?",
    "Who is Kirill Dmitriev?", "Which newspaper described the video?", "What does Moscow insist about Crimea?",
]


def synthetic_corpus(n_docs: int, seed: int = 0):
    (seed_doc,) = read_documents([ROOT / "seeds"]).documents
    sentences = [seed_doc.text[a:b] for blk in seed_doc.blocks for a, b in split_sentences(seed_doc.text, blk.start, blk.end)]
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        picked = rng.sample(sentences, k=len(sentences))
        text = " ".join(re.sub(r"\d+", lambda m: str(int(m.group()) + rng.randint(1, 9)), s) for s in picked)
        paragraphs = [" ".join(picked[j : j + 4]) for j in range(0, len(picked), 4)]
        text = "\n\n".join(re.sub(r"\d+", lambda m: str(int(m.group()) + i), p) for p in paragraphs)
        docs.append(document_from_text(text, f"synthetic-{i:04d}.txt"))
    return docs


def split_speed(megabytes: float, workdir: Path, max_words: int, overlap: int) -> dict:
    """Read and chunk one big text file, as ``qa index`` would."""
    import gzip

    squad = json.load(gzip.open(ROOT.parent / "shared" / "squad" / "train-v1.1.json.gz"))["data"]
    paragraphs = [p["context"] for article in squad for p in article["paragraphs"]]
    target = int(megabytes * 1_000_000)
    parts, size, i = [], 0, 0
    while size < target:
        parts.append(paragraphs[i % len(paragraphs)])
        size += len(parts[-1]) + 2
        i += 1
    path = workdir / "big.txt"
    path.write_text("\n\n".join(parts), encoding="utf-8")
    t0 = time.perf_counter()
    (document,) = read_documents([path]).documents
    read_s = time.perf_counter() - t0
    passages = chunk_document(document, max_words, overlap)
    total = time.perf_counter() - t0
    return {"file_mb": round(path.stat().st_size / 1e6, 1), "passages": len(passages),
            "read_seconds": round(read_s, 1), "read_and_split_seconds": round(total, 1),
            "chars_per_second": round(len(document.text) / total)}


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--questions", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--split-mb", type=float, default=0, help="also time splitting one file this large")
    args = parser.parse_args()

    from embeddings.encoder import Encoder, load_model
    from embeddings.index import PassageIndex
    from qa import Assistant, Settings

    settings = Settings().index
    encoder = Encoder(settings.model)
    model = load_model(settings.model)
    docs = synthetic_corpus(args.docs)
    model.encode(["warm up"] * 64, batch_size=64)

    # Alternate the two and keep each one's best time: load from other
    # processes then hits both alike.
    ours_times, bare_times = [], []
    for _ in range(args.repeats):
        t0 = time.perf_counter()
        index = PassageIndex.temporary(settings)  # a real folder: the store's writes count
        index.add_documents(docs, encoder)
        ours_times.append(time.perf_counter() - t0)
        texts = [p.embed_text for p in index.iter_passages()]
        t0 = time.perf_counter()
        model.encode(texts, batch_size=64, normalize_embeddings=True)
        bare_times.append(time.perf_counter() - t0)
    ours, bare = min(ours_times), min(bare_times)

    assistant = Assistant(index, settings=Settings())
    rng = random.Random(1)
    questions = [rng.choice(QUESTION_STEMS) for _ in range(args.questions)]
    questions = [q if i % 3 else q.replace("?", f" in {2000 + i}?") for i, q in enumerate(questions)]
    assistant.ask(questions[0])
    ask_ms, retrieve_ms = [], []
    for q in questions:
        t0 = time.perf_counter()
        assistant.retrieve(q, k=5)
        retrieve_ms.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        assistant.ask(q)
        ask_ms.append((time.perf_counter() - t0) * 1000)

    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, QA_CACHE_DIR=cache)
        cmd = [sys.executable, "-m", "qa.cli", "ask", "Who is Kirill Dmitriev?"]
        subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=True)  # builds the cache
        colds = []
        for _ in range(3):
            t0 = time.perf_counter()
            subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, check=True)
            colds.append(time.perf_counter() - t0)

    result = {
        "passages": len(texts),
        "documents": len(docs),
        "index_seconds": round(ours, 2),
        "bare_encode_seconds": round(bare, 2),
        "indexing_throughput_ratio": round(bare / ours, 3),
        "passages_per_second": round(len(texts) / ours, 1),
        "ask_ms_p50": round(statistics.median(ask_ms), 1),
        "ask_ms_p95": round(percentile(ask_ms, 0.95), 1),
        "retrieve_ms_p50": round(statistics.median(retrieve_ms), 1),
        "retrieve_ms_p95": round(percentile(retrieve_ms, 0.95), 1),
        "ask_over_retrieve_p50": round(statistics.median(ask_ms) / statistics.median(retrieve_ms), 2),
        "reader": assistant.info().reader,
        "cold_start_seconds_median": round(statistics.median(colds), 2),
    }
    if args.split_mb:
        encode_cps = sum(len(t) for t in texts) / bare
        with tempfile.TemporaryDirectory() as work:
            split = split_speed(args.split_mb, Path(work), settings.max_words, settings.overlap)
        result["splitting"] = {**split, "bare_encode_chars_per_second": round(encode_cps),
                               "split_over_encode_speed": round(split["chars_per_second"] / encode_cps, 1)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
