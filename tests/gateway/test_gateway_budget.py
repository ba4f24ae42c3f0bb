"""Request budgets: the token bucket's pace and the in-flight bound, at the transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from balance_gateway.adapters._core.retry import ATTEMPT_EXTENSION
from balance_gateway.gateway.budget import Adaptation, BudgetedTransport, TokenBucket


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_bucket_starts_full_then_paces_at_its_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=2, burst=2, clock=clock)
    assert bucket.try_acquire() == 0
    assert bucket.try_acquire() == 0
    assert bucket.try_acquire() == pytest.approx(0.5)
    clock.now = 0.5
    assert bucket.try_acquire() == 0
    clock.now = 10  # idle time refills up to the burst, no more
    assert [bucket.try_acquire() for _ in range(3)][:2] == [0, 0]


def test_bucket_refuses_a_rate_of_zero() -> None:
    with pytest.raises(ValueError, match="greater than 0"):
        TokenBucket(rate=0)


async def test_transport_keeps_requests_in_flight_bounded() -> None:
    in_flight = 0
    peak = 0

    async def handler(request: httpx.Request) -> httpx.Response:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.01)
        in_flight -= 1
        return httpx.Response(200, json={"ok": True})

    transport = BudgetedTransport(
        httpx.MockTransport(handler), bucket=TokenBucket(rate=1000), in_flight=asyncio.Semaphore(3)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://vendor.test") as client:
        responses = await asyncio.gather(*(client.get("/x") for _ in range(12)))
    assert all(r.status_code == 200 for r in responses)
    assert peak == 3


async def test_transport_spends_the_bucket() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1, burst=2, clock=clock)
    transport = BudgetedTransport(httpx.MockTransport(lambda r: httpx.Response(204)), bucket)
    async with httpx.AsyncClient(transport=transport, base_url="http://vendor.test") as client:
        await client.get("/a")
        await client.get("/b")
    assert bucket.try_acquire() == pytest.approx(1.0)


# -- adapting to the vendor's rate limit -----------------------------------------------------


def test_a_429_pauses_the_bucket_for_retry_after_and_halves_the_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, clock=clock)
    sent = bucket.now()
    bucket.rate_limited(retry_after=3.0, sent_at=sent)
    assert bucket.rate == 5
    assert bucket.lowest_rate == 5
    assert bucket.try_acquire() == pytest.approx(3.0)  # paused: nothing goes out
    clock.now = 3.0
    assert bucket.try_acquire() == 0  # the pause ends with one request, not a burst
    assert bucket.try_acquire() == pytest.approx(0.2)  # then at the lowered rate


def test_one_round_of_429s_lowers_the_rate_once() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=16, clock=clock)
    sent = bucket.now()
    clock.now = 0.1
    for _ in range(8):  # eight requests of one burst, all answered 429
        bucket.rate_limited(retry_after=1.0, sent_at=sent)
    assert bucket.rate == 8
    clock.now = 1.5
    bucket.rate_limited(retry_after=1.0, sent_at=bucket.now())  # sent after the decrease
    assert bucket.rate == 4


def test_the_rate_climbs_back_slowly_after_calm_and_never_past_the_configured_rate() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=10, clock=clock)
    bucket.rate_limited(retry_after=1.0, sent_at=0.0)
    assert bucket.rate == 5
    clock.now = 1.0 + 1.9  # the pause, then not yet a calm stretch of 2 s
    bucket.try_acquire()
    assert bucket.rate == 5
    clock.now = 1.0 + 2.0
    bucket.try_acquire()
    assert bucket.rate == pytest.approx(5.5)  # one step: 10 % of itself
    clock.now = 1.0 + 2.0 * 5
    bucket.try_acquire()
    assert bucket.rate == pytest.approx(5 * 1.1**5)
    clock.now = 1000.0
    bucket.try_acquire()
    assert bucket.rate == 10  # back at the configured rate, and no higher
    assert bucket.lowest_rate == 5


def test_the_rate_never_drops_below_the_floor_and_a_pause_is_capped() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=1, clock=clock, adaptation=Adaptation(floor=0.25, max_pause=5.0))
    for step in range(10):
        clock.now = float(step * 10)
        bucket.rate_limited(retry_after=3600.0, sent_at=bucket.now())
    assert bucket.rate == 0.25
    assert bucket.try_acquire() == pytest.approx(5.0)  # not an hour


def test_without_adaptation_a_429_changes_nothing() -> None:
    clock = Clock()
    bucket = TokenBucket(rate=4, clock=clock, adaptation=None)
    bucket.rate_limited(retry_after=10.0, sent_at=0.0)
    assert bucket.rate == 4
    assert bucket.try_acquire() == 0


async def test_the_transport_counts_requests_429s_and_retries_and_adapts_the_bucket() -> None:
    answers = iter([429, 200, 429, 429, 200])

    def handler(request: httpx.Request) -> httpx.Response:
        status = next(answers)
        return httpx.Response(status, headers={"Retry-After": "0"} if status == 429 else {})

    bucket = TokenBucket(rate=1000)
    transport = BudgetedTransport(httpx.MockTransport(handler), bucket)
    async with httpx.AsyncClient(transport=transport, base_url="http://vendor.test") as client:
        for attempt in (1, 2, 1, 2, 3):
            request = client.build_request("GET", "/x")
            request.extensions[ATTEMPT_EXTENSION] = attempt
            await client.send(request)
    traffic = transport.traffic
    assert (traffic.requests, traffic.rate_limited, traffic.retries) == (5, 3, 3)
    assert traffic.configured_rate == 1000
    assert traffic.lowest_rate is not None
    assert traffic.lowest_rate < 1000
    assert traffic.eventful


async def _served_and_refused(adaptation: Adaptation | None) -> tuple[int, int, TokenBucket]:
    """120 s (fake time) of requests as fast as a 50/s budget allows, against a vendor that
    allows 10/s and answers the rest 429 with the Retry-After its own bucket implies."""
    clock = Clock()
    vendor = _VendorLimit(rate=10, clock=clock)

    async def fake_sleep(seconds: float) -> None:
        clock.now += seconds

    bucket = TokenBucket(rate=50, clock=clock, sleep=fake_sleep, adaptation=adaptation)
    served = refused = 0
    while clock.now < 120:
        await bucket.acquire()
        wait = vendor.take()
        if wait is None:
            served += 1
        else:
            refused += 1
            bucket.rate_limited(retry_after=max(1.0, wait), sent_at=bucket.now())
    return served, refused, bucket


async def test_a_system_configured_far_above_the_vendor_limit_converges() -> None:
    served, refused, bucket = await _served_and_refused(Adaptation())
    assert refused * 20 < served  # a few rounds of 429s, not a storm
    assert 7 <= served / 120 <= 10  # most of the vendor's limit is used
    assert bucket.lowest_rate <= 10
    # The same budget, not adapting, has most of its requests refused.
    fixed_served, fixed_refused, _ = await _served_and_refused(None)
    assert fixed_refused > 2 * fixed_served


class _VendorLimit:
    """The vendor side: a token bucket with a burst of one second (as the emulators')."""

    def __init__(self, rate: float, clock: Clock) -> None:
        self.rate, self.tokens, self.clock, self.last = rate, rate, clock, clock()

    def take(self) -> float | None:
        now = self.clock()
        self.tokens = min(self.rate, self.tokens + (now - self.last) * self.rate)
        self.last = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate
