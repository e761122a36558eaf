"""Ensemble distillation: the student also learns the averaged span distributions of trained readers.

A 6-layer reader plateaus on hard labels alone (one start and one end per
window); the averaged start/end distributions of several trained readers carry
which other spans were nearly right, and a student fitted to them usually beats
each of its teachers. Teachers are exported reader folders (`reader.safetensors`),
frozen and run without gradients beside the student on the same batch.
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import torch
import torch.nn.functional as F

from qa.reader.model import WEIGHTS_FILE, ReaderNet, load_trained_net


def teacher_folders(spec: str | None) -> list[Path]:
    """`--teachers a,b,c` as folders; each must hold exported reader weights."""
    if not spec:
        return []
    folders = [Path(s.strip()).expanduser() for s in spec.split(",") if s.strip()]
    missing = [str(f) for f in folders if not (f / WEIGHTS_FILE).is_file()]
    if missing:
        raise SystemExit(f"--teachers: no {WEIGHTS_FILE} in {', '.join(missing)}")
    return folders


class Teachers:
    """Frozen trained readers whose averaged (tempered) span distributions are the soft targets."""

    def __init__(self, folders: Sequence[Path], device: torch.device, temperature: float) -> None:
        if temperature <= 0:
            raise SystemExit("--temperature must be > 0")
        self.temperature = temperature
        self.nets: list[ReaderNet] = []
        for folder in folders:
            net = load_trained_net(folder / WEIGHTS_FILE).to(device).eval()
            net.requires_grad_(False)
            self.nets.append(net)

    @torch.no_grad()
    def soft_targets(self, inputs: dict[str, torch.Tensor], autocast: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Start and end probabilities, each the mean over teachers of softmax(logits / T)."""
        device_type = inputs["input_ids"].device.type
        starts, ends = [], []
        for net in self.nets:
            with torch.autocast(device_type, dtype=torch.bfloat16, enabled=autocast):
                s, e = net(**inputs)
            starts.append(F.softmax(s.float() / self.temperature, dim=-1))
            ends.append(F.softmax(e.float() / self.temperature, dim=-1))
        return torch.stack(starts).mean(0), torch.stack(ends).mean(0)


def distillation_loss(
    start_logits: torch.Tensor, end_logits: torch.Tensor, soft: tuple[torch.Tensor, torch.Tensor], temperature: float
) -> torch.Tensor:
    """KL(teachers ‖ student) at temperature T, averaged over start and end, scaled by T² (Hinton et al.).

    Zero exactly when the student's tempered distributions equal the teachers'.
    """
    t = temperature
    kl_start = F.kl_div(F.log_softmax(start_logits / t, dim=-1), soft[0], reduction="batchmean")
    kl_end = F.kl_div(F.log_softmax(end_logits / t, dim=-1), soft[1], reduction="batchmean")
    return (kl_start + kl_end) / 2 * t * t
