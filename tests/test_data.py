"""Tests of snnlib.data: built-in UCI sets, the parsers of each published format, hash checks and offline errors."""

import gzip
import hashlib
import io
import struct
import tarfile
import zipfile
from pathlib import Path

import numpy as np
import pytest

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


def test_cifar10_binary_archive_is_read_without_unpickling(tmp_path):
    path = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(path, "w:gz") as tar:
        for i, name in enumerate([f"data_batch_{k}.bin" for k in range(1, 6)] + ["test_batch.bin"]):
            payload = cifar_record(i % 10, i) + cifar_record(9, 200)
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    X_tr, y_tr, X_te, y_te = data.read_cifar10_archive(path)
    assert X_tr.shape == (10, 3072) and y_tr.tolist() == [0, 9, 1, 9, 2, 9, 3, 9, 4, 9]
    assert y_te.tolist() == [5, 9] and X_te[0, 0] == 5
    with pytest.raises(ValueError, match="3073"):
        data.read_cifar_binary([b"\x00" * 100])


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
        for name, text in (("data/toyset/toyset_R.dat", rows), ("data/toyset/conxuntos.dat", "0 1 2 3 4 5\n6 7\n")):
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
    thread = threading.Thread(target=server.serve_forever, daemon=True)
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
