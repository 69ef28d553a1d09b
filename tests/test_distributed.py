"""Tests of snnlib.engines: the tabular sweep on Dask's local schedulers and on dask.distributed clusters
(chapter 'A tabular benchmark'): each task saved as it finishes, killed workers' tasks retried, a killed client
resumed with the result of an uninterrupted run, a running cluster's address and worker resources."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from snnlib import cli, engines, tabular

ROOT = Path(__file__).resolve().parents[1]
TINY = tabular.SweepConfig(grid={"depth": (2,), "width": (16,), "lr": (0.1,), "dropout": (0.0,),
                                 "shape": ("rectangular",)}, epochs=3, batch_size=32)
#: The result of a sweep without what depends on the run (timings, provenance, engine): what must be equal.
COMPARED = ("datasets", "methods", "seeds", "metric", "runs", "accuracy", "summary", "comparison")


def _compared(result: dict) -> dict:
    return {k: result[k] for k in COMPARED if k in result}


def test_parser_and_library_name_the_same_engines():
    from snnlib.cli import tabular as tab_cli

    assert tabular.ENGINES == engines.ENGINES == tab_cli.ENGINES
    assert tabular.DASK_SCHEDULERS == engines.DASK_SCHEDULERS == tab_cli.DASK_SCHEDULERS


def test_run_tasks_hands_each_result_back_with_its_index():
    got = []
    engines.run_tasks(abs, [-3, 4, -5], lambda i, r: got.append((i, r)))
    assert got == [(0, 3), (1, 4), (2, 5)]
    engines.run_tasks(abs, [], lambda i, r: got.append((i, r)), engine="dask", dask_address="tcp://nowhere:1")
    assert len(got) == 3  # nothing to run: no cluster is contacted


@pytest.mark.parametrize("resources, match", [({}, "map resource names"), ({"GPU": 0}, "> 0"),
                                              ({"GPU": float("inf")}, "> 0"), ({"": 1}, "names"),
                                              ({"GPU": True}, "amounts"), ("GPU=1", "map resource names")])
def test_bad_dask_resources_are_rejected(resources, match):
    with pytest.raises(ValueError, match=match):
        engines.check_resources(resources)


def test_dask_resources_need_a_cluster():
    with pytest.raises(ValueError, match="dask_address"):
        tabular.run_sweep(["iris"], ["LogReg"], config=TINY, engine="dask", dask_resources={"GPU": 1},
                          progress=False)
    with pytest.raises(ValueError, match="dask_address"):
        tabular.run_sweep(["iris"], ["LogReg"], config=TINY, engine="dask", dask_address=" ", progress=False)


@pytest.mark.parametrize("argv, match", [
    (["--engine", "dask", "--dask-address", "tcp://h:1", "--dask-resources", "GPU"], "NAME=AMOUNT"),
    (["--engine", "dask", "--dask-address", "tcp://h:1", "--dask-resources", "GPU=-1"], "NAME=AMOUNT"),
    (["--engine", "dask", "--dask-resources", "GPU=1"], "needs --engine dask and --dask-address"),
    (["--engine", "local", "--dask-resources", "GPU=1"], "needs --engine dask and --dask-address"),
])
def test_cli_bad_dask_resources_exit_2_with_one_line_reason(argv, match, capsys, tmp_path):
    with pytest.raises(SystemExit) as exc:
        cli.main(["tabular", "--datasets", "iris", "--methods", "LogReg", *argv, "--out", str(tmp_path / "x.json"),
                  "--no-progress"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and len(err.strip().splitlines()) == 1 and match in err


@pytest.mark.parametrize("scheduler", ["synchronous", pytest.param("processes", marks=pytest.mark.slow)])
def test_dask_local_schedulers_save_each_task_as_it_finishes(tmp_path, monkeypatch, scheduler):
    """The third task fails once two are saved (one worker: tasks run one at a time): the two are on disk before
    the run stops, and a rerun resumes from them to the serial result."""
    pytest.importorskip("dask")
    ckpt = tmp_path / "tasks"
    kwargs = {"methods": ["LogReg", "SVM"], "config": TINY, "engine": "dask", "dask_scheduler": scheduler,
              "jobs": 1, "progress": False, "checkpoint_dir": ckpt}
    real = tabular.run_task

    def fails_after_two_saved(task):
        if len(list(ckpt.glob("task-*.json"))) >= 2:
            raise RuntimeError("this task fails")
        return real(task)

    monkeypatch.setattr(tabular, "run_task", fails_after_two_saved)
    with pytest.raises(RuntimeError, match="this task fails"):
        tabular.run_sweep(["iris", "wine"], **kwargs)
    assert len(list(ckpt.glob("task-*.json"))) == 2
    monkeypatch.setattr(tabular, "run_task", real)
    resumed = tabular.run_sweep(["iris", "wine"], **kwargs)
    serial = tabular.run_sweep(["iris", "wine"], ["LogReg", "SVM"], config=TINY, engine="serial", progress=False)
    assert _compared(resumed) == _compared(serial)


# ------------------------------------------------------------------------------------------ clusters (slow)
@pytest.fixture(scope="module")
def cluster():
    """Two single-threaded worker processes that each declare one GPU (a resource name; no device is used)."""
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  resources={"GPU": 1}) as c:
        yield c


@pytest.fixture(scope="module")
def serial_result():
    return tabular.run_sweep(["iris", "wine"], ["LogReg", "SVM"], config=TINY, engine="serial", progress=False)


@pytest.mark.slow
def test_tasks_of_a_killed_worker_are_retried_and_every_result_arrives(cluster, serial_result, tmp_path,
                                                                       monkeypatch):
    """The first task to start kills its own worker process (SIGKILL, mid-task); the scheduler hands it to
    another worker, the nanny restarts the dead one, and the sweep ends with every result, each saved."""
    marker = str(tmp_path / "killed-once")

    def kills_its_worker_once(task):
        import os
        import signal

        from snnlib.tabular import run_task  # the worker's own, unpatched

        try:
            os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
        except FileExistsError:
            return run_task(task)
        os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(tabular, "run_task", kills_its_worker_once)
    res = tabular.run_sweep(["iris", "wine"], ["LogReg", "SVM"], config=TINY, engine="dask",
                            dask_address=cluster.scheduler_address, checkpoint_dir=tmp_path / "tasks", progress=False)
    assert os.path.exists(marker)  # a worker was killed
    assert _compared(res) == _compared(serial_result)
    assert len(list((tmp_path / "tasks").glob("task-*.json"))) == 4


@pytest.mark.slow
def test_cli_runs_on_a_running_cluster_by_address_with_worker_resources(cluster, serial_result, tmp_path, capsys):
    out = tmp_path / "tab.json"
    argv = ["tabular", "--datasets", "iris,wine", "--methods", "LogReg,SVM", "--depths", "2", "--widths", "16",
            "--lrs", "0.1", "--dropouts", "0", "--epochs", "3", "--batch-size", "32", "--engine", "dask",
            "--dask-address", cluster.scheduler_address, "--no-progress", "--out", str(out)]
    assert cli.main([*argv, "--dask-resources", "GPU=1"]) == 0
    assert _compared(json.loads(out.read_text())) == _compared(json.loads(json.dumps(serial_result)))
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:  # no worker offers it: one line, not a run that waits forever
        cli.main([*argv, "--dask-resources", "TPU=1"])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and "offered by none" in err and len(err.strip().splitlines()) == 1


@pytest.mark.slow
def test_a_task_that_kills_every_worker_is_one_line_exit_1(cluster, tmp_path, monkeypatch, capsys):
    """After Dask's allowed-failures deaths (set to 0 here: the first) the task is lost (KilledWorker): the command
    line says which and that the finished tasks are saved, exit status 1."""
    def kills_its_worker(task):
        import os
        import signal

        if task["method"] == "SVM":
            os.kill(os.getpid(), signal.SIGKILL)
        from snnlib.tabular import run_task

        return run_task(task)

    monkeypatch.setattr(tabular, "run_task", kills_its_worker)
    monkeypatch.setattr(cluster.scheduler, "allowed_failures", 0)
    code = cli.main(["tabular", "--datasets", "iris", "--methods", "SVM", "--engine", "dask", "--dask-address",
                     cluster.scheduler_address, "--checkpoint-dir", str(tmp_path / "t"), "--no-progress", "--out",
                     str(tmp_path / "x.json")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1, err
    assert "iris-SVM-0 was lost" in err[0] and "rerun the same command to resume" in err[0]


#: A sweep through the command line on a LocalCluster of one worker, each task slowed down so that the test can
#: kill the client between two saved tasks; the worker logs every task it starts.
_SLOW_SWEEP = """
import sys
from snnlib import cli, tabular
LOG = sys.argv[1]

def slow(task):
    import time
    from snnlib.tabular import run_task
    with open(LOG, "a") as fh:
        fh.write(f"{task['dataset']} {task['method']} {task['seed']}\\n")
    time.sleep(0.3)
    return run_task(task)

tabular.run_task = slow
sys.exit(cli.main(["tabular", *sys.argv[2:]]))
"""


@pytest.mark.slow
def test_a_killed_client_resumes_to_the_result_of_an_uninterrupted_run(tmp_path):
    psutil = pytest.importorskip("psutil")
    pytest.importorskip("distributed")
    ckpt, log = tmp_path / "tasks", tmp_path / "started.log"
    sweep = ["--datasets", "iris", "--methods", "SNN,SVM", "--seeds", "0,1", "--depths", "2",
             "--widths", "8", "--lrs", "0.1", "--dropouts", "0", "--epochs", "2", "--no-progress"]
    n_tasks = 2 * 2
    command = [sys.executable, "-c", _SLOW_SWEEP, str(log), *sweep, "--engine", "dask", "--dask-address", "local",
               "--jobs", "1", "--checkpoint-dir", str(ckpt), "--out", str(tmp_path / "dask.json")]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while len(list(ckpt.glob("task-*.json"))) < 2 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGKILL)
    stderr = proc.communicate()[1].decode()
    _, alive = psutil.wait_procs(children, timeout=30)
    for p in alive:  # do not leave them behind, but fail
        p.kill()
    assert not alive, f"worker processes outlived the killed client: {alive}"
    saved = len(list(ckpt.glob("task-*.json")))
    assert proc.returncode == -signal.SIGKILL and 2 <= saved < n_tasks, (saved, stderr)
    stale = ckpt / (next(ckpt.glob("task-*.json")).name + "k1ll3d00.tmp")  # what a kill during a save leaves
    stale.write_text("{")

    log.unlink()
    resumed = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    assert len(log.read_text().splitlines()) == n_tasks - saved  # the saved tasks were not run again
    assert not list(ckpt.glob("*.tmp")) and len(list(ckpt.glob("task-*.json"))) == n_tasks
    assert cli.main(["tabular", *sweep, "--engine", "serial", "--out", str(tmp_path / "serial.json")]) == 0
    dask_result = json.loads((tmp_path / "dask.json").read_text())
    serial_result = json.loads((tmp_path / "serial.json").read_text())
    assert dask_result["config"]["engine"] == "dask" and len(dask_result["runs"]) == n_tasks
    assert _compared(dask_result) == _compared(serial_result)
