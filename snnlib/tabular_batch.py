"""Batched tabular training: many grid settings of one task trained together by :class:`snnlib.mlpstack.MLPStack`.

Paper §A4.1 (grid search over layers, width, learning rate, dropout, layer form; Table A14 adds L2), Tables 1-3;
chapter "A tabular benchmark". :func:`train_settings` gives, for every setting, the record of
:func:`snnlib.tabular._train_fnn` (the one-task loop) with the same semantics:

* the same initial weights (each member is built after ``seed_everything(seed)``, as the loop builds its model);
* the same mini-batches: the loop's generator (seeded by ``seed``) draws each epoch's order, every member sees
  it; full batches only; the gradient of the batch *mean* of the loss (the stack's sum gradient with lr/batch)
  or, for multi-task labels (Tox21), of the masked binary cross-entropy averaged over the present labels;
* L2 as weight decay on the weight matrices (:meth:`MLPStack.set_decay`, = SGD's ``weight_decay``);
* after every epoch the validation and test score in eval mode (no dropout), a non-finite output scored as
  chance, a non-finite loss on the epoch's last mini-batch (here: non-finite logits on it, taken before its
  update without dropout) ends the member's curves; then :func:`snnlib.tabular._fnn_record` (smoothing, epoch
  choice) on those curves.

What differs: dropout masks come from a generator of the stack (seeded by ``seed``), not from torch's global
generator, so with dropout the curves are those of another random draw; without dropout members equal the loop up
to float rounding (tests compare them). Families the stack cannot express (BatchNorm: its running statistics
are updated in the loop but frozen in the stack; LayerNorm, WeightNorm, Highway, ResNet) keep the loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

#: Families :func:`train_settings` stacks; any other family trains with the one-task loop.
BATCHED_FAMILIES: tuple[str, ...] = ("SNN", "MSRAinit")
#: Samples per forward pass of the evaluation.
EVAL_ROWS = 4096


def group_key(n_out: int, params: dict[str, Any]) -> tuple:
    """The :func:`snnlib.mlpstack.stack_key` of a setting's network, without building it: members with one key
    share a stack (rectangular: one width; conic: one width and depth)."""
    from snnlib.models import hidden_widths

    widths = hidden_widths(n_out, params["depth"], params["width"], params["shape"])
    return ("rectangular", widths[0]) if len(set(widths)) == 1 else ("layers", tuple(widths))


def train_settings(method: str, data: Any, settings: Sequence[dict[str, Any]], config: Any, seed: int,
                   device: str | None = None) -> list[dict[str, Any]]:
    """Records (:func:`snnlib.tabular._fnn_record`, in the order of ``settings``) of every setting of ``method``
    on ``data``: stacked by :func:`group_key` for :data:`BATCHED_FAMILIES`, the one-task loop otherwise.
    ``device`` defaults to ``config.device``."""
    from snnlib.tabular import _train_fnn

    if method not in BATCHED_FAMILIES:
        return [_train_fnn(method, data, params, config, seed) for params in settings]
    groups: dict[tuple, list[int]] = {}
    for i, params in enumerate(settings):
        groups.setdefault(group_key(data.n_classes, params), []).append(i)
    records: list[dict[str, Any] | None] = [None] * len(settings)
    for indices in groups.values():
        for i, record in zip(indices, train_group(method, data, [settings[i] for i in indices], config, seed,
                                                  device or config.device)):
            records[i] = record
    return records  # type: ignore[return-value]


def train_group(method: str, data: Any, settings: Sequence[dict[str, Any]], config: Any, seed: int,
                device: str = "cpu") -> list[dict[str, Any]]:
    """Train settings of one :func:`group_key` as one :class:`snnlib.mlpstack.MLPStack`; their records."""
    import torch

    from snnlib.mlpstack import MLPStack
    from snnlib.models import build_model
    from snnlib.reproducibility import seed_everything
    from snnlib.tabular import _fnn_record, score
    from snnlib.train import pick_device

    dev = pick_device(device)
    models = []
    for params in settings:
        seed_everything(seed)  # the loop's initial weights
        models.append(build_model(method, data.n_features, data.n_classes, params["depth"], params["width"],
                                  shape=params["shape"], dropout=params["dropout"]))
    stack = MLPStack(models, dropout=True).to(dev)
    del models
    stack.generator = torch.Generator(device=dev).manual_seed(int(seed))
    k = len(settings)
    multitask = np.ndim(data.y_train) == 2
    XT = torch.from_numpy(data.X_train).to(dev).T.contiguous()
    n = XT.shape[1]
    bs = min(config.batch_size, n)
    if multitask:
        from snnlib.multitask import label_mask

        labels, mask = (torch.from_numpy(a).to(dev).T.contiguous() for a in label_mask(data.y_train))
    else:
        labels, mask = torch.from_numpy(data.y_train).to(dev), None
    lr = torch.tensor([float(p["lr"]) for p in settings], dtype=torch.float64)
    l2 = torch.tensor([float(p.get("l2", 0.0)) for p in settings], dtype=torch.float64)
    step_lr = lr if multitask else lr / bs  # multi-task: the gradient is scaled by 1/(present labels) per step
    decay = 1.0 - lr * l2
    stack.set_lr(step_lr.float())
    stack.set_decay(decay.float())
    XvT = torch.from_numpy(data.X_val).to(dev).T.contiguous()
    XtT = torch.from_numpy(data.X_test).to(dev).T.contiguous()

    def outputs(xT: torch.Tensor) -> np.ndarray:  # (k, n, outputs), eval mode
        parts = [stack.logits(xT[:, s:s + EVAL_ROWS], train_mode=False) for s in range(0, xT.shape[1], EVAL_ROWS)]
        return torch.cat(parts, dim=2).transpose(1, 2).cpu().numpy()

    gen = torch.Generator().manual_seed(int(seed))  # the loop's generator: the same order every epoch
    alive = np.ones(k, dtype=bool)
    val: list[list[float]] = [[] for _ in range(k)]
    test: list[list[float]] = [[] for _ in range(k)]
    diverged: list[int | None] = [None] * k
    starts = list(range(0, n - bs + 1, bs))
    for ep in range(config.epochs):
        perm = torch.randperm(n, generator=gen).to(dev)
        finite = None
        for j, start in enumerate(starts):
            idx = perm[start:start + bs]
            xb = XT[:, idx]
            if j == len(starts) - 1:  # the loop stops a setting whose last mini-batch loss is not finite
                finite = torch.isfinite(stack.logits(xb, train_mode=False)).all(2).all(1).cpu().numpy()
            if multitask:
                mb = mask[:, idx]
                stack.step(xb, labels[:, idx], mb, 1.0 / mb.sum().clamp(min=1.0))
            else:
                stack.step(xb, labels[idx])
        out_va, out_te = outputs(XvT), outputs(XtT)
        for i in np.flatnonzero(alive):
            va, te = out_va[i], out_te[i]
            if not (np.isfinite(va).all() and np.isfinite(te).all()):  # diverged: score as chance
                va, te = np.zeros_like(va), np.zeros_like(te)
                diverged[i] = ep + 1
            val[i].append(score(data.y_val, va, config.metric))
            test[i].append(score(data.y_test, te, config.metric))
            if finite is not None and not finite[i]:
                diverged[i] = ep + 1
                alive[i] = False
        if not alive.all():
            step_lr[~torch.from_numpy(alive)] = 0.0
            decay[~torch.from_numpy(alive)] = 1.0
            stack.set_lr(step_lr.float())
            stack.set_decay(decay.float())
        if not alive.any():
            break
    return [_fnn_record(val[i], test[i], diverged[i], config) for i in range(k)]
