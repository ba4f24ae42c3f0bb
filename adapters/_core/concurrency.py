"""Running an adapter's independent reads concurrently, a bounded number at a time.

The request budget (rate and requests in flight) is enforced below the adapter, in the
transport the engine gives it (`gateway.budget.BudgetedTransport`): an adapter only bounds how
many reads it starts at once, so that a list of 10,000 employees does not become 10,000
waiting requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

T = TypeVar("T")

# At most this many reads of one call started at once: within httpx's default keep-alive pool
# (20 connections), and the engine's default `max_in_flight` (16).
READ_CONCURRENCY = 16


async def gather_limited(
    calls: Sequence[Callable[[], Awaitable[T]]], limit: int = READ_CONCURRENCY
) -> list[T]:
    """Await every call, at most `limit` at once; the results in the order of `calls`.

    The first call to fail stops the others (cancelled, nothing more is started) and its
    exception is raised as it is, as a loop over the calls would raise it."""
    results: dict[int, T] = {}
    pending = iter(range(len(calls)))

    async def worker() -> None:
        for index in pending:  # shared: each index is taken by exactly one worker
            results[index] = await calls[index]()

    workers = [asyncio.ensure_future(worker()) for _ in range(min(limit, len(calls)))]
    try:
        await asyncio.gather(*workers)
    except BaseException:
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    return [results[index] for index in range(len(calls))]


class SharedWhileRunning(Generic[T]):
    """`make()`, one run of it shared by every caller that asks while it runs (a sync reads an
    adapter's balances and lists its people at the same moment, both from one answer); a
    caller after it ended starts a new run, so no one is given an old answer. The run is
    cancelled once every caller waiting for it is: none is left running unawaited."""

    def __init__(self, make: Callable[[], Awaitable[T]]) -> None:
        self._make = make
        self._running: asyncio.Future[T] | None = None
        self._waiting = 0

    async def __call__(self) -> T:
        running = self._running
        if running is None:
            running = self._running = asyncio.ensure_future(self._make())
        self._waiting += 1
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            if self._waiting == 1 and not running.done():
                running.cancel()
                await asyncio.gather(running, return_exceptions=True)
            raise
        finally:
            self._waiting -= 1
            if self._running is running and (running.done() or self._waiting == 0):
                self._running = None
