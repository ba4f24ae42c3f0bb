"""The network transport every system's requests go out through, with one request at a time
taking a connection from httpx's pool.

Why: httpcore's pool (1.0.x) assigns an idle connection to a request, but the connection stays
idle until that request's task runs again and starts sending on it. Every other request that
enters the pool meanwhile, in the same turn of the event loop, is assigned the same connection,
fails on it (`ConnectionNotAvailable`) and goes round the pool again, rescanning every
connection each time. The engine's requests do arrive together: a journal commit wakes all the
rows whose intents it held at once (`gateway.journal_batch`). Measured at N = 1,000 x 3
(`benchmarks/profile_sync.py`), a request went through the pool's assignment pass 4.1 times
before it had a connection (the peer script's: 2.3), and these scans were the largest single
cost of the sync; with `PoolAdmission`, once.

`PoolAdmission` lets the next request into the pool only once the one before has its
connection: httpcore reports that through the request's `trace` extension (its first event is
either opening a new connection or sending the headers on a taken one). A transport that never
traces (a test's `MockTransport`) would serialise every request, so this wraps only httpx's own
`AsyncHTTPTransport` (`network_transport`), never a transport the caller passes in.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

TraceHook = Callable[[str, dict[str, Any]], Awaitable[None]]


class PoolAdmission(httpx.AsyncBaseTransport):
    """Sends through `inner` (an httpcore-backed transport), admitting one request at a time
    into its connection pool; the admission ends at the request's first trace event, or when
    it ends (answered, failed or cancelled) before any."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self._admission = asyncio.Lock()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await self._admission.acquire()
        admitted = True
        theirs: TraceHook | None = request.extensions.get("trace")

        def let_next_in() -> None:
            nonlocal admitted
            if admitted:
                admitted = False
                self._admission.release()

        async def trace(name: str, info: dict[str, Any]) -> None:
            let_next_in()
            if theirs is not None:
                await theirs(name, info)

        request.extensions["trace"] = trace
        try:
            return await self.inner.handle_async_request(request)
        finally:
            let_next_in()
            if theirs is None:
                request.extensions.pop("trace", None)
            else:
                request.extensions["trace"] = theirs

    async def aclose(self) -> None:
        await self.inner.aclose()


def network_transport() -> httpx.AsyncBaseTransport:
    """The transport a system's requests use when nothing replaces the network."""
    return PoolAdmission(httpx.AsyncHTTPTransport())
