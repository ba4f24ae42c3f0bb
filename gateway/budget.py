"""Request budgets: a token bucket per system that adapts to the vendor's rate limit, a bound on
requests in flight, and a count of what each system's requests met.

All of it is enforced where requests actually happen, in an `httpx.AsyncBaseTransport` that
wraps the adapter's transport (`BudgetedTransport`), so every request an adapter makes (logins,
pages, read-backs, writes, retries) counts, and the engine needs no knowledge of how many
requests an operation takes.

Adapting (AIMD, as TCP's congestion control does): a configured `requests_per_second` may be
above what the vendor really allows. On a 429 the whole system pauses for the vendor's
`Retry-After` and its rate drops (halved, once per round of requests sent at the old rate);
after a calm stretch without a 429 it climbs back a little, never above the configured rate.
A rate set too high so converges to the vendor's limit instead of storming it; the client
(`adapters._core.retry`) meanwhile retries each 429 for as long as its time budget lasts.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

import httpx

from balance_gateway.adapters._core.retry import ATTEMPT_EXTENSION, parse_retry_after


@dataclass(frozen=True)
class Adaptation:
    """How a bucket's rate follows the vendor's 429s."""

    decrease: float = 0.5  # on a 429, the rate is multiplied by this
    increase: float = 0.1  # after each calm stretch, the rate grows by this share of itself
    calm_seconds: float = 2.0  # this long without a 429 is a calm stretch
    floor: float = 0.1  # requests per second the rate never drops below
    max_pause: float = 30.0  # the longest Retry-After the whole system pauses for

    def __post_init__(self) -> None:
        if not (0 < self.decrease < 1) or self.increase <= 0:
            raise ValueError("decrease must be between 0 and 1, increase greater than 0")
        if self.calm_seconds <= 0 or self.floor <= 0 or self.max_pause < 0:
            raise ValueError("calm_seconds and floor must be greater than 0, max_pause >= 0")


DEFAULT_ADAPTATION = Adaptation()
# A token short of whole by less than this is whole: float sums of refills fall just short.
_EPSILON = 1e-9


class TokenBucket:
    """At most `rate` acquisitions per second on average, in bursts of at most `burst`.

    The bucket starts full. `acquire()` waits (`sleep`, asyncio's) until a token is free. With an
    `adaptation` (the default), `rate_limited()` pauses the bucket and lowers `rate`, and calm
    time raises it again up to `ceiling`, the rate it was made with; the burst scales with the
    rate. `adaptation=None` keeps the rate fixed.
    """

    def __init__(
        self,
        rate: float,
        burst: float | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        adaptation: Adaptation | None = DEFAULT_ADAPTATION,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be greater than 0 requests per second, got {rate}")
        self.ceiling = rate
        self.rate = rate
        self.lowest_rate = rate
        self.adaptation = adaptation
        self._burst_seconds = max(1.0, burst if burst is not None else rate) / rate
        self._tokens = self.burst
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._paused_until = float("-inf")
        self._decreased_at = float("-inf")
        self._calm_since = self._updated
        self._lock = asyncio.Lock()

    @property
    def burst(self) -> float:
        """The most tokens the bucket holds at its current rate."""
        return max(1.0, self._burst_seconds * self.rate)

    def now(self) -> float:
        """The bucket's clock (monotonic seconds)."""
        return self._clock()

    def _climb(self, now: float) -> None:
        adaptation = self.adaptation
        if adaptation is None or self.rate >= self.ceiling or now < self._calm_since:
            return
        steps = int((now - self._calm_since) // adaptation.calm_seconds)
        if steps > 0:
            self.rate = min(self.ceiling, self.rate * (1 + adaptation.increase) ** steps)
            self._calm_since += steps * adaptation.calm_seconds

    def _refill(self, now: float) -> None:
        # Nothing accumulates while paused: the pause ends with at most one token.
        start = max(self._updated, self._paused_until)
        if now > start:
            self._tokens = min(self.burst, self._tokens + (now - start) * self.rate)
        self._updated = max(self._updated, now)

    def try_acquire(self) -> float:
        """Take a token if one is free and return 0; else return the seconds to wait."""
        now = self._clock()
        self._climb(now)
        self._refill(now)
        if now < self._paused_until:
            return self._paused_until - now
        if self._tokens >= 1 - _EPSILON:
            self._tokens = max(0.0, self._tokens - 1)
            return 0.0
        return (1 - self._tokens) / self.rate

    async def acquire(self) -> None:
        """Wait until a token is free, then take it. Waiters are served in order."""
        async with self._lock:
            # Waiting for time to pass, not for another task: there is no event to wait on.
            while (wait := self.try_acquire()) > 0:
                await self._sleep(wait)

    def rate_limited(self, retry_after: float | None, sent_at: float) -> None:
        """The vendor answered 429 to a request sent at `sent_at` (this bucket's clock): pause
        every request for `retry_after` seconds (at most `max_pause`), and lower the rate,
        unless the request was sent before the last decrease (it was sent at a rate already
        lowered since: one round of 429s lowers the rate once). No-op without adaptation."""
        adaptation = self.adaptation
        if adaptation is None:
            return
        now = self._clock()
        self._refill(now)
        pause = min(retry_after or 0.0, adaptation.max_pause)
        if pause > 0 and now + pause > self._paused_until:
            self._paused_until = now + pause
            self._tokens = min(self._tokens, 1.0)
        if sent_at >= self._decreased_at:
            self.rate = max(min(adaptation.floor, self.ceiling), self.rate * adaptation.decrease)
            self.lowest_rate = min(self.lowest_rate, self.rate)
            self._decreased_at = now
        self._calm_since = max(now, self._paused_until)


class RateBucket(Protocol):
    """What `BudgetedTransport` needs of a bucket: `TokenBucket` in one process, or one shared
    by every process through Redis (`gateway.distributed.bucket`)."""

    @property
    def ceiling(self) -> float:
        """The configured rate (requests per second)."""
        ...

    @property
    def rate(self) -> float:
        """The adapted rate now."""
        ...

    @property
    def lowest_rate(self) -> float:
        """The lowest the adapted rate went."""
        ...

    def now(self) -> float:
        """The bucket's clock, for `rate_limited`'s `sent_at`."""
        ...

    async def acquire(self) -> None:
        """Wait until a request may be sent."""
        ...

    def rate_limited(self, retry_after: float | None, sent_at: float) -> None:
        """The vendor answered 429 to a request sent at `sent_at`: pause and slow down."""
        ...


@dataclass
class Traffic:
    """What one system's requests met, counted by its `BudgetedTransport` as they happen."""

    requests: int = 0  # every request sent: first attempts, retries and logins
    rate_limited: int = 0  # answers 429
    retries: int = 0  # requests that were another attempt of an earlier one
    configured_rate: float | None = None  # requests per second; None: no bucket
    rate: float | None = None  # the adapted rate now
    lowest_rate: float | None = None  # the lowest the rate went

    @property
    def eventful(self) -> bool:
        """True when the vendor limited the rate or a request had to be sent again."""
        return self.rate_limited > 0 or self.retries > 0


class BudgetedTransport(httpx.AsyncBaseTransport):
    """Sends through `inner`, first taking a token from `bucket` (if any) and a slot of
    `in_flight` (if any) for the time until the response headers arrive. Every request and
    its answer are counted in `traffic`, and a 429 adapts the bucket."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        bucket: RateBucket | None = None,
        in_flight: asyncio.Semaphore | None = None,
    ) -> None:
        self.inner = inner
        self.bucket = bucket
        self.in_flight = in_flight
        self.traffic = Traffic()
        if bucket is not None:
            self.traffic.configured_rate = bucket.ceiling
            self._note_rate(bucket)

    def _note_rate(self, bucket: RateBucket) -> None:
        self.traffic.rate = bucket.rate
        self.traffic.lowest_rate = bucket.lowest_rate

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.bucket is not None:
            await self.bucket.acquire()
        sent_at = self.bucket.now() if self.bucket is not None else 0.0
        self.traffic.requests += 1
        attempt = request.extensions.get(ATTEMPT_EXTENSION)
        if isinstance(attempt, int) and attempt > 1:
            self.traffic.retries += 1
        if self.in_flight is None:
            response = await self.inner.handle_async_request(request)
        else:
            async with self.in_flight:
                response = await self.inner.handle_async_request(request)
        if response.status_code == 429:
            self.traffic.rate_limited += 1
            if self.bucket is not None:
                retry_after = parse_retry_after(response.headers.get("retry-after"))
                self.bucket.rate_limited(retry_after, sent_at)
        if self.bucket is not None:
            self._note_rate(self.bucket)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()
