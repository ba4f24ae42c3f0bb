"""How the contract harness talks to CompanyFlow: the SDK with a static JWT, the emulator and
the live API through `POST /auth/login` as the seed's example employee."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import httpx

from balance_gateway.adapters.companyflow import AsyncClient, Client
from balance_gateway.adapters.companyflow.client import DEFAULT_BASE_URL
from balance_gateway.contracts._harness.binding import ContractBinding

if TYPE_CHECKING:  # the toolkit needs the `emulators` extra; a type needs nothing
    from balance_gateway.adapters._emulator import Emulator

# The emulator's sample employee of the seed's example; its password is the emulator's token.
SEED_EMPLOYEE_EMAIL = "jane.doe@example.com"
MANAGER_EMAIL = "maria.manager@example.com"
# The SDK check answers from fixtures, so any string serves as the token there.
FIXTURE_TOKEN = "fixture-token-placeholder"


def make_client(transport: httpx.BaseTransport) -> Client:
    return Client(DEFAULT_BASE_URL, token=FIXTURE_TOKEN, transport=transport)


def make_async_client(transport: httpx.AsyncBaseTransport) -> AsyncClient:
    return AsyncClient(DEFAULT_BASE_URL, token=FIXTURE_TOKEN, transport=transport)


async def _login(client: httpx.AsyncClient, email: str, password: str) -> dict[str, str]:
    response = await client.post("/auth/login", json={"email": email, "password": password})
    response.raise_for_status()
    token = response.json()["data"]["token"]
    return {"Authorization": f"Bearer {token}"}


async def emulator_auth(emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    """Log in to the emulator as the seed's employee (password: the emulator's token)."""
    return await _login(client, SEED_EMPLOYEE_EMAIL, emulator.token)


async def manager_auth(emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    """Log in as the emulator's sample manager (who may list the company's employees)."""
    return await _login(client, MANAGER_EMAIL, emulator.token)


async def live_auth(env: Mapping[str, str], client: httpx.AsyncClient) -> dict[str, str]:
    """Log in to the live API with COMPANYFLOW_EMAIL / COMPANYFLOW_PASSWORD."""
    return await _login(client, env["COMPANYFLOW_EMAIL"], env["COMPANYFLOW_PASSWORD"])


BINDING = ContractBinding(
    vendor="companyflow",
    make_client=make_client,
    make_async_client=make_async_client,
    emulator_auth=emulator_auth,
    invalid_auth={"Authorization": "Bearer not-a-valid-jwt"},
    live_env=("COMPANYFLOW_EMAIL", "COMPANYFLOW_PASSWORD"),
    live_auth=live_auth,
    emulator_logins={"manager": manager_auth},
)
