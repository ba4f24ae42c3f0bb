"""`GET /_emulator/balances`: every emulator tells its balances in canonical terms, by its
vendor's own arithmetic, so tests and benchmarks never re-derive them from vendor state."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.registry import build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator

TOKEN = "balances-token"
CREDENTIALS = {
    "bezala": {"token": TOKEN},
    "companyflow": {"email": "maria.manager@example.com", "password": TOKEN},
    "journyx": {"username": "admin", "api_key": TOKEN},
    "zeitstrom": {"token": TOKEN},
}
AS_OF = {"companyflow": date(2025, 6, 1)}  # its sample balances are of 2025


async def admin_balances(app: Any, **params: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        response = await http.get("/_emulator/balances", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_emulator_answers_the_admin_read() -> None:
    assert set(available_vendors()) >= {"bezala", "companyflow", "journyx", "kenjo", "zeitstrom"}


@pytest.mark.parametrize("vendor", sorted(CREDENTIALS))
async def test_the_admin_read_agrees_with_what_the_adapter_reads(vendor: str) -> None:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    as_of = AS_OF.get(vendor, date.today())
    body = await admin_balances(emulator.app, as_of=as_of.isoformat())
    shown = {(b["employee"], b["leave_type"]): b for b in body["balances"]}
    assert shown, f"{vendor}'s sample data has no balance"
    adapter = build_adapter(
        vendor,
        AdapterConfig(
            system=vendor,
            base_url="http://emulator",
            credentials={k: Secret(v) for k, v in CREDENTIALS[vendor].items()},
            transport=httpx.ASGITransport(app=emulator.app),
        ),
    )
    employees = sorted({employee for employee, _type in shown})
    read = await adapter.read_balances(employees, [], as_of)
    await adapter.aclose()
    assert {(b.employee.id, b.leave_type.id) for b in read} == set(shown)
    for balance in read:
        admin = shown[(balance.employee.id, balance.leave_type.id)]
        assert Decimal(admin["remaining"]) == balance.remaining
        assert admin["unit"] == balance.unit.value


async def test_kenjo_remaining_is_allowance_minus_taken() -> None:
    emulator = build_emulator("kenjo", EmulatorOptions(token=TOKEN))
    (state,) = emulator.tenants.values()
    body = await admin_balances(emulator.app)
    shown = {(b["employee"], b["leave_type"]): b for b in body["balances"]}
    assert len(shown) == len(state.assignments)
    for a in state.assignments:
        b = shown[(a.employee_id, a.time_off_type_id)]
        assert Decimal(b["remaining"]) == a.total_allowance - a.taken
        assert Decimal(b["pending"]) == a.planned


async def test_zeitstrom_as_of_counts_later_absences_as_pending_and_later_credits_not() -> None:
    emulator = build_emulator("zeitstrom", EmulatorOptions(token=TOKEN))
    employee = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    # The sample ledger: a credit of 30 on 2024-01-01, absences of 5 (2024-06-10) and 3
    # (2024-10-14). As of 2024-07-01 the October absence is planned, not taken.
    body = await admin_balances(emulator.app, as_of="2024-07-01")
    holiday = next(
        b for b in body["balances"] if (b["employee"], b["leave_type"]) == (employee, "holiday")
    )
    assert (holiday["entitled"], holiday["used"], holiday["pending"]) == ("30.0", "5.0", "3.0")
    assert Decimal(holiday["remaining"]) == 25
    before = await admin_balances(emulator.app, as_of="2023-12-31")
    early = next(
        b for b in before["balances"] if (b["employee"], b["leave_type"]) == (employee, "holiday")
    )
    assert Decimal(early["entitled"]) == 0  # the 2024 credit is not in effect yet


async def test_bezala_as_of_ignores_later_imports_and_dates_the_figure() -> None:
    emulator = build_emulator("bezala", EmulatorOptions(token=TOKEN))
    body = await admin_balances(emulator.app, as_of="2025-03-20")
    shown = {(b["employee"], b["leave_type"]): b for b in body["balances"]}
    # The vacation import of 2025-03-31 is later: only the work_time one of 2025-03-15 counts.
    assert set(shown) == {("819", "work_time")}
    assert shown[("819", "work_time")]["as_of"] == "2025-03-15"


async def test_bad_input_to_the_admin_read_is_a_4xx() -> None:
    emulator = build_emulator("journyx", EmulatorOptions(token=TOKEN))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        assert (await http.get("/_emulator/balances", params={"as_of": "soon"})).status_code == 400
        assert (await http.get("/_emulator/balances", params={"tenant": "x"})).status_code == 404
