"""Verification reads each target back a page at a time where the adapter hands its bulk read
over in pages (`PagedReads`), and judges a read that fails half-way as a failed read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from balance_gateway.adapters._core.adapter import (
    OperationKind,
    PagedReads,
    balance_pages,
)
from balance_gateway.adapters._core.errors import ServerError
from balance_gateway.canonical import Balance
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.results import RowResult
from balance_gateway.gateway.scope import RunScope
from balance_gateway.gateway.store import open_state_store
from balance_gateway.gateway.verify import verify
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    FakeAdapter,
    basic_systems,
    set_row,
    write_config,
)


@dataclass
class PagedFake(FakeAdapter):
    """The fake, handing its reads over one balance per page once `paging` (the plan's own
    reads stay whole); `fail_after` pages, a 503."""

    paging: bool = False
    pages: int = 0
    fail_after: int | None = None

    async def iter_balances(
        self, employee_ids: Sequence[str], leave_type_ids: Sequence[str], as_of: date
    ) -> AsyncIterator[Sequence[Balance]]:
        balances = await self.read_balances(employee_ids, leave_type_ids, as_of)
        if not self.paging:
            yield balances
            return
        for balance in balances:
            if self.fail_after is not None and self.pages == self.fail_after:
                raise ServerError(method="GET", path="/balances", status_code=503, body="")
            self.pages += 1
            yield [balance]


def paged_time_system() -> dict[str, FakeAdapter]:
    systems = basic_systems()
    time = systems["time"]
    systems["time"] = PagedFake(
        "time", units=time.units, balances=dict(time.balances), paging=False
    )
    return systems


async def _sync(
    tmp_path: Path, systems: dict[str, FakeAdapter]
) -> list[tuple[str, bool | None, str]]:
    config = write_config(tmp_path, BASIC_TOML, BASIC_CSV)
    journal = open_state_store(config)
    try:
        time = systems["time"]
        assert isinstance(time, PagedFake)
        time.paging = True  # from the first write on; the plan's reads came before
        engine = Engine(config, systems, journal, today=TODAY)
        report = await engine.sync(["hr-to-time"])
        return [
            (r.row.target_employee or "", r.verified, r.note)
            for r in report.results
            if r.status is OpStatus.APPLIED
        ]
    finally:
        journal.close()


async def test_a_paged_read_back_verifies_every_row(tmp_path: Path) -> None:
    systems = paged_time_system()
    time = systems["time"]
    assert isinstance(time, PagedFake)
    assert isinstance(time, PagedReads)
    applied = await _sync(tmp_path, systems)
    assert len(applied) >= 2
    assert all(verified is True for _, verified, _ in applied)
    # One page per balance read back: the read was taken page by page.
    assert time.pages == len(applied)


async def test_a_read_back_failing_after_its_first_page_verifies_nothing(tmp_path: Path) -> None:
    systems = paged_time_system()
    time = systems["time"]
    assert isinstance(time, PagedFake)
    time.fail_after = 1
    applied = await _sync(tmp_path, systems)
    assert len(applied) >= 2
    assert time.pages == 1
    # The first page matched, but a read that failed is no proof for any row.
    assert all(verified is False for _, verified, _ in applied)
    assert all("could not read back" in note for _, _, note in applied)


async def test_an_adapter_without_pages_is_read_whole() -> None:
    fake = FakeAdapter(
        "time", balances={("U1", "Vacation"): Decimal(1), ("U2", "Vacation"): Decimal(2)}
    )
    assert not isinstance(fake, PagedReads)
    pages = [page async for page in balance_pages(fake, ["U1", "U2"], ["Vacation"], TODAY)]
    assert [len(page) for page in pages] == [2]
    assert fake.reads == 1


def _applied(employee: str, value: str, operation_id: str) -> RowResult:
    row = set_row("hr-to-time", "time", employee, value, operation_id)
    return RowResult(row, operation_id, OpStatus.APPLIED, OperationKind.SET)


async def test_two_rows_of_one_balance_are_both_compared_with_the_read_back() -> None:
    # A saved plan edited by hand can hold one balance twice: each row is judged by what the
    # target shows, not one of them by asking the adapter as if nothing were shown.
    time = PagedFake("time", balances={("U1", "Vacation"): Decimal(5)}, paging=True)
    scope = RunScope("run", {"time": time}, None, 4)
    told: list[str] = []
    checked = await verify(
        scope, [_applied("U1", "5", "op-1"), _applied("U1", "5", "op-2")], told.append
    )
    assert [r.verified for r in checked] == [True, True]
    assert not any("no balance shown" in r.note for r in checked)
    assert told == ["read back time: 2 of 2 write(s) as written"]


async def test_a_failed_read_back_is_told_as_such() -> None:
    time = PagedFake("time", balances={("U1", "Vacation"): Decimal(5)}, paging=True)
    time.fail_after = 0
    told: list[str] = []
    checked = await verify(
        RunScope("run", {"time": time}, None, 4), [_applied("U1", "5", "op-1")], told.append
    )
    assert [r.verified for r in checked] == [False]
    assert len(told) == 1
    assert told[0].startswith("time: could not read back: ")
    assert told[0].endswith("; 1 write(s) not verified")


async def test_a_system_read_back_as_of_two_dates_names_the_date_on_each_line() -> None:
    # Two lines that both said "read back time: 1 of 1" would read as the same line twice.
    time = PagedFake(
        "time",
        balances={("U1", "Vacation"): Decimal(5), ("U2", "Vacation"): Decimal(3)},
        paging=True,
    )
    later = TODAY + timedelta(days=31)
    second = _applied("U2", "3", "op-2")
    assert second.row.intent is not None
    second = replace(
        second, row=replace(second.row, intent=replace(second.row.intent, as_of=later))
    )
    told: list[str] = []
    await verify(
        RunScope("run", {"time": time}, None, 4), [_applied("U1", "5", "op-1"), second], told.append
    )
    assert sorted(told) == sorted(
        [
            f"read back time as of {TODAY.isoformat()}: 1 of 1 write(s) as written",
            f"read back time as of {later.isoformat()}: 1 of 1 write(s) as written",
        ]
    )
