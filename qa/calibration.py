"""Calibrated abstention: P(answer is right) from a reader's evidence.

Readers expose `features(question, passages)` → candidate answers with named
features, the reader's own best first; a logistic model maps features to the probability that the answer
is right, and the assistant withholds answers below 0.5. ``qa calibrate``
fits the model on SQuAD *train* articles the reader never trained on:
each question is asked twice, with its paragraph in the corpus (a candidate is
right by the reader's own test: a span with F1 >= 0.5 against a gold answer, a
sentence that contains one) and with its paragraph
removed (unanswerable by construction: every candidate is wrong), plus
off-topic questions (every candidate is wrong).
"""

from __future__ import annotations

import gzip
import json
import math
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

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


@dataclass(frozen=True)
class LogisticCalibration:
    weights: dict[str, float]
    bias: float
    #: The operating point: answers below it are withheld. Chosen from the
    #: trade-off table (the fit's 50/50 answerable/unanswerable mix is more
    #: pessimistic than real use, where most questions have an answer).
    threshold: float = 0.5

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path, default: LogisticCalibration) -> LogisticCalibration:
        if not path.is_file():
            return default
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            {k: float(v) for k, v in data["weights"].items()},
            float(data["bias"]),
            float(data.get("threshold", 0.5)),
        )


@dataclass
class CalibrationExample:
    features: dict[str, float]
    label: int
    kind: str  # answerable | removed | off-topic
    qid: str = ""


@dataclass
class CalibrationResult:
    calibration: LogisticCalibration
    examples: int
    positives: int
    table: list[dict] = field(default_factory=list)


def load_train_articles(path: Path, last: int) -> list[dict]:
    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as fh:
        return json.load(fh)["data"][-last:]


def collect_examples(
    assistant,
    articles: list[dict],
    max_questions: int,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> list[CalibrationExample]:
    """Index the articles' paragraphs into ``assistant`` and label candidates."""
    from embeddings.documents import document_from_text

    documents, questions = [], []
    for article in articles:
        for n, paragraph in enumerate(article["paragraphs"]):
            doc_id = f"{article['title']}#{n}"
            documents.append(document_from_text(paragraph["context"], doc_id, title=doc_id))
            for qa in paragraph["qas"]:
                questions.append((qa["id"], qa["question"], [a["text"] for a in qa["answers"]], doc_id))
    random.Random(seed).shuffle(questions)
    questions = questions[:max_questions]
    assistant.add_documents(documents)

    examples: list[CalibrationExample] = []
    total = len(questions) + len(OFF_TOPIC_QUESTIONS)
    for n, (qid, question, golds, doc_id) in enumerate(questions, 1):
        retrieved = assistant.retriever.retrieve(question, 10)
        present = retrieved[:5]
        removed = [rp for rp in retrieved if rp.passage.doc_id != doc_id][:5]
        # The decision to calibrate is whether to show the reader's best
        # candidate, so each question contributes that one per condition.
        for feats, text in assistant.reader.features(question, present)[:1]:
            label = int(assistant.reader.is_right(text, golds))
            examples.append(CalibrationExample(feats, label, "answerable", qid))
        for feats, _ in assistant.reader.features(question, removed)[:1]:
            examples.append(CalibrationExample(feats, 0, "removed", qid))
        if progress:
            progress(n, total)
    for n, question in enumerate(OFF_TOPIC_QUESTIONS, len(questions) + 1):
        for feats, _ in assistant.reader.features(question, assistant.retriever.retrieve(question, 5))[:1]:
            examples.append(CalibrationExample(feats, 0, "off-topic", question))
        if progress:
            progress(n, total)
    return examples


def fit(examples: list[CalibrationExample]) -> LogisticCalibration:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    names = sorted(examples[0].features)
    x = np.array([[e.features[n] for n in names] for e in examples])
    y = np.array([e.label for e in examples])
    if len(set(y)) < 2:
        raise ValueError("calibration needs both right and wrong answers")
    model = LogisticRegression(C=1.0, max_iter=1000).fit(x, y)
    return LogisticCalibration(
        {n: float(w) for n, w in zip(names, model.coef_[0])}, float(model.intercept_[0])
    )


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
