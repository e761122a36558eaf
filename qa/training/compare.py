"""Compare exported readers on the held-out training articles, all on the same questions.

    python -m qa.training.compare --data TRAIN.json.gz [--paragraphs 5] WEIGHTS_DIR [WEIGHTS_DIR ...]

For each reader: the trainer's held-out figures (EM/F1 on the question's own
paragraph, withholding on answerable questions and on distractor paragraphs)
and the top answer when the own paragraph is read among others of its article,
ranked as query time ranks passages. The last is what choosing between
candidates (soups, shared-ranking runs) needs and what the own-paragraph F1
cannot see. Only SQuAD *train*: the dev set is refused, as by the trainer.
Prints a table; ``--json FILE`` also writes one JSON line per reader.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

import torch

from qa.reader.model import load_trained_net
from qa.reader.predictor import ReaderWeightsError, weights_metadata, weights_path
from qa.training.checkpoint import sha256_file
from qa.training.config import DEFAULT_CHECKPOINT_DIR, TrainConfig
from qa.training.data import PreTokenised, load_pretokenised, training_path
from qa.training.heldout import AmongResult, EvalResult, evaluate, evaluate_among


@dataclass
class Comparison:
    reader: str
    own: EvalResult
    among: AmongResult


def compare(readers: Sequence[Path], data: PreTokenised, cfg: TrainConfig, paragraphs: int) -> list[Comparison]:
    """Every reader on the same held-out sample (``cfg.eval_questions`` questions)."""
    out = []
    for folder in readers:
        net = load_trained_net(weights_path(folder)).to(torch.device(cfg.torch_device()))
        out.append(Comparison(str(folder), evaluate(net, data, cfg), evaluate_among(net, data, cfg, paragraphs)))
    return out


def table(rows: Sequence[Comparison]) -> str:
    lines = [
        f"{'reader':40s} {'own F1':>7s} {'EM':>6s} {'withheld':>8s} {'distr.':>7s} {'among F1':>8s} {'EM':>6s} {'own par.':>8s}"
    ]
    for r in rows:
        lines.append(
            f"{r.reader[-40:]:40s} {r.own.f1:7.2f} {r.own.em:6.2f} {r.own.abstain_on_answerable:8.3f} "
            f"{r.own.abstain_on_distractor:7.3f} {r.among.f1:8.2f} {r.among.em:6.2f} {r.among.own_paragraph:8.3f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m qa.training.compare", description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True, help="SQuAD v1.1 train json(.gz); the last articles are read")
    ap.add_argument("--heldout-articles", type=int, default=10, help="last N articles (as in training)")
    ap.add_argument("--eval-questions", type=int, default=2251, help="held-out questions (spread over the articles)")
    ap.add_argument("--eval-negatives", type=int, default=300, help="distractor paragraphs for the withholding rate")
    ap.add_argument("--paragraphs", type=int, default=5, help="paragraphs read per question for the among figures")
    ap.add_argument("--checkpoint-dir", default=str(DEFAULT_CHECKPOINT_DIR), help="tokenised-data cache")
    ap.add_argument("--device", default="auto", help="auto (cuda when present), cpu, cuda, cuda:N")
    ap.add_argument("--json", type=Path, help="also write the JSON lines here")
    ap.add_argument("readers", type=Path, nargs="+", help="folders holding reader.safetensors")
    args = ap.parse_args(argv)
    if args.paragraphs < 1:
        raise SystemExit("error: --paragraphs must be at least 1")
    try:
        for folder in args.readers:
            weights_metadata(weights_path(folder))  # every folder checked before any work
        path = training_path(args.data)
    except ReaderWeightsError as exc:
        raise SystemExit(f"error: {exc}") from None
    cfg = TrainConfig(data=str(path), heldout_articles=args.heldout_articles, eval_questions=args.eval_questions,
                      eval_negatives=args.eval_negatives, checkpoint_dir=args.checkpoint_dir, device=args.device)
    cache = Path(cfg.checkpoint_dir)
    cache.mkdir(parents=True, exist_ok=True)
    data = load_pretokenised(path, sha256_file(path), cfg, cache)
    rows = compare(args.readers, data, cfg, args.paragraphs)
    print(table(rows))
    if args.json:
        lines = [json.dumps({"reader": r.reader, "own": asdict(r.own), "among": asdict(r.among)}) for r in rows]
        args.json.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
