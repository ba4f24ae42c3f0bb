"""Tenants in CompanyFlow's emulator, over its own API by hand (the tenant's password, exchanged
for a JWT): one tenant's credential can neither read nor write another's data (see
`tests/stress/_tenants.py`; the adapter-level check over every vendor is
`tests/stress/test_tenants.py`)."""

from __future__ import annotations

import copy
from typing import Any

import httpx
from fastapi.routing import APIRoute

from balance_gateway.adapters.companyflow.emulator import (
    ANNUAL_LEAVE_ID,
    COMPANY_ID,
    SEED_EMPLOYEE_ID,
)
from tests.stress._tenants import A_TOKEN, B_TOKEN, A, B, Tenants, two_tenants


async def test_one_tenant_cannot_read_or_write_another() -> None:
    async with two_tenants("companyflow") as t:
        await _scenario(t)


async def _scenario(t: Tenants) -> None:
    http = t.http
    # The vendor API only reads (its one POST is the login): nothing B sends can write.
    writes = {
        (method, route.path)
        for route in t.emulator.app.routes
        if isinstance(route, APIRoute) and not route.path.startswith("/_emulator")
        for method in route.methods or set()
        if method not in ("GET", "HEAD")
    }
    assert writes == {("POST", "/auth/login")}

    states = await t.states()
    # A's data changes (through the admin API: the vendor API cannot write)...
    a_state = copy.deepcopy(states[A])
    for balance in a_state["balances"]:
        if balance["id"] == "bal-001-uuid":
            balance["used_days"] = "9.0"
    await t.load(A, a_state)
    # ...and B has an employee of its own.
    b_only = "b0b0b0b0-0000-4000-8000-000000000001"
    b_state = copy.deepcopy(states[B])
    b_state["employees"].append(
        {
            "id": b_only,
            "company_id": COMPANY_ID,
            "email": "only.in.b@example.com",
            "first_name": "Only",
            "last_name": "InB",
            "role": "employee",
        }
    )
    await t.load(B, b_state)
    loaded = await t.states()

    async def login(email: str, password: str) -> httpx.Response:
        return await http.post("/auth/login", json={"email": email, "password": password})

    async def jwt(email: str, password: str) -> dict[str, str]:
        response = await login(email, password)
        assert response.status_code == 200
        return {"Authorization": f"Bearer {response.json()['data']['token']}"}

    jane_a = await jwt("jane.doe@example.com", A_TOKEN)
    jane_b = await jwt("jane.doe@example.com", B_TOKEN)

    async def used(headers: dict[str, str]) -> Any:
        response = await http.get(
            f"/leave-balance/{ANNUAL_LEAVE_ID}", params={"year": 2025}, headers=headers
        )
        assert response.status_code == 200
        return response.json()["data"]["used_days"]

    assert await used(jane_a) == 9
    assert await used(jane_b) == 5  # the sample's figure: A's change is not B's

    # A's password does not open B's users, and B's opens them.
    assert (await login("only.in.b@example.com", A_TOKEN)).status_code == 401
    only_b = await jwt("only.in.b@example.com", B_TOKEN)
    manager_a = await jwt("maria.manager@example.com", A_TOKEN)
    manager_b = await jwt("maria.manager@example.com", B_TOKEN)
    listed = f"/employees/{b_only}/leave-balances"
    assert (await http.get(listed, params={"year": 2025}, headers=manager_b)).status_code == 200
    assert (await http.get(listed, params={"year": 2025}, headers=manager_a)).status_code == 404
    assert (await http.get(listed, params={"year": 2025}, headers=only_b)).status_code == 200
    seed = f"/employees/{SEED_EMPLOYEE_ID}/leave-balances"
    seen = await http.get(seed, params={"year": 2025}, headers=manager_b)
    annual = next(b for b in seen.json()["data"] if b["leave_type_id"] == ANNUAL_LEAVE_ID)
    assert annual["used_days"] == 5
    # Logging in and reading changed no tenant's state.
    assert await t.states() == loaded
