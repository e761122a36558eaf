"""`ExtractiveReader`: short answer spans from the span model, put on one scale across passages.

The span model (``qa.reader.model``) scores spans inside each passage; here
the candidates from all passages are scored against each passage's
no-answer score, spans that cross a sentence are dropped, duplicates from
overlapping passages are merged, and each survivor becomes a cited `Answer`
whose confidence combines the reader's margin with the retrieval evidence
(`LogisticCalibration`). Passages further down the retrieval are read only
when nothing in the first ones reaches the caller's mark (``until``). Code blocks answer only questions about code
(`qa.questions.is_about_code`), are read after the prose that introduces them (`lead_in`), and such
answers are cited as ``kind="code"``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

from embeddings.chunking import Passage
from qa.calibration import CALIBRATION_FILE, LogisticCalibration
from qa.lexical import tokenize
from qa.citations import Answer, RetrievedPassage, make_citation
from qa.reader.code_spans import whole_command
from qa.questions import is_about_code
from qa.settings import READER_WEIGHTS_DIR, Settings

if TYPE_CHECKING:
    from qa.reader.model import SpanModel


@dataclass(frozen=True)
class Candidate:
    """One span with the evidence the calibration reads."""

    rp: RetrievedPassage
    start: int  # document offsets
    end: int
    span: float  # the span's score (start + end logits)
    no_answer: float  # that passage's no-answer ([CLS]) score
    dense: float  # cosine of question and passage
    lexical: float  # idf-weighted share of question terms in the passage

    @property
    def margin(self) -> float:
        """How far the span beats reading the passage as holding no answer."""
        return self.span - self.no_answer

    @property
    def features(self) -> dict[str, float]:
        """What a calibration may read (the shipped one reads margin, dense, lexical; the two
        scores apart are kept so that ``python -m qa.evaluation.shapes --features`` can try them)."""
        return {
            "margin": self.margin,
            "dense": self.dense,
            "lexical": self.lexical,
            "span": self.span,
            "no_answer": self.no_answer,
        }

    @property
    def text(self) -> str:
        return self.rp.document.text[self.start : self.end]


def within_one_sentence(passage: Passage, start: int, end: int) -> bool:
    return any(a <= start and end <= b for a, b in passage.sentences)


#: Characters that join the parts of one token: a URL or domain, a version or decimal, a time, a
#: handle, a path ("pic.twitter.com", "3.10", "10:30", "user@host", "qa/reader").
_JOINERS = "./:@\\"


def splits_a_token(text: str, start: int, end: int) -> bool:
    """True when ``text[start:end]`` begins or ends inside such a token: "Putin pic" read from
    "Putin pic.twitter.com/…", "3" from "3.10". The reader's word pieces split there; a person's
    words do not."""

    def joined(left: int) -> bool:  # text[left] is a joiner between two word characters
        return (
            0 < left < len(text) - 1
            and text[left] in _JOINERS
            and text[left - 1].isalnum()
            and text[left + 1].isalnum()
        )

    return joined(end) or joined(start - 1)


#: How far back a code block's lead-in may start.
LEAD_IN_CHARS = 300


def lead_in(rp: RetrievedPassage, limit: int = LEAD_IN_CHARS) -> str:
    """The block just before a code passage ("Use `irm` to download the script:"): what the
    code is for. The reader sees it before the code but never answers from it."""
    before = rp.document.text[max(0, rp.passage.start - limit) : rp.passage.start].rstrip()
    cut = before.rfind("\n\n")
    return before[cut + 2 :].strip() if cut >= 0 else before.strip()


def best_cells(question: str, rp: RetrievedPassage) -> list[tuple[int, int]]:
    """In a table passage (one sentence per cell: "The Default of password is False."),
    the cells that share the most terms with the question: its column and its row.

    The reader alone weighs "Type" and "Default" of the right row alike; the
    question names the column, so only the best-named cells may answer."""
    wanted = set(tokenize([question])[0])
    text = rp.document.text
    overlaps = [(len(wanted & set(tokenize([text[a:b]])[0])), (a, b)) for a, b in rp.passage.sentences]
    best = max((n for n, _ in overlaps), default=0)
    return [span for n, span in overlaps if n == best]


class ExtractiveReader:
    """Answers are verbatim spans of the passages, at most ``max_answer_tokens`` long.

    ``weights_dir`` holds ``reader.safetensors`` and, usually, its
    ``calibration.json``; without one, the shipped calibration is used.
    ``cache_dir`` is where the reader's ONNX export is kept (without one it
    runs with torch). ``model`` injects an already built span model (tests
    use an untrained one).
    """

    name = "extractive"

    def __init__(
        self,
        weights_dir: Path = READER_WEIGHTS_DIR,
        calibration: LogisticCalibration | None = None,
        max_answer_tokens: int = 30,
        spans_per_passage: int = 5,
        model: SpanModel | None = None,
        cache_dir: Path | None = None,
        int8: bool = False,
    ):
        self.weights_dir = Path(weights_dir)
        self.cache_dir = Path(cache_dir) if cache_dir is not None else None
        self.int8 = int8
        self.max_answer_tokens = max_answer_tokens
        self.spans_per_passage = spans_per_passage
        if calibration is None:
            path = self.weights_dir / CALIBRATION_FILE
            calibration = LogisticCalibration.load(
                path if path.is_file() else READER_WEIGHTS_DIR / CALIBRATION_FILE
            )
        self.calibration = calibration
        self._model = model

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractiveReader:
        """The reader as `ask` reads: the configured weights, their ONNX graph in the cache, int8 or not.

        Calibration and evaluation build theirs here too, so what they measure is what answers."""
        return cls(settings.reader_weights, cache_dir=settings.cache, int8=settings.reader_int8)

    def warm_up(self) -> None:
        if self._model is None:
            from qa.reader.runtime import load_span_model  # ONNX (no torch) when it can

            self._model = load_span_model(self.weights_dir, self.cache_dir, int8=self.int8)

    @property
    def model(self) -> SpanModel:
        self.warm_up()
        assert self._model is not None
        return self._model

    def candidates(self, question: str, passages: list[RetrievedPassage]) -> list[Candidate]:
        if not is_about_code(question):
            # A value in a code example is not a stated fact ("port 7342" in a
            # shell example is no default port): code answers only code questions.
            passages = [rp for rp in passages if rp.passage.kind != "code"]
        if not passages:
            return []
        # a code block is read after the prose that introduces it; spans come from the code alone
        leads = [lead_in(rp) if rp.passage.kind == "code" else "" for rp in passages]
        prefixes = [f"{lead}\n" if lead else "" for lead in leads]
        texts = [prefix + rp.passage.text for prefix, rp in zip(prefixes, passages)]
        predictions = self.model.predict(
            question,
            texts,
            top_k=2 * self.spans_per_passage if any(prefixes) else self.spans_per_passage,
            max_answer_tokens=self.max_answer_tokens,
        )
        out = []
        for rp, prefix, text, pred in zip(passages, prefixes, texts, predictions):
            cells = best_cells(question, rp) if rp.passage.kind == "table" else None
            shift = rp.passage.start - len(prefix)
            spans = [s for s in pred.spans if s.start >= len(prefix)][: self.spans_per_passage]
            for span in spans:
                # in code, "$ pip" read from "$ pip install httpx[http2]" is the whole command
                local = (span.start, span.end)
                if rp.passage.kind == "code":
                    local = whole_command(text, *local)
                start, end = shift + local[0], shift + local[1]
                if not within_one_sentence(rp.passage, start, end):
                    continue  # a "span" across sentences is never a short answer
                if splits_a_token(rp.document.text, start, end):
                    continue  # part of a URL, version or path is not an answer
                if not rp.document.citable(start, end):
                    continue  # only words the parser inserted ("The … of … is" in a table row)
                if cells is not None and not any(a <= start and end <= b for a, b in cells):
                    continue  # a cell whose column and row the question names less
                out.append(
                    Candidate(
                        rp=rp,
                        start=start,
                        end=end,
                        span=span.score,
                        no_answer=pred.no_answer_score,
                        dense=rp.dense_score or 0.0,
                        lexical=rp.term_overlap,
                    )
                )
        return out

    def rank(self, candidates: list[Candidate]) -> list[tuple[float, Candidate]]:
        """Candidates with their calibrated P(right), most probable first."""
        scored = [(self.calibration.probability(c.features), c) for c in candidates]
        return sorted(scored, key=lambda item: -item[0])

    def _read(
        self,
        question: str,
        passages: list[RetrievedPassage],
        further: Sequence[RetrievedPassage],
        until: float | None,
    ) -> list[tuple[float, Candidate]]:
        """Read ``passages``; when no answer reaches ``until``, read ``further`` too
        and rank every candidate together: weak evidence in the first passages
        often means the answer is further down the retrieval, and a question
        answered well from the first ones costs no more reading."""
        candidates = self.candidates(question, passages)
        ranked = self.rank(candidates)
        if further and until is not None and (not ranked or ranked[0][0] < until):
            ranked = self.rank(candidates + self.candidates(question, list(further)))
        return ranked

    def features(
        self,
        question: str,
        passages: list[RetrievedPassage],
        further: Sequence[RetrievedPassage] = (),
        until: float | None = None,
    ) -> list[tuple[dict[str, float], str]]:
        """Every candidate's features and text, best margin first, read as ``read`` would."""
        ranked = sorted((c for _, c in self._read(question, passages, further, until)), key=lambda c: -c.margin)
        return [(c.features, c.text) for c in ranked]

    def read(
        self,
        question: str,
        passages: list[RetrievedPassage],
        top_k: int,
        further: Sequence[RetrievedPassage] = (),
        until: float | None = None,
    ) -> list[Answer]:
        scored = self._read(question, passages, further, until)
        kept: list[tuple[float, Candidate]] = []
        seen_texts: set[str] = set()
        for prob, cand in scored:
            # The same phrase read from overlapping passages, a span inside a
            # better one, or the same words elsewhere: keep the best reading.
            text = " ".join(cand.text.lower().split())
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
                    text=cand.text,
                    score=prob,
                    citation=citation,
                    sentence=doc.text[citation.context_text_start : citation.context_text_end],
                )
            )
        return answers
