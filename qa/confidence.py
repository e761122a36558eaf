"""Confidence in words people understand, with the number beside it.

A score is the calibrated probability that the answer is right. Below the
operating threshold the answer is withheld (or, when asked for all answers,
shown as a low-confidence guess); from 0.7 on it is "high".
"""

from __future__ import annotations

HIGH = 0.7


def confidence_word(score: float, threshold: float) -> str:
    if score < threshold:
        return "low"
    return "high" if score >= max(HIGH, threshold) else "medium"


def describe(score: float, threshold: float) -> str:
    """``medium 0.35``; a low one also says it is below the threshold."""
    word = confidence_word(score, threshold)
    if word == "low":
        return f"low {score:.2f}, below the {threshold:.2f} threshold"
    return f"{word} {score:.2f}"
