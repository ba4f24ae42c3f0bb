"""How the contract harness talks to Kenjo: the SDK with a static session token, the emulator
and the live API through `POST /api/v1/auth/login` with an API key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from balance_gateway.adapters.kenjo import DEFAULT_BASE_URL, AsyncClient, Client
from balance_gateway.contracts._harness.binding import ContractBinding

if TYPE_CHECKING:  # the toolkit needs the `emulators` extra; a type needs nothing
    from balance_gateway.adapters._emulator import Emulator

# The API key the login fixtures send (a placeholder, never a real key).
FIXTURE_API_KEY = "api-key-placeholder"
_SDK_TOKEN = "session-token-placeholder"


async def _login(client: httpx.AsyncClient, api_key: str) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"apiKey": api_key})
    response.raise_for_status()
    # The token already carries its `Bearer ` prefix [docs].
    return {"Authorization": str(response.json()["token"])}


async def _emulator_auth(emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    return await _login(client, emulator.token)


async def _live_auth(env: Mapping[str, str], client: httpx.AsyncClient) -> dict[str, str]:
    return await _login(client, env["KENJO_API_KEY"])


def _prepare(emulator: Emulator[Any]) -> None:
    from balance_gateway.adapters.kenjo.emulator import KenjoEmulator

    assert isinstance(emulator, KenjoEmulator)
    emulator.add_api_key(FIXTURE_API_KEY)


BINDING = ContractBinding(
    vendor="kenjo",
    make_client=lambda transport: Client(DEFAULT_BASE_URL, token=_SDK_TOKEN, transport=transport),
    make_async_client=lambda transport: AsyncClient(
        DEFAULT_BASE_URL, token=_SDK_TOKEN, transport=transport
    ),
    emulator_auth=_emulator_auth,
    invalid_auth={"Authorization": "Bearer not-a-valid-session"},
    live_env=("KENJO_API_KEY",),
    live_auth=_live_auth,
    prepare_emulator=_prepare,
)
