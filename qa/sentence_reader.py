"""Answers as whole sentences: the fallback reader when no span reader is loaded.

Each sentence of the retrieved passages is scored by cosine similarity to the
question (the packaged embedding model) plus the share of question terms it
contains, weighted by BM25's idf (so rare words like names count most, and
words the corpus never uses make an off-topic question score low). The score is
mapped to [0, 1] by a logistic curve centred on a threshold calibrated with
``qa calibrate`` on SQuAD questions whose paragraph is present vs removed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from embeddings.encoder import Encoder
from qa.citations import Answer, RetrievedPassage, make_citation
from qa.lexical import LexicalIndex


@dataclass(frozen=True)
class SentenceReaderSettings:
    #: Score at which answering and abstaining are equally likely to be right.
    threshold: float = 0.28
    #: Steepness of the logistic map from score to confidence.
    slope: float = 12.0
    lexical_weight: float = 0.5


class SentenceReader:
    name = "sentence"

    def __init__(
        self,
        encoder: Encoder,
        lexical: LexicalIndex,
        settings: SentenceReaderSettings | None = None,
    ):
        self.encoder = encoder
        self.lexical = lexical
        self.settings = settings or SentenceReaderSettings()

    def score_sentences(
        self, question: str, passages: list[RetrievedPassage]
    ) -> list[tuple[float, RetrievedPassage, tuple[int, int]]]:
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
        cosines = vectors[1:] @ vectors[0]
        w = self.settings.lexical_weight
        scored = [
            ((1 - w) * float(cos) + w * self.lexical.weighted_overlap(question, text), rp, span)
            for cos, text, (rp, span) in zip(np.asarray(cosines), texts, candidates)
        ]
        scored.sort(key=lambda item: -item[0])
        return scored

    def confidence(self, score: float) -> float:
        s = self.settings
        return 1.0 / (1.0 + math.exp(-s.slope * (score - s.threshold)))

    def read(self, question: str, passages: list[RetrievedPassage], top_k: int) -> list[Answer]:
        """The ``top_k`` best sentences, scored with calibrated confidences
        (0.5 at the threshold); the caller decides whether to abstain."""
        answers = []
        for score, rp, (start, end) in self.score_sentences(question, passages):
            if len(answers) >= top_k:
                break
            doc = rp.document
            answers.append(
                Answer(
                    text=doc.text[start:end],
                    score=self.confidence(score),
                    citation=make_citation(doc, rp.passage, start, end),
                    sentence=doc.text[start:end],
                )
            )
        return answers
