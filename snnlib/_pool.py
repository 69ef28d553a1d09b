"""A process pool that can be interrupted: Ctrl-C (or any error) in the caller terminates its workers at once.

``concurrent.futures.ProcessPoolExecutor`` waits on exit for the tasks already running, so an interrupted
grid check or tabular sweep kept computing (and, under ``timeout -s INT``, kept its workers running after the
parent gave up). The standard library's ``multiprocessing.pool.Pool`` has the operation needed,
``terminate()``; this wraps it in a context manager. Used by :mod:`snnlib.theorems` (chapter "The theorems,
checked by computer") and :mod:`snnlib.tabular` (chapter "A tabular benchmark").
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from contextlib import contextmanager
from multiprocessing.pool import Pool

from ._validate import check_int


@contextmanager
def process_pool(jobs: int) -> Iterator[Pool]:
    """A ``multiprocessing`` pool of ``jobs`` worker processes started with *spawn* (a forked child of a process
    whose OpenMP/BLAS threads are running can deadlock). On normal exit no more tasks are accepted and the exit
    waits until the workers have finished every task submitted; if the body raises (including
    KeyboardInterrupt) the workers are terminated at once (SIGTERM, then reaped) before the error propagates.
    ``jobs`` must be an integer >= 1."""
    check_int("jobs", jobs, 1, "number of worker processes")
    pool = multiprocessing.get_context("spawn").Pool(int(jobs))
    try:
        yield pool
    except BaseException:
        pool.terminate()
        raise
    pool.close()
    pool.join()
