"""A process pool that can be interrupted: Ctrl-C (or any error) in the caller terminates its workers at once.

``concurrent.futures.ProcessPoolExecutor`` waits on exit for the tasks already running, so an interrupted
grid check or tabular sweep kept computing (and, under ``timeout -s INT``, kept its workers running after the
parent gave up). Used by :mod:`snnlib.theorems` and :mod:`snnlib.tabular`.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


@contextmanager
def process_pool(jobs: int) -> Iterator[ProcessPoolExecutor]:
    """``jobs`` worker processes started with *spawn* (a forked child of a process whose OpenMP/BLAS threads are
    running can deadlock). On normal exit the pool is shut down as usual; if the body raises (including
    KeyboardInterrupt) pending tasks are cancelled and the workers are terminated before the error propagates."""
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
    try:
        yield pool
    except BaseException:
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in workers:
            if proc.is_alive():
                proc.terminate()
        for proc in workers:
            proc.join(timeout=5)
        raise
    pool.shutdown(wait=True)
