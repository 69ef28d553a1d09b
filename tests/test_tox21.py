"""Tests of snnlib.tox21 (paper Table 2): the DeepTox archive reader on a small generated tox21.zip, the refusal of
an unverified download, and a tiny run end to end through run_sweep and the command line."""

from __future__ import annotations

import gzip
import io
import json
import zipfile

import numpy as np
import pytest
from scipy import io as sio
from scipy import sparse

from snnlib import cli, data, tabular, tox21

N_TRAIN, N_TEST = 60, 24


def _gz(text: str | bytes) -> bytes:
    return gzip.compress(text.encode() if isinstance(text, str) else text)


def _mtx(matrix) -> bytes:
    buf = io.BytesIO()
    sio.mmwrite(buf, sparse.coo_matrix(matrix))
    return buf.getvalue()


def make_tox21_zip(path, set_column=False, break_file=None, seed=0):
    """A tox21.zip in the DeepTox layout: labels (some missing) whose positives follow dense feature 0, dense
    descriptors in another row order than the labels, 6 sparse count features (5 frequent, 1 rare)."""
    rng = np.random.default_rng(seed)
    members = {}
    rownames = []
    for part, n in (("train", N_TRAIN), ("test", N_TEST)):
        ids = [f"NCGC{part}{i:03d}" for i in range(n)]
        dense = rng.normal(size=(n, 3))
        y = (dense[:, :1] + 0.3 * rng.normal(size=(n, 12)) > 0).astype(float)
        y[rng.random((n, 12)) < 0.2] = np.nan
        cols = list(tox21.TASKS) + (["set"] if set_column else [])
        lines = ["," + ",".join(cols)]
        for i, c in enumerate(ids):
            cells = ["" if np.isnan(v) else str(int(v)) for v in y[i]] + ([part] if set_column else [])
            lines.append(",".join([c, *cells]))
        members[f"tox21_labels_{part}.csv.gz"] = "\n".join(lines) + "\n"
        order = rng.permutation(n)  # rows aligned by compound id, not by position
        dense_lines = [",d0,d1,d2"] + [",".join([ids[i], *(f"{v:.6f}" for v in dense[i])]) for i in order]
        members[f"tox21_dense_{part}.csv.gz"] = "\n".join(dense_lines) + "\n"
        counts = rng.poisson(1.0, size=(n, 6)).astype(float)
        counts[:, 5] = 0.0
        counts[0, 5] = 1.0  # present in one compound only: filtered out
        sp_order = rng.permutation(n)
        members[f"tox21_sparse_{part}.mtx.gz"] = _mtx(counts[sp_order])
        rownames += [ids[i] for i in sp_order]
    members["tox21_sparse_rownames.txt.gz"] = "\n".join(rownames) + "\n"
    members["tox21_sparse_colnames.txt.gz"] = "\n".join(f"ecfp{j}" for j in range(6)) + "\n"
    if break_file is not None:
        name, content = break_file
        members[name] = content
    with zipfile.ZipFile(path, "w") as zf:
        for name, content in members.items():
            if content is not None:
                zf.writestr(f"tox21/{name}", _gz(content))
    return path


def test_reader_aligns_rows_by_compound_id_and_keeps_missing_labels(tmp_path):
    parts = tox21.read_tox21_zip(make_tox21_zip(tmp_path / "tox21.zip", set_column=True))
    train = parts["train"]
    assert train["y"].shape == (N_TRAIN, 12) and np.isnan(train["y"]).any()
    assert set(np.unique(train["y"][~np.isnan(train["y"])])) == {0.0, 1.0}
    # the labels follow dense feature 0: aligned rows show it
    pos = train["y"][:, 0] == 1
    assert train["dense"][pos, 0].mean() > train["dense"][train["y"][:, 0] == 0, 0].mean()
    X_tr, X_te, kept = tox21.tox21_features(parts)
    assert X_tr.shape == (N_TRAIN, 3 + 5) and X_te.shape == (N_TEST, 8) and kept == [f"ecfp{j}" for j in range(5)]


@pytest.mark.parametrize("broken, says", [
    (("tox21_labels_train.csv.gz", ",NR.AhR\nx,1\n"), "tox21_labels_train.csv.gz: task columns"),
    (("tox21_dense_test.csv.gz", ",d0\nother,1.0\n"), "tox21_dense_test.csv.gz: its compound ids differ"),
    (("tox21_sparse_colnames.txt.gz", "a\nb\n"), "tox21_sparse_train.mtx.gz: shape"),
    (("tox21_sparse_rownames.txt.gz", "x\n"), "tox21_sparse_rownames.txt.gz"),
    (("tox21_sparse_test.mtx.gz", None), "tox21_sparse_test.mtx.gz not found"),
])
def test_inconsistent_files_are_refused_with_their_name(tmp_path, broken, says):
    path = make_tox21_zip(tmp_path / "tox21.zip", break_file=broken)
    with pytest.raises(tox21.Tox21FormatError, match=says.replace(".", r"\.")):
        tox21.read_tox21_zip(path)


def test_unverified_archive_is_refused_unless_a_digest_is_given(tmp_path, monkeypatch):
    path = make_tox21_zip(tmp_path / "tox21.zip")
    monkeypatch.delenv("SNNLIB_SHA256_TOX21_ZIP", raising=False)
    with pytest.raises(data.DatasetUnavailable, match="no SHA-256 is pinned"):
        tox21.load_tox21(root=tmp_path)
    with pytest.raises(data.DatasetUnavailable, match="SHA-256 mismatch"):
        tox21.load_tox21(root=tmp_path, sha256="0" * 64)
    ds = tox21.load_tox21(root=tmp_path, sha256=data.sha256_of(path), seed=1)
    assert ds.n_classes == 12 and ds.y_train.shape[1] == 12 and ds.files == {"tox21.zip": data.sha256_of(path)}
    assert len(ds.y_val) == int(np.ceil(0.15 * N_TRAIN)) and len(ds.y_test) == N_TEST
    np.testing.assert_allclose(ds.X_train.mean(axis=0), 0.0, atol=1e-5)


def test_paper_grid_of_table_a14():
    cfg = tox21.paper_config()
    assert len(tabular.grid_configs("SNN", cfg)) == 2 * 7 * 3 * 2 * 2 * 3  # 504 settings
    assert cfg.metric == "auc" and cfg.epochs == 100 and cfg.smooth == 10 and tox21.PAPER_REPEATS == 5


def test_tox21_end_to_end_through_run_sweep(tmp_path, monkeypatch):
    path = make_tox21_zip(tmp_path / "tox21.zip")
    monkeypatch.setenv("SNNLIB_SHA256_TOX21_ZIP", data.sha256_of(path))
    tabular.load_task_data.cache_clear()
    cfg = tabular.SweepConfig(grid={"depth": (2,), "width": (16,), "lr": (0.1,), "dropout": (0.05,),
                                    "shape": ("rectangular",), "l2": (1e-4,)}, epochs=2, batch_size=16,
                              metric="auc", trainer="batched")
    res = tabular.run_sweep(["tox21"], ["SNN"], seeds=(0,), config=cfg, data_dir=str(tmp_path), engine="serial",
                            progress=False)
    assert res["metric"] == "auc" and 0.5 < res["auc"]["tox21"]["SNN"] <= 1.0
    assert res["deviations"] == list(tox21.DEVIATIONS) and len(res["runs"]) == 1


def test_tox21_from_the_command_line(tmp_path, monkeypatch, capsys):
    path = make_tox21_zip(tmp_path / "tox21.zip")
    monkeypatch.setenv("SNNLIB_SHA256_TOX21_ZIP", data.sha256_of(path))
    out = tmp_path / "tox.json"
    argv = ["tabular", "--datasets", "tox21", "--data-dir", str(tmp_path), "--methods", "MSRAinit", "--depths",
            "2", "--widths", "8", "--lrs", "0.1", "--dropouts", "0", "--l2s", "0.001", "--epochs", "2",
            "--trainer", "batched", "--engine", "serial", "--no-progress", "--out", str(out)]
    assert cli.main(argv) == 0
    saved = json.loads(out.read_text())
    assert saved["metric"] == "auc" and saved["config"]["trainer"] == "batched"
    assert all(r["params"]["l2"] == 0.001 for r in saved["runs"])
    monkeypatch.delenv("SNNLIB_SHA256_TOX21_ZIP")
    with pytest.raises(SystemExit) as exc:  # no digest: refused before any training, one line
        cli.main(argv)
    assert exc.value.code == 2 and "no SHA-256 is pinned" in capsys.readouterr().err
