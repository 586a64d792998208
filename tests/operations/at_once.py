"""Run one function in several threads released together (tests of concurrent callers)."""

from __future__ import annotations

import threading
from collections.abc import Callable


def run_at_once(work: Callable[[int], None], threads: int) -> list[BaseException]:
    """Call ``work(0) .. work(threads - 1)``, each in its own thread, all released by a barrier.

    Returns what the calls raised (empty when none did), so the test asserts on it.
    """
    barrier = threading.Barrier(threads)
    raised: list[BaseException] = []

    def run(number: int) -> None:
        barrier.wait()
        try:
            work(number)
        except BaseException as error:  # pytest.fail too: handed to the test, which asserts
            raised.append(error)

    started = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for thread in started:
        thread.start()
    for thread in started:
        thread.join()
    return raised
