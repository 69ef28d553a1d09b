"""Tests of the batched tabular trainer (snnlib.tabular_batch), the stack's dropout, L2 and masked BCE
(snnlib.mlpstack) and the multi-task loss and metric (snnlib.multitask): chapter 'A tabular benchmark'."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from snnlib import multitask, tabular
from snnlib.mlpstack import MLPStack
from snnlib.models import build_model
from snnlib.tabular_batch import group_key, train_settings

torch.set_num_threads(1)


def _grid(**kw):
    grid = {"depth": (1, 3), "width": (12,), "lr": (0.01, 0.1), "dropout": (0.0,), "shape": ("rectangular", "conic"),
            "l2": (0.0, 0.01)}
    return {**grid, **kw}


def test_batched_equals_the_one_task_loop_without_dropout():
    # same initial weights, same mini-batches, no dropout: curves to float rounding, the same selection
    cfg = tabular.SweepConfig(grid=_grid(), epochs=3, batch_size=32, smooth=2, metric="auc")
    data = tabular.load_task_data("breast_cancer", 0)
    settings = tabular.grid_configs("SNN", cfg)
    assert len({group_key(data.n_classes, p) for p in settings}) == 2  # rectangular (conic depth 1 too), conic 3
    loop = [tabular._train_fnn("SNN", data, p, cfg, 0) for p in settings]
    batched = train_settings("SNN", data, settings, cfg, 0)
    for a, b in zip(loop, batched):
        np.testing.assert_allclose(b["curves"]["val"], a["curves"]["val"], rtol=0, atol=1e-6)
        np.testing.assert_allclose(b["curves"]["test"], a["curves"]["test"], rtol=0, atol=1e-6)
        assert a["epoch"] == b["epoch"] and a["diverged_epoch"] == b["diverged_epoch"]
    task = {"dataset": "breast_cancer", "method": "SNN", "seed": 0, "config": cfg}
    run_loop = tabular.run_task(task)
    run_batched = tabular.run_task({**task, "config": tabular.SweepConfig(**{**cfg.__dict__, "trainer": "batched"})})
    assert run_loop["params"] == run_batched["params"] and run_loop["epoch"] == run_batched["epoch"]
    assert run_batched["test_auc"] == pytest.approx(run_loop["test_auc"], abs=1e-6)


def test_batched_msrainit_accuracy_and_other_families_fall_back_to_the_loop():
    cfg = tabular.SweepConfig(grid=_grid(l2=(0.0,), shape=("rectangular",)), epochs=2, batch_size=16)
    data = tabular.load_task_data("iris", 0)
    settings = tabular.grid_configs("MSRAinit", cfg)
    loop = [tabular._train_fnn("MSRAinit", data, p, cfg, 0) for p in settings]
    batched = train_settings("MSRAinit", data, settings, cfg, 0)
    assert [r["curves"] for r in loop] == [r["curves"] for r in batched]  # accuracies: equal counts
    ln = train_settings("LayerNorm", data, settings[:1], cfg, 0)  # not stackable: the loop itself
    assert ln == [tabular._train_fnn("LayerNorm", data, settings[0], cfg, 0)]


def test_batched_dropout_trains_reproducibly_and_diverged_members_stop():
    cfg = tabular.SweepConfig(grid=_grid(dropout=(0.0, 0.1), lr=(0.1, 1e4), l2=(0.0,)), epochs=3, batch_size=32)
    data = tabular.load_task_data("wine", 0)
    settings = tabular.grid_configs("SNN", cfg)
    a, b = train_settings("SNN", data, settings, cfg, 0), train_settings("SNN", data, settings, cfg, 0)
    assert a == b  # the stack's own dropout generator, seeded
    for params, rec in zip(settings, a):
        if params["lr"] == 1e4:
            assert rec["diverged_epoch"] is not None
        else:
            assert rec["diverged_epoch"] is None and rec["curves"]["val"][-1] > 0.8, params


def _plain_model(family="SNN", dropout=0.0, depth=2):
    torch.manual_seed(0)
    return build_model(family, 5, 3, depth, 8, dropout=dropout)


def test_stack_dropout_equals_autograd_with_the_same_masks():
    for family, rate in (("SNN", 0.2), ("MSRAinit", 0.3)):
        model = _plain_model(family, rate)
        stack = MLPStack([model], dropout=True)
        stack.generator = torch.Generator().manual_seed(1)
        stack.set_lr(torch.tensor([0.05]))
        g = torch.Generator().manual_seed(0)
        x, y = torch.randn(16, 5, generator=g), torch.randint(0, 3, (16,), generator=g)
        stack.step(x.T.contiguous(), y)
        # oracle: the same masks (same generator, same shapes and order), autograd, summed cross-entropy
        masks = torch.Generator().manual_seed(1)
        lins = [m for m in model if isinstance(m, nn.Linear)]
        h = x
        for lin in lins[:-1]:
            h = lin(h)
            h = torch.selu(h) if family == "SNN" else torch.relu(h)
            keep = (torch.rand((1, 8, 16), generator=masks) >= rate).float()[0].T
            if family == "SNN":
                alpha = 1.7580993408473766
                a = 1.0 / math.sqrt((1 - rate) * (1 + rate * alpha ** 2))
                h = a * (h * keep - alpha * (1 - keep)) + a * alpha * rate
            else:
                h = h * keep / (1 - rate)
        F.cross_entropy(lins[-1](h), y, reduction="sum").backward()
        with torch.no_grad():
            for lin in lins:
                lin.weight -= 0.05 * lin.weight.grad
                lin.bias -= 0.05 * lin.bias.grad
        (got,) = stack.to_models()
        for (name, p), q in zip(model.named_parameters(), got.parameters()):
            torch.testing.assert_close(q, p, rtol=2e-5, atol=1e-6, msg=lambda m, name=name: f"{family} {name}: {m}")


def test_alpha_dropout_constants_match_torch():
    from snnlib.mlpstack import _dropout_constants

    s, c, d = _dropout_constants("SNN", 0.1)
    x = torch.randn(20000)
    out = F.alpha_dropout(x, 0.1, training=True)
    dropped = torch.isclose(out, torch.tensor(c + d), atol=1e-6)
    assert 0.05 < dropped.float().mean() < 0.15
    torch.testing.assert_close(out[~dropped], s * x[~dropped] + d)


def test_l2_in_the_stack_and_the_loop_is_the_gradient_of_an_explicit_penalty():
    l2, lr = 0.01, 0.1
    model = _plain_model()
    explicit = _plain_model()
    stack = MLPStack([model])
    stack.set_lr(torch.tensor([lr]))
    stack.set_decay(torch.tensor([1 - lr * l2]))
    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(16, 5, generator=g), torch.randint(0, 3, (16,), generator=g)
    stack.step(x.T.contiguous(), y)
    weights = [p for n, p in explicit.named_parameters() if n.endswith("weight")]
    loss = F.cross_entropy(explicit(x), y, reduction="sum") + l2 / 2 * sum((w ** 2).sum() for w in weights)
    loss.backward()
    with torch.no_grad():
        for p in explicit.parameters():
            p -= lr * p.grad
    for p, q in zip(explicit.parameters(), stack.to_models()[0].parameters()):
        torch.testing.assert_close(q, p, rtol=2e-5, atol=1e-6)
    decayed, other = tabular._l2_groups(_plain_model())  # the loop decays the weight matrices only
    assert [p.ndim for p in decayed] == [2, 2, 2] and [p.ndim for p in other] == [1, 1, 1]


def test_stack_masked_bce_step_equals_autograd():
    model, oracle = _plain_model(), _plain_model()
    stack = MLPStack([model])
    stack.set_lr(torch.tensor([0.2]))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 5, generator=g)
    y = torch.randint(0, 2, (16, 3), generator=g).float()
    y[torch.rand(16, 3, generator=g) < 0.3] = float("nan")
    labels, mask = (torch.from_numpy(a) for a in multitask.label_mask(y.numpy()))
    stack.step(x.T.contiguous(), labels.T.contiguous(), mask.T.contiguous(), 1.0 / mask.sum())
    multitask.masked_bce(oracle(x), y).backward()
    with torch.no_grad():
        for p in oracle.parameters():
            p -= 0.2 * p.grad
    for p, q in zip(oracle.parameters(), stack.to_models()[0].parameters()):
        torch.testing.assert_close(q, p, rtol=2e-5, atol=1e-6)


def test_masked_bce_and_mean_auc_by_hand():
    ln3 = math.log(3.0)
    logits = torch.tensor([[ln3, 7.0], [0.0, -ln3]])
    y = torch.tensor([[1.0, float("nan")], [0.0, 0.0]])
    # BCE(ln 3, 1) = ln(4/3), BCE(0, 0) = ln 2, BCE(-ln 3, 0) = ln(4/3); the missing label counts for nothing
    assert multitask.masked_bce(logits, y).item() == pytest.approx((2 * math.log(4 / 3) + math.log(2)) / 3)
    nan = np.nan
    y = np.array([[1, 0, 1], [0, 1, nan], [1, 1, 1], [nan, 0, 1]])
    s = np.array([[0.9, 0.2, 0.0], [0.1, 0.8, 0.0], [0.05, 0.6, 0.0], [0.5, 0.7, 0.0]])
    # task 0: positives {0.9, 0.05} vs negative {0.1}: 1/2; task 1: 3 of 4 pairs ordered: 3/4; task 2: one class
    np.testing.assert_allclose(multitask.task_aucs(y, s), [0.5, 0.75, nan])
    assert multitask.mean_auc(y, s) == pytest.approx(0.625) == tabular.score(y, s, "auc")
    with pytest.raises(ValueError, match="at least one task"):
        multitask.mean_auc(y[:, 2:], s[:, 2:])
    with pytest.raises(ValueError, match="0, 1 or NaN"):
        multitask.label_mask(np.array([[2.0]]))


def test_l2_grid_key_is_validated_and_enters_the_grid():
    cfg = tabular.SweepConfig(grid={**tabular.DEFAULT_GRID, "l2": (0.0, 1e-3)})
    assert {c["l2"] for c in tabular.grid_configs("SNN", cfg)} == {0.0, 1e-3}
    with pytest.raises(ValueError, match="l2"):
        tabular.SweepConfig(grid={**tabular.DEFAULT_GRID, "l2": (-1.0,)})
    with pytest.raises(ValueError, match="trainer"):
        tabular.SweepConfig(trainer="gpu")
