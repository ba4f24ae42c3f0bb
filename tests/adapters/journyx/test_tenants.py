"""Tenants in Journyx's emulator, over its own API by hand (the admin user's API key (HTTP Basic,
or a login password)): one tenant's credential can neither read nor write another's data (see
`tests/stress/_tenants.py`; the adapter-level check over every vendor is
`tests/stress/test_tenants.py`)."""

from __future__ import annotations

from typing import Any

import httpx

from balance_gateway.adapters.journyx.client import ACCRUALS_PATH, SESSION_COOKIE
from tests.stress._tenants import A_TOKEN, B_TOKEN, A, B, Tenants, two_tenants


async def test_one_tenant_cannot_read_or_write_another() -> None:
    async with two_tenants("journyx") as t:
        await _scenario(t)


async def _scenario(t: Tenants) -> None:
    http = t.http
    a = httpx.BasicAuth("admin", A_TOKEN)
    b = httpx.BasicAuth("admin", B_TOKEN)
    seed = "64BBA147B9AC41D9978062300826C89F"  # the sample's first accrual, in both tenants
    sick_pay = "8F2B0F3C30F2F0FB26C7B5C61443E7E8"

    async def hours(accrual: str, **auth: Any) -> Any:
        response = await http.get(f"{ACCRUALS_PATH}/{accrual}", **auth)
        assert response.status_code == 200
        return response.json()["results"]["hours_left"]

    async def listed(**auth: Any) -> set[str]:
        response = await http.get(ACCRUALS_PATH, params={"$top": 1000}, **auth)
        assert response.status_code == 200
        return {r["id"] for r in response.json()["results"]}

    b_seed = await hours(seed, auth=b)
    changed = await http.patch(f"{ACCRUALS_PATH}/{seed}", json={"hours_left": 77.25}, auth=a)
    assert changed.status_code == 200
    made = await http.post(
        ACCRUALS_PATH,
        json={"pname": "Sick", "pay_type_ids": [sick_pay], "hours_left": 5},
        auth=a,
    )
    assert made.status_code == 201
    a_id = made.json()["results"]["id"]
    after_a = await t.states()

    # B reads its own copy of the seed accrual, not A's change; A's new accrual is not there.
    assert await hours(seed, auth=b) == b_seed
    assert await hours(seed, auth=a) == 77.25
    assert a_id in await listed(auth=a)
    assert a_id not in await listed(auth=b)
    assert (await http.get(f"{ACCRUALS_PATH}/{a_id}", auth=b)).status_code == 404
    patch = {"hours_left": 1}
    assert (await http.patch(f"{ACCRUALS_PATH}/{a_id}", json=patch, auth=b)).status_code == 404
    assert (await http.delete(f"{ACCRUALS_PATH}/{a_id}", auth=b)).status_code == 404
    # B's write to its own copy lands in B's state only.
    own = await http.patch(f"{ACCRUALS_PATH}/{seed}", json={"hours_left": 11}, auth=b)
    assert own.status_code == 200
    states = await t.states()
    assert states[A] == after_a[A]
    assert states[B]["accruals"][seed]["hours_left"] == "11"
    assert states[A]["accruals"][seed]["hours_left"] == "77.25"

    # Sessions: the login password is the API key; the cookie belongs to that tenant.
    async def session(password: str) -> dict[str, str]:
        response = await http.post("/login", json={"username": "admin", "password": password})
        assert response.status_code == 200
        value = response.cookies[SESSION_COOKIE]
        http.cookies.clear()  # sent by hand below, never from the client's jar
        return {"Cookie": f"{SESSION_COOKIE}={value}"}

    session_a, session_b = await session(A_TOKEN), await session(B_TOKEN)
    assert await hours(seed, headers=session_a) == 77.25
    assert await hours(seed, headers=session_b) == 11
    assert a_id in await listed(headers=session_a)
    assert a_id not in await listed(headers=session_b)
    gone = await http.delete(f"{ACCRUALS_PATH}/{a_id}", headers=session_b)
    assert gone.status_code == 404
    assert (await t.states())[A] == states[A]
