"""Tenants in Zeitstrom's emulator, over its own API by hand (static `Token` keys): one tenant's
credential can neither read nor write another's data (see `tests/stress/_tenants.py`; the
adapter-level check over every vendor is `tests/stress/test_tenants.py`)."""

from __future__ import annotations

from typing import Any

from balance_gateway.adapters.zeitstrom.client import AGGREGATE_PATH, TRANSACTIONS_PATH
from balance_gateway.adapters.zeitstrom.emulator import ANNA
from tests.stress._tenants import A_TOKEN, B_TOKEN, A, B, Tenants, two_tenants


async def test_one_tenant_cannot_read_or_write_another() -> None:
    async with two_tenants("zeitstrom") as t:
        await _scenario(t)


async def _scenario(t: Tenants) -> None:
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
