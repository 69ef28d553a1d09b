"""``python -m snnlib tabular``: SNN vs FNN families and scikit-learn baselines on UCI tasks (paper Table 1, Table 3
for HTRU2; :func:`snnlib.tabular.run_sweep`; chapter "A tabular benchmark").

Prints the comparison table (paper Table 1 style) and writes the result JSON to --out. An interrupted run exits
with 130 (143 after SIGTERM); with --checkpoint-dir each task is saved as it finishes (every engine) and a rerun
of the same command resumes, also after a kill -9. On a running Dask cluster::

    python -m snnlib tabular --engine dask --dask-address tcp://host:8786 --checkpoint-dir DIR --out OUT.json

(``--dask-resources GPU=1`` to use only workers started with ``--resources GPU=1``; see :mod:`snnlib.engines`).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys

from snnlib.cli import CommandError, Interrupted, UsageError, integer, output_path, write_result

HELP = "121 UCI tasks, Tox21 and HTRU2: SNN vs FNN families and scikit-learn methods (paper Tables 1-3)"
OUT_OF_MEMORY = "fewer --jobs or smaller --widths?"
#: :data:`snnlib.tabular.METRICS`, ``ENGINES`` and ``DASK_SCHEDULERS`` named here so that parsing imports no
#: numpy (a test checks that they agree).
METRICS = ("accuracy", "auc")
ENGINES = ("serial", "local", "dask")
UCI_SPLITS = ("kfold", "holdout")
DASK_SCHEDULERS = ("processes", "synchronous")
TRAINERS = ("loop", "batched")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--datasets", default="builtin",
                   help="'builtin' (digits, breast_cancer, wine, iris), 'uci121' (all in --data-dir), 'htru2' "
                        "(its 10 nested cross-validation folds, paper Table 3), 'tox21' (paper Table 2; --data-dir "
                        "holds tox21.zip) or a comma-separated list of names (htru2:M is fold M)")
    p.add_argument("--data-dir", type=output_path, default=None,
                   help="folder of the UCI-121 archive (needed for uci121); for htru2 the folder of HTRU2.zip, "
                        "for tox21 that of tox21.zip")
    p.add_argument("--uci-split", default="kfold", choices=UCI_SPLITS,
                   help="train/test split of UCI-archive datasets: kfold (first fold of conxuntos_kfold.dat, "
                        "test ~N/4, the paper's; default) or holdout (conxuntos.dat)")
    p.add_argument("--metric", default=None, choices=METRICS,
                   help="model selection and reported score (default: auc for htru2, accuracy otherwise)")
    p.add_argument("--methods", default="all",
                   help="'all', 'fnn', 'sklearn' or a comma-separated list of SNN, MSRAinit, BatchNorm, LayerNorm, "
                        "WeightNorm, Highway, ResNet, RandomForest, SVM, LogReg")
    p.add_argument("--seeds", default="0", help="comma-separated seeds (split and initialisation), e.g. 0,1,2")
    p.add_argument("--depths", default=None, help="comma-separated hidden-layer counts (default 2,8)")
    p.add_argument("--widths", default=None, help="comma-separated hidden widths (default 64)")
    p.add_argument("--lrs", default=None, help="comma-separated SGD learning rates (default 0.01,0.1)")
    p.add_argument("--dropouts", default=None, help="comma-separated dropout rates (default 0,0.05)")
    p.add_argument("--shapes", default=None, help="comma-separated layer forms: rectangular, conic")
    p.add_argument("--l2s", default=None, help="comma-separated L2 weight decays (default none; Table A14 with "
                                               "--paper-grid for tox21)")
    p.add_argument("--trainer", default="loop", choices=TRAINERS,
                   help="FNN training: one setting at a time, or SNN/MSRAinit settings stacked ('batched')")
    p.add_argument("--device", default="cpu", help="device of the batched trainer: cpu, cuda, auto")
    p.add_argument("--paper-grid", action="store_true",
                   help="the SNN grid of paper Table A4 (A21 for htru2) and 100 epochs; the other families' tables "
                        "(A5-A10) are not in this build's sources: they run snnlib's reading (SNN grid with the "
                        "values the text states), and a warning says so")
    p.add_argument("--epochs", type=integer(1, 10**6), default=None,
                   help="training epochs (default 30; 100 with --paper-grid)")
    p.add_argument("--batch-size", type=integer(1, 10**6), default=64)
    p.add_argument("--smooth", type=integer(1, 10**6), default=None,
                   help="moving-average window for the epoch choice (default 1; 10 with --paper-grid)")
    p.add_argument("--engine", default="local", choices=ENGINES)
    p.add_argument("--jobs", type=integer(1, 4096), default=1, help="parallel worker processes")
    p.add_argument("--dask-scheduler", default="processes", choices=DASK_SCHEDULERS)
    p.add_argument("--dask-address", default=None,
                   help="with --engine dask: a running dask.distributed scheduler, e.g. tcp://host:8786 (its "
                        "workers need snnlib and --data-dir at the same path), or 'local' for a LocalCluster of "
                        "--jobs worker processes; without it Dask's local --dask-scheduler runs the tasks")
    p.add_argument("--dask-resources", default=None, metavar="NAME=AMOUNT[,...]",
                   help="with --dask-address: run each task only on workers started with these resources, e.g. "
                        "GPU=1 for workers started as 'CUDA_VISIBLE_DEVICES=k dask worker ADDRESS --nthreads 1 "
                        "--resources GPU=1' (snnlib assigns no devices itself; see snnlib.engines)")
    p.add_argument("--out", type=output_path, required=True, help="result JSON, written atomically")
    p.add_argument("--checkpoint-dir", type=output_path, default=None,
                   help="save every finished task in this folder; rerunning the same command resumes from it")
    p.add_argument("--no-progress", action="store_true", help="no progress bars")


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def _numbers(text: str | None, kind: type, name: str) -> tuple | None:
    if text is None:
        return None
    try:
        values = tuple(kind(v) for v in _split(text))
    except ValueError:
        raise UsageError(f"--{name} must be comma-separated {kind.__name__}s, got {text!r}") from None
    if not values:
        raise UsageError(f"--{name} must list at least one value, got {text!r}")
    return values


def _resources(text: str | None) -> dict[str, float] | None:
    if text is None:
        return None
    resources = {}
    for item in _split(text):
        name, _, amount = item.partition("=")
        try:
            value = float(amount)
        except ValueError:
            value = float("nan")
        if not name.strip() or not value > 0 or value == float("inf"):
            raise UsageError(f"--dask-resources must be NAME=AMOUNT pairs with amounts > 0, e.g. GPU=1, got {text!r}")
        resources[name.strip()] = value
    if not resources:
        raise UsageError(f"--dask-resources must be NAME=AMOUNT pairs with amounts > 0, e.g. GPU=1, got {text!r}")
    return resources


def _datasets(args: argparse.Namespace) -> list[str]:
    from snnlib import tabular

    if args.datasets == "builtin":
        return list(tabular.BUILTIN_DATASETS)
    if args.datasets == "htru2":
        return [f"htru2:{m}" for m in range(1, tabular.HTRU2_FOLDS + 1)]
    if args.data_dir is not None and not os.path.isdir(args.data_dir):
        raise UsageError(f"--data-dir must be an existing folder, got {args.data_dir!r}")
    if args.datasets == "uci121":
        if args.data_dir is None:
            raise UsageError("--datasets uci121 needs --data-dir (folder of the UCI-121 archive)")
        return tabular.list_uci_datasets(args.data_dir)
    names = _split(args.datasets)
    if not names:
        raise UsageError(f"--datasets must be 'builtin', 'uci121' or a list of names, got {args.datasets!r}")
    return names


def _methods(text: str) -> list[str]:
    from snnlib import tabular

    groups = {"all": list(tabular.METHODS), "fnn": list(tabular.FNN_METHODS), "sklearn": list(tabular.SKLEARN_METHODS)}
    return groups[text] if text in groups else _split(text)


def run(args: argparse.Namespace) -> int:
    from snnlib import engines, tables, tabular
    from snnlib.files import check_writable

    try:
        seeds = [int(s) for s in _numbers(args.seeds, int, "seeds") or ()]
        resources = _resources(args.dask_resources)
        if resources is not None and (args.engine != "dask" or args.dask_address is None):
            raise UsageError("--dask-resources needs --engine dask and --dask-address (a dask.distributed cluster)")
        check_writable(args.out)
        datasets = _datasets(args)
        grid = {}
        for key, text, kind in (("depth", args.depths, int), ("width", args.widths, int), ("lr", args.lrs, float),
                                ("dropout", args.dropouts, float), ("shape", args.shapes, str),
                                ("l2", args.l2s, float)):
            values = _numbers(text, kind, key + "s")
            if values is not None:
                grid[key] = values
        htru2 = bool(datasets) and all(tabular.htru2_fold(d) is not None for d in datasets)
        tox21 = tabular.TOX21 in datasets
        if tox21 and args.paper_grid:  # paper Table A14
            from snnlib.tox21 import PAPER_GRID_SNN_TOX21

            grid = {**PAPER_GRID_SNN_TOX21, **grid}
        config = tabular.sweep_config(args.paper_grid, htru2, grid, args.epochs, args.batch_size, args.smooth,
                                      args.metric or ("auc" if tox21 else None), args.uci_split)
        config = dataclasses.replace(config, trainer=args.trainer, device=args.device)
        for key, needed in (("htru2_zip", any(tabular.htru2_fold(d) is not None for d in datasets)),
                            ("tox21_zip", tox21)):
            if not needed:
                continue
            from snnlib import data

            try:  # fetch and verify once, before any worker starts
                data.fetch(key, root=args.data_dir)
            except data.DatasetUnavailable as err:
                raise UsageError(str(err).splitlines()[0]) from None
        result = tabular.run_sweep(datasets, _methods(args.methods), seeds, config, data_dir=args.data_dir,
                                   engine=args.engine, jobs=args.jobs, progress=not args.no_progress,
                                   dask_scheduler=args.dask_scheduler, dask_address=args.dask_address,
                                   checkpoint_dir=args.checkpoint_dir, dask_resources=resources)
    except tabular.TaskRecordError as err:  # not a usage error: one line naming the file, exit status 1
        raise CommandError(str(err)) from None
    except engines.TaskLost as err:  # its workers died (out of memory?): one line, exit status 1
        saved = (f"; finished tasks are saved in {args.checkpoint_dir}, rerun the same command to resume"
                 if args.checkpoint_dir else "")
        raise CommandError(str(err).splitlines()[0] + saved) from None
    except ValueError as err:
        raise UsageError(str(err)) from None
    except OSError as err:  # e.g. a Dask scheduler that cannot be reached
        raise UsageError(f"{type(err).__name__}: {err}".splitlines()[0]) from None
    except KeyboardInterrupt:
        if not args.checkpoint_dir:
            raise Interrupted("nothing was saved (use --checkpoint-dir to keep finished tasks)") from None
        raise Interrupted(f"finished tasks are saved in {args.checkpoint_dir}; rerun the same command to resume") \
            from None
    if args.paper_grid:  # one line: which families do not run the paper's own table
        readings = [m for m, g in result.get("grid_provenance", {}).items() if not g["is_paper_table"]]
        if readings:
            print(f"{args.prog}: warning: --paper-grid: the grids of {', '.join(readings)} are snnlib's reading, not "
                  "the paper's tables (not in this build's sources); see grid_provenance in the result",
                  file=sys.stderr)
    path, ok = write_result(args.out, result, args.prog)
    if "table3" in result:  # paper Table 3: mean AUC ± sd over the test folds, Wilcoxon vs the best mean
        print(f"ROC AUC over the {len(result['datasets'])} test folds (mean ± sd; p: paired Wilcoxon test across "
              "folds against the best mean; * = p < 0.05), as paper Table 3")
        for row in result["table3"]:
            p = "—" if row["p_value"] is None else f"{row['p_value']:.1e}{'*' if row['significant'] else ''}"
            print(f"{row['method']:>12}  AUC {row['mean']:.4f} ± {row['std']:.3f}  p {p}")
    elif "comparison" in result:
        print(tables.markdown_table(result["comparison"], ["method", "avg_rank", "avg_rank_diff", "p_value"]))
    if "table3" not in result and result["metric"] == "auc":  # mean ROC AUC ± standard deviation over the tasks
        for method, row in result["summary"].items():
            print(f"{method:>12}  AUC {row['mean']:.4f} ± {row['std']:.3f}")
    diverged = sum(r.get("diverged_settings", 0) for r in result["runs"])
    if diverged:
        print(f"{diverged} FNN trainings diverged (loss NaN/inf); they scored as chance from then on, and the runs' "
              "'diverged_settings' / 'diverged_epoch' say where")
    if ok:
        print(f"wrote {path} ({len(result['runs'])} runs, {result['seconds']:.1f} s)")
    return 0 if ok else 1
