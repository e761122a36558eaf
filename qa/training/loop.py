"""The training loop: `Trainer` runs one session within its time budget; `main` is the CLI.

Designed for 2 CPU cores: frozen word embeddings, bf16 autocast (where the CPU
has it), pre-tokenised data, length-bucketed batches with dynamic padding and
windows the size the reader sees at query time. Checkpoints go outside the
repo and a re-run resumes from them; at the end the weights are exported
(fp16 safetensors without the word embeddings) with a MODEL_CARD.md.
"""

from __future__ import annotations

import json
import shlex
import sys
import time
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import torch
import torch.nn.functional as F

from qa.reader.model import WEIGHTS_FILE, build_net, load_tokenizer, load_trained_net
from qa.training.checkpoint import (
    CHECKPOINT_FILE,
    Progress,
    export,
    init_progress,
    load_checkpoint,
    resumed_config,
    save_checkpoint,
    sha256_file,
)
from qa.training.config import TrainConfig, parse_args
from qa.training.distill import Teachers, distillation_loss, teacher_folders
from qa.training.data import batch_order, build_epoch, load_pretokenised, make_batch, training_path
from qa.training.heldout import evaluate
from qa.training.schedule import TimeBudgetSchedule
from qa.training.shared_norm import shared_norm_loss, window_loss_rows

LOG_FILE = "train_log.jsonl"
PLAN_AFTER_STEPS = 10  # first replan once throughput has been measured over this many steps


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
    losses: list[float]  # this session's, one per step
    progress: Progress
    weights: Path


class Trainer:
    """One training session: model, optimizer, schedule and progress, restored from the checkpoint if any.

    Throughput is measured on training steps only; evaluation and checkpoint time
    count as overhead, and the schedule is re-planned after each so the learning
    rate reaches 0 at the deadline.
    """

    def __init__(self, cfg: TrainConfig, command: str) -> None:
        self.t_start = time.time()
        self.deadline = self.t_start + cfg.minutes * 60
        torch.set_num_threads(cfg.threads)
        data_path = training_path(cfg.data)
        ckpt_dir = Path(cfg.checkpoint_dir).expanduser()
        ckpt_dir.mkdir(parents=True, exist_ok=True)
        self.log = JsonlLog(ckpt_dir / LOG_FILE)
        self.data_sha = sha256_file(data_path)
        self.ckpt_path = ckpt_dir / CHECKPOINT_FILE
        resume = load_checkpoint(self.ckpt_path, self.data_sha)
        self.cfg = cfg = resumed_config(cfg, resume["config"]) if resume is not None else cfg
        self.data = load_pretokenised(data_path, self.data_sha, cfg, ckpt_dir)

        torch.manual_seed(cfg.seed)
        self.device = torch.device(cfg.torch_device())
        # A checkpoint wins over --init-from: it holds the optimizer and where training is.
        starting_from = Path(cfg.init_from) if cfg.init_from and resume is None else None
        if starting_from is not None:
            self.net = load_trained_net(starting_from / WEIGHTS_FILE, dropout=cfg.dropout)
        else:
            self.net = build_net(pretrained_encoder=True, dropout=cfg.dropout, seed=cfg.seed)
        self.net.to(self.device)
        self.teachers = (
            Teachers(teacher_folders(cfg.teachers), self.device, cfg.temperature) if cfg.teachers else None
        )
        self.params = [p for p in self.net.parameters() if p.requires_grad]
        decay = [p for p in self.params if p.ndim >= 2]
        no_decay = [p for p in self.params if p.ndim < 2]
        self.opt = torch.optim.AdamW(
            [{"params": decay, "weight_decay": cfg.weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=cfg.lr
        )
        self.sched = TimeBudgetSchedule(cfg.warmup_steps, total_steps=10**9)
        self.progress = init_progress(starting_from) if starting_from is not None else Progress()
        if resume is not None:
            self._restore(resume)
        elif cfg.max_steps is not None:
            self.sched.total_steps = cfg.max_steps
        self.progress.commands.append(f"{command or '(called from Python)'}  # on {self._device_name()}")
        self.use_bf16 = cfg.use_bf16()
        tok = load_tokenizer()
        self.cls_id, self.sep_id = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")

        self.losses: list[float] = []
        self.session_step0, self.session_train_s, self.overhead_s = self.progress.step, 0.0, 0.0
        self.window_loss, self.window_ex, self.window_s = 0.0, 0, 0.0  # since the last train log line
        self.last_eval = self.last_ckpt = time.time()
        self.log(event="start", config=asdict(cfg), device=self._device_name(), bf16=self.use_bf16,
                 train_questions=len(self.data.q_ids),
                 heldout_questions=len(self.data.heldout), data_sha256=self.data_sha,
                 setup_seconds=round(time.time() - self.t_start, 1))

    def _device_name(self) -> str:
        if self.device.type == "cuda":
            return torch.cuda.get_device_name(self.device)
        return f"CPU, {self.cfg.threads} threads"

    def _restore(self, state: dict[str, Any]) -> None:
        self.net.load_state_dict(state["net"], strict=False)
        self.opt.load_state_dict(state["optimizer"])
        self.sched = TimeBudgetSchedule(**state["schedule"])
        self.progress = Progress(**state["progress"])
        torch.set_rng_state(state["torch_rng"])
        self.log(event="resume", step=self.progress.step, examples_seen=self.progress.examples_seen)

    def run(self) -> TrainSummary:
        """Train until the deadline or max_steps, then evaluate, checkpoint and export."""
        self.net.train()
        while self._train_epoch():
            self.progress.epoch += 1
            self.progress.batch_in_epoch = 0
        self.evaluate()
        self.checkpoint()
        weights = export(self.net, self.cfg, self.progress, self.data_sha)
        p = self.progress
        self.log(event="export", path=str(weights), bytes=weights.stat().st_size, sha256=sha256_file(weights),
                 examples_seen=p.examples_seen, train_minutes=round(p.train_seconds / 60, 2),
                 ex_per_s=round(p.examples_seen / max(1e-6, p.train_seconds), 2))
        return TrainSummary(self.losses, p, weights)

    def _out_of_budget(self) -> bool:
        return time.time() >= self.deadline or (
            self.cfg.max_steps is not None and self.progress.step >= self.cfg.max_steps
        )

    def _train_epoch(self) -> bool:
        """Train on the rest of the current epoch; False if the budget ran out first."""
        examples = build_epoch(self.data, self.cfg, self.progress.epoch)
        batches = batch_order(examples, self.data, self.cfg, self.progress.epoch)
        if not batches:
            raise SystemExit("no training windows could be built from --data")
        while self.progress.batch_in_epoch < len(batches):
            if self._out_of_budget():
                return False
            lr = self._step(examples, batches[self.progress.batch_in_epoch])
            self._after_step(lr)
        return True

    def _step(self, examples: np.ndarray, idx: np.ndarray) -> float:
        """One optimizer step on the examples `idx`; returns the learning rate used."""
        t0 = time.time()
        batch, starts, ends, groups = make_batch(self.data, examples, idx, self.cls_id, self.sep_id)
        starts, ends, groups = starts.to(self.device), ends.to(self.device), groups.to(self.device)
        inputs = {k: v.to(self.device) for k, v in batch.model_inputs().items()}
        lr = self.cfg.lr * self.sched.factor(self.progress.step)
        for g in self.opt.param_groups:
            g["lr"] = lr
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.use_bf16):
            s_log, e_log = self.net(**inputs)
        rows = window_loss_rows(starts, groups, self.cfg.group_window_loss)
        loss = (F.cross_entropy(s_log[rows], starts[rows]) + F.cross_entropy(e_log[rows], ends[rows])) / 2
        shared = shared_norm_loss(s_log, e_log, starts, ends, groups) if self.cfg.group_distractors else None
        if shared is not None:
            loss = (1 - self.cfg.group_weight) * loss + self.cfg.group_weight * shared
        if self.teachers is not None:
            soft = self.teachers.soft_targets(inputs, autocast=self.use_bf16)
            w = self.cfg.distill_weight
            loss = (1 - w) * loss + w * distillation_loss(s_log, e_log, soft, self.cfg.temperature)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(self.params, 1.0)
        self.opt.step()
        self.opt.zero_grad(set_to_none=True)
        dt = time.time() - t0

        n_ex, p = len(starts), self.progress
        p.step += 1
        p.batch_in_epoch += 1
        p.examples_seen += n_ex
        p.train_seconds += dt
        self.session_train_s += dt
        self.losses.append(loss.item())
        self.window_loss += self.losses[-1] * n_ex
        self.window_ex += n_ex
        self.window_s += dt
        return lr

    def _after_step(self, lr: float) -> None:
        """Plan once throughput is known; log, evaluate and checkpoint when they are due."""
        if self.progress.step - self.session_step0 == PLAN_AFTER_STEPS:
            self.replan()
        if self.progress.step % self.cfg.log_every_steps == 0:
            self._log_train(lr)
        if time.time() - self.last_eval >= self.cfg.eval_every_minutes * 60:
            self.evaluate()
            self.replan()
            self.last_eval = time.time()
        if time.time() - self.last_ckpt >= self.cfg.checkpoint_every_minutes * 60:
            self.checkpoint()
            self.replan()
            self.last_ckpt = time.time()

    def _log_train(self, lr: float) -> None:
        p = self.progress
        self.log(event="train", step=p.step, epoch=p.epoch, loss=round(self.window_loss / self.window_ex, 4), lr=lr,
                 examples_seen=p.examples_seen, ex_per_s=round(self.window_ex / max(1e-6, self.window_s), 2),
                 train_minutes=round(p.train_seconds / 60, 2), planned_steps=self.sched.total_steps,
                 trainable_params=sum(t.numel() for t in self.params))
        self.window_loss, self.window_ex, self.window_s = 0.0, 0, 0.0

    def replan(self) -> None:
        """Aim the decay at the step this session's throughput reaches by the deadline."""
        if self.session_train_s <= 0 or self.progress.step == self.session_step0:
            return
        steps_per_s = (self.progress.step - self.session_step0) / self.session_train_s
        remaining = max(0.0, self.deadline - time.time())
        frac_train = self.session_train_s / max(1e-6, self.session_train_s + self.overhead_s)
        total = self.progress.step + int(remaining * frac_train * steps_per_s)
        if self.cfg.max_steps is not None:
            total = min(total, self.cfg.max_steps)
        self.sched.replan(self.progress.step, total)

    def evaluate(self) -> None:
        """Held-out EM/F1 and abstention, appended to the curve in the model card."""
        res = evaluate(self.net, self.data, self.cfg)
        self.overhead_s += res.seconds
        point = {"train_minutes": self.progress.train_seconds / 60, "examples_seen": self.progress.examples_seen,
                 **asdict(res)}
        self.progress.f1_curve.append(point)
        self.log(event="eval", step=self.progress.step, **point)

    def checkpoint(self) -> None:
        t = time.time()
        save_checkpoint(self.ckpt_path, self.net, self.opt, self.sched, self.progress, self.cfg, self.data_sha)
        self.overhead_s += time.time() - t
        self.log(event="checkpoint", step=self.progress.step, path=str(self.ckpt_path),
                 seconds=round(time.time() - t, 1))


def train(cfg: TrainConfig, command: str = "") -> TrainSummary:
    """Train until the time budget or max_steps, checkpointing and evaluating on the way; export."""
    return Trainer(cfg, command).run()


def main(argv: Sequence[str] | None = None) -> TrainSummary:
    args = list(sys.argv[1:] if argv is None else argv)
    return train(parse_args(args), command="python -m qa.training " + shlex.join(args))
