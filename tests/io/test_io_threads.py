"""The worker threads: errors reach the caller with their traceback, early exits join, nothing hangs."""

from __future__ import annotations

import threading
import time
import traceback

import pytest

from gpen_video.io.threads import Consumer, Producer


def _count(n: int, fail_at: int | None = None, closed: list | None = None):
    try:
        for i in range(n):
            if i == fail_at:
                raise KeyError(f"item {i}")
            yield i
    finally:
        if closed is not None:
            closed.append(threading.current_thread().name)


def test_producer_yields_everything_in_order() -> None:
    assert list(Producer(lambda: _count(50), depth=3)) == list(range(50))


def test_producer_error_reaches_caller_with_worker_traceback() -> None:
    got = []
    with pytest.raises(KeyError) as caught:
        for item in Producer(lambda: _count(10, fail_at=4), depth=2):
            got.append(item)
    assert got == [0, 1, 2, 3]
    assert "_count" in "".join(traceback.format_tb(caught.value.__traceback__))


def test_producer_closed_early_stops_and_cleans_up_in_worker() -> None:
    closed: list = []
    producer = Producer(lambda: _count(10_000, closed=closed), depth=2, name="test-producer")
    for item in producer:
        if item == 3:
            break
    producer.close()
    assert closed == ["test-producer"]  # the generator's finally ran in its own thread
    assert not any(t.name == "test-producer" for t in threading.enumerate())


def test_consumer_handles_all_then_finishes() -> None:
    seen, finished = [], []
    consumer = Consumer(seen.append, lambda: finished.append(len(seen)), depth=2)
    for i in range(20):
        consumer.put(i)
    consumer.close()
    assert seen == list(range(20)) and finished == [20]


def test_consumer_error_raised_at_next_put_or_close() -> None:
    def handle(item: int) -> None:
        if item == 2:
            raise OSError(28, "No space left on device")

    consumer = Consumer(handle, lambda: None, depth=1)
    with pytest.raises(OSError):
        for i in range(1000):
            consumer.put(i)
            time.sleep(0.001)
    consumer.cancel()


def test_consumer_cancel_does_not_finish() -> None:
    finished = []
    consumer = Consumer(lambda item: time.sleep(0.01), lambda: finished.append(True), depth=4)
    for i in range(4):
        consumer.put(i)
    consumer.cancel()
    assert finished == []
