"""Tenants in Kenjo's emulator, over its own API by hand (an API key exchanged at login for a
session token): one tenant's credential can neither read nor write another's data (see
`tests/stress/_tenants.py`; the adapter-level check over every vendor is
`tests/stress/test_tenants.py`)."""

from __future__ import annotations

import copy
from typing import Any

from tests.stress._tenants import A_TOKEN, B_TOKEN, A, B, Tenants, two_tenants


async def test_one_tenant_cannot_read_or_write_another() -> None:
    async with two_tenants("kenjo") as t:
        await _scenario(t)


async def _scenario(t: Tenants) -> None:
    http = t.http
    vacation = "65f1a0c0e4b0a1b2c3d4e501"
    ana = "65f1a0c0e4b0a1b2c3d4e511"
    a_only, b_only = "aaaaaaaaaaaaaaaaaaaaaaa1", "bbbbbbbbbbbbbbbbbbbbbbb1"
    states = await t.states()
    # Each tenant gets one employee (assigned to vacation, with a request) of its own.
    for tenant, employee in ((A, a_only), (B, b_only)):
        state = copy.deepcopy(states[tenant])
        state["employees"].append(
            {"id": employee, "email": f"{employee}@example.com", "first_name": "Only"}
            | {"last_name": tenant, "is_active": True}
        )
        state["assignments"].append(
            {"employee_id": employee, "time_off_type_id": vacation, "total_allowance": "20"}
        )
        state["requests"].append(
            {
                "id": employee[:-1] + "f",
                "user_id": employee,
                "time_off_type_id": vacation,
                "start": "2025-03-03",
                "end": "2025-03-04",
                "status": "Approved",
            }
        )
        await t.load(tenant, state)

    async def login(api_key: str) -> dict[str, str]:
        response = await http.post("/api/v1/auth/login", json={"apiKey": api_key})
        assert response.status_code == 200
        return {"Authorization": response.json()["token"]}

    a, b = await login(A_TOKEN), await login(B_TOKEN)
    b_readonly = await login(B_TOKEN + "-readonly")

    async def employees(headers: dict[str, str]) -> set[str]:
        response = await http.get("/api/v1/employees", headers=headers)
        assert response.status_code == 200
        return {e["_id"] for e in response.json()["data"]}

    async def requested(headers: dict[str, str]) -> set[str]:
        window = {"from": "2025-03-01", "to": "2025-03-31", "limit": "100"}
        response = await http.get("/api/v1/time-off/requests", params=window, headers=headers)
        assert response.status_code == 200
        return {r["_userId"] for r in response.json()["data"]}

    for session in (b, b_readonly):
        assert b_only in await employees(session)
        assert a_only not in await employees(session)
        assert await requested(session) == {b_only}
    assert a_only in await employees(a)
    assert b_only not in await employees(a)
    assert await requested(a) == {a_only}

    def set_balance(employee: str) -> str:
        return f"/api/v1/time-off/set-balance/{vacation}/{employee}"

    async def balance(tenant: str) -> Any:
        response = await http.get(
            f"/_emulator/balances/{vacation}/{ana}", params={"tenant": tenant}
        )
        assert response.status_code == 200
        return response.json()["balance"]

    b_before = await balance(B)
    changed = await http.put(set_balance(ana), json={"balance": 12}, headers=a)
    assert changed.status_code == 200
    assert await balance(A) == 12
    assert await balance(B) == b_before
    after_a = await t.states()
    assert after_a[B]["history"] == []

    # B cannot touch A's own employee; B's write to its own copy stays in B.
    refused = await http.put(set_balance(a_only), json={"balance": 1}, headers=b)
    assert refused.status_code == 404
    own = await http.put(set_balance(ana), json={"balance": 3}, headers=b)
    assert own.status_code == 200
    assert own.json()["balance"] == 3
    states = await t.states()
    assert states[A] == after_a[A]
    assert await balance(A) == 12
    assert await balance(B) == 3
    assert len(states[B]["history"]) == 1
    # A cannot touch B's own employee either.
    assert (await http.put(set_balance(b_only), json={"balance": 1}, headers=a)).status_code == 404
