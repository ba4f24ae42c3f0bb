"""Emulators: no 500, no privilege mix-up (issue 14, item 8).

Request bodies over the size limit get 413, on every emulator: each sends one to its
`WRITE_ROUTE` (`tests/adapters/<vendor>/facts.py`). The inputs that gave one vendor a 500 (a
number out of any range, a `$filter` on a number that is not one), and the privilege mix-ups
(an issued JWT taken as a password, a session cookie as an API key), are tested in those
vendors' folders: `tests/adapters/<vendor>/test_hostile_input.py`.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters._emulator.base import MAX_BODY_BYTES, Emulator
from balance_gateway.contracts._harness.runner import load_binding
from tests.adapters.vendor_facts import facts

TOKEN = "T-issue-14"


def _client(emulator: Emulator[Any]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://emulator", timeout=30)


async def _auth(vendor: str, emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    return await load_binding(vendor).emulator_auth(emulator, client)


@pytest.mark.parametrize("vendor", available_vendors())
async def test_a_body_over_the_size_limit_is_a_413(vendor: str) -> None:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    method, path = facts(vendor, "WRITE_ROUTE", tuple)
    big = b'{"x": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}'
    async with _client(emulator) as client:
        headers = await _auth(vendor, emulator, client)
        response = await client.request(
            method, path, content=big, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 413, response.text[:300]
        # Streamed without a Content-Length, too.

        async def chunks() -> Any:
            for _ in range(MAX_BODY_BYTES // 65536 + 2):
                yield b"a" * 65536

        streamed = await client.request(
            method, path, content=chunks(), headers={**headers, "Content-Type": "application/json"}
        )
        assert streamed.status_code == 413
        # A body within the limit still reaches the route.
        small = await client.request(
            method, path, content=b"{}", headers={**headers, "Content-Type": "application/json"}
        )
        assert small.status_code < 500
        assert small.status_code != 413
