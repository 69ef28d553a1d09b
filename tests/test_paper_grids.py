"""Tests of snnlib.paper_grids (the grids of paper §A4 in one place) and of how snnlib.tabular uses them:
--paper-grid, grid provenance, and HTRU2's nested cross-validation end to end (paper Table 3)."""

from __future__ import annotations

import itertools
import json
import math
import zipfile

import numpy as np
import pytest

from snnlib import cli, data, paper_grids, stats, tabular


def test_every_table_of_a4_is_stored_once_with_its_size_and_source():
    ids = [f"A{i}" for i in (*range(4, 11), *range(14, 28))]
    assert sorted(paper_grids.TABLES, key=lambda t: int(t[1:])) == ids
    for t in paper_grids.TABLES.values():
        assert t.source and t.dataset_family in paper_grids.DATASET_FAMILIES
        if t.status == paper_grids.STORED:
            assert t.size == paper_grids.grid_size(t.grid) == math.prod(len(v) for v in t.grid.values())
            assert t.method == "SNN"
        else:
            assert t.status == paper_grids.NOT_AVAILABLE and t.grid is None
    assert {t.table for t in paper_grids.TABLES.values() if t.status == paper_grids.STORED} == {"A4", "A14", "A21"}
    assert paper_grids.TABLES["A4"].size == 216  # paper §A4.1
    assert paper_grids.TABLES["A14"].size == 2 * 7 * 3 * 2 * 2 * 3
    assert paper_grids.TABLES["A21"].size == 3 * 5 * 3 * 2 * 2
    stated = {t.table: (t.method, t.size) for t in paper_grids.TABLES.values() if t.size_source.startswith("size")}
    assert stated == {"A7": ("WeightNorm", 108), "A8": ("LayerNorm", 108), "A9": ("Highway", 36),
                      "A10": ("ResNet", 180)}
    assert all(paper_grids.TABLES[t].method is None and paper_grids.TABLES[t].size is None
               for t in ("A5", "A6", "A15", "A27"))  # family and size not in this build's sources
    json.dumps([t.as_dict() for t in paper_grids.TABLES.values()])  # JSON-ready
    with pytest.raises(ValueError, match="table_id"):
        paper_grids.table("A11")


def test_family_statements_are_stored_as_statements():
    assert paper_grids.family_values("MSRAinit") == {"dropout": (0.5, 0.0)} == paper_grids.family_values("Highway")
    assert paper_grids.family_values("ResNet") == {"depth": (2, 3, 4, 8, 16), "bottleneck": (0.25, 0.5)}
    assert paper_grids.family_values("LayerNorm") == {}
    assert tabular.PAPER_FAMILY_GRIDS == {m: paper_grids.family_values(m) for m in ("MSRAinit", "Highway", "ResNet")}


def test_paper_grid_uses_table_a4_for_snn_exactly_and_a21_for_htru2():
    for htru2, table in ((False, "A4"), (True, "A21")):
        cfg = tabular.sweep_config(paper_grid=True, htru2=htru2)
        grid = paper_grids.TABLES[table].grid
        expected = {tuple(sorted(zip(grid, values))) for values in itertools.product(*grid.values())}
        got = {tuple(sorted(c.items())) for c in tabular.grid_configs("SNN", cfg)}
        assert got == expected and len(got) == paper_grids.TABLES[table].size
    assert tabular.PAPER_GRID_SNN == paper_grids.TABLES["A4"].grid  # read from the one place
    assert tabular.PAPER_GRID_SNN_HTRU2 == paper_grids.TABLES["A21"].grid


def test_grid_provenance_says_which_grids_are_snnlibs_reading():
    cfg = tabular.sweep_config(paper_grid=True)
    prov = tabular.grid_provenance(cfg, tabular.METHODS, "UCI")
    assert set(prov) == set(tabular.FNN_METHODS)  # scikit-learn methods are not the paper's FNNs
    assert prov["SNN"]["grid_source"] == "paper Table A4" and prov["SNN"]["is_paper_table"]
    for m in ("MSRAinit", "BatchNorm", "LayerNorm", "WeightNorm", "Highway", "ResNet"):
        assert prov[m]["grid_source"] == "snnlib's reading" and not prov[m]["is_paper_table"], m
        assert prov[m]["paper_table_status"] == paper_grids.NOT_AVAILABLE and "not the paper's" in prov[m]["note"]
    assert prov["WeightNorm"]["paper_table"] == "A7" and prov["WeightNorm"]["paper_size"] == 108
    assert prov["MSRAinit"]["paper_table"] is None  # A5 or A6: not identified here
    assert prov["Highway"]["statements"] == ["MSRAinit and Highway use dropout {0.5, 0} (UCI)"]
    sizes = {m: prov[m]["n_settings"] for m in ("WeightNorm", "LayerNorm", "Highway", "ResNet")}
    assert sizes == {"WeightNorm": 216, "LayerNorm": 216, "Highway": 108, "ResNet": 90}  # vs stated 108/108/36/180
    small = tabular.grid_provenance(tabular.SweepConfig(), ["SNN"], "UCI")["SNN"]
    assert small["grid_source"] == "chosen for this run" and "Table A4" in small["note"]
    htru2 = tabular.grid_provenance(tabular.sweep_config(paper_grid=True, htru2=True), ["SNN", "LayerNorm"], "HTRU2")
    assert htru2["SNN"]["grid_source"] == "paper Table A21" and htru2["LayerNorm"]["paper_table"] is None


def _fake_train(family, data_, params, config, seed):
    v = 0.5 + 0.01 * params["depth"] / 32
    return {f"val_{config.metric}": v, f"test_{config.metric}": v, "epoch": 1, "val_selection": v,
            "diverged_epoch": None}


def test_cli_paper_grid_warns_in_one_line_which_families_are_snnlibs_reading(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(tabular, "_train_fnn", _fake_train)  # 216 + 216 settings, no training
    out = tmp_path / "r.json"
    assert cli.main(["tabular", "--datasets", "iris", "--methods", "SNN,LayerNorm", "--paper-grid",
                     "--engine", "serial", "--no-progress", "--out", str(out)]) == 0
    err = [line for line in capsys.readouterr().err.splitlines() if "warning" in line]
    assert len(err) == 1 and "LayerNorm are snnlib's reading" in err[0] and "SNN" not in err[0]
    res = json.loads(out.read_text())
    assert res["grid_provenance"]["SNN"]["grid_source"] == "paper Table A4" and res["dataset_family"] == "UCI"
    assert res["grid_provenance"]["LayerNorm"]["paper_table"] == "A8"


def _htru2_zip(path, n=300, seed=0):
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.2).astype(int)
    X = rng.normal(size=(n, 8)) + 1.2 * y[:, None]
    X[:, 0] = np.arange(n)  # feature 0 names the row
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("HTRU_2.csv", "\n".join(",".join(f"{v:.4f}" for v in row) + f",{c}" for row, c in zip(X, y)))
    return y


def test_htru2_fold_assignment_validates_on_fold_m_minus_1_with_wrap(tmp_path):
    y = _htru2_zip(tmp_path / "HTRU2.zip")
    folds = data.nested_folds(y, 10, seed=0)
    tests = [t for _, _, t in folds]
    assert np.array_equal(np.sort(np.concatenate(tests)), np.arange(len(y)))  # test folds cover every row once
    for m, (train, val, test) in enumerate(folds, start=1):
        assert np.array_equal(val, tests[(m - 2) % 10])  # fold M - 1; fold 10 for M = 1
        assert not (set(train) & set(val) or set(train) & set(test) or set(val) & set(test))
        assert len(train) + len(val) + len(test) == len(y)  # the other 8 folds train
    assert np.array_equal(folds[0][1], tests[9])


def test_htru2_protocol_end_to_end_via_the_api(tmp_path, monkeypatch):
    """Nested 10-fold CV (validation fold M - 1), AUC, selection on validation, Table 3 mean ± sd and Wilcoxon."""
    y = _htru2_zip(tmp_path / "HTRU2.zip")
    monkeypatch.setenv("SNNLIB_SHA256_HTRU2_ZIP", data.sha256_of(tmp_path / "HTRU2.zip"))
    cfg = tabular.sweep_config(htru2=True, grid={"depth": (2,), "width": (8,), "lr": (0.01, 0.1), "dropout": (0.0,),
                                                 "shape": ("rectangular",)}, epochs=2)
    folds = [f"htru2:{m}" for m in range(1, 11)]
    res = tabular.run_sweep(folds, ["SNN", "LogReg"], config=cfg, data_dir=tmp_path, engine="serial",
                            progress=False)
    assert res["metric"] == "auc" and res["dataset_family"] == "HTRU2"
    for r in res["runs"]:
        m = tabular.htru2_fold(r["dataset"])
        assert r["folds"]["test"] == m and r["folds"]["validation"] == (m - 2) % 10 + 1
        assert sorted(r["folds"]["train"] + [m, r["folds"]["validation"]]) == list(range(1, 11))
        assert sum(r["folds"]["sizes"].values()) == len(y) and r["folds"]["sizes"]["test"] == 30
    auc = np.array([[res["auc"][d][m] for m in ("SNN", "LogReg")] for d in folds])
    rows = {r["method"]: r for r in res["table3"]}
    best = res["table3"][0]["method"]
    assert best == ("SNN", "LogReg")[int(np.argmax(auc.mean(0)))] and rows[best]["p_value"] is None
    other = "LogReg" if best == "SNN" else "SNN"
    assert rows[other]["p_value"] == stats.wilcoxon_p(auc[:, ("SNN", "LogReg").index(other)],
                                                      auc[:, ("SNN", "LogReg").index(best)])
    assert rows["SNN"]["std"] == pytest.approx(np.std(auc[:, 0], ddof=1))
    assert res["grid_provenance"]["SNN"]["grid_source"] == "chosen for this run"


def test_compare_means_sorts_by_mean_and_tests_against_the_best_mean():
    scores = np.array([[0.9, 0.8, 0.95], [0.91, 0.82, 0.5], [0.92, 0.81, 0.6], [0.93, 0.85, 0.7]])
    rows = stats.compare_means(scores, ["A", "B", "C"])
    assert [r["method"] for r in rows] == ["A", "B", "C"] and rows[0]["p_value"] is None  # C ranks 1st once
    assert rows[1]["p_value"] == stats.wilcoxon_p(scores[:, 1], scores[:, 0])
    with pytest.raises(ValueError, match="methods"):
        stats.compare_means(scores, ["A", "B"])


def test_tox21_sweeps_name_table_a14_as_the_source_of_the_snn_grid():
    from snnlib import tabular, tox21

    assert tabular.dataset_family(["tox21"]) == "Tox21" and tabular.dataset_family(["tox21", "iris"]) == "mixed"
    provenance = tabular.grid_provenance(tox21.paper_config(), ["SNN", "MSRAinit"], "Tox21")
    assert provenance["SNN"]["grid_source"] == "paper Table A14" and provenance["SNN"]["is_paper_table"]
    assert not provenance["MSRAinit"]["is_paper_table"]
    assert tox21.PAPER_GRID_SNN_TOX21 == dict(paper_grids.TABLES["A14"].grid)  # one place for the grid
