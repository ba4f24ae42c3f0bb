"""One conformance suite for every adapter, parametrized over the registry (as the contract
suite is, and the Singer SDK's reusable tap tests): each vendor supplies only its small case,
`adapters/<vendor>/conformance.py`.

Against the vendor's in-process emulator: read; plan, apply, confirm; re-applying is a skip;
an unknown outcome is resolved by reading back; tenants never mix; secrets never leak, by the
usual credentials or by the vendor's other login (its case's `secrets.login`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import httpx
import pytest
from structlog.testing import capture_logs

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    BalanceAdapter,
    Confirmation,
    OperationKind,
    WriteIntent,
)
from balance_gateway.adapters._core.discovery import Discovery
from balance_gateway.adapters._core.errors import AuthenticationError, GatewayError
from balance_gateway.adapters._core.registry import build_adapter
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import (
    Emulator,
    EmulatorOptions,
    FaultConfig,
    available_vendors,
    build_emulator,
)
from balance_gateway.adapters._emulator.conformance import ConformanceCase, conformance_case
from balance_gateway.canonical import Balance, EmployeeRef, LeaveTypeRef, Quantity, WorkSchedule
from balance_gateway.gateway.journal import LastWritten
from balance_gateway.gateway.plan import current_from_last_written

A_TOKEN = "conformance-secret-a-7f3e9c"
B_TOKEN = "conformance-secret-b-1d4a6b"
WRITES = {OperationKind.SET, OperationKind.IMPORT, OperationKind.CREDIT, OperationKind.REDUCE}
# Retries on (as in a sync), but without waiting.
RETRY = RetryPolicy(max_attempts=2, backoff_initial=0, jitter=0, max_total_seconds=5)


@dataclass
class Setup:
    case: ConformanceCase
    emulator: Emulator[Any]
    adapter: BalanceAdapter

    def adapter_for(self, token: str) -> BalanceAdapter:
        return _adapter(self.case, self.emulator, token)

    def intent(self, value: Decimal, op: str = "conformance-op-1") -> WriteIntent:
        unit = self.adapter.target_unit(self.case.leave_type).unit
        return WriteIntent(
            operation_id=op,
            run_id="conformance-run",
            employee=EmployeeRef(self.adapter.system, self.case.employee),
            leave_type=LeaveTypeRef(self.adapter.system, self.case.leave_type),
            remaining=Quantity(value, unit),
            as_of=self.case.as_of,
            source="conformance-source",
        )

    async def read(self) -> Balance | None:
        found = await self.adapter.read_balances(
            [self.case.employee], [self.case.leave_type], self.case.as_of
        )
        return next(iter(found), None)

    async def held(self, tenant: str = "default") -> Decimal | None:
        """What the emulator holds for the case's balance (its own admin read)."""
        transport = httpx.ASGITransport(app=self.emulator.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as http:
            response = await http.get(
                "/_emulator/balances",
                params={"tenant": tenant, "as_of": self.case.as_of.isoformat()},
            )
        for balance in response.json()["balances"]:
            if (balance["employee"], balance["leave_type"]) == (
                self.case.employee,
                self.case.leave_type,
            ):
                return Decimal(balance["remaining"])
        return None


def _adapter(
    case: ConformanceCase,
    emulator: Emulator[Any],
    token: str,
    credentials: Callable[[str], dict[str, str]] | None = None,
) -> BalanceAdapter:
    """The case's adapter for the tenant of `token`, by the case's credentials (or by
    `credentials`, e.g. the vendor's other login)."""
    given = (credentials or case.credentials)(token)
    config = AdapterConfig(
        system=f"{case.vendor}-under-test",
        base_url="http://emulator",
        credentials={k: Secret(v) for k, v in given.items()},
        options=dict(case.options),
        transport=httpx.ASGITransport(app=emulator.app),
        retry=RETRY,
    )
    return build_adapter(case.vendor, config)


@pytest.fixture(params=available_vendors())
async def setup(request: pytest.FixtureRequest) -> AsyncIterator[Setup]:
    case = conformance_case(request.param)
    emulator = build_emulator(case.vendor, EmulatorOptions(token=A_TOKEN, tenants={B_TOKEN: "b"}))
    adapter = _adapter(case, emulator, A_TOKEN)
    yield Setup(case, emulator, adapter)
    await adapter.aclose()


async def _writes(setup: Setup) -> Decimal | None:
    """The case's write value; None for a read-only vendor, whose adapter must then refuse
    every write (checked here)."""
    if setup.adapter.capabilities.can_write:
        assert setup.case.write_value is not None, "a writable vendor's case needs a write_value"
        return setup.case.write_value
    intent = setup.intent(Decimal(1))
    with pytest.raises(NotImplementedError):
        await setup.adapter.plan_write(intent, None)
    with pytest.raises(NotImplementedError):
        await setup.adapter.apply_write(intent)
    return None


def test_every_registered_vendor_has_a_case() -> None:
    for vendor in available_vendors():
        assert conformance_case(vendor).vendor == vendor


async def test_reads_the_sample_balance_in_its_unit(setup: Setup) -> None:
    if not setup.adapter.capabilities.can_read:
        with pytest.raises(NotImplementedError):
            await setup.read()
        return
    balance = await setup.read()
    assert balance is not None
    assert balance.remaining is not None
    assert balance.unit is setup.adapter.target_unit(setup.case.leave_type).unit
    assert balance.remaining == await setup.held()


async def test_plan_apply_confirm_then_reapplying_is_a_skip(setup: Setup) -> None:
    value = await _writes(setup)
    if value is None:
        return
    intent = setup.intent(value)
    current = await setup.read() if setup.adapter.capabilities.can_read else None
    planned = await setup.adapter.plan_write(intent, current)
    assert planned.kind in WRITES, planned
    outcome = await setup.adapter.apply_write(intent)
    assert outcome.kind in WRITES
    assert await setup.held() == value
    expected = (
        Confirmation.UNKNOWN
        if setup.adapter.capabilities.remembers_writes
        else Confirmation.APPLIED
    )
    assert await setup.adapter.confirm_write(intent) is expected
    # Planned again with what the target now holds (or, write-only, what was written).
    if setup.adapter.capabilities.can_read:
        after = await setup.read()
    else:
        after = current_from_last_written(
            LastWritten(
                system=intent.employee.system,
                employee=intent.employee.id,
                leave_type=intent.leave_type.id,
                value=value,
                unit=intent.remaining.unit,
                operation_id=intent.operation_id,
                at=datetime.now(UTC),
            ),
            intent.employee,
            intent.leave_type,
            setup.adapter.target_unit(setup.case.leave_type),
            WorkSchedule(Decimal(8)),
            intent.as_of,
        )
    again = await setup.adapter.plan_write(setup.intent(value, "conformance-op-2"), after)
    assert again.kind is OperationKind.SKIP


async def test_a_write_whose_answer_is_lost_is_resolved_by_reading_back(setup: Setup) -> None:
    value = await _writes(setup)
    if value is None:
        return
    # Logged in first: the fault is the write's, not the login's. A DELETE (Bezala's replace
    # deletes before it posts) goes through, so that the write itself is what is lost.
    assert isinstance(setup.adapter, Discovery)
    await setup.adapter.check_connection()
    setup.emulator.faults.configure(
        FaultConfig(apply_then_fail_rate=1, methods=["POST", "PUT", "PATCH"])
    )
    intent = setup.intent(value)
    with pytest.raises(GatewayError):
        await setup.adapter.apply_write(intent)
    setup.emulator.faults.configure(FaultConfig())
    assert await setup.held() == value  # the emulator applied it, then failed the answer
    confirmation = await setup.adapter.confirm_write(intent)
    if setup.adapter.capabilities.remembers_writes:
        assert confirmation is Confirmation.UNKNOWN  # it cannot tell: the engine forgets
    else:
        assert confirmation is Confirmation.APPLIED


async def test_a_tenant_never_sees_or_changes_another(setup: Setup) -> None:
    before = await setup.held("b")
    other = setup.adapter_for(B_TOKEN)
    try:
        if setup.case.write_value is not None and setup.adapter.capabilities.can_write:
            await setup.adapter.apply_write(setup.intent(setup.case.write_value))
            assert await setup.held("b") == before
        if setup.adapter.capabilities.can_read:
            seen = await other.read_balances(
                [setup.case.employee], [setup.case.leave_type], setup.case.as_of
            )
            assert [b.remaining for b in seen] == ([] if before is None else [before])
    finally:
        await other.aclose()


async def test_credentials_never_reach_a_log_or_an_error(setup: Setup) -> None:
    wrong = setup.adapter_for("conformance-wrong-secret-5c2b8a")
    with capture_logs() as events:
        if setup.adapter.capabilities.can_read:
            await setup.read()
        if setup.case.write_value is not None and setup.adapter.capabilities.can_write:
            await setup.adapter.apply_write(setup.intent(setup.case.write_value))
        assert isinstance(wrong, Discovery)
        with pytest.raises(AuthenticationError) as refused:
            await wrong.check_connection()
    await wrong.aclose()
    text = repr(events) + str(refused.value) + repr(refused.value.__dict__)
    assert events, "no request was logged"
    for secret in (A_TOKEN, "conformance-wrong-secret-5c2b8a"):
        assert secret not in text


async def test_the_other_login_never_reaches_a_log_or_an_error(setup: Setup) -> None:
    """The vendor's other login (a password exchanged for a session), where it has one: its
    password and a wrong one are nowhere in the logs or the errors."""
    login = setup.case.secrets.login
    if login is None:
        return
    # The tenant's state, with what that login needs (e.g. a user with that password).
    state = setup.emulator.dump_state()["tenants"]["default"]
    prepared = setup.case.secrets.login_state(state, login(A_TOKEN))
    setup.emulator.load_state(prepared, "default")
    adapter = _adapter(setup.case, setup.emulator, A_TOKEN, login)
    wrong = _adapter(setup.case, setup.emulator, "conformance-wrong-secret-5c2b8a", login)
    with capture_logs() as events:
        assert isinstance(adapter, Discovery)
        await adapter.check_connection()
        if setup.adapter.capabilities.can_read:
            found = await adapter.read_balances(
                [setup.case.employee], [setup.case.leave_type], setup.case.as_of
            )
            assert [b.remaining for b in found] == [await setup.held()]
        assert isinstance(wrong, Discovery)
        with pytest.raises(AuthenticationError) as refused:
            await wrong.check_connection()
    await adapter.aclose()
    await wrong.aclose()
    text = repr(events) + str(refused.value) + repr(refused.value.__dict__)
    assert events, "no request was logged"
    for credentials in (login(A_TOKEN), login("conformance-wrong-secret-5c2b8a")):
        for key, value in credentials.items():
            if "conformance" in value:
                assert value not in text, f"{key} leaked"
