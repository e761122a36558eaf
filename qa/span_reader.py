"""Short answers: the trained span reader over retrieved passages.

The reader (``qa.reader``) scores spans inside each passage; here the
candidates from all passages are put on one scale, duplicates from
overlapping passages are merged, and each survivor becomes a cited `Answer`
whose confidence combines the reader's answer-vs-no-answer margin with the
retrieval evidence (a logistic model fitted by ``qa calibrate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from embeddings.chunking import Passage
from qa.calibration import LogisticCalibration
from qa.citations import Answer, RetrievedPassage, make_citation
from qa.reader import DEFAULT_WEIGHTS_DIR, SpanReader

CALIBRATION_FILE = "calibration.json"
MAX_ANSWER_TOKENS = 30


#: Used until ``qa calibrate`` writes calibration.json beside the weights.
DEFAULT_CALIBRATION = LogisticCalibration({"margin": 0.35, "dense": 4.0, "lexical": 2.0}, -2.5)


@dataclass(frozen=True)
class Candidate:
    """One span with the evidence the calibration reads."""

    rp: RetrievedPassage
    start: int  # document offsets
    end: int
    margin: float  # span score minus that passage's no-answer score
    dense: float  # cosine of question and passage
    lexical: float  # idf-weighted share of question terms in the passage

    @property
    def features(self) -> dict[str, float]:
        return {"margin": self.margin, "dense": self.dense, "lexical": self.lexical}


def within_one_sentence(passage: Passage, start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in passage.sentences)


def weights_available(directory: Path = DEFAULT_WEIGHTS_DIR) -> bool:
    return (directory / "reader.safetensors").is_file()


class SpanAnswerer:
    name = "span"

    def __init__(self, lexical, weights_dir: Path = DEFAULT_WEIGHTS_DIR):
        self.lexical = lexical
        self.weights_dir = weights_dir
        self.calibration_path = weights_dir / CALIBRATION_FILE
        self.calibration = LogisticCalibration.load(self.calibration_path, DEFAULT_CALIBRATION)
        self._reader: SpanReader | None = None

    @property
    def reader(self) -> SpanReader:
        if self._reader is None:
            self._reader = SpanReader.load(self.weights_dir)
        return self._reader

    def candidates(self, question: str, passages: list[RetrievedPassage]) -> list[Candidate]:
        if not passages:
            return []
        predictions = self.reader.predict(
            question, [rp.passage.text for rp in passages], top_k=5,
            max_answer_tokens=MAX_ANSWER_TOKENS,
        )
        out = []
        for rp, pred in zip(passages, predictions):
            lexical = self.lexical.weighted_overlap(question, rp.passage.text)
            for span in pred.spans:
                start, end = rp.passage.start + span.start, rp.passage.start + span.end
                if not within_one_sentence(rp.passage, start, end):
                    continue  # a "span" across sentences is never a short answer
                out.append(
                    Candidate(
                        rp=rp,
                        start=start,
                        end=end,
                        margin=span.score - pred.no_answer_score,
                        dense=rp.dense_score or 0.0,
                        lexical=lexical,
                    )
                )
        return out

    @staticmethod
    def is_right(text: str, golds: list[str]) -> bool:
        from qa.evaluation import f1_score

        return f1_score(text, golds) >= 0.5

    def features(
        self, question: str, passages: list[RetrievedPassage]
    ) -> list[tuple[dict[str, float], str]]:
        """Every candidate's features and text, highest reader margin first."""
        ranked = sorted(self.candidates(question, passages), key=lambda c: -c.margin)
        return [(c.features, c.rp.document.text[c.start : c.end]) for c in ranked]

    def read(self, question: str, passages: list[RetrievedPassage], top_k: int) -> list[Answer]:
        scored = sorted(
            (
                (self.calibration.probability(c.features), c)
                for c in self.candidates(question, passages)
            ),
            key=lambda item: -item[0],
        )
        kept: list[tuple[float, Candidate]] = []
        seen_texts: set[str] = set()
        for prob, cand in scored:
            # The same phrase read from overlapping passages, a span inside a
            # better one, or the same words elsewhere: keep the best reading.
            text = " ".join(cand.rp.document.text[cand.start : cand.end].lower().split())
            if text in seen_texts or any(
                k.rp.passage.doc_id == cand.rp.passage.doc_id and k.start < cand.end and cand.start < k.end
                for _, k in kept
            ):
                continue
            seen_texts.add(text)
            kept.append((prob, cand))
            if len(kept) >= top_k:
                break
        answers = []
        for prob, cand in kept:
            doc = cand.rp.document
            citation = make_citation(doc, cand.rp.passage, cand.start, cand.end)
            answers.append(
                Answer(
                    text=doc.text[cand.start : cand.end],
                    score=prob,
                    citation=citation,
                    sentence=doc.text[citation.context_start : citation.context_end],
                )
            )
        return answers
