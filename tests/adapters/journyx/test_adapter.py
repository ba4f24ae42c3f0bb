"""The Journyx adapter against the in-process emulator."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime
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
    PagedReads,
    WriteBlocked,
    WriteIntent,
    WriteKind,
)
from balance_gateway.adapters._core.errors import GatewayError
from balance_gateway.adapters._core.registry import build_adapter as registry_build_adapter
from balance_gateway.adapters._core.retry import RetryPolicy
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters.journyx import CREDENTIAL_KEYS, JournyxAdapter, build_adapter
from balance_gateway.adapters.journyx import adapter as journyx_adapter
from balance_gateway.adapters.journyx.adapter import LISTING_REUSE_SECONDS
from balance_gateway.adapters.journyx.emulator import JournyxEmulator
from balance_gateway.canonical import (
    EmployeeRef,
    LeaveTypeRef,
    Quantity,
    Unit,
    WorkSchedule,
    convert,
)

TOKEN = "journyx-test-api-key"
SYSTEM = "journyx-prod"
JOHN = "64BBA147B9AC41D9978062300826C89F"
JANE = "5CD906A3941C463B9CC98F49DBCC25AA"
ALEX = "3A8BFD0F3951508D4DBFB1F47EE7B158"
ALEX_VACATION = "D026C943761D49E454F45CAAC88F5F9E"


def config(emulator: JournyxEmulator, **options: Any) -> AdapterConfig:
    return AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"username": Secret("admin"), "api_key": Secret(TOKEN)},
        options=options,
        transport=httpx.ASGITransport(app=emulator.app),
    )


@pytest.fixture
async def adapter(emulator: JournyxEmulator) -> AsyncIterator[JournyxAdapter]:
    built = build_adapter(config(emulator))
    yield built
    await built.aclose()


def intent(employee: str, leave_type: str, hours: str, **kwargs: Any) -> WriteIntent:
    return WriteIntent(
        operation_id="op-1",
        run_id="run-1",
        employee=EmployeeRef(SYSTEM, employee),
        leave_type=LeaveTypeRef(SYSTEM, leave_type),
        remaining=Quantity(Decimal(hours), Unit.HOURS),
        as_of=date(2026, 1, 1),
        source="hr-prod",
        **kwargs,
    )


def test_it_is_a_set_adapter_in_hours(adapter: JournyxAdapter) -> None:
    assert isinstance(adapter, BalanceAdapter)
    assert adapter.capabilities.write_kind is WriteKind.SET
    assert adapter.capabilities.can_read
    assert adapter.capabilities.can_write
    assert adapter.target_unit("Vacation").unit is Unit.HOURS
    assert adapter.target_unit("Vacation").step is None
    assert ("username", "api_key") in CREDENTIAL_KEYS


async def test_a_step_option_sets_the_rounding_step(emulator: JournyxEmulator) -> None:
    built = registry_build_adapter("journyx", config(emulator, step="0.25"))
    assert built.target_unit("Vacation").step == Decimal("0.25")
    await built.aclose()
    with pytest.raises(ValueError, match="step"):
        build_adapter(config(emulator, step="-1"))


async def test_read_balances_gives_hours_left_as_remaining(adapter: JournyxAdapter) -> None:
    before = datetime.now(UTC)
    balances = await adapter.read_balances([JOHN, JANE], ["Vacation", "Sick"], date(2020, 1, 1))
    found = {(b.employee.id, b.leave_type.id): b for b in balances}
    assert set(found) == {(JOHN, "Vacation"), (JANE, "Vacation"), (JANE, "Sick")}
    sick = found[(JANE, "Sick")]
    assert sick.unit is Unit.HOURS
    assert sick.remaining == Decimal("12.5")
    assert sick.entitled is None
    assert sick.used is None
    assert sick.provenance.system == SYSTEM
    assert sick.provenance.record_id == "7D50783C4A141292108472803B0FB610"
    assert sick.provenance.fetched_at >= before
    # An accrual has no date of its own: the balance is as of the read.
    assert sick.as_of == sick.provenance.fetched_at.date()


async def test_hidden_accruals_are_not_read(adapter: JournyxAdapter) -> None:
    balances = await adapter.read_balances([ALEX], ["Vacation", "Floating Holiday"], date.today())
    assert [(b.leave_type.id, b.remaining) for b in balances] == [("Vacation", Decimal(4))]


async def test_two_visible_accruals_of_one_name_are_ambiguous(
    adapter: JournyxAdapter, api: httpx.AsyncClient
) -> None:
    pay_type = "7FD02168BF7737FFAC2068C7DD76C31B"
    body = {"pname": "Vacation", "pay_type_ids": [pay_type], "id_user": JANE}
    assert (await api.post("/api/v1/accruals", json=body)).status_code == 201
    with pytest.raises(GatewayError, match="2 visible accruals named 'Vacation'"):
        await adapter.read_balances([JANE], ["Vacation"], date.today())


async def test_iter_balances_hands_the_read_over_in_pages(
    adapter: JournyxAdapter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same balances as `read_balances`, at most `BALANCE_PAGE` at a time."""
    assert isinstance(adapter, PagedReads)
    whole = await adapter.read_balances([JOHN, JANE, ALEX], [], date.today())
    monkeypatch.setattr(journyx_adapter, "BALANCE_PAGE", 2)
    pages = [page async for page in adapter.iter_balances([JOHN, JANE, ALEX], [], date.today())]
    assert len(whole) > 2
    assert [len(page) for page in pages[:-1]] == [2] * (len(pages) - 1)
    assert 1 <= len(pages[-1]) <= 2
    assert [(b.employee.id, b.leave_type.id, b.remaining) for p in pages for b in p] == [
        (b.employee.id, b.leave_type.id, b.remaining) for b in whole
    ]


async def test_two_accruals_of_one_name_fail_the_paged_read_before_any_page(
    adapter: JournyxAdapter, api: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    pay_type = "7FD02168BF7737FFAC2068C7DD76C31B"
    body = {"pname": "Vacation", "pay_type_ids": [pay_type], "id_user": JANE}
    assert (await api.post("/api/v1/accruals", json=body)).status_code == 201
    monkeypatch.setattr(journyx_adapter, "BALANCE_PAGE", 1)
    handed: list[object] = []

    async def take_pages() -> None:
        async for page in adapter.iter_balances([JOHN, JANE], [], date.today()):
            handed.append(page)

    with pytest.raises(GatewayError, match="2 visible accruals named 'Vacation'"):
        await take_pages()
    assert handed == []


async def test_plan_skips_an_equal_value(adapter: JournyxAdapter) -> None:
    plan = await adapter.plan_write(intent(JOHN, "Vacation", "40.00"), None)
    assert plan.kind is OperationKind.SKIP
    assert plan.before == Quantity(Decimal(40), Unit.HOURS)


async def test_plan_sets_a_new_value(adapter: JournyxAdapter) -> None:
    plan = await adapter.plan_write(intent(JOHN, "Vacation", "32.5"), None)
    assert plan.kind is OperationKind.SET
    assert plan.after == Quantity(Decimal("32.5"), Unit.HOURS)


async def test_below_an_enforced_hard_threshold_is_blocked_unless_allowed(
    adapter: JournyxAdapter, api: httpx.AsyncClient
) -> None:
    # Alex's vacation enforces a minimum of -8 hours.
    plan = await adapter.plan_write(intent(ALEX, "Vacation", "-10"), None)
    assert plan.kind is OperationKind.BLOCKED
    assert "-8" in plan.note
    with pytest.raises(WriteBlocked, match="-8"):
        await adapter.apply_write(intent(ALEX, "Vacation", "-10"))
    unchanged = (await api.get(f"/api/v1/accruals/{ALEX_VACATION}")).json()["results"]
    assert unchanged["hours_left"] == 4
    allowed = intent(ALEX, "Vacation", "-10", allow_below_threshold=True)
    assert (await adapter.plan_write(allowed, None)).kind is OperationKind.SET
    outcome = await adapter.apply_write(allowed)
    assert outcome.kind is OperationKind.SET
    assert outcome.record_ids == (ALEX_VACATION,)
    assert (await adapter.confirm_write(allowed)) is Confirmation.APPLIED


async def test_at_the_threshold_or_without_enforcement_is_not_blocked(
    adapter: JournyxAdapter,
) -> None:
    assert (await adapter.plan_write(intent(ALEX, "Vacation", "-8"), None)).kind is (
        OperationKind.SET
    )
    # Jane's sick accrual only warns: a negative balance is written.
    assert (await adapter.plan_write(intent(JANE, "Sick", "-3"), None)).kind is OperationKind.SET


async def test_a_missing_accrual_is_blocked(adapter: JournyxAdapter) -> None:
    plan = await adapter.plan_write(intent(JANE, "Floating Holiday", "8"), None)
    assert plan.kind is OperationKind.BLOCKED
    assert "Floating Holiday" in plan.note
    with pytest.raises(WriteBlocked):
        await adapter.apply_write(intent(JANE, "Floating Holiday", "8"))


async def test_apply_then_confirm_and_a_replay_is_a_skip(
    adapter: JournyxAdapter, api: httpx.AsyncClient
) -> None:
    wanted = intent(JOHN, "Vacation", "32.5")
    assert (await adapter.confirm_write(wanted)) is Confirmation.NOT_APPLIED
    outcome = await adapter.apply_write(wanted)
    assert outcome.kind is OperationKind.SET
    assert outcome.after == Quantity(Decimal("32.5"), Unit.HOURS)
    assert (await api.get(f"/api/v1/accruals/{JOHN}")).json()["results"]["hours_left"] == 32.5
    assert (await adapter.confirm_write(wanted)) is Confirmation.APPLIED
    assert (await adapter.apply_write(wanted)).kind is OperationKind.SKIP


async def test_days_converted_with_the_work_schedule_are_written_as_hours(
    adapter: JournyxAdapter, api: httpx.AsyncClient
) -> None:
    # The engine converts before the adapter sees the intent: 3 days at 7.5 hours a day.
    hours = convert(Quantity(Decimal(3), Unit.DAYS), Unit.HOURS, WorkSchedule(Decimal("7.5")))
    await adapter.apply_write(intent(JANE, "Sick", str(hours.value)))
    body = (await api.get("/api/v1/accruals/7D50783C4A141292108472803B0FB610")).json()
    assert body["results"]["hours_left"] == 22.5


async def test_an_intent_not_in_hours_is_refused(adapter: JournyxAdapter) -> None:
    days = WriteIntent(
        operation_id="op-2",
        run_id="run-1",
        employee=EmployeeRef(SYSTEM, JOHN),
        leave_type=LeaveTypeRef(SYSTEM, "Vacation"),
        remaining=Quantity(Decimal(3), Unit.DAYS),
        as_of=date(2026, 1, 1),
        source="hr-prod",
    )
    with pytest.raises(ValueError, match="hours"):
        await adapter.apply_write(days)


async def test_a_wrong_api_key_fails_the_read(emulator: JournyxEmulator) -> None:
    wrong = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"username": Secret("admin"), "api_key": Secret("wrong-key-123")},
        transport=httpx.ASGITransport(app=emulator.app),
    )
    built = build_adapter(wrong)
    with pytest.raises(GatewayError, match="401"):
        await built.read_balances([JOHN], ["Vacation"], date.today())
    await built.aclose()


async def test_login_credentials_work_too(emulator: JournyxEmulator) -> None:
    login = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"username": Secret("admin"), "password": Secret(TOKEN)},
        transport=httpx.ASGITransport(app=emulator.app),
    )
    built = build_adapter(login)
    balances = await built.read_balances([JOHN], ["Vacation"], date.today())
    assert [b.remaining for b in balances] == [Decimal(40)]
    await built.aclose()


async def test_no_leave_types_named_reads_every_accrual(adapter: JournyxAdapter) -> None:
    every = await adapter.read_balances([JANE], [], date(2020, 1, 1))
    assert {b.leave_type.id for b in every} == {"Vacation", "Sick"}


async def test_lists_every_user_with_a_visible_accrual(adapter: JournyxAdapter) -> None:
    assert isinstance(adapter, EmployeeDirectory)
    listed = await adapter.list_employee_ids()
    assert {JOHN, JANE, ALEX} <= set(listed)
    assert listed == sorted(set(listed))


class Counting(httpx.AsyncBaseTransport):
    """The emulator's ASGI transport, recording "METHOD path" of every request."""

    def __init__(self, emulator: JournyxEmulator) -> None:
        self.inner = httpx.ASGITransport(app=emulator.app)
        self.sent: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        return await self.inner.handle_async_request(request)


async def test_after_the_bulk_read_plan_and_write_send_only_the_patch(
    emulator: JournyxEmulator,
) -> None:
    counting = Counting(emulator)
    built = build_adapter(replace(config(emulator), transport=counting))
    [current] = await built.read_balances([JOHN], ["Vacation"], date.today())
    counting.sent.clear()

    wanted = intent(JOHN, "Vacation", "32.5")
    plan = await built.plan_write(wanted, current)
    outcome = await built.apply_write(wanted)

    assert plan.kind is OperationKind.SET
    assert plan.before == Quantity(Decimal(40), Unit.HOURS)
    assert outcome.kind is OperationKind.SET
    assert counting.sent == [f"PATCH /api/v1/accruals/{JOHN}"]
    assert (await built.confirm_write(wanted)) is Confirmation.APPLIED
    await built.aclose()


async def test_an_accrual_deleted_after_the_read_blocks_the_write(
    adapter: JournyxAdapter, api: httpx.AsyncClient
) -> None:
    await adapter.read_balances([JOHN], ["Vacation"], date.today())
    assert (await api.delete(f"/api/v1/accruals/{JOHN}")).status_code in (200, 204)

    with pytest.raises(WriteBlocked, match="no longer exists"):
        await adapter.apply_write(intent(JOHN, "Vacation", "32.5"))


async def test_a_write_planned_in_another_process_sends_only_the_patch(
    emulator: JournyxEmulator,
) -> None:
    # A distributed work unit: the coordinator planned from its bulk read; the worker's
    # adapter has read nothing and addresses the accrual the plan saw.
    planner = build_adapter(config(emulator))
    [current] = await planner.read_balances([JOHN], ["Vacation"], date.today())
    await planner.aclose()
    assert current.provenance.record_id is not None
    counting = Counting(emulator)
    worker = build_adapter(replace(config(emulator), transport=counting))

    wanted = intent(JOHN, "Vacation", "32.5", target_record=current.provenance.record_id)
    outcome = await worker.apply_write(wanted)

    assert outcome.kind is OperationKind.SET
    assert outcome.after == Quantity(Decimal("32.5"), Unit.HOURS)
    assert counting.sent == [f"PATCH /api/v1/accruals/{current.provenance.record_id}"]
    assert (await worker.confirm_write(wanted)) is Confirmation.APPLIED
    await worker.aclose()


async def test_a_planned_accrual_deleted_before_a_worker_writes_blocks_the_write(
    adapter: JournyxAdapter, api: httpx.AsyncClient
) -> None:
    assert (await api.delete(f"/api/v1/accruals/{JOHN}")).status_code in (200, 204)

    with pytest.raises(WriteBlocked, match="no longer exists; plan again"):
        await adapter.apply_write(intent(JOHN, "Vacation", "32.5", target_record=JOHN))


async def test_the_read_right_after_a_type_listing_uses_the_accruals_it_listed(
    emulator: JournyxEmulator,
) -> None:
    # A sync lists the types (to check its configuration), then reads the balances at once:
    # one read of every accrual, not two. Only the next read, only while recent, only with no
    # write in between.
    counting = Counting(emulator)
    built = build_adapter(replace(config(emulator), transport=counting))
    now = [1000.0]
    built.clock = lambda: now[0]
    try:
        await built.list_leave_types()
        listing = len(counting.sent)
        assert listing >= 1
        [john] = await built.read_balances([JOHN], ["Vacation"], date.today())
        assert john.remaining == Decimal(40)
        assert len(counting.sent) == listing  # the listing's accruals

        await built.read_balances([JOHN], ["Vacation"], date.today())
        assert len(counting.sent) == 2 * listing  # a second read reads again

        await built.list_leave_types()
        now[0] += LISTING_REUSE_SECONDS + 1
        await built.read_balances([JOHN], ["Vacation"], date.today())
        assert len(counting.sent) == 4 * listing  # too old: read again

        await built.list_leave_types()
        await built.apply_write(intent(JOHN, "Vacation", "32.5"))
        sent = len(counting.sent)
        [john] = await built.read_balances([JOHN], ["Vacation"], date.today())
        assert len(counting.sent) == sent + listing  # a write came between: read again
        assert john.remaining == Decimal("32.5")
    finally:
        await built.aclose()


async def test_a_sync_checking_its_types_while_it_reads_lists_the_accruals_once(
    emulator: JournyxEmulator,
) -> None:
    # A sync checks its configured types (a listing), reads the balances and lists its people,
    # all at once: one listing serves the three, whichever is asked for first.
    counting = Counting(emulator)
    built = build_adapter(replace(config(emulator), transport=counting))
    try:
        await built.list_leave_types()
        listing = len(counting.sent)
        counting.sent.clear()

        types, balances, people = await asyncio.gather(
            built.list_leave_types(),
            built.read_balances([JOHN, JANE], ["Vacation"], date.today()),
            built.list_employee_ids(),
        )

        assert len(counting.sent) == listing
        assert "Vacation" in [t.id for t in types.items]
        assert {b.employee.id for b in balances} == {JOHN, JANE}
        assert people == sorted(set(people))
        assert {JOHN, JANE, ALEX} <= set(people)
        assert people == await built.list_employee_ids()  # the next one lists again
        assert len(counting.sent) == 2 * listing
    finally:
        await built.aclose()


class _First(Counting):
    """`Counting`, its first request held until `answer` is set (set at once when `failing`),
    then answered 500 when `failing`, else by the emulator."""

    def __init__(self, emulator: JournyxEmulator, *, failing: bool = False) -> None:
        super().__init__(emulator)
        self.failing = failing
        self.answer = asyncio.Event()
        self.asked = asyncio.Event()
        if failing:
            self.answer.set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.sent:
            return await super().handle_async_request(request)
        self.sent.append(f"{request.method} {request.url.path}")
        self.asked.set()
        await self.answer.wait()
        if self.failing:
            return httpx.Response(500, json={"error": "down"})
        return await self.inner.handle_async_request(request)


async def test_a_read_joining_a_failed_type_listing_reads_afresh(
    emulator: JournyxEmulator,
) -> None:
    counting = _First(emulator, failing=True)
    once = RetryPolicy(max_attempts=1)
    built = build_adapter(replace(config(emulator), transport=counting, retry=once))
    try:
        listed, balances = await asyncio.gather(
            built.list_leave_types(),
            built.read_balances([JOHN], ["Vacation"], date.today()),
            return_exceptions=True,
        )
        assert isinstance(listed, GatewayError)  # the check's own failure is its caller's
        assert isinstance(balances, list)
        assert [b.remaining for b in balances] == [Decimal(40)]
        assert len(counting.sent) == 2  # the failed listing, then the read's own

    finally:
        await built.aclose()


async def test_a_read_goes_on_when_the_type_listing_it_waits_for_is_given_up(
    emulator: JournyxEmulator,
) -> None:
    held = _First(emulator)
    built = build_adapter(replace(config(emulator), transport=held))
    try:
        check = asyncio.ensure_future(built.list_leave_types())
        read = asyncio.ensure_future(built.read_balances([JOHN], ["Vacation"], date.today()))
        await held.asked.wait()
        check.cancel()  # a sync stopped its check (its plan failed first)
        await asyncio.gather(check, return_exceptions=True)
        held.answer.set()
        [john] = await read
        assert john.remaining == Decimal(40)
        assert check.cancelled()
        assert len(held.sent) == 2  # the listing given up, then the read's own
    finally:
        await built.aclose()


async def test_a_bulk_read_keeps_one_decimal_per_repeated_figure(adapter: JournyxAdapter) -> None:
    # A sync keeps what its bulk read listed of every accrual; thresholds and hours repeat.
    await adapter.read_balances([JOHN, JANE, ALEX], [], date.today())
    figures = [
        value
        for accrual in adapter._seen.values()
        for value in (accrual.hours_left, accrual.hard_threshold)
        if value is not None
    ]
    by_text: dict[str, set[int]] = {}
    for value in figures:
        by_text.setdefault(str(value), set()).add(id(value))
    assert len(figures) > len(by_text)  # some figure repeats
    assert all(len(ids) == 1 for ids in by_text.values())


async def test_a_planned_set_keeps_the_intents_value_not_a_copy(adapter: JournyxAdapter) -> None:
    # A plan holds every row's `after`: the intent's own Quantity, not an equal second one.
    wanted = intent(JOHN, "Vacation", "41.5")
    plan = await adapter.plan_write(wanted, None)
    assert plan.kind is OperationKind.SET
    assert plan.after is wanted.remaining
