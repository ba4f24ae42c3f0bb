"""The Bezala adapter against the in-process emulator (through `AdapterConfig.transport`)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

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
from balance_gateway.adapters._core.errors import WriteOutcomeUnknown
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.bezala import BezalaAdapter, build_adapter
from balance_gateway.adapters.bezala.emulator import BezalaEmulator
from balance_gateway.canonical import EmployeeRef, LeaveTypeRef, Quantity, RoundingMode, Unit

TOKEN = "adapter-test-token"
SYSTEM = "bezala-test"
MARCH_31 = dt.date(2025, 3, 31)


@pytest.fixture
def emulator() -> BezalaEmulator:
    return BezalaEmulator(EmulatorOptions(token=TOKEN))


def adapter_for(
    emulator: BezalaEmulator,
    *,
    credentials: dict[str, str] | None = None,
    **options: Any,
) -> BezalaAdapter:
    config = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={
            k: Secret(v)
            for k, v in ({"token": TOKEN} if credentials is None else credentials).items()
        },
        options=options,
        transport=httpx.ASGITransport(app=emulator.app),
        retry=RetryPolicy.none(),
    )
    return build_adapter(config)


def intent(type_id: str, value: str, as_of: dt.date = MARCH_31, user: str = "819") -> WriteIntent:
    unit = Unit.DAYS if type_id == "vacation" else Unit.MINUTES
    return WriteIntent(
        operation_id="op-1",
        run_id="run-1",
        employee=EmployeeRef(SYSTEM, user),
        leave_type=LeaveTypeRef(SYSTEM, type_id),
        remaining=Quantity(Decimal(value), unit),
        as_of=as_of,
        source="hr-prod",
    )


def imports(emulator: BezalaEmulator) -> list[tuple[int, str, str, Decimal, int]]:
    state = emulator.state_for("default")
    return [
        (b.id, b.balance_type.value, b.date.isoformat(), b.value, b.creator_id)
        for b in state.time_balances
    ]


def test_declares_its_dialect(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator)

    assert isinstance(adapter, BalanceAdapter)
    assert adapter.vendor == "bezala"
    assert adapter.capabilities.can_read
    assert adapter.capabilities.can_write
    assert adapter.capabilities.write_kind is WriteKind.IMPORT


def test_target_units(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator)

    vacation, work_time = adapter.target_unit("vacation"), adapter.target_unit("work_time")

    assert (vacation.unit, vacation.step) == (Unit.DAYS, None)
    assert (work_time.unit, work_time.step) == (Unit.MINUTES, Decimal(1))
    assert work_time.mode is RoundingMode.HALF_EVEN
    with pytest.raises(ValueError, match="sick"):
        adapter.target_unit("sick")


async def test_reads_the_latest_import_per_type(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator)
    await adapter_for(emulator).client.import_time_balance(
        819, balance_type="vacation", date="2024-03-31", value=9
    )

    balances = await adapter.read_balances(["819", "42"], ["vacation", "work_time"], MARCH_31)

    by_type = {b.leave_type.id: b for b in balances}
    assert set(by_type) == {"vacation", "work_time"}  # user 42 has no import: absent
    vacation, work_time = by_type["vacation"], by_type["work_time"]
    assert (vacation.remaining, vacation.unit, vacation.as_of) == (
        Decimal("5.0"),
        Unit.DAYS,
        MARCH_31,
    )
    assert (work_time.remaining, work_time.unit) == (Decimal(75), Unit.MINUTES)
    assert work_time.as_of == dt.date(2025, 3, 15)
    assert vacation.employee == EmployeeRef(SYSTEM, "819")
    assert vacation.provenance.system == SYSTEM
    assert vacation.provenance.record_id == "2"
    assert vacation.provenance.fetched_at.utcoffset() == dt.timedelta(0)
    assert vacation.entitled is None  # Bezala gives only the remaining figure
    await adapter.aclose()


async def test_a_new_date_is_imported_and_confirmed(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator, creator_id=42)
    wanted = intent("vacation", "7.5", dt.date(2026, 3, 31))

    before = await adapter.confirm_write(wanted)
    plan = await adapter.plan_write(wanted, None)
    outcome = await adapter.apply_write(wanted)
    after = await adapter.confirm_write(wanted)

    assert before is Confirmation.NOT_APPLIED
    assert plan.kind is OperationKind.IMPORT
    assert plan.after == Quantity(Decimal("7.5"), Unit.DAYS)
    assert outcome.kind is OperationKind.IMPORT
    assert outcome.record_ids == ("3",)
    assert after is Confirmation.APPLIED
    assert imports(emulator)[-1] == (3, "vacation", "2026-03-31", Decimal("7.5"), 42)


async def test_an_equal_import_on_the_date_is_a_skip(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator, creator_id=42)
    current = (await adapter.read_balances(["819"], ["vacation"], MARCH_31))[0]
    wanted = intent("vacation", "5")

    plan = await adapter.plan_write(wanted, current)
    outcome = await adapter.apply_write(wanted)

    assert plan.kind is OperationKind.SKIP
    assert plan.before == plan.after == Quantity(Decimal(5), Unit.DAYS)
    assert outcome.kind is OperationKind.SKIP
    assert len(imports(emulator)) == 2


async def test_our_own_import_on_the_date_is_replaced(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator, creator_id="42")
    wanted = intent("vacation", "6.25")
    current = (await adapter.read_balances(["819"], ["vacation"], MARCH_31))[0]

    plan = await adapter.plan_write(wanted, current)
    outcome = await adapter.apply_write(wanted)

    assert plan.kind is OperationKind.IMPORT
    assert "#2" in plan.note
    assert outcome.after == Quantity(Decimal("6.25"), Unit.DAYS)
    assert [i for i in imports(emulator) if i[1] == "vacation"] == [
        (3, "vacation", "2025-03-31", Decimal("6.25"), 42)
    ]
    assert await adapter.confirm_write(wanted) is Confirmation.APPLIED


@pytest.mark.parametrize("options", [{"creator_id": 7}, {}])
async def test_someone_elses_import_on_the_date_blocks_the_write(
    emulator: BezalaEmulator, options: dict[str, Any]
) -> None:
    adapter = adapter_for(emulator, **options)
    wanted = intent("vacation", "6")
    current = (await adapter.read_balances(["819"], ["vacation"], MARCH_31))[0]

    plan = await adapter.plan_write(wanted, current)
    with pytest.raises(WriteBlocked) as blocked:
        await adapter.apply_write(wanted)

    assert plan.kind is OperationKind.BLOCKED
    assert "#2" in plan.note
    assert "John Smith" in blocked.value.reason
    assert len(imports(emulator)) == 2  # nothing deleted, nothing posted


async def test_work_time_must_arrive_in_whole_minutes(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator, creator_id=42)

    plan = await adapter.plan_write(intent("work_time", "1.5", dt.date(2025, 4, 30)), None)
    outcome = await adapter.apply_write(intent("work_time", "-90", dt.date(2025, 4, 30)))

    assert plan.kind is OperationKind.BLOCKED
    assert "multiples of 1 minutes" in plan.note
    assert outcome.kind is OperationKind.IMPORT
    assert imports(emulator)[-1] == (3, "work_time", "2025-04-30", Decimal(-90), 42)


async def test_an_intent_in_the_wrong_unit_is_refused(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator, creator_id=42)
    wrong = WriteIntent(
        operation_id="op-1",
        run_id="run-1",
        employee=EmployeeRef(SYSTEM, "819"),
        leave_type=LeaveTypeRef(SYSTEM, "vacation"),
        remaining=Quantity(Decimal(40), Unit.HOURS),
        as_of=MARCH_31,
        source="hr-prod",
    )

    with pytest.raises(ValueError, match="days"):
        await adapter.plan_write(wrong, None)


async def test_a_lost_answer_is_resolved_by_confirming(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator, creator_id=42)
    wanted = intent("vacation", "3", dt.date(2026, 3, 31))
    emulator.faults.configure(
        emulator.faults.config.model_copy(update={"apply_then_fail_rate": 1.0, "methods": ["POST"]})
    )

    with pytest.raises(WriteOutcomeUnknown):
        await adapter.apply_write(wanted)

    assert await adapter.confirm_write(wanted) is Confirmation.APPLIED


async def test_login_credentials_work_as_well(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(
        emulator,
        credentials={"email": "admin@example.com", "password": "demo-password"},
        creator_id=42,
    )

    outcome = await adapter.apply_write(intent("vacation", "2", dt.date(2026, 3, 31)))

    assert outcome.kind is OperationKind.IMPORT
    assert imports(emulator)[-1][-1] == 42


def test_missing_credentials_name_the_key(emulator: BezalaEmulator) -> None:
    with pytest.raises(KeyError, match="token"):
        adapter_for(emulator, credentials={})


def test_a_bad_creator_id_option_is_refused(emulator: BezalaEmulator) -> None:
    with pytest.raises(ValueError, match="creator_id"):
        adapter_for(emulator, creator_id="John")


async def test_no_leave_types_named_reads_every_type(emulator: BezalaEmulator) -> None:
    adapter = adapter_for(emulator)
    every = await adapter.read_balances(["819"], [], MARCH_31)
    named = await adapter.read_balances(["819"], ["vacation", "work_time"], MARCH_31)
    assert {b.leave_type.id for b in every} == {"vacation", "work_time"}
    assert {b.leave_type.id: b.remaining for b in every} == {
        b.leave_type.id: b.remaining for b in named
    }
    await adapter.aclose()
