"""Multi-task binary classification with missing labels: the loss and the metric of Tox21 (paper Table 2).

Paper §"Drug discovery: The Tox21 challenge dataset": 12 toxic effects per compound, not every compound measured
on every effect; the score is the ROC AUC averaged over the effects ("average AUC"). Chapter "A tabular
benchmark". Labels are a float array (samples × tasks) of 0, 1 and NaN (missing).

* :func:`masked_bce`: binary cross-entropy of each output's logit, averaged over the *present* labels of the
  batch (missing ones contribute nothing, to the loss or its gradient).
* :func:`mean_auc`: ROC AUC of every task over its present labels, averaged over the tasks; a task with a single
  class among the present labels of the evaluation set (or none) has no AUC and is skipped (stated in the
  docstring; :func:`task_aucs` gives NaN for it).
"""

from __future__ import annotations

import numpy as np


def label_mask(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, mask)`` of a float label array with NaN for missing: labels with NaN replaced by 0 and the mask
    (1.0 where a label is present), both float32. Present labels must be 0 or 1 (ValueError otherwise)."""
    y = np.asarray(y, dtype=np.float64)
    present = ~np.isnan(y)
    bad = np.unique(y[present & (y != 0) & (y != 1)])
    if bad.size:
        raise ValueError(f"multi-task labels must be 0, 1 or NaN (missing), got {bad[:5].tolist()}")
    return np.where(present, y, 0.0).astype(np.float32), present.astype(np.float32)


def masked_bce(logits, y):
    """Masked multi-task binary cross-entropy (torch): the mean of BCE-with-logits over the entries of ``y``
    (batch × tasks, float, NaN = missing) that are present; 0 if none is. Differentiable in ``logits``."""
    import torch
    from torch.nn import functional as F

    mask = ~torch.isnan(y)
    target = torch.where(mask, y, torch.zeros_like(y))
    losses = F.binary_cross_entropy_with_logits(logits, target, reduction="none")
    return (losses * mask).sum() / mask.sum().clamp(min=1)


def task_aucs(y: np.ndarray, scores: np.ndarray) -> np.ndarray:
    """ROC AUC of each task (column) over its present labels; NaN for a task whose present labels hold one class
    only (or none): it has no AUC."""
    from sklearn.metrics import roc_auc_score

    y, scores = np.asarray(y, dtype=np.float64), np.asarray(scores, dtype=np.float64)
    if y.ndim != 2 or scores.shape != y.shape:
        raise ValueError(f"y and scores must be 2-d arrays (samples × tasks) of one shape, got {y.shape} and "
                         f"{scores.shape}")
    out = np.full(y.shape[1], np.nan)
    for t in range(y.shape[1]):
        present = ~np.isnan(y[:, t])
        labels = y[present, t]
        if labels.size and 0 < labels.sum() < labels.size:
            out[t] = roc_auc_score(labels, scores[present, t])
    return out


def mean_auc(y: np.ndarray, scores: np.ndarray) -> float:
    """Mean ROC AUC over the tasks that have both classes among their present labels (paper Table 2's "average
    AUC"); tasks with a single class in this evaluation set are skipped. ValueError if no task has an AUC."""
    aucs = task_aucs(y, scores)
    if np.isnan(aucs).all():
        raise ValueError("metric 'auc' needs both classes among the present labels of at least one task, got none")
    return float(np.nanmean(aucs))
