"""Two tenants in one emulator, for the tenant tests: A, the default tenant, whose credential
is `tenant-a-token`, and B (`tenant-b-token`), with an in-process HTTP client to the emulator
(`httpx.ASGITransport`) whose requests carry credentials only as each test sends them by hand.
The admin API's `GET /_emulator/state` shows each tenant's state apart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from balance_gateway.adapters._emulator.base import DEFAULT_TENANT, Emulator

A_TOKEN = "tenant-a-token"
B_TOKEN = "tenant-b-token"
A, B = DEFAULT_TENANT, "b"


@dataclass
class Tenants:
    """One emulator with tenants A and B, and an in-process HTTP client to it."""

    emulator: Emulator[Any]
    http: httpx.AsyncClient

    async def states(self) -> dict[str, Any]:
        response = await self.http.get("/_emulator/state")
        response.raise_for_status()
        tenants: dict[str, Any] = response.json()["tenants"]
        assert set(tenants) == {A, B}
        return tenants

    async def load(self, tenant: str, state: dict[str, Any]) -> None:
        response = await self.http.put("/_emulator/state", params={"tenant": tenant}, json=state)
        response.raise_for_status()


@asynccontextmanager
async def two_tenants(vendor: str) -> AsyncIterator[Tenants]:
    """`vendor`'s emulator with tenants A and B."""
    emulator = build_emulator(vendor, EmulatorOptions(token=A_TOKEN, tenants={B_TOKEN: B}))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        yield Tenants(emulator, http)
