"""The Zeitstrom adapter against the in-process emulator: net balances in, deltas out, and
never a double credit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from balance_gateway.adapters._core.adapter import (
    AdapterConfig,
    BalanceAdapter,
    Confirmation,
    EmployeeDirectory,
    OperationKind,
    WriteBlocked,
    WriteIntent,
)
from balance_gateway.adapters._core.errors import WriteOutcomeUnknown
from balance_gateway.adapters._core.registry import adapter_module, build_adapter
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions, FaultConfig
from balance_gateway.adapters.zeitstrom import LABEL_PREFIX, ZeitstromAdapter
from balance_gateway.adapters.zeitstrom.emulator import (
    ANNA,
    JONAS,
    ZeitstromEmulator,
    ZeitstromState,
)
from balance_gateway.canonical import EmployeeRef, LeaveTypeRef, Quantity, Unit

TOKEN = "adapter-test-token"
SYSTEM = "zeitstrom-test"
LIST = "/api/v2/timestamps/absence-transactions/"
# Retries on, but no waiting: a POST must still never be resent once it may have landed.
RETRY = RetryPolicy(max_attempts=3, backoff_initial=0, jitter=0)


@pytest.fixture
def emulator() -> ZeitstromEmulator:
    return ZeitstromEmulator(EmulatorOptions(token=TOKEN))


@pytest.fixture
async def adapter(emulator: ZeitstromEmulator) -> AsyncIterator[ZeitstromAdapter]:
    config = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"token": Secret(TOKEN)},
        transport=httpx.ASGITransport(app=emulator.app),
        retry=RETRY,
    )
    built = build_adapter("zeitstrom", config)
    assert isinstance(built, ZeitstromAdapter)
    yield built
    await built.aclose()


def intent(remaining: str | int, op: str = "op-1", employee: str = JONAS) -> WriteIntent:
    return WriteIntent(
        operation_id=op,
        run_id="run-1",
        employee=EmployeeRef(SYSTEM, employee),
        leave_type=LeaveTypeRef(SYSTEM, "holiday"),
        remaining=Quantity(Decimal(remaining), Unit.DAYS),
        as_of=date(2024, 12, 1),
        source="hr-prod",
    )


def state(emulator: ZeitstromEmulator) -> ZeitstromState:
    return emulator.state_for("default")


def manual(emulator: ZeitstromEmulator, employee: str = JONAS) -> list[tuple[str, Decimal]]:
    return [
        (tx.label, tx.amount)
        for tx in state(emulator).transactions
        if tx.source.value == "manual" and tx.employee_id == employee
    ]


def others(emulator: ZeitstromEmulator) -> list[dict[str, Any]]:
    """Every transaction nobody but a human or a rule made: what the adapter must not touch."""
    return [
        tx.model_dump(mode="json")
        for tx in state(emulator).transactions
        if not tx.label.startswith(LABEL_PREFIX)
    ]


def net(emulator: ZeitstromEmulator, employee: str = JONAS) -> Decimal:
    return sum(
        (
            -tx.amount if tx.source.value == "absence" else tx.amount
            for tx in state(emulator).transactions
            if tx.employee_id == employee and tx.missing_type == "holiday"
        ),
        Decimal(0),
    )


def set_faults(emulator: ZeitstromEmulator, **config: Any) -> None:
    emulator.faults.configure(FaultConfig(**config))


def test_the_module_is_registered_with_its_credentials() -> None:
    module = adapter_module("zeitstrom")
    assert module.CREDENTIAL_KEYS == (("token",),)


async def test_it_is_a_balance_adapter_writing_a_ledger_in_days(
    adapter: ZeitstromAdapter,
) -> None:
    assert isinstance(adapter, BalanceAdapter)
    assert adapter.capabilities.write_kind == "ledger"
    assert adapter.target_unit("holiday").unit is Unit.DAYS
    assert adapter.target_unit("holiday").step is None


def test_the_step_option_sets_the_rounding_step(emulator: ZeitstromEmulator) -> None:
    config = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"token": Secret(TOKEN)},
        options={"step": "0.5"},
    )
    assert ZeitstromAdapter(config).target_unit("holiday").step == Decimal("0.5")


async def test_read_balances_gives_the_net_per_employee_and_type(
    adapter: ZeitstromAdapter,
) -> None:
    anna = "a1b2c3d4-e5f6-7890-abcd-ef1234567890"
    balances = await adapter.read_balances([JONAS, anna, "nobody"], ["holiday"], date(2024, 12, 1))
    by_employee = {b.employee.id: b for b in balances}
    assert set(by_employee) == {JONAS, anna}
    jonas = by_employee[JONAS]
    assert (jonas.entitled, jonas.used, jonas.remaining) == (Decimal(27), Decimal(7), Decimal(20))
    assert jonas.unit is Unit.DAYS
    assert jonas.leave_type == LeaveTypeRef(SYSTEM, "holiday")
    assert jonas.provenance.system == SYSTEM
    assert jonas.provenance.record_id == f"{JONAS}/holiday"
    assert jonas.provenance.fetched_at.utcoffset() is not None
    assert by_employee[anna].remaining == Decimal(22)
    everything = await adapter.read_balances([anna], [], date(2024, 12, 1))
    assert {b.leave_type.id for b in everything} == {"holiday", "sickness"}


async def test_plan_covers_credit_skip_reduce_and_blocked(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    credit = await adapter.plan_write(intent(25), None)
    assert credit.kind is OperationKind.CREDIT
    assert (credit.before, credit.after) == (Quantity(Decimal(20), Unit.DAYS), intent(25).remaining)
    assert (await adapter.plan_write(intent(20), None)).kind is OperationKind.SKIP
    blocked = await adapter.plan_write(intent(19), None)
    assert blocked.kind is OperationKind.BLOCKED
    assert "remove 1 days, but only 0 days of our own manual credits" in blocked.note
    await adapter.apply_write(intent(25))
    assert (await adapter.plan_write(intent(21, "op-2"), None)).kind is OperationKind.REDUCE
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]  # planning wrote nothing


async def test_plan_uses_the_balance_it_is_given(adapter: ZeitstromAdapter) -> None:
    (current,) = await adapter.read_balances([JONAS], ["holiday"], date(2024, 12, 1))
    planned = await adapter.plan_write(intent(26), current)
    assert planned.kind is OperationKind.CREDIT
    assert "credit 6 days" in planned.note


async def test_asked_twice_for_20_to_25_credits_5_exactly_once(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    first = await adapter.apply_write(intent(25))
    assert first.kind is OperationKind.CREDIT
    assert len(first.record_ids) == 1
    again = await adapter.apply_write(intent(25))
    assert again.kind is OperationKind.SKIP
    assert again.record_ids == first.record_ids
    # A new operation for the same target finds nothing left to do either.
    assert (await adapter.apply_write(intent(25, "op-2"))).kind is OperationKind.SKIP
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]
    assert net(emulator) == 25
    assert await adapter.confirm_write(intent(25)) is Confirmation.APPLIED


@pytest.mark.parametrize("mode", ["status", "drop"])
async def test_after_apply_then_fail_the_credit_is_confirmed_not_repeated(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, mode: str
) -> None:
    set_faults(emulator, apply_then_fail_rate=1, apply_then_fail_mode=mode, methods=["POST"])
    with pytest.raises(WriteOutcomeUnknown):
        await adapter.apply_write(intent(25))
    assert emulator.faults.counts["apply_then_fail"] == 1  # sent once, never resent
    assert await adapter.confirm_write(intent(25)) is Confirmation.APPLIED
    resumed = await adapter.apply_write(intent(25))  # faults still on: no POST may happen
    assert resumed.kind is OperationKind.SKIP
    assert emulator.faults.counts["apply_then_fail"] == 1
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]
    assert net(emulator) == 25


async def test_a_post_that_did_not_land_is_confirmed_not_applied_then_written_once(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    set_faults(emulator, error_rate=1, error_status=500, methods=["POST"])
    with pytest.raises(WriteOutcomeUnknown):
        await adapter.apply_write(intent(25))
    assert await adapter.confirm_write(intent(25)) is Confirmation.NOT_APPLIED
    set_faults(emulator)
    assert (await adapter.apply_write(intent(25))).kind is OperationKind.CREDIT
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]


async def test_25_then_22_then_below_what_others_allow(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    untouchable = others(emulator)
    await adapter.apply_write(intent(25, "op-up"))

    down = await adapter.apply_write(intent(22, "op-down"))
    assert down.kind is OperationKind.REDUCE
    assert net(emulator) == 22
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-up", Decimal(2))]
    assert others(emulator) == untouchable
    assert await adapter.confirm_write(intent(22, "op-down")) is Confirmation.APPLIED

    planned = await adapter.plan_write(intent(10, "op-low"), None)
    assert planned.kind is OperationKind.BLOCKED
    assert "remove 12 days, but only 2 days of our own manual credits" in planned.note
    before = emulator.dump_state()
    with pytest.raises(WriteBlocked) as caught:
        await adapter.apply_write(intent(10, "op-low"))
    assert "other transactions are never touched" in caught.value.reason
    assert emulator.dump_state() == before
    assert await adapter.confirm_write(intent(10, "op-low")) is Confirmation.NOT_APPLIED


async def test_reduce_takes_from_our_newest_credits_and_never_a_humans(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    transport = httpx.ASGITransport(app=emulator.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://emulator") as raw:
        human = await raw.post(
            LIST,
            headers={"Authorization": f"Token {TOKEN}"},
            json={"employee_id": JONAS, "label": "HR correction", "missing_type": "holiday",
                  "date": "2024-11-24", "amount": 4},
        )  # fmt: skip
    assert human.status_code == 201
    await adapter.apply_write(intent(27, "op-a"))  # 24 -> 27: +3
    await adapter.apply_write(intent(29, "op-b"))  # 27 -> 29: +2 (newest)
    assert net(emulator) == 29

    # 29 -> 26: the newest (2) goes entirely, the older (3) is lowered to 2.
    outcome = await adapter.apply_write(intent(26, "op-c"))
    assert outcome.kind is OperationKind.REDUCE
    assert len(outcome.record_ids) == 2
    assert dict(manual(emulator)) == {
        "HR correction": Decimal(4),
        f"{LABEL_PREFIX}op-a": Decimal(2),
    }
    # The human's 4 days could cover it, but are not ours: blocked, nothing written.
    with pytest.raises(WriteBlocked):
        await adapter.apply_write(intent(23, "op-d"))
    assert net(emulator) == 26


async def test_a_resumed_reduce_finds_the_target_reached(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    await adapter.apply_write(intent(25, "op-up"))
    await adapter.apply_write(intent(22, "op-down"))
    again = await adapter.apply_write(intent(22, "op-down"))
    assert again.kind is OperationKind.SKIP
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-up", Decimal(2))]


async def test_fractional_days_stay_exact(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    await adapter.apply_write(intent("20.1"))
    assert manual(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal("0.1"))]
    (balance,) = await adapter.read_balances([JONAS], ["holiday"], date(2024, 12, 1))
    assert balance.remaining == Decimal("20.1")


async def test_confirm_is_not_applied_before_anything_happened(adapter: ZeitstromAdapter) -> None:
    assert await adapter.confirm_write(intent(25)) is Confirmation.NOT_APPLIED
    assert await adapter.confirm_write(intent(20)) is Confirmation.APPLIED  # already there


async def test_a_quantity_in_hours_is_refused(adapter: ZeitstromAdapter) -> None:
    hours = replace(intent(8), remaining=Quantity(Decimal(8), Unit.HOURS))
    with pytest.raises(ValueError, match="days"):
        await adapter.apply_write(hours)


async def test_lists_every_employee_with_transactions(adapter: ZeitstromAdapter) -> None:
    assert isinstance(adapter, EmployeeDirectory)
    # The sample dataset: Anna (the seed's employee) and Jonas.
    assert await adapter.list_employee_ids() == sorted([ANNA, JONAS])
