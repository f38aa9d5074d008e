"""A generator run in a second process, its items handed back here as they come.

Bulk ingest is two kinds of work: reading and shaping records (pure Python, one core) and
writing them (the database, another). Run in one process they take turns; with the
reading in a second process, both cores work at once. The second process never touches
the case: it only reads files and sends plain values, so the run stays one transaction
here, and a failure there fails the run here with nothing written.

Items travel pickled through a pipe; the producer is at most one item ahead of the
consumer, so memory stays flat however large the input. Send items in chunks (a list of
a thousand rows): each send costs a system call.
"""

from __future__ import annotations

import gc
import multiprocessing
import pickle
import queue
import threading
import traceback
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from siteline.errors import SitelineError

# Each message is (what, value): an item, the end, or a failure with its traceback.
_ITEM, _END, _FAILED = "item", "end", "failed"


# Items made and waiting to be sent: enough to ride out a slow moment of the consumer,
# few enough that memory stays flat.
OUTBOX_ITEMS = 4


class SecondProcessFailed(SitelineError):
    """The second process stopped before it finished: the run is given up, nothing kept."""


def _context():
    # fork: the child starts at once with everything already imported. Elsewhere
    # (macOS, Windows) spawn, which imports Siteline again in the child.
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


def items_from_second_process(produce: Callable[..., Iterable[Any]], *args: Any) -> Iterator:
    """Every item `produce(*args)` yields, produced in a second process.

    `produce` and its arguments must be picklable where processes are spawned (a function
    of a module, plain values). An exception in the second process is raised here as
    SecondProcessFailed with its traceback; leaving the loop early stops the process.
    """
    context = _context()
    receiving, sending = context.Pipe(duplex=False)
    process = context.Process(
        target=_produce_into, args=(sending, produce, args), daemon=True, name="siteline-reader"
    )
    process.start()
    sending.close()  # this end is the child's: the pipe then reports EOF when the child ends
    try:
        while True:
            try:
                message = receiving.recv()
            except EOFError:
                process.join()
                raise SecondProcessFailed(
                    f"the reading process stopped without finishing (exit code {process.exitcode})"
                ) from None
            what, value = message
            if what == _ITEM:
                yield value
            elif what == _FAILED:
                raise SecondProcessFailed(f"the reading process failed:\n{value}")
            else:
                return
    finally:
        receiving.close()
        if process.is_alive():
            process.terminate()
        process.join()


def _produce_into(sending, produce: Callable[..., Iterable[Any]], args: tuple) -> None:
    """The second process: every item sent, then an end mark, or the failure's traceback.

    A thread sends while the producer goes on: a pipe holds only 64 KiB, so a producer
    that sent by itself would wait, item after item, for the consumer to come and read.
    """
    gc.disable()  # plain values, no cycles: see ingest.gc_paused
    outbox: queue.Queue[bytes | None] = queue.Queue(maxsize=OUTBOX_ITEMS)
    sender = threading.Thread(target=_send_all, args=(outbox, sending), daemon=True)
    sender.start()
    try:
        for item in produce(*args):
            outbox.put(_pickled(_ITEM, item))
        outbox.put(_pickled(_END, None))
    except BaseException:  # noqa: BLE001 - whatever it was, the first process must hear of it
        outbox.put(_pickled(_FAILED, traceback.format_exc()))
    finally:
        outbox.put(None)
        sender.join()
        sending.close()


def _pickled(what: str, value: Any) -> bytes:
    return pickle.dumps((what, value), protocol=pickle.HIGHEST_PROTOCOL)


def _send_all(outbox: queue.Queue, sending) -> None:
    while (data := outbox.get()) is not None:
        try:
            sending.send_bytes(data)
        except OSError:  # the first process has gone: nobody is left to tell
            return
