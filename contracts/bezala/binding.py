"""How the contract harness talks to Bezala: the SDK with a static token, the emulator's
default-tenant token, and `BEZALA_TOKEN` for a live check."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.bezala import DEFAULT_BASE_URL, AsyncClient, Client
from balance_gateway.contracts._harness.binding import ContractBinding

if TYPE_CHECKING:  # the toolkit needs the `emulators` extra; a type needs nothing
    from balance_gateway.adapters._emulator import Emulator

# A placeholder: the fixture transport answers whatever credential is sent.
_FIXTURE_TOKEN = "contract-fixture-token"


def _client(transport: httpx.BaseTransport) -> Client:
    return Client(
        DEFAULT_BASE_URL, token=_FIXTURE_TOKEN, transport=transport, retry=RetryPolicy.none()
    )


def _async_client(transport: httpx.AsyncBaseTransport) -> AsyncClient:
    return AsyncClient(
        DEFAULT_BASE_URL, token=_FIXTURE_TOKEN, transport=transport, retry=RetryPolicy.none()
    )


async def _emulator_auth(emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {emulator.token}"}


async def _live_auth(env: Mapping[str, str], client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Bearer {env['BEZALA_TOKEN']}"}


BINDING = ContractBinding(
    vendor="bezala",
    make_client=_client,
    make_async_client=_async_client,
    emulator_auth=_emulator_auth,
    invalid_auth={"Authorization": "Bearer not-a-valid-token"},
    live_env=("BEZALA_TOKEN",),
    live_auth=_live_auth,
)
