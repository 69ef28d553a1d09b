"""Trainer for the paper's FNN sweeps: many networks at once, data on the device, resumable, divergence-aware.

Implements the training protocol of the paper's Figure 1 (official code: plain SGD, mini-batches of 128, the
training loss over the whole training set logged once per epoch before that epoch's updates, in training mode;
paper §"Normalization and SNNs", Figure 1) for any list of networks; see chapter "Training deep networks:
Figure 1".

Design (what makes it fast and exact):

* The whole dataset lives on the device when it fits; each epoch's order is a seeded permutation drawn on the
  device (:func:`epoch_permutation`), so no per-batch host copies and no host sync inside an epoch.
* Networks of equal widths and stackable families are trained as one :class:`snnlib.models.StackedMLP`
  (weights (k, in, out), one ``baddbmm`` per layer); others run as a :class:`ModuleStack`. All units of a sweep
  train in one loop (:class:`UnitStack`): one CUDA graph per step, optionally one CUDA stream per unit.
* One optimizer, :class:`MaskedSGD`, updates all members with per-member learning rates and a per-member
  "alive" mask: a member whose loss turns NaN/inf stops being updated, the epoch is recorded, the rest go on.
* The full-training-set loss and accuracy are accumulated on the device; one ``.cpu()`` per epoch.
* Checkpoints (weights, optimizer buffers, RNG states, history) are written atomically every N epochs and
  loaded with ``torch.load(..., weights_only=True)``; a resumed run reproduces the uninterrupted one exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from snnlib.models import (
    FAMILIES,
    OUTPUT_INITS,
    SHAPES,
    STACKABLE,
    StackedMLP,
    build_model,
    count_params,
    hidden_widths,
)
from snnlib.reproducibility import RESULT_FILE_MODE, git_commit

logger = logging.getLogger(__name__)

#: Keys every checkpoint written by :func:`save_checkpoint` for the trainer holds.
CHECKPOINT_KEYS = frozenset({"epoch", "model", "optimizer", "rng", "alive", "div_epoch", "history"})


@functools.lru_cache(maxsize=1)
def _code_version() -> str:
    """:func:`snnlib.reproducibility.git_commit`, once per process (a tabular sweep trains thousands of groups)."""
    return git_commit()


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be read or written. The message names the file, the cause and what to do; an
    unreadable checkpoint is never used, and a failed write leaves the previous checkpoint in place."""


class TrainingInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM turned into it by the command lines) during training. ``checkpoint`` is the sweep's
    checkpoint file (None without checkpointing) and ``saved_epoch`` the epoch it holds (None if none was saved
    yet): a rerun resumes from there."""

    def __init__(self, checkpoint: Path | None, saved_epoch: int | None, epoch: int) -> None:
        super().__init__(f"interrupted in epoch {epoch + 1}")
        self.checkpoint, self.saved_epoch, self.epoch = checkpoint, saved_epoch, epoch


def pick_device(device: str = "auto") -> torch.device:
    """``'auto'`` → cuda if available, else mps, else cpu; any other string is passed to ``torch.device``."""
    if device == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    try:
        dev = torch.device(device)
    except RuntimeError as exc:
        raise ValueError(f"device must be 'auto', 'cpu', 'cuda[:i]' or 'mps', got {device!r}") from exc
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device {device!r} requested but CUDA is not available (use 'auto' or 'cpu')")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        raise ValueError(f"device {device!r} requested but only {torch.cuda.device_count()} CUDA device(s) exist")
    if dev.type == "mps" and not (getattr(torch.backends, "mps", None) is not None
                                  and torch.backends.mps.is_available()):
        raise ValueError(f"device {device!r} requested but MPS is not available (use 'auto' or 'cpu')")
    return dev


def device_name(device: torch.device) -> str:
    """Human-readable name of the device (GPU model for CUDA)."""
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return device.type


def synchronize(device: torch.device) -> None:
    """Wait for queued kernels on ``device`` (needed for honest timings)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def epoch_permutation(n: int, seed: int, epoch: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """The order of the ``n`` training samples in ``epoch``: a permutation drawn from a generator seeded by
    (seed, epoch), on the device for CUDA (so resuming at any epoch reproduces the same order)."""
    device = torch.device(device)
    gen_device = device if device.type == "cuda" else torch.device("cpu")
    gen = torch.Generator(device=gen_device)
    gen.manual_seed(int(seed) * 1_000_003 + int(epoch))
    return torch.randperm(n, generator=gen, device=gen_device).to(device)


@dataclass
class Member:
    """One network of a sweep: its family and size (see :func:`snnlib.models.build_model`), seed and learning rate.

    ``output_init``: how the output layer starts (:data:`snnlib.models.OUTPUT_INITS`; paper Figure 1 runs use
    ``'glorot_uniform'``, the official code's).
    """

    family: str
    depth: int
    width: int
    seed: int = 0
    lr: float = 1e-5
    shape: str = "rectangular"
    dropout: float = 0.0
    output_init: str = "family"

    def __post_init__(self) -> None:
        if self.output_init not in OUTPUT_INITS:
            raise ValueError(f"output_init must be one of {OUTPUT_INITS}, got {self.output_init!r}")
        if self.family not in FAMILIES:
            raise ValueError(f"family must be one of {FAMILIES}, got {self.family!r}")
        if self.shape not in SHAPES:
            raise ValueError(f"shape must be one of {SHAPES}, got {self.shape!r}")
        if not (isinstance(self.lr, (int, float)) and math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr (learning rate) must be finite and > 0, got {self.lr!r}")

    @property
    def label(self) -> str:
        return f"{self.family} Depth {self.depth}"


#: ``torch.compile`` modes for :class:`TrainConfig` (the first two leave CUDA graphs to the trainer).
COMPILE_MODES: tuple[str, ...] = ("default", "max-autotune-no-cudagraphs", "reduce-overhead", "max-autotune")


@dataclass
class TrainConfig:
    """How to train: plain SGD on mini-batches (batch 128 as in paper Figure 1 by default).

    ``eval_batch_size``: chunk size of the per-epoch loss log (in training mode BatchNorm normalises each chunk
    by its own statistics, so the chunk size shapes the logged BatchNorm curves; the official Figure 1 code logs
    in chunks of the training batch size). ``drop_last``: skip the trailing partial mini-batch in training and
    the trailing partial chunk in the log, as the official Figure 1 code does (it feeds full batches only).
    :func:`snnlib.experiments.run_figure1` sets both as the official code has them.
    ``stack``: train equal-width members as one :class:`StackedMLP`; ``cuda_graph``: replay each step (and each
    chunk of the training-mode log) as a CUDA graph; ``streams``: run the units of a sweep on separate CUDA
    streams (:class:`UnitStack`); ``tf32``: let float32 matmuls use TensorFloat-32 (CUDA tensor cores; about 10
    mantissa bits instead of 23, so results differ from strict float32 — off by default for fidelity, recorded
    in every result file). ``compile``: ``torch.compile`` the networks in ``compile_mode`` (:data:`COMPILE_MODES`);
    with ``'default'`` and ``'max-autotune-no-cudagraphs'`` (kernels tuned for these matrix shapes) the compiled
    step is still replayed as the trainer's CUDA graph, the other two modes bring CUDA graphs of their own.
    """

    epochs: int = 10
    batch_size: int = 128
    momentum: float = 0.0
    data_seed: int = 0
    device: str = "auto"
    eval_batch_size: int = 10_000
    checkpoint_every: int = 0
    progress: bool = True
    compile: bool = False
    stack: bool = True
    cuda_graph: bool = True
    streams: bool = False
    tf32: bool = False
    drop_last: bool = False
    compile_mode: str = "default"

    def __post_init__(self) -> None:
        if self.compile_mode not in COMPILE_MODES:
            raise ValueError(f"compile_mode must be one of {COMPILE_MODES}, got {self.compile_mode!r}")
        for name, low in (("epochs", 1), ("batch_size", 1), ("eval_batch_size", 1), ("checkpoint_every", 0),
                          ("data_seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
            object.__setattr__(self, name, int(value))  # numpy integers become ints (JSON, fingerprints)
        if not 0.0 <= self.momentum < 1.0:
            raise ValueError(f"momentum must be in [0, 1), got {self.momentum!r}")


class ModuleStack(nn.Module):
    """k ordinary modules behind the stacked interface: ``forward(x)`` returns logits of shape (k, batch, out)."""

    def __init__(self, models: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(models) == 0:
            raise ValueError("models must hold at least one model, got an empty list")
        self.members = nn.ModuleList(models)
        self.k = len(models)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.stack([m(x) for m in self.members])


class UnitStack(nn.Module):
    """Several trainable units (:class:`StackedMLP` / :class:`ModuleStack`) trained in one loop, one step each
    per mini-batch: ``forward(x)`` concatenates their logits to shape (k, batch, out), k = Σ unit.k.

    Every unit sees the same mini-batches it would see alone (the epoch order depends only on the data seed),
    so each member's history equals that of training its unit on its own. On CUDA the whole sweep's step is
    then one CUDA graph, and with ``streams=True`` each unit runs on its own CUDA stream (forward and, since
    autograd replays a node on its forward stream, backward), so the small batch-128 kernels of the depth-8,
    16 and 32 networks of paper Figure 1 fill the GPU side by side instead of one after another.
    See chapter "Training deep networks: Figure 1".
    """

    def __init__(self, units: Sequence[nn.Module], streams: bool = False) -> None:
        super().__init__()
        if len(units) == 0:
            raise ValueError("units must hold at least one StackedMLP or ModuleStack, got an empty list")
        for u in units:
            if not isinstance(u, (StackedMLP, ModuleStack)):
                raise ValueError(f"units must be StackedMLP or ModuleStack modules, got {type(u).__name__}")
        self.units = nn.ModuleList(units)
        self.k = sum(u.k for u in units)
        self.streams = bool(streams)
        self._cuda_streams: list[torch.cuda.Stream] | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not (self.streams and x.is_cuda and len(self.units) > 1):
            return torch.cat([u(x) for u in self.units])
        current = torch.cuda.current_stream(x.device)
        if self._cuda_streams is None:
            self._cuda_streams = [torch.cuda.Stream(x.device) for _ in self.units]
        outs = []
        for unit, stream in zip(self.units, self._cuda_streams):
            stream.wait_stream(current)  # fork: x is ready
            with torch.cuda.stream(stream):
                outs.append(unit(x))
        for stream in self._cuda_streams:
            current.wait_stream(stream)  # join before anything reads the logits
        return torch.cat(outs)


def _member_of_params(net: nn.Module, offset: int = 0) -> list[tuple[nn.Parameter, int | slice]]:
    """Each parameter with the member(s) it belongs to: an index, or a slice of members stacked along dim 0."""
    if isinstance(net, UnitStack):
        out: list[tuple[nn.Parameter, int | slice]] = []
        for unit in net.units:
            out += _member_of_params(unit, offset)
            offset += unit.k
        return out
    if isinstance(net, ModuleStack):
        return [(p, offset + j) for j, m in enumerate(net.members) for p in m.parameters()]
    if isinstance(net, StackedMLP):
        return [(p, slice(offset + sl.start, offset + sl.stop)) for p, sl in net.param_members()]
    raise ValueError(f"net must be a StackedMLP, ModuleStack or UnitStack, got {type(net).__name__}")


class MaskedSGD:
    """Plain SGD (optional heavy-ball momentum) with per-member learning rates and a per-member alive mask.

    The learning rates are folded into the loss (:func:`train_networks` back-propagates ``Σ_j lr_j · L_j``), so
    the gradients arriving here are already ``lr_j · ∇L_j``; :meth:`step` zeroes those of diverged members
    (their NaN/inf gradients included) and applies ``p ← p − g`` with one fused multi-tensor kernel. Works on
    stacked parameters (member = dim 0), on :class:`ModuleStack` members and on a :class:`UnitStack` of both.
    No host sync, CUDA-graph safe.
    """

    def __init__(self, net: nn.Module, lrs: torch.Tensor, momentum: float = 0.0) -> None:
        self.params = _member_of_params(net)
        self.lrs = lrs
        self.momentum = momentum
        self.buffers: list[torch.Tensor] | None = None

    @torch.no_grad()
    def step(self, alive: torch.Tensor) -> None:
        zero = torch.zeros((), dtype=self.lrs.dtype, device=self.lrs.device)
        # Off CUDA a host check is free: while every member is alive there is nothing to mask (saves a full
        # pass over every gradient, ~12 % of a CPU step). On CUDA the mask is always applied (no sync, graphable).
        mask = alive.is_cuda or not bool(alive.all())
        params, grads, keeps = [], [], []
        for p, member in self.params:
            if p.grad is None:
                continue
            params.append(p)
            if not mask:
                grads.append(p.grad)
                continue
            if isinstance(member, slice):
                keep = alive[member].view((-1,) + (1,) * (p.dim() - 1))
            else:
                keep = alive[member]
            keeps.append(keep)
            grads.append(torch.where(keep, p.grad, zero))
        if self.momentum:
            if self.buffers is None:
                self.buffers = [g.clone() for g in grads]
            else:
                torch._foreach_mul_(self.buffers, self.momentum)
                torch._foreach_add_(self.buffers, grads)
            # a diverged member's velocity must not keep moving it: mask the step, not only the gradient
            grads = [torch.where(k, b, zero) for k, b in zip(keeps, self.buffers)] if mask else self.buffers
        torch._foreach_sub_(params, grads)

    def state_dict(self) -> dict[str, Any]:
        return {"lrs": self.lrs.cpu(), "momentum": self.momentum,
                "buffers": None if self.buffers is None else [b.cpu() for b in self.buffers]}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        device = self.lrs.device
        self.lrs.copy_(state["lrs"].to(device))
        self.momentum = float(state["momentum"])
        self.buffers = None if state["buffers"] is None else [b.to(device) for b in state["buffers"]]


def _rng_state() -> dict[str, Any]:
    state: dict[str, Any] = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_checkpoint(path: str | os.PathLike, payload: dict[str, Any]) -> None:
    """``torch.save`` to a temporary file in the same folder, then ``os.replace`` (atomic on POSIX and Windows).

    A failed write (disk full, read-only folder) raises :class:`CheckpointError` and leaves the previous
    checkpoint untouched; the temporary file is removed in every case (Ctrl-C included).
    """
    path = Path(path)
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        os.fchmod(fd, RESULT_FILE_MODE)  # mkstemp makes 0600; a checkpoint is as shareable as the results beside it
        os.close(fd)
        torch.save(payload, tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())  # on disk before it replaces the previous checkpoint
        os.replace(tmp, path)
    except (OSError, RuntimeError) as exc:  # torch reports a full disk as a RuntimeError ("unexpected pos")
        try:
            free = f"; {shutil.disk_usage(path.parent).free / 2**20:.0f} MiB free there"
        except OSError:
            free = ""
        kept = "the previous checkpoint is kept" if path.exists() else "no earlier checkpoint exists"
        raise CheckpointError(f"cannot write checkpoint {path} ({type(exc).__name__}: "
                              f"{_first_line(exc)}{free}); {kept}") from exc
    finally:
        if tmp is not None and os.path.exists(tmp):
            os.remove(tmp)


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[:limit] + "..."


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True`` (no arbitrary unpickling).

    A file that is truncated, empty, not a checkpoint or holds anything but tensors and plain data raises
    :class:`CheckpointError` naming it (it is not used; delete it to start over).
    """
    import pickle
    import zipfile

    from snnlib._validate import is_out_of_memory

    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except OSError as exc:  # the file system's problem (permissions, I/O), not the file's: no advice to delete
        raise CheckpointError(f"checkpoint {path} cannot be read ({exc.strerror or exc})") from exc
    except pickle.UnpicklingError:  # its text advises unsafe loading: not repeated
        if zipfile.is_zipfile(path):  # a well-formed torch file that asks for arbitrary classes
            cause = "it holds objects other than tensors and plain data, so it is not loaded (it could run code)"
        else:
            cause = "the file is corrupt or not a torch checkpoint (UnpicklingError)"
    except Exception as exc:  # noqa: BLE001 - torch raises RuntimeError, EOFError, ValueError... for bad files
        if isinstance(exc, MemoryError) or is_out_of_memory(exc):
            raise
        cause = (f"the file is corrupt or not a torch checkpoint ({type(exc).__name__}"
                 f"{': ' + _first_line(exc) if _first_line(exc) else ''})")
    else:
        if isinstance(state, dict) and CHECKPOINT_KEYS <= set(state):
            return state
        cause = "not a checkpoint of snnlib's trainer (keys missing)"
    raise CheckpointError(f"checkpoint {path} cannot be used: {cause}. Delete it to start that sweep over "
                          "(its epochs are lost) or restore a good copy")


def _place(X: Any, y: Any, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, bool]:
    """Move the data to ``device`` if it fits (CUDA: uses at most half the free memory); else keep it on host."""
    X = torch.as_tensor(X, dtype=torch.float32)
    y = torch.as_tensor(y, dtype=torch.long)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        if X.element_size() * X.numel() + y.element_size() * y.numel() > free // 2:
            return X.pin_memory(), y.pin_memory(), False
    return X.to(device), y.to(device), True


class _GraphedStep:
    """Replays one full-batch training step (gather, forward, backward, SGD) as a captured CUDA graph.

    Deep narrow MLPs at batch 128 are bound by kernel-launch latency; a graph launches the whole step at once.
    The first few calls run eagerly on a side stream (they are real steps, as the CUDA-graph recipe requires
    warm-up before capture); the next call captures the step and replays it (capture alone computes nothing).
    Replays run the same kernels on the same memory, so results equal the eager loop's. If the capture fails
    (an operation a CUDA graph cannot hold, on some device or driver), a warning says so and every later call
    runs the step eagerly: the same results, only slower.
    """

    WARMUP = 3

    def __init__(self, step: Callable[[torch.Tensor, torch.Tensor], None], X: torch.Tensor, y: torch.Tensor,
                 batch_size: int, device: torch.device) -> None:
        self.step, self.X, self.y = step, X, y
        self.idx = torch.zeros(batch_size, dtype=torch.long, device=device)
        self.calls, self.graph, self.failed = 0, None, False

    def _run(self) -> None:
        self.step(self.X[self.idx], self.y[self.idx])

    def __call__(self, idx: torch.Tensor) -> None:
        self.idx.copy_(idx)
        if self.graph is not None:
            self.graph.replay()
            return
        if self.failed:
            self._run()
            return
        self.calls += 1
        stream = torch.cuda.Stream()
        stream.wait_stream(torch.cuda.current_stream())
        with torch.cuda.stream(stream):
            if self.calls <= self.WARMUP:
                self._run()
            else:
                try:
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph):
                        self._run()
                    self.graph = graph
                except RuntimeError as exc:  # nothing ran during the failed capture: run this call eagerly
                    self.failed = True
                    warnings.warn(f"CUDA graph capture failed, running eagerly instead (same results, slower): "
                                  f"{str(exc).splitlines()[0]}", RuntimeWarning, stacklevel=2)
        torch.cuda.current_stream().wait_stream(stream)
        if self.graph is not None:
            self.graph.replay()
        elif self.failed:
            self._run()


def make_step(net: nn.Module, opt: MaskedSGD, alive: torch.Tensor, div_epoch: torch.Tensor, epoch_t: torch.Tensor,
              compile: bool = False, compile_mode: str = "default") -> Callable[[torch.Tensor, torch.Tensor], None]:
    """One SGD step of every member of ``net`` on a mini-batch ``(xb, yb)``, as :func:`train_networks` runs it.

    Back-propagates ``Σ_j lr_j · L_j`` over the members still alive, so one backward pass serves all; a member
    whose mini-batch loss is NaN/inf is marked dead in ``alive`` (in place, on the device, no host sync) and its
    epoch (``epoch_t``) recorded in ``div_epoch``. Exposed so that ``benchmarks/profile_step.py`` profiles
    exactly the trainer's step. See chapter "Training deep networks: Figure 1".
    """
    forward = torch.compile(net, mode=None if compile_mode == "default" else compile_mode) if compile else net
    k = net.k
    zero = torch.zeros((), device=alive.device)

    def step(xb: torch.Tensor, yb: torch.Tensor) -> None:
        logits = forward(xb)
        logp = torch.log_softmax(logits, dim=-1)
        loss_k = -logp.gather(-1, yb.expand(k, -1).unsqueeze(-1)).squeeze(-1).mean(1)
        finite = torch.isfinite(loss_k)
        div_epoch.copy_(torch.where(alive & ~finite, epoch_t, div_epoch))
        alive.logical_and_(finite)
        for p, _ in opt.params:
            p.grad = None
        torch.where(alive, loss_k * opt.lrs, zero).sum().backward()
        opt.step(alive)

    return step


@dataclass
class TrainResult:
    """Per-member histories of one trained group (``loss[e]``/``accuracy[e]``: after e epochs, e = 0..epochs)."""

    loss: list[list[float]]
    accuracy: list[list[float]]
    diverged_epoch: list[int | None]
    val_loss: list[list[float]] = field(default_factory=list)
    val_accuracy: list[list[float]] = field(default_factory=list)
    wall_time_s: float = 0.0
    epochs_run: int = 0
    #: One entry per invocation that trained epochs of this result: ``first_epoch``, ``last_epoch``, ``device``,
    #: ``torch``, ``git_commit`` (a resumed run shows which code trained which epochs).
    segments: list[dict[str, Any]] = field(default_factory=list)


def _evaluate(net: nn.Module, X: torch.Tensor, y: torch.Tensor, chunk: int, train_mode: bool,
              on_device: bool, device: torch.device, drop_last: bool = False,
              graph_cache: dict[str, Any] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean cross-entropy and accuracy of every member over (X, y) in chunks of ``chunk``, on the device.

    ``train_mode=True`` evaluates as the official Figure 1 code logs ``loss_tr``: batch statistics for
    BatchNorm (chunk by chunk), running statistics left untouched. ``drop_last``: the trailing partial chunk is
    not evaluated and the means are over the samples that were. ``graph_cache`` (CUDA, data on the device; the
    same dict on every call for the same net and data): full chunks are replayed as one CUDA graph, captured on
    the first call (its warm-up calls are real chunks) and kept in the dict.
    """
    saved = {name: b.clone() for name, b in net.named_buffers()} if train_mode else {}
    net.train(train_mode)
    n = X.shape[0]
    chunk = min(chunk, n)  # a chunk larger than the data set is the whole set
    if drop_last:  # full chunks only, as the official code's loss log (its last partial batch is never fed)
        bounds = list(range(0, n - n % chunk + 1, chunk))
    else:
        bounds = [*range(0, n, chunk), n]
        if len(bounds) > 2 and bounds[-1] - bounds[-2] == 1:  # no one-sample chunk: BatchNorm cannot normalise it
            del bounds[-2]
    if graph_cache is not None and "sums" in graph_cache:
        loss_sum, correct = graph_cache["sums"]
        loss_sum.zero_()
        correct.zero_()
    else:
        loss_sum = torch.zeros(net.k, device=device)
        correct = torch.zeros(net.k, dtype=torch.long, device=device)

    def add_chunk(xb: torch.Tensor, yb: torch.Tensor) -> None:
        with torch.no_grad():
            logits = net(xb)
            logp = torch.log_softmax(logits, dim=-1)
            loss_sum.add_(-logp.gather(-1, yb.expand(logits.shape[0], -1).unsqueeze(-1)).squeeze(-1).sum(1))
            correct.add_((logits.argmax(-1) == yb).sum(1))

    # many small chunks (the official log uses the training batch size) on CUDA: replay each as a CUDA graph
    graph = None
    if graph_cache is not None and on_device and device.type == "cuda" and len(bounds) > 1:
        if "graph" not in graph_cache:
            graph_cache["sums"] = (loss_sum, correct)
            graph_cache["graph"] = _GraphedStep(add_chunk, X, y, chunk, device)
        graph = graph_cache["graph"]
    for start, stop in zip(bounds[:-1], bounds[1:]):
        if graph is not None and stop - start == chunk:
            graph(torch.arange(start, stop, device=device))
            continue
        xb, yb = X[start:stop], y[start:stop]
        if not on_device:
            xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
        add_chunk(xb, yb)
    if train_mode:
        with torch.no_grad():
            for name, b in net.named_buffers():
                b.copy_(saved[name])
    net.train(True)
    seen = bounds[-1] - bounds[0]
    return loss_sum / seen, correct.float() / seen


def train_networks(net: nn.Module, lrs: Sequence[float], X: Any, y: Any, config: TrainConfig, *,
                   X_val: Any = None, y_val: Any = None, checkpoint_path: str | os.PathLike | None = None,
                   callback: Callable[[int, TrainResult], None] | None = None, desc: str = "train") -> TrainResult:
    """Train the k members of ``net`` (a :class:`StackedMLP`, :class:`ModuleStack` or :class:`UnitStack`) with SGD.

    Protocol of the official Figure 1 code (paper Figure 1; chapter "Training deep networks: Figure 1"):
    each epoch first logs the mean cross-entropy and accuracy over the whole training set in training mode,
    then runs the mini-batch updates; after the last epoch the final state is logged too. A member whose
    mini-batch loss becomes NaN/inf stops being updated; ``diverged_epoch`` records the epoch (1-based) in which
    that happened. With ``checkpoint_path`` and ``config.checkpoint_every > 0`` the state is saved atomically
    every N epochs and an existing checkpoint is resumed from. ``callback(epoch, result)`` runs after each epoch.
    """
    device = pick_device(config.device)
    if len(lrs) != net.k:
        raise ValueError(f"lrs must give one learning rate per member ({net.k}), got {len(lrs)}")
    precision = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision("high" if config.tf32 else "highest")
    try:
        return _train_networks(net, lrs, X, y, config, device, X_val, y_val, checkpoint_path, callback, desc)
    finally:
        torch.set_float32_matmul_precision(precision)


def _train_networks(net: nn.Module, lrs: Sequence[float], X: Any, y: Any, config: TrainConfig,
                    device: torch.device, X_val: Any, y_val: Any, checkpoint_path: str | os.PathLike | None,
                    callback: Callable[[int, TrainResult], None] | None, desc: str) -> TrainResult:
    k = net.k
    net.to(device)
    net.train(True)
    X, y, on_device = _place(X, y, device)
    has_val = X_val is not None
    if has_val:
        X_val, y_val, val_on_device = _place(X_val, y_val, device)
    n = X.shape[0]
    if config.drop_last and n < config.batch_size:
        raise ValueError(f"drop_last needs at least one full batch: batch_size must be <= the {n} training "
                         f"samples, got {config.batch_size}")
    opt = MaskedSGD(net, torch.tensor([float(v) for v in lrs], device=device), config.momentum)
    alive = torch.ones(k, dtype=torch.bool, device=device)
    div_epoch = torch.full((k,), -1, dtype=torch.long, device=device)
    result = TrainResult([[] for _ in range(k)], [[] for _ in range(k)], [None] * k,
                         [[] for _ in range(k)] if has_val else [], [[] for _ in range(k)] if has_val else [])
    start_epoch, elapsed = 0, 0.0
    if checkpoint_path is not None and os.path.exists(checkpoint_path):
        state = load_checkpoint(checkpoint_path)
        if int(state["epoch"]) > config.epochs:
            raise ValueError(f"epochs must be >= the {int(state['epoch'])} epochs already in checkpoint "
                             f"{checkpoint_path}, got {config.epochs} (use another checkpoint folder; "
                             "on the command line, another --out)")
        if bool(state["history"]["val_loss"]) != has_val:
            raise ValueError(f"checkpoint {checkpoint_path} was written {'with' if not has_val else 'without'} "
                             "a validation set; resume it the same way or use another checkpoint folder")
        net.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        _set_rng_state(state["rng"])
        alive.copy_(state["alive"].to(device))
        div_epoch.copy_(state["div_epoch"].to(device))
        result = TrainResult(**state["history"])
        start_epoch, elapsed = int(state["epoch"]), float(state["history"]["wall_time_s"])
        logger.info("resuming from epoch %d of checkpoint %s", start_epoch, checkpoint_path)
    elif checkpoint_path is not None and config.checkpoint_every:
        others = list(Path(checkpoint_path).parent.glob("sweep-*.pt"))
        if others:
            logger.info("no checkpoint of this sweep in %s (%d of other sweeps there): starting at epoch 0",
                        Path(checkpoint_path).parent, len(others))
    segment = {"first_epoch": start_epoch, "last_epoch": start_epoch, "device": device_name(device),
               "torch": str(torch.__version__), "git_commit": _code_version()}
    earlier = result.segments[-1] if result.segments else None
    if start_epoch < config.epochs:  # an invocation that trains nothing (a finished checkpoint) adds no segment
        if earlier is not None and (earlier["git_commit"], earlier["torch"]) != (segment["git_commit"],
                                                                                 segment["torch"]):
            warnings.warn(f"resuming checkpoint {checkpoint_path}: epochs up to {earlier['last_epoch']} were trained "
                          f"by commit {earlier['git_commit']} with torch {earlier['torch']}, the rest is trained by "
                          f"commit {segment['git_commit']} with torch {segment['torch']}; the result's 'segments' "
                          "list both", RuntimeWarning, stacklevel=3)
        result.segments.append(segment)
    saved_epoch = start_epoch if start_epoch else None
    bar = None
    try:
        epoch_t = torch.zeros((), dtype=torch.long, device=device)
        step = make_step(net, opt, alive, div_epoch, epoch_t, config.compile, config.compile_mode)
        own_graphs = config.compile and config.compile_mode in ("reduce-overhead", "max-autotune")
        graph = _GraphedStep(step, X, y, config.batch_size, device) if (
            config.cuda_graph and device.type == "cuda" and on_device and not own_graphs) else None
        log_graph: dict[str, Any] = {}

        def log(epoch: int) -> None:
            loss, acc = _evaluate(net, X, y, config.eval_batch_size, True, on_device, device, config.drop_last,
                                  log_graph if graph is not None else None)
            rows = [loss, acc]
            if has_val:
                rows += list(_evaluate(net, X_val, y_val, config.eval_batch_size, False, val_on_device, device))
            host = torch.stack([r.float() for r in rows] + [alive.float(), div_epoch.float()]).cpu().tolist()
            for j in range(k):
                result.loss[j].append(host[0][j])
                result.accuracy[j].append(host[1][j])
                if has_val:
                    result.val_loss[j].append(host[2][j])
                    result.val_accuracy[j].append(host[3][j])
                if result.diverged_epoch[j] is None:
                    if host[-1][j] >= 0:
                        result.diverged_epoch[j] = int(host[-1][j])
                    elif not math.isfinite(host[0][j]):
                        result.diverged_epoch[j] = epoch
                        alive[j] = False

        if config.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=config.epochs, initial=start_epoch, desc=desc, leave=False)
        for epoch in range(start_epoch, config.epochs):
            t0 = time.perf_counter()
            log(epoch)
            perm = epoch_permutation(n, config.data_seed, epoch, device if on_device else "cpu")
            epoch_t.fill_(epoch + 1)
            for s in range(0, n, config.batch_size):
                idx = perm[s:s + config.batch_size]
                if idx.numel() < (config.batch_size if config.drop_last else 2):
                    continue  # BatchNorm needs two samples: a trailing singleton batch is always skipped
                if graph is not None and idx.numel() == config.batch_size:
                    graph(idx)
                    continue
                xb, yb = X[idx], y[idx]
                if not on_device:
                    xb, yb = xb.to(device, non_blocking=True), yb.to(device, non_blocking=True)
                step(xb, yb)
            synchronize(device)
            elapsed += time.perf_counter() - t0
            result.epochs_run, result.wall_time_s = epoch + 1, elapsed
            segment["last_epoch"] = epoch + 1
            if bar is not None:
                finite = [h[-1] for h in result.loss if math.isfinite(h[-1])]
                alive_now = sum(d is None for d in result.diverged_epoch)
                span = f", training loss {min(finite):.3g}..{max(finite):.3g}" if finite else ""
                bar.set_postfix_str(f"{alive_now}/{k} alive{span}", refresh=False)
                bar.update(1)
            if checkpoint_path is not None and config.checkpoint_every and (epoch + 1) % config.checkpoint_every == 0:
                save_checkpoint(checkpoint_path, {
                    "epoch": epoch + 1, "model": net.state_dict(), "optimizer": opt.state_dict(), "rng": _rng_state(),
                    "alive": alive.cpu(), "div_epoch": div_epoch.cpu(), "history": dataclasses.asdict(result)})
                saved_epoch = epoch + 1
            if callback is not None:
                callback(epoch + 1, result)
        if bar is not None:
            bar.close()
        if len(result.loss[0]) == config.epochs:
            log(config.epochs)
        return result
    except KeyboardInterrupt as exc:  # setup, epochs or the final log: say where a rerun resumes
        if bar is not None:
            bar.close()
        raise TrainingInterrupted(None if checkpoint_path is None or not config.checkpoint_every
                                  else Path(checkpoint_path), saved_epoch, result.epochs_run) from exc


def build_networks(members: Sequence[Member], n_in: int, n_out: int,
                   stack: bool = True) -> list[tuple[nn.Module, list[int]]]:
    """Group the members of a sweep into trainable units: ``[(net, member_indices), ...]``.

    Members with the same hidden widths, a stackable family and no dropout become one :class:`StackedMLP`
    (when ``stack``); every other member becomes its own :class:`ModuleStack`. Each member's initial weights
    are those of ``build_model`` after ``torch.manual_seed(member.seed)``, whatever the grouping.
    """
    models = []
    for m in members:
        torch.manual_seed(m.seed)
        models.append(build_model(m.family, n_in, n_out, m.depth, m.width, m.shape, m.dropout,
                                  output_init=m.output_init))
    groups: dict[tuple, list[int]] = {}
    singles: list[int] = []
    for j, m in enumerate(members):
        if stack and m.family in STACKABLE and m.dropout == 0.0:
            groups.setdefault(tuple(hidden_widths(n_out, m.depth, m.width, m.shape)), []).append(j)
        else:
            singles.append(j)
    units: list[tuple[nn.Module, list[int]]] = []
    for idx in groups.values():
        idx = sorted(idx, key=lambda i: (STACKABLE.index(members[i].family), i))
        units.append((StackedMLP.from_models([models[i] for i in idx]), idx))
    units += [(ModuleStack([models[j]]), [j]) for j in singles]
    return units


def sweep_network(members: Sequence[Member], n_in: int, n_out: int,
                  config: TrainConfig) -> tuple[UnitStack, list[int], list[int]]:
    """The whole sweep as one :class:`UnitStack`: ``(net, order, unit_of)`` where member ``order[j]`` of
    ``members`` is the j-th member of ``net`` and ``unit_of[j]`` the index of the unit that trains it."""
    units = build_networks(members, n_in, n_out, config.stack)
    order = [i for _, idx in units for i in idx]
    unit_of = [u for u, (_, idx) in enumerate(units) for _ in idx]
    return UnitStack([net for net, _ in units], streams=config.streams), order, unit_of


def _sweep_fingerprint(members: Sequence[Member], config: TrainConfig, data: Any, use_val: bool) -> str:
    """Digest of everything that determines a sweep's trajectory except its length (so a longer run resumes):
    members, settings, whether a validation set is logged, and the data themselves (bytes of the arrays)."""
    import hashlib
    import json

    import numpy as np

    keep = {k: v for k, v in dataclasses.asdict(config).items()
            if k not in ("epochs", "progress", "checkpoint_every", "device")}
    digest = hashlib.sha256(json.dumps([[dataclasses.asdict(m) for m in members], keep, use_val,
                                        int(data.n_classes)], sort_keys=True).encode())
    for array in (data.X_train, data.y_train) + ((data.X_val, data.y_val) if use_val else ()):
        a = np.ascontiguousarray(array)
        digest.update(f"{a.dtype}{a.shape}".encode())
        digest.update(a.tobytes())
    return digest.hexdigest()[:16]


def train_sweep(members: Sequence[Member], data: Any, config: TrainConfig,
                checkpoint_dir: str | os.PathLike | None = None, use_val: bool = False) -> list[dict[str, Any]]:
    """Train every member of a sweep on ``data`` (a :class:`snnlib.data.Dataset`); one record per member.

    Paper Figure 1 (SNN vs BatchNorm at depths 8/16/32) is ``[Member(f, d, width) for d in depths for f in
    ('SNN', 'BatchNorm')]``; those of equal depth form one stacked unit, and all units train in one loop
    (:func:`sweep_network`). Records keep the order of ``members``: ``{"member", "label", "params", "loss",
    "accuracy", "diverged_epoch", "wall_time_s", "group", "segments"}`` (+ ``val_loss``/``val_accuracy`` with
    ``use_val``); ``group`` is the unit, ``wall_time_s`` the training time of the whole sweep and ``segments`` which
    invocation (device, torch, git commit) trained which epochs. The checkpoint
    (``checkpoint_dir/sweep-<digest>.pt``) is named after the members, settings and data, so another sweep in
    the same folder never resumes from it; a run asking for fewer epochs than a checkpoint holds is refused.
    See chapter "Training deep networks: Figure 1".
    """
    if len(members) == 0:
        raise ValueError("members must list at least one network, got an empty list")
    n_in, n_out = int(data.X_train.shape[1]), int(data.n_classes)
    net, order, unit_of = sweep_network(members, n_in, n_out, config)
    ckpt = None
    if checkpoint_dir is not None and config.checkpoint_every:
        ckpt = Path(checkpoint_dir) / f"sweep-{_sweep_fingerprint(members, config, data, use_val)}.pt"
    params = [count_params(mod) for unit in net.units
              for mod in (unit.to_models() if isinstance(unit, StackedMLP) else unit.members)]
    res = train_networks(net, [members[i].lr for i in order], data.X_train, data.y_train, config,
                         X_val=data.X_val if use_val else None, y_val=data.y_val if use_val else None,
                         checkpoint_path=ckpt, desc=f"{len(members)} networks")
    records: list[dict[str, Any]] = [{} for _ in members]
    for j, i in enumerate(order):
        rec = {"member": dataclasses.asdict(members[i]), "label": members[i].label, "params": params[j],
               "loss": res.loss[j], "accuracy": res.accuracy[j], "diverged_epoch": res.diverged_epoch[j],
               "wall_time_s": res.wall_time_s, "group": unit_of[j], "segments": res.segments}
        if use_val:
            rec["val_loss"], rec["val_accuracy"] = res.val_loss[j], res.val_accuracy[j]
        records[i] = rec
    return records


def result_document(kind: str, config: TrainConfig, records: list[dict[str, Any]], wall_time_s: float,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A result file's content: kind, config, per-member records and provenance (device, torch, git commit)."""
    from snnlib.reproducibility import provenance

    device = pick_device(config.device)
    prov = provenance(str(device))
    prov["device"] = device_name(device)
    return {"kind": kind, "config": dataclasses.asdict(config), **(extra or {}), "records": records,
            "wall_time_s": wall_time_s, "provenance": prov}
