"""Request budgets: a token bucket per system and a bound on requests in flight.

Both are enforced where requests actually happen, in an `httpx.AsyncBaseTransport` that wraps
the adapter's transport (`BudgetedTransport`), so every request an adapter makes (logins, pages,
read-backs, writes) counts, and the engine needs no knowledge of how many requests an operation
takes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

import httpx


class TokenBucket:
    """At most `rate` acquisitions per second on average, in bursts of at most `burst`.

    The bucket starts full. `acquire()` waits (asyncio) until a token is free.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be greater than 0 requests per second, got {rate}")
        self.rate = rate
        self.burst = max(1.0, burst if burst is not None else rate)
        self._tokens = self.burst
        self._clock = clock
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def try_acquire(self) -> float:
        """Take a token if one is free and return 0; else return the seconds to wait."""
        self._refill()
        if self._tokens >= 1:
            self._tokens -= 1
            return 0.0
        return (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait until a token is free, then take it. Waiters are served in order."""
        async with self._lock:
            # Waiting for time to pass, not for another task: there is no event to wait on.
            while (wait := self.try_acquire()) > 0:  # noqa: ASYNC110
                await asyncio.sleep(wait)


class BudgetedTransport(httpx.AsyncBaseTransport):
    """Sends through `inner`, first taking a token from `bucket` (if any) and a slot of
    `in_flight` (if any) for the time until the response headers arrive."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        bucket: TokenBucket | None = None,
        in_flight: asyncio.Semaphore | None = None,
    ) -> None:
        self.inner = inner
        self.bucket = bucket
        self.in_flight = in_flight

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.bucket is not None:
            await self.bucket.acquire()
        if self.in_flight is None:
            return await self.inner.handle_async_request(request)
        async with self.in_flight:
            return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()
