"""Where the tabular sweep's tasks run: in this process, in local worker processes, or with Dask (a local
scheduler or a ``dask.distributed`` cluster). Used by :func:`snnlib.tabular.run_sweep` (chapter "A tabular
benchmark"); no paper equation, only the plumbing that lets the paper's grid run on many machines.

:func:`run_tasks` calls ``fn(task)`` for every task and hands each result back *in this process* as soon as its
task finishes (``on_result(i, result)``, in order of completion), whatever the engine, so the caller can save it at
once: a run that is killed (the client, a worker, the whole cluster) loses only the tasks still running.

Engines (:data:`ENGINES`):

* ``serial``: one task after the other in this process (also ``local`` with ``jobs=1``).
* ``local``: a spawn-context ``multiprocessing`` pool of ``jobs`` processes (:func:`snnlib._pool.process_pool`).
* ``dask`` without an address: ``dask.delayed`` on Dask's local ``processes`` scheduler (``jobs`` processes) or
  its ``synchronous`` one (:data:`DASK_SCHEDULERS`); each result is handed back by a scheduler callback.
* ``dask`` with ``address``: a ``dask.distributed`` cluster, either one started here (``address='local'``: a
  ``LocalCluster`` of ``jobs`` single-threaded worker processes) or a running one, e.g. ``tcp://host:8786``
  (``jobs`` is then ignored: the cluster has the workers it has). Every task is a future submitted with
  ``retries=``:data:`DASK_RETRIES` (a task that *raised* runs again, for transient errors) and collected with
  ``distributed.as_completed``. A task whose *worker died* (killed, out of memory) is not lost either: the
  scheduler gives it to another worker, up to ``distributed.scheduler.allowed-failures`` times (Dask's default 3)
  before it fails with ``KilledWorker``.

Pointing the sweep at a running cluster::

    dask scheduler                                               # on host, listens on tcp://host:8786
    dask worker tcp://host:8786 --nworkers 16 --nthreads 1       # on every machine: single-threaded processes
    python -m snnlib tabular --engine dask --dask-address tcp://host:8786 --checkpoint-dir DIR --out OUT ...

The workers need ``snnlib`` (same version) and the data (``--data-dir`` must be the same path on every worker);
results travel back to the client, which alone writes the checkpoint folder and the result file. Give workers
one thread each (``--nthreads 1``): a task sets torch's and BLAS's thread count for its process, and threads of
one process share torch's random generator.

GPUs: tasks are placed on workers by Dask *resources*. ``resources={'GPU': 1}`` (``--dask-resources GPU=1``)
runs a task only on a worker that declared the resource (``dask worker ... --resources GPU=1``), and at most as
many tasks at once on a worker as it declared. The usual layout is one worker process per GPU, each seeing only
its own device::

    CUDA_VISIBLE_DEVICES=0 dask worker tcp://host:8786 --nworkers 1 --nthreads 1 --resources GPU=1 &
    CUDA_VISIBLE_DEVICES=1 dask worker tcp://host:8786 --nworkers 1 --nthreads 1 --resources GPU=1 &

snnlib itself never picks a device for a worker and never sets ``CUDA_VISIBLE_DEVICES``. Note that the tabular
tasks of :mod:`snnlib.tabular` train on the CPU today (small networks, one thread each), so resources are a way to
choose the workers and to bound how many tasks run at once on each, not a way to move training to a GPU.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: Where tasks run (see the module docstring).
ENGINES: tuple[str, ...] = ("serial", "local", "dask")
#: Dask's local schedulers. Not "threads": threads share torch's global RNG (initialisation, dropout masks) and
#: thread setting, so FNN results would depend on timing.
DASK_SCHEDULERS: tuple[str, ...] = ("processes", "synchronous")
#: How often a ``dask.distributed`` task that raised is run again (``Client.submit(retries=...)``). Worker deaths
#: are Dask's ``distributed.scheduler.allowed-failures`` instead.
DASK_RETRIES: int = 2



class TaskLost(RuntimeError):
    """A ``dask.distributed`` task that was lost: every worker that ran it died (Dask's ``KilledWorker`` after
    ``allowed-failures`` deaths; a task that kills its worker, e.g. by running out of memory). The tasks that
    finished before were handed back (and saved by the sweep)."""


_NEEDS_DASK = "engine 'dask' needs the optional extra: pip install 'snnlib[distributed]' (dask and distributed)"


def check_resources(resources: Mapping[str, float] | None) -> dict[str, float] | None:
    """``resources`` as a plain dict of names to finite amounts > 0 (Dask worker resources, e.g. ``{'GPU': 1}``);
    ValueError otherwise. None stays None."""
    if resources is None:
        return None
    if not isinstance(resources, Mapping) or not resources:
        raise ValueError(f"dask_resources must map resource names to amounts, e.g. {{'GPU': 1}}, got {resources!r}")
    out = {}
    for name, amount in resources.items():
        if not isinstance(name, str) or not name or isinstance(amount, bool) or not isinstance(amount, (int, float)) \
                or not (math.isfinite(amount) and amount > 0):
            raise ValueError(f"dask_resources must map resource names to finite amounts > 0, got {name!r}: "
                             f"{amount!r}")
        out[name] = float(amount)
    return out


def run_tasks(fn: Callable[[Any], Any], tasks: Sequence[Any], on_result: Callable[[int, Any], None],
              engine: str = "serial", jobs: int = 1, dask_scheduler: str = "processes",
              dask_address: str | None = None, dask_resources: Mapping[str, float] | None = None,
              names: Sequence[str] | None = None) -> None:
    """Run ``fn(task)`` for every task of ``tasks`` with ``engine`` and call ``on_result(i, fn(tasks[i]))`` in this
    process as each task finishes (in order of completion). ``fn`` must be picklable for the process engines
    (a top-level function; Dask also takes local functions). ``names`` (one per task) label Dask's task keys.
    The first error of a task (after Dask's retries) or of ``on_result`` stops the run and propagates; tasks still
    queued are cancelled, local worker processes are terminated. See the module docstring for the engines."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {ENGINES}, got {engine!r}")
    if dask_resources is not None and (engine != "dask" or dask_address is None):
        raise ValueError("dask_resources needs engine 'dask' with a dask_address (a dask.distributed cluster)")
    if not tasks:
        return
    if engine == "serial" or (engine == "local" and jobs == 1):
        for i, task in enumerate(tasks):
            on_result(i, fn(task))
    elif engine == "local":
        from snnlib._pool import process_pool

        with process_pool(jobs) as pool:  # spawned workers, terminated at once if interrupted
            for i, result in pool.imap_unordered(_call_numbered, [(fn, i, t) for i, t in enumerate(tasks)]):
                on_result(i, result)
    elif dask_address is None:
        _run_dask_local(fn, tasks, on_result, jobs, dask_scheduler)
    else:
        _run_distributed(fn, tasks, on_result, jobs, dask_address, check_resources(dask_resources), names)


def _call_numbered(item: tuple[Callable[[Any], Any], int, Any]) -> tuple[int, Any]:
    """``(i, fn(task))`` for ``(fn, i, task)``: a pool worker's result names its task (results arrive as finished)."""
    fn, i, task = item
    return i, fn(task)


def _run_dask_local(fn: Callable[[Any], Any], tasks: Sequence[Any], on_result: Callable[[int, Any], None],
                    jobs: int, scheduler: str) -> None:
    """``dask.delayed`` tasks on a local scheduler; a ``posttask`` callback (run in this process by the scheduler
    loop) hands each result over as it arrives."""
    if scheduler not in DASK_SCHEDULERS:
        raise ValueError(f"dask_scheduler must be one of {DASK_SCHEDULERS}, got {scheduler!r}")
    try:
        import dask
        from dask.callbacks import Callback
    except ImportError as err:
        raise ValueError(_NEEDS_DASK) from err
    run = uuid.uuid4().hex[:8]
    keys = {f"snnlib-task-{run}-{i}": i for i in range(len(tasks))}
    delayed = [dask.delayed(fn, pure=False)(t, dask_key_name=key) for key, t in zip(keys, tasks)]

    def posttask(key: Any, result: Any, dsk: Any, state: Any, worker_id: Any) -> None:
        if key in keys:
            on_result(keys[key], result)

    with Callback(posttask=posttask):  # chunksize 1: each task's result comes back alone (default: batches of 6)
        dask.compute(*delayed, scheduler=scheduler, num_workers=jobs, chunksize=1)


def _run_distributed(fn: Callable[[Any], Any], tasks: Sequence[Any], on_result: Callable[[int, Any], None],
                     jobs: int, address: str, resources: dict[str, float] | None,
                     names: Sequence[str] | None) -> None:
    """One future per task on a ``dask.distributed`` cluster (``address='local'``: a LocalCluster started and
    closed here), results handed over with ``as_completed`` as each finishes."""
    try:
        from distributed import Client, KilledWorker, LocalCluster, as_completed
    except ImportError as err:
        raise ValueError(_NEEDS_DASK) from err
    cluster = None
    if address == "local":  # no dashboard: a fixed port would clash between runs side by side
        cluster = LocalCluster(n_workers=jobs, threads_per_worker=1, processes=True, dashboard_address=None,
                               resources=resources)
    try:
        with Client(cluster if cluster is not None else address) as client:
            if resources is not None:
                _check_workers_offer(client, resources)
            run = uuid.uuid4().hex[:8]
            futures = {}
            for i, task in enumerate(tasks):
                label = names[i] if names is not None else str(i)
                future = client.submit(fn, task, key=f"snnlib-{label}-{run}-{i}", pure=False, retries=DASK_RETRIES,
                                       resources=resources)
                futures[future] = i
            for future in as_completed(futures):
                try:
                    result = future.result()
                except KilledWorker as err:
                    label = names[futures[future]] if names is not None else f"task {futures[future]}"
                    raise TaskLost(f"{label} was lost: the workers that ran it died ({err}); the tasks finished "
                                   "before it were handed back") from None
                on_result(futures[future], result)
                future.release()  # the result is saved: the cluster need not keep it
    finally:
        if cluster is not None:
            cluster.close()


def _check_workers_offer(client: Any, resources: dict[str, float]) -> None:
    """ValueError if the cluster has workers but none declares ``resources`` (the tasks would wait forever); a
    cluster without workers yet is left alone (they may still join)."""
    workers = client.scheduler_info(n_workers=-1).get("workers", {})
    if workers and not any(all(w.get("resources", {}).get(k, 0) >= v for k, v in resources.items())
                           for w in workers.values()):
        offered = sorted({f"{k}={v:g}" for w in workers.values() for k, v in w.get("resources", {}).items()})
        raise ValueError(f"dask_resources {resources} are offered by none of the cluster's {len(workers)} workers "
                         f"(they offer {offered or 'no resources'}); start workers with --resources, e.g. GPU=1")
