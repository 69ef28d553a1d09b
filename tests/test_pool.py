"""snnlib._pool: an interrupted process pool terminates its workers instead of waiting for them."""

import time

import pytest

from snnlib._pool import process_pool


def test_interrupt_terminates_running_workers_at_once():
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        with process_pool(2) as pool:
            futures = [pool.submit(time.sleep, 60) for _ in range(4)]
            while not any(f.running() for f in futures):  # a worker has started its 60 s task
                time.sleep(0.05)
            workers = list(pool._processes.values())
            raise KeyboardInterrupt
    assert time.perf_counter() - t0 < 30  # a plain ProcessPoolExecutor would wait 60 s (or more) here
    # terminated: gone within seconds (the pool's own manager thread may be the one that reaps them)
    deadline = time.perf_counter() + 10
    while any(p.is_alive() for p in workers) and time.perf_counter() < deadline:
        time.sleep(0.05)
    assert workers and not any(p.is_alive() for p in workers)
    assert all(p.exitcode is not None and p.exitcode < 0 for p in workers)  # killed by a signal, not finished

