"""One test body for the sync and the async client: build either, send through either."""

from __future__ import annotations

from typing import Any

import httpx

from balance_gateway.adapters._core.client import AsyncAPIClient, SyncAPIClient


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
