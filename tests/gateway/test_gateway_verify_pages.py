"""Verification reads each target back a page at a time where the adapter hands its bulk read
over in pages (`PagedReads`), and judges a read that fails half-way as a failed read."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from balance_gateway.adapters._core.adapter import PagedReads, balance_pages
from balance_gateway.adapters._core.errors import ServerError
from balance_gateway.canonical import Balance
from balance_gateway.gateway.engine import Engine
from balance_gateway.gateway.journal import OpStatus
from balance_gateway.gateway.store import open_state_store
from tests.gateway.gateway_fakes import (
    BASIC_CSV,
    BASIC_TOML,
    TODAY,
    FakeAdapter,
    basic_systems,
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
