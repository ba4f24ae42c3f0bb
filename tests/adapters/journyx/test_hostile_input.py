"""Journyx's emulator: a `$filter` on a number that is not one is a 400, not a 500; a session
cookie is not an API key (issue 14, item 8; the shared checks are
`tests/adapters/test_emulators_hostile_input.py`)."""

from __future__ import annotations

import base64

import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from tests.adapters.test_emulators_hostile_input import TOKEN, _auth, _client


@pytest.mark.parametrize(
    "clause",
    [
        "hours_left eq sNaN",
        "hours_left eq NaN",
        "hours_left gt -Infinity",
        "hours_left eq 1e999999",
    ],
)
async def test_journyx_filter_on_a_number_that_is_not_one_is_a_400(clause: str) -> None:
    emulator = build_emulator("journyx", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        headers = await _auth("journyx", emulator, client)
        response = await client.get("/api/v1/accruals", params={"$filter": clause}, headers=headers)
        assert response.status_code == 400, response.text


async def test_journyx_session_cookie_is_not_an_api_key() -> None:
    emulator = build_emulator("journyx", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        login = await client.post("/login", json={"username": "admin", "password": TOKEN})
        assert login.status_code == 200
        session = login.cookies.get("wtsession")
        assert session
        # The cookie works as a cookie ...
        as_cookie = await client.get("/api/v1/accruals")
        assert as_cookie.status_code == 200
        client.cookies.clear()
        # ... and not in place of the API key.
        basic = base64.b64encode(f"admin:{session}".encode()).decode()
        as_key = await client.get("/api/v1/accruals", headers={"Authorization": f"Basic {basic}"})
        assert as_key.status_code == 401
        # Nor as a password at login.
        again = await client.post("/login", json={"username": "admin", "password": session})
        assert again.status_code == 401
