"""Trainer for the paper's FNN sweeps: many networks at once, data on the device, resumable, divergence-aware.

Runs the training protocol of the official Figure 1 code (paper §"Normalization and SNNs", Figure 1; GitHub
``bioinf-jku/SNNs``, ``figure1/run.py``) for any list of networks; see chapter "Training deep networks: Figure 1":

* plain SGD on mini-batches of a seeded random order per epoch; the gradient is that of the **sum** of the
  per-example cross-entropies (TensorFlow's ``compute_gradients`` on the vector ``loss_op``), so lr 1e-5 at batch
  128 is 128 times the step of a loop that averages;
* before each epoch's updates, the training loss over the whole training set in training mode (BatchNorm:
  statistics of each consecutive chunk of ``eval_batch_size`` samples), and the validation loss in eval mode;
* BatchNorm's moving averages are never updated (the official code never runs their update ops);
* with ``drop_last`` (the official code): full mini-batches only, in training and in the logs, and the logged
  sums divided by the size of the set, as ``loss_val / x_tr.shape[0]``.

Design:

* Plain MLPs (SNN, MSRAinit, BatchNorm without dropout) are trained by :class:`snnlib.mlpstack.MLPStack`: layer
  positions stacked across all members, a hand-written backward pass and in-place updates. Any other network
  trains in a :class:`ModuleUnit` (autograd, one module after the other). All units see the same mini-batches.
* The data live on the device (features × samples); each epoch's order is drawn on the device
  (:func:`epoch_permutation`) and a step gathers its mini-batch by a device-side counter, so on CUDA a whole step
  of the sweep is one CUDA graph replayed without any host work.
* A member whose logged loss is NaN/inf is frozen at that epoch boundary (learning rate 0; its history ends
  there); the others train on. There is no per-step check.
* Checkpoints (weights, random state, history) are written atomically every N epochs and loaded with
  ``torch.load(..., weights_only=True)``; a resumed run reproduces the uninterrupted one exactly.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import shutil
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from snnlib.files import atomic_write, remove_stale_temporaries
from snnlib.mlpstack import FAST_FAMILIES, MLPStack, can_stack, stack_key
from snnlib.models import FAMILIES, OUTPUT_INITS, SHAPES, build_model, count_params
from snnlib.reproducibility import git_commit

logger = logging.getLogger(__name__)

#: Keys every checkpoint written by the trainer holds.
CHECKPOINT_KEYS = frozenset({"epoch", "units", "rng", "alive", "diverged_epoch", "history"})
#: Version of the trainer's protocol and checkpoint format, part of every sweep's fingerprint: checkpoints of an
#: earlier trainer (which averaged the gradient over the batch) are never resumed by this one.
TRAINER_VERSION = 2
#: Matrix-product precisions (:class:`TrainConfig` ``precision``) and the ``torch.set_float32_matmul_precision``
#: setting each one uses: strict float32, or TensorFloat-32 tensor cores (products with a 10-bit mantissa, on CUDA
#: only); storage and everything else stay float32. (PyTorch's ``'medium'`` setting also means TF32 on CUDA:
#: bfloat16 products would need bfloat16 copies of weights and activations, which the trainer does not make.)
PRECISIONS: dict[str, str] = {"fp32": "highest", "tf32": "high"}
#: Samples per forward pass of the loss logs (a multiple of the BatchNorm chunk): large products, bounded memory.
LOG_ROWS = 8192


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
    yet): a rerun resumes from there. ``partial`` is the history up to the last finished epoch (a
    :class:`TrainResult`; :func:`train_sweep` adds its ``records``), so that a run stopped by a time limit still
    leaves its curves."""

    def __init__(self, checkpoint: Path | None, saved_epoch: int | None, epoch: int,
                 partial: TrainResult | None = None) -> None:
        super().__init__(f"interrupted in epoch {epoch + 1}")
        self.checkpoint, self.saved_epoch, self.epoch, self.partial = checkpoint, saved_epoch, epoch, partial
        self.records: list[dict[str, Any]] | None = None


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


@dataclass
class TrainConfig:
    """How to train: plain SGD on mini-batches of ``batch_size`` (128 in paper Figure 1), ``epochs`` epochs.

    ``eval_batch_size``: the chunk size of the per-epoch training-loss log, whose BatchNorm normalises each chunk by
    its own statistics (the official code logs in chunks of the batch size; :func:`snnlib.figure1.run_figure1`
    sets it so). ``drop_last``: full mini-batches only, in training and in the logs, and logged sums divided by the
    size of the set, as the official code (without it a trailing partial batch of two or more samples is fed and
    the means are over the samples fed). ``stack``: train plain MLPs with :class:`snnlib.mlpstack.MLPStack`
    (otherwise every network trains with autograd, one module at a time: the reference path). ``cuda_graph``:
    replay each step of the sweep as a CUDA graph. ``precision``: the matrix products, :data:`PRECISIONS`
    (``'fp32'`` by default for fidelity; recorded in every result file).
    """

    epochs: int = 10
    batch_size: int = 128
    data_seed: int = 0
    device: str = "auto"
    eval_batch_size: int = 10_000
    checkpoint_every: int = 0
    progress: bool = True
    stack: bool = True
    cuda_graph: bool = True
    precision: str = "fp32"
    drop_last: bool = False

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {tuple(PRECISIONS)}, got {self.precision!r}")
        for name, low in (("epochs", 1), ("batch_size", 1), ("eval_batch_size", 1), ("checkpoint_every", 0),
                          ("data_seed", 0)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
            object.__setattr__(self, name, int(value))  # numpy integers become ints (JSON, fingerprints)


class ModuleUnit(nn.Module):
    """Networks trained one module at a time with autograd (any family; the reference path with ``stack=False``).

    Same protocol as :class:`snnlib.mlpstack.MLPStack`: SGD on the summed cross-entropy, each member's learning
    rate folded into its loss, BatchNorm moving averages never updated (their momentum is set to 0 here).
    """

    def __init__(self, models: Sequence[nn.Module]) -> None:
        super().__init__()
        if len(models) == 0:
            raise ValueError("models must hold at least one model, got an empty list")
        self.members = nn.ModuleList(models)
        self.k = len(models)
        for m in self.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.momentum = 0.0  # running statistics stay as initialised, as in the official code
        self.register_buffer("lr", torch.zeros(self.k), persistent=False)

    def set_lr(self, lrs: torch.Tensor) -> None:
        """Learning rates (k,); 0 freezes a member."""
        self.lr.copy_(lrs.to(self.lr))

    def step(self, xT: torch.Tensor, y: torch.Tensor) -> None:
        """One SGD step of every member on the mini-batch ``xT`` (features × batch), labels ``y``."""
        x = xT.T
        for j, model in enumerate(self.members):
            model.train(True)
            params = [p for p in model.parameters() if p.requires_grad]
            loss = F.cross_entropy(model(x), y, reduction="sum") * self.lr[j]
            with torch.no_grad():
                torch._foreach_sub_(params, torch.autograd.grad(loss, params))

    @torch.no_grad()
    def loss_sums(self, XT: torch.Tensor, y: torch.Tensor, group: int, train_mode: bool,
                  rows: int = LOG_ROWS) -> tuple[torch.Tensor, torch.Tensor]:
        """Summed cross-entropy and correct predictions of every member over ``XT`` (features × n): in training
        mode one forward pass per consecutive ``group`` of samples (BatchNorm statistics, dropout masks)."""
        n = XT.shape[1]
        chunk = group if train_mode else max(group, rows)
        loss = torch.zeros(self.k, device=XT.device)
        correct = torch.zeros(self.k, dtype=torch.long, device=XT.device)
        for j, model in enumerate(self.members):
            model.train(train_mode)
            for start in range(0, n, chunk):
                logits = model(XT[:, start:start + chunk].T)
                ys = y[start:start + chunk]
                loss[j] += F.cross_entropy(logits, ys, reduction="sum")
                correct[j] += (logits.argmax(1) == ys).sum()
            model.train(True)
        return loss, correct

    def to_models(self) -> list[nn.Module]:
        """The member modules themselves (trained in place)."""
        return list(self.members)


Unit = MLPStack | ModuleUnit


def build_units(models: Sequence[nn.Module], stack: bool = True) -> list[tuple[Unit, list[int]]]:
    """Group networks into trainable units: ``[(unit, indices into models), ...]``.

    With ``stack``, plain MLPs (:func:`snnlib.mlpstack.can_stack`) of compatible widths form
    :class:`~snnlib.mlpstack.MLPStack` units of at most two families each (Figure 1: one stack of all six
    networks); every other network joins one :class:`ModuleUnit`.
    """
    groups: dict[tuple, dict[str, list[int]]] = {}
    rest: list[int] = []
    for i, m in enumerate(models):
        if stack and can_stack(m):
            groups.setdefault(stack_key(m), {}).setdefault(m.family, []).append(i)  # type: ignore[union-attr]
        else:
            rest.append(i)
    units: list[tuple[Unit, list[int]]] = []
    for by_family in groups.values():
        families = sorted(by_family, key=FAST_FAMILIES.index)
        for pair in (families[i:i + 2] for i in range(0, len(families), 2)):
            idx = sorted(i for f in pair for i in by_family[f])
            units.append((MLPStack([models[i] for i in idx]), idx))  # type: ignore[misc]
    if rest:
        units.append((ModuleUnit([models[i] for i in rest]), rest))
    return units


def build_networks(members: Sequence[Member], n_in: int, n_out: int) -> list[nn.Module]:
    """Each member's network as :func:`snnlib.models.build_model` gives it after ``torch.manual_seed(seed)``
    (so its initial weights do not depend on how the sweep is grouped)."""
    models = []
    for m in members:
        torch.manual_seed(m.seed)
        models.append(build_model(m.family, n_in, n_out, m.depth, m.width, m.shape, m.dropout,
                                  output_init=m.output_init))
    return models


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
    """``torch.save`` through :func:`snnlib.files.atomic_write`: a temporary file in the same folder, then
    ``os.replace`` (atomic on POSIX and Windows).

    A failed write (disk full, read-only folder) raises :class:`CheckpointError` and leaves the previous
    checkpoint untouched; the temporary file is removed in every case but a kill -9, after which
    :func:`train_models` removes it when the run starts again.
    """
    path = Path(path)
    try:
        atomic_write(path, lambda fh: torch.save(payload, fh))
    except (OSError, RuntimeError) as exc:  # torch reports a full disk as a RuntimeError ("unexpected pos")
        try:
            free = f"; {shutil.disk_usage(path.parent).free / 2**20:.0f} MiB free there"
        except OSError:
            free = ""
        kept = "the previous checkpoint is kept" if path.exists() else "no earlier checkpoint exists"
        raise CheckpointError(f"cannot write checkpoint {path} ({type(exc).__name__}: "
                              f"{_first_line(exc)}{free}); {kept}") from exc


def _first_line(exc: BaseException, limit: int = 200) -> str:
    text = (str(exc).strip().splitlines() or [""])[0]
    return text if len(text) <= limit else text[:limit] + "..."


def _cause(exc: BaseException, limit: int = 300) -> str:
    """The informative part of ``exc``'s message: ``load_state_dict`` puts a header line ("Error(s) in loading
    state_dict for MLPStack:") before the first tensor that does not fit ("size mismatch for weight_0: ...")."""
    lines = [line.strip() for line in str(exc).strip().splitlines() if line.strip()] or [type(exc).__name__]
    text = " ".join(lines[:2]) if lines[0].endswith(":") and len(lines) > 1 else lines[0]
    return text if len(text) <= limit else text[:limit] + "..."


def load_checkpoint(path: str | os.PathLike) -> dict[str, Any]:
    """Load a checkpoint written by :func:`save_checkpoint` with ``weights_only=True`` (no arbitrary unpickling).

    A file that is truncated, empty, not a checkpoint or holds anything but tensors and plain data raises
    :class:`CheckpointError` naming it (it is not used; delete it to start over).
    """
    import pickle
    import zipfile

    from snnlib.errors import is_out_of_memory

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
    """``(X^T, y, on_device)``: the samples as a contiguous (features × n) float32 tensor and int64 labels, on
    ``device`` if they fit (CUDA: at most half the free memory), else pinned in host memory."""
    XT = torch.as_tensor(np.asarray(X, dtype=np.float32) if not torch.is_tensor(X) else X,
                         dtype=torch.float32).T.contiguous()
    y = torch.as_tensor(y, dtype=torch.long)
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        if XT.element_size() * XT.numel() + y.element_size() * y.numel() > free // 2:
            return XT.pin_memory(), y.pin_memory(), False
    return XT.to(device), y.to(device), True


class _Steps:
    """The SGD steps of one epoch for all units: step s takes the samples ``order[s]`` of the epoch's order, found
    on the device through a step counter, so that on CUDA one step is a CUDA graph replayed with no host work.

    The first calls run eagerly on a side stream (real steps: CUDA graphs need warm-up before capture), the next
    one captures the step and replays it (capture alone computes nothing); later calls replay. Replays run the
    same kernels on the same memory as the eager step, so results equal the eager loop's. If the capture fails
    (an operation a CUDA graph cannot hold), a warning says so and every later step runs eagerly.
    """

    WARMUP = 3

    def __init__(self, units: Sequence[Unit], XT: torch.Tensor, y: torch.Tensor, batch_size: int,
                 device: torch.device, on_device: bool, graph: bool) -> None:
        self.units, self.XT, self.y, self.batch, self.device = list(units), XT, y, batch_size, device
        self.on_device = on_device
        self.full = XT.shape[1] // batch_size
        self.order = torch.zeros(max(self.full, 1), batch_size, dtype=torch.long, device=XT.device)
        self.counter = torch.zeros(1, dtype=torch.long, device=XT.device)
        self.use_graph = graph and on_device and device.type == "cuda"
        self.calls, self.graph, self.failed = 0, None, False

    def _body(self) -> None:
        idx = self.order.index_select(0, self.counter).view(-1)
        self._step(idx)
        self.counter += 1

    def _step(self, idx: torch.Tensor) -> None:
        xT, y = self.XT.index_select(1, idx), self.y.index_select(0, idx)
        if not self.on_device:
            xT, y = xT.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)
        for unit in self.units:
            unit.step(xT, y)

    def _one(self) -> None:
        if self.graph is not None:
            self.graph.replay()
            return
        if not self.use_graph or self.failed:
            self._body()
            return
        self.calls += 1
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(stream):
            if self.calls <= self.WARMUP:
                self._body()
            else:
                counter = self.counter.clone()
                try:
                    graph = torch.cuda.CUDAGraph()
                    with torch.cuda.graph(graph):
                        self._body()
                    self.graph = graph
                except RuntimeError as exc:  # a failed capture: this step and the later ones run eagerly
                    self.counter.copy_(counter)  # (a capture computes nothing; this makes sure of it)
                    self.failed = True
                    warnings.warn(f"CUDA graph capture failed, running eagerly instead (same results, slower): "
                                  f"{str(exc).splitlines()[0]}", RuntimeWarning, stacklevel=2)
        torch.cuda.current_stream(self.device).wait_stream(stream)
        if self.graph is not None:
            self.graph.replay()
        elif self.failed:
            self._body()

    def epoch(self, perm: torch.Tensor, drop_last: bool) -> None:
        """All steps of one epoch in the order ``perm``: the full mini-batches, then (unless ``drop_last``) the
        trailing partial one if it has two samples or more (BatchNorm cannot normalise one)."""
        if self.full:
            self.order.copy_(perm[:self.full * self.batch].view(self.full, self.batch))
            self.counter.zero_()
            for _ in range(self.full):
                self._one()
        tail = perm[self.full * self.batch:]
        if not drop_last and tail.numel() >= 2:
            self._step(tail)


@dataclass
class TrainResult:
    """Per-member histories (``loss[e]``/``accuracy[e]``: after e epochs, e = 0..epochs)."""

    loss: list[list[float]]
    accuracy: list[list[float]]
    diverged_epoch: list[int | None]
    val_loss: list[list[float]] = field(default_factory=list)
    val_accuracy: list[list[float]] = field(default_factory=list)
    wall_time_s: float = 0.0
    #: Of ``wall_time_s``, the seconds spent in the per-epoch loss logs (the rest is SGD steps).
    log_time_s: float = 0.0
    epochs_run: int = 0
    #: One entry per invocation that trained epochs of this result: ``first_epoch``, ``last_epoch``, ``device``,
    #: ``torch``, ``git_commit`` (a resumed run shows which code trained which epochs).
    segments: list[dict[str, Any]] = field(default_factory=list)


def _log_sums(units: Sequence[tuple[Unit, list[int]]], k: int, XT: torch.Tensor, y: torch.Tensor, group: int,
              train_mode: bool, drop_last: bool, on_device: bool,
              device: torch.device) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Summed loss and correct predictions of all members (sweep order) over ``XT``, and the number of samples
    evaluated: consecutive chunks of ``group`` samples (in training mode each normalised by its own BatchNorm
    statistics); with ``drop_last`` full chunks only, else a trailing chunk is evaluated too (in training mode
    only if it has two samples or more)."""
    n = XT.shape[1]
    group = min(group, n)
    n_full = n - n % group
    parts = [(0, n_full, group)]
    if not drop_last and n - n_full >= (2 if train_mode else 1):
        parts.append((n_full, n, n - n_full))
    loss = torch.zeros(k, device=device)
    correct = torch.zeros(k, dtype=torch.long, device=device)
    for start, stop, size in parts:
        xs, ys = XT[:, start:stop], y[start:stop]
        if not on_device:
            xs, ys = xs.to(device), ys.to(device)
        for unit, idx in units:
            sums, hits = unit.loss_sums(xs, ys, size, train_mode)
            index = torch.tensor(idx, device=device)
            loss.index_add_(0, index, sums)
            correct.index_add_(0, index, hits)
    return loss, correct, parts[-1][1]


def _write_back(units: Sequence[tuple[Unit, list[int]]], models: Sequence[nn.Module]) -> None:
    """Copy the trained weights of every stack into the models it was built from (a :class:`ModuleUnit` trains
    its models in place already)."""
    for unit, idx in units:
        if isinstance(unit, MLPStack):
            for i, trained in zip(idx, unit.to_models()):
                models[i].load_state_dict(trained.state_dict(), strict=False)


def train_models(models: Sequence[nn.Module], lrs: Sequence[float], X: Any, y: Any, config: TrainConfig, *,
                 X_val: Any = None, y_val: Any = None, checkpoint_path: str | os.PathLike | None = None,
                 callback: Callable[[int, TrainResult], None] | None = None, desc: str = "train") -> TrainResult:
    """Train ``models`` (any ``nn.Module`` classifiers; plain MLPs of :func:`snnlib.models.build_model` go fast)
    on (X, y) with the Figure 1 protocol, in place; one learning rate per model.

    Paper Figure 1; chapter "Training deep networks: Figure 1". Each epoch logs the training loss and accuracy
    (training mode) and, with ``X_val``, the validation ones (eval mode), then runs the SGD steps; after the last
    epoch the final state is logged too. A member whose logged loss is NaN/inf is frozen from that epoch on
    (``diverged_epoch``: the number of epochs after which it was first seen). With ``checkpoint_path`` and
    ``config.checkpoint_every > 0`` the state is saved atomically every N epochs and an existing checkpoint is
    resumed from. ``callback(epoch, result)`` runs after each epoch.
    """
    device = pick_device(config.device)
    if len(lrs) != len(models):
        raise ValueError(f"lrs must give one learning rate per model ({len(models)}), got {len(lrs)}")
    for lr in lrs:
        if isinstance(lr, bool) or not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
            raise ValueError(f"lrs (learning rates) must be finite and > 0, got {lr!r}")
    precision = torch.get_float32_matmul_precision()
    torch.set_float32_matmul_precision(PRECISIONS[config.precision])
    try:
        return _train(models, lrs, X, y, config, device, X_val, y_val, checkpoint_path, callback, desc)
    finally:
        torch.set_float32_matmul_precision(precision)


def _train(models: Sequence[nn.Module], lrs: Sequence[float], X: Any, y: Any, config: TrainConfig,
           device: torch.device, X_val: Any, y_val: Any, checkpoint_path: str | os.PathLike | None,
           callback: Callable[[int, TrainResult], None] | None, desc: str) -> TrainResult:
    k = len(models)
    XT, Y, on_device = _place(X, y, device)
    n = XT.shape[1]
    if config.drop_last and n < config.batch_size:
        raise ValueError(f"drop_last needs at least one full batch: batch_size must be <= the {n} training "
                         f"samples, got {config.batch_size}")
    has_val = X_val is not None
    if has_val:
        XvT, Yv, val_on_device = _place(X_val, y_val, device)
    units = build_units(models, config.stack)
    for unit, _ in units:
        unit.to(device)
    lr_all = torch.tensor([float(v) for v in lrs], device=device)
    alive = [True] * k
    result = TrainResult([[] for _ in range(k)], [[] for _ in range(k)], [None] * k,
                         [[] for _ in range(k)] if has_val else [], [[] for _ in range(k)] if has_val else [])
    start_epoch, elapsed = 0, 0.0
    if checkpoint_path is not None:  # a run killed (kill -9) while it wrote this checkpoint left its temporary file
        for tmp in remove_stale_temporaries(checkpoint_path):
            logger.info("removed %s, left by an interrupted checkpoint write", tmp)
    if checkpoint_path is not None and os.path.exists(checkpoint_path):
        state = load_checkpoint(checkpoint_path)
        if int(state["epoch"]) > config.epochs:
            raise ValueError(f"epochs must be >= the {int(state['epoch'])} epochs already in checkpoint "
                             f"{checkpoint_path}, got {config.epochs} (use another checkpoint folder; "
                             "on the command line, another --out)")
        if bool(state["history"]["val_loss"]) != has_val:
            raise ValueError(f"checkpoint {checkpoint_path} was written {'with' if not has_val else 'without'} "
                             "a validation set; resume it the same way or use another checkpoint folder")
        try:  # shapes, names or a history that do not fit this sweep: the file is named, never a torch traceback
            for (unit, _), saved in zip(units, state["units"], strict=True):
                unit.load_state_dict(saved)
            _set_rng_state(state["rng"])
            alive = [bool(a) for a in state["alive"]]
            if len(alive) != k:
                raise ValueError(f"it holds {len(alive)} networks, this sweep trains {k}")
            result = TrainResult(**state["history"])
        except (RuntimeError, ValueError, KeyError, TypeError, IndexError) as exc:
            raise CheckpointError(f"checkpoint {checkpoint_path} does not fit this sweep ({_cause(exc)}). "
                                  "Delete it to start that sweep over (its epochs are lost)") from exc
        start_epoch, elapsed = int(state["epoch"]), float(state["history"]["wall_time_s"])
        logger.info("resuming from epoch %d of checkpoint %s", start_epoch, checkpoint_path)
    elif checkpoint_path is not None and config.checkpoint_every:
        others = list(Path(checkpoint_path).parent.glob("sweep-*.pt"))
        if others:
            logger.info("no checkpoint of this sweep in %s (%d of other sweeps there): starting at epoch 0",
                        Path(checkpoint_path).parent, len(others))

    def set_lrs() -> None:
        live = lr_all * torch.tensor(alive, dtype=lr_all.dtype, device=device)
        for unit, idx in units:
            unit.set_lr(live[idx])

    set_lrs()
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
    group = min(config.eval_batch_size, n)

    def log(epoch: int) -> None:
        # the official code divides the sum over the full chunks by the size of the set (loss_val / x_tr.shape[0])
        # and counts the accuracy over the samples evaluated (tf.metrics.accuracy)
        loss, correct, seen = _log_sums(units, k, XT, Y, group, True, config.drop_last, on_device, device)
        rows = [loss / (n if config.drop_last else seen), correct.float() / seen]
        if has_val:
            vloss, vcorrect, vseen = _log_sums(units, k, XvT, Yv, config.batch_size, False, config.drop_last,
                                               val_on_device, device)
            rows += [vloss / (XvT.shape[1] if config.drop_last else vseen), vcorrect.float() / vseen]
        host = torch.stack([r.float().cpu() for r in rows]).tolist()
        for j in range(k):
            result.loss[j].append(host[0][j])
            result.accuracy[j].append(host[1][j])
            if has_val:
                result.val_loss[j].append(host[2][j])
                result.val_accuracy[j].append(host[3][j])
            if alive[j] and not math.isfinite(host[0][j]):
                alive[j] = False
                result.diverged_epoch[j] = epoch
        if not all(alive):
            set_lrs()

    bar = None
    try:
        steps = _Steps([u for u, _ in units], XT, Y, config.batch_size, device, on_device, config.cuda_graph)
        if config.progress:
            from tqdm.auto import tqdm

            bar = tqdm(total=config.epochs, initial=start_epoch, desc=desc, leave=False)
        for epoch in range(start_epoch, config.epochs):
            t0 = time.perf_counter()
            log(epoch)  # ends with a copy to the host: the device is idle here
            result.log_time_s += time.perf_counter() - t0
            steps.epoch(epoch_permutation(n, config.data_seed, epoch, device if on_device else "cpu"),
                        config.drop_last)
            synchronize(device)
            elapsed += time.perf_counter() - t0
            result.epochs_run, result.wall_time_s = epoch + 1, elapsed
            segment["last_epoch"] = epoch + 1
            if bar is not None:
                finite = [h[-1] for h in result.loss if math.isfinite(h[-1])]
                span = f", training loss {min(finite):.3g}..{max(finite):.3g}" if finite else ""
                bar.set_postfix_str(f"{sum(alive)}/{k} alive{span}", refresh=False)
                bar.update(1)
            if checkpoint_path is not None and config.checkpoint_every and (epoch + 1) % config.checkpoint_every == 0:
                save_checkpoint(checkpoint_path, {
                    "epoch": epoch + 1, "units": [unit.state_dict() for unit, _ in units], "rng": _rng_state(),
                    "alive": list(alive), "diverged_epoch": list(result.diverged_epoch),
                    "history": dataclasses.asdict(result)})
                saved_epoch = epoch + 1
            if callback is not None:
                callback(epoch + 1, result)
        if bar is not None:
            bar.close()
        if len(result.loss[0]) == config.epochs:
            log(config.epochs)
        _write_back(units, models)
        return result
    except KeyboardInterrupt as exc:  # setup, epochs or the final log: say where a rerun resumes
        if bar is not None:
            bar.close()
        raise TrainingInterrupted(None if checkpoint_path is None or not config.checkpoint_every
                                  else Path(checkpoint_path), saved_epoch, result.epochs_run, result) from exc


def _sweep_fingerprint(members: Sequence[Member], config: TrainConfig, data: Any, use_val: bool) -> str:
    """Digest of everything that determines a sweep's trajectory except its length (so a longer run resumes):
    the trainer version, members, settings, whether a validation set is logged, and the data (array bytes)."""
    import hashlib
    import json

    keep = {k: v for k, v in dataclasses.asdict(config).items()
            if k not in ("epochs", "progress", "checkpoint_every", "device", "cuda_graph")}
    digest = hashlib.sha256(json.dumps([TRAINER_VERSION, [dataclasses.asdict(m) for m in members], keep, use_val,
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
    ('SNN', 'BatchNorm')]``: one :class:`snnlib.mlpstack.MLPStack` (:func:`build_units`). Records keep the order
    of ``members``: ``{"member", "label", "params", "loss", "accuracy", "diverged_epoch", "wall_time_s", "group",
    "segments"}`` (+ ``val_loss``/``val_accuracy`` with ``use_val``); ``group`` is the unit, ``wall_time_s`` the
    training time of the whole sweep and ``segments`` which invocation (device, torch, git commit) trained which
    epochs. The checkpoint (``checkpoint_dir/sweep-<digest>.pt``) is named after the trainer version, members,
    settings and data, so another sweep in the same folder never resumes from it; a run asking for fewer epochs
    than a checkpoint holds is refused. See chapter "Training deep networks: Figure 1".
    """
    if len(members) == 0:
        raise ValueError("members must list at least one network, got an empty list")
    n_in, n_out = int(data.X_train.shape[1]), int(data.n_classes)
    models = build_networks(members, n_in, n_out)
    ckpt = None
    if checkpoint_dir is not None and config.checkpoint_every:
        ckpt = Path(checkpoint_dir) / f"sweep-{_sweep_fingerprint(members, config, data, use_val)}.pt"
    unit_of = {i: u for u, (_, idx) in enumerate(build_units(models, config.stack)) for i in idx}

    def records(res: TrainResult) -> list[dict[str, Any]]:
        out = []
        for i, m in enumerate(members):
            rec = {"member": dataclasses.asdict(m), "label": m.label, "params": count_params(models[i]),
                   "loss": res.loss[i], "accuracy": res.accuracy[i], "diverged_epoch": res.diverged_epoch[i],
                   "wall_time_s": res.wall_time_s, "group": unit_of[i], "segments": res.segments}
            if use_val:
                rec["val_loss"], rec["val_accuracy"] = res.val_loss[i], res.val_accuracy[i]
            out.append(rec)
        return out

    try:
        res = train_models(models, [m.lr for m in members], data.X_train, data.y_train, config,
                           X_val=data.X_val if use_val else None, y_val=data.y_val if use_val else None,
                           checkpoint_path=ckpt, desc=f"{len(members)} networks")
    except TrainingInterrupted as exc:
        if exc.partial is not None:
            exc.records = records(exc.partial)
        raise
    return records(res)


def result_document(kind: str, config: TrainConfig, records: list[dict[str, Any]], wall_time_s: float,
                    extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A result file's content: kind, config, per-member records and provenance (device, torch, git commit)."""
    from snnlib.reproducibility import provenance

    device = pick_device(config.device)
    prov = provenance(str(device))
    prov["device"] = device_name(device)
    return {"kind": kind, "config": dataclasses.asdict(config), **(extra or {}), "records": records,
            "wall_time_s": wall_time_s, "provenance": prov}
