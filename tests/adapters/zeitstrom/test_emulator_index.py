"""The Zeitstrom emulator's ledger index: a request filtered by `employee_ids` answers exactly
what the unfiltered one answers for those employees (same rows, same order), after every kind
of change (POST, PUT moving a transaction to another employee and date, DELETE, a state loaded
through the admin API, a list changed behind the index's back), so the index cannot go stale."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.zeitstrom.emulator import (
    ANNA,
    JONAS,
    Employee,
    Transaction,
    ZeitstromEmulator,
    ZeitstromState,
)
from balance_gateway.adapters.zeitstrom.models import Source

TOKEN = "index-test-token"
LIST = "/api/v2/timestamps/absence-transactions/"
AGG = LIST + "aggregate/"
PEOPLE = [f"p{n:02d}" for n in range(12)]
SUBSETS = [[ANNA], [JONAS, "p03"], PEOPLE[::3], [*PEOPLE, ANNA, JONAS], ["nobody"]]


@pytest.fixture
def emulator() -> ZeitstromEmulator:
    emulator = ZeitstromEmulator(EmulatorOptions(token=TOKEN))
    state = emulator.state_for("default")
    for n, person in enumerate(PEOPLE):
        state.add_employee(Employee(id=person, name=f"Person {n}"))
    return emulator


@pytest.fixture
async def http(emulator: ZeitstromEmulator) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=emulator.app)
    headers = {"Authorization": f"Token {TOKEN}"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://emulator", headers=headers
    ) as client:
        yield client


async def _listing(http: httpx.AsyncClient, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every transaction the list answers, walking its pages (small ones: 3 a page)."""
    found: list[dict[str, Any]] = []
    query: dict[str, str] | None = {**params, "limit": "3"}
    url = LIST
    while True:
        response = await http.get(url, params=query)
        assert response.status_code == 200, response.text
        body = response.json()
        found += body["results"]
        if body["next"] is None:
            assert body["count"] == len(found)
            return found
        url, query = body["next"], None


async def _aggregate(http: httpx.AsyncClient, params: dict[str, str]) -> list[dict[str, Any]]:
    response = await http.get(AGG, params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["count"] == len(body["results"])
    return list(body["results"])


async def assert_filtered_reads_match_unfiltered(http: httpx.AsyncClient) -> None:
    window = {"daterange": "2024-01-01|2024-12-31"}
    every_list = await _listing(http, {})
    every_dated = await _listing(http, window)
    every_net = await _aggregate(http, {"balance": "true"})
    every_gross = await _aggregate(http, {"balance": "false"})
    for subset in SUBSETS:
        wanted = set(subset)
        ids = {"employee_ids": "|".join(subset)}

        def mine(rows: list[dict[str, Any]], wanted: set[str] = wanted) -> list[dict[str, Any]]:
            return [r for r in rows if r["employee_id"] in wanted]

        assert await _listing(http, ids) == mine(every_list), subset
        assert await _listing(http, {**ids, **window}) == mine(every_dated), subset
        assert await _aggregate(http, {**ids, "balance": "true"}) == mine(every_net), subset
        assert await _aggregate(http, {**ids, "balance": "false"}) == mine(every_gross), subset


def _credit(employee: str, day: str, amount: str, kind: str = "holiday") -> dict[str, Any]:
    return {
        "employee_id": employee,
        "label": f"credit {employee} {day}",
        "missing_type": kind,
        "date": day,
        "amount": amount,
    }


async def _post(http: httpx.AsyncClient, body: dict[str, Any]) -> str:
    response = await http.post(LIST, json=body)
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def test_filtered_reads_match_the_unfiltered_ones_through_every_change(
    emulator: ZeitstromEmulator, http: httpx.AsyncClient
) -> None:
    await assert_filtered_reads_match_unfiltered(http)  # the seed's ledger

    # Interleaved creates on the same dates: the listing's tie order (creation order) must
    # come out the same whether filtered or not.
    created: list[str] = []
    for round_ in range(3):
        for n, person in enumerate([*PEOPLE, ANNA]):
            kind = "sickness" if n % 4 == 0 else "holiday"
            day = f"2024-0{1 + (n + round_) % 3}-15"
            created.append(await _post(http, _credit(person, day, f"{n + 1}.5", kind)))
    await assert_filtered_reads_match_unfiltered(http)

    # A PUT moving Anna's credit to another employee and an earlier date keeps its creation
    # position; another PUT changes only the amount.
    moved = created[len(PEOPLE)]
    response = await http.put(f"{LIST}{moved}/", json=_credit("p03", "2024-01-02", "4"))
    assert response.status_code == 200, response.text
    response = await http.put(f"{LIST}{created[5]}/", json=_credit(PEOPLE[5], "2024-02-15", "9"))
    assert response.status_code == 200, response.text
    await assert_filtered_reads_match_unfiltered(http)

    # DELETEs, one employee's only transactions among them.
    for gone in created[1 :: len(PEOPLE) + 1]:
        assert (await http.delete(f"{LIST}{gone}/")).status_code == 204
    for gone in created[: len(PEOPLE) * 3 : len(PEOPLE) + 1][1:]:
        await http.delete(f"{LIST}{gone}/")
    await assert_filtered_reads_match_unfiltered(http)


async def test_a_list_changed_behind_the_index_is_noticed(
    emulator: ZeitstromEmulator, http: httpx.AsyncClient
) -> None:
    state = emulator.state_for("default")
    await assert_filtered_reads_match_unfiltered(http)  # the index is built
    state.transactions.append(
        Transaction(
            id="appended",
            employee_id=JONAS,
            missing_type="holiday",
            date=date(2024, 1, 1),
            amount=Decimal(1),
            source=Source.MANUAL,
        )
    )
    await assert_filtered_reads_match_unfiltered(http)
    assert [r["id"] for r in await _listing(http, {"employee_ids": JONAS})][1] == "appended"
    state.employees.append(Employee(id="late", name="Late Joiner"))
    # The employee appended directly can be written for (the POST's employee check).
    await _post(http, _credit("late", "2024-03-01", "2"))
    assert len(await _listing(http, {"employee_ids": "late"})) == 1

    # A whole list replaced, then a state loaded through the admin API.
    state.transactions = [tx for tx in state.transactions if tx.employee_id != ANNA]
    await assert_filtered_reads_match_unfiltered(http)
    assert await _listing(http, {"employee_ids": ANNA}) == []
    loaded = ZeitstromState.model_validate(emulator.dump_state()["tenants"]["default"])
    loaded.transactions.reverse()  # creation order differs from the old one's
    assert (await http.put("/_emulator/state", json=loaded.model_dump(mode="json"))).is_success
    await assert_filtered_reads_match_unfiltered(http)
