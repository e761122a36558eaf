"""Calibrated confidence: P(answer is right) from a reader's evidence, and the operating point.

A logistic model over named features (the reader's margin, the passage's
cosine and term overlap) gives each answer a probability; answers below the
operating ``threshold`` are withheld. The model and threshold are fitted by
``qa calibrate`` (`qa.evaluation.calibrate`) and shipped beside the reader's
weights; this module only applies them, so answering never imports
scikit-learn.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

CALIBRATION_FILE = "calibration.json"


class CalibrationError(ValueError):
    """A calibration file that cannot be used; the message is user-facing."""


@dataclass(frozen=True)
class LogisticCalibration:
    weights: dict[str, float]
    bias: float
    #: The operating point: answers below it are withheld.
    threshold: float

    def probability(self, features: dict[str, float]) -> float:
        z = self.bias + sum(w * features.get(name, 0.0) for name, w in self.weights.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    @classmethod
    def load(cls, path: Path) -> LogisticCalibration:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(
                {str(k): float(v) for k, v in data["weights"].items()},
                float(data["bias"]),
                float(data["threshold"]),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise CalibrationError(f"cannot read the calibration {path}: {exc!r}") from None
