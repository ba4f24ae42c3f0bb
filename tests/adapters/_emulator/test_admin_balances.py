"""`GET /_emulator/balances`: every emulator tells its balances in canonical terms, by its
vendor's own arithmetic, so tests and benchmarks never re-derive them from vendor state."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig
from balance_gateway.adapters._core.registry import VENDORS, build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, available_vendors, build_emulator
from balance_gateway.adapters._emulator.conformance import conformance_case
from tests.stress._vendors import capabilities

TOKEN = "balances-token"
# The vendors an adapter can read from, with the credentials and date of their conformance
# case (the date its sample data is of).
READABLE = sorted(v for v in available_vendors() if capabilities(v).can_read)


async def admin_balances(app: Any, **params: str) -> dict[str, Any]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        response = await http.get("/_emulator/balances", params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_every_emulator_answers_the_admin_read() -> None:
    assert set(available_vendors()) >= set(VENDORS)


@pytest.mark.parametrize("vendor", READABLE)
async def test_the_admin_read_agrees_with_what_the_adapter_reads(vendor: str) -> None:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    case = conformance_case(vendor)
    as_of = case.as_of
    body = await admin_balances(emulator.app, as_of=as_of.isoformat())
    shown = {(b["employee"], b["leave_type"]): b for b in body["balances"]}
    assert shown, f"{vendor}'s sample data has no balance"
    adapter = build_adapter(
        vendor,
        AdapterConfig(
            system=vendor,
            base_url="http://emulator",
            credentials={k: Secret(v) for k, v in case.credentials(TOKEN).items()},
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


@pytest.mark.parametrize("vendor", available_vendors())
async def test_bad_input_to_the_admin_read_is_a_4xx(vendor: str) -> None:
    emulator = build_emulator(vendor, EmulatorOptions(token=TOKEN))
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
        assert (await http.get("/_emulator/balances", params={"as_of": "soon"})).status_code == 400
        assert (await http.get("/_emulator/balances", params={"tenant": "x"})).status_code == 404
