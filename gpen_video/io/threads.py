"""A worker thread at each I/O end, joined to the caller by a bounded queue.

``Producer`` runs a generator (decoding) ahead of the caller; ``Consumer`` runs a handler (encoding)
behind it. Both carry a worker's exception back to the caller with its traceback, end the stream
with a sentinel, and on close stop the worker, drain the queue and join, so an early exit or an
error on either side never leaves a thread blocked on a full or empty queue.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator

_POLL_S = 0.1
_END = object()


class _Failure:
    def __init__(self, error: BaseException) -> None:
        self.error = error


def _put(q: queue.Queue, item: object, stop: threading.Event) -> bool:
    """Put unless told to stop; False when stopped before the item fitted."""
    while not stop.is_set():
        try:
            q.put(item, timeout=_POLL_S)
            return True
        except queue.Full:
            continue
    return False


def _drain(q: queue.Queue) -> None:
    while True:
        try:
            q.get_nowait()
        except queue.Empty:
            return


class Producer[T]:
    """Iterate ``make()`` in a worker thread, up to ``depth`` items ahead of the caller."""

    def __init__(self, make: Callable[[], Iterator[T]], depth: int = 8, name: str = "gpen-decode") -> None:
        self._make = make
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._started = False

    def _run(self) -> None:
        items: Iterator[T] | None = None
        try:
            items = self._make()
            for item in items:
                if not _put(self._queue, item, self._stop):
                    return
            _put(self._queue, _END, self._stop)
        except BaseException as error:  # handed to the caller, never swallowed
            _put(self._queue, _Failure(error), self._stop)
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()  # the generator's own cleanup runs here, in the worker, not at GC

    def __iter__(self) -> Iterator[T]:
        if self._started:
            raise RuntimeError("a producer can be iterated once")
        self._started = True
        self._thread.start()
        try:
            while True:
                item = self._queue.get()
                if item is _END:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            self.close()

    def close(self) -> None:
        """Stop the worker, drop what it queued, and wait for it (its generator's cleanup runs)."""
        self._stop.set()
        if self._started:
            while self._thread.is_alive():
                _drain(self._queue)
                self._thread.join(timeout=_POLL_S)
            _drain(self._queue)


class Consumer[T]:
    """Hand items to ``handle`` in a worker thread; ``finish`` runs there after the last one."""

    def __init__(
        self,
        handle: Callable[[T], None],
        finish: Callable[[], None],
        depth: int = 8,
        name: str = "gpen-encode",
    ) -> None:
        self._handle, self._finish = handle, finish
        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    item = self._queue.get(timeout=_POLL_S)
                except queue.Empty:
                    continue
                if item is _END:
                    self._finish()
                    return
                self._handle(item)
        except BaseException as error:  # re-raised in the caller
            self._error = error
            self._stop.set()

    def _raise_if_failed(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, item: T) -> None:
        """Queue one item; raises the worker's error if it has failed."""
        self._raise_if_failed()
        if not _put(self._queue, item, self._stop):
            self._raise_if_failed()
            raise RuntimeError("the encode worker has been stopped")

    def close(self) -> None:
        """Send the end, wait for ``finish`` to complete, raise whatever the worker raised."""
        self.put(_END)  # type: ignore[arg-type]
        self._thread.join()
        self._raise_if_failed()

    def cancel(self) -> None:
        """Stop the worker without finishing and wait for it; queued items are dropped."""
        self._stop.set()
        while self._thread.is_alive():
            _drain(self._queue)
            self._thread.join(timeout=_POLL_S)
        _drain(self._queue)
