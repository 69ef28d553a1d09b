"""snnlib._pool: an interrupted process pool terminates its workers instead of waiting for them; a normal exit
waits for every task (observed through the public multiprocessing API only)."""

import multiprocessing
import time

import pytest

from snnlib._pool import process_pool


def _workers_of(block_started: set) -> list:
    return [p for p in multiprocessing.active_children() if p not in block_started]


@pytest.mark.parametrize("error", [KeyboardInterrupt, RuntimeError])
def test_an_error_in_the_caller_terminates_running_workers_at_once(error):
    before = set(multiprocessing.active_children())
    t0 = time.perf_counter()
    with pytest.raises(error):
        with process_pool(2) as pool:
            assert pool.apply(abs, (-1,)) == 1  # the workers are up and take tasks
            pending = [pool.apply_async(time.sleep, (60,)) for _ in range(4)]
            time.sleep(0.5)  # both workers are inside a 60 s task
            workers = _workers_of(before)
            raise error
    assert time.perf_counter() - t0 < 30  # a plain ProcessPoolExecutor would wait 60 s (or more) here
    assert len(workers) == 2 and not any(p.is_alive() for p in workers)
    assert all(p.exitcode is not None and p.exitcode < 0 for p in workers)  # killed by a signal, not finished
    assert not any(r.ready() and r.successful() for r in pending)
    assert _workers_of(before) == []


def test_normal_exit_waits_for_every_task_and_returns_every_result():
    before = set(multiprocessing.active_children())
    with process_pool(2) as pool:
        assert pool.starmap(pow, [(2, 3), (3, 2)]) == [8, 9]
        late = pool.apply_async(time.sleep, (1.0,))
        assert not late.ready()
    assert late.ready() and late.successful()  # the exit waited for the task still running
    assert _workers_of(before) == []


@pytest.mark.parametrize("jobs", [0, -1, 1.5, True, "2"])
def test_jobs_must_be_a_positive_integer(jobs):
    with pytest.raises(ValueError, match="jobs"):
        with process_pool(jobs):
            pass
