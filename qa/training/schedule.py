"""Learning-rate schedule that ends with the wall-clock budget rather than a step count."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class TimeBudgetSchedule:
    """Linear warmup, then linear decay that reaches 0 exactly when the time budget runs out.

    The number of steps is planned from measured throughput and re-planned at
    every evaluation (continuously, from the current factor), so decay ends at
    the deadline whatever the machine's speed. A dataclass, so the checkpoint
    stores it as a plain dict.
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
