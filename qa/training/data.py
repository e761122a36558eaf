"""SQuAD train → pre-tokenised arrays → epochs of windows → batches.

Tokenising 87k questions and 19k paragraphs takes minutes on 2 cores, so it is
done once and pickled next to the checkpoint. Each epoch then draws windows
the size the reader sees at query time: a positive window around the answer,
and ~`neg_fraction` windows without it (target [CLS]) so the reader learns to
abstain. Everything random is seeded by (seed, epoch), so a resumed run sees
exactly the batches it would have seen.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from qa.evaluation.metrics import normalize_answer
from qa.evaluation.squad import is_dev_set, read_articles
from qa.reader.model import load_tokenizer
from qa.reader.windows import Batch, WindowConfig, collate, context_budget, encode_texts
from qa.training.config import TrainConfig

# 2: classes moved from qa.reader.train to qa.training.data (old pickles no longer load)
PRETOK_VERSION = 2

# one training example: question, paragraph, window start token, window length, start/end label, and the
# group it is ranked in (its positive window's row; -1 when it is trained alone)
EX_Q, EX_CTX, EX_WSTART, EX_WLEN, EX_START, EX_END, EX_GROUP = range(7)
NO_GROUP = -1


def training_path(data: str) -> Path:
    """The `--data` file, refusing the SQuAD dev set (the evaluation set) before any work is done."""
    path = Path(data)
    if is_dev_set(path):
        raise SystemExit(f"refusing to train on {path}: the SQuAD dev set is the evaluation set (use train-v1.1)")
    if not path.is_file():
        raise SystemExit(f"--data {path}: no such file")
    return path


@dataclass
class HeldOutQuestion:
    """A held-out question with its paragraph (evaluated through the runtime span model)."""

    article: int
    paragraph: int
    question: str
    answers: list[str]


@dataclass
class PreTokenised:
    """Training set tokenised once: paragraphs and questions as token arrays + answer token spans."""

    ctx_ids: list[np.ndarray]
    ctx_offsets: list[np.ndarray]
    ctx_text: list[str]
    ctx_article: np.ndarray  # article index of each paragraph
    q_ids: list[np.ndarray]
    q_ctx: np.ndarray  # paragraph index of each question
    q_answer: np.ndarray  # (n, 2) answer start/end token (inclusive) in its paragraph; -1 if unmappable
    q_answer_text: list[str]
    heldout: list[HeldOutQuestion]
    heldout_paragraphs: list[str]


def answer_tokens(offsets: np.ndarray, char_start: int, char_end: int) -> tuple[int, int]:
    """First/last token overlapping [char_start, char_end), or (-1, -1)."""
    if len(offsets) == 0 or char_end <= char_start:
        return -1, -1
    hits = np.nonzero((offsets[:, 1] > char_start) & (offsets[:, 0] < char_end))[0]
    if len(hits) == 0:
        return -1, -1
    return int(hits[0]), int(hits[-1])


def _held_out(articles: list[dict[str, Any]], first: int) -> tuple[list[HeldOutQuestion], list[str]]:
    """Answerable questions and paragraphs of articles[first:] (never trained on)."""
    questions, paragraphs = [], []
    for a, art in enumerate(articles[first:], start=first):
        for para in art["paragraphs"]:
            paragraphs.append(para["context"])
            for qa in para["qas"]:
                if qa.get("answers"):
                    answers = [x["text"] for x in qa["answers"]]
                    questions.append(HeldOutQuestion(a, len(paragraphs) - 1, qa["question"], answers))
    return questions, paragraphs


def pretokenise(articles: list[dict[str, Any]], cfg: TrainConfig) -> PreTokenised:
    """Tokenise the training articles (all but the last `heldout_articles`) once."""
    tok = load_tokenizer()
    n_train = max(1, len(articles) - cfg.heldout_articles) if len(articles) > 1 else len(articles)
    ctx_text, ctx_article, questions, q_ctx, ans_chars, ans_text = [], [], [], [], [], []
    for a, art in enumerate(articles[:n_train]):
        for para in art["paragraphs"]:
            p = len(ctx_text)
            ctx_text.append(para["context"])
            ctx_article.append(a)
            for qa in para["qas"]:
                if not qa.get("answers"):
                    continue
                ans = qa["answers"][0]
                questions.append(qa["question"])
                q_ctx.append(p)
                ans_chars.append((ans["answer_start"], ans["answer_start"] + len(ans["text"])))
                ans_text.append(ans["text"])
    ctx_enc = encode_texts(tok, ctx_text)
    q_enc = encode_texts(tok, questions)
    q_answer = np.array(
        [answer_tokens(ctx_enc[c].offsets, s, e) for c, (s, e) in zip(q_ctx, ans_chars)], dtype=np.int32
    ).reshape(-1, 2)
    heldout, held_paras = _held_out(articles, n_train)
    return PreTokenised(
        ctx_ids=[e.ids for e in ctx_enc],
        ctx_offsets=[e.offsets for e in ctx_enc],
        ctx_text=ctx_text,
        ctx_article=np.asarray(ctx_article, dtype=np.int32),
        q_ids=[e.ids[: cfg.max_question_tokens] for e in q_enc],
        q_ctx=np.asarray(q_ctx, dtype=np.int32),
        q_answer=q_answer,
        q_answer_text=ans_text,
        heldout=heldout,
        heldout_paragraphs=held_paras,
    )


def load_pretokenised(data_path: Path, data_sha: str, cfg: TrainConfig, ckpt_dir: Path) -> PreTokenised:
    """Pre-tokenised data from the checkpoint-dir cache, building it on first use."""
    key = f"{data_sha[:16]}-h{cfg.heldout_articles}-q{cfg.max_question_tokens}-v{PRETOK_VERSION}"
    cache = ckpt_dir / f"pretok-{key}.pkl"
    if cache.is_file():
        with open(cache, "rb") as f:
            return pickle.load(f)
    data = pretokenise(read_articles(data_path), cfg)
    tmp = cache.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cache)
    return data


# --------------------------------------------------------------------------- epochs of windows


def _has_answer_text(data: PreTokenised, ctx: int, w0: int, wlen: int, answer: str) -> bool:
    if wlen <= 0:
        return False
    offs = data.ctx_offsets[ctx]
    text = data.ctx_text[ctx][offs[w0][0] : offs[w0 + wlen - 1][1]]
    return normalize_answer(answer) in normalize_answer(text)


def build_epoch(data: PreTokenised, cfg: TrainConfig, epoch: int) -> np.ndarray:
    """All training windows of one epoch (deterministic in seed + epoch), shape (n, 7).

    Positives: a random window of the paragraph that holds the answer (the whole
    paragraph when it fits), or with ``crop_fraction`` a window cut at random
    tokens on both sides of the answer. Negatives: a window of another paragraph of the same
    article (retrieval-like distractor) or of the same paragraph away from the
    answer, labelled [CLS]. With ``group_distractors`` N, each positive is followed
    by N such negatives of its own question, all carrying the positive's row as
    their group.
    """
    rng = np.random.default_rng([cfg.seed, epoch, 1])
    wcfg = WindowConfig(cfg.max_seq_len, cfg.max_question_tokens)
    rows: list[tuple[int, ...]] = []
    by_article: dict[int, np.ndarray] = {}
    n_pos = 0
    for q in range(len(data.q_ids)):
        a0, a1 = data.q_answer[q]
        if a0 < 0:
            continue
        c = int(data.q_ctx[q])
        n, budget = len(data.ctx_ids[c]), context_budget(len(data.q_ids[q]), wcfg)
        if a1 - a0 + 1 > budget:
            continue
        lo, hi = max(0, a1 - budget + 1), min(a0, max(0, n - budget))
        w0 = int(rng.integers(lo, hi + 1)) if hi >= lo else 0
        wlen = min(budget, n - w0)
        if cfg.crop_fraction and rng.random() < cfg.crop_fraction:
            # cut anywhere before and after the answer, mid-sentence or mid-word, as negatives are cut
            w0 = int(rng.integers(lo, a0 + 1))
            end = int(rng.integers(a1 + 1, min(n, w0 + budget) + 1))
            wlen = end - w0
        off = len(data.q_ids[q]) + 2 - w0
        n_pos += 1
        if not cfg.group_distractors:
            rows.append((q, c, w0, wlen, a0 + off, a1 + off, NO_GROUP))
            continue
        group = len(rows)
        rows.append((q, c, w0, wlen, a0 + off, a1 + off, group))
        for _ in range(cfg.group_distractors):
            neg = _negative(data, q, rng, wcfg, by_article)
            if neg is not None:
                rows.append((*neg, group))
    n_neg = int(round(n_pos * cfg.neg_fraction / (1 - cfg.neg_fraction)))
    for q in rng.choice(len(data.q_ids), size=min(n_neg, len(data.q_ids)), replace=False):
        neg = _negative(data, int(q), rng, wcfg, by_article)
        if neg is not None:
            rows.append((*neg, NO_GROUP))
    return np.asarray(rows, dtype=np.int32).reshape(-1, 7)


def _negative(
    data: PreTokenised, q: int, rng: np.random.Generator, wcfg: WindowConfig, by_article: dict[int, np.ndarray]
) -> tuple[int, int, int, int, int, int] | None:
    """A window for question q that does not contain its answer, or None."""
    c = int(data.q_ctx[q])
    art = int(data.ctx_article[c])
    if art not in by_article:
        by_article[art] = np.nonzero(data.ctx_article == art)[0]
    budget = context_budget(len(data.q_ids[q]), wcfg)
    answer = data.q_answer_text[q]
    for _ in range(3):
        if rng.random() < 0.7 and len(by_article[art]) > 1:
            other = int(rng.choice(by_article[art]))
            if other == c:
                continue
            n = len(data.ctx_ids[other])
            w0 = int(rng.integers(0, max(0, n - budget) + 1))
        else:  # same paragraph, window strictly before or after the answer
            other, (a0, a1) = c, data.q_answer[q]
            n = len(data.ctx_ids[c])
            choices = [(0, a0)] if a0 >= 24 else []
            if n - (a1 + 1) >= 24:
                choices.append((a1 + 1, n))
            if not choices:
                continue
            s, e = choices[int(rng.integers(len(choices)))]
            span = min(budget, e - s)
            w0 = int(rng.integers(s, e - span + 1))
            n = w0 + span
        wlen = min(budget, n - w0)
        if wlen > 0 and not _has_answer_text(data, other, w0, wlen, answer):
            return (q, other, w0, wlen, 0, 0)
    return None


def batch_order(examples: np.ndarray, data: PreTokenised, cfg: TrainConfig, epoch: int) -> list[np.ndarray]:
    """Length-bucketed batches: shuffle, sort within chunks of 64 batches, shuffle the batches.

    A group (a positive and its distractors) is one unit that is never split
    across batches; a batch holds up to ``batch_size`` windows, and at least one unit.
    """
    rng = np.random.default_rng([cfg.seed, epoch, 2])
    lengths = np.array([len(data.q_ids[q]) for q in examples[:, EX_Q]]) + examples[:, EX_WLEN]
    units = _units(examples)
    unit_len = np.array([lengths[u].max() for u in units]) if units else np.zeros(0)
    per_unit = max(1, round(len(examples) / max(1, len(units))))
    perm = rng.permutation(len(units))
    chunk = max(1, cfg.batch_size // per_unit) * 64
    batches: list[np.ndarray] = []
    for i in range(0, len(perm), chunk):
        part = perm[i : i + chunk]
        part = part[np.argsort(unit_len[part], kind="stable")]
        current: list[np.ndarray] = []
        size = 0
        for u in part:
            if current and size + len(units[u]) > cfg.batch_size:
                batches.append(np.concatenate(current))
                current, size = [], 0
            current.append(units[u])
            size += len(units[u])
        if current:
            batches.append(np.concatenate(current))
    return [batches[i] for i in rng.permutation(len(batches))]


def _units(examples: np.ndarray) -> list[np.ndarray]:
    """Row indices that must share a batch: each group's rows together, every ungrouped row alone."""
    groups = examples[:, EX_GROUP]
    alone = np.nonzero(groups == NO_GROUP)[0]
    grouped = np.nonzero(groups != NO_GROUP)[0]
    units = [np.array([r]) for r in alone]
    if len(grouped):
        order = grouped[np.argsort(groups[grouped], kind="stable")]
        cuts = np.nonzero(np.diff(groups[order]))[0] + 1
        units.extend(np.split(order, cuts))
    return units


def make_batch(
    data: PreTokenised, examples: np.ndarray, idx: np.ndarray, cls_id: int, sep_id: int
) -> tuple[Batch, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Encoder inputs, start/end labels and group ids (``NO_GROUP`` when alone) for the examples `idx`."""
    ex = examples[idx]
    qs = [data.q_ids[q] for q in ex[:, EX_Q]]
    cs = [data.ctx_ids[c][w0 : w0 + wl] for c, w0, wl in ex[:, [EX_CTX, EX_WSTART, EX_WLEN]]]
    batch = collate(qs, cs, cls_id, sep_id)
    starts = torch.from_numpy(ex[:, EX_START].astype(np.int64))
    ends = torch.from_numpy(ex[:, EX_END].astype(np.int64))
    groups = torch.from_numpy(ex[:, EX_GROUP].astype(np.int64))
    return batch, starts, ends, groups
