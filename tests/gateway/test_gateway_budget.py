"""Request budgets: the token bucket's pace and the in-flight bound, at the transport."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from balance_gateway.gateway.budget import BudgetedTransport, TokenBucket


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
