"""The reader's role: retrieved passages → ranked, cited answers with calibrated scores.

In the spirit of Haystack's ``ExtractiveReader``: every setting is an init
argument, models load lazily (``warm_up``, or on first ``read``), and the
assistant knows nothing of how a reader finds its answers.
"""

from __future__ import annotations

from typing import Protocol, Sequence, runtime_checkable

from qa.calibration import LogisticCalibration
from qa.citations import Answer, RetrievedPassage


@runtime_checkable
class Reader(Protocol):
    #: Shown by ``qa info`` and recorded with calibrations.
    name: str
    #: Turns a candidate's features into P(right); holds the operating threshold.
    calibration: LogisticCalibration

    def warm_up(self) -> None:
        """Load models now (the first ``read`` would otherwise)."""
        ...

    def read(
        self,
        question: str,
        passages: list[RetrievedPassage],
        top_k: int,
        further: Sequence[RetrievedPassage] = (),
        until: float | None = None,
    ) -> list[Answer]:
        """Up to ``top_k`` distinct answers, highest score first; the caller decides on abstention.
        When no answer from ``passages`` scores ``until`` or more, ``further`` passages are read too."""
        ...

    def features(
        self,
        question: str,
        passages: list[RetrievedPassage],
        further: Sequence[RetrievedPassage] = (),
        until: float | None = None,
    ) -> list[tuple[dict[str, float], str]]:
        """Every candidate's calibration features and text, the reader's best first (for
        ``qa calibrate``), read as ``read`` would."""
        ...
