"""Answers as whole sentences: the fallback reader when no span reader is loaded.

Each sentence of the retrieved passages is scored by cosine similarity to the
question (the packaged embedding model) plus the share of question terms it
contains, weighted by BM25's idf (so rare words like names count most, and
words the corpus never uses make an off-topic question score low). A logistic
model fitted by ``qa calibrate`` turns the two into P(right).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from embeddings.encoder import Encoder
from qa.calibration import LogisticCalibration
from qa.citations import Answer, RetrievedPassage, make_citation
from qa.lexical import LexicalIndex


CALIBRATION_PATH = Path(__file__).with_name("sentence_calibration.json")
#: Used until ``qa calibrate`` has written CALIBRATION_PATH; picked by hand
#: on the seed article (0.5 where cosine + overlap ~= 0.56).
DEFAULT_CALIBRATION = LogisticCalibration({"cosine": 6.0, "overlap": 6.0}, -3.36)


class SentenceReader:
    name = "sentence"
    calibration_path = CALIBRATION_PATH

    def __init__(
        self,
        encoder: Encoder,
        lexical: LexicalIndex,
        calibration: LogisticCalibration | None = None,
    ):
        self.encoder = encoder
        self.lexical = lexical
        self.calibration = calibration or LogisticCalibration.load(
            CALIBRATION_PATH, DEFAULT_CALIBRATION
        )

    def _candidates(
        self, question: str, passages: list[RetrievedPassage]
    ) -> list[tuple[dict[str, float], RetrievedPassage, tuple[int, int]]]:
        seen: set[tuple[str, int, int]] = set()
        candidates: list[tuple[RetrievedPassage, tuple[int, int]]] = []
        for rp in passages:
            for span in rp.passage.sentences:
                key = (rp.passage.doc_id, *span)
                if key not in seen:
                    seen.add(key)
                    candidates.append((rp, span))
        if not candidates:
            return []
        texts = [rp.document.text[a:b] for rp, (a, b) in candidates]
        vectors = self.encoder.encode([question, *texts])
        cosines = np.asarray(vectors[1:] @ vectors[0])
        return [
            (
                {"cosine": float(cos), "overlap": self.lexical.weighted_overlap(question, text)},
                rp,
                span,
            )
            for cos, text, (rp, span) in zip(cosines, texts, candidates)
        ]

    @staticmethod
    def is_right(text: str, golds: list[str]) -> bool:
        """A sentence answers when it contains a gold answer."""
        from qa.evaluation import normalize_answer

        sentence = f" {normalize_answer(text)} "
        return any(f" {normalize_answer(g)} " in sentence for g in golds)

    def features(
        self, question: str, passages: list[RetrievedPassage]
    ) -> list[tuple[dict[str, float], str]]:
        """Every candidate's features and text, the most similar first."""
        ranked = sorted(
            self._candidates(question, passages), key=lambda c: -(c[0]["cosine"] + c[0]["overlap"])
        )
        return [(feats, rp.document.text[a:b]) for feats, rp, (a, b) in ranked]

    def read(self, question: str, passages: list[RetrievedPassage], top_k: int) -> list[Answer]:
        """The ``top_k`` best sentences with calibrated confidences; the
        caller decides whether to abstain."""
        scored = sorted(
            (
                (self.calibration.probability(feats), rp, span)
                for feats, rp, span in self._candidates(question, passages)
            ),
            key=lambda item: -item[0],
        )
        answers = []
        for prob, rp, (start, end) in scored[:top_k]:
            doc = rp.document
            answers.append(
                Answer(
                    text=doc.text[start:end],
                    score=prob,
                    citation=make_citation(doc, rp.passage, start, end),
                    sentence=doc.text[start:end],
                )
            )
        return answers
