"""Run a per-item function over many items on all cores, streaming results.

The work is CPU-bound C code (JPEG/PNG decoders, PDQ) so processes, not threads, give the
speed-up. Only a bounded window of items is in flight, so a million-file batch never holds a
million futures. A worker that dies (a decoder crashing on a hostile file) does not end the
batch: the pool is restarted and the items that were in flight are retried one at a time, so
the culprit is isolated and reported through ``on_crash`` while the others complete.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def available_cores() -> int:
    """CPUs this process may run on (respects taskset / cgroup affinity)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _executor(workers: int) -> ProcessPoolExecutor:
    # forkserver: children start from a clean process, never from a fork of a parent that
    # has threads (rich's progress refresher, dask's event loop) holding locks.
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["childshield.signals.hashing"])
    return ProcessPoolExecutor(max_workers=workers, mp_context=context)


def parallel_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    workers: int | None = None,
    ordered: bool = True,
    on_crash: Callable[[T], R],
    window: int | None = None,
) -> Iterator[tuple[T, R]]:
    """Yield ``(item, fn(item))`` for every item, in input order if ``ordered``.

    ``fn`` must be picklable (a module-level function) and should not raise; if the worker
    process running it dies, ``on_crash(item)`` (run in this process) gives the result.
    With ``workers == 1`` everything runs in this process, without a pool.
    """
    n = workers or available_cores()
    if n <= 1:
        for item in items:
            yield item, fn(item)
        return
    limit = window or n * 4
    source = iter(items)
    pending: deque[tuple[T, Future[R]]] = deque()
    pool = _executor(n)
    try:
        exhausted = False
        while True:
            while not exhausted and len(pending) < limit:
                try:
                    item = next(source)
                except StopIteration:
                    exhausted = True
                    break
                pending.append((item, _submit(pool, fn, item)))
            if not pending:
                return
            if ordered:
                wait([pending[0][1]])
                done = [pending.popleft()] if pending[0][1].done() else []
            else:
                finished, _ = wait([f for _, f in pending], return_when=FIRST_COMPLETED)
                done = [(i, f) for i, f in pending if f in finished]
                for entry in done:
                    pending.remove(entry)
            broken = False
            for index, (item, future) in enumerate(done):
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    pending.extendleft(reversed(done[index:]))
                    break
                yield item, result
            if broken:
                _discard(pool)
                retry = [item for item, _ in pending]
                pending.clear()
                for item in retry:
                    yield item, _run_isolated(fn, item, on_crash)
                pool = _executor(n)
    finally:
        _discard(pool)


def _discard(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down without waiting and end its worker processes.

    A worker can be started by ``submit`` just as another one crashes; the broken pool then
    never hears from it, and the interpreter hung at exit joining the pool's manager thread
    (seen once in CI). Terminating the workers we know of ends that wait.
    """
    workers = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in workers:
        if process.is_alive():
            process.terminate()


def _submit(pool: ProcessPoolExecutor, fn: Callable[[T], R], item: T) -> Future[R]:
    """``pool.submit``, except that a pool a worker has just broken gives a failed future
    (handled like any other broken result) instead of raising mid-batch."""
    try:
        return pool.submit(fn, item)
    except BrokenProcessPool as exc:
        future: Future[R] = Future()
        future.set_exception(exc)
        return future


def _run_isolated(fn: Callable[[T], R], item: T, on_crash: Callable[[T], R]) -> R:
    """Run one item in a fresh single-worker pool; a crash there is that item's fault."""
    with _executor(1) as solo:
        try:
            return solo.submit(fn, item).result()
        except BrokenProcessPool:
            return on_crash(item)


__all__ = ["available_cores", "parallel_map"]
