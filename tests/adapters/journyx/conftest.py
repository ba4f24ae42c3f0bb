"""Shared pieces of the Journyx tests: the seed's example (from its contract fixture), an
in-process emulator with a controllable clock, and authenticated ASGI clients."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.journyx.emulator import JournyxEmulator

FIXTURES = Path(__file__).resolve().parents[3] / "contracts" / "journyx"
TOKEN = "journyx-test-api-key"
SEED_ID = "64BBA147B9AC41D9978062300826C89F"
JANE = "5CD906A3941C463B9CC98F49DBCC25AA"
ALEX = "3A8BFD0F3951508D4DBFB1F47EE7B158"
JANE_VACATION = "B00F1292662CD06045C20D4305D72887"
JANE_SICK = "7D50783C4A141292108472803B0FB610"
ALEX_VACATION = "D026C943761D49E454F45CAAC88F5F9E"
ALEX_HIDDEN = "0C7E5A9D2B4F4E1A8D6C3B5A7E9F1D2C"
VACATION = "7FD02168BF7737FFAC2068C7DD76C31B"
SICK = "8F2B0F3C30F2F0FB26C7B5C61443E7E8"
NOW = 1767225600.25  # 2026-01-01T00:00:00.25Z


def basic(username: str, api_key: str) -> dict[str, str]:
    pair = base64.b64encode(f"{username}:{api_key}".encode()).decode()
    return {"Authorization": f"Basic {pair}"}


def load_fixture(name: str) -> dict[str, Any]:
    fixture: dict[str, Any] = json.loads((FIXTURES / f"{name}.json").read_text())
    return fixture


class Clock:
    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def emulator(clock: Clock) -> JournyxEmulator:
    return JournyxEmulator(
        EmulatorOptions(token=TOKEN, tenants={"other-api-key": "acme"}), clock=clock
    )


@pytest.fixture
async def api(emulator: JournyxEmulator) -> AsyncIterator[httpx.AsyncClient]:
    """Raw HTTP against the emulator, authenticated as the sample user."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=emulator.app),
        base_url="http://emulator",
        headers=basic("admin", TOKEN),
    ) as client:
        yield client


@pytest.fixture
def basic_auth() -> Any:
    """`basic(username, api_key)` -> the Authorization header."""
    return basic


@pytest.fixture
def seed_fixture() -> dict[str, Any]:
    return load_fixture("accruals_get/seed_example")
