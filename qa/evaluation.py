"""SQuAD-style evaluation of the whole assistant, or of the reader alone.

Every paragraph of a SQuAD v1.1 file becomes a document. Metrics follow the
official script: answers are normalised (lowercase, no punctuation, no
a/an/the, single spaces); EM and token F1 take the best over gold answers.
F1/EM score the top answer *as if forced to answer*; abstention is reported
separately (rate, and precision of the answers it keeps).
"""

from __future__ import annotations

import json
import re
import statistics
import string
import time
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from embeddings.documents import Document, document_from_text

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = set(string.punctuation)


def normalize_answer(text: str) -> str:
    text = "".join(ch for ch in text.lower() if ch not in _PUNCT)
    return " ".join(_ARTICLES.sub(" ", text).split())


def exact_match(prediction: str, golds: list[str]) -> float:
    return max(float(normalize_answer(prediction) == normalize_answer(g)) for g in golds)


def _f1(prediction: str, gold: str) -> float:
    pred, ref = normalize_answer(prediction).split(), normalize_answer(gold).split()
    common = sum((Counter(pred) & Counter(ref)).values())
    if not pred or not ref:
        return float(pred == ref)
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def f1_score(prediction: str, golds: list[str]) -> float:
    return max(_f1(prediction, g) for g in golds)


@dataclass(frozen=True)
class SquadQuestion:
    qid: str
    question: str
    answers: list[str]
    doc_id: str


def load_squad(path: Path | str, limit: int | None = None) -> tuple[list[Document], list[SquadQuestion]]:
    """Paragraphs as documents and their questions (the first ``limit``)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))["data"]
    except (OSError, ValueError, KeyError) as exc:
        raise ValueError(f"{path} is not a readable SQuAD v1.1 JSON file: {exc}") from None
    documents: list[Document] = []
    questions: list[SquadQuestion] = []
    for article in data:
        for n, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}#{n}"
            documents.append(document_from_text(paragraph["context"], doc_id, title=doc_id))
            for qa in paragraph["qas"]:
                questions.append(
                    SquadQuestion(qa["id"], qa["question"], [a["text"] for a in qa["answers"]], doc_id)
                )
    if limit is not None:
        questions = questions[:limit]
    return documents, questions


@dataclass
class EvalReport:
    questions: int
    documents: int
    passages: int
    mode: str
    reader: str
    exact_match: float
    f1: float
    recall_at_1: float | None
    recall_at_5: float | None
    abstention_rate: float
    answered_f1: float | None
    latency_ms_p50: float
    latency_ms_p95: float

    def to_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        out = [
            f"{self.questions} questions over {self.documents} documents ({self.passages} passages),"
            f" mode: {self.mode}, reader: {self.reader}",
            f"EM {self.exact_match:.1f}  F1 {self.f1:.1f}",
        ]
        if self.recall_at_1 is not None:
            out.append(f"retrieval recall@1 {self.recall_at_1:.3f}  recall@5 {self.recall_at_5:.3f}")
        answered = "" if self.answered_f1 is None else f"  F1 of answered {self.answered_f1:.1f}"
        out.append(f"abstained {100 * self.abstention_rate:.1f}%{answered}")
        out.append(f"latency p50 {self.latency_ms_p50:.0f} ms  p95 {self.latency_ms_p95:.0f} ms")
        return out


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def evaluate_squad(
    path: Path | str,
    limit: int | None = None,
    gold_paragraph: bool = False,
    progress: Callable[[int, int], None] | None = None,
    index_progress: Callable[[int, int], None] | None = None,
) -> EvalReport:
    from embeddings.index import PassageIndex
    from embeddings.settings import IndexSettings
    from qa.assistant import Assistant
    from qa.citations import RetrievedPassage

    documents, questions = load_squad(path, limit)
    if gold_paragraph:  # only the paragraphs the questions need
        needed = {q.doc_id for q in questions}
        documents = [d for d in documents if d.doc_id in needed]
    index = PassageIndex(IndexSettings.from_env())
    assistant = Assistant(index)
    assistant.add_documents(documents, progress=index_progress)
    by_doc: dict[str, list] = {}
    for p in index.passages:
        by_doc.setdefault(p.doc_id, []).append(p)

    em, f1, answered_f1, latencies = [], [], [], []
    hits1 = hits5 = abstained = 0
    for n, q in enumerate(questions, 1):
        start = time.perf_counter()
        if gold_paragraph:
            doc = index.documents[q.doc_id]
            qvec = assistant.encoder.encode_query(q.question)
            passages = [
                RetrievedPassage(p, doc, 1.0, dense_score=float(index.vectors[p.passage_id] @ qvec))
                for p in by_doc[q.doc_id]
            ]
            result = assistant.answer_from(q.question, passages, k=1, abstain=False)
        else:
            result = assistant.ask(q.question, k=1, abstain=False)
            ranked_docs = list(dict.fromkeys(rp.passage.doc_id for rp in result.passages))
            hits1 += q.doc_id in ranked_docs[:1]
            hits5 += q.doc_id in ranked_docs[:5]
        latencies.append((time.perf_counter() - start) * 1000)
        top = result.answers[0] if result.answers else None
        prediction = top.text if top else ""
        em.append(exact_match(prediction, q.answers))
        f1.append(f1_score(prediction, q.answers))
        if top is None or top.score < assistant.answer_threshold:
            abstained += 1
        else:
            answered_f1.append(f1[-1])
        if progress:
            progress(n, len(questions))
    total = max(len(questions), 1)
    return EvalReport(
        questions=len(questions),
        documents=len(documents),
        passages=len(index.passages),
        mode="gold paragraph (reader alone)" if gold_paragraph else "open corpus",
        reader=assistant.reader.name,
        exact_match=100 * sum(em) / total,
        f1=100 * sum(f1) / total,
        recall_at_1=None if gold_paragraph else hits1 / total,
        recall_at_5=None if gold_paragraph else hits5 / total,
        abstention_rate=abstained / total,
        answered_f1=100 * statistics.fmean(answered_f1) if answered_f1 else None,
        latency_ms_p50=statistics.median(latencies) if latencies else 0.0,
        latency_ms_p95=_percentile(latencies, 0.95),
    )
