"""A vendor's `Holding` (its demo profile): the emulator state it builds holds exactly the
balances asked for, as the emulator's admin read tells them, and its one-at-a-time client
reads and writes them. The benchmarks build their data and their sequential loop on this."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._emulator import EmulatorOptions, build_emulator
from balance_gateway.adapters._emulator.demo import DemoPerson, Holding, demo_profiles
from balance_gateway.adapters._emulator.inprocess import SyncASGITransport
from balance_gateway.canonical import LeaveKind

HOLDERS = {vendor: p for vendor, p in demo_profiles().items() if p.holding is not None}
BASE_URL = "http://emulator"


def _holding(vendor: str) -> Holding:
    holding = HOLDERS[vendor].holding
    assert holding is not None
    return holding


@pytest.fixture(params=sorted(HOLDERS))
def vendor(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def held(vendor: str) -> tuple[Any, dict[tuple[str, str], Decimal]]:
    """The vendor's emulator app filled by its holding; what it should hold: (employee id,
    leave type id) -> remaining, in the vendor's unit."""
    profile, holding = HOLDERS[vendor], _holding(vendor)
    rng = random.Random(5)
    people = [
        DemoPerson(
            name=f"Person {i}",
            email=f"person{i}@holding.example",
            number=f"H{i}",
            hours_per_day=Decimal("7.5") if i % 2 else Decimal(8),
            ids={vendor: holding.employee_id(rng)},
        )
        for i in range(4)
    ]
    kinds = list(profile.leave_types)
    balances: dict[tuple[str, LeaveKind], Decimal] = {}
    for i, person in enumerate(people):
        for j, kind in enumerate(kinds[: 1 + i % len(kinds)]):  # some hold fewer kinds
            balances[(person.ids[vendor], kind)] = Decimal(3 * i + j) + Decimal("0.25")
    today = datetime.now(UTC).date()
    state = holding.state(rng, people, balances, today)
    app = build_emulator(vendor, EmulatorOptions(token=profile.token)).app
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE_URL) as http:
        http.put("/_emulator/state", json=state).raise_for_status()
    want = {(e, profile.leave_types[kind]): value for (e, kind), value in balances.items()}
    return app, want


def test_its_emulator_tells_exactly_the_balances_asked_for(
    held: tuple[Any, dict[tuple[str, str], Decimal]],
) -> None:
    app, want = held
    with httpx.Client(transport=SyncASGITransport(app), base_url=BASE_URL) as http:
        response = http.get("/_emulator/balances")
    response.raise_for_status()
    got = {
        (b["employee"], b["leave_type"]): Decimal(b["remaining"])
        for b in response.json()["balances"]
    }
    assert got == want


def test_one_at_a_time_reads_each_balance_and_writes_a_higher_one(
    vendor: str, held: tuple[Any, dict[tuple[str, str], Decimal]]
) -> None:
    app, want = held
    client = _holding(vendor).one_at_a_time(BASE_URL, SyncASGITransport(app))
    try:
        for (employee, leave_type), value in want.items():
            assert client.read(employee, leave_type) == value
        (employee, leave_type), value = next(iter(want.items()))
        client.read(employee, leave_type)
        client.write(employee, leave_type, value + Decimal("1.5"))
        assert client.read(employee, leave_type) == value + Decimal("1.5")
    finally:
        client.close()
