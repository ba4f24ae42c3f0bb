"""Sync clients talking to an emulator in-process, with no socket.

`httpx.ASGITransport` serves async clients only. `SyncASGITransport` gives a sync `httpx.Client`
the same: it runs the ASGI app on an event loop of its own, on a background thread, and waits
for each answer there. The app sees exactly what `ASGITransport` gives it, so an emulator's
faults (a dropped connection raises the same `httpx` error) reach sync and async clients alike.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx


class SyncASGITransport(httpx.BaseTransport):
    """An `httpx.BaseTransport` that sends each request to `app` through `ASGITransport`."""

    def __init__(self, app: Any) -> None:
        self._transport = httpx.ASGITransport(app=app)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="in-process-emulator", daemon=True
        )
        self._thread.start()

    async def _send(self, request: httpx.Request, content: bytes) -> httpx.Response:
        forwarded = httpx.Request(
            request.method,
            request.url,
            headers=request.headers,
            content=content,
            extensions=request.extensions,
        )
        response = await self._transport.handle_async_request(forwarded)
        body = await response.aread()
        return httpx.Response(response.status_code, headers=response.headers, content=body)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self._loop.is_closed():
            raise httpx.TransportError("the in-process transport is closed")
        future = asyncio.run_coroutine_threadsafe(self._send(request, request.read()), self._loop)
        return future.result()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()
