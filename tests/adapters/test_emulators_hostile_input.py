"""Emulators: no 500, no privilege mix-up (issue 14, item 8).

- three inputs gave 500 (Bezala `value` "1e1000000", Kenjo `balance` 1e1000000, Journyx
  `$filter=hours_left eq sNaN`): they get the vendor's 4xx;
- a CompanyFlow login checks the password and never accepts an issued JWT as one (an
  employee's token logged in as a manager);
- a Journyx session cookie is not an API key;
- request bodies over the size limit get 413, on every emulator.
"""

from __future__ import annotations

import base64
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters._emulator.base import MAX_BODY_BYTES, Emulator
from balance_gateway.contracts._harness.runner import load_binding

TOKEN = "T-issue-14"
KENJO_TYPE, KENJO_EMPLOYEE = "65f1a0c0e4b0a1b2c3d4e501", "65f1a0c0e4b0a1b2c3d4e511"


def _client(emulator: Emulator[Any]) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=emulator.app, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://emulator", timeout=30)


async def _auth(vendor: str, emulator: Emulator[Any], client: httpx.AsyncClient) -> dict[str, str]:
    return await load_binding(vendor).emulator_auth(emulator, client)


async def test_bezala_huge_value_is_a_422() -> None:
    emulator = build_emulator("bezala", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        headers = await _auth("bezala", emulator, client)
        for value in ('"1e1000000"', "1e1000000", '"-1e1000000"', '"NaN"', '"-Infinity"'):
            body = '{"time_balance": {"balance_type": "vacation", "date": "2026-03-31", '
            body += f'"value": {value}}}}}'
            response = await client.post(
                "/api/users/819/time_balances",
                content=body,
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 422, (value, response.text)


async def test_kenjo_huge_balance_is_a_400() -> None:
    emulator = build_emulator("kenjo", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        headers = await _auth("kenjo", emulator, client)
        for value in ("1e1000000", "-1e1000000", '"1e1000000"'):
            response = await client.put(
                f"/api/v1/time-off/set-balance/{KENJO_TYPE}/{KENJO_EMPLOYEE}",
                content=f'{{"balance": {value}}}',
                headers={**headers, "Content-Type": "application/json"},
            )
            assert response.status_code == 400, (value, response.text)


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


async def test_companyflow_never_takes_an_issued_jwt_as_a_password() -> None:
    emulator = build_emulator("companyflow", EmulatorOptions(token=TOKEN))
    async with _client(emulator) as client:
        login = await client.post(
            "/auth/login", json={"email": "jane.doe@example.com", "password": TOKEN}
        )
        assert login.status_code == 200
        employee_jwt = login.json()["data"]["token"]
        # Her own token works as a token ...
        mine = await client.get(
            "/leave-balance",
            params={"leaveTypeId": "x", "year": 2025},
            headers={"Authorization": f"Bearer {employee_jwt}"},
        )
        assert mine.status_code != 401
        # ... but never as a password: not for her, and not for the manager.
        for email in ("jane.doe@example.com", "maria.manager@example.com"):
            escalated = await client.post(
                "/auth/login", json={"email": email, "password": employee_jwt}
            )
            assert escalated.status_code == 401, escalated.text
        wrong = await client.post(
            "/auth/login", json={"email": "maria.manager@example.com", "password": "guess"}
        )
        assert wrong.status_code == 401


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


WRITE_ROUTES = {
    "bezala": ("POST", "/api/users/819/time_balances"),
    "companyflow": ("POST", "/auth/login"),
    "journyx": ("POST", "/api/v1/accruals"),
    "kenjo": ("PUT", f"/api/v1/time-off/set-balance/{KENJO_TYPE}/{KENJO_EMPLOYEE}"),
    "zeitstrom": ("POST", "/api/v2/timestamps/absence-transactions/"),
}  # fmt: skip


@pytest.mark.parametrize("vendor", available_vendors())
async def test_a_body_over_the_size_limit_is_a_413(vendor: str) -> None:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    method, path = WRITE_ROUTES[vendor]
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
