"""Tests of snnlib.mlpstack: the layer-position stack trains each member exactly like plain autograd SGD."""

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from snnlib.mlpstack import MLPStack, can_stack
from snnlib.models import build_model

torch.set_num_threads(1)

N_IN, N_OUT, WIDTH, BATCH = 12, 3, 16, 32
#: Both families at several depths, in an order that the palindrome layout must rearrange.
SPECS = [("SNN", 3), ("BatchNorm", 3), ("SNN", 1), ("BatchNorm", 2), ("SNN", 2), ("BatchNorm", 1)]


def _models(specs=SPECS, shape="rectangular", width=WIDTH):
    out = []
    for i, (family, depth) in enumerate(specs):
        torch.manual_seed(i)
        out.append(build_model(family, N_IN, N_OUT, depth, width, shape, output_init="glorot_uniform"))
    return out


def _batch(seed=0, n=BATCH):
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, N_IN, generator=g), torch.randint(0, N_OUT, (n,), generator=g)


def _plain_sgd(model, lr, batches):
    """The oracle: torch.optim.SGD on the *summed* cross-entropy (the official code's gradient), BatchNorm
    moving averages never updated (momentum 0)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.momentum = 0.0
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    for x, y in batches:
        opt.zero_grad()
        F.cross_entropy(model(x), y, reduction="sum").backward()
        opt.step()


def _assert_same_parameters(got, expected, rtol=2e-5, atol=1e-6):
    for a, b in zip(got, expected):
        for (name, pa), (_, pb) in zip(a.named_parameters(), b.named_parameters()):
            torch.testing.assert_close(pa, pb, rtol=rtol, atol=atol, msg=lambda m, name=name: f"{name}: {m}")


def test_palindrome_order_keeps_every_layer_position_contiguous():
    stack = MLPStack(_models())
    # SNN by ascending depth, then BatchNorm by descending depth
    assert [(stack.families[j], stack.depths[j]) for j in range(6)] == [
        ("SNN", 1), ("SNN", 2), ("SNN", 3), ("BatchNorm", 3), ("BatchNorm", 2), ("BatchNorm", 1)]
    # position l holds exactly the members deeper than l, one block, the family boundary inside it
    assert [(p.lo, p.hi, p.split) for p in stack.positions] == [(0, 6, 3), (1, 5, 2), (2, 4, 1)]
    # the members whose last hidden layer a position is: one run per family at its edges
    assert [len(p.finishing) for p in stack.positions] == [2, 2, 1]
    assert stack.weight_0.shape == (6, WIDTH, N_IN) and stack.weight_2.shape == (2, WIDTH, WIDTH)
    assert stack.bn_weight_1.shape == (2 * WIDTH,)  # the BatchNorm members of position 1 only


def test_forward_equals_the_separate_models_in_both_modes():
    models = _models()
    stack = MLPStack(models)
    x, _ = _batch()
    with torch.no_grad():
        for mode in (True, False):
            for m in models:
                for layer in m.modules():
                    if isinstance(layer, nn.BatchNorm1d):
                        layer.momentum = 0.0
                m.train(mode)
            expected = torch.stack([m(x) for m in models]).transpose(1, 2)
            torch.testing.assert_close(stack.logits(x.T.contiguous(), train_mode=mode), expected, rtol=1e-5,
                                       atol=1e-5)


@pytest.mark.parametrize("specs, shape", [
    (SPECS, "rectangular"),
    ([("MSRAinit", 2), ("SNN", 3), ("MSRAinit", 1)], "rectangular"),
    ([("BatchNorm", 3), ("MSRAinit", 3)], "conic"),
    ([("SNN", 4)], "rectangular")])
def test_sgd_steps_equal_plain_autograd_sgd_on_the_summed_loss(specs, shape):
    """Five steps of every member with its own learning rate: the same weights as torch.optim.SGD on the summed
    cross-entropy, member by member (up to float rounding)."""
    lrs = [0.01, 0.02, 0.03, 0.01, 0.02, 0.05][:len(specs)]
    models = _models(specs, shape)
    stack = MLPStack(models)
    stack.set_lr(torch.tensor(lrs))
    batches = [_batch(s) for s in range(5)]
    for x, y in batches:
        stack.step(x.T.contiguous(), y)
    for m, lr in zip(models, lrs):
        _plain_sgd(m, lr, batches)
    _assert_same_parameters(stack.to_models(), models)


def test_the_gradient_is_that_of_the_sum_not_the_mean():
    """The official TensorFlow code differentiates the vector of per-example losses, i.e. their sum: at the same lr
    a step is batch-size times that of a loop that averages (an lr/batch averaging loop takes the same step)."""
    x, y = _batch()
    (model,) = _models([("SNN", 2)])
    stack = MLPStack([model])
    stack.set_lr(torch.tensor([0.01]))
    stack.step(x.T.contiguous(), y)
    (start,) = _models([("SNN", 2)])
    (averaged,) = _models([("SNN", 2)])
    opt = torch.optim.SGD(averaged.parameters(), lr=0.01)
    F.cross_entropy(averaged(x), y).backward()  # the mean at the same lr: a step batch-size times smaller
    opt.step()
    ours = [a - b for a, b in zip(stack.to_models()[0].parameters(), start.parameters())]
    theirs = [a - b for a, b in zip(averaged.parameters(), start.parameters())]
    for a, b in zip(ours, theirs):
        torch.testing.assert_close(a, BATCH * b, rtol=1e-3, atol=1e-6)  # differences of weights: rounding


def test_a_zero_learning_rate_freezes_a_member_and_leaves_the_others_alone():
    models, twins = _models(), _models()
    stack = MLPStack(models)
    stack.set_lr(torch.tensor([0.05, 0.0, 0.05, 0.05, 0.0, 0.05]))
    for x, y in [_batch(s) for s in range(3)]:
        stack.step(x.T.contiguous(), y)
    trained = stack.to_models()
    _assert_same_parameters([trained[1], trained[4]], [twins[1], twins[4]], rtol=0, atol=0)
    assert not torch.equal(trained[0][0].weight, twins[0][0].weight)


def test_a_diverged_member_cannot_disturb_the_others():
    """NaN weights in one member stay in that member's own slices of every batched product and normalization."""
    models = _models()
    clean = MLPStack(_models())
    stack = MLPStack(models)
    with torch.no_grad():
        stack.weight_1[0].fill_(float("nan"))  # stack position 1 = SNN depth 2 (present at positions 0 and 1)
    for s in (stack, clean):
        s.set_lr(torch.full((6,), 0.02))
        for x, y in [_batch(i) for i in range(3)]:
            s.step(x.T.contiguous(), y)
    got, ref = stack.to_models(), clean.to_models()
    assert torch.isnan(got[4][0].weight).all()  # models[4] is ("SNN", 2)
    _assert_same_parameters([got[i] for i in (0, 1, 2, 3, 5)], [ref[i] for i in (0, 1, 2, 3, 5)], rtol=0, atol=0)


def test_training_mode_log_normalises_each_group_by_its_own_statistics():
    models = _models()
    stack = MLPStack(models)
    x, y = _batch(n=96)
    loss, correct = stack.loss_sums(x.T.contiguous(), y, group=32, train_mode=True, rows=64)  # chunks of 2 groups
    for j, m in enumerate(models):
        for layer in m.modules():
            if isinstance(layer, nn.BatchNorm1d):
                layer.momentum = 0.0
        with torch.no_grad():
            logits = [m(x[s:s + 32]) for s in range(0, 96, 32)]
        expected = sum(F.cross_entropy(z, y[s * 32:(s + 1) * 32], reduction="sum") for s, z in enumerate(logits))
        hits = sum(int((z.argmax(1) == y[s * 32:(s + 1) * 32]).sum()) for s, z in enumerate(logits))
        assert loss[j].item() == pytest.approx(expected.item(), rel=1e-5) and correct[j].item() == hits
    whole, _ = stack.loss_sums(x.T.contiguous(), y, group=96, train_mode=True)
    assert (whole - loss).abs().max() > 1e-3  # the grouping matters for BatchNorm: the check is not vacuous
    with pytest.raises(ValueError, match="multiple of group"):
        stack.loss_sums(x.T.contiguous(), y, group=40, train_mode=True)


def test_moving_averages_are_never_updated_and_the_round_trip_keeps_every_tensor():
    models = _models()
    stack = MLPStack(models)
    stack.set_lr(torch.full((6,), 0.05))
    before = {k: v.clone() for k, v in stack.named_buffers() if k.startswith("running_")}
    for x, y in [_batch(s) for s in range(3)]:
        stack.step(x.T.contiguous(), y)
    x, y = _batch()
    for mode in (True, False):  # nor by the loss logs
        stack.loss_sums(x.T.contiguous(), y, 32, mode)
    after = {k: v for k, v in stack.named_buffers() if k.startswith("running_")}
    assert before and all(torch.equal(before[k], after[k]) for k in before)
    again = MLPStack(stack.to_models())
    for (name, a), (_, b) in zip(stack.state_dict().items(), again.state_dict().items()):
        assert torch.equal(a, b), name


@pytest.mark.parametrize("models, says", [
    (lambda: [build_model("LayerNorm", 4, 2, 2, 8)], "families"),
    (lambda: [build_model("SNN", 4, 2, 2, 8, dropout=0.1)], "without dropout"),
    (lambda: [build_model(f, 4, 2, 2, 8) for f in ("SNN", "MSRAinit", "BatchNorm")], "at most two families"),
    (lambda: [build_model("SNN", 4, 2, 2, 8), build_model("SNN", 4, 2, 2, 16)], "hidden widths"),
    (lambda: [build_model("SNN", 4, 2, 2, 8, "conic"), build_model("SNN", 4, 2, 3, 8, "conic")], "hidden widths"),
    (lambda: [], "at least one")])
def test_what_the_stack_cannot_train_is_refused_by_name(models, says):
    with pytest.raises(ValueError, match=says):
        MLPStack(models())


def test_can_stack_names_the_plain_mlps():
    assert can_stack(build_model("BatchNorm", 4, 2, 2, 8)) and can_stack(build_model("MSRAinit", 4, 2, 1, 8))
    assert not can_stack(build_model("SNN", 4, 2, 2, 8, dropout=0.05)) and not can_stack(nn.Linear(2, 2))


def test_batchnorm_uses_tensorflows_epsilon_as_the_official_code():
    """tf.layers.batch_normalization's epsilon is 1e-3 (PyTorch's default 1e-5): it matters for small activations."""
    (model,) = _models([("BatchNorm", 2)])
    assert [m.eps for m in model.modules() if isinstance(m, nn.BatchNorm1d)] == [1e-3, 1e-3]
    stack = MLPStack([model])
    x = torch.randn(32, N_IN) * 1e-3
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.momentum = 0.0
    with torch.no_grad():
        torch.testing.assert_close(stack.logits(x.T.contiguous())[0], model(x).T, rtol=1e-5, atol=1e-6)
        for m in model.modules():
            if isinstance(m, nn.BatchNorm1d):
                m.eps = 1e-5
        assert (stack.logits(x.T.contiguous())[0] - model(x).T).abs().max() > 1e-4  # the epsilon is seen
