"""Tenants, for every registered vendor: through its adapter, one tenant's credential can
neither read nor write another's data.

Each emulator is built with two tenants (`tests/stress/_tenants.py`): A, the default tenant,
and B, each with a credential of its own; the adapters get the credentials the vendor's
conformance case gives for each (`adapters/<vendor>/conformance.py`). A's adapter reads only
A's balances and B's only B's (each as the admin read `GET /_emulator/balances` shows that
tenant); A's write changes A's state and leaves B's whole state (`GET /_emulator/state`) as it
was; B's write then lands in B's state only. Nothing here names a vendor.

How each vendor tells tenants apart at its own API (a static token, a login that issues a
session, a password, an API key sent as HTTP Basic), request by request, is in its own folder:
`tests/adapters/<vendor>/test_tenants.py`.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig, BalanceAdapter, WriteIntent
from balance_gateway.adapters._core.registry import build_adapter, known_vendors
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator.conformance import ConformanceCase, conformance_case
from balance_gateway.canonical import EmployeeRef, LeaveTypeRef, Quantity
from tests.stress._tenants import A_TOKEN, B_TOKEN, A, B, Tenants, two_tenants

TESTS = Path(__file__).resolve().parents[1]
RETRY = RetryPolicy(max_attempts=2, backoff_initial=0, jitter=0, max_total_seconds=5)


def _adapter(case: ConformanceCase, t: Tenants, token: str) -> BalanceAdapter:
    config = AdapterConfig(
        system=f"{case.vendor}-tenants",
        base_url="http://emulator",
        credentials={k: Secret(v) for k, v in case.credentials(token).items()},
        options=dict(case.options),
        transport=httpx.ASGITransport(app=t.emulator.app),
        retry=RETRY,
    )
    return build_adapter(case.vendor, config)


def _intent(case: ConformanceCase, adapter: BalanceAdapter, op: str) -> WriteIntent:
    assert case.write_value is not None
    return WriteIntent(
        operation_id=op,
        run_id="tenants-run",
        employee=EmployeeRef(adapter.system, case.employee),
        leave_type=LeaveTypeRef(adapter.system, case.leave_type),
        remaining=Quantity(case.write_value, adapter.target_unit(case.leave_type).unit),
        as_of=case.as_of,
        source="tenants-source",
    )


async def _held(t: Tenants, case: ConformanceCase, tenant: str) -> Decimal | None:
    """What `tenant` holds for the case's balance (the emulator's admin read)."""
    response = await t.http.get(
        "/_emulator/balances", params={"tenant": tenant, "as_of": case.as_of.isoformat()}
    )
    response.raise_for_status()
    for balance in response.json()["balances"]:
        if (balance["employee"], balance["leave_type"]) == (case.employee, case.leave_type):
            return Decimal(balance["remaining"])
    return None


async def _read(case: ConformanceCase, adapter: BalanceAdapter) -> list[Decimal | None]:
    found = await adapter.read_balances([case.employee], [case.leave_type], case.as_of)
    return [b.remaining for b in found]


def _as_read(value: Decimal | None) -> list[Decimal | None]:
    return [] if value is None else [value]


def test_every_vendor_with_tests_of_its_own_has_a_tenant_scenario() -> None:
    for vendor in known_vendors():
        folder = TESTS / "adapters" / vendor
        if folder.is_dir():
            assert (folder / "test_tenants.py").is_file(), f"{vendor}: no tenant scenario"


@pytest.mark.parametrize("vendor", known_vendors())
async def test_one_tenant_cannot_read_or_write_another_through_the_adapter(vendor: str) -> None:
    case = conformance_case(vendor)
    async with two_tenants(vendor) as t:
        a, b = _adapter(case, t, A_TOKEN), _adapter(case, t, B_TOKEN)
        try:
            await _check(case, t, a, b)
        finally:
            await a.aclose()
            await b.aclose()


async def _check(case: ConformanceCase, t: Tenants, a: BalanceAdapter, b: BalanceAdapter) -> None:
    can_read, can_write = a.capabilities.can_read, a.capabilities.can_write
    before: dict[str, Any] = await t.states()
    held_b = await _held(t, case, B)
    if can_read:
        assert await _read(case, a) == _as_read(await _held(t, case, A))
        assert await _read(case, b) == _as_read(held_b)
    if not can_write or case.write_value is None:
        assert await t.states() == before  # reading changed nothing, in either tenant
        return

    # A's write: A's balance changes, B's whole state does not.
    await a.apply_write(_intent(case, a, "tenants-op-a"))
    after_a = await t.states()
    assert after_a[A] != before[A]
    assert after_a[B] == before[B]
    assert await _held(t, case, A) == case.write_value
    assert await _held(t, case, B) == held_b
    if can_read:
        assert await _read(case, b) == _as_read(held_b)

    # B's write lands in B only.
    await b.apply_write(_intent(case, b, "tenants-op-b"))
    after_b = await t.states()
    assert after_b[A] == after_a[A]
    assert after_b[B] != before[B]
    assert await _held(t, case, B) == case.write_value
    if can_read:
        assert await _read(case, a) == [case.write_value]
