"""`TrainConfig`, everything that determines a run, and the command line derived from it.

Each field carries its help text in `metadata`, so adding a field adds its
option (`max_steps` → `--max-steps`; a bool → `--bf16/--no-bf16`) and the two
can never drift apart. Kept free of torch so `--help` is instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

from qa.settings import READER_WEIGHTS_DIR

DEFAULT_CHECKPOINT_DIR = Path.home() / ".cache" / "cited-qa" / "reader-train"
DEFAULT_OUT = READER_WEIGHTS_DIR


def _option(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass
class TrainConfig:
    """Everything that determines a run (stored in the checkpoint and the model card)."""

    data: str = field(metadata={"help": "SQuAD v1.1 train json(.gz); never the dev set"})
    minutes: float = _option(85.0, "wall-clock budget of this run; the learning rate decays to 0 at its end")
    max_steps: int | None = _option(None, "stop after this many optimizer steps (all sessions)")
    checkpoint_dir: str = _option(str(DEFAULT_CHECKPOINT_DIR), "checkpoint, log and tokenised-data cache; re-runs resume from it")
    out: str = _option(str(DEFAULT_OUT), "export folder (reader.safetensors + MODEL_CARD.md)")
    seed: int = _option(0, "seeds the head, the data order and the negatives")
    eval_every_minutes: float = _option(12.0, "held-out evaluation interval")
    checkpoint_every_minutes: float = _option(5.0, "checkpoint interval")
    log_every_steps: int = _option(20, "training log interval")
    batch_size: int = _option(32, "windows per optimizer step")
    lr: float = _option(1e-4, "peak AdamW learning rate")
    weight_decay: float = _option(0.01, "AdamW weight decay (matrices only)")
    warmup_steps: int = _option(100, "linear warmup steps")
    neg_fraction: float = _option(0.22, "fraction of windows without the answer (target [CLS])")
    crop_fraction: float = _option(
        0.0, "share of windows with the answer cut at random tokens before and after it, as the windows without "
        "it cut from its own paragraph are, so that text starting or ending mid-sentence is no cue for [CLS]"
    )
    group_distractors: int = _option(
        0, "with N > 0, each window holding the answer is read together with N windows of its article without "
        "it, and a loss over all their spans at once (each span's score less its window's [CLS] score, as passages "
        "are ranked at query time) teaches the answer to outscore the best span of every distractor"
    )
    group_weight: float = _option(0.5, "share of the loss from the shared ranking of a group (with --group-distractors)")
    group_window_loss: bool = _option(
        True, "a group's distractors are also [CLS] targets of the per-window loss; --no-group-window-loss leaves "
        "them to the shared ranking alone, so the reader is not taught to withhold on them as well"
    )
    max_seq_len: int = _option(192, "tokens per window, question included (as at query time)")
    max_question_tokens: int = _option(64, "question tokens kept")
    heldout_articles: int = _option(10, "last N articles held out of training for evaluation")
    eval_questions: int = _option(400, "held-out questions per evaluation")
    eval_negatives: int = _option(100, "held-out distractor paragraphs per evaluation")
    bf16: bool = _option(True, "bf16 autocast where the CPU has native bf16; --no-bf16 trains in plain fp32")
    dropout: float = _option(0.0, "encoder dropout")
    threads: int = _option(2, "torch CPU threads")
    device: str = _option("auto", "torch device to train on: auto (cuda when present, else cpu), cpu, cuda, cuda:N")
    init_from: str | None = _option(
        None, "start from exported reader weights (a folder with reader.safetensors, e.g. qa/reader/weights) "
        "instead of the packaged encoder; a checkpoint in --checkpoint-dir still wins"
    )
    teachers: str | None = _option(
        None, "comma-separated folders of exported reader weights; the student also learns their averaged "
        "span distributions (ensemble distillation)"
    )
    distill_weight: float = _option(0.5, "share of the loss from the teachers' distributions (with --teachers)")
    temperature: float = _option(2.0, "softmax temperature of the distillation (with --teachers)")

    def torch_device(self) -> str:
        """The device name torch is given: 'auto' resolved by what this machine has."""
        if self.device != "auto":
            return self.device
        import torch

        return "cuda" if torch.cuda.is_available() else "cpu"

    def use_bf16(self) -> bool:
        """bf16 autocast only pays on GPUs and on CPUs with native bf16 (AVX512-BF16 / AMX); elsewhere it is slower."""
        if not self.bf16:
            return False
        if self.torch_device().startswith("cuda"):
            return True
        try:
            flags = Path("/proc/cpuinfo").read_text()
        except OSError:
            return False
        return "avx512_bf16" in flags or "amx_bf16" in flags


def _scalar_type(hint: Any) -> type:
    """`int` for `int | None`; the hint itself otherwise."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (inner,) = [a for a in typing.get_args(hint) if a is not type(None)]
        return inner
    return hint


class _HelpFormatter(argparse.RawDescriptionHelpFormatter, argparse.ArgumentDefaultsHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    """One option per `TrainConfig` field: required without a default, `--x/--no-x` for bools."""
    parser = argparse.ArgumentParser(
        prog="python -m qa.training",
        description="Fine-tune the span reader on SQuAD v1.1 train within a wall-clock budget.\n"
        "Re-running with the same --checkpoint-dir resumes where the last run stopped.",
        formatter_class=_HelpFormatter,
    )
    hints = typing.get_type_hints(TrainConfig)
    for f in dataclasses.fields(TrainConfig):
        flag = "--" + f.name.replace("_", "-")
        kind = _scalar_type(hints[f.name])
        help = f.metadata["help"]
        if f.default is dataclasses.MISSING:
            parser.add_argument(flag, type=kind, required=True, default=argparse.SUPPRESS, help=help)
        elif kind is bool:
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=f.default, help=help)
        else:
            parser.add_argument(flag, type=kind, default=f.default, help=help)
    return parser


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    return TrainConfig(**vars(build_parser().parse_args(argv)))
