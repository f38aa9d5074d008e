"""Reading many media files on every core, or on a Dask cluster, results in file order.

Reading a file (decoding, hashing, a thumbnail) is the slow part of media ingest and needs
no case, so it runs in worker processes; storing stays in the one process that holds the
case, so that a run is a series of ordinary transactions. At most a few batches are in
flight at once, so a folder of any size takes the same memory.

A worker never raises for a bad file: it returns the error, and ingest reports it beside
the files that were read.
"""

from __future__ import annotations

import os
import signal
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from pathlib import Path

from siteline.errors import InvalidInput, SitelineError
from siteline.media.reading import MediaReading, read_media_file

IN_FLIGHT_PER_WORKER = 8


def read_or_error(path: str) -> MediaReading | SitelineError:
    """`read_media_file`, its refusal returned rather than raised (it crosses processes)."""
    try:
        return read_media_file(path)
    except SitelineError as error:
        return error
    except Exception as error:  # noqa: BLE001 - a decoder's own crash names the file too
        return InvalidInput(Path(path).name, f"could not be read ({type(error).__name__}: {error})")


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)))


def read_all(
    paths: Iterable[Path], workers: int | None = None, scheduler: str | None = None
) -> Iterator[MediaReading | SitelineError]:
    """Each file read, in the order given: in this process (workers=1), in a pool of worker
    processes (the default: one per core), or on the Dask cluster at `scheduler` ("local"
    starts one on this machine). Worker processes must see the same paths."""
    if scheduler:
        yield from _on_dask(paths, scheduler, workers)
        return
    workers = workers or default_workers()
    if workers == 1:
        for path in paths:
            yield read_or_error(str(path))
        return
    # "spawn": a fork of a process holding a database connection and threads is unsafe.
    context = get_context("spawn")
    with _one_thread_each():
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_ignore_interrupts)
    try:
        yield from _in_order(pool.submit, paths, workers)
    finally:
        # Interrupted or done: files not started are dropped, not read for nothing.
        pool.shutdown(wait=True, cancel_futures=True)


def _ignore_interrupts() -> None:
    """In a worker: Ctrl-C reaches every process of the terminal; the ingest process
    decides what it means (keep what is stored, stop), so the workers do not die of it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


# Each worker is one process on one core: the maths libraries' own thread pools, one per
# core in every worker, made hashing two to three times slower on two cores.
SINGLE_THREADED = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


@contextmanager
def _one_thread_each():
    """The environment the workers start with (they copy it when spawned), then as it was."""
    before = {name: os.environ.get(name) for name in SINGLE_THREADED}
    os.environ.update({name: before[name] or value for name, value in SINGLE_THREADED.items()})
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _in_order(submit, paths: Iterable[Path], workers: int):
    """Results in order, with a bounded number of files in flight."""
    pending: deque = deque()
    upcoming = iter(paths)
    for path in upcoming:
        pending.append(submit(read_or_error, str(path)))
        if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
            break
    while pending:
        yield pending.popleft().result()
        following = next(upcoming, None)
        if following is not None:
            pending.append(submit(read_or_error, str(following)))


def _on_dask(paths: Iterable[Path], scheduler: str, workers: int | None):
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - distributed is a dependency
        raise InvalidInput("--scheduler", "Dask's distributed package is not installed") from None
    with _dask_client(Client, LocalCluster, scheduler, workers) as client:
        workers_now = max(1, len(client.scheduler_info().get("workers", {})))
        yield from _in_order(lambda f, p: client.submit(f, p, pure=False), paths, workers_now)


@contextmanager
def _dask_client(client_class, cluster_class, scheduler: str, workers: int | None):
    if scheduler == "local":
        with _one_thread_each(), cluster_class(
            n_workers=workers or default_workers(), threads_per_worker=1, processes=True,
            dashboard_address=None,
        ) as cluster, client_class(cluster) as client:  # fmt: skip
            yield client
        return
    try:
        client = client_class(scheduler, timeout="10s")
    except (OSError, ValueError) as error:  # nothing answers there, or not an address
        raise InvalidInput("--scheduler", f"no Dask scheduler at {scheduler} ({error})") from None
    with client:
        yield client
