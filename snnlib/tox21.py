"""Tox21 (paper Table 2): the DeepTox release of the challenge data, its loader and the SNN grid of Table A14.

Paper §"Drug discovery: The Tox21 challenge dataset" and §A4.3; chapter "A tabular benchmark". About 12,000
compounds, 12 toxic effects (binary, many labels missing); the score is the ROC AUC averaged over the effects
(:func:`snnlib.multitask.mean_auc`). Data: ``tox21.zip`` of http://bioinf.jku.at/research/DeepTox/tox21.zip (the
link in the official repository's ``Tox21/README.md``), which holds

* ``tox21_labels_{train,test}.csv.gz``: an index column of compound ids, the 12 :data:`TASKS` (0, 1, empty for
  missing) and in some versions a ``set`` column (ignored);
* ``tox21_dense_{train,test}.csv.gz``: dense descriptors, first column the compound id;
* ``tox21_sparse_{train,test}.mtx.gz`` (Matrix Market) with ``tox21_sparse_rownames.txt.gz`` (the compound ids
  of the training rows, then of the test rows) and ``tox21_sparse_colnames.txt.gz`` (feature names).

Every file is checked (columns, row counts, ids); rows are aligned by compound id; an inconsistent file is
refused with an error naming it. No digest of ``tox21.zip`` is pinned (none is known here): like the UCI
archive, the download is refused unless you pass ``sha256=`` or set ``SNNLIB_SHA256_TOX21_ZIP``.
"""

from __future__ import annotations

import gzip
import io
import os
import zipfile
from typing import Any

import numpy as np

from .paper_grids import TABLES

#: The 12 toxic effects, the label columns of the DeepTox release, in its order.
TASKS: tuple[str, ...] = ("NR.AhR", "NR.AR", "NR.AR.LBD", "NR.Aromatase", "NR.ER", "NR.ER.LBD", "NR.PPAR.gamma",
                          "SR.ARE", "SR.ATAD5", "SR.HSE", "SR.MMP", "SR.p53")
#: The members of ``tox21.zip`` that the loader reads.
FILES: tuple[str, ...] = tuple(f"tox21_{kind}_{part}.{ext}" for kind, ext in (("labels", "csv.gz"),
                                                                             ("dense", "csv.gz"),
                                                                             ("sparse", "mtx.gz"))
                               for part in ("train", "test")) + ("tox21_sparse_rownames.txt.gz",
                                                                 "tox21_sparse_colnames.txt.gz")
#: SNN grid of paper Table A14 (Tox21): hidden units, layers, learning rate, dropout, layer form, L2 (stored in
#: :mod:`snnlib.paper_grids`, the one place of the paper's grids).
PAPER_GRID_SNN_TOX21: dict[str, tuple] = dict(TABLES["A14"].grid or {})
#: Paper §"Drug discovery": the whole procedure was repeated 5 times (error bars of Table 2).
PAPER_REPEATS: int = 5
#: Sparse (ECFP-like) features kept: those present in more than this share of the training compounds. Ours (the
#: paper does not say how the sparse features were reduced); the dense descriptors are all kept.
MIN_SPARSE_FREQUENCY: float = 0.05
#: What snnlib does differently from the paper, recorded in every result with Tox21 (:func:`snnlib.tabular.run_sweep`).
DEVIATIONS: tuple[str, ...] = (
    "tox21: the paper selects hyperparameters on the challenge winners' validation sets, which the DeepTox release "
    "does not carry; snnlib holds out a seeded random share val_fraction (default 15 %) of the training compounds "
    "as the validation set instead (test set: the challenge test set, as in the paper)",
    f"tox21: inputs are the dense descriptors and the sparse features present in more than "
    f"{MIN_SPARSE_FREQUENCY:.0%} of the training compounds (our choice; the paper does not state it), standardised "
    "on the training part",
)


class Tox21FormatError(ValueError):
    """A file of the Tox21 archive that is missing or inconsistent; the message names it."""


def _member(zf: zipfile.ZipFile, name: str, archive: str) -> bytes:
    matches = [n for n in zf.namelist() if n.rsplit("/", 1)[-1] == name]
    if len(matches) != 1:
        raise Tox21FormatError(f"{archive}: {name} " + ("not found" if not matches else "found more than once")
                               + " in the archive")
    with zf.open(matches[0]) as fh:
        raw = fh.read()
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise Tox21FormatError(f"{archive}: {name} is not a readable gzip file ({exc})") from None


def _csv(raw: bytes, name: str) -> tuple[list[str], list[str], list[list[str]]]:
    """(compound ids, column names, cells) of a CSV table whose first column is the compound id."""
    import csv

    try:
        rows = [r for r in csv.reader(io.StringIO(raw.decode())) if r]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Tox21FormatError(f"{name}: not a readable CSV table ({exc})") from None
    if not rows:
        raise Tox21FormatError(f"{name}: empty table")
    header, body = rows[0][1:], rows[1:]
    bad = next((i for i, r in enumerate(body) if len(r) != len(header) + 1), None)
    if bad is not None:
        raise Tox21FormatError(f"{name}: line {bad + 2} has {len(body[bad])} cells, the header {len(header) + 1}")
    ids = [r[0].strip() for r in body]
    if len(set(ids)) != len(ids):
        dup = next(c for c in ids if ids.count(c) > 1)
        raise Tox21FormatError(f"{name}: compound ids occur more than once, e.g. {dup!r}")
    return ids, [h.strip() for h in header], [r[1:] for r in body]


def _numbers(cells: list[list[str]], name: str, what: str) -> np.ndarray:
    try:
        return np.array([[float(c) if c.strip() else np.nan for c in row] for row in cells], dtype=np.float64)
    except ValueError:
        raise Tox21FormatError(f"{name}: {what}") from None


def _labels(raw: bytes, name: str) -> tuple[list[str], np.ndarray]:
    ids, columns, cells = _csv(raw, name)
    missing = [t for t in TASKS if t not in columns]
    if missing:
        raise Tox21FormatError(f"{name}: task columns {missing} missing (expected {list(TASKS)})")
    extra = [c for c in columns if c not in TASKS and c != "set"]
    if extra:
        raise Tox21FormatError(f"{name}: unexpected columns {extra} (expected {list(TASKS)} and optionally 'set')")
    pick = [columns.index(t) for t in TASKS]
    values = _numbers([[row[j] for j in pick] for row in cells], name, "labels must be 0, 1 or empty")
    values = values.reshape(len(ids), len(TASKS))
    present = values[~np.isnan(values)]
    if not np.isin(present, (0.0, 1.0)).all():
        raise Tox21FormatError(f"{name}: labels must be 0, 1 or empty, got {np.unique(present)[:5].tolist()}")
    return ids, values


def _dense(raw: bytes, name: str, ids: list[str]) -> np.ndarray:
    own, _, cells = _csv(raw, name)
    if set(own) != set(ids) or len(own) != len(ids):
        only = sorted(set(own) ^ set(ids))[:3]
        raise Tox21FormatError(f"{name}: its compound ids differ from those of the labels (e.g. {only})")
    X = _numbers(cells, name, "descriptors must be numbers")
    if not np.isfinite(X).all():
        raise Tox21FormatError(f"{name}: descriptors hold empty, NaN or infinite values")
    row = {c: i for i, c in enumerate(own)}
    return X[[row[c] for c in ids]].reshape(len(ids), -1)


def _lines(raw: bytes) -> list[str]:
    return [line.strip() for line in raw.decode().splitlines() if line.strip()]


def read_tox21_zip(path: str | os.PathLike) -> dict[str, Any]:
    """The parts of ``tox21.zip``: ``{"train": {...}, "test": {...}, "sparse_columns": [...]}``, each part with
    ``ids`` (compound ids, the labels' order), ``y`` (compounds × 12, float, NaN = missing), ``dense`` and
    ``sparse`` (a CSR matrix) aligned by id. :class:`Tox21FormatError` naming the file if one is inconsistent."""
    from scipy import io as sio
    from scipy import sparse

    archive = os.fspath(path)
    with zipfile.ZipFile(archive) as zf:
        raw = {name: _member(zf, name, archive) for name in FILES}
    rownames = _lines(raw["tox21_sparse_rownames.txt.gz"])
    colnames = _lines(raw["tox21_sparse_colnames.txt.gz"])
    parts: dict[str, Any] = {}
    offset = 0
    for part in ("train", "test"):
        ids, y = _labels(raw[f"tox21_labels_{part}.csv.gz"], f"tox21_labels_{part}.csv.gz")
        dense = _dense(raw[f"tox21_dense_{part}.csv.gz"], f"tox21_dense_{part}.csv.gz", ids)
        name = f"tox21_sparse_{part}.mtx.gz"
        try:
            matrix = sparse.csr_matrix(sio.mmread(io.BytesIO(raw[name])))
        except (ValueError, IndexError, TypeError) as exc:
            raise Tox21FormatError(f"{name}: not a readable Matrix Market file ({exc})") from None
        if matrix.shape != (len(ids), len(colnames)):
            raise Tox21FormatError(f"{name}: shape {matrix.shape}, expected ({len(ids)} compounds, {len(colnames)} "
                                   "columns of tox21_sparse_colnames.txt.gz)")
        names = rownames[offset:offset + len(ids)]
        if len(names) != len(ids) or set(names) != set(ids):
            raise Tox21FormatError("tox21_sparse_rownames.txt.gz: must list the training compounds, then the test "
                                   f"compounds, with the ids of the labels; the {part} rows do not match")
        order = {c: i for i, c in enumerate(names)}
        matrix = matrix[[order[c] for c in ids]]
        parts[part] = {"ids": list(ids), "y": y, "dense": dense, "sparse": matrix}
        offset += len(ids)
    if offset != len(rownames):
        raise Tox21FormatError(f"tox21_sparse_rownames.txt.gz: {len(rownames)} names for {offset} compounds")
    parts["sparse_columns"] = colnames
    return parts


def tox21_features(parts: dict[str, Any], min_sparse_frequency: float = MIN_SPARSE_FREQUENCY
                   ) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Training and test inputs: the dense descriptors, then the sparse features present (non-zero) in more than
    ``min_sparse_frequency`` of the training compounds; and the names of those sparse features."""
    sp_tr, sp_te = parts["train"]["sparse"], parts["test"]["sparse"]
    keep = np.flatnonzero(np.asarray((sp_tr != 0).mean(axis=0)).ravel() > min_sparse_frequency)
    X_tr = np.hstack([parts["train"]["dense"], sp_tr[:, keep].toarray()])
    X_te = np.hstack([parts["test"]["dense"], sp_te[:, keep].toarray()])
    return X_tr, X_te, [parts["sparse_columns"][j] for j in keep]


def load_tox21(root: str | os.PathLike | None = None, sha256: str | None = None, seed: int = 0,
               val_fraction: float = 0.15) -> Any:
    """Tox21 as a :class:`snnlib.data.Dataset` with multi-task labels (``y_*``: compounds × 12 float32, NaN =
    missing; ``n_classes`` = 12 outputs): the challenge test set as test set, a seeded random share
    ``val_fraction`` of the training compounds as validation set (the paper's "challenge winners' validation
    sets" are not in the release: :data:`DEVIATIONS`), inputs from :func:`tox21_features` standardised on the
    training part. ``tox21.zip`` is fetched and verified by :func:`snnlib.data.fetch` (key ``tox21_zip``)."""
    from snnlib import data

    if not 0 < val_fraction < 1:
        raise ValueError(f"val_fraction must be in (0, 1), got {val_fraction!r}")
    path = data.fetch("tox21_zip", sha256=sha256, root=root)
    parts = read_tox21_zip(path)
    X_trval, X_te, _ = tox21_features(parts)
    y_trval, y_te = parts["train"]["y"], parts["test"]["y"]
    n = len(y_trval)
    perm = np.random.default_rng(seed).permutation(n)
    n_val = int(np.ceil(val_fraction * n))
    val, train = np.sort(perm[:n_val]), np.sort(perm[n_val:])
    X_tr, X_va, X_te = data.standardize(X_trval[train], X_trval[val], X_te)
    ds = data.Dataset(X_tr, y_trval[train].astype(np.float32), X_va, y_trval[val].astype(np.float32), X_te,
                      y_te.astype(np.float32), len(TASKS), "tox21")
    ds.files = {path.name: data.sha256_of(path)}
    return ds


def paper_config(epochs: int | None = None, **grid: tuple) -> Any:
    """The :class:`snnlib.tabular.SweepConfig` of paper Table A14 (SNN grid with L2), 100 epochs and a moving
    average of 10 as for UCI (paper §A4.3), metric mean ROC AUC; ``grid`` replaces single entries."""
    from snnlib.tabular import sweep_config

    return sweep_config(paper_grid=True, grid={**PAPER_GRID_SNN_TOX21, **grid}, epochs=epochs, metric="auc")
