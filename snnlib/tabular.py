"""The tabular benchmark: SNN vs six FNN families and three scikit-learn methods on UCI classification tasks.

Paper §"121 UCI Machine Learning Repository datasets", §A4.1-A4.2, Table 1 and Tables A4-A13; see chapter
"A tabular benchmark". For every (dataset, method, seed) the hyperparameters are chosen on a validation split
(the paper: 15% of the training data), the epoch by the best (smoothed) validation accuracy, and the test
accuracy of that choice is reported. The per-dataset accuracies are then ranked and tested with
:mod:`snnlib.stats` exactly as in the paper's Table 1.

The default grid is small (it runs on a laptop); ``paper_grid=True`` / ``--paper-grid`` uses the SNN grid of
Table A4 (A21 for HTRU2) with what the paper's text states of the other families' grids
(:data:`PAPER_FAMILY_GRIDS`); all grids of §A4 are in :mod:`snnlib.paper_grids`. The other families' tables
(A5-A10, A22-A27) are in the paper but not in this build's sources: their grids are snnlib's reading, and
every result records, per family, which grid it ran (``grid_provenance``). Tasks run
serially, in local processes (a spawn-context ``multiprocessing`` pool, the default for ``jobs > 1``) or with
Dask, on a local scheduler or a ``dask.distributed`` cluster (optional extra: ``pip install
"snnlib[distributed]"``; :mod:`snnlib.engines` says how to point a sweep at a running cluster and how GPUs and
other worker resources are assigned), and the result is written atomically as JSON with provenance. Command line:
``python -m snnlib tabular --help`` (:mod:`snnlib.cli.tabular`).
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import math
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from snnlib import paper_grids, stats
from snnlib.files import remove_stale_temporaries, write_json_atomic

#: The seven FNN families of paper Table 1 (left), SNN first.
FNN_METHODS: tuple[str, ...] = ("SNN", "MSRAinit", "BatchNorm", "LayerNorm", "WeightNorm", "Highway", "ResNet")
#: scikit-learn baselines standing in for the paper's best non-FNN methods (LibSVM_weka, RRFglobal_caret, and
#: SimpleLogistic_weka of Tables A12/A13).
SKLEARN_METHODS: tuple[str, ...] = ("RandomForest", "SVM", "LogReg")
METHODS: tuple[str, ...] = FNN_METHODS + SKLEARN_METHODS
#: The built-in UCI datasets that ship with scikit-learn (no download).
BUILTIN_DATASETS: tuple[str, ...] = ("digits", "breast_cancer", "wine", "iris")
ENGINES: tuple[str, ...] = ("serial", "local", "dask")
#: Model-selection and reporting metrics: test accuracy (UCI, paper Table 1) or ROC AUC (HTRU2, paper Table 3).
METRICS: tuple[str, ...] = ("accuracy", "auc")
#: Train/test splits of the UCI archive (:func:`snnlib.data.load_uci_folder`); the first is the paper's.
UCI_SPLITS: tuple[str, ...] = ("kfold", "holdout")
#: HTRU2's nested cross-validation: the tasks ``htru2:1`` ... ``htru2:10`` are its test folds (paper §A4.4).
HTRU2_FOLDS: int = 10
#: Dask's local schedulers. Not "threads": threads share torch's global RNG (initialisation, dropout masks) and
#: thread setting, so FNN results would depend on timing.
DASK_SCHEDULERS: tuple[str, ...] = ("processes", "synchronous")
#: FNN trainers (:class:`SweepConfig` ``trainer``): one setting at a time, or stacked (:mod:`snnlib.tabular_batch`).
TRAINERS: tuple[str, ...] = ("loop", "batched")
#: The multi-task data set of paper Table 2 (:mod:`snnlib.tox21`).
TOX21: str = "tox21"
#: Families that take no dropout in the paper's grids (and in :func:`snnlib.models.build_model`).
_NO_DROPOUT: tuple[str, ...] = ("BatchNorm", "ResNet")
_RECTANGULAR_ONLY: tuple[str, ...] = ("Highway", "ResNet")

#: Small default grid (runs in minutes on a CPU); the paper's grid is :data:`PAPER_GRID_SNN`.
DEFAULT_GRID: dict[str, tuple] = {"depth": (2, 8), "width": (64,), "lr": (0.01, 0.1), "dropout": (0.0, 0.05),
                                  "shape": ("rectangular",)}
#: SNN grid of paper Table A4 (UCI), read from :mod:`snnlib.paper_grids` (the one place of §A4's grids).
PAPER_GRID_SNN: dict[str, tuple] = paper_grids.snn_grid("UCI")
#: SNN grid of paper Table A21 (HTRU2), read from :mod:`snnlib.paper_grids`.
PAPER_GRID_SNN_HTRU2: dict[str, tuple] = paper_grids.snn_grid("HTRU2")
#: What the paper's text states of the other families' UCI grids (:data:`snnlib.paper_grids.STATEMENTS`): the
#: keys given replace those of the SNN grid for that family. MSRAinit and Highway try dropout {0.5, 0}; ResNet
#: tries {2, 3, 4, 8, 16} blocks and a bottleneck of 25% or 50% of the width. The paper's own tables for these
#: families (A5-A10; A22-A27 for HTRU2) are in the paper but not in this build's sources, so with
#: ``--paper-grid`` every family but SNN runs snnlib's reading (the SNN grid with these values), and the result
#: says so (:func:`grid_provenance`).
PAPER_FAMILY_GRIDS: dict[str, dict[str, tuple]] = {
    m: paper_grids.family_values(m, "UCI") for m in FNN_METHODS if paper_grids.family_values(m, "UCI")}
#: Grids of the scikit-learn baselines (ours; the paper took these methods' results from Fernández-Delgado et al.).
SKLEARN_GRIDS: dict[str, dict[str, tuple]] = {
    "RandomForest": {"max_features": ("sqrt", 0.5)},
    "SVM": {"C": (1.0, 10.0, 100.0)},
    "LogReg": {"C": (0.1, 1.0, 10.0)},
}

_T1 = "paper Table 1 (left): 7 FNNs on 121 UCI tasks; avg. rank difference to 4; * = significantly worse than best"
#: Paper Table 1 (left). ``p_value`` is the paired Wilcoxon test against SNN across the 121 datasets.
PAPER_TABLE1_LEFT: dict[str, Any] = {
    "source": _T1, "n_datasets": 121, "reference_rank": 4.0,
    "rows": [
        {"method": "SNN", "avg_rank_diff": -0.756, "p_value": None, "significant": False},
        {"method": "MSRAinit", "avg_rank_diff": -0.240, "p_value": 2.7e-02, "significant": True},
        {"method": "LayerNorm", "avg_rank_diff": -0.198, "p_value": 1.5e-02, "significant": True},
        {"method": "Highway", "avg_rank_diff": 0.021, "p_value": 1.9e-03, "significant": True},
        {"method": "ResNet", "avg_rank_diff": 0.273, "p_value": 5.4e-04, "significant": True},
        {"method": "WeightNorm", "avg_rank_diff": 0.397, "p_value": 7.8e-07, "significant": True},
        {"method": "BatchNorm", "avg_rank_diff": 0.504, "p_value": 3.5e-06, "significant": True},
    ],
}


def _table_rows(entries: Sequence[tuple[str, float, float | None]], key: str) -> list[dict[str, Any]]:
    return [{"method": m, key: v, "p_value": p, "significant": p is not None and p < 0.05} for m, v, p in entries]


#: Paper Table A12: 24 methods on the 75 small UCI datasets (< 1000 points); avg. rank, Wilcoxon p vs the best.
PAPER_TABLE_A12: dict[str, Any] = {
    "source": "paper Table A12: 24 methods on the 75 UCI datasets with < 1000 points; avg. rank; p vs best",
    "n_datasets": 75, "reference_rank": 12.5,
    "rows": _table_rows([
        ("LibSVM_weka", 9.3, None), ("RRFglobal_caret", 9.6, 2.5e-01), ("SNN", 9.6, 3.8e-01),
        ("SimpleLogistic_weka", 9.9, 1.5e-01), ("lvq_caret", 10.1, 1.0e-01), ("gcvEarth_caret", 10.7, 3.6e-02),
        ("MSRAinit", 11.0, 4.0e-02), ("LayerNorm", 11.3, 7.2e-02), ("Highway", 11.5, 8.9e-03),
        ("mda_R", 11.8, 2.6e-03), ("LogitBoost_weka", 11.9, 2.4e-02), ("ctreeBag_R", 12.1, 1.8e-03),
        ("ResNet", 12.3, 3.5e-03), ("BatchNorm", 12.6, 4.9e-04), ("JRip_caret", 12.9, 1.7e-04),
        ("WeightNorm", 13.0, 8.3e-05), ("rpart2_caret", 13.6, 7.0e-04), ("Dagging_weka", 13.9, 3.0e-05),
        ("NNge_weka", 14.0, 7.7e-04), ("pam_caret", 14.2, 1.5e-04), ("simpls_R", 14.3, 4.6e-05),
        ("NaiveBayes_weka", 14.6, 1.2e-04), ("bayesglm_caret", 15.0, 1.6e-06), ("Stacking_weka", 20.9, 2.2e-12),
    ], "avg_rank"),
}
#: Paper Table A13: 24 methods on the 46 large UCI datasets (>= 1000 points); avg. rank, Wilcoxon p vs SNN.
PAPER_TABLE_A13: dict[str, Any] = {
    "source": "paper Table A13: 24 methods on the 46 UCI datasets with >= 1000 points; avg. rank; p vs best",
    "n_datasets": 46, "reference_rank": 12.5,
    "rows": _table_rows([
        ("SNN", 5.8, None), ("LibSVM_weka", 6.1, 5.8e-01), ("RRFglobal_caret", 6.6, 2.1e-01),
        ("MSRAinit", 7.1, 4.5e-03), ("LayerNorm", 7.2, 7.1e-02), ("Highway", 7.9, 1.7e-03),
        ("ResNet", 8.4, 1.7e-04), ("WeightNorm", 8.7, 5.5e-04), ("BatchNorm", 9.7, 1.8e-04),
        ("gcvEarth_caret", 9.9, 8.2e-05), ("LogitBoost_weka", 12.1, 2.2e-07), ("SimpleLogistic_weka", 12.4, 3.8e-09),
        ("JRip_caret", 12.4, 9.0e-08), ("ctreeBag_R", 13.5, 1.6e-05), ("mda_R", 13.9, 1.4e-10),
        ("NNge_weka", 14.1, 1.6e-10), ("rpart2_caret", 15.5, 2.3e-08), ("Dagging_weka", 16.1, 4.4e-12),
        ("lvq_caret", 16.3, 1.6e-12), ("NaiveBayes_weka", 17.9, 1.6e-12), ("pam_caret", 18.3, 2.8e-14),
        ("bayesglm_caret", 18.7, 1.5e-11), ("simpls_R", 19.0, 3.4e-11), ("Stacking_weka", 22.5, 2.8e-14),
    ], "avg_rank"),
}
#: Paper Table 1 (right): the same 46 large datasets, avg. rank difference to 12.5 (= Table A13 rank - 12.5).
PAPER_TABLE1_RIGHT: dict[str, Any] = {
    "source": "paper Table 1 (right): 24 methods on the 46 UCI datasets with >= 1000 points; avg. rank "
              "difference to 12.5 (Table A13 minus 12.5); * = significantly worse than best",
    "n_datasets": 46, "reference_rank": 12.5,
    "rows": [{"method": r["method"], "avg_rank_diff": round(r["avg_rank"] - 12.5, 1), "p_value": r["p_value"],
              "significant": r["significant"]} for r in PAPER_TABLE_A13["rows"]],
}
#: Average depth selected on the 121 tasks (paper main text, §"121 UCI ..."); ResNet counts blocks.
PAPER_SELECTED_DEPTHS: dict[str, Any] = {
    "source": "paper §'121 UCI Machine Learning Repository datasets': average selected depth",
    "depths": {"SNN": 10.8, "BatchNorm": 6.0, "WeightNorm": 3.8, "LayerNorm": 7.0, "Highway": 5.9,
               "MSRAinit": 7.1, "ResNet": 6.35},
}

#: Paper Table A11, the abalone row (N = 4177 samples; paper_facts.md §5.2): test accuracies of the seven FNNs.
PAPER_TABLE_A11_ABALONE: dict[str, Any] = {
    "n_samples": 4177,
    "accuracy": {"SNN": 0.6657, "MSRAinit": 0.6284, "Highway": 0.6427, "ResNet": 0.6466, "BatchNorm": 0.6303,
                 "WeightNorm": 0.6351, "LayerNorm": 0.6178},
}


def consistent_test_sizes(accuracies: Sequence[float], n_samples: int, digits: int = 4) -> list[int]:
    """Test-set sizes n <= ``n_samples`` for which every printed accuracy is some k/n rounded to ``digits``
    decimals: the evidence for the test split of the UCI archive (abalone in Table A11 gives 1044 = N // 4 and
    its multiples, the first fold of ``conxuntos_kfold.dat``; :func:`snnlib.data.load_uci_folder`). Chapter "A
    tabular benchmark"."""
    if isinstance(n_samples, bool) or not isinstance(n_samples, int) or n_samples < 1:
        raise ValueError(f"n_samples must be an integer >= 1, got {n_samples!r}")
    values = np.asarray(accuracies, dtype=float)
    if values.ndim != 1 or values.size == 0 or not np.all((values >= 0) & (values <= 1)):
        raise ValueError("accuracies must be a non-empty sequence of values in [0, 1]")
    half = 0.5 * 10.0 ** -digits
    return [n for n in range(1, n_samples + 1)
            if np.all(np.abs(np.round(values * n) / n - values) <= half + 1e-12)]


@dataclass(frozen=True)
class SweepConfig:
    """Everything that defines a tabular sweep (stored in the result JSON). See :func:`run_sweep`."""

    grid: dict[str, tuple] = field(default_factory=lambda: dict(DEFAULT_GRID))
    epochs: int = 30
    batch_size: int = 64
    smooth: int = 1
    val_fraction: float = 0.15
    sklearn_grids: dict[str, dict[str, tuple]] = field(default_factory=lambda: dict(SKLEARN_GRIDS))
    family_grids: dict[str, dict[str, tuple]] = field(default_factory=dict)
    metric: str = "accuracy"
    #: Train/test split of UCI-archive datasets: ``"kfold"`` (first fold of ``conxuntos_kfold.dat``, test set
    #: about N/4, the paper's; see :func:`snnlib.data.load_uci_folder`) or ``"holdout"`` (``conxuntos.dat``).
    uci_split: str = "kfold"
    #: FNN training: "loop" (one setting after the other, :func:`_train_fnn`) or "batched" (the settings of a
    #: task that :mod:`snnlib.tabular_batch` can stack train together, on ``device``; the others loop).
    trainer: str = "loop"
    device: str = "cpu"

    def __post_init__(self) -> None:
        for key in ("depth", "width", "lr", "dropout", "shape"):
            if key not in self.grid or len(self.grid[key]) == 0:
                raise ValueError(f"grid must give a non-empty tuple for {key!r}, got {self.grid.get(key)!r}")
        if any(not isinstance(d, int) or d < 1 for d in self.grid["depth"]):
            raise ValueError(f"grid depth (hidden layers) must be integers >= 1, got {self.grid['depth']!r}")
        if any(not isinstance(w, int) or w < 1 for w in self.grid["width"]):
            raise ValueError(f"grid width (hidden units) must be integers >= 1, got {self.grid['width']!r}")
        if any(not (lr > 0 and math.isfinite(lr)) for lr in self.grid["lr"]):
            raise ValueError(f"grid lr (learning rate) must be finite and > 0, got {self.grid['lr']!r}")
        if any(not 0 <= p < 1 for p in self.grid["dropout"]):
            raise ValueError(f"grid dropout (drop rate) must be in [0, 1), got {self.grid['dropout']!r}")
        if any(s not in ("rectangular", "conic") for s in self.grid["shape"]):
            raise ValueError(f"grid shape must be 'rectangular' or 'conic', got {self.grid['shape']!r}")
        if "l2" in self.grid and (len(self.grid["l2"]) == 0 or any(
                not (isinstance(v, (int, float)) and math.isfinite(v) and v >= 0) for v in self.grid["l2"])):
            raise ValueError(f"grid l2 (weight decay) must be a non-empty tuple of finite values >= 0, "
                             f"got {self.grid['l2']!r}")
        if self.trainer not in TRAINERS:
            raise ValueError(f"trainer must be one of {TRAINERS}, got {self.trainer!r}")
        for name, value, low in (("epochs", self.epochs, 1), ("batch_size", self.batch_size, 1),
                                 ("smooth", self.smooth, 1)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        for family, grid in self.family_grids.items():
            if family not in FNN_METHODS:
                raise ValueError(f"family_grids keys must be FNN families {FNN_METHODS}, got {family!r}")
            for key, values in grid.items():
                if key not in ("depth", "width", "lr", "dropout", "shape", "bottleneck", "l2") or len(values) == 0:
                    raise ValueError(f"family_grids[{family!r}] must map grid keys (depth, width, lr, dropout, "
                                     f"shape, bottleneck, l2) to non-empty tuples, got {key!r}: {values!r}")
            if "bottleneck" in grid and family != "ResNet":
                raise ValueError(f"family_grids: bottleneck applies to ResNet only, got it for {family!r}")
            if any(not 0 < b <= 1 for b in grid.get("bottleneck", ())):
                raise ValueError(f"family_grids bottleneck must be in (0, 1], got {grid['bottleneck']!r}")
        if self.uci_split not in UCI_SPLITS:
            raise ValueError(f"uci_split must be one of {UCI_SPLITS}, got {self.uci_split!r}")
        if self.metric not in METRICS:
            raise ValueError(f"metric must be one of {METRICS}, got {self.metric!r}")
        if not 0 < self.val_fraction < 1:
            raise ValueError(f"val_fraction (share of training data held out) must be in (0, 1), "
                             f"got {self.val_fraction!r}")


def method_grid(method: str, config: SweepConfig) -> dict[str, tuple]:
    """The grid (key -> values) tried for ``method``: the FNN grid (families without dropout or conic shape in
    the paper's grids get only dropout 0 / rectangular; ``config.family_grids[method]`` then replaces keys, e.g.
    :data:`PAPER_FAMILY_GRIDS`) or the scikit-learn grid."""
    if method not in METHODS:
        raise ValueError(f"method must be one of {METHODS}, got {method!r}")
    grid = dict(config.sklearn_grids[method]) if method in SKLEARN_METHODS else dict(config.grid)
    if method in _NO_DROPOUT:
        grid["dropout"] = (0.0,)
    if method in _RECTANGULAR_ONLY:
        grid["shape"] = ("rectangular",)
    if method in FNN_METHODS:
        grid.update(config.family_grids.get(method, {}))
    return {k: tuple(dict.fromkeys(v)) for k, v in grid.items()}


def grid_configs(method: str, config: SweepConfig) -> list[dict[str, Any]]:
    """The hyperparameter settings tried for ``method``: every combination of :func:`method_grid`."""
    grid = method_grid(method, config)
    keys = sorted(grid)
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def dataset_family(datasets: Sequence[str]) -> str:
    """``"HTRU2"`` if every task is an HTRU2 fold, ``"Tox21"`` if every task is Tox21, ``"UCI"`` if none is
    either (built-in sets are UCI copies), else ``"mixed"``."""
    kinds = {"HTRU2" if htru2_fold(d) is not None else "Tox21" if d == TOX21 else "UCI" for d in datasets}
    return kinds.pop() if len(kinds) == 1 else "mixed"


def grid_provenance(config: SweepConfig, methods: Sequence[str], family: str = "UCI") -> dict[str, dict[str, Any]]:
    """Per FNN method, where its grid comes from (:func:`snnlib.paper_grids.grid_provenance`): the paper's
    table (SNN with ``--paper-grid``: Table A4, A21 for HTRU2, A14 for Tox21), snnlib's reading of the text
    (the other families with ``--paper-grid``: their tables A5-A10 / A15-A20 / A22-A27 are not in this build's
    sources), or a grid chosen for the run. Stored in every result as ``grid_provenance``; chapter "A tabular
    benchmark"."""
    if family not in ("UCI", "HTRU2", "Tox21"):
        return {m: {"method": m, "dataset_family": family, "grid_source": "chosen for this run",
                    "is_paper_table": False, "note": f"{m}: a sweep mixing UCI, HTRU2 and Tox21 tasks has no "
                                                     "paper grid"}
                for m in methods if m in FNN_METHODS}
    if family == "Tox21":
        from snnlib.tox21 import paper_config

        reading = paper_config()
    else:
        reading = sweep_config(paper_grid=True, htru2=family == "HTRU2")
    return {m: paper_grids.grid_provenance(m, family, method_grid(m, config), len(grid_configs(m, config)),
                                           method_grid(m, reading)) for m in methods if m in FNN_METHODS}


def smoothed(val_acc: Sequence[float], smooth: int = 1) -> np.ndarray:
    """Trailing moving average of a validation curve over ``smooth`` epochs (shorter windows at the start)."""
    v = np.asarray(val_acc, dtype=float)
    if v.ndim != 1 or v.size == 0:
        raise ValueError(f"val_acc must be a non-empty 1-d sequence, got shape {v.shape}")
    if isinstance(smooth, bool) or not isinstance(smooth, int) or smooth < 1:
        raise ValueError(f"smooth (moving-average window in epochs) must be an integer >= 1, got {smooth!r}")
    c = np.concatenate([[0.0], np.cumsum(v)])
    idx = np.arange(1, v.size + 1)
    start = np.maximum(idx - smooth, 0)
    return (c[idx] - c[start]) / (idx - start)


def select_epoch(val_acc: Sequence[float], smooth: int = 1) -> int:
    """Epoch (0-based) with the best moving-average validation accuracy (:func:`smoothed`); the first on ties.

    Paper §A4.1: "early stopping ... based on learning curves of 100 epochs, smoothed with a moving average of
    10"; ``smooth`` is the window (trailing, shorter at the start). Chapter "A tabular benchmark".
    """
    return int(np.argmax(smoothed(val_acc, smooth)))


def _selection_score(out: dict[str, Any], config: SweepConfig) -> float:
    """The validation score a setting is ranked by: the smoothed one for FNNs, the plain one otherwise."""
    return out.get("val_selection", out[f"val_{config.metric}"])


def _selection_key(val: float, params: dict[str, Any]) -> tuple:
    """Best validation score; ties broken towards more layers, lower lr, higher dropout (paper §A4.1)."""
    return (round(val, 12), params.get("depth", 0), -params.get("lr", 0.0), params.get("dropout", 0.0))


# ----------------------------------------------------------------------------------------------- data
@functools.lru_cache(maxsize=8)
def load_task_data(dataset: str, seed: int, val_fraction: float = 0.15, data_dir: str | None = None,
                   uci_split: str = "kfold"):
    """The :class:`snnlib.data.Dataset` (standardised float32 train/validation/test splits) of one task.

    Built-in names (:data:`BUILTIN_DATASETS`) come from :func:`snnlib.data.load_builtin` (a seeded stratified
    split, 20 % test); with ``data_dir`` the name is a dataset folder of the UCI-121 archive, loaded with its
    predefined split by :func:`snnlib.data.load_uci_folder` (``uci_split``: ``"kfold"``, the first fold of
    ``conxuntos_kfold.dat`` as in the paper, or ``"holdout"``, ``conxuntos.dat``). Either way ``val_fraction``
    of the training data is the validation set (paper §A4.1: 15 %). ``htru2:M`` is test fold M of HTRU2's nested
    cross-validation (:func:`snnlib.data.load_htru2_fold`; ``data_dir``: where ``HTRU2.zip`` is cached; the folds
    do not depend on ``seed``, which only seeds the networks). Cached per process, so each worker loads a dataset
    once.
    """
    from snnlib import data

    if dataset == TOX21:
        from snnlib import tox21

        return tox21.load_tox21(root=data_dir, seed=seed, val_fraction=val_fraction)
    fold = htru2_fold(dataset)
    if fold is not None:
        return data.load_htru2_fold(fold, root=data_dir, n_folds=HTRU2_FOLDS)
    if data_dir is None:
        if dataset not in BUILTIN_DATASETS:
            raise ValueError(f"dataset must be one of {BUILTIN_DATASETS} (or give data_dir), got {dataset!r}")
        return data.load_builtin(dataset, seed=seed, val_fraction=val_fraction)
    folder = os.path.join(data_dir, dataset)
    if not os.path.isdir(folder):
        raise ValueError(f"dataset must be a folder of the UCI archive in {data_dir!r}, got {dataset!r}")
    return data.load_uci_folder(folder, val_fraction=val_fraction, seed=seed, split=uci_split)


def htru2_fold(dataset: str) -> int | None:
    """The test fold M of a task name ``htru2:M`` (1 <= M <= :data:`HTRU2_FOLDS`); None for other names."""
    if not dataset.startswith("htru2:"):
        return None
    text = dataset.split(":", 1)[1]
    if not text.isdigit() or not 1 <= int(text) <= HTRU2_FOLDS:
        raise ValueError(f"dataset 'htru2:M' needs a fold M in 1..{HTRU2_FOLDS}, got {dataset!r}")
    return int(text)


def list_uci_datasets(data_dir: str | os.PathLike) -> list[str]:
    """Names (sorted) of the UCI-121 dataset folders in ``data_dir``: subfolders ``<name>`` that hold
    ``<name>_R.dat`` or ``<name>_train_R.dat`` (the layout of the Fernández-Delgado et al. archive)."""
    root = os.fspath(data_dir)
    if not os.path.isdir(root):
        raise ValueError(f"data_dir must be an existing folder (the UCI-121 archive), got {root!r}")
    names = sorted(d for d in os.listdir(root)
                   if any(os.path.isfile(os.path.join(root, d, d + suffix)) for suffix in ("_R.dat", "_train_R.dat")))
    if not names:
        raise ValueError(f"data_dir must hold UCI dataset folders (<name>/<name>_R.dat), found none in {root!r}")
    return names


# ----------------------------------------------------------------------------------------------- training
@contextlib.contextmanager
def _single_thread(use_torch: bool) -> Iterator[None]:
    """One thread for BLAS and OpenMP (scikit-learn) and, if ``use_torch``, torch while a task runs: parallelism
    comes from running tasks side by side, and oversubscribed BLAS threads made small fits ~50x slower on a
    2-core machine. (Threads of one process share torch's setting: use processes to run FNN tasks in parallel.)"""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1):
        if not use_torch:
            yield
            return
        import torch

        old = torch.get_num_threads()
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(old)


def score(y_true: np.ndarray, scores: np.ndarray, metric: str) -> float:
    """Accuracy of the arg-max of ``scores`` (n, classes), or the ROC AUC of ``scores[:, 1]`` (binary tasks); for
    multi-task labels (2-d, NaN = missing; Tox21) the mean ROC AUC over the tasks (:func:`snnlib.multitask.mean_auc`:
    tasks with one class in this set are skipped)."""
    scores = np.asarray(scores)
    if np.ndim(y_true) == 2:
        if metric != "auc":
            raise ValueError(f"multi-task labels need metric 'auc' (mean ROC AUC over tasks), got {metric!r}")
        from snnlib.multitask import mean_auc

        return mean_auc(y_true, scores)
    if metric == "accuracy":
        return float((scores.argmax(1) == y_true).mean())
    if metric != "auc":
        raise ValueError(f"metric must be one of {METRICS}, got {metric!r}")
    if scores.ndim != 2 or scores.shape[1] != 2:
        raise ValueError(f"metric 'auc' needs a binary task (2 score columns), got scores of shape {scores.shape}")
    if len(np.unique(y_true)) < 2:
        raise ValueError("metric 'auc' needs both classes in every validation and test set, got one class")
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(y_true, scores[:, 1]))


def _train_fnn(family: str, data: Any, params: dict[str, Any], config: SweepConfig, seed: int) -> dict[str, Any]:
    """Train one FNN with plain SGD (as in the paper); validation and test score after every epoch."""
    import torch
    from torch.nn import functional as F

    from snnlib.models import build_model
    from snnlib.reproducibility import seed_everything

    seed_everything(seed)
    x_tr, y_tr = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    x_va, x_te = torch.from_numpy(data.X_val), torch.from_numpy(data.X_test)
    model = build_model(family, data.n_features, data.n_classes, params["depth"], params["width"],
                        shape=params["shape"], dropout=params["dropout"], bottleneck=params.get("bottleneck", 1.0))
    decayed, other = _l2_groups(model)  # L2 (paper Table A14): weight decay on the weight matrices only
    opt = torch.optim.SGD([{"params": decayed, "weight_decay": float(params.get("l2", 0.0))},
                           {"params": other, "weight_decay": 0.0}], lr=params["lr"])
    if y_tr.ndim == 2:  # multi-task labels with NaN for missing (Tox21): masked binary cross-entropy
        from snnlib.multitask import masked_bce as loss_fn
    else:
        loss_fn = F.cross_entropy
    gen = torch.Generator().manual_seed(seed)
    val_curve, test_curve = [], []
    diverged: int | None = None
    n, bs = x_tr.shape[0], min(config.batch_size, x_tr.shape[0])
    for ep in range(config.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        for start in range(0, n - bs + 1, bs):  # drop the last incomplete batch (BatchNorm needs > 1 sample)
            idx = perm[start:start + bs]
            loss = loss_fn(model(x_tr[idx]), y_tr[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            out_va, out_te = model(x_va).numpy(), model(x_te).numpy()
        if not (np.isfinite(out_va).all() and np.isfinite(out_te).all()):  # diverged: score as chance
            out_va, out_te = np.zeros_like(out_va), np.zeros_like(out_te)
            diverged = ep + 1
        val_curve.append(score(data.y_val, out_va, config.metric))
        test_curve.append(score(data.y_test, out_te, config.metric))
        if not math.isfinite(loss.item()):
            diverged = ep + 1
            break  # diverged: later epochs predict garbage; the curves so far still count
    return _fnn_record(val_curve, test_curve, diverged, config)


def _l2_groups(model: Any) -> tuple[list, list]:
    """The parameters L2 applies to (weight matrices of the linear layers; for WeightNorm their direction, not
    the magnitude) and all others (biases, normalisation scales and shifts)."""
    decayed, other = [], []
    for name, p in model.named_parameters():
        is_matrix = p.ndim == 2 and (name.endswith("weight") or name.endswith("original1"))
        (decayed if is_matrix else other).append(p)
    return decayed, other


def _fnn_record(val_curve: Sequence[float], test_curve: Sequence[float], diverged: int | None,
                config: SweepConfig) -> dict[str, Any]:
    """A setting's result from its per-epoch validation and test curves: the epoch of the best smoothed
    validation score (:func:`select_epoch` semantics), its scores, and the curves (``curves``; :func:`run_task`
    keeps them out of the task record)."""
    curve = smoothed(val_curve, min(config.smooth, len(val_curve)))
    epoch = int(np.argmax(curve))
    # settings are compared on the smoothed validation score, the quantity the epoch was chosen by (a single
    # lucky epoch must not win the grid search either); equal to the raw score when smooth = 1
    return {f"val_{config.metric}": val_curve[epoch], f"test_{config.metric}": test_curve[epoch], "epoch": epoch + 1,
            "val_selection": float(curve[epoch]), "diverged_epoch": diverged,
            "curves": {"val": [float(v) for v in val_curve], "test": [float(v) for v in test_curve]}}


def _fit_sklearn(method: str, data: Any, params: dict[str, Any], seed: int, metric: str = "accuracy") -> dict[str, Any]:
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    if method == "RandomForest":
        model = RandomForestClassifier(n_estimators=100, random_state=seed, n_jobs=1, **params)
    elif method == "SVM":
        model = SVC(kernel="rbf", gamma="scale", **params)
    else:
        model = LogisticRegression(max_iter=2000, **params)
    model.fit(data.X_train, data.y_train)

    if metric == "accuracy":  # the estimator's own predict (labels as trained), not an arg-max of scores
        return {"val_accuracy": float(model.score(data.X_val, data.y_val)),
                "test_accuracy": float(model.score(data.X_test, data.y_test)), "epoch": None}

    def scores(X: np.ndarray) -> np.ndarray:
        if method == "RandomForest":
            return model.predict_proba(X)
        d = model.decision_function(X)
        return np.stack([-d, d], axis=1) if d.ndim == 1 else d  # binary: one margin, positive = class 1

    return {f"val_{metric}": score(data.y_val, scores(data.X_val), metric),
            f"test_{metric}": score(data.y_test, scores(data.X_test), metric), "epoch": None}


def run_task(task: dict[str, Any]) -> dict[str, Any]:
    """Run one (dataset, method, seed): try every grid setting, keep the best on validation, report its test
    accuracy. ``task`` holds ``dataset``, ``method``, ``seed``, ``config`` (a :class:`SweepConfig`) and
    ``data_dir``. A picklable top-level function, so local processes and Dask workers can run it."""
    config: SweepConfig = task["config"]
    method, seed = task["method"], int(task["seed"])
    data = load_task_data(task["dataset"], seed, config.val_fraction, task.get("data_dir"), config.uci_split)
    best: dict[str, Any] | None = None
    n_diverged = 0
    settings = grid_configs(method, config)
    with _single_thread(method in FNN_METHODS):
        if method in SKLEARN_METHODS:
            outs: Any = (_fit_sklearn(method, data, params, seed, config.metric) for params in settings)
        elif config.trainer == "batched":
            from snnlib.tabular_batch import train_settings

            outs = train_settings(method, data, settings, config, seed)
        else:
            outs = (_train_fnn(method, data, params, config, seed) for params in settings)
        for params, out in zip(settings, outs):
            out = {k: v for k, v in out.items() if k != "curves"}
            if method in FNN_METHODS:
                n_diverged += out.get("diverged_epoch") is not None
            if best is None or _selection_key(_selection_score(out, config), params) > _selection_key(
                    _selection_score(best, config), best["params"]):
                best = {**out, "params": params}
    assert best is not None
    fold = htru2_fold(task["dataset"])
    if fold is not None:  # paper §A4.4: validation fold M - 1, fold 10 for M = 1; the other 8 folds train
        val = (fold - 2) % HTRU2_FOLDS + 1
        best["folds"] = {"test": fold, "validation": val,
                         "train": [f for f in range(1, HTRU2_FOLDS + 1) if f not in (fold, val)],
                         "sizes": {"train": len(data.y_train), "validation": len(data.y_val),
                                   "test": len(data.y_test)}}
    # diverged_epoch: of the chosen setting (None if it trained to the end; its scores before then count, after
    # it a diverged network scores as chance); diverged_settings: how many grid settings diverged in all
    return {"dataset": task["dataset"], "method": method, "seed": seed, **best,
            **({"diverged_settings": n_diverged} if method in FNN_METHODS else {})}


# ----------------------------------------------------------------------------------------------- sweep
def _task_path(task: dict[str, Any], checkpoint_dir: str | os.PathLike) -> str:
    """Where a finished task's record is kept: named after everything that determines it (dataset, method,
    seed, configuration, data folder), so a changed setting never reuses an old record."""
    import hashlib
    import json

    key = json.dumps([task["dataset"], task["method"], int(task["seed"]), asdict(task["config"]),
                      task.get("data_dir")], sort_keys=True, default=str)
    return os.path.join(checkpoint_dir, f"task-{hashlib.sha256(key.encode()).hexdigest()[:20]}.json")


class TaskRecordError(ValueError):
    """A file in the checkpoint folder that is not a readable record of the task it is named after."""


def _load_task_record(path: str, task: dict[str, Any]) -> dict[str, Any]:
    """A saved task record, checked; ValueError naming the file if it is unreadable or not this task's."""
    import json

    try:
        with open(path) as fh:
            record = json.load(fh)
    except (OSError, ValueError) as exc:
        raise TaskRecordError(f"saved task {path} cannot be read ({exc}); delete it to run that task again") from None
    need = {"dataset", "method", "seed", "params"}
    if not isinstance(record, dict) or not need <= set(record) or (
            record["dataset"], record["method"], record["seed"]) != (task["dataset"], task["method"],
                                                                     int(task["seed"])):
        raise TaskRecordError(f"saved task {path} is not the record of {task['dataset']} / {task['method']} / seed "
                         f"{task['seed']}; delete it to run that task again")
    return record


def _execute(tasks: list[dict[str, Any]], engine: str, jobs: int, progress: bool, dask_scheduler: str,
             dask_address: str | None, checkpoint_dir: str | os.PathLike | None = None,
             dask_resources: dict[str, float] | None = None) -> list[dict[str, Any]]:
    """Run the tasks with :func:`snnlib.engines.run_tasks`; with ``checkpoint_dir`` every finished task is saved
    there (atomically) as soon as its result reaches this process, whatever the engine, and tasks saved by an
    earlier (interrupted or killed) run are loaded instead of run again; temporaries that a kill -9 left beside
    them are removed first."""
    from tqdm import tqdm  # plain bars: tqdm.auto warns on stderr in kernels without ipywidgets

    from snnlib import engines

    done: dict[int, dict[str, Any]] = {}
    if checkpoint_dir is not None:
        os.makedirs(checkpoint_dir, exist_ok=True)
        for i, t in enumerate(tasks):
            path = _task_path(t, checkpoint_dir)
            remove_stale_temporaries(path)  # left by a run killed (kill -9) while it saved this task
            if os.path.exists(path):
                done[i] = _load_task_record(path, t)
    todo = [i for i in range(len(tasks)) if i not in done]
    bar = tqdm(total=len(tasks), initial=len(done), disable=not progress, desc="tabular")

    def save(k: int, record: dict[str, Any]) -> None:
        i = todo[k]
        done[i] = record
        if checkpoint_dir is not None:
            write_json_atomic(_task_path(tasks[i], checkpoint_dir), record)
        bar.update(1)

    try:  # run_task looked up now, so that a test's replacement travels to the workers (Dask pickles it)
        engines.run_tasks(run_task, [tasks[i] for i in todo], save, engine, jobs, dask_scheduler, dask_address,
                          dask_resources, names=[f"{tasks[i]['dataset']}-{tasks[i]['method']}-{tasks[i]['seed']}"
                                                 for i in todo])
    finally:
        bar.close()
    return [done[i] for i in range(len(tasks))]


def run_sweep(datasets: Sequence[str], methods: Sequence[str] = METHODS, seeds: Sequence[int] = (0,),
              config: SweepConfig | None = None, data_dir: str | os.PathLike | None = None, engine: str = "local",
              jobs: int = 1, progress: bool = True, dask_scheduler: str = "processes",
              dask_address: str | None = None, checkpoint_dir: str | os.PathLike | None = None,
              dask_resources: dict[str, float] | None = None) -> dict[str, Any]:
    """Run the benchmark: every dataset x method x seed, then rank and test the mean accuracies.

    ``engine`` is ``"serial"``, ``"local"`` (``jobs`` processes) or ``"dask"``: with ``dask_address=None`` on
    Dask's local ``dask_scheduler`` (``"processes"`` or ``"synchronous"``), with ``dask_address="local"`` on a
    ``LocalCluster`` of ``jobs`` single-threaded worker processes, and with a scheduler address such as
    ``"tcp://host:8786"`` on that running ``dask.distributed`` cluster (started with ``dask scheduler`` and
    ``dask worker ADDRESS --nthreads 1``; the workers need ``snnlib`` and ``data_dir`` at the same path).
    ``dask_resources`` (e.g. ``{"GPU": 1}``) runs each task only on a worker that declared those resources
    (``dask worker ... --resources GPU=1``; one worker per GPU, each started with its own
    ``CUDA_VISIBLE_DEVICES``); snnlib assigns no devices itself and its tabular tasks train on the CPU. On a
    cluster a task that raised runs again (:data:`snnlib.engines.DASK_RETRIES`) and a task whose worker died
    goes to another worker (Dask's ``allowed-failures``). Details: :mod:`snnlib.engines`.

    With ``checkpoint_dir`` every finished (dataset, method, seed) task is saved there (atomically) as soon as
    it finishes, with every engine, and a rerun after an interruption (Ctrl-C, a kill -9 of this process, a lost
    cluster) loads the saved tasks instead of training them again (each task is deterministic, so the result
    equals that of an uninterrupted run; only ``seconds`` and ``provenance`` differ).

    Returns a JSON-ready dict with ``config``, ``runs`` (one record per task: chosen hyperparameters, epoch,
    validation and test accuracy), ``accuracy`` (dataset -> method -> mean test accuracy over seeds),
    ``comparison`` (:func:`snnlib.stats.compare` rows: average rank, rank difference to (k+1)/2, Wilcoxon p vs
    the best-ranked method), ``dataset_family`` ("UCI", "HTRU2" or "mixed"), ``grid_provenance`` (per FNN
    family: the paper's table or snnlib's reading, :func:`grid_provenance`) and ``provenance``; for the 10 HTRU2
    folds with the AUC also ``table3`` (:func:`snnlib.stats.compare_means`: mean ± sd over the test folds,
    paired Wilcoxon test against the best mean across folds, as paper Table 3). Paper Table 1 / §A4.2, Table 3
    / §A4.4; chapter "A tabular benchmark".
    """
    for name, value in (("datasets", datasets), ("methods", methods), ("seeds", seeds)):
        if isinstance(value, (str, bytes)):
            raise ValueError(f"{name} must be a list, got the string {value!r} (write [{value!r}])")
    seeds = list(seeds)  # an iterator must survive the checks
    bad_seeds = [s for s in seeds if isinstance(s, bool) or not isinstance(s, (int, np.integer))]
    if bad_seeds:
        raise ValueError(f"seeds must be integers, got {bad_seeds}")
    datasets, methods, seeds = list(datasets), list(methods), [int(s) for s in seeds]
    data_dir = os.fspath(data_dir) if data_dir is not None else None
    config = config if config is not None else SweepConfig()
    if not datasets:
        raise ValueError("datasets must name at least one dataset, got an empty list")
    if len(set(datasets)) != len(datasets):
        raise ValueError(f"datasets must be distinct, got {datasets}")
    bad = [m for m in methods if m not in METHODS]
    if bad or not methods or len(set(methods)) != len(methods):
        raise ValueError(f"methods must be distinct names from {METHODS}, got {methods}")
    if not seeds or any(s < 0 for s in seeds) or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be distinct non-negative integers, got {seeds}")
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs (worker processes) must be an integer >= 1, got {jobs!r}")
    if dask_scheduler not in DASK_SCHEDULERS:
        raise ValueError(f"dask_scheduler must be one of {DASK_SCHEDULERS}, got {dask_scheduler!r}")
    if dask_address is not None and (not isinstance(dask_address, str) or not dask_address.strip()):
        raise ValueError(f"dask_address must be a scheduler address such as 'tcp://host:8786' or 'local', "
                         f"got {dask_address!r}")
    from snnlib.engines import check_resources

    dask_resources = check_resources(dask_resources)
    if dask_resources is not None and (engine != "dask" or dask_address is None):
        raise ValueError("dask_resources needs engine 'dask' with a dask_address (a dask.distributed cluster)")
    uci = [d for d in datasets if htru2_fold(d) is None and d != TOX21]
    if data_dir is None:
        unknown = [d for d in uci if d not in BUILTIN_DATASETS]
        if unknown:
            raise ValueError(f"datasets must be among {BUILTIN_DATASETS} or htru2:M without data_dir, got {unknown}")
    elif uci:
        known = list_uci_datasets(data_dir)
        unknown = [d for d in uci if d not in known]
        if unknown:
            raise ValueError(f"datasets must be UCI dataset folders in data_dir {data_dir!r}, got {unknown}")
    tasks = [{"dataset": d, "method": m, "seed": s, "config": config, "data_dir": data_dir}
             for d in datasets for m in methods for s in seeds]
    t0 = time.perf_counter()
    runs = _execute(tasks, engine, jobs, progress, dask_scheduler, dask_address, checkpoint_dir, dask_resources)
    seconds = time.perf_counter() - t0
    runs.sort(key=lambda r: (datasets.index(r["dataset"]), methods.index(r["method"]), r["seed"]))
    # rounded so that equal scores averaged in a different order tie exactly in the ranking
    metric = config.metric
    table = {d: {m: round(float(np.mean([r[f"test_{metric}"] for r in runs
                                         if r["dataset"] == d and r["method"] == m])), 12)
                 for m in methods} for d in datasets}
    result: dict[str, Any] = {
        "benchmark": "tabular", "metric": metric, "datasets": datasets, "methods": methods, "seeds": seeds,
        "config": {**asdict(config), "engine": engine, "jobs": jobs, "data_dir": data_dir},
        "runs": runs, metric: table, "seconds": seconds,
        # mean ± standard deviation over datasets (for HTRU2: over the folds, as in paper Table 3)
        "summary": {m: {"mean": float(np.mean([table[d][m] for d in datasets])),
                        "std": float(np.std([table[d][m] for d in datasets], ddof=1)) if len(datasets) > 1 else 0.0}
                    for m in methods},
    }
    family = dataset_family(datasets)
    result["dataset_family"] = family
    result["grid_provenance"] = grid_provenance(config, methods, family)
    if TOX21 in datasets:
        from snnlib import tox21

        result["deviations"] = list(tox21.DEVIATIONS)
    if len(methods) >= 2:
        result["comparison"] = stats.compare(accuracy_table(result)[2], methods)
        if family == "HTRU2" and metric == "auc" and len(datasets) >= 2:
            # paper Table 3: mean AUC ± sd over the test folds, paired Wilcoxon vs the best mean across folds
            result["table3"] = stats.compare_means(accuracy_table(result)[2], methods)
    from snnlib.reproducibility import provenance

    result["provenance"] = provenance("cpu")
    return result


def accuracy_table(result: dict[str, Any]) -> tuple[list[str], list[str], np.ndarray]:
    """``(datasets, methods, acc)`` with ``acc[i, j]`` the mean test score of method j on dataset i (the
    result's ``metric``: accuracy, or ROC AUC for HTRU2)."""
    datasets, methods = list(result["datasets"]), list(result["methods"])
    table = result[result.get("metric", "accuracy")]
    acc = np.array([[table[d][m] for m in methods] for d in datasets], dtype=float)
    return datasets, methods, acc


def sweep_config(paper_grid: bool = False, htru2: bool = False, grid: dict[str, tuple] | None = None,
                 epochs: int | None = None, batch_size: int = 64, smooth: int | None = None,
                 metric: str | None = None, uci_split: str = "kfold") -> SweepConfig:
    """The :class:`SweepConfig` of the default grid, or with ``paper_grid`` of paper Table A4 (A21 for ``htru2``)
    with the family-specific values of §A4.2 (:data:`PAPER_FAMILY_GRIDS`), 100 epochs and a smoothing window of
    10 (default grid: 30 epochs, no smoothing); ``grid`` replaces single grid entries; ``metric`` defaults to
    ``"auc"`` for HTRU2 (paper Table 3), ``"accuracy"`` otherwise; ``uci_split`` picks the UCI archive's split
    (:data:`UCI_SPLITS`). SNN's paper grid is exactly Table A4 / A21; the other families' is snnlib's reading
    (:data:`PAPER_FAMILY_GRIDS`, recorded per result in ``grid_provenance``). What ``python -m snnlib tabular``
    runs."""
    values = dict((PAPER_GRID_SNN_HTRU2 if htru2 else PAPER_GRID_SNN) if paper_grid else DEFAULT_GRID)
    values.update(grid or {})
    return SweepConfig(grid=values, epochs=epochs if epochs is not None else (100 if paper_grid else 30),
                       batch_size=batch_size, smooth=smooth if smooth is not None else (10 if paper_grid else 1),
                       family_grids=dict(PAPER_FAMILY_GRIDS) if paper_grid else {},
                       metric=metric or ("auc" if htru2 else "accuracy"), uci_split=uci_split)
