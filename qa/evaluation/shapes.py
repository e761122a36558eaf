"""Calibration data *by document shape*: does P(right) transfer from SQuAD paragraphs to long documents?

The shipped calibration was fitted on single SQuAD paragraphs, one document
each. Real corpora are not shaped like that: the seed corpus is one long
article. Three shapes are built from SQuAD articles:

- ``article``: each article's paragraphs joined with blank lines as ONE
  document; several articles in the corpus;
- ``paragraphs``: each paragraph its own document (many documents);
- ``single``: a corpus of one article as one document (one corpus per article).

Every question is asked answerable (its paragraph present) and unanswerable
(the corpus rebuilt without its paragraph: for the article shapes, the
document's text with that paragraph removed). The reader's candidates are
labelled right by `qa.evaluation.calibrate.is_right`.

    python -m qa.evaluation.shapes --fit-articles 10 --report-articles 5
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

SHAPES = ("article", "paragraphs", "single")
SEP = "\n\n"
TOP_CANDIDATES = 10  # kept per question, so any calibration can pick its best


# ---- shape builders (pure; no models) ----------------------------------------
@dataclass(frozen=True)
class ShapeQuestion:
    qid: str
    question: str
    answers: list[str]
    doc_id: str
    paragraph: int  # index of the answer's paragraph inside its document


@dataclass
class ShapeCorpus:
    """Documents as lists of paragraphs (joined by a blank line), and their questions."""

    shape: str
    docs: dict[str, tuple[str, ...]]
    questions: list[ShapeQuestion] = field(default_factory=list)

    def texts(self) -> dict[str, str]:
        return {d: SEP.join(ps) for d, ps in self.docs.items()}

    def without(self, doc_id: str, paragraph: int) -> dict[str, str]:
        """The corpus rebuilt without one paragraph (a document left empty is dropped)."""
        out = {}
        for d, ps in self.docs.items():
            if d == doc_id:
                ps = tuple(p for i, p in enumerate(ps) if i != paragraph)
            if ps:
                out[d] = SEP.join(ps)
        return out


def _questions(paragraph: dict[str, Any], doc_id: str, index: int) -> list[ShapeQuestion]:
    out = []
    for qa in paragraph["qas"]:
        answers = [a["text"] for a in qa.get("answers", [])]
        if answers:
            out.append(ShapeQuestion(qa["id"], qa["question"], answers, doc_id, index))
    return out


def build_shape(articles: list[dict[str, Any]], shape: str) -> list[ShapeCorpus]:
    """The corpora of one shape (``single``: one corpus per article)."""
    if shape == "paragraphs":
        corpus = ShapeCorpus(shape, {})
        for article in articles:
            for n, paragraph in enumerate(article["paragraphs"]):
                doc_id = f"{article['title']}#{n}"
                corpus.docs[doc_id] = (paragraph["context"],)
                corpus.questions += _questions(paragraph, doc_id, 0)
        return [corpus]
    if shape not in ("article", "single"):
        raise ValueError(f"unknown shape {shape!r}; one of {SHAPES}")
    corpora = []
    for article in articles:
        doc_id = article["title"]
        c = ShapeCorpus(shape, {doc_id: tuple(p["context"] for p in article["paragraphs"])})
        for n, paragraph in enumerate(article["paragraphs"]):
            c.questions += _questions(paragraph, doc_id, n)
        corpora.append(c)
    if shape == "single":
        return corpora
    merged = ShapeCorpus(shape, {})
    for c in corpora:
        merged.docs.update(c.docs)
        merged.questions += c.questions
    return [merged]


def sample_questions(corpora: list[ShapeCorpus], max_questions: int | None, seed: int = 0) -> None:
    """Keep at most ``max_questions`` over all corpora (a seeded sample, in place)."""
    if max_questions is None:
        return
    everything = [(i, q) for i, c in enumerate(corpora) for q in c.questions]
    random.Random(seed).shuffle(everything)
    keep = {q.qid for _, q in everything[:max_questions]}
    for c in corpora:
        c.questions = [q for q in c.questions if q.qid in keep]


# ---- metrics (pure) ----------------------------------------------------------
def auroc(scores: Sequence[float], labels: Sequence[int]) -> float | None:
    """Area under the ROC curve (ties count half); None without both classes."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    if not pos or not neg:
        return None
    wins = 0.0
    for p in pos:
        for n in neg:
            wins += 1.0 if p > n else 0.5 if p == n else 0.0
    return wins / (len(pos) * len(neg))


def reliability(probs: Sequence[float], labels: Sequence[int], bins: int = 5) -> list[dict]:
    """Equal-width bins over [0, 1]: mean predicted, observed right-rate, count."""
    rows = []
    for b in range(bins):
        lo, hi = b / bins, (b + 1) / bins
        inside = [(p, y) for p, y in zip(probs, labels) if lo <= p < hi or (b == bins - 1 and p == 1.0)]
        rows.append(
            {
                "bin": f"{lo:.1f}-{hi:.1f}",
                "predicted": sum(p for p, _ in inside) / len(inside) if inside else None,
                "observed": sum(y for _, y in inside) / len(inside) if inside else None,
                "count": len(inside),
            }
        )
    return rows


def selective(
    answerable: Sequence[tuple[float, int]], unanswerable: Sequence[float], threshold: float
) -> dict:
    """At one threshold: share of answerable questions answered, precision of those
    answers, share of unanswerable questions abstained."""
    answered = [y for p, y in answerable if p >= threshold]
    return {
        "threshold": threshold,
        "coverage": len(answered) / len(answerable) if answerable else None,
        "precision": sum(answered) / len(answered) if answered else None,
        "abstained": sum(p < threshold for p in unanswerable) / len(unanswerable) if unanswerable else None,
    }


# ---- collecting candidates with the models -----------------------------------
@dataclass
class Asked:
    """One question in one condition: the reader's candidates (best margin first)."""

    shape: str
    kind: str  # answerable | unanswerable | off-topic
    qid: str
    candidates: list[tuple[dict[str, float], str, int]]  # features, text, right


class CachingEncoder:
    """Wraps an `Encoder`: a passage embedded once is never embedded again (the
    rebuilt corpora share almost all their passages)."""

    def __init__(self, encoder):
        self._encoder = encoder
        self._cache: dict[str, Any] = {}
        self._queries: dict[str, Any] = {}

    def __getattr__(self, name):
        return getattr(self._encoder, name)

    def encode(self, texts, batch_size: int = 64, progress=None):
        import numpy as np

        todo = sorted({t for t in texts if t not in self._cache})
        if todo:
            for t, v in zip(todo, self._encoder.encode(todo, batch_size=batch_size)):
                self._cache[t] = v
        if not texts:
            return self._encoder.encode([])
        return np.stack([self._cache[t] for t in texts])

    def encode_query(self, text: str):
        if text not in self._queries:
            self._queries[text] = self._encoder.encode_query(text)
        return self._queries[text]


def _assistant(texts: dict[str, str], settings, encoder, reader):
    from embeddings.documents import document_from_text
    from qa.assistant import Assistant
    from qa.retrieval import Retriever

    assistant = Assistant.in_memory(settings, reader=reader)
    assistant.encoder = encoder
    assistant.retriever = Retriever(assistant.index, encoder)
    assistant.add_documents([document_from_text(t, d, title=d) for d, t in texts.items()])
    return assistant


def _ask(assistant, question: str, golds: list[str] | None) -> list[tuple[dict[str, float], str, int]]:
    from qa.evaluation.calibrate import is_right

    first, further = assistant.passages_to_read(question)  # read as `Assistant.ask` reads
    read = assistant.reader.features(question, first, further=further, until=assistant.answer_threshold)
    out = []
    for feats, text in read[:TOP_CANDIDATES]:
        out.append((feats, text, int(bool(golds) and is_right(text, golds))))
    return out


def collect(
    corpora: list[ShapeCorpus],
    settings=None,
    reader=None,
    encoder=None,
    off_topic: Sequence[str] = (),
    progress: Callable[[str], None] | None = None,
) -> list[Asked]:
    """Ask every question of every corpus answerable and unanswerable."""
    from embeddings.documents import document_from_text
    from embeddings.encoder import Encoder
    from qa.reader import ExtractiveReader
    from qa.settings import Settings

    settings = settings or Settings.from_env()
    reader = reader or ExtractiveReader.from_settings(settings)
    encoder = encoder or CachingEncoder(Encoder(settings.index.model))
    asked: list[Asked] = []
    for corpus in corpora:
        if not corpus.questions:
            continue
        texts = corpus.texts()
        assistant = _assistant(texts, settings, encoder, reader)
        for q in corpus.questions:
            asked.append(Asked(corpus.shape, "answerable", q.qid, _ask(assistant, q.question, q.answers)))
        for question in off_topic:
            asked.append(Asked(corpus.shape, "off-topic", question, _ask(assistant, question, None)))
        groups: dict[tuple[str, int], list[ShapeQuestion]] = {}
        for q in corpus.questions:
            groups.setdefault((q.doc_id, q.paragraph), []).append(q)
        for (doc_id, paragraph), qs in groups.items():
            rest = corpus.without(doc_id, paragraph)
            if doc_id in rest:  # the document with the paragraph cut out
                assistant.add_documents([document_from_text(rest[doc_id], doc_id, title=doc_id)])
            else:  # the paragraph was the whole document
                assistant.index.remove(doc_id)
            for q in qs:
                # Golds are checked anyway: the same answer may be stated elsewhere.
                asked.append(Asked(corpus.shape, "unanswerable", q.qid, _ask(assistant, q.question, q.answers)))
            assistant.add_documents([document_from_text(texts[doc_id], doc_id, title=doc_id)])
        if progress:
            progress(f"{corpus.shape}: {len(corpus.questions)} questions, {len(corpus.docs)} documents")
    return asked


def collect_shapes(
    articles: list[dict[str, Any]],
    max_questions: int | None,
    settings=None,
    reader=None,
    progress: Callable[[str], None] | None = None,
    seed: int = 0,
) -> list[Asked]:
    """Every shape built from ``articles`` (at most ``max_questions`` per shape), each
    question answerable and unanswerable, plus off-topic questions where the corpus
    has several documents. One encoder serves all shapes (they share passages)."""
    from embeddings.encoder import Encoder
    from qa.evaluation.calibrate import OFF_TOPIC_QUESTIONS
    from qa.reader import ExtractiveReader
    from qa.settings import Settings

    settings = settings or Settings.from_env()
    reader = reader or ExtractiveReader.from_settings(settings)
    encoder = CachingEncoder(Encoder(settings.index.model))
    asked: list[Asked] = []
    for shape in SHAPES:
        corpora = build_shape(articles, shape)
        sample_questions(corpora, max_questions, seed)
        off_topic = OFF_TOPIC_QUESTIONS[:8] if shape != "single" else ()
        asked += collect(corpora, settings, reader, encoder, off_topic=off_topic, progress=progress)
    return asked


# ---- fitting and reporting ---------------------------------------------------
#: Operating points ``qa calibrate`` chooses among.
THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def top(asked: Asked, calibration) -> tuple[float, int, str] | None:
    """The candidate the assistant would show first under ``calibration``: (p, right, text)."""
    best = None
    for feats, text, right in asked.candidates:
        p = calibration.probability(feats)
        if best is None or p > best[0]:
            best = (p, right, text)
    return best


def fit(asked: list[Asked], names: Sequence[str], threshold: float, c: float = 1.0):
    """Logistic regression on each question's best-margin candidate (every condition)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from qa.calibration import LogisticCalibration

    rows = [a.candidates[0] for a in asked if a.candidates]
    x = np.array([[f[n] for n in names] for f, _, _ in rows])
    y = np.array([r for _, _, r in rows])
    if len(set(y.tolist())) < 2:
        raise ValueError("calibration needs both right and wrong answers")
    model = LogisticRegression(C=c, max_iter=2000).fit(x, y)
    return LogisticCalibration(
        {n: float(w) for n, w in zip(names, model.coef_[0])}, float(model.intercept_[0]), threshold
    )


def by_shape(asked: list[Asked]) -> dict[str, list[Asked]]:
    """The questions of each shape present, in SHAPES order."""
    return {shape: [a for a in asked if a.shape == shape] for shape in SHAPES if any(a.shape == shape for a in asked)}


def choose_threshold(asked: list[Asked], calibration, thresholds: Sequence[float] = THRESHOLDS) -> float:
    """The operating point whose worst figure is best: over every shape, the lowest of
    coverage, precision and unanswerable-abstained (a missing figure counts as 0).
    Ties go to the lower threshold, which answers more."""
    def worst(t: float) -> float:
        rows = [evaluate(subset, calibration, (t,))["selective"][0] for subset in by_shape(asked).values()]
        return min(row[k] or 0.0 for row in rows for k in ("coverage", "precision", "abstained"))

    return max(sorted(thresholds), key=lambda t: (worst(t), -t))


def feature_aurocs(asked: list[Asked], names: Sequence[str]) -> dict[str, float | None]:
    """Per feature, AUROC of the best-margin candidate being right (all conditions)."""
    rows = [a.candidates[0] for a in asked if a.candidates]
    labels = [r for _, _, r in rows]
    return {n: auroc([f[n] for f, _, _ in rows], labels) for n in names}


def evaluate(asked: list[Asked], calibration, thresholds=(0.3, 0.4, 0.5)) -> dict:
    """AUROC, reliability and selective figures of one calibration on one shape's questions.

    Every question in every condition counts once, with the candidate the
    calibration would show (no candidate: p = 0, wrong)."""
    tops = []
    for a in asked:
        t = top(a, calibration)
        tops.append((a.kind, 0.0 if t is None else t[0], 0 if t is None else t[1]))
    probs = [p for _, p, _ in tops]
    labels = [y for _, _, y in tops]
    answerable = [(p, y) for k, p, y in tops if k == "answerable"]
    unanswerable = [p for k, p, _ in tops if k != "answerable"]
    return {
        "n": len(tops),
        "right": sum(labels),
        # The top answer right, whatever its score: coverage x precision cannot exceed this
        # at any threshold (an answered right question is one of these).
        "top_right": sum(y for _, y in answerable) / len(answerable) if answerable else None,
        "auroc": auroc(probs, labels),
        "reliability": reliability(probs, labels),
        "selective": [selective(answerable, unanswerable, t) for t in thresholds],
    }


def _pct(x) -> str:
    return "–" if x is None else f"{100 * x:.1f}%"


def format_selective(rows: list[dict]) -> list[str]:
    lines = ["| threshold | coverage (answerable answered) | precision | unanswerable abstained |",
             "| --- | --- | --- | --- |"]
    for r in rows:
        lines.append(f"| {r['threshold']:.1f} | {_pct(r['coverage'])} | {_pct(r['precision'])} | {_pct(r['abstained'])} |")
    return lines


def format_evaluation(name: str, ev: dict) -> str:
    lines = [f"**{name}**: {ev['n']} asked, {ev['right']} right; AUROC {ev['auroc']:.3f}" if ev["auroc"] is not None
             else f"**{name}**: {ev['n']} asked; AUROC –", ""]
    if ev["top_right"] is not None:
        lines += [f"top answer right on {_pct(ev['top_right'])} of answerable questions: the most that"
                  " coverage x precision can reach at any threshold", ""]
    lines += ["| bin | mean predicted | observed right | count |", "| --- | --- | --- | --- |"]
    for r in ev["reliability"]:
        lines.append(f"| {r['bin']} | {_pct(r['predicted'])} | {_pct(r['observed'])} | {r['count']} |")
    lines += ["", *format_selective(ev["selective"])]
    return "\n".join(lines)


def print_report(
    asked: list[Asked],
    calibrations: dict[str, Any],
    names: Sequence[str],
    out: Callable[[str], None] = print,
) -> dict:
    """Per shape: feature AUROCs, then each calibration's AUROC, reliability and selective table."""
    result: dict = {}
    for shape in sorted({a.shape for a in asked}, key=lambda s: (SHAPES + (s,)).index(s)):
        subset = [a for a in asked if a.shape == shape]
        out(f"\n### shape: {shape}\n")
        fa = feature_aurocs(subset, names)
        out("feature AUROC (best-margin candidate right): "
            + ", ".join(f"{n} {v:.3f}" if v is not None else f"{n} –" for n, v in fa.items()))
        result[shape] = {"features": fa}
        for name, cal in calibrations.items():
            ev = evaluate(subset, cal)
            result[shape][name] = ev
            out("")
            out(format_evaluation(name, ev))
    return result


# ---- the seed article --------------------------------------------------------
#: Questions about the shipped seed article, with answers checked against its text.
SEED_QUESTIONS: list[tuple[str, list[str]]] = [
    ("Which car was the bomb placed under?", ["Volkswagen Golf"]),
    ("In which city was the general killed?", ["Balashikha"]),
    ("Who was assassinated in the car bombing?", ["Yaroslav Moskalik", "Lt Gen Yaroslav Moskalik"]),
    ("Which news agency reported the explosive device?", ["TASS"]),
    ("Who is President Trump's special envoy?", ["Steve Witkoff"]),
    ("Which Russian leader did Witkoff meet?", ["Vladimir Putin"]),
    ("How far is Balashikha from Moscow?", ["less than 20 miles", "20 miles"]),
    ("Which senior Russian negotiator did Witkoff also meet?", ["Kirill Dmitriev"]),
    ("What was the explosive device packed with?", ["shrapnel"]),
    ("Which newspaper described the video of the car exploding?", ["The Guardian"]),
    ("Whose daughter was Darya Dugina?", ["Alexander Dugin"]),
    ("Who was killed in August 2022?", ["Darya Dugina"]),
    ("Which general died in a scooter blast?", ["Igor Kirillov"]),
    ("Where did Witkoff meet Putin?", ["the Kremlin", "Kremlin"]),
    ("Which trip to Moscow was this for Witkoff?", ["fourth", "fourth trip"]),
    ("What does Russia insist belongs to it forever?", ["Crimea"]),
    ("Which forces did Kirillov head?", ["Radiological, Biological, Chemical Defense Forces"]),
    ("When was Moskalik killed?", ["Friday", "April 25, 2025", "2025-04-25"]),
    ("What kind of explosive device detonated under the car?", ["homemade", "improvised explosive device"]),
    ("Which president has not been on board with the peace settlement?", ["Zelensky", "President Zelensky"]),
]
SEED_OFF_TOPIC = [
    "What is the capital of France?",
    "How do I bake sourdough bread?",
    "Who wrote Pride and Prejudice?",
    "What is the boiling point of water?",
    "How many legs does a spider have?",
    "What is the best programming language?",
]


def seed_report(calibrations: dict[str, Any], settings=None, reader=None, out=print) -> list[dict]:
    """The seed article as the corpus: each calibration's top answer, its P(right), right or not."""
    from qa.assistant import Assistant
    from qa.reader import ExtractiveReader
    from qa.settings import Settings, shipped_corpus_dir

    settings = settings or Settings.from_env()
    reader = reader or ExtractiveReader.from_settings(settings)
    assistant = Assistant.from_paths([shipped_corpus_dir()], settings=settings)
    assistant.reader = reader
    rows = []
    items = [(q, g) for q, g in SEED_QUESTIONS] + [(q, None) for q in SEED_OFF_TOPIC]
    for question, golds in items:
        a = Asked("seed", "answerable" if golds else "off-topic", question, _ask(assistant, question, golds))
        row = {"question": question, "kind": a.kind}
        for name, cal in calibrations.items():
            t = top(a, cal)
            row[name] = t
        rows.append(row)
    names = list(calibrations)
    out("| question | " + " | ".join(f"{n}: answer (P) right?" for n in names) + " |")
    out("| --- | " + " | ".join("---" for _ in names) + " |")
    for row in rows:
        cells = []
        for n in names:
            t = row[n]
            cells.append("–" if t is None else f"{t[2][:40]!r} ({t[0]:.2f}) {'✓' if t[1] else ('off-topic' if row['kind'] != 'answerable' else '✗')}")
        out(f"| {row['question']} | " + " | ".join(cells) + " |")
    for n in names:
        ans = [r[n] for r in rows if r["kind"] == "answerable"]
        off = [r[n] for r in rows if r["kind"] != "answerable"]
        for t in (0.3, 0.4, 0.5):
            shown = [x for x in ans if x and x[0] >= t]
            out(f"{n} @ {t}: answered {len(shown)}/{len(ans)}, right {sum(x[1] for x in shown)}, "
                f"off-topic abstained {sum(1 for x in off if not x or x[0] < t)}/{len(off)}")
    return rows


# ---- command line ------------------------------------------------------------
FEATURES = ("margin", "dense", "lexical")


def _collect_file(
    path, first: int | None, last: int | None, max_questions: int | None, seed: int, log, settings, reader
):
    from qa.evaluation.squad import read_articles

    articles = read_articles(path)
    articles = articles[-last:] if last else articles[:first]
    t0 = time.time()
    asked = collect_shapes(articles, max_questions, settings=settings, reader=reader, progress=log, seed=seed)
    log(f"{path}: {time.time() - t0:.0f}s")
    return asked


#: In a ``--cache`` folder: the candidates collected on the fit (train) articles.
FIT_CACHE = "fit.json"


def save_asked(asked: list[Asked], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([a.__dict__ for a in asked]))


def load_asked(path: Path) -> list[Asked]:
    return [Asked(**{**d, "candidates": [tuple(c) for c in d["candidates"]]}) for d in json.loads(path.read_text())]


def cached_or_collected(cached: Path | None, collect: Callable[[], list[Asked]]) -> list[Asked]:
    """The candidates kept at ``cached`` if it exists; else ``collect()``, kept there when given."""
    if cached is not None and cached.is_file():
        return load_asked(cached)
    asked = collect()
    if cached is not None:
        save_asked(asked, cached)
    return asked


def main(argv: list[str] | None = None) -> int:
    """The report for the reader ``ask`` uses (``QA_READER_WEIGHTS``, ``QA_READER_INT8``):
    its own calibration ("shipped": the one beside its weights) against a refit."""
    from qa.reader import ExtractiveReader
    from qa.settings import Settings

    ap = argparse.ArgumentParser(prog="python -m qa.evaluation.shapes", description=__doc__.splitlines()[0])
    ap.add_argument("--fit-file", default="../shared/squad/train-v1.1.json.gz")
    ap.add_argument("--report-file", default="../shared/squad/dev-v1.1-public.json")
    ap.add_argument("--fit-articles", type=int, default=10, help="the fit file's LAST n articles")
    ap.add_argument("--report-articles", type=int, default=5, help="the report file's FIRST n articles")
    ap.add_argument("--fit-questions", type=int, default=150, help="per shape")
    ap.add_argument("--report-questions", type=int, default=150, help="per shape")
    ap.add_argument("--features", default=",".join(FEATURES))
    ap.add_argument("--threshold", type=float, default=0.3)
    ap.add_argument("--cache", type=Path, default=None, help="folder to keep/reuse the collected candidates")
    ap.add_argument("--seed-article", action="store_true", help="also report on the shipped seed article")
    args = ap.parse_args(argv)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    names = [n for n in args.features.split(",") if n]
    settings = Settings.from_env()
    reader = ExtractiveReader.from_settings(settings)
    sets = {}
    for role, path, first, last, nq in (
        ("fit", args.fit_file, None, args.fit_articles, args.fit_questions),
        ("report", args.report_file, args.report_articles, None, args.report_questions),
    ):
        cached = args.cache / (FIT_CACHE if role == "fit" else "report.json") if args.cache else None
        sets[role] = cached_or_collected(
            cached, lambda path=path, first=first, last=last, nq=nq: _collect_file(
                path, first, last, nq, 0, log, settings, reader
            )
        )
    shipped = reader.calibration
    refit = fit(sets["fit"], names, args.threshold)
    print(f"refit weights: {json.dumps(refit.weights)} bias {refit.bias:.3f}")
    calibrations = {"shipped": shipped, "refit": refit}
    print("\n## fit data (train, last articles)")
    print_report(sets["fit"], calibrations, names)
    print("\n## report data (dev)")
    print_report(sets["report"], calibrations, names)
    if args.seed_article:
        print("\n## seed article")
        seed_report(calibrations, settings, reader)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
