"""A system's token bucket kept in Redis, so that every process of a distributed run (the
coordinator and all workers) shares one request budget per system: four workers against a
300 req/s vendor send 300 req/s together.

The same bucket as `gateway.budget.TokenBucket` (a burst of one second's worth, adapting to the
vendor's 429s: pause for Retry-After, halve the rate once per round, climb back after calm
stretches), but its state lives in one Redis hash per system and vendor URL and is changed
only by Lua scripts, which Redis runs atomically, on Redis's own clock (`TIME`), so that no
two processes can take the same token and machines' clocks need not agree.

A request takes a reservation: the script takes a token (the bucket may go into debt) and
answers how long to wait before sending, so each request costs one round trip to Redis
whatever the contention, and waiters are served in the order they asked (one reservation at a
time per process).
"""

from __future__ import annotations

import asyncio
import time
from hashlib import sha256

from redis.asyncio import Redis

from balance_gateway.gateway.budget import DEFAULT_ADAPTATION, Adaptation
from balance_gateway.gateway.config import SystemConfig

KEY_PREFIX = "balance-gateway:bucket:"
# An idle bucket is dropped after this long (it would be full again anyway).
IDLE_SECONDS = 3600

# KEYS[1]: the bucket. ARGV: ceiling, burst seconds, adapt (0/1), increase, calm seconds, idle.
# Returns {wait seconds, redis now, rate, lowest rate} as strings (Lua numbers would be
# truncated to integers on the way out).
_ACQUIRE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ceiling = tonumber(ARGV[1])
local burst_seconds = tonumber(ARGV[2])
local adapt = ARGV[3] == '1'
local increase = tonumber(ARGV[4])
local calm_seconds = tonumber(ARGV[5])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'rate', 'paused', 'calm', 'lowest')
local rate = math.min(tonumber(h[3]) or ceiling, ceiling)
local tokens = tonumber(h[1])
local updated = tonumber(h[2]) or now
local paused = tonumber(h[4]) or 0
local calm = tonumber(h[5]) or now
local lowest = math.min(tonumber(h[6]) or rate, rate)
if adapt and rate < ceiling and now > calm then
  local steps = math.floor((now - calm) / calm_seconds)
  if steps > 0 then
    rate = math.min(ceiling, rate * (1 + increase) ^ steps)
    calm = calm + steps * calm_seconds
  end
end
local burst = math.max(1, burst_seconds * rate)
if tokens == nil then tokens = burst end
local start = math.max(updated, paused)
if now > start then tokens = math.min(burst, tokens + (now - start) * rate) end
updated = math.max(updated, now)
tokens = tokens - 1
local wait = 0
if tokens < -1e-9 then wait = -tokens / rate end
if paused > now then wait = wait + (paused - now) end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated),
  'rate', tostring(rate), 'paused', tostring(paused), 'calm', tostring(calm),
  'lowest', tostring(lowest))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[6]))
return {tostring(wait), tostring(now), tostring(rate), tostring(lowest)}
"""

# KEYS[1]: the bucket. ARGV: ceiling, burst seconds, retry after (-1: none), sent at (redis
# clock), decrease, floor, max pause, idle. Returns {rate, lowest rate}.
_RATE_LIMITED = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ceiling = tonumber(ARGV[1])
local burst_seconds = tonumber(ARGV[2])
local retry_after = tonumber(ARGV[3])
local sent_at = tonumber(ARGV[4])
local h = redis.call('HMGET', KEYS[1], 'tokens', 'updated', 'rate', 'paused', 'decreased',
  'lowest')
local rate = math.min(tonumber(h[3]) or ceiling, ceiling)
local tokens = tonumber(h[1]) or math.max(1, burst_seconds * rate)
local updated = tonumber(h[2]) or now
local paused = tonumber(h[4]) or 0
local decreased = tonumber(h[5]) or -1
local lowest = math.min(tonumber(h[6]) or rate, rate)
local start = math.max(updated, paused)
if now > start then
  tokens = math.min(math.max(1, burst_seconds * rate), tokens + (now - start) * rate)
end
updated = math.max(updated, now)
local pause = math.min(math.max(retry_after, 0), tonumber(ARGV[7]))
if pause > 0 and now + pause > paused then
  paused = now + pause
  tokens = math.min(tokens, 1)
end
if sent_at >= decreased then
  rate = math.max(math.min(tonumber(ARGV[6]), ceiling), rate * tonumber(ARGV[5]))
  lowest = math.min(lowest, rate)
  decreased = now
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(updated),
  'rate', tostring(rate), 'paused', tostring(paused), 'decreased', tostring(decreased),
  'calm', tostring(math.max(now, paused)), 'lowest', tostring(lowest))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[8]))
return {tostring(rate), tostring(lowest)}
"""


def bucket_key(system: str, base_url: str) -> str:
    """The Redis key of `system`'s bucket at `base_url`: two configurations naming the same
    vendor account alike share it; the URL is hashed (it may carry a tenant's name)."""
    digest = sha256(base_url.rstrip("/").encode()).hexdigest()[:16]
    return f"{KEY_PREFIX}{system}:{digest}"


class RedisTokenBucket:
    """`gateway.budget.RateBucket` shared by every process through Redis (see the module
    docstring). `ceiling` is the configured rate; `rate`/`lowest_rate` are the shared bucket's,
    as last seen by this process."""

    def __init__(
        self,
        redis: Redis,
        key: str,
        rate: float,
        *,
        adaptation: Adaptation | None = DEFAULT_ADAPTATION,
    ) -> None:
        if rate <= 0:
            raise ValueError(f"rate must be greater than 0 requests per second, got {rate}")
        self.key = key
        self.ceiling = rate
        self.rate = rate
        self.lowest_rate = rate
        self.adaptation = adaptation
        self._redis = redis
        self._acquire = redis.register_script(_ACQUIRE)
        self._rate_limited = redis.register_script(_RATE_LIMITED)
        self._burst_seconds = max(1.0, rate) / rate
        # Redis's clock minus ours, from the last answer: `now()` is on Redis's clock.
        self._offset = 0.0
        self._pending: set[asyncio.Task[None]] = set()
        self._lock = asyncio.Lock()

    def now(self) -> float:
        return time.time() + self._offset

    async def acquire(self) -> None:
        adaptation = self.adaptation
        # One reservation at a time per process: in order, and on one connection however many
        # requests wait (the wait itself is outside the lock).
        async with self._lock:
            answer = await self._acquire(
                keys=[self.key],
                args=[
                    self.ceiling,
                    self._burst_seconds,
                    1 if adaptation is not None else 0,
                    adaptation.increase if adaptation is not None else 0,
                    adaptation.calm_seconds if adaptation is not None else 1,
                    IDLE_SECONDS,
                ],
            )
        wait, redis_now, rate, lowest = (float(value) for value in answer)
        self._offset = redis_now - time.time()
        self.rate = rate
        self.lowest_rate = min(self.lowest_rate, lowest)
        if wait > 0:
            await asyncio.sleep(wait)

    async def report_rate_limited(self, retry_after: float | None, sent_at: float) -> None:
        """`rate_limited`, awaited: pause and slow the shared bucket."""
        adaptation = self.adaptation
        if adaptation is None:
            return
        answer = await self._rate_limited(
            keys=[self.key],
            args=[
                self.ceiling,
                self._burst_seconds,
                -1 if retry_after is None else retry_after,
                sent_at,
                adaptation.decrease,
                adaptation.floor,
                adaptation.max_pause,
                IDLE_SECONDS,
            ],
        )
        rate, lowest = (float(value) for value in answer)
        self.rate = rate
        self.lowest_rate = min(self.lowest_rate, lowest)

    def rate_limited(self, retry_after: float | None, sent_at: float) -> None:
        # The transport calls this without awaiting: the shared update runs as a task (kept
        # referenced until done); the next `acquire` of any process sees the pause.
        task = asyncio.get_running_loop().create_task(
            self.report_rate_limited(retry_after, sent_at)
        )
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)


class RedisBuckets:
    """A `gateway.systems.BucketFactory`: each system's shared bucket on `redis`."""

    def __init__(self, redis: Redis) -> None:
        self.redis = redis

    def __call__(self, name: str, system: SystemConfig) -> RedisTokenBucket | None:
        rate = system.requests_per_second
        if rate is None:
            return None
        return RedisTokenBucket(self.redis, bucket_key(name, system.base_url), rate)
