"""SQuAD-style evaluation of the whole assistant, or of the reader alone (``qa eval squad``).

Every paragraph of a SQuAD v1.1 file becomes a document, indexed into a fresh
in-memory `Assistant`. EM/F1 (`qa.evaluation.metrics`) score the top answer
*as if forced to answer*; abstention is reported separately (rate, and F1 of
the answers it keeps).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Callable

from embeddings.progress import StageProgress
from qa.assistant import Assistant
from qa.evaluation import squad
from qa.evaluation.metrics import exact_match, f1_score
from qa.settings import Settings


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
    settings: Settings,
    limit: int | None = None,
    gold_paragraph: bool = False,
    progress: Callable[[int, int], None] | None = None,
    index_progress: StageProgress | None = None,
) -> EvalReport:
    documents, questions = squad.corpus(squad.read_articles(path))
    if limit is not None:
        questions = questions[:limit]
    if gold_paragraph:  # only the paragraphs the questions need
        needed = {q.doc_id for q in questions}
        documents = [d for d in documents if d.doc_id in needed]
    assistant = Assistant.in_memory(settings)
    index = assistant.index
    assistant.add_documents(documents, progress=index_progress)
    by_doc: dict[str, list] = {}
    if gold_paragraph:
        for doc in documents:
            by_doc[doc.doc_id] = index.passages_of(doc.doc_id)

    em, f1, answered_f1, latencies = [], [], [], []
    hits1 = hits5 = abstained = 0
    for n, q in enumerate(questions, 1):
        start = time.perf_counter()
        if gold_paragraph:
            passages = assistant.retriever.evidence(q.question, by_doc[q.doc_id])
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
        passages=len(index),
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
