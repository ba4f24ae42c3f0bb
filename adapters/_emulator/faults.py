"""Fault injection for emulators: what a misbehaving vendor does, seeded so it can be replayed.

`FaultConfig` says what to inject; `FaultInjector.decide` turns one request into a `FaultPlan`
(pure, given its random generator and clock); `FaultMiddleware` carries the plan out around the
vendor app. The admin API (`/_emulator/...`) is never faulted.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]
ErrorBody = Callable[[int, str], Any]

ADMIN_PREFIX = "/_emulator"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class FaultConfig(BaseModel):
    """What to inject. Rates are probabilities per request (0..1); every figure is finite
    (an infinite `retry_after_seconds` could not be sent as a `Retry-After`)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    seed: int = 0
    latency_ms: float = Field(0, ge=0, description="added to every request")
    spike_rate: float = Field(0, ge=0, le=1, description="chance of a latency spike")
    spike_ms: float = Field(0, ge=0, description="length of a latency spike")
    error_rate: float = Field(0, ge=0, le=1, description="chance of an error response, not applied")
    error_status: int = Field(500, ge=400, le=599)
    throttle_rate: float = Field(0, ge=0, le=1, description="chance of a 429 with Retry-After")
    retry_after_seconds: float = Field(1, ge=0)
    rate_limit: float | None = Field(
        None, gt=0, description="token bucket: requests per second (burst = one second's worth)"
    )
    drop_rate: float = Field(0, ge=0, le=1, description="chance the connection drops, not applied")
    apply_then_fail_rate: float = Field(
        0, ge=0, le=1, description="chance a write is applied, then its response fails"
    )
    apply_then_fail_mode: Literal["status", "drop"] = "status"
    apply_then_fail_status: int = Field(500, ge=500, le=599)
    methods: list[str] | None = Field(None, description="only these methods are faulted")
    path_prefix: str | None = Field(None, description="only paths under this prefix are faulted")


@dataclass(frozen=True)
class FaultPlan:
    """What happens to one request."""

    delay_seconds: float = 0.0
    reject_status: int | None = None  # answer this instead of running the app
    retry_after: float | None = None
    drop: bool = False  # drop the connection instead of running the app
    apply_then_fail: bool = False  # run the app, then fail the response


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised to drop a connection: uvicorn closes the socket mid-response; in-process
    (`httpx.ASGITransport`) the client sees the same exception type a real drop gives."""


class TokenBucket:
    """`rate` tokens per second, holding at most `capacity`."""

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float]) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._last = clock()

    def take(self) -> float | None:
        """Take a token; None if granted, else the seconds until one is available."""
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return None
        return (1 - self._tokens) / self.rate


class FaultInjector:
    """Decides, request by request, which faults apply; counts what it injected."""

    def __init__(
        self, config: FaultConfig | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self.counts: Counter[str] = Counter()
        self.configure(config or FaultConfig())

    def configure(self, config: FaultConfig) -> None:
        with self._lock:
            self.config = config
            self._rng = random.Random(config.seed)
            self._bucket = (
                TokenBucket(config.rate_limit, max(1.0, config.rate_limit), self._clock)
                if config.rate_limit
                else None
            )
            self.counts = Counter()

    def applies_to(self, method: str, path: str) -> bool:
        config = self.config
        if path.startswith(ADMIN_PREFIX):
            return False
        if config.methods is not None and method.upper() not in {m.upper() for m in config.methods}:
            return False
        return config.path_prefix is None or path.startswith(config.path_prefix)

    def decide(self, method: str, path: str) -> FaultPlan:
        """The plan for one request. Draws the same number of random values every time, so a
        seed replays the same schedule for the same sequence of requests."""
        if not self.applies_to(method, path):
            return FaultPlan()
        with self._lock:
            c = self.config
            spike, error, throttle, drop, late = (self._rng.random() for _ in range(5))
            delay = c.latency_ms / 1000 + (c.spike_ms / 1000 if spike < c.spike_rate else 0.0)
            if self._bucket is not None:
                wait = self._bucket.take()
                if wait is not None:
                    self.counts["rate_limited"] += 1
                    return FaultPlan(delay, reject_status=429, retry_after=wait)
            if spike < c.spike_rate:
                self.counts["latency_spike"] += 1
            if throttle < c.throttle_rate:
                self.counts["throttled"] += 1
                return FaultPlan(delay, reject_status=429, retry_after=c.retry_after_seconds)
            if error < c.error_rate:
                self.counts["error"] += 1
                return FaultPlan(delay, reject_status=c.error_status)
            if drop < c.drop_rate:
                self.counts["dropped"] += 1
                return FaultPlan(delay, drop=True)
            if method.upper() in WRITE_METHODS and late < c.apply_then_fail_rate:
                self.counts["apply_then_fail"] += 1
                return FaultPlan(delay, apply_then_fail=True)
            return FaultPlan(delay)


async def _send_json(
    send: Send, status: int, body: Any, headers: dict[str, str] | None = None
) -> None:
    payload = json.dumps(body).encode()
    raw_headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(payload)).encode()),
    ]
    raw_headers += [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status, "headers": raw_headers})
    await send({"type": "http.response.body", "body": payload})


async def _drop(send: Send) -> None:
    # Promise a body, then close: a client sees the connection die mid-response.
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1000")]}
    )
    raise DroppedConnection("emulated dropped connection")


class FaultMiddleware:
    """ASGI middleware carrying out the injector's plan around the vendor app."""

    def __init__(self, app: ASGIApp, injector: FaultInjector, error_body: ErrorBody) -> None:
        self.app = app
        self.injector = injector
        self.error_body = error_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        plan = self.injector.decide(scope["method"], scope["path"])
        if plan.delay_seconds:
            await asyncio.sleep(plan.delay_seconds)
        if plan.reject_status is not None:
            headers = {}
            if plan.retry_after is not None:
                headers["Retry-After"] = str(max(1, math.ceil(plan.retry_after)))
            message = "rate limit exceeded" if plan.reject_status == 429 else "injected fault"
            await _send_json(
                send, plan.reject_status, self.error_body(plan.reject_status, message), headers
            )
            return
        if plan.drop:
            await _drop(send)
            return
        if not plan.apply_then_fail:
            await self.app(scope, receive, send)
            return
        # Run the write to completion, hold its response back, then fail instead.
        captured: list[Message] = []

        async def hold(message: Message) -> None:
            captured.append(message)

        await self.app(scope, receive, hold)
        status = next((m["status"] for m in captured if m["type"] == "http.response.start"), 500)
        if status >= 400:  # the write did not apply: nothing to lie about
            for held in captured:
                await send(held)
            return
        if self.injector.config.apply_then_fail_mode == "drop":
            await _drop(send)
            return
        failure = self.injector.config.apply_then_fail_status
        await _send_json(send, failure, self.error_body(failure, "injected failure after apply"))
