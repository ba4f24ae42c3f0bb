"""One test body for the sync and the async client: build either, send through either."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient

Handler = Callable[[httpx.Request], httpx.Response]


class Recorder:
    """A mock vendor (an `httpx.MockTransport` handler): answers with `handler`, and keeps a
    copy of every request sent (`sent`): an auth flow resends the same request object with new
    headers, so a copy is what each attempt really carried."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.sent: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.sent.append(
            httpx.Request(
                request.method, request.url, headers=request.headers.copy(), content=request.content
            )
        )
        return self.handler(request)

    def paths(self) -> list[str]:
        """Each request sent, as "METHOD /path"."""
        return [f"{r.method} {r.url.path}" for r in self.sent]


def no_sleep(seconds: float) -> None:
    pass


async def no_asleep(seconds: float) -> None:
    pass


def core_client(mode: str, **kwargs: Any) -> SyncAPIClient | AsyncAPIClient:
    """A base client of `mode` ("sync" or "async") that never really waits between retries
    (unless `sleep=` says otherwise)."""
    if mode == "sync":
        return SyncAPIClient(**{"sleep": no_sleep, **kwargs})
    return AsyncAPIClient(**{"sleep": no_asleep, **kwargs})


async def send(
    client: SyncAPIClient | AsyncAPIClient, method: str, path: str, **kwargs: Any
) -> httpx.Response:
    """`client.request(method, path, **kwargs)`, awaited when the client is async."""
    if isinstance(client, SyncAPIClient):
        return client.request(method, path, **kwargs)
    return await client.request(method, path, **kwargs)


async def close(client: SyncAPIClient | AsyncAPIClient) -> None:
    """`client.close()`, or `await client.aclose()`."""
    if isinstance(client, SyncAPIClient):
        client.close()
    else:
        await client.aclose()
