"""The Bezala adapter against the in-process emulator (through `AdapterConfig.transport`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
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
from balance_gateway.adapters._core.errors import RequestValidationError, WriteOutcomeUnknown
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.bezala import BezalaAdapter, build_adapter
from balance_gateway.adapters.bezala.emulator import BezalaEmulator, StoredTimeBalance
from balance_gateway.adapters.bezala.models import BalanceType
from balance_gateway.canonical import (
    Balance,
    EmployeeRef,
    LeaveTypeRef,
    Quantity,
    RoundingMode,
    Unit,
)

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


# -- requests per balance (issue 16) ------------------------------------------------------------

APRIL_30 = dt.date(2026, 4, 30)


class Counted(httpx.AsyncBaseTransport):
    """The emulator's transport, recording each request sent as (method, path)."""

    def __init__(self, emulator: BezalaEmulator) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.sent: list[tuple[str, str]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append((request.method, request.url.path))
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()

    def taken(self) -> list[tuple[str, str]]:
        """The requests recorded since the last call."""
        sent, self.sent = self.sent, []
        return sent


def counted(emulator: BezalaEmulator, creator_id: int = 42) -> tuple[BezalaAdapter, Counted]:
    transport = Counted(emulator)
    config = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"token": Secret(TOKEN)},
        options={"creator_id": creator_id},
        transport=transport,
        retry=RetryPolicy.none(),
    )
    return build_adapter(config), transport


USER = "/api/users/819/time_balances"
LIST = ("GET", USER)
POST = ("POST", USER)


def first_attempt(wanted: WriteIntent, current: Balance | None) -> WriteIntent:
    """`wanted` as the engine sends an operation's first attempt (`Engine._apply_row`)."""
    before = None if current is None else Quantity(current.remaining or Decimal(0), current.unit)
    record = None if current is None else current.provenance.record_id
    return replace(wanted, planned_before=before, target_record=record, first_attempt=True)


async def planned(
    emulator: BezalaEmulator, value: str = "7.5", as_of: dt.date = APRIL_30, *, first: bool = True
) -> tuple[BezalaAdapter, Counted, WriteIntent]:
    """A vacation write of `value` on `as_of`, planned by a fresh adapter from its bulk read, as
    the engine sends it (`first`: its first attempt, else a direct call or a re-attempt), with
    the requests so far taken: (the adapter, its counted transport, the intent)."""
    adapter, transport = counted(emulator)
    (current,) = await adapter.read_balances(["819"], ["vacation"], as_of)
    wanted = intent("vacation", value, as_of)
    if first:
        wanted = first_attempt(wanted, current)
    await adapter.plan_write(wanted, current)
    transport.taken()
    return adapter, transport, wanted


def add_import(emulator: BezalaEmulator, kind: str, day: dt.date, value: str, creator: int) -> None:
    state = emulator.state_for("default")
    state.time_balances.append(
        StoredTimeBalance(
            id=state.new_id(),
            user_id=819,
            balance_type=BalanceType(kind),
            date=day,
            value=Decimal(value),
            creator_id=creator,
            creator_name="HR Admin" if creator == 7 else "John Smith",
        )
    )


async def test_both_types_of_a_user_are_read_with_one_request(emulator: BezalaEmulator) -> None:
    adapter, transport = counted(emulator)

    both = await adapter.read_balances(["819"], [], APRIL_30)
    assert transport.taken() == [LIST]
    one = await adapter.read_balances(["819"], ["vacation"], APRIL_30)
    assert transport.taken() == [("GET", USER + "/latest")]

    assert {(b.leave_type.id, b.remaining, b.as_of, b.provenance.record_id) for b in both} == {
        ("vacation", Decimal("5.0"), MARCH_31, "2"),
        ("work_time", Decimal(75), dt.date(2025, 3, 15), "1"),
    }
    assert [(b.remaining, b.provenance.record_id) for b in one] == [(Decimal("5.0"), "2")]
    await adapter.aclose()


async def test_the_listing_of_both_types_is_read_as_far_as_they_need(
    emulator: BezalaEmulator,
) -> None:
    # 60 later imports (past the first page of 50), two on the date asked for, and an older one
    # of work_time that no longer counts.
    for month in range(60):
        add_import(emulator, "vacation", dt.date(2027, 1, 1) + dt.timedelta(days=month), "1", 42)
    add_import(emulator, "work_time", dt.date(2025, 3, 31), "10", 42)
    add_import(emulator, "work_time", dt.date(2025, 3, 31), "20", 7)
    adapter, transport = counted(emulator)

    both = await adapter.read_balances(["819"], ["vacation", "work_time"], MARCH_31)

    assert transport.taken() == [LIST, LIST]  # page 2 holds the imports on or before the date
    assert {(b.leave_type.id, b.remaining, b.provenance.record_id) for b in both} == {
        ("vacation", Decimal("5.0"), "2"),
        ("work_time", Decimal(20), "64"),  # the highest id on the date counts
    }
    await adapter.aclose()


async def test_a_first_attempt_on_a_new_date_is_the_post_alone(emulator: BezalaEmulator) -> None:
    adapter, transport = counted(emulator)
    (current,) = await adapter.read_balances(["819"], ["vacation"], APRIL_30)
    wanted = first_attempt(intent("vacation", "7.5", APRIL_30), current)
    transport.taken()

    plan = await adapter.plan_write(wanted, current)
    assert transport.taken() == []  # the bulk read shows no import dated April 30
    outcome = await adapter.apply_write(wanted)
    assert transport.taken() == [POST]  # nothing listed: the plan saw what is on the date

    assert plan.kind is outcome.kind is OperationKind.IMPORT
    assert outcome.note == f"new import dated {APRIL_30}"
    assert imports(emulator)[-1] == (3, "vacation", APRIL_30.isoformat(), Decimal("7.5"), 42)
    await adapter.aclose()


async def test_without_planned_before_the_date_is_listed_first(emulator: BezalaEmulator) -> None:
    adapter, transport, wanted = await planned(emulator, first=False)

    await adapter.apply_write(wanted)  # a direct call, or a re-attempt: no planned_before

    assert transport.taken() == [LIST, POST]
    await adapter.aclose()


async def test_applying_the_same_first_attempt_twice_imports_once(
    emulator: BezalaEmulator,
) -> None:
    adapter, transport, wanted = await planned(emulator)
    await adapter.apply_write(wanted)
    transport.taken()

    again = await adapter.apply_write(wanted)  # the plan is taken once: this one reads

    assert transport.taken() == [LIST]
    assert again.kind is OperationKind.SKIP
    assert [i for i in imports(emulator) if i[2] == APRIL_30.isoformat()] == [
        (3, "vacation", APRIL_30.isoformat(), Decimal("7.5"), 42)
    ]
    await adapter.aclose()


@pytest.mark.parametrize("how", ["another attempt id", "another record", "another adapter"])
async def test_a_write_not_planned_as_it_is_sent_lists_the_date(
    emulator: BezalaEmulator, how: str
) -> None:
    adapter, transport, wanted = await planned(emulator)
    writer = adapter
    if how == "another attempt id":
        wanted = replace(wanted, operation_id="op-1.2")
    elif how == "another record":
        wanted = replace(wanted, target_record="1")
    else:  # a plan made in another process: a distributed work unit, a saved plan
        writer, transport = counted(emulator)

    await writer.apply_write(wanted)

    assert transport.taken() == [LIST, POST]
    await adapter.aclose()
    await writer.aclose()


@pytest.mark.parametrize("first", [True, False])
async def test_a_plan_that_saw_no_import_at_all(emulator: BezalaEmulator, first: bool) -> None:
    emulator.state_for("default").time_balances.clear()
    adapter, transport = counted(emulator)
    assert await adapter.read_balances(["819"], ["vacation"], APRIL_30) == []
    wanted = replace(intent("vacation", "7.5", APRIL_30), first_attempt=first)
    await adapter.plan_write(wanted, None)
    transport.taken()

    await adapter.apply_write(wanted)  # planned_before None: the plan saw no balance

    # The engine's first attempt posts at once; without `first_attempt`, None is also what a
    # re-attempt gets: the date is listed first.
    assert transport.taken() == ([POST] if first else [LIST, POST])
    await adapter.aclose()


async def test_a_first_attempt_replacing_our_import_deletes_and_posts(
    emulator: BezalaEmulator,
) -> None:
    adapter, transport = counted(emulator)
    (current,) = await adapter.read_balances(["819"], ["vacation"], MARCH_31)
    wanted = first_attempt(intent("vacation", "6.25"), current)
    transport.taken()

    plan = await adapter.plan_write(wanted, current)
    assert transport.taken() == [LIST]  # import #2 is dated March 31 itself: whose is it?
    outcome = await adapter.apply_write(wanted)
    assert transport.taken() == [("DELETE", USER + "/2"), POST]

    assert plan.kind is outcome.kind is OperationKind.IMPORT
    assert "#2" in outcome.note
    assert [i for i in imports(emulator) if i[1] == "vacation"] == [
        (3, "vacation", "2025-03-31", Decimal("6.25"), 42)
    ]
    await adapter.aclose()


async def test_a_replace_without_planned_before_lists_deletes_and_posts(
    emulator: BezalaEmulator,
) -> None:
    adapter, transport, wanted = await planned(emulator, "6.25", MARCH_31, first=False)

    await adapter.apply_write(wanted)

    assert transport.taken() == [LIST, ("DELETE", USER + "/2"), POST]
    await adapter.aclose()


async def test_a_read_after_the_plan_showing_another_import_lists_the_date(
    emulator: BezalaEmulator,
) -> None:
    # The engine reads the target again after a confirmation (`gateway.recheck`): an import
    # someone made on the date meanwhile is then seen, and the write refuses to go beside it.
    adapter, transport, wanted = await planned(emulator)
    add_import(emulator, "vacation", APRIL_30, "5.0", 7)  # the same value: no guardrail sees it
    await adapter.read_balances(["819"], ["vacation", "work_time"], APRIL_30)
    transport.taken()

    with pytest.raises(WriteBlocked, match="HR Admin"):
        await adapter.apply_write(wanted)

    assert transport.taken() == [LIST]
    assert [i for i in imports(emulator) if i[2] == APRIL_30.isoformat()] == [
        (3, "vacation", APRIL_30.isoformat(), Decimal("5.0"), 7)
    ]
    await adapter.aclose()


async def test_a_user_id_that_is_no_integer_is_planned_as_before(emulator: BezalaEmulator) -> None:
    adapter, transport = counted(emulator)
    wanted = first_attempt(intent("vacation", "7.5", APRIL_30, user="aino"), None)

    plan = await adapter.plan_write(wanted, None)
    with pytest.raises(RequestValidationError, match="employee id"):
        await adapter.apply_write(wanted)

    assert plan.kind is OperationKind.IMPORT
    assert transport.taken() == []
    await adapter.aclose()
