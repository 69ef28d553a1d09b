"""Tests of snnlib.tabular: the UCI benchmark sweep of paper Table 1 / §A4 (chapter 'A tabular benchmark')."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from snnlib import cli, stats, tabular
from snnlib.files import write_json_atomic

TINY = tabular.SweepConfig(grid={"depth": (2,), "width": (16,), "lr": (0.1,), "dropout": (0.0,),
                                 "shape": ("rectangular",)}, epochs=3, batch_size=32)


def test_default_grid_sizes_respect_family_restrictions():
    cfg = tabular.SweepConfig()
    assert len(tabular.grid_configs("SNN", cfg)) == 8  # depth {2, 8} x lr {0.01, 0.1} x dropout {0, 0.05}
    for family in ("BatchNorm", "ResNet"):  # no dropout in the paper's grids for these
        assert {c["dropout"] for c in tabular.grid_configs(family, cfg)} == {0.0}
    assert {c["dropout"] for c in tabular.grid_configs("Highway", cfg)} == {0.0, 0.05}
    paper = tabular.SweepConfig(grid=tabular.PAPER_GRID_SNN)
    assert len(tabular.grid_configs("SNN", paper)) == 6 * 3 * 3 * 2 * 2  # Table A4: 216 settings
    assert {c["shape"] for c in tabular.grid_configs("ResNet", paper)} == {"rectangular"}
    assert len(tabular.grid_configs("SVM", cfg)) == 3


def test_paper_grid_uses_the_family_values_the_paper_states():
    paper = tabular.sweep_config(paper_grid=True)
    assert paper.family_grids == tabular.PAPER_FAMILY_GRIDS and paper.epochs == 100 and paper.smooth == 10
    assert {c["dropout"] for c in tabular.grid_configs("MSRAinit", paper)} == {0.5, 0.0}  # §A4.2
    assert {c["dropout"] for c in tabular.grid_configs("Highway", paper)} == {0.5, 0.0}
    resnet = tabular.grid_configs("ResNet", paper)
    assert {c["depth"] for c in resnet} == {2, 3, 4, 8, 16} and {c["bottleneck"] for c in resnet} == {0.25, 0.5}
    assert len(resnet) == 5 * 3 * 3 * 2  # blocks x widths x lrs x bottlenecks (no dropout, rectangular)
    assert {c["dropout"] for c in tabular.grid_configs("SNN", paper)} == {0.05, 0.0}  # SNN keeps Table A4


@pytest.mark.parametrize("family_grids, word", [({"Tanh": {"depth": (2,)}}, "family"),
                                                ({"SNN": {"bottleneck": (0.5,)}}, "ResNet only"),
                                                ({"ResNet": {"bottleneck": (0.0,)}}, "bottleneck"),
                                                ({"SNN": {"momentum": (0.9,)}}, "grid keys")])
def test_bad_family_grids_are_rejected(family_grids, word):
    with pytest.raises(ValueError, match=word):
        tabular.SweepConfig(family_grids=family_grids)


def test_resnet_bottleneck_trains_through_run_task():
    cfg = tabular.SweepConfig(grid=dict(TINY.grid), epochs=2, batch_size=32,
                              family_grids={"ResNet": {"bottleneck": (0.25,)}})
    out = tabular.run_task({"dataset": "iris", "method": "ResNet", "seed": 0, "config": cfg})
    assert out["params"]["bottleneck"] == 0.25 and 0.0 <= out["test_accuracy"] <= 1.0


def test_select_epoch_with_and_without_smoothing():
    curve = [0.1, 0.9, 0.2, 0.7, 0.8, 0.8]
    assert tabular.select_epoch(curve) == 1  # the spike
    assert tabular.select_epoch(curve, smooth=3) == 5  # mean of (0.7, 0.8, 0.8) beats (0.1, 0.9, 0.2)
    assert tabular.select_epoch([0.5, 0.5]) == 0  # first on ties
    with pytest.raises(ValueError, match="smooth"):
        tabular.select_epoch(curve, smooth=0)


def test_ties_broken_towards_more_layers_lower_lr_higher_dropout():
    # paper §A4.1: "ties were broken ... in favor of more layers, lower learning rate and higher dropout"
    key = tabular._selection_key
    assert key(0.9, {"depth": 8, "lr": 0.1, "dropout": 0.0}) > key(0.9, {"depth": 2, "lr": 0.1, "dropout": 0.0})
    assert key(0.9, {"depth": 2, "lr": 0.01, "dropout": 0.0}) > key(0.9, {"depth": 2, "lr": 0.1, "dropout": 0.0})
    assert key(0.9, {"depth": 2, "lr": 0.1, "dropout": 0.05}) > key(0.9, {"depth": 2, "lr": 0.1, "dropout": 0.0})
    assert key(0.91, {"depth": 2}) > key(0.9, {"depth": 32})


def test_builtin_split_is_standardised_float32_with_15_percent_validation():
    data = tabular.load_task_data("wine", 0)
    assert data.X_train.dtype == np.float32 and data.y_train.dtype == np.int64
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0.0, atol=1e-5)
    n_trval = len(data.y_train) + len(data.y_val)
    assert len(data.y_val) == pytest.approx(0.15 * n_trval, abs=1)  # paper §A4.1: 15 % of the training data
    assert n_trval + len(data.y_test) == 178  # UCI wine


def _fake_uci_archive(root, names=("alpha", "beta"), n=60, m=5):
    """A tiny archive in the Fernández-Delgado layout: <name>/<name>_R.dat (tab-separated, header, row number
    first, class last), <name>/conxuntos.dat (a line of train indices, a line of test indices: even/odd rows)
    and <name>/conxuntos_kfold.dat (4 folds as train/test line pairs; fold k tests rows with (i // 4) % 4 == k)."""
    rng = np.random.default_rng(0)
    for k, name in enumerate(names):
        folder = root / name
        folder.mkdir(parents=True)
        y = (np.arange(n) // 2) % 2  # both classes among the even (train) and odd (test) rows
        x = rng.normal(size=(n, m))
        x[:, 0] += 3.0 * (2 * y - 1) + k  # classes well separated along feature 0
        header = "\t".join(["", *[f"f{i}" for i in range(m)], "clase"])
        lines = [header] + ["\t".join([str(i + 1), *(f"{v:.5f}" for v in x[i]), str(y[i])]) for i in range(n)]
        (folder / f"{name}_R.dat").write_text("\n".join(lines) + "\n")
        (folder / "conxuntos.dat").write_text(" ".join(map(str, range(0, n, 2))) + "\n"
                                              + " ".join(map(str, range(1, n, 2))) + "\n")
        folds = [[i for i in range(n) if (i // 4) % 4 == k] for k in range(4)]
        (folder / "conxuntos_kfold.dat").write_text("".join(
            " ".join(str(i) for i in range(n) if i not in test) + "\n" + " ".join(map(str, test)) + "\n"
            for test in folds))
    (root / "not_a_dataset").mkdir()
    return root


def test_uci_archive_datasets_are_listed_and_swept(tmp_path):
    root = _fake_uci_archive(tmp_path / "uci")
    assert tabular.list_uci_datasets(root) == ["alpha", "beta"]
    data = tabular.load_task_data("alpha", 0, 0.15, str(root))
    assert len(data.y_train) + len(data.y_val) == 44 and len(data.y_test) == 16  # first fold of the kfold file
    holdout = tabular.load_task_data("alpha", 0, 0.15, str(root), "holdout")
    assert len(holdout.y_train) + len(holdout.y_val) == 30 and len(holdout.y_test) == 30  # conxuntos.dat
    res = tabular.run_sweep(["alpha", "beta"], ["SNN", "LogReg"], config=TINY, data_dir=str(root),
                            engine="serial", progress=False)
    assert res["accuracy"]["alpha"]["LogReg"] > 0.9  # classes 6 standard deviations apart on feature 0
    with pytest.raises(ValueError, match="UCI dataset folders"):
        tabular.run_sweep(["gamma"], ["SNN"], config=TINY, data_dir=str(root), progress=False)


def test_cli_uci121_runs_every_dataset_of_the_archive(tmp_path):
    root = _fake_uci_archive(tmp_path / "uci")
    out = tmp_path / "uci.json"
    assert cli.main(["tabular", "--datasets", "uci121", "--data-dir", str(root), "--methods", "SVM,LogReg",
                         "--no-progress", "--engine", "serial", "--out", str(out)]) == 0
    assert json.loads(out.read_text())["datasets"] == ["alpha", "beta"]


def test_run_task_is_deterministic_and_reports_the_chosen_setting():
    task = {"dataset": "iris", "method": "SNN", "seed": 0, "config": TINY}
    a, b = tabular.run_task(task), tabular.run_task(task)
    assert a == b
    assert 0.0 <= a["test_accuracy"] <= 1.0 and 1 <= a["epoch"] <= TINY.epochs
    assert a["params"] == {"depth": 2, "dropout": 0.0, "lr": 0.1, "shape": "rectangular", "width": 16}


def test_sklearn_methods_beat_chance_on_iris():
    for method in tabular.SKLEARN_METHODS:
        out = tabular.run_task({"dataset": "iris", "method": method, "seed": 0, "config": TINY})
        assert out["test_accuracy"] > 0.6, method  # chance is 1/3


def _sweep(**kwargs):
    return tabular.run_sweep(["iris", "wine"], ["SNN", "BatchNorm", "SVM"], seeds=(0,), config=TINY,
                             progress=False, **kwargs)


@pytest.fixture(scope="module")
def serial_result():
    return _sweep(engine="serial")


def test_sweep_result_holds_runs_accuracy_comparison_and_provenance(serial_result):
    res = serial_result
    assert len(res["runs"]) == 2 * 3
    datasets, methods, acc = tabular.accuracy_table(res)
    assert datasets == ["iris", "wine"] and acc.shape == (2, 3)
    for i, d in enumerate(datasets):  # the table is the runs' test accuracies, dataset x method, in that order
        for j, m in enumerate(methods):
            (run,) = [r for r in res["runs"] if r["dataset"] == d and r["method"] == m]
            assert acc[i, j] == res["accuracy"][d][m] == round(run["test_accuracy"], 12)
    rows = res["comparison"]
    assert rows == stats.compare(acc, methods)
    assert sorted(r["avg_rank"] for r in rows) == sorted(stats.average_ranks(acc))
    assert "git_commit" in res["provenance"]


@pytest.mark.slow
def test_local_processes_give_the_serial_result(serial_result):
    parallel = _sweep(engine="local", jobs=2)
    assert parallel["accuracy"] == serial_result["accuracy"]
    assert parallel["runs"] == serial_result["runs"]


def test_dask_engine_gives_the_serial_result(serial_result):
    pytest.importorskip("dask")
    res = _sweep(engine="dask", jobs=2, dask_scheduler="synchronous")  # dask's local single-process mode
    assert res["runs"] == serial_result["runs"]
    with pytest.raises(ValueError, match="dask_scheduler"):
        _sweep(engine="dask", dask_scheduler="threads")  # shared torch RNG: not reproducible


def test_write_json_is_loadable_and_leaves_no_temporary_file(tmp_path, serial_result):
    path = tmp_path / "sub" / "tabular.json"
    write_json_atomic(path, serial_result)
    loaded = json.loads(path.read_text())
    assert loaded["accuracy"] == serial_result["accuracy"]
    assert os.listdir(path.parent) == ["tabular.json"]  # no temporary file left behind


@pytest.mark.parametrize("kwargs, match", [
    ({"methods": ["SNN", "XGBoost"]}, "methods"),
    ({"engine": "spark"}, "engine"),
    ({"jobs": 0}, "jobs"),
    ({"datasets": ["mnist"]}, "datasets"),
    ({"seeds": (-1,)}, "seeds"),
    ({"seeds": (1.5,)}, r"seeds must be integers, got \[1\.5\]"),
    ({"datasets": "iris"}, "datasets must be a list, got the string 'iris'"),
])
def test_run_sweep_rejects_bad_arguments(kwargs, match):
    args = {"datasets": ["iris"], "methods": ["SNN"], "config": TINY, "progress": False, **kwargs}
    with pytest.raises(ValueError, match=match):
        tabular.run_sweep(**args)


@pytest.mark.parametrize("grid_update, match", [
    ({"depth": (0,)}, "depth"), ({"lr": (-0.1,)}, "lr"), ({"dropout": (1.0,)}, "dropout"),
    ({"shape": ("pyramid",)}, "shape"), ({"width": ()}, "width"),
])
def test_sweep_config_rejects_bad_grids(grid_update, match):
    with pytest.raises(ValueError, match=match):
        tabular.SweepConfig(grid={**tabular.DEFAULT_GRID, **grid_update})


@pytest.mark.parametrize("argv, match", [
    (["--engine", "spark"], "engine"),
    (["--methods", "SNN,XGBoost"], "methods"),
    (["--datasets", "uci121"], "--data-dir"),
    (["--datasets", "uci121", "--data-dir", "/nonexistent/uci"], "--data-dir"),
    (["--depths", "two"], "--depths"),
    (["--epochs", "0"], "argument --epochs: must be an integer in [1, 1000000], got '0'"),
    (["--jobs", "0"], "argument --jobs: must be an integer in [1, 4096], got '0'"),
    (["--bogus"], "unrecognized"),
])
def test_cli_bad_arguments_exit_2_with_one_line_reason(argv, match, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["tabular", *argv, "--out", str(tmp_path / "x.json"), "--no-progress"])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and match in err


def test_cli_tiny_run_writes_json_with_provenance(tmp_path, capsys):
    out = tmp_path / "tab.json"
    code = cli.main(["tabular", "--datasets", "iris,wine", "--methods", "SNN,LogReg", "--epochs", "2", "--depths", "2",
                         "--widths", "8", "--lrs", "0.1", "--dropouts", "0", "--engine", "serial",
                         "--no-progress", "--out", str(out)])
    assert code == 0
    res = json.loads(out.read_text())
    assert res["methods"] == ["SNN", "LogReg"] and res["config"]["epochs"] == 2
    assert "provenance" in res and len(res["comparison"]) == 2
    assert "| method | avg_rank" in capsys.readouterr().out


def test_paper_table1_left_rank_differences_sum_to_zero():
    # average ranks of k methods always sum to k (k + 1) / 2, so the differences to (k + 1) / 2 sum to 0
    diffs = [r["avg_rank_diff"] for r in tabular.PAPER_TABLE1_LEFT["rows"]]
    assert len(diffs) == 7 and abs(sum(diffs)) < 7 * 0.0005 + 1e-9  # printed to 3 decimals


@pytest.mark.parametrize("table", [tabular.PAPER_TABLE_A12, tabular.PAPER_TABLE_A13])
def test_paper_tables_a12_a13_average_ranks_sum_to_24_times_12_5(table):
    ranks = [r["avg_rank"] for r in table["rows"]]
    assert len(ranks) == 24 and abs(sum(ranks) - 24 * 12.5) < 24 * 0.05  # printed to 1 decimal
    assert sum(r["p_value"] is None for r in table["rows"]) == 1


def test_paper_table1_right_is_table_a13_minus_12_5():
    right = {r["method"]: r["avg_rank_diff"] for r in tabular.PAPER_TABLE1_RIGHT["rows"]}
    assert right["SNN"] == -6.7 and right["LibSVM_weka"] == -6.4 and right["Highway"] == -4.6  # paper Table 1


def test_htru2_nested_cross_validation_runs_from_the_command_line(tmp_path, monkeypatch, capsys):
    import zipfile

    rng = np.random.default_rng(0)
    y = (np.arange(200) % 5 == 0).astype(int)
    X = rng.normal(size=(200, 8)) + 1.5 * y[:, None]
    with zipfile.ZipFile(tmp_path / "HTRU2.zip", "w") as zf:
        zf.writestr("HTRU_2.csv", "\n".join(",".join(f"{v:.4f}" for v in row) + f",{c}" for row, c in zip(X, y)))
    from snnlib import data

    monkeypatch.setenv("SNNLIB_SHA256_HTRU2_ZIP", data.sha256_of(tmp_path / "HTRU2.zip"))
    out = tmp_path / "htru2.json"
    argv = ["--datasets", "htru2", "--data-dir", str(tmp_path), "--methods", "SNN,LogReg", "--depths", "2",
            "--widths", "8", "--lrs", "0.1", "--dropouts", "0", "--epochs", "2", "--engine", "serial",
            "--no-progress", "--out", str(out)]
    assert cli.main(["tabular", *argv]) == 0
    res = json.loads(out.read_text())
    assert res["metric"] == "auc" and res["datasets"] == [f"htru2:{m}" for m in range(1, 11)]
    assert all(0.0 <= r["test_auc"] <= 1.0 and "test_accuracy" not in r for r in res["runs"])
    fold_auc = [r["test_auc"] for r in res["runs"] if r["method"] == "LogReg"]
    assert res["summary"]["LogReg"]["mean"] > 0.9 and len(fold_auc) == 10
    assert res["summary"]["LogReg"]["mean"] == pytest.approx(np.mean(fold_auc))
    assert res["summary"]["LogReg"]["std"] == pytest.approx(np.std(fold_auc, ddof=1))  # sample std over folds
    printed = capsys.readouterr().out
    assert "as paper Table 3" in printed and "avg_rank" not in printed
    assert [r["method"] for r in res["table3"]][0] == max(res["summary"], key=lambda m: res["summary"][m]["mean"])
    monkeypatch.setenv("SNNLIB_SHA256_HTRU2_ZIP", "0" * 64)  # a wrong digest: one-line error, exit 2
    with pytest.raises(SystemExit) as exc:
        cli.main(["tabular", *argv])
    assert exc.value.code == 2 and "SHA-256 mismatch" in capsys.readouterr().err


def test_auc_metric_needs_a_binary_task():
    with pytest.raises(ValueError, match="binary"):
        tabular.score(np.array([0, 1, 2]), np.eye(3), "auc")
    assert tabular.score(np.array([0, 1, 1]), np.array([[0.0, 0.1], [0.0, 0.9], [0.0, 0.5]]), "auc") == 1.0
    with pytest.raises(ValueError, match="metric"):
        tabular.SweepConfig(metric="f1")


def test_grid_search_ranks_settings_by_the_smoothed_validation_score(monkeypatch):
    """A setting whose best epoch is a lone spike loses to a steadier one when curves are smoothed."""
    curves = {2: [0.5, 0.9, 0.5, 0.5], 8: [0.7, 0.8, 0.8, 0.8]}

    def fake_train(family, data, params, config, seed):
        curve = tabular.smoothed(curves[params["depth"]], config.smooth)
        epoch = int(np.argmax(curve))
        return {"val_accuracy": curves[params["depth"]][epoch], "test_accuracy": float(params["depth"]),
                "epoch": epoch + 1, "val_selection": float(curve[epoch])}

    monkeypatch.setattr(tabular, "_train_fnn", fake_train)
    grid = {**TINY.grid, "depth": (2, 8)}
    for smooth, chosen in ((1, 2), (3, 8)):
        cfg = tabular.SweepConfig(grid=grid, epochs=4, smooth=smooth)
        out = tabular.run_task({"dataset": "iris", "method": "SNN", "seed": 0, "config": cfg})
        assert out["params"]["depth"] == chosen, smooth
    np.testing.assert_allclose(tabular.smoothed([0.5, 0.9, 0.5, 0.5], 3), [0.5, 0.7, 0.633333333, 0.633333333])


def test_accuracy_table_keeps_datasets_as_rows_and_methods_as_columns():
    result = {"datasets": ["d1", "d2"], "methods": ["A", "B"],
              "accuracy": {"d1": {"A": 0.9, "B": 0.1}, "d2": {"A": 0.8, "B": 0.2}}}
    datasets, methods, acc = tabular.accuracy_table(result)
    assert (datasets, methods) == (["d1", "d2"], ["A", "B"])
    np.testing.assert_array_equal(acc, [[0.9, 0.1], [0.8, 0.2]])


def test_fnn_run_reports_the_scores_of_the_epoch_it_selects(monkeypatch):
    """_train_fnn: the epoch with the best (smoothed) validation score, and the test score of *that* epoch."""
    scripted = iter([0.5, 0.1, 0.9, 0.2, 0.6, 0.3])  # (validation, test) per epoch: best validation at epoch 2
    monkeypatch.setattr(tabular, "score", lambda y, scores, metric: next(scripted))
    cfg = tabular.SweepConfig(grid=dict(TINY.grid), epochs=3, batch_size=32)
    out = tabular.run_task({"dataset": "iris", "method": "SNN", "seed": 0, "config": cfg})
    assert (out["val_accuracy"], out["test_accuracy"], out["epoch"]) == (0.9, 0.2, 2)


def test_sweep_averages_test_accuracy_over_seeds():
    res = tabular.run_sweep(["iris"], ["SNN", "LogReg"], seeds=(0, 1), config=TINY, engine="serial", progress=False)
    for m in ("SNN", "LogReg"):
        runs = [r["test_accuracy"] for r in res["runs"] if r["method"] == m]
        assert len(runs) == 2 and runs[0] != runs[1]  # the seeds differ, so mean, max and min all differ
        assert res["accuracy"]["iris"][m] == round(float(np.mean(runs)), 12)


def test_checkpoint_dir_keeps_finished_tasks_and_a_rerun_resumes_without_training(tmp_path, monkeypatch):
    """An interrupted sweep loses nothing: each finished task is saved at once, a rerun loads it."""
    ckpt = tmp_path / "tasks"
    kwargs = {"methods": ["SNN", "LogReg"], "seeds": (0, 1), "config": TINY, "engine": "serial", "progress": False,
              "checkpoint_dir": ckpt}
    calls = []
    real = tabular.run_task

    def interrupted(task):  # the third task is interrupted (Ctrl-C)
        calls.append(task["method"])
        if len(calls) == 3:
            raise KeyboardInterrupt
        return real(task)

    monkeypatch.setattr(tabular, "run_task", interrupted)
    with pytest.raises(KeyboardInterrupt):
        tabular.run_sweep(["iris"], **kwargs)
    saved = sorted(ckpt.glob("task-*.json"))
    assert len(saved) == 2
    killed = [ckpt / f"{saved[0].name}q1w2e3r4.tmp", ckpt / "task-of-another-sweep.jsonq1w2e3r4.tmp"]
    for f in killed:  # what a kill -9 during a task's write leaves (this sweep's and another's)
        f.write_text("{")
    calls.clear()
    monkeypatch.setattr(tabular, "run_task", lambda t: calls.append(t["method"]) or real(t))
    resumed = tabular.run_sweep(["iris"], **kwargs)
    assert len(calls) == 2  # only the two unfinished tasks ran
    assert not killed[0].exists() and killed[1].exists()  # this sweep's temporary is gone, no other file
    uninterrupted = tabular.run_sweep(["iris"], **{**kwargs, "checkpoint_dir": None})
    assert resumed["runs"] == uninterrupted["runs"] and resumed["accuracy"] == uninterrupted["accuracy"]
    other = tabular.SweepConfig(grid=TINY.grid, epochs=4, batch_size=32)  # another setting: nothing reused
    calls.clear()
    tabular.run_sweep(["iris"], **{**kwargs, "config": other})
    assert len(calls) == 4


@pytest.mark.parametrize("engine, says", [("local", "rerun the same command to resume"),
                                          ("dask", "rerun the same command to resume")])
def test_cli_interrupted_run_says_how_to_resume_and_exits_130(tmp_path, monkeypatch, capsys, engine, says):
    def interrupt(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(tabular, "run_sweep", interrupt)
    code = cli.main(["tabular", "--datasets", "iris", "--methods", "LogReg", "--checkpoint-dir", str(tmp_path / "t"),
                         "--engine", engine, "--no-progress", "--out", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 130 and says in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.json").exists()


def test_cli_unreachable_dask_scheduler_is_a_one_line_error(tmp_path, monkeypatch, capsys):
    def unreachable(*args, **kwargs):
        raise OSError("Timed out trying to connect to tcp://127.0.0.1:1 after 30 s")

    monkeypatch.setattr(tabular, "run_sweep", unreachable)
    with pytest.raises(SystemExit) as exc:
        cli.main(["tabular", "--datasets", "iris", "--methods", "LogReg", "--engine", "dask", "--dask-address",
                      "tcp://127.0.0.1:1", "--no-progress", "--out", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "Timed out" in err and len(err.strip().splitlines()) == 1


def test_cli_sigterm_stops_like_ctrl_c_and_keeps_finished_tasks(tmp_path, monkeypatch, capsys):
    import os
    import signal

    real, calls = tabular.run_task, []

    def terminated_in_second_task(task):
        calls.append(task["method"])
        if len(calls) == 2:
            os.kill(os.getpid(), signal.SIGTERM)
        return real(task)

    monkeypatch.setattr(tabular, "run_task", terminated_in_second_task)
    code = cli.main(["tabular", "--datasets", "iris", "--methods", "LogReg,RandomForest", "--checkpoint-dir",
                         str(tmp_path / "t"), "--engine", "serial", "--no-progress", "--out", str(tmp_path / "x.json")])
    err = capsys.readouterr().err
    assert code == 143 and "terminated (SIGTERM); finished tasks are saved in" in err
    assert len(list((tmp_path / "t").glob("task-*.json"))) == 1 and not (tmp_path / "x.json").exists()
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL


@pytest.mark.parametrize("content, says", [("", "cannot be read"), ('{"dataset": "iris"}', "is not the record of")])
def test_cli_unreadable_saved_task_is_one_line_naming_the_file(tmp_path, capsys, content, says):
    argv = ["--datasets", "iris", "--methods", "LogReg", "--checkpoint-dir", str(tmp_path / "t"), "--engine",
            "serial", "--no-progress", "--out", str(tmp_path / "x.json")]
    assert cli.main(["tabular", *argv]) == 0
    (saved,) = (tmp_path / "t").glob("task-*.json")
    saved.write_text(content)
    capsys.readouterr()
    assert cli.main(["tabular", *argv]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"saved task {saved} {says}" in err[0] and "delete it" in err[0]


def test_diverged_fnn_trainings_are_counted_and_reported(tmp_path, capsys):
    diverging = tabular.SweepConfig(grid={**TINY.grid, "lr": (1e4,)}, epochs=3, batch_size=32)
    res = tabular.run_sweep(["iris"], ["SNN", "LogReg"], config=diverging, engine="serial", progress=False)
    snn = next(r for r in res["runs"] if r["method"] == "SNN")
    logreg = next(r for r in res["runs"] if r["method"] == "LogReg")
    assert snn["diverged_settings"] == len(tabular.grid_configs("SNN", diverging)) and snn["diverged_epoch"] >= 1
    assert "diverged_settings" not in logreg
    sane = tabular.run_task({"dataset": "iris", "method": "SNN", "seed": 0, "config": TINY, "data_dir": None})
    assert sane["diverged_settings"] == 0 and sane["diverged_epoch"] is None
    code = cli.main(["tabular", "--datasets", "iris", "--methods", "SNN", "--lrs", "1e4", "--epochs", "2", "--engine",
                         "serial", "--no-progress", "--out", str(tmp_path / "x.json")])
    assert code == 0 and "FNN trainings diverged" in capsys.readouterr().out


def test_validation_share_and_auc_inputs_are_checked_and_diverged_auc_scores_as_chance():
    with pytest.raises(ValueError, match="val_fraction"):
        tabular.SweepConfig(val_fraction=0)
    with pytest.raises(ValueError, match="both classes"):
        tabular.score(np.array([1, 1]), np.array([[0.2, 0.8], [0.4, 0.6]]), "auc")
    assert tabular.score(np.array([0, 1, 1, 0]), np.zeros((4, 2)), "auc") == 0.5  # constant scores: chance


def test_run_sweep_takes_seeds_from_an_iterator():
    res = tabular.run_sweep(["iris"], ["LogReg"], seeds=(s for s in [0, 1]), config=TINY, engine="serial",
                            progress=False)
    assert sorted(r["seed"] for r in res["runs"]) == [0, 1]
