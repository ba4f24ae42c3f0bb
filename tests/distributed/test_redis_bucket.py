"""The token bucket in Redis (`gateway.distributed.bucket`): two buckets on one key (two
processes) share one rate; a 429 reported by one pauses and slows both; separate systems do
not share."""

from __future__ import annotations

import asyncio
import time

from redis.asyncio import Redis

from balance_gateway.gateway.distributed.bucket import RedisTokenBucket, bucket_key


async def _take(bucket: RedisTokenBucket, count: int) -> None:
    await asyncio.gather(*(bucket.acquire() for _ in range(count)))


async def test_two_processes_on_one_key_share_one_rate(redis_url: str) -> None:
    async with Redis.from_url(redis_url) as first, Redis.from_url(redis_url) as second:
        key = bucket_key("ledger", "http://vendor.example/api")
        a = RedisTokenBucket(first, key, 50)
        b = RedisTokenBucket(second, key, 50)
        started = time.monotonic()
        # 150 requests at 50/s, a burst of 50 first: 2 s together (4 s would be 50/s each
        # after its own burst: 1 s).
        await asyncio.gather(_take(a, 75), _take(b, 75))
        elapsed = time.monotonic() - started
    assert 1.8 <= elapsed <= 2.6, elapsed


async def test_a_429_pauses_and_slows_every_process(redis_url: str) -> None:
    async with Redis.from_url(redis_url) as first, Redis.from_url(redis_url) as second:
        key = bucket_key("time", "http://vendor.example")
        a = RedisTokenBucket(first, key, 20)
        b = RedisTokenBucket(second, key, 20)
        await a.acquire()
        await a.report_rate_limited(0.5, a.now())
        started = time.monotonic()
        await b.acquire()
        assert time.monotonic() - started >= 0.45  # b waits out the pause a was told of
        assert b.rate == 10  # halved, for everyone


async def test_different_systems_do_not_share(redis_url: str) -> None:
    async with Redis.from_url(redis_url) as client:
        one = RedisTokenBucket(client, bucket_key("a", "http://one.example"), 10)
        other = RedisTokenBucket(client, bucket_key("a", "http://two.example"), 10)
        await _take(one, 10)  # one's burst spent
        started = time.monotonic()
        await _take(other, 10)  # other's burst is its own
        assert time.monotonic() - started < 0.5
