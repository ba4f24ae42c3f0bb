"""How the contract harness talks to Zeitstrom: a static API token (`Authorization: Token
<key>`) for the SDK, the emulator and the live API alike; Zeitstrom has no login exchange."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.zeitstrom import DEFAULT_BASE_URL, AsyncClient, Client
from balance_gateway.contracts._harness.binding import ContractBinding

if TYPE_CHECKING:  # the toolkit needs the `emulators` extra; a type needs nothing
    from balance_gateway.adapters._emulator import Emulator

# The token the SDK checks carry (a placeholder, never a real key).
_SDK_TOKEN = "api-token-placeholder"


async def _emulator_auth(emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Token {emulator.token}"}


async def _live_auth(env: Mapping[str, str], client: httpx.AsyncClient) -> dict[str, str]:
    return {"Authorization": f"Token {env['ZEITSTROM_TOKEN']}"}


BINDING = ContractBinding(
    vendor="zeitstrom",
    # One attempt: a recorded error answer is the fixture's point, not something to retry.
    make_client=lambda transport: Client(
        DEFAULT_BASE_URL, token=_SDK_TOKEN, transport=transport, retry=RetryPolicy.none()
    ),
    make_async_client=lambda transport: AsyncClient(
        DEFAULT_BASE_URL, token=_SDK_TOKEN, transport=transport, retry=RetryPolicy.none()
    ),
    emulator_auth=_emulator_auth,
    invalid_auth={"Authorization": "Token not-a-valid-token"},
    live_env=("ZEITSTROM_TOKEN",),
    live_auth=_live_auth,
)
