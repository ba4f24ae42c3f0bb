"""Tenants in Bezala's emulator, over its own API by hand (static Bearer tokens, and login users in
each tenant's state): one tenant's credential can neither read nor write another's data (see
`tests/stress/_tenants.py`; the adapter-level check over every vendor is
`tests/stress/test_tenants.py`)."""

from __future__ import annotations

import copy
from typing import Any

from tests.stress._tenants import A_TOKEN, B_TOKEN, A, B, Tenants, two_tenants


async def test_one_tenant_cannot_read_or_write_another() -> None:
    async with two_tenants("bezala") as t:
        await _scenario(t)


async def _scenario(t: Tenants) -> None:
    http = t.http
    # Each tenant's login user has its own password (the same e-mail in both: a login reaches
    # the tenant whose user it matches).
    b_state = copy.deepcopy((await t.states())[B])
    for user in b_state["users"]:
        if user["id"] == 42:
            user["password"] = "tenant-b-password"
    await t.load(B, b_state)
    a = {"Authorization": f"Bearer {A_TOKEN}"}
    b = {"Authorization": f"Bearer {B_TOKEN}"}
    user = 819
    path = f"/api/users/{user}/time_balances"

    async def records(headers: dict[str, str]) -> dict[int, dict[str, Any]]:
        response = await http.get(path, params={"per_page": 100}, headers=headers)
        assert response.status_code == 200
        return {r["id"]: r for r in response.json()["collection"]}

    async def latest(headers: dict[str, str]) -> Any:
        response = await http.get(
            f"{path}/latest", params={"balance_type": "vacation"}, headers=headers
        )
        assert response.status_code == 200
        return response.json()["value"]

    b_latest = await latest(b)
    body = {"time_balance": {"balance_type": "vacation", "date": "2025-06-30", "value": 12.5}}
    made = await http.post(path, json=body, headers=a)
    assert made.status_code == 201
    a_id = made.json()["id"]
    assert a_id in await records(a)
    assert await latest(a) == 12.5
    after_a = await t.states()

    assert a_id not in await records(b)
    assert await latest(b) == b_latest
    assert (await http.delete(f"{path}/{a_id}", headers=b)).status_code == 404
    own_body = {"time_balance": {"balance_type": "vacation", "date": "2025-07-31", "value": 1}}
    own = await http.post(path, json=own_body, headers=b)
    assert own.status_code == 201
    states = await t.states()
    assert states[A] == after_a[A]
    assert len(states[B]["time_balances"]) == len(after_a[B]["time_balances"]) + 1
    assert await latest(a) == 12.5

    # Sessions: a login with each tenant's password belongs to that tenant.
    async def login(password: str) -> dict[str, str]:
        response = await http.post(
            "/api/auth/token", json={"email": "admin@example.com", "password": password}
        )
        assert response.status_code == 200
        return {"Authorization": f"Bearer {response.json()['token']}"}

    session_a, session_b = await login("demo-password"), await login("tenant-b-password")
    assert await latest(session_a) == 12.5
    assert await latest(session_b) == 1
    assert a_id in await records(session_a)
    assert set(await records(session_b)) == set(await records(b))
    session_import = {
        "time_balance": {"balance_type": "work_time", "date": "2025-08-01", "value": 30}
    }
    before = await t.states()
    assert (await http.post(path, json=session_import, headers=session_b)).status_code == 201
    states = await t.states()
    assert states[A] == before[A]
    assert len(states[B]["time_balances"]) == len(before[B]["time_balances"]) + 1
