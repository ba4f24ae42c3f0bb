"""The Kenjo adapter against the in-process emulator: a write-only SET target."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal

import httpx
import pytest

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    BalanceAdapter,
    Confirmation,
    OperationKind,
    WriteBlocked,
    WriteIntent,
    WriteKind,
)
from balance_gateway.adapters._core.registry import build_adapter as build_any_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.kenjo import CREDENTIAL_KEYS, KenjoAdapter, build_adapter
from balance_gateway.adapters.kenjo.emulator import (
    EMPLOYEE_TAKEN_ID,
    EMPLOYEE_UNASSIGNED_ID,
    OVERTIME_TYPE_ID,
    VACATION_TYPE_ID,
    KenjoEmulator,
)
from balance_gateway.canonical import Balance, EmployeeRef, LeaveTypeRef, Provenance, Quantity, Unit

KEY = "adapter-test-key"


@pytest.fixture
def emulator() -> KenjoEmulator:
    return KenjoEmulator(EmulatorOptions(token=KEY))


def config(emulator: KenjoEmulator, **options: object) -> AdapterConfig:
    return AdapterConfig(
        system="kenjo-test",
        base_url="http://emulator",
        credentials={"api_key": Secret(KEY)},
        options=options,
        transport=httpx.ASGITransport(app=emulator.app),
    )


@pytest.fixture
async def adapter(emulator: KenjoEmulator) -> AsyncIterator[KenjoAdapter]:
    built = build_adapter(config(emulator, type_units={OVERTIME_TYPE_ID: "hours"}))
    yield built
    await built.aclose()


def intent(
    value: str, unit: Unit = Unit.DAYS, type_id: str = VACATION_TYPE_ID,
    employee_id: str = EMPLOYEE_TAKEN_ID,
) -> WriteIntent:  # fmt: skip
    return WriteIntent(
        operation_id="op-1",
        run_id="run-7",
        employee=EmployeeRef("kenjo-test", employee_id),
        leave_type=LeaveTypeRef("kenjo-test", type_id),
        remaining=Quantity.of(value, unit),
        as_of=date(2025, 5, 1),
        source="personio-prod",
    )


def last_written(value: str, unit: Unit = Unit.DAYS) -> Balance:
    return Balance.build(
        employee=EmployeeRef("kenjo-test", EMPLOYEE_TAKEN_ID),
        leave_type=LeaveTypeRef("kenjo-test", VACATION_TYPE_ID),
        unit=unit,
        remaining=Decimal(value),
        as_of=date(2025, 4, 1),
        provenance=Provenance("kenjo-test", None, datetime(2025, 4, 1, tzinfo=UTC)),
    )


def test_declares_a_write_only_set_target(adapter: KenjoAdapter) -> None:
    assert isinstance(adapter, BalanceAdapter)
    caps = adapter.capabilities
    assert (caps.can_read, caps.can_write, caps.write_kind) == (False, True, WriteKind.SET)
    assert caps.remembers_writes is True
    assert CREDENTIAL_KEYS == (("api_key",), ("token",))


async def test_read_balances_is_not_possible(adapter: KenjoAdapter) -> None:
    with pytest.raises(NotImplementedError, match="write-only"):
        await adapter.read_balances([EMPLOYEE_TAKEN_ID], [VACATION_TYPE_ID], date(2025, 5, 1))


def test_target_unit_comes_from_the_type_units_option(adapter: KenjoAdapter) -> None:
    assert adapter.target_unit(OVERTIME_TYPE_ID).unit is Unit.HOURS
    assert adapter.target_unit(VACATION_TYPE_ID).unit is Unit.DAYS
    assert adapter.target_unit(VACATION_TYPE_ID).step is None


@pytest.mark.parametrize("bad", [{"x": "weeks"}, ["days"]])
def test_a_bad_type_units_option_is_refused(emulator: KenjoEmulator, bad: object) -> None:
    with pytest.raises(ValueError, match="type_units"):
        build_adapter(config(emulator, type_units=bad))


@pytest.mark.parametrize(
    ("current", "kind"),
    [(None, OperationKind.SET), ("10", OperationKind.SKIP), ("10.0", OperationKind.SKIP),
     ("9.5", OperationKind.SET)],
)  # fmt: skip
async def test_plan_skips_only_a_value_already_written(
    adapter: KenjoAdapter, current: str | None, kind: OperationKind
) -> None:
    planned = await adapter.plan_write(
        intent("10"), None if current is None else last_written(current)
    )
    assert planned.kind is kind
    assert planned.after == Quantity.of("10", Unit.DAYS)
    assert planned.before == (None if current is None else Quantity.of(current, Unit.DAYS))


async def test_plan_blocks_a_value_in_the_wrong_unit(adapter: KenjoAdapter) -> None:
    planned = await adapter.plan_write(intent("8", Unit.HOURS), None)
    assert planned.kind is OperationKind.BLOCKED
    assert "days" in planned.note
    with pytest.raises(WriteBlocked):
        await adapter.apply_write(intent("8", Unit.HOURS))


async def test_apply_sets_remaining_with_a_provenance_description(
    adapter: KenjoAdapter, emulator: KenjoEmulator
) -> None:
    outcome = await adapter.apply_write(intent("10"))
    assert outcome.kind is OperationKind.SET
    assert outcome.after == Quantity.of("10", Unit.DAYS)
    assert "totalAllowance 14" in outcome.note
    state = emulator.state_for("default")
    assignment = state.assignment(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID)
    assert assignment is not None
    assert (assignment.balance, assignment.total_allowance) == (Decimal(10), Decimal(14))
    (entry,) = state.history
    assert entry.description is not None
    for part in ("personio-prod", "2025-05-01", "run-7"):
        assert part in entry.description
    assert len(entry.description) <= 1000


async def test_apply_writes_hours_for_an_hours_type(
    adapter: KenjoAdapter, emulator: KenjoEmulator
) -> None:
    await adapter.apply_write(intent("7.5", Unit.HOURS, OVERTIME_TYPE_ID, EMPLOYEE_UNASSIGNED_ID))
    assignment = emulator.state_for("default").assignment(OVERTIME_TYPE_ID, EMPLOYEE_UNASSIGNED_ID)
    assert assignment is not None
    assert assignment.balance == Decimal("7.5")


@pytest.mark.parametrize(
    ("employee_id", "reason"),
    [(EMPLOYEE_UNASSIGNED_ID, "not assigned"), ("personio-42", "ObjectId")],
)
async def test_apply_blocks_what_kenjo_cannot_take(
    adapter: KenjoAdapter, emulator: KenjoEmulator, employee_id: str, reason: str
) -> None:
    with pytest.raises(WriteBlocked, match=reason):
        await adapter.apply_write(intent("10", employee_id=employee_id))
    assert emulator.state_for("default").history == []


async def test_a_write_can_be_applied_again_safely(
    adapter: KenjoAdapter, emulator: KenjoEmulator
) -> None:
    assert await adapter.confirm_write(intent("10")) is Confirmation.UNKNOWN
    await adapter.apply_write(intent("10"))
    await adapter.apply_write(intent("10"))
    assignment = emulator.state_for("default").assignment(VACATION_TYPE_ID, EMPLOYEE_TAKEN_ID)
    assert assignment is not None
    assert assignment.total_allowance == 14


async def test_a_session_token_credential_works(emulator: KenjoEmulator) -> None:
    token, _ = emulator.login(KEY) or ("", None)
    cfg = AdapterConfig(
        system="kenjo-test",
        base_url="http://emulator",
        credentials={"token": Secret(token.removeprefix("Bearer "))},
        transport=httpx.ASGITransport(app=emulator.app),
    )
    adapter = build_any_adapter("kenjo", cfg)
    try:
        outcome = await adapter.apply_write(intent("3"))
    finally:
        await adapter.aclose()
    assert outcome.kind is OperationKind.SET


def test_missing_credentials_name_the_key(emulator: KenjoEmulator) -> None:
    cfg = AdapterConfig(system="kenjo-test", base_url="http://emulator")
    with pytest.raises(KeyError, match="api_key"):
        build_adapter(cfg)
