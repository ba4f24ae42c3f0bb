"""The requests the Zeitstrom adapter sends (issue 16): a first-attempt credit is its POST
alone, a re-attempt still reads for its label, and many employees are read unfiltered."""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import date
from decimal import Decimal

import httpx
import pytest

from balance_gateway.adapters._core.adapter import AdapterConfig, OperationKind, WriteIntent
from balance_gateway.adapters._core.errors import ResponseTooLarge
from balance_gateway.adapters._core.registry import build_adapter
from balance_gateway.adapters._core.secrets import Secret
from balance_gateway.adapters._emulator import EmulatorOptions
from balance_gateway.adapters.zeitstrom import LABEL_PREFIX, ZeitstromAdapter
from balance_gateway.adapters.zeitstrom.adapter import query_chunks
from balance_gateway.adapters.zeitstrom.client import AsyncClient
from balance_gateway.adapters.zeitstrom.emulator import (
    ANNA,
    JONAS,
    Employee,
    Transaction,
    ZeitstromEmulator,
    ZeitstromState,
)
from balance_gateway.adapters.zeitstrom.models import Source
from balance_gateway.canonical import Balance, EmployeeRef, LeaveTypeRef, Quantity, Unit

TOKEN = "requests-test-token"
SYSTEM = "zeitstrom-test"
AS_OF = date(2024, 12, 1)
AGGREGATE = "/api/v2/timestamps/absence-transactions/aggregate/"
LIST = "/api/v2/timestamps/absence-transactions/"
EMPLOYEES = "/api/v2/employees/employees/"


class Recording(httpx.ASGITransport):
    """The emulator's transport, keeping every request sent through it."""

    def __init__(self, emulator: ZeitstromEmulator) -> None:
        super().__init__(app=emulator.app)
        self.sent: list[httpx.Request] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(request)
        return await super().handle_async_request(request)

    def calls(self) -> list[tuple[str, str]]:
        return [(r.method, r.url.path) for r in self.sent]


@pytest.fixture
def emulator() -> ZeitstromEmulator:
    return ZeitstromEmulator(EmulatorOptions(token=TOKEN))


@pytest.fixture
def transport(emulator: ZeitstromEmulator) -> Recording:
    return Recording(emulator)


@pytest.fixture
async def adapter(transport: Recording) -> AsyncIterator[ZeitstromAdapter]:
    config = AdapterConfig(
        system=SYSTEM,
        base_url="http://emulator",
        credentials={"token": Secret(TOKEN)},
        transport=transport,
    )
    built = build_adapter("zeitstrom", config)
    assert isinstance(built, ZeitstromAdapter)
    yield built
    await built.aclose()


def state(emulator: ZeitstromEmulator) -> ZeitstromState:
    return emulator.state_for("default")


def days(value: str | int) -> Quantity:
    return Quantity(Decimal(value), Unit.DAYS)


def intent(remaining: int, op: str = "op-1", planned_before: int | None = None) -> WriteIntent:
    return WriteIntent(
        operation_id=op,
        run_id="run-1",
        employee=EmployeeRef(SYSTEM, JONAS),
        leave_type=LeaveTypeRef(SYSTEM, "holiday"),
        remaining=days(remaining),
        as_of=AS_OF,
        source="hr-prod",
        planned_before=None if planned_before is None else days(planned_before),
        first_attempt=planned_before is not None,
    )


def ours(emulator: ZeitstromEmulator) -> list[tuple[str, Decimal]]:
    return [
        (tx.label, tx.amount)
        for tx in state(emulator).transactions
        if tx.label.startswith(LABEL_PREFIX)
    ]


# -- writing ------------------------------------------------------------------------------------


async def test_a_first_attempt_credit_is_one_post_and_nothing_else(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    # Jonas holds 20 days (the plan read that); the target is 25.
    outcome = await adapter.apply_write(intent(25, planned_before=20))
    assert transport.calls() == [("POST", LIST)]
    assert outcome.kind is OperationKind.CREDIT
    assert outcome.after == days(25)
    assert ours(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]
    (balance,) = await adapter.read_balances([JONAS], ["holiday"], AS_OF)
    assert balance.remaining == Decimal(25)


@pytest.mark.parametrize(
    "again",
    [
        # A direct adapter user (or a re-attempt): no planned_before.
        pytest.param(intent(25), id="no-planned-before"),
        # A caller that is not the engine's first attempt, with a stale planned_before.
        pytest.param(
            replace(intent(25, planned_before=20), first_attempt=False), id="not-first-attempt"
        ),
    ],
)
async def test_a_repeated_write_reads_and_reports_its_applied_label_as_skip(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording, again: WriteIntent
) -> None:
    first = await adapter.apply_write(intent(25, planned_before=20))
    transport.sent.clear()
    # The same operation again: the ledger is read and the earlier credit found by its label,
    # so nothing is credited twice.
    outcome = await adapter.apply_write(again)
    assert outcome.kind is OperationKind.SKIP
    assert outcome.record_ids == first.record_ids
    assert [m for m, _ in transport.calls()] == ["GET"]
    assert ours(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]


async def test_without_planned_before_a_credit_reads_the_ledger_for_its_delta(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    outcome = await adapter.apply_write(intent(26))
    assert transport.calls() == [("GET", LIST), ("POST", LIST)]
    assert outcome.kind is OperationKind.CREDIT
    assert ours(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(6))]


async def test_a_reduction_reads_the_ledger_whatever_planned_before_says(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    await adapter.apply_write(intent(25, "op-up", planned_before=20))
    transport.sent.clear()
    outcome = await adapter.apply_write(intent(22, "op-down", planned_before=25))
    assert outcome.kind is OperationKind.REDUCE
    assert transport.calls()[0] == ("GET", LIST)  # our own credits' ids come from the ledger
    assert ours(emulator) == [(f"{LABEL_PREFIX}op-up", Decimal(2))]


async def test_a_target_at_planned_before_is_checked_against_the_ledger(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    # Not a credit by the plan's figure: nothing is sent on its word alone.
    outcome = await adapter.apply_write(intent(20, planned_before=20))
    assert outcome.kind is OperationKind.SKIP
    assert [m for m, _ in transport.calls()] == ["GET"]
    assert ours(emulator) == []


async def test_a_change_since_the_plan_is_not_seen_by_a_first_attempt(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    # The documented assumption: the plan read 20 days, then a 2-day absence was booked. The
    # first attempt credits 5 from the plan's figure, and the balance ends at 23: the bulk
    # re-read (verification) shows it off the target.
    state(emulator).transactions.append(_tx(JONAS, "holiday", "2024-11-20", "2", Source.ABSENCE))
    await adapter.apply_write(intent(25, planned_before=20))
    (balance,) = await adapter.read_balances([JONAS], ["holiday"], AS_OF)
    assert balance.remaining == Decimal(23)


# -- reading many employees ---------------------------------------------------------------------


def _tx(employee: str, kind: str, day: str, amount: str, source: Source) -> Transaction:
    return Transaction(
        id=str(uuid.uuid4()),
        employee_id=employee,
        missing_type=kind,
        date=date.fromisoformat(day),
        amount=Decimal(amount),
        source=source,
    )


def _company(emulator: ZeitstromEmulator, people: int, *, planned: bool = True) -> list[str]:
    """`people` more employees, each with 30 days credited and 2 taken by `AS_OF`, and (when
    `planned`) every third one with 3 days planned after it (so the later-dated ledger has
    pages to walk)."""
    ids = [f"e{n:04d}" for n in range(people)]
    for n, employee in enumerate(ids):
        state(emulator).employees.append(Employee(id=employee, name=f"Person {n}"))
        book = state(emulator).transactions
        book.append(_tx(employee, "holiday", "2024-01-01", "30", Source.REPEATING_RULE))
        book.append(_tx(employee, "holiday", "2024-05-02", "2", Source.ABSENCE))
        if planned and n % 3 == 0:
            book.append(_tx(employee, "holiday", "2025-01-10", "3", Source.ABSENCE))
    return ids


async def test_many_employees_are_read_unfiltered_and_kept_to_those_asked_for(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    everyone = _company(emulator, 3000)  # 1,000 later-dated transactions, and Anna's 1
    asked = [*everyone[:1500], JONAS]  # 31 chunks of 50 if filtered
    balances = await adapter.read_balances(asked, ["holiday"], AS_OF)

    aggregates = [r for r in transport.sent if r.url.path == AGGREGATE]
    ledgers = [r for r in transport.sent if r.url.path == LIST]
    assert len(aggregates) == 1
    assert "employee_ids" not in aggregates[0].url.params
    # The later-dated ledger of everyone (by daterange alone, 1,000 a page: 1,001 in two
    # pages), then the earlier ledger of the 500 asked-for employees with a later
    # transaction (10 x 50).
    later = [r for r in ledgers if "employee_ids" not in r.url.params]
    assert len(later) == 2
    assert later[0].url.params["daterange"] == "2024-12-02|9999-12-31"
    assert later[0].url.params["limit"] == "1000"
    assert len(ledgers) == 2 + 10

    by_employee = {b.employee.id: b for b in balances}
    assert set(by_employee) == set(asked)
    assert by_employee["e0000"].remaining == Decimal(28)
    assert by_employee["e0000"].pending == Decimal(3)
    assert by_employee["e0001"].remaining == Decimal(28)
    assert by_employee["e0001"].pending == Decimal(0)
    assert by_employee[JONAS].remaining == Decimal(20)


async def test_a_few_employees_are_read_filtered(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    everyone = _company(emulator, 3000)
    asked = everyone[1:601:3]  # 200 employees, none with a later transaction: 4 chunks
    balances = await adapter.read_balances(asked, ["holiday"], AS_OF)
    assert {b.employee.id for b in balances} == set(asked)
    params = [r.url.params for r in transport.sent]
    assert len(params) == 4 + 4
    assert all("employee_ids" in p for p in params)


async def test_the_unfiltered_read_answers_as_the_filtered_one(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator
) -> None:
    everyone = _company(emulator, 400)
    few = await adapter.read_balances(everyone[:200], [], AS_OF)  # filtered
    many = await adapter.read_balances(everyone, [], AS_OF)  # unfiltered
    wanted = set(everyone[:200])

    def figures(balances: list[Balance]) -> list[tuple[object, ...]]:
        return [
            (b.employee.id, b.leave_type.id, b.entitled, b.used, b.remaining, b.pending)
            for b in balances
            if b.employee.id in wanted
        ]

    assert figures(many) == figures(few)
    assert len(few) == 200


async def test_planned_before_in_another_unit_is_not_trusted(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    hours = replace(
        intent(25), planned_before=Quantity(Decimal(160), Unit.HOURS), first_attempt=True
    )
    outcome = await adapter.apply_write(hours)
    assert transport.calls() == [("GET", LIST), ("POST", LIST)]
    assert ours(emulator) == [(f"{LABEL_PREFIX}op-1", Decimal(5))]
    assert outcome.kind is OperationKind.CREDIT


async def test_a_run_of_300_credits_sends_its_bulk_reads_and_one_post_each(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    # What the engine does with a first run (plan from the bulk read, first attempts told the
    # plan's `before`, verification by a bulk re-read), through the adapter alone: 2 reads
    # to plan, a POST per credit, 2 reads to verify, and no ledger read per row or group.
    company = _company(emulator, 300, planned=False)  # the aggregate answers every pair
    current = {b.employee.id: b for b in await adapter.read_balances(company, ["holiday"], AS_OF)}
    for n, employee in enumerate(company):
        planned = replace(
            intent(29, f"op-{n}"), employee=EmployeeRef(SYSTEM, employee), planned_before=None
        )
        row = await adapter.plan_write(planned, current[employee])
        assert row.kind is OperationKind.CREDIT
        await adapter.apply_write(replace(planned, planned_before=row.before, first_attempt=True))
    after = await adapter.read_balances(company, ["holiday"], AS_OF)
    assert {b.remaining for b in after} == {Decimal(29)}
    methods = [m for m, _ in transport.calls()]
    assert methods.count("POST") == 300
    assert methods.count("GET") == 2 + 2


# -- reading over the answer size cap -------------------------------------------------------------


class Sizing(httpx.ASGITransport):
    """The emulator's transport, keeping every request with the size of its answer's body."""

    def __init__(self, emulator: ZeitstromEmulator) -> None:
        super().__init__(app=emulator.app)
        self.sent: list[tuple[httpx.Request, int]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle_async_request(request)
        body = await response.aread()
        self.sent.append((request, len(body)))
        return httpx.Response(
            response.status_code, headers=response.headers, content=body, request=request
        )

    def aggregates(self) -> list[tuple[httpx.Request, int]]:
        return [(r, size) for r, size in self.sent if r.url.path == AGGREGATE]


@pytest.fixture
def sizing(emulator: ZeitstromEmulator) -> Sizing:
    return Sizing(emulator)


def capped(transport: httpx.AsyncBaseTransport, cap: int) -> ZeitstromAdapter:
    """An adapter whose client refuses answers larger than `cap` bytes."""
    config = AdapterConfig(system=SYSTEM, base_url="http://emulator")
    client = AsyncClient(
        "http://emulator", token=TOKEN, transport=transport, max_response_bytes=cap
    )
    return ZeitstromAdapter(config, client=client)


def _uuid_company(emulator: ZeitstromEmulator, people: int) -> list[str]:
    """`_company`'s ledger for `people` employees with UUID ids (the length real ids have)."""
    rng = random.Random(16)
    ids = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(people)]
    book = state(emulator)
    for n, employee in enumerate(ids):
        book.add_employee(Employee(id=employee, name=f"Person {n}"))
        book.add_transaction(_tx(employee, "holiday", "2024-01-01", "30", Source.REPEATING_RULE))
        book.add_transaction(_tx(employee, "holiday", "2024-05-02", f"{n % 7}", Source.ABSENCE))
        if n % 3 == 0:
            book.add_transaction(_tx(employee, "holiday", "2025-01-10", "3", Source.ABSENCE))
    return ids


def figures(balances: list[Balance]) -> list[tuple[object, ...]]:
    return sorted(
        (b.employee.id, b.leave_type.id, b.entitled, b.used, b.remaining, b.pending)
        for b in balances
    )


# gunicorn's default `limit_request_line`: the whole request line must stay below it.
REQUEST_LINE_LIMIT = 4094


def request_line(request: httpx.Request) -> int:
    return len(f"{request.method} ".encode() + request.url.raw_path + b" HTTP/1.1")


CAP = 64 * 1024


async def _read_uncapped_and_capped(
    adapter: ZeitstromAdapter, sizing: Sizing, asked: list[str]
) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    """The figures of `asked` read by `adapter` as it is, then by one capped at `CAP` whose
    answers `sizing` records."""
    want = figures(await adapter.read_balances(asked, ["holiday"], AS_OF))
    small = capped(sizing, CAP)
    try:
        got = figures(await small.read_balances(asked, ["holiday"], AS_OF))
    finally:
        await small.aclose()
    return want, got


async def test_a_bulk_read_too_large_for_one_answer_is_read_by_chunks_under_the_cap(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, sizing: Sizing
) -> None:
    everyone = _uuid_company(emulator, 2000)  # ~250 KB of aggregate, 667 later-dated rows
    asked = [*everyone, JONAS]
    want, got = await _read_uncapped_and_capped(adapter, sizing, asked)
    assert len(want) == 2001
    assert got == want
    # Known beforehand to be too large for one answer: no unfiltered aggregate is tried, and
    # the chunks are as few as the URL budget allows (77 UUIDs each).
    aggregates = sizing.aggregates()
    assert all("employee_ids" in r.url.params for r, _ in aggregates)
    assert len(aggregates) == len(query_chunks(sorted(asked))) == 26  # 2,001 / 77
    # The later-dated ledger is tried unfiltered first (pages of 1,000: one request when few
    # are dated later) and its page of 667 rows refused; every other answer is under the
    # cap, and every request line under the bound.
    refused = [r for r, size in sizing.sent if size > CAP]
    assert [(r.url.path, "employee_ids" in r.url.params) for r in refused] == [(LIST, False)]
    # The later-dated ledger by the same chunks, and the earlier ledger of the 667 employees
    # with a later transaction by chunks of 50.
    assert len(sizing.sent) == len(aggregates) + 1 + len(aggregates) + 14
    assert all(request_line(r) <= 3200 < REQUEST_LINE_LIMIT for r, _ in sizing.sent)
    assert max(request_line(r) for r, _ in aggregates) > 3000  # the budget is used


async def test_an_unfiltered_answer_over_the_cap_is_read_again_by_chunks(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, sizing: Sizing
) -> None:
    # 300 asked of a 2,000-employee tenant: small enough to try unfiltered, but the tenant's
    # answer passes the cap; so does a page of the later-dated ledger (667 rows).
    everyone = _uuid_company(emulator, 2000)
    asked = everyone[100:400]
    want, got = await _read_uncapped_and_capped(adapter, sizing, asked)
    assert len(want) == 300
    assert got == want
    tried = [size for r, size in sizing.sent if "employee_ids" not in r.url.params]
    assert len(tried) == 2  # the aggregate and the later-dated ledger, each refused once
    assert all(size > CAP for size in tried)
    chunked = [size for r, size in sizing.aggregates() if "employee_ids" in r.url.params]
    assert len(chunked) == len(query_chunks(asked)) == 4
    assert all(size <= CAP for size in chunked)


async def test_a_chunk_whose_answer_is_too_large_is_read_in_halves(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, sizing: Sizing
) -> None:
    everyone = _uuid_company(emulator, 300)
    want = figures(await adapter.read_balances(everyone, [], AS_OF))
    small = capped(sizing, 4096)  # a chunk of 77 (9 KB) is too large, one of 20 or less not
    try:
        got = figures(await small.read_balances(everyone, [], AS_OF))
    finally:
        await small.aclose()
    assert got == want
    used = [r for r, size in sizing.sent if size <= 4096 and "employee_ids" in r.url.params]
    sizes = {len(r.url.params["employee_ids"].split("|")) for r in used if r.url.path == AGGREGATE}
    assert max(sizes) <= 20
    # Each read (the aggregate, the later and the earlier ledger) reached each of its
    # employees exactly once in a chunk that was answered (a first page, so no `offset`).
    reads: dict[tuple[str, str | None], list[str]] = {}
    for r in used:
        if "offset" not in r.url.params:
            read = reads.setdefault((r.url.path, r.url.params.get("daterange")), [])
            read += r.url.params["employee_ids"].split("|")
    assert len(reads) == 3
    assert all(len(read) == len(set(read)) for read in reads.values())
    assert sorted(reads[(AGGREGATE, None)]) == sorted(everyone)

    tiny = capped(sizing, 100)  # not even one employee's row fits
    try:
        with pytest.raises(ResponseTooLarge):
            await tiny.read_balances(everyone, [], AS_OF)
    finally:
        await tiny.aclose()


async def test_a_thousand_employees_are_still_read_unfiltered_in_one_aggregate(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    everyone = _uuid_company(emulator, 1000)
    await adapter.read_balances(everyone, ["holiday", "overtime", "special"], AS_OF)
    aggregates = [r for r in transport.sent if r.url.path == AGGREGATE]
    assert len(aggregates) == 1
    assert "employee_ids" not in aggregates[0].url.params


async def test_a_sync_reading_everyone_while_it_lists_its_people_asks_for_one_aggregate(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, transport: Recording
) -> None:
    # A sync reads its source's balances and lists its people at once; asked again after,
    # the aggregate is read again (never an answer from before).
    everyone = _uuid_company(emulator, 1000)
    balances, listed = await asyncio.gather(
        adapter.read_balances(everyone, [], AS_OF), adapter.list_employee_ids()
    )
    assert [r.url.path for r in transport.sent].count(AGGREGATE) == 1
    assert listed == sorted([*everyone, ANNA, JONAS])
    assert {b.employee.id for b in balances} == set(everyone)
    assert await adapter.list_employee_ids() == listed
    assert [r.url.path for r in transport.sent].count(AGGREGATE) == 2


async def test_employee_ids_too_many_for_one_answer_come_from_the_directory(
    adapter: ZeitstromAdapter, emulator: ZeitstromEmulator, sizing: Sizing
) -> None:
    everyone = _uuid_company(emulator, 2000)
    assert await adapter.list_employee_ids() == sorted([*everyone, ANNA, JONAS])
    cap = 200_000  # under the aggregate (~250 KB), over a page of 1,000 employees
    small = capped(sizing, cap)
    try:
        listed = await small.list_employee_ids()
    finally:
        await small.aclose()
    # The sample's two and the 2,000: each has a transaction, so the lists agree.
    assert listed == sorted([*everyone, ANNA, JONAS])
    pages = [size for r, size in sizing.sent if r.url.path == EMPLOYEES]
    assert len(pages) == 3  # 2,002 employees, 1,000 a page
    assert all(size <= cap for size in pages)


def test_query_chunks_keep_order_and_each_encoded_list_within_the_budget() -> None:
    ids = [f"id-{n}" * (1 + n % 5) for n in range(500)] + ["x" * 400, "a", "ü"]
    chunks = query_chunks(ids, budget=300)
    assert [e for chunk in chunks for e in chunk] == ids
    for chunk in chunks:
        encoded = str(httpx.QueryParams({"employee_ids": "|".join(chunk)}))
        assert len(encoded) - len("employee_ids=") <= 300 or len(chunk) == 1
    assert ["x" * 400] in chunks  # longer than the budget: a chunk of its own
    # Full chunks: adding the next id would have passed the budget.
    for chunk, following in itertools.pairwise(chunks):
        longer = str(httpx.QueryParams({"e": "|".join([*chunk, following[0]])}))
        assert len(longer) - len("e=") > 300
