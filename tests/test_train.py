"""Tests of snnlib.train: the Figure 1 protocol trainer (summed gradient, official logs, exact resume, divergence)."""

import json
import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.nn import functional as F

from snnlib.files import write_json_atomic
from snnlib.models import build_model
from snnlib.train import (
    Member,
    TrainConfig,
    build_units,
    epoch_permutation,
    load_checkpoint,
    train_models,
    train_sweep,
)

torch.set_num_threads(1)


def toy(n=300, d=12, c=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.randn(n, d, generator=g)
    y = (X[:, :c] + 0.5 * torch.randn(n, c, generator=g)).argmax(1)
    return X, y


def cfg(**kw):
    return TrainConfig(**{"epochs": 3, "batch_size": 32, "progress": False, "device": "cpu", **kw})


def _ds(X, y, X_val=None, y_val=None):
    from snnlib.data import Dataset

    empty = np.zeros((0, X.shape[1]), np.float32)
    X_val = empty if X_val is None else X_val.numpy()
    y_val = np.zeros(0, np.int64) if y_val is None else y_val.numpy()
    return Dataset(X.numpy(), y.numpy(), X_val, y_val, empty, np.zeros(0, np.int64), 3, "toy")


def plain_loop(model, lr, X, y, epochs, batch_size, chunk, data_seed=0, X_val=None, y_val=None):
    """The oracle, written as plainly as possible: the official Figure 1 protocol for one network with
    torch.optim.SGD. Each epoch: the training loss in training mode over full chunks (summed, / len(X)), the
    validation loss in eval mode over full batches (/ len(X_val)), then SGD on the summed loss of every full
    mini-batch of the epoch's order. BatchNorm moving averages are never updated (momentum 0)."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            m.momentum = 0.0
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses, val_losses = [], []

    def logged(X_, y_, size, train):
        model.train(train)
        with torch.no_grad():
            total = sum(F.cross_entropy(model(X_[s:s + size]), y_[s:s + size], reduction="sum").item()
                        for s in range(0, len(X_) - len(X_) % size, size))
        model.train(True)
        return total / len(X_)

    for epoch in range(epochs + 1):
        losses.append(logged(X, y, chunk, True))
        if X_val is not None:
            val_losses.append(logged(X_val, y_val, batch_size, False))
        if epoch == epochs:
            break
        perm = epoch_permutation(len(X), data_seed, epoch)
        for s in range(0, len(X) - len(X) % batch_size, batch_size):
            idx = perm[s:s + batch_size]
            opt.zero_grad()
            F.cross_entropy(model(X[idx]), y[idx], reduction="sum").backward()
            opt.step()
    return losses, val_losses


def _models(specs, n_in=12, width=16):
    out = []
    for i, (family, depth) in enumerate(specs):
        torch.manual_seed(i)
        out.append(build_model(family, n_in, 3, depth, width, output_init="glorot_uniform"))
    return out


@pytest.mark.parametrize("stack", [True, False])
def test_the_trainer_follows_the_plain_loop_of_the_official_protocol(stack):
    """Fast path (MLPStack) and reference path (autograd, one module at a time) against the plain loop: training
    and validation histories and final weights, for SNN, MSRAinit and BatchNorm networks of several depths."""
    X, y = toy()
    X_val, y_val = toy(n=100, seed=1)
    specs = [("SNN", 3), ("BatchNorm", 3), ("SNN", 1), ("BatchNorm", 2), ("MSRAinit", 2)]
    lrs = [0.002, 0.001, 0.003, 0.002, 0.001]
    models, twins = _models(specs), _models(specs)
    config = cfg(eval_batch_size=32, drop_last=True, stack=stack)
    res = train_models(models, lrs, X, y, config, X_val=X_val, y_val=y_val)
    for j, (twin, lr) in enumerate(zip(twins, lrs)):
        loss, val_loss = plain_loop(twin, lr, X, y, 3, 32, 32, X_val=X_val, y_val=y_val)
        np.testing.assert_allclose(res.loss[j], loss, rtol=2e-5, err_msg=str(specs[j]))
        np.testing.assert_allclose(res.val_loss[j], val_loss, rtol=2e-5, err_msg=str(specs[j]))
        for a, b in zip(models[j].parameters(), twin.parameters()):  # trained in place, stack or not
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
        assert res.loss[j][-1] < res.loss[j][0]  # they learned: the comparison is not vacuous
    assert res.epochs_run == 3 and 0 < res.log_time_s < res.wall_time_s


def test_one_trainer_step_is_one_plain_sgd_step_on_the_summed_loss():
    """The gradient convention, pinned: one epoch of one full batch = one step of torch.optim.SGD on the
    *summed* cross-entropy at the same lr; an averaging loop at the same lr moves batch-size times less."""
    X, y = toy(n=32)
    (model,), (twin,), (avg,) = _models([("SNN", 2)]), _models([("SNN", 2)]), _models([("SNN", 2)])
    start = [p.detach().clone() for p in twin.parameters()]
    train_models([model], [0.01], X, y, cfg(epochs=1, drop_last=True))
    perm = epoch_permutation(32, 0, 0)
    for net, reduction in ((twin, "sum"), (avg, "mean")):
        opt = torch.optim.SGD(net.parameters(), lr=0.01)
        F.cross_entropy(net(X[perm]), y[perm], reduction=reduction).backward()
        opt.step()
    for a, b, c, p0 in zip(model.parameters(), twin.parameters(), avg.parameters(), start):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-7)
        torch.testing.assert_close(a - p0, 32 * (c - p0), rtol=1e-3, atol=1e-6)


def test_units_group_plain_mlps_into_stacks_of_two_families_and_the_rest_into_one_module_unit():
    from snnlib.mlpstack import MLPStack
    from snnlib.train import ModuleUnit

    models = [build_model(f, 4, 2, d, 8) for f, d in (("SNN", 8), ("BatchNorm", 16), ("SNN", 32), ("BatchNorm", 8),
                                                      ("LayerNorm", 2), ("MSRAinit", 2), ("SNN", 2, ))]
    models.append(build_model("SNN", 4, 2, 2, 8, dropout=0.05))
    units = build_units(models)
    kinds = [(type(u).__name__, idx) for u, idx in units]
    # families paired in the order SNN, MSRAinit, BatchNorm; the rest (LayerNorm, dropout) in one module unit
    assert kinds == [("MLPStack", [0, 2, 5, 6]), ("MLPStack", [1, 3]), ("ModuleUnit", [4, 7])]
    assert isinstance(units[0][0], MLPStack) and isinstance(units[2][0], ModuleUnit)
    assert [type(u).__name__ for u, _ in build_units(models, stack=False)] == ["ModuleUnit"]


def test_training_log_uses_batch_statistics_per_chunk_and_divides_by_the_training_set_size():
    """As the official code: loss_tr = (sum over the full 32-chunks, BatchNorm in training mode) / len(X);
    the accuracy is over the samples evaluated (tf.metrics.accuracy). Computed here by hand."""
    X, y = toy()  # 300 samples: 9 full chunks of 32 (288 samples) and 12 left over
    (model,) = _models([("BatchNorm", 3)])
    model.train()
    with torch.no_grad():
        chunks = [model(X[s:s + 32]) for s in range(0, 288, 32)]
    loss = sum(F.cross_entropy(z, y[i * 32:(i + 1) * 32], reduction="sum").item() for i, z in enumerate(chunks))
    hits = sum((z.argmax(1) == y[i * 32:(i + 1) * 32]).sum().item() for i, z in enumerate(chunks))
    res = train_models(_models([("BatchNorm", 3)]), [0.001], X, y, cfg(epochs=1, eval_batch_size=32, drop_last=True))
    assert res.loss[0][0] == pytest.approx(loss / 300, rel=1e-5)
    assert res.accuracy[0][0] == pytest.approx(hits / 288, rel=1e-6)
    whole = train_models(_models([("BatchNorm", 3)]), [0.001], X, y, cfg(epochs=1))
    assert abs(whole.loss[0][0] - res.loss[0][0]) > 1e-3  # chunking matters for BatchNorm: the check is not vacuous


def test_validation_uses_the_never_updated_moving_averages_as_the_official_code():
    """The official code runs no BatchNorm update ops, so its validation pass (eval mode) normalises with the
    initial moving averages (mean 0, variance 1): computed here with a fresh nn.BatchNorm1d in eval mode."""
    X, y = toy()
    X_val, y_val = toy(n=64, seed=2)
    (model,) = _models([("BatchNorm", 2)])
    res = train_models([model], [0.001], X, y, cfg(epochs=2, drop_last=True), X_val=X_val, y_val=y_val)
    assert all(torch.equal(m.running_mean, torch.zeros(16)) and torch.equal(m.running_var, torch.ones(16))
               for m in model.modules() if isinstance(m, nn.BatchNorm1d))
    model.eval()
    with torch.no_grad():
        expected = F.cross_entropy(model(X_val), y_val, reduction="sum").item() / 64
    assert res.val_loss[0][-1] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("drop_last, sizes", [(False, [32] * 9 + [12]), (True, [32] * 9)])
def test_drop_last_skips_the_trailing_partial_batch_as_the_official_code(drop_last, sizes):
    X, y = toy()  # 300 samples: 9 full batches of 32 and 12 left over
    m = _BatchSizes()
    train_models([m], [0.01], X, y, cfg(epochs=1, drop_last=drop_last))
    assert m.seen == sizes


def test_a_trailing_single_sample_batch_is_skipped_even_without_drop_last():
    X, y = toy()  # 300 samples with batch 299: one sample left, which BatchNorm cannot normalise
    m = _BatchSizes()
    train_models([m], [0.01], X, y, cfg(epochs=1, batch_size=299))
    assert m.seen == [299]


class _BatchSizes(nn.Module):
    """Records the size of every training mini-batch it sees (not the logging passes)."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(12, 3)
        self.seen = []

    def forward(self, x):
        if torch.is_grad_enabled():
            self.seen.append(x.shape[0])
        return self.lin(x)


def test_drop_last_needs_a_full_batch():
    X, y = toy(n=20)
    with pytest.raises(ValueError, match="drop_last needs at least one full batch"):
        train_models([build_model("SNN", 12, 3, 1, 8)], [0.01], X, y, cfg(drop_last=True))


def test_resume_after_interruption_gives_identical_history_and_weights(tmp_path):
    X, y = toy()
    specs = [("SNN", 3), ("BatchNorm", 3), ("LayerNorm", 2)]
    straight = _models(specs)
    full = train_models(straight, [0.002] * 3, X, y, cfg(epochs=6))

    class Interrupt(Exception):
        pass

    def stop_at_4(epoch, _res):
        if epoch == 4:
            raise Interrupt

    ckpt = tmp_path / "ck.pt"
    with pytest.raises(Interrupt):
        train_models(_models(specs), [0.002] * 3, X, y, cfg(epochs=6, checkpoint_every=3), checkpoint_path=ckpt,
                     callback=stop_at_4)
    assert load_checkpoint(ckpt)["epoch"] == 3
    assert not list(tmp_path.glob("*.tmp"))  # written atomically
    resumed_models = _models(specs)
    resumed = train_models(resumed_models, [0.002] * 3, X, y, cfg(epochs=6, checkpoint_every=3),
                           checkpoint_path=ckpt)
    assert resumed.loss == full.loss and resumed.accuracy == full.accuracy
    for a, b in zip(resumed_models, straight):
        for pa, pb in zip(a.state_dict().values(), b.state_dict().values()):
            assert torch.equal(pa, pb)


def test_a_diverged_member_is_frozen_at_the_epoch_boundary_and_the_others_are_unaffected():
    X, y = toy()
    ok = Member("SNN", 3, 16, seed=1, lr=0.002)
    recs = train_sweep([Member("SNN", 3, 16, seed=2, lr=1e4), ok], _ds(X, y), cfg(epochs=4))
    alone = train_sweep([ok], _ds(X, y), cfg(epochs=4))
    assert recs[0]["diverged_epoch"] == 1 and not math.isfinite(recs[0]["loss"][1])
    assert recs[1]["diverged_epoch"] is None
    np.testing.assert_allclose(recs[1]["loss"], alone[0]["loss"], rtol=1e-6)


def test_a_member_that_blows_up_in_the_last_epoch_is_marked_by_the_final_log():
    X, y = toy(n=32)
    torch.manual_seed(0)
    res = train_models([build_model("SNN", 12, 3, 1, 4)], [1e30], X, y, cfg(epochs=1))
    assert not math.isfinite(res.loss[0][-1]) and res.diverged_epoch[0] == 1


def test_json_is_strict_with_nan_as_null(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"loss": [1.0, float("nan"), float("inf")]})
    assert json.loads(path.read_text()) == {"loss": [1.0, None, None]}


@pytest.mark.parametrize("kwargs, word", [({"epochs": 0}, "epochs"), ({"batch_size": -1}, "batch_size"),
                                          ({"precision": "bf16"}, "precision"), ({"data_seed": 1.5}, "data_seed")])
def test_bad_config_names_the_parameter(kwargs, word):
    with pytest.raises(ValueError, match=word):
        TrainConfig(**kwargs)


def test_bad_device_lr_and_lr_count_are_rejected():
    model = build_model("SNN", 2, 2, 1, 2)
    with pytest.raises(ValueError, match="device"):
        train_models([model], [0.1], *toy(10, 2, 2), cfg(device="tpu"))
    with pytest.raises(ValueError, match="lr"):
        Member("SNN", 2, 4, lr=0.0)
    with pytest.raises(ValueError, match="one learning rate per model"):
        train_models([model], [0.1, 0.2], *toy(10, 2, 2), cfg())
    with pytest.raises(ValueError, match="lrs"):
        train_models([model], [float("nan")], *toy(10, 2, 2), cfg())


def test_sweep_records_keep_the_members_order_and_name_their_unit():
    X, y = toy()
    members = [Member("SNN", 3, 16, seed=1, lr=0.002), Member("LayerNorm", 2, 16, seed=3, lr=0.002),
               Member("BatchNorm", 2, 16, seed=2, lr=0.002)]
    recs = train_sweep(members, _ds(X, y), cfg(epochs=2))
    assert [r["label"] for r in recs] == ["SNN Depth 3", "LayerNorm Depth 2", "BatchNorm Depth 2"]
    assert [r["group"] for r in recs] == [0, 1, 0]  # the stack, then the module unit
    assert recs[0]["params"] == 12 * 16 + 16 + 2 * (16 * 16 + 16) + 16 * 3 + 3
    alone = train_sweep(members[1:2], _ds(X, y), cfg(epochs=2))  # every unit trains as it would alone
    assert alone[0]["loss"] == recs[1]["loss"]


def test_sweep_checkpoint_resumes_and_is_named_after_the_sweep(tmp_path):
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.002), Member("BatchNorm", 3, 16, seed=2, lr=0.002)]
    full = train_sweep(members, _ds(X, y), cfg(epochs=4))
    train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    (ckpt,) = tmp_path.glob("sweep-*.pt")
    assert load_checkpoint(ckpt)["epoch"] == 2
    resumed = train_sweep(members, _ds(X, y), cfg(epochs=4, checkpoint_every=2), checkpoint_dir=tmp_path)
    assert [r["loss"] for r in resumed] == [r["loss"] for r in full]
    other = [Member("SNN", 2, 16, seed=1, lr=0.001)]  # another sweep in the same folder starts afresh
    train_sweep(other, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    tf32 = cfg(epochs=2, checkpoint_every=2, precision="tf32")  # and so does another precision
    train_sweep(members, _ds(X, y), tf32, checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("sweep-*.pt"))) == 3


def test_checkpoints_are_specific_to_the_data_and_never_shorten_a_run(tmp_path):
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.002)]
    train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    X2 = X.clone()
    X2[0, 0] += 1.0
    train_sweep(members, _ds(X2, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("sweep-*.pt"))) == 2
    with pytest.raises(ValueError, match="epochs must be >= the 2 epochs already in checkpoint"):
        train_sweep(members, _ds(X, y), cfg(epochs=1, checkpoint_every=1), checkpoint_dir=tmp_path)


def test_temporaries_of_a_killed_checkpoint_write_are_removed_on_start_and_on_resume(tmp_path):
    X, y = toy()
    ckpt = tmp_path / "sweep-0123.pt"
    stale = ckpt.parent / f"{ckpt.name}a1b2c3d4.tmp"  # what a kill -9 in torch.save leaves (tempfile.mkstemp)
    other = ckpt.parent / "sweep-4567.pta1b2c3d4.tmp"  # another sweep's, perhaps being written right now
    for f in (stale, other):
        f.write_bytes(b"\0" * 1000)
    train_models(_models([("SNN", 2)]), [0.002], X, y, cfg(epochs=1, checkpoint_every=1), checkpoint_path=ckpt)
    assert not stale.exists() and other.exists()  # on start
    stale.write_bytes(b"\0" * 1000)
    train_models(_models([("SNN", 2)]), [0.002], X, y, cfg(epochs=2, checkpoint_every=1), checkpoint_path=ckpt)
    assert not stale.exists() and other.exists() and load_checkpoint(ckpt)["epoch"] == 2  # on resume
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([ckpt.name, other.name])


def test_a_checkpoint_of_another_shape_is_a_checkpoint_error_naming_the_file(tmp_path):
    from snnlib.train import CheckpointError

    X, y = toy()
    ckpt = tmp_path / "c.pt"
    train_models(_models([("SNN", 2)]), [0.002], X, y, cfg(epochs=1, checkpoint_every=1), checkpoint_path=ckpt)
    with pytest.raises(CheckpointError, match=r"c\.pt does not fit this sweep"):
        train_models(_models([("SNN", 3)]), [0.002], X, y, cfg(epochs=2, checkpoint_every=1), checkpoint_path=ckpt)


@pytest.mark.parametrize("family", ["SNN", "BatchNorm"])
@pytest.mark.parametrize("damage", ["tensor", "rng", "alive"])
def test_a_checkpoint_with_tensors_of_the_wrong_shape_is_a_checkpoint_error_naming_the_file(tmp_path, family,
                                                                                            damage):
    """The same sweep's file with one tensor of another shape (edited, or written by other code): no traceback."""
    from snnlib.train import CheckpointError

    X, y = toy()
    ckpt = tmp_path / "c.pt"
    train_models(_models([(family, 2)]), [0.002], X, y, cfg(epochs=1, checkpoint_every=1), checkpoint_path=ckpt)
    state = torch.load(ckpt, weights_only=True)
    if damage == "tensor":
        name = next(iter(state["units"][0]))
        state["units"][0][name] = torch.zeros(3, 3)
        says = rf"size mismatch for {name}"
    elif damage == "rng":
        state["rng"]["torch"] = torch.zeros(3, dtype=torch.uint8)
        says = "RNG state"
    else:
        state["alive"] = [True, True, True]
        says = "it holds 3 networks, this sweep trains 1"
    torch.save(state, ckpt)
    with pytest.raises(CheckpointError, match=rf"checkpoint .*c\.pt does not fit this sweep \(.*{says}"):
        train_models(_models([(family, 2)]), [0.002], X, y, cfg(epochs=2, checkpoint_every=1), checkpoint_path=ckpt)


def test_resume_is_exact_for_dropout_members_and_members_that_diverged_before_the_checkpoint(tmp_path):
    """The random state (alpha dropout masks) and the frozen members must be restored on resume."""
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.002, dropout=0.05), Member("SNN", 2, 16, seed=2, lr=1e4)]
    straight = train_sweep(members, _ds(X, y), cfg(epochs=4))
    assert straight[1]["diverged_epoch"] == 1 and straight[0]["diverged_epoch"] is None
    train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    resumed = train_sweep(members, _ds(X, y), cfg(epochs=4, checkpoint_every=2), checkpoint_dir=tmp_path)
    for a, b in zip(resumed, straight):
        np.testing.assert_array_equal(a["loss"], b["loss"])  # NaN where diverged, equal elsewhere
        assert a["diverged_epoch"] == b["diverged_epoch"]
    assert [(s["first_epoch"], s["last_epoch"]) for s in resumed[0]["segments"]] == [(0, 2), (2, 4)]


def test_resuming_with_other_code_warns_and_records_both_versions(tmp_path, monkeypatch):
    from snnlib import train

    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.002)]
    monkeypatch.setattr(train, "_code_version", lambda: "aaaa111")
    train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=1), checkpoint_dir=tmp_path)
    monkeypatch.setattr(train, "_code_version", lambda: "bbbb222-dirty")
    with pytest.warns(RuntimeWarning, match=r"epochs up to 2 were trained by commit aaaa111 .* the rest is trained "
                                            r"by commit bbbb222-dirty"):
        rec = train_sweep(members, _ds(X, y), cfg(epochs=3, checkpoint_every=1), checkpoint_dir=tmp_path)[0]
    assert [(s["first_epoch"], s["last_epoch"], s["git_commit"]) for s in rec["segments"]] == [
        (0, 2, "aaaa111"), (2, 3, "bbbb222-dirty")]
    again = train_sweep(members, _ds(X, y), cfg(epochs=3, checkpoint_every=1), checkpoint_dir=tmp_path)[0]
    assert again["segments"] == rec["segments"] and again["loss"] == rec["loss"]  # a finished run adds nothing


@pytest.mark.parametrize("precision, setting", [("tf32", "high"), ("fp32", "highest")])
def test_the_precision_applies_during_training_only(precision, setting):
    X, y = toy()
    seen = []
    before = torch.get_float32_matmul_precision()
    train_models([build_model("SNN", 12, 3, 2, 8)], [0.002], X, y, cfg(epochs=1, precision=precision),
                 callback=lambda *_: seen.append(torch.get_float32_matmul_precision()))
    assert seen == [setting] and torch.get_float32_matmul_precision() == before


class _FakeStream:
    def __init__(self, *args):
        pass

    def wait_stream(self, other):
        pass


def _fake_cuda(monkeypatch, capture_fails):
    """Stand-ins for the torch.cuda calls of the step runner, so its control flow runs on a CPU."""
    import contextlib

    events = []

    class Graph:
        def replay(self):
            events.append("replay")

    @contextlib.contextmanager
    def graph(g):
        events.append("capture")
        yield
        if capture_fails:
            raise RuntimeError("operation not permitted when stream is capturing\ndetails")

    monkeypatch.setattr(torch.cuda, "Stream", _FakeStream)
    monkeypatch.setattr(torch.cuda, "current_stream", lambda *a: _FakeStream())
    monkeypatch.setattr(torch.cuda, "stream", lambda s: contextlib.nullcontext())
    monkeypatch.setattr(torch.cuda, "CUDAGraph", Graph)
    monkeypatch.setattr(torch.cuda, "graph", graph)
    return events


class _Recorder:
    k = 1

    def __init__(self):
        self.seen = []

    def step(self, xT, y):
        self.seen.append(y.tolist())


@pytest.mark.parametrize("capture_fails", [False, True])
def test_steps_warm_up_capture_replay_or_fall_back_to_eager(monkeypatch, capture_fails):
    """Each step finds its mini-batch through a device-side counter, so one captured step replays for all."""
    from snnlib.train import _Steps

    events = _fake_cuda(monkeypatch, capture_fails)
    XT, y = torch.arange(24.0).view(2, 12), torch.arange(12)
    unit = _Recorder()
    steps = _Steps([unit], XT, y, 2, torch.device("cuda"), True, True)
    perm = torch.arange(12).flip(0)
    batches = [[11 - 2 * i, 10 - 2 * i] for i in range(6)]
    if capture_fails:
        with pytest.warns(RuntimeWarning, match="running eagerly instead"):
            steps.epoch(perm, True)
        # warm-up 0-2, the failed capture of step 3 (the fake runs the Python body; a GPU would compute nothing
        # and the counter is restored), then step 3 again and the later steps eagerly: every batch once
        assert events == ["capture"] and unit.seen == batches[:4] + batches[3:]
    else:
        steps.epoch(perm, True)
        # 3 eager warm-up steps, one capture (computes nothing on a GPU), then replays for steps 4, 5 and 6
        assert events == ["capture", "replay", "replay", "replay"] and unit.seen[:3] == batches[:3]
    assert int(steps.counter) == (6 if capture_fails else 4)  # replays advance it on the device: not here


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run on a GPU machine)")
def test_cuda_graph_trains_like_the_eager_loop():
    """On a GPU: the step replayed as a CUDA graph gives the histories of the eager loop
    (benchmarks/check_cuda_training.py, which gpu_session.sh runs)."""
    from scripts import load_script

    check = load_script("benchmarks/check_cuda_training.py")
    diffs = check.max_relative_differences("cuda")
    assert max(diffs.values()) <= 1e-4, diffs


def test_a_failed_checkpoint_write_keeps_the_previous_checkpoint_and_leaves_no_temporary_file(tmp_path,
                                                                                              monkeypatch):
    from snnlib.train import CheckpointError, save_checkpoint

    path = tmp_path / "c.pt"
    save_checkpoint(path, {"epoch": 1})

    def half_written(obj, f, *args, **kwargs):  # writes garbage, then fails (a full disk)
        f.write(b"garbage")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", half_written)
    with pytest.raises(CheckpointError, match=r"cannot write checkpoint .*c\.pt .*No space left.*previous checkpoint "
                                              "is kept"):
        save_checkpoint(path, {"epoch": 2})
    monkeypatch.undo()
    assert torch.load(path, weights_only=True)["epoch"] == 1 and sorted(p.name for p in tmp_path.iterdir()) == ["c.pt"]


class _Evil:
    def __reduce__(self):
        return (print, ("this would run on load",))


def test_load_checkpoint_never_unpickles_arbitrary_objects(tmp_path, capsys):
    from snnlib.train import CheckpointError

    path = tmp_path / "c.pt"
    torch.save({"x": _Evil()}, path)
    with pytest.raises(CheckpointError, match="objects other than tensors"):
        load_checkpoint(path)
    assert "this would run" not in capsys.readouterr().out


@pytest.mark.parametrize("content, says, deletes", [
    (b"", "corrupt or not a torch checkpoint (EOFError", True),
    (__import__("pickle").dumps([1, 2, 3], protocol=2), "corrupt or not a torch checkpoint", True),
    ("permission", "cannot be read (Permission denied)", False)])
def test_unreadable_checkpoints_are_described_by_their_real_cause(tmp_path, monkeypatch, content, says, deletes):
    from snnlib import train

    path = tmp_path / "c.pt"
    if content == "permission":
        path.write_bytes(b"x")

        def denied(*args, **kwargs):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(torch, "load", denied)
    else:
        path.write_bytes(content)
    with pytest.raises(train.CheckpointError) as exc:
        load_checkpoint(path)
    assert says in str(exc.value) and ("Delete it" in str(exc.value)) == deletes
    assert "could run code" not in str(exc.value)


def test_running_out_of_memory_while_loading_a_checkpoint_is_not_blamed_on_the_file(tmp_path, monkeypatch):
    (tmp_path / "c.pt").write_bytes(b"x")

    def oom(*args, **kwargs):
        raise MemoryError

    monkeypatch.setattr(torch, "load", oom)
    with pytest.raises(MemoryError):
        load_checkpoint(tmp_path / "c.pt")
