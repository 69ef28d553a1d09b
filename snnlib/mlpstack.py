"""Many plain MLPs trained as one: stacked by layer position, a hand-written backward pass, SGD applied in place.

The engine of the Figure 1 trainer (:mod:`snnlib.train`; paper Figure 1, chapter "Training deep networks:
Figure 1"). It trains k feed-forward networks of the families SNN (SELU), MSRAinit (ReLU) and BatchNorm (ReLU,
then batch normalization, as in the official Figure 1 code) on the same mini-batches, each exactly as plain SGD
on its own would train it (up to float rounding), but with far fewer and larger kernels:

* **Stacked by layer position.** Layer l of the stack holds every member deeper than l, so the first layers of
  all members are one batched matrix product and the critical path is as long as the deepest member, not the
  sum of all depths. Members are kept in "palindrome" order (one family by ascending depth, the other by
  descending depth), so the members present at every layer form one contiguous block, with each family in a
  contiguous sub-block: no gathering or copying between layers.
* **Feature-major activations.** Activations are stored as (members, features, batch), so each member's
  features are contiguous over the batch: batch normalization of all BatchNorm members of a layer is *one*
  call of PyTorch's fused batch-norm kernel (forward and backward) on a (1, members·features, batch) view.
* **No autograd.** The backward pass is written out (SELU and ReLU derivatives from the activations,
  PyTorch's fused batch-norm backward), the learning rate is folded into the output gradient, and every weight
  update is one in-place ``baddbmm_`` (W ← W − X^T·δ): no graph, no gradient tensors, no optimizer pass.
  The gradient is that of the **sum** of the per-example losses, as the official TensorFlow code computes it
  (``compute_gradients`` on the vector of per-example cross-entropies).
* **BatchNorm as the official code runs it**: training-mode batch statistics (biased variance, TensorFlow's
  epsilon 1e-3), learned scale and shift, moving averages never updated (the official code never runs their
  update ops): the running statistics stay as initialised and are used only for validation (eval mode).

The per-epoch training-loss log is a forward pass over the whole training set in large chunks, with the
batch-norm statistics of every 128-sample group computed by the same fused kernel (:meth:`MLPStack.loss_sums`).
Numerics: float32 storage; the matrix products follow ``torch.get_float32_matmul_precision`` (set by the
trainer: ``'highest'`` float32, ``'high'`` TF32 on CUDA).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from torch import nn

from snnlib.models import _BN_EPS, FNN

#: Families the stack trains (plain MLPs without dropout); others train one module at a time
#: (:class:`snnlib.train.ModuleUnit`).
FAST_FAMILIES: tuple[str, ...] = ("SNN", "MSRAinit", "BatchNorm")

# SELU is ELU with PyTorch's alpha01 and lambda01 (torch.selu calls elu with these constants; tests check them)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

_aten = torch.ops.aten


@dataclass(frozen=True)
class _Position:
    """Layer position l of the stack: the members present ([lo, hi) in stack order), where the right family
    starts inside that block (``split``, local), the layer's input/output widths, and the members whose last
    hidden layer this is (local ranges, each with the index of its output-layer group)."""

    lo: int
    hi: int
    split: int
    n_in: int
    n_out: int
    finishing: tuple[tuple[int, int, int], ...]  # (local start, local stop, output group)


def _hidden_linears(model: FNN) -> list[nn.Linear]:
    return [m for m in model if isinstance(m, nn.Linear)][:-1]


def _batchnorms(model: FNN) -> list[nn.BatchNorm1d]:
    return [m for m in model if isinstance(m, nn.BatchNorm1d)]


def stack_key(model: FNN) -> tuple:
    """Members with equal keys can share one :class:`MLPStack` (same hidden widths at every shared layer position):
    rectangular members of one width, or conic members of one width *and* depth."""
    widths = list(model.widths)
    return ("rectangular", widths[0]) if len(set(widths)) == 1 else ("layers", tuple(widths))


def can_stack(model: nn.Module, dropout: bool = False) -> bool:
    """Whether :class:`MLPStack` can train ``model``: an FNN of :data:`FAST_FAMILIES` without dropout (with
    ``dropout``: also SNN and MSRAinit members with dropout, see :class:`MLPStack`)."""
    if not (isinstance(model, FNN) and model.family in FAST_FAMILIES):
        return False
    return model.dropout_rate == 0.0 or (dropout and model.family in _DROPOUT_FAMILIES)


#: Families whose members may have dropout in a stack built with ``dropout=True``: alpha dropout for SNN,
#: standard (inverted) dropout for MSRAinit, exactly as :func:`snnlib.models.build_model` places them.
_DROPOUT_FAMILIES: tuple[str, ...] = ("SNN", "MSRAinit")


def _dropout_constants(family: str, rate: float) -> tuple[float, float, float]:
    """(s, c, d) with dropout(x) = x·s·m + c·(1 − m) + d for a keep mask m ~ Bernoulli(1 − rate): alpha dropout
    (paper §"New Dropout Technique", torch's ``alpha_dropout``: s = a, c = a·α', d = −a·α'·rate with α' = −λα)
    for SNN, inverted dropout (s = 1/(1 − rate), c = d = 0) otherwise. Rate 0 is the identity (1, ·, 0)."""
    if family != "SNN":
        return 1.0 / (1.0 - rate), 0.0, 0.0
    alpha_prime = -_SELU_SCALE * _SELU_ALPHA
    a = 1.0 / ((1.0 - rate) * (1.0 + rate * alpha_prime ** 2)) ** 0.5
    return a, a * alpha_prime, -a * alpha_prime * rate


class MLPStack(nn.Module):
    """k plain MLPs (:data:`FAST_FAMILIES`, at most two families, compatible widths) trained together.

    Build it from models made by :func:`snnlib.models.build_model` (their weights are copied, so each member
    starts exactly where its model does); :meth:`to_models` gives them back. Every public tensor of per-member
    values is in the order of ``models``. ``step`` runs one SGD step of all members on a mini-batch and
    ``loss_sums`` the forward pass of the loss log. Everything is an in-place update of the module's buffers,
    so a step can be captured and replayed as a CUDA graph. See chapter "Training deep networks: Figure 1".
    """

    def __init__(self, models: Sequence[FNN], dropout: bool = False) -> None:
        super().__init__()
        if len(models) == 0:
            raise ValueError("models must hold at least one model, got an empty list")
        for m in models:
            if not can_stack(m, dropout):
                raise ValueError(f"models must be FNNs of families {FAST_FAMILIES} without dropout, got "
                                 f"{getattr(m, 'family', type(m).__name__)!r}"
                                 + (" with dropout" if getattr(m, "dropout_rate", 0.0) else ""))
        families = list(dict.fromkeys(m.family for m in models))
        if dropout and "BatchNorm" in families and len(families) > 1:
            raise ValueError("a stack with dropout=True must not mix BatchNorm with other families")
        if len(families) > 2:
            raise ValueError(f"models must come from at most two families, got {families}")
        families.sort(key=FAST_FAMILIES.index)
        if len({stack_key(m) for m in models}) > 1:
            raise ValueError("models must share their hidden widths (one width for rectangular members; one width "
                             "and depth for conic ones)")
        # palindrome order: left family by ascending depth, right family by descending depth (ties: input order)
        self.right_family = families[-1]
        self.left_family = families[0] if len(families) == 2 else None
        left = sorted((i for i, m in enumerate(models) if m.family == self.left_family),
                      key=lambda i: (len(models[i].widths), i))
        right = sorted((i for i, m in enumerate(models) if m.family == self.right_family),
                       key=lambda i: (-len(models[i].widths), i))
        self.order = left + right  # stack position -> index into models
        self.k, self.n_left = len(models), len(left)
        self.depths = [len(models[i].widths) for i in self.order]
        self.families = [models[i].family for i in self.order]
        first_lin = [m for m in models[0] if isinstance(m, nn.Linear)]
        self.n_in, self.n_out = first_lin[0].in_features, first_lin[-1].out_features
        inverse = [0] * self.k
        for pos, i in enumerate(self.order):
            inverse[i] = pos
        self.register_buffer("inverse", torch.tensor(inverse, dtype=torch.long), persistent=False)
        self.register_buffer("lr", torch.zeros(self.k), persistent=False)  # stack order; see set_lr
        # weight decay: every weight matrix is multiplied by this factor in each step (stack order; set_decay)
        self.register_buffer("decay", torch.ones(self.k), persistent=False)
        self.decaying = False
        # dropout in training steps (stack order): keep probability and the constants of _dropout_constants
        rates = [float(models[i].dropout_rate) for i in self.order]
        self.dropping = any(r > 0 for r in rates)
        consts = [_dropout_constants(models[i].family, r) for i, r in zip(self.order, rates)]
        self.register_buffer("drop_rate", torch.tensor(rates), persistent=False)
        self.register_buffer("drop_const", torch.tensor(consts, dtype=torch.float32), persistent=False)
        #: Generator of the dropout masks (None: torch's global generator of the device).
        self.generator: torch.Generator | None = None
        self._drops: list[tuple[torch.Tensor, torch.Tensor] | None] = []

        ordered = [models[i] for i in self.order]
        self.positions: list[_Position] = []
        out_groups: list[tuple[int, int]] = []  # stack-order ranges of the output layer groups
        for l in range(max(self.depths)):
            present = [j for j in range(self.k) if self.depths[j] > l]
            lo, hi = present[0], present[-1] + 1
            width_in = self.n_in if l == 0 else ordered[lo].widths[l - 1]
            finishing = []
            for a, b in self._runs([j for j in present if self.depths[j] == l + 1]):
                finishing.append((a - lo, b - lo, len(out_groups)))
                out_groups.append((a, b))
            self.positions.append(_Position(lo, hi, min(max(self.n_left - lo, 0), hi - lo), width_in,
                                            ordered[lo].widths[l], tuple(finishing)))
        self.out_groups = out_groups
        with torch.no_grad():
            for l, p in enumerate(self.positions):
                lins = [_hidden_linears(ordered[j])[l] for j in range(p.lo, p.hi)]
                self.register_buffer(f"weight_{l}", torch.stack([x.weight.detach() for x in lins]).clone())
                self.register_buffer(f"bias_{l}", torch.stack([x.bias.detach() for x in lins])[:, :, None].clone())
                bn_lo, bn_hi = self._bn_range(p)
                if bn_hi > bn_lo:
                    norms = [_batchnorms(ordered[p.lo + j])[l] for j in range(bn_lo, bn_hi)]
                    for name, attr in (("bn_weight", "weight"), ("bn_bias", "bias"), ("running_mean", "running_mean"),
                                       ("running_var", "running_var")):
                        self.register_buffer(f"{name}_{l}", torch.cat([getattr(x, attr).detach() for x in norms]))
            for g, (a, b) in enumerate(out_groups):
                outs = [[x for x in ordered[j] if isinstance(x, nn.Linear)][-1] for j in range(a, b)]
                self.register_buffer(f"out_weight_{g}", torch.stack([x.weight.detach() for x in outs]).clone())
                self.register_buffer(f"out_bias_{g}", torch.stack([x.bias.detach() for x in outs])[:, :, None].clone())

    @staticmethod
    def _runs(indices: list[int]) -> list[tuple[int, int]]:
        """Sorted indices as maximal runs of consecutive integers ``[(start, stop), ...]``."""
        runs: list[tuple[int, int]] = []
        for i in indices:
            if runs and runs[-1][1] == i:
                runs[-1] = (runs[-1][0], i + 1)
            else:
                runs.append((i, i + 1))
        return runs

    def _bn_range(self, p: _Position) -> tuple[int, int]:
        """Local range of the BatchNorm members at position ``p`` (empty if none). BatchNorm comes last in
        :data:`FAST_FAMILIES`, so it is always the right family."""
        return (p.split, p.hi - p.lo) if self.right_family == "BatchNorm" else (0, 0)

    def _buf(self, name: str, l: int) -> torch.Tensor:
        return getattr(self, f"{name}_{l}")

    # ------------------------------------------------------------------------------------------------ public
    def set_lr(self, lrs: torch.Tensor) -> None:
        """Learning rates (k,) in the order of the models; 0 freezes a member (in place, graph-safe)."""
        self.lr.copy_(lrs.to(self.lr)[self.order])

    def set_decay(self, factors: torch.Tensor) -> None:
        """L2 weight decay: per member (order of the models) the factor 1 − lr·l2 by which every weight matrix
        (not biases) shrinks in each step, applied after the gradient is taken at the old weights, so a step is
        W ← (1 − lr·l2)·W − lr·∂L/∂W, the gradient of L + (l2/2)·Σ‖W‖² (torch.optim.SGD's ``weight_decay``)."""
        self.decay.copy_(factors.to(self.decay)[self.order])
        self.decaying = bool((self.decay != 1).any())

    @torch.no_grad()
    def step(self, xT: torch.Tensor, y: torch.Tensor, mask: torch.Tensor | None = None,
             scale: torch.Tensor | float | None = None) -> None:
        """One SGD step of every member on the mini-batch ``xT`` (features × batch) with labels ``y`` (batch,):
        p ← p − lr · ∂(Σ_batch cross-entropy)/∂p, in place. BatchNorm members normalise over the whole batch.

        With ``mask`` (outputs × batch, 1 where a label is present) the loss is the masked multi-task binary
        cross-entropy instead: ``y`` (outputs × batch) holds 0/1 labels (anything where ``mask`` is 0) and the
        gradient w.r.t. the logits is (sigmoid − y)·mask. ``scale`` multiplies the gradient (e.g. 1/count for a
        mean). Members with dropout (stack built with ``dropout=True``) draw fresh masks in every step."""
        outs, zs, stats, logits = self._forward(xT, xT.shape[1], True, save=True)
        if mask is None:  # gradient of the summed cross-entropy w.r.t. the logits
            grad = torch.softmax(logits, dim=1)
            grad.scatter_add_(1, y.view(1, 1, -1).expand(self.k, 1, -1), torch.full_like(grad[:, :1], -1.0))
        else:
            grad = torch.sigmoid(logits).sub_(y).mul_(mask)
        if scale is not None:
            grad.mul_(scale)
        grad.mul_(self.lr.view(-1, 1, 1))  # times each member's learning rate
        self._backward(xT, grad, outs, zs, stats)

    @torch.no_grad()
    def logits(self, xT: torch.Tensor, group: int | None = None, train_mode: bool = True) -> torch.Tensor:
        """Logits (k, classes, n) of every member (order of the models) for inputs ``xT`` (features × n).
        ``train_mode``: BatchNorm normalises each consecutive ``group`` of samples (default: all n) by its own
        statistics, as in training; otherwise by the running statistics (never updated: as initialised)."""
        return self._forward(xT, group or xT.shape[1], train_mode, save=False)[3][self.inverse]

    @torch.no_grad()
    def loss_sums(self, XT: torch.Tensor, y: torch.Tensor, group: int, train_mode: bool,
                  rows: int = 8192) -> tuple[torch.Tensor, torch.Tensor]:
        """Summed cross-entropy (float32) and number of correct predictions of every member (order of the
        models) over the samples ``XT`` (features × n) with labels ``y``, in forward passes over chunks of about
        ``rows`` samples. In training mode BatchNorm normalises each consecutive ``group`` of samples by its own
        statistics (n must be a multiple of ``group``: the official code feeds full batches only)."""
        n = XT.shape[1]
        if train_mode and n % group:
            raise ValueError(f"the number of samples ({n}) must be a multiple of group ({group}) in training mode")
        chunk = max(group, rows // group * group)
        loss = torch.zeros(self.k, device=XT.device)
        correct = torch.zeros(self.k, dtype=torch.long, device=XT.device)
        for start in range(0, n, chunk):
            xs, ys = XT[:, start:start + chunk], y[start:start + chunk]
            out = self._forward(xs, group if train_mode else xs.shape[1], train_mode, save=False)[3]
            index = ys.view(1, 1, -1).expand(self.k, 1, -1)
            loss -= torch.log_softmax(out, dim=1).gather(1, index).sum((1, 2))
            correct += (out.argmax(1) == ys).sum(1)
        return loss[self.inverse], correct[self.inverse]

    def to_models(self) -> list[FNN]:
        """The members as separate :class:`snnlib.models.FNN` modules (CPU, in the order of the models)."""
        from snnlib.models import build_model

        models: list[FNN] = [None] * self.k  # type: ignore[list-item]
        with torch.no_grad():
            for pos, i in enumerate(self.order):
                widths = [p.n_out for p in self.positions[:self.depths[pos]]]
                model = build_model(self.families[pos], self.n_in, self.n_out, len(widths), widths[0],
                                    "rectangular" if len(set(widths)) == 1 else "conic")
                lins, norms = [x for x in model if isinstance(x, nn.Linear)], _batchnorms(model)
                for l in range(self.depths[pos]):
                    p = self.positions[l]
                    local = pos - p.lo
                    lins[l].weight.copy_(self._buf("weight", l)[local])
                    lins[l].bias.copy_(self._buf("bias", l)[local, :, 0])
                    if norms:
                        b = local - self._bn_range(p)[0]
                        for attr, name in (("weight", "bn_weight"), ("bias", "bn_bias"),
                                           ("running_mean", "running_mean"), ("running_var", "running_var")):
                            getattr(norms[l], attr).copy_(self._buf(name, l).view(-1, p.n_out)[b])
                g = next(g for g, (a, b) in enumerate(self.out_groups) if a <= pos < b)
                lins[-1].weight.copy_(self._buf("out_weight", g)[pos - self.out_groups[g][0]])
                lins[-1].bias.copy_(self._buf("out_bias", g)[pos - self.out_groups[g][0], :, 0])
                models[i] = model.cpu()
        return models

    # ------------------------------------------------------------------------------------------------ passes
    def _input(self, l: int, xT: torch.Tensor, outs: list[torch.Tensor]) -> torch.Tensor:
        """The input (members of position l, features, batch) of position l: the data for l = 0, else the
        block of position l − 1's output that belongs to the members present at l."""
        p = self.positions[l]
        if l == 0:
            return xT.expand(p.hi - p.lo, *xT.shape)
        below = self.positions[l - 1]
        return outs[l - 1][p.lo - below.lo:p.hi - below.lo]

    def _forward(self, xT: torch.Tensor, group: int, train_mode: bool, save: bool):
        """Forward pass of all members on ``xT`` (features × n): returns the output of every layer position (if
        ``save``), the ReLU outputs of the BatchNorm members and their batch statistics (where present) and the
        logits (k, classes, n) in stack order."""
        logits = xT.new_empty(self.k, self.n_out, xT.shape[1])
        outs: list[torch.Tensor] = []
        zs: list[torch.Tensor | None] = []
        stats: list[tuple[torch.Tensor, torch.Tensor] | None] = []
        for l, p in enumerate(self.positions):
            inp = self._input(l, xT, outs)
            z = torch.baddbmm(self._buf("bias", l), self._buf("weight", l), inp)
            bn_lo, bn_hi = self._bn_range(p)
            out = z if bn_hi == bn_lo else torch.empty_like(z)
            for lo, hi, fam in ((0, p.split, self.left_family), (p.split, p.hi - p.lo, self.right_family)):
                if hi == lo:
                    continue
                if fam == "SNN":
                    _aten.elu.out(z[lo:hi], _SELU_ALPHA, _SELU_SCALE, 1.0, out=out[lo:hi])
                elif fam == "MSRAinit":
                    torch.clamp(z[lo:hi], min=0.0, out=out[lo:hi])
                else:  # BatchNorm: ReLU in place (z keeps it for the backward pass), then the normalization
                    z[lo:hi].relu_()
            stat = self._batchnorm(l, z[bn_lo:bn_hi], out[bn_lo:bn_hi], group, train_mode) if bn_hi > bn_lo else None
            if save:
                if l == 0:
                    self._drops = []
                self._drops.append(None)
                if self.dropping and bool((self.drop_rate[p.lo:p.hi] > 0).any()):
                    out, self._drops[l] = self._dropout(p, out)
            for lo, hi, g in p.finishing:
                a, b = self.out_groups[g]
                torch.baddbmm(self._buf("out_bias", g), self._buf("out_weight", g), out[lo:hi], out=logits[a:b])
            outs.append(out)
            zs.append(z if save and bn_hi > bn_lo else None)
            stats.append(stat if save else None)
            if not save and l > 0:
                outs[l - 1] = None  # type: ignore[call-overload]  # only the backward pass needs it
        return outs, zs, stats, logits

    def _dropout(self, p: _Position, act: torch.Tensor) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """Dropout of the activations ``act`` (members of position p, features, batch) in a training step:
        returns x·A + B (A = s·m, B = c·(1 − m) + d, see :func:`_dropout_constants`) and (A, act) for the
        backward pass (the activation derivative is taken from the activations before dropout)."""
        rate = self.drop_rate[p.lo:p.hi].view(-1, 1, 1)
        s, c, d = (self.drop_const[p.lo:p.hi, j].view(-1, 1, 1) for j in range(3))
        keep = (torch.rand(act.shape, generator=self.generator, device=act.device) >= rate).to(act.dtype)
        scale = keep * s
        dropped = torch.addcmul(d + c * (1.0 - keep), act, scale)
        return dropped, (scale, act)

    def _batchnorm(self, l: int, r: torch.Tensor, out: torch.Tensor, group: int,
                   train_mode: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """Batch normalization of the BatchNorm members' ReLU outputs ``r`` (members, features, n) into ``out``:
        one fused kernel on the (1, channels, group) view, where every (member, feature, group of samples) is a
        channel. Returns the per-channel (mean, 1/std) the backward pass needs."""
        nb, w, n = r.shape
        weight, bias = self._buf("bn_weight", l), self._buf("bn_bias", l)
        empty = r.new_empty(0)
        if not train_mode:  # the running statistics (never updated, as in the official code)
            _aten.native_batch_norm.out(r.reshape(1, nb * w, n), weight, bias, self._buf("running_mean", l),
                                        self._buf("running_var", l), False, 0.0, _BN_EPS, out=out.view(1, nb * w, n),
                                        save_mean=empty, save_invstd=r.new_empty(0))
            return empty, empty
        groups = n // group
        if groups > 1:  # each group of samples is a channel of its own: repeat scale and shift per group
            weight, bias = weight.repeat_interleave(groups), bias.repeat_interleave(groups)
        channels = nb * w * groups
        mean, invstd = r.new_empty(channels), r.new_empty(channels)
        _aten.native_batch_norm.out(r.reshape(1, channels, group), weight, bias, None, None, True, 0.0, _BN_EPS,
                                    out=out.view(1, channels, group), save_mean=mean, save_invstd=invstd)
        return mean, invstd

    def _backward(self, xT: torch.Tensor, grad: torch.Tensor, outs: list[torch.Tensor],
                  zs: list[torch.Tensor | None], stats: list) -> None:
        """Back-propagate the lr-scaled output gradient ``grad`` (k, classes, batch) and apply every update in
        place: W ← W − δ·X^T by ``baddbmm_`` per layer position; biases, scales and shifts by one multi-tensor
        subtraction at the end."""
        updates: list[torch.Tensor] = []
        deltas: list[torch.Tensor] = []
        batch = grad.shape[2]
        top = self.positions[-1]
        g = grad.new_empty(top.hi - top.lo, top.n_out, batch)  # gradient w.r.t. the output of position l
        for l in range(len(self.positions) - 1, -1, -1):
            p, out = self.positions[l], outs[l]
            n = p.hi - p.lo
            for lo, hi, gi in p.finishing:  # the output layer of the members whose last hidden layer this is
                a, b = self.out_groups[gi]
                w_out = self._buf("out_weight", gi)
                torch.bmm(w_out.transpose(1, 2), grad[a:b], out=g[lo:hi])
                if self.decaying:
                    w_out.mul_(self.decay[a:b].view(-1, 1, 1))
                w_out.baddbmm_(grad[a:b], out[lo:hi].transpose(1, 2), alpha=-1.0)
                updates.append(self._buf("out_bias", gi))
                deltas.append(grad[a:b].sum(2, keepdim=True))
            drop = self._drops[l] if self._drops else None
            if drop is not None:  # through the dropout: the gradient w.r.t. the activations before it
                g = g * drop[0]
                out = drop[1]
            dz = torch.empty_like(g)  # through the activation: dz = g · f'(z)
            bn_lo, bn_hi = self._bn_range(p)
            for lo, hi, fam in ((0, p.split, self.left_family), (p.split, n, self.right_family)):
                if hi == lo:
                    continue
                if fam == "SNN":  # f' from the output: λ for out > 0, out + λα otherwise
                    _aten.elu_backward.grad_input(g[lo:hi], _SELU_ALPHA, _SELU_SCALE, 1.0, True, out[lo:hi],
                                                  grad_input=dz[lo:hi])
                elif fam == "MSRAinit":
                    _aten.threshold_backward.grad_input(g[lo:hi], out[lo:hi], 0, grad_input=dz[lo:hi])
            if bn_hi > bn_lo:
                r = zs[l][bn_lo:bn_hi]  # type: ignore[index]
                nb, w, _ = r.shape
                mean, invstd = stats[l]
                d_r, d_weight, d_bias = _aten.native_batch_norm_backward(
                    g[bn_lo:bn_hi].reshape(1, nb * w, batch), r.reshape(1, nb * w, batch), self._buf("bn_weight", l),
                    None, None, mean, invstd, True, _BN_EPS, [True, True, True])
                _aten.threshold_backward.grad_input(d_r.view(nb, w, batch), r, 0, grad_input=dz[bn_lo:bn_hi])
                updates += [self._buf("bn_weight", l), self._buf("bn_bias", l)]
                deltas += [d_weight, d_bias]
            weight = self._buf("weight", l)
            if l > 0:  # gradient w.r.t. the output of position l − 1, computed before the weights move
                below = self.positions[l - 1]
                g_below = grad.new_empty(below.hi - below.lo, below.n_out, batch)
                torch.bmm(weight.transpose(1, 2), dz, out=g_below[p.lo - below.lo:p.hi - below.lo])
            if self.decaying:
                weight.mul_(self.decay[p.lo:p.hi].view(-1, 1, 1))
            weight.baddbmm_(dz, self._input(l, xT, outs).transpose(1, 2), alpha=-1.0)
            updates.append(self._buf("bias", l))
            deltas.append(dz.sum(2, keepdim=True))
            if l > 0:
                g = g_below
        torch._foreach_sub_(updates, deltas)
        self._drops = []
