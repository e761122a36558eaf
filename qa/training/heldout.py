"""Held-out evaluation during training, through the runtime span model.

Questions come from the last `heldout_articles` articles of the training file
(never trained on), so the F1 curve in the model card is measured without
touching the SQuAD dev set. Predictions go through `SpanModel.predict_batch`,
the exact code path of query time.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Iterator

import numpy as np

from qa.evaluation.metrics import exact_match, f1_score, normalize_answer
from qa.reader.model import ReaderNet, SpanModel
from qa.reader.spans import ContextPrediction
from qa.reader.windows import WindowConfig
from qa.training.config import TrainConfig
from qa.training.data import HeldOutQuestion, PreTokenised

DISTRACTOR_SEED = 12345  # the same distractors at every evaluation, so the curve is comparable


@dataclass
class EvalResult:
    em: float
    f1: float
    abstain_on_answerable: float  # fraction where no_answer_score beats the best span
    abstain_on_distractor: float  # same, on another paragraph of the same article
    n: int
    seconds: float


def heldout_sample(data: PreTokenised, cfg: TrainConfig) -> list[HeldOutQuestion]:
    """Up to `eval_questions` held-out questions, spread evenly over the held-out articles."""
    qs = data.heldout
    if len(qs) <= cfg.eval_questions:
        return qs
    idx = np.linspace(0, len(qs) - 1, cfg.eval_questions).round().astype(int)
    return [qs[i] for i in idx]


@contextmanager
def _reading(net: ReaderNet, cfg: TrainConfig) -> Iterator[SpanModel]:
    """The network as the query-time span model, in eval mode (no dropout) while it reads."""
    was_training = net.training
    net.eval()
    try:
        yield SpanModel(net, WindowConfig(cfg.max_seq_len, cfg.max_question_tokens))
    finally:
        net.train(was_training)


def _abstains(pred: ContextPrediction) -> bool:
    return not pred.spans or pred.no_answer_score > pred.spans[0].score


def _mean(xs: list[float] | list[bool]) -> float:
    return float(np.mean(xs)) if xs else float("nan")


def _paragraphs_by_article(data: PreTokenised) -> dict[int, list[int]]:
    """The held-out paragraphs of each held-out article, in order."""
    by_article: dict[int, list[int]] = {}
    for q in data.heldout:
        paras = by_article.setdefault(q.article, [])
        if q.paragraph not in paras:
            paras.append(q.paragraph)
    return by_article


def _distractors(
    data: PreTokenised, qs: list[HeldOutQuestion], cfg: TrainConfig
) -> tuple[list[str], list[list[str]]]:
    """Up to `eval_negatives` (question, other paragraph of its article without the answer) pairs."""
    rng = np.random.default_rng(DISTRACTOR_SEED)
    paras_by_article = _paragraphs_by_article(data)
    questions, contexts = [], []
    for i in rng.permutation(len(qs))[: cfg.eval_negatives]:
        q = qs[int(i)]
        others = [p for p in paras_by_article[q.article] if p != q.paragraph]
        if not others:
            continue
        text = data.heldout_paragraphs[others[int(rng.integers(len(others)))]]
        if any(normalize_answer(a) in normalize_answer(text) for a in q.answers):
            continue
        questions.append(q.question)
        contexts.append([text])
    return questions, contexts


def evaluate(net: ReaderNet, data: PreTokenised, cfg: TrainConfig) -> EvalResult:
    """EM/F1 of the top span on the question's own paragraph, and abstention rates."""
    t0 = time.time()
    qs = heldout_sample(data, cfg)
    paragraphs = [data.heldout_paragraphs[q.paragraph] for q in qs]
    with _reading(net, cfg) as model:
        preds = model.predict_batch([q.question for q in qs], [[p] for p in paragraphs], top_k=1)
        neg_abst = [_abstains(pred) for (pred,) in model.predict_batch(*_distractors(data, qs, cfg), top_k=1)]
    ems, f1s, abst = [], [], []
    for q, text, (pred,) in zip(qs, paragraphs, preds):
        answer = text[pred.spans[0].start : pred.spans[0].end] if pred.spans else ""
        ems.append(exact_match(answer, q.answers))
        f1s.append(f1_score(answer, q.answers))
        abst.append(_abstains(pred))
    return EvalResult(
        em=100 * _mean(ems),
        f1=100 * _mean(f1s),
        abstain_on_answerable=_mean(abst),
        abstain_on_distractor=_mean(neg_abst),
        n=len(qs),
        seconds=time.time() - t0,
    )


@dataclass
class AmongResult:
    """The top answer when a question's own paragraph is read among others of its article."""

    em: float
    f1: float
    own_paragraph: float  # share of questions whose top answer comes from their own paragraph
    paragraphs: int  # asked for per question (an article with fewer gives all it has)
    n: int


def among_paragraphs(data: PreTokenised, qs: list[HeldOutQuestion], paragraphs: int) -> list[list[int]]:
    """For each question, its own paragraph and up to ``paragraphs - 1`` others of its article,
    shuffled (seeded: every reader reads the same)."""
    rng = np.random.default_rng(DISTRACTOR_SEED + 1)
    by_article = _paragraphs_by_article(data)
    out = []
    for q in qs:
        others = [p for p in by_article[q.article] if p != q.paragraph]
        picked = [others[int(i)] for i in rng.permutation(len(others))[: paragraphs - 1]]
        group = [q.paragraph, *picked]
        out.append([group[int(i)] for i in rng.permutation(len(group))])
    return out


def evaluate_among(net: ReaderNet, data: PreTokenised, cfg: TrainConfig, paragraphs: int = 5) -> AmongResult:
    """EM/F1 of the top answer across a question's paragraph and others of its article, each
    span scored as query time ranks passages (its score less its paragraph's no-answer score):
    what the shared ranking (``--group-distractors``) trains, which the own-paragraph F1 cannot see."""
    qs = heldout_sample(data, cfg)
    groups = among_paragraphs(data, qs, paragraphs)
    contexts = [[data.heldout_paragraphs[p] for p in group] for group in groups]
    with _reading(net, cfg) as model:
        preds = model.predict_batch([q.question for q in qs], contexts, top_k=1)
    ems, f1s, own = [], [], []
    for q, group, texts, per_context in zip(qs, groups, contexts, preds):
        scored = [(pred.spans[0].score - pred.no_answer_score, i) for i, pred in enumerate(per_context) if pred.spans]
        if scored:
            _, i = max(scored)
            span = per_context[i].spans[0]
            answer, from_own = texts[i][span.start : span.end], group[i] == q.paragraph
        else:
            answer, from_own = "", False
        ems.append(exact_match(answer, q.answers))
        f1s.append(f1_score(answer, q.answers))
        own.append(from_own)
    return AmongResult(100 * _mean(ems), 100 * _mean(f1s), _mean(own), paragraphs, len(qs))
