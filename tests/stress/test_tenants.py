"""Tenants: in every emulator, one tenant's credential can neither read nor write another's data.

Each emulator is built with two tenants: A, the default tenant, whose credential is
`tenant-a-token`, and B (`tenant-b-token`). What the credential is depends on the vendor:

    bezala       a static Bearer token (and login users of each tenant's own state)
    companyflow  the password of the tenant's users, exchanged at login for a JWT
    journyx      the API key of the tenant's `admin` user: HTTP Basic, or a login password
                 that gives a `wtsession` cookie
    kenjo        the API key exchanged at login for a session token
    zeitstrom    a static `Token` key

Each scenario changes A's data through the vendor API with A's credential (or, where the API
cannot write, through the admin API), then shows that B's credential does not see the change,
cannot change or delete A's records, and that B's own writes land in B's state only: the admin
API's `GET /_emulator/state` is compared tenant by tenant. Sessions issued by a login belong to
the tenant of the credential that logged in, and never see the other.

Everything runs in process (`httpx.ASGITransport`); the credentials are sent by hand, so each
request shows exactly which tenant it speaks for.
"""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi.routing import APIRoute

from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters._emulator.base import DEFAULT_TENANT, Emulator
from balance_gateway.adapters.companyflow.emulator import (
    ANNUAL_LEAVE_ID,
    COMPANY_ID,
    SEED_EMPLOYEE_ID,
)
from balance_gateway.adapters.journyx.client import ACCRUALS_PATH, SESSION_COOKIE
from balance_gateway.adapters.zeitstrom.client import AGGREGATE_PATH, TRANSACTIONS_PATH
from balance_gateway.adapters.zeitstrom.emulator import ANNA

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


Scenario = Callable[[Tenants], Awaitable[None]]
SCENARIOS: dict[str, Scenario] = {}


def scenario(vendor: str) -> Callable[[Scenario], Scenario]:
    def register(function: Scenario) -> Scenario:
        SCENARIOS[vendor] = function
        return function

    return register


def test_every_emulator_has_a_tenant_scenario() -> None:
    assert sorted(SCENARIOS) == available_vendors()


@pytest.mark.parametrize("vendor", available_vendors())
async def test_one_tenant_cannot_read_or_write_another(vendor: str) -> None:
    emulator = build_emulator(vendor, EmulatorOptions(token=A_TOKEN, tenants={B_TOKEN: B}))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        await SCENARIOS[vendor](Tenants(emulator, http))


# -- zeitstrom: static `Token` keys -------------------------------------------------------------


@scenario("zeitstrom")
async def _zeitstrom(t: Tenants) -> None:
    a = {"Authorization": f"Token {A_TOKEN}"}
    b = {"Authorization": f"Token {B_TOKEN}"}
    http = t.http

    async def transactions(headers: dict[str, str]) -> dict[str, dict[str, Any]]:
        response = await http.get(
            TRANSACTIONS_PATH, params={"employee_ids": ANNA, "limit": 1000}, headers=headers
        )
        assert response.status_code == 200
        return {tx["id"]: tx for tx in response.json()["results"]}

    async def holiday(headers: dict[str, str]) -> float:
        response = await http.get(
            AGGREGATE_PATH, params={"employee_ids": ANNA, "balance": "true"}, headers=headers
        )
        assert response.status_code == 200
        rows = response.json()["results"]
        return float(next(r["balance"] for r in rows if r["missing_type"] == "holiday"))

    b_holiday = await holiday(b)
    credit = {"employee_id": ANNA, "missing_type": "holiday", "date": "2025-05-05", "amount": 4}
    made = await http.post(TRANSACTIONS_PATH, json={**credit, "label": "A only"}, headers=a)
    assert made.status_code == 201
    a_id = made.json()["id"]
    assert a_id in await transactions(a)
    assert await holiday(a) == b_holiday + 4
    after_a = await t.states()

    # B does not see A's transaction, nor its effect on the balance.
    assert a_id not in await transactions(b)
    assert all(tx["label"] != "A only" for tx in (await transactions(b)).values())
    assert await holiday(b) == b_holiday
    # B cannot change or delete it.
    changed = await http.put(f"{TRANSACTIONS_PATH}{a_id}/", json=credit, headers=b)
    assert changed.status_code == 404
    assert (await http.delete(f"{TRANSACTIONS_PATH}{a_id}/", headers=b)).status_code == 404
    # B's own credit lands in B's state only.
    own = await http.post(TRANSACTIONS_PATH, json={**credit, "label": "B only"}, headers=b)
    assert own.status_code == 201
    b_id = own.json()["id"]
    states = await t.states()
    assert states[A] == after_a[A]
    assert [tx["id"] for tx in states[B]["transactions"]] == [
        *(tx["id"] for tx in after_a[B]["transactions"]),
        b_id,
    ]
    # And A cannot reach B's.
    assert b_id not in await transactions(a)
    assert (await http.delete(f"{TRANSACTIONS_PATH}{b_id}/", headers=a)).status_code == 404
    assert (await t.states())[B] == states[B]


# -- bezala: static Bearer tokens, and login users in each tenant's state ------------------------


@scenario("bezala")
async def _bezala(t: Tenants) -> None:
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


# -- companyflow: the tenant's password, exchanged for a JWT ------------------------------------


@scenario("companyflow")
async def _companyflow(t: Tenants) -> None:
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


# -- journyx: the admin user's API key (HTTP Basic, or a login password) -------------------------


@scenario("journyx")
async def _journyx(t: Tenants) -> None:
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


# -- kenjo: an API key exchanged at login for a session token -----------------------------------


@scenario("kenjo")
async def _kenjo(t: Tenants) -> None:
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
