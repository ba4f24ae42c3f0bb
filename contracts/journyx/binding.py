"""How the contract harness talks to Journyx: HTTP Basic with a username and an API key."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters.journyx.client import AsyncClient, Client
from balance_gateway.contracts._harness.binding import ContractBinding

if TYPE_CHECKING:  # the toolkit needs the `emulators` extra; a type needs nothing
    from balance_gateway.adapters._emulator import Emulator

# Fixtures never hold a real credential: the SDK check talks to a fixture transport.
FIXTURE_BASE_URL = "http://journyx.test"
FIXTURE_API_KEY = "placeholder-api-key"
FIXTURE_USERNAME = "placeholder-user"


def _basic(username: str, api_key: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{api_key}".encode()).decode("ascii")
    return {"Authorization": f"Basic {pair}"}


def make_client(transport: httpx.BaseTransport) -> Client:
    return Client(
        FIXTURE_BASE_URL,
        username=FIXTURE_USERNAME,
        api_key=FIXTURE_API_KEY,
        transport=transport,
        retry=RetryPolicy.none(),
    )


def make_async_client(transport: httpx.AsyncBaseTransport) -> AsyncClient:
    return AsyncClient(
        FIXTURE_BASE_URL,
        username=FIXTURE_USERNAME,
        api_key=FIXTURE_API_KEY,
        transport=transport,
        retry=RetryPolicy.none(),
    )


async def emulator_auth(emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    from balance_gateway.adapters.journyx.emulator import SAMPLE_USERNAME

    # The emulator's token is the API key of its sample user.
    return _basic(SAMPLE_USERNAME, emulator.token)


async def live_auth(env: Mapping[str, str], client: httpx.AsyncClient) -> dict[str, str]:
    return _basic(env["JOURNYX_USERNAME"], env["JOURNYX_API_KEY"])


BINDING = ContractBinding(
    vendor="journyx",
    make_client=make_client,
    make_async_client=make_async_client,
    emulator_auth=emulator_auth,
    invalid_auth=_basic(FIXTURE_USERNAME, "wrong-api-key"),
    live_env=("JOURNYX_USERNAME", "JOURNYX_API_KEY"),
    live_auth=live_auth,
)
