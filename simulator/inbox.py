"""Writes deliveries into the inbox, inline or in worker processes, with bounded work in flight.

Rendering (evadts.write) is most of a large run's cost; it is a pure function of a delivery,
so spreading it over processes changes the time taken, never the bytes.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from types import TracebackType

from simulator.delivery import Delivery, write_deliveries

CHUNK_DELIVERIES = 48  # per task: enough to amortise pickling, small enough to keep cores busy
MAX_TASKS_IN_FLIGHT = 64  # bounds memory: the simulation waits when workers fall behind


class InboxWriter:
    """Collects deliveries and writes them; ``workers`` > 1 renders in a process pool."""

    def __init__(self, inbox: Path, workers: int) -> None:
        self.inbox = inbox
        self.files = 0
        self.bytes = 0
        self._chunk: list[Delivery] = []
        self._in_flight: deque[Future[tuple[int, int]]] = deque()
        self._pool = (
            ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            if workers > 1
            else None
        )

    def __enter__(self) -> InboxWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.flush()
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=exc_type is not None)

    def add(self, deliveries: list[Delivery]) -> None:
        """Queue deliveries; they are written in chunks."""
        self._chunk.extend(deliveries)
        if len(self._chunk) >= CHUNK_DELIVERIES:
            self._submit()

    def _submit(self) -> None:
        chunk, self._chunk = self._chunk, []
        if not chunk:
            return
        if self._pool is None:
            self._count(write_deliveries(self.inbox, chunk))
            return
        self._in_flight.append(self._pool.submit(write_deliveries, self.inbox, chunk))
        while len(self._in_flight) > MAX_TASKS_IN_FLIGHT or (
            self._in_flight and self._in_flight[0].done()
        ):
            self._count(self._in_flight.popleft().result())

    def _count(self, result: tuple[int, int]) -> None:
        self.files += result[0]
        self.bytes += result[1]

    def flush(self) -> None:
        """Write everything queued and wait for the workers."""
        self._submit()
        while self._in_flight:
            self._count(self._in_flight.popleft().result())
