"""Tests of snnlib.train: the Figure 1 protocol trainer (stacked == separate, exact resume, divergence masking)."""

import json
import math

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from snnlib.models import StackedMLP, build_model
from snnlib.reproducibility import write_json_atomic
from snnlib.train import (
    Member,
    ModuleStack,
    TrainConfig,
    epoch_permutation,
    load_checkpoint,
    train_networks,
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


def reference_loop(model, lr, X, y, epochs, batch_size, data_seed=0):
    """Straightforward one-model training with torch.optim.SGD, logging loss_tr as the official code does."""
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    losses = []

    def full_loss():
        saved = {k: v.clone() for k, v in model.named_buffers()}
        with torch.no_grad():
            loss = F.cross_entropy(model(X), y).item()
        for k, v in model.named_buffers():
            v.copy_(saved[k])
        return loss

    for epoch in range(epochs):
        losses.append(full_loss())
        perm = epoch_permutation(len(X), data_seed, epoch)
        for s in range(0, len(X), batch_size):
            idx = perm[s:s + batch_size]
            loss = F.cross_entropy(model(X[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    losses.append(full_loss())
    return losses


def test_stacked_training_equals_separate_training():
    X, y = toy()
    families, lrs = ["SNN", "SNN", "BatchNorm"], [0.05, 0.01, 0.05]
    models = []
    for i, fam in enumerate(families):
        torch.manual_seed(i)
        models.append(build_model(fam, 12, 3, 4, 24))
    stack = StackedMLP.from_models(models)
    res = train_networks(stack, lrs, X, y, cfg(eval_batch_size=10_000))
    for j, (model, lr) in enumerate(zip(models, lrs)):
        ref = reference_loop(model, lr, X, y, 3, 32)
        np.testing.assert_allclose(res.loss[j], ref, rtol=1e-4)
        for a, b in zip(stack.to_models()[j].parameters(), model.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-5)
    assert res.loss[0][-1] < res.loss[0][0]  # it learned something


def test_module_stack_matches_reference_loop_for_layernorm():
    X, y = toy()
    torch.manual_seed(3)
    model = build_model("LayerNorm", 12, 3, 3, 16)
    twin = build_model("LayerNorm", 12, 3, 3, 16)
    twin.load_state_dict(model.state_dict())
    res = train_networks(ModuleStack([model]), [0.05], X, y, cfg())
    np.testing.assert_allclose(res.loss[0], reference_loop(twin, 0.05, X, y, 3, 32), rtol=1e-5)


def test_resume_after_interruption_gives_identical_history_and_weights(tmp_path):
    X, y = toy()
    members = [Member("SNN", 3, 16, seed=1, lr=0.05), Member("BatchNorm", 3, 16, seed=2, lr=0.05)]

    def fresh():
        from snnlib.train import build_networks
        return build_networks(members, 12, 3)[0][0]

    straight = fresh()
    full = train_networks(straight, [0.05, 0.05], X, y, cfg(epochs=6, momentum=0.9))

    class Interrupt(Exception):
        pass

    def stop_at_4(epoch, _res):
        if epoch == 4:
            raise Interrupt

    ckpt = tmp_path / "ck.pt"
    with pytest.raises(Interrupt):
        train_networks(fresh(), [0.05, 0.05], X, y, cfg(epochs=6, momentum=0.9, checkpoint_every=3),
                       checkpoint_path=ckpt, callback=stop_at_4)
    assert load_checkpoint(ckpt)["epoch"] == 3
    assert not list(tmp_path.glob("*.tmp"))  # written atomically
    resumed_net = fresh()
    resumed = train_networks(resumed_net, [0.05, 0.05], X, y, cfg(epochs=6, momentum=0.9, checkpoint_every=3),
                             checkpoint_path=ckpt)
    assert resumed.loss == full.loss and resumed.accuracy == full.accuracy
    for a, b in zip(resumed_net.state_dict().values(), straight.state_dict().values()):
        assert torch.equal(a, b)


def test_diverged_member_is_masked_and_the_others_are_unaffected():
    X, y = toy()
    ok = Member("SNN", 3, 16, seed=1, lr=0.05)
    recs = train_sweep([Member("SNN", 3, 16, seed=2, lr=1e4), ok], _ds(X, y), cfg(epochs=4))
    alone = train_sweep([ok], _ds(X, y), cfg(epochs=4))
    assert recs[0]["diverged_epoch"] == 1
    assert not math.isfinite(recs[0]["loss"][-1])
    assert recs[1]["diverged_epoch"] is None
    np.testing.assert_allclose(recs[1]["loss"], alone[0]["loss"], rtol=1e-6)


def _ds(X, y):
    from snnlib.data import Dataset
    empty = np.zeros((0, X.shape[1]), np.float32)
    return Dataset(X.numpy(), y.numpy(), empty, np.zeros(0, np.int64), empty, np.zeros(0, np.int64), 3, "toy")


def test_json_is_strict_with_nan_as_null(tmp_path):
    path = write_json_atomic(tmp_path / "r.json", {"loss": [1.0, float("nan"), float("inf")]})
    assert json.loads(path.read_text()) == {"loss": [1.0, None, None]}


@pytest.mark.parametrize("kwargs, word", [({"epochs": 0}, "epochs"), ({"batch_size": -1}, "batch_size"),
                                          ({"momentum": 1.0}, "momentum")])
def test_bad_config_names_the_parameter(kwargs, word):
    with pytest.raises(ValueError, match=word):
        TrainConfig(**kwargs)


def test_bad_device_and_lr_are_rejected():
    with pytest.raises(ValueError, match="device"):
        train_networks(ModuleStack([build_model("SNN", 2, 2, 1, 2)]), [0.1], *toy(10, 2, 2), cfg(device="tpu"))
    with pytest.raises(ValueError, match="lr"):
        Member("SNN", 2, 4, lr=0.0)


def test_sweep_trains_all_units_in_one_loop_with_the_results_of_each_unit_alone():
    """train_sweep runs every unit (stacks of different depths, single modules) in one loop; each member's
    history is bit-for-bit the one its unit gives when trained alone (same mini-batches, same kernels)."""
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.05), Member("BatchNorm", 3, 16, seed=2, lr=0.05),
               Member("SNN", 3, 16, seed=3, lr=0.02), Member("LayerNorm", 2, 16, seed=4, lr=0.05)]
    recs = train_sweep(members, _ds(X, y), cfg(epochs=3))
    assert [r["group"] for r in recs] == [0, 1, 1, 2]
    assert len({r["wall_time_s"] for r in recs}) == 1
    alone = train_sweep(members[1:3], _ds(X, y), cfg(epochs=3))
    assert [r["loss"] for r in recs[1:3]] == [r["loss"] for r in alone]
    for m, rec in zip(members[::3], recs[::3]):
        assert rec["loss"] == train_sweep([m], _ds(X, y), cfg(epochs=3))[0]["loss"]
    assert all(r["loss"][-1] < r["loss"][0] for r in recs)


def test_divergence_in_one_unit_leaves_the_other_units_untouched():
    X, y = toy()
    ok = Member("SNN", 2, 16, seed=1, lr=0.05)
    recs = train_sweep([Member("SNN", 3, 16, seed=2, lr=1e4), ok], _ds(X, y), cfg(epochs=3))
    assert recs[0]["group"] != recs[1]["group"] and recs[0]["diverged_epoch"] == 1
    assert recs[1]["diverged_epoch"] is None
    assert recs[1]["loss"] == train_sweep([ok], _ds(X, y), cfg(epochs=3))[0]["loss"]


def test_unit_stack_streams_flag_is_a_no_op_off_cuda_and_bad_units_are_rejected():
    from snnlib.train import UnitStack, build_networks

    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1), Member("SNN", 3, 16, seed=2)]
    nets = [UnitStack([u for u, _ in build_networks(members, 12, 3)], streams=s) for s in (False, True)]
    torch.testing.assert_close(nets[0](X), nets[1](X), rtol=0, atol=0)
    assert nets[0](X).shape == (2, len(X), 3) and nets[0].k == 2
    with pytest.raises(ValueError, match="units"):
        UnitStack([torch.nn.Linear(2, 2)])
    with pytest.raises(ValueError, match="units"):
        UnitStack([])


def test_sweep_checkpoint_resumes_and_is_named_after_the_sweep(tmp_path):
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.05), Member("BatchNorm", 3, 16, seed=2, lr=0.05)]
    full = train_sweep(members, _ds(X, y), cfg(epochs=4))
    train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    (ckpt,) = tmp_path.glob("sweep-*.pt")
    assert load_checkpoint(ckpt)["epoch"] == 2
    resumed = train_sweep(members, _ds(X, y), cfg(epochs=4, checkpoint_every=2), checkpoint_dir=tmp_path)
    assert [r["loss"] for r in resumed] == [r["loss"] for r in full]
    other = [Member("SNN", 2, 16, seed=1, lr=0.01)]  # another sweep in the same folder starts afresh
    train_sweep(other, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("sweep-*.pt"))) == 2


def test_tf32_setting_applies_during_training_only():
    X, y = toy()
    seen = []
    before = torch.get_float32_matmul_precision()
    train_networks(ModuleStack([build_model("SNN", 12, 3, 2, 8)]), [0.05], X, y, cfg(epochs=1, tf32=True),
                   callback=lambda *_: seen.append(torch.get_float32_matmul_precision()))
    assert seen == ["high"] and torch.get_float32_matmul_precision() == before


def _cuda_check_script():
    """benchmarks/check_cuda_training.py as a module (it is a script, not part of the package)."""
    from scripts import load_script

    return load_script("benchmarks/check_cuda_training.py")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device (run on a GPU machine)")
def test_cuda_graph_and_streams_train_like_the_eager_loop():
    """On a GPU: the whole sweep's step replayed as one CUDA graph, with or without one CUDA stream per unit,
    gives the histories of the eager loop (benchmarks/check_cuda_training.py, which gpu_session.sh runs)."""
    check = _cuda_check_script()
    diffs = check.max_relative_differences("cuda")
    assert set(diffs) == set(check.MODES) and max(diffs.values()) <= 1e-4, diffs


def test_the_cuda_check_detects_a_mode_that_trains_differently(monkeypatch):
    """The GPU check's comparison, exercised on the CPU: a mode that really changes training (momentum) must
    show up as a difference; on the CPU the graph/stream switches are no-ops and must show none."""
    check = _cuda_check_script()
    monkeypatch.setitem(check.MODES, "momentum", {"momentum": 0.5})
    diffs = check.max_relative_differences("cpu", epochs=2)
    assert diffs["momentum"] > 1e-3
    assert all(diffs[name] == 0.0 for name in ("eager", "graph", "graph+streams", "eager+streams"))


def test_unstacked_sweep_trains_each_member_once_and_like_the_stacked_one():
    """stack=False: one module per member (regression: every single unit once held the sweep's last model)."""
    from snnlib.train import build_networks

    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.05), Member("BatchNorm", 2, 16, seed=2, lr=0.05),
               Member("LayerNorm", 2, 16, seed=3, lr=0.05), Member("MSRAinit", 3, 16, seed=4, lr=0.05)]
    units = build_networks(members, 12, 3, stack=False)
    params = [id(p) for net, _ in units for p in net.parameters()]
    assert len(params) == len(set(params)) and [idx for _, idx in units] == [[0], [1], [2], [3]]
    assert [net.members[0].family for net, _ in units] == ["SNN", "BatchNorm", "LayerNorm", "MSRAinit"]
    alone = train_sweep(members, _ds(X, y), cfg(epochs=3, stack=False))
    stacked = train_sweep(members, _ds(X, y), cfg(epochs=3))
    for a, b in zip(alone, stacked):
        np.testing.assert_allclose(a["loss"], b["loss"], rtol=1e-5, err_msg=a["label"])


def test_batchnorm_group_first_in_a_stack_is_masked_on_its_own_members():
    """from_models keeps the caller's order: BatchNorm may come first (regression: its parameters were mapped
    to members bn_start..k, and masking a dead member failed on the shape)."""
    from snnlib.train import MaskedSGD

    torch.manual_seed(0)
    stack = StackedMLP.from_models([build_model("BatchNorm", 4, 2, 2, 8), build_model("SNN", 4, 2, 2, 8)])
    assert (stack.bn_start, stack.bn_end) == (0, 1)
    assert {tuple(p.shape): (sl.start, sl.stop) for p, sl in stack.param_members() if p.shape[0] == 1} == {
        (1, 1, 8): (0, 1)}
    opt = MaskedSGD(stack, torch.tensor([0.1, 0.1]))
    stack(torch.randn(6, 4)).sum().backward()
    before = [p.detach().clone() for p in stack.parameters()]
    opt.step(torch.tensor([True, False]))  # the SNN member (index 1) is dead
    for p, b in zip(stack.parameters(), before):
        if p.shape[0] == 2:
            assert torch.equal(p[1], b[1]) and not torch.equal(p[0], b[0])
        else:  # BatchNorm state of member 0, alive: updated
            assert not torch.equal(p, b)


def test_momentum_does_not_move_a_diverged_member():
    from snnlib.train import MaskedSGD

    torch.manual_seed(0)
    stack = StackedMLP.from_models([build_model("SNN", 4, 2, 2, 8), build_model("SNN", 4, 2, 2, 8)])
    opt = MaskedSGD(stack, torch.tensor([0.1, 0.1]), momentum=0.9)
    x = torch.randn(6, 4)
    for step in range(6):
        for p in stack.parameters():
            p.grad = None
        stack(x).sum().backward()
        if step == 2:
            frozen = [p[1].detach().clone() for p in stack.parameters()]
        opt.step(torch.tensor([True, step < 2]))  # member 1 dies at step 2, with velocity built up
    assert all(torch.equal(p[1], f) for p, f in zip(stack.parameters(), frozen))


def test_logging_pass_handles_a_one_sample_trailing_chunk_with_batchnorm():
    X, y = toy(n=301)
    res = train_networks(ModuleStack([build_model("BatchNorm", 12, 3, 2, 8)]), [0.05], X, y,
                         cfg(epochs=1, eval_batch_size=300))
    assert len(res.loss[0]) == 2 and all(math.isfinite(v) for v in res.loss[0])


def test_checkpoints_are_specific_to_the_data_and_never_shorten_a_run(tmp_path):
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.05)]
    train_sweep(members, _ds(X, y), cfg(epochs=4, checkpoint_every=2), checkpoint_dir=tmp_path)
    X2, y2 = toy(seed=1)  # same shape, other data: must not resume from the first sweep's checkpoint
    fresh = train_sweep(members, _ds(X2, y2), cfg(epochs=4))
    other = train_sweep(members, _ds(X2, y2), cfg(epochs=4, checkpoint_every=2), checkpoint_dir=tmp_path)
    assert other[0]["loss"] == fresh[0]["loss"] and len(list(tmp_path.glob("sweep-*.pt"))) == 2
    with pytest.raises(ValueError, match="epochs must be >= the 4 epochs"):
        train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=2), checkpoint_dir=tmp_path)


def test_a_diverged_member_keeps_its_last_finite_weights():
    """After the step in which its loss became NaN/inf, a member is never updated again: its weights stay
    finite and equal from then on (the others train)."""
    from snnlib.train import build_networks

    X, y = toy()
    members = [Member("SNN", 3, 16, seed=2, lr=1e4), Member("SNN", 3, 16, seed=1, lr=0.05)]
    (net, idx), = build_networks(members, 12, 3)
    assert idx == [0, 1]
    snapshots = {}

    def snap(epoch, _res):
        snapshots[epoch] = [p[0].detach().clone() for p in net.parameters()]

    res = train_networks(net, [1e4, 0.05], X, y, cfg(epochs=4), callback=snap)
    assert res.diverged_epoch[0] == 1 and res.diverged_epoch[1] is None
    for p, first in zip(net.parameters(), snapshots[1]):
        assert torch.isfinite(p[0]).all() and torch.equal(p[0], first)
    assert res.loss[1][-1] < res.loss[1][0]


class _BatchSizes(torch.nn.Module):
    """A one-member stack's module that records the batch sizes of its training (grad-enabled) calls."""

    def __init__(self):
        super().__init__()
        self.net, self.seen = build_model("SNN", 12, 3, 1, 8), []

    def forward(self, x):
        if torch.is_grad_enabled():
            self.seen.append(x.shape[0])
        return self.net(x)


@pytest.mark.parametrize("drop_last, sizes", [(False, [32] * 9 + [12]), (True, [32] * 9)])
def test_drop_last_skips_the_trailing_partial_batch_as_the_official_code(drop_last, sizes):
    X, y = toy()  # 300 samples: 9 full batches of 32 and 12 left over
    m = _BatchSizes()
    train_networks(ModuleStack([m]), [0.01], X, y, cfg(epochs=1, drop_last=drop_last))
    assert m.seen == sizes


def test_training_mode_log_uses_each_chunks_batch_statistics_and_drops_the_partial_chunk():
    """The official Figure 1 log: BatchNorm in training mode over consecutive full batch-size chunks; the mean
    is over the samples fed. Computed here by hand with nn.BatchNorm1d, chunk by chunk."""
    X, y = toy()
    torch.manual_seed(3)
    model = build_model("BatchNorm", 12, 3, 3, 16)
    expected_loss, expected_acc, stack = [], [], StackedMLP.from_models([model])
    model.train()
    with torch.no_grad():
        for s in range(0, 288, 32):
            logits = model(X[s:s + 32])
            expected_loss.append(F.cross_entropy(logits, y[s:s + 32], reduction="sum").item())
            expected_acc.append((logits.argmax(1) == y[s:s + 32]).sum().item())
    res = train_networks(stack, [0.01], X, y, cfg(epochs=1, eval_batch_size=32, drop_last=True))
    assert res.loss[0][0] == pytest.approx(sum(expected_loss) / 288, rel=1e-5)
    assert res.accuracy[0][0] == pytest.approx(sum(expected_acc) / 288, rel=1e-6)
    whole = train_networks(StackedMLP.from_models([model]), [0.01], X, y, cfg(epochs=1))
    assert abs(whole.loss[0][0] - res.loss[0][0]) > 1e-3  # the chunking matters for BatchNorm: not vacuous


def test_drop_last_needs_a_full_batch():
    X, y = toy(n=20)
    with pytest.raises(ValueError, match="drop_last needs at least one full batch"):
        train_networks(ModuleStack([build_model("SNN", 12, 3, 1, 8)]), [0.01], X, y, cfg(drop_last=True))


def test_batchnorm_uses_tensorflows_epsilon_as_the_official_code():
    bn = [m for m in build_model("BatchNorm", 4, 2, 2, 8) if isinstance(m, torch.nn.BatchNorm1d)]
    assert [b.eps for b in bn] == [1e-3, 1e-3]
    stack = StackedMLP.from_models([build_model("BatchNorm", 4, 2, 2, 8)])
    x = torch.randn(16, 4) * 1e-2  # small activations: epsilon matters
    torch.testing.assert_close(stack(x)[0], stack.to_models()[0](x), rtol=1e-5, atol=1e-6)


class _FakeStream:
    def wait_stream(self, other):
        pass


def _fake_cuda(monkeypatch, capture_fails):
    """Stand-ins for the torch.cuda calls of _GraphedStep, so its control flow runs on a CPU."""
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


@pytest.mark.parametrize("capture_fails", [False, True])
def test_graphed_step_warms_up_captures_replays_or_falls_back_to_eager(monkeypatch, capture_fails):
    from snnlib.train import _GraphedStep

    events = _fake_cuda(monkeypatch, capture_fails)
    X, y = torch.arange(12.0).view(6, 2), torch.arange(6)
    seen = []
    g = _GraphedStep(lambda xb, yb: seen.append(yb.tolist()), X, y, 2, torch.device("cpu"))
    batches = [torch.tensor([i, i + 1]) for i in range(5)]
    if capture_fails:
        with pytest.warns(RuntimeWarning, match="running eagerly instead"):
            for b in batches:
                g(b)
        # warm-up 0-2, the failed capture of call 3 (the fake runs the Python body; a GPU would compute nothing),
        # then call 3 again eagerly and call 4 eagerly: every batch is computed, none twice on a real device
        expected = [b.tolist() for b in batches]
        assert events == ["capture"] and seen == expected[:4] + expected[3:]
    else:
        for b in batches:
            g(b)
        # 3 eager warm-up steps, one capture (computes nothing on a GPU), then replays for calls 4 and 5
        assert events == ["capture", "replay", "replay"] and seen[:3] == [b.tolist() for b in batches[:3]]


def test_compiled_training_matches_the_eager_loop_and_bad_modes_are_rejected():
    """torch.compile (here on the CPU; on a GPU its kernels are tuned and replayed in the trainer's CUDA graph)
    must train like the eager loop: same data, same updates, only the floating-point order may differ."""
    X, y = toy(n=128)
    members = [Member("SNN", 2, 16, seed=1, lr=0.05), Member("BatchNorm", 2, 16, seed=2, lr=0.05)]
    data = _ds(X, y)
    eager = train_sweep(members, data, cfg(epochs=2))
    compiled = train_sweep(members, data, cfg(epochs=2, compile=True))
    np.testing.assert_allclose([r["loss"] for r in compiled], [r["loss"] for r in eager], rtol=1e-5)
    assert eager[0]["loss"][-1] < eager[0]["loss"][0]
    with pytest.raises(ValueError, match="compile_mode"):
        cfg(compile=True, compile_mode="fastest")


def test_the_cuda_check_counts_a_graph_capture_that_fell_back_as_a_failure(monkeypatch, capsys):
    """A mode whose CUDA graph could not be captured runs eagerly and matches trivially: the check must fail it."""
    import warnings

    check = _cuda_check_script()
    real = check.train_sweep

    def falls_back(members, data, config, **kw):  # stands in for a capture failure in one mode
        if config.streams and config.cuda_graph:
            warnings.warn("CUDA graph capture failed, running eagerly instead (same results, slower): x",
                          RuntimeWarning)
        return real(members, data, config, **kw)

    monkeypatch.setattr(check, "train_sweep", falls_back)
    assert check.main(["--device", "cpu"]) == 1
    out = capsys.readouterr().out
    assert "graph+streams" in out and "graph capture failed" in out and "FAILED: ['graph+streams']" in out


# --- tests added after a mutation audit: each fails on a plausible bug the suite let through -------------------


def test_a_failed_checkpoint_write_keeps_the_previous_checkpoint_and_leaves_no_temporary_file(tmp_path,
                                                                                              monkeypatch):
    from snnlib.train import CheckpointError, save_checkpoint

    path = tmp_path / "c.pt"
    save_checkpoint(path, {"epoch": 1})

    def half_written(obj, f, *args, **kwargs):  # writes garbage, then fails (a full disk)
        with open(f, "wb") as fh:
            fh.write(b"garbage")
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


def test_momentum_steps_equal_torch_sgd():
    X, y = toy(n=64)
    torch.manual_seed(1)
    ours = build_model("SNN", 12, 3, 2, 8)
    torch.manual_seed(1)
    ref = build_model("SNN", 12, 3, 2, 8)
    train_networks(ModuleStack([ours]), [0.1], X, y, cfg(epochs=1, batch_size=32, momentum=0.9, stack=False))
    opt = torch.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    perm = epoch_permutation(64, 0, 0)
    for s in (0, 32):
        opt.zero_grad()
        F.cross_entropy(ref(X[perm[s:s + 32]]), y[perm[s:s + 32]]).backward()
        opt.step()
    for a, b in zip(ours.parameters(), ref.parameters()):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-6)


def test_a_member_that_blows_up_in_the_last_step_is_marked_by_the_final_log():
    X, y = toy(n=32)
    torch.manual_seed(0)
    res = train_networks(ModuleStack([build_model("SNN", 12, 3, 1, 4)]), [1e308], X, y, cfg(epochs=1))
    assert not math.isfinite(res.loss[0][-1]) and res.diverged_epoch[0] == 1


def test_a_trailing_single_sample_batch_is_skipped_even_without_drop_last():
    X, y = toy()  # 300 samples with batch 299: one sample left, which BatchNorm cannot normalise
    m = _BatchSizes()
    train_networks(ModuleStack([m]), [0.01], X, y, cfg(epochs=1, batch_size=299))
    assert m.seen == [299]


def test_the_training_mode_log_leaves_batchnorm_buffers_untouched():
    from snnlib.train import _evaluate

    X, y = toy()
    torch.manual_seed(0)
    net = StackedMLP.from_models([build_model("BatchNorm", 12, 3, 2, 16)])
    before = {k: v.clone() for k, v in net.named_buffers()}
    _evaluate(net, X, y, 32, True, True, torch.device("cpu"), True)
    after = dict(net.named_buffers())
    assert before and all(torch.equal(before[k], after[k]) for k in before)


def test_checkpoints_of_sweeps_that_differ_only_in_momentum_are_kept_apart(tmp_path):
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.05)]
    for momentum in (0.0, 0.9):
        train_sweep(members, _ds(X, y), cfg(epochs=2, checkpoint_every=1, momentum=momentum), checkpoint_dir=tmp_path)
    assert len(list(tmp_path.glob("sweep-*.pt"))) == 2


def test_resume_is_exact_for_dropout_members_and_members_that_diverged_before_the_checkpoint(tmp_path):
    """The random state (alpha dropout masks) and the alive mask must be restored on resume."""
    X, y = toy()
    members = [Member("SNN", 2, 16, seed=1, lr=0.05, dropout=0.05), Member("SNN", 2, 16, seed=2, lr=1e4)]
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
    members = [Member("SNN", 2, 16, seed=1, lr=0.05)]
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
