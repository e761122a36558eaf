"""What counts as right, and the abstention trade-off on one-paragraph documents.

The reader's best candidate for each question is labelled right (a span with
F1 >= 0.5 against a gold answer) or wrong, in three conditions: with the
question's paragraph in the corpus, with it removed (unanswerable by
construction), and for off-topic questions (``qa eval --abstention-table``).
``qa calibrate`` fits on every document shape instead: `qa.evaluation.shapes`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from qa.calibration import LogisticCalibration
from qa.evaluation import squad
from qa.evaluation.metrics import f1_score

if TYPE_CHECKING:
    from qa.assistant import Assistant

OFF_TOPIC_QUESTIONS = [
    "Who won the 2018 World Cup?", "What is the capital of France?",
    "How do I bake sourdough bread?", "What is the boiling point of water?",
    "Who painted the Mona Lisa?", "How many legs does a spider have?",
    "What is the speed of light?", "Who wrote Pride and Prejudice?",
    "What is the tallest mountain on Earth?", "How do vaccines work?",
    "What is the price of bitcoin today?", "Which planet is closest to the sun?",
    "Who is the CEO of Apple?", "What is photosynthesis?",
    "How long should I boil an egg?", "What is the population of Tokyo?",
    "Who invented the telephone?", "What does DNA stand for?",
    "When did the Roman Empire fall?", "What is the chemical symbol for gold?",
    "How do I reset my router password?", "What is the best programming language?",
    "Who discovered penicillin?", "What is the largest ocean?",
]


@dataclass
class CalibrationExample:
    features: dict[str, float]
    label: int
    kind: str  # answerable | removed | off-topic
    qid: str = ""


def is_right(text: str, golds: list[str]) -> bool:
    """An answer counts as right when its F1 with a gold answer is at least 0.5."""
    return f1_score(text, golds) >= 0.5


def collect_examples(
    assistant: Assistant,
    articles: list[dict[str, Any]],
    max_questions: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[CalibrationExample]:
    """Index the articles' paragraphs into ``assistant`` and label its top candidates."""
    documents, questions = squad.corpus(articles)
    random.Random(seed).shuffle(questions)
    questions = questions[:max_questions]
    assistant.add_documents(documents)

    examples: list[CalibrationExample] = []
    total = len(questions) + len(OFF_TOPIC_QUESTIONS)
    depth = assistant.settings.passages
    for n, q in enumerate(questions, 1):
        retrieved = assistant.retriever.retrieve(q.question, 2 * depth)
        present = retrieved[:depth]
        removed = [rp for rp in retrieved if rp.passage.doc_id != q.doc_id][:depth]
        # The decision to calibrate is whether to show the reader's best
        # candidate, so each question contributes that one per condition.
        for feats, text in assistant.reader.features(q.question, present)[:1]:
            examples.append(CalibrationExample(feats, int(is_right(text, q.answers)), "answerable", q.qid))
        for feats, _ in assistant.reader.features(q.question, removed)[:1]:
            examples.append(CalibrationExample(feats, 0, "removed", q.qid))
        if progress:
            progress(n, total)
    for n, question in enumerate(OFF_TOPIC_QUESTIONS, len(questions) + 1):
        for feats, _ in assistant.reader.features(question, assistant.retriever.retrieve(question, depth))[:1]:
            examples.append(CalibrationExample(feats, 0, "off-topic", question))
        if progress:
            progress(n, total)
    return examples


def tradeoff_table(
    calibration: LogisticCalibration,
    examples: list[CalibrationExample],
    thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8),
) -> list[dict]:
    """Per threshold: how often the top answer is given, and how often it is right.

    Per question and condition, the top candidate is the one the assistant
    would show first (highest probability)."""
    tops: dict[tuple[str, str], tuple[float, int]] = {}
    for e in examples:
        key = (e.kind, e.qid)
        p = calibration.probability(e.features)
        if key not in tops or p > tops[key][0]:
            tops[key] = (p, e.label)
    rows = []
    for t in thresholds:
        answerable = [v for (kind, _), v in tops.items() if kind == "answerable"]
        unanswerable = [v for (kind, _), v in tops.items() if kind != "answerable"]
        answered = [label for p, label in answerable if p >= t]
        rows.append(
            {
                "threshold": t,
                "answerable_answered": len(answered) / max(len(answerable), 1),
                "answered_precision": sum(answered) / len(answered) if answered else None,
                "unanswerable_abstained": sum(p < t for p, _ in unanswerable) / max(len(unanswerable), 1),
            }
        )
    return rows


def format_table(rows: list[dict]) -> str:
    lines = [
        "| threshold | answerable questions answered | precision of those answers | unanswerable questions abstained |",
        "| --- | --- | --- | --- |",
    ]
    for r in rows:
        prec = "–" if r["answered_precision"] is None else f"{100 * r['answered_precision']:.1f}%"
        lines.append(
            f"| {r['threshold']:.1f} | {100 * r['answerable_answered']:.1f}% | {prec} |"
            f" {100 * r['unanswerable_abstained']:.1f}% |"
        )
    return "\n".join(lines)
