"""A loss that ranks the answer above every span of its distractor windows at once.

At query time the reader scores a span as its start and end logits less its
passage's [CLS] ("no answer") logits, and ranks spans of several passages on
that one scale. The per-window loss never compares two windows: a distractor
can keep a span that outscores the answer, as long as its own [CLS] wins
inside it. Shared normalisation (Clark & Gardner, 2018, "Simple and Effective
Multi-Paragraph Reading Comprehension") puts a question's windows under one
softmax; here over the same [CLS]-relative scores the reader ranks by.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from qa.reader.model import MASKED_LOGIT
from qa.training.data import NO_GROUP


def _shared_cross_entropy(logits: torch.Tensor, rows: torch.Tensor, target_row: int, target: int) -> torch.Tensor:
    """Cross-entropy of one position among all context positions of `rows`, scores relative to each row's [CLS]."""
    part = logits[rows]
    relative = part - part[:, :1]
    # [CLS] itself and positions the model masked (question, [SEP], padding) are never an answer here
    keep = part > MASKED_LOGIT / 2
    keep[:, 0] = False
    flat = relative.masked_fill(~keep, float("-inf")).reshape(1, -1)
    index = int((rows == target_row).nonzero()[0, 0]) * part.shape[1] + target
    return F.cross_entropy(flat, torch.tensor([index], device=logits.device))


def window_loss_rows(starts: torch.Tensor, groups: torch.Tensor, distractors: bool) -> torch.Tensor:
    """Which rows the per-window loss reads: all, or all but the grouped distractors (label [CLS],
    in a group), which then count only in the shared ranking. Ordinary negatives always count."""
    if distractors:
        return torch.ones_like(starts, dtype=torch.bool)
    return (groups == NO_GROUP) | (starts > 0)


def shared_norm_loss(
    start_logits: torch.Tensor, end_logits: torch.Tensor, starts: torch.Tensor, ends: torch.Tensor, groups: torch.Tensor
) -> torch.Tensor | None:
    """Mean over the batch's groups of the start and end cross-entropies across each group's windows.

    A group is its positive window (label > 0, the row named by the group id) and
    the distractors carrying the same id; `None` when the batch holds no group
    with a distractor.
    """
    losses = []
    for g in torch.unique(groups[groups != NO_GROUP]).tolist():
        rows = (groups == g).nonzero().flatten()
        positive = rows[starts[rows] > 0]
        if len(rows) < 2 or len(positive) != 1:
            continue
        p = int(positive[0])
        s = _shared_cross_entropy(start_logits, rows, p, int(starts[p]))
        e = _shared_cross_entropy(end_logits, rows, p, int(ends[p]))
        losses.append((s + e) / 2)
    if not losses:
        return None
    return torch.stack(losses).mean()
