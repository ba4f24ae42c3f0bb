"""Running an adapter's independent reads concurrently, a bounded number at a time.

The request budget (rate and requests in flight) is enforced below the adapter, in the
transport the engine gives it (`gateway.budget.BudgetedTransport`): an adapter only bounds how
many reads it starts at once, so that a list of 10,000 employees does not become 10,000
waiting requests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

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
